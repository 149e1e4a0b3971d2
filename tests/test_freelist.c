/* SPDX-License-Identifier: MIT */
/*
 * test_freelist.c - `vmlab malloc freelist`'s model (src/freelist) against an
 * independent oracle of OSTEP's malloc.py rules, for every fit policy, list
 * order and coalescing setting, with headers and alignments, on random
 * operation lists in malloc.py's -A syntax (including frees of failed, freed
 * and out-of-range indices, and requests that leave header-only remainders).
 *
 * The oracle shares no code with the model: its free list is two parallel
 * arrays, sorting is qsort keyed by (key, position before the sort) (stable
 * by construction), and the allocated chunks are a plain array searched
 * linearly.  Every operation's result, elements searched and the whole free
 * list after it must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vmlab/freelist.h"

static uint64_t mix_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t *s, uint64_t n) { return mix_next(s) % n; }

enum { OMAX = 4096 };

typedef struct oracle {
    long long fa[OMAX], fs[OMAX]; /* free list: address, size */
    int nf;
    long long ua[OMAX], us[OMAX]; /* allocated: address, size */
    int nu;
    int policy, order, coalesce; /* 0 best 1 worst 2 first; orders as malloc.py's list */
    long long header, align;
} oracle_t;

typedef struct skey {
    long long a, s, key;
    int pos;
} skey_t;

static int cmp_skey(const void *x, const void *y)
{
    const skey_t *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->pos - b->pos;
}

static long long o_alloc(oracle_t *o, long long n, long long *searched)
{
    int pick = -1;
    if (o->align > 0 && n % o->align)
        n += o->align - n % o->align;
    n += o->header;
    *searched = 0;
    for (int i = 0; i < o->nf; i++) {
        ++*searched;
        if (o->fs[i] < n)
            continue;
        if (pick < 0 || (o->policy == 0 && o->fs[i] < o->fs[pick]) ||
            (o->policy == 1 && o->fs[i] > o->fs[pick]))
            pick = i;
        if (o->policy == 2)
            break;
    }
    if (pick < 0)
        return -1;
    long long a = o->fa[pick];
    o->ua[o->nu] = a;
    o->us[o->nu++] = n;
    if (o->fs[pick] == n) {
        for (int i = pick; i + 1 < o->nf; i++) {
            o->fa[i] = o->fa[i + 1];
            o->fs[i] = o->fs[i + 1];
        }
        o->nf--;
    } else {
        o->fa[pick] += n;
        o->fs[pick] -= n;
    }
    return a;
}

static int o_free(oracle_t *o, long long a)
{
    int k = -1;
    for (int i = 0; i < o->nu; i++)
        if (o->ua[i] == a)
            k = i;
    if (k < 0)
        return -1;
    long long s = o->us[k];
    o->ua[k] = o->ua[o->nu - 1];
    o->us[k] = o->us[o->nu - 1];
    o->nu--;
    if (o->order == 3) { /* front */
        for (int i = o->nf; i > 0; i--) {
            o->fa[i] = o->fa[i - 1];
            o->fs[i] = o->fs[i - 1];
        }
        o->fa[0] = a;
        o->fs[0] = s;
        o->nf++;
    } else {
        o->fa[o->nf] = a;
        o->fs[o->nf++] = s;
    }
    if (o->order <= 2) {
        static skey_t t[OMAX];
        for (int i = 0; i < o->nf; i++)
            t[i] = (skey_t){o->fa[i], o->fs[i],
                            o->order == 0 ? o->fa[i] : o->order == 1 ? o->fs[i] : -o->fs[i], i};
        qsort(t, (size_t)o->nf, sizeof *t, cmp_skey);
        for (int i = 0; i < o->nf; i++) {
            o->fa[i] = t[i].a;
            o->fs[i] = t[i].s;
        }
    }
    if (o->coalesce) {
        long long na[OMAX], ns[OMAX];
        int m = 0;
        na[0] = o->fa[0];
        ns[0] = o->fs[0];
        for (int i = 1; i < o->nf; i++) {
            if (o->fa[i] == na[m] + ns[m]) {
                ns[m] += o->fs[i];
            } else {
                m++;
                na[m] = o->fa[i];
                ns[m] = o->fs[i];
            }
        }
        o->nf = m + 1;
        memcpy(o->fa, na, sizeof(long long) * (size_t)o->nf);
        memcpy(o->fs, ns, sizeof(long long) * (size_t)o->nf);
    }
    return 0;
}

/* What the model reported, one event after another. */
typedef struct seen {
    flm_event_t ev[1200];
    long long fa[1200][64], fs[1200][64];
    int nf[1200];
    int n;
} seen_t;

static void record(void *ctx, const flm_t *f, const flm_event_t *e)
{
    seen_t *s = ctx;
    if (s->n >= 1200)
        return;
    s->ev[s->n] = *e;
    s->nf[s->n] = (int)flm_count(f);
    for (size_t i = 0; i < flm_count(f) && i < 64; i++) {
        uint64_t a, z;
        flm_get(f, i, &a, &z);
        s->fa[s->n][i] = (long long)a;
        s->fs[s->n][i] = (long long)z;
    }
    s->n++;
}

