/* SPDX-License-Identifier: MIT */
/*
 * policy_opt.c - OPT (Belady's MIN): replace the page whose next use is
 * farthest in the future.
 *
 * L. A. Belady, "A study of replacement algorithms for a virtual-storage
 * computer", IBM Systems Journal 5(2), 1966; OSC 10th ed. 10.4.3.  Optimal
 * for the number of faults, so the yardstick every other policy is measured
 * against.  The core precomputes each reference's next-use time in one
 * backward pass (SIM_POL_FUTURE); here a max-heap of (next use, frame)
 * entries gives the victim at the root.
 *
 * The heap is lazy.  On a hit the page's next use only moves later, so
 * instead of finding its entry and sifting it, a hit pushes a new entry and
 * leaves the old one in place: the old key is the hit's own time, which is
 * below every live key (a resident page's next use is after now), so a stale
 * entry never reaches the root while memory is full, and a victim is always
 * read straight off the root.  A push starts at the end of the array, where
 * the last pushes were, so a hit touches cache-warm memory instead of a
 * random leaf; when the array is full the stale entries (key <= now) are
 * dropped and the live ones heapified again (Floyd), O(frames) every
 * 2 * frames hits.  A fault replaces the root with the new page's entry and
 * sifts it down: a page never used again stays at the top and goes at the
 * next fault, a few comparisons each way.
 *
 * Entries are one uint64_t, key << 32 | ~frame, so a comparison is one
 * integer compare and ties are broken without extra data: pages never used
 * again (key SIM_NEVER, the largest) go lowest frame first.  Every other key
 * is the unique time of a reference, so the victim is a function of the
 * trace alone, not of the heap's shape, and disk writes are reproducible by
 * any implementation with the same tie rule (tests/test_sim.c has two).
 * 4-ary (D. B. Johnson, "Priority queues with update and finding minimum
 * spanning trees", IPL 4(3), 1975): half the levels of a binary heap, and
 * the four children of a slot share one 32-byte block (the array starts 3
 * entries before a 64-byte boundary).
 * Times must fit 32 bits: the driver refuses OPT runs of UINT32_MAX
 * references or more.
 *
 * ostep=1 breaks the tie as OSTEP's paging-policy.py does instead: among the
 * pages never used again the one loaded last goes (its scan keeps the
 * first-loaded page only if a later one is not at least as far).  That needs
 * load order, which the heap does not keep, so this mode skips the heap and
 * scans per-frame next uses and load stamps at each fault, O(frames): a mode
 * for homework-sized runs (vmlab sim --steps uses it).
 *
 * Invariants (opt_check), with now the time of the last hit or load:
 * heap order (h[parent] >= h[child]) over [0, n); the entries with key > now
 * are exactly one per frame in [0, nresident); the others have key <= now;
 * n <= cap.
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"

_Static_assert(SIM_NEVER == UINT32_MAX, "next-use times and SIM_NEVER fit a 32-bit key");

typedef struct opt {
    uint64_t *h;     /* the heap: h[i] = key << 32 | ~frame, max at h[0] */
    void *mem;       /* the allocation h points into */
    uint32_t n;      /* entries in the heap, live and stale */
    uint32_t cap;    /* room in h; a push into a full heap purges first */
    uint32_t now;    /* time of the last hit or load */
    int hole;        /* 1 between evict and insert: h[0] is the victim's */
    uint8_t *seen;   /* nframes scratch bytes for opt_check */
    int ostep;       /* ostep=1: the scan below instead of the heap */
    uint32_t *next;  /* ostep: frame -> next use of its page */
    uint64_t *seq;   /* ostep: frame -> load stamp of its page */
    uint64_t loads;  /* ostep: loads so far */
} opt_t;

static inline uint64_t entry(uint64_t next, uint32_t f)
{
    VL_DEBUG_CHECK(VL_ASSERT(next <= SIM_NEVER));
    return (uint64_t)(uint32_t)next << 32 | (uint32_t)~f;
}

static int opt_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    opt_t *s = p->state;
    uint32_t nf = p->mem->nframes;
    /* Room for 2 * nf stale entries: a purge every 2 * nf hits or so; 2 and
     * 4 measured within noise of 3 on the zipf benchmark. */
    uint64_t cap = 3 * (uint64_t)nf + 64, v;
    int rc = sim_param_u64(ps, "ostep", 0, 0, 1, &v, d);
    if (rc)
        return rc;
    s->ostep = (int)v;
    if (s->ostep) {
        s->next = calloc(nf, sizeof *s->next);
        s->seq = calloc(nf, sizeof *s->seq);
        if (!s->next || !s->seq)
            return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u OPT frames", nf);
    }
    if (cap > UINT32_MAX)
        cap = UINT32_MAX;
    s->cap = (uint32_t)cap;
    /* 3 entries before a 64-byte boundary: children 4i+1..4i+4 aligned. */
    s->mem = aligned_alloc(64, ((size_t)cap + 3 + 7) / 8 * 64);
    s->seen = malloc(nf);
    if (!s->mem || !s->seen)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u OPT frames", nf);
    s->h = (uint64_t *)s->mem + 3;
    return 0;
}

