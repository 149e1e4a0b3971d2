/* SPDX-License-Identifier: MIT */
/*
 * test_simpol.c - the page-replacement policies of src/sim/policy_{nru,
 * aging,lfu,mfu,wsclock,arc,car,lirs,2q,sieve}.c, run through the public
 * simulator (sim_run_pages), against:
 *   - independent straightforward implementations (tests/simpol_ref.h:
 *     arrays and linear scans, written from the papers) on many random
 *     traces of varied locality and several frame counts, and on the real
 *     bzip trace: identical page faults and identical disk writes;
 *   - small worked examples whose results are derived by hand in comments;
 *   - properties: faults >= distinct pages, exact when everything fits,
 *     no disk write without a write, resident pages <= frames and ghost
 *     lists within their bounds (the reference's high-water marks; the fast
 *     policies assert theirs in ops->check, which the core runs after every
 *     reference under `make asan`);
 *   - parameter validation.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "simpol_ref.h"
#include "sim/sim_core.h"
#include "vmlab/sim.h"
#include "vmlab/trace.h"

/* ---------------------------------------------------------------- traces */

typedef struct tr {
    uint64_t *page;  /* for the simulator */
    uint32_t *dense; /* the same as dense ids, for the references */
    uint8_t *write;
    size_t n;
    size_t npages;   /* dense ids are < npages */
    size_t distinct; /* distinct pages referenced */
} tr_t;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}
static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

enum { GEN_UNIFORM, GEN_ZIPF, GEN_LOOP, GEN_PHASES, GEN_SCANMIX, GEN_KINDS };
static const char *const gen_name[] = {"uniform", "zipf", "loop", "phases", "scanmix"};

/* n references over at most np pages (kind as above), writes with
 * probability wpct/100; page numbers are scattered (x * 7919 + 3) so the
 * simulator's own dense-id mapping is exercised. */
static void tr_gen(tr_t *t, int kind, size_t n, uint32_t np, unsigned wpct, uint64_t seed)
{
    double *cdf = NULL;
    uint32_t loop = 1 + np / 2 + below(np / 2 + 1), pos = 0, base = 0, ws = 1 + np / 4;
    uint8_t *seen = calloc(np + n + 1, 1);
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    t->n = n;
    t->page = malloc(n * sizeof *t->page);
    t->dense = malloc(n * sizeof *t->dense);
    t->write = malloc(n);
    t->npages = 0;
    t->distinct = 0;
    if (kind == GEN_ZIPF) {
        double a = 0.6 + (double)(seed % 7) * 0.15, sum = 0;
        cdf = malloc(np * sizeof *cdf);
        for (uint32_t i = 0; i < np; i++)
            cdf[i] = sum += 1.0 / pow(i + 1, a);
        for (uint32_t i = 0; i < np; i++)
            cdf[i] /= sum;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t x = 0;
        switch (kind) {
        case GEN_UNIFORM:
            x = below(np);
            break;
        case GEN_ZIPF: {
            double u = (double)(rnd() >> 11) / 9007199254740992.0;
            uint32_t lo = 0, hi = np - 1;
            while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (cdf[mid] < u)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            x = (lo * 2654435761u) % np; /* popular pages are not 0, 1, ... */
            break;
        }
        case GEN_LOOP: /* cyclic over `loop` pages, a little noise */
            x = below(10) == 0 ? below(np) : pos++ % loop;
            break;
        case GEN_PHASES: /* a working set of ws pages that moves */
            if (below(50) == 0)
                base = below(np);
            x = (base + below(ws)) % np;
            break;
        case GEN_SCANMIX: /* a hot set, interrupted by scans of new pages */
            if (below(4) == 0)
                x = ws + (pos++ % (np > ws ? np - ws : 1));
            else
                x = below(ws);
            x %= np;
            break;
        }
        t->dense[i] = x;
        t->page[i] = (uint64_t)x * 7919 + 3;
        t->write[i] = below(100) < wpct;
        if (!seen[x]) {
            seen[x] = 1;
            t->distinct++;
        }
        if (x + 1 > t->npages)
            t->npages = x + 1;
    }
    free(cdf);
    free(seen);
}

static void tr_free(tr_t *t)
{
    free(t->page);
    free(t->dense);
    free(t->write);
}

