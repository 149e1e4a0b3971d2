/* SPDX-License-Identifier: MIT */
/*
 * trace_ls.c - the `ls` format: "l 0x7ff000 [SIZE]" (load) or "s ..." (store).
 *
 * A load/store trace as written by simple binary-instrumentation tools and
 * course cache labs: an op letter, blanks, a hex address (0x optional), and
 * an optional decimal access size.  With multi_pid a decimal pid column
 * comes first: "2 s 0x7ff000 8".  Sizes above 255 are recorded as 255.
 */
#include "trace/trace_impl.h"

TR_INLINE int ls_line(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                          const char **why)
{
    uint32_t pid;
    int go = tr_line_begin(t, &p, *p == 'l' || *p == 's', next, &pid, why);
    if (go <= 0)
        return go;
    char c = *p;
    if (__builtin_expect((c != 'l' && c != 's') || !tr_sp(p[1]), 0)) {
        *why = "the access is not l or s";
        return -1;
    }
    p = tr_skip_sp(p + 1);
    uint64_t a, sz = 0;
    const char *e = tr_hex(p, &a);
    if (__builtin_expect(!e, 0)) {
        *why = trace_hexval[(uint8_t)*p] < 16 ? "address over 64 bits" : "not a hex address";
        return -1;
    }
    const char *q = tr_eol(e);
    if (!q) {
        if (!tr_sp(*e)) {
            *why = "not a hex address";
            return -1;
        }
        e = tr_dec(tr_skip_sp(e), &sz);
        if (!e || !(q = tr_eol(e))) {
            *why = "the size is not a decimal number";
            return -1;
        }
    }
    r->addr = a;
    r->pid = pid;
    r->op = c == 's' ? TRACE_WRITE : TRACE_READ;
    r->size = sz > 255 ? 255 : (uint8_t)sz;
    *next = q;
    return 1;
}

TRACE_TEXT_PARSER(ls, 1)
TRACE_TEXT_PROBE(ls)

const trace_fmt_t trace_fmt_ls = {
    .id = TRACE_LS,
    .name = "ls",
    .expect = "an ls line: l|s HEXADDR [SIZE], e.g. 'l 0x7ff000 4'",
    .detectable = 1,
    .probe = ls_probe,
    .parse = ls_parse,
};
