/* SPDX-License-Identifier: MIT */
/*
 * gc.c - vmlab gc's heap: size-classed pages, allocation, lazy sweeping, the
 * page allocator and the growth policy (include/vmlab/gc.h; the layout is in
 * gc_impl.h; CS:APP 9.10.2 Mark&Sweep, after bdwgc's allochblk.c/reclaim.c).
 *
 * Allocation of a small block takes the lowest free bit of its class's
 * current page (gc_cursor_t: the alloc bitmap is the free list, nothing is
 * linked through the blocks), sets it and zeroes the block.  A used-up
 * cursor moves to a page of the class's avail list: a page marked by the
 * last collection is swept first (alloc &= mark: lazy sweeping, Hughes 1982,
 * so a collection's pause does not include the sweep).  With no page left
 * the growth policy decides: collect if the bytes allocated since the last
 * collection reached free_pct% of the live heap (the bytes it marked), else
 * take a page from the free runs or commit more of the reservation.  Large
 * blocks take runs of pages (first fit), are swept at the end of each mark
 * phase and given back to the runs at once.
 *
 * A collection: finish pending sweeps (their garbage is from the previous
 * cycle), clear all marks and cursors, mark from every root
 * (gc_roots.c, gc_mark.c), then put every small page that holds blocks on
 * its class's avail list, unswept.  gc_collect() also sweeps everything at
 * once, which empty pages need to go back to the free runs.
 *
 * gc_free needs no sweep: it clears the block's alloc bit, and a page that
 * was full (on no list, not a cursor) goes back on its class's avail list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gc/gc_impl.h"
#include "vmlab/check.h"

#define GC_RESERVE_MAX ((size_t)64 << 30) /* address space tried first */
#define GC_RESERVE_MIN ((size_t)256 << 20)
#define GC_GROW_MIN ((size_t)1 << 20)     /* bytes committed at a time, at least */
#define GC_TRIGGER_MIN ((size_t)1 << 20)  /* no collection before this many bytes */
#define GC_FREE_PCT 200                   /* default growth fraction, percent of live */
#define GC_MS_DEFAULT ((size_t)1 << 16)   /* mark stack entries */

gc_state_t gc_g;

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const void *p)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, "vmlab gc: %s %p\n", what, p);
    if (n > 0 && write(2, buf, (size_t)n) < 0)
        abort();
    abort();
}

static size_t env_size(const char *name, size_t dflt)
{
    const char *s = getenv(name);
    char *end;
    unsigned long long v;
    if (!s || !*s)
        return dflt;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s)
        return dflt;
    switch (*end) {
    case 'k': case 'K': v <<= 10; break;
    case 'm': case 'M': v <<= 20; break;
    case 'g': case 'G': v <<= 30; break;
    default: break;
    }
    return (size_t)v;
}

static inline unsigned popcount4(const uint64_t *b)
{
    return (unsigned)(__builtin_popcountll(b[0]) + __builtin_popcountll(b[1]) +
                      __builtin_popcountll(b[2]) + __builtin_popcountll(b[3]));
}

static inline int is_black(size_t pn)
{
    return (gc_g.black[pn >> 6] >> (pn & 63)) & 1;
}

/* ---- size classes ---- */

static void classes_init(void)
{
    unsigned c = 0;
    for (unsigned g = 1; g <= 16; g++)
        gc_g.class_size[c++] = g * GC_GRANULE;
    /* then the largest granule multiple that fits n per page, n = 15..2 */
    for (unsigned n = 15; n >= 2; n--)
        gc_g.class_size[c++] = (uint32_t)(GC_PAGE / n / GC_GRANULE * GC_GRANULE);
    VL_ASSERT(c == GC_NCLASSES && gc_g.class_size[c - 1] == GC_SMALL_MAX);
    c = 0;
    for (unsigned g = 0; g <= GC_SMALL_MAX / GC_GRANULE; g++) {
        while (gc_g.class_size[c] < g * GC_GRANULE)
            c++;
        gc_g.class_of[g] = (uint8_t)c;
    }
}

/* ---- the page allocator: runs of free pages ---- */

static void run_link(gc_page_t *h)
{
    h->prev = NULL;
    h->next = gc_g.free_runs;
    if (h->next)
        h->next->prev = h;
    gc_g.free_runs = h;
}

static void run_unlink(gc_page_t *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        gc_g.free_runs = h->next;
    if (h->next)
        h->next->prev = h->prev;
}

