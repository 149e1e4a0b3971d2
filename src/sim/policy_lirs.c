/* SPDX-License-Identifier: MIT */
/*
 * policy_lirs.c - LIRS, the Low Inter-reference Recency Set policy.
 *
 * S. Jiang and X. Zhang, "LIRS: An Efficient Low Inter-reference Recency Set
 * Replacement Policy to Improve Buffer Cache Performance", ACM SIGMETRICS
 * 2002, section 3.3.  Resident pages are LIR (Llirs of them, never evicted
 * while LIR) or HIR (Lhirs frames, evicted FIFO from queue Q).  Stack S
 * holds LIR pages and HIR pages (resident or not) in recency order; its
 * bottom is always LIR ("stack pruning" removes the HIR entries below the
 * lowest LIR page).  An HIR page referenced while still in S has a smaller
 * inter-reference recency than the bottom LIR page: it becomes LIR and the
 * bottom LIR page becomes a resident HIR page at the end of Q.
 *
 * Parameters: hir=PERCENT of the frames for resident HIR pages (the paper's
 * 1%; Lhirs is at least 1, so one frame degenerates LIRS to FIFO), and
 * ghosts=N, the bound on non-resident HIR entries kept in S (default: the
 * number of frames).  The paper leaves S unbounded; past the bound this
 * implementation drops the entry that has been non-resident the longest
 * (checked at the end of each reference), which keeps the directory at most
 * frames + ghosts entries.
 *
 * Layout: one 24-byte record per dense page id: S links, one more link pair
 * shared by Q (resident
 * HIR) and NR (non-resident entries of S in eviction order; a page is never
 * on both), a state byte and its frame.  O(1) per reference amortised
 * (pruning pops each entry it removes once), no allocation per reference.
 * Invariants (lirs_check): the bottom of S is LIR; LIR pages = min(Llirs,
 * pages loaded) are all resident and in S; Q holds exactly the resident HIR
 * pages; NR holds exactly the non-resident entries of S, at most `ghosts`.
 */
#include "sim/policy.h"

#include <errno.h>
#include <stdlib.h>

#include "sim/ilist.h"
#include "sim/sim_fast.h"
#include "vmlab/check.h"

enum {
    LIRS_LIR = 1, /* page is LIR (then also RES and INS) */
    LIRS_RES = 2, /* page is resident */
    LIRS_INS = 4, /* page has an entry in S */
};

/* Everything LIRS keeps per page, in one record so a reference touches one
 * cache line of it. */
typedef struct lirs_page {
    ilink_t s;      /* links in S (head = bottom, tail = top) */
    ilink_t q;      /* links in Q (resident HIR) or NR (ghost) */
    uint32_t frame; /* frame, while resident */
    uint8_t st;     /* LIRS_* bits */
} lirs_page_t;

#define PST sizeof(lirs_page_t)

typedef struct lirs {
    lirs_page_t *pg;  /* page -> its record */
    uint32_t pcap;    /* pg holds pcap records */
    uint32_t llirs;   /* LIR set size: frames - lhirs */
    uint32_t nlir;    /* LIR pages now, <= llirs */
    uint64_t ghosts;  /* bound on NR.n */
    ilist_t s;        /* the LIRS stack */
    ilist_t q;        /* resident HIR pages: head is evicted next */
    ilist_t nr;       /* non-resident entries of S, oldest eviction first */
} lirs_t;

static int lirs_grow(sim_policy_t *p, uint32_t npages)
{
    lirs_t *s = p->state;
    uint32_t cap;
    if (npages <= s->pcap)
        return 0;
    cap = ilist_grow_cap(s->pcap, npages);
    if (ilist_grow_array((void **)&s->pg, sizeof *s->pg, s->pcap, cap, 0xff))
        return -ENOMEM;
    for (uint32_t x = s->pcap; x < cap; x++)
        s->pg[x].st = 0;
    s->pcap = cap;
    return 0;
}

