/* SPDX-License-Identifier: MIT */
/*
 * buddy.c - the binary buddy system with out-of-band state (see buddy.h):
 * the algorithm of base/buddy_core.h (split on allocation as mm/page_alloc.c
 * expand(), merge on free as __free_one_page()), which the malloc buddy
 * design shares, over one control byte per unit as SQLite's mem5 and
 * free-list links in two u32 arrays.
 */
#include "kmem/buddy.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

/* The shared algorithm's accessors: units are indices, the state out of band. */
#define VL_BUDDY_CTX buddy_t *
#define VL_BUDDY_REF uint32_t
#define VL_BUDDY_NIL BUDDY_NIL
#define VL_BUDDY_ASSERT VL_ASSERT
static inline uint32_t vlb_head(const buddy_t *b, unsigned k) { return b->head[k]; }
static inline void vlb_set_head(buddy_t *b, unsigned k, uint32_t i) { b->head[k] = i; }
static inline uint32_t vlb_next(const buddy_t *b, uint32_t i) { return b->next[i]; }
static inline uint32_t vlb_prev(const buddy_t *b, uint32_t i) { return b->prev[i]; }
static inline void vlb_set_next(buddy_t *b, uint32_t i, uint32_t x) { b->next[i] = x; }
static inline void vlb_set_prev(buddy_t *b, uint32_t i, uint32_t x) { b->prev[i] = x; }
static inline void vlb_mark_free(buddy_t *b, uint32_t i, unsigned k) { b->ctrl[i] = (uint8_t)(BUDDY_FREE | k); }
static inline void vlb_mark_used(buddy_t *b, uint32_t i, unsigned k) { b->ctrl[i] = (uint8_t)(BUDDY_USED | k); }
static inline void vlb_mark_inner(buddy_t *b, uint32_t i) { b->ctrl[i] = 0; }
static inline int vlb_is_free(const buddy_t *b, uint32_t i, unsigned k) { return b->ctrl[i] == (BUDDY_FREE | k); }
static inline void vlb_count(buddy_t *b, unsigned k, int delta)
{
    b->nr_free[k] += (uint64_t)(int64_t)delta;
    b->free_units += (uint64_t)(int64_t)delta << k;
}
static inline void vlb_unlinking(buddy_t *b, unsigned k, uint32_t i, uint32_t n, uint32_t p)
{
    (void)b, (void)k, (void)i, (void)n, (void)p;
}
static inline void vlb_taken(buddy_t *b, uint32_t i, unsigned k) { (void)b, (void)i, (void)k; }
static inline void vlb_splitting(buddy_t *b, uint32_t i, uint32_t u, unsigned k)
{
    (void)b, (void)i, (void)u, (void)k;
}
static inline void vlb_listed(buddy_t *b, uint32_t i, unsigned k)
{
    (void)k;
    VL_ASSERT(i < b->n);
}
#include "base/buddy_core.h"

int buddy_init(buddy_t *b, uint32_t n, unsigned max_order)
{
    if (max_order == 0 || max_order > BUDDY_ORDERS || n == 0 || n == BUDDY_NIL)
        return -EINVAL;
    *b = (buddy_t){.n = n, .max_order = max_order};
    b->ctrl = malloc(n);
    b->next = malloc((size_t)n * sizeof *b->next);
    b->prev = malloc((size_t)n * sizeof *b->prev);
    if (!b->ctrl || !b->next || !b->prev) {
        buddy_fini(b);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++)
        b->ctrl[i] = BUDDY_USED;
    for (unsigned k = 0; k < BUDDY_ORDERS; k++)
        b->head[k] = BUDDY_NIL;
    return 0;
}

void buddy_fini(buddy_t *b)
{
    free(b->ctrl);
    free(b->next);
    free(b->prev);
    b->ctrl = NULL;
    b->next = b->prev = NULL;
}

uint32_t buddy_alloc(buddy_t *b, unsigned k) { return vl_buddy_take(b, k, b->max_order); }

int buddy_free(buddy_t *b, uint32_t i, unsigned k)
{
    if (i >= b->n || b->ctrl[i] != (BUDDY_USED | k))
        return -EINVAL;
    vl_buddy_release(b, 0, b->n, i, k, b->max_order);
    return 0;
}

static void free_range_desc(buddy_t *b, uint32_t start, uint32_t end)
{
    /* the blocks of [start, end) from the last to the first, so that list
     * heads end up in ascending address order: Linux hands boot memory to
     * the buddy allocator at the tails of the lists (FPI_TO_TAIL), so the
     * first allocations come from the lowest addresses */
    uint32_t pos[64];
    unsigned ord[64], n = 0;
    while (start < end) {
        uint32_t s = start;
        unsigned k;
        n = 0;
        while (s < end && n < 64) {
            k = vl_buddy_range_order(s, end, b->max_order);
            pos[n] = s;
            ord[n++] = k;
            s += (uint32_t)1 << k;
        }
        if (s < end) { /* more than 64 blocks: the tail first */
            free_range_desc(b, s, end);
            end = s;
        }
        while (n--) {
            for (uint32_t u = pos[n] + 1; u < pos[n] + ((uint32_t)1 << ord[n]); u++)
                b->ctrl[u] = 0;
            b->ctrl[pos[n]] = (uint8_t)(BUDDY_USED | ord[n]);
            vl_buddy_release(b, 0, b->n, pos[n], ord[n], b->max_order);
        }
        end = start; /* done */
    }
}

void buddy_free_range(buddy_t *b, uint32_t start, uint32_t end) { free_range_desc(b, start, end); }

int buddy_unit_is_free(const buddy_t *b, uint32_t i)
{
    if (i >= b->n)
        return 0;
    for (unsigned k = 0; k < b->max_order; k++) {
        uint32_t h = i & ~(((uint32_t)1 << k) - 1);
        if (b->ctrl[h]) {
            unsigned o = b->ctrl[h] & BUDDY_ORDER_MASK;
            if (h + ((uint64_t)1 << o) > i)
                return (b->ctrl[h] & BUDDY_FREE) != 0;
        }
    }
    return 0;
}

void buddy_check(const buddy_t *b)
{
    uint64_t nfree[BUDDY_ORDERS] = {0}, units = 0;
    uint32_t i = 0;
    while (i < b->n) {
        uint8_t c = b->ctrl[i];
        unsigned k = c & BUDDY_ORDER_MASK;
        VL_ASSERT((c & (BUDDY_FREE | BUDDY_USED)) && !((c & BUDDY_FREE) && (c & BUDDY_USED)));
        VL_ASSERT(k < b->max_order && (i & (((uint32_t)1 << k) - 1)) == 0);
        VL_ASSERT((uint64_t)i + ((uint64_t)1 << k) <= b->n);
        for (uint32_t u = i + 1; u < i + ((uint32_t)1 << k); u++)
            VL_ASSERT(b->ctrl[u] == 0);
        if (c & BUDDY_FREE) {
            uint32_t bi = i ^ ((uint32_t)1 << k);
            nfree[k]++;
            units += (uint64_t)1 << k;
            VL_ASSERT(k + 1 == b->max_order || bi >= b->n || b->ctrl[bi] != (BUDDY_FREE | k));
        }
        i += (uint32_t)1 << k;
    }
    VL_ASSERT(i == b->n && units == b->free_units);
    for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
        /* the walk only reads: the cast is for the accessors' one signature */
        uint64_t len = vl_buddy_check_list((buddy_t *)(uintptr_t)b, k, nfree[k]);
        VL_ASSERT(len == nfree[k] && len == b->nr_free[k]);
    }
}
