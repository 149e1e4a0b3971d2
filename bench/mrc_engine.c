/* SPDX-License-Identifier: MIT */
/*
 * mrc_engine.c - time vmlab's fault-curve engines on an in-memory trace, as
 * bench/bench_mrc.sh needs them: the trace is gen_trace's raw little-endian
 * u64 ids (FILE.ids.u64), so reading is not what is measured.
 *
 *   mrc_engine lru|opt FILE.ids.u64            exact curve: refs/s
 *   mrc_engine shards FILE.ids.u64 RATE [MAX]  SHARDS: refs/s and its mean
 *                                              absolute error against exact LRU
 *   mrc_engine optsim FILE.ids.u64 F1 F2 ...   one OPT simulation per size,
 *                                              one after another (sim library,
 *                                              one thread): the time to beat
 * Prints one line "ENGINE refs R seconds S Mrefs/s X [mae E]" and the miss
 * ratio at a few sizes (the ones baseline.c prints).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmlab/env.h"
#include "vmlab/mrc.h"
#include "vmlab/sim.h"
#include "vmlab/trace.h"

/* CPU time of this thread in ns: steadier than wall time on a shared box. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const uint64_t sizes[] = {7626, 76267, 100000, 381334};
    char *data;
    size_t len, n;
    uint64_t *ids, t0, t1, c0, c1;
    diag_t d;
    mrc_hist_t h;
    if (argc < 3) {
        fprintf(stderr, "usage: mrc_engine lru|opt|shards|optsim FILE.ids.u64 [RATE [MAX] | SIZES]\n");
        return 2;
    }
    if (env_read_file(argv[2], &data, &len, &d)) {
        fprintf(stderr, "mrc_engine: %s: %s\n", argv[2], d.msg);
        return 1;
    }
    n = len / 8;
    ids = malloc(n * sizeof *ids);
    memcpy(ids, data, n * 8);
    free(data);
    if (strcmp(argv[1], "lru") == 0 || strcmp(argv[1], "opt") == 0) {
        int opt = argv[1][0] == 'o';
        t0 = env_now_ns(), c0 = cpu_ns();
        if ((opt ? mrc_opt_hist : mrc_lru_hist)(ids, n, &h, &d)) {
            fprintf(stderr, "mrc_engine: %s\n", d.msg);
            return 1;
        }
        t1 = env_now_ns(), c1 = cpu_ns();
        printf("%s refs %zu seconds %.3f Mrefs/s %.2f cpu-seconds %.3f cpu-Mrefs/s %.2f\n",
               argv[1], n, (t1 - t0) / 1e9, n / ((t1 - t0) / 1e3), (c1 - c0) / 1e9,
               n / ((c1 - c0) / 1e3));
        for (int k = 0; k < 4; k++)
            printf("  %s miss ratio @%" PRIu64 " = %.4f\n", argv[1], sizes[k],
                   (double)mrc_hist_faults(&h, sizes[k]) / n);
        mrc_hist_free(&h);
    } else if (strcmp(argv[1], "shards") == 0 && argc >= 4) {
        mrc_shards_opts_t o = {.rate = atof(argv[3]), .max_keys = argc > 4 ? strtoull(argv[4], 0, 10) : 0, .seed = 1};
        mrc_approx_t a;
        double err = 0;
        size_t m = 0;
        t0 = env_now_ns(), c0 = cpu_ns();
        if (mrc_shards(ids, n, &o, &a, &d)) {
            fprintf(stderr, "mrc_engine: %s\n", d.msg);
            return 1;
        }
        t1 = env_now_ns(), c1 = cpu_ns();
        if (mrc_lru_hist(ids, n, &h, &d)) {
            fprintf(stderr, "mrc_engine: %s\n", d.msg);
            return 1;
        }
        /* Mean absolute error over 100 evenly spaced sizes up to distinct. */
        for (uint64_t f = h.distinct / 100; m < 100; f += h.distinct / 100, m++)
            err += fabs(mrc_approx_miss_ratio(&a, f) - (double)mrc_hist_faults(&h, f) / n);
        printf("shards refs %zu seconds %.3f Mrefs/s %.2f cpu-Mrefs/s %.2f mae %.5f rate %.5f "
               "sampled %" PRIu64 "\n", n, (t1 - t0) / 1e9, n / ((t1 - t0) / 1e3),
               n / ((c1 - c0) / 1e3), err / m, a.rate, a.sampled);
        /* Every size from 100 frames to the distinct pages (docs/mrc.md). */
        {
            double sum = 0, worst = 0;
            uint64_t cnt = 0, worst_at = 0;
            for (uint64_t f = 100; f <= h.distinct; f++, cnt++) {
                double e = fabs(mrc_approx_miss_ratio(&a, f) - (double)mrc_hist_faults(&h, f) / n);
                sum += e;
                if (e > worst)
                    worst = e, worst_at = f;
            }
            printf("  all %" PRIu64 " sizes 100..%" PRIu64 ": mean abs error %.5f, worst %.5f at %"
                   PRIu64 " frames\n", cnt, (uint64_t)h.distinct, cnt ? sum / cnt : 0.0, worst,
                   worst_at);
        }
        for (int k = 0; k < 4; k++)
            printf("  shards miss ratio @%" PRIu64 " = %.4f (exact %.4f)\n", sizes[k],
                   mrc_approx_miss_ratio(&a, sizes[k]), (double)mrc_hist_faults(&h, sizes[k]) / n);
        mrc_approx_free(&a);
        mrc_hist_free(&h);
    } else if (strcmp(argv[1], "optsim") == 0 && argc >= 4) {
        sim_config_t cfg = sim_config_default();
        trace_pages_t tp;
        uint8_t *w = calloc(n, 1);
        uint64_t faults = 0;
        cfg.threads = 1;
        tp.page = ids, tp.write = w, tp.pid = NULL, tp.n = n, tp.npids = 1;
        t0 = env_now_ns(), c0 = cpu_ns();
        for (int i = 3; i < argc; i++) {
            sim_job_t job = {"opt", strtoull(argv[i], 0, 10)};
            sim_result_t r;
            if (sim_run_pages(&cfg, &job, 1, &tp, &r, &d)) {
                fprintf(stderr, "mrc_engine: %s\n", d.msg);
                return 1;
            }
            faults += r.total.page_faults;
            printf("  optsim miss ratio @%s = %.4f\n", argv[i], (double)r.total.page_faults / n);
            sim_result_free(&r);
        }
        t1 = env_now_ns(), c1 = cpu_ns();
        printf("optsim sims %d refs %zu seconds %.3f cpu-seconds %.3f\n", argc - 3, n,
               (t1 - t0) / 1e9, (c1 - c0) / 1e9);
        free(w);
    } else {
        fprintf(stderr, "mrc_engine: unknown engine '%s'\n", argv[1]);
        return 2;
    }
    free(ids);
    return 0;
}
