/* SPDX-License-Identifier: MIT */
/*
 * stream.c - fault curves of a trace streamed once (mrc.h, "Streaming"):
 * the trace is read a batch at a time and each batch goes to the engines
 * asked for: page keys numbered densely (dense_ids.c) into the exact LRU
 * (lru_stack.c) and OPT (opt_stack.c) passes, and keys hashed into SHARDS
 * (shards.c).  Nothing is kept per reference.
 *
 * A vmlab binary trace numbers its (pid, address) pairs in order of first
 * appearance; at a page size no coarser than its address granularity these
 * keys are exactly the dense page ids, so they go to the exact passes with
 * no hashing at all (as sim_stream.c does), and SHARDS's sampling hash is
 * taken once a key (a bitmap says which keys may still be sampled: the
 * threshold only goes down, so a key once out stays out).  At a fixed rate
 * with one engine the bit is the sample itself: a reference costs a bit
 * test, and a sampled one goes to the stack under its key, with no address
 * looked up and no hash (by_keys).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "mrc/dense_ids.h"
#include "mrc/lru_stack.h"
#include "mrc/opt_stack.h"
#include "mrc/shards.h"
#include "vmlab/check.h"
#include "vmlab/mrc.h"
#include "vmlab/trace.h"

#define BATCH 65536

struct mrc_stream {
    mrc_stream_opts_t o; /* as given */
    dense_ids_t *ids;    /* keys -> dense ids (exact passes or a count) */
    lru_dense_t *lru;    /* o.lru */
    opt_dense_t *opt;    /* o.opt */
    shards_t **sh;       /* o.shards: nsh engines, one a part */
    uint32_t nsh;        /* 1, or the parts of o.so (part MRC_SHARDS_ALL_PARTS) */
    uint64_t width;      /* nsh > 1: each part's hash range */
    uint32_t *idbuf;     /* BATCH ids */
    uint64_t *keybuf;    /* BATCH keys (trace_read) */
    trace_ref_t *refbuf; /* BATCH references (trace_read) */
    uint32_t *kbuf;      /* BATCH trace keys (trace_read_keys) */
    uint8_t *opbuf;      /* BATCH operations (trace_read_keys) */
    uint64_t *maybe;     /* keyed: bit k set while key k may be sampled */
    size_t nmaybe;       /* words of maybe[] */
    uint64_t refs;       /* references fed */
    uint32_t keyed_v;    /* keyed: keys (= pages) seen */
    int keyed;           /* 1: fed by trace keys (idents), 0 by page keys */
    int have_pid0;       /* 1: pid0 is set */
    uint32_t pid0;       /* the first reference's pid */
    int multi;           /* 1: a second pid appeared */
    uint64_t maxpage;    /* the largest page number seen (for the 2^48 check) */
};

int mrc_stream_new(mrc_stream_t **out, const mrc_stream_opts_t *o, diag_t *d)
{
    mrc_stream_t *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        goto nomem;
    s->o = *o;
    if ((o->lru || o->opt || o->distinct) &&
        (!(s->ids = dense_ids_new()) || !(s->idbuf = malloc(BATCH * sizeof *s->idbuf))))
        goto nomem;
    if ((o->lru && !(s->lru = lru_dense_new())) || (o->opt && !(s->opt = opt_dense_new())))
        goto nomem;
    if (o->shards) {
        mrc_shards_opts_t so = o->so;
        int all = so.parts > 1 && so.part == MRC_SHARDS_ALL_PARTS;
        if (so.parts > 1 && (so.max_keys || so.parts > MRC_SHARDS_MAX_PARTS ||
                             (!all && so.part >= so.parts))) {
            mrc_stream_free(s);
            return diag_set(d, NULL, 0, EINVAL, "partitioned SHARDS needs a fixed rate and a "
                            "part below 2..%d parts", MRC_SHARDS_MAX_PARTS);
        }
        s->nsh = all ? so.parts : 1;
        s->width = shards_part_width(&so);
        if (!(s->sh = calloc(s->nsh, sizeof *s->sh)))
            goto nomem;
        for (uint32_t i = 0; i < s->nsh; i++) {
            if (all)
                so.part = i;
            if (!(s->sh[i] = shards_new(&so)))
                goto nomem;
        }
    }
    *out = s;
    return 0;
nomem:
    mrc_stream_free(s);
    return diag_set(d, NULL, 0, ENOMEM, "out of memory for the curves");
}

