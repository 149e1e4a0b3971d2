/*
 * sim_pagemap.c - dense page ids and page-table accounting (see sim_pagemap.h).
 */
#include "sim/sim_pagemap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"

#define pm_hash pagemap_hash

int pagemap_init(pagemap_t *pm, const sim_config_t *cfg)
{
    memset(pm, 0, sizeof *pm);
    pm->mask = 1023;
    pm->slot = calloc(pm->mask + 1, sizeof *pm->slot);
    pm->direct = calloc(PM_DIRECT, sizeof *pm->direct);
    if (!pm->direct)
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
    return pm->slot ? 0 : -ENOMEM;
}

void pagemap_destroy(pagemap_t *pm)
{
    free(pm->slot);
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
        pagemap_slot_t *n = calloc(nmask + 1, sizeof *n);
        if (!n)
            return -ENOMEM;
        for (uint64_t j = 0; j <= pm->tab_mask; j++) {
            pagemap_slot_t *s = &pm->tab[j];
            if (!s->id1)
                continue;
            i = pm_hash(s->vpn * 31 + s->id1, s->proc) & nmask;
            while (n[i].id1)
                i = (i + 1) & nmask;
            n[i] = *s;
        }
        free(pm->tab);
        pm->tab = n;
        pm->tab_mask = nmask;
    }
    i = pm_hash(prefix * 31 + level + 1, proc) & pm->tab_mask;
    for (;;) {
        pagemap_slot_t *s = &pm->tab[i];
        if (!s->id1) {
            *s = (pagemap_slot_t){.vpn = prefix, .proc = proc, .id1 = level + 1};
            pm->ntab++;
            return 1;
        }
        if (s->vpn == prefix && s->proc == proc && s->id1 == level + 1)
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
        uint32_t nc = pm->cap_procs ? pm->cap_procs * 2 : 8;
        uint32_t *p = realloc(pm->pid, nc * sizeof *p);
        if (p)
            pm->pid = p;
        uint64_t *a = realloc(pm->proc_pages, nc * sizeof *a);
        if (a)
            pm->proc_pages = a;
        uint64_t *b = realloc(pm->proc_ptb, nc * sizeof *b);
        if (b)
            pm->proc_ptb = b;
        if (!p || !a || !b)
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u processes", nc);
        pm->cap_procs = nc;
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

static int grow_slots(pagemap_t *pm)
{
    uint64_t nmask = pm->mask * 2 + 1;
    pagemap_slot_t *n = calloc(nmask + 1, sizeof *n);
    if (!n)
        return -ENOMEM;
    for (uint64_t j = 0; j <= pm->mask; j++) {
        pagemap_slot_t *s = &pm->slot[j];
        if (!s->id1)
            continue;
        uint64_t i = pm_hash(s->vpn, s->proc) & nmask;
        while (n[i].id1)
            i = (i + 1) & nmask;
        n[i] = *s;
    }
    free(pm->slot);
    pm->slot = n;
    pm->mask = nmask;
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
 * tables and the last-page cache; the caller records it in a lookup
 * structure (or not: pagemap_append). */
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
        uint32_t nc = pm->cap ? (pm->cap > UINT32_MAX / 2 ? UINT32_MAX : pm->cap * 2) : 1024;
        uint64_t *v = realloc(pm->vpn, (size_t)nc * sizeof *v);
        if (v)
            pm->vpn = v;
        uint32_t *p = realloc(pm->proc, (size_t)nc * sizeof *p);
        if (p)
            pm->proc = p;
        if (!v || !p)
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u pages", nc);
        pm->cap = nc;
    }
    if (pm->pt.kind == SIM_PT_MULTI && new_page_tables(pm, proc, vpn))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for page tables");
    uint32_t n = pm->npages++;
    pm->vpn[n] = vpn;
    pm->proc[n] = proc;
    pm->proc_pages[proc]++;
    pm->last_vpn = vpn;
    pm->last_vproc = proc;
    *id = pm->last_id = n;
    return 0;
}

