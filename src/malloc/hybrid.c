/* SPDX-License-Identifier: MIT */
/*
 * hybrid.c - adaptive for every block above a small threshold, plus
 * headerless slabs for the small requests (issue 18: the 8-byte header of
 * a 16-byte block caps any header design at 16/24 of memory).
 *
 * The slab, or size-class page, idea: Bonwick, "The Slab Allocator",
 * USENIX 1994; today's small classes of jemalloc (Evans 2006) and mimalloc
 * (Leijen et al. 2019).  A slab is an ordinary allocated block of the
 * adaptive heap (so it coalesces back when released) whose payload starts a
 * frame, HY_SLAB bytes aligned to HY_SLAB, and fills it but for the last
 * word (HY_BODY bytes), where the header of the block after it goes: slabs
 * made one after another tile memory at HY_SLAB strides.  (A payload of the
 * whole frame put the next slab's header in the next frame, so a program
 * whose requests are all small had every other frame free: 46% utilization
 * with 16-byte blocks where adaptive reaches 66%; 88% with HY_BODY.)  It
 * holds a small header and objects of one size class, with no per-object
 * header:
 *
 *     block header (adaptive's, 8 bytes)
 *     | hdr | magic | next | prev | csize nobj nfree first | map[] | obj 0 | obj 1 | ... | tail |
 *             ^ frame (HY_SLAB-aligned)                             ^ frame + first
 *
 *   magic  = heap secret ^ frame address ^ "slabslab": what tells a slab
 *            object from a block with a header (see hy_headerless)
 *   map    = one bit per object, set while it is free
 *   next, prev: the class's list of slabs with a free object
 *
 * Classes are the multiples of the heap's alignment up to HY_MAX bytes
 * (requests with the canary and sites words included); larger requests go
 * to adaptive unchanged, and so do a class's first HY_WARM requests (a slab
 * per class is a fixed cost small programs should not pay).  An object is
 * allocated from the first slab on its class's list (lowest free object
 * first; the spare last); a slab that empties goes back to
 * the heap at once, except HY_KEEP of them per class (the spare), kept so
 * that a class whose last object comes and goes does not cut and free a
 * slab each time, and so that a double free of that object still finds
 * its slab (the message says "double free").
 *
 * Survivors (issue 18: gen shift, ladder): a phase of small blocks that
 * dies but for a few leaves them scattered over its slabs, each keeping a
 * frame alive that serves no other size, where a header design reuses the
 * holes between survivors for any size.  Two rules bound that, tuned on
 * seeds 1-30 of the generators only (BENCHMARKS.md, "hybrid: survivors"):
 *  - the fill rule: a class with no free object opens a new slab only while
 *    live objects fill HY_FILL% of the frames of the slabs alive (a frame
 *    counts whole, trimmed or not: no other slab can use it); else the
 *    request gets a header from adaptive.  A class's partly used slabs are
 *    filled first regardless.  (Not in the debug modes, where every small
 *    request goes to a slab, as they skip the warm-up.)
 *  - the trim: a free that leaves a slab at most half full gives the free
 *    objects past its last live one back to the heap (bt_shrink) when they
 *    make HY_TRIM bytes or more; the slab keeps the objects below for good.
 * Either alone measured worse than neither on the generators; both
 * together kept or raised every kind's mean on the tuning seeds and on two
 * held-out sets.
 *
 * Classification (the core asks before it reads p[-1]): p is a slab object
 * iff its frame f = p & ~(HY_SLAB - 1) lies in a region, past the region's
 * first block header, the word at f is its magic, and p lies before the
 * end of the slab's block (whose header is the word at f - 8).  A live slab
 * block spans [f - 8, f + HY_BODY), or less once trimmed, so every address
 * before its end whose frame is a live slab's lies inside that slab: a live
 * slab is never missed and never claims a pointer outside itself.  The one inexact case is a frame that is
 * not a live slab whose word happens to equal the magic: program data and
 * the allocator's other words do not derive from the secret (the one that
 * does, the canary, address ^ secret, differs from a magic by the tag), so
 * they match with probability 2^-64 per frame.  Released slabs erase their
 * magic, and so does memory new to the heap (an earlier heap in the same
 * storage has the same secret), so no stale magic survives.  (A program
 * that reads a slab header and copies its first word to an aligned place
 * defeats it, as it can forge any header.)
 *
 * Metadata outside the counted heap: per class a list head, a spare, a
 * request count and a debug-mode hint, and five words (hy_state_t: 4 *
 * HY_NCLS + 5 words, in the caller's MA_HEAP_BYTES storage).  Everything
 * else is inside slab blocks, counted as allocated heap.
 *
 * Invariants (hy_check, after every operation under VMLAB_DEBUG), for every
 * slab s (an allocated block whose payload f is HY_SLAB-aligned with
 * magic == secret ^ f ^ HY_TAG):
 *   csize % align == 0, csize <= HY_MAX
 *   0 < nobj <= slab_nobj(csize), first == slab_first(slab_nobj(csize))
 *   block size >= 8 + first + nobj * csize; >= HY_BODY + 8 iff untrimmed
 *   (nobj == slab_nobj(csize))
 *   popcount(map) == nfree <= nobj; no bit at or past nobj
 *   nfree > 0  <=>  s is on list[class(csize)];  nfree == nobj  =>  s == spare[class]
 *   slabs found == nslabs;  sum (nobj - nfree) == nobjs;
 *   sum (nobj - nfree) * csize == objbytes
 *   MA_POISON: every free object is all 0xdd
 *   no block with a header has a payload classify() claims
 *   the remembered verdict (memo) equals a fresh one; last[c] is a free
 *   object of class c
 * and adaptive's (bt_check, st_check).
 */
