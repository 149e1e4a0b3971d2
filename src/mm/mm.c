/* SPDX-License-Identifier: MIT */
/*
 * mm.c - the address-space model: frames, page cache and swap, mmap/munmap/
 * mprotect/brk with split and merge (mm/mmap.c vma_merge and
 * can_vma_merge_before/after, mm/mprotect.c mprotect_fixup and
 * can_change_pte_writable), the fault handler (arch/x86/mm/fault.c
 * do_user_addr_fault/access_error, mm/memory.c handle_pte_fault and its
 * do_anonymous_page, do_read_fault + do_fault_around, do_cow_fault,
 * do_shared_fault, do_wp_page (wp_page_copy / reuse), do_swap_page), fork
 * (kernel/fork.c dup_mmap, mm/memory.c copy_page_range and vma_needs_copy),
 * exit, execve (fs/binfmt_elf.c load_elf_binary's regions) and reclaim (two
 * LRU lists, mm/vmscan.c shrink_inactive_list, object-based rmap: anon pages
 * found by their virtual address in every mm, file pages through the VMAs
 * mapping their file, as rmap_walk_anon/rmap_walk_file do).
 *
 * Citations: Gorman, "Understanding the Linux Virtual Memory Manager" (2004)
 * ch. 4, 10; the Linux 6.x sources named above.  Measured facts this follows
 * (Linux 6.18, THP off): fault-around maps up to 16 cached pages of a file on a
 * read fault; a write after a zero-page read faults again; after fork and the
 * child's exit the parent's first write still faults (reuse); MAP_POPULATE
 * counts one minor fault a page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm_impl.h"
#include "vmlab/check.h"
#include "vmlab/inspect.h"
#include "vmlab/env.h"

#define PTE_PROTNONE 0x100ull /* x86's _PAGE_PROTNONE (global bit reused) */
#define STACK_GUARD_GAP (256ull << 12)
#define STACK_RLIMIT (8ull << 20)
#define MMAP_MIN_ADDR 0x10000ull

static inline int pte_mapped(uint64_t e) { return (e & (PTE_P | PTE_PROTNONE)) != 0; }
static inline int pte_swap(uint64_t e) { return e && !pte_mapped(e); }
static inline uint64_t swp_slot(uint64_t e) { return (e >> 12) - 1; }

static uint64_t *rss_of(mm_mm_t *mm, int kind)
{
    return kind == FR_ANON ? &mm->c.rss_anon : kind == FR_FILE ? &mm->c.rss_file : &mm->c.rss_shmem;
}

/* ---- frames ---------------------------------------------------------------- */

int mm_frame_alloc(mm_sys_t *s, int kind, uint64_t *pfn)
{
    unsigned gfp = kind == FR_PT ? KMEM_GFP_KERNEL : KMEM_GFP_HIGHUSER;
    kmem_page_t *p = NULL;
    for (int tries = 0; tries < 4 && !p; tries++) {
        p = kmem_alloc_pages(s->km, gfp, 0);
        if (!p && !mm_reclaim(s, 32))
            break;
    }
    if (!p)
        return -ENOMEM;
    uint64_t n = kmem_page_to_pfn(s->km, p);
    VL_ASSERT(n < s->nframes);
    mm_frame_t *f = &s->frames[n];
    VL_ASSERT(f->kind == FR_FREE);
    f->addr = kmem_kmap(s->km, p);
    f->kind = (uint8_t)kind;
    f->mapcount = f->used = 0;
    f->refs = 0;
    f->dirty = 0;
    f->exclusive = 0;
    f->file = -1;
    f->index = 0;
    f->swapslot = 0;
    f->lru = LRU_NONE;
    if (kind != FR_PT && kind != FR_ZERO) {
        vl_list_add(&s->inactive, &f->lru_node);
        f->lru = LRU_INACTIVE;
    }
    *pfn = n;
    return 0;
}

static void frame_put(mm_sys_t *s, uint64_t pfn)
{
    mm_frame_t *f = &s->frames[pfn];
    VL_ASSERT(f->refs > 0);
    if (--f->refs)
        return;
    VL_ASSERT(f->mapcount == 0);
    if (f->lru != LRU_NONE)
        vl_list_del(&f->lru_node);
    f->lru = LRU_NONE;
    f->kind = FR_FREE;
    kmem_free_pages(s->km, kmem_pfn_to_page(s->km, pfn), 0);
}

static uint64_t pc_key(int file, uint64_t pgoff) { return ((uint64_t)file << 40) | pgoff; }

/* ---- swap ------------------------------------------------------------------- */

static int swap_alloc(mm_sys_t *s, uint64_t *slot)
{
    if (s->swap_used == s->swap_slots)
        return -ENOMEM;
    for (uint64_t i = 0; i < s->swap_slots; i++) {
        uint64_t k = (s->swap_next + i) % s->swap_slots;
        if (!s->swap_count[k]) {
            s->swap_next = k + 1;
            s->swap_used++;
            *slot = k;
            return 0;
        }
    }
    return -ENOMEM;
}

static void swap_put(mm_sys_t *s, uint64_t slot)
{
    VL_ASSERT(slot < s->swap_slots && s->swap_count[slot] > 0);
    if (--s->swap_count[slot])
        return;
    s->swap_used--;
    uint64_t v;
    if (vl_map_del(&s->swapcache, slot, &v) == 1) {
        s->frames[v - 1].swapslot = 0;
        frame_put(s, v - 1);
    }
}

/* ---- the machine ------------------------------------------------------------ */

int mm_sys_create(const mm_config_t *cfg, mm_sys_t **out)
{
    mm_config_t c = cfg ? *cfg : (mm_config_t){0};
    if (!c.mem_bytes)
        c.mem_bytes = 64ull << 20;
    if (!c.swap_pages)
        c.swap_pages = 65536;
    if (!c.fault_around_pages)
        c.fault_around_pages = 16;
    mm_sys_t *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    kmem_config_t kc = {.mem_bytes = c.mem_bytes, .arch = c.arch == MM_ARCH_I386 ? KMEM_ARCH_I386 : KMEM_ARCH_X86_64};
    int rc = kmem_create(&kc, &s->km, NULL);
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->arch = c.arch;
    if (c.arch == MM_ARCH_I386) {
        s->levels = 2, s->bits = 10, s->esize = 4, s->task_size = 0xc0000000ull;
    } else {
        s->levels = 4, s->bits = 9, s->esize = 8, s->task_size = 0x7ffffffff000ull;
    }
    s->fault_around = c.fault_around_pages;
    s->nframes = kmem_total_pages(s->km);
    s->frames = calloc(s->nframes, sizeof *s->frames);
    s->swap_slots = c.swap_pages;
    s->swap_count = calloc(s->swap_slots, sizeof *s->swap_count);
    vl_list_init(&s->tasks);
    vl_list_init(&s->inactive);
    vl_list_init(&s->active);
    vl_map_init(&s->pcache);
    vl_map_init(&s->swapcache);
    s->next_pid = 1;
    s->mm_cache = kmem_cache_create(s->km, "mm_struct", sizeof(mm_mm_t), 64, KMEM_SLAB_HWCACHE_ALIGN, NULL);
    s->vma_cache = kmem_cache_create(s->km, "vm_area_struct", sizeof(mm_vma_t), 8, 0, NULL);
    if (!s->frames || !s->swap_count || !s->mm_cache || !s->vma_cache ||
        mm_frame_alloc(s, FR_ZERO, &s->zero_pfn) < 0) {
        mm_sys_destroy(s);
        return -ENOMEM;
    }
    memset(s->frames[s->zero_pfn].addr, 0, KMEM_PAGE_SIZE);
    s->frames[s->zero_pfn].refs = 1;
    *out = s;
    return 0;
}

