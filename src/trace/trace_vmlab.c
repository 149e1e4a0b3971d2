/*
 * trace_vmlab.c - vmlab's compact binary trace format (the reader; the
 * writer is in trace_write.c).  Layout, fully in docs/trace-format.md:
 *
 *   header, 16 bytes: magic 89 'V' 'M' 'L' 'T' 'R' '\r' '\n', version (2;
 *                     1 is still read), flags (0), addr_shift, 5 reserved
 *                     zero bytes
 *   records, each a LEB128 varint TAG:
 *     TAG & 3 = 0 read, 1 write, 2 ifetch: a reference.
 *       version 2: K = TAG >> 2.  K >= 1: the reference is to key K - 1.
 *         K = 0: a varint D follows; the reference defines the next key
 *         (0, 1, 2, ... in order of first appearance), the pair (current
 *         pid, stored address = previous defined address + zigzag(D)).
 *       version 1: the stored address is the previous one plus
 *         zigzag(TAG >> 2).
 *       The address is stored << addr_shift.
 *     TAG & 3 = 3, a control record of kind TAG >> 2:
 *       0 END  varint: number of references; nothing may follow
 *       1 PID  varint: pid of the references (v2: of the keys) that follow
 *       2 SIZE varint: access size of the references that follow (initially 0)
 *       3 ABS  varint: the stored address the next delta starts from
 *
 * Why keys: a simulator indexes per-page state by a dense page id; with
 * keys it gets one without hashing an address per reference (the hash of
 * 10^6 random pages is a cache miss a reference), and a repeated reference
 * is one to three bytes instead of a delta of up to ten (the zipf benchmark
 * trace: 2.9 bytes a reference against 9.4 in version 1).  The reader keeps
 * each key's address and pid: 12 bytes per distinct (pid, address).
 *
 * The magic's high byte and CR LF catch 7-bit and newline-mangling
 * transfers (as PNG's do).  The decoder is a tight loop with no bounds
 * check per byte while SLACK bytes remain.  The END record makes truncation
 * detectable.
 */
#include "trace/trace_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VMLAB_HDR 16
#define VMLAB_VERSION 2 /* written; 1 is still read */
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
    if (h[8] != 1 && h[8] != VMLAB_VERSION)
        return trace_fail(t, 0, EINVAL, "vmlab trace version %u (expected version 1 or %u)", h[8],
                          VMLAB_VERSION);
    t->version = h[8];
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

/* Room for key k (k == t->nkeys, a new key): 0, or nonzero with t->err. */
static int keys_grow(trace_t *t)
{
    if (t->nkeys == UINT32_MAX)
        return trace_fail(t, 0, ERANGE, "more than %u distinct addresses (expected fewer)",
                          UINT32_MAX);
    uint32_t nc = t->cap_keys ? (t->cap_keys > UINT32_MAX / 2 ? UINT32_MAX : t->cap_keys * 2)
                              : 4096;
    uint64_t *a = realloc(t->kaddr, (size_t)nc * sizeof *a);
    if (a)
        t->kaddr = a;
    uint32_t *b = realloc(t->kpid, (size_t)nc * sizeof *b);
    if (b)
        t->kpid = b;
    if (!a || !b)
        return trace_fail(t, 0, ENOMEM, "out of memory for %u distinct addresses", nc);
    t->cap_keys = nc;
    return 0;
}

/* One varint at p: the 8-byte fast path while SLACK bytes remain, else the
 * checked loop.  NULL (with *trunc) past the end or over 64 bits. */
static inline __attribute__((always_inline)) const uint8_t *
next_varint(const uint8_t *p, const uint8_t *end, uint64_t *v, int *trunc)
{
    const uint8_t *q = end - p >= SLACK ? varint8(p, v) : NULL;
    if (__builtin_expect(!q, 0))
        q = varint(p, end, v, trunc);
    return q;
}

/* The decoder of both versions and both outputs: references into out[]
 * (trace_read), or keys and ops into key[]/op[] (trace_read_keys, version
 * 2 only; out is NULL).  Inlined twice, so the unused output costs nothing.
 *
 * Version 1: a reference's stored address is the previous one plus
 * zigzag(TAG >> 2).  Version 2: K = TAG >> 2; K >= 1 is the reference to
 * key K - 1; K = 0 defines key nkeys, the pair (current pid, previous
 * defined address + zigzag(next varint)), and refers to it. */
