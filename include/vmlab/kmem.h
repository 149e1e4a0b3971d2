/* SPDX-License-Identifier: MIT */
/*
 * kmem.h - the Linux kernel's physical-memory allocators in user space: a
 * physical memory of nodes and zones with a struct page per frame, the buddy
 * page allocator (alloc_pages/free_pages), slab caches (kmem_cache_*) with
 * per-CPU magazines, kmalloc/kfree and vmalloc/vfree, and the kernel's reports
 * (/proc/slabinfo 2.1, slabtop, /proc/buddyinfo, the fragmentation indices).
 *
 * Everything lives in one instance (kmem_t): no hidden globals except the
 * calling thread's CPU number (kmem_set_cpu), which plays the kernel's
 * smp_processor_id().  A CPU is used by one thread at a time, as the kernel's
 * per-CPU data are used with preemption off.
 *
 * Names follow the kernel's with the module prefix: kmem_alloc_pages is
 * alloc_pages, kmem_kmalloc is kmalloc.  Frames are real memory: a frame's
 * bytes are at kmem_page_address() (one shared mapping, the "direct map"), and
 * vmalloc maps scattered frames again at contiguous virtual addresses.
 *
 * Errors: calls return 0 or -errno, or NULL; a misuse the kernel would report
 * (freeing an object to the wrong cache, a double free, a red zone or poison
 * overwritten) is recorded in the instance (kmem_errors, kmem_last_error) and
 * the offending operation does nothing: callers check after each operation.
 * Usage and the formulas: docs/kmem.md.
 */
#ifndef VMLAB_KMEM_H
#define VMLAB_KMEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"

typedef struct kmem kmem_t;                /* one physical memory and its allocators */
typedef struct kmem_page kmem_page_t;      /* struct page: one per page frame */
typedef struct kmem_cache kmem_cache_t;    /* a slab cache */

#define KMEM_PAGE_SHIFT 12
#define KMEM_PAGE_SIZE ((size_t)1 << KMEM_PAGE_SHIFT)
#define KMEM_MAX_ORDER 11 /* orders 0..10, as MAX_ORDER on x86-64 (Linux 6.1) */
#define KMEM_MAX_NODES 8

/* Zones, in the kernel's order (enum zone_type). */
typedef enum { KMEM_ZONE_DMA, KMEM_ZONE_DMA32, KMEM_ZONE_NORMAL, KMEM_ZONE_HIGHMEM, KMEM_NR_ZONES } kmem_zone_t;

typedef enum { KMEM_ARCH_X86_64, KMEM_ARCH_I386 } kmem_arch_t;

/* GFP flags: the kernel's bit values (include/linux/gfp_types.h). */
#define KMEM_GFP_DMA 0x01u
#define KMEM_GFP_HIGHMEM 0x02u
#define KMEM_GFP_DMA32 0x04u
#define KMEM_GFP_HIGH 0x20u /* __GFP_HIGH: may dip to half of the min watermark */
#define KMEM_GFP_ZERO 0x100u /* __GFP_ZERO: zeroed memory */
#define KMEM_GFP_KERNEL 0xcc0u /* __GFP_RECLAIM | __GFP_IO | __GFP_FS */
#define KMEM_GFP_ATOMIC (0x20u | 0x800u) /* __GFP_HIGH | __GFP_KSWAPD_RECLAIM */
#define KMEM_GFP_USER (KMEM_GFP_KERNEL | 0x100000u) /* | __GFP_HARDWALL */
#define KMEM_GFP_HIGHUSER (KMEM_GFP_USER | KMEM_GFP_HIGHMEM)

/* Cache flags: the kernel's values (include/linux/slab.h). */
#define KMEM_SLAB_RED_ZONE 0x400u    /* red zones around each object */
#define KMEM_SLAB_POISON 0x800u      /* poison free objects (0x6b, last 0xa5) */
#define KMEM_SLAB_HWCACHE_ALIGN 0x2000u /* align objects on a cache line */
#define KMEM_SLAB_CACHE_DMA 0x4000u  /* slabs from ZONE_DMA */
#define KMEM_SLAB_NO_MAGAZINE 0x10000000u /* vmlab: no per-CPU magazines (every
                                             alloc and free goes to the slabs) */

#define KMEM_MAX_CPUS 64