/* A trace given as a list of page numbers and a string of R/W. */
static void tr_from(tr_t *t, const unsigned *pages, size_t n, const char *rw)
{
    t->n = n;
    t->page = malloc(n * sizeof *t->page);
    t->dense = malloc(n * sizeof *t->dense);
    t->write = malloc(n);
    t->npages = 0;
    t->distinct = 0;
    for (size_t i = 0; i < n; i++) {
        int fresh = 1;
        for (size_t j = 0; j < i; j++)
            fresh &= pages[j] != pages[i];
        t->distinct += fresh;
        t->page[i] = pages[i];
        t->dense[i] = pages[i];
        t->write[i] = rw && rw[i] == 'W';
        if (pages[i] + 1 > t->npages)
            t->npages = pages[i] + 1;
    }
}

/* ------------------------------------------------------------- simulator */

/* Run `spec` over t with each of frames[0, nf): faults and disk writes per
 * frame count into out[].  0, or the error (with *d). */
static int use_tlb; /* 1: add a TLB model, so the core takes its general
                      loop (hooks called through ops) instead of ops->run */

static int sim(const tr_t *t, const char *spec, const unsigned *frames, size_t nf,
               ref_result_t *out, diag_t *d)
{
    sim_config_t cfg = sim_config_default();
    sim_job_t jobs[16];
    sim_result_t res[16];
    trace_pages_t tp = {.page = t->page, .write = t->write, .pid = NULL, .n = t->n, .npids = 1};
    int rc;
    cfg.threads = 1;
    if (use_tlb) {
        cfg.tlb.entries = 4;
        cfg.tlb.ways = 2;
    }
    for (size_t i = 0; i < nf; i++) {
        jobs[i].policy = spec;
        jobs[i].frames = frames[i];
    }
    rc = sim_run_pages(&cfg, jobs, nf, &tp, res, d);
    if (rc)
        return rc;
    for (size_t i = 0; i < nf; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].faults = res[i].total.page_faults;
        out[i].writes = res[i].total.disk_writes;
        sim_result_free(&res[i]);
    }
    return 0;
}

/* The policies under test, with the parameters their references take. */
typedef struct pcase {
    const char *spec; /* for the simulator */
    int pol;          /* which reference */
    unsigned a, b;    /* reference parameters (see ref_run) */
} pcase_t;

enum { P_NRU, P_AGING, P_LFU, P_MFU, P_WSCLOCK, P_ARC, P_CAR, P_LIRS, P_2Q, P_SIEVE };

static const pcase_t cases[] = {
    {"nru", P_NRU, 0, 0},
    {"aging", P_AGING, 8, 100},
    {"aging:bits=1,period=1", P_AGING, 1, 1},
    {"aging:bits=3,period=1", P_AGING, 3, 1},
    {"aging:bits=16,period=7", P_AGING, 16, 7},
    {"aging:bits=8,period=6", P_AGING, 8, 6},
    {"aging:bits=32,period=3", P_AGING, 32, 3},
    {"lfu", P_LFU, 0, 0},
    {"mfu", P_MFU, 0, 0},
    {"wsclock", P_WSCLOCK, 1000, 0},
    {"wsclock:tau=0", P_WSCLOCK, 0, 0},
    {"wsclock:tau=2", P_WSCLOCK, 2, 0},
    {"wsclock:tau=5", P_WSCLOCK, 5, 0},
    {"wsclock:tau=40", P_WSCLOCK, 40, 0},
    {"arc", P_ARC, 0, 0},
    {"car", P_CAR, 0, 0},
    {"lirs", P_LIRS, 1, ~0u},
    {"lirs:hir=10", P_LIRS, 10, ~0u},
    {"lirs:hir=30,ghosts=0", P_LIRS, 30, 0},
    {"lirs:hir=20,ghosts=3", P_LIRS, 20, 3},
    {"lirs:ghosts=1000000", P_LIRS, 1, 1000000},
    {"2q", P_2Q, 25, 50},
    {"2q:kin=0,kout=0", P_2Q, 0, 0},
    {"2q:kin=50,kout=200", P_2Q, 50, 200},
    {"2q:kin=10,kout=25", P_2Q, 10, 25},
    {"sieve", P_SIEVE, 0, 0},
};
enum { NCASES = sizeof cases / sizeof cases[0] };

/* The same sizing rules as the policies' own (stated in their headers). */
static size_t lirs_lhirs(size_t c, unsigned pct)
{
    size_t l = (size_t)((double)c * pct / 100.0);
    return l < 1 ? 1 : l > c ? c : l;
}