static inline __attribute__((always_inline)) size_t
decode(trace_t *t, trace_ref_t *out, uint32_t *key, uint8_t *op, size_t max)
{
    const uint8_t *p = (const uint8_t *)t->buf + t->pos, *end = (const uint8_t *)t->buf + t->end;
    uint64_t prev = t->prev, tag, v;
    unsigned shift = t->shift;
    uint32_t pid = t->pid;
    uint8_t size = t->size;
    size_t n = 0;
    int trunc = 0, done = t->done, eof = t->eof; /* locals: stores to out[] may alias *t */
    const int v2 = t->version == 2;
    uint64_t *kaddr = t->kaddr;
    uint32_t *kpid = t->kpid;
    uint32_t nkeys = t->nkeys;
    /* an error after n references: keep the keys they use defined */
#define FAIL(what)                                                             \
    do {                                                                       \
        t->nkeys = nkeys;                                                      \
        return bad(t, p, n, what);                                             \
    } while (0)
    while (n < max) {
        if (__builtin_expect(end - p < SLACK, 0) && (!eof || p == end))
            break;
        const uint8_t *q = next_varint(p, end, &tag, &trunc);
        if (__builtin_expect(!q, 0))
            FAIL(trunc ? "truncated record" : "varint longer than 64 bits");
        if (__builtin_expect(done, 0))
            FAIL("data after the end record");
        if (__builtin_expect((tag & 3) != 3, 1)) {
            uint64_t z = tag >> 2;
            uint32_t k = 0;
            if (!v2) {
                prev += (z >> 1) ^ (0 - (z & 1));
            } else if (__builtin_expect(z != 0, 1)) {
                if (__builtin_expect(z > nkeys, 0))
                    FAIL("reference to an undefined key");
                k = (uint32_t)(z - 1);
            } else {
                const uint8_t *r = next_varint(q, end, &z, &trunc);
                if (__builtin_expect(!r, 0))
                    FAIL(trunc ? "truncated record" : "varint longer than 64 bits");
                q = r;
                if (__builtin_expect(nkeys == t->cap_keys, 0)) {
                    t->nkeys = nkeys;
                    if (keys_grow(t)) {
                        t->pos = (size_t)((const char *)p - t->buf);
                        t->nrefs += n;
                        return n;
                    }
                    kaddr = t->kaddr;
                    kpid = t->kpid;
                }
                prev += (z >> 1) ^ (0 - (z & 1));
                kaddr[nkeys] = prev;
                kpid[nkeys] = pid;
                k = nkeys++;
            }
            p = q;
            if (out) {
                out[n].addr = (v2 ? kaddr[k] : prev) << shift;
                out[n].pid = v2 ? kpid[k] : pid;
                out[n].op = (uint8_t)(tag & 3);
                out[n].size = size;
            } else {
                key[n] = k;
                op[n] = (uint8_t)(tag & 3);
            }
            n++;
            continue;
        }
        p = q;
        uint64_t kind = tag >> 2;
        q = varint(p, end, &v, &trunc);
        if (!q)
            FAIL(trunc ? "truncated record" : "varint longer than 64 bits");
        p = q;
        if (kind == CTL_PID) {
            if (v > UINT32_MAX)
                FAIL("pid over 4294967295");
            pid = (uint32_t)v;
        } else if (kind == CTL_SIZE) {
            size = v > 255 ? 255 : (uint8_t)v;
        } else if (kind == CTL_ABS) {
            prev = v;
        } else if (kind == CTL_END) {
            if (v != t->nrefs + n) {
                /* the n references before it stay valid: so do their keys
                 * (once left out, sim indexed past its key map: issue 10) */
                t->nkeys = nkeys;
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
            FAIL("unknown control record");
        }
    }
#undef FAIL
    t->prev = prev;
    t->pid = pid;
    t->size = size;
    t->nkeys = nkeys;
    t->nrefs += n;
    t->line = t->nrefs;
    t->pos = (size_t)((const char *)p - t->buf);
    return n;
}

static size_t vmlab_parse(trace_t *t, trace_ref_t *out, size_t max)
{
    return decode(t, out, NULL, NULL, max);
}

static size_t vmlab_parse_keys(trace_t *t, uint32_t *key, uint8_t *op, size_t max)
{
    if (t->version != 2) {
        trace_fail(t, 0, ENOTSUP, "vmlab trace version %u has no keys (expected version 2: "
                   "convert it again with vmlab convert)", t->version);
        return 0;
    }
    return decode(t, NULL, key, op, max);
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
    .parse_keys = vmlab_parse_keys,
    .start = vmlab_start,
    .finish = vmlab_finish,
};
