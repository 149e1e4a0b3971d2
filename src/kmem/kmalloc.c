/* SPDX-License-Identifier: MIT */
/*
 * kmalloc.c - kmalloc/kfree over the kmalloc-8 ... kmalloc-8k caches, larger
 * requests straight from the buddy allocator (mm/slab_common.c and mm/slub.c
 * of Linux 6.1: kmalloc_index, kmalloc_large), and vmalloc/vfree
 * (mm/vmalloc.c): a virtually contiguous area built from order-0 frames that
 * are mapped again, one by one, at consecutive addresses of the vmalloc
 * reservation, with an unmapped guard page after each area.
 *
 * Size classes (kmalloc_index): 8, 16, 32, 64, 96, 128, 192, 256, 512, 1k,
 * 2k, 4k, 8k; 65..96 go to kmalloc-96 and 129..192 to kmalloc-192.  Caches of
 * power-of-two sizes are naturally aligned (create_boot_cache).  Above 8 KiB
 * (KMALLOC_MAX_CACHE_SIZE = 2 pages) kmalloc takes 2^get_order(size) pages,
 * marked so that kfree and ksize recognise them.
 */
#include <errno.h>
#include <string.h>

#include "kmem/kmem_impl.h"

static const unsigned kmalloc_sizes[14] = {0, 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192};
static const char *const kmalloc_names[14] = {"",          "kmalloc-8",   "kmalloc-16",  "kmalloc-32", "kmalloc-64",
                                              "kmalloc-96", "kmalloc-128", "kmalloc-192", "kmalloc-256",
                                              "kmalloc-512", "kmalloc-1k", "kmalloc-2k",  "kmalloc-4k", "kmalloc-8k"};
#define KMALLOC_MAX_CACHE_SIZE 8192u

int kmem_kmalloc_init(kmem_t *km)
{
    /* kmalloc-96 and -192 first, then 8 ... 8k: slabinfo lists the newest
     * first, so this gives Linux's order (8k ... 8, 192, 96) */
    static const int order[13] = {5, 7, 1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13};
    for (int k = 0; k < 13; k++) {
        int i = order[k];
        unsigned sz = kmalloc_sizes[i];
        kmem_cache_t *c = kmem_cache_create(km, kmalloc_names[i], sz, (sz & (sz - 1)) == 0 ? sz : 8, 0, NULL);
        if (!c)
            return -ENOMEM;
        c->kmalloc = 1;
        km->kmalloc_caches[i] = c;
    }
    return 0;
}

/* mm/slab_common.c kmalloc_index for SLUB with KMALLOC_MIN_SIZE 8. */
static unsigned kmalloc_index(size_t size)
{
    if (size <= 8)
        return 1;
    if (size > 64 && size <= 96)
        return 5;
    if (size > 128 && size <= 192)
        return 7;
    for (unsigned i = 1; i < 14; i++)
        if (size <= kmalloc_sizes[i] && (kmalloc_sizes[i] & (kmalloc_sizes[i] - 1)) == 0)
            return i;
    return 0;
}

kmem_cache_t *kmem_kmalloc_cache(kmem_t *km, size_t size)
{
    if (size == 0 || size > KMALLOC_MAX_CACHE_SIZE)
        return NULL;
    return km->kmalloc_caches[kmalloc_index(size)];
}

void *kmem_kmalloc(kmem_t *km, size_t size, unsigned gfp)
{
    kmem_page_t *pg;
    unsigned order = 0;
    void *p;
    if (size == 0)
        return NULL; /* the kernel's ZERO_SIZE_PTR; vmlab says no object */
    if (size <= KMALLOC_MAX_CACHE_SIZE)
        return kmem_cache_alloc(km->kmalloc_caches[kmalloc_index(size)], gfp);
    while ((KMEM_PAGE_SIZE << order) < size)
        if (++order >= KMEM_MAX_ORDER)
            return NULL;
    pg = kmem_alloc_pages(km, gfp & ~KMEM_GFP_HIGHMEM, order);
    if (!pg)
        return NULL;
    pg->flags |= PG_LARGE_KMALLOC;
    p = kmem_page_address(km, pg);
    return p;
}

void *kmem_kzalloc(kmem_t *km, size_t size, unsigned gfp) { return kmem_kmalloc(km, size, gfp | KMEM_GFP_ZERO); }

size_t kmem_ksize(kmem_t *km, const void *p)
{
    kmem_page_t *pg = p ? kmem_virt_to_page(km, p) : NULL;
    if (!pg)
        return 0;
    if (pg->flags & PG_SLAB)
        return pg->slab_cache->object_size;
    if ((pg->flags & PG_LARGE_KMALLOC) && ((uintptr_t)p & (KMEM_PAGE_SIZE - 1)) == 0)
        return KMEM_PAGE_SIZE << pg->order;
    return 0;
}

