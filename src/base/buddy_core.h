/* SPDX-License-Identifier: MIT */
/*
 * buddy_core.h - the binary buddy algorithm (Knowlton 1965; Knuth TAOCP
 * vol. 1, 2.5, Algorithms R and S) once, for every allocator built on it:
 * the page-frame allocator of src/kmem (state out of band, one control byte
 * per frame as SQLite's mem5 keeps, links in u32 arrays) and the malloc
 * buddy design of src/malloc (header word and links inside the blocks).
 * The algorithm is here; where a block's state and links live is the
 * includer's, reached through small accessors.
 *
 * A block is named by a reference (VL_BUDDY_REF): a unit index or a byte
 * address, anything with `ref + units` and `ref - ref` arithmetic.  An arena
 * is [base, base + limit) in those units; a block of order k is 2^k units
 * at an offset from base that is a multiple of 2^k; its buddy is at
 * offset ^ 2^k (the kernel's pfn ^ (1 << order)).
 *
 *   take(k):       pop the head of the smallest non-empty list j >= k and
 *                  split: keep the lower half, push the upper one on list
 *                  j-1, down to order k (mm/page_alloc.c expand()).
 *   release(o, k): while the buddy is a free block of order k inside the
 *                  arena, unlink it and merge (the lower offset heads the
 *                  result); push the result (__free_one_page).
 *
 * Lists are doubly linked with VL_BUDDY_NIL ends; pushes go to the head.
 *
 * Use: define these, then #include "base/buddy_core.h" (once per file):
 *   VL_BUDDY_CTX          the allocator (a pointer type), `c` below
 *   VL_BUDDY_REF          a block reference, VL_BUDDY_NIL none
 *   VL_BUDDY_ASSERT(x)    the checker's abort (malloc's may not use stdio)
 *   REF  vlb_head(c, k)            void vlb_set_head(c, k, REF)
 *   REF  vlb_next(c, r), vlb_prev  void vlb_set_next(c, r, REF), vlb_set_prev
 *   void vlb_mark_free(c, r, k)    control state: r heads a free block of order k
 *   void vlb_mark_used(c, r, k)    r heads an allocated block of order k
 *   void vlb_mark_inner(c, r)      r was a head and is now inside a block
 *   int  vlb_is_free(c, r, k)      r heads a free block of order k
 *   void vlb_count(c, k, delta)    list k grew (+1) or shrank (-1)
 *   void vlb_unlinking(c, k, r, next, prev)   before r leaves list k (debug
 *                                  link checks; may abort)
 *   void vlb_taken(c, r, k)        r of order k was unlinked to be handed out
 *   void vlb_splitting(c, r, upper, j)  upper (order j) is split off r, not yet
 *                                  marked
 *   void vlb_listed(c, r, k)       the checker met r on list k
 * The accessors are static inline in the includer: every call folds into the
 * algorithm, so both allocators run the code they ran before (BENCHMARKS.md).
 */
#ifndef VMLAB_BASE_BUDDY_CORE_H
#define VMLAB_BASE_BUDDY_CORE_H

#include <stddef.h>

/* The smallest k with 2^k >= n (n >= 1). */
static inline unsigned vl_buddy_order_ceil(size_t n)
{
    return n <= 1 ? 0 : 64u - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
}

/* The largest order k < max of a block that starts at offset `start` (a
 * multiple of 2^k) and ends by `end` (> start): how a range is cut into
 * aligned blocks (memblock_free_all, a grown arena's gap). */
static inline unsigned vl_buddy_range_order(size_t start, size_t end, unsigned max)
{
    unsigned k = start ? (unsigned)__builtin_ctzll((unsigned long long)start) : max - 1;
    if (k > max - 1)
        k = max - 1;
    while (start + ((size_t)1 << k) > end)
        k--;
    return k;
}

#endif /* VMLAB_BASE_BUDDY_CORE_H */

/* The algorithm, instantiated for the includer's accessors. */
#if defined(VL_BUDDY_CTX) && !defined(VL_BUDDY_CORE_INSTANTIATED)
#define VL_BUDDY_CORE_INSTANTIATED