/* Make [h, h + n) one free run (no merging). */
static void run_make(gc_page_t *h, size_t n)
{
    h->kind = GC_FREE;
    h->npages = (uint32_t)n;
    h->back = 0;
    h->flags = 0;
    if (n > 1) {
        h[n - 1].kind = GC_FREE;
        h[n - 1].npages = 0;
        h[n - 1].back = (uint32_t)(n - 1);
    }
    run_link(h);
    gc_g.free_pages += n;
}

/* Give [h, h + n) back, merged with the free runs on either side. */
static void pages_release(gc_page_t *h, size_t n)
{
    size_t np = gc_g.top >> GC_PAGE_SHIFT, i = (size_t)(h - gc_g.pages);
    for (size_t k = 0; k < n; k++) {
        h[k].kind = GC_FREE;
        h[k].npages = 0;
    }
    if (i + n < np && h[n].kind == GC_FREE && h[n].npages > 0) {
        gc_page_t *r = &h[n];
        size_t m = r->npages;
        run_unlink(r);
        gc_g.free_pages -= m;
        n += m;
    }
    if (i > 0 && h[-1].kind == GC_FREE) {
        gc_page_t *l = &h[-1] - h[-1].back;
        size_t m = l->npages;
        run_unlink(l);
        gc_g.free_pages -= m;
        h = l;
        n += m;
    }
    run_make(h, n);
}

/* Take n pages at offset k of the run at h (the rest stays free). */
static gc_page_t *run_take(gc_page_t *h, size_t k, size_t n)
{
    size_t m = h->npages;
    run_unlink(h);
    gc_g.free_pages -= m;
    if (k > 0)
        run_make(h, k);
    if (k + n < m)
        run_make(h + k + n, m - k - n);
    return h + k;
}

/* The first n non-blacklisted pages of a free run, first fit; with `any`,
 * blacklisted pages are accepted.  NULL if none. */
static gc_page_t *runs_find(size_t n, int any)
{
    for (gc_page_t *h = gc_g.free_runs; h; h = h->next) {
        size_t m = h->npages, i0 = (size_t)(h - gc_g.pages), k = 0, ok = 0;
        if (m < n)
            continue;
        if (any || gc_g.nblack == 0)
            return run_take(h, 0, n);
        for (k = 0; k < m; k++) {
            ok = is_black(i0 + k) ? 0 : ok + 1;
            if (ok == n)
                return run_take(h, k + 1 - n, n);
        }
    }
    return NULL;
}

/* Commit at least n more pages at the top: 0, or -ENOMEM past the limit or
 * the reservation. */
static int heap_grow(size_t n)
{
    size_t want = n << GC_PAGE_SHIFT, grow = want, room;
    size_t cap = gc_g.reserved;
    if (gc_g.heap_limit && gc_g.heap_limit < cap)
        cap = gc_g.heap_limit & ~(GC_PAGE - 1);
    if (gc_g.top >= cap || cap - gc_g.top < want)
        return -ENOMEM;
    room = cap - gc_g.top;
    if (grow < GC_GROW_MIN)
        grow = GC_GROW_MIN;
    if (grow < gc_g.top / 8)
        grow = (gc_g.top / 8) & ~(GC_PAGE - 1);
    if (grow > room)
        grow = room;
    if (mprotect((void *)(gc_g.base + gc_g.top), grow, PROT_READ | PROT_WRITE) != 0)
        return -ENOMEM;
    {
        gc_page_t *h = &gc_g.pages[gc_g.top >> GC_PAGE_SHIFT];
        size_t np = grow >> GC_PAGE_SHIFT;
        if (gc_g.top == 0) { /* page 0 is the guard (gc_impl.h) */
            h->kind = GC_GUARD;
            h++;
            np--;
        }
        gc_g.top += grow;
        pages_release(h, np);
    }
    gc_g.st.heap_bytes = gc_g.top;
    if (gc_g.top > gc_g.st.heap_peak)
        gc_g.st.heap_peak = gc_g.top;
    return 0;
}

/* ---- collection ---- */

static void collect(int eager);

static size_t trigger(void)
{
    size_t t = gc_g.live / 100 * gc_g.free_pct;
    return t < GC_TRIGGER_MIN ? GC_TRIGGER_MIN : t;
}

static int want_collect(void)
{
    return !gc_g.disabled && !gc_g.in_collection && gc_g.since >= trigger();
}

