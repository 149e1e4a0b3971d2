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
    uint64_t lo;         /* partitioned: sampled iff lo <= hash < T */
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
    if (o->parts > 1 && o->part < o->parts) {
        uint64_t w = shards_part_width(o);
        s->lo = w * o->part, s->T = s->lo + w, s->all = 0;
        s->rate = ldexp((double)w, -64);
    }
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
int shards_in(const shards_t *s, uint64_t h) { return s->all || (h >= s->lo && h < s->T); }

uint64_t shards_part_width(const mrc_shards_opts_t *o)
{
    uint64_t T = o->rate >= 1.0 ? UINT64_MAX : (uint64_t)ldexp(o->rate, 64);
    return T / (o->parts ? o->parts : 1);
}
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

void shards_check(const shards_t *s)
{
    if (s->o.max_keys) {
        VL_ASSERT(s->hp.n == lru_stack_size(s->st) && s->hp.n <= s->o.max_keys);
        for (size_t i = 0; i < s->hp.n; i++) {
            VL_ASSERT(s->all || s->hp.a[i].h < s->T);
            VL_ASSERT(i == 0 || s->hp.a[(i - 1) / 2].h >= s->hp.a[i].h);
        }
    }
    VL_ASSERT(s->rate > 0 && s->rate <= 1 && s->g > 0);
}