void mm_sys_destroy(mm_sys_t *s)
{
    if (!s)
        return;
    while (!vl_list_empty(&s->tasks))
        mm_exit(vl_list_entry(s->tasks.next, mm_task_t, node));
    if (s->km)
        kmem_destroy(s->km);
    free(s->frames);
    free(s->swap_count);
    free(s->files);
    vl_map_free(&s->pcache);
    vl_map_free(&s->swapcache);
    free(s);
}

kmem_t *mm_sys_kmem(mm_sys_t *s) { return s->km; }
mm_arch_t mm_sys_arch(const mm_sys_t *s) { return s->arch; }
uint64_t mm_task_size(const mm_sys_t *s) { return s->task_size; }
uint64_t mm_swap_used(const mm_sys_t *s) { return s->swap_used; }
uint64_t mm_free_frames(const mm_sys_t *s) { return kmem_free_page_count(s->km); }
int mm_task_pid(const mm_task_t *t) { return t->pid; }

static int file_new(mm_sys_t *s, const char *name, uint64_t pages, int shmem)
{
    if (s->nfiles == s->capfiles) {
        int nc = s->capfiles ? s->capfiles * 2 : 8;
        mm_file_t *nf = realloc(s->files, (size_t)nc * sizeof *nf);
        if (!nf)
            return -ENOMEM;
        s->files = nf;
        s->capfiles = nc;
    }
    mm_file_t *f = &s->files[s->nfiles];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->pages = pages;
    f->shmem = shmem;
    f->on_disk = !shmem;
    return s->nfiles++;
}

/* A page of the file into the page cache (a new frame), or -ENOMEM. */
static int pcache_add(mm_sys_t *s, int file, uint64_t pgoff, uint64_t *pfn)
{
    int kind = s->files[file].shmem ? FR_SHMEM : FR_FILE;
    int rc = mm_frame_alloc(s, kind, pfn);
    if (rc < 0)
        return rc;
    mm_frame_t *f = &s->frames[*pfn];
    memset(f->addr, 0, KMEM_PAGE_SIZE);
    f->file = file;
    f->index = pgoff;
    f->refs = 1; /* the page cache's reference */
    return vl_map_put(&s->pcache, pc_key(file, pgoff), *pfn + 1);
}

int mm_file_create(mm_sys_t *s, const char *name, uint64_t pages, int cached)
{
    int id = file_new(s, name, pages, 0);
    if (id < 0 || !cached)
        return id;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t pfn;
        int rc = pcache_add(s, id, i, &pfn);
        if (rc < 0)
            return rc;
    }
    return id;
}

/* ---- VMAs --------------------------------------------------------------------- */

static mm_vma_t *vma_new(mm_mm_t *mm, uint64_t start, uint64_t end, unsigned flags, int file, uint64_t pgoff)
{
    mm_vma_t *v = kmem_cache_alloc(mm->sys->vma_cache, KMEM_GFP_KERNEL);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    v->start = start, v->end = end, v->flags = flags, v->file = file, v->pgoff = pgoff;
    vl_list_init(&v->node);
    return v;
}

static void vma_free(mm_mm_t *mm, mm_vma_t *v) { kmem_cache_free(mm->sys->vma_cache, v); }

static mm_vma_t *vma_next(mm_mm_t *mm, mm_vma_t *v)
{
    return v->node.next == &mm->vmas ? NULL : vl_list_entry(v->node.next, mm_vma_t, node);
}
static mm_vma_t *vma_prev(mm_mm_t *mm, mm_vma_t *v)
{
    return v->node.prev == &mm->vmas ? NULL : vl_list_entry(v->node.prev, mm_vma_t, node);
}

static mm_vma_t *find_vma(mm_mm_t *mm, uint64_t addr)
{
    mm->c.find_vma_calls++;
    mm_vma_t *c = mm->cache;
    if (c && c->start <= addr && addr < c->end) {
        mm->c.find_vma_hits++;
        return c;
    }
    mm_vma_t *v = vma_tree_find(mm, addr);
    if (v)
        mm->cache = v;
    return v;
}

/* can_vma_merge_after(a) && can_vma_merge_before(b), a then b adjacent. */
static int can_merge(const mm_vma_t *a, const mm_vma_t *b)
{
    if (a->end != b->start || a->flags != b->flags || a->file != b->file)
        return 0;
    if (a->pgoff + ((a->end - a->start) >> 12) != b->pgoff)
        return 0;
    /* is_mergeable_anon_vma: one side without anon_vma merges only with a VMA
     * whose chain is singular (not cloned from a parent by fork). */
    if (a->anon_vma && b->anon_vma)
        return a->anon_vma == b->anon_vma;
    if (a->anon_vma)
        return a->chain <= 1;
    if (b->anon_vma)
        return b->chain <= 1;
    return 1;
}

/* Merge v with its neighbours where the kernel would; returns the survivor. */
static mm_vma_t *vma_merge_around(mm_mm_t *mm, mm_vma_t *v)
{
    mm_vma_t *p = vma_prev(mm, v);
    if (p && can_merge(p, v)) {
        vma_tree_erase(mm, v);
        p->end = v->end;
        if (!p->anon_vma)
            p->anon_vma = v->anon_vma, p->chain = v->chain;
        vma_free(mm, v);
        v = p;
    }
    mm_vma_t *n = vma_next(mm, v);
    if (n && can_merge(v, n)) {
        vma_tree_erase(mm, n);
        v->end = n->end;
        if (!v->anon_vma)
            v->anon_vma = n->anon_vma, v->chain = n->chain;
        vma_free(mm, n);
    }
    return v;
}

/* Split v at addr (inside it): v keeps [start, addr), the new VMA gets the rest. */
static mm_vma_t *vma_split(mm_mm_t *mm, mm_vma_t *v, uint64_t addr)
{
    VL_ASSERT(addr > v->start && addr < v->end && !(addr & 4095));
    mm_vma_t *n = vma_new(mm, addr, v->end, v->flags, v->file, v->pgoff + ((addr - v->start) >> 12));
    if (!n)
        return NULL;
    n->anon_vma = v->anon_vma;
    n->chain = v->chain;
    v->end = addr;
    vma_tree_insert(mm, n);
    return n;
}

/* anon_vma_prepare with find_mergeable_anon_vma: reuse a neighbour's when it
 * could merge but for the access bits. */
static void anon_vma_prepare(mm_mm_t *mm, mm_vma_t *v)
{
    if (v->anon_vma)
        return;
    mm_vma_t *nb[2] = {vma_next(mm, v), vma_prev(mm, v)};
    unsigned acc = MM_VM_READ | MM_VM_WRITE | MM_VM_EXEC;
    for (int i = 0; i < 2; i++) {
        mm_vma_t *a = i ? nb[1] : v, *b = i ? v : nb[0];
        mm_vma_t *o = nb[i];
        if (!o || !o->anon_vma || a->end != b->start || a->file != b->file ||
            ((a->flags ^ b->flags) & ~acc) || a->pgoff + ((a->end - a->start) >> 12) != b->pgoff)
            continue;
        v->anon_vma = o->anon_vma;
        v->chain = 1;
        return;
    }
    v->anon_vma = ++mm->sys->next_anon_vma;
    v->chain = 1;
}

/* ---- PTEs --------------------------------------------------------------------- */

static uint64_t pte_bits(const mm_sys_t *s, unsigned vmflags, int writable)
{
    if (!(vmflags & (MM_VM_READ | MM_VM_WRITE | MM_VM_EXEC)))
        return PTE_PROTNONE | PTE_A;
    uint64_t e = PTE_P | PTE_US | PTE_A;
    if (writable)
        e |= PTE_RW;
    if (s->esize == 8 && !(vmflags & MM_VM_EXEC))
        e |= PTE_NX;
    return e;
}

