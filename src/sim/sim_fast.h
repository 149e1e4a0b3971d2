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
 * loop calls PREFETCH(p, page) SIM_FAST_AHEAD references before it
 * simulates `page`, so the policy can __builtin_prefetch its record (LIRS:
 * +20% on the zipf benchmark).  The general loop never calls it; it changes
 * no result.  (Fetching LRU's links for the frame ahead was slower: it
 * needs frame_of[] of the page ahead loaded, and that load stalls.)
 *
 * The loop does exactly what the core's general loop does for each
 * reference (policy.h describes the sequence), minus the models that are
 * off; the tests check both loops give the same figures for every policy.
 * The core decides per run which loop to use; a policy without .run always
 * gets the general one.
 *
 * Two copies of the loop are compiled per policy, and the core picks one per
 * batch (sim_fast_t.lean).  The lean copy is the benchmark's case and
 * baseline.c's: no TLB model and one process so far.  It needs no vpn (a
 * dead load once the hooks are inlined, as no policy reads a->vpn: with a
 * page -> vpn table it was one cache miss per reference), keeps the counters
 * in registers and adds them to process 0's once per batch, and stores no
 * frame owner (all are 0, the core allocates them zeroed).  The other copy
 * tests the TLB and the process of each reference as the general loop does.
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
    int lean;             /* 1: tlb == NULL, and every process index so far
                             (this batch's included) and every frame owner
                             is 0: the lean copy applies */
};

/* References between a prefetch and the reference it prepares (8, 12 and 16
 * measure the same for LRU on the zipf benchmark). */
enum { SIM_FAST_AHEAD = 8 };

static inline void sim_fast_nohit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)p;
    (void)f;
    (void)a;
}
#define SIM_FAST_NOHIT sim_fast_nohit

typedef void (*sim_fast_hook_t)(sim_policy_t *, uint32_t, const sim_access_t *);
typedef uint32_t (*sim_fast_evict_t)(sim_policy_t *, const sim_access_t *);
typedef void (*sim_fast_pf_t)(sim_policy_t *, uint32_t);

/* One batch.  lean is a constant at each call, so each call compiles its
 * own copy with the dead branches gone; so are the hooks. */
static inline __attribute__((always_inline)) void
sim_fast_loop(sim_policy_t *p, const sim_fast_t *fx, sim_fast_hook_t hit, sim_fast_hook_t insert,
              sim_fast_evict_t evict, sim_fast_pf_t pf, const int lean)
{
    const sim_batch_t *b = fx->b;
    sim_mem_t *m = p->mem;
    /* Locals, not fields: a flags store is a char store, which may alias
     * anything, and would make the compiler reload every field after it. */
    const size_t n = b->n;
    const uint64_t t0 = b->t0;
    const uint32_t *const page_id = b->page, *const procs = lean ? NULL : b->proc;
    const uint8_t *const wr = b->write;
    const uint64_t *const next = b->next, *const vpns = b->vpn, *const page_vpn = b->page_vpn;
    uint32_t *const frame_of = fx->frame_of, *const pg = m->page, *const fproc = fx->fproc;
    uint8_t *const flags = m->flags;
    sim_stats_t *const ps = fx->ps;
    stlb_t *const tlb = lean ? NULL : fx->tlb;
    int full = m->nresident == m->nframes; /* stays so: frames are never freed */
    uint64_t nwrites = 0, nfaults = 0, ndisk = 0; /* lean: process 0's */

    for (size_t i = 0; i < n; i++) {
        const uint32_t page = page_id[i], proc = procs ? procs[i] : 0;
        const uint8_t w = wr[i];
        if (i + SIM_FAST_AHEAD < n) { /* the page ids are known ahead: overlap the misses */
            __builtin_prefetch(&frame_of[page_id[i + SIM_FAST_AHEAD]]);
            if (pf)
                pf(p, page_id[i + SIM_FAST_AHEAD]);
        }
        /* With the hooks inlined, the fields no hook reads are never loaded
         * (vpn, next: one load each per reference otherwise). */
        const sim_access_t a = {
            .time = t0 + i,
            .next = next ? next[i] : SIM_NEVER,
            .vpn = vpns ? vpns[i] : page_vpn[page],
            .page = page,
            .proc = proc,
            .write = w,
        };
        const uint8_t bits = (uint8_t)(SIM_REF | (w ? SIM_DIRTY : 0));
        uint32_t f = frame_of[page];
        int tlb_hit = 0;
        if (lean) {
            nwrites += w;
        } else {
            ps[proc].references++;
            ps[proc].writes += w;
        }
        if (tlb) {
            if (proc != *fx->cur_proc) {
                if (!fx->asid)
                    stlb_flush(tlb);
                *fx->cur_proc = proc;
            }
            tlb_hit = stlb_lookup(tlb, a.vpn, page);
            if (tlb_hit)
                ps[proc].tlb_hits++;
            else
                ps[proc].tlb_misses++;
        }
        if (__builtin_expect(f != SIM_NOFRAME, 1)) {
            flags[f] |= bits;
            hit(p, f, &a);
            if (tlb && !tlb_hit)
                stlb_fill(tlb, a.vpn, page);
            continue;
        }
        if (lean)
            nfaults++;
        else
            ps[proc].page_faults++;
        if (!full) {
            f = m->nresident++;
            full = m->nresident == m->nframes;
        } else {
            f = evict(p, &a);
            const uint32_t old = pg[f];
            if (flags[f] & SIM_DIRTY) {
                if (lean)
                    ndisk++;
                else
                    ps[fproc[f]].disk_writes++;
            }
            frame_of[old] = SIM_NOFRAME;
            if (tlb)
                stlb_invalidate(tlb, fx->fvpn[f], old);
        }
        pg[f] = page;
        flags[f] = bits;
        if (!lean)
            fproc[f] = proc;
        frame_of[page] = f;
        insert(p, f, &a);
        if (tlb) {
            fx->fvpn[f] = a.vpn;
            if (!tlb_hit)
                stlb_fill(tlb, a.vpn, page);
        }
    }
    if (lean) {
        ps[0].references += n;
        ps[0].writes += nwrites;
        ps[0].page_faults += nfaults;
        ps[0].disk_writes += ndisk;
    }
}

static inline __attribute__((always_inline)) void
sim_fast_run_pf(sim_policy_t *p, const sim_fast_t *fx, sim_fast_hook_t hit,
                sim_fast_hook_t insert, sim_fast_evict_t evict, sim_fast_pf_t pf)
{
    if (fx->lean)
        sim_fast_loop(p, fx, hit, insert, evict, pf, 1);
    else
        sim_fast_loop(p, fx, hit, insert, evict, pf, 0);
}

/* flatten: the hooks and everything they call inline, so `a` never escapes
 * and the fields no hook reads are never loaded. */
#define SIM_FAST_LOOP_PF(NAME, HIT, INSERT, EVICT, PREFETCH)                    \
    __attribute__((flatten)) static void NAME(sim_policy_t *p, const sim_fast_t *fx) \
    {                                                                           \
        sim_fast_run_pf(p, fx, HIT, INSERT, EVICT, PREFETCH);                   \
    }

#define SIM_FAST_LOOP(NAME, HIT, INSERT, EVICT)                                 \
    SIM_FAST_LOOP_PF(NAME, HIT, INSERT, EVICT, NULL)

#endif