int shards_ref(shards_t *s, uint64_t key, uint64_t h, uint64_t t)
{
    uint64_t dist;
    s->sampled++;
    if (lru_stack_access(s->st, key, &dist))
        return -ENOMEM;
    s->total += 1.0 / s->g;
    if (dist == 0) {
        int rc = s->o.max_keys ? shrink(s, key, h, t) : 0;
        VL_DEBUG_CHECK(if (lru_stack_size(s->st) < 256) shards_check(s));
        return rc;
    }
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
        if (!shards_in(s, h))
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

int shards_finish(shards_t *s, uint64_t n, uint64_t distinct, mrc_approx_t *out)
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
        /* Fixed size, the distance scale: 1 / R stands for the pages a
         * sampled one represents, whose true value at the end is distinct
         * / S when the trace's distinct pages are known (S the pages the
         * final threshold samples, all still in the stack).  The scaled
         * distances are stretched by R distinct / S (1 when every page is
         * sampled): the ratio estimate with the known page count, which
         * removes the 1/sqrt(S) error of the rate itself (BENCHMARKS.md,
         * "## mrc at scale": 0.0062 -> 0.0040 mean absolute error on a
         * uniform trace, lower on every trace measured). */
        double stretch = 1.0;
        if (distinct && lru_stack_size(s->st))
            stretch = s->rate * (double)distinct / (double)lru_stack_size(s->st);
        for (size_t b = 0; b < SHARDS_BINS; b++) {
            uint64_t at = s->wshift ? ((uint64_t)b << s->wshift) + ((uint64_t)1 << (s->wshift - 1))
                                    : (uint64_t)b;
            if (s->bin[b] == 0)
                continue;
            if (stretch != 1.0) {
                double v = (double)at * stretch;
                at = v >= (double)n ? n : (uint64_t)llround(v);
            }
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
        rc = shards_finish(s, n, 0, out);
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

/* ---- partitioned SHARDS ------------------------------------------------ */

int shards_part(const shards_t *s, uint64_t n, mrc_shards_part_t *p)
{
    size_t k = 0;
    memset(p, 0, sizeof *p);
    VL_ASSERT(!s->o.max_keys && s->o.parts > 1 && s->o.part < s->o.parts);
    for (size_t dd = 1; dd < s->ncnt; dd++)
        k += s->cnt[dd] != 0;
    p->dist = malloc((k ? k : 1) * sizeof *p->dist);
    p->count = malloc((k ? k : 1) * sizeof *p->count);
    if (!p->dist || !p->count) {
        mrc_shards_part_free(p);
        return -ENOMEM;
    }
    for (size_t dd = 1; dd < s->ncnt; dd++)
        if (s->cnt[dd])
            p->dist[p->k] = dd, p->count[p->k++] = s->cnt[dd];
    p->seed = s->o.seed;
    p->rate = s->o.rate;
    p->part = s->o.part;
    p->parts = s->o.parts;
    p->refs = n;
    p->sampled = s->sampled;
    return 0;
}

void mrc_shards_part_free(mrc_shards_part_t *p)
{
    if (!p)
        return;
    free(p->trace), free(p->dist), free(p->count);
    memset(p, 0, sizeof *p);
}

/* One step of the merged histogram: from part `part`'s distance `dd`. */
typedef struct mpoint {
    uint64_t at;   /* frames */
    uint32_t part; /* whose */
    uint64_t dd;   /* sampled distance (0: the part's SHARDS_adj) */
    double w;      /* references it stands for in the whole trace */
} mpoint_t;

static int mpoint_cmp(const void *a, const void *b)
{
    const mpoint_t *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    return x->dd < y->dd ? -1 : x->dd > y->dd;
}

int mrc_shards_merge(const mrc_shards_part_t *p, size_t k, mrc_approx_t *out, diag_t *d)
{
    uint8_t *seen = NULL;
    mpoint_t *pt = NULL;
    size_t np = 0, room = 0;
    uint64_t n, maxat = 0;
    uint32_t N;
    memset(out, 0, sizeof *out);
    if (k == 0)
        return diag_set(d, NULL, 0, EINVAL, "no partial results to merge");
    N = p[0].parts, n = p[0].refs;
    if (k != N)
        return diag_set(d, NULL, 0, EINVAL,
                        "%zu partial results for a run split in %u parts (expected all %u)", k, N, N);
    if (!(seen = calloc(N, 1)))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) {
        const mrc_shards_part_t *q = &p[i];
        if (q->parts != N || q->seed != p[0].seed || q->rate != p[0].rate || q->refs != n ||
            q->distinct != p[0].distinct || q->page_size != p[0].page_size ||
            strcmp(q->trace ? q->trace : "", p[0].trace ? p[0].trace : "") != 0) {
            free(seen);
            return diag_set(d, NULL, 0, EINVAL,
                            "partial result %zu is of another run than the first (expected the "
                            "same trace, page size, rate, seed and parts)", i + 1);
        }
        if (q->part >= N || seen[q->part]++) {
            free(seen);
            return diag_set(d, NULL, 0, EINVAL, "partial result %zu: part %u given twice",
                            i + 1, q->part);
        }
        if (q->k + 1 > SIZE_MAX / sizeof *pt - room) {
            free(seen);
            return diag_set(d, NULL, 0, ENOMEM, "out of memory");
        }
        room += q->k + 1;
    }
    free(seen);
    if (!(pt = malloc(room * sizeof *pt)))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) {
        const mrc_shards_part_t *q = &p[i];
        mrc_shards_opts_t o = {q->rate, 0, q->seed, N, q->part};
        double r = ldexp((double)shards_part_width(&o), -64);
        /* SHARDS_adj of this part: n r expected sampled references, in
         * whole-trace references n; the first bucket takes the difference */
        pt[np++] = (mpoint_t){1, q->part, 0, (double)n - (double)q->sampled / r};
        for (size_t j = 0; j < q->k; j++) {
            double scaled = (double)q->dist[j] / r;
            uint64_t at = scaled >= (double)n ? n : (uint64_t)llround(scaled);
            pt[np++] = (mpoint_t){at < 1 ? 1 : at, q->part, q->dist[j], (double)q->count[j] / r};
        }
    }
    qsort(pt, np, sizeof *pt, mpoint_cmp);
    out->at = malloc(np * sizeof *out->at);
    out->hit = malloc(np * sizeof *out->hit);
    if (!out->at || !out->hit) {
        free(pt);
        mrc_approx_free(out);
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    }
    {
        double acc = 0, prev = 0, total = (double)n * N;
        size_t m = 0;
        for (size_t i = 0; i < np; i++) {
            double v;
            acc += pt[i].w;
            v = total > 0 ? acc / total : 0;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            prev = v > prev ? v : prev;
            if (m && out->at[m - 1] == pt[i].at)
                m--;
            out->at[m] = pt[i].at;
            out->hit[m++] = prev;
            maxat = pt[i].at > maxat ? pt[i].at : maxat;
        }
        out->np = m;
    }
    out->size = n ? maxat + 1 : 1;
    out->refs = n;
    for (size_t i = 0; i < k; i++)
        out->sampled += p[i].sampled;
    out->rate = p[0].rate;
    free(pt);
    return 0;
}