#include "malloc/adaptive.h"

#ifndef HY_SLAB
#define HY_SLAB 512u /* slab frame: bytes and alignment */
#endif
#ifndef HY_BODY
#define HY_BODY (HY_SLAB - MA_WORD) /* a slab block's payload: the frame less the word
                                       where the next block's header goes */
#endif
#ifndef HY_MAX
#define HY_MAX 48u /* the largest class (request + extras) */
#endif
#ifndef HY_KEEP
#define HY_KEEP 1 /* empty slabs kept per class (0 or 1) */
#endif
#ifndef HY_FEED
#define HY_FEED 1 /* small requests still move adaptive's running mean */
#endif
#ifndef HY_WARM
#define HY_WARM 256 /* requests of a class served with headers before its first slab */
#endif
#ifndef HY_FILL
#define HY_FILL 75 /* a new slab only while live objects fill this % of the frames (0: off) */
#endif
#ifndef HY_TRIM
#define HY_TRIM 64 /* a slab at most half full gives back a free tail this long (0: off) */
#endif
#define HY_NCLS (HY_MAX / 8) /* classes at alignment 8 (16: half of them) */

_Static_assert((HY_SLAB & (HY_SLAB - 1)) == 0 && HY_SLAB >= 256 && HY_SLAB <= 65536,
               "HY_SLAB: a power of two in [256, 65536]");
_Static_assert(HY_MAX % 16 == 0 && HY_MAX >= 16 && HY_MAX <= HY_SLAB / 4, "HY_MAX");

typedef struct hy_slab {
    uint64_t magic;         /* heap secret ^ frame address ^ HY_TAG */
    struct hy_slab *next;   /* the class's list of slabs with a free object */
    struct hy_slab *prev;   /* (NULL at the ends) */
    uint16_t csize;         /* object size: a multiple of the alignment */
    uint16_t nobj;          /* objects in the slab */
    uint16_t nfree;         /* free objects: popcount(map) */
    uint16_t first;         /* offset of object 0 from the frame */
    uint64_t map[];         /* bit i: object i is free */
} hy_slab_t;

