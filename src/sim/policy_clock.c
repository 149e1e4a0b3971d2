/* SPDX-License-Identifier: MIT */
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
 *
 * bits=N (N > 1): a multi-bit clock, as OSTEP's paging-policy.py -p CLOCK -b N
 * counts: each frame has a counter, set to load-r on a load and raised by one
 * (up to N) on every hit; the hand, in frame order from frame 0, lowers
 * non-zero counters and takes the first frame at zero, then moves one past
 * it.  (paging-policy.py picks each candidate at random instead of with a
 * hand; vmlab's hand is deterministic, so its victims differ.)  bits=1 is the
 * R-bit clock above.
 */
#include "sim/policy.h"

#include <errno.h>
#include <stdlib.h>
#include "sim/sim_fast.h"

#include "vmlab/check.h"

typedef struct clock {
    uint32_t hand; /* next frame to examine, < nframes */
    int load_r;    /* R bit of a newly loaded page */
    unsigned bits; /* counter ceiling: 1 is the R bit itself */
    uint8_t *cnt;  /* bits > 1: frame -> counter in [0, bits] */
} clock_t_;

static int clock_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    clock_t_ *s = p->state;
    uint64_t v;
    int rc = sim_param_u64(ps, "load-r", 1, 0, 1, &v, d);
    s->load_r = (int)v;
    s->hand = 0;
    if (rc || (rc = sim_param_u64(ps, "bits", 1, 1, 255, &v, d)))
        return rc;
    s->bits = (unsigned)v;
    if (s->bits > 1 && !(s->cnt = calloc(p->mem->nframes, 1)))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u clock counters",
                        p->mem->nframes);
    return 0;
}

static void clock_destroy(sim_policy_t *p)
{
    free(((clock_t_ *)p->state)->cnt);
}

static void clock_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    clock_t_ *s = p->state;
    (void)a;
    if (__builtin_expect(s->bits > 1, 0) && s->cnt[f] < s->bits)
        s->cnt[f]++;
}

static void clock_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    clock_t_ *s = p->state;
    (void)a;
    if (!s->load_r)
        p->mem->flags[f] &= (uint8_t)~SIM_REF;
    if (s->bits > 1)
        s->cnt[f] = (uint8_t)s->load_r;
}

static uint32_t clock_evict(sim_policy_t *p, const sim_access_t *a)
{
    clock_t_ *s = p->state;
    uint8_t *flags = p->mem->flags;
    uint32_t n = p->mem->nframes, h = s->hand, f;
    (void)a;
    if (s->bits > 1) { /* at most `bits` full turns */
        while (s->cnt[h]) {
            s->cnt[h]--;
            h = h + 1 == n ? 0 : h + 1;
        }
        s->hand = h + 1 == n ? 0 : h + 1;
        return h;
    }
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

SIM_FAST_LOOP(clock_run, clock_hit, clock_insert, clock_evict)

const sim_policy_ops_t sim_policy_clock = {
    .name = "clock",
    .summary = "second chance: FIFO sparing referenced pages (Corbato 1968; OSC 10th ed. 10.4.5.2)",
    .params = "load-r=1,bits=1",
    .state_size = sizeof(clock_t_),
    .init = clock_init,
    .destroy = clock_destroy,
    .hit = clock_hit,
    .insert = clock_insert,
    .evict = clock_evict,
    .run = clock_run,
    .check = clock_check,
};
