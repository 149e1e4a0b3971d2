/*
 * trace_rw.c - the `rw` format: "HEXADDR R|W" a line, e.g. "0041f7a0 R".
 *
 * The format of Pitt's vmsim and Adelaide's memsim project traces
 * (bzip.trace, gcc.trace, ...): a hexadecimal byte address (0x optional),
 * blanks, then R (read) or W (write), either case.  With multi_pid a decimal
 * pid column comes first: "3 0041f7a0 W".  The hot path of the simulators'
 * text input: one table lookup per hex digit, no library calls.
 */
#include "trace/trace_impl.h"

TR_INLINE int rw_line(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                          const char **why)
{
    if (__builtin_expect(trace_hexval[(uint8_t)*p] >= 16, 0)) {
        const char *b = tr_blank(p);
        if (b) {
            *next = b;
            return 0;
        }
        p = tr_skip_sp(p);
    }
    uint32_t pid = 0;
    if (t->o.multi_pid && !(p = tr_pid(t, p, &pid, why)))
        return -1;
    uint64_t a;
    const char *e = tr_hex(p, &a);
    if (__builtin_expect(!e || !tr_sp(*e), 0)) {
        *why = !e && trace_hexval[(uint8_t)*p] < 16   ? "address over 64 bits"
               : e && (*e == '\n' || *e == '\r') ? "no R or W after the address"
                                                   : "not a hex address";
        return -1;
    }
    e = tr_skip_sp(e + 1);
    unsigned c = (uint8_t)*e | 0x20;
    if (__builtin_expect(c != 'r' && c != 'w', 0)) {
        *why = "the access is not R or W";
        return -1;
    }
    const char *q = tr_eol(e + 1);
    if (__builtin_expect(!q, 0)) {
        *why = "text after R/W";
        return -1;
    }
    r->addr = a;
    r->pid = pid;
    r->op = c == 'w' ? TRACE_WRITE : TRACE_READ;
    r->size = 0;
    *next = q;
    return 1;
}

TRACE_TEXT_PARSER(rw, 1)
TRACE_TEXT_PROBE(rw)

const trace_fmt_t trace_fmt_rw = {
    .id = TRACE_RW,
    .name = "rw",
    .expect = "an rw line: HEXADDR R|W, e.g. '0041f7a0 R'",
    .detectable = 1,
    .probe = rw_probe,
    .parse = rw_parse,
};
