/* SPDX-License-Identifier: MIT */
/*
 * sim_core.c - the replacement core of vmlab sim: page -> frame table, R/M
 * bits, faults, dirty write-back, TLB and page-table walk costs, per-process
 * statistics.  The policy (policy.h) only decides.
 *
 * Per reference (OSC 10th ed. 10.2 demand paging, 10.4 replacement; CS:APP
 * 3rd ed. 9.6 address translation):
 *   TLB lookup (model on) -> on a miss, a page-table walk (model on) ->
 *   resident?  hit: set R (and M for a write), tell the policy
 *              fault: take the next free frame, or ask the policy for a
 *                     victim, write it back if M, unmap it, shoot its TLB
 *                     entry down, unlink it from the inverted table
 *   -> on a TLB miss, fill the TLB.
 * Frames are global numbers gbase[mem] + f internally, so per-frame data the
 * models share (vpn, owner, inverted chains) lives in flat arrays.
 *
 * Invariants (sim_core_check): for every memory, frames [0, nresident) hold
 * pages whose frame_of[] points back at them, and no other page maps to a
 * frame; resident pages <= frames; every valid TLB entry names a resident
 * page of its set; each inverted chain holds exactly the resident pages
 * that hash to it.
 */
#include "vmlab/hash.h"
#include "base/vec.h"
#include "sim/sim_core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_fast.h"
#include "sim/sim_params.h"
#include "sim/sim_tlb.h"
#include "vmlab/check.h"

struct sim_core {
    sim_config_t cfg;            /* the run's shared configuration */
    const sim_policy_ops_t *ops; /* the policy */
    sim_params_t params;         /* its parameters */
    int local;                   /* 1: one memory per process */
    uint32_t nmem;               /* memories: 1 global, nprocs local */
    sim_mem_t *mem;              /* nmem memories */
    sim_policy_t *pol;           /* nmem policy instances */
    uint32_t *gbase;             /* memory -> its first global frame */
    uint64_t nframes;            /* frames over all memories */
    uint32_t *gpage;             /* global frame -> page (mem[].page are slices) */
    uint8_t *gflags;             /* global frame -> R/M (mem[].flags are slices) */
    uint64_t *gvpn;              /* global frame -> vpn of its page */
    uint32_t *gproc;             /* global frame -> owner process */
    uint32_t *frame_of;          /* page -> frame in its memory, SIM_NOFRAME */
    uint32_t cap_pages;          /* capacity of frame_of */
    uint32_t npages;             /* page ids seen so far are < npages */
    sim_stats_t *ps;             /* per-process counters */
    uint32_t nprocs;             /* processes seen */
    uint32_t cap_procs;          /* capacity of ps */
    int has_tick;                /* some instance has a tick */
    int fast;                    /* 1: ops->run does whole batches */
    /* TLB */
    int has_tlb;       /* 1: TLB model on */
    stlb_t tlb;        /* the TLB */
    uint32_t cur_proc; /* process of the previous reference (context switches) */
    /* page tables */
    uint64_t walk_cost;     /* linear/multi: memory accesses per walk */
    int inverted;           /* 1: inverted table, walk cost from the chains */
    uint32_t *anchor;       /* inverted: hash bucket -> first global frame */
    uint32_t *inext;        /* inverted: global frame -> next in chain */
    uint32_t amask;         /* inverted: buckets - 1 */
    uint64_t inv_bytes;     /* inverted: table + anchor bytes */
};

static inline uint32_t inv_hash(const sim_core_t *c, uint32_t page)
{
    return (uint32_t)(((uint64_t)page * VL_GOLDEN64) >> 32) & c->amask;
}

static int grow_pages(sim_core_t *c, uint32_t npages)
{
    if (npages > c->cap_pages) {
        uint32_t old = c->cap_pages;
        int rc = vl_grow32((void **)&c->frame_of, &c->cap_pages, npages, sizeof *c->frame_of);
        if (rc)
            return rc;
        for (uint32_t i = old; i < c->cap_pages; i++)
            c->frame_of[i] = SIM_NOFRAME;
    }
    if (npages > c->npages) {
        c->npages = npages;
        for (uint32_t m = 0; m < c->nmem; m++) {
            c->mem[m].npages = npages;
            if (c->ops->grow && c->ops->grow(&c->pol[m], npages))
                return -ENOMEM;
        }
    }
    return 0;
}

/* Room for nprocs processes' counters; bounded by vl_grow32 (no more than
 * UINT32_MAX entries nor VL_VEC_MAX_BYTES bytes: -EOVERFLOW), where the old
 * loop doubled a uint32_t with no bound and could wrap to 0. */