static void ref_run(const pcase_t *pc, const tr_t *t, size_t c, ref_result_t *r, size_t *ghost_bound)
{
    *ghost_bound = 0;
    switch (pc->pol) {
    case P_NRU:
        ref_nru(t->dense, t->write, t->n, c, t->npages, r);
        break;
    case P_AGING:
        ref_aging(t->dense, t->write, t->n, c, pc->a, pc->b, r);
        break;
    case P_LFU:
    case P_MFU:
        ref_xfu(t->dense, t->write, t->n, c, t->npages, pc->pol == P_MFU, r);
        break;
    case P_WSCLOCK:
        ref_wsclock(t->dense, t->write, t->n, c, pc->a, r);
        break;
    case P_ARC:
        ref_arc(t->dense, t->write, t->n, c, t->npages, r);
        *ghost_bound = c;
        break;
    case P_CAR:
        ref_car(t->dense, t->write, t->n, c, t->npages, r);
        *ghost_bound = c;
        break;
    case P_LIRS: {
        size_t g = pc->b == ~0u ? c : pc->b;
        ref_lirs(t->dense, t->write, t->n, c, t->npages, lirs_lhirs(c, pc->a), g, r);
        *ghost_bound = g;
        break;
    }
    case P_2Q: {
        size_t kin = (size_t)((double)c * pc->a / 100.0), kout = (size_t)((double)c * pc->b / 100.0);
        ref_2q(t->dense, t->write, t->n, c, t->npages, kin >= c ? c - 1 : kin, kout, r);
        *ghost_bound = kout;
        break;
    }
    case P_SIEVE:
        ref_sieve(t->dense, t->write, t->n, c, t->npages, r);
        break;
    }
}

/* Cross-check one policy case on one trace over frames[]; also the
 * properties.  Returns 0, or fails the running test with a message. */
static int crosscheck(const pcase_t *pc, const tr_t *t, const unsigned *frames, size_t nf,
                      const char *what)
{
    ref_result_t fast[16], ref;
    diag_t d;
    size_t gb;
    int rc = sim(t, pc->spec, frames, nf, fast, &d), any_write = 0;
    for (size_t i = 0; i < t->n; i++)
        any_write |= t->write[i];
    if (rc) {
        test_fail(__FILE__, __LINE__, "%s: %s: sim_run_pages: %s", what, pc->spec, d.msg);
        return -1;
    }
    for (size_t i = 0; i < nf; i++) {
        ref_run(pc, t, frames[i], &ref, &gb);
        if (fast[i].faults != ref.faults || fast[i].writes != ref.writes) {
            test_fail(__FILE__, __LINE__,
                      "%s: %s, %u frames: faults %ju writes %ju, reference %ju and %ju", what,
                      pc->spec, frames[i], (uintmax_t)fast[i].faults,
                      (uintmax_t)fast[i].writes, (uintmax_t)ref.faults, (uintmax_t)ref.writes);
            return -1;
        }
        if (ref.faults < t->distinct || ref.faults > t->n ||
            (frames[i] >= t->distinct && (ref.faults != t->distinct || ref.writes != 0)) ||
            ref.max_resident > frames[i] || ref.max_ghost > gb || (!any_write && ref.writes)) {
            test_fail(__FILE__, __LINE__,
                      "%s: %s, %u frames: property broken (faults %ju, distinct %zu, "
                      "resident %zu, ghosts %zu > %zu?)",
                      what, pc->spec, frames[i], (uintmax_t)ref.faults, t->distinct,
                      ref.max_resident, ref.max_ghost, gb);
            return -1;
        }
        /* Without wsclock's cleaning a write-back needs an eviction, and
         * an eviction a fault beyond the first `frames`. */
        if (pc->pol != P_WSCLOCK &&
            ref.writes > (ref.faults > frames[i] ? ref.faults - frames[i] : 0)) {
            test_fail(__FILE__, __LINE__, "%s: %s: %ju writes from %ju faults", what,
                      pc->spec, (uintmax_t)ref.writes, (uintmax_t)ref.faults);
            return -1;
        }
    }
    return 0;
}

/* Every case on `ntraces` random traces of every kind. */
static void crosscheck_random(int pol, unsigned ntraces)
{
    static const unsigned frames[] = {1, 2, 3, 4, 5, 8, 13, 21, 40, 90};
    static const unsigned wp[] = {0, 30, 100, 5};
    for (size_t k = 0; k < NCASES; k++) {
        if (cases[k].pol != pol)
            continue;
        for (unsigned s = 0; s < ntraces; s++) {
            for (int kind = 0; kind < GEN_KINDS; kind++) {
                tr_t t;
                char what[96];
                uint32_t np = 3 + (s * 37 + (unsigned)kind * 11) % 120;
                size_t n = 200 + (s * 311) % 1800;
                tr_gen(&t, kind, n, np, wp[s % 4], s * 131 + (unsigned)kind + 1);
                use_tlb = s % 3 == 2; /* a third through the general loop */
                snprintf(what, sizeof what, "%s trace %u (%u pages, %zu refs, %u%% writes)",
                         gen_name[kind], s, np, n, wp[s % 4]);
                int rc = crosscheck(&cases[k], &t, frames, sizeof frames / sizeof *frames, what);
                use_tlb = 0;
                tr_free(&t);
                if (rc)
                    return;
            }
        }
    }
}

