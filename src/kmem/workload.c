/* SPDX-License-Identifier: MIT */
/*
 * workload.c - built-in kernel-allocation workloads for `vmlab kmem` and
 * `vmlab slabtop`, with the object sizes of a real kernel's caches (those of
 * this machine's Linux /proc/slabinfo: task_struct 4288 bytes aligned to 64,
 * mm_struct 1600 on a cache line, vm_area_struct 192, dentry 192,
 * inode_cache 616 with a constructor, so 624 with SLUB's free pointer).
 *
 *   fork      a fork/exit storm: fork allocates a task_struct, an mm_struct
 *             and 8..31 vm_area_structs; exit frees one random process's;
 *             up to 512 processes live, forks slightly more likely.
 *   dentry    a dentry/inode cache filler: each step allocates a dentry, and
 *             an inode every second step, then evicts a random quarter of the
 *             dentries: partial slabs that one live object keeps.
 *   fragment  page fragmentation: allocate order-0 pages, free a random half
 *             of them, so free memory splits into order-0 holes.
 *
 * Seeded (base/rng.h): the same seed gives the same run.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/rng.h"
#include "base/vec.h"
#include "kmem/scenario.h"

typedef struct proc {
    void *task, *mm;  /* task_struct, mm_struct */
    void *vma[32];    /* its VMAs */
    unsigned nvma;    /* how many */
} proc_t;

struct kmem_wl {
    vl_rng_t rng;                    /* seeded */
    kmem_cache_t *task, *mm, *vma;   /* fork's caches */
    kmem_cache_t *dentry, *inode;    /* dentry's caches */
    proc_t *procs;                   /* live processes */
    size_t nprocs, capprocs;
    void **objs;                     /* dentry: live dentries; fragment: pages */
    size_t nobjs, capobjs;
    void **inodes;                   /* live inodes */
    size_t ninodes, capinodes;
};

static void inode_ctor(void *obj) { *(uint64_t *)obj = 0; }

static kmem_cache_t *get_cache(kmem_t *km, const char *name, size_t size, size_t align, unsigned flags,
                               void (*ctor)(void *))
{
    kmem_cache_t *c = kmem_cache_find(km, name);
    return c ? c : kmem_cache_create(km, name, size, align, flags, ctor);
}

static int do_fork(kmem_t *km, kmem_wl_t *w)
{
    proc_t p = {0};
    if (vl_grow((void **)&w->procs, &w->capprocs, w->nprocs + 1, sizeof *w->procs))
        return -ENOMEM;
    p.task = kmem_cache_alloc(w->task, KMEM_GFP_KERNEL);
    p.mm = kmem_cache_alloc(w->mm, KMEM_GFP_KERNEL);
    if (!p.task || !p.mm)
        goto fail;
    p.nvma = 8 + (unsigned)vl_rng_below(&w->rng, 24);
    for (unsigned i = 0; i < p.nvma; i++)
        if (!(p.vma[i] = kmem_cache_alloc(w->vma, KMEM_GFP_KERNEL))) {
            p.nvma = i;
            goto fail;
        }
    w->procs[w->nprocs++] = p;
    return 0;
fail:
    for (unsigned i = 0; i < p.nvma; i++)
        kmem_cache_free(w->vma, p.vma[i]);
    if (p.mm)
        kmem_cache_free(w->mm, p.mm);
    if (p.task)
        kmem_cache_free(w->task, p.task);
    return -ENOMEM;
}

static void do_exit(kmem_wl_t *w, size_t i)
{
    proc_t *p = &w->procs[i];
    for (unsigned v = 0; v < p->nvma; v++)
        kmem_cache_free(w->vma, p->vma[v]);
    kmem_cache_free(w->mm, p->mm);
    kmem_cache_free(w->task, p->task);
    *p = w->procs[--w->nprocs];
}

