/* SPDX-License-Identifier: MIT */
/*
 * policy_aging.c - aging: an n-bit software approximation of LRU.
 *
 * Tanenbaum and Bos, Modern Operating Systems, 4th ed., 3.4.7 "Simulating
 * LRU in Software" (Figure 3-17).  Every clock tick each resident page's
 * n-bit counter is shifted right one bit and its R bit (the core's SIM_REF)
 * is added as the leftmost bit, then R is cleared.  On a fault the page with
 * the lowest counter is evicted.  Here a tick is every `period` references
 * (the core's tick hook, after the reference), and the comparison key is
 * (R, counter) with R most significant: a page referenced since the last
 * tick is more recent than anything its counter records (a newly loaded
 * page starts with R = 1, counter 0).  Ties go to the lowest frame number.
 *
 * Parameters: bits=8 (1..32), period=100 (references per tick, >= 1).
 * O(frames) per tick and per fault (a scan); no allocation per reference.
 */
#include "sim/policy.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

typedef struct aging {
    uint32_t *cnt; /* frame -> counter, < 2^bits */
    unsigned bits; /* counter width */
} aging_t;

static int aging_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    aging_t *s = p->state;
    uint64_t bits, period;
    int rc;
    if ((rc = sim_param_u64(ps, "bits", 8, 1, 32, &bits, d)) ||
        (rc = sim_param_u64(ps, "period", 100, 1, UINT64_MAX / 2, &period, d)))
        return rc;
    s->bits = (unsigned)bits;
    p->tick = period;
    s->cnt = calloc(p->mem->nframes, sizeof *s->cnt);
    if (!s->cnt)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for aging over %u frames",
                        p->mem->nframes);
    return 0;
}

static void aging_destroy(sim_policy_t *p)
{
    free(((aging_t *)p->state)->cnt);
}

static void aging_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)a;
    ((aging_t *)p->state)->cnt[f] = 0;
}

static void aging_tick(sim_policy_t *p)
{
    aging_t *s = p->state;
    uint8_t *flags = p->mem->flags;
    uint32_t top = 1u << (s->bits - 1);
    for (uint32_t f = 0, n = p->mem->nresident; f < n; f++) {
        s->cnt[f] = (s->cnt[f] >> 1) | ((flags[f] & SIM_REF) ? top : 0);
        flags[f] &= (uint8_t)~SIM_REF;
    }
}

static uint32_t aging_evict(sim_policy_t *p, const sim_access_t *a)
{
    aging_t *s = p->state;
    const uint8_t *flags = p->mem->flags;
    uint64_t best = UINT64_MAX;
    uint32_t v = 0;
    (void)a;
    for (uint32_t f = 0, n = p->mem->nframes; f < n; f++) {
        uint64_t key = ((uint64_t)(flags[f] & SIM_REF) << s->bits) | s->cnt[f];
        if (key < best) {
            best = key;
            v = f;
        }
    }
    return v;
}

static void aging_check(const sim_policy_t *p)
{
    const aging_t *s = p->state;
    for (uint32_t f = 0; f < p->mem->nresident; f++)
        VL_ASSERT(s->bits == 32 || s->cnt[f] < (1u << s->bits));
}

const sim_policy_ops_t sim_policy_aging = {
    .name = "aging",
    .summary = "aging, n-bit counters shifted every tick (Tanenbaum, MOS 4th ed. 3.4.7)",
    .params = "bits=8 (1..32), period=100 (references per tick)",
    .state_size = sizeof(aging_t),
    .init = aging_init,
    .destroy = aging_destroy,
    .insert = aging_insert,
    .evict = aging_evict,
    .tick = aging_tick,
    .check = aging_check,
};
