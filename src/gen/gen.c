/* SPDX-License-Identifier: MIT */
/*
 * gen.c - synthetic trace models (see include/vmlab/gen.h), one table.
 *
 * Randomness is SplitMix64 (Steele, Lea, Flood, OOPSLA 2014): one 64-bit
 * state, so a seed fixes the whole output.  Zipf ranks are drawn by binary
 * search in the cumulative distribution (exact, O(log pages) a draw) and
 * mapped through a seeded shuffle (Fisher-Yates) so popular pages are
 * scattered, as gen_trace.c does.
 */
#include "vmlab/env.h"
#include "base/rng.h"
#include "vmlab/gen.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/parse.h"

#define MAX_PARAMS 8

typedef struct gen_param {
    char key[32];   /* name */
    char val[64];   /* value as written */
    int used;       /* read by the model */
} gen_param_t;

typedef struct gen {
    const gen_opts_t *o;   /* options */
    uint64_t rng;          /* SplitMix64 state */
    gen_param_t p[MAX_PARAMS]; /* model parameters */
    unsigned np;           /* parameters given */
    double writes;         /* fraction of writes */
    gen_emit_fn emit;      /* where references go */
    void *ctx;             /* its context */
    diag_t *d;             /* error report */
} gen_t;

/* gen's stream is SplitMix64 itself (not vl_rng's xoshiro256**): a seed's
 * trace is a published result and must never change. */
static uint64_t rnd(gen_t *g) { return vl_splitmix64(&g->rng); }

/* The SplitMix64 state of a seed (the constants fix every seed's trace). */
static uint64_t gen_seed_state(uint64_t seed) { return seed * VL_RNG64_MUL + 0x1234567; }

static double rnd01(gen_t *g) { return (double)(rnd(g) >> 11) * 0x1.0p-53; }

/* Uniform in [0, n), n >= 1 (Lemire's multiply-shift; bias < n / 2^64). */
static uint64_t rnd_below(gen_t *g, uint64_t n) { return (uint64_t)(((__uint128_t)rnd(g) * n) >> 64); }

static int param_find(gen_t *g, const char *key, const char **val)
{
    for (unsigned i = 0; i < g->np; i++)
        if (strcmp(g->p[i].key, key) == 0) {
            g->p[i].used = 1;
            *val = g->p[i].val;
            return 1;
        }
    return 0;
}

static int param_u64(gen_t *g, const char *key, uint64_t def, uint64_t min, uint64_t *out)
{
    const char *v;
    *out = def;
    if (!param_find(g, key, &v))
        return 0;
    if (parse_size(v, out) || *out < min)
        return diag_set(g->d, NULL, 0, EINVAL, "model parameter %s=%s is not a number >= %ju",
                        key, v, (uintmax_t)min);
    return 0;
}

static int param_frac(gen_t *g, const char *key, double def, double min, double max, double *out)
{
    const char *v;
    char *end;
    *out = def;
    if (!param_find(g, key, &v))
        return 0;
    *out = strtod(v, &end);
    if (end == v || *end || !(*out >= min && *out <= max))
        return diag_set(g->d, NULL, 0, EINVAL, "model parameter %s=%s is out of range (expected %g..%g)",
                        key, v, min, max);
    return 0;
}

/* One reference to page `pg`: a random word of it, a write with probability
 * `writes`. */
static int ref_page(gen_t *g, uint64_t pg)
{
    uint64_t off = rnd(g) & (((uint64_t)1 << g->o->page_bits) - 1) & ~(uint64_t)7;
    int w = rnd01(g) < g->writes;
    return g->emit(g->ctx, (pg << g->o->page_bits) | off, w);
}

typedef struct zipf {
    double *cdf;   /* cdf[i] = P(rank <= i) */
    uint64_t *map; /* rank -> page, a seeded shuffle */
    uint64_t n;    /* pages */
} zipf_t;

static int zipf_init(gen_t *g, zipf_t *z, uint64_t n, double alpha)
{
    double sum = 0;
    if (n > ((uint64_t)1 << 27))
        return diag_set(g->d, NULL, 0, EINVAL, "zipf over %ju pages: at most 2^27 pages "
                        "(its table takes 16 bytes a page)", (uintmax_t)n);
    z->n = n;
    z->cdf = malloc(n * sizeof *z->cdf);
    z->map = malloc(n * sizeof *z->map);
    if (!z->cdf || !z->map) {
        free(z->cdf), free(z->map);
        return diag_set(g->d, NULL, 0, ENOMEM, "out of memory for %ju Zipf ranks", (uintmax_t)n);
    }
    for (uint64_t i = 0; i < n; i++) {
        sum += pow((double)(i + 1), -alpha);
        z->cdf[i] = sum;
        z->map[i] = i;
    }
    for (uint64_t i = 0; i < n; i++)
        z->cdf[i] /= sum;
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = rnd_below(g, i + 1), t = z->map[i];
        z->map[i] = z->map[j], z->map[j] = t;
    }
    return 0;
}

