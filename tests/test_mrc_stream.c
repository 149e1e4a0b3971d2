/* SPDX-License-Identifier: MIT */
/*
 * test_mrc_stream.c - the streamed curves (mrc.h, "Streaming"): exact LRU
 * and OPT against oracles written here (a move-to-front stack, Belady's MIN
 * by looking ahead), fed in random batches and through traces in memory
 * (text, and vmlab binary read by keys); memory bounds checked by the
 * structures' own allocation counts, never RSS or time; SHARDS's error.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mrc_ref.h"
#include "mrc/dense_ids.h"
#include "mrc/shards.h"
#include "vmlab/mrc.h"
#include "vmlab/trace.h"

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* LRU stack distances the obvious way: an array stack, move to front.
 * hist[d] for d in [1, distinct]; *cold first references; returns the
 * distinct pages. */
static size_t naive_lru(const uint64_t *p, size_t n, uint64_t *hist, uint64_t *cold)
{
    uint64_t *st = malloc((n ? n : 1) * sizeof *st);
    size_t depth = 0;
    *cold = 0;
    for (size_t t = 0; t < n; t++) {
        size_t i;
        for (i = 0; i < depth && st[i] != p[t]; i++)
            ;
        if (i == depth) {
            (*cold)++;
            depth++;
        } else {
            hist[i + 1]++;
        }
        memmove(st + 1, st, i * sizeof *st);
        st[0] = p[t];
    }
    free(st);
    return depth;
}



/* p[0, n) through mrc_stream_keys in random batches into *s. */
static void stream_keys(const uint64_t *p, size_t n, const mrc_stream_opts_t *o, mrc_stream_t **s)
{
    CHECK_EQ(mrc_stream_new(s, o, NULL), 0);
    for (size_t at = 0; at < n;) {
        size_t k = 1 + rnd() % 700;
        k = k > n - at ? n - at : k;
        CHECK_EQ(mrc_stream_keys(*s, p + at, k, NULL), 0);
        at += k;
    }
}

static void check_lru(const mrc_hist_t *h, const uint64_t *p, size_t n)
{
    uint64_t *want = calloc(n + 2, sizeof *want), cold, acc = 0;
    size_t V = naive_lru(p, n, want, &cold);
    CHECK_EQ(h->distinct, V);
    CHECK_EQ(h->cold, cold);
    CHECK_EQ(h->refs, n);
    for (size_t f = 1; f <= V; f++) {
        acc += want[f];
        CHECK_MSG(h->hits_le[f] == acc, "n %zu f %zu: %ju hits, oracle %ju", n, f,
                  (uintmax_t)h->hits_le[f], (uintmax_t)acc);
    }
    free(want);
}

TEST(stream_lru_opt_vs_oracles)
{
    for (int round = 0; round < 200; round++) {
        size_t n = 1 + rnd() % (round < 150 ? 600 : 12000);
        unsigned universe = 1 + (unsigned)(rnd() % (round < 150 ? 60 : 3000));
        uint64_t *p = malloc(n * sizeof *p);
        mrc_stream_opts_t o = {.lru = 1, .opt = round < 150};
        mrc_stream_result_t r;
        mrc_stream_t *s;
        ref_trace(p, n, universe, (unsigned)round % 3, rnd);
        stream_keys(p, n, &o, &s);
        CHECK_EQ(mrc_stream_finish(s, &r, NULL), 0);
        CHECK(r.has_distinct && r.distinct == r.lru.distinct);
        check_lru(&r.lru, p, n);
        if (o.opt)
            for (size_t f = 1; f <= r.opt.distinct + 1; f += 1 + f / 4)
                CHECK_EQ(mrc_hist_faults(&r.opt, f), ref_opt_faults(p, n, f));
        mrc_stream_result_free(&r);
        mrc_stream_free(s);
        free(p);
    }
}

