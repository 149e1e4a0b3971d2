/* SPDX-License-Identifier: MIT */
/*
 * test_mrc.c - fault curves: the one-pass LRU and OPT engines against one
 * straightforward simulation per frame count (written here, independent of
 * src/), textbook strings, SHARDS's error bound, Belady's anomaly.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "mrc_ref.h"
#include "mrc/lru_stack.h"
#include "mrc/opt_stack.h"
#include "vmlab/gen.h"
#include "vmlab/mrc.h"
#include "vmlab/plot.h"
#include "vmlab/sim.h"
#include "vmlab/trace.h"

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* LRU with f frames, the obvious way: resident pages with their last use. */
static uint64_t brute_lru(const uint64_t *p, size_t n, size_t f)
{
    uint64_t *pg = malloc(f * sizeof *pg), faults = 0;
    size_t *used = malloc(f * sizeof *used), k = 0;
    for (size_t t = 0; t < n; t++) {
        size_t i, v = 0;
        for (i = 0; i < k && pg[i] != p[t]; i++)
            ;
        if (i < k) {
            used[i] = t;
            continue;
        }
        faults++;
        if (k < f) {
            pg[k] = p[t], used[k++] = t;
            continue;
        }
        for (i = 1; i < k; i++)
            if (used[i] < used[v])
                v = i;
        pg[v] = p[t], used[v] = t;
    }
    free(pg), free(used);
    return faults;
}



TEST(osc_string)
{
    static const uint64_t osc[] = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1};
    mrc_hist_t l, o;
    CHECK_EQ(mrc_lru_hist(osc, 20, &l, NULL), 0);
    CHECK_EQ(mrc_opt_hist(osc, 20, &o, NULL), 0);
    CHECK_EQ(mrc_hist_faults(&l, 3), 12);
    CHECK_EQ(mrc_hist_faults(&o, 3), 9);
    CHECK_EQ(l.distinct, 6);
    CHECK_EQ(mrc_hist_faults(&l, 100), 6);
    CHECK_EQ(mrc_hist_faults(&o, 6), 6);
    CHECK_EQ(mrc_hist_faults(&l, 1), 20); /* no two equal neighbours */
    mrc_hist_free(&l);
    mrc_hist_free(&o);
}

TEST(belady_string_lru_opt)
{
    static const uint64_t b[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
    mrc_hist_t l, o;
    CHECK_EQ(mrc_lru_hist(b, 12, &l, NULL), 0);
    CHECK_EQ(mrc_opt_hist(b, 12, &o, NULL), 0);
    for (size_t f = 1; f <= 6; f++) {
        CHECK_EQ(mrc_hist_faults(&l, f), brute_lru(b, 12, f));
        CHECK_EQ(mrc_hist_faults(&o, f), ref_opt_faults(b, 12, f));
    }
    CHECK_EQ(mrc_hist_faults(&o, 3), 7);
    CHECK_EQ(mrc_hist_faults(&l, 3), 10);
    mrc_hist_free(&l);
    mrc_hist_free(&o);
}

TEST(empty_and_single)
{
    static const uint64_t one[] = {42, 42, 42};
    mrc_hist_t h;
    CHECK_EQ(mrc_lru_hist(one, 0, &h, NULL), 0);
    CHECK_EQ(mrc_hist_faults(&h, 5), 0);
    mrc_hist_free(&h);
    CHECK_EQ(mrc_opt_hist(one, 0, &h, NULL), 0);
    CHECK_EQ(mrc_hist_faults(&h, 5), 0);
    mrc_hist_free(&h);
    CHECK_EQ(mrc_opt_hist(one, 3, &h, NULL), 0);
    CHECK_EQ(mrc_hist_faults(&h, 1), 1);
    mrc_hist_free(&h);
}

/* Every frame count 1..distinct+1 on many random traces, three shapes. */
TEST(lru_opt_exact_vs_brute_force)
{
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + rnd() % 400;
        unsigned universe = 1 + (unsigned)(rnd() % 40), mode = (unsigned)(rnd() % 3);
        uint64_t *p = malloc(n * sizeof *p);
        mrc_hist_t l, o;
        ref_trace(p, n, universe, mode, rnd);
        CHECK_EQ(mrc_lru_hist(p, n, &l, NULL), 0);
        CHECK_EQ(mrc_opt_hist(p, n, &o, NULL), 0);
        CHECK_EQ(l.distinct, o.distinct);
        for (size_t f = 1; f <= l.distinct + 1; f++) {
            uint64_t bl = brute_lru(p, n, f), bo = ref_opt_faults(p, n, f);
            CHECK_MSG(mrc_hist_faults(&l, f) == bl, "round %d n %zu f %zu: lru %ju != brute %ju",
                      round, n, f, (uintmax_t)mrc_hist_faults(&l, f), (uintmax_t)bl);
            CHECK_MSG(mrc_hist_faults(&o, f) == bo, "round %d n %zu f %zu: opt %ju != brute %ju",
                      round, n, f, (uintmax_t)mrc_hist_faults(&o, f), (uintmax_t)bo);
            CHECK(bo <= bl);
        }
        mrc_hist_free(&l);
        mrc_hist_free(&o);
        free(p);
    }
}

