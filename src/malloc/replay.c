/* SPDX-License-Identifier: MIT */
/*
 * replay.c - parse and replay malloc-lab traces (see replay.h).
 *
 * The checked pass is mdriver's: every payload aligned, inside the heap,
 * overlapping no other live payload, and its contents (a pattern made from
 * the id and offset) intact until it is freed, across realloc too.
 * Utilization is malloc-lab's: the peak of live payload bytes divided by the
 * heap size at the end, the high-water mark of the sbrk arena (20 MiB, as
 * mem_sbrk, or more for a trace whose requests could need more: see
 * arena_bytes).  The timed pass replays without checks and, like
 * ../shared/bench/replay.c, writes only the first and last byte of each
 * payload; a fresh heap on a reset arena for every sample, which the
 * sample's repetitions reuse (every trace frees all it allocates).
 *
 * libc: glibc's malloc has no arena of ours; its heap size is the growth of
 * what it holds from the system (mallinfo2 arena + mmapped bytes) plus what
 * it held free when the replay started (after malloc_trim), sampled after
 * every operation.
 *
 * The references (mplan.h), run as designs named "offline" and "bound":
 * offline replays a placement planned before the first operation through
 * the same checked pass (its heap is the plan's extent); bound replays
 * nothing, its heap is the live-block bound.  Neither is timed.
 */
#include "vmlab/hash.h"
#include "malloc/replay.h"
#include "malloc/mplan.h"
#include "malloc/heap.h"
#include "base/vec.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmlab/env.h"
#include "vmlab/malloc.h"
#include "vmlab/parse.h"

#define ARENA_BYTES ((size_t)20 << 20) /* malloc-lab's MAX_HEAP */

void mr_trace_free(mr_trace_t *t)
{
    free(t->ops);
    memset(t, 0, sizeof *t);
}

/* Next whitespace-separated field of [*s, end) on the current line. */
static int field(const char **s, const char *end, const char **f, size_t *flen)
{
    const char *p = *s;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    *f = p;
    while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
        p++;
    *flen = (size_t)(p - *f);
    *s = p;
    return *flen > 0;
}