typedef struct hy_state {
    ad_state_t ad;                /* first: adaptive's policy reads it */
    hy_slab_t *list[HY_NCLS];     /* per class: slabs with a free object */
    hy_slab_t *spare[HY_NCLS];    /* per class: the empty slab kept, or NULL */
    size_t asked[HY_NCLS];        /* per class: requests so far, up to HY_WARM */
    unsigned char *last[HY_NCLS]; /* debug modes: the object freed last, or NULL */
    const void *memo;             /* the pointer classified last (NULL: none) ... */
    int memo_obj;                 /* ... and the verdict: the core, then the design
                                     op it calls, ask about the same pointer */
    size_t nslabs;                /* slabs alive */
    size_t nobjs;                 /* objects allocated */
    size_t objbytes;              /* their bytes (class sizes): the fill rule's measure */
} hy_state_t;

_Static_assert(MA_HEAP_HDR + sizeof(hy_state_t) <= MA_HEAP_BYTES, "MA_HEAP_BYTES too small");

static inline hy_state_t *hy(const ma_heap_t *h) { return ma_state(h); }
static inline hy_slab_t *frame_of(const void *p)
{
    return (hy_slab_t *)((uintptr_t)p & ~(uintptr_t)(HY_SLAB - 1));
}
/* "slabslab": a canary (MA_CANARY) is its address ^ secret, so without
 * this tag a canary word that lands on a frame would read as its magic */
#define HY_TAG 0x62616c7362616c73ull

static inline uint64_t magic_of(const ma_heap_t *h, const hy_slab_t *s)
{
    return h->secret ^ (uint64_t)(uintptr_t)s ^ HY_TAG;
}
/* Requests a class serves with headers before its first slab: none in the
 * debug modes, where the object freed last is also reused first (see
 * slab_alloc), so that a write after free is caught at the next request of
 * its size, as the header designs catch it. */
static inline size_t warm(const ma_heap_t *h)
{
    return (h->flags & (MA_POISON | MA_CANARY)) ? 0 : HY_WARM;
}

static inline size_t cls(const ma_heap_t *h, size_t size)
{
    return size ? (size - 1) / h->align : 0;
}

/* The offset of object 0 in a slab of nobj objects: header and map,
 * rounded to the alignment. */
static inline size_t slab_first(const ma_heap_t *h, size_t nobj)
{
    return ma_round(sizeof(hy_slab_t) + 8 * ((nobj + 63) / 64), h->align);
}

/* The most objects of csize bytes a slab block's payload (HY_BODY bytes)
 * holds beside the slab header. */
static size_t slab_nobj(const ma_heap_t *h, size_t csize)
{
    size_t n = (HY_BODY - sizeof(hy_slab_t)) / csize;
    while (n > 0 && slab_first(h, n) + n * csize > HY_BODY)
        n--;
    return n;
}

/* The size of slab s's block (its header is the word before the frame). */
static inline size_t blk_size(const hy_slab_t *s)
{
    return ma_bsize((const unsigned char *)s - MA_WORD);
}

static int classify(const ma_heap_t *h, const void *p)
{
    hy_slab_t *s = frame_of(p);
    ma_region_t *r = ma_region_of(h, s);
    return r && (unsigned char *)s >= r->first + MA_WORD && s->magic == magic_of(h, s) &&
           (const unsigned char *)p < (unsigned char *)s - MA_WORD + blk_size(s);
}

/* classify(), remembered for the last pointer: the frame word is often a
 * cache line of its own, and one operation asks up to three times (vet,
 * validate, free).  Only making or releasing a slab (and memory new to the
 * heap) changes a verdict: those forget it. */
static int hy_headerless(const ma_heap_t *h, const void *p)
{
    hy_state_t *st = hy(h);
    if (p != st->memo) {
        st->memo = p;
        st->memo_obj = classify(h, p);
    }
    return st->memo_obj;
}

static inline unsigned char *obj_at(hy_slab_t *s, size_t i)
{
    return (unsigned char *)s + s->first + i * s->csize;
}