static int grow_procs(sim_core_t *c, uint32_t nprocs)
{
    if (nprocs > c->cap_procs) {
        uint32_t old = c->cap_procs;
        int rc = vl_grow32((void **)&c->ps, &c->cap_procs, nprocs, sizeof *c->ps);
        if (rc)
            return rc;
        memset(c->ps + old, 0, (size_t)(c->cap_procs - old) * sizeof *c->ps);
    }
    if (nprocs > c->nprocs)
        c->nprocs = nprocs;
    return 0;
}

int sim_core_new(sim_core_t **out, const sim_config_t *cfg, const sim_job_t *job,
                 const uint32_t *quota, uint32_t nprocs, diag_t *d)
{
    sim_core_t *c;
    int rc;

    *out = NULL;
    if (job->frames == 0 || job->frames > UINT32_MAX - 1)
        return diag_set(d, NULL, 0, EINVAL, "frames %llu out of range (expected 1..%u)",
                        (unsigned long long)job->frames, UINT32_MAX - 1);
    c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->cfg = *cfg;
    if ((rc = sim_params_parse(job->policy, &c->params, &c->ops, d))) {
        free(c);
        return rc;
    }
    c->local = quota != NULL;
    c->nmem = c->local ? nprocs : 1;
    c->nframes = job->frames;
    c->mem = calloc(c->nmem, sizeof *c->mem);
    c->pol = calloc(c->nmem, sizeof *c->pol);
    c->gbase = calloc(c->nmem, sizeof *c->gbase);
    c->gpage = malloc(c->nframes * sizeof *c->gpage);
    c->gflags = calloc(c->nframes, 1);
    c->gvpn = malloc(c->nframes * sizeof *c->gvpn);
    c->gproc = calloc(c->nframes, sizeof *c->gproc); /* 0: the fast loop's lean copy stores none */
    if (!c->mem || !c->pol || !c->gbase || !c->gpage || !c->gflags || !c->gvpn || !c->gproc)
        goto nomem;
    if (grow_procs(c, c->local ? nprocs : 1))
        goto nomem;
    uint64_t base = 0;
    for (uint32_t m = 0; m < c->nmem; m++) {
        uint32_t n = c->local ? quota[m] : (uint32_t)job->frames;
        if (n == 0) {
            rc = diag_set(d, NULL, 0, EINVAL,
                          "local scope leaves process %u without frames (expected at least "
                          "one frame per process)",
                          m);
            goto fail;
        }
        c->gbase[m] = (uint32_t)base;
        c->mem[m] = (sim_mem_t){.nframes = n,
                                .page = c->gpage + base,
                                .flags = c->gflags + base,
                                .core = c,
                                .owner = m};
        c->ps[m].frames = n;
        base += n;
    }
    VL_ASSERT(base == c->nframes);
    if (!c->local)
        c->ps[0].frames = c->nframes;
    for (uint32_t m = 0; m < c->nmem; m++) {
        sim_policy_t *p = &c->pol[m];
        p->ops = c->ops;
        p->mem = &c->mem[m];
        p->state = calloc(1, c->ops->state_size ? c->ops->state_size : 1);
        if (!p->state)
            goto nomem;
        sim_params_t ps = c->params;
        if ((rc = c->ops->init(p, &ps, d))) {
            if (c->ops->destroy)
                c->ops->destroy(p);
            free(p->state);
            p->state = NULL;
            goto fail;
        }
        if ((rc = sim_params_unused(&ps, c->ops, d))) {
            if (c->ops->destroy)
                c->ops->destroy(p);
            free(p->state);
            p->state = NULL;
            goto fail;
        }
        if (p->tick)
            c->has_tick = 1;
    }
    if (cfg->tlb.entries) {
        if (stlb_init(&c->tlb, cfg->tlb.entries, cfg->tlb.ways, cfg->tlb.policy))
            goto nomem;
        c->has_tlb = 1;
    }
    switch (cfg->pt.kind) {
    case SIM_PT_LINEAR: c->walk_cost = 1; break;
    case SIM_PT_MULTI: c->walk_cost = cfg->pt.nlevels; break;
    case SIM_PT_INVERTED: {
        uint64_t nb = 1;
        while (nb < c->nframes)
            nb *= 2;
        c->inverted = 1;
        c->amask = (uint32_t)(nb - 1);
        c->anchor = malloc(nb * sizeof *c->anchor);
        c->inext = malloc(c->nframes * sizeof *c->inext);
        if (!c->anchor || !c->inext)
            goto nomem;
        for (uint64_t i = 0; i < nb; i++)
            c->anchor[i] = SIM_NOFRAME;
        /* An entry holds pid (4), vpn (8) and the chain link (4) (OSC 10th
         * ed. 9.4.3); the anchor table one frame number per bucket. */
        c->inv_bytes = c->nframes * 16 + nb * 4;
        break;
    }
    default: break;
    }
    c->fast = c->ops->run && !c->local && !c->has_tick && !c->inverted && !VMLAB_DEBUG;
    *out = c;
    return 0;
nomem:
    rc = diag_set(d, NULL, 0, ENOMEM, "out of memory for %llu frames",
                  (unsigned long long)job->frames);
fail:
    sim_core_free(c);
    return rc;
}