int mr_parse(const char *path, const char *text, size_t len, size_t max_live, mr_trace_t *t,
             diag_t *d)
{
    const char *p = text, *end = text + len;
    uint64_t hdr[4], v;
    int nh = 0, rc = 0;
    unsigned long line = 0;
    size_t n = 0, live = 0;
    unsigned char *alive = NULL;
    size_t *sizes = NULL;

    memset(t, 0, sizeof *t);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *s = p, *f;
        size_t flen;
        if (!eol)
            eol = end;
        line++;
        p = eol + 1;
        if (!field(&s, eol, &f, &flen))
            continue; /* blank line */
        if (!t->ops) {
            /* header: integers until the first operation */
            if (*f >= '0' && *f <= '9') {
                const char *g;
                size_t glen;
                if (nh == 4 || parse_u64_dec(f, flen, &v) != 0 || field(&s, eol, &g, &glen)) {
                    rc = diag_set(d, path, line, EINVAL,
                                  "bad header line '%.*s' (expected one number per line, "
                                  "2 or 4 of them)", (int)(eol - f), f);
                    goto out;
                }
                hdr[nh++] = v;
                continue;
            }
            if (nh != 4 && nh != 2) {
                rc = diag_set(d, path, line, EINVAL,
                              "header has %d numbers (expected 4: heap size, ids, ops, "
                              "weight; or 2: ids, ops)", nh);
                goto out;
            }
            t->nids = nh == 4 ? hdr[1] : hdr[0];
            t->nops = nh == 4 ? hdr[2] : hdr[1];
            if (t->nids > (1u << 24) || t->nops == 0 || t->nops > (size_t)(end - f) / 4 + 1) {
                /* every operation takes at least 4 bytes ("f 0\n"): a header
                 * promising more than the file holds is wrong, and must not
                 * make us allocate for it */
                rc = diag_set(d, path, line, EINVAL, "header says %zu ids and %zu operations "
                              "(expected at most 2^24 ids, and 1 to %zu operations for the "
                              "%zu bytes that follow)", t->nids, t->nops,
                              (size_t)(end - f) / 4 + 1, (size_t)(end - f));
                goto out;
            }
            t->ops = calloc(t->nops, sizeof *t->ops);
            alive = calloc(t->nids ? t->nids : 1, 1);
            sizes = calloc(t->nids ? t->nids : 1, sizeof *sizes);
            if (!t->ops || !alive || !sizes) {
                rc = diag_set(d, path, 0, ENOMEM, "out of memory for %zu operations", t->nops);
                goto out;
            }
        }
        {
            char type = *f;
            const char *g;
            size_t glen;
            uint64_t id, size = 0;
            mr_op_t *o;
            if (flen != 1 || (type != 'a' && type != 'r' && type != 'f')) {
                rc = diag_set(d, path, line, EINVAL, "unknown operation '%.*s' (expected "
                              "'a ID BYTES', 'r ID BYTES' or 'f ID')", (int)flen, f);
                goto out;
            }
            if (!field(&s, eol, &g, &glen) || parse_u64_dec(g, glen, &id) != 0) {
                rc = diag_set(d, path, line, EINVAL, "'%c' needs an id (expected a decimal "
                              "number below %zu)", type, t->nids);
                goto out;
            }
            if (id >= t->nids) {
                rc = diag_set(d, path, line, EINVAL, "id %ju out of range (expected below %zu, "
                              "as the header says)", (uintmax_t)id, t->nids);
                goto out;
            }
            if (type != 'f') {
                if (!field(&s, eol, &g, &glen) || parse_u64_dec(g, glen, &size) != 0 ||
                    size > ((uint64_t)1 << 40)) {
                    rc = diag_set(d, path, line, EINVAL, "'%c %ju' needs a size (expected "
                                  "a decimal byte count below 2^40)", type, (uintmax_t)id);
                    goto out;
                }
            }
            if (field(&s, eol, &g, &glen)) {
                rc = diag_set(d, path, line, EINVAL, "extra field '%.*s' (expected %s)",
                              (int)glen, g, type == 'f' ? "'f ID'" : "'a|r ID BYTES'");
                goto out;
            }
            if (n == t->nops) {
                rc = diag_set(d, path, line, EINVAL, "more operations than the %zu the "
                              "header says", t->nops);
                goto out;
            }
            if (type == 'a' && alive[id]) {
                rc = diag_set(d, path, line, EINVAL, "trace error: id %ju allocated while "
                              "still live (expected a free first)", (uintmax_t)id);
                goto out;
            }
            if (type != 'a' && !alive[id]) {
                rc = diag_set(d, path, line, EINVAL, "trace error: id %ju %s while not "
                              "allocated (freed twice, or used before allocation)",
                              (uintmax_t)id, type == 'f' ? "freed" : "reallocated");
                goto out;
            }
            o = &t->ops[n++];
            o->type = type;
            o->id = (uint32_t)id;
            o->size = (size_t)size;
            if (type == 'f' || (type == 'r' && size == 0)) {
                live -= sizes[id];
                sizes[id] = 0;
                alive[id] = 0;
            } else {
                live += (size_t)size - sizes[id];
                sizes[id] = (size_t)size;
                alive[id] = 1;
            }
            if (live > t->peak_payload)
                t->peak_payload = live;
            if (live > max_live) {
                /* the replay writes every byte it allocates: refuse
                 * before allocating what the machine does not have */
                rc = diag_set(d, path, line, E2BIG, "%ju bytes live after this line, more than "
                              "the %ju this replay may use (expected requests that fit in "
                              "memory)", (uintmax_t)live, (uintmax_t)max_live);
                goto out;
            }
        }
    }
    if (!t->ops)
        rc = diag_set(d, path, line, EINVAL, "no operations (expected a header of 2 or 4 "
                      "numbers, then 'a', 'r' and 'f' lines)");
    else if (n != t->nops)
        rc = diag_set(d, path, line, EINVAL, "%zu operations, but the header says %zu", n,
                      t->nops);
out:
    free(alive);
    free(sizes);
    if (rc)
        mr_trace_free(t);
    return rc;
}

/* ---- the allocator under test: a vmlab heap or libc ---- */

