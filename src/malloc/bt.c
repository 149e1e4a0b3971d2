/* SPDX-License-Identifier: MIT */
/*
 * bt.c - the boundary-tag core (see bt.h): placement with splitting,
 * immediate or deferred coalescing, growth at the end of the heap, in-place
 * realloc, and the checker.  Algorithms from CS:APP 9.9.8-9.9.12 and Knuth
 * TAOCP vol. 1, 2.5 (boundary tags, Algorithm C).
 *
 * Placement: a block that does not use a whole free block is split.  Small
 * requests take the low end and requests of BT_HIGH bytes or more the high
 * end (unless MA_NO_PLACE_SPLIT; a policy may draw the line elsewhere,
 * bt_policy_t.placement), so that small and large blocks gather at
 * opposite ends of the chunks the heap grows by: when the large ones are
 * freed they coalesce into one run instead of holes between small blocks
 * (what malloc-lab's binary traces punish).  The heap grows by a chunk
 * (grow_min) for small requests only; a large request, or a realloc at the
 * end of the heap, grows it by exactly what is missing.
 *
 * Invariants (bt_check), for every region r and block b in [r->first, r->limit):
 *   size(b) % A == 0, size(b) >= MIN, (b + 8) % A == 0, b + size(b) <= r->limit
 *   the blocks tile [r->first, r->limit) exactly; hdr(r->limit) == size 0, allocated
 *   p(r->first) == 1;  p(next(b)) == a(b)
 *   a(b) == 0  =>  footer(b) == size(b)
 *   a(b) == 0 and immediate coalescing  =>  a(next(b)) == 1   (no two free neighbours)
 *   free blocks in the policy's index == free blocks in the heap
 *   MA_POISON: every free block's bytes [b + meta, b + size - 8) are 0xdd
 *
 * Poison costs what is handed out, not what is free (issue 10: re-checking
 * a whole 800 KB free block to split 64 bytes off it made perl 1000x
 * slower).  Freeing poisons the freed block's own bytes plus the seams a
 * merge turns into interior (the neighbours' header, footer and link
 * words); placing verifies only the bytes handed out plus the words the
 * remainder's new header or footer overwrites.  Every byte of a free
 * block's poison range is still checked before it is handed out again.
 */
#include "malloc/bt.h"


#define BT_HIGH 256 /* requests at least this large are placed high */

static inline const bt_policy_t *pol(const ma_heap_t *h) { return h->d->bt; }

static inline unsigned placement(ma_heap_t *h, size_t asize)
{
    if (pol(h)->placement)
        return pol(h)->placement(h, asize);
    return asize >= BT_HIGH ? BT_PLACE_HIGH | BT_GROW_EXACT : 0;
}
/* The policy's sweep state, or NULL (bt_policy_t.sweep). */
static inline bt_sweep_t *sweep_state(const ma_heap_t *h)
{
    size_t off = pol(h)->sweep;
    return off ? (bt_sweep_t *)(void *)((unsigned char *)ma_state(h) + off) : NULL;
}

static inline size_t min_block(const ma_heap_t *h)
{
    if (pol(h)->min_block)
        return ma_round(pol(h)->min_block, h->align);
    return pol(h)->meta == 8 ? 16 : 32;
}

/* The smallest remainder place(), resize and trim split off: a block the
 * policy's main index can hold (meta + 8, at least min_block).  A smaller
 * free block (adaptive's 24-byte ones) comes only from freeing a block of
 * that size: split off next to a block just placed or grown, it would be
 * where the next 16-byte request lands, pinning the free space around
 * that block (a buffer grown by realloc could no longer grow in place). */
static inline size_t split_min(const ma_heap_t *h)
{
    size_t m = ma_round(pol(h)->meta + MA_WORD, h->align);
    return m > min_block(h) ? m : min_block(h);
}

/* MA_POISON: verify the poison of free block b (not yet rewritten) in
 * [lo, hi), clipped to its poisoned body [b + meta, b + size - 8): empty
 * for a block smaller than meta + 8 (policy min_block below 32). */
