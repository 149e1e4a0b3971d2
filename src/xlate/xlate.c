/* SPDX-License-Identifier: MIT */
/*
 * xlate.c - the four translation machines of OSTEP's homework and the TLB in
 * front of the paged ones (see include/vmlab/xlate.h).
 *
 * Base and bounds (OSTEP ch. 15): pa = base + va when va < limit.
 * Segmentation (ch. 16): the top log2(nsegs) bits pick a segment; a segment
 * growing up maps offset o to base + o when o < limit; one growing down
 * (segmentation.py's segment 1) maps o to base - (segsize - o) when
 * segsize - o <= limit, base being one past its highest byte.
 * Linear table (ch. 18): pa = (PFN(pt[vpn]) << page_bits) | offset.
 * Multi-level (ch. 20): from the frame pdbr, each level reads the entry at
 * (frame << page_bits) + index * pte_bytes, whose PFN is the next level's
 * frame; the last level's PFN is the page's.
 * TLB (ch. 19): fully associative, LRU by a use stamp, VPN -> PFN, filled
 * after a successful walk; a hit makes no walk.
 */
#include "vmlab/xlate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { XL_MAX_MEM = 1u << 30, XL_MAX_PTE = 1u << 26 };

static int is_pow2(uint64_t v) { return v && !(v & (v - 1)); }
static unsigned log2u(uint64_t v) { return (unsigned)__builtin_ctzll(v); }

void xl_problem_init(xl_problem_t *p, xl_model_t model)
{
    memset(p, 0, sizeof *p);
    p->model = model;
    switch (model) {
    case XL_BOUNDS:
    case XL_SEG:
        p->asize = 1024;
        p->psize = 16384;
        break;
    case XL_LINEAR:
        p->asize = 16384;
        p->psize = 65536;
        p->page_size = 4096;
        p->pte_bytes = 4;
        break;
    case XL_MULTI:
        p->asize = 32768;
        p->psize = 4096;
        p->page_size = 32;
        p->pte_bytes = 1;
        break;
    }
    /* Registers not given yet (UINT64_MAX): the generator draws them. */
    p->limit = UINT64_MAX;
    p->base = UINT64_MAX;
    for (unsigned i = 0; i < XL_MAX_SEGS; i++)
        p->seg[i] = (xl_seg_t){.base = UINT64_MAX, .limit = UINT64_MAX, .down = 0,
                               .prot = XL_READ | XL_WRITE};
}

void xl_problem_free(xl_problem_t *p)
{
    free(p->pt);
    free(p->mem);
    free(p->addr);
    memset(p, 0, sizeof *p);
}

int xl_problem_add(xl_problem_t *p, uint64_t va, unsigned access, unsigned long line)
{
    if (p->naddr == p->addr_cap) {
        size_t cap = p->addr_cap ? p->addr_cap * 2 : 16;
        xl_addr_t *n;
        if (cap > SIZE_MAX / sizeof *n || !(n = realloc(p->addr, cap * sizeof *n)))
            return -ENOMEM;
        p->addr = n;
        p->addr_cap = cap;
    }
    p->addr[p->naddr++] = (xl_addr_t){.va = va, .access = access ? access : XL_READ, .line = line};
    return 0;
}

int xl_problem_alloc(xl_problem_t *p, diag_t *d)
{
    if (p->model == XL_MULTI && !p->mem) {
        if (p->psize > XL_MAX_MEM)
            return diag_set(d, "", 0, EDOM, "physical memory of %llu bytes is too big for a "
                            "memory image (expected at most 1g)", (unsigned long long)p->psize);
        if (!(p->mem = calloc(1, p->psize ? p->psize : 1)))
            return diag_set(d, "", 0, ENOMEM, "out of memory for a %llu-byte memory image",
                            (unsigned long long)p->psize);
    }
    if (p->model == XL_LINEAR && !p->pt) {
        uint64_t n = p->page_size ? p->asize / p->page_size : 0;
        if (n > XL_MAX_PTE)
            return diag_set(d, "", 0, EDOM, "%llu page-table entries are too many "
                            "(expected at most 2^26)", (unsigned long long)n);
        if (!(p->pt = calloc(n ? n : 1, sizeof *p->pt)))
            return diag_set(d, "", 0, ENOMEM, "out of memory for %llu page-table entries",
                            (unsigned long long)n);
    }
    return 0;
}

