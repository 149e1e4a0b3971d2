/* SPDX-License-Identifier: MIT */
/*
 * explicit_lifo.c - one explicit doubly linked free list in LIFO order,
 * first fit (CS:APP 9.9.13).
 *
 * Freeing is O(1) (push at the head); a search visits free blocks only, not
 * allocated ones.  Recently freed blocks are reused first, which is good for
 * locality and, as Wilson et al. (1995) measured, worse for fragmentation
 * than address order.
 */
#include "malloc/free_list.h"

static void lifo_insert(ma_heap_t *h, unsigned char *b) { fl_insert(h, 0, NULL, b); }
static void lifo_remove(ma_heap_t *h, unsigned char *b) { fl_remove(h, 0, b); }

static unsigned char *lifo_find(ma_heap_t *h, size_t asize)
{
    for (unsigned char *b = ma_lists(h)->lists[0]; b; b = fl_next(h, b))
        if (ma_bsize(b) >= asize)
            return b;
    return NULL;
}

static int lifo_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx) { return fl_walk(h, 1, fn, ctx); }
static size_t lifo_check(ma_heap_t *h) { return fl_check(h, 1, NULL, FL_ANY); }

static const bt_policy_t lifo_policy = {
    .meta = 24, .insert = lifo_insert, .remove = lifo_remove, .find = lifo_find,
    .walk_free = lifo_walk, .check = lifo_check, .linear = 1,
};

const ma_design_t ma_explicit_lifo = BT_DESIGN_STATE(
    "explicit-lifo", "explicit free list, LIFO order, first fit (CS:APP 9.9.13)", &lifo_policy, sizeof(ma_lists_t));
