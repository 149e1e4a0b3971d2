/* SPDX-License-Identifier: MIT */
/*
 * mm_impl.h - the structures behind include/vmlab/mm.h, shared by the
 * VMA tree (vma_tree.c), the page tables (pgtable.c) and the core (mm.c).
 *
 * Invariants (mm_check):
 *   - the VMA tree's in-order walk equals the sorted list, VMAs are disjoint,
 *     page aligned and nonempty, AVL heights differ by at most one;
 *   - for every frame f: mapcount(f) = number of present PTEs pointing at f
 *     (the zero page excepted);
 *   - for every mm: rss_anon + rss_file + rss_shmem = present PTEs that do not
 *     point at the zero page;
 *   - a page-table page's `used` = its non-zero entries.
 */
#ifndef VMLAB_MM_IMPL_H
#define VMLAB_MM_IMPL_H

#include <stdint.h>

#include "base/hashmap.h"
#include "base/list.h"
#include "vmlab/mm.h"

typedef struct mm_vma {
    uint64_t start, end;       /* [start, end), page aligned */
    unsigned flags;            /* MM_VM_* */
    uint64_t pgoff;            /* file offset of start, pages */
    int file;                  /* file id, -1 anonymous */
    uint32_t anon_vma;         /* anon_vma identity, 0 before the first anon page */
    uint32_t chain;            /* anon_vma_chain entries: 1 own, 2 after fork (parent's too) */
    struct mm_vma *left, *right; /* AVL children keyed by start */
    int height;                /* AVL height (leaf 1) */
    vl_list_t node;            /* in mm->vmas, address order */
} mm_vma_t;

typedef struct mm_mm {
    mm_sys_t *sys;             /* the machine */
    mm_vma_t *root;            /* the VMA tree */
    vl_list_t vmas;            /* the VMA list, address order */
    uint64_t nvmas;            /* VMAs in both */
    mm_vma_t *cache;           /* the one-entry find_vma cache (mmap_cache), or NULL */
    uint64_t pgd;              /* frame of the top-level table */
    uint64_t start_brk, brk;   /* heap: [start_brk, brk) (brk not aligned) */
    uint64_t start_stack;      /* top of the stack at exec */
    uint64_t mmap_base;        /* top of the top-down mmap area */
    mm_counters_t c;           /* counters (vmas/total_vm computed on demand) */
} mm_mm_t;

struct mm_task {
    mm_sys_t *sys;             /* the machine */
    int pid;                   /* task id, from 1 */
    mm_mm_t *mm;               /* from the "mm_struct" slab cache */
    vl_list_t node;            /* in sys->tasks */
};

enum { FR_FREE, FR_ANON, FR_FILE, FR_SHMEM, FR_PT, FR_ZERO };
enum { LRU_NONE, LRU_INACTIVE, LRU_ACTIVE };

typedef struct mm_frame {
    void *addr;                /* the frame's bytes (kmem_kmap) */
    uint32_t mapcount;         /* PTEs pointing here (user pages) */
    uint32_t used;             /* non-zero entries (page-table pages) */
    uint8_t kind;              /* FR_* */
    uint8_t lru;               /* LRU_* */
    uint8_t dirty;             /* written since read from file */
    uint8_t exclusive;         /* anon page mapped by one mm only (PageAnonExclusive) */
    uint32_t refs;             /* references: mappings + page cache + swap cache */
    int32_t file;              /* owning file (file and shmem pages) */
    uint64_t index;            /* anon: the virtual page address; file: pgoff */
    uint64_t swapslot;         /* anon in the swap cache: its slot + 1 (0: not there) */
    vl_list_t lru_node;        /* on sys->inactive or sys->active */
} mm_frame_t;

typedef struct mm_file {
    char name[64];             /* shown in maps */
    uint64_t pages;            /* size */
    int shmem;                 /* 1: shared anonymous memory (no disk) */
    int on_disk;               /* pages not cached are read from disk */
} mm_file_t;

struct mm_sys {
    kmem_t *km;                /* physical memory */
    mm_arch_t arch;            /* page-table format */
    unsigned levels, bits, esize; /* 4/9/8 or 2/10/4 */
    uint64_t task_size;        /* TASK_SIZE */
    unsigned fault_around;     /* pages */
    mm_frame_t *frames;        /* by pfn */
    uint64_t nframes;          /* entries of frames */
    uint64_t zero_pfn;         /* the shared zero page */
    kmem_cache_t *mm_cache, *vma_cache; /* "mm_struct", "vm_area_struct" */
    vl_list_t tasks;           /* live tasks */
    int next_pid;              /* next pid */
    uint32_t next_anon_vma;    /* next anon_vma identity */
    mm_file_t *files;          /* files by id */
    int nfiles, capfiles;      /* count, capacity */
    vl_map_t pcache;           /* (file << 40 | pgoff) -> pfn + 1 */
    vl_map_t swapcache;        /* slot -> pfn + 1 */
    uint32_t *swap_count;      /* references to each slot (0: free) */
    uint64_t swap_slots, swap_used, swap_next; /* size, in use, search cursor */
    vl_list_t inactive, active;/* LRU lists of user pages */
    uint64_t writebacks;       /* dirty file pages written on reclaim */
};

/* vma_tree.c */
void vma_tree_insert(mm_mm_t *mm, mm_vma_t *v);
void vma_tree_erase(mm_mm_t *mm, mm_vma_t *v);
mm_vma_t *vma_tree_find(const mm_mm_t *mm, uint64_t addr); /* first with addr < end */
void vma_tree_check(const mm_mm_t *mm);

/* pgtable.c */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_NX (1ull << 63)
#define PTE_TABLE 0x67ull
#define PTE_PFN(e) (((e) & 0x000ffffffffff000ull) >> 12)

uint64_t pt_get(const mm_sys_t *s, uint64_t table, unsigned i);
void pt_set(mm_sys_t *s, uint64_t table, unsigned i, uint64_t e);
unsigned pt_index(const mm_sys_t *s, uint64_t addr, unsigned level);
/* The leaf table and index of addr; allocate missing tables when alloc.
 * 0 if absent (or -ENOMEM when alloc failed), else 1. */
int pt_leaf(mm_mm_t *mm, uint64_t addr, int alloc, uint64_t *table /* OUT */, unsigned *idx /* OUT */);
/* After entries were cleared: free the empty tables on addr's path. */
void pt_prune(mm_mm_t *mm, uint64_t addr);
int pt_alloc_table(mm_sys_t *s, uint64_t *pfn /* OUT */);
void pt_free_table(mm_sys_t *s, uint64_t pfn);

/* mm.c: frames */
int mm_frame_alloc(mm_sys_t *s, int kind, uint64_t *pfn /* OUT */);

#endif
