/* SPDX-License-Identifier: MIT */
/*
 * gc.h - vmlab gc: a conservative mark-and-sweep garbage collector for C
 * (CS:APP 9.10; Boehm and Weiser, "Garbage collection in an uncooperative
 * environment", Software Practice & Experience 18(9), 1988).
 *
 * Memory from gc_malloc is never freed by the program: a collection marks
 * every block reachable from the roots (registers, the stack, the data and
 * BSS areas of the program and its shared libraries, their thread-local
 * blocks, and ranges registered with gc_add_roots) and frees the rest.  C
 * keeps no type information, so every aligned word that looks like a pointer
 * into an allocated block keeps that block alive (an interior pointer too,
 * unless gc_set_interior_pointers(0)).  docs/gc.md explains the heap layout.
 *
 * Contract: `#include <vmlab/gc.h>` with -Iinclude and linking
 * build/libvmlab.a -lpthread (or libvmlab.so) is enough; the first
 * gc_malloc initialises the collector.  Single-threaded: only the thread that
 * allocates is scanned, so call it from one thread (docs/gc.md, "Threads").
 *
 * Environment (read once, at initialisation):
 *   VMLAB_GC_HEAP_LIMIT=BYTES  most bytes of heap pages (k/m/g suffixes)
 *   VMLAB_GC_BASE_ONLY=1       only pointers to a block's first byte count
 *   VMLAB_GC_MARK_STACK=N      mark stack entries (overflow is recovered)
 *   VMLAB_GC_FREE_PERCENT=P    collect when bytes allocated since the last
 *                              collection reach P% of the live heap
 */
#ifndef VMLAB_GC_H
#define VMLAB_GC_H

#include <stddef.h>
#include <stdint.h>

#define GC_API __attribute__((visibility("default")))

/* Counters since initialisation (gc_get_stats). */
typedef struct gc_stats {
    uint64_t collections;     /* completed collections */
    uint64_t heap_bytes;      /* heap pages committed now (in use or free) */
    uint64_t heap_peak;       /* most heap_bytes ever */
    uint64_t live_bytes;      /* bytes marked by the last collection */
    uint64_t allocated_bytes; /* bytes handed out by gc_malloc & co. (block sizes) */
    uint64_t marked_bytes;    /* bytes marked, summed over collections */
    uint64_t freed_bytes;     /* bytes of unreachable blocks swept */
    uint64_t explicit_freed_bytes; /* bytes given back with gc_free */
    uint64_t pause_ns_total;  /* time spent in collections */
    uint64_t pause_ns_max;    /* the longest collection */
    uint64_t mark_overflows;  /* mark stack overflows recovered by rescanning */
    uint64_t blacklisted_pages; /* free pages a root word pointed at (last collection) */
    uint64_t unswept_pages;   /* pages still waiting to be swept lazily */
} gc_stats_t;

/* Start the collector now (optional: gc_malloc starts it). 0 or -errno. */
GC_API int gc_init(void);

/* A zeroed block of at least n bytes, scanned for pointers; NULL with errno
 * ENOMEM when the heap cannot grow even after a last collection.  n == 0
 * gives a unique minimum-size block. */
GC_API void *gc_malloc(size_t n);
/* A block that holds no pointers: never scanned, not zeroed. */
GC_API void *gc_malloc_atomic(size_t n);
/* Resize p (from gc_malloc*, or NULL): the contents up to the smaller size
 * are kept, the new block has p's kind; n == 0 frees p and returns NULL. */
GC_API void *gc_realloc(void *p, size_t n);
/* Free p at once (optional).  p must be a block's first byte and not freed
 * yet; anything else is reported on stderr and aborts, as malloc does. */
GC_API void gc_free(void *p);
/* Collect now: mark from every root, then sweep the whole heap. */
GC_API void gc_collect(void);

/* Scan [start, end) as a root from now on (word-aligned inside).  0, or
 * -EINVAL for an empty range, -ENOSPC when too many ranges are registered. */
GC_API int gc_add_roots(void *start, void *end);
/* Stop scanning a range given to gc_add_roots: 0, or -ENOENT. */
GC_API int gc_remove_roots(void *start, void *end);

/* No collections while disabled (gc_collect included); calls nest. */
GC_API void gc_disable(void);
GC_API void gc_enable(void);

/* Options, effective from the next allocation or collection. */
GC_API void gc_set_heap_limit(size_t bytes);      /* 0: no limit */
GC_API void gc_set_interior_pointers(int on);     /* default on */
GC_API int gc_set_mark_stack(size_t entries);     /* >= 4; 0 or -errno */
GC_API void gc_set_free_percent(unsigned percent); /* >= 1 */

/* The first byte of the allocated block containing p, or NULL. */
GC_API void *gc_base(const void *p);
/* The usable size of the block at base p (>= the size asked for), 0 if p is
 * not an allocated block's base. */
GC_API size_t gc_size(const void *p);
/* Whether p is the base of a block that is allocated (not yet freed or
 * swept): what the tests ask after a collection. */
GC_API int gc_is_live(const void *p);

GC_API void gc_get_stats(gc_stats_t *out /* OUT */);

#endif
