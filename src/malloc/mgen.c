/* SPDX-License-Identifier: MIT */
/*
 * mgen.c - fragmentation adversaries for malloc-lab replays (see mgen.h).
 *
 * Every kind draws all its parameters (sizes, counts, rounds) from the seed,
 * so that many seeds explore a family, not one trace: a design tuned to one
 * seed shows it on the next.  Ids are never reused (one per allocation), so
 * a trace's header says how many it has.  The peak of live payload is
 * computed while generating, as mr_parse would compute it.
 */
#include "malloc/mgen.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/vec.h"

typedef struct mg {
    vl_rng_t rng;      /* the seed's stream */
    mr_op_t *ops;      /* operations so far */
    size_t nops;       /* used entries of ops */
    size_t cap;        /* allocated entries of ops */
    size_t *size;      /* size[id]: live request size (0: not live) */
    size_t size_cap;   /* allocated entries of size */
    uint32_t nids;     /* ids handed out: [0, nids) */
    size_t live;       /* sum of live request sizes */
    size_t peak;       /* its maximum so far */
    int err;           /* first -errno, 0 if none */
    size_t pick[8];    /* churn's dist 4: the sizes it picks from ... */
    unsigned npick;    /* ... and how many (1-8) */
} mg_t;

static int push(mg_t *g, char type, uint32_t id, size_t size)
{
    if (g->err)
        return g->err;
    if ((g->err = vl_grow((void **)&g->ops, &g->cap, g->nops + 1, sizeof *g->ops)) != 0)
        return g->err;
    g->ops[g->nops++] = (mr_op_t){type, id, size};
    g->live = g->live - g->size[id] + size;
    g->size[id] = size;
    if (g->live > g->peak)
        g->peak = g->live;
    return 0;
}

/* malloc(size) under a new id; the id (UINT32_MAX after an error). */
static uint32_t g_alloc(mg_t *g, size_t size)
{
    uint32_t id = g->nids;
    if (size == 0)
        size = 1; /* malloc-lab traces never ask for 0 bytes */
    if (g->err || (g->err = vl_grow((void **)&g->size, &g->size_cap, (size_t)id + 1,
                                    sizeof *g->size)) != 0)
        return UINT32_MAX;
    g->size[id] = 0;
    g->nids++;
    push(g, 'a', id, size);
    return g->err ? UINT32_MAX : id;
}

static void g_free(mg_t *g, uint32_t id)
{
    if (id != UINT32_MAX)
        push(g, 'f', id, 0);
}

static void g_realloc(mg_t *g, uint32_t id, size_t size)
{
    if (id != UINT32_MAX)
        push(g, 'r', id, size ? size : 1);
}

static size_t rnd(mg_t *g, size_t lo, size_t hi) { return (size_t)vl_rng_range(&g->rng, (int64_t)lo, (int64_t)hi); }

/* A log-uniform size in [lo, hi]. */
static size_t rnd_log(mg_t *g, size_t lo, size_t hi)
{
    double x = (double)lo * pow((double)hi / (double)lo, vl_rng_double(&g->rng));
    size_t s = (size_t)x;
    return s < lo ? lo : s > hi ? hi : s;
}

/* Free every live id in [from, to) (in order). */
static void free_range(mg_t *g, uint32_t from, uint32_t to)
{
    for (uint32_t id = from; id < to && !g->err; id++)
        if (g->size[id])
            g_free(g, id);
}


/* n pairs of a small and a large block, side by side; big[i] the large. */
static void fill_pairs(mg_t *g, uint32_t *big, size_t n, size_t small, size_t large)
{
    for (size_t i = 0; i < n; i++) {
        g_alloc(g, small);
        big[i] = g_alloc(g, large);
    }
}

/* Every large block freed and asked again at `large` bytes: one by one
 * (interleaved) or all freed first. */
static void regrow_round(mg_t *g, uint32_t *big, size_t n, size_t large, int interleaved)
{
    if (interleaved) {
        for (size_t i = 0; i < n; i++) {
            g_free(g, big[i]);
            big[i] = g_alloc(g, large);
        }
    } else {
        for (size_t i = 0; i < n; i++)
            g_free(g, big[i]);
        for (size_t i = 0; i < n; i++)
            big[i] = g_alloc(g, large);
    }
}

