/* SPDX-License-Identifier: MIT */
/*
 * malloc.h - vmlab's allocator core: one interface, every textbook design.
 *
 * Designs (chosen by name, each a const ops table in src/malloc/NAME.c,
 * registered in one table in src/malloc/heap.c):
 *   implicit-first  implicit free list, first fit          (CS:APP 9.9.6-9.9.12)
 *   implicit-next   implicit free list, next fit (a rover) (Knuth 2.5, CS:APP 9.9.7)
 *   implicit-best   implicit free list, best fit
 *   implicit-worst  implicit free list, worst fit
 *   explicit-lifo   explicit doubly linked free list, LIFO order, first fit (CS:APP 9.9.13)
 *   explicit-addr   explicit free list in address order, first fit
 *   segfit          segregated fits: size classes, each list sorted by size (CS:APP 9.9.14)
 *   segstore        simple segregated storage: equal blocks per class, no
 *                   splitting, no coalescing (CS:APP 9.9.14)
 *   buddy           binary buddy system (Knowlton 1965; Knuth 2.5)
 * Every boundary-tag design (implicit-*, explicit-*, segfit) splits, coalesces
 * with boundary tags (immediately, or deferred with MA_DEFER_COALESCE), elides
 * the footer of allocated blocks (the allocated bit of the previous block is
 * kept in each header) and reallocates in place when it can.
 *
 * Memory.  The core never calls malloc, stdio or (unless the caller's page
 * source does) a system call, and keeps all its metadata in the heap memory
 * itself or in the storage the caller gives to ma_init(), so it can run
 * inside malloc().  The heap grows from a page source (ma_source_t): a fixed
 * pool, an sbrk-like arena, or mmap (see ma_source_*() below).  A heap
 * without a source never grows by itself: an allocation that does not fit
 * fails with ENOMEM and ma_needed() says how many bytes a new region needs;
 * the caller obtains them (e.g. mmap, outside its lock), hands them in with
 * ma_add_region() and retries.  That is how the preload library keeps system
 * calls outside its lock.
 *
 * Errors.  Allocation failures return NULL with errno = ENOMEM (EINVAL for a
 * bad alignment); size arithmetic is checked (ma_calloc, ma_reallocarray).
 * Heap misuse caught at run time aborts after one line on stderr, written
 * with write(2), as glibc does ("vmlab malloc: free(): double free: the
 * block is already free (block 0x...)"): double free, freeing a pointer the heap never returned,
 * overflow into the next block (with MA_CANARY), use after free (with
 * MA_POISON).  Not thread-safe: one heap, one caller at a time.
 */
#ifndef VMLAB_MALLOC_H
#define VMLAB_MALLOC_H

#include <stddef.h>
#include <stdint.h>

typedef struct ma_heap ma_heap_t; /* opaque; lives in caller storage */

/* Where heap memory comes from.  All callbacks get `ctx`.  Any callback may
 * be NULL. */
typedef struct ma_source {
    /* Grow: return the start of at least `bytes` new bytes, 16-byte aligned,
     * and set *got to how many (>= bytes); NULL if there is no more memory.
     * Memory that starts exactly at the end of the heap's last region extends
     * that region (sbrk); anywhere else it becomes a new region.  NULL
     * callback: the heap grows only through ma_add_region(). */
    void *(*more)(void *ctx, size_t bytes, size_t *got /* OUT */);
    /* Map `bytes` (a multiple of the page size) for one huge block, NULL if
     * impossible; and unmap it again.  NULL: no huge blocks, every size is
     * served from the regions. */
    void *(*map)(void *ctx, size_t bytes);
    void (*unmap)(void *ctx, void *p, size_t bytes);
    void *ctx; /* passed to every callback */
} ma_source_t;

/* ma_config_t.flags */
enum {
    MA_DEFER_COALESCE = 1 << 0, /* boundary-tag designs: coalesce free blocks
                                   only when a request finds no fit */
    MA_CANARY = 1 << 1,         /* an 8-byte canary ends every allocated
                                   block, checked on free/realloc/ma_check:
                                   overflow into the next block aborts */
    MA_POISON = 1 << 2,         /* free fills payloads with 0xdd, allocation
                                   verifies it: a write after free aborts
                                   (always on in VMLAB_DEBUG builds) */
    MA_NO_PLACE_SPLIT = 1 << 3, /* boundary-tag designs: always place a block
                                   at the low end of a free block (the
                                   textbook rule; the default places large
                                   blocks at the high end, see docs/malloc.md) */
    MA_SITES = 1 << 4,          /* a 16-byte trailer in every allocated block
                                   keeps its requested size and allocation
                                   site (ma_set_site/ma_site_of): the leak
                                   list at exit (VMLAB_MALLOC_LEAKS=1) */
};

