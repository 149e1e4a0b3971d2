/* SPDX-License-Identifier: MIT */
/*
 * buddy.c - the binary buddy system (Knowlton 1965; Knuth TAOCP vol. 1,
 * 2.5, Algorithms R and S).
 *
 * Blocks are 2^k bytes (k >= 5), header included, at offsets from the
 * region's first byte that are multiples of 2^k; the buddy of the block at
 * offset o is at o ^ 2^k.  A free block whose buddy is free and whole (the
 * same size) merges with it, immediately; a request takes the smallest free
 * block of at least its size and splits it in halves down to its size.
 * Lists per order are doubly linked (links in the free blocks), so a buddy
 * is unlinked in O(1).
 *
 * The heap is an arena that grows (sbrk) instead of one preallocated 2^K
 * pool: the region's blocks cover [first, first + top); a request that no
 * free block serves is carved at top rounded up to its size, and the gap
 * below it is cut into the largest aligned blocks, which are freed.
 *
 *   block:  | 2^k|a | next | prev | ... |     (links only while free)
 *
 * Invariants (bd_check): blocks tile [first, first + top) of each region;
 * size(b) == 2^k, k >= 5, (b - first) % 2^k == 0; a free block is on list
 * k and its buddy, if inside top, is not a free block of size 2^k
 * (immediate merging); the lists hold exactly the free blocks; with
 * MA_POISON a free block's bytes [b + 24, b + 2^k) are 0xdd.
 */
#include "malloc/heap.h"

#include "base/buddy_core.h"

#define BD_MIN 5
#define BD_MAX 47
#define BD_NEXT(b) (*(unsigned char **)((b) + 8))
#define BD_PREV(b) (*(unsigned char **)((b) + 16))

/* The shared algorithm's accessors (base/buddy_core.h): a block is its
 * address, its control state the header word (2^k free, 2^k | MA_F_ALLOC
 * allocated), its links inside it; the debug hooks poison and verify. */
#define VL_BUDDY_CTX ma_heap_t *
#define VL_BUDDY_REF unsigned char *
#define VL_BUDDY_NIL NULL
#define VL_BUDDY_ASSERT MA_ASSERT
static inline unsigned char *vlb_head(ma_heap_t *h, unsigned k) { return ma_lists(h)->lists[k]; }
static inline void vlb_set_head(ma_heap_t *h, unsigned k, unsigned char *b) { ma_lists(h)->lists[k] = b; }
static inline unsigned char *vlb_next(ma_heap_t *h, unsigned char *b) { return (void)h, BD_NEXT(b); }
static inline unsigned char *vlb_prev(ma_heap_t *h, unsigned char *b) { return (void)h, BD_PREV(b); }
static inline void vlb_set_next(ma_heap_t *h, unsigned char *b, unsigned char *x) { (void)h, BD_NEXT(b) = x; }
static inline void vlb_set_prev(ma_heap_t *h, unsigned char *b, unsigned char *x) { (void)h, BD_PREV(b) = x; }
static inline void vlb_mark_free(ma_heap_t *h, unsigned char *b, unsigned k) { (void)h, ma_set_hdr(b, (size_t)1 << k); }
static inline void vlb_mark_used(ma_heap_t *h, unsigned char *b, unsigned k)
{
    (void)h, ma_set_hdr(b, ((size_t)1 << k) | MA_F_ALLOC);
}
/* a merged upper buddy's head (header and links) becomes interior: poison
 * it, never the whole merged block, whose other bytes are poisoned (issue 10) */
static inline void vlb_mark_inner(ma_heap_t *h, unsigned char *b) { ma_poison(h, b, 24); }
static inline int vlb_is_free(ma_heap_t *h, unsigned char *b, unsigned k)
{
    return (void)h, ma_hdr(b) == ((size_t)1 << k);
}
static inline void vlb_count(ma_heap_t *h, unsigned k, int delta) { (void)h, (void)k, (void)delta; }
static inline void vlb_unlinking(ma_heap_t *h, unsigned k, unsigned char *b, unsigned char *n, unsigned char *p)
{
    if (__builtin_expect(h->flags & (MA_POISON | MA_CANARY), 0)) {
        /* a write after free into b's first bytes: reported, not followed */
        ma_link_check(h, b, n);
        ma_link_check(h, b, p);
        if ((n && BD_PREV(n) != b) || (p ? BD_NEXT(p) != b : ma_lists(h)->lists[k] != b))
            ma_link_bad(b);
    }
}
/* verify what is handed out, [b + 24, b + 2^k), and the head of each upper
 * half split off (it stays free and poisoned) */
