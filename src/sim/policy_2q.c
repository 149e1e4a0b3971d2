/* SPDX-License-Identifier: MIT */
/*
 * policy_2q.c - 2Q, the full version with A1in, A1out and Am.
 *
 * T. Johnson and D. Shasha, "2Q: A Low Overhead High Performance Buffer
 * Management Replacement Algorithm", VLDB 1994, section 2.1 ("Full Version").
 * A first reference puts a page on A1in, a FIFO of resident pages; a
 * re-reference while on A1in does nothing (it is correlated).  When A1in
 * holds more than Kin pages its oldest is evicted and remembered on A1out, a
 * FIFO of Kout page identifiers (ghosts).  A miss on a page remembered on
 * A1out proves a long-term reuse: the page goes to Am, an LRU list.  When
 * A1in holds Kin pages or fewer, Am's LRU page is evicted instead (and not
 * remembered).
 *
 * Parameters, as the paper recommends: kin=25 and kout=50, percentages of
 * the frames (Kin = floor(frames * kin / 100), Kout likewise).  Kin must stay
 * below the frame count (kin < 100) so Am is never empty when A1in is small.
 *
 * Layout: A1in and Am link frames, A1out links dense page ids; O(1) per
 * reference, nothing allocated per reference.  Invariants (q2_check):
 * |A1in| + |Am| = resident, |A1out| <= Kout.
 */
#include "sim/policy.h"

#include <errno.h>
#include <stdlib.h>

#include "sim/ilist.h"
#include "sim/sim_fast.h"
#include "vmlab/check.h"

enum { Q2_A1IN = 1, Q2_AM = 2 };           /* where a frame is */
enum { Q2_NONE = 0, Q2_OUT = 1, Q2_BACK = 2 }; /* page: on A1out / just left it */

typedef struct q2 {
    ilink_t *fl;    /* frame -> links on A1in or Am */
    uint8_t *fin;   /* frame -> Q2_A1IN or Q2_AM */
    ilink_t *pl;    /* page -> links on A1out */
    uint8_t *ghost; /* page -> Q2_OUT while on A1out; Q2_BACK between the
                       evict and insert of its return */
    uint32_t pcap;  /* per-page arrays hold pcap entries */
    uint32_t kin;   /* A1in's threshold, < frames */
    uint32_t kout;  /* A1out's length */
    ilist_t a1in;   /* head: oldest */
    ilist_t am;     /* head: LRU */
    ilist_t a1out;  /* head: oldest */
} q2_t;

static int q2_grow(sim_policy_t *p, uint32_t npages)
{
    q2_t *s = p->state;
    uint32_t cap;
    if (npages <= s->pcap)
        return 0;
    cap = ilist_grow_cap(s->pcap, npages);
    if (ilist_grow_array((void **)&s->pl, sizeof *s->pl, s->pcap, cap, 0xff) ||
        ilist_grow_array((void **)&s->ghost, 1, s->pcap, cap, Q2_NONE))
        return -ENOMEM;
    s->pcap = cap;
    return 0;
}

static int q2_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    q2_t *s = p->state;
    uint32_t c = p->mem->nframes;
    double kin, kout;
    int rc;
    if ((rc = sim_param_double(ps, "kin", 25.0, 0.0, 99.0, &kin, d)) ||
        (rc = sim_param_double(ps, "kout", 50.0, 0.0, 1000.0, &kout, d)))
        return rc;
    s->kin = (uint32_t)((double)c * kin / 100.0);
    if (s->kin >= c)
        s->kin = c - 1;
    kout = (double)c * kout / 100.0; /* up to 10 frames' worth: may pass 2^32 */
    s->kout = kout >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)kout;
    ilist_init(&s->a1in);
    ilist_init(&s->am);
    ilist_init(&s->a1out);
    s->fl = malloc((size_t)c * sizeof *s->fl);
    s->fin = malloc(c);
    if (!s->fl || !s->fin || q2_grow(p, p->mem->npages))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for 2Q over %u frames", c);
    return 0;
}

static void q2_destroy(sim_policy_t *p)
{
    q2_t *s = p->state;
    free(s->fl);
    free(s->fin);
    free(s->pl);
    free(s->ghost);
}

static void q2_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    q2_t *s = p->state;
    (void)a;
    if (s->fin[f] == Q2_AM)
        ilist_move_back(&s->am, s->fl, f);
    /* on A1in: a correlated reference, nothing to do */
}

/* reclaimfor(X) when no frame is free. */
static uint32_t q2_evict(sim_policy_t *p, const sim_access_t *a)
{
    q2_t *s = p->state;
    uint32_t x = a->page, f, y;
    if (s->ghost[x] == Q2_OUT) { /* X leaves A1out before anything is added */
        ilist_remove(&s->a1out, s->pl, x);
        s->ghost[x] = Q2_BACK;
    }
    if (s->a1in.n > s->kin) {
        f = ilist_pop_front(&s->a1in, s->fl);
        y = p->mem->page[f];
        ilist_push_back(&s->a1out, s->pl, y);
        s->ghost[y] = Q2_OUT;
        if (s->a1out.n > s->kout)
            s->ghost[ilist_pop_front(&s->a1out, s->pl)] = Q2_NONE;
    } else {
        f = ilist_pop_front(&s->am, s->fl);
    }
    return f;
}

static void q2_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    q2_t *s = p->state;
    uint32_t x = a->page;
    if (s->ghost[x] != Q2_NONE) {
        if (s->ghost[x] == Q2_OUT) /* only reachable with a free frame */
            ilist_remove(&s->a1out, s->pl, x);
        s->ghost[x] = Q2_NONE;
        ilist_push_back(&s->am, s->fl, f);
        s->fin[f] = Q2_AM;
    } else {
        ilist_push_back(&s->a1in, s->fl, f);
        s->fin[f] = Q2_A1IN;
    }
}

static void q2_check(const sim_policy_t *p)
{
    const q2_t *s = p->state;
    const sim_mem_t *m = p->mem;
    ilist_check(&s->a1in, s->fl, m->nresident);
    ilist_check(&s->am, s->fl, m->nresident);
    ilist_check(&s->a1out, s->pl, s->pcap);
    VL_ASSERT(s->a1in.n + s->am.n == m->nresident);
    VL_ASSERT(s->a1out.n <= s->kout);
    for (uint32_t f = s->a1in.head; f != ILIST_NIL; f = s->fl[f].next)
        VL_ASSERT(s->fin[f] == Q2_A1IN && s->ghost[m->page[f]] == Q2_NONE);
    for (uint32_t f = s->am.head; f != ILIST_NIL; f = s->fl[f].next)
        VL_ASSERT(s->fin[f] == Q2_AM && s->ghost[m->page[f]] == Q2_NONE);
    for (uint32_t x = s->a1out.head; x != ILIST_NIL; x = s->pl[x].next)
        VL_ASSERT(s->ghost[x] == Q2_OUT);
}

SIM_FAST_LOOP(q2_run, q2_hit, q2_insert, q2_evict)

const sim_policy_ops_t sim_policy_2q = {
    .name = "2q",
    .summary = "2Q, A1in/A1out/Am (Johnson and Shasha, VLDB 1994)",
    .params = "kin=25, kout=50 (percent of frames)",
    .state_size = sizeof(q2_t),
    .init = q2_init,
    .destroy = q2_destroy,
    .grow = q2_grow,
    .hit = q2_hit,
    .insert = q2_insert,
    .evict = q2_evict,
    .check = q2_check,
    .run = q2_run,
};
