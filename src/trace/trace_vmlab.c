/*
 * trace_vmlab.c - vmlab's compact binary trace format (the reader; the
 * writer is in trace_write.c).  Layout, fully in docs/trace-format.md:
 *
 *   header, 16 bytes: magic 89 'V' 'M' 'L' 'T' 'R' '\r' '\n', version (1),
 *                     flags (0), addr_shift, 5 reserved zero bytes
 *   records, each a LEB128 varint TAG:
 *     TAG & 3 = 0 read, 1 write, 2 ifetch: a reference whose stored address
 *       is the previous one plus zigzag-decoded (TAG >> 2); the address is
 *       stored << addr_shift
 *     TAG & 3 = 3, a control record of kind TAG >> 2:
 *       0 END  varint: number of references; nothing may follow
 *       1 PID  varint: pid of the references that follow (initially 0)
 *       2 SIZE varint: access size of the references that follow (initially 0)
 *       3 ABS  varint: the stored address the next delta starts from
 *
 * The magic's high byte and CR LF catch 7-bit and newline-mangling
 * transfers (as PNG's do).  A reference of a page-granular trace with
 * locality is one or two bytes; the decoder is a tight loop with no bounds
 * check per byte while BIN_SLACK bytes remain, which keeps it far above the
 * simulators' 40 M refs/s.  The END record makes truncation detectable.
 */
#include "trace/trace_impl.h"

#include <errno.h>
#include <string.h>

#define VMLAB_HDR 16
#define VMLAB_VERSION 1
#define SLACK 32 /* the fast loop's guarantee: 2 varints of 10 bytes fit */

enum { CTL_END = 0, CTL_PID = 1, CTL_SIZE = 2, CTL_ABS = 3 };

static const unsigned char magic[8] = {0x89, 'V', 'M', 'L', 'T', 'R', '\r', '\n'};

/* LEB128 at p, at most 10 bytes and 64 bits, not past end.  Returns the end
 * or NULL (*trunc = 1 if it ran into end, 0 if it is too long). */
static inline const uint8_t *varint(const uint8_t *p, const uint8_t *end, uint64_t *v, int *trunc)
{
    if (__builtin_expect(p < end && *p < 0x80, 1)) {
        *v = *p;
        return p + 1;
    }
    uint64_t x = 0;
    for (unsigned s = 0;; s += 7) {
        if (p >= end) {
            *trunc = 1;
            return NULL;
        }
        uint8_t b = *p++;
        if (s == 63 && b > 1) {
            *trunc = 0;
            return NULL;
        }
        x |= (uint64_t)(b & 0x7f) << s;
        if (b < 0x80)
            break;
    }
    *v = x;
    return p;
}

/* LEB128 at p with at least 8 readable bytes: one 64-bit load, the stop
 * byte found with ctz, the 7-bit groups gathered in three SWAR steps rather
 * than a byte loop (random page ids take 8 bytes; this is ~2x the loop).
 * NULL when the varint is longer than 8 bytes: the caller falls back. */
