/* SPDX-License-Identifier: MIT */
/*
 * sim_pagemap.c - dense page ids and page-table accounting (see sim_pagemap.h).
 *
 * The map is the reader's hot loop (one lookup per reference, most of them
 * cache misses on a big trace), so it is laid out for memory-level
 * parallelism rather than for the instruction count of one lookup:
 *  - pagemap_ids hashes each key once, PM_AHEAD references before it is
 *    looked up, and prefetches its home slot then (group prefetching: Chen,
 *    Ailamaki, Gibbons, Mowry, "Improving hash join performance through
 *    prefetching", ICDE 2004), so dozens of misses are in flight at a time;
 *  - a key's home is the top bits of its hash, so doubling the table sends
 *    slot i to slot 2i or 2i+1: the rehash streams through both tables in
 *    order instead of scattering a miss per key;
 *  - the slot table lives in huge pages (env_big_alloc), so a random probe
 *    costs one cache miss and not also a TLB miss and a page walk.
 * None of that fits base/hashmap.h's vl_map (u64 keys, one call a lookup,
 * load <= 3/4, malloc'd slots): keys are (vpn, process) pairs, values 32-bit
 * ids, and the same insert-or-find through vl_map costs 2.0x a prefetched
 * table on one key stream (bench/map_bench.c; BENCHMARKS.md "## base").
 */
#include "base/vec.h"
#include "sim/sim_pagemap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/env.h"
#include "vmlab/hash.h"

#define PM_MIN_BITS 10 /* log2 of the first slot table */

/* Keys of process 0 below PM_DIRECT live in the direct table, never in the
 * slots; so no slot key is (0, 0), which is what an empty slot holds. */
static inline int pm_direct(uint32_t proc, uint64_t vpn)
{
    return proc == 0 && vpn < PM_DIRECT;
}

static size_t slots_bytes(uint64_t mask)
{
    return (size_t)(mask + 1) * sizeof(pagemap_slot_t);
}

/* The slot holding (proc, vpn), probing slot[] (mask + 1 slots) from i, or
 * else the empty slot that ends its probe sequence (id1 == 0).  The table
 * is never full. */
static inline __attribute__((always_inline)) pagemap_slot_t *
probe_at(pagemap_slot_t *slot, uint64_t mask, uint64_t i, uint32_t proc, uint64_t vpn)
{
    for (;; i = (i + 1) & mask) {
        pagemap_slot_t *s = &slot[i];
        if (s->vpn == vpn && s->proc == proc)
            return s;
        if (!s->id1)
            return s;
    }
}

/* probe_at from the home of hash h. */
static inline __attribute__((always_inline)) pagemap_slot_t *
probe(const pagemap_t *pm, uint64_t h, uint32_t proc, uint64_t vpn)
{
    return probe_at(pm->slot, pm->mask, h >> pm->shift, proc, vpn);
}

int pagemap_init(pagemap_t *pm, const sim_config_t *cfg)
{
    memset(pm, 0, sizeof *pm);
    pm->mask = (1u << PM_MIN_BITS) - 1;
    pm->shift = 64 - PM_MIN_BITS;
    pm->slot = env_big_alloc(slots_bytes(pm->mask));
    pm->direct = calloc(PM_DIRECT, sizeof *pm->direct);
    if (!pm->direct || !pm->slot)
        return -ENOMEM;
    pm->last_id = UINT32_MAX;
    pm->pt = cfg->pt;
    pm->page_bits = cfg->page_bits;
    if (pm->pt.pte_bytes == 0)
        pm->pt.pte_bytes = 8;
    if (pm->pt.kind != SIM_PT_NONE) {
        unsigned vb = pm->pt.va_bits - cfg->page_bits;
        pm->vpn_limit = vb >= 64 ? 0 : 1ull << vb;
    }
    if (pm->pt.kind == SIM_PT_MULTI) {
        pm->tab_mask = 255;
        pm->tab = calloc(pm->tab_mask + 1, sizeof *pm->tab);
        if (!pm->tab)
            return -ENOMEM;
    }
    return 0;
}