static uint64_t zipf_draw(gen_t *g, const zipf_t *z)
{
    double u = rnd01(g);
    uint64_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return z->map[lo];
}

static void zipf_free(zipf_t *z) { free(z->cdf), free(z->map); }

static int m_seq(gen_t *g)
{
    int rc;
    for (uint64_t i = 0; i < g->o->length; i++)
        if ((rc = ref_page(g, i % g->o->pages)))
            return rc;
    return 0;
}

static int m_uniform(gen_t *g)
{
    int rc;
    for (uint64_t i = 0; i < g->o->length; i++)
        if ((rc = ref_page(g, rnd_below(g, g->o->pages))))
            return rc;
    return 0;
}

static int m_zipf(gen_t *g)
{
    double alpha;
    zipf_t z;
    int rc = param_frac(g, "alpha", 1.0, 0.0, 10.0, &alpha);
    if (rc || (rc = zipf_init(g, &z, g->o->pages, alpha)))
        return rc;
    for (uint64_t i = 0; i < g->o->length && !rc; i++)
        rc = ref_page(g, zipf_draw(g, &z));
    zipf_free(&z);
    return rc;
}

static int m_loop(gen_t *g)
{
    uint64_t len;
    int rc = param_u64(g, "len", g->o->pages / 10 ? g->o->pages / 10 : 1, 1, &len);
    /* found by fuzz/fuzz_gen.c: a loop longer than the universe wrote
     * pages beyond --pages */
    if (!rc && len > g->o->pages)
        return diag_set(g->d, NULL, 0, EINVAL, "loop: len=%ju is more than the %ju pages",
                        (uintmax_t)len, (uintmax_t)g->o->pages);
    for (uint64_t i = 0; i < g->o->length && !rc; i++)
        rc = ref_page(g, i % len);
    return rc;
}

static int m_phases(gen_t *g)
{
    uint64_t wset, phase, n = g->o->pages, *set, left = 0;
    double keep;
    int rc;
    if ((rc = param_u64(g, "wset", n / 20 ? n / 20 : 1, 1, &wset)) ||
        (rc = param_u64(g, "phase", 5000, 1, &phase)) ||
        (rc = param_frac(g, "keep", 0.25, 0.0, 1.0, &keep)))
        return rc;
    if (wset > n || wset > ((uint64_t)1 << 27))
        return diag_set(g->d, NULL, 0, EINVAL, "phases: wset=%ju is more than the %ju pages "
                        "(or 2^27)", (uintmax_t)wset, (uintmax_t)n);
    if (!(set = malloc(wset * sizeof *set)))
        return diag_set(g->d, NULL, 0, ENOMEM, "out of memory for the working set");
    for (uint64_t j = 0; j < wset; j++)
        set[j] = rnd_below(g, n);
    for (uint64_t i = 0; i < g->o->length && !rc; i++) {
        if (left == 0) {
            /* A new phase: keep about `keep` of the set, draw the rest anew;
             * its length is uniform in [phase/2, 3 phase/2]. */
            for (uint64_t j = 0; j < wset; j++)
                if (i && rnd01(g) >= keep)
                    set[j] = rnd_below(g, n);
            left = phase / 2 + rnd_below(g, phase + 1);
            if (!left)
                left = 1;
        }
        left--;
        rc = ref_page(g, set[rnd_below(g, wset)]);
    }
    free(set);
    return rc;
}

static int m_belady(gen_t *g)
{
    static const unsigned s[12] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
    int rc;
    for (uint64_t i = 0; i < g->o->length; i++)
        if ((rc = g->emit(g->ctx, (uint64_t)s[i % 12] << g->o->page_bits, 0)))
            return rc;
    return 0;
}

/* Runs of `run` references, each run drawn from one pattern with the given
 * weights: the loop over 12% of the pages, a scan over the rest, Zipf over
 * all, uniform over all. */
