/* SPDX-License-Identifier: MIT */
/*
 * policy_sieve.c - SIEVE.
 *
 * Y. Zhang, J. Yang, Y. Yue, Y. Vigfusson and K. V. Rashmi, "SIEVE is Simpler
 * than LRU: an Efficient Turn-Key Eviction Algorithm for Web Caches", USENIX
 * NSDI 2024, Algorithm 1.  One FIFO queue of resident pages and a hand.  A
 * hit only sets the page's visited bit (here the core's SIM_REF: no hit
 * hook).  To evict, the hand moves from where it stopped last (initially the
 * oldest page) toward newer pages, clearing visited bits, wrapping from the
 * newest to the oldest, and takes the first page not visited; it then rests
 * on that page's newer neighbour (none if it was the newest).  Unlike CLOCK,
 * survivors are not moved to the head, so new pages (visited = 0) sit near
 * the head and are sifted out quickly.
 *
 * Layout: the queue links frames (head = oldest); O(1) per hit, amortised
 * O(1) per miss.  Invariant (sieve_check): the queue holds exactly the
 * frames [0, nresident); the hand is NIL or on the queue.
 */
#include "sim/policy.h"

#include <errno.h>
#include <stdlib.h>

#include "sim/ilist.h"
#include "sim/sim_fast.h"
#include "vmlab/check.h"

typedef struct sieve {
    ilink_t *fl;   /* frame -> links in the queue */
    ilist_t q;     /* head: oldest page, tail: newest */
    uint32_t hand; /* next frame to examine; NIL: start at the head */
} sieve_t;

static int sieve_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    sieve_t *s = p->state;
    (void)ps;
    ilist_init(&s->q);
    s->hand = ILIST_NIL;
    s->fl = malloc((size_t)p->mem->nframes * sizeof *s->fl);
    if (!s->fl)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for SIEVE over %u frames",
                        p->mem->nframes);
    return 0;
}

static void sieve_destroy(sim_policy_t *p)
{
    free(((sieve_t *)p->state)->fl);
}

static uint32_t sieve_evict(sim_policy_t *p, const sim_access_t *a)
{
    sieve_t *s = p->state;
    uint8_t *flags = p->mem->flags;
    uint32_t f = s->hand != ILIST_NIL ? s->hand : s->q.head;
    (void)a;
    while (flags[f] & SIM_REF) {
        flags[f] &= (uint8_t)~SIM_REF;
        f = s->fl[f].next;
        if (f == ILIST_NIL)
            f = s->q.head;
    }
    s->hand = s->fl[f].next;
    ilist_remove(&s->q, s->fl, f);
    return f;
}

static void sieve_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    sieve_t *s = p->state;
    (void)a;
    p->mem->flags[f] &= (uint8_t)~SIM_REF; /* new objects are not visited */
    ilist_push_back(&s->q, s->fl, f);
}

static void sieve_check(const sim_policy_t *p)
{
    const sieve_t *s = p->state;
    int hand_on = s->hand == ILIST_NIL;
    ilist_check(&s->q, s->fl, p->mem->nresident);
    VL_ASSERT(s->q.n == p->mem->nresident);
    for (uint32_t f = s->q.head; f != ILIST_NIL; f = s->fl[f].next)
        hand_on |= f == s->hand;
    VL_ASSERT(hand_on);
}

SIM_FAST_LOOP(sieve_run, SIM_FAST_NOHIT, sieve_insert, sieve_evict)

const sim_policy_ops_t sim_policy_sieve = {
    .name = "sieve",
    .summary = "SIEVE, a FIFO queue with a sifting hand (Zhang et al., NSDI 2024)",
    .params = "",
    .state_size = sizeof(sieve_t),
    .init = sieve_init,
    .destroy = sieve_destroy,
    .insert = sieve_insert,
    .evict = sieve_evict,
    .check = sieve_check,
    .run = sieve_run,
};