static inline void verify_body(const ma_heap_t *h, const unsigned char *b, const unsigned char *lo,
                               const unsigned char *hi)
{
    const unsigned char *blo = b + pol(h)->meta, *bhi = b + ma_bsize(b) - MA_WORD;
    if (lo < blo)
        lo = blo;
    if (hi > bhi)
        hi = bhi;
    if (hi > lo)
        ma_poison_verify(h, b, lo, (size_t)(hi - lo));
}

static inline size_t adjust(const ma_heap_t *h, size_t size)
{
    size_t a = ma_round(size + MA_WORD, h->align);
    return a < min_block(h) ? min_block(h) : a;
}

static inline int is_alloc(const unsigned char *b) { return ma_hdr(b) & MA_F_ALLOC; }
static inline int prev_alloc(const unsigned char *b) { return (ma_hdr(b) & MA_F_PREV) != 0; }
static inline unsigned char *nextb(unsigned char *b) { return b + ma_bsize(b); }
static inline unsigned char *prevb(unsigned char *b) { return b - ma_bsize(b - MA_WORD); }

static inline void set_prev_bit(unsigned char *b, int on)
{
    ma_set_hdr(b, on ? ma_hdr(b) | MA_F_PREV : ma_hdr(b) & ~(size_t)MA_F_PREV);
}

/* Write b as a free block of `size` bytes (header and footer). */
static inline void mark_free(unsigned char *b, size_t size, size_t prevbit)
{
    ma_set_hdr(b, size | prevbit);
    ma_set_hdr(b + size - MA_WORD, size);
}

static inline void index_insert(ma_heap_t *h, unsigned char *b)
{
    if (pol(h)->insert)
        pol(h)->insert(h, b);
}

static inline void index_remove(ma_heap_t *h, unsigned char *b)
{
    if (pol(h)->remove)
        pol(h)->remove(h, b);
}

/* A block now spans [b, b + size): the policy's pointers stay on headers. */
static inline void rover_fix(ma_heap_t *h, unsigned char *b, size_t size)
{
    if (pol(h)->merged)
        pol(h)->merged(h, b, size);
}

/* b's header says allocated (its size and p bit are right); make it free,
 * coalescing with free neighbours unless deferred (and not forced). */
static void release(ma_heap_t *h, unsigned char *b, int coalesce)
{
    size_t size = ma_bsize(b), prevbit = ma_hdr(b) & MA_F_PREV, meta = pol(h)->meta;
    unsigned char *n = b + size;
    /* the bytes to poison: the block's own [b + meta, b + size - 8), widened
     * over the words a merge makes interior */
    unsigned char *lo = b + meta, *hi = b + size - MA_WORD;

    if (coalesce) {
        if (!is_alloc(n)) {
            index_remove(h, n);
            size += ma_bsize(n);
            hi = n + meta; /* b's footer, n's header and links */
        }
        if (!prevbit) {
            unsigned char *p = prevb(b);
            index_remove(h, p);
            size += ma_bsize(p);
            prevbit = ma_hdr(p) & MA_F_PREV;
            lo = b - MA_WORD; /* p's footer, b's header and links */
            b = p;
        }
        rover_fix(h, b, size);
    }
    mark_free(b, size, prevbit);
    set_prev_bit(b + size, 0);
    if (lo < b + meta)
        lo = b + meta;
    if (hi > b + size - MA_WORD)
        hi = b + size - MA_WORD;
    if (hi > lo)
        ma_poison(h, lo, (size_t)(hi - lo));
    index_insert(h, b);
}

