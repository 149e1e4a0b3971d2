/*
 * sim_fast.h - an optional batch loop a policy can compile in, so the common
 * case (global scope, no tick, no inverted page table; the TLB model and
 * linear or multi-level tables included) runs with the policy's hooks
 * inlined instead of called through sim_policy_ops_t.
 *
 * A policy file ends with
 *
 *     SIM_FAST_LOOP(lru_run, lru_hit, lru_insert, lru_evict)
 *     const sim_policy_ops_t sim_policy_lru = { ..., .run = lru_run };
 *
 * (SIM_FAST_NOHIT for a NULL hit hook).  A policy whose per-page state is
 * read on every reference uses SIM_FAST_LOOP_PF(..., PREFETCH) instead: the
 * loop calls PREFETCH(p, page) eight references before it simulates `page`,
 * so the policy can __builtin_prefetch its record (LIRS: +20% on the zipf
 * benchmark).  The general loop never calls it; it changes no result.
 * The loop does exactly what the core's general loop does for each
 * reference (policy.h describes the sequence), minus the models that are
 * off; the tests check both loops give the same figures for every policy.  The core decides per run which loop to
 * use; a policy without .run always gets the general one.
 */
#ifndef VMLAB_SIM_FAST_H
#define VMLAB_SIM_FAST_H

#include "sim/policy.h"
#include "sim/sim_core.h"
#include "sim/sim_tlb.h"

/* What the fast loop needs of the core (filled by sim_core_feed). */
struct sim_fast {
    const sim_batch_t *b; /* the batch */
    uint32_t *frame_of;   /* page -> frame, SIM_NOFRAME if not resident */
    uint32_t *fproc;      /* frame -> owner process */
    sim_stats_t *ps;      /* per-process counters */
    stlb_t *tlb;          /* the TLB model, NULL if off */
    int asid;             /* TLB: 1 tagged, 0 flushed on a context switch */
    uint32_t *cur_proc;   /* TLB: process of the previous reference */
    uint64_t *fvpn;       /* TLB: frame -> vpn of its page (for shootdowns) */
};

static inline void sim_fast_nohit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)p;
    (void)f;
    (void)a;
}
#define SIM_FAST_NOHIT sim_fast_nohit

/* pf (NULL for none) is told each page a few references before it is
 * simulated, so a policy with per-page state can prefetch it
 * (SIM_FAST_LOOP_PF). */
static inline __attribute__((always_inline)) void
sim_fast_run_pf(sim_policy_t *p, const sim_fast_t *fx,
                void (*hit)(sim_policy_t *, uint32_t, const sim_access_t *),
                void (*insert)(sim_policy_t *, uint32_t, const sim_access_t *),
                uint32_t (*evict)(sim_policy_t *, const sim_access_t *),
                void (*pf)(sim_policy_t *, uint32_t))
{
    const sim_batch_t *b = fx->b;
    sim_mem_t *m = p->mem;
    uint32_t *frame_of = fx->frame_of, *pg = m->page;
    uint8_t *flags = m->flags;
    sim_stats_t *ps = fx->ps;
    for (size_t i = 0; i < b->n; i++) {
        uint32_t page = b->page[i], proc = b->proc ? b->proc[i] : 0;
        if (i + 8 < b->n) /* the page ids are known ahead: overlap the misses */
            __builtin_prefetch(&frame_of[b->page[i + 8]]);
        if (pf && i + 8 < b->n)
            pf(p, b->page[i + 8]);
        uint8_t w = b->write[i];
        sim_access_t a = {
            .time = b->t0 + i,
            .next = b->next ? b->next[i] : SIM_NEVER,
            .vpn = b->vpn ? b->vpn[i] : b->page_vpn[page],
            .page = page,
            .proc = proc,
            .write = w,
        };
        uint32_t f = frame_of[page];
        int tlb_hit = 0;
        ps[proc].references++;
        ps[proc].writes += w;
        if (fx->tlb) {
            if (proc != *fx->cur_proc) {
                if (!fx->asid)
                    stlb_flush(fx->tlb);
                *fx->cur_proc = proc;
            }
            tlb_hit = stlb_lookup(fx->tlb, a.vpn, page);
            if (tlb_hit)
                ps[proc].tlb_hits++;
            else
                ps[proc].tlb_misses++;
        }
        if (__builtin_expect(f != SIM_NOFRAME, 1)) {
            flags[f] |= (uint8_t)(SIM_REF | (w ? SIM_DIRTY : 0));
            hit(p, f, &a);
            if (fx->tlb && !tlb_hit)
                stlb_fill(fx->tlb, a.vpn, page);
            continue;
        }
        ps[proc].page_faults++;
        if (m->nresident < m->nframes) {
            f = m->nresident++;
        } else {
            f = evict(p, &a);
            uint32_t old = pg[f];
            if (flags[f] & SIM_DIRTY)
                ps[fx->fproc[f]].disk_writes++;
            frame_of[old] = SIM_NOFRAME;
            if (fx->tlb)
                stlb_invalidate(fx->tlb, fx->fvpn[f], old);
        }
        pg[f] = page;
        flags[f] = (uint8_t)(SIM_REF | (w ? SIM_DIRTY : 0));
        fx->fproc[f] = proc;
        frame_of[page] = f;
        insert(p, f, &a);
        if (fx->tlb) {
            fx->fvpn[f] = a.vpn;
            if (!tlb_hit)
                stlb_fill(fx->tlb, a.vpn, page);
        }
    }
}

static inline __attribute__((always_inline)) void
sim_fast_run(sim_policy_t *p, const sim_fast_t *fx,
             void (*hit)(sim_policy_t *, uint32_t, const sim_access_t *),
             void (*insert)(sim_policy_t *, uint32_t, const sim_access_t *),
             uint32_t (*evict)(sim_policy_t *, const sim_access_t *))
{
    sim_fast_run_pf(p, fx, hit, insert, evict, NULL);
}

#define SIM_FAST_LOOP_PF(NAME, HIT, INSERT, EVICT, PREFETCH)                    \
    static void NAME(sim_policy_t *p, const sim_fast_t *fx)                     \
    {                                                                           \
        sim_fast_run_pf(p, fx, HIT, INSERT, EVICT, PREFETCH);                   \
    }

#define SIM_FAST_LOOP(NAME, HIT, INSERT, EVICT)                                 \
    __attribute__((flatten)) static void NAME(sim_policy_t *p, const sim_fast_t *fx) \
    {                                                                           \
        sim_fast_run(p, fx, HIT, INSERT, EVICT);                                \
    }

#endif
