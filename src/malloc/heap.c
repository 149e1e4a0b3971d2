/* SPDX-License-Identifier: MIT */
/*
 * heap.c - the allocator core every design shares (see include/vmlab/malloc.h).
 *
 * It owns what does not depend on the design: the design table, regions and
 * growth from the page source, huge blocks with their own mapping, aligned
 * allocation (an over-sized block plus a marker header, as dlmalloc's
 * memalign does without trimming), calloc/reallocarray overflow checks,
 * realloc's fall-back (allocate, copy, free), the CS:APP 9.11 error checks
 * (double free, invalid pointer, canaries, poison) and the abort message.
 * The design decides everything about blocks: layout, fit, split, coalesce.
 * A design with headerless blocks (hybrid) says which pointers are such
 * blocks (ma_design_t.headerless); the core asks before it reads p[-1].
 *
 * No malloc, no stdio: this code runs inside malloc() in the preload library.
 *
 * Invariants (ma_check, after every operation under VMLAB_DEBUG):
 *   heap_bytes == sum over regions of (r->end - r)
 *   nregions   == length of the region list; last is its tail
 *   for every allocated block with MA_CANARY: the word at
 *     payload + usable - 8 == its address ^ secret
 *   d->headerless_size(p) == 0 (or MA_HL_VET, among headerless blocks) for
 *     an allocated block with a header, usable(p) for an allocated
 *     headerless one, MA_HL_VET for a free one
 */
#include "vmlab/hash.h"
#include "malloc/heap.h"

#include "vmlab/check.h" /* VMLAB_DEBUG, VL_DEBUG_CHECK */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>


/* Every design's state fits the storage MA_HEAP_BYTES promises. */
_Static_assert(MA_HEAP_HDR + sizeof(ma_lists_t) <= MA_HEAP_BYTES, "MA_HEAP_BYTES too small");

static const ma_design_t *const designs[] = {
    &ma_implicit_first, &ma_implicit_next, &ma_implicit_best, &ma_implicit_worst,
    &ma_explicit_lifo,  &ma_explicit_addr, &ma_segfit,        &ma_segstore,
    &ma_buddy,          &ma_adaptive,       &ma_hybrid,
};
#define NDESIGNS (sizeof designs / sizeof designs[0])

#define HUGE_MAGIC 0x766d6c6162687567ull /* "vmlabhug" before a huge header */
#define PAGE 4096u

size_t ma_ndesigns(void) { return NDESIGNS; }
const char *ma_design_name(size_t i) { return i < NDESIGNS ? designs[i]->name : NULL; }
const char *ma_design_summary(size_t i) { return i < NDESIGNS ? designs[i]->summary : NULL; }
const char *ma_design_of(const ma_heap_t *h) { return h->d->name; }
size_t ma_align_of(const ma_heap_t *h) { return h->align; }
size_t ma_needed(const ma_heap_t *h) { return h->needed; }

/* ---- messages without stdio ---- */

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        buf[at++] = *s++;
    return at;
}

void ma_fatal(const char *what, const void *p, const char *why)
{
    char buf[512], hex[19];
    size_t n = 0;
    uintptr_t v = (uintptr_t)p;
    int i;

    hex[0] = '0';
    hex[1] = 'x';
    for (i = 0; i < 16; i++)
        hex[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    hex[18] = 0;
    n = put(buf, n, sizeof buf, "vmlab malloc: ");
    n = put(buf, n, sizeof buf, what);
    n = put(buf, n, sizeof buf, ": ");
    n = put(buf, n, sizeof buf, why);
    n = put(buf, n, sizeof buf, " (block ");
    n = put(buf, n, sizeof buf, hex);
    n = put(buf, n, sizeof buf, ")");
    buf[n++] = '\n';
    if (write(2, buf, n) < 0) {
        /* nothing better to do: we abort anyway */
    }
    abort();
}

void ma_assert_fail(const char *file, int line, const char *cond)
{
    char buf[512], num[24];
    size_t n = 0, k = sizeof num;
    num[--k] = 0;
    do {
        num[--k] = (char)('0' + line % 10);
        line /= 10;
    } while (line > 0 && k > 0);
    n = put(buf, n, sizeof buf, "vmlab malloc: ");
    n = put(buf, n, sizeof buf, file);
    n = put(buf, n, sizeof buf, ":");
    n = put(buf, n, sizeof buf, num + k);
    n = put(buf, n, sizeof buf, ": invariant broken: ");
    n = put(buf, n, sizeof buf, cond);
    n = put(buf, n, sizeof buf, " (heap corrupt)");
    buf[n++] = '\n';
    if (write(2, buf, n) < 0) {
        /* aborting anyway */
    }
    abort();
}

_Static_assert(sizeof(struct ma_heap) <= MA_HEAP_BYTES, "MA_HEAP_BYTES too small");

void ma_poison_fill(void *p, size_t n)
{
    memset(p, MA_POISON_BYTE, n);
}

void ma_poison_check(const void *b, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != MA_POISON_BYTE)
            ma_fatal("malloc()", b,
                     "use after free: a freed block's poison bytes (0xdd) were overwritten");
}

