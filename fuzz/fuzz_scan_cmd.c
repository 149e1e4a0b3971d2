/* SPDX-License-Identifier: MIT */
/*
 * fuzz_scan_cmd.c - libFuzzer target for the command language of
 * `vmlab scan` (src/peek/scan_cmd.c), the value parser every command's
 * argument goes through (src/peek/value.c) and the match-file loader
 * (src/peek/scan.c) on the same bytes.
 *
 * Properties: no crash or sanitizer report; a parsed command has a kind in
 * range and a NUL-terminated argument; a rejected one says why; a value
 * that parses formats and parses back to the same bits; a bytes pattern
 * that parses has 1..PEEK_PATTERN_MAX bytes, not all wildcards, zero under
 * each wildcard, and the bytes of its non-wildcard pairs as a bytes value;
 * an accepted match file (numbers, or string/bytes with their width)
 * satisfies peek_scan_check() and saves back to no more text than read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/peek.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void values(const char *arg)
{
    for (int t = 0; t < PEEK_TYPE_COUNT; t++) {
        unsigned char buf[PEEK_VALUE_MAX], back[PEEK_VALUE_MAX];
        char text[4 * PEEK_VALUE_MAX + 8];
        size_t len = 0, len2 = 0;
        if (peek_value_parse((peek_type_t)t, arg, buf, sizeof buf, &len, NULL) != 0)
            continue;
        VL_ASSERT(len <= sizeof buf);
        if (t > PEEK_F64 || t == PEEK_F32 || t == PEEK_F64)
            continue; /* strings stop at NUL, floats may be NaN payloads */
        peek_value_format((peek_type_t)t, buf, len, text, sizeof text);
        VL_ASSERT(peek_value_parse((peek_type_t)t, text, back, sizeof back, &len2, NULL) == 0);
        VL_ASSERT(len2 == len && memcmp(buf, back, len) == 0);
    }
    {
        peek_pattern_t p;
        diag_t d;
        if (peek_pattern_parse(PEEK_BYTES, arg, &p, &d) == 0) {
            size_t wild = 0;
            VL_ASSERT(p.len >= 1 && p.len <= PEEK_PATTERN_MAX && p.wild < p.len);
            for (size_t i = 0; i < p.len; i++) {
                VL_ASSERT(p.mask[i] == 0 || p.mask[i] == 0xff);
                VL_ASSERT(p.mask[i] || p.b[i] == 0);
                wild += p.mask[i] == 0;
            }
            VL_ASSERT(wild == p.wild);
            if (wild == 0) {
                unsigned char buf[PEEK_VALUE_MAX];
                size_t len = 0;
                VL_ASSERT(peek_value_parse(PEEK_BYTES, arg, buf, sizeof buf, &len, NULL) == 0);
                VL_ASSERT(len == p.len && memcmp(buf, p.b, len) == 0);
            }
        } else {
            VL_ASSERT(d.msg[0] != '\0');
        }
        if (peek_pattern_parse(PEEK_STRING, arg, &p, NULL) == 0)
            VL_ASSERT(p.len == strlen(arg) && p.wild == 0 && memcmp(p.b, arg, p.len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        peek_cmd_t c;
        diag_t d;
        diag_clear(&d);
        if (peek_cmd_parse(p, n, &c, &d) == 0) {
            VL_ASSERT(c.kind < PEEK_CMD_KIND_COUNT && c.op < PEEK_OP_COUNT);
            VL_ASSERT(memchr(c.arg, '\0', sizeof c.arg) != NULL);
            if (c.arg[0])
                values(c.arg);
        } else {
            VL_ASSERT(d.msg[0] != '\0');
        }
        p = nl ? nl + 1 : end;
    }
    {
        peek_scan_t *s;
        int pid;
        if (peek_scan_new(PEEK_I32, 0, 1u << 16, &s, NULL) == 0) {
            if (peek_scan_load(s, "fuzz", (const char *)data, size, &pid, NULL) == 0) {
                char *text = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&text, &len);
                peek_scan_check(s);
                if (f) {
                    peek_scan_save(s, pid, f);
                    fclose(f);
                    VL_ASSERT(len <= size + 64 * peek_scan_count(s) + 200);
                }
                free(text);
            }
            peek_scan_free(s);
        }
    }
    return 0;
}
