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
 *
 * State: the index (ma_lists_t, first, so ma_lists() reads it) and the
 * running mean.  Invariants: st_check's, and mean16 == 0 only before the
 * first request.
 */
#include "malloc/seg_tree.h"

typedef struct ad_state {
    ma_lists_t seg;  /* the free-block index (first: ma_lists() reads it) */
    size_t mean16;   /* running mean of block sizes asked for, times 16 */
} ad_state_t;

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

static const bt_policy_t ad_policy = {
    .meta = 24, .insert = st_insert, .remove = st_remove, .find = st_find,
    .walk_free = st_walk, .check = st_check, .placement = ad_placement,
};

_Static_assert(MA_HEAP_HDR + sizeof(ad_state_t) <= MA_HEAP_BYTES, "MA_HEAP_BYTES too small");

const ma_design_t ma_adaptive = BT_DESIGN_STATE(
    "adaptive", "address-ordered segregated best fit (treaps); small/large split at 1.25x "
    "the running mean request; small blocks from the high end of a freed heap top", &ad_policy, sizeof(ad_state_t));
