/* SPDX-License-Identifier: MIT */
/*
 * tcache.c - per-thread caches of small blocks (see tcache.h): refilling and
 * flushing bins against the heap (under the caller's lock), the checked
 * push and pop of the debug mode, and the cache's invariant checker.
 *
 * No malloc, no stdio, no system call: this code runs inside malloc().
 */
#include "malloc/tcache.h"

#include <string.h>
#include <sys/auxv.h>

uint64_t tc_key;
uint8_t tc_req_bin[TC_BINS];
uint8_t tc_caps[TC_BINS];

void tc_init(void)
{
    for (unsigned c = 0; c < TC_BINS; c++) {
        size_t n = c ? 16384 / tc_size(c) : 0;
        tc_req_bin[c] = (uint8_t)c;
        tc_caps[c] = (uint8_t)(n > 64 ? 64 : n < 16 ? 16 : n);
    }
    const unsigned char *r = (const unsigned char *)(uintptr_t)getauxval(AT_RANDOM);
    uint64_t k = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&tc_key;
    if (r) {
        uint64_t w;
        memcpy(&w, r + 8, sizeof w); /* glibc uses the first 8 for the stack guard */
        k ^= w;
    }
    tc_key = k ? k : 1;
}

/* headerless_size for a block the caches may hold, one allocated to the
 * design (handed out, or cached): MA_HL_VET can then only be a block with a
 * header among headerless ones (heap.h), read as 0, "has a header";
 * otherwise the headerless block's size, extras included. */
static inline size_t hl_allocated(const ma_heap_t *h, const void *p)
{
    size_t s = h->d->headerless_size(h, p);
    return s == MA_HL_VET ? 0 : s;
}

/* tc_block_usable under a design with headerless blocks: out of line, so
 * that the other designs' callers keep no registers for the call. */
size_t tc_hl_usable(const ma_heap_t *h, const void *p)
{
    size_t s = hl_allocated(h, p);
    return s ? s - ma_extra(h) : tc_usable(h, p);
}

/* Link b into bin c (no cap check: refills stay within it). */
static void link_in(tc_cache_t *tc, unsigned c, void *b)
{
    void **w = b;
    w[0] = tc->head[c];
    w[1] = (void *)(uintptr_t)tc_key;
    tc->head[c] = b;
    tc->count[c]++;
}

/* Poison [p + 16, p + u): the words the cache uses stay as they are. */
static void poison_cached(const ma_heap_t *h, void *p, size_t u)
{
    if (u > 16)
        ma_poison(h, (unsigned char *)p + 16, u - 16);
}

/* Boundary-tag designs, no debug trailer: the k more blocks of bin b for a
 * refill out of one allocation of k times first's block size, cut into k
 * blocks of that size (each header the size, allocated, its predecessor
 * allocated: bt.h's tiling), so the design searches and splits once per
 * refill, not once per block.  0 (nothing done) if the design is not a
 * boundary-tag one, the bin has no room, or the design handed out a block
 * of another size (a remainder too small to split stays with it).  Not
 * for a request the design may serve headerless (hl: first has a header,
 * but the next ones may not: hybrid opens a class's first slab after so
 * many requests, which it must see one by one). */
static int carve(tc_cache_t *tc, ma_heap_t *h, unsigned b, void *first, unsigned k, int hl)
{
    size_t s = ma_bsize((unsigned char *)first - MA_WORD);
    unsigned char *big, *blk;
    size_t prev;
    if (!h->d->bt || ma_extra(h) != 0 || tc->count[b] + k > tc_cap(b) || k < 2 || hl)
        return 0;
    big = ma_malloc(h, k * s - MA_WORD);
    if (!big)
        return 0;
    blk = big - MA_WORD;
    if (ma_bsize(blk) != k * s) {
        ma_free(h, big);
        return 0;
    }
    prev = ma_hdr(blk) & MA_F_PREV;
    for (unsigned i = 0; i < k; i++) {
        ma_set_hdr(blk + i * s, s | MA_F_ALLOC | (i ? MA_F_PREV : prev));
        link_in(tc, b, blk + i * s + MA_WORD);
    }
    return 1;
}