/* Long traces over many pages: the slot spaces fill and get renumbered
 * (compaction) many times; checked at a spread of sizes. */
TEST(lru_opt_exact_long_traces)
{
    size_t n = 20000;
    uint64_t *p = malloc(n * sizeof *p);
    for (int round = 0; round < 3; round++) {
        mrc_hist_t l, o;
        ref_trace(p, n, 200 + 100 * (unsigned)round, (unsigned)round, rnd);
        CHECK_EQ(mrc_lru_hist(p, n, &l, NULL), 0);
        CHECK_EQ(mrc_opt_hist(p, n, &o, NULL), 0);
        for (size_t f = 1; f <= l.distinct + 1; f += 1 + f / 2) {
            CHECK_EQ(mrc_hist_faults(&l, f), brute_lru(p, n, f));
            CHECK_EQ(mrc_hist_faults(&o, f), ref_opt_faults(p, n, f));
        }
        mrc_hist_free(&l);
        mrc_hist_free(&o);
    }
    free(p);
}

/* The incremental stack with removals (what fixed-size SHARDS does) against
 * a plain array stack. */
TEST(lru_stack_remove_vs_array)
{
    lru_stack_t *s = lru_stack_new(4);
    uint64_t stack[64];
    size_t depth = 0;
    CHECK(s != NULL);
    for (int i = 0; i < 20000; i++) {
        uint64_t key = rnd() % 60, dist;
        size_t j;
        for (j = 0; j < depth && stack[j] != key; j++)
            ;
        if (rnd() % 5 == 0) {
            CHECK_EQ(lru_stack_remove(s, key), j < depth);
            if (j < depth) {
                memmove(stack + j, stack + j + 1, (depth - j - 1) * sizeof *stack);
                depth--;
            }
            continue;
        }
        CHECK_EQ(lru_stack_access(s, key, &dist), 0);
        CHECK_EQ(dist, j < depth ? j + 1 : 0);
        if (j == depth)
            depth++;
        memmove(stack + 1, stack, j * sizeof *stack);
        stack[0] = key;
        CHECK_EQ(lru_stack_size(s), depth);
    }
    lru_stack_check(s);
    lru_stack_free(s);
}

/* A Zipf(1.0) trace over `pages` pages, popularity shuffled. */
static uint64_t *zipf_trace(size_t n, unsigned pages)
{
    double *cdf = malloc(pages * sizeof *cdf), sum = 0;
    uint64_t *p = malloc(n * sizeof *p);
    for (unsigned i = 0; i < pages; i++)
        cdf[i] = sum += 1.0 / (i + 1);
    for (size_t t = 0; t < n; t++) {
        double u = (double)(rnd() >> 11) * 0x1.0p-53 * sum;
        unsigned lo = 0, hi = pages - 1;
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        p[t] = (uint64_t)lo * 2654435761u % 1000003u;
    }
    free(cdf);
    return p;
}

static double shards_mae(const uint64_t *p, size_t n, const mrc_hist_t *h, const mrc_shards_opts_t *o)
{
    mrc_approx_t a;
    double err = 0;
    unsigned m = 0;
    if (mrc_shards(p, n, o, &a, NULL))
        return 1.0;
    for (uint64_t f = h->distinct / 50; m < 50; f += h->distinct / 50, m++)
        err += fabs(mrc_approx_miss_ratio(&a, f) - (double)mrc_hist_faults(h, f) / (double)n);
    mrc_approx_free(&a);
    return err / m;
}