static void sweep_all(void);

/* n fresh pages: from the runs, else sweep what waits, else grow, else a
 * last collection; NULL when the heap cannot grow. */
static gc_page_t *pages_get(size_t n)
{
    gc_page_t *h;
    for (int attempt = 0;; attempt++) {
        if ((h = runs_find(n, 0)) != NULL)
            return h;
        if (gc_g.st.unswept_pages) {
            sweep_all();
            continue;
        }
        /* blacklisted pages are better than a bigger heap past a point */
        if (heap_grow(n) == 0)
            continue;
        if ((h = runs_find(n, 1)) != NULL)
            return h;
        if (attempt > 0 || gc_g.disabled || gc_g.in_collection)
            return NULL;
        collect(1);
    }
}

/* ---- small pages: sweeping and free lists ---- */

/* alloc &= mark on an unswept page: returns the blocks freed. */
static unsigned sweep_bits(gc_page_t *pg)
{
    unsigned freed = 0;
    for (size_t w = 0; w < GC_MAX_SLOTS / 64; w++) {
        freed += (unsigned)__builtin_popcountll(pg->alloc[w] & ~pg->mark[w]);
        pg->alloc[w] &= pg->mark[w];
    }
    pg->flags &= (uint8_t)~GC_PG_UNSWEPT;
    pg->nalloc = (uint16_t)(pg->nalloc - freed);
    gc_g.st.freed_bytes += (uint64_t)freed * pg->size;
    gc_g.st.unswept_pages--;
    return freed;
}

static void avail_unlink(gc_page_t *pg)
{
    gc_page_t **head = &gc_g.avail[pg->cls][pg->atomic];
    if (pg->prev)
        pg->prev->next = pg->next;
    else
        *head = pg->next;
    if (pg->next)
        pg->next->prev = pg->prev;
    pg->flags &= (uint8_t)~GC_PG_LISTED;
}

static void avail_push(gc_page_t *pg)
{
    gc_page_t **head = &gc_g.avail[pg->cls][pg->atomic];
    pg->prev = NULL;
    pg->next = *head;
    if (*head)
        (*head)->prev = pg;
    *head = pg;
    pg->flags |= GC_PG_LISTED;
}

/* The free bits of bitmap word w of pg (slots past nslots are not free). */
static inline uint64_t free_bits(const gc_page_t *pg, unsigned w)
{
    uint64_t f = ~pg->alloc[w];
    unsigned first = w * 64;
    if (first + 64 > pg->nslots)
        f &= pg->nslots <= first ? 0 : ((uint64_t)1 << (pg->nslots - first)) - 1;
    return f;
}

/* Leave the cursor's page: back on the avail list if blocks were freed
 * behind the cursor. */
static void cursor_drop(gc_cursor_t *c)
{
    gc_page_t *pg = c->pg;
    c->pg = NULL;
    c->bits = 0;
    if (!pg)
        return;
    pg->flags &= (uint8_t)~GC_PG_LISTED;
    if (pg->nalloc < pg->nslots)
        avail_push(pg);
}

/* Make pg (swept, with a free slot) the cursor's page. */
static void cursor_set(gc_cursor_t *c, gc_page_t *pg)
{
    c->pg = pg;
    c->addr = gc_page_addr(pg);
    c->w = 0;
    c->bits = free_bits(pg, 0);
    pg->flags |= GC_PG_LISTED; /* gc_free must not list it */
}

/* The next word of the cursor's page with a free slot: 0, or -1 at the end. */
static int cursor_next_word(gc_cursor_t *c)
{
    gc_page_t *pg = c->pg;
    if (!pg)
        return -1;
    while (c->bits == 0) {
        if (++c->w >= (pg->nslots + 63u) / 64)
            return -1;
        c->bits = free_bits(pg, c->w);
    }
    return 0;
}

/* A new page for class cls. */
static gc_page_t *small_page_new(unsigned cls, int atomic)
{
    gc_page_t *pg = pages_get(1);
    if (!pg)
        return NULL;
    memset(pg, 0, sizeof *pg);
    pg->kind = GC_SMALL;
    pg->cls = (uint8_t)cls;
    pg->atomic = (uint8_t)atomic;
    pg->size = gc_g.class_size[cls];
    pg->recip = (uint32_t)((((uint64_t)1 << 32) + pg->size - 1) / pg->size);
    pg->nslots = (uint16_t)(GC_PAGE / pg->size);
    return pg;
}