TEST(nru_matches_reference) { crosscheck_random(P_NRU, 30); }
/* NRU's candidate bitmap has a summary word per 4096 frames: frame counts
 * around word and summary boundaries, traces mostly dirty (where the first
 * scan finds nothing) and mostly clean. */
TEST(nru_matches_reference_many_frames)
{
    static const unsigned frames[] = {63, 64, 65, 4095, 4097, 4160};
    static const unsigned wp[] = {90, 10};
    for (size_t k = 0; k < NCASES; k++) {
        if (cases[k].pol != P_NRU)
            continue;
        for (int kind = 0; kind < GEN_KINDS; kind++)
            for (unsigned w = 0; w < 2; w++) {
                tr_t t;
                char what[96];
                tr_gen(&t, kind, 9000, 4400, wp[w], 17 + (unsigned)kind * 5 + w);
                snprintf(what, sizeof what, "%s, 4400 pages, %u%% writes", gen_name[kind], wp[w]);
                int rc = crosscheck(&cases[k], &t, frames, sizeof frames / sizeof *frames, what);
                tr_free(&t);
                if (rc)
                    return;
            }
    }
}

TEST(aging_matches_reference) { crosscheck_random(P_AGING, 12); }
TEST(lfu_matches_reference) { crosscheck_random(P_LFU, 30); }
TEST(mfu_matches_reference) { crosscheck_random(P_MFU, 30); }
TEST(wsclock_matches_reference) { crosscheck_random(P_WSCLOCK, 12); }
TEST(arc_matches_reference) { crosscheck_random(P_ARC, 30); }
TEST(car_matches_reference) { crosscheck_random(P_CAR, 30); }
TEST(lirs_matches_reference) { crosscheck_random(P_LIRS, 12); }
TEST(2q_matches_reference) { crosscheck_random(P_2Q, 12); }
TEST(sieve_matches_reference) { crosscheck_random(P_SIEVE, 30); }

/* ------------------------------------------------ worked examples by hand */

/* Run spec and its reference on one small trace; both must give the hand-
 * derived counts. */
static int worked(const char *spec, const unsigned *pages, size_t n, const char *rw,
                  unsigned frames, uint64_t want_faults, uint64_t want_writes)
{
    tr_t t;
    ref_result_t fast, ref;
    diag_t d;
    size_t gb;
    const pcase_t *pc = NULL;
    for (size_t k = 0; k < NCASES; k++)
        if (strcmp(cases[k].spec, spec) == 0)
            pc = &cases[k];
    if (!pc) {
        test_fail(__FILE__, __LINE__, "%s: no such case", spec);
        return -1;
    }
    tr_from(&t, pages, n, rw);
    int rc = sim(&t, spec, &frames, 1, &fast, &d);
    ref_run(pc, &t, frames, &ref, &gb);
    tr_free(&t);
    if (rc) {
        test_fail(__FILE__, __LINE__, "%s: %s", spec, d.msg);
        return -1;
    }
    if (fast.faults != want_faults || fast.writes != want_writes || ref.faults != want_faults ||
        ref.writes != want_writes) {
        test_fail(__FILE__, __LINE__,
                  "%s, %u frames: faults %ju writes %ju (reference %ju, %ju), expected %ju, %ju",
                  spec, frames, (uintmax_t)fast.faults, (uintmax_t)fast.writes,
                  (uintmax_t)ref.faults, (uintmax_t)ref.writes, (uintmax_t)want_faults,
                  (uintmax_t)want_writes);
        return -1;
    }
    return 0;
}
#define N(a) (sizeof(a) / sizeof *(a))

/* OSC 10.4.5.3 with 3 frames.  1W 2R 3R fill the frames, all R = 1.  4R:
 * no (0,0); the (0,1) pass clears every R, so 1 is (0,1), 2 and 3 (0,0);
 * the next (0,0) pass takes 2, the first clean unreferenced page, although
 * 1 is older.  1R then hits: 4 faults, no write (FIFO: 5 faults, 1 write). */