/* p[] (with pids) as a trace in memory: vmlab binary (keyed) or rw text. */
static void write_trace(const uint64_t *p, const uint32_t *pid, size_t n, trace_format_t fmt,
                        unsigned shift, char **bufp, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    *bufp = NULL;
    trace_writer_t *w;
    CHECK_EQ(trace_writer_open(&w, f, "mem", fmt, shift, 0, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        trace_ref_t r = {p[i] << 12 | (rnd() % 4096), pid ? pid[i] : 0, (uint8_t)(rnd() % 2), 4};
        CHECK_EQ(trace_write(w, &r, 1, NULL), 0);
    }
    CHECK_EQ(trace_writer_finish(w, NULL), 0);
    fclose(f);
    *bufp = buf;
}

static void stream_mem(const char *buf, size_t len, const mrc_stream_opts_t *o, unsigned page_bits,
                       mrc_stream_result_t *r)
{
    trace_t *t;
    mrc_stream_t *s;
    trace_opts_t to = {.format = TRACE_AUTO, .page_bits = 12};
    CHECK_EQ(trace_open_mem(&t, buf, len, "mem", &to, NULL), 0);
    CHECK_EQ(mrc_stream_new(&s, o, NULL), 0);
    CHECK_EQ(mrc_stream_trace(s, t, page_bits, NULL), 0);
    CHECK_EQ(mrc_stream_finish(s, r, NULL), 0);
    mrc_stream_free(s);
    trace_close(t);
}

/* Through a trace reader: binary traces stored exactly (read by
 * reference) and by page (read by keys at 4 KiB pages), and text; several processes too.  The
 * oracle sees (pid, page) pairs. */
TEST(stream_trace_keyed_and_text)
{
    for (int round = 0; round < 24; round++) {
        size_t n = 1 + rnd() % 5000;
        uint64_t *p = malloc(n * sizeof *p), *pp = malloc(n * sizeof *pp);
        uint32_t *pid = round % 2 ? malloc(n * sizeof *pid) : NULL;
        mrc_stream_opts_t o = {.lru = 1, .opt = 1, .distinct = 1};
        ref_trace(p, n, 1 + (unsigned)(rnd() % 400), (unsigned)round % 3, rnd);
        for (size_t i = 0; i < n; i++) {
            if (pid)
                pid[i] = 7 + (uint32_t)(rnd() % 3);
            pp[i] = p[i] ^ (pid ? (uint64_t)pid[i] << 40 : 0);
        }
        for (int form = 0; form < 3; form++) {
            size_t len;
            trace_format_t fmt = form < 2 ? TRACE_VMLAB : TRACE_RW;
            char *buf;
            mrc_stream_result_t r;
            if (fmt == TRACE_RW && pid)
                continue; /* rw has no pid column */
            write_trace(p, pid, n, fmt, form == 1 ? 12 : 0, &buf, &len);
            stream_mem(buf, len, &o, 12, &r);
            /* a binary trace stored by page numbers its pages */
            CHECK_EQ(r.keyed, form == 1);
            check_lru(&r.lru, pp, n);
            for (size_t f = 1; f <= r.opt.distinct; f += 1 + f / 2)
                CHECK_EQ(mrc_hist_faults(&r.opt, f), ref_opt_faults(pp, n, f));
            mrc_stream_result_free(&r);
            /* at coarser pages the keys are not pages: read by reference */
            stream_mem(buf, len, &o, 13, &r);
            CHECK_EQ(r.keyed, 0);
            mrc_stream_result_free(&r);
            free(buf);
        }
        free(p), free(pp), free(pid);
    }
}

/* SHARDS read by keys (a binary trace stored by page: the sample decided
 * once a key, a fixed rate's references then fed under the key with no
 * hash) gives exactly the curve of the same references read by address
 * (stored exactly, hashed a reference at a time): fixed rate, fixed size,
 * one part and every part, one and several processes, rates and seeds. */
TEST(stream_shards_keyed_equals_by_reference)
{
    static const mrc_shards_opts_t cfg[] = {
        {.rate = 0.1, .seed = 1},  {.rate = 0.5, .seed = 2},  {.rate = 1.0, .seed = 3},
        {.rate = 0.02, .seed = 4}, {.max_keys = 40, .seed = 5}, {.max_keys = 300, .seed = 6},
        {.rate = 0.3, .seed = 7, .parts = 4, .part = 2},
        {.rate = 0.3, .seed = 8, .parts = 4, .part = MRC_SHARDS_ALL_PARTS},
    };
    for (int round = 0; round < 40; round++) {
        size_t n = 1 + rnd() % 20000;
        uint64_t *p = malloc(n * sizeof *p);
        uint32_t *pid = round % 3 == 2 ? malloc(n * sizeof *pid) : NULL;
        const mrc_shards_opts_t *so = &cfg[round % (sizeof cfg / sizeof *cfg)];
        mrc_stream_opts_t o = {.shards = 1, .distinct = 1, .so = *so};
        char *exact, *bypage;
        size_t lexact, lbypage;
        mrc_stream_result_t a, b;
        ref_trace(p, n, 1 + (unsigned)(rnd() % 3000), (unsigned)round % 3, rnd);
        for (size_t i = 0; pid && i < n; i++)
            pid[i] = 7 + (uint32_t)(rnd() % 3);
        write_trace(p, pid, n, TRACE_VMLAB, 0, &exact, &lexact);
        write_trace(p, pid, n, TRACE_VMLAB, 12, &bypage, &lbypage);
        stream_mem(exact, lexact, &o, 12, &a);
        stream_mem(bypage, lbypage, &o, 12, &b);
        CHECK_EQ(a.keyed, 0);
        CHECK_EQ(b.keyed, 1);
        if (so->parts > 1 && so->part != MRC_SHARDS_ALL_PARTS) {
            CHECK_EQ(a.part.sampled, b.part.sampled);
            CHECK_EQ(a.part.k, b.part.k);
            for (size_t i = 0; i < a.part.k && i < b.part.k; i++) {
                CHECK_EQ(a.part.dist[i], b.part.dist[i]);
                CHECK_EQ(a.part.count[i], b.part.count[i]);
            }
        } else {
            CHECK_EQ(a.shards.np, b.shards.np);
            CHECK_EQ(a.shards.size, b.shards.size);
            CHECK_EQ(a.shards.sampled, b.shards.sampled);
            CHECK(a.shards.rate == b.shards.rate);
            for (size_t i = 0; i < a.shards.np && i < b.shards.np; i++) {
                CHECK_EQ(a.shards.at[i], b.shards.at[i]);
                CHECK(a.shards.hit[i] == b.shards.hit[i]);
            }
        }
        mrc_stream_result_free(&a);
        mrc_stream_result_free(&b);
        free(exact), free(bypage), free(p), free(pid);
    }
}

/* Exact passes: bytes held grow with the pages, not the references. */
TEST(stream_exact_memory_is_per_page)
{
    enum { PAGES = 3000 };
    mrc_stream_opts_t o = {.lru = 1, .opt = 1};
    mrc_stream_t *s;
    uint64_t *p = malloc(100000 * sizeof *p);
    size_t after_pages = 0;
    CHECK_EQ(mrc_stream_new(&s, &o, NULL), 0);
    for (int batch = 0; batch < 60; batch++) { /* 6 M references */
        for (size_t i = 0; i < 100000; i++)
            p[i] = batch == 0 && i < PAGES ? i : rnd() % PAGES;
        CHECK_EQ(mrc_stream_keys(s, p, 100000, NULL), 0);
        if (batch == 0)
            after_pages = mrc_stream_bytes(s);
    }
    /* 4 slots a page at most in each pass, a 64 K-id batch buffer */
    CHECK_MSG(mrc_stream_bytes(s) <= 200 * PAGES + 65536 * 4 + 8192,
              "%zu bytes for %d pages", mrc_stream_bytes(s), PAGES);
    CHECK_MSG(mrc_stream_bytes(s) == after_pages, "grew with references: %zu, then %zu",
              after_pages, mrc_stream_bytes(s));
    mrc_stream_free(s);
    free(p);
}

/* Fixed-size SHARDS: the same bytes at 1 M and 8 M references over ever
 * new pages; fixed rate: bytes within a constant of the sampled pages. */
TEST(stream_shards_memory)
{
    mrc_stream_opts_t o = {.shards = 1, .so = {.rate = 0, .max_keys = 1000, .seed = 1}};
    mrc_stream_t *s;
    uint64_t *p = malloc(100000 * sizeof *p), page = 0;
    size_t at1m = 0;
    CHECK_EQ(mrc_stream_new(&s, &o, NULL), 0);
    for (int batch = 0; batch < 80; batch++) {
        for (size_t i = 0; i < 100000; i++)
            p[i] = rnd() % 3 ? page++ : rnd() % (page + 1);
        CHECK_EQ(mrc_stream_keys(s, p, 100000, NULL), 0);
        if (batch == 9)
            at1m = mrc_stream_bytes(s);
    }
    CHECK_MSG(mrc_stream_bytes(s) <= SHARDS_BINS * 8 + 1000 * 160 + 8192, "%zu bytes",
              mrc_stream_bytes(s));
    CHECK_MSG(mrc_stream_bytes(s) == at1m, "grew: %zu at 1 M references, %zu at 8 M", at1m,
              mrc_stream_bytes(s));
    mrc_stream_free(s);

    o.so = (mrc_shards_opts_t){.rate = 0.01, .max_keys = 0, .seed = 1};
    CHECK_EQ(mrc_stream_new(&s, &o, NULL), 0);
    page = 0;
    for (int batch = 0; batch < 40; batch++) { /* about 2.7 M pages, 27 K sampled */
        for (size_t i = 0; i < 100000; i++)
            p[i] = rnd() % 3 ? page++ : rnd() % (page + 1);
        CHECK_EQ(mrc_stream_keys(s, p, 100000, NULL), 0);
    }
    {
        double sampled = (double)page * 0.01;
        CHECK_MSG((double)mrc_stream_bytes(s) <= 200 * sampled * 1.2 + 8192,
                  "%zu bytes for about %.0f sampled pages", mrc_stream_bytes(s), sampled);
    }
    mrc_stream_free(s);
    free(p);
}

/* Zipf references over `pages` pages (exponent a), ids scattered. */
static uint64_t *zipf(size_t n, size_t pages, double a, uint64_t seed)
{
    double *cdf = malloc(pages * sizeof *cdf), acc = 0;
    uint64_t *p = malloc(n * sizeof *p);
    rs = seed;
    for (size_t i = 0; i < pages; i++)
        cdf[i] = acc += 1.0 / pow((double)(i + 1), a);
    for (size_t t = 0; t < n; t++) {
        double u = (double)(rnd() >> 11) * 0x1p-53 * acc;
        size_t lo = 0, hi = pages - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        p[t] = (uint64_t)lo * 0x9E3779B1u + 17;
    }
    free(cdf);
    return p;
}

/* Fixed-size SHARDS with 8192 pages, distances far past SHARDS_BINS (the
 * bins widen) on several zipf traces and seeds, over sizes >= 1000: the
 * estimator's own error (binning adds none measurable, see BENCHMARKS.md)
 * averages <= 0.006 and no run exceeds 0.012. */
TEST(shards_fixed_size_error)
{
    static const struct {
        size_t pages;
        double a;
    } cfg[] = {{400000, 0.9}, {400000, 0.7}, {150000, 1.0}};
    double sum = 0;
    unsigned runs = 0;
    for (size_t c = 0; c < sizeof cfg / sizeof *cfg; c++) {
        size_t n = 2000000;
        uint64_t *p = zipf(n, cfg[c].pages, cfg[c].a, 77 + c);
        mrc_hist_t h;
        CHECK_EQ(mrc_lru_hist(p, n, &h, NULL), 0);
        for (uint64_t seed = 1; seed <= 3; seed++) {
            mrc_shards_opts_t so = {.rate = 0, .max_keys = 8192, .seed = seed};
            mrc_approx_t a;
            double err = 0;
            unsigned m = 0;
            CHECK_EQ(mrc_shards(p, n, &so, &a, NULL), 0);
            for (uint64_t f = 1000; f <= h.distinct; f += h.distinct / 200, m++)
                err += fabs(mrc_approx_miss_ratio(&a, f) - (double)mrc_hist_faults(&h, f) / (double)n);
            err /= m;
            CHECK_MSG(err <= 0.012, "zipf %zu pages a %.1f seed %ju: mae %.5f", cfg[c].pages,
                      cfg[c].a, (uintmax_t)seed, err);
            sum += err, runs++;
            mrc_approx_free(&a);
        }
        mrc_hist_free(&h);
        free(p);
    }
    CHECK_MSG(sum / runs <= 0.006, "mean mae %.5f over %u runs", sum / runs, runs);
}

/* Fixed-size SHARDS through the stream, which knows the distinct pages,
 * stretches its distances by R distinct / S (shards.c): on uniform and
 * zipf 0.7 traces (where the rate's own error dominates) the mean absolute
 * error over sizes >= 1000 is lower than mrc_shards's (no page count) over
 * the same seeds; and with every page sampled the stretch is 1: the curve
 * equals mrc_shards's exactly. */
TEST(shards_fixed_size_known_pages_stretch)
{
    double with = 0, without = 0;
    for (int c = 0; c < 2; c++) {
        size_t n = 1000000, pages = 200000;
        uint64_t *p = c ? zipf(n, pages, 0.7, 5) : malloc(n * sizeof *p);
        mrc_hist_t h;
        for (size_t i = 0; !c && i < n; i++)
            p[i] = rnd() % pages * 0x9E3779B1u + 17;
        CHECK_EQ(mrc_lru_hist(p, n, &h, NULL), 0);
        for (uint64_t seed = 1; seed <= 6; seed++) {
            mrc_shards_opts_t so = {.rate = 0, .max_keys = 2048, .seed = seed};
            mrc_stream_opts_t o = {.shards = 1, .distinct = 1, .so = so};
            mrc_stream_t *s;
            mrc_stream_result_t r;
            mrc_approx_t a;
            unsigned m = 0;
            CHECK_EQ(mrc_shards(p, n, &so, &a, NULL), 0);
            CHECK_EQ(mrc_stream_new(&s, &o, NULL), 0);
            CHECK_EQ(mrc_stream_keys(s, p, n, NULL), 0);
            CHECK_EQ(mrc_stream_finish(s, &r, NULL), 0);
            CHECK_EQ(r.distinct, h.distinct);
            for (uint64_t f = 1000; f <= h.distinct; f += h.distinct / 200, m++) {
                double exact = (double)mrc_hist_faults(&h, f) / (double)n;
                without += fabs(mrc_approx_miss_ratio(&a, f) - exact) / 12;
                with += fabs(mrc_approx_miss_ratio(&r.shards, f) - exact) / 12;
            }
            mrc_approx_free(&a);
            mrc_stream_result_free(&r);
            mrc_stream_free(s);
        }
        mrc_hist_free(&h);
        free(p);
    }
    CHECK_MSG(with < 0.85 * without, "error with the page count %.5f, without %.5f", with, without);
    {
        uint64_t q[3000];
        mrc_shards_opts_t so = {.rate = 0, .max_keys = 600, .seed = 3};
        mrc_stream_opts_t o = {.shards = 1, .distinct = 1, .so = so};
        mrc_stream_t *s;
        mrc_stream_result_t r;
        mrc_approx_t a;
        for (size_t i = 0; i < 3000; i++)
            q[i] = rnd() % 500;
        CHECK_EQ(mrc_shards(q, 3000, &so, &a, NULL), 0);
        CHECK_EQ(mrc_stream_new(&s, &o, NULL), 0);
        CHECK_EQ(mrc_stream_keys(s, q, 3000, NULL), 0);
        CHECK_EQ(mrc_stream_finish(s, &r, NULL), 0);
        CHECK_EQ(r.shards.np, a.np);
        for (size_t i = 0; i < a.np && i < r.shards.np; i++)
            CHECK(r.shards.at[i] == a.at[i] && r.shards.hit[i] == a.hit[i]);
        mrc_approx_free(&a);
        mrc_stream_result_free(&r);
        mrc_stream_free(s);
    }
}

TEST(dense_ids_numbering)
{
    dense_ids_t *m = dense_ids_new();
    uint64_t k[5000];
    uint32_t id[5000];
    for (size_t i = 0; i < 5000; i++)
        k[i] = rnd() % 3000;
    CHECK_EQ(dense_ids_map(m, k, 5000, id, NULL), 0);
    for (size_t i = 0; i < 5000; i++) {
        size_t j;
        for (j = 0; j < i && k[j] != k[i]; j++)
            ;
        CHECK(j == i ? (i == 0 || id[i] > 0) : id[j] == id[i]);
    }
    dense_ids_check(m);
    dense_ids_free(m);
}

static void part_roundtrip(const mrc_shards_part_t *p, mrc_shards_part_t *q)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    diag_t d;
    CHECK_EQ(mrc_shards_part_write(f, p), 0);
    fclose(f);
    CHECK_MSG(mrc_shards_part_parse("p", buf, len, q, &d) == 0, "%s", d.msg);
    free(buf);
}