typedef struct mr_alloc {
    ma_heap_t *h;       /* NULL: libc */
    ma_arena_t arena;   /* the heap's sbrk arena */
    ma_source_t src;    /* its source */
    ma_config_t cfg;    /* the heap's configuration */
    const size_t *plan; /* "offline": each operation's block offset (mplan.h);
                           NULL otherwise */
    unsigned char *pbase; /* "offline": where offset 0's header sits */
    size_t pheap;         /* "offline": the plan's heap bytes */
    _Alignas(16) unsigned char storage[MA_HEAP_BYTES];
} mr_alloc_t;

/* The arena to reserve for t: malloc-lab's 20 MiB, or, when more could be
 * needed, twice the sum over allocations of the request plus 64 bytes of
 * headers rounded up to a power of two: what a design that never reused
 * memory would use, with room for the buddy design to align each block to
 * its size.  The reservation is virtual (MAP_NORESERVE) and utilization
 * counts only the high-water mark, so the course traces are measured as
 * malloc-lab's 20 MiB measures them, while a recorded program that held a
 * few large blocks does not run a fragmenting design (worst fit) out of
 * room the program really had. */
static size_t arena_bytes(const mr_trace_t *t)
{
    const size_t cap = (size_t)1 << 40; /* saturate: virtual space only */
    size_t sum = 0;
    for (size_t i = 0; i < t->nops && sum < cap; i++) {
        size_t n = t->ops[i].size, b = 64;
        if (t->ops[i].type == 'f' || n > cap)
            continue;
        while (b < n + 64)
            b <<= 1;
        sum += 2 * b;
    }
    if (sum > cap)
        sum = cap;
    return sum > ARENA_BYTES ? sum : ARENA_BYTES;
}

static int alloc_reset(mr_alloc_t *a)
{
    if (!a->cfg.design)
        return 0;
    a->arena.brk = 0;
    return ma_init(&a->h, a->storage, sizeof a->storage, &a->cfg);
}

/* "offline": the block operation i was planned to get; a realloc moves
 * the kept payload (the planned block may overlap the old one). */
static unsigned char *a_planned(mr_alloc_t *a, size_t i, unsigned char *old, size_t keep)
{
    unsigned char *q = a->pbase + a->plan[i] + MA_WORD;
    if (old)
        memmove(q, old, keep);
    return q;
}

static inline void *a_malloc(mr_alloc_t *a, size_t n)
{
    return a->h ? ma_malloc(a->h, n) : malloc(n);
}
static inline void *a_realloc(mr_alloc_t *a, void *p, size_t n)
{
    return a->h ? ma_realloc(a->h, p, n) : realloc(p, n);
}
static inline void a_free(mr_alloc_t *a, void *p)
{
    if (a->h)
        ma_free(a->h, p);
    else
        free(p);
}

/* The contents a payload must keep: byte i of id's pattern.  Written and
 * compared a word at a time (the traces move gigabytes through realloc). */
static inline uint64_t pattern_word(uint32_t id, size_t w)
{
    return ((uint64_t)id + 1) * VL_GOLDEN64 ^ (uint64_t)w * 0x100000001b3ull;
}

static void pattern_fill(unsigned char *p, uint32_t id, size_t from, size_t to)
{
    for (size_t i = from; i < to;) {
        uint64_t w = pattern_word(id, i / 8);
        if (i % 8 == 0 && i + 8 <= to) {
            memcpy(p + i, &w, 8);
            i += 8;
        } else {
            p[i] = (unsigned char)(w >> (8 * (i % 8)));
            i++;
        }
    }
}

/* 1 if [0, n) holds id's pattern. */
static int pattern_ok(const unsigned char *p, uint32_t id, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint64_t w = pattern_word(id, i / 8), x;
        if (i % 8 == 0 && i + 8 <= n) {
            memcpy(&x, p + i, 8);
            if (x != w)
                return 0;
            i += 8;
        } else {
            if (p[i] != (unsigned char)(w >> (8 * (i % 8))))
                return 0;
            i++;
        }
    }
    return 1;
}

static size_t libc_held(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.arena + mi.hblkhd;
}