TEST(nru_prefers_clean_pages)
{
    static const unsigned p[] = {1, 2, 3, 4, 1};
    CHECK(worked("nru", p, N(p), "WRRRR", 3, 4, 0) == 0);
}

/* 1R 2W 3R 4R 1R 5R 2R, 3 frames.  4R: the (0,1) pass clears all R (2 is
 * (1,1) when passed), then (0,0) finds 1 at the hand: evict 1, hand -> frame
 * 1.  1R: from frame 1, 2 is (0,1), 3 is (0,0): evict 3, hand -> 0.  5R:
 * frames 4(1,0) 2(0,1) 1(1,0); no (0,0); the (0,1) pass clears 4's R and
 * takes 2, dirty: one write, hand -> 2.  2R: 1 is (1,0), 4 is (0,0): evict 4.
 * 7 faults, 1 write. */
TEST(nru_worked_example)
{
    static const unsigned p[] = {1, 2, 3, 4, 1, 5, 2};
    CHECK(worked("nru", p, N(p), "RWRRRRR", 3, 7, 1) == 0);
}

/* Tanenbaum MOS 4th ed. Figure 3-17: six pages whose R bits over five ticks
 * are 101011, 110010, 110101, 100010, 011000 (pages 0..5).  With
 * aging:bits=8,period=6 each window of six references sets exactly those R
 * bits (padding repeats page 0 or 1), after a first window that loads all
 * six (adding the same low bit to every counter).  The figure's counters are
 * then 0: 01111000, 1: 10110000, 2: 10001000, 3: 00100000, 4: 01011000,
 * 5: 00101000, so page 6 evicts page 3, and 0 1 2 4 5 all hit: 7 faults. */
TEST(aging_tanenbaum_figure)
{
    static const unsigned p[] = {0, 1, 2, 3, 4, 5, /* load */
                                 0, 2, 4, 5, 0, 0, /* tick 1: 101011 */
                                 0, 1, 4, 0, 0, 0, /* tick 2: 110010 */
                                 0, 1, 3, 5, 0, 0, /* tick 3: 110101 */
                                 0, 4, 0, 0, 0, 0, /* tick 4: 100010 */
                                 1, 2, 1, 1, 1, 1, /* tick 5: 011000 */
                                 6, 0, 1, 2, 4, 5};
    CHECK(worked("aging:bits=8,period=6", p, N(p), NULL, 6, 7, 0) == 0);
}

/* OSC 10.4.6, ties broken LRU.  1 2 3 2 1 with 3 frames: counts 1:2, 2:2,
 * 3:1.  4: LFU evicts 3 (smallest count); MFU evicts 2 (largest count 2,
 * shared with 1, but 2 was referenced less recently).  Then 2: LFU hits,
 * MFU faults; 3: LFU faults, MFU hits. */
TEST(lfu_mfu_worked_example)
{
    static const unsigned a[] = {1, 2, 3, 2, 1, 4, 2}, b[] = {1, 2, 3, 2, 1, 4, 3};
    CHECK(worked("lfu", a, N(a), NULL, 3, 4, 0) == 0);
    CHECK(worked("mfu", a, N(a), NULL, 3, 5, 0) == 0);
    CHECK(worked("lfu", b, N(b), NULL, 3, 5, 0) == 0);
    CHECK(worked("mfu", b, N(b), NULL, 3, 4, 0) == 0);
}

/* WSClock, 3 frames, tau = 2, times from 0.  1W 2R 3R load (last use 0, 1,
 * 2).  4R (t=3): a revolution clears every R (last use 3) with no page
 * older than tau; then the first clean page from the hand, 2, goes.  5R
 * (t=4): 3 and 1 are young, 4 has R: cleared; first clean from the hand is
 * 3.  6R (t=5): 1 is age 2 (not > tau), 4 young, 5 has R; first clean: 4.
 * 7R (t=6): 5 young; 1 is age 3 > tau and dirty: its write is scheduled (1
 * write) and it becomes clean; 6 has R; second pass: 5 is the first clean.
 * 1R hits (it stayed, cleaned): 7 faults, 1 write (FIFO: 8 faults). */
TEST(wsclock_worked_example)
{
    static const unsigned p[] = {1, 2, 3, 4, 5, 6, 7, 1};
    CHECK(worked("wsclock:tau=2", p, N(p), "WRRRRRRR", 3, 7, 1) == 0);
}

/* ARC's scan resistance, c = 4: 1 1 2 2 puts 1 and 2 on T2; the scan
 * 10..17 only ever replaces T1's LRU page (|T1| > p = 0; B1 hits never
 * happen), so 1 and 2 still hit afterwards: 10 faults (LRU: 12). */