typedef struct ma_config {
    const char *design;        /* a name from the list above; NULL: "segfit" */
    size_t align;              /* payload alignment: 8 or 16; 0: 16 */
    unsigned flags;            /* MA_* flags */
    const ma_source_t *source; /* page source, copied; NULL: none (regions only) */
    size_t huge_threshold;     /* requests >= this get their own mapping via
                                  source->map; 0: never */
    size_t grow_min;           /* boundary-tag designs: the chunk the heap
                                  grows by for requests below 256 bytes
                                  (larger ones grow it by what they miss);
                                  0: 2048 */
} ma_config_t;

/* Storage a heap needs; ma_init() takes at least this many bytes, aligned to
 * 16 (e.g. `static _Alignas(16) unsigned char st[MA_HEAP_BYTES];`). */
#define MA_HEAP_BYTES 2048

/* Make a heap in storage[0, len) (owned by the caller, must outlive the
 * heap; no memory is taken from the source yet).  Returns 0, -ENOENT for an
 * unknown design, -EINVAL for a bad alignment or storage too small. */
int ma_init(ma_heap_t **out /* OUT */, void *storage, size_t len, const ma_config_t *cfg);

/* Add [base, base + len) to the heap (16-byte aligned; owned by the heap
 * from now on).  Contiguous with the last region: that region grows.  0, or
 * -EINVAL if it is not 16-byte aligned or shorter than 128 bytes. */
int ma_add_region(ma_heap_t *h, void *base, size_t len);
/* After an allocation failed with ENOMEM: the length of a region that
 * ma_add_region() must receive so that retrying the same call succeeds;
 * 0 if more memory cannot help (the request overflows).  Reset by every
 * allocation call. */
size_t ma_needed(const ma_heap_t *h);

/* The allocator.  ma_malloc(h, 0) returns a unique pointer (as glibc).
 * ma_free(h, NULL) does nothing.  ma_realloc(h, NULL, n) is ma_malloc;
 * ma_realloc(h, p, 0) frees p and returns NULL; on failure p is untouched.
 * ma_memalign: align a power of two (any size; >= 8), else EINVAL. */
void *ma_malloc(ma_heap_t *h, size_t size);
void ma_free(ma_heap_t *h, void *p);
void *ma_realloc(ma_heap_t *h, void *p, size_t size);
void *ma_calloc(ma_heap_t *h, size_t n, size_t size);
void *ma_reallocarray(ma_heap_t *h, void *p, size_t n, size_t size);
void *ma_memalign(ma_heap_t *h, size_t align, size_t size);
/* Bytes usable at p (>= the size asked for); 0 for NULL. */
size_t ma_usable_size(ma_heap_t *h, const void *p);
/* Whether p points into one of h's regions (any byte of them); huge blocks
 * are not in a region: test those with ma_is_huge().  No validation beyond
 * that, never aborts: for a caller that must tell its pointers from others'
 * (e.g. memory the C library handed out before a preload took over). */
int ma_owns(const ma_heap_t *h, const void *p);

/* Verify every invariant of the heap and its design (stated as equations in
 * src/malloc/) and every canary; abort with a message if one is broken.
 * Debug builds (VMLAB_DEBUG) run it after every operation. */
void ma_check(ma_heap_t *h);

/* One block, as ma_walk() reports it. */
typedef struct ma_block {
    void *addr;     /* the block's first byte (its header) */
    void *payload;  /* what malloc returned for it (or would); NULL in an
                       allocated "block" that is the design's own metadata
                       (hybrid's slab headers): overhead, no program block */
    size_t size;    /* whole block in bytes, header included */
    int allocated;  /* 1 allocated, 0 free */
    int list;       /* ma_walk_free(): which free list (size class, order) */
} ma_block_t;
/* Return non-zero to stop the walk (the walk then returns that value). */
typedef int (*ma_walk_fn)(const ma_block_t *b, void *ctx);
/* Every block of every region in address order (huge blocks excluded). */
int ma_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx);
/* Every free block in free-list order, list by list (implicit designs: the
 * free blocks in address order, list 0). */
int ma_walk_free(ma_heap_t *h, ma_walk_fn fn, void *ctx);

