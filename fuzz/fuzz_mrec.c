/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mrec.c - libFuzzer target for the recorder's event files
 * (src/malloc/mrec.c): any bytes are parsed, and whatever parses is converted
 * into a malloc-lab trace.  Neither may crash, leak or read out of bounds,
 * whatever the addresses, sizes, realloc links and orderings say.
 */
#include <stdint.h>
#include <stdio.h>

#include "malloc/mrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mrec_file_t f;
    mrec_stats_t st;
    diag_t d;
    FILE *out;
    if (mrec_parse(data, size, "fuzz", &f, &d) != 0)
        return 0;
    out = fopen("/dev/null", "w");
    if (out) {
        mrec_write_rep(&f, out, &st, &d);
        fclose(out);
    }
    mrec_file_free(&f);
    return 0;
}
