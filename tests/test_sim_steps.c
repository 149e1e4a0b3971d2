/* SPDX-License-Identifier: MIT */
/*
 * test_sim_steps.c - `vmlab sim --steps` (src/sim/sim_steps.c and the
 * policies behind it) against an independent oracle of OSTEP's
 * paging-policy.py: for FIFO, LRU, OPT, MRU and UNOPT the oracle keeps the
 * homework's `memory` list and applies its rules (append on a miss; FIFO and
 * LRU pop the front, MRU the back, OPT the last page with the farthest next
 * use, UNOPT the first with the nearest; LRU and MRU move a hit to the back).
 * Every reference's hit, victim and memory list must agree, on random page
 * strings over many seeds and memory sizes.  The multi-bit clock is checked
 * against a frame-array oracle of its documented hand.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vmlab/sim_steps.h"

static uint64_t mix_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t *s, uint64_t n) { return mix_next(s) % n; }

enum { MAXREF = 200, MAXMEM = 16 };

typedef struct ostep_step {
    int hit;
    long victim; /* -1: none */
    int n;
    long mem[MAXMEM];
} ostep_step_t;

/* paging-policy.py's loop, for policy p in {"fifo","lru","opt","mru","unopt"}. */
static void oracle(const char *p, const uint64_t *ref, int n, int cache, ostep_step_t *out)
{
    long mem[MAXMEM];
    int cnt = 0;
    for (int t = 0; t < n; t++) {
        long pg = (long)ref[t];
        int idx = -1;
        long victim = -1;
        for (int i = 0; i < cnt; i++)
            if (mem[i] == pg)
                idx = i;
        if (idx >= 0 && (!strcmp(p, "lru") || !strcmp(p, "mru"))) {
            memmove(mem + idx, mem + idx + 1, (size_t)(cnt - idx - 1) * sizeof *mem);
            mem[cnt - 1] = pg;
        }
        if (idx < 0) {
            if (cnt == cache) {
                int v = 0;
                if (!strcmp(p, "mru")) {
                    v = cnt - 1;
                } else if (!strcmp(p, "opt") || !strcmp(p, "unopt")) {
                    long best = !strcmp(p, "opt") ? -1 : n + 1;
                    for (int i = 0; i < cnt; i++) {
                        long when = n;
                        for (int f = t + 1; f < n; f++)
                            if ((long)ref[f] == mem[i]) {
                                when = f;
                                break;
                            }
                        if (!strcmp(p, "opt") ? when >= best : when < best) {
                            best = when;
                            v = i;
                        }
                    }
                }
                victim = mem[v];
                memmove(mem + v, mem + v + 1, (size_t)(cnt - v - 1) * sizeof *mem);
                cnt--;
            }
            mem[cnt++] = pg;
        }
        out[t].hit = idx >= 0;
        out[t].victim = victim;
        out[t].n = cnt;
        memcpy(out[t].mem, mem, sizeof mem);
    }
}

typedef struct got {
    ostep_step_t s[MAXREF];
    int n;
} got_t;

static void collect(void *ctx, const sim_step_t *s)
{
    got_t *g = ctx;
    ostep_step_t *o = &g->s[g->n++];
    o->hit = s->hit;
    o->victim = s->has_victim ? (long)s->victim : -1;
    o->n = (int)s->nframes;
    for (size_t i = 0; i < s->nframes && i < MAXMEM; i++)
        o->mem[i] = (long)s->frames[i];
}

static void check_policy(const char *name, const char *spec)
{
    uint64_t rs = 4242, ref[MAXREF];
    static got_t got;
    static ostep_step_t want[MAXREF];
    unsigned victims = 0;
    for (int round = 0; round < 400; round++) {
        int n = 1 + (int)below(&rs, MAXREF), cache = 1 + (int)below(&rs, 7);
        uint64_t maxpage = 2 + below(&rs, 12);
        diag_t d;
        for (int i = 0; i < n; i++)
            ref[i] = below(&rs, maxpage);
        got.n = 0;
        CHECK_MSG(sim_steps_run(spec, (uint64_t)cache, ref, (size_t)n, collect, &got, &d) == 0,
                  "%s", d.msg);
        oracle(name, ref, n, cache, want);
        CHECK_EQ(got.n, n);
        for (int t = 0; t < n; t++) {
            CHECK_MSG(got.s[t].hit == want[t].hit && got.s[t].victim == want[t].victim &&
                          got.s[t].n == want[t].n,
                      "%s round %d ref %d (page %llu): hit %d victim %ld n %d, oracle %d %ld %d",
                      spec, round, t, (unsigned long long)ref[t], got.s[t].hit, got.s[t].victim,
                      got.s[t].n, want[t].hit, want[t].victim, want[t].n);
            for (int i = 0; i < want[t].n; i++)
                CHECK_MSG(got.s[t].mem[i] == want[t].mem[i], "%s round %d ref %d: memory "
                          "order differs at %d", spec, round, t, i);
            victims += want[t].victim >= 0;
        }
    }
    CHECK(victims > 1000);
}

