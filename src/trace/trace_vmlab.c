/* SPDX-License-Identifier: MIT */
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
 * each key's address (8 bytes per distinct (pid, address)) and, from the
 * first key whose pid differs from the first key's, each key's pid (4 more):
 * a single-process trace holds no pid per key.
 *
 * The magic's high byte and CR LF catch 7-bit and newline-mangling
 * transfers (as PNG's do).  The decoder is a tight loop with no bounds
 * check per byte while SLACK bytes remain.  The END record makes truncation
 * detectable.
 */
#include "base/vec.h"
#include "trace/trace_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"

#define VMLAB_HDR 16
#define VMLAB_VERSION 2 /* written; 1 is still read */
#define SLACK 32 /* the fast loop's guarantee: 2 varints of 10 bytes fit */

enum { CTL_END = 0, CTL_PID = 1, CTL_SIZE = 2, CTL_ABS = 3 };

/* The format's state, in t->fst (trace_fmt_t.state_size). */
typedef struct vmlab_state {
    uint32_t pid;      /* current pid */
    uint8_t size;      /* current access size */
    unsigned shift;    /* stored addresses are addr >> shift */
    uint64_t prev;     /* previous stored address (delta base) */
    uint64_t nrefs;    /* references decoded, checked by the end record */
    int done;          /* end record seen */
    unsigned version;  /* format version, 1 or 2 */
    uint64_t *kaddr;   /* version 2: key -> stored address (cap_keys entries) */
    uint32_t *kpid;    /* version 2: key -> pid; NULL while every key's pid is kpid0 */
    uint32_t kpid0;    /* version 2: the first key's pid (every key's, while kpid is NULL) */
    uint32_t nkeys;    /* version 2: keys defined so far: keys are [0, nkeys) */
    uint32_t cap_keys; /* version 2: capacity of kaddr[] (and of kpid[] once made) */
} vmlab_state_t;

static inline vmlab_state_t *vst(const trace_t *t)
{
    return t->fst;
}

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
    vst(t)->version = h[8];
    if (h[9] != 0 || h[10] > 63)
        return trace_fail(t, 0, EINVAL, "bad vmlab header: flags %#x, address shift %u "
                          "(expected flags 0, shift 0..63)", h[9], h[10]);
    vst(t)->shift = h[10];
    t->pos = VMLAB_HDR;
    return 0;
}

static size_t bad(trace_t *t, const uint8_t *p, size_t n, const char *what)
{
    vst(t)->nrefs += n;
    t->pos = (size_t)((const char *)p - t->buf);
    trace_fail(t, 0, EINVAL, "%s at byte %ju after %ju references (expected a vmlab record)",
               what, (uintmax_t)(t->off + t->pos), (uintmax_t)vst(t)->nrefs);
    return n;
}

/* Room for key k (k == vst(t)->nkeys, a new key): 0, or nonzero with t->err. */
static int keys_grow(trace_t *t)
{
    if (vst(t)->nkeys == UINT32_MAX)
        return trace_fail(t, 0, ERANGE, "more than %u distinct addresses (expected fewer)",
                          UINT32_MAX);
    /* Two arrays, one capacity: both grow to the same size or the call fails. */
    uint32_t ca = vst(t)->cap_keys, cb = vst(t)->cap_keys;
    if (vl_grow32((void **)&vst(t)->kaddr, &ca, (size_t)vst(t)->nkeys + 1, sizeof *vst(t)->kaddr) ||
        (vst(t)->kpid &&
         vl_grow32((void **)&vst(t)->kpid, &cb, (size_t)vst(t)->nkeys + 1, sizeof *vst(t)->kpid)))
        return trace_fail(t, 0, ENOMEM, "out of memory for %u distinct addresses", vst(t)->nkeys + 1);
    vst(t)->cap_keys = vst(t)->kpid && cb < ca ? cb : ca;
    return 0;
}

/* A second pid among the keys: make kpid[] (cap_keys entries), every key
 * so far kpid0's.  0, or nonzero with t->err. */
