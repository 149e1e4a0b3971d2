/* SPDX-License-Identifier: MIT */
/*
 * map_bench.c - base/hashmap.h's vl_map against the hand-written table it
 * would replace on mrc's hot path: dense page numbering (opt_dense_ids, the
 * first pass of the exact LRU and OPT curves and of `vmlab plot wss`), the
 * same key stream through both, ids checked equal, alternating runs,
 * medians of this thread's CPU time.
 *
 * usage: map_bench IDS.u64 [RUNS]   (IDS: raw little-endian uint64 page ids,
 * e.g. bench/out/mrc/zipf.ids.u64 from bench_mrc.sh)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/hashmap.h"
#include "mrc/opt_stack.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* opt_dense_ids through vl_map: insert-or-find, the value is the id. */
static int map_dense_ids(const uint64_t *page, size_t n, uint32_t *id, uint32_t *V, int prefetch)
{
    vl_map_t m = {0};
    uint64_t count = 0;
    for (size_t t = 0; t < n; t++) {
        int ins;
        if (prefetch && t + 12 < n)
            vl_map_prefetch(&m, page[t + 12]);
        uint64_t *v = vl_map_slot(&m, page[t], count, &ins);
        if (!v) {
            vl_map_free(&m);
            return -ENOMEM;
        }
        count += ins != 0;
        id[t] = (uint32_t)*v;
    }
    vl_map_free(&m);
    *V = (uint32_t)count;
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: map_bench IDS.u64 [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    FILE *f = fopen(argv[1], "rb");
    if (!f || fseek(f, 0, SEEK_END)) {
        perror(argv[1]);
        return 1;
    }
    size_t n = (size_t)ftell(f) / 8;
    rewind(f);
    uint64_t *page = malloc(n * 8);
    uint32_t *a = malloc(n * 4), *b = malloc(n * 4);
    if (!page || !a || !b || fread(page, 8, n, f) != n) {
        fprintf(stderr, "map_bench: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    double ta[32], tb[32], tc[32];
    uint32_t Va = 0, Vb = 0;
    runs = runs < 1 ? 1 : runs > 32 ? 32 : runs;
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_s();
        if (opt_dense_ids(page, n, a, &Va))
            return 1;
        double t1 = cpu_s();
        if (map_dense_ids(page, n, b, &Vb, 0))
            return 1;
        double t2 = cpu_s();
        if (map_dense_ids(page, n, b, &Vb, 1))
            return 1;
        double t3 = cpu_s();
        ta[r] = t1 - t0, tb[r] = t2 - t1, tc[r] = t3 - t2;
    }
    if (Va != Vb || memcmp(a, b, n * 4) != 0) {
        fprintf(stderr, "map_bench: the two numberings differ\n");
        return 1;
    }
    qsort(ta, (size_t)runs, sizeof *ta, cmp_d);
    qsort(tb, (size_t)runs, sizeof *tb, cmp_d);
    qsort(tc, (size_t)runs, sizeof *tc, cmp_d);
    double ma = ta[runs / 2], mb = tb[runs / 2], mc = tc[runs / 2];
    printf("dense ids, %zu refs, %u pages, median of %d (CPU s): hand-written %.3f (%.1f ns/ref); "
           "vl_map %.3f (%.1f ns/ref, %.2fx); vl_map + vl_map_prefetch 12 ahead %.3f (%.1f "
           "ns/ref, %.2fx)\n",
           n, Va, runs, ma, ma * 1e9 / (double)n, mb, mb * 1e9 / (double)n, mb / ma, mc,
           mc * 1e9 / (double)n, mc / ma);
    return 0;
}