/* Deferred coalescing: merge every run of free neighbours; 1 if any. */
static int coalesce_all(ma_heap_t *h)
{
    int merged = 0;
    for (ma_region_t *r = h->regions; r; r = r->next) {
        unsigned char *b = r->first;
        while (b < r->limit) {
            unsigned char *n = nextb(b);
            if (!is_alloc(b) && !is_alloc(n)) {
                size_t bs = ma_bsize(b), size = bs + ma_bsize(n), meta = pol(h)->meta;
                index_remove(h, b);
                index_remove(h, n);
                mark_free(b, size, ma_hdr(b) & MA_F_PREV);
                /* only the seam: b's footer, n's header and links (not
                 * past the new footer when n is smaller than meta + 8) */
                ma_poison(h, b + bs - MA_WORD, ma_min(MA_WORD + meta, size - bs));
                index_insert(h, b);
                rover_fix(h, b, size);
                merged = 1;
                continue; /* b may absorb its new neighbour too */
            }
            b = n;
        }
    }
    return merged;
}

/* Allocate asize bytes from free block b (still indexed); returns the
 * allocated block. */
static unsigned char *place(ma_heap_t *h, unsigned char *b, size_t asize, unsigned how)
{
    size_t bs = ma_bsize(b), rest = bs - asize, prevbit = ma_hdr(b) & MA_F_PREV;

    size_t meta = pol(h)->meta;

    index_remove(h, b);
    if (rest < split_min(h)) {
        verify_body(h, b, b, b + bs);
        ma_set_hdr(b, ma_hdr(b) | MA_F_ALLOC);
        set_prev_bit(b + bs, 1);
        return b;
    }
    if ((how & BT_FREED_TOP_FLIP) && b + bs == h->last->limit && h->last->top)
        how ^= BT_PLACE_HIGH;
    if ((how & BT_PLACE_HIGH) && !(h->flags & MA_NO_PLACE_SPLIT)) {
        unsigned char *a = b + rest;
        /* handed out: [a, b + bs - 8), and the remainder's new footer */
        verify_body(h, b, a - MA_WORD, a - MA_WORD + asize);
        mark_free(b, rest, prevbit);
        index_insert(h, b);
        ma_set_hdr(a, asize | MA_F_ALLOC);
        set_prev_bit(a + asize, 1);
        return a;
    }
    /* handed out: [b + meta, b + asize), and the remainder's new head */
    verify_body(h, b, b + meta, b + meta + asize);
    ma_set_hdr(b, asize | prevbit | MA_F_ALLOC);
    mark_free(b + asize, rest, MA_F_PREV);
    index_insert(h, b + asize);
    return b;
}

/* The sweep rule (bt_policy_t.sweep; issue 18).  A program that frees a
 * run of equal blocks lying next to each other, one by one, and after each
 * free asks for a slightly larger block (a structure of records grown in
 * turn) defeats address-ordered best fit: the request fits only in the
 * hole the free made by merging with the free rest its neighbour left,
 * and cut from the end where the block was freed, it leaves its own rest
 * at the far end, away from the next block to be freed, where it never
 * merges and is too small for the next request.  Instead, cut from the
 * end away from the freed block, the rest borders the freed block's other
 * neighbour, the next one freed if the program frees in address order
 * either way, and the rests ride along the run and merge with each free.
 * The rule applies to the first request after such a free, when the free
 * block b that best fit chose holds the freed block and: the freed block
 * merged with one neighbour only (b starts or ends where it did); the
 * request is larger than the freed block and at most twice it; the rest
 * it leaves is no larger than the request; the block freed before had the
 * same size and lies in b too (a run freed in address order).  Returns
 * the placement bits for place(). */
static unsigned sweep_how(const ma_heap_t *h, const bt_sweep_t *sw, unsigned char *b, size_t asize,
                          unsigned how)
{
    size_t fs = sw->size, bs = ma_bsize(b);
    uintptr_t lo = (uintptr_t)b, hi = lo + bs, f = (uintptr_t)sw->last, pv = (uintptr_t)sw->prev;
    unsigned low;
    if (asize <= fs || asize > 2 * fs || bs - asize > asize || sw->prevsize != fs)
        return how;
    if (f < lo || f >= hi || pv < lo || pv >= hi || (h->flags & MA_DEFER_COALESCE))
        return how;
    if (f == lo)
        low = 1; /* merged with the free block after it (bs > fs) */
    else if (f + fs == hi)
        low = 0;
    else
        return how; /* merged with both neighbours */
    how &= ~(unsigned)(BT_PLACE_HIGH | BT_FREED_TOP_FLIP);
    return low ? how | BT_PLACE_HIGH : how;
}