void ma_link_check(const ma_heap_t *h, const void *b, const void *link)
{
    const unsigned char *l = link;
    if (!l)
        return;
    if (((uintptr_t)l & (MA_WORD - 1)) == 0) {
        ma_region_t *r = ma_region_of(h, l);
        if (r && l >= r->first && l + MA_WORD <= r->end && !(ma_hdr(l) & MA_F_ALLOC))
            return;
    }
    ma_link_bad(b);
}

void ma_link_bad(const void *b)
{
    ma_fatal("malloc()", (const unsigned char *)b + MA_WORD,
             "use after free: a freed block's first bytes (its free-list links) were "
             "overwritten");
}

/* ---- init, regions, growth ---- */

int ma_init(ma_heap_t **out, void *storage, size_t len, const ma_config_t *cfg)
{
    const char *name = cfg && cfg->design ? cfg->design : "segfit";
    const ma_design_t *d = NULL;
    ma_heap_t *h = storage;

    for (size_t i = 0; i < NDESIGNS; i++)
        if (strcmp(designs[i]->name, name) == 0)
            d = designs[i];
    if (!d)
        return -ENOENT;
    if (len < MA_HEAP_HDR + d->state_size || ((uintptr_t)storage & 15))
        return -EINVAL;
    if (cfg && cfg->align != 0 && cfg->align != 8 && cfg->align != 16)
        return -EINVAL;
    memset(h, 0, MA_HEAP_HDR + d->state_size);
    h->d = d;
    h->align = cfg && cfg->align ? cfg->align : 16;
    h->flags = cfg ? cfg->flags : 0;
    if (VMLAB_DEBUG)
        h->flags |= MA_POISON;
    if (cfg && cfg->source)
        h->src = *cfg->source;
    h->huge_threshold = cfg ? cfg->huge_threshold : 0;
    h->grow_min = cfg && cfg->grow_min ? ma_round(cfg->grow_min, 16) : 2048;
    /* A key that differs between heaps and runs, without a system call. */
    h->secret = ((uint64_t)(uintptr_t)h * VL_GOLDEN64) ^ 0x5bd1e9955bd1e995ull;
    *out = h;
    return 0;
}

static void region_link(ma_heap_t *h, void *base, size_t len)
{
    ma_region_t *r = base;
    memset(r, 0, sizeof *r);
    r->end = (unsigned char *)base + len;
    if (h->last)
        h->last->next = r;
    else
        h->regions = r;
    h->last = r;
    h->nregions++;
    h->heap_bytes += len;
    h->d->region_added(h, r, NULL);
}

/* Add memory to the heap: grow the last region if contiguous, else link a
 * new one.  Returns 0, or -EINVAL if a new region would be too small. */
static int add_memory(ma_heap_t *h, void *base, size_t len)
{
    unsigned char *b = base;
    len &= ~(size_t)15;
    if (h->last && b == h->last->end) {
        unsigned char *old = h->last->end;
        if (len == 0)
            return 0;
        h->last->end += len;
        h->heap_bytes += len;
        h->d->region_added(h, h->last, old);
        return 0;
    }
    if (((uintptr_t)b & 15) || len < MA_REGION_MIN)
        return -EINVAL;
    region_link(h, base, len);
    return 0;
}

int ma_add_region(ma_heap_t *h, void *base, size_t len)
{
    int rc;
    if (len < MA_REGION_MIN)
        return -EINVAL; /* also when it extends the last region */
    rc = add_memory(h, base, len);
    VL_DEBUG_CHECK(ma_check(h));
    return rc;
}