/* N jobs, each one hash range, written, read back and merged in a shuffled
 * order: exactly the curve of one run over all ranges (every point). */
TEST(shards_partition_merge_is_exact)
{
    for (int round = 0; round < 6; round++) {
        size_t n = 200000;
        uint32_t N = 2 + (uint32_t)(rnd() % 7);
        uint64_t *p = zipf(n, 30000, 0.8, 900 + (uint64_t)round);
        mrc_stream_opts_t o = {.shards = 1, .distinct = 1,
                               .so = {.rate = 0.1, .seed = (uint64_t)round, .parts = N,
                                      .part = MRC_SHARDS_ALL_PARTS}};
        mrc_stream_result_t all, r;
        mrc_shards_part_t *parts = calloc(N, sizeof *parts);
        mrc_approx_t merged;
        mrc_stream_t *s;
        stream_keys(p, n, &o, &s);
        CHECK_EQ(mrc_stream_finish(s, &all, NULL), 0);
        mrc_stream_free(s);
        for (uint32_t i = 0; i < N; i++) {
            uint32_t slot = (i + 3) % N; /* any order */
            o.so.part = i;
            stream_keys(p, n, &o, &s);
            CHECK_EQ(mrc_stream_finish(s, &r, NULL), 0);
            CHECK_EQ(r.part.part, i);
            r.part.page_size = 4096;
            part_roundtrip(&r.part, &parts[slot]);
            CHECK_EQ(parts[slot].sampled, r.part.sampled);
            mrc_stream_result_free(&r);
            mrc_stream_free(s);
        }
        CHECK_EQ(mrc_shards_merge(parts, N, &merged, NULL), 0);
        CHECK_EQ(merged.np, all.shards.np);
        CHECK_EQ(merged.size, all.shards.size);
        CHECK_EQ(merged.sampled, all.shards.sampled);
        for (size_t i = 0; i < merged.np && i < all.shards.np; i++) {
            CHECK_EQ(merged.at[i], all.shards.at[i]);
            CHECK(merged.hit[i] == all.shards.hit[i]);
        }
        /* and it is a SHARDS estimate: near the exact curve */
        {
            mrc_hist_t h;
            double err = 0;
            unsigned m = 0;
            CHECK_EQ(mrc_lru_hist(p, n, &h, NULL), 0);
            for (uint64_t f = 100; f <= h.distinct; f += h.distinct / 100, m++)
                err += fabs(mrc_approx_miss_ratio(&merged, f) - (double)mrc_hist_faults(&h, f) / (double)n);
            CHECK_MSG(err / m <= 0.02, "%u parts: mae %.4f", N, err / m);
            mrc_hist_free(&h);
        }
        /* parts that do not fit together are refused */
        {
            diag_t d;
            mrc_approx_t x;
            CHECK_EQ(mrc_shards_merge(parts, N - 1, &x, &d), -EINVAL);
            parts[1].part = parts[0].part;
            CHECK_EQ(mrc_shards_merge(parts, N, &x, &d), -EINVAL);
            CHECK(strstr(d.msg, "twice") != NULL);
            parts[1].seed++;
            CHECK_EQ(mrc_shards_merge(parts, N, &x, &d), -EINVAL);
        }
        for (uint32_t i = 0; i < N; i++)
            mrc_shards_part_free(&parts[i]);
        free(parts);
        mrc_approx_free(&merged);
        mrc_stream_result_free(&all);
        free(p);
    }
}