int mrc_shards_part_write(FILE *f, const mrc_shards_part_t *p)
{
    fprintf(f, "vmlab shards part 1\ntrace ");
    for (const char *c = p->trace ? p->trace : ""; *c; c++)
        fputc(*c == '\n' || *c == '\r' ? '?' : *c, f); /* one line */
    fprintf(f, "\nseed %ju\nrate %a\npart %u %u\nreferences %ju\ndistinct %ju\npage_size %ju\n"
               "sampled %ju\ndistances %zu\n",
            (uintmax_t)p->seed, p->rate, p->part, p->parts, (uintmax_t)p->refs,
            (uintmax_t)p->distinct, (uintmax_t)p->page_size, (uintmax_t)p->sampled, p->k);
    for (size_t i = 0; i < p->k; i++)
        fprintf(f, "%ju %ju\n", (uintmax_t)p->dist[i], (uintmax_t)p->count[i]);
    fprintf(f, "end\n");
    return ferror(f) ? -EIO : 0;
}

/* The parser: one line at a time, `*pos` moving past it. */
typedef struct pscan {
    const char *name; /* for messages */
    const char *s;    /* the text */
    size_t len, pos;  /* its length, the next line's start */
    size_t line;      /* number of the line last taken */
    char buf[96];     /* the line (truncated: only short lines are valid) */
    size_t blen;      /* its length, or SIZE_MAX if longer than buf */
} pscan_t;

static int next_line(pscan_t *ps)
{
    size_t e = ps->pos;
    if (ps->pos >= ps->len) {
        ps->line++; /* the missing line is blamed */
        return 0;
    }
    while (e < ps->len && ps->s[e] != '\n')
        e++;
    ps->line++;
    ps->blen = e - ps->pos < sizeof ps->buf ? e - ps->pos : SIZE_MAX;
    if (ps->blen != SIZE_MAX) {
        memcpy(ps->buf, ps->s + ps->pos, ps->blen);
        ps->buf[ps->blen] = '\0';
        if (memchr(ps->buf, '\0', ps->blen))
            ps->blen = SIZE_MAX;
    }
    ps->pos = e + 1;
    return 1;
}

static int bad(pscan_t *ps, diag_t *d, const char *what)
{
    return diag_set(d, ps->name, ps->line, EINVAL, "%s", what);
}

/* A decimal u64 at *p, then one space or the end: 0 or -1. */
static int u64_at(const char **p, uint64_t *v)
{
    const char *c = *p;
    uint64_t x = 0;
    if (*c < '0' || *c > '9' || (c[0] == '0' && c[1] >= '0' && c[1] <= '9'))
        return -1;
    for (; *c >= '0' && *c <= '9'; c++) {
        if (x > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*c - '0');
    }
    if (*c == ' ')
        c++;
    else if (*c)
        return -1;
    *p = c, *v = x;
    return 0;
}

/* "KEY N" with N a u64 in [lo, hi]. */
static int field(pscan_t *ps, diag_t *d, const char *key, uint64_t lo, uint64_t hi, uint64_t *v)
{
    size_t kl = strlen(key);
    const char *c;
    char msg[120];
    snprintf(msg, sizeof msg, "bad '%s' line (expected '%s N', N in %ju..%ju)", key, key,
             (uintmax_t)lo, (uintmax_t)hi);
    if (!next_line(ps) || ps->blen == SIZE_MAX || strncmp(ps->buf, key, kl) || ps->buf[kl] != ' ')
        return bad(ps, d, msg);
    c = ps->buf + kl + 1;
    if (u64_at(&c, v) || *c || c[-1] == ' ' || *v < lo || *v > hi)
        return bad(ps, d, msg);
    return 0;
}

