/* SPDX-License-Identifier: MIT */
/*
 * implicit_best.c - implicit free list, best fit (CS:APP 9.9.7).
 *
 * Walks every block and takes the smallest free one that fits (an exact fit
 * ends the walk): the least splitting, at the price of a full walk.
 */
#include "malloc/bt.h"

static unsigned char *best_find(ma_heap_t *h, size_t asize)
{
    unsigned char *best = NULL;
    for (unsigned char *b = bt_first(h); b; b = bt_next(h, b)) {
        size_t s = ma_bsize(b);
        if ((ma_hdr(b) & MA_F_ALLOC) || s < asize)
            continue;
        if (s == asize)
            return b;
        if (!best || s < ma_bsize(best))
            best = b;
    }
    return best;
}

static const bt_policy_t best_policy = {.meta = 8, .find = best_find, .linear = 1};

const ma_design_t ma_implicit_best =
    BT_DESIGN("implicit-best", "implicit free list, best fit", &best_policy);
