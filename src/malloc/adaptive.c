/* SPDX-License-Identifier: MIT */
/*
 * adaptive.c - address-ordered segregated best fit with an adaptive
 * small/large split: the design meant to resist fragmentation adversaries.
 *
 * Two ideas, each from the literature, neither tuned to a trace:
 *  - Fit: seg_tree.h's treaps give the smallest fitting block and, among
 *    equal sizes, the lowest address (address-ordered best fit: Wilson et
 *    al. 1995, sec. 4.2; Johnstone and Wilson, ISMM 1998), in O(log n).
 *  - Placement: bt.c cuts "large" blocks from the high end of a free block
 *    and small ones from the low end, so that the two gather at opposite
 *    ends of each chunk and a freed run of large blocks coalesces instead
 *    of leaving holes between small ones.  segfit draws the line at a fixed
 *    256 bytes, which a program whose sizes all sit on one side of it (16
 *    and 112 bytes, say) defeats.  Here the line follows the program: a
 *    request is large when it exceeds 1.25 times the running mean of request
 *    sizes (an exponentially weighted mean, weight 1/16: it forgets in a few
 *    dozen requests, so phases of new sizes move it).  The 25% margin keeps
 *    a run of nearly equal requests on one side, instead of scattering it to
 *    both ends by jitter.  Large blocks grow the heap by exactly what they
 *    miss, small ones by a chunk (grow_min), as in bt.c.
 *  - The top of the heap (issue 18): a small request cut from the free
 *    block that ends the heap takes its low end when that block is fresh
 *    memory (growth), so that the rest stays one extendable run at the top
 *    (Korn and Vo's wilderness preservation, USENIX 1985), but its HIGH end
 *    when a free() made that block: a large block the program gave back at
 *    the top of the heap, whose size it tends to ask for again (Wilson et
 *    al. 1995, sec. 3.2: ramps and plateaus repeat sizes).  Cut from the
 *    low end, the small block would sit between the hole and the blocks
 *    below it; the next large request then extends the hole's shortened
 *    rest at the top, and when the blocks below are freed the two never
 *    merge.  Cut from the high end, the hole's low end stays next to its
 *    lower neighbours and coalesces with them.  (short1-bal: 78.8% with
 *    every boundary-tag design, 98.8% with this rule.)
 *  - Runs freed in order (issue 18): bt.c's sweep rule.  When the program
 *    frees a run of equal blocks one by one, in address order, and after
 *    each free asks for a slightly larger one, the request is cut from the
 *    end of the hole away from the freed block, so that the rest it leaves
 *    merges with the next block freed (gen pairs and regrow: records grown
 *    in turn).
 *
 * State: the index (ma_lists_t, first, so ma_lists() reads it), the
 * running mean and the sweep rule's record of the last two frees.  Invariants: st_check's, and mean16 == 0 only before the
 * first request.
 */
#include "malloc/adaptive.h"
#include "malloc/seg_tree.h"

/* ---- tiny blocks: 24 bytes, alignment 8 ----
 *
 * A 16-byte request needs a 24-byte block (8-byte header); the treaps need
 * 32 (header, two children, footer), so every other boundary-tag design
 * hands out 32 and a program of 16-byte blocks pays 16 bytes of overhead
 * per 16 of payload.  adaptive's min_block is 24: a free 24-byte block is
 * kept on its region's own doubly linked list, its links two 32-bit
 * offsets (in 8-byte units from the region's start; 0: none) between
 * header and footer, the list's head in ma_region_t.aux:
 *
 *     | 24|0|P | next | prev | 24 |        (4-byte next, prev)
 *
 * Offsets reach 32 GiB into a region (checked).  With alignment 16 the
 * smallest block is 32 and no block is tiny.
 */
#define AD_TINY 24u

static inline uint32_t *tiny_links(unsigned char *b) { return (uint32_t *)(void *)(b + MA_WORD); }

static inline unsigned char *tiny_at(ma_region_t *r, uint32_t off)
{
    return off ? (unsigned char *)r + (size_t)off * 8 : NULL;
}

static inline uint32_t tiny_off(ma_region_t *r, const unsigned char *b)
{
    size_t off = (size_t)(b - (unsigned char *)r) / 8;
    MA_ASSERT(off > 0 && off <= UINT32_MAX); /* 32 GiB into the region at most */
    return (uint32_t)off;
}

/* The next block on a tiny list, checked in debug mode like a treap link. */
static inline unsigned char *tiny_follow(const ma_heap_t *h, ma_region_t *r, unsigned char *b,
                                         uint32_t off)
{
    unsigned char *n = tiny_at(r, off);
    ma_link_verify(h, b, n);
    return n;
}

/* The tiny paths stay out of line, so that the common insert and remove
 * are a size test and a jump to the treaps. */