void *tc_fill(tc_cache_t *tc, ma_heap_t *h, unsigned c)
{
    void *first = ma_malloc(h, tc_size(c)), *p;
    size_t u;
    unsigned b, n, want, flags = h->flags;
    /* only requests the design may serve headerless can get such blocks */
    const int hl = h->d->headerless_size && ma_may_be_headerless(h, tc_size(c));
    if (!first)
        return NULL;
    u = hl ? tc_hl_usable(h, first) : tc_usable(h, first);
    b = tc_bin_of_usable(u);
    if (b >= TC_BINS) {
        __atomic_store_n(&tc_req_bin[c], 0, __ATOMIC_RELAXED);
        return first;
    }
    __atomic_store_n(&tc_req_bin[c], (uint8_t)b, __ATOMIC_RELAXED);
    want = tc->fill[b] < 2 ? 2 : tc->fill[b];
    tc->fill[b] = (uint8_t)(2 * want > tc_cap(b) / 2 ? tc_cap(b) / 2 : 2 * want);
    tc->allocs++;
    /* The blocks parked in the bin are cut from the low end of free
     * blocks (MA_NO_PLACE_SPLIT, for this refill only), where the
     * boundary-tag designs put small blocks, never from the high end,
     * where they put large ones and the heap's top is: a parked block
     * just below a block that grows at the top would pin it there, and
     * the heap would grow under it by its whole growth every time it
     * is freed and grown again (realloc-bal: 400 MiB of heap after 3000
     * repetitions, 0.6x glibc; with the extras low, 1.1 MiB). */
    h->flags |= MA_NO_PLACE_SPLIT;
    if (want > 2 && tc->state != TC_DEBUG && carve(tc, h, b, first, want - 1, hl)) {
        h->flags = flags;
        return first;
    }
    for (n = 1; n < want && tc->count[b] < tc_cap(b); n++) {
        p = ma_malloc(h, tc_size(c));
        if (!p)
            break;
        u = hl ? tc_hl_usable(h, p) : tc_usable(h, p);
        if (tc_bin_of_usable(u) != b) { /* another size this time: not for this bin */
            ma_free(h, p);
            break;
        }
        if (tc->state == TC_DEBUG)
            poison_cached(h, p, u);
        link_in(tc, b, p);
    }
    h->flags = flags;
    return first;
}

/* Give the blocks q[0..n) (payloads, keys cleared) back to h.  Under a
 * boundary-tag design without a debug trailer, not in TC_DEBUG, runs of
 * blocks that are neighbours in memory are first joined into one allocated
 * block (carve's tiling undone: the first header takes the run's size), so
 * a run costs the design one free, one coalescing and one index insertion,
 * not one per block: a program that frees many blocks allocated together
 * (a refill carves them side by side) hands them back cheaply.  Headerless
 * blocks (a bin may hold them beside blocks with headers; hl: q may hold
 * some) go back one by one first: they have no header to join.  Returns
 * the usable bytes given back (a run's from the sizes it sums anyway). */
static size_t give_back(tc_cache_t *tc, ma_heap_t *h, void **q, unsigned n, int hl)
{
    size_t bytes = 0, s;
    unsigned i, j;
    if (n < 2 || !h->d->bt || ma_extra(h) != 0 || tc->state == TC_DEBUG) {
        for (i = 0; i < n; i++) {
            bytes += hl ? tc_hl_usable(h, q[i]) : tc_usable(h, q[i]);
            ma_free(h, q[i]);
        }
        return bytes;
    }
    if (hl) {
        for (i = j = 0; i < n; i++)
            if ((s = hl_allocated(h, q[i])) != 0) {
                bytes += s; /* no extras here */
                ma_free(h, q[i]);
            } else {
                q[j++] = q[i];
            }
        n = j;
    }
    for (i = 1; i < n; i++) { /* insertion sort by address: n <= 64 */
        void *x = q[i];
        for (j = i; j > 0 && (uintptr_t)q[j - 1] > (uintptr_t)x; j--)
            q[j] = q[j - 1];
        q[j] = x;
    }
    for (i = 0; i < n; i = j) {
        unsigned char *blk = (unsigned char *)q[i] - MA_WORD;
        size_t run = ma_bsize(blk);
        for (j = i + 1; j < n && (unsigned char *)q[j] - MA_WORD == blk + run; j++)
            run += ma_bsize((unsigned char *)q[j] - MA_WORD);
        if (j > i + 1)
            ma_set_hdr(blk, run | MA_F_ALLOC | (ma_hdr(blk) & MA_F_PREV));
        bytes += run - (j - i) * MA_WORD;
        ma_free(h, q[i]);
    }
    return bytes;
}

