/* SPDX-License-Identifier: MIT */
/*
 * kmem_impl.h - the structures behind include/vmlab/kmem.h (private to
 * src/kmem): the physical memory (nodes, zones, struct page array, the
 * mapping), per-CPU page lists, slab caches with magazines and a depot,
 * vmalloc areas.
 *
 * Memory model: physical memory is one shared mapping of `npages` frames
 * (a memfd, so that vmalloc can map a frame a second time elsewhere); frame
 * pfn's bytes are at km->mem + pfn * 4096, the "direct map".  Zones are
 * [start_pfn, start_pfn + pages) ranges of a node, each aligned to a
 * MAX_ORDER block, each with its own buddy_t over local indices.
 */
#ifndef VMLAB_KMEM_IMPL_H
#define VMLAB_KMEM_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "base/list.h"
#include "kmem/buddy.h"
#include "vmlab/kmem.h"

/* struct page flags (the kernel's PG_* in spirit). */
#define PG_BUDDY 0x1u    /* in a buddy free block (not kept up to date for tails) */
#define PG_SLAB 0x2u     /* belongs to a slab */
#define PG_HEAD 0x4u     /* head of an allocated block of order > 0 */
#define PG_PCP 0x8u      /* on a per-CPU page list */
#define PG_LARGE_KMALLOC 0x10u /* head of a kmalloc() beyond kmalloc-8k */
#define PG_VMALLOC 0x20u /* backs a vmalloc area */
#define PG_RESERVED 0x40u

struct kmem_slab;

/* The slab owner map (km->slab_owner): one 32-bit word per frame (the
 * cache's id << 16 | the slab's colour, below 32 KiB), so that
 * kmem_cache_free's owner check reads a table of 4 bytes a frame (200 KiB
 * for 50,000 slab frames: it stays in the L2 cache and in a few TLB
 * entries) instead of the frame's 48-byte struct page, whose random reads
 * over megabytes miss both.  Ids are 16 bits; a cache created while all
 * are taken has none and frees through the struct page check only. */
#define KMEM_MAX_CACHE_IDS 65536u
#define KMEM_OWNER_NONE 0xffff0000u /* owner_tag of a cache without id: no entry has it */

struct kmem_page {
    uint32_t flags;          /* PG_* */
    int32_t refcount;        /* _refcount: 0 free, >= 1 allocated */
    uint8_t order;           /* allocated head: the block's order */
    uint8_t zone;            /* kmem_zone_t of the frame */
    uint8_t node;            /* node of the frame */
    uint8_t pad_;            /* keeps the fields below aligned */
    union {
        vl_list_t lru;       /* per-CPU page list link; an owner's list */
        struct {             /* PG_SLAB frames (the kernel's struct slab overlay) */
            kmem_cache_t *slab_cache;  /* the cache */
            unsigned char *slab_base;  /* the slab's first object slot */
        };
    };
    struct kmem_slab *slab;  /* PG_SLAB: the slab holding this frame */
    uintptr_t private_;      /* the owner's word (page->private) */
};

/* Per-CPU page list of one zone (struct per_cpu_pages). */
typedef struct kmem_pcp {
    vl_list_t list;   /* order-0 pages, hot (most recently freed) first */
    unsigned count;   /* pages on the list */
} kmem_pcp_t;

typedef struct kmem_zone {
    char name[16];              /* "DMA", "DMA32", "Normal", "HighMem" */
    kmem_zone_t type;           /* which zone */
    unsigned node;              /* node id */
    uint64_t start_pfn;         /* first frame, aligned to 2^(MAX_ORDER-1) */
    uint64_t pages;             /* frames spanned == managed (nothing reserved) */
    buddy_t bd;                 /* free blocks, indices relative to start_pfn */
    uint64_t wmark[3];          /* min, low, high (pages) */
    uint64_t low_mark[KMEM_NR_ZONES]; /* wmark[1] + lowmem_reserve[t]: the fast
                                         path's test for highest zone t */
    uint64_t lowmem_reserve[KMEM_NR_ZONES]; /* pages kept for allocations whose
                                                highest zone is [j] */
    unsigned pcp_batch, pcp_high; /* per-CPU list refill/drain batch, limit */
    kmem_pcp_t *pcp;            /* [cpus] */
    pthread_mutex_t lock;       /* zone->lock: guards bd */
} kmem_zone_desc_t;

typedef struct kmem_node {
    kmem_zone_desc_t *zones[KMEM_NR_ZONES]; /* NULL where the node has no such zone */
} kmem_node_t;

/* A magazine: a stack of up to `cap` object pointers (Bonwick & Adams). */
typedef struct kmem_mag {
    struct kmem_mag *next; /* depot list link */
    unsigned rounds;       /* objects held */
    void *obj[];           /* cap entries */
} kmem_mag_t;

