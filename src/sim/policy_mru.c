/* SPDX-License-Identifier: MIT */
/*
 * policy_mru.c - MRU: replace the most recently used page.
 *
 * The policy OSTEP ch. 22 (22.6 and its homework, paging-policy.py -p MRU)
 * sets against LRU: it does well on loops a little larger than memory,
 * where LRU misses every time (Chou and DeWitt, "An evaluation of buffer
 * management strategies for relational database systems", VLDB 1985).
 * On a fault the most recently used page is the one referenced just before,
 * always resident, so MRU is one frame number: the frame of the last hit or
 * load.  O(1).
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include "vmlab/check.h"

typedef struct mru {
    uint32_t last; /* frame of the most recent reference, < nresident once one is made */
} mru_t;

static int mru_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    (void)ps;
    (void)d;
    ((mru_t *)p->state)->last = 0;
    return 0;
}

static void mru_touch(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)a;
    ((mru_t *)p->state)->last = f;
}

static uint32_t mru_evict(sim_policy_t *p, const sim_access_t *a)
{
    (void)a;
    return ((mru_t *)p->state)->last;
}

static void mru_check(const sim_policy_t *p)
{
    const mru_t *s = p->state;
    VL_ASSERT(p->mem->nresident == 0 || s->last < p->mem->nresident);
}

SIM_FAST_LOOP(mru_run, mru_touch, mru_touch, mru_evict)

const sim_policy_ops_t sim_policy_mru = {
    .name = "mru",
    .summary = "most recently used goes (OSTEP ch. 22; Chou and DeWitt, VLDB 1985)",
    .params = "",
    .state_size = sizeof(mru_t),
    .init = mru_init,
    .hit = mru_touch,
    .insert = mru_touch,
    .evict = mru_evict,
    .run = mru_run,
    .check = mru_check,
};
