/* SPDX-License-Identifier: MIT */
/*
 * frame_table.c - frame allocation and FIFO/LRU victim choice (see frame_table.h).
 * The victim is the smallest stamp: load time for FIFO, last use for LRU.  A
 * linear scan over at most 2^16 frames is the textbook's "search the table"
 * implementation; the general simulator (sim) has the O(1) structures.
 */
#include "vm/frame_table.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

int osc_frame_table_init(osc_frame_table_t *ft, uint32_t nframes, osc_frame_policy_t policy)
{
    VL_ASSERT(nframes >= 1);
    ft->f = calloc(nframes, sizeof *ft->f);
    if (!ft->f)
        return -ENOMEM;
    ft->nframes = nframes;
    ft->nused = 0;
    ft->policy = policy;
    ft->clock = 0;
    return 0;
}

void osc_frame_table_destroy(osc_frame_table_t *ft)
{
    free(ft->f);
    ft->f = NULL;
}

void osc_frame_table_touch(osc_frame_table_t *ft, uint32_t frame)
{
    VL_ASSERT(frame < ft->nused);
    if (ft->policy == OSC_FRAME_LRU)
        ft->f[frame].stamp = ++ft->clock;
}

uint32_t osc_frame_table_pick(const osc_frame_table_t *ft, int64_t *victim_page)
{
    uint32_t victim = 0;
    if (ft->nused < ft->nframes) {
        *victim_page = -1;
        return ft->nused;
    }
    for (uint32_t i = 1; i < ft->nframes; i++)
        if (ft->f[i].stamp < ft->f[victim].stamp)
            victim = i;
    *victim_page = ft->f[victim].page;
    return victim;
}

void osc_frame_table_load(osc_frame_table_t *ft, uint32_t frame, uint32_t page)
{
    VL_ASSERT(frame <= ft->nused && frame < ft->nframes);
    if (frame == ft->nused)
        ft->nused++;
    ft->f[frame].page = page;
    ft->f[frame].stamp = ++ft->clock;
    VL_DEBUG_CHECK(osc_frame_table_check(ft));
}

void osc_frame_table_check(const osc_frame_table_t *ft)
{
    VL_ASSERT(ft->nused <= ft->nframes);
    for (uint32_t i = 0; i < ft->nused; i++) {
        VL_ASSERT(ft->f[i].stamp <= ft->clock);
        if (VMLAB_DEBUG || ft->nused <= 512)
            for (uint32_t j = i + 1; j < ft->nused; j++)
                VL_ASSERT(ft->f[j].page != ft->f[i].page);
    }
}
