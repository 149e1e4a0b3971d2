/* SPDX-License-Identifier: MIT */
/*
 * policy_wsclock.c - WSClock, the working-set clock.
 *
 * R. W. Carr and J. L. Hennessy, "WSCLOCK - A Simple and Effective Algorithm
 * for Virtual Memory Management", SOSP 1981; as described in Tanenbaum and
 * Bos, Modern Operating Systems, 4th ed., 3.4.9.  The frames form a circle
 * with a hand; each keeps R and M (the core's flags) and the virtual time of
 * its last observed use.  Virtual time is counted by the policy instance:
 * the references it has seen, so under local scope it is the process's own
 * virtual time, as in Carr's definition of the working set, and under global
 * scope it is the reference's index in the trace.
 * At a fault with memory full the hand examines frames:
 *   R = 1              clear R, record now as the time of last use, advance;
 *   R = 0, age > tau   out of the working set: if clean, evict it; if dirty,
 *                      schedule its write-back (sim_mem_clean: one disk write
 *                      now, the page becomes clean) and advance;
 *   otherwise          in the working set: advance.
 * If the hand comes all the way round: when writes were scheduled the
 * simulation treats them as complete, so the first clean page from the hand
 * is evicted; with none scheduled "any clean page" is claimed, again the
 * first from the hand; with no clean page at all, the page under the hand is
 * evicted (and written back).  The hand rests after the victim's frame.
 *
 * Parameter: tau=1000 (references; the working-set window).
 * O(frames) per fault at worst; a hit only counts virtual time (the core
 * sets R and M).
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

typedef struct wsclock {
    uint64_t *last; /* frame -> virtual time of last observed use */
    uint64_t tau;   /* working-set window, references */
    uint64_t now;   /* virtual time: references this instance has seen */
    uint32_t hand;  /* next frame to examine, < nframes */
} wsclock_t;

static int wsclock_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    wsclock_t *s = p->state;
    int rc = sim_param_u64(ps, "tau", 1000, 0, UINT64_MAX / 2, &s->tau, d);
    if (rc)
        return rc;
    s->hand = 0;
    s->now = 0;
    s->last = calloc(p->mem->nframes, sizeof *s->last);
    if (!s->last)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for WSClock over %u frames",
                        p->mem->nframes);
    return 0;
}

static void wsclock_destroy(sim_policy_t *p)
{
    free(((wsclock_t *)p->state)->last);
}

static void wsclock_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)f;
    (void)a;
    ((wsclock_t *)p->state)->now++;
}

static void wsclock_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    wsclock_t *s = p->state;
    (void)a;
    s->last[f] = s->now++;
}

static uint32_t wsclock_evict(sim_policy_t *p, const sim_access_t *a)
{
    wsclock_t *s = p->state;
    sim_mem_t *m = p->mem;
    uint8_t *flags = m->flags;
    uint64_t now = s->now; /* of this reference: insert counts it */
    uint32_t n = m->nframes, j, i;
    (void)a;
    for (i = 0, j = s->hand; i < n; i++, j = j + 1 == n ? 0 : j + 1) {
        if (flags[j] & SIM_REF) {
            flags[j] &= (uint8_t)~SIM_REF;
            s->last[j] = now;
        } else if (now - s->last[j] > s->tau) {
            if (!(flags[j] & SIM_DIRTY))
                goto found;
            sim_mem_clean(m, j); /* schedule the write-back */
        }
    }
    for (i = 0, j = s->hand; i < n; i++, j = j + 1 == n ? 0 : j + 1)
        if (!(flags[j] & SIM_DIRTY))
            goto found;
    j = s->hand;
found:
    s->hand = j + 1 == n ? 0 : j + 1;
    return j;
}

static void wsclock_check(const sim_policy_t *p)
{
    VL_ASSERT(((const wsclock_t *)p->state)->hand < p->mem->nframes);
}

SIM_FAST_LOOP(wsclock_run, wsclock_hit, wsclock_insert, wsclock_evict)

const sim_policy_ops_t sim_policy_wsclock = {
    .name = "wsclock",
    .summary = "working-set clock (Carr and Hennessy, SOSP 1981; Tanenbaum MOS 3.4.9)",
    .params = "tau=1000 (references)",
    .state_size = sizeof(wsclock_t),
    .init = wsclock_init,
    .destroy = wsclock_destroy,
    .hit = wsclock_hit,
    .insert = wsclock_insert,
    .evict = wsclock_evict,
    .check = wsclock_check,
    .run = wsclock_run,
};
