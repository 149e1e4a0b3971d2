/* SPDX-License-Identifier: MIT */
/*
 * policy_car.c - CAR, Clock with Adaptive Replacement.
 *
 * S. Bansal and D. S. Modha, "CAR: Clock with Adaptive Replacement", USENIX
 * FAST 2004, Figure 2.  ARC's adaptation with CLOCK's cheap hits: T1 and T2
 * are clocks (a hit only sets the page's reference bit, here the core's
 * SIM_REF, so there is no hit hook at all); B1 and B2 are LRU ghost lists
 * and p, the target size of T1, adapts on ghost hits exactly as in ARC
 * (integer p, truncating divisions).  replace(): while T1 holds at least
 * max(1, p) pages its head is examined (R = 0: demoted to B1's MRU end;
 * R = 1: cleared and moved to T2's tail), otherwise T2's head (R = 0: demoted
 * to B2; R = 1: cleared and moved to T2's tail), until a page is demoted.
 * Pages enter T1 (a miss) or T2 (a ghost hit) with R = 0.
 *
 * Layout: T1/T2 link frames, B1/B2 link dense page ids; O(1) per hit,
 * amortised O(1) per miss, nothing allocated per reference.  Invariants
 * (car_check): |T1| + |T2| <= c, |T1| + |B1| <= c, |T2| + |B2| <= 2c,
 * |T1| + |T2| + |B1| + |B2| <= 2c, 0 <= p <= c.
 */
#include "sim/policy.h"

#include <errno.h>
#include <stdlib.h>

#include "sim/adaptive_lists.h"
#include "sim/ilist.h"
#include "sim/sim_fast.h"
#include "vmlab/check.h"

/* The paper's tags; T1 and T2 are clocks: the head is under the hand. */
enum { CAR_NONE = AL_NONE, CAR_1 = AL_1, CAR_2 = AL_2 };

typedef adaptive_lists_t car_t;

static int car_grow(sim_policy_t *p, uint32_t npages)
{
    return adaptive_lists_grow(p->state, npages);
}

static int car_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    (void)ps;
    if (adaptive_lists_init(p->state, p->mem->nframes, p->mem->npages))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for CAR over %u frames",
                        p->mem->nframes);
    return 0;
}

static void car_destroy(sim_policy_t *p)
{
    adaptive_lists_destroy(p->state);
}

static uint32_t car_evict(sim_policy_t *p, const sim_access_t *a)
{
    car_t *s = p->state;
    sim_mem_t *m = p->mem;
    uint32_t x = a->page, f, y;
    for (;;) { /* replace() */
        if (s->t1.n >= (s->p > 1 ? s->p : 1)) {
            f = ilist_pop_front(&s->t1, s->fl);
            if (!(m->flags[f] & SIM_REF)) {
                y = m->page[f];
                ilist_push_back(&s->b1, s->pl, y);
                s->ghost[y] = CAR_1;
                break;
            }
            m->flags[f] &= (uint8_t)~SIM_REF;
            ilist_push_back(&s->t2, s->fl, f);
            s->fin[f] = CAR_2;
        } else {
            f = ilist_pop_front(&s->t2, s->fl);
            if (!(m->flags[f] & SIM_REF)) {
                y = m->page[f];
                ilist_push_back(&s->b2, s->pl, y);
                s->ghost[y] = CAR_2;
                break;
            }
            m->flags[f] &= (uint8_t)~SIM_REF;
            ilist_push_back(&s->t2, s->fl, f);
        }
    }
    /* directory replacement, for a page in no list */
    if (s->ghost[x] == CAR_NONE) {
        if (s->t1.n + s->b1.n == s->c)
            s->ghost[ilist_pop_front(&s->b1, s->pl)] = CAR_NONE;
        else if ((uint64_t)s->t1.n + s->t2.n + s->b1.n + s->b2.n == 2 * (uint64_t)s->c)
            s->ghost[ilist_pop_front(&s->b2, s->pl)] = CAR_NONE;
    }
    return f;
}

static void car_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    car_t *s = p->state;
    uint32_t x = a->page, d;
    p->mem->flags[f] &= (uint8_t)~SIM_REF;
    switch (s->ghost[x]) {
    case CAR_1:
        d = s->b2.n / s->b1.n > 1 ? s->b2.n / s->b1.n : 1;
        s->p = s->p + d < s->c ? s->p + d : s->c;
        ilist_remove(&s->b1, s->pl, x);
        break;
    case CAR_2:
        d = s->b1.n / s->b2.n > 1 ? s->b1.n / s->b2.n : 1;
        s->p = s->p > d ? s->p - d : 0;
        ilist_remove(&s->b2, s->pl, x);
        break;
    default:
        ilist_push_back(&s->t1, s->fl, f);
        s->fin[f] = CAR_1;
        return;
    }
    s->ghost[x] = CAR_NONE;
    ilist_push_back(&s->t2, s->fl, f);
    s->fin[f] = CAR_2;
}

static void car_check(const sim_policy_t *p)
{
    const car_t *s = p->state;
    const sim_mem_t *m = p->mem;
    ilist_check(&s->t1, s->fl, m->nresident);
    ilist_check(&s->t2, s->fl, m->nresident);
    ilist_check(&s->b1, s->pl, s->pcap);
    ilist_check(&s->b2, s->pl, s->pcap);
    VL_ASSERT(s->t1.n + s->t2.n == m->nresident);
    VL_ASSERT(s->t1.n + s->b1.n <= s->c);
    VL_ASSERT((uint64_t)s->t1.n + s->t2.n + s->b1.n + s->b2.n <= 2 * (uint64_t)s->c);
    VL_ASSERT(s->p <= s->c);
    for (uint32_t f = s->t1.head; f != ILIST_NIL; f = s->fl[f].next)
        VL_ASSERT(s->fin[f] == CAR_1 && s->ghost[m->page[f]] == CAR_NONE);
    for (uint32_t f = s->t2.head; f != ILIST_NIL; f = s->fl[f].next)
        VL_ASSERT(s->fin[f] == CAR_2 && s->ghost[m->page[f]] == CAR_NONE);
    for (uint32_t x = s->b1.head; x != ILIST_NIL; x = s->pl[x].next)
        VL_ASSERT(s->ghost[x] == CAR_1);
    for (uint32_t x = s->b2.head; x != ILIST_NIL; x = s->pl[x].next)
        VL_ASSERT(s->ghost[x] == CAR_2);
}

SIM_FAST_LOOP(car_run, SIM_FAST_NOHIT, car_insert, car_evict)

const sim_policy_ops_t sim_policy_car = {
    .name = "car",
    .summary = "clock with adaptive replacement (Bansal and Modha, FAST 2004)",
    .params = "",
    .state_size = sizeof(car_t),
    .init = car_init,
    .destroy = car_destroy,
    .grow = car_grow,
    .insert = car_insert,
    .evict = car_evict,
    .check = car_check,
    .run = car_run,
};
