/* SPDX-License-Identifier: MIT */
/*
 * tlbm.c - the TLB-size measurement of OSTEP ch. 19's homework (see
 * include/vmlab/tlbm.h).  One buffer of the largest N pages serves every N;
 * it is written once before any timing so every page is present.  The loop
 * is a pointer chase: each page holds the index of the next page's slot, so
 * every access waits for the one before and a TLB miss's cost is not hidden
 * by overlapping independent loads (the homework's tlb.c increments
 * independent words, which out-of-order cores overlap, flattening the L1
 * TLB's step).
 *
 * Page p is accessed at byte (p mod (page_size / 64)) * 64 of its page, not
 * at byte 0: with a stride of exactly one page every access falls in the
 * same L1 cache set, and an 8-way L1 would then miss from the ninth page on,
 * a cache step that looks like a TLB step (the homework's tlb.c has it).
 * Spread over the sets, the data stay in the caches and the steps left are
 * the TLB's.
 */
#include "vmlab/tlbm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/env.h"

/* Where page p's access lands, in size_t units from the buffer's start. */
static size_t slot(uint64_t p, uint64_t ps)
{
    uint64_t lines = ps >= 64 ? ps / 64 : 1;
    return (size_t)((p * ps + (p % lines) * (ps >= 64 ? 64 : 0)) / sizeof(size_t));
}

/* The chase's last index, so the compiler must compute it. */
volatile size_t tlbm_sink;

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int tlbm_measure(const tlbm_config_t *cfg, const uint64_t *pages, size_t n, tlbm_point_t *out,
                 diag_t *d)
{
    uint64_t maxp = 0, ps = cfg->page_size;
    unsigned trials = cfg->trials ? cfg->trials : 1;
    double *t;
    unsigned char *buf;
    if (!ps || (ps & (ps - 1)) || ps < sizeof(size_t))
        return diag_set(d, NULL, 0, EINVAL, "page size %llu (expected a power of two >= %zu)",
                        (unsigned long long)ps, sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        if (pages[i] == 0)
            return diag_set(d, NULL, 0, EINVAL, "0 pages (expected at least 1)");
        if (pages[i] > maxp)
            maxp = pages[i];
    }
    if (maxp > (1ull << 40) / ps)
        return diag_set(d, NULL, 0, EINVAL, "%llu pages of %llu bytes is too much memory",
                        (unsigned long long)maxp, (unsigned long long)ps);
    /* Base pages only: a transparent huge page would map 512 of them with one
     * TLB entry and hide the steps. */
    buf = env_small_pages_alloc(maxp * ps + ps);
    t = malloc(trials * sizeof *t);
    if (!buf || !t) {
        env_small_pages_free(buf, maxp * ps + ps);
        free(t);
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for %llu pages",
                        (unsigned long long)maxp);
    }
    memset(buf, 1, maxp * ps + ps);
    uint64_t made = 0; /* accesses so far, for progress */
    for (size_t i = 0; i < n; i++) {
        uint64_t np = pages[i], loops = (cfg->accesses + np - 1) / np;
        size_t *a = (size_t *)(void *)buf, cur = 0;
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, i, n, made);
        made += loops * np * cfg->trials;
        if (loops == 0)
            loops = 1;
        /* The chain: the slot of page p holds the slot index of page p + 1. */
        for (uint64_t p = 0; p < np; p++)
            a[slot(p, ps)] = slot(p + 1 == np ? 0 : p + 1, ps);
        for (unsigned k = 0; k < trials; k++) {
            uint64_t t0 = env_now_ns();
            for (uint64_t m = loops * np; m > 0; m--)
                cur = ((volatile size_t *)a)[cur];
            t[k] = (double)(env_now_ns() - t0) / (double)(np * loops);
        }
        tlbm_sink = cur;
        qsort(t, trials, sizeof *t, cmp_dbl);
        out[i] = (tlbm_point_t){.pages = np, .ns = t[trials / 2], .ns_min = t[0], .loops = loops};
    }
    env_small_pages_free(buf, maxp * ps + ps);
    free(t);
    return 0;
}
