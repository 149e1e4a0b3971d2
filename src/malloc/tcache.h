/* SPDX-License-Identifier: MIT */
/*
 * tcache.h - per-thread caches of small blocks in front of a shared heap
 * (private to the preload library, build/libvmlab-malloc.so; docs/preload.md).
 *
 * The idea is glibc's tcache (malloc/malloc.c, "tcache_entry", glibc 2.26)
 * and the free lists of Hoard and mimalloc's thread-local pages: a thread
 * keeps, per size class, a short LIFO list of blocks it freed, and serves
 * its next requests of that class from the list, so that the common
 * malloc/free pair touches only thread-local memory and takes no lock.
 * The heap below (any design) still owns every block: a cached block is an
 * allocated block to the design, merely not in use by the program.
 *
 * Bins.  Bin b (1 <= b < TC_BINS) has the size tc_size(b): 16b up to
 * 1024 bytes (b <= 64), then eight sizes per doubling up to 8 KiB
 * (1152, 1280, ..., 2048, 2304, ..., 8192), and holds blocks whose usable
 * size u (what malloc_usable_size reports) satisfies tc_size(b) <= u <
 * tc_size(b + 1): a freed block goes to bin tc_bin_of_usable(u).  A request
 * of n bytes has the request class c, the smallest with tc_size(c) >= n,
 * and is served from bin tc_req_bin[c], the bin of the blocks the design
 * hands out for a request of tc_size(c) bytes, learned at
 * every refill (c itself for the boundary-tag designs; a power-of-two bin
 * for buddy, whose 40-byte block for 32 bytes is 64 bytes long): the
 * request and the blocks freed after it meet in the same bin whatever the
 * design's rounding.  A refill for class c yields blocks with u >= tc_size(c), so
 * tc_req_bin[c] >= c and every block a request can get is large enough;
 * 0 means blocks of class c are not cached (larger than TC_MAX).  A bin
 * holds at most tc_cap(b) blocks (64 for small classes, about 16 KiB worth
 * for middle ones, at least 16 for large ones: a program that allocates
 * and frees runs of 4 KiB blocks, as malloc-lab's gcc traces do, passed
 * every block through the design with 8); an empty bin is refilled in one locked visit to the
 * heap, a full one gives half back in one visit.  The refill grows
 * (jemalloc's tcache fill count does the same): 2 blocks at first, doubling
 * up to tc_cap(b) / 2 while the bin keeps running dry, halved when it runs
 * full, so a size a thread asks for once costs the heap 2 blocks, not 32
 * (which a first-fit list would then scan past on every search), and a hot
 * size takes the lock about once per tc_cap(b) / 2 operations.  Under a
 * boundary-tag design a refill's extra blocks are cut out of one
 * allocation of their total size (tc_fill: one search and split of the
 * design per refill instead of one per block; headers as bt.h tiles them).
 *
 * A cached block's payload holds its list link (word 0) and the cache key
 * (word 1), a per-process random value: "the block is in some thread's
 * cache" <=> word 1 == key.  The key is cleared whenever a block leaves a
 * cache (handed out, or given back to the heap), so a second free of a
 * cached block is recognised in O(1), wherever the first free cached it
 * (stronger than glibc, which searches only the freeing thread's bin).
 *
 * Frees from another thread: there is one heap, so a block may go into the
 * cache of whichever thread frees it (the block has no owner to return to);
 * a producer/consumer pair moves blocks through the heap in batches of
 * tc_cap / 2, under the lock once per batch.
 *
 * Blocks without a header (hybrid's slab objects; heap.h, headerless_size):
 * a bin holds blocks by usable size whatever their kind, so hybrid's 32-byte
 * object and its 48-byte block with a header (usable 40) share bin 2 and
 * serve the same requests.  Their size comes from the design's answer
 * (tc_block_usable), never from the word before them, which is another
 * object's data; a refill of a size the design may serve headerless is not
 * carved (the design must see each request: hybrid opens a class's first
 * slab after 256 of them), and a flush gives such blocks back one by one
 * before it joins runs of the others.  A cached object stays allocated in
 * its slab (its free bit clear), so its slab is never released under it,
 * and a second free of an object the cache gave back finds the bit set:
 * headerless_size says MA_HL_VET and the core reports the double free.
 *
 * Idle blocks go back (the idea of jemalloc's thread-cache garbage
 * collection with low-water marks): every locked visit to the heap (a
 * refill or a flush) also collects TC_GC_BINS bin(s) round robin; a bin
 * that never ran lower than low[b] blocks since its last collection (88
 * visits ago) gives back half of those low[b] blocks, which no request
 * needed.  So blocks of a size the program stopped asking for do not stay
 * allocated to the design for ever (pinning free space apart: an
 * address-ordered list grows longer, and every insertion with it:
 * explicit-addr on binary-bal, 15% fewer instructions), while a bin in
 * steady use keeps what it uses (collecting 4 bins a visit and 3/4 of the
 * low-water blocks cost 2 threads x 10^7 malloc/free 50% more CPU).
 *
 * Invariants (tc_check): for every bin b, low[b] <= count[b] == length of
 * head[b]'s list <= tc_cap(b); every block on it has word 1 == key, is
 * allocated in the design (headerless_size != MA_HL_VET, or the block has
 * a header and lies among headerless ones: hybrid's trimmed slab tails)
 * and has a usable size u with tc_bin_of_usable(u) == b; tc_req_bin[c] == 0
 * or c <= tc_req_bin[c] < TC_BINS.
 */
