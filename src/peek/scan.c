/* SPDX-License-Identifier: MIT */
/*
 * scan.c - scanmem's search for a value in another process's memory
 * (github.com/scanmem/scanmem: a first scan over the readable+writable
 * mappings, then narrowing scans that re-read only the matches).
 *
 * First scan: each selected mapping is read in chunks (64 KiB by default,
 * so the chunk is still in the L2 cache when the loop tests it: CPU time
 * per GiB is about half of that with 8 MiB chunks, BENCHMARKS.md)
 * with one process_vm_readv per chunk, and every aligned position of the
 * chunk is tested.  Equality on integers, the common case, runs a loop with
 * no call and no branch per position: blocks of 16 positions are OR-reduced
 * (`any |= x == v`, which compilers vectorise) and only a block that holds a
 * match is looked at position by position.  At every byte offset (align 1)
 * the blocks test the value's low byte alone (32 byte compares a vector)
 * and only a block where it occurs is tested in full.  Positions straddling two chunks
 * are covered by reading width - 1 bytes more than the chunk; positions
 * straddling two mappings are not (scanmem's rule).  A chunk with a page
 * that cannot be read (EFAULT) is re-read a page at a time and the bad
 * pages skipped.
 *
 * Narrowing: matches (sorted by address) are grouped into spans, runs of
 * matches less than a page apart, and the spans read in batches of up to
 * 1024 iovecs per system call; each match is tested against a value or its
 * own previous value.  A span that can no longer be read (the target
 * unmapped it) is re-read match by match and the unreadable matches
 * dropped.  The new matches are built aside and swapped in at the end, so
 * an error leaves the old ones.
 *
 * Strings and byte patterns (scanmem's `" text` and bytearray searches):
 * the first scan looks for one byte of the pattern with memchr (glibc's,
 * vectorised), choosing a byte that is not a wildcard and preferably not
 * zero (the commonest byte in memory), and compares the whole pattern,
 * wildcards masked out, only where that byte occurs.  Every aligned
 * position counts, so matches may overlap ("aa" twice in "aaa"), as
 * numbers at every byte offset do.  A match keeps its bytes, so narrowing
 * tests "still equal to a pattern" or "changed since the last step".
 *
 * Memory: 16 bytes a match (address and value) for numbers, 8 + width for
 * patterns (address and bytes), bounded by max_matches.
 * Invariant (peek_scan_check): addresses strictly increase, each is a
 * multiple of align, n <= max; numbers keep one value a match, patterns
 * width bytes.
 */
#include "vmlab/peek.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "vmlab/check.h"
#include "vmlab/env.h"
#include "vmlab/parse.h"

typedef VL_VEC(uint64_t) u64_vec_t;
typedef VL_VEC(unsigned char) byte_vec_t;

struct peek_scan {
    peek_type_t type;          /* any */
    int pattern;               /* type is string or bytes: matches keep raw bytes */
    size_t width;              /* bytes of a value: 1..8, or the pattern's length (0: none yet) */
    size_t align;              /* positions are multiples of it */
    size_t max;                /* bound on matches */
    u64_vec_t addr;            /* match addresses, increasing */
    u64_vec_t val;             /* numbers: value last read at addr[i], zero-extended bits */
    byte_vec_t raw;            /* patterns: bytes last read, width per match, in match order */
    peek_scan_stats_t st;      /* of the last step */
};

#define SCAN_CHUNK ((size_t)64 << 10)
#define SCAN_GAP 4096          /* matches closer than this share a span */
#define SCAN_SPAN_MAX 65536    /* longest span */
#define SCAN_BATCH_BYTES ((size_t)4 << 20)
#define SCAN_BATCH_SPANS 4096

int peek_op_has_value(peek_op_t op)
{
    return op <= PEEK_OP_GE || op == PEEK_OP_INC_BY || op == PEEK_OP_DEC_BY;
}

int peek_scan_new(peek_type_t t, size_t align, size_t max, peek_scan_t **out, diag_t *d)
{
    peek_scan_t *s;
    size_t w = peek_type_size(t);
    if ((unsigned)t >= PEEK_TYPE_COUNT)
        return diag_set(d, NULL, 0, EINVAL, "unknown type (expected one of %s)", peek_type_list());
    if (align == 0)
        align = w ? w : 1;
    if (align != 1 && align != 2 && align != 4 && align != 8)
        return diag_set(d, NULL, 0, EINVAL, "alignment %zu (expected 1, 2, 4 or 8)", align);
    if (max == 0 || max > VL_VEC_MAX_BYTES / 16)
        return diag_set(d, NULL, 0, EINVAL, "match bound %zu (expected 1..%zu)", max,
                        (size_t)(VL_VEC_MAX_BYTES / 16));
    s = calloc(1, sizeof *s);
    if (!s)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    s->type = t;
    s->pattern = !peek_type_numeric(t);
    s->width = w;
    s->align = align;
    s->max = max;
    *out = s;
    return 0;
}

