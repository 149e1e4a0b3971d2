/* SPDX-License-Identifier: MIT */
/*
 * test_tcache.c - the preload library's thread caches (src/malloc/tcache.c)
 * in front of every design, in one thread, without the preload library.
 *
 * Property tests on random malloc/free streams (many seeds, sizes across the
 * cache's bins and past them): requests are served from the bin the cache
 * learned for them or refilled from the heap, frees go to the cache or back
 * to the heap, full bins are flushed.  Checked against an oracle that
 * shares nothing with the cache: every live block keeps the bytes written
 * into it, is large enough (malloc_usable_size's rule), and no two blocks,
 * live or cached, overlap (sorted by address).  tc_check and ma_check run
 * between batches; the cache key marks exactly the cached blocks; after
 * flushing everything the heap counts exactly the live blocks.  Under
 * hybrid the caches hold headerless slab objects too (the design's
 * headerless_size op): the streams must cache some, and a test of its own
 * checks the op's answers and the slab objects' way through the caches.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "malloc/tcache.h"
#include "vmlab/malloc.h"

/* splitmix64 (Steele, Lea, Flood, OOPSLA 2014): the tests' own generator. */
static uint64_t mix_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define SLOTS 400

typedef struct span {
    uintptr_t lo, hi; /* [lo, hi): a block's payload and usable bytes */
} span_t;

