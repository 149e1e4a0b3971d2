/* SPDX-License-Identifier: MIT */
/*
 * mm.h - a model of Linux's process address space over vmlab kmem: tasks with
 * an mm_struct, VMAs (vm_area_struct) in a balanced tree and a sorted list,
 * find_vma and its one-entry cache, mmap/munmap/mprotect/brk with the kernel's
 * split and merge rules (mm/mmap.c vma_merge, mm/mprotect.c), page tables of 2
 * levels (i386, 10+10+12) or 4 levels (x86-64, 9 bits a level) in frames from
 * the buddy allocator, the fault handler as mm/memory.c structures it
 * (do_anonymous_page with the zero page, do_read_fault with fault-around,
 * do_cow_fault, do_shared_fault, do_wp_page copy or reuse, do_swap_page),
 * fork (copy_page_range write-protecting private pages), execve, exit, and
 * reclaim with active/inactive lists and object-based reverse mapping.
 *
 * Errors: calls return 0 or -errno as the kernel's system calls would
 * (-EINVAL, -ENOMEM); a touch returns an mm_fault_t describing the outcome.
 * Usage: docs/mm.md.
 */
#ifndef VMLAB_MM_H
#define VMLAB_MM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab/kmem.h"

typedef struct mm_sys mm_sys_t;   /* one machine: kmem, page cache, swap, tasks */
typedef struct mm_task mm_task_t; /* a task_struct with its mm */

typedef enum { MM_ARCH_X86_64, MM_ARCH_I386 } mm_arch_t;

/* Protections (PROT_*) and mmap flags (MAP_*), the kernel's values. */
#define MM_PROT_READ 1u
#define MM_PROT_WRITE 2u
#define MM_PROT_EXEC 4u
#define MM_MAP_SHARED 0x01u
#define MM_MAP_PRIVATE 0x02u
#define MM_MAP_FIXED 0x10u
#define MM_MAP_ANON 0x20u
#define MM_MAP_GROWSDOWN 0x100u
#define MM_MAP_POPULATE 0x8000u

/* vm_flags (include/linux/mm.h values). */
#define MM_VM_READ 0x1u
#define MM_VM_WRITE 0x2u
#define MM_VM_EXEC 0x4u
#define MM_VM_SHARED 0x8u
#define MM_VM_GROWSDOWN 0x100u
#define MM_VM_ACCOUNT 0x100000u

typedef struct mm_config {
    mm_arch_t arch;     /* page-table format and address-space size */
    uint64_t mem_bytes; /* physical memory (multiple of 4 MiB); 0: 64 MiB */
    uint64_t swap_pages;/* swap slots; 0: 65536 */
    unsigned fault_around_pages; /* fault_around_bytes / 4096; 0: 16 */
} mm_config_t;

typedef enum { MM_ACC_READ, MM_ACC_WRITE, MM_ACC_EXEC } mm_access_t;

/* What a touch of one page did. */
typedef enum {
    MM_F_NONE,       /* no fault: the walk found a usable PTE */
    MM_F_ANON_ZERO,  /* anonymous read: zero page mapped */
    MM_F_ANON_NEW,   /* anonymous write: new zeroed frame */
    MM_F_FILE_READ,  /* file read fault (fault-around maps neighbours) */
    MM_F_FILE_COW,   /* write to a not-present private file page: copy */
    MM_F_FILE_SHARED,/* write to a not-present shared file page */
    MM_F_WP_COPY,    /* write-protect fault: copy-on-write */
    MM_F_WP_REUSE,   /* write-protect fault: single mapper, made writable */
    MM_F_WP_ZERO,    /* write after a zero-page read: new frame */
    MM_F_WP_SHARED,  /* write to a shared mapping's clean PTE: made writable */
    MM_F_SWAPIN,     /* swap-in (major) */
    MM_F_SEGV_MAPERR,/* no VMA: SIGSEGV SEGV_MAPERR */
    MM_F_SEGV_ACCERR,/* VMA forbids the access: SIGSEGV SEGV_ACCERR */
    MM_F_OOM,        /* no frame even after reclaim */
} mm_fault_kind_t;

typedef struct mm_fault {
    mm_fault_kind_t kind; /* outcome */
    int major;            /* 1 when counted as a major fault */
    int stack_grew;       /* 1 when the stack VMA was expanded */
    uint64_t pfn;         /* the frame mapped (or 0) */
    unsigned around;      /* PTEs fault-around mapped besides the faulting one */
} mm_fault_t;