static inline void vlb_taken(ma_heap_t *h, unsigned char *b, unsigned k)
{
    ma_poison_verify(h, b, b + 24, ((size_t)1 << k) - 24);
}
static inline void vlb_splitting(ma_heap_t *h, unsigned char *b, unsigned char *upper, unsigned j)
{
    (void)j;
    ma_poison_verify(h, b, upper, 24);
}
static int bd_validate(ma_heap_t *h, const void *p);
static inline void vlb_listed(ma_heap_t *h, unsigned char *b, unsigned k)
{
    MA_ASSERT(k >= BD_MIN && k < BD_MAX && bd_validate(h, b + MA_WORD) == MA_NOT_ALLOC);
}
#include "base/buddy_core.h"

static unsigned order_of(size_t need)
{
    unsigned k = vl_buddy_order_ceil(need);
    return k < BD_MIN ? BD_MIN : k;
}

/* Free the block at offset o of order k in r, merging with free buddies. */
static void release(ma_heap_t *h, ma_region_t *r, size_t o, unsigned k)
{
    /* Poison what is handed back; the merges poison each upper buddy's head. */
    ma_poison(h, r->first + o + 24, ((size_t)1 << k) - 24);
    vl_buddy_release(h, r->first, r->top, o, k, BD_MAX);
}

static void bd_region_added(ma_heap_t *h, ma_region_t *r, unsigned char *old)
{
    if (!old) {
        r->first = (unsigned char *)r + MA_REGION_HDR + (h->align == 16 ? 8 : 0);
        r->top = 0;
    }
    r->limit = r->end;
}

static size_t bd_region_need(const ma_heap_t *h, size_t size)
{
    return MA_REGION_HDR + 16 + ((size_t)1 << order_of(size + MA_WORD));
}

static void *bd_malloc(ma_heap_t *h, size_t size)
{
    unsigned k = order_of(size + MA_WORD);
    size_t bsz = (size_t)1 << k;
    unsigned char *b;

    if (k >= BD_MAX)
        return NULL;
    for (;;) {
        ma_region_t *r = h->last;
        size_t o, gap;
        b = vl_buddy_take(h, k, BD_MAX);
        if (b)
            break;
        o = r ? ma_round(r->top, bsz) : 0;
        if (!r || o + bsz > (size_t)(r->limit - r->first)) {
            size_t extend = r ? o + bsz - (size_t)(r->limit - r->first) : bsz;
            if (ma_grow(h, extend, bd_region_need(h, size)) != 0)
                return NULL;
            continue;
        }
        /* carve [o, o + bsz); cut the gap [top, o) into aligned blocks */
        gap = r->top;
        r->top = o + bsz;
        for (size_t g = gap; g < o;) {
            unsigned j = vl_buddy_range_order(g, o, BD_MAX);
            ma_set_hdr(r->first + g, ((size_t)1 << j) | MA_F_ALLOC);
            g += (size_t)1 << j;
        }
        ma_set_hdr(r->first + o, bsz | MA_F_ALLOC);
        for (size_t g = gap; g < o;) {
            size_t gs = ma_bsize(r->first + g);
            release(h, r, g, (unsigned)__builtin_ctzll((unsigned long long)gs));
            g += gs;
        }
        b = r->first + o;
        break;
    }
    ma_set_hdr(b, bsz | MA_F_ALLOC);
    return b + MA_WORD;
}

static void bd_free(ma_heap_t *h, void *p)
{
    unsigned char *b = (unsigned char *)p - MA_WORD;
    ma_region_t *r = ma_region_of(h, b);
    size_t bs = ma_bsize(b);
    release(h, r, (size_t)(b - r->first), (unsigned)__builtin_ctzll((unsigned long long)bs));
}

static int bd_resize(ma_heap_t *h, void *p, size_t size)
{
    unsigned char *b = (unsigned char *)p - MA_WORD;
    ma_region_t *r = ma_region_of(h, b);
    size_t o = (size_t)(b - r->first), need = size + MA_WORD;
    unsigned k = (unsigned)__builtin_ctzll((unsigned long long)ma_bsize(b)), want = order_of(need), j;

    if (want >= BD_MAX)
        return 0;
    if (want <= k) {
        /* shrink: free upper halves (their buddy, this block, is in use) */
        for (; k > want; k--) {
            unsigned char *upper = b + ((size_t)1 << (k - 1));
            ma_poison(h, upper + 24, ((size_t)1 << (k - 1)) - 24);
            vl_buddy_push(h, k - 1, upper);
        }
        ma_set_hdr(b, ((size_t)1 << want) | MA_F_ALLOC);
        return 1;
    }
    /* grow: possible if every buddy above us up to the wanted order is free and whole */
    for (j = k; j < want; j++) {
        size_t bo = o + ((size_t)1 << j);
        if (o & (((size_t)1 << (j + 1)) - 1))
            return 0;
        if (bo + ((size_t)1 << j) > r->top || ma_hdr(r->first + bo) != ((size_t)1 << j))
            return 0;
    }
    for (j = k; j < want; j++) {
        unsigned char *bb = r->first + o + ((size_t)1 << j);
        vl_buddy_unlink(h, j, bb);
        ma_poison_verify(h, bb, bb + 24, ((size_t)1 << j) - 24);
    }
    ma_set_hdr(b, ((size_t)1 << want) | MA_F_ALLOC);
    return 1;
}

