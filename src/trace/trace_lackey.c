/* SPDX-License-Identifier: MIT */
/*
 * trace_lackey.c - Valgrind lackey's memory trace (valgrind --tool=lackey
 * --trace-mem=yes, lackey/lk_main.c):
 *
 *     I  04001020,2      instruction fetch of 2 bytes
 *      L bec14ce0,4      data load
 *      S bec14cdc,4      data store
 *      M bec14cdc,4      modify: a load then a store, two references
 *
 * Addresses are hex, sizes decimal.  Valgrind's own lines ("==28465== ..."
 * and "--28465-- ...") are skipped; "==PID==" sets the pid of the
 * references that follow.  With --log-fd=1 the traced program's output is
 * interleaved with the records (ls.trace.gz has `ls -l`'s listing in it), so
 * a line that does not start like a record (I, L, S or M, blanks, a hex
 * digit) is skipped as program output, not an error; a line that does start
 * like one must be one.  Sizes above 255 are recorded as 255.
 */
#include "trace/trace_impl.h"

/* The format's state, in t->fst (trace_fmt_t.state_size). */
typedef struct lackey_state {
    uint32_t pid; /* pid of the last "==PID==" banner, 0 before one */
} lackey_state_t;

#include <errno.h>

/* "==DIGITS==" at p: the pid, or -1. */
static int64_t banner_pid(const char *p)
{
    uint64_t v;
    const char *e = tr_dec(p + 2, &v);
    if (!e || e[0] != '=' || e[1] != '=' || v > UINT32_MAX)
        return -1;
    return (int64_t)v;
}

/* 1 for a record, 0 for a banner or blank line, 2 for any other line
 * (program output), -1 for a malformed record. */
TR_INLINE int lackey_classify(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                                  const char **why)
{
    const char *s = tr_skip_sp(p);
    char c = *s;
    if (__builtin_expect((c == 'I' || c == 'L' || c == 'S' || c == 'M') && tr_sp(s[1]), 1)) {
        const char *q = tr_skip_sp(s + 2);
        if (trace_hexval[(uint8_t)*q] < 16) {
            uint64_t a, sz;
            const char *e = tr_hex(q, &a);
            if (!e) {
                *why = "address over 64 bits";
                return -1;
            }
            if (*e != ',') {
                if (tr_eol(e) || tr_sp(*e)) {
                    *why = "no ,SIZE after the address";
                    return -1;
                }
                goto other; /* "I am ..." is the program talking */
            }
            e = tr_dec(e + 1, &sz);
            const char *nl = e ? tr_eol(e) : NULL;
            if (!nl) {
                *why = "the size is not a decimal number";
                return -1;
            }
            uint8_t size = sz > 255 ? 255 : (uint8_t)sz;
            r[0].addr = a;
            r[0].pid = ((lackey_state_t *)t->fst)->pid;
            r[0].size = size;
            *next = nl;
            if (c == 'M') {
                r[0].op = TRACE_READ;
                r[1] = r[0];
                r[1].op = TRACE_WRITE;
                return 2;
            }
            r[0].op = c == 'I' ? TRACE_IFETCH : c == 'L' ? TRACE_READ : TRACE_WRITE;
            return 1;
        }
    }
    if (s[0] == '=' && s[1] == '=') {
        int64_t pid = banner_pid(s);
        if (pid >= 0)
            ((lackey_state_t *)t->fst)->pid = (uint32_t)pid;
        *next = tr_next_line(s);
        return 0;
    }
    if ((s[0] == '-' && s[1] == '-') || tr_eol(s)) {
        *next = tr_next_line(s);
        return 0;
    }
other:
    *next = tr_next_line(s);
    return 3;
}

TR_INLINE int lackey_line(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                              const char **why)
{
    int k = lackey_classify(t, p, next, r, why);
    if (__builtin_expect(k == 3, 0)) {
        t->other++;
        return 0;
    }
    return k;
}

TRACE_TEXT_PARSER(lackey, 2)

/* For detection, program output counts against lackey, banners for it. */
static int lackey_probe(trace_t *t, const char *p)
{
    trace_ref_t r[2];
    const char *next, *why;
    int k = lackey_classify(t, p, &next, r, &why);
    return k == 3 || k < 0 ? -1 : k > 0;
}

/* Program output between records is normal; a file that is all "program
 * output" is some other text read with -F lackey, and "0 references" would
 * be a silent wrong answer. */
static int lackey_finish(trace_t *t)
{
    if (t->err || t->line == 0 || t->line != t->skipped || t->other == 0)
        return 0;
    return trace_fail(t, 0, EINVAL,
                      "not a lackey trace: none of its %ju lines is a lackey record (expected %s)",
                      (uintmax_t)t->line, trace_fmt_lackey.expect);
}

const trace_fmt_t trace_fmt_lackey = {
    .id = TRACE_LACKEY,
    .name = "lackey",
    .expect = "a lackey line: I|L|S|M HEXADDR,SIZE, e.g. ' L bec14ce0,4'",
    .detectable = 1,
    .state_size = sizeof(lackey_state_t),
    .probe = lackey_probe,
    .parse = lackey_parse,
    .finish = lackey_finish,
};