int kmem_kfree(kmem_t *km, void *p)
{
    kmem_page_t *pg;
    if (!p)
        return 0;
    pg = kmem_virt_to_page(km, p);
    if (pg && (pg->flags & PG_SLAB)) {
        if (!pg->slab_cache->kmalloc)
            return kmem_report(km, EINVAL, "kfree: object %p belongs to cache %s, not a kmalloc cache (use kmem_cache_free)",
                               p, pg->slab_cache->name);
        return kmem_cache_free(pg->slab_cache, p);
    }
    if (pg && (pg->flags & PG_LARGE_KMALLOC) && ((uintptr_t)p & (KMEM_PAGE_SIZE - 1)) == 0) {
        pg->flags &= ~PG_LARGE_KMALLOC;
        return kmem_free_pages(km, pg, pg->order);
    }
    return kmem_report(km, EINVAL, "kfree: %p was not returned by kmalloc (no kmalloc cache owns it)", p);
}

void *kmem_krealloc(kmem_t *km, void *p, size_t size, unsigned gfp)
{
    size_t ks;
    void *q;
    if (!p)
        return kmem_kmalloc(km, size, gfp);
    if (size == 0) {
        kmem_kfree(km, p);
        return NULL;
    }
    ks = kmem_ksize(km, p);
    if (ks == 0) {
        kmem_report(km, EINVAL, "krealloc: %p was not returned by kmalloc", p);
        return NULL;
    }
    if (size <= ks)
        return p; /* fits in the object it has (ksize) */
    q = kmem_kmalloc(km, size, gfp);
    if (!q)
        return NULL;
    memcpy(q, p, ks);
    kmem_kfree(km, p);
    return q;
}

/* ---- vmalloc ---- */

void *kmem_vmalloc(kmem_t *km, size_t size)
{
    size_t pages, span;
    uintptr_t at = (uintptr_t)km->vm_base;
    vl_list_t *it, *before;
    kmem_vmarea_t *a;
    if (size == 0 || size > km->vm_size)
        return NULL;
    pages = (size + KMEM_PAGE_SIZE - 1) >> KMEM_PAGE_SHIFT;
    span = (pages + 1) << KMEM_PAGE_SHIFT; /* + guard page */
    a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->frames = calloc(pages, sizeof *a->frames);
    if (!a->frames) {
        free(a);
        return NULL;
    }
    pthread_mutex_lock(&km->lock);
    /* first fit among the gaps between live areas (alloc_vmap_area) */
    before = &km->vmareas;
    vl_list_for_each(it, &km->vmareas)
    {
        kmem_vmarea_t *v = vl_list_entry(it, kmem_vmarea_t, link);
        if (v->addr - at >= span)
            break;
        at = v->addr + ((v->pages + 1) << KMEM_PAGE_SHIFT);
        before = it;
    }
    if (at + span > (uintptr_t)km->vm_base + km->vm_size) {
        pthread_mutex_unlock(&km->lock);
        free(a->frames);
        free(a);
        return NULL;
    }
    a->addr = at;
    a->pages = pages;
    vl_list__insert(&a->link, before, before->next);
    pthread_mutex_unlock(&km->lock);
    for (size_t i = 0; i < pages; i++) {
        kmem_page_t *pg = kmem_alloc_pages(km, KMEM_GFP_KERNEL | KMEM_GFP_HIGHMEM, 0);
        if (!pg || kmem_map_frame((unsigned char *)at + (i << KMEM_PAGE_SHIFT), km->memfd, kmem_pfn(km, pg)) != 0) {
            if (pg)
                kmem_free_pages(km, pg, 0);
            a->pages = i;
            kmem_vfree(km, (void *)at);
            return NULL;
        }
        pg->flags |= PG_VMALLOC;
        a->frames[i] = pg;
    }
    return (void *)at;
}

static kmem_vmarea_t *find_area(const kmem_t *km, uintptr_t addr, int exact)
{
    vl_list_t *it;
    vl_list_for_each(it, &km->vmareas)
    {
        kmem_vmarea_t *v = vl_list_entry(it, kmem_vmarea_t, link);
        if (exact ? v->addr == addr : (addr >= v->addr && addr < v->addr + (v->pages << KMEM_PAGE_SHIFT)))
            return v;
    }
    return NULL;
}

int kmem_vfree(kmem_t *km, void *addr)
{
    kmem_vmarea_t *a;
    if (!addr)
        return 0;
    pthread_mutex_lock(&km->lock);
    a = find_area(km, (uintptr_t)addr, 1);
    if (a)
        vl_list_del(&a->link);
    pthread_mutex_unlock(&km->lock);
    if (!a)
        return kmem_report(km, EINVAL, "vfree: %p is not the start of a vmalloc area", addr);
    kmem_map_clear((unsigned char *)a->addr, a->pages << KMEM_PAGE_SHIFT);
    for (size_t i = 0; i < a->pages; i++) {
        a->frames[i]->flags &= ~PG_VMALLOC;
        kmem_free_pages(km, a->frames[i], 0);
    }
    free(a->frames);
    free(a);
    return 0;
}

kmem_page_t *kmem_vmalloc_to_page(const kmem_t *km, const void *addr)
{
    kmem_vmarea_t *a = find_area(km, (uintptr_t)addr, 0);
    return a ? a->frames[((uintptr_t)addr - a->addr) >> KMEM_PAGE_SHIFT] : NULL;
}

void kmem_vmalloc_destroy_all(kmem_t *km)
{
    while (!vl_list_empty(&km->vmareas)) {
        kmem_vmarea_t *a = vl_list_entry(km->vmareas.next, kmem_vmarea_t, link);
        kmem_vfree(km, (void *)a->addr);
    }
}
