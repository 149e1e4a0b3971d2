/*
 * sim_mem.c - vmlab sim's core from an in-memory array, for bench_sim.sh:
 * `sim_mem FILE.ids.u64 FRAMES POLICY [tlb] [pt]` loads raw little-endian
 * u64 page ids (gen_trace's .ids.u64) and times sim_run_pages() on one
 * thread, page mapping included, in CPU time; prints "POLICY refs/s faults".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sim_mem FILE.ids.u64 FRAMES POLICY [tlb] [pt]\n");
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
    trace_pages_t tp = {.page = malloc(n * 8), .write = calloc(n, 1), .n = n};
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
    }
    sim_job_t job = {.policy = argv[3], .frames = strtoull(argv[2], NULL, 10)};
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
