/* SPDX-License-Identifier: MIT */
/*
 * policy_mfu.c - MFU: replace the most frequently used page.
 *
 * Silberschatz, Galvin and Gagne, Operating System Concepts, 10th ed.,
 * 10.4.6 "Counting-Based Page Replacement": keep a count of the references
 * to each page and replace the page with the largest count, on the
 * argument that a page with a small count was probably just brought in and
 * has yet to be used.
 * Counts are of references while resident (a page reloaded after eviction
 * starts again at 1), and ties are broken LRU: among the pages with that
 * count, the one referenced least recently goes.  The O(1) bucket structure
 * is in freq_list.h (Shah, Mitra and Matani 2010).
 */
#include "sim/freq_list.h"
#include "sim/sim_fast.h"

static int mfu_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    (void)ps;
    if (freq_init(p->state, p->mem->nframes))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for MFU over %u frames",
                        p->mem->nframes);
    return 0;
}

static void mfu_destroy(sim_policy_t *p)
{
    freq_destroy(p->state);
}

static void mfu_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)a;
    freq_hit(p->state, f);
}

static void mfu_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)a;
    freq_insert(p->state, f);
}

static uint32_t mfu_evict(sim_policy_t *p, const sim_access_t *a)
{
    (void)a;
    return freq_evict(p->state, 1);
}

static void mfu_check(const sim_policy_t *p)
{
    freq_check(p->state, p->mem->nresident);
}

SIM_FAST_LOOP(mfu_run, mfu_hit, mfu_insert, mfu_evict)

const sim_policy_ops_t sim_policy_mfu = {
    .name = "mfu",
    .summary = "most frequently used, ties LRU (OSC 10th ed. 10.4.6)",
    .params = "",
    .state_size = sizeof(freq_list_t),
    .init = mfu_init,
    .destroy = mfu_destroy,
    .hit = mfu_hit,
    .insert = mfu_insert,
    .evict = mfu_evict,
    .check = mfu_check,
    .run = mfu_run,
};