static void map_page(mm_mm_t *mm, uint64_t table, unsigned idx, uint64_t pfn, uint64_t bits)
{
    mm_sys_t *s = mm->sys;
    pt_set(s, table, idx, (pfn << 12) | bits);
    if (pfn == s->zero_pfn)
        return;
    mm_frame_t *f = &s->frames[pfn];
    f->mapcount++;
    f->refs++;
    (*rss_of(mm, f->kind))++;
}

/* Clear a PTE: 1 when a mapped page was there (a TLB entry may exist). */
static int zap_pte(mm_mm_t *mm, uint64_t table, unsigned idx)
{
    mm_sys_t *s = mm->sys;
    uint64_t e = pt_get(s, table, idx);
    if (!e)
        return 0;
    pt_set(s, table, idx, 0);
    if (pte_swap(e)) {
        swap_put(s, swp_slot(e));
        return 0;
    }
    uint64_t pfn = PTE_PFN(e);
    if (pfn == s->zero_pfn)
        return 1;
    mm_frame_t *f = &s->frames[pfn];
    if ((e & PTE_D) && f->kind != FR_ANON)
        f->dirty = 1;
    f->mapcount--;
    (*rss_of(mm, f->kind))--;
    frame_put(s, pfn);
    return 1;
}

/* Zap [start, end) and free the page tables left empty; returns PTEs zapped
 * that were mapped. */
static uint64_t zap_range(mm_mm_t *mm, uint64_t start, uint64_t end)
{
    mm_sys_t *s = mm->sys;
    uint64_t chunk = 1ull << (12 + s->bits), n = 0;
    for (uint64_t a = start; a < end;) {
        uint64_t cend = (a | (chunk - 1)) + 1;
        if (cend > end || cend == 0)
            cend = end;
        uint64_t table;
        unsigned idx;
        if (pt_leaf(mm, a, 0, &table, &idx) == 1) {
            for (uint64_t b = a; b < cend; b += 4096, idx++)
                n += (uint64_t)zap_pte(mm, table, idx);
            pt_prune(mm, a);
        }
        a = cend;
    }
    return n;
}

/* ---- tasks -------------------------------------------------------------------- */

static mm_mm_t *mm_alloc(mm_sys_t *s)
{
    mm_mm_t *mm = kmem_cache_alloc(s->mm_cache, KMEM_GFP_KERNEL);
    if (!mm)
        return NULL;
    memset(mm, 0, sizeof *mm);
    mm->sys = s;
    vl_list_init(&mm->vmas);
    if (pt_alloc_table(s, &mm->pgd) < 0) {
        kmem_cache_free(s->mm_cache, mm);
        return NULL;
    }
    mm->c.pt_pages = 1;
    mm->mmap_base = s->task_size - (128ull << 20);
    return mm;
}

static void mm_drop_vmas(mm_mm_t *mm)
{
    uint64_t z = 0;
    while (!vl_list_empty(&mm->vmas)) {
        mm_vma_t *v = vl_list_entry(mm->vmas.next, mm_vma_t, node);
        z += zap_range(mm, v->start, v->end);
        vma_tree_erase(mm, v);
        vma_free(mm, v);
    }
    if (z)
        mm->c.tlb_flushes++;
}

static void mm_free(mm_mm_t *mm)
{
    mm_sys_t *s = mm->sys;
    mm_drop_vmas(mm);
    VL_ASSERT(s->frames[mm->pgd].used == 0);
    pt_free_table(s, mm->pgd);
    kmem_cache_free(s->mm_cache, mm);
}

int mm_spawn(mm_sys_t *s, mm_task_t **out)
{
    mm_task_t *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->sys = s;
    t->mm = mm_alloc(s);
    if (!t->mm) {
        free(t);
        return -ENOMEM;
    }
    t->pid = s->next_pid++;
    vl_list_add_tail(&s->tasks, &t->node);
    *out = t;
    return 0;
}

void mm_exit(mm_task_t *t)
{
    mm_free(t->mm);
    vl_list_del(&t->node);
    free(t);
}

/* ---- the top-down allocator (mm/mmap.c unmapped_area_topdown) --------------- */

static int get_unmapped_area(mm_mm_t *mm, uint64_t len, uint64_t *out)
{
    uint64_t hi_limit = mm->mmap_base;
    /* Walk the gaps from the top: below each VMA, above its predecessor. */
    vl_list_t *it = mm->vmas.prev;
    uint64_t top = hi_limit, next_start = UINT64_MAX;
    int next_grows = 0;
    for (;;) {
        mm_vma_t *v = it == &mm->vmas ? NULL : vl_list_entry(it, mm_vma_t, node);
        uint64_t bottom = v ? v->end : MMAP_MIN_ADDR;
        if (bottom < MMAP_MIN_ADDR)
            bottom = MMAP_MIN_ADDR;
        uint64_t gtop = next_start;
        if (next_grows)
            gtop = gtop > STACK_GUARD_GAP ? gtop - STACK_GUARD_GAP : 0;
        if (gtop > top)
            gtop = top;
        if (gtop >= bottom && gtop - bottom >= len) {
            *out = gtop - len;
            return 0;
        }
        if (!v)
            return -ENOMEM;
        next_start = v->start;
        next_grows = (v->flags & MM_VM_GROWSDOWN) != 0;
        it = it->prev;
    }
}

static int range_free(mm_mm_t *mm, uint64_t start, uint64_t end)
{
    mm_vma_t *v = vma_tree_find(mm, start);
    return !v || v->start >= end;
}

/* ---- system calls ------------------------------------------------------------ */

static int do_munmap(mm_mm_t *mm, uint64_t start, uint64_t end)
{
    mm_vma_t *v = vma_tree_find(mm, start);
    uint64_t z = 0;
    while (v && v->start < end) {
        if (v->start < start) {
            if (!vma_split(mm, v, start))
                return -ENOMEM;
            v = vma_next(mm, v);
            continue;
        }
        if (v->end > end && !vma_split(mm, v, end))
            return -ENOMEM;
        mm_vma_t *n = vma_next(mm, v);
        z += zap_range(mm, v->start, v->end);
        vma_tree_erase(mm, v);
        vma_free(mm, v);
        v = n;
    }
    if (z)
        mm->c.tlb_flushes++;
    return 0;
}

int mm_munmap(mm_task_t *t, uint64_t addr, uint64_t len)
{
    mm_mm_t *mm = t->mm;
    if ((addr & 4095) || len == 0 || len > mm->sys->task_size || addr > mm->sys->task_size - len)
        return -EINVAL;
    uint64_t end = (addr + len + 4095) & ~4095ull;
    int rc = do_munmap(mm, addr, end);
    VL_DEBUG_CHECK(mm_check(mm->sys));
    return rc;
}

/* Insert [start, end) as a new VMA (the range is free) and merge. */
static mm_vma_t *map_region(mm_mm_t *mm, uint64_t start, uint64_t end, unsigned flags, int file, uint64_t pgoff)
{
    mm_vma_t *v = vma_new(mm, start, end, flags, file, pgoff);
    if (!v)
        return NULL;
    vma_tree_insert(mm, v);
    return vma_merge_around(mm, v);
}

static void populate(mm_task_t *t, uint64_t start, uint64_t end, unsigned flags)
{
    mm_access_t acc = (flags & (MM_VM_WRITE | MM_VM_SHARED)) == MM_VM_WRITE ? MM_ACC_WRITE : MM_ACC_READ;
    for (uint64_t a = start; a < end; a += 4096)
        (void)mm_touch(t, a, acc);
}