/* The free block that ends the last region, or NULL. */
static unsigned char *last_free(const ma_heap_t *h)
{
    ma_region_t *r = h->last;
    if (!r || prev_alloc(r->limit) || r->limit == r->first)
        return NULL;
    return prevb(r->limit);
}

size_t bt_region_need(const ma_heap_t *h, size_t size)
{
    return ma_round(MA_REGION_HDR + (h->align == 16 ? 8 : 0) + adjust(h, size) + MA_WORD, 16);
}

void bt_region_added(ma_heap_t *h, ma_region_t *r, unsigned char *old)
{
    unsigned char *b;
    if (!old) {
        r->first = (unsigned char *)r + MA_REGION_HDR + (h->align == 16 ? 8 : 0);
        r->limit = r->end - MA_WORD;
        b = r->first;
        ma_set_hdr(r->limit, MA_F_ALLOC);
        ma_set_hdr(b, (size_t)(r->limit - b) | MA_F_PREV | MA_F_ALLOC);
    } else {
        /* the heap grows by whole blocks (heap.c and bt_resize see to it)
         * unless the new bytes merge with a free block before them */
        MA_ASSERT(r->end - MA_WORD - r->limit >= (ptrdiff_t)min_block(h) || !prev_alloc(r->limit));
        b = r->limit;
        r->limit = r->end - MA_WORD;
        ma_set_hdr(r->limit, MA_F_ALLOC);
        /* the old epilogue becomes the new block's header, keeping its p bit */
        ma_set_hdr(b, (size_t)(r->limit - b) | (ma_hdr(b) & MA_F_PREV) | MA_F_ALLOC);
    }
    release(h, b, 1);
    r->top = 0; /* the top free block is fresh memory */
}

void *bt_malloc(ma_heap_t *h, size_t size)
{
    size_t asize = adjust(h, size);
    unsigned how = placement(h, asize);
    bt_sweep_t *sw = sweep_state(h);
    unsigned swept = 0;
    if (sw && sw->pending) {
        swept = 1;
        sw->pending = 0;
    }
    for (;;) {
        unsigned char *b = pol(h)->find(h, asize), *lf;
        size_t extend = asize;
        if (b) {
            if (swept)
                how = sweep_how(h, sw, b, asize, how);
            return place(h, b, asize, how) + MA_WORD;
        }
        if ((h->flags & MA_DEFER_COALESCE) && coalesce_all(h))
            continue;
        lf = last_free(h);
        if (lf)
            extend -= ma_bsize(lf);
        /* small requests grow the heap by a chunk, which later small and
         * large requests share from opposite ends (see place()); large ones
         * by exactly what they miss, so no tail is left for small blocks to
         * settle behind them */
        if (!(how & BT_GROW_EXACT) && extend < h->grow_min)
            extend = h->grow_min;
        if (ma_grow(h, extend, bt_region_need(h, size)) != 0)
            return NULL;
    }
}

void bt_free(ma_heap_t *h, void *p)
{
    unsigned char *b = (unsigned char *)p - MA_WORD, *n = b + ma_bsize(b);
    ma_region_t *r = h->last;
    bt_sweep_t *sw = sweep_state(h);
    if (sw) {
        sw->prev = sw->last;
        sw->prevsize = sw->size;
        sw->last = b;
        sw->size = ma_bsize(b);
        sw->pending = 1;
    }
    /* the block becomes (part of) the free block ending the last region
     * (the test only matters to policies that ask BT_FREED_TOP_FLIP, but
     * costs less than asking them) */
    if (__builtin_expect(n == r->limit, 0) || (!is_alloc(n) && nextb(n) == r->limit))
        r->top = 1;
    release(h, b, !(h->flags & MA_DEFER_COALESCE));
}

