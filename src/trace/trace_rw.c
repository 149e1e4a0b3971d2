/* SPDX-License-Identifier: MIT */
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

#ifdef __SSE2__
#include <emmintrin.h>

/* The common line, "HEX R\n" with 1 to 16 digits, no 0x, one space, in a
 * few vector instructions: find its '\n' and classify 16 bytes as hex
 * digits at once, count the leading ones, convert all 16 to nibbles and
 * pack them pairwise into one big-endian word, then shift the digits past
 * the address away.  The next line's start comes from the '\n' alone, so
 * the chain from one line to the next is a load, a compare and a bit scan;
 * the checks hang off it.  1 with *r and *next, or 0 to leave the line to
 * rw_line (anything else, errors included).  The 32 bytes read may pass
 * the line's '\n'; the buffer's slack (TRACE_BUF_SLACK) keeps them inside
 * the buffer. */
TR_INLINE int rw_fast(const char *p, const char **next, trace_ref_t *r)
{
    const __m128i b = _mm_loadu_si128((const __m128i *)p);
    const __m128i b2 = _mm_loadu_si128((const __m128i *)(p + 16));
    const __m128i nl = _mm_set1_epi8('\n');
    unsigned eol = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, nl)) |
                   (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b2, nl)) << 16;
    unsigned len = (unsigned)__builtin_ctz(eol | 0x80000000u); /* bytes before '\n' */
    const __m128i l = _mm_or_si128(b, _mm_set1_epi8(0x20)); /* letters lower case */
    /* signed compares: a byte >= 0x80 is negative, so neither digit nor letter */
    const __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(b, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(b, _mm_set1_epi8('9' + 1)));
    const __m128i let = _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)),
                                      _mm_cmplt_epi8(l, _mm_set1_epi8('f' + 1)));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(dig, let));
    unsigned n = (unsigned)__builtin_ctz(~m | 0x10000); /* leading hex digits, 0..16 */
    /* 17 digits or more: p[16] is no blank */
    unsigned c = (uint8_t)p[n + 1] | 0x20;
    if (__builtin_expect(n == 0 || len != n + 2 || p[n] != ' ' || (c != 'r' && c != 'w'), 0))
        return 0;
    /* '0'-'9' -> 0-9, letters -> low nibble + 9 */
    __m128i v = _mm_add_epi8(_mm_and_si128(b, _mm_set1_epi8(0x0f)),
                             _mm_and_si128(let, _mm_set1_epi8(9)));
    /* each 16-bit lane holds digits d0 (low byte), d1: make it d0 << 4 | d1 */
    v = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(v, 4), _mm_srli_epi16(v, 8)),
                      _mm_set1_epi16(0xff));
    uint64_t w = (uint64_t)_mm_cvtsi128_si64(_mm_packus_epi16(v, v));
    w = __builtin_bswap64(w); /* the first digit highest */
    r->addr = n == 16 ? w : w >> (4 * (16 - n));
    r->pid = 0;
    r->op = c == 'w' ? TRACE_WRITE : TRACE_READ;
    r->size = 0;
    *next = p + len + 1;
    return 1;
}
#endif

TR_INLINE int rw_line(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                          const char **why)
{
#ifdef __SSE2__
    if (!t->o.multi_pid && rw_fast(p, next, r))
        return 1;
#endif
    uint32_t pid;
    int go = tr_line_begin(t, &p, trace_hexval[(uint8_t)*p] < 16, next, &pid, why);
    if (go <= 0)
        return go;
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