void mrc_stream_free(mrc_stream_t *s)
{
    if (!s)
        return;
    dense_ids_free(s->ids);
    lru_dense_free(s->lru);
    opt_dense_free(s->opt);
    for (uint32_t i = 0; s->sh && i < s->nsh; i++)
        shards_free(s->sh[i]);
    free(s->sh);
    free(s->idbuf), free(s->keybuf), free(s->refbuf), free(s->kbuf), free(s->opbuf);
    free(s->maybe);
    free(s);
}

size_t mrc_stream_bytes(const mrc_stream_t *s)
{
    size_t b = sizeof *s + s->nmaybe * sizeof *s->maybe;
    if (s->ids)
        b += dense_ids_bytes(s->ids) + BATCH * sizeof *s->idbuf;
    if (s->lru)
        b += lru_dense_bytes(s->lru);
    if (s->opt)
        b += opt_dense_bytes(s->opt);
    for (uint32_t i = 0; s->sh && i < s->nsh; i++)
        b += shards_bytes(s->sh[i]);
    if (s->keybuf)
        b += BATCH * (sizeof *s->keybuf + sizeof *s->refbuf);
    if (s->kbuf)
        b += BATCH * (sizeof *s->kbuf + sizeof *s->opbuf);
    return b;
}

static int nomem(diag_t *d, int rc)
{
    if (rc == -EOVERFLOW)
        return diag_set(d, NULL, 0, EOVERFLOW, "more than 2^32 - 2 distinct pages");
    return diag_set(d, NULL, 0, ENOMEM, "out of memory for the curves");
}

/* Dense ids (id[0, n), each at most the ids so far) to the exact passes. */
static int feed_ids(mrc_stream_t *s, const uint32_t *id, size_t n, diag_t *d)
{
    int rc = 0;
    if (s->lru && (rc = lru_dense_feed(s->lru, id, n)))
        return nomem(d, rc);
    if (s->opt && (rc = opt_dense_feed(s->opt, id, n)))
        return nomem(d, rc);
    return 0;
}

/* The engine that samples hash h, or NULL. */
static shards_t *route(const mrc_stream_t *s, uint64_t h)
{
    if (s->nsh == 1)
        return shards_in(s->sh[0], h) ? s->sh[0] : NULL;
    return h / s->width < s->nsh ? s->sh[h / s->width] : NULL;
}

static int feed_shards(mrc_stream_t *s, const uint64_t *key, size_t n, uint64_t t0)
{
    if (s->nsh == 1)
        return shards_feed(s->sh[0], key, n, t0);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = shards_hash(s->sh[0], key[i]);
        shards_t *e = route(s, h);
        int rc;
        if (e && (rc = shards_ref(e, key[i], h, t0 + i)))
            return rc;
    }
    return 0;
}

int mrc_stream_keys(mrc_stream_t *s, const uint64_t *key, size_t n, diag_t *d)
{
    int rc;
    VL_ASSERT(!s->keyed);
    for (size_t at = 0; at < n; at += BATCH) {
        size_t k = n - at < BATCH ? n - at : BATCH;
        if (s->ids) {
            if ((rc = dense_ids_map(s->ids, key + at, k, s->idbuf, NULL)))
                return nomem(d, rc);
            if ((rc = feed_ids(s, s->idbuf, k, d)))
                return rc;
        }
        if (s->sh && (rc = feed_shards(s, key + at, k, s->refs)))
            return nomem(d, rc);
        s->refs += k;
    }
    return 0;
}

/* The key of page `page` of process `pid`: the page alone while one process
 * has been seen, tagged (pid ^ pid0) << 48 with several (pid0's own pages
 * untagged, so no key changes when a second process appears). */