/* ---- class lists ---- */

static void list_push(hy_state_t *st, size_t c, hy_slab_t *s)
{
    s->prev = NULL;
    s->next = st->list[c];
    if (s->next)
        s->next->prev = s;
    st->list[c] = s;
}

static void list_unlink(hy_state_t *st, size_t c, hy_slab_t *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        st->list[c] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

/* ---- slabs ---- */

static hy_slab_t *slab_new(ma_heap_t *h, size_t c)
{
    hy_state_t *st = hy(h);
    size_t csize = (c + 1) * h->align, nobj = slab_nobj(h, csize), first = slab_first(h, nobj);
    hy_slab_t *s = bt_malloc_aligned(h, HY_BODY, HY_SLAB);
    if (!s)
        return NULL;
    MA_ASSERT(frame_of(s) == s);
    st->memo = NULL;
    s->magic = magic_of(h, s);
    s->csize = (uint16_t)csize;
    s->nobj = (uint16_t)nobj;
    s->nfree = (uint16_t)nobj;
    s->first = (uint16_t)first;
    for (size_t w = 0; w < (nobj + 63) / 64; w++)
        s->map[w] = nobj - 64 * w >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << (nobj - 64 * w)) - 1;
    ma_poison(h, obj_at(s, 0), nobj * csize);
    list_push(st, c, s);
    st->nslabs++;
    return s;
}

/* Give empty slab s (on its list) back to the heap. */
static void slab_release(ma_heap_t *h, size_t c, hy_slab_t *s)
{
    hy_state_t *st = hy(h);
    list_unlink(st, c, s);
    if (st->last[c] && frame_of(st->last[c]) == s)
        st->last[c] = NULL;
    s->magic = 0; /* no stale magic: the frame is an ordinary block now */
    st->memo = NULL;
    st->nslabs--;
    bt_free(h, s);
}

/* The index of slab object p, or -1 if p is not an object's start. */
static ptrdiff_t obj_index(const hy_slab_t *s, const void *p)
{
    size_t off = (size_t)((const unsigned char *)p - (const unsigned char *)s);
    if (off < s->first || (off - s->first) % s->csize || (off - s->first) / s->csize >= s->nobj)
        return -1;
    return (ptrdiff_t)((off - s->first) / s->csize);
}

static inline int obj_free(const hy_slab_t *s, size_t i)
{
    return (s->map[i / 64] >> (i % 64)) & 1;
}

/* The fill rule: a class with no free object opens a slab only while the
 * live objects fill HY_FILL% of the frames of the slabs alive (a trimmed
 * slab counts its whole frame: no other slab can use it).  Sparse slabs
 * are survivors pinning memory that serves no other size: while they
 * dominate, the class's requests take headers, whose blocks fit the holes
 * any size leaves.  Not in the debug modes, which skip the warm-up too:
 * there every small request goes to a slab (see warm). */
static inline int slab_may_open(const ma_heap_t *h)
{
    const hy_state_t *st = hy(h);
    return !HY_FILL || !warm(h) || st->objbytes * 100 >= (size_t)HY_FILL * st->nslabs * HY_SLAB;
}

/* Whether class c's next request can come from a slab: a free object in
 * one, or the fill rule lets it open one.  slab_alloc decides by it, and
 * hy_relocate asks it before a realloc lands in a slab. */
static inline int slab_room(const ma_heap_t *h, size_t c)
{
    return hy(h)->list[c] || slab_may_open(h);
}