static void opt_destroy(sim_policy_t *p)
{
    opt_t *s = p->state;
    free(s->mem);
    free(s->seen);
    free(s->next);
    free(s->seq);
}

static inline void sift_up(uint64_t *h, uint32_t i, uint64_t e)
{
    while (i > 0) {
        uint32_t up = (i - 1) / 4;
        if (h[up] >= e)
            break;
        h[i] = h[up];
        i = up;
    }
    h[i] = e;
}

static inline void sift_down(uint64_t *h, uint32_t n, uint32_t i, uint64_t e)
{
    for (;;) {
        uint32_t c = 4 * i + 1;
        uint64_t m;
        if (c + 3 < n) {
            uint64_t a = h[c] > h[c + 1] ? h[c] : h[c + 1];
            uint64_t b = h[c + 2] > h[c + 3] ? h[c + 2] : h[c + 3];
            uint32_t ca = h[c] > h[c + 1] ? c : c + 1;
            uint32_t cb = h[c + 2] > h[c + 3] ? c + 2 : c + 3;
            m = a > b ? a : b;
            c = a > b ? ca : cb;
        } else {
            if (c >= n)
                break;
            uint32_t best = c;
            for (uint32_t k = c + 1; k < n; k++)
                if (h[k] > h[best])
                    best = k;
            c = best;
            m = h[c];
        }
        if (m <= e)
            break;
        h[i] = m;
        i = c;
    }
    h[i] = e;
}

/* Drop the stale entries (key <= now) and heapify the rest. */
static void purge(opt_t *s)
{
    uint32_t k = 0;
    uint64_t *h = s->h;
    for (uint32_t i = 0; i < s->n; i++) { /* branch-free: live or not is a coin toss */
        uint64_t e = h[i];
        h[k] = e;
        k += (uint32_t)(e >> 32) > s->now;
    }
    s->n = k;
    for (uint32_t i = k > 1 ? (k - 2) / 4 + 1 : 0; i-- > 0;)
        sift_down(h, k, i, h[i]);
}

static inline void push(opt_t *s, uint64_t e)
{
    if (__builtin_expect(s->n == s->cap, 0))
        purge(s);
    sift_up(s->h, s->n++, e);
}

static void opt_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    opt_t *s = p->state;
    if (__builtin_expect(s->ostep, 0)) {
        s->next[f] = (uint32_t)a->next;
        return;
    }
    /* The entry keyed a->time goes stale: now it is the past. */
    s->now = (uint32_t)a->time;
    push(s, entry(a->next, f));
}

static void opt_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    opt_t *s = p->state;
    if (__builtin_expect(s->ostep, 0)) {
        s->next[f] = (uint32_t)a->next;
        s->seq[f] = s->loads++;
        return;
    }
    s->now = (uint32_t)a->time;
    if (s->hole) { /* the victim's entry at the root: replace it */
        s->hole = 0;
        sift_down(s->h, s->n, 0, entry(a->next, f));
    } else {
        push(s, entry(a->next, f));
    }
}

static uint32_t opt_evict(sim_policy_t *p, const sim_access_t *a)
{
    opt_t *s = p->state;
    (void)a;
    if (__builtin_expect(s->ostep, 0)) {
        uint32_t v = 0;
        for (uint32_t f = 1; f < p->mem->nframes; f++)
            if (s->next[f] > s->next[v] || (s->next[f] == s->next[v] && s->seq[f] > s->seq[v]))
                v = f;
        return v;
    }
    s->hole = 1;
    return ~(uint32_t)s->h[0];
}

static void opt_check(const sim_policy_t *p)
{
    const opt_t *s = p->state;
    uint32_t live = 0;
    if (s->ostep) {
        for (uint32_t f = 0; f < p->mem->nresident; f++)
            VL_ASSERT(s->seq[f] < s->loads);
        return;
    }
    VL_ASSERT(!s->hole && s->n <= s->cap);
    memset(s->seen, 0, p->mem->nframes);
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t f = ~(uint32_t)s->h[i], key = (uint32_t)(s->h[i] >> 32);
        if (i)
            VL_ASSERT(s->h[(i - 1) / 4] >= s->h[i]);
        VL_ASSERT(f < p->mem->nresident);
        if (key > s->now) {
            VL_ASSERT(!s->seen[f]);
            s->seen[f] = 1;
            live++;
        }
    }
    VL_ASSERT(live == p->mem->nresident);
}

SIM_FAST_LOOP(opt_run, opt_hit, opt_insert, opt_evict)

const sim_policy_ops_t sim_policy_opt = {
    .name = "opt",
    .summary = "optimal: farthest next use (Belady 1966; OSC 10th ed. 10.4.3)",
    .params = "ostep=0",
    .flags = SIM_POL_FUTURE,
    .state_size = sizeof(opt_t),
    .init = opt_init,
    .destroy = opt_destroy,
    .hit = opt_hit,
    .insert = opt_insert,
    .evict = opt_evict,
    .run = opt_run,
    .check = opt_check,
};