void sim_core_free(sim_core_t *c)
{
    if (!c)
        return;
    for (uint32_t m = 0; m < c->nmem && c->pol; m++)
        if (c->pol[m].state) {
            if (c->ops->destroy)
                c->ops->destroy(&c->pol[m]);
            free(c->pol[m].state);
        }
    if (c->has_tlb)
        stlb_destroy(&c->tlb);
    free(c->mem);
    free(c->pol);
    free(c->gbase);
    free(c->gpage);
    free(c->gflags);
    free(c->gvpn);
    free(c->gproc);
    free(c->frame_of);
    free(c->ps);
    free(c->anchor);
    free(c->inext);
    free(c);
}

int sim_mem_clean(sim_mem_t *m, uint32_t f)
{
    sim_core_t *c = m->core;
    VL_ASSERT(f < m->nresident);
    if (!(m->flags[f] & SIM_DIRTY))
        return 0;
    m->flags[f] &= (uint8_t)~SIM_DIRTY;
    c->ps[c->gproc[c->gbase[m->owner] + f]].disk_writes++;
    return 1;
}

/* Memory accesses of an inverted-table walk for page: the anchor, then each
 * entry of the chain up to the page (all of it if the page is absent). */
static uint64_t inv_walk(const sim_core_t *c, uint32_t page)
{
    uint64_t n = 1;
    for (uint32_t g = c->anchor[inv_hash(c, page)]; g != SIM_NOFRAME; g = c->inext[g]) {
        n++;
        if (c->gpage[g] == page)
            break;
    }
    return n;
}

static void inv_unlink(sim_core_t *c, uint32_t g)
{
    uint32_t *pp = &c->anchor[inv_hash(c, c->gpage[g])];
    while (*pp != g) {
        VL_ASSERT(*pp != SIM_NOFRAME);
        pp = &c->inext[*pp];
    }
    *pp = c->inext[g];
}

static inline void inv_link(sim_core_t *c, uint32_t g)
{
    uint32_t *a = &c->anchor[inv_hash(c, c->gpage[g])];
    c->inext[g] = *a;
    *a = g;
}

/* A page fault on a->page in memory mi: load it, evicting if full. */
static void fault(sim_core_t *c, uint32_t mi, const sim_access_t *a)
{
    sim_mem_t *m = &c->mem[mi];
    sim_policy_t *p = &c->pol[mi];
    uint32_t f, g;
    if (m->nresident < m->nframes) {
        f = m->nresident++;
        g = c->gbase[mi] + f;
    } else {
        f = p->ops->evict(p, a);
        VL_ASSERT(f < m->nframes);
        g = c->gbase[mi] + f;
        uint32_t old = m->page[f];
        /* A load of the victim's cold entry: checked in debug builds only. */
        VL_DEBUG_CHECK(VL_ASSERT(c->frame_of[old] == f));
        if (m->flags[f] & SIM_DIRTY)
            c->ps[c->gproc[g]].disk_writes++;
        c->frame_of[old] = SIM_NOFRAME;
        if (c->has_tlb)
            stlb_invalidate(&c->tlb, c->gvpn[g], old);
        if (c->inverted)
            inv_unlink(c, g);
    }
    m->page[f] = a->page;
    m->flags[f] = (uint8_t)(SIM_REF | (a->write ? SIM_DIRTY : 0));
    c->gvpn[g] = a->vpn;
    c->gproc[g] = a->proc;
    c->frame_of[a->page] = f;
    if (c->inverted)
        inv_link(c, g);
    p->ops->insert(p, f, a);
}