/* Give (cls, atomic) a cursor with a free slot: 0, or -ENOMEM. */
static int refill(unsigned cls, int atomic)
{
    gc_cursor_t *c = &gc_g.cur[cls][atomic];
    if (cursor_next_word(c) == 0)
        return 0;
    cursor_drop(c);
    for (;;) {
        gc_page_t *pg;
        while ((pg = gc_g.avail[cls][atomic]) != NULL) {
            avail_unlink(pg);
            if (pg->flags & GC_PG_UNSWEPT)
                sweep_bits(pg);
            if (pg->nalloc < pg->nslots) {
                cursor_set(c, pg);
                return cursor_next_word(c);
            }
        }
        if (!want_collect())
            break;
        collect(0);
    }
    {
        gc_page_t *pg = small_page_new(cls, atomic);
        if (!pg)
            return -ENOMEM;
        cursor_drop(c); /* a last collection may have set one */
        cursor_set(c, pg);
        return 0;
    }
}

static void *alloc_small(size_t n, int atomic)
{
    unsigned cls = gc_g.class_of[(n + GC_GRANULE - 1) / GC_GRANULE];
    gc_cursor_t *c = &gc_g.cur[cls][atomic];
    gc_page_t *pg;
    unsigned bit, slot;
    uint64_t *b;
    size_t size;
    if (__builtin_expect(c->bits == 0, 0) && refill(cls, atomic) != 0) {
        errno = ENOMEM;
        return NULL;
    }
    pg = c->pg;
    bit = (unsigned)__builtin_ctzll(c->bits);
    c->bits &= c->bits - 1;
    pg->alloc[c->w] |= (uint64_t)1 << bit;
    pg->nalloc++;
    slot = c->w * 64 + bit;
    size = pg->size;
    b = (uint64_t *)(c->addr + (uintptr_t)slot * size);
    gc_g.since += size;
    gc_g.st.allocated_bytes += size;
    if (atomic) {
        b[0] = 0;
    } else if (size <= 64) {
        /* the common small sizes without a call (granules of 16 bytes) */
        for (size_t i = 0; i < size / 8; i += 2) {
            b[i] = 0;
            b[i + 1] = 0;
            __asm__("" : : "r"(b) : "memory"); /* keep it a loop, not a memset call */
        }
    } else {
        memset(b, 0, size);
    }
    return b;
}

static void *alloc_large(size_t n, int atomic)
{
    size_t np, bytes;
    gc_page_t *h;
    if (n > ((size_t)UINT32_MAX & ~(GC_PAGE - 1)) || n > gc_g.reserved) {
        errno = ENOMEM;
        return NULL;
    }
    np = (n + GC_PAGE - 1) >> GC_PAGE_SHIFT;
    bytes = np << GC_PAGE_SHIFT;
    if (want_collect())
        collect(0);
    h = pages_get(np);
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    memset(h, 0, sizeof *h);
    h->kind = GC_LARGE;
    h->atomic = (uint8_t)atomic;
    h->npages = (uint32_t)np;
    h->size = (uint32_t)((n + GC_GRANULE - 1) & ~(size_t)(GC_GRANULE - 1));
    h->alloc[0] = 1;
    for (size_t k = 1; k < np; k++) {
        h[k].kind = GC_TAIL;
        h[k].back = (uint32_t)k;
    }
    gc_g.since += bytes;
    gc_g.st.allocated_bytes += bytes;
    if (!atomic)
        memset((void *)gc_page_addr(h), 0, h->size);
    return (void *)gc_page_addr(h);
}

/* ---- the mark phase's frame ---- */

/* Sweep every page that waits (empty ones back to the runs). */
static void sweep_all(void)
{
    for (unsigned c = 0; c < GC_NCLASSES; c++)
        for (int a = 0; a < 2; a++) {
            gc_page_t *pg = gc_g.avail[c][a], *next;
            for (; pg; pg = next) {
                next = pg->next;
                if (pg->flags & GC_PG_UNSWEPT)
                    sweep_bits(pg);
                if (pg->nalloc == 0) {
                    avail_unlink(pg);
                    pages_release(pg, 1);
                } else if (pg->nalloc == pg->nslots) {
                    avail_unlink(pg);
                }
            }
        }
}

