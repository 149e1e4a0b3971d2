/* SPDX-License-Identifier: MIT */
/*
 * buddy.c - the binary buddy system with out-of-band state (see buddy.h):
 * split on allocation as mm/page_alloc.c expand(), merge on free as
 * __free_one_page(), one control byte per unit as SQLite's mem5.
 */
#include "kmem/buddy.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

static void list_push(buddy_t *b, unsigned k, uint32_t i)
{
    uint32_t h = b->head[k];
    b->prev[i] = BUDDY_NIL;
    b->next[i] = h;
    if (h != BUDDY_NIL)
        b->prev[h] = i;
    b->head[k] = i;
    b->ctrl[i] = (uint8_t)(BUDDY_FREE | k);
    b->nr_free[k]++;
    b->free_units += (uint64_t)1 << k;
}

static void list_del(buddy_t *b, unsigned k, uint32_t i)
{
    uint32_t n = b->next[i], p = b->prev[i];
    if (n != BUDDY_NIL)
        b->prev[n] = p;
    if (p != BUDDY_NIL)
        b->next[p] = n;
    else
        b->head[k] = n;
    b->nr_free[k]--;
    b->free_units -= (uint64_t)1 << k;
}

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

uint32_t buddy_alloc(buddy_t *b, unsigned k)
{
    unsigned j = k;
    uint32_t i;
    while (j < b->max_order && b->head[j] == BUDDY_NIL)
        j++;
    if (j >= b->max_order)
        return BUDDY_NIL;
    i = b->head[j];
    list_del(b, j, i);
    /* expand(): keep the lower half, free the upper one, down to order k */
    while (j > k) {
        j--;
        list_push(b, j, i + ((uint32_t)1 << j));
    }
    b->ctrl[i] = (uint8_t)(BUDDY_USED | k);
    return i;
}

/* Merge-and-push of a block that is not on any list; ctrl of i is rewritten. */
static void release(buddy_t *b, uint32_t i, unsigned k)
{
    while (k + 1 < b->max_order) {
        uint32_t bi = i ^ ((uint32_t)1 << k);
        if (bi >= b->n || b->ctrl[bi] != (BUDDY_FREE | k))
            break;
        list_del(b, k, bi);
        b->ctrl[bi] = 0;
        b->ctrl[i] = 0;
        i &= bi;
        k++;
    }
    list_push(b, k, i);
}

int buddy_free(buddy_t *b, uint32_t i, unsigned k)
{
    if (i >= b->n || b->ctrl[i] != (BUDDY_USED | k))
        return -EINVAL;
    release(b, i, k);
    return 0;
}

/* The largest aligned block starting at start and ending by end. */
static unsigned range_block(const buddy_t *b, uint32_t start, uint32_t end)
{
    unsigned k = b->max_order - 1;
    while (k > 0 && ((start & (((uint32_t)1 << k) - 1)) || start + ((uint64_t)1 << k) > end))
        k--;
    return k;
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
            k = range_block(b, s, end);
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
            release(b, pos[n], ord[n]);
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
        uint64_t len = 0;
        uint32_t prev = BUDDY_NIL;
        for (uint32_t x = b->head[k]; x != BUDDY_NIL; prev = x, x = b->next[x]) {
            VL_ASSERT(x < b->n && b->ctrl[x] == (BUDDY_FREE | k) && b->prev[x] == prev);
            VL_ASSERT(++len <= nfree[k]);
        }
        VL_ASSERT(len == nfree[k] && len == b->nr_free[k]);
    }
}