void pagemap_destroy(pagemap_t *pm)
{
    if (pm->slot)
        env_big_free(pm->slot, slots_bytes(pm->mask));
    free(pm->direct);
    free(pm->vpn);
    free(pm->proc);
    free(pm->pid);
    free(pm->proc_pages);
    free(pm->proc_ptb);
    free(pm->tab);
    memset(pm, 0, sizeof *pm);
}

/* Insert (proc, prefix) at `level` into the table set; 1 if it was new. */
static int tab_add(pagemap_t *pm, uint32_t proc, unsigned level, uint64_t prefix)
{
    uint64_t i;
    if ((pm->ntab + 1) * 2 > pm->tab_mask + 1) {
        uint64_t nmask = pm->tab_mask * 2 + 1;
        pagemap_tab_t *n = calloc(nmask + 1, sizeof *n);
        if (!n)
            return -ENOMEM;
        for (uint64_t j = 0; j <= pm->tab_mask; j++) {
            pagemap_tab_t *s = &pm->tab[j];
            if (!s->level1)
                continue;
            i = vl_hash_pair(s->prefix * 31 + s->level1, s->proc) & nmask;
            while (n[i].level1)
                i = (i + 1) & nmask;
            n[i] = *s;
        }
        free(pm->tab);
        pm->tab = n;
        pm->tab_mask = nmask;
    }
    i = vl_hash_pair(prefix * 31 + level + 1, proc) & pm->tab_mask;
    for (;;) {
        pagemap_tab_t *s = &pm->tab[i];
        if (!s->level1) {
            *s = (pagemap_tab_t){.prefix = prefix, .proc = proc, .level1 = level + 1};
            pm->ntab++;
            return 1;
        }
        if (s->prefix == prefix && s->proc == proc && s->level1 == level + 1)
            return 0;
        i = (i + 1) & pm->tab_mask;
    }
}

int pagemap_proc_slow(pagemap_t *pm, uint32_t pid, uint32_t *proc, diag_t *d)
{
    if (pm->nprocs && pid == pm->last_pid) {
        *proc = pm->last_proc;
        return 0;
    }
    for (uint32_t i = 0; i < pm->nprocs; i++)
        if (pm->pid[i] == pid) {
            pm->last_pid = pid;
            *proc = pm->last_proc = i;
            return 0;
        }
    if (pm->nprocs == pm->cap_procs) {
        /* Three arrays, one capacity: all grow to the same size or it fails. */
        size_t need = (size_t)pm->nprocs + 1;
        uint32_t c1 = pm->cap_procs, c2 = c1, c3 = c1;
        if (vl_grow32((void **)&pm->pid, &c1, need, sizeof *pm->pid) ||
            vl_grow32((void **)&pm->proc_pages, &c2, need, sizeof *pm->proc_pages) ||
            vl_grow32((void **)&pm->proc_ptb, &c3, need, sizeof *pm->proc_ptb))
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for %zu processes", need);
        pm->cap_procs = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    }
    uint32_t i = pm->nprocs++;
    pm->pid[i] = pid;
    pm->proc_pages[i] = 0;
    pm->proc_ptb[i] = 0;
    if (pm->pt.kind == SIM_PT_LINEAR) {
        unsigned b = pm->pt.va_bits - pm->page_bits;
        pm->proc_ptb[i] = b >= 58 ? UINT64_MAX : ((uint64_t)1 << b) * pm->pt.pte_bytes;
    } else if (pm->pt.kind == SIM_PT_MULTI) {
        int r = tab_add(pm, i, 0, 0);
        if (r < 0)
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for page tables");
        pm->proc_ptb[i] = ((uint64_t)1 << pm->pt.levels[0]) * pm->pt.pte_bytes;
    }
    pm->last_pid = pid;
    *proc = pm->last_proc = i;
    return 0;
}