static inline const uint8_t *varint8(const uint8_t *p, uint64_t *v)
{
    if (__builtin_expect(*p < 0x80, 1)) {
        *v = *p;
        return p + 1;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    __builtin_memcpy(&w, p, 8);
    uint64_t stop = ~w & 0x8080808080808080ull;
    if (__builtin_expect(!stop, 0))
        return NULL;
    uint64_t k = w & (stop ^ (stop - 1)) & 0x7f7f7f7f7f7f7f7full;
    k = (k & 0x007f007f007f007full) | ((k & 0x7f007f007f007f00ull) >> 1);
    k = (k & 0x00003fff00003fffull) | ((k & 0x3fff00003fff0000ull) >> 2);
    k = (k & 0x000000000fffffffull) | ((k & 0x0fffffff00000000ull) >> 4);
    *v = k;
    return p + (__builtin_ctzll(stop) >> 3) + 1;
#else
    return NULL;
#endif
}

static int vmlab_start(trace_t *t)
{
    const unsigned char *h = (const unsigned char *)t->buf;
    if (t->end < VMLAB_HDR || memcmp(h, magic, sizeof magic) != 0)
        return trace_fail(t, 0, EINVAL, "%s (expected a vmlab binary trace, written by vmlab convert)",
                          t->end < VMLAB_HDR && memcmp(h, magic, t->end < 8 ? t->end : 8) == 0
                              ? "truncated vmlab header"
                              : "not a vmlab binary trace: bad magic");
    if (h[8] != VMLAB_VERSION)
        return trace_fail(t, 0, EINVAL, "vmlab trace version %u (expected version %u)", h[8],
                          VMLAB_VERSION);
    if (h[9] != 0 || h[10] > 63)
        return trace_fail(t, 0, EINVAL, "bad vmlab header: flags %#x, address shift %u "
                          "(expected flags 0, shift 0..63)", h[9], h[10]);
    t->shift = h[10];
    t->pos = VMLAB_HDR;
    return 0;
}

static size_t bad(trace_t *t, const uint8_t *p, size_t n, const char *what)
{
    t->nrefs += n;
    t->pos = (size_t)((const char *)p - t->buf);
    trace_fail(t, 0, EINVAL, "%s at byte %ju after %ju references (expected a vmlab record)",
               what, (uintmax_t)(t->off + t->pos), (uintmax_t)t->nrefs);
    return n;
}

static size_t vmlab_parse(trace_t *t, trace_ref_t *out, size_t max)
{
    const uint8_t *p = (const uint8_t *)t->buf + t->pos, *end = (const uint8_t *)t->buf + t->end;
    uint64_t prev = t->prev, tag, v;
    unsigned shift = t->shift;
    uint32_t pid = t->pid;
    uint8_t size = t->size;
    size_t n = 0;
    int trunc = 0, done = t->done, eof = t->eof; /* locals: stores to out[] may alias *t */
    while (n < max) {
        if (__builtin_expect(end - p < SLACK, 0) && (!eof || p == end))
            break;
        const uint8_t *q = end - p >= SLACK ? varint8(p, &tag) : NULL;
        if (__builtin_expect(!q, 0) && !(q = varint(p, end, &tag, &trunc)))
            return bad(t, p, n, trunc ? "truncated record" : "varint longer than 64 bits");
        if (__builtin_expect(done, 0))
            return bad(t, p, n, "data after the end record");
        p = q;
        if (__builtin_expect((tag & 3) != 3, 1)) {
            uint64_t z = tag >> 2;
            prev += (z >> 1) ^ (0 - (z & 1));
            out[n].addr = prev << shift;
            out[n].pid = pid;
            out[n].op = (uint8_t)(tag & 3);
            out[n].size = size;
            n++;
            continue;
        }
        uint64_t kind = tag >> 2;
        q = varint(p, end, &v, &trunc);
        if (!q)
            return bad(t, p, n, trunc ? "truncated record" : "varint longer than 64 bits");
        p = q;
        if (kind == CTL_PID) {
            if (v > UINT32_MAX)
                return bad(t, p, n, "pid over 4294967295");
            pid = (uint32_t)v;
        } else if (kind == CTL_SIZE) {
            size = v > 255 ? 255 : (uint8_t)v;
        } else if (kind == CTL_ABS) {
            prev = v;
        } else if (kind == CTL_END) {
            if (v != t->nrefs + n) {
                t->nrefs += n;
                t->pos = (size_t)((const char *)p - t->buf);
                trace_fail(t, 0, EINVAL,
                           "the end record counts %ju references but %ju were read (expected "
                           "equal counts: the file is damaged)",
                           (uintmax_t)v, (uintmax_t)t->nrefs);
                return n;
            }
            t->done = done = 1;
        } else {
            return bad(t, p, n, "unknown control record");
        }
    }
    t->prev = prev;
    t->pid = pid;
    t->size = size;
    t->nrefs += n;
    t->line = t->nrefs;
    t->pos = (size_t)((const char *)p - t->buf);
    return n;
}

static int vmlab_finish(trace_t *t)
{
    if (t->done || t->err)
        return 0;
    return trace_fail(t, 0, EINVAL,
                      "truncated vmlab trace: it ends without its end record after %ju "
                      "references (expected the end record vmlab convert writes)",
                      (uintmax_t)t->nrefs);
}

const trace_fmt_t trace_fmt_vmlab = {
    .id = TRACE_VMLAB,
    .name = "vmlab",
    .expect = "vmlab binary records",
    .binary = 1,
    .detectable = 1,
    .parse = vmlab_parse,
    .start = vmlab_start,
    .finish = vmlab_finish,
};