typedef struct kmem_config {
    uint64_t mem_bytes; /* physical memory, a multiple of 4 MiB (MAX_ORDER block);
                           0: 512 MiB */
    unsigned nodes;     /* NUMA nodes sharing memory evenly; 0: 1 */
    unsigned cpus;      /* CPUs (SLUB's min_objects, per-CPU lists); 0: 1 */
    kmem_arch_t arch;   /* x86_64 zones DMA < 16M, DMA32 < 4G, Normal; i386
                           DMA < 16M, Normal < 896M, HighMem */
    unsigned debug;     /* KMEM_SLAB_RED_ZONE|KMEM_SLAB_POISON added to every
                           cache (slub_debug=ZP) */
    int no_pcp;         /* 1: order-0 pages go straight to the buddy lists
                           (no per-CPU page lists) */
} kmem_config_t;

/* Create a physical memory; 0 or -errno (-EINVAL with d filled when the size
 * cannot hold the zones asked for). */
int kmem_create(const kmem_config_t *cfg, kmem_t **out /* OUT */, diag_t *d);
/* Release everything (caches, pages, mappings).  NULL is allowed. */
void kmem_destroy(kmem_t *km);

/* The calling thread runs on `cpu` (0..cpus-1) from now on; default 0. */
void kmem_set_cpu(unsigned cpu);
unsigned kmem_cpu(void);

/* Errors recorded so far (misuse detected), and the last one's sentence. */
uint64_t kmem_errors(const kmem_t *km);
const char *kmem_last_error(const kmem_t *km);

/* ---- pages: the buddy allocator ---- */
/* 2^order contiguous frames, or NULL (order > 10, or no zone allowed by gfp
 * stays above its watermark).  The head page has refcount 1. */
kmem_page_t *kmem_alloc_pages(kmem_t *km, unsigned gfp, unsigned order);
/* Give back what kmem_alloc_pages returned with the same order; -EINVAL
 * (recorded) when the page is not the head of a live block of that order. */
int kmem_free_pages(kmem_t *km, kmem_page_t *page, unsigned order);
/* __get_free_pages / free_pages on addresses (lowmem only); 0 / NULL on failure. */
void *kmem_get_free_pages(kmem_t *km, unsigned gfp, unsigned order);
int kmem_free_pages_addr(kmem_t *km, void *addr, unsigned order);

uint64_t kmem_page_to_pfn(const kmem_t *km, const kmem_page_t *page);
kmem_page_t *kmem_pfn_to_page(const kmem_t *km, uint64_t pfn); /* NULL if out of range */
/* The frame's bytes; NULL for a highmem frame (use kmem_kmap). */
void *kmem_page_address(const kmem_t *km, const kmem_page_t *page);
void *kmem_kmap(const kmem_t *km, const kmem_page_t *page); /* any frame */
/* The page of a direct-map (lowmem) address, NULL if it is not one. */
kmem_page_t *kmem_virt_to_page(const kmem_t *km, const void *addr);
kmem_zone_t kmem_page_zone(const kmem_page_t *page);
unsigned kmem_page_node(const kmem_page_t *page);
/* get_page / put_page: references; put_page returns the count left. */
void kmem_get_page(kmem_page_t *page);
int kmem_put_page(kmem_page_t *page);
int kmem_page_count(const kmem_page_t *page);
/* A word for the page's owner (the kernel's page->private). */
uintptr_t *kmem_page_private(kmem_page_t *page);

uint64_t kmem_total_pages(const kmem_t *km);
uint64_t kmem_free_page_count(const kmem_t *km); /* in the buddy lists */

/* ---- slab caches ---- */
/* Create a cache of objects of `size` bytes aligned to `align` (0: 8);
 * ctor, if any, runs once per object when its slab is made, and a freed
 * object must be left constructed (Bonwick's object caching).  NULL with
 * errno EINVAL (size 0 or above 8 MiB, bad alignment, duplicate name) or
 * ENOMEM. */
kmem_cache_t *kmem_cache_create(kmem_t *km, const char *name, size_t size, size_t align,
                                unsigned flags, void (*ctor)(void *obj));
void *kmem_cache_alloc(kmem_cache_t *c, unsigned gfp);
/* -EINVAL (recorded, with the cache's name) when obj is not an allocated
 * object of c. */
int kmem_cache_free(kmem_cache_t *c, void *obj);
/* Drain the magazines and free the empty slabs; returns pages freed. */
size_t kmem_cache_shrink(kmem_cache_t *c);
/* Destroy; -EBUSY (recorded) if objects are still allocated (the cache
 * stays). */
