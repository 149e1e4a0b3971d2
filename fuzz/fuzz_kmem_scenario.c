/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kmem_scenario.c - libFuzzer target for `vmlab kmem` scenario files
 * (src/kmem/scenario.c).
 *
 * Properties: no crash or sanitizer report on any input; a rejected file
 * names a line within the file; an accepted one has every operation on a
 * line of the file, in order, and small accepted scenarios also run on a
 * 16 MiB memory without breaking kmem_check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmem/scenario.h"
#include "vmlab/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kmem_scenario_t s;
    diag_t d;
    unsigned long lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (kmem_scenario_parse((const char *)data, size, "fuzz", &s, &d) != 0) {
        VL_ASSERT(d.line >= 1 && d.line <= lines);
        return 0;
    }
    for (size_t i = 0; i < s.n; i++)
        VL_ASSERT(s.ops[i].line >= 1 && s.ops[i].line <= lines && (i == 0 || s.ops[i].line > s.ops[i - 1].line));
    {
        uint64_t work = 0;
        for (size_t i = 0; i < s.n; i++)
            work += s.ops[i].kind == KOP_REPORT ? 1 : s.ops[i].a + s.ops[i].b;
        if (s.n <= 16 && work <= 4096) {
            kmem_config_t c = {.mem_bytes = 16u << 20, .cpus = 2};
            kmem_t *km;
            FILE *out = fopen("/dev/null", "w");
            if (out && kmem_create(&c, &km, NULL) == 0) {
                kmem_scenario_run(km, &s, out, OUT_TEXT, &d);
                kmem_check(km);
                kmem_destroy(km);
            }
            if (out)
                fclose(out);
        }
    }
    kmem_scenario_free(&s);
    return 0;
}
