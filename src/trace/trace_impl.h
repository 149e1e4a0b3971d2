/* SPDX-License-Identifier: MIT */
/*
 * trace_impl.h - what the trace core (trace.c) shares with each format's
 * file (trace_rw.c, trace_osc.c, ...): the reader state, the format ops and
 * the hand-written field scanners every text parser is built from.
 *
 * Text formats see the input as whole lines: the core keeps
 * buf[pos, lim) made of complete lines, each ending in '\n' (a final line
 * without one gets one), so a scanner that stops at a byte it does not
 * accept always stops at or before the '\n' and never needs a bounds check.
 * That, a 256 KiB buffer filled by read() and table-driven digit scanning
 * is what lets `rw` text run at tens of millions of lines a second.
 */
#ifndef VMLAB_TRACE_IMPL_H
#define VMLAB_TRACE_IMPL_H

#include <stdint.h>

#include "trace/stream.h"
#include "vmlab/trace.h"

#define TRACE_BUF_CAP (256u << 10) /* bytes of decompressed input held at once */
#define TRACE_BUF_SLACK 64         /* room past the data for a sentinel '\n' and for
                                      8-byte loads near the end (tr_hex) */

struct trace {
    tstream_t s;            /* decompressed input bytes */
    const struct trace_fmt *fmt; /* the format being read, after detection */
    trace_opts_t o;         /* options as given (format resolved) */
    char *buf;              /* TRACE_BUF_CAP + TRACE_BUF_SLACK bytes */
    size_t pos, lim, end;   /* consumed < pos <= lim <= end: [pos, lim) whole lines
                               (text) or bytes to decode (binary), [lim, end) a
                               partial last line still being read */
    int eof;                /* the stream has no more bytes beyond end */
    uint64_t off;           /* input bytes consumed before buf[0] */
    int added_nl;           /* fill() ended the input with a '\n' of its own */
    uint64_t line;          /* lines (binary: records) consumed before pos */
    uint64_t bad;           /* malformed lines skipped (skip_bad) */
    uint64_t skipped;       /* lines with no reference that are not errors */
    uint64_t other;         /* lackey: of those, lines of program output */
    int err;                /* pending error (negative errno), 0 if none */
    diag_t diag;            /* its message, handed out with it */
    void *fst;              /* the format's own state (fmt->state_size bytes,
                               zeroed when the format is chosen and before each
                               probe in detection; the core frees it after
                               fmt->destroy): lackey's banner pid, the vmlab
                               binary format's keys and delta base */
    trace_ref_t pend[2];    /* references parsed for a caller who asked for 1 */
    unsigned npend, pend_at;/* pend[pend_at, npend) not yet handed out */
};

/* A trace format: one const instance per file, listed in trace.c's table.
 * Adding a format is its file (this struct, its state in t->fst) and one line
 * in trace.c's fmts[]; its name then appears in every help and message. */