/* Random lifetimes: nalloc allocations, each step an allocation with
 * probability p_alloc (while any are left) or the free of a random live
 * block, until all are freed.  Sizes by dist: 0 uniform in [1, maxs],
 * 1 log-uniform in [1, maxs], 2 mostly 1-64 with a tenth in [maxs/8, maxs],
 * 3 log-uniform in [16, maxs], 4 one of g->pick[0, npick), each as likely. */
static void churn(mg_t *g, size_t nalloc, double p_alloc, unsigned dist, size_t maxs)
{
    size_t left = nalloc, nlive = 0;
    uint32_t *live = calloc(nalloc, sizeof *live);
    if (!live) {
        g->err = -ENOMEM;
        return;
    }
    while ((left || nlive) && !g->err) {
        if (left && (!nlive || vl_rng_double(&g->rng) < p_alloc)) {
            size_t s;
            switch (dist) {
            case 0: s = rnd(g, 1, maxs); break;
            case 1: s = rnd_log(g, 1, maxs); break;
            case 2: s = vl_rng_below(&g->rng, 10) ? rnd(g, 1, 64) : rnd(g, maxs / 8, maxs); break;
            case 4: s = g->pick[vl_rng_below(&g->rng, g->npick)]; break;
            default: s = rnd_log(g, 16, maxs); break;
            }
            live[nlive++] = g_alloc(g, s);
            left--;
        } else {
            size_t k = (size_t)vl_rng_below(&g->rng, nlive);
            g_free(g, live[k]);
            live[k] = live[--nlive];
        }
    }
    free(live);
}

/* Buffers buf[0, nbuf) grown by realloc in turn, iters steps, each by
 * step/2-step bytes, with 0-2 blocks of small_min-small_max bytes
 * allocated per step: pin in 100 live to the end, the rest die within a
 * few steps (at most hold pending, each step half a chance to free one
 * more); then everything is freed. */
static void grow_steps(mg_t *g, size_t nbuf, const uint32_t *buf, size_t *bsize, const size_t *step,
                       size_t iters, size_t hold, size_t small_min, size_t small_max, unsigned pin)
{
    size_t npend = 0;
    uint32_t *pend = calloc(iters * 2 + 1, sizeof *pend);
    if (!pend) {
        g->err = -ENOMEM;
        return;
    }
    for (size_t i = 0; i < iters && !g->err; i++) {
        size_t b = i % nbuf, m = rnd(g, 0, 2);
        bsize[b] += rnd(g, step[b] / 2, step[b]);
        g_realloc(g, buf[b], bsize[b]);
        for (size_t k = 0; k < m; k++) {
            uint32_t id = g_alloc(g, rnd(g, small_min, small_max));
            if (vl_rng_below(&g->rng, 100) >= pin)
                pend[npend++] = id; /* dies within a few steps */
        }
        while (npend > hold || (npend && vl_rng_below(&g->rng, 2))) {
            size_t k = (size_t)vl_rng_below(&g->rng, npend);
            g_free(g, pend[k]);
            pend[k] = pend[--npend];
        }
    }
    free(pend);
    free_range(g, 0, g->nids);
}


/* ---- the kinds ---- */

static void gen_regrow(mg_t *g, unsigned scale)
{
    size_t small = rnd(g, 8, 96), large = small * rnd(g, 3, 10) + rnd(g, 0, small);
    size_t n = rnd(g, 800, 3000) * scale, rounds = rnd(g, 1, 3);
    int interleaved = (int)rnd(g, 0, 1); /* free one, ask its successor at once */
    uint32_t *big = calloc(n, sizeof *big);
    if (!big) {
        g->err = -ENOMEM;
        return;
    }
    fill_pairs(g, big, n, small, large);
    for (size_t r = 0; r < rounds; r++) {
        large += rnd(g, large / 32 + 1, large / 4 + 8);
        regrow_round(g, big, n, large, interleaved);
    }
    free(big);
    free_range(g, 0, g->nids);
}

