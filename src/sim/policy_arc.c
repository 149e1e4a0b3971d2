/* SPDX-License-Identifier: MIT */
/*
 * policy_arc.c - ARC, the Adaptive Replacement Cache.
 *
 * N. Megiddo and D. S. Modha, "ARC: A Self-Tuning, Low Overhead Replacement
 * Cache", USENIX FAST 2003, Figure 4.  Four LRU lists: T1 (resident, seen
 * once recently), T2 (resident, seen at least twice), B1 and B2 (ghosts: the
 * pages last evicted from T1 and T2).  A hit in B1 says T1 was too small, so
 * the target size p of T1 grows by max(1, |B2|/|B1|); a hit in B2 shrinks it
 * by max(1, |B1|/|B2|).  REPLACE evicts T1's LRU page into B1 when
 * |T1| > p (or = p on a B2 hit), otherwise T2's into B2.  p is an integer
 * here and the ratios divide with truncation (the paper uses reals; libCacheSim
 * and most implementations truncate likewise).
 *
 * Layout: T1 and T2 link frames (ilink_t per frame), B1 and B2 link dense
 * page ids (ilink_t per page), so every step is O(1), nothing allocates per
 * reference, and the ghost lists are bounded by the paper's invariants:
 *   |T1| + |T2| <= c, |T1| + |B1| <= c, |T1| + |T2| + |B1| + |B2| <= 2c,
 *   0 <= p <= c   (arc_check).
 * The core's call order maps onto Figure 4 as: evict() runs cases II-IV up to
 * and including REPLACE (it sees the incoming page, so it knows whether that
 * is a B1 or B2 ghost), insert() moves the page to T1 or T2.
 */
#include "sim/policy.h"

#include <errno.h>
#include <stdlib.h>

#include "sim/adaptive_lists.h"
#include "sim/ilist.h"
#include "sim/sim_fast.h"
#include "vmlab/check.h"

/* The paper's names for adaptive_lists_t's tags; T1 and T2 are LRU lists, head LRU. */
enum { ARC_NONE = AL_NONE, ARC_T1 = AL_1, ARC_T2 = AL_2, ARC_B1 = AL_1, ARC_B2 = AL_2 };

typedef adaptive_lists_t arc_t;

static int arc_grow(sim_policy_t *p, uint32_t npages)
{
    return adaptive_lists_grow(p->state, npages);
}

static int arc_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    (void)ps;
    if (adaptive_lists_init(p->state, p->mem->nframes, p->mem->npages))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for ARC over %u frames",
                        p->mem->nframes);
    return 0;
}

static void arc_destroy(sim_policy_t *p)
{
    adaptive_lists_destroy(p->state);
}

static void arc_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    arc_t *s = p->state;
    (void)a;
    if (s->fin[f] == ARC_T1) { /* case I: seen twice now */
        ilist_remove(&s->t1, s->fl, f);
        ilist_push_back(&s->t2, s->fl, f);
        s->fin[f] = ARC_T2;
    } else {
        ilist_move_back(&s->t2, s->fl, f);
    }
}

/* REPLACE(x, p): evict T1's or T2's LRU page into B1 or B2; its frame. */
static uint32_t arc_replace(arc_t *s, const sim_mem_t *m, int x_in_b2)
{
    uint32_t f, y;
    if (s->t1.n > 0 && (s->t1.n > s->p || (x_in_b2 && s->t1.n == s->p))) {
        f = ilist_pop_front(&s->t1, s->fl);
        y = m->page[f];
        ilist_push_back(&s->b1, s->pl, y);
        s->ghost[y] = ARC_B1;
    } else {
        f = ilist_pop_front(&s->t2, s->fl);
        y = m->page[f];
        ilist_push_back(&s->b2, s->pl, y);
        s->ghost[y] = ARC_B2;
    }
    return f;
}

