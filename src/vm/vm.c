/* SPDX-License-Identifier: MIT */
/*
 * vm.c - the OSC virtual memory manager core (see include/vmlab/vm.h).
 *
 * Translation of one logical address (OSC 10th ed., figures 9.10 and 9.12):
 *   1. page = vaddr >> page_bits, offset = vaddr & (page_size - 1)
 *   2. TLB lookup; on a hit the frame is known (and, for LRU, the page is used)
 *   3. on a TLB miss, the page table; if the page is not resident, a page
 *      fault: take a free frame or a victim's (unmapping the victim from the
 *      page table and the TLB), read the page from the backing store
 *   4. fill the TLB (on every miss, or only on faults: osc_vm_tlb_fill_t)
 *   5. paddr = frame * page_size + offset; value = the signed byte there
 */
#include "base/vec.h"
#include "vmlab/vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm/frame_table.h"
#include "vm/page_table.h"
#include "vm/tlb.h"
#include "vmlab/check.h"
#include "vmlab/parse.h"

struct osc_vm {
    osc_vm_config_t cfg;    /* validated configuration */
    uint32_t npages;    /* 2^(addr_bits - page_bits) */
    uint32_t page_size; /* 2^page_bits */
    osc_tlb_t tlb;          /* the TLB */
    osc_page_table_t pt;    /* one entry per virtual page */
    osc_frame_table_t ft;   /* who holds each frame */
    uint8_t *mem;       /* physical memory, frames * page_size bytes */
    uint8_t *scratch;   /* one page: a fault reads here first, so a failed
                           read leaves every frame and table untouched */
    osc_vm_read_fn read;    /* backing store */
    void *read_ctx;     /* its context */
    osc_vm_stats_t stats;   /* counters so far */
};

osc_vm_config_t osc_vm_config_default(void)
{
    return (osc_vm_config_t){
        .addr_bits = 16,
        .page_bits = 8,
        .frames = 256,
        .policy = OSC_VM_FIFO,
        .tlb_entries = 16,
        .tlb_policy = OSC_VM_FIFO,
        .tlb_fill = OSC_VM_TLB_FILL_MISS,
        .lru_touch_tlb_hits = 1,
    };
}

int osc_vm_config_validate(const osc_vm_config_t *c, diag_t *d)
{
    uint32_t npages;
    if (c->addr_bits < 1 || c->addr_bits > 24)
        return diag_set(d, NULL, 0, EINVAL, "address width %u bits is not supported (expected 1..24)",
                        c->addr_bits);
    if (c->page_bits >= c->addr_bits)
        return diag_set(d, NULL, 0, EINVAL,
                        "page size 2^%u is not smaller than the %u-bit address space", c->page_bits,
                        c->addr_bits);
    npages = 1u << (c->addr_bits - c->page_bits);
    if (c->frames < 1 || c->frames > npages)
        return diag_set(d, NULL, 0, EINVAL,
                        "%u frames is out of range (expected 1..%u, the number of pages)", c->frames,
                        npages);
    if (c->tlb_entries < 1 || c->tlb_entries > 4096)
        return diag_set(d, NULL, 0, EINVAL, "TLB size %u is out of range (expected 1..4096)",
                        c->tlb_entries);
    return 0;
}

int osc_vm_new(osc_vm_t **out, const osc_vm_config_t *cfg, osc_vm_read_fn read, void *read_ctx, diag_t *d)
{
    int rc = osc_vm_config_validate(cfg, d);
    osc_vm_t *vm;
    if (rc)
        return rc;
    vm = calloc(1, sizeof *vm);
    if (!vm)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    vm->cfg = *cfg;
    vm->page_size = 1u << cfg->page_bits;
    vm->npages = 1u << (cfg->addr_bits - cfg->page_bits);
    vm->read = read;
    vm->read_ctx = read_ctx;
    vm->mem = calloc(cfg->frames, vm->page_size);
    vm->scratch = malloc(vm->page_size);
    if (!vm->mem || !vm->scratch || osc_tlb_init(&vm->tlb, cfg->tlb_entries, cfg->tlb_policy == OSC_VM_LRU ? OSC_TLB_LRU : OSC_TLB_FIFO) ||
        osc_page_table_init(&vm->pt, vm->npages) ||
        osc_frame_table_init(&vm->ft, cfg->frames, cfg->policy == OSC_VM_LRU ? OSC_FRAME_LRU : OSC_FRAME_FIFO)) {
        osc_vm_free(vm);
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    }
    *out = vm;
    return 0;
}

void osc_vm_free(osc_vm_t *vm)
{
    if (!vm)
        return;
    osc_tlb_destroy(&vm->tlb);
    osc_page_table_destroy(&vm->pt);
    osc_frame_table_destroy(&vm->ft);
    free(vm->mem);
    free(vm->scratch);
    free(vm);
}

