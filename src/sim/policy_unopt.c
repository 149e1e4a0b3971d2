/* SPDX-License-Identifier: MIT */
/*
 * policy_unopt.c - UNOPT: replace the page used soonest, the worst choice
 * there is (OPT's mirror image), as OSTEP ch. 22's homework defines it
 * (paging-policy.py -p UNOPT): a lower bound on any policy's hit rate.
 *
 * It reads the future (SIM_POL_FUTURE).  Per frame it keeps the next use of
 * its page and the order in which that page was loaded; a fault scans the
 * frames for the smallest next use, ties (pages never used again, when all
 * of them are) going to the earliest loaded, the homework's rule.
 * O(frames) per fault: a policy for teaching, not for long traces.
 */
#include "sim/policy.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

typedef struct unopt {
    uint64_t *next; /* frame -> next use of its page (SIM_NEVER: none) */
    uint64_t *seq;  /* frame -> when its page was loaded (a load counter) */
    uint64_t loads; /* loads so far */
} unopt_t;

static int unopt_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    unopt_t *s = p->state;
    (void)ps;
    s->next = calloc(p->mem->nframes, sizeof *s->next);
    s->seq = calloc(p->mem->nframes, sizeof *s->seq);
    if (!s->next || !s->seq)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for UNOPT over %u frames",
                        p->mem->nframes);
    return 0;
}

static void unopt_destroy(sim_policy_t *p)
{
    unopt_t *s = p->state;
    free(s->next);
    free(s->seq);
}

static void unopt_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    ((unopt_t *)p->state)->next[f] = a->next;
}

static void unopt_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    unopt_t *s = p->state;
    s->next[f] = a->next;
    s->seq[f] = s->loads++;
}

static uint32_t unopt_evict(sim_policy_t *p, const sim_access_t *a)
{
    unopt_t *s = p->state;
    uint32_t v = 0;
    (void)a;
    for (uint32_t f = 1; f < p->mem->nframes; f++)
        if (s->next[f] < s->next[v] || (s->next[f] == s->next[v] && s->seq[f] < s->seq[v]))
            v = f;
    return v;
}

static void unopt_check(const sim_policy_t *p)
{
    const unopt_t *s = p->state;
    for (uint32_t f = 0; f < p->mem->nresident; f++)
        VL_ASSERT(s->seq[f] < s->loads);
}

const sim_policy_ops_t sim_policy_unopt = {
    .name = "unopt",
    .summary = "the worst: soonest next use goes (OSTEP ch. 22 homework, paging-policy.py)",
    .params = "",
    .flags = SIM_POL_FUTURE,
    .state_size = sizeof(unopt_t),
    .init = unopt_init,
    .destroy = unopt_destroy,
    .hit = unopt_hit,
    .insert = unopt_insert,
    .evict = unopt_evict,
    .check = unopt_check,
};
