/* SPDX-License-Identifier: MIT */
/*
 * trace_read.c - how fast vmlab's trace reader hands out references:
 * `trace_read FORMAT FILE [REPEAT]` reads FILE REPEAT times (default 3)
 * through trace_read() in batches of 4096, as a simulator does, folds every
 * reference into a checksum so nothing is optimised away, and prints the
 * median rates over CPU time and wall time.  FORMAT "stdio" is the
 * reference to compare with: fgets() + strtoull() over one number a line;
 * FORMAT "keys" reads a vmlab binary trace's keys (trace_read_keys), as
 * `vmlab sim` does.  Built and run by
 * bench/bench_trace.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmlab/env.h"
#include "vmlab/trace.h"

/* CPU time of this process: on a shared machine wall time mostly measures
 * the other tenants; both are reported. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: trace_read FORMAT|stdio FILE [REPEAT]\n");
        return 2;
    }
    int naive = strcmp(argv[1], "stdio") == 0, keys = strcmp(argv[1], "keys") == 0;
    int fmt = naive ? TRACE_PAGES : keys ? TRACE_VMLAB : trace_format_parse(argv[1]);
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    if (fmt < 0 || reps < 1 || reps > 99) {
        fprintf(stderr, "trace_read: bad format or repeat\n");
        return 2;
    }
    static trace_ref_t buf[4096];
    static uint32_t key[4096];
    static uint8_t op[4096];
    double rate[99], crate[99];
    uint64_t refs = 0, sum = 0;
    for (int r = 0; r < reps; r++) {
        trace_opts_t o = {.format = (trace_format_t)fmt};
        trace_t *t;
        diag_t d;
        uint64_t t0 = env_now_ns(), c0 = cpu_ns();
        sum = 0; /* the same checksum whatever REPEAT is */
        if (naive) {
            /* The reference: what most course simulators do, fgets + strtoull. */
            FILE *f = fopen(argv[2], "r");
            char line[256];
            if (!f) {
                perror(argv[2]);
                return 1;
            }
            refs = 0;
            while (fgets(line, sizeof line, f)) {
                sum += strtoull(line, NULL, 10) << 12;
                refs++;
            }
            fclose(f);
            rate[r] = (double)refs / ((double)(env_now_ns() - t0) / 1e9);
            crate[r] = (double)refs / ((double)(cpu_ns() - c0) / 1e9);
            continue;
        }
        if (trace_open(&t, argv[2], &o, &d)) {
            fprintf(stderr, "trace_read: %s: %s\n", d.file, d.msg);
            return 1;
        }
        ssize_t n;
        refs = 0;
        while (keys && (n = trace_read_keys(t, key, op, 4096, &d)) > 0) {
            for (ssize_t i = 0; i < n; i++)
                sum += key[i] ^ op[i];
            refs += (uint64_t)n;
        }
        while (!keys && (n = trace_read(t, buf, 4096, &d)) > 0) {
            for (ssize_t i = 0; i < n; i++)
                sum += buf[i].addr ^ buf[i].op;
            refs += (uint64_t)n;
        }
        if (n < 0) {
            fprintf(stderr, "trace_read: %s:%lu: %s\n", d.file, d.line, d.msg);
            return 1;
        }
        trace_close(t);
        rate[r] = (double)refs / ((double)(env_now_ns() - t0) / 1e9);
        crate[r] = (double)refs / ((double)(cpu_ns() - c0) / 1e9);
    }
    qsort(rate, (size_t)reps, sizeof rate[0], cmp_double);
    qsort(crate, (size_t)reps, sizeof crate[0], cmp_double);
    printf("%-8s %-16s %10ju refs  %7.1f M/s cpu  %7.1f M/s wall  (medians of %d) [%016jx]\n",
           argv[1], strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2],
           (uintmax_t)refs, crate[reps / 2] / 1e6, rate[reps / 2] / 1e6, reps, (uintmax_t)sum);
    return 0;
}