TEST(arc_scan_resistance)
{
    static const unsigned p[] = {1, 1, 2, 2, 10, 11, 12, 13, 14, 15, 16, 17, 1, 2};
    CHECK(worked("arc", p, N(p), NULL, 4, 10, 0) == 0);
    CHECK(worked("car", p, N(p), NULL, 4, 10, 0) == 0);
}

/* LIRS, 3 frames: Lhirs = 1, Llirs = 2.  1 2 load as LIR, 3 as resident
 * HIR (S = 1 2 3, Q = 3).  1, 2 hit; pruning drops 3 from S (S = 1 2).
 * 4 evicts 3 (forgotten: not in S) and is HIR; 5 evicts 4, which stays in
 * S as a ghost.  4 again (fault 6): 5 is evicted (ghost), and 4, a ghost in
 * S, becomes LIR; the bottom LIR page 1 becomes HIR (Q = 1).  1 hits (stays
 * HIR, back in S).  3 (fault 7) evicts 1 (a ghost in S).  1 (fault 8)
 * evicts 3 and, being in S, becomes LIR, demoting 2 to Q.  2 then hits.
 * 8 faults (LRU also 8, with a different resident set). */
TEST(lirs_worked_example)
{
    static const unsigned p[] = {1, 2, 3, 1, 2, 4, 5, 4, 1, 3, 1, 2};
    CHECK(worked("lirs", p, N(p), NULL, 3, 8, 0) == 0);
}

/* 2Q, 4 frames: Kin = 1, Kout = 2.  1 2 3 4 fill A1in; 1 hits there (no
 * change).  5: |A1in| = 4 > Kin, so 1 goes to A1out.  1 (fault 6) is on
 * A1out: 2 is paged out to A1out and 1 enters Am.  6, 7 page out 3, 4
 * (A1out keeps the last two: 3 4); 1 hits in Am; 8, 9 page out 5, 6; 1 hits.
 * 10 faults; and 1 survived all of it. */
TEST(twoq_worked_example)
{
    static const unsigned p[] = {1, 2, 3, 4, 1, 5, 1, 6, 7, 1, 8, 9, 1};
    CHECK(worked("2q", p, N(p), NULL, 4, 10, 0) == 0);
}

/* SIEVE, 3 frames: 1 2 3 load (unvisited), 1 hits (visited).  4: the hand
 * starts at the oldest, 1: visited, cleared; 2 is evicted and the hand rests
 * on 3.  2: 3 is unvisited: evicted, hand on 4.  5: 4 evicted, hand on 2.
 * 1 hits: it was never moved.  6 faults (LRU: 7). */
TEST(sieve_worked_example)
{
    static const unsigned p[] = {1, 2, 3, 1, 4, 2, 5, 1};
    CHECK(worked("sieve", p, N(p), NULL, 3, 6, 0) == 0);
}

/* ------------------------------------------------------------ parameters */

static int bad_spec(const char *spec, const char *want)
{
    sim_config_t cfg = sim_config_default();
    sim_job_t job = {.policy = spec, .frames = 10};
    diag_t d;
    memset(&d, 0, sizeof d);
    int rc = sim_config_check(&cfg, &job, 1, &d);
    if (rc != -EINVAL || !strstr(d.msg, want)) {
        test_fail(__FILE__, __LINE__, "%s: rc %d, message '%s' (expected -EINVAL naming '%s')",
                  spec, rc, d.msg, want);
        return -1;
    }
    return 0;
}

TEST(parameters_are_validated)
{
    CHECK(bad_spec("aging:bits=0", "bits=0") == 0);
    CHECK(bad_spec("aging:bits=33", "1..32") == 0);
    CHECK(bad_spec("aging:period=0", "period=0") == 0);
    CHECK(bad_spec("aging:bits=8x", "bits=8x") == 0);
    CHECK(bad_spec("wsclock:tau=-1", "tau=-1") == 0);
    CHECK(bad_spec("wsclock:tau=", "tau") == 0);
    CHECK(bad_spec("lirs:hir=101", "hir=101") == 0);
    CHECK(bad_spec("lirs:hir=nan", "hir=nan") == 0);
    CHECK(bad_spec("lirs:ghost=5", "ghost") == 0);
    CHECK(bad_spec("2q:kin=100", "kin=100") == 0);
    CHECK(bad_spec("2q:kout=1001", "kout=1001") == 0);
    CHECK(bad_spec("arc:p=3", "'p'") == 0);
    CHECK(bad_spec("sieve:hand=1", "'hand'") == 0);
    CHECK(bad_spec("nru:x=1", "no parameters") == 0);
    CHECK(bad_spec("lfu:a=1,b=2", "'a'") == 0);
    /* and the good ones are accepted */
    sim_config_t cfg = sim_config_default();
    static const char *const good[] = {"aging:bits=32,period=1", "wsclock:tau=0", "lirs:hir=0.5,ghosts=0",
                                       "2q:kin=0,kout=0", "mfu", "car"};
    for (size_t i = 0; i < N(good); i++) {
        sim_job_t job = {.policy = good[i], .frames = 1};
        diag_t d;
        CHECK_MSG(sim_config_check(&cfg, &job, 1, &d) == 0, "%s: %s", good[i], d.msg);
    }
}