TEST(shards_part_parser_rejects)
{
    static const char good[] = "vmlab shards part 1\ntrace t.vl\nseed 1\nrate 0x1p-7\npart 1 2\n"
                               "references 100\ndistinct 40\npage_size 4096\nsampled 9\n"
                               "distances 2\n1 3\n7 2\nend\n";
    static const struct {
        const char *from, *to; /* one substitution of good */
        unsigned line;         /* the line blamed */
    } bad[] = {
        {"vmlab shards part 1", "vmlab shards part 2", 1},
        {"trace t.vl", "trace", 2},
        {"seed 1", "seed -1", 3},
        {"rate 0x1p-7", "rate 2", 4},
        {"rate 0x1p-7", "rate nan", 4},
        {"part 1 2", "part 2 2", 5},
        {"part 1 2", "part 0 1", 5},
        {"part 1 2", "part 1 2 ", 5},
        {"references 100", "references 1e2", 6},
        {"distinct 40", "distinct 400", 7},
        {"page_size 4096", "page_size 4095", 8},
        {"sampled 9", "sampled 101", 9},
        {"distances 2", "distances 99", 10},
        {"1 3\n7 2", "7 3\n1 2", 12},
        {"1 3\n7 2", "0 3\n7 2", 11},
        {"1 3\n7 2", "1 3\n7 7", 12},
        {"1 3\n7 2", "1 3\n7 02", 12},
        {"end\n", "end\nx\n", 14},
        {"end\n", "", 13},
        {"seed 1\n", "seed 18446744073709551616\n", 3},
    };
    mrc_shards_part_t p;
    diag_t d;
    CHECK_MSG(mrc_shards_part_parse("g", good, sizeof good - 1, &p, &d) == 0, "%s", d.msg);
    CHECK_EQ(p.k, 2);
    CHECK_EQ(p.dist[1], 7);
    CHECK_STR(p.trace, "t.vl");
    mrc_shards_part_free(&p);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[512];
        const char *at = strstr(good, bad[i].from);
        size_t pre = (size_t)(at - good);
        snprintf(text, sizeof text, "%.*s%s%s", (int)pre, good, bad[i].to, at + strlen(bad[i].from));
        CHECK_MSG(mrc_shards_part_parse("b", text, strlen(text), &p, &d) == -EINVAL,
                  "case %zu accepted", i);
        CHECK_MSG(d.line == bad[i].line, "case %zu: line %lu, expected %u (%s)", i, d.line,
                  bad[i].line, d.msg);
    }
}