static int bad(mr_result_t *res, size_t i, const mr_op_t *o, const char *what)
{
    res->valid = 0;
    snprintf(res->why, sizeof res->why, "operation %zu ('%c %u %zu'): %s", i + 1, o->type, o->id,
             o->size, what);
    return 0;
}

/* The checked pass. */
static int checked(const mr_trace_t *t, mr_alloc_t *a, size_t align, mr_result_t *res)
{
    unsigned char **ptr = calloc(t->nids, sizeof *ptr);
    size_t *size = calloc(t->nids, sizeof *size);
    uint32_t *live = calloc(t->nids, sizeof *live), nlive = 0;
    uint32_t *slot = calloc(t->nids, sizeof *slot);
    size_t base = 0, peak_heap = 0;
    int rc = 0;

    if (!ptr || !size || !live || !slot) {
        rc = -ENOMEM;
        goto out;
    }
    res->valid = 1;
    if (!a->h) {
        malloc_trim(0);
        struct mallinfo2 mi = mallinfo2();
        base = mi.uordblks + mi.hblkhd;
    }
    for (size_t i = 0; i < t->nops && res->valid; i++) {
        const mr_op_t *o = &t->ops[i];
        uint32_t id = o->id;
        unsigned char *p = ptr[id];
        if (o->type != 'a') {
            size_t keep = o->type == 'r' && o->size < size[id] ? o->size : size[id];
            if (!pattern_ok(p, id, keep))
                bad(res, i, o, "payload changed while allocated");
        }
        if (o->type == 'f' || (o->type == 'r' && o->size == 0)) {
            if (a->plan)
                ; /* the plan has the block end here */
            else if (o->type == 'f')
                a_free(a, p);
            else
                a_realloc(a, p, 0);
            ptr[id] = NULL;
            size[id] = 0;
            live[slot[id]] = live[--nlive];
            slot[live[slot[id]]] = slot[id];
        } else {
            size_t from = o->type == 'a' ? 0 : (size[id] < o->size ? size[id] : o->size);
            unsigned char *q = a->plan          ? a_planned(a, i, p, from)
                               : o->type == 'a' ? a_malloc(a, o->size)
                                                : a_realloc(a, p, o->size);
            if (!q) {
                char why[96];
                snprintf(why, sizeof why, "out of memory (the %zu MiB arena is full)",
                         a->arena.cap >> 20);
                bad(res, i, o, a->h ? why : "out of memory");
                break;
            }
            if ((uintptr_t)q & (align - 1)) {
                bad(res, i, o, "payload not aligned");
                break;
            }
            if (a->h && (q < a->arena.base || q + o->size > a->arena.base + a->arena.brk)) {
                bad(res, i, o, "payload outside the heap");
                break;
            }
            for (uint32_t k = 0; k < nlive; k++) {
                uint32_t other = live[k];
                if (other != id && ptr[other] && q < ptr[other] + size[other] &&
                    ptr[other] < q + o->size) {
                    bad(res, i, o, "payload overlaps another live block");
                    break;
                }
            }
            if (!pattern_ok(q, id, from))
                bad(res, i, o, "realloc lost the payload's contents");
            pattern_fill(q, id, from, o->size);
            if (o->type == 'a' || !p) {
                slot[id] = nlive;
                live[nlive++] = id;
            }
            ptr[id] = q;
            size[id] = o->size;
        }
        if (!a->h) {
            size_t held = libc_held();
            if (held > peak_heap)
                peak_heap = held;
        }
    }
    for (uint32_t k = 0; k < nlive && !a->plan; k++)
        a_free(a, ptr[live[k]]);
    if (a->plan) {
        res->heap_bytes = a->pheap;
    } else if (a->h) {
        res->heap_bytes = a->arena.brk;
        if (res->valid)
            ma_check(a->h);
    } else {
        /* 0 when mallinfo2 tells nothing (a sanitizer's malloc): unknown */
        res->heap_bytes = peak_heap > base ? peak_heap - base : 0;
    }
    res->util = res->heap_bytes ? (double)t->peak_payload / (double)res->heap_bytes : 0;
    if (res->util > 1)
        res->util = 1; /* libc served it from memory it held before */
out:
    free(ptr);
    free(size);
    free(live);
    free(slot);
    return rc;
}