int ma_grow(ma_heap_t *h, size_t extend, size_t fresh)
{
    size_t got = 0, want;
    void *p;

    if (fresh < MA_REGION_MIN)
        fresh = MA_REGION_MIN;
    if (!h->src.more) {
        h->needed = fresh;
        return -ENOMEM;
    }
    want = ma_round(h->last || extend > fresh ? extend : fresh, 16);
    p = h->src.more(h->src.ctx, want, &got);
    if (!p) {
        h->needed = fresh;
        return -ENOMEM;
    }
    if (h->last && (unsigned char *)p == h->last->end)
        return add_memory(h, p, got);
    if (got >= fresh && add_memory(h, p, got) == 0)
        return 0;
    /* not contiguous and too small to serve the request: keep what fits,
     * then ask once for a whole fresh region */
    (void)add_memory(h, p, got);
    p = h->src.more(h->src.ctx, ma_round(fresh, 16), &got);
    if (!p || add_memory(h, p, got) != 0) {
        h->needed = fresh;
        return -ENOMEM;
    }
    return 0;
}

ma_region_t *ma_region_scan(const ma_heap_t *h, const void *p)
{
    const unsigned char *c = p;
    for (ma_region_t *r = h->regions; r; r = r->next)
        if (c >= (unsigned char *)r && c < r->end)
            return r;
    return NULL;
}

int ma_owns(const ma_heap_t *h, const void *p)
{
    return ma_region_of(h, p) != NULL;
}

/* ---- huge blocks ---- */

size_t ma_huge_len(size_t size)
{
    if (size > MA_SIZE_MAX)
        return 0;
    return ma_round(size + 16, PAGE);
}

void *ma_huge_wrap(void *map, size_t maplen)
{
    uint64_t *w = map;
    w[0] = HUGE_MAGIC;
    w[1] = maplen | MA_F_ALLOC | MA_F_SPECIAL;
    return w + 2;
}

int ma_is_huge(const void *p)
{
    const uint64_t *w = p;
    return (w[-1] & MA_FLAGS) == (MA_F_ALLOC | MA_F_SPECIAL) && w[-2] == HUGE_MAGIC;
}

/* Bit 3 of a huge block's length word (lengths are page multiples): the
 * block carries a debug trailer (ma_huge_debug_set). */
#define HUGE_DEBUG 8u
#define HUGE_LEN_MASK (~(uint64_t)(PAGE - 1))
#define HUGE_CANARY 0x6d6c61627661ca5eull

void ma_huge_mapping(const void *p, void **map, size_t *maplen)
{
    const uint64_t *w = p;
    *map = (void *)(uintptr_t)(w - 2);
    *maplen = (size_t)(w[-1] & HUGE_LEN_MASK);
}

void ma_huge_debug_set(void *p, size_t size)
{
    uint64_t *w = p, c = HUGE_CANARY ^ (uint64_t)(uintptr_t)p;
    size_t len = (size_t)(w[-1] & HUGE_LEN_MASK);
    MA_ASSERT(size + 16 + MA_HUGE_DEBUG_BYTES <= len);
    memcpy((unsigned char *)p + size, &c, 8);
    *(uint64_t *)((unsigned char *)(w - 2) + len - 8) = size;
    w[-1] |= HUGE_DEBUG;
}

size_t ma_huge_debug_check(const void *p, const char *what)
{
    const uint64_t *w = p;
    uint64_t c, want = HUGE_CANARY ^ (uint64_t)(uintptr_t)p;
    size_t len = (size_t)(w[-1] & HUGE_LEN_MASK), size;
    if (!(w[-1] & HUGE_DEBUG))
        return 0;
    size = (size_t)*(const uint64_t *)((const unsigned char *)(w - 2) + len - 8);
    if (size > len || size + 16 + MA_HUGE_DEBUG_BYTES > len)
        ma_fatal(what, p, "heap overflow: a mapped block's trailer (its size word, at the "
                          "end of its mapping) was overwritten");
    memcpy(&c, (const unsigned char *)p + size, 8);
    if (c != want)
        ma_fatal(what, p, "heap overflow: the canary after the payload of a mapped block was "
                          "overwritten");
    return size;
}

static void huge_free(ma_heap_t *h, void *p)
{
    void *map;
    size_t len;
    if (!ma_is_huge(p))
        ma_fatal("free()", p, "invalid pointer: its header is not one this heap writes");
    if (!h->src.unmap)
        ma_fatal("free()", p,
                 "invalid pointer: a huge block, but this heap has no unmap: it was mapped elsewhere");
    ma_huge_mapping(p, &map, &len);
    ((uint64_t *)p)[-2] = 0; /* a second free finds no magic */
    h->huge_blocks--;
    h->huge_bytes -= len;
    h->src.unmap(h->src.ctx, map, len);
}

