/* SPDX-License-Identifier: MIT */
/*
 * implicit_first.c - implicit free list, first fit (CS:APP 9.9.6-9.9.7).
 *
 * No index: the free blocks are found by walking every block from the start
 * of the heap (the boundary-tag core, bt.c, does the rest).  First fit keeps
 * small splinters near the start, which later searches must step over.
 */
#include "malloc/bt.h"

static unsigned char *first_find(ma_heap_t *h, size_t asize)
{
    for (unsigned char *b = bt_first(h); b; b = bt_next(h, b))
        if (!(ma_hdr(b) & MA_F_ALLOC) && ma_bsize(b) >= asize)
            return b;
    return NULL;
}

static const bt_policy_t first_policy = {.meta = 8, .find = first_find, .linear = 1};

const ma_design_t ma_implicit_first =
    BT_DESIGN("implicit-first", "implicit free list, first fit (CS:APP 9.9.7)", &first_policy);