static void one_config(uint64_t *rs, int policy, int order, int coalesce, unsigned *frees_ok,
                       unsigned *fails, unsigned *tiny)
{
    flm_config_t cfg = flm_config_default();
    static oracle_t o;
    static seen_t seen;
    char list[8192];
    size_t k = 0;
    long long ptr[1024];
    int nptr = 0, ok = 0;
    cfg.size = 20 + below(rs, 200);
    cfg.base = below(rs, 5000);
    cfg.header = below(rs, 3) ? 0 : below(rs, 9);
    cfg.align = below(rs, 2) ? 0 : 1 + below(rs, 8);
    cfg.policy = (flm_policy_t)policy;
    cfg.order = (flm_order_t)order;
    cfg.coalesce = coalesce;
    memset(&o, 0, sizeof o);
    o.fa[0] = (long long)cfg.base;
    o.fs[0] = (long long)cfg.size;
    o.nf = 1;
    o.policy = policy;
    o.order = order;
    o.coalesce = coalesce;
    o.header = (long long)cfg.header;
    o.align = (long long)cfg.align;
    /* A random -A list: allocations, frees of random (sometimes bad) indices. */
    unsigned nops = 5 + (unsigned)below(rs, 60), nalloc = 0;
    for (unsigned i = 0; i < nops; i++) {
        if (i == 0 || below(rs, 100) < 55) {
            k += (size_t)snprintf(list + k, sizeof list - k, "%s+%llu", i ? "," : "",
                                  (unsigned long long)(1 + below(rs, 25)));
            nalloc++;
        } else {
            k += (size_t)snprintf(list + k, sizeof list - k, ",-%llu",
                                  (unsigned long long)below(rs, nalloc + 2));
        }
    }
    flm_t *f = flm_new(&cfg);
    diag_t d;
    seen.n = 0;
    CHECK(f != NULL);
    CHECK_MSG(flm_script_run(f, list, record, &seen, &d) == 0, "%s", d.msg);
    flm_check(f);
    flm_free_all(f);
    /* The oracle runs the same list under malloc.py's index rules. */
    int e = 0;
    for (const char *s = list; *s;) {
        char op = *s;
        long long v = strtoll(s + 1, (char **)&s, 10);
        if (*s == ',')
            s++;
        CHECK(e < seen.n);
        const flm_event_t *ev = &seen.ev[e];
        if (op == '+') {
            long long searched, a = o_alloc(&o, v, &searched);
            CHECK_EQ(ev->kind, FLM_EV_ALLOC);
            CHECK_EQ(ev->index, nptr);
            CHECK_MSG(ev->ptr == a, "alloc %lld: ptr %lld, oracle %lld (list %s)", v,
                      (long long)ev->ptr, a, list);
            CHECK_EQ(ev->searched, searched);
            *fails += a == -1;
            ptr[nptr++] = a;
            ok += a != -1;
            for (int i = 0; i < o.nf; i++)
                *tiny += o.fs[i] > 0 && o.fs[i] <= o.header && o.header > 0;
        } else {
            if (v >= ok || v >= nptr || ptr[v] == -1) {
                CHECK_EQ(ev->kind, FLM_EV_SKIP);
            } else {
                int rc = o_free(&o, ptr[v]);
                CHECK_EQ(ev->kind, FLM_EV_FREE);
                CHECK_EQ(ev->ptr, rc);
                *frees_ok += rc == 0;
            }
        }
        CHECK_EQ(seen.nf[e], o.nf);
        for (int i = 0; i < o.nf && i < 64; i++) {
            CHECK_MSG(seen.fa[e][i] == o.fa[i] && seen.fs[e][i] == o.fs[i],
                      "op %d element %d: [%lld %lld] oracle [%lld %lld] (list %s)", e, i,
                      seen.fa[e][i], seen.fs[e][i], o.fa[i], o.fs[i], list);
        }
        e++;
    }
    CHECK_EQ(e, seen.n);
}

TEST(every_fit_order_and_coalescing_against_oracle)
{
    uint64_t rs = 17;
    unsigned frees_ok = 0, fails = 0, tiny = 0;
    for (int policy = 0; policy < 3; policy++)
        for (int order = 0; order < 5; order++)
            for (int co = 0; co < 2; co++)
                for (int round = 0; round < 150; round++) {
                    one_config(&rs, policy, order, co, &frees_ok, &fails, &tiny);
                }
    /* The interesting cases happened: frees, failed requests, header-only
     * remainders. */
    CHECK(frees_ok > 1000);
    CHECK(fails > 100);
    CHECK(tiny > 10);
}

TEST(malloc_py_readme_example)
{
    /* malloc.py -S 100 -b 1000 -H 4 -A +10,-0,+20 ... worked by hand: the
     * request 10 takes 14 bytes at 1000; freeing it puts [1000,14] before
     * [1014,86]; +20 takes 24 bytes from the best fit, [1014,86]. */
    flm_config_t cfg = flm_config_default();
    flm_t *f;
    uint64_t searched, a, s;
    cfg.header = 4;
    f = flm_new(&cfg);
    CHECK_EQ(flm_alloc(f, 10, &searched), 1000);
    CHECK_EQ(searched, 1);
    CHECK_EQ(flm_release(f, 1000), 0);
    CHECK_EQ(flm_count(f), 2);
    CHECK_EQ(flm_alloc(f, 20, &searched), 1014);
    CHECK_EQ(searched, 2);
    flm_get(f, 1, &a, &s);
    CHECK_EQ(a, 1038);
    CHECK_EQ(s, 62);
    CHECK_EQ(flm_release(f, 1000), -1); /* freed already */
    CHECK_EQ(flm_alloc(f, 200, &searched), -1);
    flm_free_all(f);
}

TEST(bad_lists)
{
    flm_config_t cfg = flm_config_default();
    flm_t *f = flm_new(&cfg);
    diag_t d;
    static const char *const bad[] = {"+", "10", "+x", "+0", "+1,,+2", "*3", "-"};
    for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(flm_script_run(f, bad[i], record, NULL, &d) != 0, "'%s' accepted", bad[i]);
    flm_free_all(f);
}