int sim_core_remove(sim_core_t *c, uint32_t proc, uint32_t page, int write_back)
{
    uint32_t mi = c->local ? proc : 0;
    if (!c->ops->remove)
        return -EOPNOTSUPP;
    if (mi >= c->nmem || page >= c->npages || c->frame_of[page] == SIM_NOFRAME)
        return -ENOENT;
    sim_mem_t *m = &c->mem[mi];
    sim_policy_t *p = &c->pol[mi];
    uint32_t f = c->frame_of[page], last = m->nresident - 1;
    uint32_t g = c->gbase[mi] + f, gl = c->gbase[mi] + last;
    if (f >= m->nresident || m->page[f] != page)
        return -ENOENT; /* resident in another process's memory */
    if (write_back && (m->flags[f] & SIM_DIRTY))
        c->ps[c->gproc[g]].disk_writes++;
    if (c->has_tlb)
        stlb_invalidate(&c->tlb, c->gvpn[g], page);
    if (c->inverted) {
        inv_unlink(c, g);
        if (f != last)
            inv_unlink(c, gl);
    }
    p->ops->remove(p, f, last);
    c->frame_of[page] = SIM_NOFRAME;
    if (f != last) {
        m->page[f] = m->page[last];
        m->flags[f] = m->flags[last];
        c->gvpn[g] = c->gvpn[gl];
        c->gproc[g] = c->gproc[gl];
        c->frame_of[m->page[f]] = f;
        if (c->inverted)
            inv_link(c, g);
    }
    m->nresident--;
    VL_DEBUG_CHECK(sim_core_check(c));
    return 0;
}

/* After each reference (debug builds): the page just used is resident where
 * frame_of says, and the memory is not over-committed.  The whole structure
 * is checked after each batch (sim_core_check), as that costs O(pages). */
static void check_page(const sim_core_t *c, uint32_t mi, uint32_t page)
{
    const sim_mem_t *m = &c->mem[mi];
    uint32_t f = c->frame_of[page];
    VL_ASSERT(m->nresident <= m->nframes);
    VL_ASSERT(f < m->nresident && m->page[f] == page);
}

/* The general loop: every model, any policy. */
static void feed_general(sim_core_t *c, const sim_batch_t *b)
{
    const sim_policy_ops_t *ops = c->ops;
    for (size_t i = 0; i < b->n; i++) {
        uint32_t page = b->page[i], proc = b->proc ? b->proc[i] : 0, mi = c->local ? proc : 0;
        if (i + 8 < b->n) { /* the page ids are known ahead: overlap the misses */
            __builtin_prefetch(&c->frame_of[b->page[i + 8]]);
            if (!b->vpn)
                __builtin_prefetch(&b->page_vpn[b->page[i + 8]]);
            if (c->inverted)
                __builtin_prefetch(&c->anchor[inv_hash(c, b->page[i + 8])]);
        }
        sim_access_t a = {
            .time = b->t0 + i,
            .next = b->next ? b->next[i] : SIM_NEVER,
            .vpn = b->vpn ? b->vpn[i] : b->page_vpn[page],
            .page = page,
            .proc = proc,
            .write = b->write[i],
        };
        sim_stats_t *st = &c->ps[proc];
        int tlb_hit = 0;
        st->references++;
        st->writes += a.write;
        if (c->has_tlb) {
            if (proc != c->cur_proc) {
                if (!c->cfg.tlb.asid)
                    stlb_flush(&c->tlb);
                c->cur_proc = proc;
            }
            tlb_hit = stlb_lookup(&c->tlb, a.vpn, page);
            if (tlb_hit)
                st->tlb_hits++;
            else
                st->tlb_misses++;
        }
        /* Linear and multi-level walks cost walk_cost each: counted from the
         * TLB misses (or references) at the end, in sim_core_result. */
        if (c->inverted && !tlb_hit)
            st->walk_accesses += inv_walk(c, page);
        uint32_t f = c->frame_of[page];
        if (f != SIM_NOFRAME) {
            c->mem[mi].flags[f] |= (uint8_t)(SIM_REF | (a.write ? SIM_DIRTY : 0));
            if (ops->hit)
                ops->hit(&c->pol[mi], f, &a);
        } else {
            st->page_faults++;
            fault(c, mi, &a);
        }
        if (c->has_tlb && !tlb_hit)
            stlb_fill(&c->tlb, a.vpn, page);
        if (c->has_tick)
            for (uint32_t m = 0; m < c->nmem; m++)
                if (c->pol[m].tick && (a.time + 1) % c->pol[m].tick == 0)
                    ops->tick(&c->pol[m]);
        VL_DEBUG_CHECK(check_page(c, mi, page));
    }
}

