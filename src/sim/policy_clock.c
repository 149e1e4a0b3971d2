/*
 * policy_clock.c - CLOCK (second chance): FIFO that spares pages whose R bit
 * is set, clearing it as the hand passes.
 *
 * F. J. Corbató, "A paging experiment with the Multics system", MIT Project
 * MAC MAC-M-384, 1968; OSC 10th ed. 10.4.5.2; Tanenbaum, Modern Operating
 * Systems 4th ed. 3.4.5.  The frames form the circle in frame order (free
 * frames are filled 0, 1, 2, ...); the hand points at the next candidate.
 * On a fault with memory full the hand clears set R bits until it finds a
 * clear one, takes that frame, and moves one past it.  Hits cost nothing
 * here: the core sets R.
 *
 * Course simulators disagree on the R bit of a newly loaded page:
 *   load-r=1 (default)  the load is a reference, so R = 1 (hardware sets it
 *                       on the access that faulted; OSC, Tanenbaum, OSTEP's
 *                       paging-policy.py);
 *   load-r=0            R = 0 until the page is referenced again (some course
 *                       simulators, e.g. "second chance only for re-used pages").
 * docs/sim.md lists which published results each reproduces.
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include "vmlab/check.h"

typedef struct clock {
    uint32_t hand; /* next frame to examine, < nframes */
    int load_r;    /* R bit of a newly loaded page */
} clock_t_;

static int clock_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    clock_t_ *s = p->state;
    uint64_t v;
    int rc = sim_param_u64(ps, "load-r", 1, 0, 1, &v, d);
    s->load_r = (int)v;
    s->hand = 0;
    return rc;
}

static void clock_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    clock_t_ *s = p->state;
    (void)a;
    if (!s->load_r)
        p->mem->flags[f] &= (uint8_t)~SIM_REF;
}

static uint32_t clock_evict(sim_policy_t *p, const sim_access_t *a)
{
    clock_t_ *s = p->state;
    uint8_t *flags = p->mem->flags;
    uint32_t n = p->mem->nframes, h = s->hand, f;
    (void)a;
    while (flags[h] & SIM_REF) { /* at most one full turn */
        flags[h] &= (uint8_t)~SIM_REF;
        h = h + 1 == n ? 0 : h + 1;
    }
    f = h;
    s->hand = h + 1 == n ? 0 : h + 1;
    return f;
}

static void clock_check(const sim_policy_t *p)
{
    const clock_t_ *s = p->state;
    VL_ASSERT(s->hand < p->mem->nframes);
    VL_ASSERT(p->mem->nresident == p->mem->nframes || s->hand == 0);
}

SIM_FAST_LOOP(clock_run, SIM_FAST_NOHIT, clock_insert, clock_evict)

const sim_policy_ops_t sim_policy_clock = {
    .name = "clock",
    .summary = "second chance: FIFO sparing referenced pages (Corbato 1968; OSC 10th ed. 10.4.5.2)",
    .params = "load-r=1",
    .state_size = sizeof(clock_t_),
    .init = clock_init,
    .insert = clock_insert,
    .evict = clock_evict,
    .run = clock_run,
    .check = clock_check,
};