int pagemap_id_slow(pagemap_t *pm, uint32_t proc, uint64_t vpn, uint32_t *id, diag_t *d)
{
    VL_ASSERT(pm->nunhashed == 0); /* appended pages would be given a second id */
    uint64_t i = 0;
    int direct = proc == 0 && vpn < PM_DIRECT;
    if (vpn == pm->last_vpn && proc == pm->last_vproc && pm->last_id != UINT32_MAX) {
        *id = pm->last_id;
        return 0;
    }
    i = pm_hash(vpn, proc) & pm->mask;
    for (; !direct;) {
        pagemap_slot_t *s = &pm->slot[i];
        if (s->id1 == 0)
            break;
        if (s->vpn == vpn && s->proc == proc) {
            pm->last_vpn = vpn;
            pm->last_vproc = proc;
            *id = pm->last_id = s->id1 - 1;
            return 0;
        }
        i = (i + 1) & pm->mask;
    }
    /* A new page. */
    if (!direct && (pm->npages - pm->ndirect - pm->nunhashed + 1) * 2 > pm->mask + 1) {
        if (grow_slots(pm))
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for the page map");
        i = pm_hash(vpn, proc) & pm->mask;
        while (pm->slot[i].id1)
            i = (i + 1) & pm->mask;
    }
    int rc = new_id(pm, proc, vpn, id, d);
    if (rc)
        return rc;
    if (direct) {
        pm->direct[vpn] = *id + 1;
        pm->ndirect++;
    } else {
        pm->slot[i] = (pagemap_slot_t){.vpn = vpn, .proc = proc, .id1 = *id + 1};
    }
    return 0;
}

int pagemap_append(pagemap_t *pm, uint32_t proc, uint64_t vpn, uint32_t *id, diag_t *d)
{
    int rc = new_id(pm, proc, vpn, id, d);
    if (rc == 0)
        pm->nunhashed++;
    return rc;
}

int pagemap_ids(pagemap_t *pm, const uint32_t *proc, const uint64_t *vpn, size_t n, uint32_t *ids,
                diag_t *d)
{
    enum { AHEAD = 12 };
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n) {
            uint32_t pa = proc ? proc[i + AHEAD] : 0;
            uint64_t va = vpn[i + AHEAD];
            if (pa == 0 && va < PM_DIRECT)
                __builtin_prefetch(&pm->direct[va]);
            else
                __builtin_prefetch(&pm->slot[pm_hash(va, pa) & pm->mask]);
        }
        int rc = pagemap_id(pm, proc ? proc[i] : 0, vpn[i], &ids[i], d);
        if (rc)
            return rc;
    }
    return 0;
}

void pagemap_check(const pagemap_t *pm)
{
    uint64_t used = 0, sum = 0;
    for (uint64_t j = 0; j <= pm->mask; j++) {
        const pagemap_slot_t *s = &pm->slot[j];
        if (!s->id1)
            continue;
        used++;
        VL_ASSERT(s->id1 - 1 < pm->npages);
        VL_ASSERT(pm->vpn[s->id1 - 1] == s->vpn && pm->proc[s->id1 - 1] == s->proc);
    }
    VL_ASSERT(used + pm->ndirect + pm->nunhashed == pm->npages);
    VL_ASSERT(pm->nunhashed == 0 || used + pm->ndirect == 0);
    for (uint32_t p = 0; pm->nunhashed == 0 && p < pm->npages; p++)
        if (pm->proc[p] == 0 && pm->vpn[p] < PM_DIRECT)
            VL_ASSERT(pm->direct[pm->vpn[p]] == p + 1);
    for (uint32_t p = 0; p < pm->nprocs; p++)
        sum += pm->proc_pages[p];
    VL_ASSERT(sum == pm->npages);
}
