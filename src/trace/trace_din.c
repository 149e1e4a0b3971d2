/* SPDX-License-Identifier: MIT */
/*
 * trace_din.c - DineroIV's `din` format: "LABEL ADDR [...]" a line.
 *
 * LABEL 0 data read, 1 data write, 2 instruction fetch, 3 escape (unknown
 * access type) and 4 escape (cache flush): the escapes carry no reference
 * here and are skipped.  ADDR is hex (0x tolerated).  Dinero ignores the
 * rest of the line (it is for comments); a decimal third field is taken as
 * the access size.  Example (Dinero IV documentation): "0 70f60888".
 * With multi_pid a decimal pid column comes first.
 */
#include "trace/trace_impl.h"

/* strict: the rest of the line must be empty or a size (detection). */
TR_INLINE int din_parse_line(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                                 const char **why, int strict)
{
    uint32_t pid;
    int go = tr_line_begin(t, &p, (unsigned)(uint8_t)*p - '0' < 10, next, &pid, why);
    if (go <= 0)
        return go;
    uint64_t label, a, sz = 0;
    const char *e = tr_dec(p, &label);
    if (!e || !tr_sp(*e) || label > 4) {
        *why = e && label > 4 ? "label not 0..4"
               : e && tr_eol(e)  ? "no address after the label"
                                 : "no label 0..4";
        return -1;
    }
    p = tr_skip_sp(e);
    e = tr_hex(p, &a);
    if (!e) {
        *why = trace_hexval[(uint8_t)*p] < 16 ? "address over 64 bits" : "not a hex address";
        return -1;
    }
    const char *q = tr_eol(e);
    if (!q) {
        if (!tr_sp(*e)) {
            *why = "not a hex address";
            return -1;
        }
        const char *f = tr_skip_sp(e);
        const char *g = tr_dec(f, &sz);
        q = g ? tr_eol(g) : NULL;
        if (!q) {
            if (strict) {
                *why = "text after the address";
                return -1;
            }
            sz = 0;
            q = tr_next_line(f);
        }
    }
    *next = q;
    if (label > 2)
        return 0;
    r->addr = a;
    r->pid = pid;
    r->op = label == 0 ? TRACE_READ : label == 1 ? TRACE_WRITE : TRACE_IFETCH;
    r->size = sz > 255 ? 255 : (uint8_t)sz;
    return 1;
}

TR_INLINE int din_line(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                           const char **why)
{
    return din_parse_line(t, p, next, r, why, 0);
}

TRACE_TEXT_PARSER(din, 1)

static int din_probe(trace_t *t, const char *p)
{
    trace_ref_t r[2];
    const char *next, *why;
    int k = din_parse_line(t, p, &next, r, &why, 1);
    return k < 0 ? -1 : k > 0;
}

const trace_fmt_t trace_fmt_din = {
    .id = TRACE_DIN,
    .name = "din",
    .expect = "a din line: LABEL(0-4) HEXADDR, e.g. '0 70f60888'",
    .detectable = 1,
    .probe = din_probe,
    .parse = din_parse,
};
