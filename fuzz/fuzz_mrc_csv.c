/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mrc_csv.c - libFuzzer target for plot_parse_csv (the fault-curve CSV
 * that `vmlab plot curves` reads): any bytes give 0 or -EINVAL with a
 * diagnostic, never a crash; accepted rows satisfy the parser's contract.
 */
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/plot.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);
    plot_point_t *pts = NULL;
    size_t n = 0;
    diag_t d;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (plot_parse_csv("fuzz.csv", text, size, &pts, &n, &d) == 0) {
        for (size_t i = 0; i < n; i++) {
            VL_ASSERT(pts[i].frames >= 1);
            VL_ASSERT(pts[i].ratio >= 0 && pts[i].ratio <= 1);
            VL_ASSERT(pts[i].policy[0] != '\0');
        }
        free(pts);
    } else {
        VL_ASSERT(d.msg[0] != '\0');
    }
    free(text);
    return 0;
}