int mm_mmap(mm_task_t *t, uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int file,
            uint64_t off, uint64_t *out)
{
    mm_mm_t *mm = t->mm;
    mm_sys_t *s = mm->sys;
    unsigned type = flags & (MM_MAP_SHARED | MM_MAP_PRIVATE);
    if (len == 0 || (off & 4095) || (type != MM_MAP_SHARED && type != MM_MAP_PRIVATE))
        return -EINVAL;
    if (!(flags & MM_MAP_ANON) && (file < 0 || file >= s->nfiles))
        return -EBADF;
    if (len > s->task_size)
        return -ENOMEM;
    len = (len + 4095) & ~4095ull;
    if ((flags & MM_MAP_FIXED) && ((addr & 4095) || addr > s->task_size - len))
        return -EINVAL;
    unsigned vf = prot & 7u;
    if (type == MM_MAP_SHARED)
        vf |= MM_VM_SHARED;
    else if (prot & MM_PROT_WRITE)
        vf |= MM_VM_ACCOUNT;
    if (flags & MM_MAP_GROWSDOWN)
        vf |= MM_VM_GROWSDOWN;
    uint64_t start;
    if (flags & MM_MAP_FIXED) {
        start = addr;
    } else {
        addr &= ~4095ull;
        if (addr >= MMAP_MIN_ADDR && addr <= s->task_size - len && range_free(mm, addr, addr + len))
            start = addr;
        else if (get_unmapped_area(mm, len, &start) < 0)
            return -ENOMEM;
    }
    uint64_t pgoff;
    if (flags & MM_MAP_ANON) {
        if (type == MM_MAP_SHARED) {
            file = file_new(s, "/dev/zero (deleted)", len >> 12, 1);
            if (file < 0)
                return file;
            pgoff = 0;
        } else {
            file = -1;
            pgoff = start >> 12;
        }
    } else {
        pgoff = off >> 12;
    }
    if (flags & MM_MAP_FIXED) {
        int rc = do_munmap(mm, start, start + len);
        if (rc < 0)
            return rc;
    }
    mm_vma_t *v = map_region(mm, start, start + len, vf, file, pgoff);
    if (!v)
        return -ENOMEM;
    if (flags & MM_MAP_POPULATE)
        populate(t, start, start + len, vf);
    *out = start;
    VL_DEBUG_CHECK(mm_check(s));
    return 0;
}

/* Re-derive the PTEs of [start, end) in v after its flags changed
 * (mm/mprotect.c change_pte_range with can_change_pte_writable). */
static uint64_t change_ptes(mm_mm_t *mm, mm_vma_t *v, uint64_t start, uint64_t end, unsigned oldflags)
{
    mm_sys_t *s = mm->sys;
    uint64_t downgraded = 0;
    for (uint64_t a = start; a < end; a += 4096) {
        uint64_t table;
        unsigned idx;
        if (pt_leaf(mm, a, 0, &table, &idx) != 1) {
            a |= (1ull << (12 + s->bits)) - 1;
            a -= 4095;
            continue;
        }
        uint64_t e = pt_get(s, table, idx);
        if (!pte_mapped(e))
            continue;
        uint64_t pfn = PTE_PFN(e);
        int writable = (e & PTE_RW) != 0;
        if (!(v->flags & MM_VM_WRITE)) {
            writable = 0;
        } else if (!writable && pfn != s->zero_pfn) {
            const mm_frame_t *f = &s->frames[pfn];
            if (v->flags & MM_VM_SHARED)
                writable = (e & PTE_D) != 0;
            else
                writable = f->kind == FR_ANON && f->exclusive;
        }
        uint64_t ne = (pfn << 12) | pte_bits(s, v->flags, writable) | (e & PTE_D);
        if ((e & PTE_P) && (!(ne & PTE_P) || ((e & PTE_RW) && !(ne & PTE_RW)) || ((ne ^ e) & PTE_NX)))
            downgraded++;
        pt_set(s, table, idx, ne);
    }
    (void)oldflags;
    return downgraded;
}

int mm_mprotect(mm_task_t *t, uint64_t addr, uint64_t len, unsigned prot)
{
    mm_mm_t *mm = t->mm;
    mm_sys_t *s = mm->sys;
    if ((addr & 4095) || (prot & ~7u))
        return -EINVAL;
    if (len == 0)
        return 0;
    if (len > s->task_size || addr > s->task_size - len)
        return -ENOMEM;
    uint64_t end = (addr + len + 4095) & ~4095ull;
    mm_vma_t *v = vma_tree_find(mm, addr);
    if (!v || v->start > addr)
        return -ENOMEM;
    uint64_t a = addr, down = 0;
    int rc = 0;
    while (a < end) {
        v = vma_tree_find(mm, a);
        if (!v || v->start > a) {
            rc = -ENOMEM; /* a hole: what came before stays changed, as in the kernel */
            break;
        }
        if (v->start < a) {
            if (!vma_split(mm, v, a))
                return -ENOMEM;
            v = vma_next(mm, v);
        }
        if (v->end > end && !vma_split(mm, v, end))
            return -ENOMEM;
        unsigned nf = (v->flags & ~7u) | prot;
        if (!(nf & MM_VM_SHARED) && (prot & MM_PROT_WRITE))
            nf |= MM_VM_ACCOUNT;
        else if (!(prot & MM_PROT_WRITE) && v->file < 0 && !v->anon_vma)
            nf &= ~MM_VM_ACCOUNT; /* mprotect_fixup (6.2+): nothing to account any more */
        unsigned of = v->flags;
        v->flags = nf;
        a = v->end;
        down += change_ptes(mm, v, v->start, v->end, of);
        (void)vma_merge_around(mm, v);
    }
    if (down)
        mm->c.tlb_flushes++;
    VL_DEBUG_CHECK(mm_check(s));
    return rc;
}

uint64_t mm_brk(mm_task_t *t, uint64_t brk)
{
    mm_mm_t *mm = t->mm;
    if (brk < mm->start_brk || brk > mm->sys->task_size)
        return mm->brk;
    uint64_t newbrk = (brk + 4095) & ~4095ull, oldbrk = (mm->brk + 4095) & ~4095ull;
    if (newbrk == oldbrk) {
        mm->brk = brk;
        return brk;
    }
    if (newbrk < oldbrk) {
        if (do_munmap(mm, newbrk, oldbrk) < 0)
            return mm->brk;
        mm->brk = brk;
        VL_DEBUG_CHECK(mm_check(mm->sys));
        return brk;
    }
    mm_vma_t *next = vma_tree_find(mm, oldbrk);
    if (next && newbrk + STACK_GUARD_GAP * !!(next->flags & MM_VM_GROWSDOWN) > next->start)
        return mm->brk;
    if (!map_region(mm, oldbrk, newbrk, MM_VM_READ | MM_VM_WRITE | MM_VM_ACCOUNT, -1, oldbrk >> 12))
        return mm->brk;
    mm->brk = brk;
    VL_DEBUG_CHECK(mm_check(mm->sys));
    return brk;
}

/* ---- the fault handler --------------------------------------------------------- */

/* expand_stack: grow v down to addr's page when the rlimit and the guard gap allow. */
static int expand_stack(mm_mm_t *mm, mm_vma_t *v, uint64_t addr)
{
    uint64_t ns = addr & ~4095ull;
    if (v->end - ns > STACK_RLIMIT)
        return -ENOMEM;
    mm_vma_t *p = vma_prev(mm, v);
    if (p && p->end + STACK_GUARD_GAP > ns)
        return -ENOMEM;
    v->pgoff -= (v->start - ns) >> 12;
    v->start = ns;
    return 0;
}

