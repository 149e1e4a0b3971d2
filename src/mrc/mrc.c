/* SPDX-License-Identifier: MIT */
/*
 * mrc.c - exact fault curves from stack-distance histograms (Mattson et al.
 * 1970): LRU through lru_stack.c, OPT through opt_stack.c, both streamed
 * over dense page ids (dense_ids.c), and Belady's
 * anomaly on any list of (frames, faults).
 */
#include "vmlab/mrc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mrc/dense_ids.h"
#include "mrc/lru_stack.h"
#include "mrc/opt_stack.h"

/* Turn hist[d] (d in [1, V]) into hits_le[f] for f in [0, V]. */
int mrc_hist_from(const uint64_t *hist, uint32_t V, uint64_t refs, uint64_t cold, mrc_hist_t *out)
{
    uint64_t *le = malloc(((size_t)V + 1) * sizeof *le), acc = 0;
    memset(out, 0, sizeof *out);
    if (!le)
        return -ENOMEM;
    le[0] = 0;
    for (size_t f = 1; f <= V; f++)
        le[f] = acc += hist[f];
    out->hits_le = le;
    out->size = (size_t)V + 1;
    out->refs = refs;
    out->cold = cold;
    out->distinct = V;
    return 0;
}

/* Number the pages densely a chunk at a time and feed the ids to one
 * streaming engine (lru or opt), then turn its histogram into *out.  Never
 * more than a chunk of ids is held: O(distinct) memory. */
#define CHUNK 65536
static int dense_hist(const uint64_t *page, size_t n, int opt, mrc_hist_t *out, diag_t *d)
{
    uint32_t *id = malloc(CHUNK * sizeof *id), V = 0;
    dense_ids_t *m = dense_ids_new();
    lru_dense_t *L = opt ? NULL : lru_dense_new();
    opt_dense_t *O = opt ? opt_dense_new() : NULL;
    const uint64_t *hist;
    uint64_t cold = 0;
    int rc = id && m && (L || O) ? 0 : -ENOMEM;
    memset(out, 0, sizeof *out);
    for (size_t at = 0; rc == 0 && at < n; at += CHUNK) {
        size_t k = n - at < CHUNK ? n - at : CHUNK;
        rc = dense_ids_map(m, page + at, k, id, NULL);
        if (rc == 0)
            rc = opt ? opt_dense_feed(O, id, k) : lru_dense_feed(L, id, k);
    }
    if (rc == 0) {
        hist = opt ? opt_dense_hist(O, &V, &cold) : lru_dense_hist(L, &V, &cold);
        rc = mrc_hist_from(hist, V, n, cold, out);
    }
    free(id);
    dense_ids_free(m);
    lru_dense_free(L);
    opt_dense_free(O);
    if (rc)
        return diag_set(d, NULL, 0, -rc, "out of memory for the %s stack distances",
                        opt ? "OPT" : "LRU");
    return 0;
}

int mrc_lru_hist(const uint64_t *page, size_t n, mrc_hist_t *out, diag_t *d)
{
    return dense_hist(page, n, 0, out, d);
}

int mrc_opt_hist(const uint64_t *page, size_t n, mrc_hist_t *out, diag_t *d)
{
    return dense_hist(page, n, 1, out, d);
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