/* Shrink allocated block b to asize (<= its size), freeing the rest. */
static void trim(ma_heap_t *h, unsigned char *b, size_t asize)
{
    size_t bs = ma_bsize(b);
    if (bs - asize < split_min(h))
        return;
    ma_set_hdr(b, asize | (ma_hdr(b) & MA_F_PREV) | MA_F_ALLOC);
    ma_set_hdr(b + asize, (bs - asize) | MA_F_PREV | MA_F_ALLOC);
    release(h, b + asize, 1);
}

void bt_shrink(ma_heap_t *h, void *p, size_t size)
{
    unsigned char *b = (unsigned char *)p - MA_WORD;
    size_t asize = adjust(h, size);
    MA_ASSERT(asize <= ma_bsize(b));
    trim(h, b, asize);
}

int bt_resize(ma_heap_t *h, void *p, size_t size)
{
    unsigned char *b = (unsigned char *)p - MA_WORD, *n;
    size_t asize = adjust(h, size), bs = ma_bsize(b), extend;
    bt_sweep_t *sw = sweep_state(h);
    int grown = 0;

    if (sw)
        sw->pending = 0; /* a request (see sweep_how) */
    if (asize <= bs) {
        trim(h, b, asize);
        return 1;
    }
    for (;;) {
        n = b + bs;
        if (!is_alloc(n) && bs + ma_bsize(n) >= asize) {
            size_t ns = ma_bsize(n), meta = pol(h)->meta;
            index_remove(h, n);
            if (bs + ns - asize >= split_min(h)) {
                /* take what is missing from n; the rest of n stays free
                 * (and poisoned) behind a new head: verify only those */
                unsigned char *m = b + asize;
                verify_body(h, n, n + meta, m + meta);
                ma_set_hdr(b, asize | (ma_hdr(b) & MA_F_PREV) | MA_F_ALLOC);
                mark_free(m, bs + ns - asize, MA_F_PREV);
                index_insert(h, m);
                rover_fix(h, b, asize);
                return 1;
            }
            verify_body(h, n, n, n + ns);
            ma_set_hdr(b, (bs + ns) | (ma_hdr(b) & MA_F_PREV) | MA_F_ALLOC);
            set_prev_bit(b + bs + ns, 1);
            rover_fix(h, b, bs + ns);
            trim(h, b, asize);
            return 1;
        }
        /* at the end of the last region: grow the heap under the block */
        if (grown || !h->src.more || !h->last)
            return 0;
        if (n != h->last->limit && !(!is_alloc(n) && nextb(n) == h->last->limit))
            return 0;
        /* ... unless the free block below could take it: then the caller
         * moves it there, or a block that keeps growing at the top (freed
         * and grown again) would push the heap up every time and leave
         * the space below it unused */
        if (!prev_alloc(b) && ma_bsize(b - MA_WORD) >= asize)
            return 0;
        /* behind an allocated block the new memory becomes a free block of
         * its own, which must be a whole block (its links would otherwise
         * overwrite the new epilogue) */
        extend = asize - bs - (is_alloc(n) ? 0 : ma_bsize(n));
        if (is_alloc(n) && extend < min_block(h))
            extend = min_block(h);
        if (ma_grow(h, extend, bt_region_need(h, size)))
            return 0;
        grown = 1;
    }
}

/* 1 if allocated block b ends the last region, or is followed by the free
 * block that does: growing the heap grows the space after b. */
static inline int ends_heap(const ma_heap_t *h, unsigned char *b)
{
    unsigned char *n = nextb(b);
    return h->last && (n == h->last->limit || (!is_alloc(n) && nextb(n) == h->last->limit));
}

/* BT_REALLOC_ABSORB: allocated block b and the free block before it (and
 * the one after, if free) become one allocated block at the lower one,
 * holding b's payload (memmove).  Returns that block. */