/* ---- the API ---- */

static inline void *unmark(void *p);

/* Whether p is a headerless block (a design with such blocks only: one
 * NULL test for the others).  Asked before anything reads p[-1]. */
static inline int headerless(const ma_heap_t *h, const void *p)
{
    return __builtin_expect(h->d->headerless != NULL, 0) && h->d->headerless(h, p);
}

static inline uint64_t *canary_at(const ma_heap_t *h, void *p)
{
    return (uint64_t *)((unsigned char *)p + h->d->usable(h, p) - 8);
}


static inline uint64_t *sites_at(const ma_heap_t *h, void *p)
{
    return (uint64_t *)((unsigned char *)p + h->d->usable(h, p) - ma_extra(h));
}

void ma_set_site(ma_heap_t *h, void *p, size_t size, const void *site)
{
    if (!(h->flags & MA_SITES) || !p)
        return;
    if (!headerless(h, p)) {
        p = unmark(p);
        if (ma_is_huge(p))
            return;
    }
    uint64_t *t = sites_at(h, p);
    t[0] = size;
    t[1] = (uint64_t)(uintptr_t)site;
}

void ma_site_of(ma_heap_t *h, const ma_block_t *b, size_t *size, const void **site)
{
    *size = 0;
    *site = NULL;
    if (!(h->flags & MA_SITES) || !b->allocated || !b->payload)
        return;
    const uint64_t *t = sites_at(h, b->payload);
    *size = (size_t)t[0];
    *site = (const void *)(uintptr_t)t[1];
}

static inline void canary_set(const ma_heap_t *h, void *p)
{
    uint64_t *c = canary_at(h, p);
    *c = (uint64_t)(uintptr_t)c ^ h->secret;
}

static inline void canary_check(const ma_heap_t *h, void *p, const char *what)
{
    uint64_t *c = canary_at(h, p);
    if (*c != ((uint64_t)(uintptr_t)c ^ h->secret))
        ma_fatal(what, p, "heap overflow: the canary after the payload was overwritten");
}