typedef struct ma_stats {
    size_t heap_bytes;   /* bytes in all regions (an arena's high-water mark) */
    size_t regions;      /* regions the heap has */
    size_t live_blocks;  /* allocated blocks, huge ones included (not the
                            metadata blocks, payload NULL, of ma_walk) */
    size_t live_bytes;   /* their sizes, headers included */
    size_t free_blocks;  /* free blocks */
    size_t free_bytes;   /* their sizes */
    size_t huge_blocks;  /* live blocks with their own mapping */
    size_t huge_bytes;   /* their mappings' lengths */
} ma_stats_t;
/* O(blocks): walks the heap. */
void ma_get_stats(ma_heap_t *h, ma_stats_t *st /* OUT */);

const char *ma_design_of(const ma_heap_t *h); /* the design's name */
size_t ma_align_of(const ma_heap_t *h);       /* 8 or 16 */

/* The designs, for listing: i in [0, ma_ndesigns()); NULL past the end. */
size_t ma_ndesigns(void);
const char *ma_design_name(size_t i);
const char *ma_design_summary(size_t i);

/* Huge blocks without a heap (no lock needed): a caller that maps memory
 * itself turns mapping [map, map + maplen) into a block whose payload (16-byte
 * aligned) it returns; ma_huge_len(size) is the maplen a `size`-byte payload
 * needs (page-rounded; 0 on overflow).  ma_is_huge(p) says whether a payload
 * is such a block (p must be a payload of this allocator); ma_huge_mapping()
 * gives the mapping back for munmap.  ma_free()/ma_realloc() handle them too
 * when the heap has source->unmap. */
size_t ma_huge_len(size_t size);
void *ma_huge_wrap(void *map, size_t maplen);
int ma_is_huge(const void *p);
void ma_huge_mapping(const void *p, void **map /* OUT */, size_t *maplen /* OUT */);
/* Debug mode for huge blocks (MA_CANARY): a block mapped with
 * ma_huge_len(size + MA_HUGE_DEBUG_BYTES) and marked by ma_huge_debug_set
 * keeps `size` in its mapping's last word and an 8-byte canary right after
 * the payload's `size` bytes.  ma_huge_debug_check aborts with a heap
 * overflow message if either was overwritten (what names the call), and
 * returns the payload size (0 for a block never marked: no check). */
#define MA_HUGE_DEBUG_BYTES 16
void ma_huge_debug_set(void *p, size_t size);
size_t ma_huge_debug_check(const void *p, const char *what);

/* MA_SITES: record, for allocated block p (a payload this heap returned),
 * the size asked for and the allocation site (a return address); read them
 * back for a block ma_walk() reports (0 and NULL if the heap has no sites). */
void ma_set_site(ma_heap_t *h, void *p, size_t size, const void *site);
void ma_site_of(ma_heap_t *h, const ma_block_t *b, size_t *size /* OUT */,
                const void **site /* OUT */);

/* Page sources (src/malloc/source.c).  Each fills *src and keeps its state
 * in *st (caller storage, must outlive the heap). */
typedef struct ma_arena {
    unsigned char *base; /* first byte of the arena */
    size_t brk;          /* bytes handed out: [base, base + brk) */
    size_t cap;          /* bytes reserved: [base, base + cap) */
    int mapped;          /* base came from mmap (ma_arena_release unmaps) */
} ma_arena_t;
/* A fixed pool [mem, mem + len) handed out sbrk-style (the lab's MEMPOOL). */
void ma_source_pool(ma_source_t *src /* OUT */, ma_arena_t *st, void *mem, size_t len);
/* malloc-lab's mem_sbrk: reserve `cap` bytes of address space (20 MiB in
 * malloc-lab) with mmap and hand them out in order; 0 or -ENOMEM. */
int ma_source_arena(ma_source_t *src /* OUT */, ma_arena_t *st, size_t cap);
void ma_arena_release(ma_arena_t *st);
/* Real use: regions and huge blocks from anonymous mmap. */
void ma_source_mmap(ma_source_t *src /* OUT */);

/*
 * The original lab's API, over one global heap (src/malloc/mylab.c):
 * myinit(policy) with a design name (or "first"/"best"/"next"/"worst", the
 * implicit ones) on a static 1 MiB MEMPOOL; returns 0, or -1 for an unknown
 * policy.  showMempoolInfo() prints every block (address, state, size) and
 * the free lists to stdout.  At exit (atexit, registered by myinit) the
 * blocks still live are reported on stderr; myleaks() prints that report now
 * to `fd` and returns how many blocks are live.
 */
int myinit(const char *policy);
void *mymalloc(size_t size);
void myfree(void *p);
void *myrealloc(void *p, size_t size);
void *mycalloc(size_t n, size_t size);
void showMempoolInfo(void);
size_t myleaks(int fd);
ma_heap_t *myheap(void); /* the global heap, NULL before myinit */

#endif