static unsigned char *absorb(ma_heap_t *h, unsigned char *b)
{
    unsigned char *q = prevb(b), *n = nextb(b);
    size_t bs = ma_bsize(b), ps = ma_bsize(q), ns = is_alloc(n) ? 0 : ma_bsize(n);
    index_remove(h, q);
    verify_body(h, q, q, q + ps);
    if (ns) {
        index_remove(h, n);
        verify_body(h, n, n, n + ns);
    }
    memmove(q + MA_WORD, b + MA_WORD, bs - MA_WORD);
    ma_set_hdr(q, (ps + bs + ns) | (ma_hdr(q) & MA_F_PREV) | MA_F_ALLOC);
    set_prev_bit(q + ps + bs + ns, 1);
    rover_fix(h, q, ps + bs + ns);
    return q;
}

/* The gap BT_REALLOC_GAP leaves below a block: grow_min, a whole block. */
static inline size_t gap_size(const ma_heap_t *h)
{
    size_t g = ma_round(h->grow_min, h->align);
    return g < split_min(h) ? split_min(h) : g;
}

/* BT_REALLOC_GAP: block b ends the heap; grow the heap and move b up by
 * gap_size() as a block of size bytes, the gap freed (merging with a free
 * block below).  The new block, or NULL (nothing moved) if the heap could
 * not grow where b ends. */
static unsigned char *move_up(ma_heap_t *h, unsigned char *b, size_t size)
{
    size_t asize = adjust(h, size), bs = ma_bsize(b), g = gap_size(h), ns, rest;
    unsigned char *n = b + bs, *q = b + g;
    for (int grown = 0;; grown = 1) {
        ns = is_alloc(n) ? 0 : ma_bsize(n);
        if (ns && n + ns == h->last->limit && bs + ns >= g + asize)
            break;
        /* not contiguous: the new memory became a region of its own */
        if (grown || !ends_heap(h, b))
            return NULL;
        if (ma_grow(h, g + asize - bs - ns, bt_region_need(h, size)))
            return NULL;
    }
    index_remove(h, n);
    verify_body(h, n, n, n + ns);
    memmove(q + MA_WORD, b + MA_WORD, bs - MA_WORD);
    rest = bs + ns - g - asize;
    if (rest < split_min(h)) {
        asize += rest;
        rest = 0;
    }
    ma_set_hdr(q, asize | MA_F_ALLOC); /* p bit: the gap below is free */
    if (rest) {
        mark_free(q + asize, rest, MA_F_PREV);
        index_insert(h, q + asize);
    } else {
        set_prev_bit(q + asize, 1);
    }
    ma_set_hdr(b, g | (ma_hdr(b) & MA_F_PREV) | MA_F_ALLOC);
    release(h, b, 1);
    return q;
}

void *bt_relocate(ma_heap_t *h, void *p, size_t size)
{
    unsigned char *b = (unsigned char *)p - MA_WORD, *n, *q;
    size_t asize = adjust(h, size), bs = ma_bsize(b), ns, ps;
    unsigned how = pol(h)->realloc;
    bt_sweep_t *sw = sweep_state(h);

    if (sw)
        sw->pending = 0; /* a request: the rule is for the first one only */
    if (!how || asize <= bs)
        return bt_resize(h, p, size) ? p : NULL;
    n = nextb(b);
    ns = is_alloc(n) ? 0 : ma_bsize(n);
    /* growing the heap under b while the heap has no room left for small
     * blocks below it: the next small one would land above b (a block
     * alone in its region has no neighbours to make room for) */
    if ((how & BT_REALLOC_GAP) && bs + ns < asize && h->src.more && ends_heap(h, b) &&
        b != h->last->first && !pol(h)->find(h, gap_size(h)) &&
        (q = move_up(h, b, size)) != NULL)
        return q + MA_WORD;
    if (bt_resize(h, p, size))
        return p;
    if (!(how & BT_REALLOC_ABSORB) || prev_alloc(b))
        return NULL;
    ps = ma_bsize(b - MA_WORD);
    if (ps + bs + ns < asize) {
        /* only at the heap's end, which grows first: nothing has moved if
         * it cannot (or the new memory is a region of its own) */
        size_t extend = asize - ps - bs - ns;
        if (!ends_heap(h, b))
            return NULL;
        if (!ns && extend < min_block(h))
            extend = min_block(h);
        if (ma_grow(h, extend, bt_region_need(h, size)))
            return NULL;
        n = nextb(b);
        ns = is_alloc(n) ? 0 : ma_bsize(n);
        if (ps + bs + ns < asize)
            return NULL;
    }
    q = absorb(h, b);
    trim(h, q, asize);
    return q + MA_WORD;
}

