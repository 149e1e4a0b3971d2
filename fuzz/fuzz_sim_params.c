/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sim_params.c - libFuzzer target for vmlab sim's policy specifications
 * ("NAME:key=value,..."): parse arbitrary bytes as a spec and, when it
 * parses, build and run the job on a few references, so every policy's
 * init sees arbitrary parameter values.  Must never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/policy.h"
#include "vmlab/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[256];
    sim_params_t ps;
    const sim_policy_ops_t *ops;
    diag_t d;
    if (size == 0 || size >= sizeof spec)
        return 0;
    uint64_t frames = 1 + data[0] % 16;
    memcpy(spec, data + 1, size - 1);
    spec[size - 1] = '\0';
    if (sim_params_parse(spec, &ps, &ops, &d))
        return 0;
    static uint64_t pages[64];
    static uint8_t writes[64];
    for (int i = 0; i < 64; i++) {
        pages[i] = (uint64_t)((i * 7 + data[0]) % 23);
        writes[i] = i % 3 == 0;
    }
    trace_pages_t tp = {.page = pages, .write = writes, .n = 64};
    sim_config_t cfg = sim_config_default();
    cfg.threads = 1;
    sim_job_t job = {.policy = spec, .frames = frames};
    sim_result_t r;
    if (sim_run_pages(&cfg, &job, 1, &tp, &r, &d) == 0)
        sim_result_free(&r);
    return 0;
}