static int file_page(mm_sys_t *s, int file, uint64_t pgoff, uint64_t *pfn, int *major)
{
    uint64_t *p = vl_map_get(&s->pcache, pc_key(file, pgoff));
    if (p) {
        *pfn = *p - 1;
        return 0;
    }
    if (pgoff >= s->files[file].pages && !s->files[file].shmem)
        return -EFAULT; /* beyond EOF: SIGBUS */
    int rc = pcache_add(s, file, pgoff, pfn);
    if (rc == 0 && s->files[file].on_disk)
        *major = 1;
    return rc;
}

/* do_fault_around: map the cached pages of the aligned window around addr. */
static unsigned fault_around(mm_mm_t *mm, mm_vma_t *v, uint64_t addr, uint64_t table)
{
    mm_sys_t *s = mm->sys;
    uint64_t nr = s->fault_around, ptrs = 1ull << s->bits;
    uint64_t pte_off = (addr >> 12) & (ptrs - 1);
    uint64_t vma_off = (addr - v->start) >> 12;
    uint64_t from = pte_off & ~(nr - 1);
    if (from < pte_off - (pte_off < vma_off ? pte_off : vma_off))
        from = pte_off - (pte_off < vma_off ? pte_off : vma_off);
    uint64_t to = from + nr;
    if (to > ptrs)
        to = ptrs;
    uint64_t vend = pte_off + ((v->end - v->start) >> 12) - vma_off;
    if (to > vend)
        to = vend;
    unsigned mapped = 0;
    for (uint64_t i = from; i < to; i++) {
        if (i == pte_off || pt_get(s, table, (unsigned)i))
            continue;
        uint64_t a = (addr & ~((ptrs << 12) - 1)) | (i << 12);
        uint64_t pg = v->pgoff + ((a - v->start) >> 12);
        uint64_t *p = vl_map_get(&s->pcache, pc_key(v->file, pg));
        if (!p)
            continue;
        uint64_t b = pte_bits(s, v->flags, 0) & ~PTE_A;
        map_page(mm, table, (unsigned)i, *p - 1, b);
        mapped++;
    }
    return mapped;
}

static mm_fault_t handle_fault(mm_task_t *t, mm_vma_t *v, uint64_t addr, mm_access_t acc,
                               uint64_t table, unsigned idx)
{
    mm_mm_t *mm = t->mm;
    mm_sys_t *s = mm->sys;
    mm_fault_t r = {0};
    uint64_t e = pt_get(s, table, idx);
    int write = acc == MM_ACC_WRITE;
    uint64_t pfn;
    int rc;
    if (!e) {
        if (v->file < 0) { /* do_anonymous_page */
            if (!write) {
                map_page(mm, table, idx, s->zero_pfn, pte_bits(s, v->flags, 0));
                r.kind = MM_F_ANON_ZERO;
                r.pfn = s->zero_pfn;
                return r;
            }
            anon_vma_prepare(mm, v);
            if ((rc = mm_frame_alloc(s, FR_ANON, &pfn)) < 0)
                goto oom;
            memset(s->frames[pfn].addr, 0, KMEM_PAGE_SIZE);
            s->frames[pfn].index = addr & ~4095ull;
            s->frames[pfn].exclusive = 1;
            map_page(mm, table, idx, pfn, pte_bits(s, v->flags, 1) | PTE_D);
            r.kind = MM_F_ANON_NEW;
            r.pfn = pfn;
            return r;
        }
        uint64_t pg = v->pgoff + ((addr - v->start) >> 12);
        if (!write) { /* do_read_fault */
            r.around = fault_around(mm, v, addr, table);
            if ((rc = file_page(s, v->file, pg, &pfn, &r.major)) < 0)
                goto oom;
            map_page(mm, table, idx, pfn, pte_bits(s, v->flags, 0));
            r.kind = MM_F_FILE_READ;
            r.pfn = pfn;
            return r;
        }
        uint64_t src;
        if ((rc = file_page(s, v->file, pg, &src, &r.major)) < 0)
            goto oom;
        if (v->flags & MM_VM_SHARED) { /* do_shared_fault */
            s->frames[src].dirty = 1;
            map_page(mm, table, idx, src, pte_bits(s, v->flags, 1) | PTE_D);
            r.kind = MM_F_FILE_SHARED;
            r.pfn = src;
            return r;
        }
        anon_vma_prepare(mm, v); /* do_cow_fault */
        s->frames[src].refs++; /* hold it while copying */
        rc = mm_frame_alloc(s, FR_ANON, &pfn);
        if (rc == 0)
            memcpy(s->frames[pfn].addr, s->frames[src].addr, KMEM_PAGE_SIZE);
        frame_put(s, src);
        if (rc < 0)
            goto oom;
        s->frames[pfn].index = addr & ~4095ull;
        s->frames[pfn].exclusive = 1;
        map_page(mm, table, idx, pfn, pte_bits(s, v->flags, 1) | PTE_D);
        r.kind = MM_F_FILE_COW;
        r.pfn = pfn;
        return r;
    }
    if (pte_swap(e)) { /* do_swap_page */
        uint64_t slot = swp_slot(e);
        uint64_t *p = vl_map_get(&s->swapcache, slot);
        if (p) {
            pfn = *p - 1;
        } else {
            if ((rc = mm_frame_alloc(s, FR_ANON, &pfn)) < 0)
                goto oom;
            memset(s->frames[pfn].addr, 0, KMEM_PAGE_SIZE);
            s->frames[pfn].index = addr & ~4095ull;
            s->frames[pfn].refs = 1;
            s->frames[pfn].swapslot = slot + 1;
            vl_map_put(&s->swapcache, slot, pfn + 1);
            r.major = 1;
        }
        pt_set(s, table, idx, 0);
        int exclusive = s->swap_count[slot] == 1;
        map_page(mm, table, idx, pfn, 0);
        swap_put(s, slot);
        s->frames[pfn].exclusive = (uint8_t)exclusive;
        int wr = exclusive && (v->flags & MM_VM_WRITE);
        pt_set(s, table, idx, (pfn << 12) | pte_bits(s, v->flags, wr) | (wr && write ? PTE_D : 0));
        r.kind = MM_F_SWAPIN;
        r.pfn = pfn;
        return r;
    }
    /* Present but not writable: do_wp_page. */
    VL_ASSERT(write && (e & PTE_P) && !(e & PTE_RW));
    pfn = PTE_PFN(e);
    if (v->flags & MM_VM_SHARED) {
        s->frames[pfn].dirty = 1;
        pt_set(s, table, idx, e | PTE_RW | PTE_D | PTE_A);
        r.kind = MM_F_WP_SHARED;
        r.pfn = pfn;
        return r;
    }
    mm_frame_t *f = &s->frames[pfn];
    if (pfn != s->zero_pfn && f->kind == FR_ANON && f->mapcount == 1 && f->refs == 1) {
        f->exclusive = 1;
        pt_set(s, table, idx, e | PTE_RW | PTE_D | PTE_A);
        r.kind = MM_F_WP_REUSE;
        r.pfn = pfn;
        return r;
    }
    anon_vma_prepare(mm, v); /* wp_page_copy */
    uint64_t np;
    if ((rc = mm_frame_alloc(s, FR_ANON, &np)) < 0)
        goto oom;
    if (pfn == s->zero_pfn)
        memset(s->frames[np].addr, 0, KMEM_PAGE_SIZE);
    else
        memcpy(s->frames[np].addr, f->addr, KMEM_PAGE_SIZE);
    s->frames[np].index = addr & ~4095ull;
    s->frames[np].exclusive = 1;
    zap_pte(mm, table, idx);
    map_page(mm, table, idx, np, pte_bits(s, v->flags, 1) | PTE_D);
    mm->c.tlb_flushes++;
    r.kind = pfn == s->zero_pfn ? MM_F_WP_ZERO : MM_F_WP_COPY;
    r.pfn = np;
    return r;
oom:
    r.kind = rc == -EFAULT ? MM_F_SEGV_MAPERR : MM_F_OOM;
    return r;
}