static size_t bd_usable(const ma_heap_t *h, const void *p)
{
    return ma_bsize((const unsigned char *)p - MA_WORD) - MA_WORD;
}

static int bd_validate(ma_heap_t *h, const void *p)
{
    const unsigned char *b = (const unsigned char *)p - MA_WORD;
    ma_region_t *r = ma_region_of(h, b);
    size_t o, bs;
    if (!r || b < r->first || ((uintptr_t)p & (h->align - 1)))
        return MA_BAD_PTR;
    o = (size_t)(b - r->first);
    bs = ma_bsize(b);
    if (o >= r->top || bs < 32 || (bs & (bs - 1)) || (o & (bs - 1)) || o + bs > r->top ||
        (ma_hdr(b) & (MA_F_PREV | MA_F_SPECIAL)))
        return MA_BAD_PTR;
    return (ma_hdr(b) & MA_F_ALLOC) ? MA_OK : MA_NOT_ALLOC;
}

static int bd_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    for (ma_region_t *r = h->regions; r; r = r->next)
        for (size_t o = 0; o < r->top; o += ma_bsize(r->first + o)) {
            unsigned char *b = r->first + o;
            ma_block_t blk = {b, b + MA_WORD, ma_bsize(b), (int)(ma_hdr(b) & MA_F_ALLOC), 0};
            int rc = fn(&blk, ctx);
            if (rc)
                return rc;
        }
    return 0;
}

static int bd_walk_free(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    for (unsigned k = 0; k < BD_MAX; k++)
        for (unsigned char *b = ma_lists(h)->lists[k]; b; b = BD_NEXT(b)) {
            ma_block_t blk = {b, b + MA_WORD, ma_bsize(b), 0, (int)k};
            int rc = fn(&blk, ctx);
            if (rc)
                return rc;
        }
    return 0;
}

static void bd_check(ma_heap_t *h)
{
    size_t nfree = 0, listed = 0;
    for (ma_region_t *r = h->regions; r; r = r->next) {
        size_t o = 0;
        MA_ASSERT(r->limit == r->end && r->top <= (size_t)(r->limit - r->first));
        while (o < r->top) {
            unsigned char *b = r->first + o;
            size_t bs = ma_bsize(b), bo;
            MA_ASSERT(bs >= 32 && (bs & (bs - 1)) == 0 && (o & (bs - 1)) == 0);
            MA_ASSERT(o + bs <= r->top);
            MA_ASSERT((ma_hdr(b) & (MA_F_PREV | MA_F_SPECIAL)) == 0);
            if (!(ma_hdr(b) & MA_F_ALLOC)) {
                nfree++;
                bo = o ^ bs;
                MA_ASSERT(bo + bs > r->top || ma_hdr(r->first + bo) != bs);
                ma_poison_verify(h, b, b + 24, ma_min(bs - 24, MA_POISON_CHECK_MAX));
            }
            o += bs;
        }
        MA_ASSERT(o == r->top);
    }
    for (unsigned k = 0; k < MA_NLISTS; k++) {
        MA_ASSERT((k >= BD_MIN && k < BD_MAX) || !ma_lists(h)->lists[k]);
        if (k >= BD_MIN && k < BD_MAX)
            listed += vl_buddy_check_list(h, k, nfree - listed);
    }
    MA_ASSERT(listed == nfree);
}

const ma_design_t ma_buddy = {
    .name = "buddy",
    .state_size = sizeof(ma_lists_t),
    .summary = "binary buddy system: power-of-two blocks, buddies merge at once",
    .region_added = bd_region_added,
    .region_need = bd_region_need,
    .malloc = bd_malloc,
    .free = bd_free,
    .resize = bd_resize,
    .usable = bd_usable,
    .validate = bd_validate,
    .walk = bd_walk,
    .walk_free = bd_walk_free,
    .check = bd_check,
};