int sim_core_feed(sim_core_t *c, const sim_batch_t *b)
{
    if (grow_pages(c, b->npages) || grow_procs(c, b->nprocs))
        return -ENOMEM;
    VL_ASSERT(!c->local || b->nprocs <= c->nmem);
    if (c->fast) {
        sim_fast_t fx = {.b = b,
                         .frame_of = c->frame_of,
                         .fproc = c->gproc,
                         .ps = c->ps,
                         .tlb = c->has_tlb ? &c->tlb : NULL,
                         .asid = c->cfg.tlb.asid,
                         .cur_proc = &c->cur_proc,
                         .fvpn = c->gvpn,
                         .lean = !c->has_tlb && c->nprocs <= 1};
        c->ops->run(&c->pol[0], &fx);
    } else {
        feed_general(c, b);
    }
    VL_DEBUG_CHECK(sim_core_check(c));
    return 0;
}

int sim_core_result(const sim_core_t *c, sim_result_t *r)
{
    memset(r, 0, sizeof *r);
    r->nprocs = c->nprocs;
    r->proc = calloc(c->nprocs, sizeof *r->proc);
    r->pid = calloc(c->nprocs, sizeof *r->pid);
    if (!r->proc || !r->pid) {
        sim_result_free(r);
        return -ENOMEM;
    }
    for (uint32_t p = 0; p < c->nprocs; p++) {
        const sim_stats_t *s = &c->ps[p];
        r->proc[p] = *s;
        if (!c->local) /* global scope: every process may use every frame */
            r->proc[p].frames = c->nframes;
        if (!c->inverted) /* every walk of a linear or radix table costs the same */
            r->proc[p].walk_accesses = (c->has_tlb ? s->tlb_misses : s->references) * c->walk_cost;
        r->total.references += s->references;
        r->total.writes += s->writes;
        r->total.page_faults += s->page_faults;
        r->total.disk_writes += s->disk_writes;
        r->total.tlb_hits += s->tlb_hits;
        r->total.tlb_misses += s->tlb_misses;
        r->total.walk_accesses += r->proc[p].walk_accesses;
    }
    r->total.frames = c->nframes;
    r->total.page_table_bytes = c->inv_bytes;
    return 0;
}

void sim_core_set_fast(sim_core_t *c, int on)
{
    c->fast = on && c->ops->run && !c->local && !c->has_tick && !c->inverted;
}

uint64_t sim_core_resident(const sim_core_t *c)
{
    uint64_t n = 0;
    for (uint32_t m = 0; m < c->nmem; m++)
        n += c->mem[m].nresident;
    return n;
}

uint32_t sim_core_frames(const sim_core_t *c, const uint32_t **page)
{
    *page = c->mem[0].page;
    return c->mem[0].nresident;
}

unsigned sim_core_policy_flags(const sim_core_t *c)
{
    return c->ops->flags;
}

void sim_core_check(const sim_core_t *c)
{
    uint64_t resident = 0;
    for (uint32_t m = 0; m < c->nmem; m++) {
        const sim_mem_t *mem = &c->mem[m];
        VL_ASSERT(mem->nresident <= mem->nframes);
        resident += mem->nresident;
        for (uint32_t f = 0; f < mem->nresident; f++) {
            uint32_t page = mem->page[f], g = c->gbase[m] + f;
            VL_ASSERT(page < c->npages && c->frame_of[page] == f);
            VL_ASSERT(!c->local || c->gproc[g] == m);
        }
        if (c->ops->check)
            c->ops->check(&c->pol[m]);
    }
    uint64_t mapped = 0;
    for (uint32_t p = 0; p < c->npages; p++)
        mapped += c->frame_of[p] != SIM_NOFRAME;
    VL_ASSERT(mapped == resident);
    if (c->has_tlb) {
        stlb_check(&c->tlb);
        for (size_t i = 0; i < (size_t)c->tlb.sets * c->tlb.ways; i++)
            VL_ASSERT(c->tlb.tag[i] == STLB_EMPTY || c->frame_of[c->tlb.tag[i]] != SIM_NOFRAME);
    }
    if (c->inverted) {
        uint64_t chained = 0;
        for (uint32_t bkt = 0; bkt <= c->amask; bkt++)
            for (uint32_t g = c->anchor[bkt]; g != SIM_NOFRAME; g = c->inext[g]) {
                VL_ASSERT(inv_hash(c, c->gpage[g]) == bkt);
                VL_ASSERT(++chained <= resident);
            }
        VL_ASSERT(chained == resident);
    }
}