/* Page fault: find a frame for `page`, evicting if needed, and read it in. */
static int osc_vm_fault(osc_vm_t *vm, uint32_t page, osc_vm_event_t *ev)
{
    int64_t victim;
    uint32_t frame = osc_frame_table_pick(&vm->ft, &victim);
    uint64_t off = (uint64_t)page * vm->page_size;
    int rc = vm->read(vm->read_ctx, off, vm->scratch, vm->page_size);
    if (rc)
        return rc;
    memcpy(vm->mem + (size_t)frame * vm->page_size, vm->scratch, vm->page_size);
    ev->victim_page = victim;
    ev->store_offset = off;
    if (victim >= 0) {
        osc_page_table_unmap(&vm->pt, (uint32_t)victim);
        ev->victim_in_tlb = osc_tlb_invalidate(&vm->tlb, (uint32_t)victim);
        vm->stats.evictions++;
    }
    osc_frame_table_load(&vm->ft, frame, page);
    osc_page_table_map(&vm->pt, page, frame);
    vm->stats.page_faults++;
    ev->page_fault = 1;
    ev->frame = frame;
    return 0;
}

int osc_vm_access(osc_vm_t *vm, uint32_t vaddr, osc_vm_event_t *evp)
{
    osc_vm_event_t ev_local, *ev = evp ? evp : &ev_local;
    uint32_t page, frame;
    int slot, rc;

    if (vaddr >> vm->cfg.addr_bits)
        return -ERANGE;
    memset(ev, 0, sizeof *ev);
    ev->vaddr = vaddr;
    ev->page = page = vaddr >> vm->cfg.page_bits;
    ev->offset = vaddr & (vm->page_size - 1);
    ev->victim_page = ev->tlb_evicted = -1;

    slot = osc_tlb_lookup(&vm->tlb, page);
    if (slot >= 0) {
        ev->tlb_hit = 1;
        ev->frame = frame = vm->tlb.e[slot].frame;
        vm->stats.tlb_hits++;
        if (vm->cfg.lru_touch_tlb_hits)
            osc_frame_table_touch(&vm->ft, frame);
    } else {
        if (osc_page_table_lookup(&vm->pt, page, &frame) == 0) {
            ev->frame = frame;
            osc_frame_table_touch(&vm->ft, frame);
        } else {
            rc = osc_vm_fault(vm, page, ev);
            if (rc)
                return rc;
            frame = ev->frame;
        }
        if (vm->cfg.tlb_fill == OSC_VM_TLB_FILL_MISS || ev->page_fault) {
            osc_tlb_insert(&vm->tlb, page, frame, &ev->tlb_evicted);
            ev->tlb_filled = 1;
        }
    }
    ev->paddr = frame * vm->page_size + ev->offset;
    ev->value = (int8_t)vm->mem[ev->paddr];
    vm->stats.translated++;
    VL_DEBUG_CHECK(osc_vm_check(vm));
    return 0;
}

osc_vm_stats_t osc_vm_stats(const osc_vm_t *vm)
{
    return vm->stats;
}

void osc_vm_check(const osc_vm_t *vm)
{
    osc_tlb_check(&vm->tlb);
    osc_page_table_check(&vm->pt);
    osc_frame_table_check(&vm->ft);
    VL_ASSERT(vm->pt.nvalid == vm->ft.nused);
    for (uint32_t f = 0; f < vm->ft.nused; f++) {
        uint32_t p = vm->ft.f[f].page;
        VL_ASSERT(p < vm->npages && vm->pt.pte[p].valid && vm->pt.pte[p].frame == f);
    }
    for (unsigned i = 0; i < vm->tlb.n; i++) {
        const osc_tlb_entry_t *e = &vm->tlb.e[i];
        if (e->valid)
            VL_ASSERT(vm->pt.pte[e->page].valid && vm->pt.pte[e->page].frame == e->frame);
    }
    VL_ASSERT(vm->stats.tlb_hits <= vm->stats.translated);
    VL_ASSERT(vm->stats.page_faults == vm->ft.nused + vm->stats.evictions);
}

int osc_vm_parse_addresses(const char *path, const char *text, size_t len, unsigned addr_bits,
                       uint32_t **addrs, size_t *n, diag_t *d)
{
    size_t cap = 1024, count = 0;
    unsigned long lineno = 0;
    const char *p = text, *end = text + len;
    uint64_t limit = (uint64_t)1 << addr_bits;
    uint32_t *a = malloc(cap * sizeof *a);
    if (!a)
        return diag_set(d, path, 0, ENOMEM, "out of memory");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;
        size_t l = (size_t)((nl ? nl : end) - p);
        uint64_t v;
        int rc;
        p = nl ? nl + 1 : end;
        lineno++;
        parse_trim(&s, &l);
        if (l == 0)
            continue;
        rc = parse_u64_dec(s, l, &v);
        if (rc == -EINVAL) {
            free(a);
            return diag_set(d, path, lineno, EINVAL,
                            "'%.*s' is not a number (expected a decimal logical address 0..%ju)",
                            (int)(l > 40 ? 40 : l), s, (uintmax_t)(limit - 1));
        }
        if (rc == -ERANGE || v >= limit) {
            free(a);
            return diag_set(d, path, lineno, ERANGE,
                            "address %.*s is out of range (expected 0..%ju, a %u-bit address)",
                            (int)(l > 40 ? 40 : l), s, (uintmax_t)(limit - 1), addr_bits);
        }
        if (count == cap && vl_grow((void **)&a, &cap, count + 1, sizeof *a)) {
            free(a);
            return diag_set(d, path, lineno, ENOMEM, "out of memory");
        }
        a[count++] = (uint32_t)v;
    }
    *addrs = a;
    *n = count;
    return 0;
}
