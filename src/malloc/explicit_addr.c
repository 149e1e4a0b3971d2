/* SPDX-License-Identifier: MIT */
/*
 * explicit_addr.c - one explicit free list kept in address order, first fit
 * (CS:APP 9.9.13; Knuth TAOCP 2.5 Algorithm A/B).
 *
 * Freeing costs a walk to the insertion point; in exchange first fit in
 * address order behaves close to best fit (Wilson et al. 1995) and keeps the
 * low end of the heap dense.
 */
#include "malloc/free_list.h"

static void addr_insert(ma_heap_t *h, unsigned char *b)
{
    unsigned char *after = NULL;
    for (unsigned char *c = ma_lists(h)->lists[0]; c && c < b; c = fl_next(h, c))
        after = c;
    fl_insert(h, 0, after, b);
}

static void addr_remove(ma_heap_t *h, unsigned char *b) { fl_remove(h, 0, b); }

static unsigned char *addr_find(ma_heap_t *h, size_t asize)
{
    for (unsigned char *b = ma_lists(h)->lists[0]; b; b = fl_next(h, b))
        if (ma_bsize(b) >= asize)
            return b;
    return NULL;
}

static int addr_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx) { return fl_walk(h, 1, fn, ctx); }
static size_t addr_check(ma_heap_t *h) { return fl_check(h, 1, NULL, FL_ADDR); }

static const bt_policy_t addr_policy = {
    .meta = 24, .insert = addr_insert, .remove = addr_remove, .find = addr_find,
    .walk_free = addr_walk, .check = addr_check, .linear = 1,
};

const ma_design_t ma_explicit_addr = BT_DESIGN_STATE(
    "explicit-addr", "explicit free list, address order, first fit", &addr_policy, sizeof(ma_lists_t));