static int lirs_init(sim_policy_t *p, sim_params_t *ps, diag_t *d)
{
    lirs_t *s = p->state;
    uint32_t c = p->mem->nframes;
    double hir;
    uint64_t lhirs;
    int rc;
    if ((rc = sim_param_double(ps, "hir", 1.0, 0.0, 100.0, &hir, d)) ||
        (rc = sim_param_u64(ps, "ghosts", c, 0, UINT32_MAX, &s->ghosts, d)))
        return rc;
    lhirs = (uint64_t)((double)c * hir / 100.0);
    if (lhirs < 1)
        lhirs = 1;
    if (lhirs > c)
        lhirs = c;
    s->llirs = c - (uint32_t)lhirs;
    s->nlir = 0;
    ilist_init(&s->s);
    ilist_init(&s->q);
    ilist_init(&s->nr);
    if (lirs_grow(p, p->mem->npages))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for LIRS over %u pages",
                        p->mem->npages);
    return 0;
}

static void lirs_destroy(sim_policy_t *p)
{
    lirs_t *s = p->state;
    free(s->pg);
}

/* Stack pruning: pop HIR entries off the bottom until it is LIR. */
static inline void lirs_prune(lirs_t *s)
{
    uint32_t b;
    while ((b = s->s.head) != ILIST_NIL && !(s->pg[b].st & LIRS_LIR)) {
        ilist_remove_s(&s->s, &s->pg->s, PST, b);
        s->pg[b].st &= (uint8_t)~LIRS_INS;
        if (!(s->pg[b].st & LIRS_RES))
            ilist_remove_s(&s->nr, &s->pg->q, PST, b); /* a ghost leaving S is forgotten */
    }
}

/* The bottom LIR page becomes a resident HIR page at the end of Q. */
static inline void lirs_demote_bottom(lirs_t *s)
{
    uint32_t b = s->s.head;
    ilist_remove_s(&s->s, &s->pg->s, PST, b);
    s->pg[b].st = LIRS_RES;
    ilist_push_back_s(&s->q, &s->pg->q, PST, b);
    lirs_prune(s);
}

static void lirs_hit(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    lirs_t *s = p->state;
    uint32_t x = a->page;
    uint8_t st = s->pg[x].st;
    (void)f;
    if (st & LIRS_LIR) {
        int bottom = s->s.head == x;
        ilist_move_back_s(&s->s, &s->pg->s, PST, x);
        if (bottom)
            lirs_prune(s);
    } else if (st & LIRS_INS) { /* resident HIR, recent enough: now LIR */
        ilist_move_back_s(&s->s, &s->pg->s, PST, x);
        ilist_remove_s(&s->q, &s->pg->q, PST, x);
        s->pg[x].st = LIRS_LIR | LIRS_RES | LIRS_INS;
        lirs_demote_bottom(s);
    } else { /* resident HIR not in S: stays HIR */
        ilist_push_back_s(&s->s, &s->pg->s, PST, x);
        s->pg[x].st = st | LIRS_INS;
        ilist_move_back_s(&s->q, &s->pg->q, PST, x);
        lirs_prune(s); /* only does something when Llirs = 0 */
    }
}

static uint32_t lirs_evict(sim_policy_t *p, const sim_access_t *a)
{
    lirs_t *s = p->state;
    uint32_t y = ilist_pop_front_s(&s->q, &s->pg->q, PST);
    (void)a;
    s->pg[y].st &= (uint8_t)~LIRS_RES;
    if (s->pg[y].st & LIRS_INS)
        ilist_push_back_s(&s->nr, &s->pg->q, PST, y);
    return s->pg[y].frame;
}