/* One unchecked pass; ptr[] all NULL on entry and exit. */
static void timed(const mr_trace_t *t, mr_alloc_t *a, void **ptr)
{
    for (size_t i = 0; i < t->nops; i++) {
        const mr_op_t *o = &t->ops[i];
        unsigned char *q;
        switch (o->type) {
        case 'a':
            q = a_malloc(a, o->size);
            if (q && o->size) {
                q[0] = (unsigned char)o->id;
                q[o->size - 1] = (unsigned char)o->id;
            }
            ptr[o->id] = q;
            break;
        case 'r':
            q = a_realloc(a, ptr[o->id], o->size);
            if (q && o->size) {
                q[0] = (unsigned char)o->id;
                q[o->size - 1] = (unsigned char)o->id;
            }
            ptr[o->id] = q;
            break;
        default:
            a_free(a, ptr[o->id]);
            ptr[o->id] = NULL;
        }
    }
    for (size_t j = 0; j < t->nids; j++)
        if (ptr[j]) {
            a_free(a, ptr[j]);
            ptr[j] = NULL;
        }
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int run(const mr_trace_t *t, const char *design, const mr_opts_t *o,
               mr_result_t *res)
{
    size_t align = o->align;
    double min_seconds = o->min_seconds;
    int samples = o->samples;
    mr_alloc_t *a = calloc(1, sizeof *a);
    void **ptr = NULL;
    double rate[15];
    size_t batch;
    int rc = 0;

    memset(res, 0, sizeof *res);
    if (!a)
        return -ENOMEM;
    if (strcmp(design, "bound") == 0) {
        size_t bound;
        rc = mp_live_bound(t, align, &bound);
        if (!rc) {
            res->valid = 1;
            res->heap_bytes = bound + mp_fixed();
            res->util = (double)t->peak_payload / (double)res->heap_bytes;
        }
        goto out;
    }
    if (strcmp(design, "offline") == 0) {
        size_t *plan = malloc((t->nops + 1) * sizeof *plan), extent = 0;
        unsigned char *buf = NULL;
        rc = plan ? mp_plan(t, align, plan, &extent) : -ENOMEM;
        if (!rc && !(buf = aligned_alloc(16, ma_round(extent + 16, 16))))
            rc = -ENOMEM;
        if (!rc) {
            a->plan = plan;
            a->pbase = buf + align - MA_WORD; /* payloads at buf + align + offset */
            a->pheap = extent + mp_fixed();
            rc = checked(t, a, align, res);
        }
        free(plan);
        free(buf);
        goto out;
    }
    if (strcmp(design, "libc") != 0) {
        a->cfg.design = design;
        a->cfg.align = align;
        a->cfg.grow_min = o->grow_min;
        a->cfg.flags = o->flags;
        if (ma_source_arena(&a->src, &a->arena, arena_bytes(t)) != 0) {
            free(a);
            return -ENOMEM;
        }
        a->cfg.source = &a->src;
        rc = alloc_reset(a);
        if (rc)
            goto out;
    }
    rc = checked(t, a, a->h ? align : 16, res);
    if (rc || !res->valid || min_seconds <= 0)
        goto out;
    ptr = calloc(t->nids, sizeof *ptr);
    if (!ptr) {
        rc = -ENOMEM;
        goto out;
    }
    if (samples < 1)
        samples = 1;
    if (samples > 15)
        samples = 15;
    batch = t->nops >= 4096 ? 1 : 4096 / t->nops;
    for (int s = 0; s < samples; s++) {
        uint64_t t0 = env_now_ns(), el;
        size_t reps = 0;
        alloc_reset(a); /* one fresh heap per sample; repetitions reuse it, as
                           a program's heap is reused (and glibc's in replay.c) */
        do {
            /* read the clock every few thousand operations, not per
             * repetition: a 12-operation trace would time the clock */
            for (size_t b = 0; b < batch; b++)
                timed(t, a, ptr);
            reps += batch;
            el = env_now_ns() - t0;
        } while ((double)el < min_seconds * 1e9);
        rate[s] = (double)t->nops * (double)reps / ((double)el / 1e9);
    }
    qsort(rate, (size_t)samples, sizeof rate[0], cmp_double);
    res->ops_per_sec = rate[samples / 2];
    if (!a->h) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        res->peak_rss_kb = ru.ru_maxrss;
    }
out:
    free(ptr);
    if (a->cfg.design)
        ma_arena_release(&a->arena);
    free(a);
    return rc;
}

