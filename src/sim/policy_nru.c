/* SPDX-License-Identifier: MIT */
/*
 * policy_nru.c - NRU as the enhanced second-chance algorithm.
 *
 * Silberschatz, Galvin and Gagne, Operating System Concepts, 10th ed.,
 * 10.4.5.3 "Enhanced Second-Chance Algorithm" (Tanenbaum, Modern Operating
 * Systems, 4th ed., 3.4.2 names the same four classes NRU).  Each frame has
 * the R (referenced) and M (modified) bits the core keeps in mem->flags, and
 * the frames form a circular queue with a hand.  The pages fall in four
 * classes, (R, M) = (0,0) < (0,1) < (1,0) < (1,1), and the victim is the
 * first page from the hand in the lowest nonempty class, found by the
 * classic scans: (1) one revolution looking for (0,0), changing nothing;
 * (2) one revolution looking for (0,1), clearing R of every page passed;
 * repeat (the second round finds what were (1,0) and then (1,1) pages).
 * The hand then rests after the victim's frame.  M is only cleared by
 * writing the page back (eviction), so a dirty page is evicted only when no
 * clean unreferenced page exists.
 *
 * The first scan is the costly one: when most pages are dirty there is no
 * (0,0) page and it reads every frame on every fault (0.3 M refs/s on the
 * zipf benchmark at 76,267 frames).  So the policy keeps `cand`, a bitmap
 * over frames that holds every (0,0) frame and maybe some that are not:
 * a frame enters class (0,0) only when the second scan clears its R while
 * M is clear (a new page arrives with R set; a hit sets R; only eviction
 * clears M), and that is when its bit is set.  The first scan visits only
 * the set bits, in the same circular order from the hand, and clears those
 * it finds not (0,0) (hit since): the first real (0,0) it meets is the one
 * the plain scan would find, so the victims are the textbook's exactly.  A
 * summary bitmap (bit w: cand word w is not 0) skips empty words, and with
 * no bit set the first scan costs nothing.  The second scan is the plain
 * one: amortised like CLOCK's hand, it clears R of what it passes.
 *
 * Invariants (nru_check): every frame f < nresident with R = M = 0 has its
 * cand bit; ncand = popcount(cand); summary bit w == (cand[w] != 0).
 * Nothing on a hit: the core sets R and M.
 */
#include "sim/policy.h"
#include "sim/sim_fast.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

typedef struct nru {
    uint32_t hand;  /* next frame the scan starts at, < nframes */
    uint32_t ncand; /* bits set in cand */
    uint64_t *cand; /* bit f: frame f may be in class (0,0) (see above) */
    uint64_t *sum;  /* bit w: cand[w] != 0 */
    uint32_t nw;    /* words of cand: ceil(nframes / 64) */
} nru_t;

static int nru_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    nru_t *s = p->state;
    (void)ps;
    s->nw = (p->mem->nframes + 63) / 64;
    s->cand = calloc(s->nw, sizeof *s->cand);
    s->sum = calloc(s->nw / 64 + 1, sizeof *s->sum);
    if (!s->cand || !s->sum)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for %u NRU frames", p->mem->nframes);
    return 0;
}

static void nru_destroy(sim_policy_t *p)
{
    nru_t *s = p->state;
    free(s->cand);
    free(s->sum);
}

static inline void cand_set(nru_t *s, uint32_t f)
{
    uint64_t b = 1ull << (f & 63);
    if (s->cand[f >> 6] & b)
        return;
    s->cand[f >> 6] |= b;
    s->sum[f >> 12] |= 1ull << ((f >> 6) & 63);
    s->ncand++;
}

static inline void cand_clear(nru_t *s, uint32_t f)
{
    uint64_t b = 1ull << (f & 63);
    if (!(s->cand[f >> 6] & b))
        return;
    if (!(s->cand[f >> 6] &= ~b))
        s->sum[f >> 12] &= ~(1ull << ((f >> 6) & 63));
    s->ncand--;
}

