/*
 * policy_nru.c - NRU as the enhanced second-chance algorithm.
 *
 * Silberschatz, Galvin and Gagne, Operating System Concepts, 10th ed.,
 * 10.4.5.3 "Enhanced Second-Chance Algorithm" (Tanenbaum, Modern Operating
 * Systems, 4th ed., 3.4.2 names the same four classes NRU).  Each frame has
 * the R (referenced) and M (modified) bits the core keeps in mem->flags, and
 * the frames form a circular queue with a hand.  The pages fall in four
 * classes, (R, M) = (0,0) < (0,1) < (1,0) < (1,1), and the victim is the
 * first page from the hand in the lowest nonempty class, found by the
 * classic scans: (1) one revolution looking for (0,0), changing nothing;
 * (2) one revolution looking for (0,1), clearing R of every page passed;
 * repeat (the second round finds what were (1,0) and then (1,1) pages).
 * The hand then rests after the victim's frame.  M is only cleared by
 * writing the page back (eviction), so a dirty page is evicted only when no
 * clean unreferenced page exists.
 *
 * O(frames) per fault at worst (at most four revolutions), nothing on a hit:
 * the core sets R and M.  No allocation.
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include "vmlab/check.h"

typedef struct nru {
    uint32_t hand; /* next frame the scan starts at, < nframes */
} nru_t;

static int nru_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    (void)ps;
    (void)d;
    ((nru_t *)p->state)->hand = 0;
    return 0;
}

static void nru_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)p;
    (void)f;
    (void)a;
}

static uint32_t nru_evict(sim_policy_t *p, const sim_access_t *a)
{
    nru_t *s = p->state;
    uint8_t *flags = p->mem->flags;
    uint32_t n = p->mem->nframes, j, i;
    (void)a;
    for (;;) {
        for (i = 0, j = s->hand; i < n; i++, j = j + 1 == n ? 0 : j + 1)
            if (!(flags[j] & (SIM_REF | SIM_DIRTY)))
                goto found; /* class (0,0) */
        for (i = 0, j = s->hand; i < n; i++, j = j + 1 == n ? 0 : j + 1) {
            if ((flags[j] & (SIM_REF | SIM_DIRTY)) == SIM_DIRTY)
                goto found; /* class (0,1) */
            flags[j] &= (uint8_t)~SIM_REF;
        }
    }
found:
    s->hand = j + 1 == n ? 0 : j + 1;
    return j;
}

static void nru_check(const sim_policy_t *p)
{
    VL_ASSERT(((const nru_t *)p->state)->hand < p->mem->nframes);
}

SIM_FAST_LOOP(nru_run, SIM_FAST_NOHIT, nru_insert, nru_evict)

const sim_policy_ops_t sim_policy_nru = {
    .name = "nru",
    .summary = "not recently used: enhanced second chance, R and M bits (OSC 10th ed. 10.4.5.3)",
    .params = "",
    .state_size = sizeof(nru_t),
    .init = nru_init,
    .insert = nru_insert,
    .evict = nru_evict,
    .check = nru_check,
    .run = nru_run,
};