static void *slab_alloc(ma_heap_t *h, size_t size)
{
    hy_state_t *st = hy(h);
    size_t c = cls(h, size), w = 0, i;
    hy_slab_t *s = st->list[c];
    unsigned char *o;
    if (st->last[c]) {
        /* debug modes: the object freed last first, so that a write after
         * free is caught at once (as header designs reuse a block) */
        s = frame_of(st->last[c]);
        i = (size_t)obj_index(s, st->last[c]);
        st->last[c] = NULL;
        if (st->spare[c] == s)
            st->spare[c] = NULL;
        w = i / 64;
        MA_ASSERT(obj_free(s, i));
        s->map[w] &= ~((uint64_t)1 << (i % 64));
        goto taken;
    }
    if (!s && (!slab_room(h, c) || !(s = slab_new(h, c))))
        return NULL; /* the caller asks adaptive */
    if (st->spare[c] == s) {
        if (s->next)
            s = s->next; /* a partly used slab first: the spare stays empty */
        else
            st->spare[c] = NULL;
    }
    while (!s->map[w])
        w++;
    i = 64 * w + (size_t)__builtin_ctzll(s->map[w]);
    s->map[w] &= s->map[w] - 1;
taken:
    if (--s->nfree == 0)
        list_unlink(st, c, s);
    st->nobjs++;
    st->objbytes += s->csize;
    o = obj_at(s, i);
    ma_poison_verify(h, o, o, s->csize);
    return o;
}

/* Slab s (in use, at most half full) gives the free objects past its last
 * live one back to the heap when they make HY_TRIM bytes or more: its block
 * shrinks (bt_shrink), the tail coalesces with what follows, and s keeps
 * the objects below for good.  What a survivor pins shrinks from a frame
 * to the objects up to it. */
static void slab_trim(ma_heap_t *h, size_t c, hy_slab_t *s)
{
    hy_state_t *st = hy(h);
    size_t keep = 0, w = (s->nobj + 63u) / 64, cut;
    while (w-- > 0) {
        uint64_t live = ~s->map[w];
        if (64 * (w + 1) > s->nobj)
            live &= ((uint64_t)1 << (s->nobj - 64 * w)) - 1;
        if (live) {
            keep = 64 * w + 64 - (size_t)__builtin_clzll(live);
            break;
        }
    }
    MA_ASSERT(keep > 0);
    cut = s->nobj - keep;
    if (cut * s->csize < HY_TRIM)
        return;
    bt_shrink(h, s, s->first + keep * s->csize);
    for (size_t i = keep; i < s->nobj; i++)
        s->map[i / 64] &= ~((uint64_t)1 << (i % 64));
    s->nfree = (uint16_t)(s->nfree - cut);
    s->nobj = (uint16_t)keep;
    st->memo = NULL; /* the tail's addresses are no slab's now */
    if (st->last[c] && frame_of(st->last[c]) == s && obj_index(s, st->last[c]) < 0)
        st->last[c] = NULL;
    if (s->nfree == 0)
        list_unlink(st, c, s);
}

static void slab_free(ma_heap_t *h, void *p)
{
    hy_state_t *st = hy(h);
    hy_slab_t *s = frame_of(p);
    size_t i = (size_t)obj_index(s, p), c = cls(h, s->csize);
    s->map[i / 64] |= (uint64_t)1 << (i % 64);
    st->nobjs--;
    st->objbytes -= s->csize;
    ma_poison(h, p, s->csize);
    if (s->nfree++ == 0)
        list_push(st, c, s);
    if (h->flags & (MA_POISON | MA_CANARY))
        st->last[c] = p;
    if (HY_TRIM && s->nfree < s->nobj && 2u * (s->nobj - s->nfree) <= s->nobj)
        slab_trim(h, c, s);
    if (s->nfree == s->nobj) {
        if (HY_KEEP && !st->spare[c])
            st->spare[c] = s;
        else
            slab_release(h, c, s);
    }
}

/* ---- the design ---- */

static void *hy_malloc(ma_heap_t *h, size_t size)
{
    if (size <= HY_MAX) {
        hy_state_t *st = hy(h);
        size_t c = cls(h, size);
        if (st->asked[c] >= warm(h)) {
            void *p;
            if (HY_FEED)
                (void)ad_policy.placement(h, ma_round(size + MA_WORD, h->align));
            if ((p = slab_alloc(h, size)) != NULL)
                return p; /* else the fill rule said no: a header */
        } else {
            st->asked[c]++;
        }
    }
    return bt_malloc(h, size);
}

