/* SPDX-License-Identifier: MIT */
/*
 * mrc.c - exact fault curves from stack-distance histograms (Mattson et al.
 * 1970): LRU through lru_stack.c, OPT through opt_stack.c, and Belady's
 * anomaly on any list of (frames, faults).
 */
#include "vmlab/mrc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mrc/lru_stack.h"
#include "mrc/opt_stack.h"

/* Turn hist[d] (d in [1, V]) into hits_le[f] for f in [0, V]. */
static int hist_finish(uint64_t *hist, size_t V, size_t n, uint64_t cold, mrc_hist_t *out)
{
    uint64_t *le = malloc((V + 1) * sizeof *le), acc = 0;
    if (!le)
        return -ENOMEM;
    le[0] = 0;
    for (size_t f = 1; f <= V; f++)
        le[f] = acc += hist[f];
    out->hits_le = le;
    out->size = V + 1;
    out->refs = n;
    out->cold = cold;
    out->distinct = V;
    return 0;
}

/* Number the pages densely, run one stack-distance pass over the ids, and
 * turn its histogram into *out.  `run` is lru_dense_run or opt_stack_run. */
static int dense_hist(const uint64_t *page, size_t n,
                      int (*run)(const uint32_t *, size_t, uint32_t, uint64_t *, uint64_t *),
                      const char *what, mrc_hist_t *out, diag_t *d)
{
    uint32_t *id = malloc((n ? n : 1) * sizeof *id), V = 0;
    uint64_t *hist = NULL, cold = 0;
    int rc = -ENOMEM;
    memset(out, 0, sizeof *out);
    if (id && opt_dense_ids(page, n, id, &V) == 0 &&
        (hist = calloc((size_t)V + 1, sizeof *hist)) != NULL && run(id, n, V, hist, &cold) == 0)
        rc = hist_finish(hist, V, n, cold, out);
    free(id);
    free(hist);
    if (rc)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for the %s stack distances", what);
    return 0;
}

int mrc_lru_hist(const uint64_t *page, size_t n, mrc_hist_t *out, diag_t *d)
{
    return dense_hist(page, n, lru_dense_run, "LRU", out, d);
}

int mrc_opt_hist(const uint64_t *page, size_t n, mrc_hist_t *out, diag_t *d)
{
    return dense_hist(page, n, opt_stack_run, "OPT", out, d);
}

uint64_t mrc_hist_faults(const mrc_hist_t *h, uint64_t frames)
{
    if (h->size == 0)
        return 0;
    if (frames >= h->size)
        frames = h->size - 1;
    return h->refs - h->hits_le[frames];
}

void mrc_hist_free(mrc_hist_t *h)
{
    if (!h)
        return;
    free(h->hits_le);
    memset(h, 0, sizeof *h);
}

size_t mrc_anomalies(const uint64_t *frames, const uint64_t *faults, size_t k, size_t *out)
{
    size_t m = 0;
    (void)frames;
    for (size_t i = 1; i < k; i++)
        if (faults[i] > faults[i - 1])
            out[m++] = i;
    return m;
}