size_t bt_usable(const ma_heap_t *h, const void *p)
{
    return ma_bsize((const unsigned char *)p - MA_WORD) - MA_WORD;
}

int bt_validate(ma_heap_t *h, const void *p)
{
    unsigned char *b = (unsigned char *)p - MA_WORD;
    ma_region_t *r = ma_region_of(h, b);
    size_t size;
    if (!r || b < r->first || b >= r->limit || ((uintptr_t)p & (h->align - 1)))
        return MA_BAD_PTR;
    size = ma_bsize(b);
    if (size < min_block(h) || (size & (h->align - 1)) || size > (size_t)(r->limit - b))
        return MA_BAD_PTR;
    if (!is_alloc(b))
        return MA_NOT_ALLOC;
    if (!prev_alloc(b + size))
        return MA_BAD_PTR;
    return MA_OK;
}

unsigned char *bt_first(const ma_heap_t *h)
{
    for (ma_region_t *r = h->regions; r; r = r->next)
        if (r->first < r->limit)
            return r->first;
    return NULL;
}

unsigned char *bt_next(const ma_heap_t *h, unsigned char *b)
{
    unsigned char *n = nextb(b);
    if (ma_bsize(n) != 0)
        return n;
    for (ma_region_t *r = h->regions; r; r = r->next)
        if (r->limit == n) {
            for (r = r->next; r; r = r->next)
                if (r->first < r->limit)
                    return r->first;
            return NULL;
        }
    return NULL;
}

int bt_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    for (ma_region_t *r = h->regions; r; r = r->next)
        for (unsigned char *b = r->first; b < r->limit; b = nextb(b)) {
            ma_block_t blk = {b, b + MA_WORD, ma_bsize(b), is_alloc(b), 0};
            int rc = fn(&blk, ctx);
            if (rc)
                return rc;
        }
    return 0;
}

int bt_walk_free(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    if (pol(h)->walk_free)
        return pol(h)->walk_free(h, fn, ctx);
    for (ma_region_t *r = h->regions; r; r = r->next)
        for (unsigned char *b = r->first; b < r->limit; b = nextb(b)) {
            ma_block_t blk = {b, b + MA_WORD, ma_bsize(b), 0, 0};
            int rc;
            if (is_alloc(b))
                continue;
            rc = fn(&blk, ctx);
            if (rc)
                return rc;
        }
    return 0;
}

