/* SPDX-License-Identifier: MIT */
/*
 * fuzz_malloc_rep.c - libFuzzer target for the malloc-lab trace parser
 * (src/malloc/replay.c), and for the checked replay of what it accepts
 * under two designs and option sets picked from the input's length: a malformed trace must give an error, never a crash;
 * an accepted one must replay valid (or run out of memory cleanly).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "malloc/replay.h"
#include "vmlab/malloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    mr_trace_t t;
    mr_result_t r;
    diag_t d;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    if (mr_parse("fuzz.rep", text, size, (size_t)1 << 26, &t, &d) == 0) {
        size_t big = 0;
        for (size_t i = 0; i < t.nops; i++)
            big |= t.ops[i].size > ((size_t)1 << 22);
        if (t.nops <= 512 && !big) {
            /* two designs and option sets per input, chosen by its length,
             * so the corpus covers all of them */
            for (int k = 0; k < 2; k++) {
                size_t i = (size + (size_t)k * 5) % ma_ndesigns();
                mr_opts_t o = {k ? 16 : 8, (size & 4) ? 16 : 0,
                               (unsigned)((size >> 3) & 7) & (MA_DEFER_COALESCE | MA_CANARY |
                                                              MA_POISON), 0, 1};
                if (size & 64)
                    o.flags |= MA_NO_PLACE_SPLIT;
                mr_run(&t, ma_design_name(i), &o, &r);
                if (!r.valid && !strstr(r.why, "out of memory"))
                    abort();
            }
        }
        mr_trace_free(&t);
    }
    free(text);
    return 0;
}