static int keys_split_pids(trace_t *t)
{
    vmlab_state_t *v = vst(t);
    VL_ASSERT(!v->kpid && v->nkeys < v->cap_keys);
    if (!(v->kpid = malloc((size_t)v->cap_keys * sizeof *v->kpid)))
        return trace_fail(t, 0, ENOMEM, "out of memory for the pids of %u distinct addresses",
                          v->nkeys + 1);
    for (uint32_t k = 0; k < v->nkeys; k++)
        v->kpid[k] = v->kpid0;
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
    uint64_t prev = vst(t)->prev, tag, v;
    unsigned shift = vst(t)->shift;
    uint32_t pid = vst(t)->pid;
    uint8_t size = vst(t)->size;
    size_t n = 0;
    int trunc = 0, done = vst(t)->done, eof = t->eof; /* locals: stores to out[] may alias *t */
    const int v2 = vst(t)->version == 2;
    uint64_t *kaddr = vst(t)->kaddr;
    uint32_t *kpid = vst(t)->kpid, kpid0 = vst(t)->kpid0;
    uint32_t nkeys = vst(t)->nkeys;
    /* an error after n references: keep the keys they use defined */
#define FAIL(what)                                                             \
    do {                                                                       \
        vst(t)->nkeys = nkeys;                                                      \
        return bad(t, p, n, what);                                             \
    } while (0)
    while (n < max) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (!out && v2 && !done) {
            /* Keys only, the common records (references to defined keys)
             * a chunk of 8 bytes at a time: one load, the varints' stop
             * bytes found at once (~w & 0x80..), each varint of the chunk
             * gathered from the loaded word (varint8's three SWAR steps),
             * so the records of a chunk do not wait on each other's
             * lengths.  Anything else (a new key, a control record, no stop
             * byte in 8, the last SLACK bytes, room for fewer than 8 keys)
             * leaves for the general loop below, one record at a time. */
            while (max - n >= 8 && end - p >= SLACK) {
                uint64_t w, stop;
                unsigned s = 0; /* bit offset of the record in w */
                __builtin_memcpy(&w, p, 8);
                stop = ~w & 0x8080808080808080ull;
                if (__builtin_expect(!stop, 0))
                    break;
                do {
                    uint64_t g = ((w & (stop ^ (stop - 1))) >> s) & 0x7f7f7f7f7f7f7f7full;
                    g = (g & 0x007f007f007f007full) | ((g & 0x7f007f007f007f00ull) >> 1);
                    g = (g & 0x00003fff00003fffull) | ((g & 0x3fff00003fff0000ull) >> 2);
                    g = (g & 0x000000000fffffffull) | ((g & 0x0fffffff00000000ull) >> 4);
                    /* K = g >> 2 names a defined key iff K - 1 < nkeys */
                    if (__builtin_expect((g & 3) == 3 || (g >> 2) - 1 >= nkeys, 0)) {
                        p += s >> 3;
                        goto general;
                    }
                    key[n] = (uint32_t)((g >> 2) - 1);
                    op[n++] = (uint8_t)(g & 3);
                    s = (unsigned)__builtin_ctzll(stop) + 1;
                    stop &= stop - 1;
                } while (stop);
                p += s >> 3;
            }
        general:
            if (n == max)
                break;
        }
#endif
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
                if (__builtin_expect(nkeys == vst(t)->cap_keys, 0)) {
                    vst(t)->nkeys = nkeys;
                    if (keys_grow(t)) {
                        t->pos = (size_t)((const char *)p - t->buf);
                        vst(t)->nrefs += n;
                        return n;
                    }
                    kaddr = vst(t)->kaddr;
                    kpid = vst(t)->kpid;
                }
                if (kpid) {
                    kpid[nkeys] = pid;
                } else if (nkeys == 0) {
                    vst(t)->kpid0 = kpid0 = pid;
                } else if (__builtin_expect(pid != kpid0, 0)) {
                    vst(t)->nkeys = nkeys;
                    if (keys_split_pids(t)) {
                        t->pos = (size_t)((const char *)p - t->buf);
                        vst(t)->nrefs += n;
                        return n;
                    }
                    kpid = vst(t)->kpid;
                    kpid[nkeys] = pid;
                }
                prev += (z >> 1) ^ (0 - (z & 1));
                kaddr[nkeys] = prev;
                k = nkeys++;
            }
            p = q;
            if (out) {
                out[n].addr = (v2 ? kaddr[k] : prev) << shift;
                out[n].pid = !v2 ? pid : kpid ? kpid[k] : kpid0;
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
            if (v != vst(t)->nrefs + n) {
                /* the n references before it stay valid: so do their keys
                 * (once left out, sim indexed past its key map: issue 10) */
                vst(t)->nkeys = nkeys;
                vst(t)->nrefs += n;
                t->pos = (size_t)((const char *)p - t->buf);
                trace_fail(t, 0, EINVAL,
                           "the end record counts %ju references but %ju were read (expected "
                           "equal counts: the file is damaged)",
                           (uintmax_t)v, (uintmax_t)vst(t)->nrefs);
                return n;
            }
            vst(t)->done = done = 1;
        } else {
            FAIL("unknown control record");
        }
    }