void bt_check(ma_heap_t *h)
{
    size_t nfree = 0, a = h->align, meta = pol(h)->meta;
    for (ma_region_t *r = h->regions; r; r = r->next) {
        unsigned char *b = r->first;
        MA_ASSERT(r->first < r->limit && r->limit + MA_WORD == r->end);
        MA_ASSERT(prev_alloc(r->first));
        MA_ASSERT(r->top <= 1); /* see BT_FREED_TOP_FLIP */
        while (b < r->limit) {
            size_t size = ma_bsize(b);
            MA_ASSERT(size % a == 0 && size >= min_block(h));
            MA_ASSERT(((uintptr_t)(b + MA_WORD) & (a - 1)) == 0);
            MA_ASSERT(size <= (size_t)(r->limit - b));
            MA_ASSERT((ma_hdr(b) & MA_F_SPECIAL) == 0);
            MA_ASSERT(prev_alloc(b + size) == is_alloc(b));
            if (pol(h)->check_block)
                pol(h)->check_block(h, b);
            if (!is_alloc(b)) {
                nfree++;
                MA_ASSERT(ma_bsize(b + size - MA_WORD) == size);
                MA_ASSERT((h->flags & MA_DEFER_COALESCE) || is_alloc(b + size));
                verify_body(h, b, b, b + meta + MA_POISON_CHECK_MAX);
            }
            b += size;
        }
        MA_ASSERT(b == r->limit && ma_bsize(b) == 0 && is_alloc(b));
    }
    if (pol(h)->check_block)
        pol(h)->check_block(h, NULL);
    if (pol(h)->check)
        MA_ASSERT(pol(h)->check(h) == nfree);
}

/* The lowest block start q at or after b whose payload is aligned to
 * align and whose gap from b is either empty or a whole free block
 * (split_min). */
static unsigned char *aligned_from(const ma_heap_t *h, unsigned char *b, size_t align)
{
    unsigned char *q = (unsigned char *)ma_round((uintptr_t)b + MA_WORD, align) - MA_WORD;
    if (q != b && (size_t)(q - b) < split_min(h))
        q += align;
    return q;
}

/* That start in free block b if a block of asize bytes fits there; NULL if
 * none. */
static unsigned char *aligned_spot(const ma_heap_t *h, unsigned char *b, size_t asize,
                                   size_t align)
{
    unsigned char *q = aligned_from(h, b, align);
    return q + asize <= b + ma_bsize(b) ? q : NULL;
}

void *bt_malloc_aligned(ma_heap_t *h, size_t size, size_t align)
{
    size_t asize = adjust(h, size), sm = split_min(h), most = asize + align + sm;
    MA_ASSERT(align >= sm && (align & (align - 1)) == 0);
    for (;;) {
        unsigned char *b = pol(h)->find(h, asize), *q = b ? aligned_spot(h, b, asize, align) : NULL;
        unsigned char *lf;
        size_t extend = most;
        if (!q) {
            /* the best fit has no aligned spot: a block that surely has,
             * else the heap's top free block (grown below for this) */
            b = pol(h)->find(h, most);
            if (!b)
                b = last_free(h);
            q = b ? aligned_spot(h, b, asize, align) : NULL;
        }
        if (q) {
            size_t bs = ma_bsize(b), prevbit = ma_hdr(b) & MA_F_PREV, rest;
            size_t meta = pol(h)->meta;
            index_remove(h, b);
            /* handed out: [q, q + asize), plus the words the prefix's
             * footer and the suffix's head overwrite */
            verify_body(h, b, q - MA_WORD, q + asize + meta);
            rest = (size_t)(b + bs - (q + asize));
            if (rest < sm) {
                asize += rest;
                rest = 0;
            }
            if (q != b) {
                mark_free(b, (size_t)(q - b), prevbit);
                index_insert(h, b);
                prevbit = 0;
            }
            ma_set_hdr(q, asize | prevbit | MA_F_ALLOC);
            if (rest) {
                mark_free(q + asize, rest, MA_F_PREV);
                index_insert(h, q + asize);
            } else {
                set_prev_bit(q + asize, 1);
            }
            return q + MA_WORD;
        }
        if ((h->flags & MA_DEFER_COALESCE) && coalesce_all(h))
            continue;
        /* grow the heap's end by what the aligned spot after its last
         * free block (or after its end) misses, no more */
        lf = last_free(h);
        if (h->last) {
            unsigned char *q0 = aligned_from(h, lf ? lf : h->last->limit, align);
            extend = (size_t)(q0 + asize - h->last->limit);
            if (extend < min_block(h))
                extend = min_block(h);
        }
        if (ma_grow(h, extend, bt_region_need(h, most)) != 0)
            return NULL;
    }
}
