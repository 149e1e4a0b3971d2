/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json_scan.c - libFuzzer target for json_scan_top (what `vmlab merge`
 * reads): any bytes give 0 or -EINVAL with a diagnostic, never a crash; every
 * element handed out of an accepted text lies inside it and is itself valid
 * JSON on its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_scan.h"
#include "vmlab/check.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

typedef struct span {
    const char *base; /* the whole text */
    size_t len;       /* its length */
    size_t n;         /* elements seen */
} span_t;

static int count(const char *s, size_t n, void *ctx)
{
    (void)s, (void)n;
    ((span_t *)ctx)->n++;
    return 0;
}

static int elem(const char *s, size_t n, void *ctx)
{
    span_t *sp = ctx;
    span_t inner = {s, n, 0};
    VL_ASSERT(s >= sp->base && s + n <= sp->base + sp->len && n > 0);
    VL_ASSERT(json_scan_top("elem", s, n, count, &inner, NULL) == 0);
    sp->n++;
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);
    diag_t d;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    span_t sp = {text, size, 0};
    int rc = json_scan_top("fuzz.json", text, size, elem, &sp, &d);
    VL_ASSERT(rc == 0 || (rc == -EINVAL && d.err == EINVAL && d.line >= 1));
    free(text);
    return 0;
}
