/* SPDX-License-Identifier: MIT */
/*
 * tlbm.h - OSTEP ch. 19's TLB homework, measured on this machine: the time of
 * one memory access when a loop touches N pages, one access per page (a
 * stride of one page), for N from 1 up.  While the N translations fit the L1
 * data TLB every access hits it; past its size the time steps up (an L2 TLB
 * hit), and again past the L2 TLB (a page walk, whose entries may themselves
 * miss the caches).
 *
 * Method (the homework's tlb.c, redone): the pages are allocated and touched
 * once (no demand-paging faults in the timing), then the loop over the N
 * pages runs `loops` times per trial, timed with the monotonic clock; the
 * figure for N is the median over `trials` of (time / (N * loops)).  The
 * caller pins the thread to one CPU first (env_pin_cpu) so the TLB measured
 * stays the same.  Results are measurements: noisy, machine dependent.
 */
#ifndef VMLAB_TLBM_H
#define VMLAB_TLBM_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"

typedef struct tlbm_config {
    uint64_t page_size;  /* stride in bytes, a power of two (default 4096) */
    uint64_t accesses;   /* accesses per trial at least (loops = ceil(this / N)) */
    unsigned trials;     /* trials per N, the median is kept (>= 1) */
    /* Called between two N (never while timing; NULL: not at all): points
     * done, points in all, accesses made so far. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total, uint64_t count);
    void *progress_ctx;  /* progress's first argument */
} tlbm_config_t;

typedef struct tlbm_point {
    uint64_t pages;      /* N */
    double ns;           /* median time per access, nanoseconds */
    double ns_min;       /* fastest trial */
    uint64_t loops;      /* loops over the N pages per trial */
} tlbm_point_t;

/* Measure N = pages[i] for i in [0, n) into out[i].  0, or -ENOMEM /
 * -EINVAL with *d. */
int tlbm_measure(const tlbm_config_t *cfg, const uint64_t *pages, size_t n,
                 tlbm_point_t *out /* OUT */, diag_t *d);

#endif
