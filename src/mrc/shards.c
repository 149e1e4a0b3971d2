/* SPDX-License-Identifier: MIT */
/*
 * shards.c - approximate LRU fault curves by spatial sampling: SHARDS
 * (Waldspurger, Park, Garthwaite, Ahmad, "Efficient MRC construction with
 * SHARDS", FAST 2015), streamed (shards.h).
 *
 * A page is in the sample iff hash(page) < T, a fixed fraction R = T / 2^64
 * of all pages; every reference to a sampled page goes through an exact LRU
 * stack of sampled pages only (lru_stack.c), and its distance d stands for
 * d / R in the full trace.
 *   - Fixed rate: R stays put, so the histogram is kept by sampled distance
 *     d (O(sampled pages)) and scaled at the end; the first bucket absorbs
 *     the difference between the expected sampled references n R and the
 *     actual count (the paper's SHARDS_adj, which removes most of the bias;
 *     we apply the same correction in fixed-size mode, with the expected
 *     count summed over the rates in force).
 *   - Fixed size (max_keys): at most S pages are tracked; when one more is
 *     sampled, the page with the largest hash leaves the stack and T drops to
 *     that hash, so R = T / 2^64 shrinks; the histogram gathered so far is
 *     rescaled by R_new / R_old (kept as one running factor g, so a rescale
 *     is O(1): stored weights are actual weights / g).  Scaled distances go
 *     to SHARDS_BINS bins 2^wshift frames wide (shards.h), so memory is
 *     O(S) however long the trace.
 * The sampling hash is independent of the table hash (hash.h).
 *
 * Invariants: fixed size, stack pages == heap items <= max_keys, every
 * heap hash < T; fixed rate, the histogram has at least the stack's pages
 * + 1 entries.
 */
#include "mrc/shards.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "mrc/lru_stack.h"
#include "vmlab/check.h"
#include "vmlab/hash.h"

/* Which pages SHARDS samples: SplitMix64's finaliser over the page and the
 * seed, independent of vl_hash64 that places pages in mrc's tables, so sampled
 * pages do not cluster there.  (Formerly mrc/hash.h's mrc_sample_hash; the
 * constants are the same, so a seed samples the same pages.) */
static inline uint64_t sample_hash(uint64_t x, uint64_t seed)
{
    return vl_mix64(x + seed * VL_GOLDEN64 + 0x632be59bd9b4e019ull);
}

typedef struct heap_item {
    uint64_t h;   /* sampling hash */
    uint64_t key; /* page */
} heap_item_t;

typedef struct heap {
    heap_item_t *a; /* max-heap on h */
    size_t n, cap;  /* items, room */
} heap_t;

static int heap_push(heap_t *hp, uint64_t h, uint64_t key)
{
    size_t i;
    if (hp->n == hp->cap && vl_grow((void **)&hp->a, &hp->cap, hp->n + 1, sizeof *hp->a))
        return -ENOMEM;
    for (i = hp->n++; i > 0 && hp->a[(i - 1) / 2].h < h; i = (i - 1) / 2)
        hp->a[i] = hp->a[(i - 1) / 2];
    hp->a[i].h = h, hp->a[i].key = key;
    return 0;
}

static heap_item_t heap_pop(heap_t *hp)
{
    heap_item_t top = hp->a[0], last = hp->a[--hp->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= hp->n)
            break;
        if (c + 1 < hp->n && hp->a[c + 1].h > hp->a[c].h)
            c++;
        if (hp->a[c].h <= last.h)
            break;
        hp->a[i] = hp->a[c];
        i = c;
    }
    if (hp->n)
        hp->a[i] = last;
    return top;
}

struct shards {
    mrc_shards_opts_t o; /* as given */
    lru_stack_t *st;     /* exact LRU stack of the sampled pages */
    heap_t hp;           /* fixed size: the sampled pages by hash */
    uint64_t T;          /* threshold: sampled iff hash < T (all: every page) */
    int all;             /* 1: rate 1, every page sampled */
    double rate;         /* R = T / 2^64 */
    double g;            /* stored weight = actual weight / g */
    double total;        /* stored weight of sampled references */
    double expect;       /* stored expected sampled references up to epoch */
    uint64_t epoch;      /* first reference under the current rate */
    uint64_t sampled;    /* sampled references */
    uint64_t *cnt;       /* fixed rate: cnt[d], references at sampled distance d */
    size_t ncnt;         /* entries of cnt[] */
    double *bin;         /* fixed size: SHARDS_BINS stored weights by scaled
                            distance >> wshift */
    unsigned wshift;     /* fixed size: bins are 2^wshift frames wide */
};

