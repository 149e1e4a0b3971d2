/* SPDX-License-Identifier: MIT */
/*
 * policy_fifo.c - FIFO: replace the page loaded earliest.
 *
 * OSC 10th ed., 10.4.2.  Because the core always loads the incoming page into
 * the victim's frame and hands out free frames in order 0, 1, ..., the load
 * order of the resident pages is the frame order rotated by a hand: the
 * oldest page is in frame `hand`, and after it is replaced the next oldest is
 * in hand + 1.  So FIFO is one counter, O(1), no per-frame state.
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include "vmlab/check.h"

typedef struct fifo {
    uint32_t hand; /* frame holding the earliest loaded page, < nframes */
} fifo_t;

static int fifo_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    (void)ps;
    (void)d;
    ((fifo_t *)p->state)->hand = 0;
    return 0;
}

static void fifo_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)p;
    (void)f;
    (void)a;
}

static uint32_t fifo_evict(sim_policy_t *p, const sim_access_t *a)
{
    fifo_t *s = p->state;
    uint32_t f = s->hand;
    (void)a;
    s->hand = f + 1 == p->mem->nframes ? 0 : f + 1;
    return f;
}

static void fifo_check(const sim_policy_t *p)
{
    const fifo_t *s = p->state;
    /* Before memory fills, no eviction has moved the hand. */
    VL_ASSERT(s->hand < p->mem->nframes);
    VL_ASSERT(p->mem->nresident == p->mem->nframes || s->hand == 0);
}

SIM_FAST_LOOP(fifo_run, SIM_FAST_NOHIT, fifo_insert, fifo_evict)

const sim_policy_ops_t sim_policy_fifo = {
    .name = "fifo",
    .summary = "first in, first out (OSC 10th ed. 10.4.2)",
    .params = "",
    .state_size = sizeof(fifo_t),
    .init = fifo_init,
    .insert = fifo_insert,
    .evict = fifo_evict,
    .run = fifo_run,
    .check = fifo_check,
};