void peek_scan_free(peek_scan_t *s)
{
    if (!s)
        return;
    vl_vec_free(&s->addr);
    vl_vec_free(&s->val);
    vl_vec_free(&s->raw);
    free(s);
}

peek_type_t peek_scan_type(const peek_scan_t *s)
{
    return s->type;
}

size_t peek_scan_align(const peek_scan_t *s)
{
    return s->align;
}

size_t peek_scan_count(const peek_scan_t *s)
{
    return s->addr.n;
}

uint64_t peek_scan_addr(const peek_scan_t *s, size_t i)
{
    return s->addr.v[i];
}

uint64_t peek_scan_value(const peek_scan_t *s, size_t i)
{
    uint64_t v = 0;
    if (!s->pattern)
        return s->val.v[i];
    memcpy(&v, s->raw.v + i * s->width, s->width < 8 ? s->width : 8);
    return v;
}

const unsigned char *peek_scan_bytes(const peek_scan_t *s, size_t i)
{
    /* little-endian: a number's bytes are the first ones of its u64 */
    return s->pattern ? s->raw.v + i * s->width : (const unsigned char *)&s->val.v[i];
}

size_t peek_scan_width(const peek_scan_t *s)
{
    return s->width;
}

const peek_scan_stats_t *peek_scan_stats(const peek_scan_t *s)
{
    return &s->st;
}

void peek_scan_check(const peek_scan_t *s)
{
    vl_vec_check(&s->addr);
    vl_vec_check(&s->val);
    vl_vec_check(&s->raw);
    if (s->pattern) {
        VL_ASSERT(s->val.n == 0 && s->width <= PEEK_PATTERN_MAX);
        VL_ASSERT(s->raw.n == s->addr.n * s->width);
    } else {
        VL_ASSERT(s->addr.n == s->val.n && s->raw.n == 0);
        VL_ASSERT(s->width == peek_type_size(s->type));
    }
    VL_ASSERT(s->addr.n <= s->max);
    for (size_t i = 0; i < s->addr.n; i++) {
        VL_ASSERT(s->addr.v[i] % s->align == 0);
        VL_ASSERT(i == 0 || s->addr.v[i - 1] < s->addr.v[i]);
    }
}

/* ---- comparing ------------------------------------------------------------ */

static uint64_t width_mask(size_t w)
{
    return w == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * w)) - 1;
}

static uint64_t load_bits(const unsigned char *p, size_t w)
{
    uint64_t v = 0;
    memcpy(&v, p, w); /* little-endian: the low bytes */
    return v;
}

static int64_t as_signed(uint64_t v, size_t w)
{
    unsigned sh = (unsigned)(64 - 8 * w);
    return (int64_t)(v << sh) >> sh;
}

static double as_double(peek_type_t t, uint64_t v)
{
    if (t == PEEK_F32) {
        float f;
        uint32_t u = (uint32_t)v;
        memcpy(&f, &u, 4);
        return f;
    }
    {
        double x;
        memcpy(&x, &v, 8);
        return x;
    }
}

/* -1, 0, 1 for a < b, a == b, a > b; 2 when unordered (NaN). */
static int compare(peek_type_t t, size_t w, uint64_t a, uint64_t b)
{
    if (t <= PEEK_I64) {
        int64_t x = as_signed(a, w), y = as_signed(b, w);
        return (x > y) - (x < y);
    }
    if (t <= PEEK_U64)
        return (a > b) - (a < b);
    {
        double x = as_double(t, a), y = as_double(t, b);
        if (x != x || y != y)
            return 2;
        return (x > y) - (x < y);
    }
}

/* old + v (or old - v) in the type's arithmetic, as bits. */
static uint64_t add_bits(peek_type_t t, size_t w, uint64_t old, uint64_t v, int sign)
{
    if (t == PEEK_F32) {
        float r = (float)as_double(t, old) + (float)(sign * as_double(t, v));
        uint32_t u;
        memcpy(&u, &r, 4);
        return u;
    }
    if (t == PEEK_F64) {
        double r = as_double(t, old) + sign * as_double(t, v);
        uint64_t u;
        memcpy(&u, &r, 8);
        return u;
    }
    return (sign > 0 ? old + v : old - v) & width_mask(w);
}

static int passes(const peek_scan_t *s, peek_op_t op, uint64_t cur, uint64_t old, uint64_t v)
{
    int c;
    switch (op) {
    case PEEK_OP_EQ: return compare(s->type, s->width, cur, v) == 0;
    case PEEK_OP_NE: return compare(s->type, s->width, cur, v) != 0;
    case PEEK_OP_LT: return compare(s->type, s->width, cur, v) == -1;
    case PEEK_OP_GT: return compare(s->type, s->width, cur, v) == 1;
    case PEEK_OP_LE: c = compare(s->type, s->width, cur, v); return c == -1 || c == 0;
    case PEEK_OP_GE: c = compare(s->type, s->width, cur, v); return c == 1 || c == 0;
    case PEEK_OP_CHANGED: return cur != old;
    case PEEK_OP_UNCHANGED: return cur == old;
    case PEEK_OP_INCREASED: return compare(s->type, s->width, cur, old) == 1;
    case PEEK_OP_DECREASED: return compare(s->type, s->width, cur, old) == -1;
    case PEEK_OP_INC_BY:
        return compare(s->type, s->width, cur, add_bits(s->type, s->width, old, v, 1)) == 0;
    case PEEK_OP_DEC_BY:
        return compare(s->type, s->width, cur, add_bits(s->type, s->width, old, v, -1)) == 0;
    default: return 0;
    }
}

