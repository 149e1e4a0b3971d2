/*
 * policy_opt.c - OPT (Belady's MIN): replace the page whose next use is
 * farthest in the future.
 *
 * L. A. Belady, "A study of replacement algorithms for a virtual-storage
 * computer", IBM Systems Journal 5(2), 1966; OSC 10th ed. 10.4.3.  Optimal
 * for the number of faults, so the yardstick every other policy is measured
 * against.  The core precomputes each reference's next-use time in one
 * backward pass (SIM_POL_FUTURE); here a binary max-heap of frames keyed by
 * that time gives the victim at the root.  On a hit the frame's key rises
 * from "now" (the smallest key in the heap) to its next use, so it sifts up
 * from near the leaves: O(log frames) worst case, O(1) expected on random
 * next uses.  Ties (pages never used again, SIM_NEVER) go to any of them:
 * the fault count is the same for every choice.
 *
 * Invariants (opt_check): heap order (key[parent] >= key[child]); pos[] and
 * heap[] are inverse permutations over the frames [0, nresident).
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

typedef struct opt {
    uint32_t *heap; /* heap slot -> frame, max-heap on key */
    uint32_t *pos;  /* frame -> heap slot */
    uint64_t *key;  /* frame -> time of its page's next use */
    uint32_t n;     /* frames in the heap */
} opt_t;

static int opt_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    opt_t *s = p->state;
    uint32_t n = p->mem->nframes;
    (void)ps;
    s->heap = malloc((size_t)n * sizeof *s->heap);
    s->pos = malloc((size_t)n * sizeof *s->pos);
    s->key = malloc((size_t)n * sizeof *s->key);
    if (!s->heap || !s->pos || !s->key)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u OPT frames", n);
    return 0;
}

static void opt_destroy(sim_policy_t *p)
{
    opt_t *s = p->state;
    free(s->heap);
    free(s->pos);
    free(s->key);
}

static inline void sift_up(opt_t *s, uint32_t i)
{
    uint32_t f = s->heap[i];
    uint64_t k = s->key[f];
    while (i > 0) {
        uint32_t up = (i - 1) / 2, g = s->heap[up];
        if (s->key[g] >= k)
            break;
        s->heap[i] = g;
        s->pos[g] = i;
        i = up;
    }
    s->heap[i] = f;
    s->pos[f] = i;
}

static inline void sift_down(opt_t *s, uint32_t i)
{
    uint32_t f = s->heap[i];
    uint64_t k = s->key[f];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= s->n)
            break;
        if (c + 1 < s->n && s->key[s->heap[c + 1]] > s->key[s->heap[c]])
            c++;
        if (s->key[s->heap[c]] <= k)
            break;
        s->heap[i] = s->heap[c];
        s->pos[s->heap[i]] = i;
        i = c;
    }
    s->heap[i] = f;
    s->pos[f] = i;
}

static void opt_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    opt_t *s = p->state;
    /* The next use only moves later, so the key only rises. */
    s->key[f] = a->next;
    sift_up(s, s->pos[f]);
}

static void opt_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    opt_t *s = p->state;
    s->key[f] = a->next;
    s->heap[s->n] = f;
    s->pos[f] = s->n;
    sift_up(s, s->n++);
}

static uint32_t opt_evict(sim_policy_t *p, const sim_access_t *a)
{
    opt_t *s = p->state;
    uint32_t f = s->heap[0];
    (void)a;
    s->heap[0] = s->heap[--s->n];
    s->pos[s->heap[0]] = 0;
    if (s->n)
        sift_down(s, 0);
    return f;
}

static void opt_check(const sim_policy_t *p)
{
    const opt_t *s = p->state;
    VL_ASSERT(s->n == p->mem->nresident);
    for (uint32_t i = 0; i < s->n; i++) {
        VL_ASSERT(s->heap[i] < p->mem->nresident && s->pos[s->heap[i]] == i);
        if (i)
            VL_ASSERT(s->key[s->heap[(i - 1) / 2]] >= s->key[s->heap[i]]);
    }
}

SIM_FAST_LOOP(opt_run, opt_hit, opt_insert, opt_evict)

const sim_policy_ops_t sim_policy_opt = {
    .name = "opt",
    .summary = "optimal: farthest next use (Belady 1966; OSC 10th ed. 10.4.3)",
    .params = "",
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
