/* SPDX-License-Identifier: MIT */
/*
 * fuzz_xlate.c - libFuzzer target for vmlab translate's readers: the explicit
 * problem format (xl_parse) and the four homework programs' printed output
 * (xl_parse_ostep), the first byte choosing which.  On an accepted problem
 * every address is translated (behind a TLB too), and the explicit format is
 * written and read back: it must parse again.  Must never crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/xlate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xl_problem_t p;
    diag_t d;
    char *text;
    int rc, which;
    if (size == 0)
        return 0;
    which = data[0] % 5;
    text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    rc = which == 4 ? xl_parse(text, size - 1, "fuzz", &p, &d)
                    : xl_parse_ostep(text, size - 1, "fuzz", (xl_model_t)which, &p, &d);
    if (rc == 0) {
        xl_tlb_t *t = xl_tlb_new(4);
        for (size_t i = 0; i < p.naddr && i < 4096; i++) {
            xl_result_t r;
            xl_translate(&p, NULL, &p.addr[i], &r);
            if (t)
                xl_translate(&p, t, &p.addr[i], &r);
        }
        xl_tlb_free(t);
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (f) {
            xl_problem_t q;
            xl_write(&p, f);
            fclose(f);
            VL_ASSERT(xl_parse(out, len, "again", &q, &d) == 0);
            xl_problem_free(&q);
            free(out);
        }
        xl_problem_free(&p);
    }
    free(text);
    return 0;
}