/* One CPU's magazines.  The loaded magazine is used through three pointers
 * (Bonwick and Adams keep its round count in the CPU cache for the same
 * reason): the inline alloc pops *--top while top > base, the inline free
 * pushes *top++ while top < end; all NULL when nothing is loaded, when the
 * inline paths do not apply to the cache (fast_cpus == 0) and for CPUs the
 * instance does not have, so both tests fail and the slow paths run.
 * loaded->rounds is stale while base is set: the slow paths write
 * top - base back first (cc_save) and reload after. */
typedef struct kmem_cpu_cache {
    void **top;            /* loaded->obj + rounds: the next free slot */
    void **base;           /* loaded->obj, or NULL */
    void **end;            /* loaded->obj + cap, or NULL */
    kmem_mag_t *loaded;    /* allocations pop, frees push here first */
    kmem_mag_t *previous;  /* full or empty: swapped with loaded */
    char pad_[24];         /* one cache line per CPU (no false sharing) */
} kmem_cpu_cache_t;

typedef struct kmem_slab {
    vl_list_t list;            /* on the cache's full, partial or empty list */
    kmem_cache_t *cache;       /* owner */
    kmem_page_t *page;         /* head frame */
    unsigned char *base;       /* first object slot (slab start + colour) */
    unsigned colour;           /* colour offset in bytes */
    unsigned inuse;            /* objects handed out (incl. in magazines) */
    unsigned nfree;            /* entries on free[] */
    uint8_t *state;            /* per object: 1 handed out, 0 in the slab */
    uint32_t free[];           /* stack of free object indices */
} kmem_slab_t;

struct kmem_cache {
    /* the first cache line: everything the inline alloc and free read */
    kmem_cpu_cache_t *cpu;     /* [KMEM_MAX_CPUS + 1]; entries from ncpus on
                                  stay empty (kmem_cur_cc_off) */
    unsigned fast_cpus;        /* ncpus if magazines are on and nothing is
                                  debugged (the inline paths apply), else 0:
                                  then cc_load leaves every cpu[] entry's
                                  pointers NULL */
    unsigned mag_cap;          /* rounds per magazine; 0 = no magazines */
    uintptr_t mem_base;        /* km->mem, km->npages << 12, km->slab_owner: */
    uintptr_t mem_bytes;       /*   copied here so that a free reads one cache */
    const uint32_t *owner;     /*   line of the cache, not the instance's */
    uint64_t slot_magic;       /* ceil(2^64 / size), or 2^64 / size + 1 for a power
                                  of two: for a 32-bit v, v * slot_magic mod 2^64
                                  is j * e for v == j * size (e = slot_magic * size
                                  mod 2^64, 1 <= e <= size) and at least
                                  slot_magic otherwise (Lemire, Kaser and Kurz 2019) */
    uint64_t slot_bound;       /* (objs - 1) * e + 1: v is an object's offset iff
                                  v * slot_magic mod 2^64 < slot_bound; 0 (no
                                  inline free) without an id or for slabs above
                                  32 KiB, where the 16-bit halves of an owner
                                  entry could not tell caches apart */
    uint32_t owner_tag;        /* id << 16: a slab_owner entry of this cache has
                                  it as its high half (KMEM_OWNER_NONE: no id) */
    uint32_t slab_mask;        /* (4096 << order) - 1: offset within a slab */
    /* the rest */
    uint32_t recip;            /* ceil(2^32 / size): slot index by multiplication */
    unsigned size;             /* s->size: stride, metadata and red zones incl. */
    unsigned objs;             /* objects per slab */
    unsigned id;               /* 1..KMEM_MAX_CACHE_IDS - 1, or 0: none free */
    kmem_t *km;                /* owner instance */
    char name[64];             /* as in slabinfo */
    vl_list_t link;            /* km->caches, newest first */
    unsigned object_size;      /* as asked for */
    unsigned align;            /* s->align */
    unsigned inuse_off;        /* s->inuse: end of object + right red zone pad */
    unsigned red_left;         /* left red zone bytes (s->red_left_pad) */
    unsigned flags;            /* KMEM_SLAB_* */
    unsigned order;            /* slab order (calculate_order) */
    unsigned colour_off;       /* colouring step (alignment or cache line) */
    unsigned colour_max;       /* colours: 0..colour_max steps */
    unsigned colour_next;      /* next slab's colour step */
    unsigned gfp;              /* flags for slab pages */
    void (*ctor)(void *obj);   /* constructor or NULL */
    int kmalloc;               /* one of the kmalloc caches */
    pthread_mutex_t lock;      /* guards the lists, counters and the depot */
    vl_list_t full, partial, empty; /* slabs by state */
    uint64_t nslabs;           /* slabs */
    uint64_t active;           /* objects handed out of slabs */
    /* magazine layer */
    unsigned ncpus;            /* km's CPU count (cpu[] entries) */
    unsigned debug;            /* flags & (RED_ZONE | POISON) */
    kmem_mag_t *depot_full;    /* full magazines */
    kmem_mag_t *depot_empty;   /* empty magazines */
    uint64_t depot_nfull, depot_nempty; /* their counts */
} __attribute__((aligned(64)));