mm_fault_t mm_touch(mm_task_t *t, uint64_t addr, mm_access_t acc)
{
    mm_mm_t *mm = t->mm;
    mm_sys_t *s = mm->sys;
    mm_fault_t r = {0};
    /* The MMU: walk, check P, RW and NX, set A and D. */
    if (addr < s->task_size) {
        uint64_t tb = mm->pgd;
        unsigned l;
        for (l = 0; l < s->levels; l++) {
            unsigned i = pt_index(s, addr, l);
            uint64_t e = pt_get(s, tb, i);
            if (!(e & PTE_P))
                break;
            if (l + 1 < s->levels) {
                tb = PTE_PFN(e);
                continue;
            }
            if ((acc == MM_ACC_WRITE && !(e & PTE_RW)) || (acc == MM_ACC_EXEC && (e & PTE_NX)))
                break;
            uint64_t ne = e | PTE_A | (acc == MM_ACC_WRITE ? PTE_D : 0);
            if (ne != e)
                pt_set(s, tb, i, ne);
            r.pfn = PTE_PFN(e);
            return r;
        }
    }
    /* do_user_addr_fault */
    int protfault = 0;
    mm_vma_t *v = addr < s->task_size ? find_vma(mm, addr) : NULL;
    if (!v) {
        r.kind = MM_F_SEGV_MAPERR;
        return r;
    }
    if (v->start > addr) {
        if (!(v->flags & MM_VM_GROWSDOWN) || expand_stack(mm, v, addr) < 0) {
            r.kind = MM_F_SEGV_MAPERR;
            return r;
        }
        r.stack_grew = 1;
    }
    uint64_t table;
    unsigned idx;
    int rc = pt_leaf(mm, addr, 1, &table, &idx);
    if (rc < 0) {
        r.kind = MM_F_OOM;
        return r;
    }
    uint64_t e = pt_get(s, table, idx);
    protfault = (e & PTE_P) != 0;
    /* access_error */
    if (acc == MM_ACC_WRITE ? !(v->flags & MM_VM_WRITE)
                            : (protfault || !(v->flags & (MM_VM_READ | MM_VM_WRITE | MM_VM_EXEC)))) {
        r.kind = MM_F_SEGV_ACCERR;
        return r;
    }
    mm_fault_t h = handle_fault(t, v, addr, acc, table, idx);
    h.stack_grew = r.stack_grew;
    if (h.kind != MM_F_OOM && h.kind != MM_F_SEGV_MAPERR) {
        if (h.major)
            mm->c.majflt++;
        else
            mm->c.minflt++;
    }
    VL_DEBUG_CHECK(mm_check(s));
    /* An exec access to a page just mapped NX re-faults: SEGV_ACCERR. */
    if (acc == MM_ACC_EXEC && s->esize == 8 && !(v->flags & MM_VM_EXEC) && h.kind != MM_F_OOM) {
        h.kind = MM_F_SEGV_ACCERR;
    }
    return h;
}

/* ---- fork, exec ------------------------------------------------------------------ */

int mm_fork(mm_task_t *parent, mm_task_t **child)
{
    mm_sys_t *s = parent->sys;
    mm_mm_t *pm = parent->mm;
    mm_task_t *t;
    int rc = mm_spawn(s, &t);
    if (rc < 0)
        return rc;
    mm_mm_t *cm = t->mm;
    cm->start_brk = pm->start_brk, cm->brk = pm->brk, cm->start_stack = pm->start_stack;
    cm->mmap_base = pm->mmap_base;
    uint64_t wrprotected = 0;
    vl_list_t *it;
    vl_list_for_each(it, &pm->vmas) {
        mm_vma_t *v = vl_list_entry(it, mm_vma_t, node);
        mm_vma_t *n = vma_new(cm, v->start, v->end, v->flags, v->file, v->pgoff);
        if (!n) {
            mm_exit(t);
            return -ENOMEM;
        }
        n->anon_vma = v->anon_vma ? ++s->next_anon_vma : 0;
        n->chain = v->anon_vma ? v->chain + 1 : 0;
        vma_tree_insert(cm, n);
        if (!v->anon_vma) /* vma_needs_copy: faults will fill it */
            continue;
        int cow = !(v->flags & MM_VM_SHARED);
        uint64_t chunk = 1ull << (12 + s->bits);
        for (uint64_t a = v->start; a < v->end;) {
            uint64_t cend = (a | (chunk - 1)) + 1;
            if (cend > v->end)
                cend = v->end;
            uint64_t pt, ct;
            unsigned pi, ci;
            if (pt_leaf(pm, a, 0, &pt, &pi) == 1 && s->frames[pt].used) {
                if (pt_leaf(cm, a, 1, &ct, &ci) < 0) {
                    mm_exit(t);
                    return -ENOMEM;
                }
                for (; a < cend; a += 4096, pi++, ci++) {
                    uint64_t e = pt_get(s, pt, pi);
                    if (!e)
                        continue;
                    if (pte_swap(e)) {
                        s->swap_count[swp_slot(e)]++;
                        pt_set(s, ct, ci, e);
                        continue;
                    }
                    if (cow && (e & PTE_RW)) {
                        e &= ~PTE_RW;
                        pt_set(s, pt, pi, e);
                        wrprotected++;
                    }
                    uint64_t pfn = PTE_PFN(e);
                    if (pfn != s->zero_pfn)
                        s->frames[pfn].exclusive = 0;
                    map_page(cm, ct, ci, pfn, e & 0xfff0000000000fffull);
                }
            }
            a = cend;
        }
    }
    if (wrprotected)
        pm->c.tlb_flushes++;
    *child = t;
    VL_DEBUG_CHECK(mm_check(s));
    return 0;
}

/* The default program: 1 page of text, 1 of data, 1 of bss, a heap 16 MiB above
 * (arch_randomize_brk's range, fixed here), a 33-page stack at the top. */
