/* SPDX-License-Identifier: MIT */
/*
 * pgtable.c - x86 page tables in frames from the buddy allocator: x86-64's
 * four levels (PGD, PUD, PMD, PTE: 9 bits each, 8-byte entries, 48-bit
 * addresses) and i386's two (PGD, PTE: 10 bits each, 4-byte entries), as the
 * Intel SDM vol. 3A ch. 4 (4.3 32-bit paging, 4.5 4-level paging) lays them
 * out.  Entries carry P, R/W, U/S, A, D (and NX on x86-64); an upper entry is
 * the kernel's _PAGE_TABLE (P|RW|US|A|D) over the next table's frame.
 *
 * A table's frame keeps `used`, its non-zero entries, so that munmap frees a
 * table once it is empty (then its parent's entry is cleared, upward).
 */
#include <string.h>

#include "mm/mm_impl.h"

uint64_t pt_get(const mm_sys_t *s, uint64_t table, unsigned i)
{
    const void *a = s->frames[table].addr;
    return s->esize == 8 ? ((const uint64_t *)a)[i] : ((const uint32_t *)a)[i];
}

void pt_set(mm_sys_t *s, uint64_t table, unsigned i, uint64_t e)
{
    mm_frame_t *f = &s->frames[table];
    uint64_t old = pt_get(s, table, i);
    if (s->esize == 8)
        ((uint64_t *)f->addr)[i] = e;
    else
        ((uint32_t *)f->addr)[i] = (uint32_t)e;
    f->used += (e != 0) - (old != 0);
}

unsigned pt_index(const mm_sys_t *s, uint64_t addr, unsigned level)
{
    unsigned shift = 12 + s->bits * (s->levels - 1 - level);
    return (unsigned)((addr >> shift) & ((1u << s->bits) - 1));
}

int pt_alloc_table(mm_sys_t *s, uint64_t *pfn)
{
    int rc = mm_frame_alloc(s, FR_PT, pfn);
    if (rc < 0)
        return rc;
    memset(s->frames[*pfn].addr, 0, KMEM_PAGE_SIZE);
    s->frames[*pfn].used = 0;
    return 0;
}

void pt_free_table(mm_sys_t *s, uint64_t pfn)
{
    mm_frame_t *f = &s->frames[pfn];
    VL_ASSERT(f->kind == FR_PT && f->used == 0);
    f->kind = FR_FREE;
    kmem_free_pages(s->km, kmem_pfn_to_page(s->km, pfn), 0);
}

int pt_leaf(mm_mm_t *mm, uint64_t addr, int alloc, uint64_t *table, unsigned *idx)
{
    mm_sys_t *s = mm->sys;
    uint64_t t = mm->pgd;
    for (unsigned l = 0; l + 1 < s->levels; l++) {
        unsigned i = pt_index(s, addr, l);
        uint64_t e = pt_get(s, t, i);
        if (!(e & PTE_P)) {
            if (!alloc)
                return 0;
            uint64_t n;
            int rc = pt_alloc_table(s, &n);
            if (rc < 0)
                return rc;
            mm->c.pt_pages++;
            e = (n << 12) | PTE_TABLE;
            pt_set(s, t, i, e);
        }
        t = PTE_PFN(e);
    }
    *table = t;
    *idx = pt_index(s, addr, s->levels - 1);
    return 1;
}

void pt_prune(mm_mm_t *mm, uint64_t addr)
{
    mm_sys_t *s = mm->sys;
    uint64_t path[4];
    unsigned idx[4];
    uint64_t t = mm->pgd;
    unsigned n = 0;
    for (unsigned l = 0; l + 1 < s->levels; l++) {
        unsigned i = pt_index(s, addr, l);
        uint64_t e = pt_get(s, t, i);
        if (!(e & PTE_P))
            return;
        path[n] = t;
        idx[n++] = i;
        t = PTE_PFN(e);
    }
    /* t is the leaf table; free upward while empty (never the PGD). */
    while (n > 0 && s->frames[t].used == 0) {
        n--;
        pt_set(s, path[n], idx[n], 0);
        pt_free_table(s, t);
        mm->c.pt_pages--;
        t = path[n];
    }
}