static int page_key(mrc_stream_t *s, uint64_t page, uint32_t pid, uint64_t *key, diag_t *d)
{
    if (!s->have_pid0)
        s->pid0 = pid, s->have_pid0 = 1;
    if (page > s->maxpage)
        s->maxpage = page;
    if (pid != s->pid0)
        s->multi = 1;
    if (s->multi && s->maxpage >> 48)
        return diag_set(d, NULL, 0, ERANGE,
                        "page %#jx of a multi-process trace is beyond 2^48 "
                        "(expected a larger page size)", (uintmax_t)s->maxpage);
    *key = page | (uint64_t)(pid ^ s->pid0) << 48;
    return 0;
}

static int by_refs(mrc_stream_t *s, trace_t *t, unsigned page_bits, diag_t *d)
{
    ssize_t n;
    int rc;
    if (!s->keybuf && (!(s->keybuf = malloc(BATCH * sizeof *s->keybuf)) ||
                       !(s->refbuf = malloc(BATCH * sizeof *s->refbuf))))
        return nomem(d, -ENOMEM);
    while ((n = trace_read(t, s->refbuf, BATCH, d)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if ((rc = page_key(s, s->refbuf[i].addr >> page_bits, s->refbuf[i].pid, &s->keybuf[i], d)))
                return rc;
        if ((rc = mrc_stream_keys(s, s->keybuf, (size_t)n, d)))
            return rc;
    }
    return (int)n;
}

static uint64_t key_of(mrc_stream_t *s, trace_t *t, uint32_t k, unsigned page_bits)
{
    uint64_t addr;
    uint32_t pid;
    trace_key(t, k, &addr, &pid);
    return (addr >> page_bits) | (uint64_t)(pid ^ s->pid0) << 48;
}

static int by_keys(mrc_stream_t *s, trace_t *t, unsigned page_bits, diag_t *d)
{
    ssize_t n;
    int rc;
    /* A fixed rate with one engine never changes its threshold, so a key
     * whose bit is set is sampled for good: its references cost a bit test
     * and go to the stack under the key itself (keys are distinct pages at
     * these page sizes), with no address looked up and no hash taken.  The
     * stack's distances do not depend on what names a page, so the curve
     * is the one the page numbers give (tests/test_mrc_stream.c checks it
     * against the same trace read by reference). */
    const int fixed = s->sh && s->nsh == 1 && !s->o.so.max_keys;
    s->keyed = 1;
    if (!(s->kbuf = malloc(BATCH * sizeof *s->kbuf)) || !(s->opbuf = malloc(BATCH)))
        return nomem(d, -ENOMEM);
    while ((n = trace_read_keys(t, s->kbuf, s->opbuf, BATCH, d)) > 0) {
        uint32_t nk = trace_nkeys(t);
        /* the new keys: the multi-process check, and which may be sampled */
        if (s->sh && (size_t)(nk + 63) / 64 > s->nmaybe) {
            size_t w = s->nmaybe;
            if (vl_grow((void **)&s->maybe, &w, (nk + 63) / 64, sizeof *s->maybe))
                return nomem(d, -ENOMEM);
            memset(s->maybe + s->nmaybe, 0, (w - s->nmaybe) * sizeof *s->maybe);
            s->nmaybe = w;
        }
        for (uint32_t k = s->keyed_v; k < nk; k++) {
            uint64_t addr, key = 0;
            uint32_t pid;
            trace_key(t, k, &addr, &pid);
            if ((rc = page_key(s, addr >> page_bits, pid, &key, d)))
                return rc;
            if (s->sh && route(s, shards_hash(s->sh[0], key)))
                s->maybe[k / 64] |= 1ull << (k % 64);
        }
        s->keyed_v = nk;
        if ((rc = feed_ids(s, s->kbuf, (size_t)n, d)))
            return rc;
        if (s->sh && fixed) {
            /* one engine, a fixed threshold: the bit is the sample */
            const uint64_t *maybe = s->maybe;
            shards_t *e = s->sh[0];
            for (ssize_t i = 0; i < n; i++) {
                uint32_t k = s->kbuf[i];
                if (__builtin_expect(maybe[k / 64] >> (k % 64) & 1, 0) &&
                    (rc = shards_ref(e, k, 0, s->refs + (uint64_t)i)))
                    return nomem(d, rc);
            }
        } else if (s->sh) {
            const uint64_t *maybe = s->maybe;
            for (ssize_t i = 0; i < n; i++) {
                uint32_t k = s->kbuf[i];
                uint64_t h;
                shards_t *e;
                if (!(maybe[k / 64] >> (k % 64) & 1))
                    continue;
                h = shards_hash(s->sh[0], key_of(s, t, k, page_bits));
                if (!(e = route(s, h))) {
                    s->maybe[k / 64] &= ~(1ull << (k % 64)); /* out for good */
                    continue;
                }
                if ((rc = shards_ref(e, k, h, s->refs + (uint64_t)i)))
                    return nomem(d, rc);
            }
        }
        s->refs += (uint64_t)n;
    }
    return (int)n;
}

int mrc_stream_trace(mrc_stream_t *s, trace_t *t, unsigned page_bits, diag_t *d)
{
    int rc;
    if (page_bits > 63)
        return diag_set(d, NULL, 0, EINVAL, "page bits %u out of range (expected 0..63)", page_bits);
    if ((rc = trace_check_page_bits(t, page_bits, d)) < 0)
        return rc;
    /* Keys as page ids only from the start: ids fed before would clash. */
    if (trace_has_keys(t) && page_bits <= trace_key_shift(t) && s->refs == 0 && !s->keyed)
        return by_keys(s, t, page_bits, d);
    VL_ASSERT(!s->keyed);
    return by_refs(s, t, page_bits, d);
}

int mrc_stream_finish(mrc_stream_t *s, mrc_stream_result_t *out, diag_t *d)
{
    const uint64_t *h;
    uint64_t cold;
    uint32_t V;
    int rc = 0;
    memset(out, 0, sizeof *out);
    out->refs = s->refs;
    out->keyed = s->keyed;
    if (s->keyed)
        out->distinct = s->keyed_v, out->has_distinct = 1;
    else if (s->ids)
        out->distinct = dense_ids_count(s->ids), out->has_distinct = 1;
    if (s->lru) {
        h = lru_dense_hist(s->lru, &V, &cold);
        rc = mrc_hist_from(h, V, s->refs, cold, &out->lru);
    }
    if (rc == 0 && s->opt) {
        h = opt_dense_hist(s->opt, &V, &cold);
        rc = mrc_hist_from(h, V, s->refs, cold, &out->opt);
    }
    if (rc == 0 && s->sh && s->nsh == 1 && s->o.so.parts > 1) {
        rc = shards_part(s->sh[0], s->refs, &out->part);
        out->part.distinct = out->distinct;
    } else if (rc == 0 && s->sh && s->nsh == 1) {
        rc = shards_finish(s->sh[0], s->refs, out->has_distinct ? out->distinct : 0, &out->shards);
    } else if (rc == 0 && s->sh) {
        /* every part here: merged exactly as separate jobs' results are */
        mrc_shards_part_t *p = calloc(s->nsh, sizeof *p);
        rc = p ? 0 : -ENOMEM;
        for (uint32_t i = 0; rc == 0 && i < s->nsh; i++) {
            rc = shards_part(s->sh[i], s->refs, &p[i]);
            p[i].distinct = out->distinct;
        }
        if (rc == 0 && mrc_shards_merge(p, s->nsh, &out->shards, d))
            rc = -ENOMEM;
        for (uint32_t i = 0; p && i < s->nsh; i++)
            mrc_shards_part_free(&p[i]);
        free(p);
    }
    if (rc) {
        mrc_stream_result_free(out);
        return nomem(d, rc);
    }
    return 0;
}

void mrc_stream_result_free(mrc_stream_result_t *r)
{
    if (!r)
        return;
    mrc_hist_free(&r->lru);
    mrc_hist_free(&r->opt);
    mrc_approx_free(&r->shards);
    mrc_shards_part_free(&r->part);
}