TEST(fifo_log) { check_policy("fifo", "fifo"); }
TEST(lru_log) { check_policy("lru", "lru"); }
TEST(opt_log_ostep_ties) { check_policy("opt", "opt:ostep=1"); }
TEST(mru_log) { check_policy("mru", "mru"); }
TEST(unopt_log) { check_policy("unopt", "unopt"); }

/* opt's default tie (the lowest frame) differs from paging-policy.py's only in
 * which never-again page goes: the hits must be the same. */
TEST(opt_default_same_hits)
{
    uint64_t rs = 7, ref[MAXREF];
    static got_t a, b;
    diag_t d;
    for (int round = 0; round < 200; round++) {
        int n = 1 + (int)below(&rs, MAXREF), cache = 1 + (int)below(&rs, 6);
        for (int i = 0; i < n; i++)
            ref[i] = below(&rs, 10);
        a.n = b.n = 0;
        CHECK(sim_steps_run("opt", (uint64_t)cache, ref, (size_t)n, collect, &a, &d) == 0);
        CHECK(sim_steps_run("opt:ostep=1", (uint64_t)cache, ref, (size_t)n, collect, &b, &d) == 0);
        for (int t = 0; t < n; t++)
            CHECK_EQ(a.s[t].hit, b.s[t].hit);
    }
}

/* clock:bits=N: frames in fill order, counter 1 on load, +1 (max N) a hit;
 * the hand lowers non-zero counters and takes the first zero. */
TEST(clock_bits_hand)
{
    uint64_t rs = 99, ref[MAXREF];
    static got_t got;
    for (int round = 0; round < 300; round++) {
        int n = 1 + (int)below(&rs, MAXREF), cache = 1 + (int)below(&rs, 6);
        unsigned bits = 1 + (unsigned)below(&rs, 4);
        char spec[32];
        long frame[MAXMEM];
        unsigned cnt[MAXMEM];
        int used = 0, hand = 0;
        diag_t d;
        for (int i = 0; i < n; i++)
            ref[i] = below(&rs, 9);
        snprintf(spec, sizeof spec, "clock:bits=%u", bits);
        got.n = 0;
        CHECK(sim_steps_run(spec, (uint64_t)cache, ref, (size_t)n, collect, &got, &d) == 0);
        for (int t = 0; t < n; t++) {
            int f = -1;
            long victim = -1;
            for (int i = 0; i < used; i++)
                if (frame[i] == (long)ref[t])
                    f = i;
            if (f >= 0) {
                if (cnt[f] < bits)
                    cnt[f]++;
            } else if (used < cache) {
                frame[used] = (long)ref[t];
                cnt[used++] = 1;
            } else {
                while (cnt[hand]) {
                    cnt[hand]--;
                    hand = (hand + 1) % cache;
                }
                victim = frame[hand];
                frame[hand] = (long)ref[t];
                cnt[hand] = 1;
                hand = (hand + 1) % cache;
            }
            CHECK_EQ(got.s[t].hit, f >= 0);
            CHECK_MSG(got.s[t].victim == victim, "%s round %d ref %d: victim %ld, oracle %ld",
                      spec, round, t, got.s[t].victim, victim);
        }
    }
}

TEST(bad_spec)
{
    uint64_t ref[] = {1, 2, 3};
    diag_t d;
    got_t *g = calloc(1, sizeof *g);
    CHECK(sim_steps_run("nosuch", 2, ref, 3, collect, g, &d) != 0);
    CHECK(sim_steps_run("clock:bits=0", 2, ref, 3, collect, g, &d) != 0);
    CHECK(sim_steps_run("opt:ostep=2", 2, ref, 3, collect, g, &d) != 0);
    free(g);
}