int kmem_cache_destroy(kmem_cache_t *c);
kmem_cache_t *kmem_cache_find(const kmem_t *km, const char *name);
const char *kmem_cache_name(const kmem_cache_t *c);
size_t kmem_cache_size(const kmem_cache_t *c); /* object size asked for */

/* SLUB's slab order for objects of s->size bytes (mm/slub.c calculate_order)
 * with the given CPU count; -ENOSYS if none.  objs: objects per slab. */
int kmem_calculate_order(unsigned size, unsigned cpus, unsigned *objs /* OUT */);

/* ---- kmalloc / vmalloc ---- */
void *kmem_kmalloc(kmem_t *km, size_t size, unsigned gfp);
void *kmem_kzalloc(kmem_t *km, size_t size, unsigned gfp);
void *kmem_krealloc(kmem_t *km, void *p, size_t size, unsigned gfp);
int kmem_kfree(kmem_t *km, void *p); /* NULL is a no-op */
size_t kmem_ksize(kmem_t *km, const void *p);
/* The kmalloc cache serving `size`, NULL above 8192 (pages from buddy). */
kmem_cache_t *kmem_kmalloc_cache(kmem_t *km, size_t size);
void *kmem_vmalloc(kmem_t *km, size_t size);
int kmem_vfree(kmem_t *km, void *addr);
/* The frame behind a vmalloc address, NULL if not in a live area. */
kmem_page_t *kmem_vmalloc_to_page(const kmem_t *km, const void *addr);

/* ---- reports ---- */
/* One /proc/slabinfo line's numbers. */
typedef struct kmem_slabinfo {
    char name[64];
    uint64_t active_objs, num_objs, objsize, objperslab, pagesperslab;
    uint64_t limit, batchcount, sharedfactor;
    uint64_t active_slabs, num_slabs, sharedavail;
} kmem_slabinfo_t;

/* One /proc/buddyinfo line: free blocks per order. */
typedef struct kmem_zoneinfo {
    int node;
    char zone[16];
    unsigned norders;               /* orders present (11 for Linux 6.1) */
    uint64_t nr_free[32];           /* free blocks of each order */
} kmem_zoneinfo_t;

/* Snapshots of the live instance: arrays malloc'ed, *n set; 0 or -ENOMEM.
 * Slabinfo in the kernel's order (newest cache first). */
int kmem_slabinfo(kmem_t *km, kmem_slabinfo_t **out /* OUT */, size_t *n /* OUT */);
int kmem_buddyinfo(kmem_t *km, kmem_zoneinfo_t **out /* OUT */, size_t *n /* OUT */);

/* mm/vmstat.c: the external fragmentation index and the unusable free space
 * index (thousandths, the kernel's integer arithmetic) of a zone's free
 * blocks for a request of `order`. */
int kmem_extfrag_index(const kmem_zoneinfo_t *z, unsigned order);
int kmem_unusable_index(const kmem_zoneinfo_t *z, unsigned order);

/* Print as the kernel prints. */
void kmem_print_slabinfo(FILE *f, const kmem_slabinfo_t *s, size_t n);
void kmem_print_buddyinfo(FILE *f, const kmem_zoneinfo_t *z, size_t n);
void kmem_print_extfrag(FILE *f, const kmem_zoneinfo_t *z, size_t n);
void kmem_print_unusable(FILE *f, const kmem_zoneinfo_t *z, size_t n);
/* slabtop's screen: summary lines, then the columns, sorted by objects. */
void kmem_print_slabtop(FILE *f, const kmem_slabinfo_t *s, size_t n, size_t max_rows);

/* Parse /proc/slabinfo (version 2.1) and /proc/buddyinfo text; arrays
 * malloc'ed; 0 or -EINVAL with d naming file and line. */
int kmem_parse_slabinfo(const char *text, size_t len, const char *file,
                        kmem_slabinfo_t **out /* OUT */, size_t *n /* OUT */, diag_t *d);
int kmem_parse_buddyinfo(const char *text, size_t len, const char *file,
                         kmem_zoneinfo_t **out /* OUT */, size_t *n /* OUT */, diag_t *d);

/* Abort on a broken invariant of any structure (buddy lists, pcp lists,
 * slabs, magazines).  Debug builds call it after every operation. */
void kmem_check(kmem_t *km);

#endif