static int pow2_or(diag_t *d, const char *file, const char *what, uint64_t v)
{
    if (is_pow2(v))
        return 0;
    return diag_set(d, file, 0, EDOM, "%s %llu is not a power of two (expected e.g. 4096)", what,
                    (unsigned long long)v);
}

int xl_problem_check(xl_problem_t *p, const char *file, diag_t *d)
{
    int rc;
    if ((rc = pow2_or(d, file, "address-space size", p->asize)))
        return rc;
    if (p->asize > (1ull << 62) || p->psize == 0 || p->psize > (1ull << 62))
        return diag_set(d, file, 0, EDOM, "sizes must be in 1..2^62 (address space %llu, "
                        "physical memory %llu)", (unsigned long long)p->asize,
                        (unsigned long long)p->psize);
    if (p->model == XL_SEG) {
        if (p->nsegs == 0)
            p->nsegs = 2;
        if ((rc = pow2_or(d, file, "segment count", p->nsegs)))
            return rc;
        if (p->nsegs > XL_MAX_SEGS || p->nsegs > p->asize)
            return diag_set(d, file, 0, EDOM, "%u segments (expected at most 16 and at most "
                            "the address-space size)", p->nsegs);
    }
    if (p->model == XL_LINEAR || p->model == XL_MULTI) {
        if ((rc = pow2_or(d, file, "page size", p->page_size)))
            return rc;
        if (p->page_size > p->asize)
            return diag_set(d, file, 0, EDOM, "page size %llu exceeds the address space %llu",
                            (unsigned long long)p->page_size, (unsigned long long)p->asize);
        if (p->pte_bytes != 1 && p->pte_bytes != 2 && p->pte_bytes != 4 && p->pte_bytes != 8)
            return diag_set(d, file, 0, EDOM, "entry size %u (expected 1, 2, 4 or 8 bytes)",
                            p->pte_bytes);
        if (p->model == XL_MULTI && p->pte_bytes > p->page_size)
            return diag_set(d, file, 0, EDOM, "an entry of %u bytes exceeds the %llu-byte page",
                            p->pte_bytes, (unsigned long long)p->page_size);
    }
    if (p->model == XL_MULTI) {
        unsigned vpn_bits = log2u(p->asize) - log2u(p->page_size);
        unsigned per = log2u(p->page_size / p->pte_bytes), sum = 0;
        if (p->psize % p->page_size)
            return diag_set(d, file, 0, EDOM, "physical memory %llu is not a multiple of the "
                            "page size %llu", (unsigned long long)p->psize,
                            (unsigned long long)p->page_size);
        if (vpn_bits == 0) /* a table indexed by no bits: no level could be written down */
            return diag_set(d, file, 0, EDOM, "the address space %llu is a single page (expected "
                            "a multi-level problem to have at least two pages)",
                            (unsigned long long)p->asize);
        if (p->nlevels == 0) { /* the root takes what is left over */
            unsigned n = per == 0 ? vpn_bits : (vpn_bits + per - 1) / per;
            if (per == 0 || n > XL_MAX_LEVELS)
                return diag_set(d, file, 0, EDOM, "%u VPN bits need more than %d levels of "
                                "%u bits", vpn_bits, XL_MAX_LEVELS, per);
            p->nlevels = n;
            for (unsigned i = 0; i < n; i++)
                p->level_bits[i] = per;
            p->level_bits[0] = vpn_bits - per * (n - 1);
        }
        for (unsigned i = 0; i < p->nlevels; i++) {
            if (p->level_bits[i] > per)
                return diag_set(d, file, 0, EDOM, "level %u has %u index bits but a %llu-byte "
                                "table page holds %u entries (expected at most %u bits)", i,
                                p->level_bits[i], (unsigned long long)p->page_size,
                                1u << per, per);
            sum += p->level_bits[i];
        }
        if (sum != vpn_bits)
            return diag_set(d, file, 0, EDOM, "levels cover %u bits but the VPN has %u (address "
                            "space %llu, page %llu)", sum, vpn_bits,
                            (unsigned long long)p->asize, (unsigned long long)p->page_size);
    }
    if (p->model == XL_BOUNDS && p->base != UINT64_MAX && p->limit != UINT64_MAX &&
        (p->limit > p->asize || p->base > p->psize || p->limit > p->psize - p->base))
        return diag_set(d, file, 0, EDOM, "base %llu + limit %llu do not fit the address space "
                        "%llu and physical memory %llu", (unsigned long long)p->base,
                        (unsigned long long)p->limit, (unsigned long long)p->asize,
                        (unsigned long long)p->psize);
    for (unsigned i = 0; p->model == XL_SEG && i < p->nsegs; i++) {
        const xl_seg_t *s = &p->seg[i];
        uint64_t segsize = p->asize / p->nsegs;
        if (s->limit == UINT64_MAX || s->base == UINT64_MAX)
            continue; /* not drawn yet (xl_generate) */
        if (s->limit > segsize || s->base > p->psize ||
            (s->down ? s->limit > s->base : s->limit > p->psize - s->base))
            return diag_set(d, file, 0, EDOM, "segment %u (base %llu, limit %llu, grows %s) does "
                            "not fit its %llu-byte part of the address space or the %llu-byte "
                            "memory", i, (unsigned long long)s->base,
                            (unsigned long long)s->limit, s->down ? "down" : "up",
                            (unsigned long long)segsize, (unsigned long long)p->psize);
    }
    for (size_t i = 0; i < p->naddr; i++)
        if (p->addr[i].va >= p->asize)
            return diag_set(d, file, p->addr[i].line, EDOM, "virtual address 0x%llx is wider "
                            "than the address space (expected below 0x%llx)",
                            (unsigned long long)p->addr[i].va, (unsigned long long)p->asize);
    return xl_problem_alloc(p, d);
}