static void gen_random(mg_t *g, unsigned scale)
{
    size_t nalloc = rnd(g, 1500, 5000) * scale;
    unsigned dist = (unsigned)rnd(g, 0, 2);
    size_t maxs = rnd_log(g, 256, 32768);
    double p_alloc = 0.55 + 0.05 * (double)rnd(g, 0, 3); /* how fast the live set grows */
    churn(g, nalloc, p_alloc, dist, maxs);
}

static void gen_realloc(mg_t *g, unsigned scale)
{
    size_t nbuf = rnd(g, 1, 2), iters = rnd(g, 500, 2500) * scale;
    size_t bsize[2], step[2], hold = rnd(g, 1, 32);
    uint32_t buf[2];
    size_t small_max = rnd(g, 16, 128);
    unsigned pin = (unsigned)rnd(g, 0, 8); /* in 100: smalls that live to the end */
    for (size_t b = 0; b < nbuf; b++) {
        bsize[b] = rnd(g, 16, 4096);
        step[b] = rnd(g, 4, 512);
        buf[b] = g_alloc(g, bsize[b]);
    }
    grow_steps(g, nbuf, buf, bsize, step, iters, hold, 1, small_max, pin);
}

/* realloc growth among many small blocks that pile up: a buffer (two in
 * a quarter of the seeds) grows step by step while each step allocates
 * several small blocks, a seed-chosen share of which live to the end; the
 * rest die within a few steps.  Unlike `realloc`, the heap fills with
 * small survivors around the buffer, so every move of it leaves a hole
 * among them. */
static void gen_bufsmall(mg_t *g, unsigned scale)
{
    size_t nbuf = rnd(g, 0, 3) == 0 ? 2 : 1, iters = rnd(g, 400, 2000) * scale, npend = 0;
    size_t bsize[2], step[2], per = rnd(g, 2, 8), small_max = rnd(g, 16, 256);
    unsigned keep = (unsigned)rnd(g, 20, 70); /* in 100: smalls that live to the end */
    uint32_t buf[2], *pend = calloc(iters * per + 1, sizeof *pend);
    if (!pend) {
        g->err = -ENOMEM;
        return;
    }
    for (size_t b = 0; b < nbuf; b++) {
        bsize[b] = rnd(g, 8, 1024);
        step[b] = rnd(g, 8, 512);
        buf[b] = g_alloc(g, bsize[b]);
    }
    for (size_t i = 0; i < iters && !g->err; i++) {
        size_t b = i % nbuf, m = rnd(g, 1, per);
        bsize[b] += rnd(g, step[b] / 2, step[b]);
        g_realloc(g, buf[b], bsize[b]);
        for (size_t k = 0; k < m; k++) {
            uint32_t id = g_alloc(g, rnd(g, 1, small_max));
            if (vl_rng_below(&g->rng, 100) >= keep)
                pend[npend++] = id;
        }
        while (npend > 16 || (npend && vl_rng_below(&g->rng, 2))) {
            size_t k = (size_t)vl_rng_below(&g->rng, npend);
            g_free(g, pend[k]);
            pend[k] = pend[--npend];
        }
    }
    free(pend);
    free_range(g, 0, g->nids);
}

static void gen_shift(mg_t *g, unsigned scale)
{
    size_t phases = rnd(g, 4, 10), n = rnd(g, 300, 1500) * scale;
    size_t s = rnd(g, 8, 256), survive = rnd(g, 0, 10); /* in 100, per phase */
    int down = (int)rnd(g, 0, 3) == 0; /* mostly up, sometimes down */
    uint32_t *ids = calloc(n, sizeof *ids);
    if (!ids) {
        g->err = -ENOMEM;
        return;
    }
    if (down)
        s *= 8;
    for (size_t p = 0; p < phases && !g->err; p++) {
        size_t f = rnd(g, 105, 140);
        for (size_t i = 0; i < n; i++)
            ids[i] = g_alloc(g, s + rnd(g, 0, s / 16));
        /* the phase dies but for a few survivors scattered through it */
        for (size_t i = 0; i < n; i++)
            if (vl_rng_below(&g->rng, 100) >= survive)
                g_free(g, ids[i]);
        s = down ? s * 100 / f : s * f / 100;
        if (s < 8)
            s = 8;
    }
    free(ids);
    free_range(g, 0, g->nids);
}

