/* SPDX-License-Identifier: MIT */
/*
 * frame_table.h - physical frames: who holds each, and which one to take next.
 *
 * OSC 10th ed., 10.4 (page replacement): FIFO replaces the page loaded
 * earliest (10.4.2), LRU the page used least recently (10.4.4, the "counter"
 * implementation: a logical clock stamped into the frame on every use).  Free
 * frames are handed out in order 0, 1, 2, ... before any page is replaced, as
 * the classic project specifies; afterwards the victim's frame is reused.
 *
 * Invariants (osc_frame_table_check): nused <= nframes; frames [0, nused) hold a
 * page, [nused, nframes) are free; every stamp <= clock; no page is held twice.
 */
#ifndef VMLAB_VM_FRAME_TABLE_H
#define VMLAB_VM_FRAME_TABLE_H

#include <stdint.h>

typedef enum osc_frame_policy { OSC_FRAME_FIFO, OSC_FRAME_LRU } osc_frame_policy_t;

typedef struct osc_frame {
    uint32_t page;  /* virtual page held (frames < nused only) */
    uint64_t stamp; /* clock at load (FIFO) or at last use (LRU) */
} osc_frame_t;

typedef struct osc_frame_table {
    osc_frame_t *f;            /* nframes frames */
    uint32_t nframes;      /* physical frames, >= 1 */
    uint32_t nused;        /* frames handed out so far, <= nframes */
    osc_frame_policy_t policy; /* replacement */
    uint64_t clock;        /* advances on every load and touch */
} osc_frame_table_t;

int osc_frame_table_init(osc_frame_table_t *ft, uint32_t nframes, osc_frame_policy_t policy);
void osc_frame_table_destroy(osc_frame_table_t *ft);
/* Record a use of the page in `frame` (LRU recency; a no-op for FIFO). */
void osc_frame_table_touch(osc_frame_table_t *ft, uint32_t frame);
/* The frame the next load goes to: the next free one, else the victim.
 * Sets *victim_page to the page it holds, or -1 if it is free. */
uint32_t osc_frame_table_pick(const osc_frame_table_t *ft, int64_t *victim_page /* OUT */);
/* Load `page` into `frame` (the result of osc_frame_table_pick). */
void osc_frame_table_load(osc_frame_table_t *ft, uint32_t frame, uint32_t page);
void osc_frame_table_check(const osc_frame_table_t *ft);

#endif
