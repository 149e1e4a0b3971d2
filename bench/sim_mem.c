/* SPDX-License-Identifier: MIT */
/*
 * sim_mem.c - vmlab sim's core from an in-memory array, for bench_sim.sh and
 * bench_simpol.sh:
 *
 *   sim_mem FILE.ids.u64 FRAMES POLICY [tlb] [pt] [core]
 *
 * loads raw little-endian u64 page ids (gen_trace's .ids.u64) and times, on
 * one thread in CPU time, sim_run_pages() (the page-id mapping included) and
 * prints "POLICY refs/s faults".  With `core` it times the simulation core
 * alone instead: the ids are first mapped to dense page ids here (in order of
 * first reference, as the driver does), then only sim_core_new, the
 * sim_core_feed calls over batches of SRUN_BATCH references (the streaming
 * driver's batch size) and sim_core_result are timed, five times over the
 * loaded input; it prints "POLICY refs/s faults N core MS ms (median of 5,
 * min MS)" with the median run's rate, the batches carrying no per-reference
 * vpn (page -> vpn table instead), as from a keyed trace, and one reference
 * in ten a write, as bench/sim_mkrw.c makes them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/sim_core.h"
#include "sim/sim_run.h"
#include "vmlab/sim.h"

/* CPU time (user + system) of this process: on a shared, loaded machine
 * wall-clock rates measure the neighbours; CPU time measures the code. */
static double now(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec * 1e-6;
}

/* Dense ids in order of first reference (open addressing, linear probing);
 * page_vpn gets id -> original value.  Returns the number of distinct ids. */
static uint32_t densify(const uint64_t *ids, size_t n, uint32_t *page, uint64_t **page_vpn)
{
    size_t cap = 16;
    while (cap < n * 2 && cap < ((size_t)1 << 32))
        cap <<= 1;
    uint64_t *key = malloc(cap * sizeof *key);
    uint32_t *val = malloc(cap * sizeof *val);
    uint64_t *pv = malloc((n + 1) * sizeof *pv);
    uint32_t np = 0;
    if (!key || !val || !pv) {
        fprintf(stderr, "sim_mem: out of memory\n");
        exit(1);
    }
    memset(val, 0xff, cap * sizeof *val);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = ids[i] * 0x9e3779b97f4a7c15ull;
        size_t j = (size_t)(h >> 20) & (cap - 1);
        while (val[j] != UINT32_MAX && key[j] != ids[i])
            j = (j + 1) & (cap - 1);
        if (val[j] == UINT32_MAX) {
            key[j] = ids[i];
            val[j] = np;
            pv[np++] = ids[i];
        }
        page[i] = val[j];
    }
    free(key);
    free(val);
    *page_vpn = pv;
    return np;
}

enum { CORE_REPS = 5 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int core_only(const sim_config_t *c, const sim_job_t *job, trace_pages_t *tp)
{
    uint32_t *page = malloc((tp->n + 1) * sizeof *page);
    uint64_t *page_vpn;
    if (!page) {
        fprintf(stderr, "sim_mem: out of memory\n");
        return 1;
    }
    uint32_t np = densify(tp->page, tp->n, page, &page_vpn);
    for (size_t i = 0; i < tp->n; i++) /* as bench/sim_mkrw.c: one in ten a write */
        tp->write[i] = i % 10 == 9;
    /* Five runs, the median printed: the input is loaded once. */
    double ms[CORE_REPS];
    sim_result_t r;
    for (int rep = 0; rep < CORE_REPS; rep++) {
        sim_core_t *core;
        diag_t d;
        double t0 = now();
        if (sim_core_new(&core, c, job, NULL, 1, &d)) {
            fprintf(stderr, "sim_mem: %s\n", d.msg);
            return 1;
        }
        for (size_t off = 0; off < tp->n; off += SRUN_BATCH) {
            size_t k = tp->n - off < SRUN_BATCH ? tp->n - off : SRUN_BATCH;
            sim_batch_t b = {.n = k,
                             .t0 = off,
                             .page = page + off,
                             .write = tp->write + off,
                             .page_vpn = page_vpn,
                             .npages = np,
                             .nprocs = 1};
            if (sim_core_feed(core, &b)) {
                fprintf(stderr, "sim_mem: out of memory\n");
                return 1;
            }
        }
        if (rep)
            sim_result_free(&r);
        if (sim_core_result(core, &r)) {
            fprintf(stderr, "sim_mem: out of memory\n");
            return 1;
        }
        sim_core_free(core);
        ms[rep] = (now() - t0) * 1e3;
    }
    qsort(ms, CORE_REPS, sizeof *ms, cmp_double);
    printf("%-8s %6.1f M refs/s  faults %llu  core %.1f ms (median of %d, min %.1f)\n",
           job->policy, (double)tp->n / ms[CORE_REPS / 2] / 1e3,
           (unsigned long long)r.total.page_faults, ms[CORE_REPS / 2], CORE_REPS, ms[0]);
    sim_result_free(&r);
    free(page);
    free(page_vpn);
    return 0;
}

int main(int argc, char **argv)
{
    int core = 0;
    if (argc < 4) {
        fprintf(stderr, "usage: sim_mem FILE.ids.u64 FRAMES POLICY [tlb] [pt] [core]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f) / 8;
    fseek(f, 0, SEEK_SET);
    trace_pages_t tp = {.page = malloc(n * 8 + 8), .write = calloc(n + 1, 1), .n = n};
    if (!tp.page || !tp.write || fread(tp.page, 8, n, f) != n) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    sim_config_t c = sim_config_default();
    c.threads = 1;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "tlb") == 0)
            c.tlb.entries = 64, c.tlb.ways = 4;
        if (strcmp(argv[i], "pt") == 0) {
            unsigned pb;
            sim_pt_preset("x86-64", &c.pt, &pb);
            c.pt.va_bits = 64;
            c.pt.nlevels = 4;
            c.pt.levels[0] = 9 + 16; /* ids are not addresses: widen the root */
        }
        if (strcmp(argv[i], "core") == 0)
            core = 1;
    }
    sim_job_t job = {.policy = argv[3], .frames = strtoull(argv[2], NULL, 10)};
    if (core)
        return core_only(&c, &job, &tp);
    sim_result_t r;
    diag_t d;
    double t0 = now();
    if (sim_run_pages(&c, &job, 1, &tp, &r, &d)) {
        fprintf(stderr, "sim_mem: %s\n", d.msg);
        return 1;
    }
    double dt = now() - t0;
    printf("%-8s %6.1f M refs/s  faults %llu\n", argv[3], (double)n / dt / 1e6,
           (unsigned long long)r.total.page_faults);
    sim_result_free(&r);
    return 0;
}