void gc_mark_begin(void)
{
    size_t np = gc_g.top >> GC_PAGE_SHIFT;
    if (gc_g.st.unswept_pages)
        for (size_t i = 0; i < np; i++)
            if (gc_g.pages[i].kind == GC_SMALL && (gc_g.pages[i].flags & GC_PG_UNSWEPT))
                sweep_bits(&gc_g.pages[i]);
    memset(gc_g.cur, 0, sizeof gc_g.cur);
    memset(gc_g.avail, 0, sizeof gc_g.avail);
    for (size_t i = 0; i < np; i++) {
        gc_page_t *pg = &gc_g.pages[i];
        pg->flags &= (uint8_t)~GC_PG_LISTED;
        memset(pg->mark, 0, sizeof pg->mark);
    }
    if (gc_g.nblack) {
        memset(gc_g.black, 0, ((gc_g.reserved >> GC_PAGE_SHIFT) + 63) / 64 * 8);
        gc_g.nblack = 0;
    }
    gc_g.marked = 0;
    gc_g.ms_len = 0;
    gc_g.ms_overflow = 0;
}

void gc_mark_end(int eager)
{
    size_t np = gc_g.top >> GC_PAGE_SHIFT;
    /* backwards, so that each avail list comes out in address order */
    for (size_t i = np; i-- > 0;) {
        gc_page_t *pg = &gc_g.pages[i];
        if (pg->kind == GC_SMALL) {
            if (pg->nalloc == 0) {
                pages_release(pg, 1);
                continue;
            }
            pg->flags |= GC_PG_UNSWEPT;
            gc_g.st.unswept_pages++;
            avail_push(pg);
        } else if (pg->kind == GC_LARGE && (pg->alloc[0] & 1) && !(pg->mark[0] & 1)) {
            gc_g.st.freed_bytes += (uint64_t)pg->npages << GC_PAGE_SHIFT;
            pages_release(pg, pg->npages);
        }
    }
    if (eager)
        sweep_all();
    gc_g.live = gc_g.marked;
    gc_g.since = 0;
    gc_g.st.live_bytes = gc_g.marked;
    gc_g.st.marked_bytes += gc_g.marked;
    gc_g.st.blacklisted_pages = gc_g.nblack;
    gc_g.st.collections++;
    VL_DEBUG_CHECK(gc_heap_check());
}

static void mark_root(const gc_root_t *r, void *arg)
{
    (void)arg;
    gc_mark_range(r->lo, r->hi, 1);
}

static void collect(int eager)
{
    uint64_t t0 = now_ns(), dt;
    if (gc_g.in_collection || gc_g.disabled)
        return;
    gc_g.in_collection = 1;
    gc_mark_begin();
    gc_roots_each(mark_root, NULL);
    gc_mark_end(eager);
    gc_g.in_collection = 0;
    dt = now_ns() - t0;
    gc_g.st.pause_ns_total += dt;
    if (dt > gc_g.st.pause_ns_max)
        gc_g.st.pause_ns_max = dt;
}

/* ---- the interface ---- */