shards_t *shards_new(const mrc_shards_opts_t *o)
{
    shards_t *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->o = *o;
    s->rate = o->rate > 0 ? o->rate : 1.0;
    s->T = s->rate >= 1.0 ? UINT64_MAX : (uint64_t)ldexp(s->rate, 64);
    s->all = s->rate >= 1.0;
    s->g = 1.0;
    if (!(s->st = lru_stack_new(o->max_keys ? o->max_keys : 1024)))
        goto nomem;
    if (o->max_keys && !(s->bin = calloc(SHARDS_BINS, sizeof *s->bin)))
        goto nomem;
    return s;
nomem:
    shards_free(s);
    errno = ENOMEM;
    return NULL;
}

void shards_free(shards_t *s)
{
    if (!s)
        return;
    lru_stack_free(s->st);
    free(s->hp.a), free(s->cnt), free(s->bin);
    free(s);
}

uint64_t shards_hash(const shards_t *s, uint64_t key) { return sample_hash(key, s->o.seed); }
uint64_t shards_threshold(const shards_t *s) { return s->T; }
int shards_all(const shards_t *s) { return s->all; }
size_t shards_pages(const shards_t *s) { return lru_stack_size(s->st); }

size_t shards_bytes(const shards_t *s)
{
    return sizeof *s + lru_stack_bytes(s->st) + s->hp.cap * sizeof *s->hp.a +
           s->ncnt * sizeof *s->cnt + (s->bin ? SHARDS_BINS * sizeof *s->bin : 0);
}

/* Fixed size: one more sampled page, maybe one out and a lower rate. */
static int shrink(shards_t *s, uint64_t key, uint64_t h, uint64_t t)
{
    if (heap_push(&s->hp, h, key))
        return -ENOMEM;
    while (s->hp.n > s->o.max_keys) {
        heap_item_t top = heap_pop(&s->hp);
        double nrate;
        lru_stack_remove(s->st, top.key);
        /* References so far were sampled at `rate`. */
        s->expect += (double)(t + 1 - s->epoch) * s->rate / s->g;
        s->epoch = t + 1;
        s->T = top.h, s->all = 0;
        nrate = ldexp((double)s->T, -64);
        s->g *= nrate / s->rate;
        s->rate = nrate;
    }
    return 0;
}

static void bin_add(shards_t *s, uint64_t sd, double w)
{
    while ((sd >> s->wshift) >= SHARDS_BINS) {
        /* twice as wide: neighbours merge */
        for (size_t i = 0; i < SHARDS_BINS / 2; i++)
            s->bin[i] = s->bin[2 * i] + s->bin[2 * i + 1];
        memset(s->bin + SHARDS_BINS / 2, 0, SHARDS_BINS / 2 * sizeof *s->bin);
        s->wshift++;
    }
    s->bin[sd >> s->wshift] += w;
}

int shards_ref(shards_t *s, uint64_t key, uint64_t h, uint64_t t)
{
    uint64_t dist;
    s->sampled++;
    if (lru_stack_access(s->st, key, &dist))
        return -ENOMEM;
    s->total += 1.0 / s->g;
    if (dist == 0)
        return s->o.max_keys ? shrink(s, key, h, t) : 0;
    if (s->o.max_keys) {
        double scaled = (double)dist / s->rate;
        /* No distance is past 2^62: the bins cannot overflow a shift. */
        bin_add(s, scaled >= 0x1p62 ? (uint64_t)1 << 62 : (uint64_t)llround(scaled), 1.0 / s->g);
        return 0;
    }
    if (dist >= s->ncnt) {
        size_t nc = s->ncnt;
        if (vl_grow((void **)&s->cnt, &nc, dist + 1, sizeof *s->cnt))
            return -ENOMEM;
        memset(s->cnt + s->ncnt, 0, (nc - s->ncnt) * sizeof *s->cnt);
        s->ncnt = nc;
    }
    s->cnt[dist]++;
    return 0;
}

