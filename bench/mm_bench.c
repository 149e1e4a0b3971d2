/* SPDX-License-Identifier: MIT */
/*
 * mm_bench.c - `vmlab mm`'s two targets: touches a second on resident pages
 * (the MMU's walk through the model's page tables: random pages of a 64 MiB
 * fully written region, reads and writes mixed), and the CPU time of a fork
 * of a 1 GiB fully written address space (copy_page_range: 262144 PTEs
 * write-protected and copied).  Medians of R runs; CPU time of this process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "vmlab/mm.h"

static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 50)
        runs = 5;
    mm_config_t cfg = {.mem_bytes = 1280ull << 20};
    mm_sys_t *s;
    mm_task_t *t;
    if (mm_sys_create(&cfg, &s) || mm_spawn(s, &t) || mm_exec(t, NULL))
        return 1;
    /* 1. touches on resident pages */
    uint64_t a, n = 16384, touches = 20000000;
    if (mm_mmap(t, 0, n * 4096, 3, MM_MAP_PRIVATE | MM_MAP_ANON, -1, 0, &a))
        return 1;
    for (uint64_t i = 0; i < n; i++)
        mm_touch(t, a + i * 4096, MM_ACC_WRITE);
    double rate[50];
    vl_rng_t r;
    vl_rng_seed(&r, 1);
    uint64_t *addr = malloc(touches * sizeof *addr);
    for (uint64_t i = 0; i < touches; i++)
        addr[i] = a + vl_rng_below(&r, n) * 4096 + (i & 4095);
    for (int k = 0; k < runs; k++) {
        double t0 = cpu();
        uint64_t faults = 0;
        for (uint64_t i = 0; i < touches; i++)
            faults += mm_touch(t, addr[i], (i & 3) ? MM_ACC_READ : MM_ACC_WRITE).kind != MM_F_NONE;
        double dt = cpu() - t0;
        if (faults)
            return 2;
        rate[k] = touches / dt;
    }
    qsort(rate, (size_t)runs, sizeof rate[0], cmp);
    printf("touch_resident_per_s %.0f (median of %d runs of %llu touches on 64 MiB)\n", rate[runs / 2], runs,
           (unsigned long long)touches);
    free(addr);
    mm_munmap(t, a, n * 4096);
    /* 2. fork of 1 GiB fully written */
    uint64_t g = 262144;
    if (mm_mmap(t, 0, g * 4096, 3, MM_MAP_PRIVATE | MM_MAP_ANON, -1, 0, &a))
        return 1;
    for (uint64_t i = 0; i < g; i++)
        if (mm_touch(t, a + i * 4096, MM_ACC_WRITE).kind != MM_F_ANON_NEW)
            return 3;
    double ft[50];
    for (int k = 0; k < runs; k++) {
        mm_task_t *c;
        double t0 = cpu();
        if (mm_fork(t, &c))
            return 4;
        ft[k] = cpu() - t0;
        mm_exit(c);
        /* make the parent's pages writable again as before the next fork */
        for (uint64_t i = 0; i < g; i++)
            mm_touch(t, a + i * 4096, MM_ACC_WRITE);
    }
    qsort(ft, (size_t)runs, sizeof ft[0], cmp);
    printf("fork_1GiB_cpu_ms %.2f (median of %d forks of 262144 written pages)\n", ft[runs / 2] * 1e3, runs);
    mm_sys_destroy(s);
    return 0;
}