static void gen_ladder(mg_t *g, unsigned scale)
{
    size_t rungs = rnd(g, 6, 12), lo = rnd(g, 16, 64), iters = rnd(g, 3000, 12000) * scale;
    size_t ratio = rnd(g, 12, 20), npend = 0; /* ratio in tenths */
    unsigned pin = (unsigned)rnd(g, 2, 8);   /* in 100: blocks that live to the end */
    size_t sz[12];
    uint32_t *pend = calloc(iters + 1, sizeof *pend);
    if (!pend) {
        g->err = -ENOMEM;
        return;
    }
    sz[0] = lo;
    for (size_t r = 1; r < rungs; r++)
        sz[r] = sz[r - 1] * ratio / 10 + 1;
    for (size_t i = 0; i < iters && !g->err; i++) {
        /* climb the ladder over time: rung near i / iters * rungs */
        size_t base = i * rungs / iters, r = base + rnd(g, 0, 2);
        uint32_t id = g_alloc(g, sz[r < rungs ? r : rungs - 1] + rnd(g, 0, 7));
        if (vl_rng_below(&g->rng, 100) >= pin)
            pend[npend++] = id;
        while (npend > 64 || (npend && vl_rng_below(&g->rng, 3) == 0)) {
            size_t k = (size_t)vl_rng_below(&g->rng, npend);
            g_free(g, pend[k]);
            pend[k] = pend[--npend];
        }
    }
    free(pend);
    free_range(g, 0, g->nids);
}

/* ---- milder kinds, in malloc-lab's proportions ----
 *
 * The six kinds above draw many blocks of 1-30 bytes, which no allocator
 * with 8-byte headers stores at 88% (replay -p bound); malloc-lab's own
 * traces draw at most 5% of their requests at 16 bytes or less.  These
 * three keep the same three shapes the issue describes for the unseen
 * traces with requests of 16 bytes or more and malloc-lab's counts. */

/* small and large interleaved, the large freed and asked again 5-25%
 * larger, once (all freed first, or one by one) */
static void gen_pairs(mg_t *g, unsigned scale)
{
    size_t small = rnd(g, 16, 64), large = small * rnd(g, 4, 8) + rnd(g, 0, small);
    size_t n = rnd(g, 1000, 3000) * scale;
    int interleaved = (int)rnd(g, 0, 1);
    uint32_t *big = calloc(n, sizeof *big);
    if (!big) {
        g->err = -ENOMEM;
        return;
    }
    fill_pairs(g, big, n, small, large);
    large += large * rnd(g, 5, 25) / 100;
    regrow_round(g, big, n, large, interleaved);
    free(big);
    free_range(g, 0, g->nids);
}

/* random sizes, log-uniform in [16, 1-16 KiB], with random lifetimes */
static void gen_randmix(mg_t *g, unsigned scale)
{
    size_t nalloc = rnd(g, 1500, 5000) * scale;
    size_t maxs = rnd_log(g, 1024, 16384);
    double p_alloc = 0.55 + 0.05 * (double)rnd(g, 0, 3);
    churn(g, nalloc, p_alloc, 3, maxs);
}

/* small blocks only, as a program's records and list nodes: half the
 * seeds 2-6 sizes of 8-96 bytes, the others any size from 1 to 16-96
 * bytes; random lifetimes.  Every request is one a slab design serves
 * (hybrid's classes end at 48 bytes), so slab frames, not holes between
 * blocks, make the heap. */
static void gen_structs(mg_t *g, unsigned scale)
{
    size_t nalloc = rnd(g, 3000, 12000) * scale, maxs = rnd(g, 16, 96);
    double p_alloc = 0.55 + 0.05 * (double)rnd(g, 0, 3);
    if (vl_rng_below(&g->rng, 2)) {
        g->npick = (unsigned)rnd(g, 2, 6);
        for (unsigned i = 0; i < g->npick; i++)
            g->pick[i] = rnd(g, 8, 96);
        churn(g, nalloc, p_alloc, 4, 0);
    } else {
        churn(g, nalloc, p_alloc, 0, maxs);
    }
}