/* Waldspurger et al. report mean absolute errors around 0.001-0.01 at
 * R = 0.01 over millions of pages; the error grows as the sample shrinks,
 * so on 2 M Zipf references over 50 000 pages we sample 2 500 pages (R =
 * 0.05, or at most 2 500 for fixed size): the mean absolute error must stay
 * within 0.01, and rate 1 is exact.  (bench/bench_mrc.sh checks R = 0.01 on
 * the 762 669-page benchmark trace.) */
TEST(shards_error_bound_zipf)
{
    size_t n = 2000000;
    uint64_t *p = zipf_trace(n, 50000);
    mrc_hist_t h;
    mrc_shards_opts_t fixed = {.rate = 0.05, .max_keys = 0, .seed = 1}, sized = {.rate = 0, .max_keys = 2500, .seed = 1}, all = {.rate = 1.0, .max_keys = 0, .seed = 1};
    double e1, e2, e3;
    CHECK_EQ(mrc_lru_hist(p, n, &h, NULL), 0);
    e1 = shards_mae(p, n, &h, &fixed);
    e2 = shards_mae(p, n, &h, &sized);
    e3 = shards_mae(p, n, &h, &all);
    CHECK_MSG(e1 <= 0.01, "fixed-rate SHARDS mae %.5f > 0.01", e1);
    CHECK_MSG(e2 <= 0.01, "fixed-size SHARDS mae %.5f > 0.01", e2);
    CHECK_MSG(e3 < 1e-9, "rate-1 SHARDS is not exact: mae %g", e3);
    /* It really samples: another seed gives another estimate. */
    {
        mrc_approx_t a, b;
        mrc_shards_opts_t s2 = {.rate = 0.05, .max_keys = 0, .seed = 2};
        CHECK_EQ(mrc_shards(p, n, &fixed, &a, NULL), 0);
        CHECK_EQ(mrc_shards(p, n, &s2, &b, NULL), 0);
        CHECK(a.sampled < n / 5 && b.sampled < n / 5);
        CHECK(fabs(mrc_approx_miss_ratio(&a, 1000) - mrc_approx_miss_ratio(&b, 1000)) > 0);
        mrc_approx_free(&a);
        mrc_approx_free(&b);
    }
    mrc_hist_free(&h);
    free(p);
}

TEST(belady_anomaly_listing)
{
    static const uint64_t frames[] = {1, 2, 3, 4, 5, 6};
    static const uint64_t faults[] = {12, 12, 9, 10, 5, 6};
    size_t out[6];
    CHECK_EQ(mrc_anomalies(frames, faults, 6, out), 2);
    CHECK_EQ(out[0], 3);
    CHECK_EQ(out[1], 5);
    CHECK_EQ(mrc_anomalies(frames, faults, 3, out), 0);
}