/* ---- the first scan ---------------------------------------------------------- */

typedef struct sink {
    peek_scan_t *s;
    int full;                  /* max_matches passed */
    const peek_pattern_t *pat; /* patterns: what the first scan looks for */
    size_t anchor;             /* patterns: index of the byte memchr looks for */
} sink_t;

/* The bound on a pattern's matches: max_matches, but no more than the
 * 16 * max_matches bytes numbers would take (8 for the address, width for
 * the bytes), so a long pattern cannot take 16 times the memory. */
static size_t raw_max(const peek_scan_t *s)
{
    uint64_t m = (uint64_t)s->max * 16 / (8 + s->width); /* max <= 2^32 (peek_scan_new) */
    return m < s->max ? (size_t)m : s->max;
}

/* Append a match of a pattern: its address and its width bytes at p. */
static int raw_push(const peek_scan_t *s, u64_vec_t *a, byte_vec_t *r, uint64_t addr,
                    const unsigned char *p)
{
    if (vl_vec_reserve(r, r->n + s->width) || vl_vec_push(a, addr))
        return -1;
    memcpy(r->v + r->n, p, s->width);
    r->n += s->width;
    return 0;
}

static int sink_push_raw(sink_t *k, uint64_t addr, const unsigned char *p)
{
    peek_scan_t *s = k->s;
    if (s->addr.n >= raw_max(s) || raw_push(s, &s->addr, &s->raw, addr, p)) {
        k->full = 1;
        return -1;
    }
    return 0;
}

/* Whether the pattern's bytes other than wildcards equal x's. */
static int pattern_at(const peek_pattern_t *p, const unsigned char *x)
{
    for (size_t i = 0; i < p->len; i++)
        if ((x[i] ^ p->b[i]) & p->mask[i])
            return 0;
    return 1;
}

/* The byte for memchr: the first that is not a wildcard nor zero, else the
 * first that is not a wildcard (peek_pattern_parse ensures one). */
static size_t pattern_anchor(const peek_pattern_t *p)
{
    size_t first = p->len;
    for (size_t i = 0; i < p->len; i++) {
        if (!p->mask[i])
            continue;
        if (p->b[i])
            return i;
        if (first == p->len)
            first = i;
    }
    return first;
}

/* The aligned positions q < npos_end of [b, b + n) where the pattern is. */
static int scan_pattern(peek_scan_t *s, sink_t *k, const unsigned char *b, size_t n,
                        uint64_t base, size_t npos_end)
{
    const peek_pattern_t *p = k->pat;
    const size_t len = p->len, a = s->align;
    const unsigned char *q, *end;
    if (n < len)
        return 0;
    if (npos_end > n - len + 1)
        npos_end = n - len + 1;
    /* the anchor byte of position x is b[x + anchor] */
    q = b + k->anchor;
    end = q + npos_end;
    while (q < end && (q = memchr(q, p->b[k->anchor], (size_t)(end - q))) != NULL) {
        size_t x = (size_t)(q - b) - k->anchor;
        if ((base + x) % a == 0 && pattern_at(p, b + x) && sink_push_raw(k, base + x, b + x))
            return -1;
        q++;
    }
    return 0;
}

static inline int sink_push(sink_t *k, uint64_t addr, uint64_t val)
{
    peek_scan_t *s = k->s;
    if (s->addr.n >= s->max) {
        k->full = 1;
        return -1;
    }
    if (vl_vec_push(&s->addr, addr) || vl_vec_push(&s->val, val)) {
        k->full = 1;
        return -1;
    }
    return 0;
}

/* Equality at every position that is a multiple of the type's width
 * (buffer and addresses are congruent modulo 8), or at every byte.  The
 * unaligned loads go through a may_alias, aligned(1) type: one load each. */