static void hy_free(ma_heap_t *h, void *p)
{
    if (hy_headerless(h, p))
        slab_free(h, p);
    else
        bt_free(h, p);
}

static size_t hy_usable(const ma_heap_t *h, const void *p)
{
    return hy_headerless(h, p) ? frame_of(p)->csize : bt_usable(h, p);
}

static int hy_validate(ma_heap_t *h, const void *p)
{
    hy_slab_t *s;
    ptrdiff_t i;
    if (!hy_headerless(h, p))
        return bt_validate(h, p);
    s = frame_of(p);
    i = obj_index(s, p);
    if (i < 0)
        return MA_BAD_PTR;
    return obj_free(s, (size_t)i) ? MA_NOT_ALLOC : MA_OK;
}

static int hy_resize(ma_heap_t *h, void *p, size_t size)
{
    if (hy_headerless(h, p))
        return size <= frame_of(p)->csize;
    return bt_resize(h, p, size);
}

/* realloc: an object stays while its class stays; a block with a header
 * shrinking to a class moves into a slab (the caller copies). */
static void *hy_relocate(ma_heap_t *h, void *p, size_t size)
{
    if (hy_headerless(h, p)) {
        size_t cs = frame_of(p)->csize;
        return size <= HY_MAX && cls(h, size) == cls(h, cs) ? p : NULL;
    }
    if (size <= HY_MAX && hy(h)->asked[cls(h, size)] >= warm(h) && slab_room(h, cls(h, size)))
        return NULL;
    return bt_relocate(h, p, size);
}

/* Memory new to the heap may hold anything, a slab header of an earlier
 * heap in the same storage included (same address, same secret): erase
 * every frame word that reads as a magic before it becomes blocks, so that
 * only live slabs carry one.  One word per HY_SLAB bytes added. */
static void hy_region_added(ma_heap_t *h, ma_region_t *r, unsigned char *old)
{
    uintptr_t lo = (uintptr_t)(old ? old : (unsigned char *)r), end = (uintptr_t)r->end;
    for (uintptr_t f = (lo + HY_SLAB - 1) & ~(uintptr_t)(HY_SLAB - 1); f + 8 <= end; f += HY_SLAB)
        if (((hy_slab_t *)f)->magic == magic_of(h, (hy_slab_t *)f))
            ((hy_slab_t *)f)->magic = 0;
    hy(h)->memo = NULL;
    bt_region_added(h, r, old);
}

static size_t hy_region_need(const ma_heap_t *h, size_t size)
{
    return bt_region_need(h, size <= HY_MAX ? 2 * HY_SLAB + 64 : size);
}

/* The slab in allocated block b (payload b + 8), or NULL. */
static hy_slab_t *slab_in(const ma_heap_t *h, const ma_block_t *b)
{
    unsigned char *p = b->payload;
    if (!b->allocated || frame_of(p) != (hy_slab_t *)p)
        return NULL;
    return ((hy_slab_t *)p)->magic == magic_of(h, (hy_slab_t *)p) ? (hy_slab_t *)p : NULL;
}

typedef struct hy_walk {
    ma_heap_t *h;
    ma_walk_fn fn;
    void *ctx;
} hy_walk_t;

/* A slab block as its parts: the block and slab headers (metadata, payload
 * NULL), every object (no header: addr == payload), the tail. */
static int walk_block(const ma_block_t *b, void *ctx)
{
    hy_walk_t *w = ctx;
    hy_slab_t *s = slab_in(w->h, b);
    unsigned char *end = (unsigned char *)b->addr + b->size, *o;
    ma_block_t m = {b->addr, NULL, 0, 1, 0};
    int rc;
    if (!s)
        return w->fn(b, w->ctx);
    m.size = MA_WORD + s->first;
    if ((rc = w->fn(&m, w->ctx)) != 0)
        return rc;
    for (size_t i = 0; i < s->nobj; i++) {
        ma_block_t ob = {obj_at(s, i), obj_at(s, i), s->csize, !obj_free(s, i), 0};
        if ((rc = w->fn(&ob, w->ctx)) != 0)
            return rc;
    }
    o = obj_at(s, s->nobj);
    if (o < end) {
        ma_block_t t = {o, NULL, (size_t)(end - o), 1, 0};
        return w->fn(&t, w->ctx);
    }
    return 0;
}