int shards_feed(shards_t *s, const uint64_t *key, size_t n, uint64_t t0)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t h = sample_hash(key[i], s->o.seed);
        int rc;
        if (!s->all && h >= s->T)
            continue;
        if ((rc = shards_ref(s, key[i], h, t0 + i)))
            return rc;
    }
    return 0;
}

typedef struct point {
    uint64_t at; /* frames */
    double w;    /* stored weight hitting from `at` frames on */
} point_t;

int shards_finish(shards_t *s, uint64_t n, mrc_approx_t *out)
{
    size_t np = 0, room = (s->bin ? SHARDS_BINS : s->ncnt) + 1;
    point_t *pt = malloc(room * sizeof *pt);
    uint64_t maxd = 0;
    double total = s->total, adj = 0;
    memset(out, 0, sizeof *out);
    if (!pt)
        return -ENOMEM;
    if (n) {
        /* SHARDS_adj: the expected sampled references are the sum over
         * references of the rate then (n R at a fixed rate), in stored
         * units; the first bucket takes the difference. */
        double expect = s->expect + (double)(n - s->epoch) * s->rate / s->g;
        adj = expect - total;
        total = expect;
        maxd = 1;
    }
    /* Points in ascending frames; distances past the trace are clamped to
     * it (a tiny rate cannot ask for a curve longer than the trace). */
    pt[np++] = (point_t){1, adj};
    if (s->bin) {
        for (size_t b = 0; b < SHARDS_BINS; b++) {
            uint64_t at = s->wshift ? ((uint64_t)b << s->wshift) + ((uint64_t)1 << (s->wshift - 1))
                                    : (uint64_t)b;
            if (s->bin[b] == 0)
                continue;
            at = at > n ? n : at < 1 ? 1 : at;
            if (at == pt[np - 1].at)
                pt[np - 1].w += s->bin[b];
            else
                pt[np++] = (point_t){at, s->bin[b]};
        }
    } else {
        for (size_t dd = 1; dd < s->ncnt; dd++) {
            double scaled = (double)dd / s->rate;
            uint64_t at = scaled >= (double)n ? n : (uint64_t)llround(scaled);
            if (s->cnt[dd] == 0)
                continue;
            if (at == pt[np - 1].at)
                pt[np - 1].w += (double)s->cnt[dd];
            else
                pt[np++] = (point_t){at, (double)s->cnt[dd]};
        }
    }
    if (n && pt[np - 1].at > maxd)
        maxd = pt[np - 1].at;
    out->at = malloc(np * sizeof *out->at);
    out->hit = malloc(np * sizeof *out->hit);
    if (!out->at || !out->hit) {
        free(pt);
        mrc_approx_free(out);
        return -ENOMEM;
    }
    {
        double acc = 0, prev = 0;
        for (size_t i = 0; i < np; i++) {
            double v;
            acc += pt[i].w;
            v = total > 0 ? acc / total : 0;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            prev = v > prev ? v : prev;
            out->at[i] = pt[i].at;
            out->hit[i] = prev;
        }
    }
    free(pt);
    out->np = np;
    out->size = maxd + 1;
    out->refs = n;
    out->sampled = s->sampled;
    out->rate = s->rate;
    return 0;
}

int mrc_shards(const uint64_t *page, size_t n, const mrc_shards_opts_t *o, mrc_approx_t *out,
               diag_t *d)
{
    shards_t *s = shards_new(o);
    int rc = s ? shards_feed(s, page, n, 0) : -ENOMEM;
    memset(out, 0, sizeof *out);
    if (rc == 0)
        rc = shards_finish(s, n, out);
    shards_free(s);
    if (rc)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory for the SHARDS sample");
    return 0;
}

double mrc_approx_miss_ratio(const mrc_approx_t *a, uint64_t frames)
{
    size_t lo = 0, hi = a->np;
    if (a->size == 0)
        return 0;
    if (frames >= a->size)
        frames = a->size - 1;
    /* the last point at or below frames */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->at[mid] <= frames)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? 1.0 - a->hit[lo - 1] : 1.0;
}

void mrc_approx_free(mrc_approx_t *a)
{
    if (!a)
        return;
    free(a->at);
    free(a->hit);
    memset(a, 0, sizeof *a);
}
