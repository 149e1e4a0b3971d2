/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mm_scenario.c - libFuzzer target for the `vmlab mm` scenario parser
 * (src/mm/mm_scenario.c), and for the model on what it accepts when the run
 * is small (at most 4096 touched pages): mm_check after the run.
 *
 * Properties: no crash or sanitizer report; a rejected scenario names a line
 * of the input; an accepted one runs to the end or stops with a diagnostic,
 * and the model's invariants hold after it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm_scenario.h"
#include "vmlab/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mmsc_t sc;
    diag_t d;
    unsigned long lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (mmsc_parse((const char *)data, size, "fuzz", &sc, &d) != 0) {
        VL_ASSERT(d.line >= 1 && d.line <= lines);
        return 0;
    }
    uint64_t pages = 0;
    int ok = sc.n <= 200;
    for (size_t i = 0; i < sc.n && ok; i++) {
        const mmsc_op_t *op = &sc.ops[i];
        if (op->kind == MOP_TOUCH)
            pages += op->len / 4096 + 2;
        if (op->kind == MOP_SPAWN || op->kind == MOP_EXEC)
            ok &= op->name[0] == 0; /* no files read */
        if ((op->kind == MOP_MMAP && (op->flags & MM_MAP_POPULATE)) || op->kind == MOP_FILE)
            pages += op->len / 4096 + 1;
    }
    if (ok && pages <= 4096) {
        mmsc_opts_t o;
        memset(&o, 0, sizeof o);
        o.cfg.mem_bytes = 16u << 20;
        mmsc_result_t *res = calloc(sc.n + 1, sizeof *res);
        mm_sys_t *sys = NULL;
        if (res && mmsc_run_model(&sc, &o, res, &sys, &d) == 0) {
            mm_check(sys);
            mm_sys_destroy(sys);
        }
        free(res);
    }
    mmsc_free(&sc);
    return 0;
}