static int hy_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    hy_walk_t w = {h, fn, ctx};
    return bt_walk(h, walk_block, &w);
}

/* adaptive's free blocks, then each class's free objects (list
 * MA_NLISTS + class). */
static int hy_walk_free(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    hy_state_t *st = hy(h);
    int rc = bt_walk_free(h, fn, ctx);
    for (size_t c = 0; c < HY_NCLS && !rc; c++)
        for (hy_slab_t *s = st->list[c]; s && !rc; s = s->next)
            for (size_t i = 0; i < s->nobj && !rc; i++)
                if (obj_free(s, i)) {
                    ma_block_t ob = {obj_at(s, i), obj_at(s, i), s->csize, 0,
                                     (int)(MA_NLISTS + c)};
                    rc = fn(&ob, ctx);
                }
    return rc;
}

typedef struct hy_tally {
    ma_heap_t *h;
    size_t slabs, objs, partial, empty[HY_NCLS], bytes;
} hy_tally_t;

static int check_block(const ma_block_t *b, void *ctx)
{
    hy_tally_t *t = ctx;
    ma_heap_t *h = t->h;
    hy_slab_t *s = slab_in(h, b);
    size_t nfree = 0, c;
    if (!s) {
        /* the classifier never claims a block with a header */
        MA_ASSERT(!b->allocated || !classify(h, b->payload));
        return 0;
    }
    c = cls(h, s->csize);
    MA_ASSERT(s->csize % h->align == 0 && s->csize <= HY_MAX && s->csize > 0);
    MA_ASSERT(s->nobj > 0 && s->nobj <= slab_nobj(h, s->csize));
    MA_ASSERT(s->first == slab_first(h, slab_nobj(h, s->csize)));
    MA_ASSERT(b->size >= MA_WORD + s->first + (size_t)s->nobj * s->csize);
    MA_ASSERT(s->nobj == slab_nobj(h, s->csize) ? b->size >= HY_BODY + MA_WORD
                                                 : b->size < HY_BODY + MA_WORD);
    for (size_t w = 0; w < (s->nobj + 63u) / 64; w++) {
        nfree += (size_t)__builtin_popcountll(s->map[w]);
        if (s->nobj < 64 * (w + 1))
            MA_ASSERT((s->map[w] >> (s->nobj - 64 * w)) == 0);
    }
    MA_ASSERT(nfree == s->nfree && nfree <= s->nobj);
    if (h->flags & MA_POISON)
        for (size_t i = 0; i < s->nobj; i++)
            if (obj_free(s, i))
                ma_poison_check(obj_at(s, i), obj_at(s, i), s->csize);
    if (s->nfree == s->nobj) {
        MA_ASSERT(hy(h)->spare[c] == s);
        t->empty[c]++;
    }
    t->partial += s->nfree > 0;
    t->slabs++;
    t->objs += s->nobj - s->nfree;
    t->bytes += (size_t)(s->nobj - s->nfree) * s->csize;
    return 0;
}