void *ma_malloc(ma_heap_t *h, size_t size)
{
    void *p;
    h->needed = 0;
    if (size > MA_SIZE_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    if (h->huge_threshold && size >= h->huge_threshold && h->src.map) {
        int dbg = (h->flags & MA_CANARY) != 0;
        size_t len = ma_huge_len(size + (dbg ? MA_HUGE_DEBUG_BYTES : 0));
        void *m = len ? h->src.map(h->src.ctx, len) : NULL;
        if (!m) {
            errno = ENOMEM;
            return NULL;
        }
        h->huge_blocks++;
        h->huge_bytes += len;
        p = ma_huge_wrap(m, len);
        if (dbg)
            ma_huge_debug_set(p, size);
        return p;
    }
    p = h->d->malloc(h, size + ma_extra(h));
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    if (h->flags & MA_CANARY)
        canary_set(h, p);
    VL_DEBUG_CHECK(ma_check(h));
    return p;
}

/* Resolve an alignment marker; returns the real payload. */
static inline void *unmark(void *p)
{
    size_t w = ((size_t *)p)[-1];
    if ((w & MA_FLAGS) == MA_F_SPECIAL)
        return (unsigned char *)p - (w & ~(size_t)MA_FLAGS);
    return p;
}

/* The design's verdict on p, and its canary (with MA_CANARY). */
static void vet_block(ma_heap_t *h, void *p, const char *fn)
{
    int rc = h->d->validate(h, p);
    if (rc == MA_NOT_ALLOC)
        ma_fatal(fn, p, "double free: the block is already free");
    if (rc != MA_OK)
        ma_fatal(fn, p, "invalid pointer: not a block this heap allocated");
    if (h->flags & MA_CANARY)
        canary_check(h, p, fn);
}

/* Check p before free/realloc (fn names the call in messages): aborts on
 * misuse; returns the real payload (a huge block's too).  *obj: 1 if p is a
 * headerless block (then p itself), classified before any header read. */
static void *vet(ma_heap_t *h, void *p, const char *fn, int *obj)
{
    void *q;
    if ((uintptr_t)p & 7)
        ma_fatal(fn, p, "invalid pointer: not 8-byte aligned, so never returned by malloc");
    *obj = headerless(h, p);
    if (*obj) {
        vet_block(h, p, fn);
        return p;
    }
    q = unmark(p);
    /* a marker must lead into this heap (or, with huge blocks, to one): a
     * garbage word that looks like one must not send us reading anywhere */
    if (q != p && (((uintptr_t)q & 7) || (!ma_region_of(h, q) && !h->src.map)))
        ma_fatal(fn, p, "invalid pointer: not a block this heap allocated");
    p = q;
    if ((((size_t *)p)[-1] & MA_FLAGS) == (MA_F_ALLOC | MA_F_SPECIAL)) {
        if (!ma_is_huge(p))
            ma_fatal(fn, p, "invalid pointer: its header is not one this heap writes");
        ma_huge_debug_check(p, fn);
        return p;
    }
    vet_block(h, p, fn);
    return p;
}

void *ma_vet(ma_heap_t *h, void *p, const char *fn)
{
    int obj;
    return vet(h, p, fn, &obj);
}

int ma_resize(ma_heap_t *h, void *p, size_t size)
{
    int obj;
    h->needed = 0;
    if (size > MA_SIZE_MAX || vet(h, p, "realloc()", &obj) != p || (!obj && ma_is_huge(p)) ||
        !h->d->resize(h, p, size + ma_extra(h)))
        return 0;
    if (h->flags & MA_CANARY)
        canary_set(h, p);
    VL_DEBUG_CHECK(ma_check(h));
    return 1;
}

void ma_free(ma_heap_t *h, void *p)
{
    int obj;
    if (!p)
        return;
    p = vet(h, p, "free()", &obj);
    if (!obj && (((size_t *)p)[-1] & MA_FLAGS) == (MA_F_ALLOC | MA_F_SPECIAL)) {
        huge_free(h, p);
        return;
    }
    h->d->free(h, p);
    VL_DEBUG_CHECK(ma_check(h));
}

size_t ma_usable_size(ma_heap_t *h, const void *cp)
{
    void *p = (void *)(uintptr_t)cp, *real;
    size_t u;
    if (!p)
        return 0;
    if (headerless(h, p))
        return h->d->usable(h, p) - ma_extra(h);
    real = unmark(p);
    if (ma_is_huge(real)) {
        void *map;
        size_t len, dbg = ma_huge_debug_check(real, "malloc_usable_size()");
        ma_huge_mapping(real, &map, &len);
        return (dbg ? dbg : len - 16) - (size_t)((unsigned char *)p - (unsigned char *)real);
    }
    u = h->d->usable(h, real) - ma_extra(h);
    return u - (size_t)((unsigned char *)p - (unsigned char *)real);
}

void *ma_realloc(ma_heap_t *h, void *p, size_t size)
{
    void *real, *q;
    size_t old;
    int obj;
    if (!p)
        return ma_malloc(h, size);
    if (size == 0) {
        ma_free(h, p);
        return NULL;
    }
    h->needed = 0;
    if (size > MA_SIZE_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    real = vet(h, p, "realloc()", &obj);
    if (obj) {
        /* a headerless block: the design keeps it or says move; never a
         * huge block, never a header read */
        if ((q = h->d->relocate(h, p, size + ma_extra(h))) != NULL) {
            if (h->flags & MA_CANARY)
                canary_set(h, q);
            VL_DEBUG_CHECK(ma_check(h));
            return q;
        }
    } else if (real == p && !ma_is_huge(p) &&
        !(h->huge_threshold && size >= h->huge_threshold && h->src.map) &&
        (h->d->relocate ? (q = h->d->relocate(h, p, size + ma_extra(h))) != NULL
                        : (q = p, h->d->resize(h, p, size + ma_extra(h))))) {
        if (h->flags & MA_CANARY)
            canary_set(h, q);
        VL_DEBUG_CHECK(ma_check(h));
        return q;
    }
    if (!obj && real == p && ma_is_huge(p)) {
        void *map;
        size_t len, dbg = ma_huge_debug_check(p, "realloc()");
        ma_huge_mapping(p, &map, &len);
        if (ma_huge_len(size + (dbg ? MA_HUGE_DEBUG_BYTES : 0)) == len) {
            if (dbg)
                ma_huge_debug_set(p, size);
            return p;
        }
    }
    old = ma_usable_size(h, p);
    q = ma_malloc(h, size);
    if (!q)
        return NULL;
    memcpy(q, p, old < size ? old : size);
    ma_free(h, p);
    return q;
}

void *ma_calloc(ma_heap_t *h, size_t n, size_t size)
{
    size_t total;
    void *p;
    if (__builtin_mul_overflow(n, size, &total)) {
        h->needed = 0;
        errno = ENOMEM;
        return NULL;
    }
    p = ma_malloc(h, total);
    if (p)
        memset(p, 0, total);
    return p;
}

void *ma_reallocarray(ma_heap_t *h, void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        h->needed = 0;
        errno = ENOMEM;
        return NULL;
    }
    return ma_realloc(h, p, total);
}

void *ma_memalign(ma_heap_t *h, size_t align, size_t size)
{
    size_t n;
    unsigned char *raw, *q;
    if (align < 8 || (align & (align - 1))) {
        h->needed = 0;
        errno = EINVAL;
        return NULL;
    }
    if (align <= h->align)
        return ma_malloc(h, size);
    if (__builtin_add_overflow(size, align, &n)) {
        h->needed = 0;
        errno = ENOMEM;
        return NULL;
    }
    /* the marker goes in the block before q: never a headerless block */
    if (ma_may_be_headerless(h, n))
        n = h->d->headerless_max + 1;
    raw = ma_malloc(h, n);
    if (!raw)
        return NULL;
    q = (unsigned char *)ma_round((uintptr_t)raw, align);
    if (q != raw)
        ((size_t *)q)[-1] = (size_t)(q - raw) | MA_F_SPECIAL;
    return q;
}

/* ---- checking, walking, statistics ---- */

static int canary_walk(const ma_block_t *b, void *ctx)
{
    ma_heap_t *h = ctx;
    if (b->allocated && b->payload)
        canary_check(h, b->payload, "ma_check()");
    return 0;
}

/* A design's headerless_size (heap.h) against the core's own verdicts: 0
 * for an allocated block with a header, the block's bytes for an allocated
 * headerless block, MA_HL_VET for a free headerless block (the double free
 * a caller outside the lock must not take for a live block).  Asked only
 * where its reach stays inside the block's region. */
static int hl_walk(const ma_block_t *b, void *ctx)
{
    ma_heap_t *h = ctx;
    unsigned char *p = b->payload;
    ma_region_t *r;
    size_t got;
    if (!p || ((uintptr_t)p & 7))
        return 0;
    r = ma_region_of(h, p);
    if (!r || ((uintptr_t)p & ~(uintptr_t)(MA_HL_REACH - 1)) < (uintptr_t)r)
        return 0;
    got = h->d->headerless_size(h, p);
    if (headerless(h, p))
        MA_ASSERT(got == (b->allocated ? h->d->usable(h, p) : MA_HL_VET));
    else if (b->allocated)
        MA_ASSERT(got == 0 || got == MA_HL_VET); /* VET: among headerless blocks */
    return 0;
}

void ma_check(ma_heap_t *h)
{
    size_t bytes = 0, n = 0;
    ma_region_t *last = NULL;
    for (ma_region_t *r = h->regions; r; r = r->next) {
        MA_ASSERT(((uintptr_t)r & 15) == 0 && r->end > (unsigned char *)r);
        bytes += (size_t)(r->end - (unsigned char *)r);
        n++;
        last = r;
    }
    MA_ASSERT(bytes == h->heap_bytes);
    MA_ASSERT(n == h->nregions);
    MA_ASSERT(last == h->last);
    h->d->check(h);
    if (h->flags & MA_CANARY)
        h->d->walk(h, canary_walk, h);
    if (h->d->headerless_size)
        h->d->walk(h, hl_walk, h);
}

int ma_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    return h->d->walk(h, fn, ctx);
}

int ma_walk_free(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    return h->d->walk_free(h, fn, ctx);
}

static int stats_walk(const ma_block_t *b, void *ctx)
{
    ma_stats_t *st = ctx;
    if (b->allocated) {
        st->live_blocks += b->payload != NULL; /* not a design's metadata */
        st->live_bytes += b->size;
    } else {
        st->free_blocks++;
        st->free_bytes += b->size;
    }
    return 0;
}

void ma_get_stats(ma_heap_t *h, ma_stats_t *st)
{
    memset(st, 0, sizeof *st);
    st->heap_bytes = h->heap_bytes;
    st->regions = h->nregions;
    h->d->walk(h, stats_walk, st);
    st->huge_blocks = h->huge_blocks;
    st->huge_bytes = h->huge_bytes;
    st->live_blocks += h->huge_blocks;
    st->live_bytes += h->huge_bytes;
}