/* Double the slot table.  Old slot i's keys have homes 2i or 2i+1 in the new
 * one, so walking the old table in order, from just past an empty slot (no
 * probe sequence runs across it), inserts in nearly increasing home order:
 * both tables are streamed, not probed at random. */
static int grow_slots(pagemap_t *pm)
{
    uint64_t nmask = pm->mask * 2 + 1;
    unsigned nshift = pm->shift - 1;
    pagemap_slot_t *n = env_big_alloc(slots_bytes(nmask));
    if (!n)
        return -ENOMEM;
    uint64_t e = 0;
    while (pm->slot[e].id1)
        e++;
    for (uint64_t k = 1; k <= pm->mask + 1; k++) {
        const pagemap_slot_t *s = &pm->slot[(e + k) & pm->mask];
        if (!s->id1)
            continue;
        uint64_t i = vl_hash_pair(s->vpn, s->proc) >> nshift;
        while (n[i].id1)
            i = (i + 1) & nmask;
        n[i] = *s;
    }
    env_big_free(pm->slot, slots_bytes(pm->mask));
    pm->slot = n;
    pm->mask = nmask;
    pm->shift = nshift;
    return 0;
}

/* A new page: count the page tables it makes the process allocate, from the
 * leaf level up, stopping at the first that exists (its ancestors do). */
static int new_page_tables(pagemap_t *pm, uint32_t proc, uint64_t vpn)
{
    unsigned below = 0;
    for (unsigned k = pm->pt.nlevels; k-- > 1;) {
        below += pm->pt.levels[k];
        int r = tab_add(pm, proc, k, below >= 64 ? 0 : vpn >> below);
        if (r < 0)
            return r;
        if (!r) /* the table exists, so do all above it */
            break;
        pm->proc_ptb[proc] += ((uint64_t)1 << pm->pt.levels[k]) * pm->pt.pte_bytes;
    }
    return 0;
}

/* The next id, for (proc, vpn) known to be new: checks, arrays, page
 * tables; the caller records it in a lookup structure (or not:
 * pagemap_append). */
static int new_id(pagemap_t *pm, uint32_t proc, uint64_t vpn, uint32_t *id, diag_t *d)
{
    if (pm->vpn_limit && vpn >= pm->vpn_limit)
        return diag_set(d, NULL, 0, ERANGE,
                        "address 0x%llx is beyond the %u-bit virtual address space of the page "
                        "table (expected addresses below 0x%llx)",
                        (unsigned long long)(vpn << pm->page_bits), pm->pt.va_bits,
                        (unsigned long long)(pm->vpn_limit << pm->page_bits));
    if (pm->npages == UINT32_MAX - 1)
        return diag_set(d, NULL, 0, ERANGE, "more than %u distinct pages", UINT32_MAX - 1);
    if (pm->npages == pm->cap) {
        /* Two arrays, one capacity. */
        uint32_t c1 = pm->cap, c2 = pm->cap;
        if (vl_grow32((void **)&pm->vpn, &c1, (size_t)pm->npages + 1, sizeof *pm->vpn) ||
            vl_grow32((void **)&pm->proc, &c2, (size_t)pm->npages + 1, sizeof *pm->proc))
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u pages", pm->npages + 1);
        pm->cap = c1 < c2 ? c1 : c2;
    }
    if (pm->pt.kind == SIM_PT_MULTI && new_page_tables(pm, proc, vpn))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for page tables");
    uint32_t n = pm->npages++;
    pm->vpn[n] = vpn;
    pm->proc[n] = proc;
    pm->proc_pages[proc]++;
    *id = n;
    return 0;
}

/* Hand (proc, vpn), which is in neither table, the next id; s is the empty
 * slot ending its probe sequence (unused for a direct key). */