#ifndef VMLAB_MALLOC_TCACHE_H
#define VMLAB_MALLOC_TCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "malloc/heap.h"

#define TC_BINS 89              /* bins 1..88; bin 0 unused */
#define TC_MAX ((size_t)8192)   /* largest request cached: tc_size(TC_BINS - 1) */
#define TC_GC_BINS 1            /* bins collected per locked visit (tc_gc) */

/* A thread's cache state: what its malloc and free may do.  The order
 * matters: malloc's fast path pops for every state <= TC_FAST_HL in one
 * comparison (TC_NEW's bins are empty, so it pops nothing). */
enum {
    TC_NEW = 0,     /* not set up yet: the next slow call does (tc_start) */
    TC_FAST = 1,    /* caching, no checks beyond the cache key; every block
                       has a header, which free's fast path reads */
    TC_FAST_HL = 2, /* the same under a design with headerless blocks:
                       free asks the design (headerless_size) before it
                       reads a header */
    TC_DEBUG = 3,   /* caching with the heap's canary/poison checks */
    TC_OFF = 4,     /* no cache: every call goes to the heap (also after exit) */
};

typedef struct tc_cache {
    void *head[TC_BINS];      /* bin c's blocks, linked through word 0 */
    uint16_t count[TC_BINS];  /* blocks on head[c] */
    uint8_t fill[TC_BINS];    /* blocks the next refill of bin c takes:
                                 starts at 2, doubles per refill up to
                                 tc_cap(c) / 2, halves when the bin is full */
    uint16_t low[TC_BINS];    /* fewest blocks bin c held since its last
                                 collection (tc_gc): that many sat unused */
    unsigned gc_next;         /* the bin the next collection starts at */
    int state;                /* TC_* */
    uint64_t allocs;          /* blocks handed out from the cache, not yet
                                 added to the heap's counters (tc_fold) */
    uint64_t frees;           /* blocks taken in, likewise */
} tc_cache_t;

/* The key: set once per process by tc_init, never 0. */
extern uint64_t tc_key;
/* Request class -> bin (see above); written under the heap's lock by
 * tc_fill, read without it (one byte: any value it holds is correct). */
extern uint8_t tc_req_bin[TC_BINS];

/* Bin b's size (1 <= b < TC_BINS). */
static inline size_t tc_size(unsigned b)
{
    unsigned k;
    if (b <= 64)
        return (size_t)b * 16;
    k = 10 + (b - 64) / 8;
    return ((size_t)1 << k) + (size_t)((b - 64) % 8) * ((size_t)1 << (k - 3));
}

/* The bin of a block with usable size u (>= TC_BINS: not cached; 0: too
 * small to hold the two words). */
static inline unsigned tc_bin_of_usable(size_t u)
{
    unsigned k;
    if (u < 1024)
        return (unsigned)(u >> 4);
    if (u >= ((size_t)1 << 20))
        return TC_BINS;
    k = 63u - (unsigned)__builtin_clzll((unsigned long long)u);
    return 64 + (k - 10) * 8 + (unsigned)((u - ((size_t)1 << k)) >> (k - 3));
}

/* Most blocks bin b holds: about 16 KiB worth, 16 to 64 blocks (a table
 * tc_init fills: no division on the free path). */
extern uint8_t tc_caps[TC_BINS];
static inline unsigned tc_cap(unsigned b)
{
    return tc_caps[b];
}