int gc_init(void)
{
    size_t np, bytes;
    void *r = MAP_FAILED, *d, *b;
    int rc;
    if (gc_g.inited)
        return 0;
    classes_init();
    for (size_t want = GC_RESERVE_MAX; want >= GC_RESERVE_MIN && r == MAP_FAILED; want /= 2) {
        r = mmap(NULL, want, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        gc_g.reserved = want;
    }
    if (r == MAP_FAILED)
        return -ENOMEM;
    np = gc_g.reserved >> GC_PAGE_SHIFT;
    bytes = np * sizeof(gc_page_t);
    d = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    b = mmap(NULL, (np + 63) / 64 * 8, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (d == MAP_FAILED || b == MAP_FAILED) {
        munmap(r, gc_g.reserved);
        return -ENOMEM;
    }
    gc_g.base = (uintptr_t)r;
    gc_g.pages = d;
    gc_g.black = b;
    gc_g.heap_limit = env_size("VMLAB_GC_HEAP_LIMIT", 0);
    gc_g.base_only = env_size("VMLAB_GC_BASE_ONLY", 0) != 0;
    gc_g.ms_want = env_size("VMLAB_GC_MARK_STACK", GC_MS_DEFAULT);
    if (gc_g.ms_want < 4)
        gc_g.ms_want = 4;
    gc_g.free_pct = (unsigned)env_size("VMLAB_GC_FREE_PERCENT", GC_FREE_PCT);
    if (gc_g.free_pct < 1)
        gc_g.free_pct = 1;
    if ((rc = gc_mark_stack_init()) != 0)
        return rc;
    gc_g.inited = 1;
    return 0;
}

static void *alloc(size_t n, int atomic)
{
    if (__builtin_expect(!gc_g.inited, 0) && gc_init() != 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (n <= GC_SMALL_MAX)
        return alloc_small(n ? n : 1, atomic);
    return alloc_large(n, atomic);
}

void *gc_malloc(size_t n)
{
    return alloc(n, 0);
}

void *gc_malloc_atomic(size_t n)
{
    return alloc(n, 1);
}

void *gc_base(const void *p)
{
    uintptr_t w = (uintptr_t)p;
    gc_page_t *pg = gc_g.inited ? gc_page_of(w) : NULL;
    if (!pg)
        return NULL;
    if (pg->kind == GC_SMALL) {
        uint32_t in = (uint32_t)(w & (GC_PAGE - 1));
        uint32_t slot = (uint32_t)(((uint64_t)in * pg->recip) >> 32);
        if (slot >= pg->nslots || !(pg->alloc[slot >> 6] & ((uint64_t)1 << (slot & 63))))
            return NULL;
        if ((pg->flags & GC_PG_UNSWEPT) && !(pg->mark[slot >> 6] & ((uint64_t)1 << (slot & 63))))
            return NULL; /* garbage waiting for the sweep */
        return (void *)(w - (in - slot * pg->size));
    }
    if (pg->kind == GC_TAIL)
        pg -= pg->back;
    else if (pg->kind != GC_LARGE)
        return NULL;
    if (!(pg->alloc[0] & 1) || w - gc_page_addr(pg) >= pg->size)
        return NULL;
    return (void *)gc_page_addr(pg);
}

size_t gc_size(const void *p)
{
    void *b = gc_base(p);
    gc_page_t *pg;
    if (!b || b != p)
        return 0;
    pg = gc_page_of((uintptr_t)b);
    return pg->size;
}

int gc_is_live(const void *p)
{
    return p && gc_base(p) == p;
}

void gc_free(void *p)
{
    gc_page_t *pg;
    uintptr_t w = (uintptr_t)p;
    if (!p)
        return;
    pg = gc_g.inited ? gc_page_of(w) : NULL;
    if (!pg)
        die("gc_free: pointer not allocated by the collector:", p);
    if (gc_base(p) != p) {
        int at_start = pg->kind == GC_FREE;
        if (pg->kind == GC_SMALL) {
            uint32_t in = (uint32_t)(w & (GC_PAGE - 1));
            uint32_t slot = (uint32_t)(((uint64_t)in * pg->recip) >> 32);
            at_start = slot < pg->nslots && in == slot * pg->size;
        } else if (pg->kind == GC_LARGE) {
            at_start = (w & (GC_PAGE - 1)) == 0;
        }
        if (at_start)
            die("gc_free: double free (the block is not allocated):", p);
        die("gc_free: not the start of an allocated block:", p);
    }
    if (pg->kind == GC_SMALL) {
        uint32_t slot = (uint32_t)(((w & (GC_PAGE - 1)) * (uint64_t)pg->recip) >> 32);
        uint64_t bit = (uint64_t)1 << (slot & 63);
        pg->alloc[slot >> 6] &= ~bit;
        pg->mark[slot >> 6] &= ~bit;
        pg->nalloc--;
        gc_g.st.explicit_freed_bytes += pg->size;
        if (!(pg->flags & GC_PG_LISTED))
            avail_push(pg); /* a full page gets a free slot back */
    } else {
        gc_g.st.explicit_freed_bytes += (uint64_t)pg->npages << GC_PAGE_SHIFT;
        pg->alloc[0] = 0;
        pages_release(pg, pg->npages);
    }
    VL_DEBUG_CHECK(gc_heap_check());
}

void *gc_realloc(void *p, size_t n)
{
    size_t have;
    void *q;
    gc_page_t *pg;
    if (!p)
        return gc_malloc(n);
    if (n == 0) {
        gc_free(p);
        return NULL;
    }
    have = gc_size(p);
    if (have == 0)
        die("gc_realloc: not the start of an allocated block:", p);
    pg = gc_page_of((uintptr_t)p);
    if (n <= have && n >= have / 2)
        return p;
    q = alloc(n, pg->atomic);
    if (!q)
        return NULL;
    memcpy(q, p, n < have ? n : have);
    gc_free(p);
    return q;
}

void gc_collect(void)
{
    if (!gc_g.inited && gc_init() != 0)
        return;
    collect(1);
}

int gc_add_roots(void *start, void *end)
{
    if ((uintptr_t)start >= (uintptr_t)end)
        return -EINVAL;
    if (gc_g.nroots == GC_MAX_ROOTS)
        return -ENOSPC;
    gc_g.roots[gc_g.nroots].lo = (uintptr_t)start;
    gc_g.roots[gc_g.nroots].hi = (uintptr_t)end;
    gc_g.nroots++;
    return 0;
}

int gc_remove_roots(void *start, void *end)
{
    for (size_t i = 0; i < gc_g.nroots; i++)
        if (gc_g.roots[i].lo == (uintptr_t)start && gc_g.roots[i].hi == (uintptr_t)end) {
            gc_g.roots[i] = gc_g.roots[--gc_g.nroots];
            return 0;
        }
    return -ENOENT;
}

void gc_disable(void)
{
    gc_g.disabled++;
}

void gc_enable(void)
{
    VL_ASSERT(gc_g.disabled > 0);
    gc_g.disabled--;
}

void gc_set_heap_limit(size_t bytes)
{
    gc_g.heap_limit = bytes;
}

void gc_set_interior_pointers(int on)
{
    gc_g.base_only = !on;
}

int gc_set_mark_stack(size_t entries)
{
    if (entries < 4)
        return -EINVAL;
    gc_g.ms_want = entries;
    return gc_g.inited ? gc_mark_stack_init() : 0;
}

void gc_set_free_percent(unsigned percent)
{
    gc_g.free_pct = percent ? percent : 1;
}

void gc_get_stats(gc_stats_t *out)
{
    *out = gc_g.st;
}

void gc_each_block(gc_block_fn *fn, void *arg)
{
    size_t np = gc_g.top >> GC_PAGE_SHIFT;
    for (size_t i = 0; i < np; i++) {
        gc_page_t *pg = &gc_g.pages[i];
        uintptr_t a = gc_page_addr(pg);
        if (pg->kind == GC_SMALL) {
            for (unsigned s = 0; s < pg->nslots; s++) {
                uint64_t bit = (uint64_t)1 << (s & 63);
                if (pg->alloc[s >> 6] & bit)
                    fn(a + (uintptr_t)s * pg->size, pg->size, (pg->mark[s >> 6] & bit) != 0, arg);
            }
        } else if (pg->kind == GC_LARGE && (pg->alloc[0] & 1)) {
            fn(a, pg->size, (int)(pg->mark[0] & 1), arg);
        }
    }
}

void gc_heap_check(void)
{
    size_t np = gc_g.top >> GC_PAGE_SHIFT, free_seen = 0, runs = 0;
    for (size_t i = 0; i < np;) {
        gc_page_t *pg = &gc_g.pages[i];
        switch (pg->kind) {
        case GC_SMALL:
            VL_ASSERT(popcount4(pg->alloc) == pg->nalloc && pg->nalloc <= pg->nslots);
            VL_ASSERT(pg->nslots == GC_PAGE / pg->size && pg->size == gc_g.class_size[pg->cls]);
            i++;
            break;
        case GC_LARGE:
            VL_ASSERT(pg->npages > 0 && i + pg->npages <= np && pg->size <= pg->npages * GC_PAGE);
            for (size_t k = 1; k < pg->npages; k++)
                VL_ASSERT(pg[k].kind == GC_TAIL && pg[k].back == k);
            i += pg->npages;
            break;
        case GC_FREE:
            VL_ASSERT(pg->npages > 0 && i + pg->npages <= np);
            if (pg->npages > 1)
                VL_ASSERT(pg[pg->npages - 1].back == pg->npages - 1);
            /* runs are maximal: never two adjacent */
            VL_ASSERT(i + pg->npages == np || pg[pg->npages].kind != GC_FREE);
            free_seen += pg->npages;
            i += pg->npages;
            break;
        case GC_GUARD:
            VL_ASSERT(i == 0);
            i++;
            break;
        default:
            VL_ASSERT(!"a tail page without its head");
        }
    }
    for (gc_page_t *h = gc_g.free_runs; h; h = h->next)
        runs += h->npages;
    VL_ASSERT(free_seen == gc_g.free_pages && runs == gc_g.free_pages);
}
