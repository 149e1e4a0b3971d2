/* SPDX-License-Identifier: MIT */
/*
 * freelist.h - OSTEP's free-space homework model (ch. 17, vm-freespace/
 * malloc.py): a heap of fixed size at a base address, managed by one free
 * list of (address, size) chunks with a chosen fit policy, list order and
 * coalescing.  A model to reason with, not an allocator: nothing is stored
 * in the heap, headers are only counted.
 *
 * Rules (the homework's):
 *   alloc(n)  n is rounded up to a multiple of align (unless align is 0:
 *             none), then the header size is added; the list is scanned in
 *             its order, counting every element looked at: first fit stops at
 *             the first chunk big enough, best fit takes the smallest big
 *             enough (the earliest of equals), worst fit the largest (the
 *             earliest of equals).  The chunk is split at its low end: the
 *             request takes [addr, addr + n) and the remainder, however small
 *             (a header-only chunk too), stays in the chunk's list position.
 *             Returns the chunk address or -1.
 *   free(a)   -1 unless a is an allocated chunk's address; otherwise the chunk
 *             goes back by the list order: at the back or front, or appended
 *             and the list stably sorted by address or size (ascending or
 *             descending); with coalescing the list is then scanned once and
 *             each element that starts where the previous merged one ends is
 *             merged into it (in a size-sorted list neighbours in memory may
 *             stay apart, as in the homework).
 * Invariants (flm_check): chunks and allocations are disjoint, inside
 * [base, base + size), and together cover it exactly; no chunk is empty.
 */
#ifndef VMLAB_FREELIST_H
#define VMLAB_FREELIST_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"

typedef enum flm_policy { FLM_BEST = 0, FLM_WORST, FLM_FIRST } flm_policy_t;
typedef enum flm_order {
    FLM_ADDRSORT = 0,  /* ADDRSORT */
    FLM_SIZESORT_UP,   /* SIZESORT+ */
    FLM_SIZESORT_DOWN, /* SIZESORT- */
    FLM_INSERT_FRONT,  /* INSERT-FRONT */
    FLM_INSERT_BACK,   /* INSERT-BACK */
} flm_order_t;

typedef struct flm_config {
    uint64_t size;      /* heap bytes (-S, default 100) */
    uint64_t base;      /* address of its first byte (-b, default 1000) */
    uint64_t header;    /* header bytes added to every request (-H, default 0) */
    uint64_t align;     /* round requests up to a multiple (-a); 0: no alignment */
    flm_policy_t policy; /* -p */
    flm_order_t order;   /* -l */
    int coalesce;       /* -C */
} flm_config_t;

typedef struct flm flm_t;

/* The homework's defaults. */
flm_config_t flm_config_default(void);
/* BEST, WORST, FIRST (any case) -> policy; -1 if unknown. */
int flm_policy_parse(const char *s);
/* ADDRSORT, SIZESORT+, SIZESORT-, INSERT-FRONT, INSERT-BACK -> order; -1. */
int flm_order_parse(const char *s);
const char *flm_policy_name(flm_policy_t p);
const char *flm_order_name(flm_order_t o);

/* A fresh heap: one free chunk [base, base + size).  NULL on ENOMEM or a
 * size of 0 or base + size overflowing. */
flm_t *flm_new(const flm_config_t *cfg);
void flm_free_all(flm_t *f);
/* alloc(n): the chunk address or -1; *searched = elements looked at.
 * -1 with *searched 0 also when out of memory for the bookkeeping. */
int64_t flm_alloc(flm_t *f, uint64_t n, uint64_t *searched /* OUT */);
/* free(addr): 0, or -1 if addr is not an allocated chunk. */
int flm_release(flm_t *f, uint64_t addr);
/* The free list now, in its order. */
size_t flm_count(const flm_t *f);
void flm_get(const flm_t *f, size_t i, uint64_t *addr /* OUT */, uint64_t *size /* OUT */);
/* Abort (VL_ASSERT) if an invariant above is broken. */
void flm_check(const flm_t *f);

/* ---- the homework's operation sequences (flm_script.c) ------------------- */

typedef enum flm_ev_kind { FLM_EV_ALLOC, FLM_EV_FREE, FLM_EV_SKIP } flm_ev_kind_t;

/* One operation done, as malloc.py prints it. */
typedef struct flm_event {
    flm_ev_kind_t kind; /* alloc, free, or a free of an index that is skipped */
    uint64_t index;    /* alloc: the new ptr[] index; free/skip: the index freed */
    uint64_t size;     /* alloc: the size asked */
    int64_t ptr;       /* alloc: the address returned or -1; free: 0 or -1 */
    uint64_t searched; /* alloc: elements searched */
} flm_event_t;

typedef void (*flm_event_fn)(void *ctx, const flm_t *f, const flm_event_t *e);

/* Run "+10,-0,+20" (malloc.py -A): +N allocates N, -I frees ptr[I].  As in
 * malloc.py, -I is skipped (FLM_EV_SKIP) when I is not below the number of
 * successful allocations so far; ptr[I] of a failed allocation is skipped
 * too (malloc.py stops with a KeyError there).  0, or -EINVAL with *d (the
 * element at fault) before anything runs. */
int flm_script_run(flm_t *f, const char *list, flm_event_fn fn, void *ctx, diag_t *d);

/* Random operations (malloc.py without -A): nops operations, each an
 * allocation of 1..range bytes with probability pct/100, else a free of a
 * uniformly chosen live allocation (none live: draw again).  vmlab's RNG:
 * the same seed gives another sequence than Python's.  pct in 1..100. */
int flm_random_run(flm_t *f, uint64_t seed, uint64_t nops, uint64_t range, unsigned pct,
                  flm_event_fn fn, void *ctx, diag_t *d);

#endif