typedef struct trace_fmt {
    trace_format_t id;
    const char *name;       /* -F NAME */
    const char *expect;     /* a line's shape for messages, "(expected ...)" */
    int binary;             /* 1: not line based (vmlab) */
    int detectable;         /* 0: never chosen by auto-detection (pages) */
    size_t state_size;      /* bytes of t->fst the format keeps, 0 if none */
    /* Free what the format allocated in t->fst (not t->fst itself).  Optional. */
    void (*destroy)(trace_t *t);
    /* Classify one line starting at p (ends with '\n') for detection:
     * 1 a reference, 0 no reference but valid (blank, banner), -1 not this
     * format.  NULL for binary formats (detected by magic). */
    int (*probe)(trace_t *t, const char *p);
    /* Parse from buf[pos, lim) (text) into out[0, max), max >= 2; advance
     * pos/line; return references produced.  A malformed line goes through
     * trace_bad(); when it returns nonzero, stop (t->err is set). */
    size_t (*parse)(trace_t *t, trace_ref_t *out, size_t max);
    /* Formats that number their distinct (pid, address) pairs (vmlab
     * version 2): as parse, but key[i] and op[i] instead of references
     * (trace_read_keys).  NULL otherwise; may return 0 with t->err =
     * -ENOTSUP when this file has no keys (vmlab version 1). */
    size_t (*parse_keys)(trace_t *t, uint32_t *key, uint8_t *op, size_t max);
    /* With parse_keys: whether this file has keys, the keys defined so far,
     * key k's address and pid, the shift of stored addresses (trace.h's
     * trace_has_keys, trace_nkeys, trace_key, trace_key_shift). */
    int (*has_keys)(const trace_t *t);
    uint32_t (*nkeys)(const trace_t *t);
    void (*key)(const trace_t *t, uint32_t k, uint64_t *addr, uint32_t *pid);
    unsigned (*key_shift)(const trace_t *t);
    /* Binary formats: read the header at buf[0, end) once after opening,
     * and check the trailer once the input is exhausted; 0 or nonzero with
     * t->err set.  NULL for text formats (lackey has a finish: a file of
     * nothing but "program output" is not a lackey trace). */
    int (*start)(trace_t *t);
    int (*finish)(trace_t *t);
} trace_fmt_t;

extern const trace_fmt_t trace_fmt_osc, trace_fmt_rw, trace_fmt_ls, trace_fmt_lackey,
    trace_fmt_din, trace_fmt_pages, trace_fmt_vmlab;

/* A malformed line starting at p (line number `line`): with skip_bad count
 * it and return 0; otherwise set t->err / t->diag ("why in 'LINE' (expected
 * fmt->expect)") and return 1. */
