/* SPDX-License-Identifier: MIT */
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
 * The loop is compiled in copies, each with its loop-invariant tests gone,
 * and the core picks per batch.  The lean copy (sim_fast_t.lean) is the
 * benchmark's case and baseline.c's: no TLB model and one process so far.
 * It needs no vpn (a dead load once the hooks are inlined, as no policy
 * reads a->vpn: from a page -> vpn table it was one cache miss per
 * reference, half of lru_run's time), keeps the counters in registers and
 * adds them to process 0's once per batch, and stores no frame owner (all
 * are 0; the core allocates them zeroed).  The other copy tests the TLB
 * and the process of each reference as the general loop does.  Each has
 * spans of its own for memory filling (once per run), full, and the last
 * SIM_FAST_AHEAD references of the batch (sim_fast_span).
 */
#ifndef VMLAB_SIM_FAST_H
#define VMLAB_SIM_FAST_H

#include <string.h>

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

/* References between a prefetch and the reference it prepares (on the zipf
 * benchmark 16 and 32 beat 8 by ~10%). */
enum { SIM_FAST_AHEAD = 16 };

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

/* The sum of bytes w[0, n): the lean copy's writes, counted here rather
 * than in the loop, where they would take a register (eight at a time: a
 * byte loop is not vectorised at -O2 and cost five instructions per
 * reference). */
static inline uint64_t sim_fast_sum(const uint8_t *w, size_t n)
{
    const uint64_t lo = 0x00ff00ff00ff00ffull;
    uint64_t sum = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, w + i, 8);
        x = (x & lo) + ((x >> 8) & lo);                 /* four 16-bit sums, <= 510 */
        sum += (x * 0x0001000100010001ull) >> 48;       /* their total, <= 2040 */
    }
    for (; i < n; i++)
        sum += w[i];
    return sum;
}

/* Process 0's counters in the lean copy, added once per batch. */
typedef struct sim_fast_acc {
    uint64_t faults; /* page faults */
    uint64_t disk;   /* dirty evictions */
} sim_fast_acc_t;

/* References [i, end) of the batch, or, while memory is filling, up to the
 * fault that fills it; returns where it stopped.  lean, filling and ahead
 * are constants at each call, so each call compiles its own copy with the
 * dead branches gone (and the hooks inlined): the copy that runs once
 * memory is full tests for no free frame, and the one that runs up to
 * SIM_FAST_AHEAD references before the end of the batch (ahead = 1) does
 * not test whether the page to prefetch is in the batch.  ahead = 0: no
 * prefetch; 2: test. */
static inline __attribute__((always_inline)) size_t
sim_fast_span(sim_policy_t *p, const sim_fast_t *fx, sim_fast_hook_t hit, sim_fast_hook_t insert,
              sim_fast_evict_t evict, sim_fast_pf_t pf, const int lean, const int filling,
              const int ahead, size_t i, const size_t end, sim_fast_acc_t *acc)
{
    const sim_batch_t *b = fx->b;
    sim_mem_t *m = p->mem;
    /* Locals, not fields: a flags store is a char store, which may alias
     * anything, and would make the compiler reload every field after it. */
    const size_t n = b->n;
    const uint64_t t0 = b->t0;
    const uint32_t *const page_id = b->page, *const procs = lean ? NULL : b->proc;
    const uint8_t *const wr = b->write;
    const uint32_t *const next = b->next;
    const uint64_t *const vpns = b->vpn, *const page_vpn = b->page_vpn;
    uint32_t *const frame_of = fx->frame_of, *const pg = m->page, *const fproc = fx->fproc;
    uint8_t *const flags = m->flags;
    sim_stats_t *const ps = fx->ps;
    stlb_t *const tlb = lean ? NULL : fx->tlb;

    for (; i < end; i++) {
        const uint32_t page = page_id[i], proc = procs ? procs[i] : 0;
        const uint8_t w = wr[i];
        /* The page ids are known ahead: overlap the misses. */
        if (ahead == 1 || (ahead == 2 && i + SIM_FAST_AHEAD < n)) {
            __builtin_prefetch(&frame_of[page_id[i + SIM_FAST_AHEAD]]);
            if (tlb && !vpns) /* the TLB's set comes from the vpn */
                __builtin_prefetch(&page_vpn[page_id[i + SIM_FAST_AHEAD]]);
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
        if (!lean) {
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
            acc->faults++;
        else
            ps[proc].page_faults++;
        if (filling) {
            f = m->nresident++;
        } else {
            f = evict(p, &a);
            const uint32_t old = pg[f];
            if (flags[f] & SIM_DIRTY) {
                if (lean)
                    acc->disk++;
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
        if (filling && m->nresident == m->nframes)
            return i + 1;
    }
    return i;
}

/* One batch: memory filling, then full (frames are never freed). */
static inline __attribute__((always_inline)) void
sim_fast_loop(sim_policy_t *p, const sim_fast_t *fx, sim_fast_hook_t hit, sim_fast_hook_t insert,
              sim_fast_evict_t evict, sim_fast_pf_t pf, const int lean)
{
    const sim_batch_t *b = fx->b;
    const size_t n = b->n, last = n > SIM_FAST_AHEAD ? n - SIM_FAST_AHEAD : 0;
    sim_fast_acc_t acc = {0, 0};
    size_t i = 0;
    if (p->mem->nresident < p->mem->nframes) /* once per run */
        i = sim_fast_span(p, fx, hit, insert, evict, pf, lean, 1, 2, 0, n, &acc);
    if (i < last)
        i = sim_fast_span(p, fx, hit, insert, evict, pf, lean, 0, 1, i, last, &acc);
    sim_fast_span(p, fx, hit, insert, evict, pf, lean, 0, 0, i, n, &acc);
    if (lean) {
        fx->ps[0].references += b->n;
        fx->ps[0].writes += sim_fast_sum(b->write, b->n);
        fx->ps[0].page_faults += acc.faults;
        fx->ps[0].disk_writes += acc.disk;
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
