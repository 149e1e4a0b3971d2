/* SPDX-License-Identifier: MIT */
/*
 * free_list.h - the doubly linked free lists of the explicit and segregated
 * designs (CS:APP 9.9.13): list heads in ma_heap_t.lists[], a bitmap of the
 * non-empty ones, links inside the free blocks (BT_NEXT, BT_PREV of bt.h).
 *
 * Invariants (fl_check): for every list i and block b on it:
 *   BT_PREV(first) == NULL; BT_PREV(BT_NEXT(b)) == b; b is free;
 *   class_of(size(b)) == i; bitmap bit i == (lists[i] != NULL);
 *   order ADDR: b < BT_NEXT(b); order SIZE: size(b) <= size(BT_NEXT(b)).
 */
#ifndef VMLAB_MALLOC_FREE_LIST_H
#define VMLAB_MALLOC_FREE_LIST_H

#include "malloc/bt.h"

enum { FL_ANY = 0, FL_ADDR = 1, FL_SIZE = 2 };

/* BT_NEXT(b), checked in debug mode: a write after free into b's first
 * bytes is reported, not followed (ma_link_verify). */
static inline unsigned char *fl_next(const ma_heap_t *h, unsigned char *b)
{
    unsigned char *n = BT_NEXT(b);
    ma_link_verify(h, b, n);
    if (__builtin_expect(h->flags & (MA_POISON | MA_CANARY), 0) && n && BT_PREV(n) != b)
        ma_link_bad(b); /* the links disagree */
    return n;
}

/* Insert b into list i after `after` (NULL: at the head). */
static inline void fl_insert(ma_heap_t *h, unsigned i, unsigned char *after, unsigned char *b)
{
    unsigned char *n = after ? BT_NEXT(after) : (unsigned char *)ma_lists(h)->lists[i];
    BT_PREV(b) = after;
    BT_NEXT(b) = n;
    if (n)
        BT_PREV(n) = b;
    if (after)
        BT_NEXT(after) = b;
    else
        ma_lists(h)->lists[i] = b;
    ma_lists(h)->bitmap[i / 64] |= 1ull << (i % 64);
}

static inline void fl_remove(ma_heap_t *h, unsigned i, unsigned char *b)
{
    unsigned char *n = BT_NEXT(b), *p = BT_PREV(b);
    if (__builtin_expect(h->flags & (MA_POISON | MA_CANARY), 0)) {
        ma_link_check(h, b, n);
        ma_link_check(h, b, p);
        if ((n && BT_PREV(n) != b) || (p ? BT_NEXT(p) != b : ma_lists(h)->lists[i] != b))
            ma_link_bad(b);
    }
    if (n)
        BT_PREV(n) = p;
    if (p)
        BT_NEXT(p) = n;
    else {
        ma_lists(h)->lists[i] = n;
        if (!n)
            ma_lists(h)->bitmap[i / 64] &= ~(1ull << (i % 64));
    }
}

/* Walk lists [0, nlists) in order. */
int fl_walk(ma_heap_t *h, unsigned nlists, ma_walk_fn fn, void *ctx);
/* Verify lists [0, nlists); class_of NULL: every block on list 0.  Returns
 * the number of blocks on them. */
size_t fl_check(ma_heap_t *h, unsigned nlists, unsigned (*class_of)(size_t), int order);

#endif
