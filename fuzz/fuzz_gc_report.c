/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gc_report.c - libFuzzer target for the leak finder's report reader
 * (src/gc/leak_report.c): any bytes, never a crash, leak or out-of-bounds read.
 */
#include <stdint.h>

#include "gc/leak_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gcl_report_t r;
    diag_t d;
    if (gcl_report_parse((const char *)data, size, "fuzz", &r, &d) == 0)
        gcl_report_free(&r);
    return 0;
}