#undef FAIL
    vst(t)->prev = prev;
    vst(t)->pid = pid;
    vst(t)->size = size;
    vst(t)->nkeys = nkeys;
    vst(t)->nrefs += n;
    t->line = vst(t)->nrefs;
    t->pos = (size_t)((const char *)p - t->buf);
    return n;
}

static size_t vmlab_parse(trace_t *t, trace_ref_t *out, size_t max)
{
    return decode(t, out, NULL, NULL, max);
}

static size_t vmlab_parse_keys(trace_t *t, uint32_t *key, uint8_t *op, size_t max)
{
    if (vst(t)->version != 2) {
        trace_fail(t, 0, ENOTSUP, "vmlab trace version %u has no keys (expected version 2: "
                   "convert it again with vmlab convert)", vst(t)->version);
        return 0;
    }
    return decode(t, NULL, key, op, max);
}

static int vmlab_finish(trace_t *t)
{
    if (vst(t)->done || t->err)
        return 0;
    return trace_fail(t, 0, EINVAL,
                      "truncated vmlab trace: it ends without its end record after %ju "
                      "references (expected the end record vmlab convert writes)",
                      (uintmax_t)vst(t)->nrefs);
}

static void vmlab_destroy(trace_t *t)
{
    free(vst(t)->kaddr);
    free(vst(t)->kpid);
}

static int vmlab_has_keys(const trace_t *t)
{
    return vst(t)->version == 2;
}

static uint32_t vmlab_nkeys(const trace_t *t)
{
    return vst(t)->nkeys;
}

static void vmlab_key(const trace_t *t, uint32_t k, uint64_t *addr, uint32_t *pid)
{
    const vmlab_state_t *v = vst(t);
    VL_ASSERT(k < v->nkeys);
    *addr = v->kaddr[k] << v->shift;
    *pid = v->kpid ? v->kpid[k] : v->kpid0;
}

static unsigned vmlab_key_shift(const trace_t *t)
{
    return vst(t)->shift;
}

const trace_fmt_t trace_fmt_vmlab = {
    .id = TRACE_VMLAB,
    .name = "vmlab",
    .expect = "vmlab binary records",
    .binary = 1,
    .detectable = 1,
    .state_size = sizeof(vmlab_state_t),
    .destroy = vmlab_destroy,
    .parse = vmlab_parse,
    .parse_keys = vmlab_parse_keys,
    .has_keys = vmlab_has_keys,
    .nkeys = vmlab_nkeys,
    .key = vmlab_key,
    .key_shift = vmlab_key_shift,
    .start = vmlab_start,
    .finish = vmlab_finish,
};
