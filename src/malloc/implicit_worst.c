/* SPDX-License-Identifier: MIT */
/*
 * implicit_worst.c - implicit free list, worst fit (Knuth TAOCP 2.5; Shore
 * 1975).
 *
 * Takes the largest free block, so that what is left after splitting stays
 * large enough to be useful; in practice it fragments the most, which is the
 * lesson the replay table teaches.
 */
#include "malloc/bt.h"

static unsigned char *worst_find(ma_heap_t *h, size_t asize)
{
    unsigned char *worst = NULL;
    for (unsigned char *b = bt_first(h); b; b = bt_next(h, b)) {
        size_t s = ma_bsize(b);
        if (!(ma_hdr(b) & MA_F_ALLOC) && s >= asize && (!worst || s > ma_bsize(worst)))
            worst = b;
    }
    return worst;
}

static const bt_policy_t worst_policy = {.meta = 8, .find = worst_find, .linear = 1};

const ma_design_t ma_implicit_worst =
    BT_DESIGN("implicit-worst", "implicit free list, worst fit", &worst_policy);