static uint32_t arc_evict(sim_policy_t *p, const sim_access_t *a)
{
    arc_t *s = p->state;
    uint32_t x = a->page, d;
    switch (s->ghost[x]) {
    case ARC_B1: /* case II: T1 should have been larger */
        d = s->b1.n >= s->b2.n ? 1 : s->b2.n / s->b1.n;
        s->p = s->p + d < s->c ? s->p + d : s->c;
        return arc_replace(s, p->mem, 0);
    case ARC_B2: /* case III: T2 should have been larger */
        d = s->b2.n >= s->b1.n ? 1 : s->b1.n / s->b2.n;
        s->p = s->p > d ? s->p - d : 0;
        return arc_replace(s, p->mem, 1);
    default: /* case IV: memory is full, so |T1| + |T2| = c */
        if (s->t1.n + s->b1.n == s->c) {
            if (s->t1.n < s->c) {
                s->ghost[ilist_pop_front(&s->b1, s->pl)] = ARC_NONE;
                return arc_replace(s, p->mem, 0);
            }
            return ilist_pop_front(&s->t1, s->fl); /* B1 is empty: no ghost */
        }
        if ((uint64_t)s->t1.n + s->t2.n + s->b1.n + s->b2.n == 2 * (uint64_t)s->c)
            s->ghost[ilist_pop_front(&s->b2, s->pl)] = ARC_NONE;
        return arc_replace(s, p->mem, 0);
    }
}

static void arc_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    arc_t *s = p->state;
    uint32_t x = a->page;
    if (s->ghost[x] != ARC_NONE) { /* cases II and III: a ghost comes back to T2 */
        ilist_remove(s->ghost[x] == ARC_B1 ? &s->b1 : &s->b2, s->pl, x);
        s->ghost[x] = ARC_NONE;
        ilist_push_back(&s->t2, s->fl, f);
        s->fin[f] = ARC_T2;
    } else {
        ilist_push_back(&s->t1, s->fl, f);
        s->fin[f] = ARC_T1;
    }
}

static void arc_check(const sim_policy_t *p)
{
    const arc_t *s = p->state;
    const sim_mem_t *m = p->mem;
    uint32_t c = s->c;
    ilist_check(&s->t1, s->fl, m->nresident);
    ilist_check(&s->t2, s->fl, m->nresident);
    ilist_check(&s->b1, s->pl, s->pcap);
    ilist_check(&s->b2, s->pl, s->pcap);
    VL_ASSERT(s->t1.n + s->t2.n == m->nresident);
    VL_ASSERT(s->t1.n + s->b1.n <= c);
    VL_ASSERT((uint64_t)s->t1.n + s->t2.n + s->b1.n + s->b2.n <= 2 * (uint64_t)c);
    VL_ASSERT(s->p <= c);
    for (uint32_t f = s->t1.head; f != ILIST_NIL; f = s->fl[f].next)
        VL_ASSERT(s->fin[f] == ARC_T1 && s->ghost[m->page[f]] == ARC_NONE);
    for (uint32_t f = s->t2.head; f != ILIST_NIL; f = s->fl[f].next)
        VL_ASSERT(s->fin[f] == ARC_T2 && s->ghost[m->page[f]] == ARC_NONE);
    for (uint32_t x = s->b1.head; x != ILIST_NIL; x = s->pl[x].next)
        VL_ASSERT(s->ghost[x] == ARC_B1);
    for (uint32_t x = s->b2.head; x != ILIST_NIL; x = s->pl[x].next)
        VL_ASSERT(s->ghost[x] == ARC_B2);
}

SIM_FAST_LOOP(arc_run, arc_hit, arc_insert, arc_evict)

const sim_policy_ops_t sim_policy_arc = {
    .name = "arc",
    .summary = "adaptive replacement cache (Megiddo and Modha, FAST 2003)",
    .params = "",
    .state_size = sizeof(arc_t),
    .init = arc_init,
    .destroy = arc_destroy,
    .grow = arc_grow,
    .hit = arc_hit,
    .insert = arc_insert,
    .evict = arc_evict,
    .check = arc_check,
    .run = arc_run,
};