__attribute__((noinline)) static void tiny_insert(ma_heap_t *h, unsigned char *b)
{
    ad_state_t *s = ma_state(h);
    ma_region_t *r = ma_region_of(h, b);
    uint32_t off = tiny_off(r, b), head = (uint32_t)r->aux;
    tiny_links(b)[0] = head;
    tiny_links(b)[1] = 0;
    if (head)
        tiny_links(tiny_at(r, head))[1] = off;
    r->aux = off;
    s->ntiny++;
}

__attribute__((noinline)) static void tiny_remove(ma_heap_t *h, unsigned char *b)
{
    ad_state_t *s = ma_state(h);
    ma_region_t *r = ma_region_of(h, b);
    unsigned char *n = tiny_follow(h, r, b, tiny_links(b)[0]);
    unsigned char *p = tiny_follow(h, r, b, tiny_links(b)[1]);
    if (p)
        tiny_links(p)[0] = tiny_links(b)[0];
    else
        r->aux = tiny_links(b)[0];
    if (n)
        tiny_links(n)[1] = tiny_links(b)[1];
    s->ntiny--;
}

static void ad_insert(ma_heap_t *h, unsigned char *b)
{
    if (__builtin_expect(ma_bsize(b) == AD_TINY, 0))
        tiny_insert(h, b);
    else
        st_insert(h, b);
}

static void ad_remove(ma_heap_t *h, unsigned char *b)
{
    if (__builtin_expect(ma_bsize(b) == AD_TINY, 0))
        tiny_remove(h, b);
    else
        st_remove(h, b);
}

static unsigned char *ad_find(ma_heap_t *h, size_t asize)
{
    ad_state_t *s = ma_state(h);
    if (asize <= AD_TINY && s->ntiny)
        for (ma_region_t *r = h->regions; r; r = r->next)
            if (r->aux)
                return tiny_at(r, (uint32_t)r->aux);
    return st_find(h, asize);
}

static int ad_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    int rc = st_walk(h, fn, ctx);
    for (ma_region_t *r = h->regions; r && !rc; r = r->next)
        for (unsigned char *b = tiny_at(r, (uint32_t)r->aux); b && !rc;
             b = tiny_at(r, tiny_links(b)[0])) {
            ma_block_t blk = {b, b + MA_WORD, AD_TINY, 0, 1};
            rc = fn(&blk, ctx);
        }
    return rc;
}

/* st_check's, and: every tiny list links free 24-byte blocks of its
 * region, prev(next(b)) == b, and the lists hold ntiny blocks. */
static size_t ad_check(ma_heap_t *h)
{
    ad_state_t *s = ma_state(h);
    size_t n = 0;
    for (ma_region_t *r = h->regions; r; r = r->next) {
        uint32_t prev = 0;
        MA_ASSERT(r->aux <= UINT32_MAX);
        for (unsigned char *b = tiny_at(r, (uint32_t)r->aux); b; b = tiny_at(r, tiny_links(b)[0])) {
            MA_ASSERT(b >= r->first && b + AD_TINY <= r->limit);
            MA_ASSERT(!(ma_hdr(b) & MA_F_ALLOC) && ma_bsize(b) == AD_TINY);
            MA_ASSERT(tiny_links(b)[1] == prev);
            MA_ASSERT(n++ < s->ntiny);
            prev = tiny_off(r, b);
        }
    }
    MA_ASSERT(n == s->ntiny);
    return st_check(h) + n;
}

static unsigned ad_placement(ma_heap_t *h, size_t asize)
{
    ad_state_t *s = ma_state(h);
    size_t a16 = asize << 4; /* asize <= MA_SIZE_MAX (2^46): no overflow */
    int large;
    if (s->mean16 == 0)
        s->mean16 = a16;
    large = a16 * 4 > s->mean16 * 5;
    s->mean16 = s->mean16 - s->mean16 / 16 + a16 / 16;
    return large ? BT_PLACE_HIGH | BT_GROW_EXACT : BT_FREED_TOP_FLIP;
}

const bt_policy_t ad_policy = {
    .meta = 24, .min_block = AD_TINY, .insert = ad_insert, .remove = ad_remove,
    .find = ad_find, .walk_free = ad_walk, .check = ad_check, .placement = ad_placement,
    .realloc = BT_REALLOC_ABSORB | BT_REALLOC_GAP, .sweep = offsetof(ad_state_t, sweep),
};

_Static_assert(MA_HEAP_HDR + sizeof(ad_state_t) <= MA_HEAP_BYTES, "MA_HEAP_BYTES too small");

const ma_design_t ma_adaptive = BT_DESIGN_STATE(
    "adaptive", "address-ordered segregated best fit (treaps); small/large split at 1.25x "
    "the running mean request; small blocks from the high end of a freed heap top", &ad_policy, sizeof(ad_state_t));