#define SCAN_EQ_LOOPS(W, T)                                                               \
    typedef T u##W##_una __attribute__((aligned(1), may_alias));                         \
    static int eq_aligned_##W(sink_t *k, const unsigned char *b, size_t n, uint64_t base, \
                              uint64_t val)                                              \
    {                                                                                    \
        const T *p = (const T *)(const void *)b;                                         \
        const T v = (T)val;                                                              \
        size_t cnt = n / sizeof(T);                                                      \
        for (size_t i = 0; i < cnt; i += 16) {                                           \
            size_t e = cnt - i < 16 ? cnt - i : 16;                                      \
            unsigned any = 0;                                                            \
            if (e == 16) {                                                               \
                for (size_t j = 0; j < 16; j++)                                          \
                    any |= p[i + j] == v;                                                \
            } else {                                                                     \
                any = 1;                                                                 \
            }                                                                            \
            if (__builtin_expect(any != 0, 0))                                           \
                for (size_t j = 0; j < e; j++)                                           \
                    if (p[i + j] == v && sink_push(k, base + (i + j) * sizeof(T), val))  \
                        return -1;                                                       \
        }                                                                                \
        return 0;                                                                        \
    }                                                                                    \
    static int eq_bytes_##W(sink_t *k, const unsigned char *b, size_t n, uint64_t base,   \
                            uint64_t val)                                                \
    {                                                                                    \
        const T v = (T)val;                                                              \
        size_t cnt = n >= sizeof(T) ? n - sizeof(T) + 1 : 0;                             \
        const unsigned char v0 = (unsigned char)val;                                     \
        for (size_t i = 0; i < cnt; i += 32) {                                           \
            size_t e = cnt - i < 32 ? cnt - i : 32;                                      \
            unsigned any = 0;                                                            \
            if (e == 32) { /* the low byte first, 32 byte compares: one vector */        \
                for (size_t j = 0; j < 32; j++)                                          \
                    any |= b[i + j] == v0;                                               \
            } else {                                                                     \
                any = 1;                                                                 \
            }                                                                            \
            if (__builtin_expect(any != 0, 0))                                           \
                for (size_t j = 0; j < e; j++)                                           \
                    if (*(const u##W##_una *)(const void *)(b + i + j) == v &&           \
                        sink_push(k, base + i + j, val))                                 \
                        return -1;                                                       \
        }                                                                                \
        return 0;                                                                        \
    }

SCAN_EQ_LOOPS(8, uint8_t)
SCAN_EQ_LOOPS(16, uint16_t)
SCAN_EQ_LOOPS(32, uint32_t)
SCAN_EQ_LOOPS(64, uint64_t)

/* Whether equality is equality of bits: integers, and floats other than
 * zero (which equals -0) and NaN (which equals nothing). */
static int bitwise_eq(const peek_scan_t *s, uint64_t v)
{
    if (!(s->type == PEEK_F32 || s->type == PEEK_F64))
        return 1;
    {
        double x = as_double(s->type, v);
        return x == x && x != 0;
    }
}

/* Test the positions p of [b, b + n) (address base + p) with p % align == 0
 * relative to the address and p + width <= n; the positions whose address
 * is below `limit` only (the chunk proper; the tail bytes are only read). */
static int scan_buf(peek_scan_t *s, sink_t *k, peek_op_t op, uint64_t v, const unsigned char *b,
                    size_t n, uint64_t base, uint64_t limit)
{
    size_t w = s->width, a = s->align;
    size_t first = (size_t)((a - base % a) % a);
    size_t npos_end; /* positions p < npos_end are in the chunk proper */
    if (n < w || first + w > n)
        return 0;
    npos_end = limit - base < n ? (size_t)(limit - base) : n;
    if (s->pattern)
        return scan_pattern(s, k, b, n, base, npos_end);
    if (op == PEEK_OP_EQ && bitwise_eq(s, v) && (a == 1 || (a == w && first == 0))) {
        /* only positions < npos_end: hand the loop exactly those bytes */
        size_t span = a == 1 ? (npos_end + w - 1 < n ? npos_end + w - 1 : n)
                             : (npos_end / w) * w;
        if (a == 1) {
            switch (w) {
            case 1: return eq_bytes_8(k, b, span, base, v);
            case 2: return eq_bytes_16(k, b, span, base, v);
            case 4: return eq_bytes_32(k, b, span, base, v);
            default: return eq_bytes_64(k, b, span, base, v);
            }
        }
        switch (w) {
        case 1: return eq_aligned_8(k, b, span, base, v);
        case 2: return eq_aligned_16(k, b, span, base, v);
        case 4: return eq_aligned_32(k, b, span, base, v);
        default: return eq_aligned_64(k, b, span, base, v);
        }
    }
    for (size_t p = first; p + w <= n && p < npos_end; p += a) {
        uint64_t cur = load_bits(b + p, w);
        if (passes(s, op, cur, cur, v) && sink_push(k, base + p, cur))
            return -1;
    }
    return 0;
}

static int too_many(const peek_scan_t *s, diag_t *d)
{
    if (s->pattern && raw_max(s) < s->max)
        return diag_set(d, NULL, 0, E2BIG, "more than %zu matches of %zu bytes (expected fewer: "
                                           "--max-matches %zu keeps 16 x %zu bytes of matches; "
                                           "choose a rarer pattern, fewer --regions, or a "
                                           "larger --max-matches)",
                        raw_max(s), s->width, s->max, s->max);
    return diag_set(d, NULL, 0, E2BIG, "more than %zu matches (expected fewer: choose a rarer "
                                       "value, fewer --regions, or a larger --max-matches)",
                    s->max);
}

/* One chunk [addr, addr + len) of a mapping ending at `end`. */
static int scan_chunk(peek_scan_t *s, sink_t *k, peek_mem_t *m, peek_op_t op, uint64_t v,
                      unsigned char *buf, uint64_t addr, size_t len, uint64_t end, diag_t *d)
{
    size_t extra = s->width - 1, n = len;
    diag_t tmp;
    int rc;
    if (extra > end - (addr + len))
        extra = (size_t)(end - (addr + len));
    n += extra;
    rc = peek_mem_read(m, addr, buf, n, &tmp);
    if (rc == 0) {
        s->st.bytes += n;
        return scan_buf(s, k, op, v, buf, n, addr, addr + len) ? too_many(s, d) : 0;
    }
    if (rc != -EFAULT) {
        if (d)
            *d = tmp;
        return rc;
    }
    /* Some page cannot be read: a page at a time, runs of good pages. */
    {
        const size_t ps = (size_t)inspect_page_size();
        size_t run = 0; /* start of the current run of good pages, in bytes */
        for (size_t off = 0; off < n; off += ps) {
            size_t l = n - off < ps ? n - off : ps;
            rc = peek_mem_read(m, addr + off, buf + off, l, &tmp);
            if (rc && rc != -EFAULT) {
                if (d)
                    *d = tmp;
                return rc;
            }
            if (rc == 0) {
                s->st.bytes += l;
                continue;
            }
            s->st.skipped += l;
            if (off > run && scan_buf(s, k, op, v, buf + run, off - run, addr + run, addr + len))
                return too_many(s, d);
            run = off + l;
        }
        if (n > run && scan_buf(s, k, op, v, buf + run, n - run, addr + run, addr + len))
            return too_many(s, d);
    }
    return 0;
}

long peek_scan_first(peek_scan_t *s, peek_mem_t *m, const inspect_maps_t *mm, unsigned regions,
                     peek_op_t op, const void *val, size_t chunk, diag_t *d)
{
    uint64_t v = 0, t0 = env_now_ns();
    unsigned char *buf;
    sink_t k = {s, 0, NULL, 0};
    int rc = 0;

    if (s->pattern) {
        if (op != PEEK_OP_EQ)
            return diag_set(d, NULL, 0, EINVAL, "a first scan for %s looks for equal bytes "
                                                "(expected = V)",
                            peek_type_name(s->type));
        k.pat = val;
        if (k.pat->len == 0 || k.pat->len > PEEK_PATTERN_MAX || k.pat->wild >= k.pat->len)
            return diag_set(d, NULL, 0, EINVAL, "an empty pattern or only wildcards (expected "
                                                "1..%d bytes, one at least not ?\?)",
                            PEEK_PATTERN_MAX);
        k.anchor = pattern_anchor(k.pat);
        s->width = k.pat->len;
    } else if (peek_op_has_value(op))
        memcpy(&v, val, s->width);
    else if (op != PEEK_OP_EQ)
        return diag_set(d, NULL, 0, EINVAL, "a first scan compares with a value (expected = V, "
                                            "!= V, < V, > V, <= V or >= V)");
    if (op == PEEK_OP_INC_BY || op == PEEK_OP_DEC_BY)
        return diag_set(d, NULL, 0, EINVAL, "+N and -N compare with a previous scan (expected a "
                                            "first scan such as = V)");
    if (chunk == 0)
        chunk = SCAN_CHUNK;
    {
        /* whole pages, so a chunk re-read page by page splits at real pages */
        size_t ps = (size_t)inspect_page_size();
        chunk = chunk < ps ? ps : (chunk + ps - 1) / ps * ps;
    }
    buf = malloc(chunk + (s->width > 8 ? s->width : 8));
    if (!buf)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    s->addr.n = s->val.n = s->raw.n = 0;
    memset(&s->st, 0, sizeof s->st);
    for (size_t i = 0; i < mm->n && rc == 0; i++) {
        const inspect_map_t *r = &mm->m[i];
        if (!(peek_region_class(r) & regions))
            continue;
        if (r->end - r->start > PEEK_SCAN_REGION_MAX) {
            /* a reservation (ASan's shadow, a JVM heap reserve): mostly never touched */
            s->st.huge++;
            continue;
        }
        s->st.regions++;
        for (uint64_t a = r->start; a < r->end && rc == 0; a += chunk) {
            size_t len = r->end - a < chunk ? (size_t)(r->end - a) : chunk;
            rc = scan_chunk(s, &k, m, op, v, buf, a, len, r->end, d);
        }
    }
    free(buf);
    s->st.ns = env_now_ns() - t0;
    if (rc) {
        s->addr.n = s->val.n = s->raw.n = 0;
        return rc;
    }
    VL_DEBUG_CHECK(peek_scan_check(s));
    return (long)s->addr.n;
}

/* ---- narrowing ------------------------------------------------------------- */

typedef struct span {
    size_t first, last; /* matches [first, last) */
    uint64_t addr;      /* addr of matches[first] */
    size_t len;         /* bytes up to the end of matches[last - 1]'s value */
} span_t;

/* What a narrowing step compares with. */
typedef struct narrow_arg {
    peek_op_t op;
    uint64_t v;                /* numbers: the value, if op has one */
    const peek_pattern_t *pat; /* patterns: the pattern, if op has a value */
} narrow_arg_t;

/* Whether match x, whose bytes now are cur, passes; patterns compare their
 * width bytes with the pattern (=, !=) or with their previous bytes. */
static int narrow_passes(const peek_scan_t *s, const narrow_arg_t *na, size_t x,
                         const unsigned char *cur)
{
    if (!s->pattern)
        return passes(s, na->op, load_bits(cur, s->width), s->val.v[x], na->v);
    switch (na->op) {
    case PEEK_OP_EQ: return pattern_at(na->pat, cur);
    case PEEK_OP_NE: return !pattern_at(na->pat, cur);
    case PEEK_OP_CHANGED: return memcmp(cur, s->raw.v + x * s->width, s->width) != 0;
    default: return memcmp(cur, s->raw.v + x * s->width, s->width) == 0; /* UNCHANGED */
    }
}

/* The operators a pattern narrows with, and a pattern as long as the matches. */
static int narrow_check(const peek_scan_t *s, const narrow_arg_t *na, diag_t *d)
{
    if (!s->pattern)
        return 0;
    if (na->op != PEEK_OP_EQ && na->op != PEEK_OP_NE && na->op != PEEK_OP_CHANGED &&
        na->op != PEEK_OP_UNCHANGED)
        return diag_set(d, NULL, 0, EINVAL, "%s matches compare as bytes (expected = V, != V, "
                                            "changed or unchanged)",
                        peek_type_name(s->type));
    if (peek_op_has_value(na->op) && na->pat->len != s->width && s->addr.n > 0)
        return diag_set(d, NULL, 0, EINVAL, "a pattern of %zu bytes against matches of %zu "
                                            "(expected %zu bytes; 'scan V' starts afresh)",
                        na->pat->len, s->width, s->width);
    return 0;
}

long peek_scan_narrow(peek_scan_t *s, peek_mem_t *m, peek_op_t op, const void *val, diag_t *d)
{
    u64_vec_t na = {0};
    u64_vec_t nv = {0};
    byte_vec_t nr = {0};
    span_t *sp = NULL;
    peek_span_t *io = NULL;
    unsigned char *buf = NULL, *one = NULL;
    uint64_t t0 = env_now_ns();
    size_t i = 0, w = s->width;
    narrow_arg_t arg = {op, 0, NULL};
    long rc = 0;

    if (s->pattern)
        arg.pat = peek_op_has_value(op) ? val : NULL;
    else if (peek_op_has_value(op))
        memcpy(&arg.v, val, w);
    if ((rc = narrow_check(s, &arg, d)))
        return rc;
    memset(&s->st, 0, sizeof s->st);
    sp = malloc(SCAN_BATCH_SPANS * sizeof *sp);
    io = malloc(SCAN_BATCH_SPANS * sizeof *io);
    buf = malloc(SCAN_BATCH_BYTES + SCAN_SPAN_MAX + PEEK_PATTERN_MAX + 8);
    one = malloc(PEEK_PATTERN_MAX + 8);
    if (!sp || !io || !buf || !one) {
        rc = diag_set(d, NULL, 0, ENOMEM, "out of memory");
        goto out;
    }
/* Keep match x, whose bytes now are at cur, if it passes. */
#define KEEP(x, cur)                                                                      \
    do {                                                                                  \
        if (narrow_passes(s, &arg, (x), (cur)) &&                                         \
            (s->pattern ? raw_push(s, &na, &nr, s->addr.v[x], (cur))                      \
                        : (vl_vec_push(&na, s->addr.v[x]) ||                              \
                           vl_vec_push(&nv, load_bits((cur), w))))) {                     \
            rc = diag_set(d, NULL, 0, ENOMEM, "out of memory");                           \
            goto out;                                                                     \
        }                                                                                 \
    } while (0)
    while (i < s->addr.n) {
        size_t ns = 0, used = 0;
        long got;
        /* Group the next matches into spans and spans into a batch. */
        while (i < s->addr.n && ns < SCAN_BATCH_SPANS && used < SCAN_BATCH_BYTES) {
            span_t *p = &sp[ns];
            p->first = i;
            p->addr = s->addr.v[i];
            i++;
            while (i < s->addr.n && s->addr.v[i] - (s->addr.v[i - 1] + w) < SCAN_GAP &&
                   s->addr.v[i] + w - p->addr <= SCAN_SPAN_MAX)
                i++;
            p->last = i;
            p->len = (size_t)(s->addr.v[i - 1] + w - p->addr);
            io[ns].addr = p->addr;
            io[ns].len = p->len;
            io[ns].buf = buf + used;
            used += p->len;
            ns++;
        }
        for (size_t j = 0; j < ns;) {
            diag_t tmp;
            got = peek_mem_readv(m, io + j, ns - j, &tmp);
            if (got < 0 && got != -EFAULT) {
                if (d)
                    *d = tmp;
                rc = got;
                goto out;
            }
            if (got < 0)
                got = 0;
            for (size_t q = j; q < j + (size_t)got; q++) {
                const unsigned char *b = io[q].buf;
                s->st.bytes += io[q].len;
                for (size_t x = sp[q].first; x < sp[q].last; x++)
                    KEEP(x, b + (s->addr.v[x] - sp[q].addr));
            }
            j += (size_t)got;
            if (j < ns) {
                /* Span j failed: its matches one by one. */
                for (size_t x = sp[j].first; x < sp[j].last; x++) {
                    int r1 = peek_mem_read(m, s->addr.v[x], one, w, &tmp);
                    if (r1 == -EFAULT) {
                        s->st.skipped += w;
                        continue;
                    }
                    if (r1) {
                        if (d)
                            *d = tmp;
                        rc = r1;
                        goto out;
                    }
                    s->st.bytes += w;
                    KEEP(x, one);
                }
                j++;
            }
        }
    }
#undef KEEP
    /* Swap in. */
    vl_vec_free(&s->addr);
    vl_vec_free(&s->val);
    vl_vec_free(&s->raw);
    s->addr = na;
    s->val = nv;
    s->raw = nr;
    memset(&na, 0, sizeof na);
    memset(&nv, 0, sizeof nv);
    memset(&nr, 0, sizeof nr);
    rc = (long)s->addr.n;
    VL_DEBUG_CHECK(peek_scan_check(s));
out:
    vl_vec_free(&na);
    vl_vec_free(&nv);
    vl_vec_free(&nr);
    free(sp);
    free(io);
    free(buf);
    free(one);
    s->st.ns = env_now_ns() - t0;
    return rc;
}

long peek_scan_set(peek_scan_t *s, peek_mem_t *m, const void *val, diag_t *d)
{
    long n = 0;
    uint64_t v = 0;
    const void *src = val;
    size_t len = s->width;
    if (s->pattern) {
        const peek_pattern_t *p = val;
        if (p->wild)
            return diag_set(d, NULL, 0, EINVAL, "set writes bytes, and ?\? is none (expected a "
                                                "value without wildcards)");
        src = p->b;
        len = p->len;
    } else {
        memcpy(&v, val, s->width);
    }
    for (size_t i = 0; i < s->addr.n; i++) {
        diag_t tmp;
        int rc = peek_mem_write(m, s->addr.v[i], src, len, NULL, &tmp);
        if (rc == -EFAULT)
            continue;
        if (rc) {
            if (d)
                *d = tmp;
            return rc;
        }
        if (s->pattern)
            memcpy(s->raw.v + i * s->width, src, len < s->width ? len : s->width);
        else
            s->val.v[i] = v;
        n++;
    }
    return n;
}

/* ---- the match file ------------------------------------------------------------ */

int peek_scan_set_matches(peek_scan_t *s, const uint64_t *addr, const uint64_t *val, size_t n,
                          diag_t *d)
{
    uint64_t mask = width_mask(s->width);
    if (s->pattern)
        return diag_set(d, NULL, 0, EINVAL, "%s matches are bytes (expected a numeric type)",
                        peek_type_name(s->type));
    if (n > s->max)
        return too_many(s, d);
    for (size_t i = 0; i < n; i++)
        if (addr[i] % s->align || (i && addr[i] <= addr[i - 1]) || (val[i] & ~mask))
            return diag_set(d, NULL, 0, EINVAL, "match %zu: address 0x%jx or value is out of order "
                                                "or misaligned",
                            i, (uintmax_t)addr[i]);
    if (vl_vec_reserve(&s->addr, n) || vl_vec_reserve(&s->val, n))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    if (n) {
        memcpy(s->addr.v, addr, n * sizeof *addr);
        memcpy(s->val.v, val, n * sizeof *val);
    }
    s->addr.n = s->val.n = n;
    VL_DEBUG_CHECK(peek_scan_check(s));
    return 0;
}

int peek_scan_save(const peek_scan_t *s, int pid, FILE *f)
{
    fprintf(f, "# vmlab scan matches: pid %d type %s align %zu count %zu", pid,
            peek_type_name(s->type), s->align, s->addr.n);
    if (s->pattern)
        fprintf(f, " width %zu", s->width);
    fputc('\n', f);
    for (size_t i = 0; i < s->addr.n; i++) {
        if (!s->pattern) {
            fprintf(f, "0x%" PRIx64 " 0x%" PRIx64 "\n", s->addr.v[i], s->val.v[i]);
            continue;
        }
        fprintf(f, "0x%" PRIx64 " ", s->addr.v[i]);
        for (size_t j = 0; j < s->width; j++)
            fprintf(f, "%02x", s->raw.v[i * s->width + j]);
        fputc('\n', f);
    }
    return ferror(f) ? -EIO : 0;
}

/* Next line of [*p, end) into [*l, *l + *n), without its newline. */
static int next_line(const char **p, const char *end, const char **l, size_t *n)
{
    const char *q;
    if (*p >= end)
        return 0;
    q = memchr(*p, '\n', (size_t)(end - *p));
    *l = *p;
    *n = (size_t)((q ? q : end) - *p);
    *p = q ? q + 1 : end;
    return 1;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A match line's value: "0xVALUE" fitting the width (numbers) or exactly
 * 2 * width hex digits (patterns), into *v or out. */
static int parse_match_value(const peek_scan_t *s, const char *p, size_t n, uint64_t *v,
                             unsigned char *out)
{
    if (!s->pattern)
        return parse_u64_hex(p, n, v) || (*v & ~width_mask(s->width)) ? -1 : 0;
    if (n != 2 * s->width)
        return -1;
    for (size_t j = 0; j < s->width; j++) {
        int hi = hex_digit(p[2 * j]), lo = hex_digit(p[2 * j + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[j] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int peek_scan_load(peek_scan_t *s, const char *name, const char *text, size_t len, int *pid,
                   diag_t *d)
{
    static const char want_head[] = "not a match file (expected a first line '# vmlab scan "
                                    "matches: pid PID type T align A count N', then ' width W' "
                                    "for string and bytes, with align 1, 2, 4 or 8)";
    const char *p = text, *end = text + len, *l;
    size_t n, count, align, width = 0;
    unsigned long lineno = 1;
    char head[200], tname[16];
    int tpid, used = 0, used2 = 0;
    peek_type_t t;
    peek_scan_t tmp; /* the matches read, swapped into s at the end */
    int rc = 0;

    if (!next_line(&p, end, &l, &n) || n >= sizeof head)
        return diag_set(d, name, 1, EINVAL, "%s", want_head);
    memcpy(head, l, n);
    head[n] = '\0';
    if (sscanf(head, "# vmlab scan matches: pid %d type %15s align %zu count %zu%n", &tpid, tname,
               &align, &count, &used) != 4 ||
        tpid <= 0 || peek_type_parse(tname, &t) ||
        (align != 1 && align != 2 && align != 4 && align != 8))
        return diag_set(d, name, 1, EINVAL, "%s", want_head);
    if (!peek_type_numeric(t) &&
        (sscanf(head + used, " width %zu%n", &width, &used2) != 1 || (width == 0 && count) ||
         width > PEEK_PATTERN_MAX || head[used] != ' '))
        return diag_set(d, name, 1, EINVAL, "%s", want_head);
    if ((size_t)(used + used2) != n)
        return diag_set(d, name, 1, EINVAL, "%s", want_head);
    if (count > s->max)
        return diag_set(d, name, 1, E2BIG, "%zu matches (expected at most %zu, --max-matches)",
                        count, s->max);
    if (count > (size_t)(len / 8) + 1)
        return diag_set(d, name, 1, EINVAL, "count %zu is more than the file holds", count);
    memset(&tmp, 0, sizeof tmp);
    tmp.type = t;
    tmp.pattern = !peek_type_numeric(t);
    tmp.width = tmp.pattern ? width : peek_type_size(t);
    tmp.align = align;
    tmp.max = s->max;
    if (vl_vec_reserve(&tmp.addr, count) ||
        (tmp.pattern ? vl_vec_reserve(&tmp.raw, count * width) : vl_vec_reserve(&tmp.val, count))) {
        rc = diag_set(d, name, 0, ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        const char *sp;
        uint64_t a, v = 0;
        lineno++;
        if (!next_line(&p, end, &l, &n)) {
            rc = diag_set(d, name, lineno, EINVAL, "the file ends after %zu of %zu matches "
                                                   "(expected 'count' lines)",
                          i, count);
            goto out;
        }
        sp = memchr(l, ' ', n);
        if (!sp || parse_u64_hex(l, (size_t)(sp - l), &a) ||
            parse_match_value(&tmp, sp + 1, n - (size_t)(sp + 1 - l), &v,
                              tmp.raw.v ? tmp.raw.v + i * width : NULL) ||
            a % align || (i && a <= tmp.addr.v[i - 1])) {
            rc = diag_set(d, name, lineno, EINVAL, "bad match line (expected '0xADDR %s', "
                                                   "addresses increasing and aligned to %zu, the "
                                                   "value fitting %s)",
                          tmp.pattern ? "HEX" : "0xVALUE", align, tname);
            goto out;
        }
        tmp.addr.v[tmp.addr.n++] = a;
        if (tmp.pattern)
            tmp.raw.n += width;
        else
            tmp.val.v[tmp.val.n++] = v;
    }
    lineno++;
    if (next_line(&p, end, &l, &n)) {
        rc = diag_set(d, name, lineno, EINVAL, "more lines than the header's count %zu", count);
        goto out;
    }
    VL_DEBUG_CHECK(peek_scan_check(&tmp));
    /* Swap in: s takes tmp's matches, type, width and alignment. */
    vl_vec_free(&s->addr);
    vl_vec_free(&s->val);
    vl_vec_free(&s->raw);
    tmp.max = s->max;
    *s = tmp;
    memset(&tmp, 0, sizeof tmp);
    *pid = tpid;
out:
    vl_vec_free(&tmp.addr);
    vl_vec_free(&tmp.val);
    vl_vec_free(&tmp.raw);
    if (rc) {
        s->addr.n = s->val.n = s->raw.n = 0;
    }
    return rc;
}