static int m_mix(gen_t *g)
{
    uint64_t n = g->o->pages, L = n * 12 / 100 ? n * 12 / 100 : 1, S = n - L ? n - L : 1;
    uint64_t loop_pos = 0, scan_pos = 0, i = 0, run;
    double alpha, w[4], sum;
    zipf_t z;
    int rc;
    if ((rc = param_frac(g, "alpha", 1.0, 0.0, 10.0, &alpha)) ||
        (rc = param_frac(g, "loop", 0.5, 0.0, 1e9, &w[0])) ||
        (rc = param_frac(g, "seq", 0.2, 0.0, 1e9, &w[1])) ||
        (rc = param_frac(g, "zipf", 0.3, 0.0, 1e9, &w[2])) ||
        (rc = param_frac(g, "uniform", 0.0, 0.0, 1e9, &w[3])) ||
        (rc = param_u64(g, "run", 256, 1, &run)))
        return rc;
    sum = w[0] + w[1] + w[2] + w[3];
    if (!(sum > 0))
        return diag_set(g->d, NULL, 0, EINVAL, "mix: the weights loop, seq, zipf, uniform sum to 0 "
                                               "(expected at least one > 0)");
    if ((rc = zipf_init(g, &z, n, alpha)))
        return rc;
    while (i < g->o->length && !rc) {
        double u = rnd01(g) * sum;
        int which = u < w[0] ? 0 : u < w[0] + w[1] ? 1 : u < w[0] + w[1] + w[2] ? 2 : 3;
        for (uint64_t k = 0; k < run && i < g->o->length && !rc; k++, i++) {
            uint64_t pg = which == 0   ? loop_pos++ % L
                          : which == 1 ? (L + scan_pos++ % S) % n
                          : which == 2 ? zipf_draw(g, &z)
                                       : rnd_below(g, n);
            rc = ref_page(g, pg);
        }
    }
    zipf_free(&z);
    return rc;
}

/* A real singly linked list in this process's heap. */
typedef struct gen_node {
    struct gen_node *next; /* the list */
    uint64_t value;        /* written on each visit */
} gen_node_t;

static int m_linked_list(gen_t *g)
{
    uint64_t nodes, size, shuffle, raw, base = UINT64_MAX;
    gen_node_t **v, *head, *cur;
    int rc;
    if ((rc = param_u64(g, "nodes", g->o->pages, 1, &nodes)) ||
        (rc = param_u64(g, "node", 64, sizeof(gen_node_t), &size)) ||
        (rc = param_u64(g, "shuffle", 0, 0, &shuffle)) || (rc = param_u64(g, "raw", 0, 0, &raw)))
        return rc;
    if (nodes > (1u << 26) || size > (1u << 20))
        return diag_set(g->d, NULL, 0, EINVAL, "linked-list: at most %u nodes of at most 1 MiB",
                        1u << 26);
    /* Each limit alone allowed 2^26 nodes of 1 MiB, 64 TiB: the list is
     * really allocated, so the product must fit in the machine (half its
     * memory, leaving the rest to the trace writer and everyone else). */
    if (nodes * size > env_mem_bytes() / 2)
        return diag_set(g->d, NULL, 0, E2BIG,
                        "linked-list: %ju nodes x %ju bytes = %ju bytes, more than half this "
                        "machine's %ju bytes of memory (expected fewer or smaller nodes)",
                        (uintmax_t)nodes, (uintmax_t)size, (uintmax_t)(nodes * size),
                        (uintmax_t)env_mem_bytes());
    if (g->o->length == 0) /* the dry run: do not disturb the heap */
        return 0;
    if (!(v = calloc(nodes, sizeof *v)))
        return diag_set(g->d, NULL, 0, ENOMEM, "out of memory for the node table");
    for (uint64_t i = 0; i < nodes; i++) {
        if (!(v[i] = malloc(size))) {
            rc = diag_set(g->d, NULL, 0, ENOMEM, "out of memory for list node %ju", (uintmax_t)i);
            goto out;
        }
        v[i]->value = 0;
        if ((uint64_t)(uintptr_t)v[i] < base)
            base = (uint64_t)(uintptr_t)v[i];
    }
    if (shuffle)
        for (uint64_t i = nodes - 1; i > 0; i--) {
            uint64_t j = rnd_below(g, i + 1);
            gen_node_t *t = v[i];
            v[i] = v[j], v[j] = t;
        }
    for (uint64_t i = 0; i < nodes; i++)
        v[i]->next = i + 1 < nodes ? v[i + 1] : NULL;
    head = cur = v[0];
    for (uint64_t i = 0; i < g->o->length && !rc;) {
        volatile gen_node_t *vc = cur;
        uint64_t a = (uint64_t)(uintptr_t)cur;
        if (!raw)
            a = a - base + 0x10000000u;
        /* Store to the value, then load the next pointer, as a loop
         * `for (p = head; p; p = p->next) p->value++;` does. */
        vc->value = vc->value + 1;
        rc = g->emit(g->ctx, a + offsetof(gen_node_t, value), 1);
        if (++i < g->o->length && !rc) {
            rc = g->emit(g->ctx, a + offsetof(gen_node_t, next), 0);
            i++;
        }
        cur = vc->next ? vc->next : head;
    }
out:
    for (uint64_t i = 0; i < nodes; i++)
        free(v[i]);
    free(v);
    return rc;
}