static __attribute__((noinline)) int new_page(pagemap_t *pm, uint32_t proc, uint64_t vpn,
                                              pagemap_slot_t *s, uint32_t *id, diag_t *d)
{
    VL_ASSERT(pm->nunhashed == 0); /* appended pages would be given a second id */
    int direct = pm_direct(proc, vpn);
    if (!direct && ((uint64_t)pm->npages - pm->ndirect + 1) * 4 > (pm->mask + 1) * 3) {
        if (grow_slots(pm))
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for the page map");
        s = probe(pm, vl_hash_pair(vpn, proc), proc, vpn);
    }
    int rc = new_id(pm, proc, vpn, id, d);
    if (rc)
        return rc;
    if (direct) {
        pm->direct[vpn] = *id + 1;
        pm->ndirect++;
    } else {
        *s = (pagemap_slot_t){.vpn = vpn, .proc = proc, .id1 = *id + 1};
    }
    return 0;
}

int pagemap_append(pagemap_t *pm, uint32_t proc, uint64_t vpn, uint32_t *id, diag_t *d)
{
    VL_ASSERT(pm->npages == pm->nunhashed); /* nothing hashed before either */
    int rc = new_id(pm, proc, vpn, id, d);
    if (rc == 0)
        pm->nunhashed++;
    return rc;
}

/* The id of (proc, vpn) whose hash is h (unused for a direct key). */
static inline __attribute__((always_inline)) int lookup(pagemap_t *pm, uint64_t h, uint32_t proc,
                                                        uint64_t vpn, uint32_t *id, diag_t *d)
{
    pagemap_slot_t *s = NULL;
    if (pm_direct(proc, vpn)) {
        uint32_t x = pm->direct[vpn];
        if (__builtin_expect(x != 0, 1)) {
            *id = x - 1;
            return 0;
        }
    } else {
        s = probe(pm, h, proc, vpn);
        if (__builtin_expect(s->id1 != 0, 1)) {
            *id = s->id1 - 1;
            return 0;
        }
    }
    return new_page(pm, proc, vpn, s, id, d);
}

int pagemap_id(pagemap_t *pm, uint32_t proc, uint64_t vpn, uint32_t *id, diag_t *d)
{
    if (vpn == pm->last_vpn && proc == pm->last_vproc && pm->last_id != UINT32_MAX) {
        *id = pm->last_id;
        return 0;
    }
    int rc = lookup(pm, pm_direct(proc, vpn) ? 0 : vl_hash_pair(vpn, proc), proc, vpn, id, d);
    if (!rc) {
        pm->last_vpn = vpn;
        pm->last_vproc = proc;
        pm->last_id = *id;
    }
    return rc;
}

/* pagemap_ids for one process (multi 0: proc is NULL, all process 0) or
 * many; a separate copy of the loop for each.  The table's fields live in
 * locals (the compiler cannot know that the stores to ids[] leave them
 * alone), reloaded after new_page, which may grow the table. */