/* ---- fragmentation over time ---- */

double mr_frag_external(const mr_sample_t *s)
{
    return s->free_bytes ? 1.0 - (double)s->largest_free / (double)s->free_bytes : 0;
}

double mr_frag_internal(const mr_sample_t *s)
{
    return s->payload ? (double)(s->alloc_bytes - s->payload) / (double)s->payload : 0;
}

typedef struct live_pl {
    unsigned char *p; /* a live payload */
    size_t n;         /* its request size */
} live_pl_t;

typedef struct sampler {
    mr_sample_t s;             /* being filled */
    const unsigned char *base; /* the arena's first byte */
    live_pl_t *live;           /* live payloads sorted by address */
    size_t nlive, k;           /* entries; the next one to match in the walk */
    int want_spans;            /* build the map */
    mr_span_t *spans;          /* the map */
    size_t nspans, cap;        /* entries, allocated entries */
    int err;                   /* -ENOMEM */
} sampler_t;

static void span_add(sampler_t *sp, const unsigned char *from, size_t len, int kind)
{
    size_t off = (size_t)(from - sp->base);
    mr_span_t *last = sp->nspans ? &sp->spans[sp->nspans - 1] : NULL;
    if (!sp->want_spans || !len || sp->err)
        return;
    if (last && last->kind == kind && last->off + last->len == off) {
        last->len += len;
        return;
    }
    if (vl_grow((void **)&sp->spans, &sp->cap, sp->nspans + 1, sizeof *sp->spans)) {
        sp->err = -ENOMEM;
        return;
    }
    sp->spans[sp->nspans++] = (mr_span_t){off, len, kind};
}

static int sample_block(const ma_block_t *b, void *ctx)
{
    sampler_t *sp = ctx;
    const unsigned char *a = b->addr, *p = b->payload;
    if (!b->allocated) {
        sp->s.free_bytes += b->size;
        sp->s.free_blocks++;
        if (b->size > sp->s.largest_free)
            sp->s.largest_free = b->size;
        span_add(sp, a, b->size, MR_FREE);
        return 0;
    }
    sp->s.alloc_bytes += b->size;
    sp->s.live_blocks += p != NULL; /* not a design's metadata (hybrid's slab headers) */
    /* the walk goes by address, as the live payloads are sorted */
    while (sp->k < sp->nlive && sp->live[sp->k].p < p)
        sp->k++;
    if (sp->k < sp->nlive && sp->live[sp->k].p == p) {
        size_t head = (size_t)(p - a), n = sp->live[sp->k++].n;
        if (n > b->size - head)
            n = b->size - head; /* cannot be: the checked pass saw it fit */
        span_add(sp, a, head, MR_OVERHEAD);
        span_add(sp, p, n, MR_PAYLOAD);
        span_add(sp, p + n, b->size - head - n, MR_OVERHEAD);
    } else {
        span_add(sp, a, b->size, MR_OVERHEAD); /* no payload of the trace */
    }
    return 0;
}

static int cmp_live(const void *x, const void *y)
{
    const unsigned char *a = ((const live_pl_t *)x)->p, *b = ((const live_pl_t *)y)->p;
    return (a > b) - (a < b);
}

/* Fill sp from a walk of the heap; ptr/size: the live ids' payloads and
 * request sizes. */