typedef struct kmem_vmarea {
    vl_list_t link;      /* km->vmareas, by address */
    uintptr_t addr;      /* first byte */
    size_t pages;        /* mapped pages (a guard page follows, unmapped) */
    kmem_page_t **frames; /* [pages] */
} kmem_vmarea_t;

struct kmem {
    kmem_config_t cfg;         /* as created (defaults filled) */
    uint64_t npages;           /* frames */
    int memfd;                 /* backing of the physical memory */
    unsigned char *mem;        /* direct map of all frames */
    kmem_page_t *pages;        /* mem_map[npages] */
    size_t pages_bytes;        /* its allocation size */
    uint32_t *slab_owner;      /* [npages]: a slab frame's cache id << 16 | its
                                  slab's colour bytes; 0 for other frames */
    uint64_t cache_ids[KMEM_MAX_CACHE_IDS / 64]; /* ids in use (bit 0 always) */
    uint64_t lowmem_pages;     /* frames below highmem */
    unsigned nzones;           /* zones in zone_list */
    kmem_zone_desc_t zone_list[KMEM_MAX_NODES * KMEM_NR_ZONES]; /* all zones */
    kmem_node_t node[KMEM_MAX_NODES]; /* per node, by zone type */
    /* zonelist[n][t]: zones tried, in order, by an allocation on node n whose
     * highest allowed zone is t (node n from t down, then the other nodes);
     * NULL-terminated (build_zonelists) */
    kmem_zone_desc_t *zonelist[KMEM_MAX_NODES][KMEM_NR_ZONES][KMEM_MAX_NODES * KMEM_NR_ZONES + 1];
    uint8_t cpu_node[KMEM_MAX_CPUS]; /* the node of each CPU (cpu % nodes) */
    kmem_zone_desc_t *cpu_zone[KMEM_MAX_CPUS]; /* zonelist[cpu_node][Normal][0]:
                                                  GFP_KERNEL's first zone */
    uint64_t min_free_kbytes;  /* vm.min_free_kbytes */
    vl_list_t caches;          /* all caches, newest first */
    pthread_mutex_t lock;      /* guards caches, vmareas, errors */
    kmem_cache_t *kmalloc_caches[14]; /* kmalloc-8 ... kmalloc-8k */
    unsigned char *vm_base;    /* vmalloc area reservation */
    size_t vm_size;            /* its bytes */
    vl_list_t vmareas;         /* live areas, ascending */
    uint64_t nerrors;          /* misuse detected */
    char last_error[256];      /* its sentence */
};

/* The calling thread's CPU (kmem_set_cpu): the kernel's smp_processor_id(). */
extern __thread unsigned kmem_cur_cpu __attribute__((tls_model("initial-exec")));
/* The byte offset of the calling thread's entry in a cache's cpu[]:
 * min(kmem_cur_cpu, KMEM_MAX_CPUS) * sizeof(kmem_cpu_cache_t), set with it,
 * so that the inline alloc and free index cpu[] with no bound check and no
 * shift (cpu[] has KMEM_MAX_CPUS + 1 entries; those of CPUs the instance
 * does not have stay empty, so the inline paths fail there). */
#if defined(__PIE__) || !defined(__PIC__) /* objects for an executable (libvmlab.a): one instruction */
extern __thread unsigned kmem_cur_cc_off __attribute__((tls_model("local-exec")));
#else /* for a shared library (libvmlab.so, the preload libraries) */
extern __thread unsigned kmem_cur_cc_off __attribute__((tls_model("initial-exec")));
#endif

/* Record a detected misuse (the kernel's WARN/slab_err); returns -err. */
int kmem_report(kmem_t *km, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline uint64_t kmem_pfn(const kmem_t *km, const kmem_page_t *p) { return (uint64_t)(p - km->pages); }
static inline kmem_zone_desc_t *kmem_zone_of(kmem_t *km, const kmem_page_t *p)
{
    return km->node[p->node].zones[p->zone];
}

/* Slab creation uses this: pages for a cache, with its own gfp. */
void kmem_slab_destroy_all(kmem_t *km);
int kmem_kmalloc_init(kmem_t *km);
void kmem_vmalloc_destroy_all(kmem_t *km);
void kmem_cache_check(kmem_cache_t *c);
void kmem_slab_owner_check(kmem_t *km);
void kmem_check_zones(kmem_t *km);

/* The environment: the physical memory's backing and the vmalloc area
 * (kmem_map.c, the only file of the module that makes system calls). */
int kmem_map_phys(size_t bytes, int *fd /* OUT */, unsigned char **mem /* OUT */);
void kmem_unmap_phys(int fd, unsigned char *mem, size_t bytes);
unsigned char *kmem_map_reserve(size_t bytes);
int kmem_map_frame(unsigned char *at, int fd, uint64_t pfn);
void kmem_map_clear(unsigned char *at, size_t bytes);
void kmem_map_release(unsigned char *at, size_t bytes);

#endif
