/*
 * test_mrc.c - fault curves: the one-pass LRU and OPT engines against one
 * straightforward simulation per frame count (written here, independent of
 * src/), textbook strings, SHARDS's error bound, Belady's anomaly.
 */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "mrc/lru_stack.h"
#include "vmlab/mrc.h"

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

/* Belady's MIN with f frames: evict the page used farthest in the future. */
static uint64_t brute_opt(const uint64_t *p, size_t n, size_t f)
{
    uint64_t *pg = malloc(f * sizeof *pg), faults = 0;
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        size_t i, v = 0, vnext = 0;
        for (i = 0; i < k && pg[i] != p[t]; i++)
            ;
        if (i < k)
            continue;
        faults++;
        if (k < f) {
            pg[k++] = p[t];
            continue;
        }
        for (i = 0; i < k; i++) {
            size_t u = t + 1;
            while (u < n && p[u] != pg[i])
                u++;
            if (u > vnext)
                v = i, vnext = u;
        }
        pg[v] = p[t];
    }
    free(pg);
    return faults;
}

/* A trace with locality: a random walk over a small universe, with jumps. */
static void random_trace(uint64_t *p, size_t n, unsigned universe, unsigned mode)
{
    uint64_t cur = 0;
    for (size_t t = 0; t < n; t++) {
        if (mode == 0)
            cur = rnd() % universe;
        else if (mode == 1)
            cur = rnd() % 4 == 0 ? rnd() % universe : (cur + rnd() % 3) % universe;
        else /* skewed: low pages far more often */
            cur = (rnd() % universe) * (rnd() % universe) / universe;
        p[t] = cur * 7919 + 13; /* sparse page numbers */
    }
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
        CHECK_EQ(mrc_hist_faults(&o, f), brute_opt(b, 12, f));
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
        random_trace(p, n, universe, mode);
        CHECK_EQ(mrc_lru_hist(p, n, &l, NULL), 0);
        CHECK_EQ(mrc_opt_hist(p, n, &o, NULL), 0);
        CHECK_EQ(l.distinct, o.distinct);
        for (size_t f = 1; f <= l.distinct + 1; f++) {
            uint64_t bl = brute_lru(p, n, f), bo = brute_opt(p, n, f);
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
    size_t n = 60000;
    uint64_t *p = malloc(n * sizeof *p);
    for (int round = 0; round < 3; round++) {
        mrc_hist_t l, o;
        random_trace(p, n, 300 + 200 * (unsigned)round, (unsigned)round);
        CHECK_EQ(mrc_lru_hist(p, n, &l, NULL), 0);
        CHECK_EQ(mrc_opt_hist(p, n, &o, NULL), 0);
        for (size_t f = 1; f <= l.distinct + 1; f += 1 + f / 3) {
            CHECK_EQ(mrc_hist_faults(&l, f), brute_lru(p, n, f));
            CHECK_EQ(mrc_hist_faults(&o, f), brute_opt(p, n, f));
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
