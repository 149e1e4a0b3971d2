/* SPDX-License-Identifier: MIT */
/*
 * sched_run.c - times sched_run() alone (parsing excluded) in CPU time
 * (getrusage: user + system of this process, so neighbours on a shared
 * machine do not count), for bench/bench_sched.sh.
 *   sched_run WORKLOAD NCPUS UNTIL_MS REPS
 * prints: events, then one "seconds events_per_second" line per rep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "vmlab/env.h"
#include "vmlab/sched.h"

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

int main(int argc, char **argv)
{
    char *text;
    size_t len;
    diag_t d;
    sched_workload_t *w;
    if (argc != 5)
        return fprintf(stderr, "usage: sched_run WORKLOAD NCPUS UNTIL_MS REPS\n"), 2;
    if (env_read_file(argv[1], &text, &len, &d) || sched_workload_parse(argv[1], text, len, &w, &d))
        return fprintf(stderr, "sched_run: %s:%lu: %s\n", d.file, d.line, d.msg), 1;
    sched_config_t cfg = {.ncpus = (unsigned)atoi(argv[2]), .until_ns = strtoull(argv[3], NULL, 10) * SCHED_NS_PER_MS};
    for (int r = 0; r < atoi(argv[4]); r++) {
        sched_result_t res;
        double t0 = cpu_s();
        if (sched_run(&cfg, w, &res, &d))
            return fprintf(stderr, "sched_run: %s\n", d.msg), 1;
        double t = cpu_s() - t0;
        printf("%ju %.3f %.0f\n", (uintmax_t)res.events, t, (double)res.events / t);
        sched_result_free(&res);
    }
    sched_workload_free(w);
    free(text);
    return 0;
}