/* The first frame >= from with its cand bit set, or UINT32_MAX if none. */
static uint32_t cand_next(const nru_t *s, uint32_t from)
{
    uint32_t w = from >> 6;
    if (w >= s->nw)
        return UINT32_MAX;
    uint64_t x = s->cand[w] & (~0ull << (from & 63));
    if (x)
        return (w << 6) + (uint32_t)__builtin_ctzll(x);
    w++; /* the next nonempty word, through the summary */
    for (uint32_t sw = w >> 6; (uint64_t)sw << 6 < s->nw; sw++) {
        uint64_t y = s->sum[sw];
        if (sw == w >> 6)
            y &= ~0ull << (w & 63);
        if (y) {
            uint32_t v = (sw << 6) + (uint32_t)__builtin_ctzll(y);
            return (v << 6) + (uint32_t)__builtin_ctzll(s->cand[v]);
        }
    }
    return UINT32_MAX;
}

static void nru_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    (void)a;
    cand_clear(p->state, f); /* the new page has R set */
}

/* The first (0,0) frame from the hand in circular order, or UINT32_MAX. */
static uint32_t first_00(nru_t *s, const uint8_t *flags)
{
    uint32_t j = s->hand, wrapped = 0;
    while (s->ncand) {
        j = cand_next(s, j);
        if (j == UINT32_MAX) {
            if (wrapped++)
                break;
            j = 0;
            continue;
        }
        if (wrapped && j >= s->hand)
            break;
        if (!(flags[j] & (SIM_REF | SIM_DIRTY)))
            return j;
        cand_clear(s, j++); /* hit since its R was cleared */
    }
    return UINT32_MAX;
}

static uint32_t nru_evict(sim_policy_t *p, const sim_access_t *a)
{
    nru_t *s = p->state;
    uint8_t *flags = p->mem->flags;
    uint32_t n = p->mem->nframes, j, i;
    (void)a;
    for (;;) {
        if ((j = first_00(s, flags)) != UINT32_MAX)
            goto found; /* class (0,0) */
        for (i = 0, j = s->hand; i < n; i++, j = j + 1 == n ? 0 : j + 1) {
            if ((flags[j] & (SIM_REF | SIM_DIRTY)) == SIM_DIRTY)
                goto found; /* class (0,1) */
            if ((flags[j] & (SIM_REF | SIM_DIRTY)) == SIM_REF) /* (1,0) becomes (0,0) */
                cand_set(s, j);
            flags[j] &= (uint8_t)~SIM_REF;
        }
    }
found:
    s->hand = j + 1 == n ? 0 : j + 1;
    return j;
}

static void nru_check(const sim_policy_t *p)
{
    const nru_t *s = p->state;
    uint32_t set = 0;
    VL_ASSERT(s->hand < p->mem->nframes);
    for (uint32_t w = 0; w < s->nw; w++) {
        set += (uint32_t)__builtin_popcountll(s->cand[w]);
        VL_ASSERT(!!(s->sum[w >> 6] & (1ull << (w & 63))) == (s->cand[w] != 0));
    }
    VL_ASSERT(set == s->ncand);
    for (uint32_t f = 0; f < p->mem->nresident; f++)
        if (!(p->mem->flags[f] & (SIM_REF | SIM_DIRTY)))
            VL_ASSERT(s->cand[f >> 6] & (1ull << (f & 63)));
}

SIM_FAST_LOOP(nru_run, SIM_FAST_NOHIT, nru_insert, nru_evict)

const sim_policy_ops_t sim_policy_nru = {
    .name = "nru",
    .summary = "not recently used: enhanced second chance, R and M bits (OSC 10th ed. 10.4.5.3)",
    .params = "",
    .state_size = sizeof(nru_t),
    .init = nru_init,
    .destroy = nru_destroy,
    .insert = nru_insert,
    .evict = nru_evict,
    .check = nru_check,
    .run = nru_run,
};
