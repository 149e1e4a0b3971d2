/* SPDX-License-Identifier: MIT */
/*
 * ilist.h - intrusive doubly linked lists over preallocated u32 node indices.
 *
 * The lists of ARC, CAR, LIRS, 2Q, SIEVE, LFU/MFU: nodes are frame numbers
 * or dense page ids, links live in one array of ilink_t indexed by node
 * (allocated by the policy in init/grow), so a list operation is a few loads
 * and stores and never allocates.  Several lists may share one link array
 * as long as a node is on at most one of them at a time (T1 and T2 share
 * the frame links, B1 and B2 the page links).
 *
 * Orientation: `head` is the front (the oldest, LRU or eviction end), `tail`
 * the back (newest, MRU).  Invariants (ilist_check): following next from
 * head visits exactly n nodes, ends at tail, and prev mirrors next.
 */
#ifndef VMLAB_SIM_ILIST_H
#define VMLAB_SIM_ILIST_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"

#define ILIST_NIL UINT32_MAX

typedef struct ilink {
    uint32_t prev; /* toward the head (older), ILIST_NIL at the head */
    uint32_t next; /* toward the tail (newer), ILIST_NIL at the tail */
} ilink_t;

typedef struct ilist {
    uint32_t head; /* front: oldest; ILIST_NIL if empty */
    uint32_t tail; /* back: newest; ILIST_NIL if empty */
    uint32_t n;    /* nodes on the list */
} ilist_t;

static inline void ilist_init(ilist_t *l)
{
    l->head = l->tail = ILIST_NIL;
    l->n = 0;
}

/* The links of node x when nodes are `stride` bytes apart starting at L
 * (a policy may embed its links in a bigger per-page record, so one cache
 * line holds everything it touches for that page).  The functions below
 * come in two forms: NAME_s takes the stride, NAME assumes a plain ilink_t
 * array; both inline to the same code. */
#define ILINK(L, stride, x) ((ilink_t *)((char *)(L) + (size_t)(x) * (stride)))

/* Append x at the back (newest end). */
static inline void ilist_push_back_s(ilist_t *l, ilink_t *L, size_t st, uint32_t x)
{
    ILINK(L, st, x)->prev = l->tail;
    ILINK(L, st, x)->next = ILIST_NIL;
    if (l->tail != ILIST_NIL)
        ILINK(L, st, l->tail)->next = x;
    else
        l->head = x;
    l->tail = x;
    l->n++;
}

/* Insert x at the front (oldest end). */
static inline void ilist_push_front_s(ilist_t *l, ilink_t *L, size_t st, uint32_t x)
{
    ILINK(L, st, x)->next = l->head;
    ILINK(L, st, x)->prev = ILIST_NIL;
    if (l->head != ILIST_NIL)
        ILINK(L, st, l->head)->prev = x;
    else
        l->tail = x;
    l->head = x;
    l->n++;
}

/* Insert x right after `at` (on l). */
static inline void ilist_insert_after_s(ilist_t *l, ilink_t *L, size_t st, uint32_t at, uint32_t x)
{
    uint32_t n = ILINK(L, st, at)->next;
    ILINK(L, st, x)->prev = at;
    ILINK(L, st, x)->next = n;
    ILINK(L, st, at)->next = x;
    if (n != ILIST_NIL)
        ILINK(L, st, n)->prev = x;
    else
        l->tail = x;
    l->n++;
}

/* Unlink x, which must be on l. */
static inline void ilist_remove_s(ilist_t *l, ilink_t *L, size_t st, uint32_t x)
{
    uint32_t p = ILINK(L, st, x)->prev, n = ILINK(L, st, x)->next;
    if (p != ILIST_NIL)
        ILINK(L, st, p)->next = n;
    else
        l->head = n;
    if (n != ILIST_NIL)
        ILINK(L, st, n)->prev = p;
    else
        l->tail = p;
    l->n--;
}

/* Remove and return the front node; l must not be empty. */
static inline uint32_t ilist_pop_front_s(ilist_t *l, ilink_t *L, size_t st)
{
    uint32_t x = l->head;
    ilist_remove_s(l, L, st, x);
    return x;
}

/* Move x (on l) to the back. */
static inline void ilist_move_back_s(ilist_t *l, ilink_t *L, size_t st, uint32_t x)
{
    if (l->tail == x)
        return;
    ilist_remove_s(l, L, st, x);
    ilist_push_back_s(l, L, st, x);
}

#define ilist_push_back(l, L, x) ilist_push_back_s(l, L, sizeof(ilink_t), x)
#define ilist_push_front(l, L, x) ilist_push_front_s(l, L, sizeof(ilink_t), x)
#define ilist_insert_after(l, L, at, x) ilist_insert_after_s(l, L, sizeof(ilink_t), at, x)
#define ilist_remove(l, L, x) ilist_remove_s(l, L, sizeof(ilink_t), x)
#define ilist_pop_front(l, L) ilist_pop_front_s(l, L, sizeof(ilink_t))
#define ilist_move_back(l, L, x) ilist_move_back_s(l, L, sizeof(ilink_t), x)

/* Abort unless l is well formed over L and holds only nodes < bound;
 * `on(x)` style membership is checked by the caller. */
static inline void ilist_check_s(const ilist_t *l, ilink_t *L, size_t st, uint32_t bound)
{
    uint32_t n = 0, last = ILIST_NIL;
    for (uint32_t x = l->head; x != ILIST_NIL; x = ILINK(L, st, x)->next) {
        VL_ASSERT(x < bound);
        VL_ASSERT(ILINK(L, st, x)->prev == last);
        VL_ASSERT(++n <= l->n);
        last = x;
    }
    VL_ASSERT(l->tail == last);
    VL_ASSERT(n == l->n);
}
#define ilist_check(l, L, bound) ilist_check_s(l, (ilink_t *)(L), sizeof(ilink_t), bound)

/* Resize a per-page array (policies' ghost state, indexed by dense page id)
 * from `old` to `cap` elements of `esz` bytes, filling the new ones with the
 * byte `fill` (0xff makes ILIST_NIL links).  0 or -ENOMEM (*arr unchanged). */
static inline int ilist_grow_array(void **arr, size_t esz, uint32_t old, uint32_t cap, int fill)
{
    unsigned char *a = realloc(*arr, (size_t)cap * esz);
    if (!a)
        return -ENOMEM;
    memset(a + (size_t)old * esz, fill, (size_t)(cap - old) * esz);
    *arr = a;
    return 0;
}

/* The capacity to grow a per-page array to so that ids < need fit:
 * doubling, so the core's page-by-page growth costs O(1) amortised. */
static inline uint32_t ilist_grow_cap(uint32_t cap, uint32_t need)
{
    uint64_t c = cap ? cap : 1024;
    while (c < need)
        c *= 2;
    return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

#endif