/* ---------------------------------------------------------- a real trace */

/* ../shared/data/traces/bzip.trace.gz ("ADDR R|W", 4 KiB pages) through
 * vmlab's trace reader; dense ids for the references by first use.
 * 0, 1 if the file is missing, -1 if it cannot be read. */
static int load_bzip(tr_t *t)
{
    const char *path = test_shared("traces/bzip.trace.gz");
    trace_opts_t o = {.format = TRACE_AUTO};
    trace_pages_t tp;
    diag_t d;
    uint64_t ids[4096];
    size_t nd = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1;
    fclose(f);
    if (trace_load_pages(path, &o, 12, &tp, &d) != 0) {
        test_fail(__FILE__, __LINE__, "%s: %s", path, d.msg);
        return -1;
    }
    memset(t, 0, sizeof *t);
    t->n = tp.n;
    t->page = tp.page;
    t->write = tp.write;
    t->dense = malloc(tp.n * sizeof *t->dense);
    free(tp.pid);
    for (size_t i = 0; i < tp.n; i++) {
        size_t j = 0;
        while (j < nd && ids[j] != tp.page[i])
            j++;
        if (j == nd) {
            if (nd == 4096)
                return -1;
            ids[nd++] = tp.page[i];
        }
        t->dense[i] = (uint32_t)j;
    }
    t->npages = t->distinct = nd;
    return 0;
}

/* Every case on the whole bzip trace (1,000,000 references, 317 pages) at
 * several frame counts: identical to the reference. */
TEST(bzip_trace_matches_reference)
{
    static const unsigned frames[] = {4, 16, 50, 128};
    tr_t t;
    int rc = load_bzip(&t);
    if (rc == 1)
        SKIP("../shared/data/traces/bzip.trace.gz is missing");
    CHECK_EQ(rc, 0);
    CHECK_EQ(t.n, 1000000);
    CHECK_EQ(t.distinct, 317);
    for (size_t k = 0; k < NCASES; k++)
        if (crosscheck(&cases[k], &t, frames, N(frames), "bzip.trace.gz"))
            break;
    tr_free(&t);
}

/* ------------------------------------------------- several processes */

/* Three processes with different localities, interleaved in bursts, under
 * local scope (each process its own frames and policy instance, through the
 * core's general loop): each process's faults and disk writes equal the
 * reference run on that process's references alone with its frame quota.
 * aging is left out: its tick is global time, not a process's. */