size_t tc_flush(tc_cache_t *tc, ma_heap_t *h, unsigned c, unsigned n)
{
    void *q[64];
    size_t bytes = 0;
    unsigned k = 0;
    /* headerless blocks are at most headerless_max bytes (heap.h): a bin
     * of larger ones holds none, and its frames are not read */
    const int hl = h->d->headerless_size && tc_size(c) <= h->d->headerless_max;
    tc->fill[c] = (uint8_t)(tc->fill[c] / 2);
    while (n-- > 0 && tc->head[c]) {
        void **b = tc->head[c];
        tc->head[c] = b[0];
        tc->count[c]--;
        b[1] = NULL; /* leaves the cache */
        q[k++] = b;
        if (k == sizeof q / sizeof q[0]) {
            bytes += give_back(tc, h, q, k, hl);
            k = 0;
        }
    }
    bytes += give_back(tc, h, q, k, hl);
    if (tc->low[c] > tc->count[c])
        tc->low[c] = tc->count[c];
    return bytes;
}

size_t tc_gc(tc_cache_t *tc, ma_heap_t *h)
{
    size_t bytes = 0;
    for (unsigned i = 0; i < TC_GC_BINS; i++) {
        unsigned c = tc->gc_next;
        tc->gc_next = c + 1 < TC_BINS ? c + 1 : 1;
        if (c == 0)
            continue;
        if (tc->low[c] > 0)
            bytes += tc_flush(tc, h, c, (tc->low[c] + 1) / 2);
        tc->low[c] = tc->count[c];
    }
    return bytes;
}

size_t tc_flush_all(tc_cache_t *tc, ma_heap_t *h)
{
    size_t bytes = 0;
    for (unsigned c = 1; c < TC_BINS; c++)
        bytes += tc_flush(tc, h, c, tc->count[c]);
    return bytes;
}

void tc_check(const tc_cache_t *tc, const ma_heap_t *h)
{
    for (unsigned c = 1; c < TC_BINS; c++) {
        unsigned n = 0;
        for (void **b = tc->head[c]; b; b = b[0]) {
            MA_ASSERT((uint64_t)(uintptr_t)b[1] == tc_key);
            /* allocated to the design: a headerless one is not free there
             * (MA_HL_VET only for a block with a header among them) */
            MA_ASSERT(!h->d->headerless_size || h->d->headerless_size(h, b) != MA_HL_VET ||
                      !h->d->headerless(h, b));
            MA_ASSERT(tc_bin_of_usable(tc_block_usable(h, b)) == c);
            n++;
            MA_ASSERT(n <= tc_cap(c));
        }
        MA_ASSERT(n == tc->count[c]);
        MA_ASSERT(tc->low[c] <= tc->count[c]);
        MA_ASSERT(tc_req_bin[c] == 0 || (tc_req_bin[c] >= c && tc_req_bin[c] < TC_BINS));
    }
}

int tc_push_debug(tc_cache_t *tc, const ma_heap_t *h, void *p, size_t u)
{
    unsigned c = tc_bin_of_usable(u);
    if (c - 1 >= TC_BINS - 1 || tc->count[c] >= tc_cap(c))
        return 0;
    poison_cached(h, p, u);
    link_in(tc, c, p);
    tc->frees++;
    return 1;
}

void *tc_pop_debug(tc_cache_t *tc, const ma_heap_t *h, unsigned c, int (*plausible)(const void *))
{
    void **b = tc->head[c];
    if (!b)
        return NULL;
    /* A write after free into the first 16 bytes hits the link or the key:
     * report it as the heap's own free-list check does (ma_link_bad), never
     * follow the link into a bare SIGSEGV. */
    if ((uint64_t)(uintptr_t)b[1] != tc_key || (b[0] && !plausible(b[0])))
        ma_link_bad((unsigned char *)b - MA_WORD);
    {
        size_t u = tc_block_usable(h, b);
        if (u > 16)
            ma_poison_verify(h, b, (unsigned char *)b + 16, u - 16);
    }
    tc->head[c] = b[0];
    if (--tc->count[c] < tc->low[c])
        tc->low[c] = tc->count[c];
    tc->allocs++;
    b[1] = NULL;
    return b;
}