/* The request class of n <= TC_MAX bytes. */
static inline unsigned tc_bin_req(size_t n)
{
    unsigned b;
    if (n <= 1024)
        return n <= 16 ? 1u : (unsigned)((n + 15) >> 4);
    b = tc_bin_of_usable(n);
    return tc_size(b) < n ? b + 1 : b;
}

/* A plain heap block's payload usable size (not a huge block, not behind an
 * alignment marker): every design's header holds the whole block's size
 * (heap.h), so usable == size - header - the core's debug trailer. */
static inline size_t tc_usable(const ma_heap_t *h, const void *p)
{
    return ma_bsize((const unsigned char *)p - MA_WORD) - MA_WORD - ma_extra(h);
}

/* The usable size of p, an allocated block of h (one in a cache, say):
 * what the design's headerless_size says of a headerless block (the
 * core's extras taken off), else what its header says (tc_usable).  Under
 * a design with headerless blocks the memory of the blocks asked about
 * must meet that op's reach rule (heap.h, MA_HL_REACH). */
size_t tc_hl_usable(const ma_heap_t *h, const void *p);
static inline size_t tc_block_usable(const ma_heap_t *h, const void *p)
{
    return h->d->headerless_size ? tc_hl_usable(h, p) : tc_usable(h, p);
}

/* The bin serving request class c; 0: not cached. */
static inline unsigned tc_bin_of(unsigned c)
{
    return __atomic_load_n(&tc_req_bin[c], __ATOMIC_RELAXED);
}

/* Pop from bin c (TC_FAST, TC_FAST_HL), or NULL if it is empty (or c is 0). */
static inline void *tc_pop(tc_cache_t *tc, unsigned c)
{
    void **b = tc->head[c];
    if (b) {
        tc->head[c] = b[0];
        if (--tc->count[c] < tc->low[c])
            tc->low[c] = tc->count[c];
        tc->allocs++;
        b[1] = NULL; /* out of the cache: the key goes */
    }
    return b;
}

/* Push p (usable size u) in TC_FAST(_HL) mode; 0 if its bin is full or p is
 * not cacheable (the caller then takes the slow path). */
static inline int tc_push(tc_cache_t *tc, void *p, size_t u)
{
    unsigned c = tc_bin_of_usable(u);
    void **b = p;
    if (c - 1 >= TC_BINS - 1 || tc->count[c] >= tc_cap(c))
        return 0;
    b[0] = tc->head[c];
    b[1] = (void *)(uintptr_t)tc_key;
    tc->head[c] = b;
    tc->count[c]++;
    tc->frees++;
    return 1;
}

/* Whether p's word 1 is the key: p sits in a cache (a double free). */
static inline int tc_cached(const void *p)
{
    return ((const uint64_t *)p)[1] == tc_key;
}

/* Choose the key (from the kernel's AT_RANDOM bytes, no system call) and
 * start tc_req_bin as the identity. */
void tc_init(void);

/* The rest is called with the heap's lock held. */

/* Serve request class c from h: one block of tc_size(c) bytes for the caller,
 * and, if such blocks are cached, up to tc->fill[b] - 1 more into their
 * bin b, which becomes tc_req_bin[c].  NULL: the heap must grow first
 * (ma_needed).  TC_DEBUG: the cached blocks are poisoned as if freed. */
void *tc_fill(tc_cache_t *tc, ma_heap_t *h, unsigned c);
/* Give the first n blocks of bin c back to h; returns their usable bytes. */
size_t tc_flush(tc_cache_t *tc, ma_heap_t *h, unsigned c, unsigned n);
/* One collection step (see above) over TC_GC_BINS bins; returns the usable
 * bytes given back. */
size_t tc_gc(tc_cache_t *tc, ma_heap_t *h);
/* Give every block back (thread exit); returns their usable bytes. */
size_t tc_flush_all(tc_cache_t *tc, ma_heap_t *h);
/* Abort if an invariant above is broken. */
void tc_check(const tc_cache_t *tc, const ma_heap_t *h);

/* TC_DEBUG mode, without the lock: push p (usable u) after the caller has
 * vetted it (ma_vet), poisoning its payload past the two words; 0 if its
 * bin is full.  Pop from bin c verifying key, link and poison: a write after
 * free aborts with the core's use-after-free message. */
int tc_push_debug(tc_cache_t *tc, const ma_heap_t *h, void *p, size_t u);
void *tc_pop_debug(tc_cache_t *tc, const ma_heap_t *h, unsigned c, int (*plausible)(const void *));

#endif