static int span_cmp(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* A pool aligned to MA_HL_REACH, as the preload's reservation is: a
 * design's headerless_size may read that far below a block. */
typedef struct reach {
    ma_arena_t ar; /* the pool over the aligned part */
    void *map;     /* the mapping, MA_HL_REACH longer */
    size_t len;    /* its length */
} reach_t;

static int reach_open(ma_source_t *src, reach_t *rc, size_t cap)
{
    uintptr_t a;
    rc->len = cap + MA_HL_REACH;
    rc->map = mmap(NULL, rc->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (rc->map == MAP_FAILED)
        return -1;
    a = ((uintptr_t)rc->map + MA_HL_REACH - 1) & ~(uintptr_t)(MA_HL_REACH - 1);
    ma_source_pool(src, &rc->ar, (void *)a, cap);
    return 0;
}

static void reach_close(reach_t *rc)
{
    munmap(rc->map, rc->len);
}

/* Cached blocks without a header seen by no_overlap (hybrid's objects). */
static size_t hl_cached;

typedef struct run {
    ma_heap_t *h;        /* the heap under test */
    tc_cache_t tc;       /* the cache in front of it */
    void *p[SLOTS];      /* live blocks */
    size_t n[SLOTS];     /* their request sizes */
    unsigned char v[SLOTS]; /* the byte each was filled with */
} run_t;

/* No two blocks (live, or in the cache) overlap; the key marks exactly the
 * cached ones. */
static int no_overlap(run_t *r)
{
    static span_t s[SLOTS + TC_BINS * 64];
    size_t k = 0;
    for (size_t i = 0; i < SLOTS; i++)
        if (r->p[i]) {
            if (tc_cached(r->p[i]) && r->n[i] >= 16)
                return 0;
            s[k].lo = (uintptr_t)r->p[i];
            s[k++].hi = (uintptr_t)r->p[i] + ma_usable_size(r->h, r->p[i]);
        }
    for (unsigned b = 1; b < TC_BINS; b++)
        for (void **q = r->tc.head[b]; q; q = q[0]) {
            if (!tc_cached(q))
                return 0;
            s[k].lo = (uintptr_t)q;
            s[k++].hi = (uintptr_t)q + tc_block_usable(r->h, q);
            hl_cached += r->h->d->headerless_size && r->h->d->headerless_size(r->h, q);
        }
    qsort(s, k, sizeof s[0], span_cmp);
    for (size_t i = 1; i < k; i++)
        if (s[i].lo < s[i - 1].hi)
            return 0;
    return 1;
}

static void *cache_malloc(run_t *r, size_t n)
{
    void *p = NULL;
    if (n <= TC_MAX) {
        unsigned c = tc_bin_req(n), b = tc_bin_of(c);
        if (tc_size(c) < n || (c > 1 && tc_size(c - 1) >= n))
            return NULL; /* not the smallest class that fits: reported by the caller */
        if (b)
            p = tc_pop(&r->tc, b);
        if (!p) {
            p = tc_fill(&r->tc, r->h, c);
            tc_gc(&r->tc, r->h); /* as the library does on every heap visit */
        }
    } else {
        p = ma_malloc(r->h, n);
    }
    return p;
}

static void cache_free(run_t *r, void *p)
{
    size_t u = tc_block_usable(r->h, p);
    unsigned b = tc_bin_of_usable(u);
    if (b >= 1 && b < TC_BINS && r->tc.count[b] >= tc_cap(b)) {
        tc_flush(&r->tc, r->h, b, tc_cap(b) / 2);
        tc_gc(&r->tc, r->h);
    }
    if (!tc_push(&r->tc, p, u))
        ma_free(r->h, p);
}

static void one_run(const char *design, uint64_t seed, size_t ops)
{
    static run_t r;
    reach_t ar;
    ma_source_t src;
    ma_config_t cfg = {0};
    static _Alignas(16) unsigned char store[MA_HEAP_BYTES];
    ma_stats_t st;
    size_t live = 0;

    memset(&r, 0, sizeof r);
    CHECK_EQ(reach_open(&src, &ar, (size_t)256 << 20), 0);
    cfg.design = design;
    cfg.align = 16;
    cfg.source = &src;
    CHECK_EQ(ma_init(&r.h, store, sizeof store, &cfg), 0);
    r.tc.state = r.h->d->headerless_size ? TC_FAST_HL : TC_FAST;
    if (r.h->d->headerless) {
        /* hybrid opens a class's slab after 256 requests reach it, which
         * the cache's few live tiny blocks would never make: 300 of each
         * tiny class first, then freed through the cache */
        static void *warm[300];
        for (size_t n = 16; n <= 48; n += 16) {
            for (size_t i = 0; i < 300; i++)
                CHECK((warm[i] = cache_malloc(&r, n)) != NULL);
            for (size_t i = 0; i < 300; i++)
                cache_free(&r, warm[i]);
        }
    }
    for (size_t i = 0; i < ops; i++) {
        uint64_t x = mix_next(&seed);
        size_t k = (size_t)(x % SLOTS);
        if (r.p[k]) {
            unsigned char *q = r.p[k];
            for (size_t j = 0; j < r.n[k]; j++)
                if (q[j] != r.v[k]) {
                    CHECK_MSG(0, "%s seed %llu: block %zu lost its bytes", design,
                              (unsigned long long)seed, k);
                    return;
                }
            CHECK(!tc_cached(q) || r.n[k] < 16);
            cache_free(&r, q);
            r.p[k] = NULL;
        } else {
            /* mostly the cache's sizes, some past them */
            size_t n = (x >> 20) % 8 == 0 ? (size_t)((x >> 24) % 20000) : (size_t)((x >> 24) % 1100);
            /* a quarter tiny under hybrid: enough to open its slabs */
            if (r.h->d->headerless && (x >> 44) % 4 == 0)
                n = (size_t)((x >> 24) % 49);
            unsigned char *q = cache_malloc(&r, n);
            CHECK(q != NULL);
            if (!q)
                return;
            CHECK(((uintptr_t)q & 15) == 0);
            CHECK(ma_usable_size(r.h, q) >= n);
            r.p[k] = q;
            r.n[k] = n;
            r.v[k] = (unsigned char)(x >> 56);
            memset(q, r.v[k], n);
        }
        if (i % 997 == 0) {
            tc_check(&r.tc, r.h);
            ma_check(r.h);
            CHECK_MSG(no_overlap(&r), "%s seed %llu: blocks overlap", design, (unsigned long long)seed);
        }
    }
    tc_check(&r.tc, r.h);
    CHECK(no_overlap(&r));
    tc_flush_all(&r.tc, r.h);
    for (unsigned b = 1; b < TC_BINS; b++)
        CHECK(r.tc.head[b] == NULL && r.tc.count[b] == 0);
    for (size_t k = 0; k < SLOTS; k++)
        live += r.p[k] != NULL;
    ma_check(r.h);
    ma_get_stats(r.h, &st);
    CHECK_EQ(st.live_blocks, live);
    reach_close(&ar);
}

TEST(tcache_bins_are_consistent)
{
    tc_init();
    CHECK(tc_key != 0);
    CHECK_EQ(tc_size(TC_BINS - 1), TC_MAX);
    for (unsigned b = 1; b < TC_BINS; b++) {
        CHECK_EQ(tc_bin_of_usable(tc_size(b)), b);
        CHECK_EQ(tc_bin_of_usable(tc_size(b) - 1), b - 1);
        CHECK_EQ(tc_bin_req(tc_size(b)), b);
        CHECK(tc_cap(b) >= 16 && tc_cap(b) <= 64);
    }
    CHECK(tc_bin_of_usable(TC_MAX + 1024) >= TC_BINS);
    for (size_t n = 0; n <= TC_MAX; n++) {
        unsigned c = tc_bin_req(n);
        CHECK(tc_size(c) >= n && c >= 1 && c < TC_BINS);
    }
}

TEST(tcache_random_streams_every_design)
{
    tc_init();
    for (size_t d = 0; d < ma_ndesigns(); d++) {
        const char *name = ma_design_name(d);
        /* the linear-time designs get shorter streams */
        size_t ops = strncmp(name, "implicit", 8) == 0 || strcmp(name, "explicit-addr") == 0 ? 6000 : 30000;
        hl_cached = 0;
        for (uint64_t seed = 1; seed <= 6; seed++)
            one_run(name, seed * 7919, ops);
        if (strcmp(name, "hybrid") == 0) /* its slab objects went through the cache */
            CHECK_MSG(hl_cached > 100, "hybrid: %zu headerless blocks seen cached", hl_cached);
    }
}

/* A cache in front of hybrid (headerless slab objects beside blocks with
 * headers, in the same bins), in the fast and the debug state: the op's
 * answers (an object's size, MA_HL_VET for an interior pointer and for a
 * freed object, 0 for a block with a header), refills of objects once the
 * class has opened its slab, flushes of bins that mix both kinds (no
 * header of an object is joined), tc_check, and exact live counts. */
TEST(tcache_serves_slab_objects)
{
    for (int dbg = 0; dbg < 2; dbg++) {
        static run_t r;
        reach_t ar;
        ma_source_t src;
        ma_config_t cfg = {0};
        static _Alignas(16) unsigned char store[MA_HEAP_BYTES];
        static void *keep[600];
        ma_stats_t st;
        size_t (*hs)(const ma_heap_t *, const void *);
        size_t nobj = 0, nhdr = 0, live = 0, extra = dbg ? 8 : 0, sz = 0;
        unsigned b = 0;
        void *hdr = NULL, *obj = NULL;

        tc_init();
        memset(&r, 0, sizeof r);
        CHECK_EQ(reach_open(&src, &ar, (size_t)64 << 20), 0);
        cfg.design = "hybrid";
        cfg.align = 16;
        cfg.flags = dbg ? MA_CANARY | MA_POISON : 0;
        cfg.source = &src;
        CHECK_EQ(ma_init(&r.h, store, sizeof store, &cfg), 0);
        r.tc.state = dbg ? TC_DEBUG : TC_FAST_HL;
        hs = r.h->d->headerless_size;
        CHECK(hs != NULL);
        /* 600 requests of 24 bytes: the first 256 get headers (hybrid's
         * warm-up; none in the debug modes), the rest slab objects */
        for (int i = 0; i < 600; i++) {
            void *p = keep[i] = cache_malloc(&r, 24);
            CHECK(p != NULL);
            if (!p)
                return;
            sz = hs(r.h, p);
            if (sz) {
                CHECK_EQ(sz, ma_usable_size(r.h, p) + extra);
                CHECK_EQ(tc_block_usable(r.h, p), ma_usable_size(r.h, p));
                CHECK_EQ(hs(r.h, (unsigned char *)p + 16), MA_HL_VET); /* not an object's start */
                nobj++;
                obj = p;
            } else {
                CHECK_EQ(tc_block_usable(r.h, p), tc_usable(r.h, p));
                nhdr++;
                hdr = p;
            }
            memset(p, i & 0xff, 24);
        }
        CHECK(nobj >= 300);
        /* (VMLAB_DEBUG heaps have MA_POISON: no warm-up either) */
        if (r.h->flags & (MA_POISON | MA_CANARY))
            CHECK_MSG(nhdr == 0, "debug %d: %zu blocks with headers", dbg, nhdr);
        else
            CHECK_MSG(nhdr >= 200, "%zu blocks with headers", nhdr);
        /* both kinds land in the bin request 24 is served from */
        b = tc_bin_of(tc_bin_req(24));
        CHECK(b != 0 && tc_bin_of_usable(tc_block_usable(r.h, obj)) == b);
        if (hdr)
            CHECK_EQ(tc_bin_of_usable(tc_block_usable(r.h, hdr)), b);
        /* free every other block (objects and headers interleaved), then
         * the rest of the first half: full bins flush mixed batches */
        for (int i = 0; i < 600; i += 2) {
            CHECK(((unsigned char *)keep[i])[23] == (i & 0xff));
            cache_free(&r, keep[i]);
            keep[i] = NULL;
        }
        for (int i = 1; i < 300; i += 2) {
            cache_free(&r, keep[i]);
            keep[i] = NULL;
        }
        tc_check(&r.tc, r.h);
        ma_check(r.h);
        CHECK(no_overlap(&r));
        /* everything back: a flushed object is free in its slab, which the
         * op says without the lock (the double free the caches must not take) */
        obj = NULL;
        for (void **q = r.tc.head[b]; q && !obj; q = q[0])
            if (hs(r.h, q))
                obj = q;
        CHECK(obj != NULL);
        tc_flush_all(&r.tc, r.h);
        if (obj)
            CHECK_EQ(hs(r.h, obj), MA_HL_VET);
        for (int i = 0; i < 600; i++)
            if (keep[i]) {
                live++;
                CHECK(((unsigned char *)keep[i])[0] == (i & 0xff));
                if (hs(r.h, keep[i]))
                    CHECK(hs(r.h, keep[i]) != MA_HL_VET);
            }
        ma_check(r.h);
        ma_get_stats(r.h, &st);
        CHECK_EQ(st.live_blocks, live);
        reach_close(&ar);
    }
}


/* hybrid's trim (slab_trim) gives a slab's free tail back to the heap, and
 * blocks with headers settle there, in a frame whose magic is live: the op
 * says MA_HL_VET for them (the core decides, under the lock), and the
 * caches, which hold only allocated blocks, read their headers: not the
 * op's answer taken for a size (SIZE_MAX), which sent refills of such a
 * block past the last bin. */
TEST(tcache_headers_in_a_trimmed_slab)
{
    static _Alignas(16) unsigned char store[MA_HEAP_BYTES];
    ma_config_t cfg = {0};
    ma_source_t src;
    reach_t ar;
    ma_heap_t *h = NULL;
    unsigned char *objs[64], *blk[64];
    size_t vet = 0, (*hs)(const ma_heap_t *, const void *);
    CHECK_EQ(reach_open(&src, &ar, (size_t)16 << 20), 0);
    cfg.design = "hybrid";
    cfg.align = 16;
    cfg.source = &src;
    CHECK_EQ(ma_init(&h, store, sizeof store, &cfg), 0);
    hs = h->d->headerless_size;
    for (int i = 0; i < 300; i++) /* past the warm-up (none in debug builds) */
        ma_free(h, ma_malloc(h, 16));
    for (int i = 0; i < 64; i++)
        CHECK((objs[i] = ma_malloc(h, 16)) != NULL);
    CHECK_EQ(hs(h, objs[0]), ma_usable_size(h, objs[0]));
    for (int i = 63; i > 0; i--) /* objs[0]'s slab, at most half full, trims */
        ma_free(h, objs[i]);
    for (int i = 0; i < 64; i++)
        CHECK((blk[i] = ma_malloc(h, 64)) != NULL);
    CHECK_EQ(hs(h, objs[0]), ma_usable_size(h, objs[0]));
    for (int i = 0; i < 64; i++) {
        size_t got = hs(h, blk[i]);
        CHECK_MSG(got == 0 || got == MA_HL_VET, "block %d: %zx", i, got);
        vet += got == MA_HL_VET;
        CHECK_EQ(tc_block_usable(h, blk[i]), ma_usable_size(h, blk[i]));
    }
    CHECK_MSG(vet > 0, "no block with a header settled in a trimmed slab's frame");
    ma_check(h);
    for (int i = 0; i < 64; i++)
        ma_free(h, blk[i]);
    ma_free(h, objs[0]);
    ma_check(h);
    reach_close(&ar);
}

/* Idle blocks go back: a bin nobody pops from loses half its blocks per
 * collection round while another size is refilled and drained; the heap
 * then counts exactly the blocks still cached. */
TEST(tcache_gc_returns_idle_bins)
{
    static run_t r;
    ma_arena_t ar;
    ma_source_t src;
    ma_config_t cfg = {0};
    static _Alignas(16) unsigned char store[MA_HEAP_BYTES];
    ma_stats_t st;
    void *idle[40];
    unsigned bi, bh, c;
    size_t cached = 0;

    tc_init();
    memset(&r, 0, sizeof r);
    CHECK_EQ(ma_source_arena(&src, &ar, (size_t)64 << 20), 0);
    cfg.design = "segfit";
    cfg.align = 16;
    cfg.source = &src;
    CHECK_EQ(ma_init(&r.h, store, sizeof store, &cfg), 0);
    r.tc.state = TC_FAST;
    for (int i = 0; i < 40; i++)
        CHECK((idle[i] = cache_malloc(&r, 100)) != NULL);
    bi = tc_bin_of_usable(tc_usable(r.h, idle[0]));
    for (int i = 0; i < 40; i++)
        cache_free(&r, idle[i]);
    CHECK(r.tc.count[bi] >= 40); /* and the refills' extra blocks */
    c = tc_bin_req(3000);
    for (int round = 0; round < 8; round++) {
        /* a hot size: popped until empty, refilled, in every round */
        for (unsigned v = 0; v < TC_BINS - 1; v++) {
            void *p = cache_malloc(&r, 3000);
            CHECK(p != NULL);
            cache_free(&r, p);
            bh = tc_bin_of(c);
            while (r.tc.head[bh])
                ma_free(r.h, tc_pop(&r.tc, bh));
            tc_gc(&r.tc, r.h);
        }
        tc_check(&r.tc, r.h);
        ma_check(r.h);
    }
    /* at most 64 blocks, halved in each of at least 7 rounds after the
     * first set the mark */
    CHECK_MSG(r.tc.count[bi] <= 1, "idle bin kept %u blocks", (unsigned)r.tc.count[bi]);
    for (unsigned b = 1; b < TC_BINS; b++)
        cached += r.tc.count[b];
    ma_get_stats(r.h, &st);
    CHECK_EQ(st.live_blocks, cached);
    ma_arena_release(&ar);
}

static int count_free(const ma_block_t *b, void *ctx)
{
    (void)b;
    ++*(size_t *)ctx;
    return 0;
}

/* A flush joins neighbouring blocks before handing them back (give_back):
 * twelve side-by-side blocks, nine of them cached in a shuffled order and
 * three kept, come back as the runs between the kept ones; the kept blocks
 * keep their sizes and bytes, and the heap stays consistent, under every
 * boundary-tag design (the others free block by block). */
TEST(tcache_flush_joins_neighbours)
{
    static const int order[] = {10, 1, 4, 11, 0, 7, 5, 2, 9}, kept[] = {3, 6, 8};
    tc_init();
    for (size_t d = 0; d < ma_ndesigns(); d++) {
        static run_t r;
        ma_arena_t ar;
        ma_source_t src;
        ma_config_t cfg = {0};
        static _Alignas(16) unsigned char store[MA_HEAP_BYTES];
        ma_stats_t st;
        unsigned char *p[12];
        size_t nfree = 0, u;
        unsigned b;
        int tiled = 1;

        memset(&r, 0, sizeof r);
        CHECK_EQ(ma_source_arena(&src, &ar, (size_t)16 << 20), 0);
        cfg.design = ma_design_name(d);
        cfg.align = 16;
        cfg.source = &src;
        CHECK_EQ(ma_init(&r.h, store, sizeof store, &cfg), 0);
        r.tc.state = TC_FAST;
        for (int i = 0; i < 12; i++) {
            CHECK((p[i] = ma_malloc(r.h, 100)) != NULL);
            memset(p[i], i, 100);
            tiled &= i == 0 || p[i] == p[i - 1] + ma_bsize(p[i - 1] - MA_WORD);
        }
        u = tc_usable(r.h, p[0]);
        b = tc_bin_of_usable(u);
        for (int i = 0; i < 9; i++)
            CHECK(tc_push(&r.tc, p[order[i]], tc_usable(r.h, p[order[i]])));
        CHECK_EQ(r.tc.count[b], 9u);
        tc_flush(&r.tc, r.h, b, 9);
        CHECK_EQ(r.tc.count[b], 0u);
        ma_check(r.h);
        ma_get_stats(r.h, &st);
        CHECK_EQ(st.live_blocks, 3u);
        for (int k = 0; k < 3; k++) {
            int i = kept[k];
            CHECK_EQ(tc_usable(r.h, p[i]), u);
            CHECK(p[i][0] == i && p[i][99] == i);
        }
        if (r.h->d->bt && tiled) {
            /* [0, 2], [4, 5], 7, and [9, 11] with whatever follows */
            ma_walk_free(r.h, count_free, &nfree);
            CHECK_MSG(nfree >= 4 && nfree <= 5, "%s: %zu free blocks", cfg.design, nfree);
            CHECK_EQ(ma_bsize(p[0] - MA_WORD), 3 * ma_bsize(p[3] - MA_WORD));
        }
        ma_arena_release(&ar);
    }
}
