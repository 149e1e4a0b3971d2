/*
 * sim_fast.h - an optional batch loop a policy can compile in, so the plain
 * case (no TLB or page-table model, global scope, no tick) runs with the
 * policy's hooks inlined instead of called through sim_policy_ops_t.
 *
 * A policy file ends with
 *
 *     SIM_FAST_LOOP(lru_run, lru_hit, lru_insert, lru_evict)
 *     const sim_policy_ops_t sim_policy_lru = { ..., .run = lru_run };
 *
 * (SIM_FAST_NOHIT for a NULL hit hook).  The loop does exactly what the
 * core's general loop does for each reference (policy.h describes the
 * sequence), minus the models that are off; the tests check both loops give
 * the same figures for every policy.  The core decides per run which loop to
 * use; a policy without .run always gets the general one.
 */
#ifndef VMLAB_SIM_FAST_H
#define VMLAB_SIM_FAST_H

#include "sim/policy.h"
#include "sim/sim_core.h"

/* What the fast loop needs of the core (filled by sim_core_feed). */
struct sim_fast {
    const sim_batch_t *b; /* the batch */
    uint32_t *frame_of;   /* page -> frame, SIM_NOFRAME if not resident */
    uint32_t *fproc;      /* frame -> owner process */
    sim_stats_t *ps;      /* per-process counters */
};

static inline void sim_fast_nohit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)p;
    (void)f;
    (void)a;
}
#define SIM_FAST_NOHIT sim_fast_nohit

static inline __attribute__((always_inline)) void
sim_fast_run(sim_policy_t *p, const sim_fast_t *fx,
             void (*hit)(sim_policy_t *, uint32_t, const sim_access_t *),
             void (*insert)(sim_policy_t *, uint32_t, const sim_access_t *),
             uint32_t (*evict)(sim_policy_t *, const sim_access_t *))
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
        ps[proc].references++;
        ps[proc].writes += w;
        if (__builtin_expect(f != SIM_NOFRAME, 1)) {
            flags[f] |= (uint8_t)(SIM_REF | (w ? SIM_DIRTY : 0));
            hit(p, f, &a);
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
        }
        pg[f] = page;
        flags[f] = (uint8_t)(SIM_REF | (w ? SIM_DIRTY : 0));
        fx->fproc[f] = proc;
        frame_of[page] = f;
        insert(p, f, &a);
    }
}

#define SIM_FAST_LOOP(NAME, HIT, INSERT, EVICT)                                 \
    __attribute__((flatten)) static void NAME(sim_policy_t *p, const sim_fast_t *fx) \
    {                                                                           \
        sim_fast_run(p, fx, HIT, INSERT, EVICT);                                \
    }

#endif
