/* SPDX-License-Identifier: MIT */
/*
 * gc_impl.h - the collector's heap layout and the internal interface shared
 * by its parts (gc.c: allocation, sweeping, growth; gc_mark.c: marking;
 * gc_roots.c: finding the roots) and by its two users that look inside
 * (`vmlab gc demo`, and the leak finder src/gc/leaks.c).
 *
 * Layout (after bdwgc's HBLK pages and side tables, simplified): one
 * contiguous reservation of address space, committed from the bottom up in
 * 4 KiB pages.  Every page has a descriptor in a side array indexed by page
 * number, so a word w is a candidate pointer iff base <= w < base + top, and
 * its page is pages[(w - base) >> 12]: O(1), with no header in the block.
 *  - a SMALL page holds nslots blocks of one size class (16-byte granules up
 *    to 256 bytes, then the largest size that fits 16, 15, ... 2 per page);
 *    the block containing offset o is slot o / size, computed as
 *    (o * recip) >> 32, exact for o < 4096; bitmaps alloc[] (a block starts
 *    at this slot and is allocated) and mark[] (reached in this collection);
 *  - a LARGE page heads a run of npages holding one block (alloc/mark bit 0),
 *    its TAIL pages point back to it (back = pages from the head);
 *  - FREE pages form runs (head: npages; last page: back) on a list; pages
 *    past `top` are reserved but not committed.
 * Invariants (gc_heap_check): the runs of LARGE+TAILs and free runs and the
 * SMALL pages tile [0, top/4096) exactly; popcount(alloc) == nalloc <= nslots;
 * mark is a subset of alloc outside the window between the end of a mark
 * phase and a page's sweep; free_pages equals the pages in free runs.
 */
#ifndef VMLAB_GC_IMPL_H
#define VMLAB_GC_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/gc.h"

#define GC_PAGE_SHIFT 12
#define GC_PAGE ((size_t)1 << GC_PAGE_SHIFT)
#define GC_GRANULE 16
#define GC_SMALL_MAX 2048 /* larger blocks get pages of their own */
#define GC_NCLASSES 30
#define GC_MAX_SLOTS (GC_PAGE / GC_GRANULE)
#define GC_MAX_ROOTS 256 /* ranges gc_add_roots can hold */

/* No ASan on code that reads words it does not own (stack slots, globals'
 * redzones): a conservative scanner reads them by design. */
#define GC_NO_ASAN __attribute__((no_sanitize_address))

/* GC_GUARD: page 0, never allocated.  The heap's base address is the value
 * most likely to be left in a dead stack slot (every local copy of
 * gc_g.base); a block there would be kept alive by it. */
enum gc_kind { GC_FREE = 0, GC_SMALL, GC_LARGE, GC_TAIL, GC_GUARD };

typedef struct gc_page {
    /* the first 64 bytes are what marking a 32-byte block reads */
    uint8_t kind;    /* enum gc_kind */
    uint8_t cls;     /* SMALL: size class */
    uint8_t atomic;  /* SMALL, LARGE: blocks hold no pointers, never scanned */
    uint8_t flags;   /* GC_PG_* */
    uint16_t nslots; /* SMALL: blocks on the page */
    uint16_t nalloc; /* SMALL: allocated blocks (popcount of alloc) */
    uint32_t size;   /* SMALL: block bytes; LARGE: bytes asked for, rounded to 16 */
    uint32_t recip;  /* SMALL: ceil(2^32 / size), for slot = (off * recip) >> 32 */
    uint64_t alloc[GC_MAX_SLOTS / 64]; /* a block at this slot is allocated */
    uint64_t mark[GC_MAX_SLOTS / 64];  /* ... and was reached this collection */
    uint32_t npages; /* LARGE and free-run heads: pages in the run */
    uint32_t back;   /* TAIL, last page of a free run: pages back to the head */
    struct gc_page *next, *prev; /* free-run list, or the class's avail list */
} __attribute__((aligned(64))) gc_page_t;

enum {
    GC_PG_LISTED = 1,  /* SMALL: on its class's avail list, or being allocated from */
    GC_PG_UNSWEPT = 2, /* SMALL: marked since the last sweep: alloc & ~mark is garbage */
};

/* One range of words to scan, [lo, hi). */
typedef struct gc_range {
    uintptr_t lo, hi;
} gc_range_t;

/* Where a class allocates: the free bits of one bitmap word of one page,
 * taken lowest first (no free list: the alloc bitmap is the free list). */