/* one buffer grown by realloc, 16-128-byte blocks allocated in between
 * (most die within a few steps, up to 8% live to the end) */
static void gen_grow(mg_t *g, unsigned scale)
{
    size_t iters = rnd(g, 500, 2500) * scale, hold = rnd(g, 1, 32);
    size_t bsize = rnd(g, 16, 4096), step = rnd(g, 16, 512), small_max = rnd(g, 16, 128);
    unsigned pin = (unsigned)rnd(g, 0, 8);
    uint32_t buf = g_alloc(g, bsize);
    grow_steps(g, 1, &buf, &bsize, &step, iters, hold, 16, small_max, pin);
}

static const struct {
    const char *name, *summary;
    void (*gen)(mg_t *g, unsigned scale);
} kinds[] = {
    {"regrow", "small and large interleaved; large freed, asked again slightly larger", gen_regrow},
    {"random", "random sizes with random lifetimes", gen_random},
    {"realloc", "buffers grown by realloc mixed with small allocations", gen_realloc},
    {"shift", "phases of one size dying but for a few survivors; the size drifts", gen_shift},
    {"ladder", "sizes climbing a ladder while a few blocks of each rung stay live", gen_ladder},
    {"bufsmall", "a buffer grown by realloc among many small blocks that pile up", gen_bufsmall},
    {"pairs", "regrow in malloc-lab's sizes: 16-64 and 4-8x larger, asked again 5-25% larger once",
     gen_pairs},
    {"randmix", "random sizes of 16 bytes to 1-16 KiB (log-uniform), random lifetimes", gen_randmix},
    {"grow", "one buffer grown by realloc among 16-128-byte blocks", gen_grow},
    {"structs", "small blocks only: 2-6 sizes of 8-96 bytes or any of 1-96, random lifetimes",
     gen_structs},
};

unsigned mg_nkinds(void) { return sizeof kinds / sizeof kinds[0]; }
const char *mg_kind_name(unsigned i) { return i < mg_nkinds() ? kinds[i].name : NULL; }
const char *mg_kind_summary(unsigned i) { return i < mg_nkinds() ? kinds[i].summary : NULL; }

int mg_generate(const char *kind, uint64_t seed, unsigned scale, mr_trace_t *t)
{
    mg_t g;
    unsigned k;
    memset(t, 0, sizeof *t);
    for (k = 0; k < mg_nkinds() && strcmp(kind, kinds[k].name) != 0; k++)
        ;
    if (k == mg_nkinds())
        return -ENOENT;
    if (scale < 1 || scale > 100)
        return -EINVAL;
    memset(&g, 0, sizeof g);
    /* the kind's index joins the seed: seed 1 of two kinds are unrelated */
    vl_rng_seed(&g.rng, seed * 0x9e3779b97f4a7c15ull + k);
    kinds[k].gen(&g, scale);
    free(g.size);
    if (g.err) {
        free(g.ops);
        return g.err == -EOVERFLOW ? -ENOMEM : g.err;
    }
    t->ops = g.ops;
    t->nops = g.nops;
    t->nids = g.nids;
    t->peak_payload = g.peak;
    return 0;
}

int mg_write(FILE *f, const mr_trace_t *t)
{
    /* malloc-lab's header: suggested heap size (unused), ids, ops, weight */
    if (fprintf(f, "20000\n%zu\n%zu\n1\n", t->nids, t->nops) < 0)
        return -EIO;
    for (size_t i = 0; i < t->nops; i++) {
        const mr_op_t *o = &t->ops[i];
        int n = o->type == 'f' ? fprintf(f, "f %" PRIu32 "\n", o->id)
                               : fprintf(f, "%c %" PRIu32 " %zu\n", o->type, o->id, o->size);
        if (n < 0)
            return -EIO;
    }
    return 0;
}