int xl_model_parse(const char *s)
{
    static const char *const names[] = {"bounds", "seg", "linear", "multi"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *xl_model_name(xl_model_t m)
{
    static const char *const names[] = {"bounds", "seg", "linear", "multi"};
    return (unsigned)m < 4 ? names[m] : "?";
}

const char *xl_fault_name(xl_fault_t f)
{
    switch (f) {
    case XL_OK: return "none";
    case XL_FAULT_BOUNDS: return "segmentation violation";
    case XL_FAULT_SEG: return "segmentation violation";
    case XL_FAULT_PROT: return "protection fault";
    case XL_FAULT_INVALID: return "invalid page";
    case XL_FAULT_FRAME: return "frame outside physical memory";
    }
    return "?";
}

/* ---- TLB --------------------------------------------------------------- */

struct xl_tlb {
    unsigned n;      /* entries */
    unsigned used;   /* entries filled, <= n */
    uint64_t clock;  /* use counter */
    uint64_t *vpn;   /* entry -> VPN */
    uint64_t *pfn;   /* entry -> PFN */
    uint64_t *stamp; /* entry -> last use (LRU: the smallest goes) */
};

xl_tlb_t *xl_tlb_new(unsigned entries)
{
    xl_tlb_t *t = calloc(1, sizeof *t);
    if (!t || entries == 0)
        goto fail;
    t->n = entries;
    t->vpn = calloc(entries, sizeof *t->vpn);
    t->pfn = calloc(entries, sizeof *t->pfn);
    t->stamp = calloc(entries, sizeof *t->stamp);
    if (t->vpn && t->pfn && t->stamp)
        return t;
fail:
    xl_tlb_free(t);
    return NULL;
}

void xl_tlb_free(xl_tlb_t *t)
{
    if (!t)
        return;
    free(t->vpn);
    free(t->pfn);
    free(t->stamp);
    free(t);
}

static int tlb_lookup(xl_tlb_t *t, uint64_t vpn, uint64_t *pfn)
{
    for (unsigned i = 0; i < t->used; i++)
        if (t->vpn[i] == vpn) {
            t->stamp[i] = ++t->clock;
            *pfn = t->pfn[i];
            return 1;
        }
    return 0;
}

static void tlb_fill(xl_tlb_t *t, uint64_t vpn, uint64_t pfn)
{
    unsigned v = 0;
    if (t->used < t->n)
        v = t->used++;
    else
        for (unsigned i = 1; i < t->n; i++)
            if (t->stamp[i] < t->stamp[v])
                v = i;
    t->vpn[v] = vpn;
    t->pfn[v] = pfn;
    t->stamp[v] = ++t->clock;
}

/* ---- translation --------------------------------------------------------- */

static uint64_t read_entry(const uint8_t *mem, uint64_t at, unsigned bytes)
{
    uint64_t e = 0;
    for (unsigned i = bytes; i-- > 0;)
        e = e << 8 | mem[at + i];
    return e;
}

static void finish_page(const xl_problem_t *p, xl_result_t *r, uint64_t pfn)
{
    unsigned pb = log2u(p->page_size);
    if (pfn >= (p->psize >> pb)) {
        r->fault = XL_FAULT_FRAME;
        return;
    }
    r->valid = 1;
    r->pa = pfn << pb | r->offset;
    if (p->model == XL_MULTI) {
        r->has_value = 1;
        r->value = p->mem[r->pa];
    }
}

static void walk_linear(const xl_problem_t *p, xl_result_t *r)
{
    uint64_t e = r->vpn < p->npte ? p->pt[r->vpn] : 0;
    uint64_t vbit = 1ull << (8 * p->pte_bytes - 1);
    xl_step_t *s = &r->step[r->nsteps++];
    s->index = r->vpn;
    s->entry_addr = p->ptbr + r->vpn * p->pte_bytes;
    s->entry = e;
    s->valid = (e & vbit) != 0;
    s->frame = e & (vbit - 1);
    if (!s->valid)
        r->fault = XL_FAULT_INVALID;
}

static void walk_multi(const xl_problem_t *p, xl_result_t *r)
{
    unsigned pb = log2u(p->page_size), below = 0;
    uint64_t frame = p->pdbr, vbit = 1ull << (8 * p->pte_bytes - 1);
    for (unsigned i = 0; i < p->nlevels; i++)
        below += p->level_bits[i];
    for (unsigned i = 0; i < p->nlevels; i++) {
        xl_step_t *s = &r->step[r->nsteps];
        below -= p->level_bits[i];
        s->index = (r->vpn >> below) & ((1ull << p->level_bits[i]) - 1);
        if (frame >= (p->psize >> pb)) { /* the table itself is outside memory */
            r->fault = XL_FAULT_FRAME;
            return;
        }
        s->entry_addr = (frame << pb) + s->index * p->pte_bytes;
        s->entry = read_entry(p->mem, s->entry_addr, p->pte_bytes);
        s->valid = (s->entry & vbit) != 0;
        s->frame = s->entry & (vbit - 1);
        r->nsteps++;
        if (!s->valid) {
            r->fault = XL_FAULT_INVALID;
            return;
        }
        frame = s->frame;
    }
}

void xl_translate(const xl_problem_t *p, xl_tlb_t *tlb, const xl_addr_t *a, xl_result_t *r)
{
    memset(r, 0, sizeof *r);
    r->va = a->va;
    r->tlb = -1;
    if (p->model == XL_BOUNDS) {
        r->offset = a->va;
        if (a->va >= p->limit) {
            r->fault = XL_FAULT_BOUNDS;
            return;
        }
        r->valid = 1;
        r->pa = p->base + a->va;
        return;
    }
    if (p->model == XL_SEG) {
        uint64_t segsize = p->asize / p->nsegs;
        const xl_seg_t *s;
        r->seg = (unsigned)(a->va / segsize);
        r->offset = a->va % segsize;
        s = &p->seg[r->seg];
        if (s->down ? segsize - r->offset > s->limit : r->offset >= s->limit) {
            r->fault = XL_FAULT_SEG;
            return;
        }
        if (!(s->prot & a->access)) {
            r->fault = XL_FAULT_PROT;
            return;
        }
        r->valid = 1;
        r->pa = s->down ? s->base - (segsize - r->offset) : s->base + r->offset;
        return;
    }
    unsigned pb = log2u(p->page_size);
    uint64_t pfn;
    r->vpn = a->va >> pb;
    r->offset = a->va & (p->page_size - 1);
    if (tlb) {
        r->tlb = tlb_lookup(tlb, r->vpn, &pfn);
        if (r->tlb) {
            finish_page(p, r, pfn);
            return;
        }
    }
    if (p->model == XL_LINEAR)
        walk_linear(p, r);
    else
        walk_multi(p, r);
    if (r->fault)
        return;
    pfn = r->step[r->nsteps - 1].frame;
    finish_page(p, r, pfn);
    if (tlb && r->valid)
        tlb_fill(tlb, r->vpn, pfn);
}