static const struct {
    const char *name;     /* MODEL */
    const char *summary;  /* for --help */
    int (*run)(gen_t *g); /* generate o->length references */
    int writes;           /* takes the writes= parameter */
} models[] = {
    {"seq", "sequential scan over the pages, cycling", m_seq, 1},
    {"uniform", "pages uniformly at random", m_uniform, 1},
    {"zipf", "Zipf popularity (alpha=1.0), shuffled over the pages", m_zipf, 1},
    {"loop", "a loop over len pages (len=pages/10)", m_loop, 1},
    {"phases", "working-set phases (wset=pages/20, phase=5000, keep=0.25)", m_phases, 1},
    {"belady", "1,2,3,4,1,2,5,1,2,3,4,5 repeated: FIFO's anomaly", m_belady, 0},
    {"mix", "runs (run=256) of loop/seq/zipf/uniform, weights loop=0.5,seq=0.2,zipf=0.3,uniform=0",
     m_mix, 1},
    {"linked-list", "a real malloc'd list walked (nodes=pages, node=64, shuffle=0, raw=0)",
     m_linked_list, 0},
};

const char *gen_model_name(unsigned i)
{
    return i < sizeof models / sizeof models[0] ? models[i].name : NULL;
}

const char *gen_model_summary(unsigned i)
{
    return i < sizeof models / sizeof models[0] ? models[i].summary : NULL;
}

int gen_run(const gen_opts_t *o, gen_emit_fn emit, void *ctx, diag_t *d)
{
    gen_t g;
    const char *colon = strchr(o->model, ':'), *s;
    size_t nlen = colon ? (size_t)(colon - o->model) : strlen(o->model);
    unsigned m;
    int rc;
    memset(&g, 0, sizeof g);
    g.o = o, g.emit = emit, g.ctx = ctx, g.d = d;
    g.rng = gen_seed_state(o->seed);
    for (m = 0; m < sizeof models / sizeof models[0]; m++)
        if (strlen(models[m].name) == nlen && strncmp(models[m].name, o->model, nlen) == 0)
            break;
    if (m == sizeof models / sizeof models[0])
        return diag_set(d, NULL, 0, EINVAL,
                        "unknown model '%.*s' (expected seq, uniform, zipf, loop, phases, belady, "
                        "mix or linked-list)", (int)nlen, o->model);
    if (o->pages == 0 || o->page_bits > 40)
        return diag_set(d, NULL, 0, EINVAL, "pages must be >= 1 and the page size at most 2^40");
    for (s = colon ? colon + 1 : NULL; s && *s;) {
        const char *end = strchr(s, ','), *eq;
        size_t len = end ? (size_t)(end - s) : strlen(s);
        eq = memchr(s, '=', len);
        if (!eq || eq == s || (size_t)(eq - s) >= sizeof g.p[0].key ||
            len - (size_t)(eq - s) - 1 >= sizeof g.p[0].val || g.np == MAX_PARAMS)
            return diag_set(d, NULL, 0, EINVAL, "bad model parameter '%.*s' (expected key=value)",
                            (int)len, s);
        memcpy(g.p[g.np].key, s, (size_t)(eq - s));
        memcpy(g.p[g.np].val, eq + 1, len - (size_t)(eq - s) - 1);
        g.np++;
        s = end ? end + 1 : NULL;
    }
    if (models[m].writes && (rc = param_frac(&g, "writes", 0.25, 0.0, 1.0, &g.writes)))
        return rc;
    {
        /* A dry run with no references reads the parameters, so a misspelt
         * one is reported before any output. */
        gen_opts_t dry = *o;
        dry.length = 0;
        g.o = &dry;
        if ((rc = models[m].run(&g)))
            return rc;
        for (unsigned i = 0; i < g.np; i++)
            if (!g.p[i].used)
                return diag_set(d, NULL, 0, EINVAL, "model %s has no parameter '%s'",
                                models[m].name, g.p[i].key);
        g.o = o;
        g.rng = gen_seed_state(o->seed);
    }
    return models[m].run(&g);
}