int mm_exec(mm_task_t *t, const char *path)
{
    mm_sys_t *s = t->sys;
    mm_mm_t *mm = t->mm;
    mm_drop_vmas(mm);
    VL_DEBUG_CHECK(mm_check(s));
    uint64_t base = s->esize == 8 ? 0x555555554000ull : 0x56555000ull, end_bss = 0;
    inspect_elf_t elf;
    memset(&elf, 0, sizeof elf);
    const char *name = path ? path : "a.out";
    int fid;
    if (path) {
        char *data = NULL;
        size_t n = 0;
        int rc = env_read_file(path, &data, &n, NULL);
        if (rc < 0)
            return rc;
        rc = inspect_elf_parse(data, n, &elf);
        free(data);
        if (rc < 0)
            return rc;
        if (elf.type == 2)
            base = 0;
        fid = mm_file_create(s, name, (n + 4095) >> 12, 1);
    } else {
        elf.nload = 3;
        elf.load[0] = (inspect_elf_seg_t){0, 0, 0x1000, 0x1000, 5};
        elf.load[1] = (inspect_elf_seg_t){0x1000, 0x1000, 0x800, 0x2000, 6};
        elf.load[2] = (inspect_elf_seg_t){0x1000, 0x1000, 0, 0, 0}; /* unused */
        elf.nload = 2;
        fid = mm_file_create(s, name, 2, 1);
    }
    if (fid < 0)
        return fid;
    for (int i = 0; i < elf.nload; i++) {
        const inspect_elf_seg_t *g = &elf.load[i];
        uint64_t va = base + g->vaddr, start = va & ~4095ull;
        uint64_t fend = (va + g->filesz + 4095) & ~4095ull, mend = (va + g->memsz + 4095) & ~4095ull;
        unsigned prot = (g->flags & 4 ? MM_PROT_READ : 0) | (g->flags & 2 ? MM_PROT_WRITE : 0) |
                        (g->flags & 1 ? MM_PROT_EXEC : 0);
        uint64_t out;
        if (fend > start) {
            int rc = mm_mmap(t, start, fend - start, prot, MM_MAP_PRIVATE | MM_MAP_FIXED, fid,
                             g->offset & ~4095ull, &out);
            if (rc < 0)
                return rc;
        }
        if (mend > fend) {
            int rc = mm_mmap(t, fend, mend - fend, prot, MM_MAP_PRIVATE | MM_MAP_FIXED | MM_MAP_ANON, -1, 0, &out);
            if (rc < 0)
                return rc;
        }
        if (mend > end_bss)
            end_bss = mend;
    }
    mm->start_brk = mm->brk = end_bss + (16ull << 20);
    uint64_t top = s->task_size, out;
    mm->start_stack = top - 4096;
    int rc = mm_mmap(t, top - 33 * 4096ull, 33 * 4096ull, MM_PROT_READ | MM_PROT_WRITE,
                     MM_MAP_PRIVATE | MM_MAP_ANON | MM_MAP_FIXED | MM_MAP_GROWSDOWN, -1, 0, &out);
    if (rc < 0)
        return rc;
    mm->mmap_base = top - (128ull << 20);
    VL_DEBUG_CHECK(mm_check(s));
    return 0;
}

/* ---- queries ------------------------------------------------------------------------ */

static void vma_info(const mm_mm_t *mm, const mm_vma_t *v, mm_vma_info_t *vi)
{
    vi->start = v->start, vi->end = v->end, vi->flags = v->flags, vi->pgoff = v->pgoff, vi->file = v->file;
    if (v->file >= 0)
        vi->name = mm->sys->files[v->file].name;
    else if (v->start <= mm->brk && v->end >= mm->start_brk && mm->brk > mm->start_brk)
        vi->name = "[heap]";
    else if (v->start <= mm->start_stack && v->end >= mm->start_stack)
        vi->name = "[stack]";
    else
        vi->name = "";
}

int mm_find_vma(mm_task_t *t, uint64_t addr, mm_vma_info_t *vi)
{
    mm_vma_t *v = find_vma(t->mm, addr);
    if (!v)
        return 0;
    vma_info(t->mm, v, vi);
    return 1;
}

size_t mm_vmas(mm_task_t *t, mm_vma_info_t *out, size_t max)
{
    size_t n = 0;
    vl_list_t *it;
    vl_list_for_each(it, &t->mm->vmas) {
        if (out && n < max)
            vma_info(t->mm, vl_list_entry(it, mm_vma_t, node), &out[n]);
        n++;
    }
    return n;
}

void mm_counters(mm_task_t *t, mm_counters_t *c)
{
    *c = t->mm->c;
    c->vmas = t->mm->nvmas;
    c->total_vm = 0;
    vl_list_t *it;
    vl_list_for_each(it, &t->mm->vmas) {
        mm_vma_t *v = vl_list_entry(it, mm_vma_t, node);
        c->total_vm += (v->end - v->start) >> 12;
    }
}

void mm_print_maps(mm_task_t *t, FILE *f)
{
    vl_list_t *it;
    int w = t->sys->esize == 8 ? 8 : 8;
    vl_list_for_each(it, &t->mm->vmas) {
        mm_vma_info_t vi;
        vma_info(t->mm, vl_list_entry(it, mm_vma_t, node), &vi);
        int n = fprintf(f, "%0*llx-%0*llx %c%c%c%c %08llx 00:00 %d ", w, (unsigned long long)vi.start, w,
                        (unsigned long long)vi.end, vi.flags & 1 ? 'r' : '-', vi.flags & 2 ? 'w' : '-',
                        vi.flags & 4 ? 'x' : '-', vi.flags & MM_VM_SHARED ? 's' : 'p',
                        (unsigned long long)(vi.file >= 0 ? vi.pgoff << 12 : 0), vi.file >= 0 ? vi.file + 1 : 0);
        if (*vi.name)
            fprintf(f, "%*s%s", n < 73 ? 73 - n : 1, "", vi.name);
        fputc('\n', f);
    }
}

int mm_walk(mm_task_t *t, uint64_t addr, mm_walk_level_t *lv, uint64_t *pa)
{
    mm_sys_t *s = t->sys;
    static const char *n4[] = {"PGD", "PUD", "PMD", "PTE"}, *n2[] = {"PGD", "PTE"};
    uint64_t tb = t->mm->pgd;
    *pa = 0;
    if (addr >= s->task_size)
        return 0;
    for (unsigned l = 0; l < s->levels; l++) {
        lv[l].name = s->levels == 4 ? n4[l] : n2[l];
        lv[l].index = pt_index(s, addr, l);
        lv[l].table_pfn = tb;
        lv[l].entry = pt_get(s, tb, lv[l].index);
        if (!(lv[l].entry & PTE_P))
            return (int)l + 1;
        if (l + 1 == s->levels)
            *pa = (PTE_PFN(lv[l].entry) << 12) | (addr & 4095);
        tb = PTE_PFN(lv[l].entry);
    }
    return (int)s->levels;
}

void mm_format_entry(uint64_t e, int last, char *buf, size_t n)
{
    if (!e) {
        snprintf(buf, n, "none");
        return;
    }
    if (!(e & (PTE_P | PTE_PROTNONE))) {
        snprintf(buf, n, "swap entry, slot %llu", (unsigned long long)((e >> 12) - 1));
        return;
    }
    snprintf(buf, n, "pfn %llu %s%s%s%s%s%s%s", (unsigned long long)PTE_PFN(e), e & PTE_P ? "P" : "protnone",
             e & PTE_RW ? " RW" : " RO", e & PTE_US ? " US" : "", e & PTE_A ? " A" : "",
             e & PTE_D ? " D" : "", e & PTE_NX ? " NX" : "", last ? "" : " (table)");
}

/* ---- reclaim -------------------------------------------------------------------------- */

/* Visit every PTE mapping frame pfn (rmap_walk): fn returns nothing. */
typedef void (*rmap_fn)(mm_mm_t *mm, mm_vma_t *v, uint64_t table, unsigned idx, void *ctx);

static void rmap_walk(mm_sys_t *s, uint64_t pfn, rmap_fn fn, void *ctx)
{
    mm_frame_t *f = &s->frames[pfn];
    vl_list_t *it;
    vl_list_for_each(it, &s->tasks) {
        mm_mm_t *mm = vl_list_entry(it, mm_task_t, node)->mm;
        vl_list_t *jt;
        vl_list_for_each(jt, &mm->vmas) {
            mm_vma_t *v = vl_list_entry(jt, mm_vma_t, node);
            uint64_t a;
            if (f->kind == FR_ANON) {
                a = f->index;
                if (a < v->start || a >= v->end)
                    continue;
            } else {
                if (v->file != f->file || f->index < v->pgoff || f->index - v->pgoff >= (v->end - v->start) >> 12)
                    continue;
                a = v->start + ((f->index - v->pgoff) << 12);
            }
            uint64_t table;
            unsigned idx;
            if (pt_leaf(mm, a, 0, &table, &idx) != 1)
                continue;
            uint64_t e = pt_get(s, table, idx);
            if (pte_mapped(e) && PTE_PFN(e) == pfn)
                fn(mm, v, table, idx, ctx);
        }
    }
}