typedef struct gc_cursor {
    gc_page_t *pg;  /* the page, NULL when none */
    uintptr_t addr; /* its first byte */
    uint64_t bits;  /* free slots left in word w (1 = free) */
    unsigned w;     /* the bitmap word being used */
} gc_cursor_t;

/* A root range as gc_roots_each reports it. */
typedef struct gc_root {
    const char *kind; /* "registers+stack", "data+bss", "tls", "registered" */
    const char *name; /* the object file (program or library), or "" */
    uintptr_t lo, hi; /* [lo, hi) */
} gc_root_t;

typedef void gc_root_fn(const gc_root_t *r, void *arg);

/* The collector's state: one instance, gc_g.  Its own range is never scanned
 * as a root (its free-list heads point into the heap). */
typedef struct gc_state {
    int inited;            /* gc_init done */
    int disabled;          /* gc_disable depth */
    int base_only;         /* only pointers to a block's base count */
    int in_collection;     /* re-entry guard */
    uintptr_t base;        /* the reservation's first byte (page aligned) */
    size_t reserved;       /* bytes reserved */
    size_t top;            /* bytes committed from base: pages [0, top/4096) exist */
    size_t heap_limit;     /* most committed bytes, 0 for none */
    gc_page_t *pages;      /* descriptors, one per reserved page */
    uint64_t *black;       /* blacklist: one bit per reserved page */
    size_t nblack;         /* bits set in black */
    gc_cursor_t cur[GC_NCLASSES][2];     /* the page each class allocates from */
    gc_page_t *avail[GC_NCLASSES][2];    /* pages to take free blocks from */
    gc_page_t *free_runs;  /* runs of free pages (doubly linked through heads) */
    size_t free_pages;     /* pages in free_runs */
    uint32_t class_size[GC_NCLASSES];    /* block bytes per class */
    uint8_t class_of[GC_SMALL_MAX / GC_GRANULE + 1]; /* granules -> class */
    gc_range_t *ms;        /* mark stack (mmap'd) */
    size_t ms_cap;         /* its entries */
    size_t ms_len;         /* entries in use */
    int ms_overflow;       /* a push was dropped: rescan marked blocks */
    size_t ms_want;        /* capacity asked for (gc_set_mark_stack) */
    gc_range_t roots[GC_MAX_ROOTS]; /* registered ranges */
    size_t nroots;         /* entries of roots in use */
    size_t since;          /* bytes allocated since the last collection */
    size_t live;           /* bytes marked by the last collection */
    size_t marked;         /* bytes marked so far in this collection */
    unsigned free_pct;     /* collect when since >= live * free_pct / 100 */
    gc_stats_t st;         /* counters */
} gc_state_t;

extern gc_state_t gc_g __attribute__((visibility("hidden")));

/* The page of address a, or NULL outside the committed heap. */
static inline gc_page_t *gc_page_of(uintptr_t a)
{
    uintptr_t off = a - gc_g.base;
    return off < gc_g.top ? &gc_g.pages[off >> GC_PAGE_SHIFT] : NULL;
}

static inline uintptr_t gc_page_addr(const gc_page_t *pg)
{
    return gc_g.base + ((uintptr_t)(pg - gc_g.pages) << GC_PAGE_SHIFT);
}

/* ---- gc.c ---- */
/* Start a collection's mark phase: finish pending sweeps, clear the marks
 * and the blacklist, drop the free lists. */
void gc_mark_begin(void);
/* End it: sweep large blocks now and queue small pages for lazy sweeping
 * (eager: sweep them all now). */
void gc_mark_end(int eager);
/* Every allocated block in address order: fn(base, bytes, marked, arg). */
typedef void gc_block_fn(uintptr_t base, size_t bytes, int marked, void *arg);
void gc_each_block(gc_block_fn *fn, void *arg);
/* Abort unless the heap's invariants hold (the equations above). */
void gc_heap_check(void);

/* ---- gc_mark.c ---- */
/* Mark from the words in [lo, hi) and everything reachable from them;
 * from_root: also blacklist words that point at free heap pages. */
void gc_mark_range(uintptr_t lo, uintptr_t hi, int from_root);
/* Mark the block at base (if allocated and unmarked) and what it reaches. */
void gc_mark_block(uintptr_t base);
/* Allocate the mark stack at its wanted capacity: 0 or -errno. */
int gc_mark_stack_init(void);

/* ---- gc_roots.c ---- */
/* Report every root range, the registers spilled onto the stack first; fn
 * runs while the spill is live.  Ranges exclude gc_g itself. */
void gc_roots_each(gc_root_fn *fn, void *arg);

#endif