int trace_bad(trace_t *t, uint64_t line, const char *p, const char *why);
/* Set a pending error not about a line's shape. */
int trace_fail(trace_t *t, uint64_t line, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The scanners and line parsers are the inner loop: always inline them
 * (gcc stops inlining rw_line once tr_hex grows, costing ~20 instructions
 * a line in calls). */
#define TR_INLINE static inline __attribute__((always_inline))

/* ---- scanners: each stops at the first byte it does not accept ---- */

extern const uint8_t trace_hexval[256]; /* 0..15, or 0xff for a non-hex byte */

TR_INLINE int tr_sp(char c)
{
    return c == ' ' || c == '\t';
}

TR_INLINE const char *tr_skip_sp(const char *p)
{
    while (tr_sp(*p))
        p++;
    return p;
}

/* End of a line: optional spaces, optional '\r', '\n'.  Returns the byte
 * after '\n', or NULL if something else is there. */
TR_INLINE const char *tr_eol(const char *p)
{
    p = tr_skip_sp(p);
    if (*p == '\r')
        p++;
    return *p == '\n' ? p + 1 : NULL;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Whether p[0, 8) are all hex digits. */
TR_INLINE int tr_hex8(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (trace_hexval[u[0]] | trace_hexval[u[1]] | trace_hexval[u[2]] | trace_hexval[u[3]] |
            trace_hexval[u[4]] | trace_hexval[u[5]] | trace_hexval[u[6]] | trace_hexval[u[7]]) < 16;
}

/* The value of 8 hex digits at p (tr_hex8(p) holds), first digit highest. */
TR_INLINE uint64_t tr_hex8_value(const char *p)
{
    uint64_t w;
    __builtin_memcpy(&w, p, 8);
    /* '0'-'9' -> 0-9, 'a'-'f' and 'A'-'F' -> 10-15: low nibble + 9 for letters. */
    w = (w & 0x0f0f0f0f0f0f0f0full) + ((w >> 6) & 0x0101010101010101ull) * 9;
    w = ((w << 4) | (w >> 8)) & 0x00ff00ff00ff00ffull;  /* digit pairs */
    w = ((w << 8) | (w >> 16)) & 0x0000ffff0000ffffull; /* 4-digit groups */
    return ((w << 16) | (w >> 32)) & 0xffffffffull;
}
#endif

/* Hex digits with an optional 0x: *v, returns the end, or NULL if there is
 * no digit or more than 64 bits. */
TR_INLINE const char *tr_hex(const char *p, uint64_t *v)
{
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && trace_hexval[(uint8_t)p[2]] < 16)
        p += 2;
    const char *s = p;
    uint64_t x = 0;
    unsigned dg;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Eight digits at once (SWAR): the 8-digit addresses of rw traces take
     * ~20 instructions instead of ~50; a second chunk only when a ninth
     * digit follows.  Reading 8 bytes may pass the line's '\n'; the
     * buffer's slack keeps that inside the (initialised) buffer. */
    if (tr_hex8(p)) {
        x = tr_hex8_value(p);
        p += 8;
        if (trace_hexval[(uint8_t)*p] < 16 && tr_hex8(p)) {
            x = x << 32 | tr_hex8_value(p);
            p += 8;
        }
    }
#endif
    while ((dg = trace_hexval[(uint8_t)*p]) < 16) {
        x = x << 4 | dg;
        p++;
    }
    if (p == s)
        return NULL; /* no digit */
    if (__builtin_expect(p - s > 16, 0)) {
        const char *sig = s; /* leading zeros do not count against 64 bits */
        while (*sig == '0')
            sig++;
        if (p - sig > 16)
            return NULL;
    }
    *v = x;
    return p;
}

/* Decimal digits: *v, returns the end, or NULL if none or over 64 bits. */
TR_INLINE const char *tr_dec(const char *p, uint64_t *v)
{
    const char *s = p;
    uint64_t x = 0;
    unsigned dg;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Eight digits at once (SWAR, as in Lemire's "parse_eight_digits").  The
     * check rejects any byte outside '0'..'9' (a carry between bytes can
     * only reject more, and the byte loop then takes over).  Loads past
     * the line's '\n' stay in the buffer's slack, as in tr_hex. */
    for (;;) {
        uint64_t w;
        __builtin_memcpy(&w, p, 8);
        if (((w + 0x4646464646464646ull) | (w - 0x3030303030303030ull)) & 0x8080808080808080ull)
            break;
        w -= 0x3030303030303030ull;
        w = (w * 10) + (w >> 8); /* digit pairs */
        w = (((w & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
             (((w >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >> 32;
        if (__builtin_mul_overflow(x, 100000000u, &x) || __builtin_add_overflow(x, w, &x))
            return NULL;
        p += 8;
    }
#endif
    while ((dg = (unsigned)(uint8_t)*p - '0') < 10) {
        if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, dg, &x))
            return NULL;
        p++;
    }
    *v = x;
    return p == s ? NULL : p;
}

/* The optional pid column: "PID " when multi_pid.  Returns where the rest
 * starts, or NULL (with *why) if the column is missing or out of range. */
TR_INLINE const char *tr_pid(const trace_t *t, const char *p, uint32_t *pid,
                                 const char **why)
{
    uint64_t v;
    if (!t->o.multi_pid) {
        *pid = 0;
        return p;
    }
    const char *q = tr_dec(p, &v);
    if (!q || !tr_sp(*q) || v > UINT32_MAX) {
        *why = !q ? "no pid column" : v > UINT32_MAX ? "pid over 4294967295" : "no pid column";
        return NULL;
    }
    *pid = (uint32_t)v;
    return tr_skip_sp(q);
}

/* A line that holds no reference: blank (spaces, CR) or a '#' comment.
 * Returns the byte after its '\n', or NULL if it is not one. */
TR_INLINE const char *tr_blank(const char *p)
{
    p = tr_skip_sp(p);
    if (*p == '#') {
        while (*p != '\n')
            p++;
        return p + 1;
    }
    return tr_eol(p);
}

/* The start every text line shares.  `plain` says the line's first byte
 * already looks like its format's data (the common case, tested by the
 * caller in one compare); otherwise a blank or comment line is skipped and
 * leading blanks are passed over.  Then the pid column, when multi_pid.
 * Returns 1 with *pp at the fields and *pid set, 0 for a line holding no
 * reference (*next after it), -1 with *why. */
TR_INLINE int tr_line_begin(const trace_t *t, const char **pp, int plain, const char **next,
                                uint32_t *pid, const char **why)
{
    const char *p = *pp;
    if (__builtin_expect(!plain, 0)) {
        const char *b = tr_blank(p);
        if (b) {
            *next = b;
            return 0;
        }
        p = tr_skip_sp(p);
    }
    *pid = 0;
    if (t->o.multi_pid && !(p = tr_pid(t, p, pid, why)))
        return -1;
    *pp = p;
    return 1;
}

/* A line holding one decimal number (after the optional pid column), as in
 * osc and pages: 1 with *v, 0 for a blank line, -1 with *why. */
TR_INLINE int tr_dec_line(const trace_t *t, const char *p, const char **next, uint64_t *v,
                              uint32_t *pid, const char **why)
{
    int go = tr_line_begin(t, &p, (unsigned)(uint8_t)*p - '0' < 10, next, pid, why);
    if (go <= 0)
        return go;
    const char *e = tr_dec(p, v);
    if (__builtin_expect(!e, 0)) {
        *why = (unsigned)(uint8_t)*p - '0' < 10 ? "number over 64 bits" : "not a decimal number";
        return -1;
    }
    const char *q = tr_eol(e);
    if (__builtin_expect(!q, 0)) {
        *why = "text after the number";
        return -1;
    }
    *next = q;
    return 1;
}

/* The byte after this line's '\n'. */
TR_INLINE const char *tr_next_line(const char *p)
{
    while (*p != '\n')
        p++;
    return p + 1;
}

/* The generic batch loop of a line format whose line parser is
 *   TR_INLINE int NAME_line(trace_t *t, const char *p, const char **next,
 *                               trace_ref_t *r, const char **why)
 * returning references made (0 for a blank line), or -1 with *why. */
#define TRACE_TEXT_PARSER(NAME, ROOM)                                            \
    static size_t NAME##_parse(trace_t *t, trace_ref_t *out, size_t max)       \
    {                                                                          \
        const char *p = t->buf + t->pos, *lim = t->buf + t->lim;               \
        uint64_t line = t->line;                                               \
        size_t n = 0;                                                          \
        while (p < lim && n + (ROOM) <= max) {                                 \
            const char *next, *why = "";                                       \
            line++;                                                            \
            int k = NAME##_line(t, p, &next, out + n, &why);                   \
            if (__builtin_expect(k < 0, 0)) {                                  \
                if (trace_bad(t, line, p, why)) {                              \
                    t->pos = (size_t)(p - t->buf);                             \
                    t->line = line - 1;                                        \
                    return n;                                                  \
                }                                                              \
                next = tr_next_line(p);                                        \
                k = 0;                                                         \
            } else if (k == 0) {                                               \
                t->skipped++;                                                  \
            }                                                                  \
            n += (size_t)k;                                                    \
            p = next;                                                          \
        }                                                                      \
        t->pos = (size_t)(p - t->buf);                                         \
        t->line = line;                                                        \
        return n;                                                              \
    }

/* The probe of a format whose line parser alone tells (see trace_fmt_t). */
#define TRACE_TEXT_PROBE(NAME)                                                 \
    static int NAME##_probe(trace_t *t, const char *p)                         \
    {                                                                          \
        trace_ref_t r[2];                                                      \
        const char *next, *why;                                                \
        int k = NAME##_line(t, p, &next, r, &why);                             \
        return k < 0 ? -1 : k > 0;                                             \
    }

#endif