int mrc_shards_part_parse(const char *name, const char *text, size_t len, mrc_shards_part_t *out,
                          diag_t *d)
{
    pscan_t ps = {.name = name, .s = text, .len = len};
    uint64_t k, part, parts, sum = 0;
    int rc = -EINVAL;
    const char *c;
    char *end;
    memset(out, 0, sizeof *out);
    if (!next_line(&ps) || ps.blen == SIZE_MAX || strcmp(ps.buf, "vmlab shards part 1") != 0)
        return bad(&ps, d, "not a partial SHARDS result (expected 'vmlab shards part 1')");
    /* trace NAME: any length, the rest of the line */
    {
        size_t e = ps.pos;
        while (e < len && text[e] != '\n')
            e++;
        ps.line++;
        if (e - ps.pos < 6 || strncmp(text + ps.pos, "trace ", 6) != 0 ||
            memchr(text + ps.pos, '\0', e - ps.pos))
            return bad(&ps, d, "bad 'trace' line (expected 'trace NAME')");
        if (!(out->trace = strndup(text + ps.pos + 6, e - ps.pos - 6)))
            return diag_set(d, name, ps.line, ENOMEM, "out of memory");
        ps.pos = e + 1;
    }
    if ((rc = field(&ps, d, "seed", 0, UINT64_MAX, &out->seed)))
        goto fail;
    if (!next_line(&ps) || ps.blen == SIZE_MAX || strncmp(ps.buf, "rate ", 5) ||
        (out->rate = strtod(ps.buf + 5, &end), end == ps.buf + 5 || *end) ||
        !(out->rate > 0 && out->rate <= 1)) {
        rc = bad(&ps, d, "bad 'rate' line (expected 'rate R', R in (0, 1])");
        goto fail;
    }
    if (!next_line(&ps) || ps.blen == SIZE_MAX || strncmp(ps.buf, "part ", 5) ||
        (c = ps.buf + 5, u64_at(&c, &part)) || u64_at(&c, &parts) || *c || c[-1] == ' ' ||
        parts < 2 || parts > MRC_SHARDS_MAX_PARTS || part >= parts) {
        rc = bad(&ps, d, "bad 'part' line (expected 'part I N', 0 <= I < N, 2 <= N <= 4096)");
        goto fail;
    }
    out->part = (uint32_t)part, out->parts = (uint32_t)parts;
    if ((rc = field(&ps, d, "references", 0, UINT64_MAX, &out->refs)) ||
        (rc = field(&ps, d, "distinct", 0, out->refs, &out->distinct)) ||
        (rc = field(&ps, d, "page_size", 1, (uint64_t)1 << 30, &out->page_size)))
        goto fail;
    if (out->page_size & (out->page_size - 1)) {
        rc = bad(&ps, d, "bad 'page_size' line (expected a power of two)");
        goto fail;
    }
    if ((rc = field(&ps, d, "sampled", 0, out->refs, &out->sampled)) ||
        (rc = field(&ps, d, "distances", 0, (len - ps.pos) / 4, &k)))
        goto fail;
    /* k <= the bytes left / 4 ("1 1\n" is the shortest line): memory is
     * bounded by the input */
    out->dist = malloc((k ? k : 1) * sizeof *out->dist);
    out->count = malloc((k ? k : 1) * sizeof *out->count);
    if (!out->dist || !out->count) {
        rc = diag_set(d, name, ps.line, ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < k; i++) {
        uint64_t dd, n;
        if (!next_line(&ps) || ps.blen == SIZE_MAX || (c = ps.buf, u64_at(&c, &dd)) ||
            u64_at(&c, &n) || *c || c[-1] == ' ' || dd < 1 || n < 1 ||
            (i && dd <= out->dist[i - 1]) || n > out->sampled - sum) {
            rc = bad(&ps, d, "bad distance line (expected 'D COUNT', D ascending from 1, COUNT >= 1, "
                        "counts summing to at most 'sampled')");
            goto fail;
        }
        sum += n;
        out->dist[i] = dd, out->count[i] = n;
        out->k = i + 1;
    }
    if (!next_line(&ps) || ps.blen == SIZE_MAX || strcmp(ps.buf, "end") != 0) {
        rc = bad(&ps, d, "expected 'end' after the distances");
        goto fail;
    }
    if (ps.pos < len) {
        ps.line++;
        rc = bad(&ps, d, "text after 'end' (expected nothing)");
        goto fail;
    }
    return 0;
fail:
    mrc_shards_part_free(out);
    return rc;
}
