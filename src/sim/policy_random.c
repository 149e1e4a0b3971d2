/* SPDX-License-Identifier: MIT */
/*
 * policy_random.c - RANDOM: replace a frame chosen uniformly at random.
 *
 * L. A. Belady 1966 (RAND, the baseline of his study); OSTEP ch. 22.  Seeded
 * (random:seed=N, default 1) so a run is reproducible; the generator is
 * xorshift64* (Vigna 2016) seeded through splitmix64, see policy.h.
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

typedef struct rnd {
    uint64_t rng; /* generator state, never 0 */
} rnd_t;

static int random_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    rnd_t *s = p->state;
    uint64_t seed;
    int rc = sim_param_u64(ps, "seed", 1, 0, UINT64_MAX, &seed, d);
    /* Each memory (process, under local scope) draws its own sequence. */
    vl_rng64_seed(&s->rng, seed + p->mem->owner * VL_GOLDEN64);
    return rc;
}

static void random_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)p;
    (void)f;
    (void)a;
}

static uint32_t random_evict(sim_policy_t *p, const sim_access_t *a)
{
    rnd_t *s = p->state;
    (void)a;
    return vl_rng64_below(&s->rng, p->mem->nframes);
}

/* munmap/exit: RANDOM keeps no per-frame state, so nothing to forget. */
static void random_remove(sim_policy_t *p, uint32_t f, uint32_t last)
{
    (void)p;
    (void)f;
    (void)last;
}

SIM_FAST_LOOP(random_run, SIM_FAST_NOHIT, random_insert, random_evict)

const sim_policy_ops_t sim_policy_random = {
    .name = "random",
    .summary = "a uniformly random victim, seeded (Belady 1966; OSTEP ch. 22)",
    .params = "seed=1",
    .state_size = sizeof(rnd_t),
    .init = random_init,
    .insert = random_insert,
    .evict = random_evict,
    .remove = random_remove,
    .run = random_run,
};