static inline __attribute__((always_inline)) int ids_loop(pagemap_t *pm, const uint32_t *proc,
                                                          const uint64_t *vpn, size_t n,
                                                          uint32_t *ids, diag_t *d, int multi)
{
    uint64_t h[PM_AHEAD]; /* hashes of the next PM_AHEAD references, a ring */
    const uint32_t *direct = pm->direct;
    pagemap_slot_t *slot = pm->slot;
    uint64_t mask = pm->mask;
    unsigned shift = pm->shift;
    /* the last page; lp UINT32_MAX (no process has that index) if none */
    uint64_t lv = pm->last_vpn;
    uint32_t lid = pm->last_id, lp = lid == UINT32_MAX ? UINT32_MAX : pm->last_vproc;
    size_t i;
    int rc = 0;
/* Hash reference j and start its home slot (or direct entry) on its way in. */
#define PM_AHEAD_ONE(j)                                                                        \
    do {                                                                                       \
        uint32_t p_ = multi ? proc[j] : 0;                                                     \
        uint64_t v_ = vpn[j];                                                                  \
        if (pm_direct(p_, v_)) {                                                               \
            __builtin_prefetch(&direct[v_]);                                                   \
        } else {                                                                               \
            h[(j) % PM_AHEAD] = vl_hash_pair(v_, p_);                                          \
            __builtin_prefetch(&slot[h[(j) % PM_AHEAD] >> shift]);                             \
        }                                                                                      \
    } while (0)
    for (i = 0; i < n && i < PM_AHEAD; i++)
        PM_AHEAD_ONE(i);
    for (i = 0; i < n; i++) {
        uint32_t p = multi ? proc[i] : 0, x;
        uint64_t v = vpn[i], hi = h[i % PM_AHEAD];
        if (i + PM_AHEAD < n)
            PM_AHEAD_ONE(i + PM_AHEAD);
        /* a run on one page (real traces) skips even the direct table */
        if (v == lv && p == lp) {
            ids[i] = lid;
            continue;
        }
        pagemap_slot_t *s = NULL;
        if (pm_direct(p, v)) {
            if (__builtin_expect((x = direct[v]) != 0, 1))
                goto found;
        } else {
            s = probe_at(slot, mask, hi >> shift, p, v);
            if (__builtin_expect((x = s->id1) != 0, 1))
                goto found;
        }
        if ((rc = new_page(pm, p, v, s, &ids[i], d)))
            break;
        slot = pm->slot;
        mask = pm->mask;
        shift = pm->shift;
        x = ids[i] + 1;
    found:
        ids[i] = lid = x - 1;
        lv = v;
        lp = p;
    }
#undef PM_AHEAD_ONE
    if (lp != UINT32_MAX) {
        pm->last_vpn = lv;
        pm->last_vproc = lp;
        pm->last_id = lid;
    }
    return rc;
}

int pagemap_ids(pagemap_t *pm, const uint32_t *proc, const uint64_t *vpn, size_t n, uint32_t *ids,
                diag_t *d)
{
    int rc = proc ? ids_loop(pm, proc, vpn, n, ids, d, 1) : ids_loop(pm, NULL, vpn, n, ids, d, 0);
    VL_DEBUG_CHECK(pagemap_check(pm));
    return rc;
}

void pagemap_check(const pagemap_t *pm)
{
    uint64_t used = 0, sum = 0;
    VL_ASSERT(pm->mask + 1 == (uint64_t)1 << (64 - pm->shift));
    for (uint64_t j = 0; j <= pm->mask; j++) {
        const pagemap_slot_t *s = &pm->slot[j];
        if (!s->id1) {
            VL_ASSERT(s->vpn == 0 && s->proc == 0);
            continue;
        }
        used++;
        VL_ASSERT(s->id1 - 1 < pm->npages);
        VL_ASSERT(pm->vpn[s->id1 - 1] == s->vpn && pm->proc[s->id1 - 1] == s->proc);
        VL_ASSERT(!pm_direct(s->proc, s->vpn));
        /* linear probing: no empty slot between a key's home and its slot */
        for (uint64_t i = vl_hash_pair(s->vpn, s->proc) >> pm->shift; i != j; i = (i + 1) & pm->mask)
            VL_ASSERT(pm->slot[i].id1 != 0);
    }
    VL_ASSERT(used + pm->ndirect + pm->nunhashed == pm->npages);
    VL_ASSERT(pm->nunhashed == 0 || used + pm->ndirect == 0);
    VL_ASSERT(used * 4 <= (pm->mask + 1) * 3);
    for (uint32_t p = 0; p < pm->npages; p++) {
        VL_ASSERT(pm->proc[p] < pm->nprocs);
        if (pm->nunhashed == 0 && pm_direct(pm->proc[p], pm->vpn[p]))
            VL_ASSERT(pm->direct[pm->vpn[p]] == p + 1);
    }
    for (uint32_t p = 0; p < pm->nprocs; p++)
        sum += pm->proc_pages[p];
    VL_ASSERT(sum == pm->npages);
    if (pm->last_id != UINT32_MAX)
        VL_ASSERT(pm->last_id < pm->npages && pm->vpn[pm->last_id] == pm->last_vpn &&
                  pm->proc[pm->last_id] == pm->last_vproc);
}
