/* SPDX-License-Identifier: MIT */
/*
 * implicit_next.c - implicit free list, next fit (Knuth TAOCP 2.5, exercise
 * 6; CS:APP 9.9.7).
 *
 * Like first fit, but each search starts where the last one stopped (the
 * rover, kept on a block header by bt.c when blocks merge), so the splinters
 * at the start are not walked again and again; the cost is worse
 * fragmentation, as Knuth and Wilson et al. (1995) observe.
 */
#include "malloc/bt.h"

/* The design's state (ma_state). */
typedef struct next_state {
    unsigned char *rover; /* where the next search starts: a block header, or
                             NULL before the first search */
    int rover_seen;       /* next_check_block: the rover was met this walk */
} next_state_t;

static inline next_state_t *nst(const ma_heap_t *h)
{
    return ma_state(h);
}

/* Blocks merged into [b, b + size): a rover inside it moves to b. */
static void next_merged(ma_heap_t *h, unsigned char *b, size_t size)
{
    next_state_t *s = nst(h);
    if (s->rover > b && s->rover < b + size)
        s->rover = b;
}

/* Invariant: the rover is NULL or on a block header. */
static void next_check_block(ma_heap_t *h, const unsigned char *b)
{
    next_state_t *s = nst(h);
    if (b == NULL) {
        MA_ASSERT(s->rover == NULL || s->rover_seen);
        s->rover_seen = 0;
    } else if (b == s->rover) {
        s->rover_seen = 1;
    }
}

static unsigned char *next_find(ma_heap_t *h, size_t asize)
{
    unsigned char *start = nst(h)->rover ? nst(h)->rover : bt_first(h), *b = start;
    if (!b)
        return NULL;
    do {
        if (!(ma_hdr(b) & MA_F_ALLOC) && ma_bsize(b) >= asize) {
            nst(h)->rover = b;
            return b;
        }
        b = bt_next(h, b);
        if (!b)
            b = bt_first(h);
    } while (b != start);
    return NULL;
}

static const bt_policy_t next_policy = {
    .meta = 8, .find = next_find, .merged = next_merged, .check_block = next_check_block,
    .linear = 1};

const ma_design_t ma_implicit_next = BT_DESIGN_STATE(
    "implicit-next", "implicit free list, next fit (a roving pointer)", &next_policy,
    sizeof(next_state_t));