static void take_sample(mr_alloc_t *a, const mr_trace_t *t, unsigned char **ptr,
                        const size_t *size, sampler_t *sp, size_t op)
{
    size_t n = 0;
    memset(&sp->s, 0, sizeof sp->s);
    sp->s.op = op;
    sp->s.heap_bytes = a->arena.brk;
    for (size_t j = 0; j < t->nids; j++)
        if (ptr[j]) {
            sp->live[n++] = (live_pl_t){ptr[j], size[j]};
            sp->s.payload += size[j];
        }
    qsort(sp->live, n, sizeof *sp->live, cmp_live);
    sp->nlive = n;
    sp->k = 0;
    sp->nspans = 0;
    ma_walk(a->h, sample_block, sp);
    /* the arena's bytes past the last region: none for an sbrk arena */
}

int mr_sample_run(const mr_trace_t *t, const char *design, const mr_opts_t *o, size_t every,
                  int want_spans, mr_sample_fn fn, void *ctx)
{
    mr_alloc_t *a;
    unsigned char **ptr;
    size_t *size;
    sampler_t sp;
    int rc = 0;

    if (strcmp(design, "libc") == 0)
        return -ENOENT;
    if (every == 0)
        every = 1;
    a = calloc(1, sizeof *a);
    ptr = calloc(t->nids ? t->nids : 1, sizeof *ptr);
    size = calloc(t->nids ? t->nids : 1, sizeof *size);
    memset(&sp, 0, sizeof sp);
    sp.live = calloc(t->nids ? t->nids : 1, sizeof *sp.live);
    sp.want_spans = want_spans;
    if (!a || !ptr || !size || !sp.live) {
        rc = -ENOMEM;
        goto out;
    }
    a->cfg.design = design;
    a->cfg.align = o->align;
    a->cfg.grow_min = o->grow_min;
    a->cfg.flags = o->flags;
    if (ma_source_arena(&a->src, &a->arena, arena_bytes(t)) != 0) {
        a->cfg.design = NULL;
        rc = -ENOMEM;
        goto out;
    }
    a->cfg.source = &a->src;
    if ((rc = alloc_reset(a)) != 0)
        goto out;
    sp.base = a->arena.base;
    for (size_t i = 0; i < t->nops && !rc; i++) {
        const mr_op_t *op = &t->ops[i];
        if (op->type == 'f' || (op->type == 'r' && op->size == 0)) {
            if (op->type == 'f')
                ma_free(a->h, ptr[op->id]);
            else
                ma_realloc(a->h, ptr[op->id], 0);
            ptr[op->id] = NULL;
            size[op->id] = 0;
        } else {
            unsigned char *q = op->type == 'a' ? ma_malloc(a->h, op->size)
                                               : ma_realloc(a->h, ptr[op->id], op->size);
            if (!q) {
                rc = -EIO;
                break;
            }
            ptr[op->id] = q;
            size[op->id] = op->size;
        }
        if ((i + 1) % every == 0 || i + 1 == t->nops) {
            take_sample(a, t, ptr, size, &sp, i + 1);
            if (sp.err)
                rc = sp.err;
            else
                rc = fn(ctx, &sp.s, sp.spans, sp.nspans);
        }
    }
out:
    if (a && a->cfg.design)
        ma_arena_release(&a->arena);
    free(a);
    free(ptr);
    free(size);
    free(sp.live);
    free(sp.spans);
    return rc;
}

/* libc runs in a child process, so that its heap starts without the free
 * memory earlier replays left in ours (which would hide its real size). */
int mr_run(const mr_trace_t *t, const char *design, const mr_opts_t *o, mr_result_t *res)
{
    int fd[2], status, rc = -ECHILD;
    pid_t pid;
    ssize_t n;

    if (strcmp(design, "libc") != 0)
        return run(t, design, o, res);
    memset(res, 0, sizeof *res);
    if (pipe(fd) != 0)
        return -errno;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -errno;
    }
    if (pid == 0) {
        mr_result_t r;
        int e = run(t, design, o, &r);
        close(fd[0]);
        if (write(fd[1], &e, sizeof e) != (ssize_t)sizeof e ||
            write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    n = read(fd[0], &rc, sizeof rc);
    if (n == (ssize_t)sizeof rc && read(fd[0], res, sizeof *res) != (ssize_t)sizeof *res)
        rc = -ECHILD;
    else if (n != (ssize_t)sizeof rc)
        rc = -ECHILD;
    close(fd[0]);
    waitpid(pid, &status, 0);
    return rc;
}