typedef VL_BUDDY_REF vl_buddy_ref_t; /* one name for the reference type */

/* Push r, a block of order k on no list, at the head of list k, marked free. */
static inline void vl_buddy_push(VL_BUDDY_CTX c, unsigned k, vl_buddy_ref_t r)
{
    vl_buddy_ref_t h = vlb_head(c, k);
    vlb_set_prev(c, r, VL_BUDDY_NIL);
    vlb_set_next(c, r, h);
    if (h != VL_BUDDY_NIL)
        vlb_set_prev(c, h, r);
    vlb_set_head(c, k, r);
    vlb_mark_free(c, r, k);
    vlb_count(c, k, 1);
}

/* Take r off list k (its control state is the caller's to rewrite). */
static inline void vl_buddy_unlink(VL_BUDDY_CTX c, unsigned k, vl_buddy_ref_t r)
{
    vl_buddy_ref_t n = vlb_next(c, r), p = vlb_prev(c, r);
    vlb_unlinking(c, k, r, n, p);
    if (n != VL_BUDDY_NIL)
        vlb_set_prev(c, n, p);
    if (p != VL_BUDDY_NIL)
        vlb_set_next(c, p, n);
    else
        vlb_set_head(c, k, n);
    vlb_count(c, k, -1);
}

/* A block of order k (marked used), split from the smallest free block of
 * order k..max-1; VL_BUDDY_NIL if there is none. */
static inline vl_buddy_ref_t vl_buddy_take(VL_BUDDY_CTX c, unsigned k, unsigned max)
{
    unsigned j = k;
    vl_buddy_ref_t r;
    while (j < max && vlb_head(c, j) == VL_BUDDY_NIL)
        j++;
    if (j >= max)
        return VL_BUDDY_NIL;
    r = vlb_head(c, j);
    vl_buddy_unlink(c, j, r);
    vlb_taken(c, r, k);
    while (j > k) {
        vl_buddy_ref_t upper;
        j--;
        upper = (vl_buddy_ref_t)(r + ((size_t)1 << j));
        vlb_splitting(c, r, upper, j);
        vl_buddy_push(c, j, upper);
    }
    vlb_mark_used(c, r, k);
    return r;
}

/* Free the block of order k at offset `off` of the arena [base, base +
 * limit), which is on no list: merge with free buddies up to order max-1,
 * push the result.  Returns its head. */
static inline vl_buddy_ref_t vl_buddy_release(VL_BUDDY_CTX c, vl_buddy_ref_t base, size_t limit, size_t off,
                                            unsigned k, unsigned max)
{
    while (k + 1 < max) {
        size_t bo = off ^ ((size_t)1 << k);
        vl_buddy_ref_t b = (vl_buddy_ref_t)(base + bo);
        /* inside the arena the buddy's offset is a block's head (the
         * blocks tile it, each aligned to its size), so its state is
         * readable, and a free head of order k lies wholly inside */
        if (bo >= limit || !vlb_is_free(c, b, k))
            break;
        vl_buddy_unlink(c, k, b);
        vlb_mark_inner(c, (vl_buddy_ref_t)(base + (off > bo ? off : bo)));
        off &= ~((size_t)1 << k);
        k++;
    }
    vl_buddy_push(c, k, (vl_buddy_ref_t)(base + off));
    return (vl_buddy_ref_t)(base + off);
}

/* Walk list k: every block on it is a free head of order k whose prev link
 * names its predecessor (vlb_listed checks the includer's part); at most
 * `bound` blocks.  Returns the list's length. */
static inline size_t vl_buddy_check_list(VL_BUDDY_CTX c, unsigned k, size_t bound)
{
    size_t len = 0;
    vl_buddy_ref_t prev = VL_BUDDY_NIL;
    for (vl_buddy_ref_t x = vlb_head(c, k); x != VL_BUDDY_NIL; prev = x, x = vlb_next(c, x)) {
        vlb_listed(c, x, k);
        VL_BUDDY_ASSERT(vlb_is_free(c, x, k) && vlb_prev(c, x) == prev);
        VL_BUDDY_ASSERT(++len <= bound);
    }
    return len;
}

#endif /* VL_BUDDY_CTX */
