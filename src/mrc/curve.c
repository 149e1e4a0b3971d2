/* SPDX-License-Identifier: MIT */
/*
 * curve.c - one policy's fault curve at chosen frame counts: LRU and OPT
 * from their exact one-pass histograms (mrc.c), every other policy of the
 * simulator's table by one simulation per frame count (sim_run_pages, which
 * shares one read of the trace among its jobs and spreads them over all
 * cores).  So `vmlab mrc` and `vmlab sim` agree at every size by
 * construction for the simulated policies, and by Mattson's inclusion
 * property (checked in tests) for LRU and OPT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mrc/dense_ids.h"
#include "vmlab/mrc.h"
#include "vmlab/sim.h"
#include "vmlab/trace.h"

int64_t mrc_distinct(const uint64_t *page, size_t n)
{
    enum { CHUNK = 65536 };
    uint32_t *id = malloc(CHUNK * sizeof *id);
    dense_ids_t *m = dense_ids_new();
    int rc = id && m ? 0 : -ENOMEM;
    int64_t V;
    for (size_t at = 0; rc == 0 && at < n; at += CHUNK)
        rc = dense_ids_map(m, page + at, n - at < CHUNK ? n - at : CHUNK, id, NULL);
    V = rc ? rc : (int64_t)dense_ids_count(m);
    free(id);
    dense_ids_free(m);
    return V;
}

int mrc_keys(const trace_pages_t *tp, uint64_t **key, diag_t *d)
{
    uint64_t *k = malloc((tp->n ? tp->n : 1) * sizeof *k);
    if (!k)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for %zu references", tp->n);
    for (size_t i = 0; i < tp->n; i++) {
        k[i] = tp->page[i];
        if (tp->pid) {
            if (k[i] >> 48) {
                uintmax_t bad = k[i];
                free(k);
                return diag_set(d, NULL, 0, ERANGE,
                                "page %#jx of a multi-process trace is beyond 2^48 "
                                "(expected a larger page size)", bad);
            }
            k[i] |= (uint64_t)tp->pid[i] << 48;
        }
    }
    *key = k;
    return 0;
}

int mrc_policy_faults(const char *policy, const uint64_t *key, const trace_pages_t *tp,
                      unsigned page_bits, const uint64_t *frames, size_t k, uint64_t *faults,
                      diag_t *d)
{
    int rc = 0;
    if (strcmp(policy, "lru") == 0 || strcmp(policy, "opt") == 0) {
        mrc_hist_t h;
        rc = (policy[0] == 'l' ? mrc_lru_hist : mrc_opt_hist)(key, tp->n, &h, d);
        if (rc)
            return rc;
        for (size_t i = 0; i < k; i++)
            faults[i] = mrc_hist_faults(&h, frames[i]);
        mrc_hist_free(&h);
        return 0;
    }
    {
        sim_config_t cfg = sim_config_default();
        sim_job_t *jobs = calloc(k ? k : 1, sizeof *jobs);
        sim_result_t *res = calloc(k ? k : 1, sizeof *res);
        if (!jobs || !res) {
            free(jobs), free(res);
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for %zu simulations", k);
        }
        uint64_t most = 0;
        cfg.page_bits = page_bits;
        for (size_t i = 0; i < k; i++)
            most = frames[i] > most ? frames[i] : most;
        if (most > 65536) {
            /* With at least as many frames as distinct pages nothing is
             * evicted: every policy faults once a page.  Simulating with
             * that many frames gives the same count without allocating
             * billions of frames. */
            int64_t v = mrc_distinct(key, tp->n);
            most = v > 0 ? (uint64_t)v : 1;
        }
        for (size_t i = 0; i < k; i++)
            jobs[i].policy = policy, jobs[i].frames = frames[i] < most ? frames[i] : most;
        /* At most MRC_SWEEP_JOBS simulations at a time: each holds its own
         * per-page and per-frame state (about 1 MB on a course trace), so
         * `-n 1-20000` all at once once took 14 GB.  Each chunk maps the
         * trace's pages again, a small cost next to its simulations. */
        for (size_t at = 0; at < k && rc == 0; at += MRC_SWEEP_JOBS) {
            size_t m = k - at < MRC_SWEEP_JOBS ? k - at : MRC_SWEEP_JOBS;
            rc = sim_run_pages(&cfg, jobs + at, m, tp, res + at, d);
            if (rc == 0)
                for (size_t i = at; i < at + m; i++) {
                    faults[i] = res[i].total.page_faults;
                    sim_result_free(&res[i]);
                }
        }
        free(jobs), free(res);
        return rc;
    }
}
