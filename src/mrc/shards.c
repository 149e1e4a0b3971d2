/* SPDX-License-Identifier: MIT */
/*
 * shards.c - approximate LRU fault curves by spatial sampling: SHARDS
 * (Waldspurger, Park, Garthwaite, Ahmad, "Efficient MRC construction with
 * SHARDS", FAST 2015).
 *
 * A page is in the sample iff hash(page) < T, a fixed fraction R = T / 2^64
 * of all pages; every reference to a sampled page goes through an exact LRU
 * stack of sampled pages only (lru_stack.c), and its distance d stands for
 * d / R in the full trace.
 *   - Fixed rate: R stays put; at the end the first bucket absorbs the
 *     difference between the expected sampled references n R and the actual
 *     count (the paper's SHARDS_adj, which removes most of the bias; we
 *     apply the same correction in fixed-size mode, with the expected count
 *     summed over the rates in force).
 *   - Fixed size (max_keys): at most S pages are tracked; when one more is
 *     sampled, the page with the largest hash leaves the stack and T drops to
 *     that hash, so R = T / 2^64 shrinks; the histogram gathered so far is
 *     rescaled by R_new / R_old (kept as one running factor g, so a rescale
 *     is O(1): stored weights are actual weights / g).
 * The sampling hash is independent of the table hash (hash.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "vmlab/hash.h"
#include "mrc/lru_stack.h"
#include "vmlab/mrc.h"

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

/* Stored weights indexed by scaled distance, grown on demand. */
typedef struct whist {
    double *w;   /* w[d]: stored weight of references at scaled distance d */
    size_t size; /* entries */
} whist_t;

static int whist_add(whist_t *wh, size_t d, double v)
{
    if (d >= wh->size) {
        size_t ns = wh->size;
        if (vl_grow((void **)&wh->w, &ns, d + 1, sizeof *wh->w))
            return -ENOMEM;
        memset(wh->w + wh->size, 0, (ns - wh->size) * sizeof *wh->w);
        wh->size = ns;
    }
    wh->w[d] += v;
    return 0;
}

int mrc_shards(const uint64_t *page, size_t n, const mrc_shards_opts_t *o, mrc_approx_t *out,
               diag_t *d)
{
    double rate = o->rate > 0 ? o->rate : 1.0, g = 1.0, total = 0, cold = 0, expect = 0;
    size_t epoch = 0; /* first reference under the current rate */
    uint64_t T = rate >= 1.0 ? UINT64_MAX : (uint64_t)ldexp(rate, 64), sampled = 0;
    size_t maxd = 0;
    int all = rate >= 1.0;
    lru_stack_t *s = lru_stack_new(o->max_keys ? o->max_keys : 1024);
    heap_t hp = {0};
    whist_t wh = {0};
    memset(out, 0, sizeof *out);
    if (!s)
        goto nomem;
    for (size_t t = 0; t < n; t++) {
        uint64_t h = sample_hash(page[t], o->seed), dist;
        if (!all && h >= T)
            continue;
        sampled++;
        if (lru_stack_access(s, page[t], &dist))
            goto nomem;
        total += 1.0 / g;
        if (dist == 0) {
            cold += 1.0 / g;
            if (o->max_keys) {
                if (heap_push(&hp, h, page[t]))
                    goto nomem;
                while (hp.n > o->max_keys) {
                    heap_item_t top = heap_pop(&hp);
                    double nrate;
                    lru_stack_remove(s, top.key);
                    /* References so far were sampled at `rate`. */
                    expect += (double)(t + 1 - epoch) * rate / g;
                    epoch = t + 1;
                    T = top.h, all = 0;
                    nrate = ldexp((double)T, -64);
                    g *= nrate / rate;
                    rate = nrate;
                }
            }
            continue;
        }
        {
            double scaled = (double)dist / rate;
            /* No distance exceeds the references seen: a tiny rate cannot
             * ask for a histogram larger than the trace. */
            size_t sd = scaled >= (double)n ? n : (size_t)llround(scaled);
            if (sd > maxd)
                maxd = sd;
            if (whist_add(&wh, sd, 1.0 / g))
                goto nomem;
        }
    }
    if (n) {
        /* SHARDS_adj: the expected sampled references are sum over
         * references of the rate then (n R at a fixed rate), in stored units;
         * the first bucket takes the difference. */
        double diff;
        expect += (double)(n - epoch) * rate / g;
        diff = expect - total;
        if (whist_add(&wh, 1, diff))
            goto nomem;
        total = expect;
        if (maxd < 1)
            maxd = 1;
    }
    out->size = maxd + 1;
    out->hit_le = malloc(out->size * sizeof *out->hit_le);
    if (!out->hit_le)
        goto nomem;
    {
        double acc = 0;
        out->hit_le[0] = 0;
        for (size_t f = 1; f < out->size; f++) {
            double v;
            acc += f < wh.size ? wh.w[f] : 0;
            v = total > 0 ? acc / total : 0;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            out->hit_le[f] = v > out->hit_le[f - 1] ? v : out->hit_le[f - 1];
        }
    }
    (void)cold;
    out->refs = n;
    out->sampled = sampled;
    out->rate = rate;
    lru_stack_free(s);
    free(hp.a);
    free(wh.w);
    return 0;
nomem:
    lru_stack_free(s);
    free(hp.a);
    free(wh.w);
    mrc_approx_free(out);
    return diag_set(d, NULL, 0, ENOMEM, "out of memory for the SHARDS sample");
}

double mrc_approx_miss_ratio(const mrc_approx_t *a, uint64_t frames)
{
    if (a->size == 0)
        return 0;
    if (frames >= a->size)
        frames = a->size - 1;
    return 1.0 - a->hit_le[frames];
}

void mrc_approx_free(mrc_approx_t *a)
{
    if (!a)
        return;
    free(a->hit_le);
    memset(a, 0, sizeof *a);
}
