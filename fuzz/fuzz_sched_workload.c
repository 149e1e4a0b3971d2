/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sched_workload.c - libFuzzer target for vmlab sched's workload parser:
 * parse arbitrary bytes and, when they parse, simulate them on 1..4 CPUs for
 * at most 200 ms of simulated time (so endless workloads end too), with the
 * invariant checker after every instant.  Must never crash, leak or hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched/workload.h"
#include "vmlab/sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sched_workload_t *w;
    diag_t d;
    char why[256];
    if (size == 0)
        return 0;
    if (sched_workload_parse("fuzz", (const char *)data + 1, size - 1, &w, &d))
        return 0;
    uint64_t tasks = 0;
    for (size_t i = 0; i < w->tmpl.n; i++)
        tasks += w->tmpl.v[i].count;
    (void)sched_workload_finite(w, why, sizeof why);
    if (tasks <= 5000) { /* bounded memory; forks are bounded by the 200 ms */
        sched_config_t cfg = {.ncpus = 1 + data[0] % 4, .until_ns = 200 * SCHED_NS_PER_MS, .segments = 1,
                              .max_segments = 1000, .check = 1};
        sched_result_t r;
        if (sched_run(&cfg, w, &r, &d) == 0)
            sched_result_free(&r);
    }
    sched_workload_free(w);
    return 0;
}
