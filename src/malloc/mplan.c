/* SPDX-License-Identifier: MIT */
/*
 * mplan.c - the clairvoyant references of mplan.h: the live-block bound and
 * an offline greedy placement.
 *
 * The placement cuts the trace into blocks, one per 'a' or 'r' operation,
 * alive over the half-open operation interval [start, end) (end: the
 * operation that frees or reallocates it, or nops).  Two blocks conflict
 * when their intervals meet; blocks are placed one at a time in a fixed
 * order, each at the lowest offset where it overlaps no placed block it
 * conflicts with (a sweep over the placed blocks in offset order).  Two
 * orders are tried, the larger result dropped: size descending (lifetime
 * breaking ties), and size times lifetime descending.  O(n^2) in blocks
 * (the sweep reads every placed block below the gap, kept packed so that it
 * streams): 0.03-0.06 s for malloc-lab's largest traces, a minute for
 * 230 000 blocks (BENCHMARKS.md).  A treap by offset whose nodes summarise
 * their subtree's lifetimes (least start, greatest end, highest top) gives
 * the same plan but is 4 times slower on random traces: the sweep must
 * still climb through every block below the gap, and subtrees of mixed
 * lifetimes prune nothing.
 *
 * Invariant (checked in debug builds, and by replaying the plan: replay.c's
 * "offline" checks every payload): no two conflicting blocks overlap.
 */
#include "malloc/mplan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "malloc/heap.h"
#include "vmlab/check.h"

typedef struct mp_seg {
    size_t start, end; /* alive over operations [start, end) */
    size_t size;       /* block bytes (mp_block) */
    size_t op;         /* the operation that made it */
    size_t off;        /* placed offset */
} mp_seg_t;

size_t mp_block(size_t size, size_t align)
{
    size_t b = ma_round(size + MA_WORD, align);
    return b < 16 ? 16 : b;
}

size_t mp_fixed(void) { return MA_REGION_HDR + MA_WORD; }

/* The blocks of t, in operation order; NULL on ENOMEM. */
static mp_seg_t *segments(const mr_trace_t *t, size_t align, size_t *n /* OUT */)
{
    mp_seg_t *s = malloc((t->nops + 1) * sizeof *s);
    size_t *cur = malloc((t->nids + 1) * sizeof *cur), k = 0;
    if (!s || !cur) {
        free(s);
        free(cur);
        return NULL;
    }
    for (size_t i = 0; i < t->nops; i++) {
        const mr_op_t *o = &t->ops[i];
        if (o->type != 'a')
            s[cur[o->id]].end = i; /* freed or reallocated: this block ends */
        if (o->type == 'f' || (o->type == 'r' && o->size == 0))
            continue; /* realloc(p, 0) frees */
        s[k] = (mp_seg_t){i, t->nops, mp_block(o->size, align), i, 0};
        cur[o->id] = k++;
    }
    free(cur);
    *n = k;
    return s;
}

int mp_live_bound(const mr_trace_t *t, size_t align, size_t *bound)
{
    size_t *cur = calloc(t->nids + 1, sizeof *cur), live = 0, peak = 0;
    *bound = 0;
    if (!cur)
        return -ENOMEM;
    for (size_t i = 0; i < t->nops; i++) {
        const mr_op_t *o = &t->ops[i];
        size_t b = o->type == 'f' || (o->type == 'r' && o->size == 0) ? 0 : mp_block(o->size, align);
        live = live - cur[o->id] + b;
        cur[o->id] = b;
        if (live > peak)
            peak = live;
    }
    free(cur);
    *bound = peak;
    return 0;
}

static int by_size(const void *x, const void *y)
{
    const mp_seg_t *a = *(mp_seg_t *const *)x, *b = *(mp_seg_t *const *)y;
    size_t la = a->end - a->start, lb = b->end - b->start;
    if (a->size != b->size)
        return a->size < b->size ? 1 : -1;
    if (la != lb)
        return la < lb ? 1 : -1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static int by_area(const void *x, const void *y)
{
    const mp_seg_t *a = *(mp_seg_t *const *)x, *b = *(mp_seg_t *const *)y;
    double aa = (double)a->size * (double)(a->end - a->start);
    double ab = (double)b->size * (double)(b->end - b->start);
    if (aa != ab)
        return aa < ab ? 1 : -1;
    return by_size(x, y);
}

/* A placed block as the placement scans it: packed, so the scan reads
 * consecutive memory instead of chasing a pointer per block. */
typedef struct mp_placed {
    size_t start, end; /* the block's [start, end) */
    size_t off, top;   /* its placed bytes [off, top) */
} mp_placed_t;

/* Place the blocks in the order of ord[0, n); the extent. */
static size_t place_all(mp_seg_t **ord, size_t n, mp_placed_t *placed /* scratch, n */)
{
    size_t np = 0, extent = 0;
    for (size_t i = 0; i < n; i++) {
        mp_seg_t *s = ord[i];
        size_t cand = 0, pos = 0;
        /* placed[] is sorted by offset: the first gap of s->size among the
         * blocks that conflict with s is where it goes */
        for (size_t j = 0; j < np; j++) {
            const mp_placed_t *p = &placed[j];
            if (p->start >= s->end || s->start >= p->end)
                continue;
            if (p->off >= cand + s->size)
                break;
            if (p->top > cand)
                cand = p->top;
        }
        s->off = cand;
        if (cand + s->size > extent)
            extent = cand + s->size;
        /* insert by offset (binary search, then shift) */
        size_t lo = 0, hi = np;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (placed[mid].off <= cand)
                lo = mid + 1;
            else
                hi = mid;
        }
        pos = lo;
        memmove(placed + pos + 1, placed + pos, (np - pos) * sizeof *placed);
        placed[pos] = (mp_placed_t){s->start, s->end, cand, cand + s->size};
        np++;
    }
    return extent;
}

/* Debug: no two conflicting blocks overlap (O(n^2)). */
static void plan_check(const mp_seg_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (s[i].start < s[j].end && s[j].start < s[i].end)
                VL_ASSERT(s[i].off + s[i].size <= s[j].off || s[j].off + s[j].size <= s[i].off);
}

int mp_plan(const mr_trace_t *t, size_t align, size_t *off, size_t *extent)
{
    static int (*const orders[])(const void *, const void *) = {by_size, by_area};
    size_t n = 0, best = SIZE_MAX;
    mp_seg_t *s = segments(t, align, &n);
    mp_seg_t **ord = malloc((n + 1) * sizeof *ord);
    mp_placed_t *placed = malloc((n + 1) * sizeof *placed);
    size_t *bestoff = malloc((n + 1) * sizeof *bestoff);
    if (!s || !ord || !placed || !bestoff) {
        free(s);
        free(ord);
        free(placed);
        free(bestoff);
        return -ENOMEM;
    }
    for (size_t k = 0; k < sizeof orders / sizeof orders[0]; k++) {
        size_t e;
        for (size_t i = 0; i < n; i++)
            ord[i] = &s[i];
        qsort(ord, n, sizeof *ord, orders[k]);
        e = place_all(ord, n, placed);
        if (e < best) {
            best = e;
            for (size_t i = 0; i < n; i++)
                bestoff[i] = s[i].off;
        }
    }
    memset(off, 0, t->nops * sizeof *off);
    for (size_t i = 0; i < n; i++) {
        s[i].off = bestoff[i];
        off[s[i].op] = bestoff[i];
    }
    VL_DEBUG_CHECK(plan_check(s, n));
    *extent = n ? best : 0;
    free(s);
    free(ord);
    free(placed);
    free(bestoff);
    return 0;
}