int kmem_workload_run(kmem_t *km, kmem_wl_t **state, kmem_workload_t which, uint64_t n, uint64_t seed, diag_t *d)
{
    kmem_wl_t *w = *state;
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w)
            return diag_set(d, "", 0, ENOMEM, "out of memory");
        vl_rng_seed(&w->rng, seed);
        *state = w;
    }
    switch (which) {
    case KWL_FORK:
        w->task = get_cache(km, "task_struct", 4288, 64, 0, NULL);
        w->mm = get_cache(km, "mm_struct", 1600, 0, KMEM_SLAB_HWCACHE_ALIGN, NULL);
        w->vma = get_cache(km, "vm_area_struct", 192, 0, 0, NULL);
        if (!w->task || !w->mm || !w->vma)
            return diag_set(d, "", 0, ENOMEM, "cannot create the task_struct, mm_struct and vm_area_struct caches");
        for (uint64_t i = 0; i < n; i++) {
            if (w->nprocs == 0 || (w->nprocs < 512 && vl_rng_below(&w->rng, 100) < 55)) {
                if (do_fork(km, w))
                    return diag_set(d, "", 0, ENOMEM, "fork %ju: out of memory", (uintmax_t)i);
            } else {
                do_exit(w, (size_t)vl_rng_below(&w->rng, w->nprocs));
            }
        }
        return 0;
    case KWL_DENTRY:
        w->dentry = get_cache(km, "dentry", 192, 0, 0, NULL);
        w->inode = get_cache(km, "inode_cache", 616, 0, 0, inode_ctor);
        if (!w->dentry || !w->inode)
            return diag_set(d, "", 0, ENOMEM, "cannot create the dentry and inode_cache caches");
        for (uint64_t i = 0; i < n; i++) {
            void *o = kmem_cache_alloc(w->dentry, KMEM_GFP_KERNEL);
            if (!o || vl_grow((void **)&w->objs, &w->capobjs, w->nobjs + 1, sizeof *w->objs))
                return diag_set(d, "", 0, ENOMEM, "dentry %ju: out of memory", (uintmax_t)i);
            w->objs[w->nobjs++] = o;
            if (i % 2 == 0) {
                o = kmem_cache_alloc(w->inode, KMEM_GFP_KERNEL);
                if (!o || vl_grow((void **)&w->inodes, &w->capinodes, w->ninodes + 1, sizeof *w->inodes))
                    return diag_set(d, "", 0, ENOMEM, "inode %ju: out of memory", (uintmax_t)i);
                w->inodes[w->ninodes++] = o;
            }
        }
        for (uint64_t k = w->nobjs / 4; k > 0; k--) {
            size_t i = (size_t)vl_rng_below(&w->rng, w->nobjs);
            kmem_cache_free(w->dentry, w->objs[i]);
            w->objs[i] = w->objs[--w->nobjs];
        }
        return 0;
    case KWL_FRAGMENT: {
        size_t first = w->nobjs;
        for (uint64_t i = 0; i < n; i++) {
            kmem_page_t *pg = kmem_alloc_pages(km, KMEM_GFP_HIGHUSER, 0);
            if (!pg)
                break; /* memory is full: the watermark stops it */
            if (vl_grow((void **)&w->objs, &w->capobjs, w->nobjs + 1, sizeof *w->objs))
                return diag_set(d, "", 0, ENOMEM, "out of memory");
            w->objs[w->nobjs++] = pg;
        }
        for (size_t i = first; i < w->nobjs;) {
            if (vl_rng_below(&w->rng, 2)) {
                kmem_free_pages(km, w->objs[i], 0);
                w->objs[i] = w->objs[--w->nobjs];
            } else {
                i++;
            }
        }
        return 0;
    }
    }
    return 0;
}

void kmem_workload_end(kmem_t *km, kmem_wl_t *w)
{
    if (!w)
        return;
    while (w->nprocs)
        do_exit(w, w->nprocs - 1);
    for (size_t i = 0; i < w->nobjs; i++) {
        if (w->dentry)
            kmem_cache_free(w->dentry, w->objs[i]);
        else
            kmem_free_pages(km, w->objs[i], 0);
    }
    for (size_t i = 0; i < w->ninodes; i++)
        kmem_cache_free(w->inode, w->inodes[i]);
    free(w->procs);
    free(w->objs);
    free(w->inodes);
    free(w);
}
