/* SPDX-License-Identifier: MIT */
/*
 * policy_lru.c - LRU: replace the page used least recently.
 *
 * OSC 10th ed., 10.4.4, the "stack" implementation: a doubly linked list of
 * frames, most recently used at the head; a use moves its frame to the head,
 * the victim is the tail.  The links are one array of {prev, next} pairs
 * indexed by frame (intrusive, no allocation after init; a pair shares a
 * cache line), O(1) per reference.
 *
 * Invariants (lru_check): the list from head holds exactly the frames
 * [0, nresident), each once, and prev/next agree.
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

#define NIL UINT32_MAX

typedef struct lru_link {
    uint32_t prev; /* more recently used frame, NIL at the head */
    uint32_t next; /* less recently used frame, NIL at the tail */
} lru_link_t;

typedef struct lru {
    lru_link_t *l; /* frame -> its links */
    uint32_t head; /* most recently used frame, NIL if empty */
    uint32_t tail; /* least recently used frame, NIL if empty */
} lru_t;

static int lru_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    lru_t *s = p->state;
    uint32_t n = p->mem->nframes;
    (void)ps;
    s->l = malloc((size_t)n * sizeof *s->l);
    if (!s->l)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u LRU frames", n);
    s->head = s->tail = NIL;
    return 0;
}

static void lru_destroy(sim_policy_t *p)
{
    lru_t *s = p->state;
    free(s->l);
}

static inline void lru_push_front(lru_t *s, uint32_t f)
{
    s->l[f].prev = NIL;
    s->l[f].next = s->head;
    if (s->head != NIL)
        s->l[s->head].prev = f;
    else
        s->tail = f;
    s->head = f;
}

static void lru_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    lru_t *s = p->state;
    uint32_t pv, nx;
    (void)a;
    if (f == s->head)
        return;
    pv = s->l[f].prev;
    nx = s->l[f].next;
    s->l[pv].next = nx; /* f is not the head, so pv != NIL */
    if (nx != NIL)
        s->l[nx].prev = pv;
    else
        s->tail = pv;
    lru_push_front(s, f);
}

static void lru_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)a;
    lru_push_front(p->state, f);
}

static uint32_t lru_evict(sim_policy_t *p, const sim_access_t *a)
{
    lru_t *s = p->state;
    uint32_t f = s->tail;
    (void)a;
    s->tail = s->l[f].prev;
    if (s->tail != NIL) {
        s->l[s->tail].next = NIL;
        /* The next victim is cold by definition: start fetching what its
         * eviction will touch (its links, its page) a few references early. */
        __builtin_prefetch(&s->l[s->l[s->tail].prev]);
        __builtin_prefetch(&p->mem->page[s->tail]);
    } else {
        s->head = NIL;
    }
    return f;
}

/* munmap/exit: unlink f; the last resident frame's node becomes f's. */
static void lru_remove(sim_policy_t *p, uint32_t f, uint32_t last)
{
    lru_t *s = p->state;
    uint32_t pv = s->l[f].prev, nx = s->l[f].next;
    if (pv != NIL)
        s->l[pv].next = nx;
    else
        s->head = nx;
    if (nx != NIL)
        s->l[nx].prev = pv;
    else
        s->tail = pv;
    if (f == last)
        return;
    s->l[f] = s->l[last];
    if (s->l[f].prev != NIL)
        s->l[s->l[f].prev].next = f;
    else
        s->head = f;
    if (s->l[f].next != NIL)
        s->l[s->l[f].next].prev = f;
    else
        s->tail = f;
}

static void lru_check(const sim_policy_t *p)
{
    const lru_t *s = p->state;
    uint32_t n = 0, last = NIL;
    for (uint32_t f = s->head; f != NIL; f = s->l[f].next) {
        VL_ASSERT(f < p->mem->nresident);
        VL_ASSERT(s->l[f].prev == last);
        VL_ASSERT(++n <= p->mem->nresident);
        last = f;
    }
    VL_ASSERT(s->tail == last);
    VL_ASSERT(n == p->mem->nresident);
}

SIM_FAST_LOOP(lru_run, lru_hit, lru_insert, lru_evict)

const sim_policy_ops_t sim_policy_lru = {
    .name = "lru",
    .summary = "least recently used (OSC 10th ed. 10.4.4)",
    .params = "",
    .state_size = sizeof(lru_t),
    .init = lru_init,
    .destroy = lru_destroy,
    .hit = lru_hit,
    .insert = lru_insert,
    .evict = lru_evict,
    .remove = lru_remove,
    .run = lru_run,
    .check = lru_check,
};