static void rmap_referenced(mm_mm_t *mm, mm_vma_t *v, uint64_t table, unsigned idx, void *ctx)
{
    uint64_t e = pt_get(mm->sys, table, idx);
    if (e & PTE_A) {
        *(int *)ctx = 1;
        pt_set(mm->sys, table, idx, e & ~PTE_A);
    }
}

static void rmap_unmap(mm_mm_t *mm, mm_vma_t *v, uint64_t table, unsigned idx, void *ctx)
{
    mm_sys_t *s = mm->sys;
    uint64_t slot = *(uint64_t *)ctx;
    zap_pte(mm, table, idx);
    if (slot != UINT64_MAX) {
        s->swap_count[slot]++;
        pt_set(s, table, idx, (slot + 1) << 12);
    }
    mm->c.tlb_flushes++;
}

uint64_t mm_reclaim(mm_sys_t *s, uint64_t want)
{
    uint64_t freed = 0, scanned = 0, limit = 4 * (s->nframes + 16);
    while (freed < want && scanned++ < limit) {
        if (vl_list_empty(&s->inactive)) {
            if (vl_list_empty(&s->active))
                break;
        }
        /* Keep the inactive list at least as long as the active one. */
        if (!vl_list_empty(&s->active)) {
            uint64_t na = 0, ni = 0;
            (void)na, (void)ni;
            vl_list_t *a = vl_list_last(&s->active);
            mm_frame_t *af = vl_list_entry(a, mm_frame_t, lru_node);
            if (vl_list_empty(&s->inactive) || scanned % 2 == 0) {
                vl_list_move(&s->inactive, a);
                af->lru = LRU_INACTIVE;
            }
        }
        vl_list_t *x = vl_list_last(&s->inactive);
        if (!x)
            continue;
        mm_frame_t *f = vl_list_entry(x, mm_frame_t, lru_node);
        uint64_t pfn = (uint64_t)(f - s->frames);
        int ref = 0;
        rmap_walk(s, pfn, rmap_referenced, &ref);
        if (ref || f->kind == FR_SHMEM) {
            vl_list_move(&s->active, x);
            f->lru = LRU_ACTIVE;
            continue;
        }
        if (f->kind == FR_ANON && f->swapslot) {
            /* In the swap cache (swapped in while another task's PTE still
             * names its slot): its copy on swap is current, so it keeps that
             * slot, as the kernel's shrink_folio_list does for a folio that
             * is already PageSwapCache; leaving the cache drops its ref. */
            uint64_t slot = f->swapslot - 1, v;
            f->refs++;
            rmap_walk(s, pfn, rmap_unmap, &slot);
            if (vl_map_del(&s->swapcache, slot, &v) == 1) {
                f->swapslot = 0;
                frame_put(s, pfn);
            }
            vl_list_del(&f->lru_node);
            f->lru = LRU_NONE;
            frame_put(s, pfn);
            freed++;
            continue;
        }
        if (f->kind == FR_ANON) {
            uint64_t slot;
            if (swap_alloc(s, &slot) < 0) {
                vl_list_move(&s->active, x);
                f->lru = LRU_ACTIVE;
                continue;
            }
            s->swap_count[slot] = 0;
            f->refs++;
            rmap_walk(s, pfn, rmap_unmap, &slot);
            if (s->swap_count[slot] == 0) { /* mapped nowhere after all */
                s->swap_used--;
            }
            vl_list_del(&f->lru_node);
            f->lru = LRU_NONE;
            frame_put(s, pfn);
            freed++;
            continue;
        }
        /* A file page: unmap, write back if dirty, drop from the page cache. */
        uint64_t none = UINT64_MAX;
        f->refs++;
        rmap_walk(s, pfn, rmap_unmap, &none);
        if (f->dirty)
            s->writebacks++;
        uint64_t v;
        if (vl_map_del(&s->pcache, pc_key(f->file, f->index), &v) == 1)
            frame_put(s, pfn);
        frame_put(s, pfn);
        freed++;
    }
    return freed;
}

/* ---- invariants ------------------------------------------------------------------------ */

void mm_check(mm_sys_t *s)
{
    uint32_t *maps = calloc(s->nframes, sizeof *maps);
    VL_ASSERT(maps);
    vl_list_t *it;
    vl_list_for_each(it, &s->tasks) {
        mm_mm_t *mm = vl_list_entry(it, mm_task_t, node)->mm;
        vma_tree_check(mm);
        uint64_t rss = 0, pts = 1;
        /* Every leaf entry, by walking the tables. */
        uint64_t stack[4][2];
        (void)stack;
        unsigned ptrs = 1u << s->bits;
        for (unsigned i0 = 0; i0 < ptrs; i0++) {
            uint64_t e0 = pt_get(s, mm->pgd, i0);
            if (!e0)
                continue;
            if (s->levels == 2) {
                uint64_t t = PTE_PFN(e0);
                pts++;
                VL_ASSERT(s->frames[t].kind == FR_PT);
                unsigned used = 0;
                for (unsigned i = 0; i < ptrs; i++) {
                    uint64_t e = pt_get(s, t, i);
                    used += e != 0;
                    if (pte_mapped(e) && PTE_PFN(e) != s->zero_pfn) {
                        maps[PTE_PFN(e)]++;
                        rss++;
                    }
                    if (e) {
                        uint64_t a = ((uint64_t)i0 << 22) | ((uint64_t)i << 12);
                        mm_vma_t *v = vma_tree_find(mm, a);
                        VL_ASSERT(v && v->start <= a);
                    }
                }
                VL_ASSERT(used == s->frames[t].used);
                continue;
            }
            uint64_t t1 = PTE_PFN(e0);
            pts++;
            for (unsigned i1 = 0; i1 < ptrs; i1++) {
                uint64_t e1 = pt_get(s, t1, i1);
                if (!e1)
                    continue;
                uint64_t t2 = PTE_PFN(e1);
                pts++;
                for (unsigned i2 = 0; i2 < ptrs; i2++) {
                    uint64_t e2 = pt_get(s, t2, i2);
                    if (!e2)
                        continue;
                    uint64_t t3 = PTE_PFN(e2);
                    pts++;
                    unsigned used = 0;
                    for (unsigned i = 0; i < ptrs; i++) {
                        uint64_t e = pt_get(s, t3, i);
                        used += e != 0;
                        if (pte_mapped(e) && PTE_PFN(e) != s->zero_pfn) {
                            maps[PTE_PFN(e)]++;
                            rss++;
                        }
                        if (e) {
                            uint64_t a = ((uint64_t)i0 << 39) | ((uint64_t)i1 << 30) | ((uint64_t)i2 << 21) |
                                         ((uint64_t)i << 12);
                            mm_vma_t *v = vma_tree_find(mm, a);
                            VL_ASSERT(v && v->start <= a);
                        }
                    }
                    VL_ASSERT(used == s->frames[t3].used);
                }
            }
        }
        VL_ASSERT(rss == mm->c.rss_anon + mm->c.rss_file + mm->c.rss_shmem);
        VL_ASSERT(pts == mm->c.pt_pages);
    }
    for (uint64_t p = 0; p < s->nframes; p++) {
        const mm_frame_t *f = &s->frames[p];
        VL_ASSERT(maps[p] == (f->kind == FR_ZERO ? 0 : f->mapcount));
        if (f->kind == FR_ANON || f->kind == FR_FILE || f->kind == FR_SHMEM)
            VL_ASSERT(f->refs >= f->mapcount && f->refs > 0 && f->lru != LRU_NONE);
    }
    free(maps);
}