static void lirs_insert(sim_policy_t *p, uint32_t f, const sim_access_t *a)
{
    lirs_t *s = p->state;
    uint32_t x = a->page;
    s->pg[x].frame = f;
    if (s->pg[x].st & LIRS_INS) { /* a ghost still in S: its IRR beats the bottom's */
        ilist_remove_s(&s->nr, &s->pg->q, PST, x);
        ilist_move_back_s(&s->s, &s->pg->s, PST, x);
        s->pg[x].st = LIRS_LIR | LIRS_RES | LIRS_INS;
        lirs_demote_bottom(s);
    } else if (s->nlir < s->llirs) { /* filling the LIR set */
        ilist_push_back_s(&s->s, &s->pg->s, PST, x);
        s->pg[x].st = LIRS_LIR | LIRS_RES | LIRS_INS;
        s->nlir++;
    } else {
        ilist_push_back_s(&s->s, &s->pg->s, PST, x);
        ilist_push_back_s(&s->q, &s->pg->q, PST, x);
        s->pg[x].st = LIRS_RES | LIRS_INS;
        lirs_prune(s);
    }
    while (s->nr.n > s->ghosts) { /* bound the history */
        uint32_t z = ilist_pop_front_s(&s->nr, &s->pg->q, PST);
        ilist_remove_s(&s->s, &s->pg->s, PST, z);
        s->pg[z].st = 0;
    }
}

static void lirs_check(const sim_policy_t *p)
{
    const lirs_t *s = p->state;
    const sim_mem_t *m = p->mem;
    uint32_t nlir = 0, nghost = 0;
    if (!s->pg) { /* no page seen yet (a check right after init) */
        VL_ASSERT(m->nresident == 0);
        return;
    }
    ilist_check_s(&s->s, &s->pg->s, PST, s->pcap);
    ilist_check_s(&s->q, &s->pg->q, PST, s->pcap);
    ilist_check_s(&s->nr, &s->pg->q, PST, s->pcap);
    VL_ASSERT(s->s.head == ILIST_NIL || (s->pg[s->s.head].st & LIRS_LIR));
    for (uint32_t x = s->s.head; x != ILIST_NIL; x = s->pg[x].s.next) {
        VL_ASSERT(s->pg[x].st & LIRS_INS);
        nlir += (s->pg[x].st & LIRS_LIR) != 0;
        nghost += !(s->pg[x].st & LIRS_RES);
    }
    for (uint32_t x = s->q.head; x != ILIST_NIL; x = s->pg[x].q.next)
        VL_ASSERT((s->pg[x].st & (LIRS_LIR | LIRS_RES)) == LIRS_RES);
    for (uint32_t x = s->nr.head; x != ILIST_NIL; x = s->pg[x].q.next)
        VL_ASSERT((s->pg[x].st & (LIRS_RES | LIRS_INS)) == LIRS_INS);
    VL_ASSERT(nlir == s->nlir && nlir <= s->llirs);
    VL_ASSERT(nghost == s->nr.n && s->nr.n <= s->ghosts);
    VL_ASSERT(s->nlir + s->q.n == m->nresident);
    for (uint32_t f = 0; f < m->nresident; f++)
        VL_ASSERT((s->pg[m->page[f]].st & LIRS_RES) && s->pg[m->page[f]].frame == f);
}

/* The fast loop names each page a few references ahead: start loading its
 * record (every reference reads it). */
static inline void lirs_prefetch(sim_policy_t *p, uint32_t page)
{
    __builtin_prefetch(&((lirs_t *)p->state)->pg[page], 1);
}

SIM_FAST_LOOP_PF(lirs_run, lirs_hit, lirs_insert, lirs_evict, lirs_prefetch)

const sim_policy_ops_t sim_policy_lirs = {
    .name = "lirs",
    .summary = "low inter-reference recency set (Jiang and Zhang, SIGMETRICS 2002)",
    .params = "hir=1 (percent of frames for resident HIR pages), ghosts=FRAMES",
    .state_size = sizeof(lirs_t),
    .init = lirs_init,
    .destroy = lirs_destroy,
    .grow = lirs_grow,
    .hit = lirs_hit,
    .insert = lirs_insert,
    .evict = lirs_evict,
    .check = lirs_check,
    .run = lirs_run,
};