static void hy_check(ma_heap_t *h)
{
    hy_state_t *st = hy(h);
    hy_tally_t t = {.h = h};
    size_t listed = 0;
    MA_ASSERT(!st->memo || st->memo_obj == classify(h, st->memo));
    bt_check(h);
    MA_ASSERT(bt_walk(h, check_block, &t) == 0);
    MA_ASSERT(t.slabs == st->nslabs && t.objs == st->nobjs && t.bytes == st->objbytes);
    for (size_t c = 0; c < HY_NCLS; c++) {
        hy_slab_t *prev = NULL;
        MA_ASSERT(t.empty[c] <= (size_t)HY_KEEP);
        if (st->last[c]) {
            hy_slab_t *s = frame_of(st->last[c]);
            ptrdiff_t i = obj_index(s, st->last[c]);
            MA_ASSERT(s->magic == magic_of(h, s) && cls(h, s->csize) == c);
            MA_ASSERT(i >= 0 && obj_free(s, (size_t)i));
        }
        MA_ASSERT(!st->spare[c] || st->spare[c]->nfree == st->spare[c]->nobj);
        for (hy_slab_t *s = st->list[c]; s; s = s->next) {
            MA_ASSERT(frame_of(s) == s && s->magic == magic_of(h, s));
            MA_ASSERT(cls(h, s->csize) == c && s->nfree > 0 && s->prev == prev);
            MA_ASSERT(listed++ < t.slabs);
            prev = s;
        }
    }
    MA_ASSERT(listed == t.partial);
}

/* ---- for callers outside the lock: the thread caches ---- */

_Static_assert(HY_SLAB <= MA_HL_REACH, "a frame lies within headerless_size's reach");

/* headerless_size (heap.h): classify() and validate() for a caller without
 * the heap's lock, the preload's thread caches, so that slab objects are
 * cached like any block (docs/preload.md).  It reads only the frame's
 * header below p, with nothing written: not the region list (another thread
 * may be growing it: the caller promises the frame is readable memory
 * instead) and not the memo (state).  For an object allocated to the
 * caller every word read is fixed while the object lives: its slab cannot
 * be released or remade, its bit in map changes only when it is freed
 * (other bits of the word may change beside it: one atomic load).  For a
 * block with a header allocated to the caller, its frame word is a
 * neighbour's data or its own, not a magic (hy_check: only live slabs
 * carry one), unless a trim gave the tail of the frame's slab back to the
 * heap (slab_trim) and the block lies there: past the slab's objects, so
 * MA_HL_VET, and the caller asks the core under the lock, which reads the
 * header.  Exact for the caller's own blocks either way: nobj is lowered
 * only, and only by a trim done under the lock before such a block was
 * handed out.  Anything else (a free object, an interior pointer, a frame
 * being released by another thread) is MA_HL_VET or a guess, and the
 * core's checks decide. */
static size_t hy_headerless_size(const ma_heap_t *h, const void *p)
{
    const hy_slab_t *s = frame_of(p);
    size_t off = (size_t)((const unsigned char *)p - (const unsigned char *)s), cs, first, i;
    uint64_t w;
    if (__atomic_load_n(&s->magic, __ATOMIC_RELAXED) != magic_of(h, s))
        return 0;
    cs = s->csize;
    first = s->first;
    if (cs == 0 || off < first || (off - first) % cs != 0 ||
        (i = (off - first) / cs) >= __atomic_load_n(&s->nobj, __ATOMIC_RELAXED))
        return MA_HL_VET;
    w = __atomic_load_n(&s->map[i / 64], __ATOMIC_RELAXED);
    return (w >> (i % 64)) & 1 ? MA_HL_VET : cs;
}

const ma_design_t ma_hybrid = {
    .name = "hybrid",
    .summary = "adaptive for large blocks; small ones (48 bytes or less) headerless in "
               "512-byte slabs of one size class each",
    .bt = &ad_policy,
    .state_size = sizeof(hy_state_t),
    .region_added = hy_region_added,
    .region_need = hy_region_need,
    .malloc = hy_malloc,
    .free = hy_free,
    .resize = hy_resize,
    .relocate = hy_relocate,
    .usable = hy_usable,
    .validate = hy_validate,
    .walk = hy_walk,
    .walk_free = hy_walk_free,
    .check = hy_check,
    .headerless = hy_headerless,
    .headerless_max = HY_MAX,
    .headerless_size = hy_headerless_size,
};