TEST(local_scope_matches_reference_per_process)
{
    enum { P = 3, LEN = 1500 };
    static const unsigned totals[] = {3, 7, 20, 61};
    tr_t part[P], all;
    size_t pos[P] = {0};
    uint32_t *pid = malloc(P * LEN * sizeof *pid);
    memset(&all, 0, sizeof all);
    for (int p = 0; p < P; p++)
        tr_gen(&part[p], (p * 2) % GEN_KINDS, LEN, 20 + 15 * (unsigned)p, 30, 77 + (unsigned)p);
    all.n = P * LEN;
    all.page = malloc(all.n * sizeof *all.page);
    all.write = malloc(all.n);
    rng_state = 12345;
    for (size_t i = 0; i < all.n;) { /* bursts of 1..16 from a random process */
        int p = (int)below(P);
        for (unsigned b = 1 + below(16); b-- > 0 && pos[p] < LEN; i++, pos[p]++) {
            all.page[i] = part[p].page[pos[p]]; /* the same vpns in every process */
            all.write[i] = part[p].write[pos[p]];
            pid[i] = 100 + (uint32_t)p;
        }
    }
    for (size_t k = 0; k < NCASES; k++) {
        if (cases[k].pol == P_AGING)
            continue;
        for (size_t fi = 0; fi < N(totals); fi++) {
            sim_config_t cfg = sim_config_default();
            sim_job_t job = {.policy = cases[k].spec, .frames = totals[fi]};
            sim_result_t res;
            trace_pages_t tp = {.page = all.page, .write = all.write, .pid = pid, .n = all.n,
                                .npids = P};
            diag_t d;
            cfg.threads = 1;
            cfg.scope = SIM_SCOPE_LOCAL;
            cfg.split = fi % 2 ? SIM_SPLIT_PROPORTIONAL : SIM_SPLIT_EQUAL;
            CHECK_MSG(sim_run_pages(&cfg, &job, 1, &tp, &res, &d) == 0, "%s: %s",
                      cases[k].spec, d.msg);
            CHECK_EQ(res.nprocs, P);
            for (uint32_t i = 0; i < res.nprocs; i++) {
                ref_result_t ref;
                size_t gb;
                int p = (int)res.pid[i] - 100;
                CHECK(p >= 0 && p < P);
                ref_run(&cases[k], &part[p], res.proc[i].frames, &ref, &gb);
                CHECK_MSG(res.proc[i].page_faults == ref.faults &&
                              res.proc[i].disk_writes == ref.writes,
                          "%s, %u frames, process %d with %ju frames: faults %ju writes %ju, "
                          "reference %ju and %ju",
                          cases[k].spec, totals[fi], p, (uintmax_t)res.proc[i].frames,
                          (uintmax_t)res.proc[i].page_faults, (uintmax_t)res.proc[i].disk_writes,
                          (uintmax_t)ref.faults, (uintmax_t)ref.writes);
            }
            sim_result_free(&res);
        }
    }
    for (int p = 0; p < P; p++)
        tr_free(&part[p]);
    free(all.page);
    free(all.write);
    free(pid);
}

/* ------------------------------------------- invariants after each step */

/* Feed the core directly a few references at a time (1 to 4) and run
 * sim_core_check after each batch, which runs the policy's own check: its
 * lists hold exactly the resident frames, ghosts within their bound (ARC,
 * CAR: |T1| + |B1| <= c and all four lists <= 2c; LIRS: non-resident
 * entries <= ghosts; 2Q: |A1out| <= Kout), LIRS's stack bottom is LIR, ...
 * Both of the core's loops; the final counts still equal the reference. */
TEST(policy_checks_hold_after_every_few_references)
{
    static const unsigned frames[] = {1, 3, 8, 21};
    for (size_t k = 0; k < NCASES; k++) {
        for (int kind = 0; kind < GEN_KINDS; kind++) {
            tr_t t;
            tr_gen(&t, kind, 1200, 40, 30, 900 + (unsigned)kind);
            for (size_t fi = 0; fi < N(frames); fi++) {
                sim_config_t cfg = sim_config_default();
                sim_job_t job = {.policy = cases[k].spec, .frames = frames[fi]};
                sim_core_t *core;
                sim_result_t res;
                ref_result_t ref;
                diag_t d;
                size_t gb;
                uint32_t npages = 0;
                cfg.threads = 1;
                CHECK_MSG(sim_core_new(&core, &cfg, &job, NULL, 1, &d) == 0, "%s: %s",
                          cases[k].spec, d.msg);
                sim_core_set_fast(core, fi % 2 == 0);
                rng_state = 4242 + fi;
                for (size_t off = 0; off < t.n;) {
                    size_t n = 1 + below(4);
                    if (n > t.n - off)
                        n = t.n - off;
                    for (size_t i = off; i < off + n; i++)
                        if (t.dense[i] + 1 > npages)
                            npages = t.dense[i] + 1;
                    sim_batch_t b = {.n = n,
                                     .t0 = off,
                                     .page = t.dense + off,
                                     .write = t.write + off,
                                     .vpn = t.page + off,
                                     .npages = npages,
                                     .nprocs = 1};
                    CHECK(sim_core_feed(core, &b) == 0);
                    sim_core_check(core);
                    CHECK(sim_core_resident(core) <= frames[fi]);
                    off += n;
                }
                CHECK(sim_core_result(core, &res) == 0);
                sim_core_free(core);
                ref_run(&cases[k], &t, frames[fi], &ref, &gb);
                CHECK_MSG(res.total.page_faults == ref.faults && res.total.disk_writes == ref.writes,
                          "%s, %u frames: faults %ju writes %ju, reference %ju and %ju",
                          cases[k].spec, frames[fi], (uintmax_t)res.total.page_faults,
                          (uintmax_t)res.total.disk_writes, (uintmax_t)ref.faults,
                          (uintmax_t)ref.writes);
                sim_result_free(&res);
            }
            tr_free(&t);
        }
    }
}