/* FIFO on Belady's string through the curve API (one simulation a size). */
TEST(policy_faults_fifo_belady)
{
    static const uint64_t b[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
    static const uint64_t frames[] = {1, 2, 3, 4, 5};
    uint64_t faults[5];
    size_t an[5];
    trace_pages_t tp = {(uint64_t *)b, (uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0", NULL, 12, 1};
    CHECK_EQ(mrc_policy_faults("fifo", b, &tp, 12, frames, 5, faults, NULL), 0);
    CHECK_EQ(faults[2], 9);
    CHECK_EQ(faults[3], 10);
    CHECK_EQ(mrc_anomalies(frames, faults, 5, an), 1);
    CHECK_EQ(frames[an[0]], 4);
}

/* The one-pass curves equal `vmlab sim`'s simulator at every size: lru and
 * opt against sim's own lru and opt, every other policy of the table through
 * mrc_policy_faults against a direct sim run. */
TEST(curves_agree_with_sim_every_policy)
{
    size_t n = 3000;
    uint64_t *p = malloc(n * sizeof *p), frames[40], a[40];
    uint8_t *w = calloc(n, 1);
    trace_pages_t tp;
    ref_trace(p, n, 60, 1, rnd);
    for (size_t i = 0; i < n; i++)
        w[i] = rnd() % 4 == 0;
    tp.page = p, tp.write = w, tp.pid = NULL, tp.n = n, tp.npids = 1;
    for (size_t i = 0; i < 40; i++)
        frames[i] = i + 1;
    for (size_t i = 0; sim_policy_name(i); i++) {
        const char *pol = sim_policy_name(i);
        sim_config_t cfg = sim_config_default();
        sim_job_t jobs[40];
        sim_result_t res[40];
        CHECK_EQ(mrc_policy_faults(pol, p, &tp, 12, frames, 40, a, NULL), 0);
        for (size_t j = 0; j < 40; j++)
            jobs[j].policy = pol, jobs[j].frames = frames[j];
        CHECK_EQ(sim_run_pages(&cfg, jobs, 40, &tp, res, NULL), 0);
        for (size_t j = 0; j < 40; j++) {
            CHECK_MSG(a[j] == res[j].total.page_faults, "%s at %ju frames: mrc %ju, sim %ju", pol,
                      (uintmax_t)frames[j], (uintmax_t)a[j], (uintmax_t)res[j].total.page_faults);
            sim_result_free(&res[j]);
        }
    }
    free(p), free(w);
}

/* The same for lru and opt on the real bzip trace (first 200 000 refs). */
TEST(curves_agree_with_sim_bzip)
{
    static const uint64_t frames[] = {1, 2, 3, 5, 8, 16, 32, 64, 100, 128, 200, 256, 512, 1000};
    trace_opts_t to = {.format = TRACE_RW, .page_bits = 12};
    trace_pages_t tp;
    uint64_t a[14];
    if (trace_load_pages(test_shared("traces/bzip.trace.gz"), &to, 12, &tp, NULL))
        SKIP("../shared/data/traces/bzip.trace.gz not readable");
    if (tp.n > 200000)
        tp.n = 200000;
    for (int o = 0; o < 2; o++) {
        const char *pol = o ? "opt" : "lru";
        sim_config_t cfg = sim_config_default();
        sim_job_t jobs[14];
        sim_result_t res[14];
        CHECK_EQ(mrc_policy_faults(pol, tp.page, &tp, 12, frames, 14, a, NULL), 0);
        for (size_t j = 0; j < 14; j++)
            jobs[j].policy = pol, jobs[j].frames = frames[j];
        CHECK_EQ(sim_run_pages(&cfg, jobs, 14, &tp, res, NULL), 0);
        for (size_t j = 0; j < 14; j++) {
            CHECK_MSG(a[j] == res[j].total.page_faults, "%s at %ju frames: mrc %ju, sim %ju", pol,
                      (uintmax_t)frames[j], (uintmax_t)a[j], (uintmax_t)res[j].total.page_faults);
            sim_result_free(&res[j]);
        }
    }
    trace_pages_free(&tp);
}

typedef struct collect {
    uint64_t *addr; /* references */
    uint8_t *w;     /* write flags */
    size_t n, cap;  /* count, room */
} collect_t;

static int collect(void *ctx, uint64_t addr, int write)
{
    collect_t *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->addr = realloc(c->addr, c->cap * sizeof *c->addr);
        c->w = realloc(c->w, c->cap);
    }
    c->addr[c->n] = addr, c->w[c->n++] = (uint8_t)write;
    return 0;
}

static int gen_collect(const char *model, uint64_t length, uint64_t seed, uint64_t pages, collect_t *c)
{
    gen_opts_t o = {model, length, seed, pages, 12};
    memset(c, 0, sizeof *c);
    return gen_run(&o, collect, c, NULL);
}

TEST(gen_reproducible)
{
    /* linked-list's addresses depend on the heap's history, so it repeats
     * byte for byte in a fresh process (tests/test_mrc_cli.sh), not here. */
    static const char *models[] = {"seq", "uniform", "zipf", "loop", "phases", "belady", "mix"};
    for (unsigned m = 0; m < 7; m++) {
        collect_t a, b, c;
        CHECK_EQ(gen_collect(models[m], 20000, 7, 1000, &a), 0);
        CHECK_EQ(gen_collect(models[m], 20000, 7, 1000, &b), 0);
        CHECK_EQ(gen_collect(models[m], 20000, 8, 1000, &c), 0);
        CHECK_EQ(a.n, 20000);
        CHECK_MSG(memcmp(a.addr, b.addr, a.n * 8) == 0 && memcmp(a.w, b.w, a.n) == 0,
                  "%s: same seed, different trace", models[m]);
        if (m < 5 || m == 6)
            CHECK_MSG(memcmp(a.addr, c.addr, a.n * 8) != 0, "%s: the seed changes nothing", models[m]);
        free(a.addr), free(a.w), free(b.addr), free(b.w), free(c.addr), free(c.w);
    }
}

TEST(gen_distributions)
{
    collect_t c;
    size_t cnt[1000] = {0}, writes = 0, maxc = 0;
    uint64_t lw[20];
    /* uniform: every page near n / pages, writes near 25% */
    CHECK_EQ(gen_collect("uniform", 200000, 1, 1000, &c), 0);
    for (size_t i = 0; i < c.n; i++) {
        CHECK(c.addr[i] >> 12 < 1000);
        cnt[c.addr[i] >> 12]++;
        writes += c.w[i];
    }
    for (int i = 0; i < 1000; i++)
        CHECK_MSG(cnt[i] > 120 && cnt[i] < 280, "uniform page %d: %zu of 200000", i, cnt[i]);
    CHECK(writes > 48000 && writes < 52000);
    free(c.addr), free(c.w);
    /* zipf(1.0) over 1000 pages: the top page has 1/H(1000) = 13.4% */
    memset(cnt, 0, sizeof cnt);
    CHECK_EQ(gen_collect("zipf", 200000, 1, 1000, &c), 0);
    for (size_t i = 0; i < c.n; i++)
        cnt[c.addr[i] >> 12]++;
    for (int i = 0; i < 1000; i++)
        maxc = cnt[i] > maxc ? cnt[i] : maxc;
    CHECK_MSG(maxc > 25000 && maxc < 28700, "zipf top page %zu of 200000 (expected ~26800)", maxc);
    free(c.addr), free(c.w);
    /* seq and loop: exact patterns */
    CHECK_EQ(gen_collect("seq", 2500, 1, 1000, &c), 0);
    CHECK_EQ(c.addr[1999] >> 12, 999);
    CHECK_EQ(c.addr[2000] >> 12, 0);
    free(c.addr), free(c.w);
    CHECK_EQ(gen_collect("loop:len=7", 100, 1, 1000, &c), 0);
    for (size_t i = 0; i < c.n; i++)
        CHECK_EQ(c.addr[i] >> 12, i % 7);
    free(c.addr), free(c.w);
    CHECK_EQ(gen_collect("belady", 24, 1, 1000, &c), 0);
    CHECK_EQ(c.addr[6] >> 12, 5);
    CHECK_EQ(c.addr[18] >> 12, 5);
    free(c.addr), free(c.w);
    /* linked-list: 20 nodes, each visited as a write then a read of the same
     * node, 20 distinct nodes, the walk repeats with period 40 */
    CHECK_EQ(gen_collect("linked-list:nodes=20,node=64", 200, 1, 1000, &c), 0);
    for (size_t i = 0; i < 20; i++) {
        CHECK(c.w[2 * i] == 1 && c.w[2 * i + 1] == 0);
        CHECK_EQ(c.addr[2 * i] - c.addr[2 * i + 1], 8);
        lw[i] = c.addr[2 * i + 1];
        for (size_t j = 0; j < i; j++)
            CHECK(lw[j] != lw[i] && (lw[j] > lw[i] ? lw[j] - lw[i] : lw[i] - lw[j]) >= 64);
    }
    for (size_t i = 40; i < c.n; i++)
        CHECK_EQ(c.addr[i], c.addr[i - 40]);
    free(c.addr), free(c.w);
    /* phases: within a phase the pages come from a set of wset */
    {
        collect_t ph;
        size_t distinct = 0;
        unsigned char seen[1000] = {0};
        CHECK_EQ(gen_collect("phases:wset=30,phase=100000", 2000, 3, 1000, &ph), 0);
        for (size_t i = 0; i < ph.n; i++)
            if (!seen[ph.addr[i] >> 12]++)
                distinct++;
        CHECK(distinct <= 30 && distinct >= 20);
        free(ph.addr), free(ph.w);
    }
}

/* mix with one weight is that pattern alone: uniform=1 covers the pages,
 * loop=1 repeats the first 12% of them. */
TEST(gen_mix_weights)
{
    collect_t c;
    unsigned char seen[1000] = {0};
    size_t distinct = 0;
    CHECK_EQ(gen_collect("mix:loop=0,seq=0,zipf=0,uniform=1", 20000, 1, 1000, &c), 0);
    for (size_t i = 0; i < c.n; i++)
        if (!seen[c.addr[i] >> 12]++)
            distinct++;
    CHECK(distinct > 990);
    free(c.addr), free(c.w);
    CHECK_EQ(gen_collect("mix:loop=1,seq=0,zipf=0,run=10", 1000, 1, 1000, &c), 0);
    for (size_t i = 0; i < c.n; i++)
        CHECK_EQ(c.addr[i] >> 12, i % 120);
    free(c.addr), free(c.w);
    {
        gen_opts_t o = {"mix:loop=0,seq=0,zipf=0", 10, 1, 100, 12};
        CHECK_EQ(gen_run(&o, collect, &c, NULL), -EINVAL);
    }
}

TEST(gen_bad_model)
{
    collect_t c;
    diag_t d;
    gen_opts_t o = {"zipf:alpha=x", 10, 1, 100, 12};
    CHECK_EQ(gen_run(&o, collect, &c, &d), -EINVAL);
    CHECK(strstr(d.msg, "alpha") != NULL);
    o.model = "nosuch";
    CHECK_EQ(gen_run(&o, collect, &c, &d), -EINVAL);
    o.model = "seq:bogus=1";
    CHECK_EQ(gen_run(&o, collect, &c, &d), -EINVAL);
    CHECK(strstr(d.msg, "bogus") != NULL);
    o.model = "phases:wset=500";
    CHECK_EQ(gen_run(&o, collect, &c, &d), -EINVAL);
}

/* W(t, tau) against counting the window directly. */
TEST(wss_vs_brute_force)
{
    size_t n = 3000;
    uint64_t *p = malloc(n * sizeof *p);
    uint32_t *id = malloc(n * sizeof *id), V;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ref_trace(p, n, 50, 1, rnd);
    CHECK_EQ(opt_dense_ids(p, n, id, &V), 0);
    CHECK_EQ(plot_wss_data(f, id, n, V, 100, 0), (long)n);
    fclose(f);
    {
        const char *line = strchr(buf, '\n') + 1;
        for (size_t t = 1; t <= n; t++) {
            unsigned long long tt, w;
            size_t lo = t > 100 ? t - 100 : 0, distinct = 0;
            CHECK_EQ(sscanf(line, "%llu %llu", &tt, &w), 2);
            CHECK_EQ(tt, t);
            for (size_t i = lo; i < t; i++) {
                size_t j;
                for (j = lo; j < i && p[j] != p[i]; j++)
                    ;
                distinct += j == i;
            }
            CHECK_EQ(w, distinct);
            line = strchr(line, '\n') + 1;
        }
    }
    free(buf), free(p), free(id);
}

TEST(plot_csv_parser)
{
    static const char good[] = "policy,frames,page_faults,miss_ratio\nlru,1,12,1.000000\nlru,2,10,0.83\r\nfifo,1,12,1\n";
    plot_point_t *pts;
    size_t n;
    diag_t d;
    const char *names[3];
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    CHECK_EQ(plot_parse_csv("g.csv", good, sizeof good - 1, &pts, &n, &d), 0);
    CHECK_EQ(n, 3);
    CHECK_STR(pts[2].policy, "fifo");
    CHECK_EQ(pts[1].faults, 10);
    f = open_memstream(&buf, &len);
    CHECK_EQ(plot_curves_data(f, pts, n, names), 2);
    fclose(f);
    CHECK(strstr(buf, "# fifo") != NULL);
    free(buf);
    free(pts);
    CHECK_EQ(plot_parse_csv("b.csv", "x,y\n", strlen("x,y\n"), &pts, &n, &d), -EINVAL);
    CHECK_EQ(d.line, 1);
    CHECK_EQ(plot_parse_csv("b.csv", "policy,frames,page_faults,miss_ratio\nlru,1,2\n", strlen("policy,frames,page_faults,miss_ratio\nlru,1,2\n"), &pts, &n, &d), -EINVAL);
    CHECK_EQ(d.line, 2);
    CHECK_EQ(plot_parse_csv("b.csv", "policy,frames,page_faults,miss_ratio\nlru,0,2,0.5\n", strlen("policy,frames,page_faults,miss_ratio\nlru,0,2,0.5\n"), &pts, &n, &d), -EINVAL);
    CHECK_EQ(plot_parse_csv("b.csv", "policy,frames,page_faults,miss_ratio\nlru,1,2,1.5\n", strlen("policy,frames,page_faults,miss_ratio\nlru,1,2,1.5\n"), &pts, &n, &d), -EINVAL);
    CHECK_EQ(plot_parse_csv("b.csv", "policy,frames,page_faults,miss_ratio\nlru,1,2,0.5,9\n", strlen("policy,frames,page_faults,miss_ratio\nlru,1,2,0.5,9\n"), &pts, &n, &d), -EINVAL);
    CHECK_EQ(plot_parse_csv("b.csv", "", 0, &pts, &n, &d), -EINVAL);
    {
        /* Quoted specs (parameters hold commas), "" for a quote. */
        static const char q[] = "policy,frames,page_faults,miss_ratio\n\"aging:bits=4,period=10\",3,9,0.75\n"
                                "\"a\"\"b\",1,1,1\n";
        static const char q1[] = "policy,frames,page_faults,miss_ratio\n\"lru,1,2,0.5\n";
        static const char q2[] = "policy,frames,page_faults,miss_ratio\n\"lru\"x,1,2,0.5\n";
        CHECK_EQ(plot_parse_csv("q.csv", q, strlen(q), &pts, &n, &d), 0);
        CHECK_EQ(n, 2);
        CHECK_STR(pts[0].policy, "aging:bits=4,period=10");
        CHECK_EQ(pts[0].faults, 9);
        CHECK_STR(pts[1].policy, "a\"b");
        free(pts);
        CHECK_EQ(plot_parse_csv("q.csv", q1, strlen(q1), &pts, &n, &d), -EINVAL);
        CHECK_EQ(plot_parse_csv("q.csv", q2, strlen(q2), &pts, &n, &d), -EINVAL);
    }
}

/* Several processes: the same page number in two processes is two pages,
 * in mrc's keys as in sim's global scope. */
TEST(curves_agree_with_sim_multi_process)
{
    size_t n = 4000;
    uint64_t *p = malloc(n * sizeof *p), *key = NULL, frames[30], a[30];
    uint32_t *pid = malloc(n * sizeof *pid);
    uint8_t *w = calloc(n, 1);
    trace_pages_t tp;
    ref_trace(p, n, 40, 1, rnd);
    for (size_t i = 0; i < n; i++)
        pid[i] = 100 + (uint32_t)(rnd() % 3);
    tp.page = p, tp.write = w, tp.pid = pid, tp.n = n, tp.npids = 3;
    CHECK_EQ(mrc_keys(&tp, &key, NULL), 0);
    for (size_t i = 0; i < 30; i++)
        frames[i] = 1 + 4 * i;
    for (int o = 0; o < 2; o++) {
        const char *pol = o ? "opt" : "lru";
        sim_config_t cfg = sim_config_default();
        sim_job_t jobs[30];
        sim_result_t res[30];
        CHECK_EQ(mrc_policy_faults(pol, key, &tp, 12, frames, 30, a, NULL), 0);
        for (size_t j = 0; j < 30; j++)
            jobs[j].policy = pol, jobs[j].frames = frames[j];
        CHECK_EQ(sim_run_pages(&cfg, jobs, 30, &tp, res, NULL), 0);
        for (size_t j = 0; j < 30; j++) {
            CHECK_MSG(a[j] == res[j].total.page_faults, "%s at %ju frames: mrc %ju, sim %ju", pol,
                      (uintmax_t)frames[j], (uintmax_t)a[j], (uintmax_t)res[j].total.page_faults);
            sim_result_free(&res[j]);
        }
    }
    CHECK(mrc_distinct(key, n) > mrc_distinct(p, n));
    free(key), free(p), free(pid), free(w);
}