typedef struct mm_counters {
    uint64_t minflt, majflt;          /* faults counted as getrusage does */
    uint64_t rss_anon, rss_file, rss_shmem; /* resident pages by kind */
    uint64_t pt_pages;                /* page-table pages (incl. the top one) */
    uint64_t tlb_flushes;             /* flushes (one per operation that changed live PTEs) */
    uint64_t vmas, total_vm;          /* VMA count, pages of VMAs */
    uint64_t find_vma_calls, find_vma_hits; /* the one-entry cache */
} mm_counters_t;

/* A VMA seen from outside (the list in address order). */
typedef struct mm_vma_info {
    uint64_t start, end;  /* [start, end) */
    unsigned flags;       /* MM_VM_* */
    uint64_t pgoff;       /* offset in the file, pages */
    int file;             /* file id, -1 anonymous */
    const char *name;     /* file name, "[heap]", "[stack]" or "" */
} mm_vma_info_t;

int mm_sys_create(const mm_config_t *cfg, mm_sys_t **out /* OUT */);
void mm_sys_destroy(mm_sys_t *s);
kmem_t *mm_sys_kmem(mm_sys_t *s);
mm_arch_t mm_sys_arch(const mm_sys_t *s);
uint64_t mm_task_size(const mm_sys_t *s);

/* A file of `pages` pages, all in the page cache when cached, else on disk.
 * Returns its id (>= 0) or -errno.  shmem files are created by shared
 * anonymous mmaps. */
int mm_file_create(mm_sys_t *s, const char *name, uint64_t pages, int cached);

/* A new task with an empty mm (then mm_exec for a program). */
int mm_spawn(mm_sys_t *s, mm_task_t **out /* OUT */);
int mm_fork(mm_task_t *parent, mm_task_t **child /* OUT */);
void mm_exit(mm_task_t *t);
/* Replace the address space: text/data/bss/heap/stack of the ELF file at
 * path (its PT_LOAD headers), or a default small program when path is NULL. */
int mm_exec(mm_task_t *t, const char *path);
int mm_task_pid(const mm_task_t *t);

/* System calls: addresses in and out as the kernel's. */
int mm_mmap(mm_task_t *t, uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int file,
            uint64_t off, uint64_t *out /* OUT */);
int mm_munmap(mm_task_t *t, uint64_t addr, uint64_t len);
int mm_mprotect(mm_task_t *t, uint64_t addr, uint64_t len, unsigned prot);
/* brk(addr): the new break, or the old one when refused (as the syscall). */
uint64_t mm_brk(mm_task_t *t, uint64_t addr);

/* Touch one byte at addr (the MMU's walk, then the fault handler). */
mm_fault_t mm_touch(mm_task_t *t, uint64_t addr, mm_access_t acc);

/* find_vma: the first VMA with addr < vm_end, or 0 (then *vi untouched). */
int mm_find_vma(mm_task_t *t, uint64_t addr, mm_vma_info_t *vi /* OUT */);
size_t mm_vmas(mm_task_t *t, mm_vma_info_t *v /* OUT, may be NULL */, size_t max);
void mm_counters(mm_task_t *t, mm_counters_t *c /* OUT */);

/* /proc/PID/maps lines. */
void mm_print_maps(mm_task_t *t, FILE *f);

/* One level of a page-table walk. */
typedef struct mm_walk_level {
    const char *name;   /* "PGD", "PUD", "PMD", "PTE" (i386: "PGD", "PTE") */
    unsigned index;     /* index into the table */
    uint64_t table_pfn; /* the table's frame */
    uint64_t entry;     /* the entry's value */
} mm_walk_level_t;
/* Walk addr: levels filled until one is not present; returns the levels
 * filled; *pa set to the physical address when the last is present. */
int mm_walk(mm_task_t *t, uint64_t addr, mm_walk_level_t *lv /* OUT, 4 */, uint64_t *pa /* OUT */);
void mm_format_entry(uint64_t e, int last, char *buf, size_t n);

/* Reclaim up to n pages now (as kswapd would); returns pages freed. */
uint64_t mm_reclaim(mm_sys_t *s, uint64_t n);
uint64_t mm_swap_used(const mm_sys_t *s);
uint64_t mm_free_frames(const mm_sys_t *s);

/* Abort on a broken invariant: tree and list agree, every present PTE's
 * frame has a map count, RSS equals the present PTEs, map counts equal the
 * PTEs that point at each frame. */
void mm_check(mm_sys_t *s);

#endif
