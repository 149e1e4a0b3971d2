/* SPDX-License-Identifier: MIT */
/*
 * seg_tree.c - treaps of free blocks per size class (see seg_tree.h).
 *
 * Insertion descends while the nodes outrank the new block, then splits
 * the subtree there around the new key; removal finds the link that points
 * at the block and replaces it with the merge of the block's children
 * (Seidel and Aragon's split/merge formulation, iterative: no recursion
 * inside malloc).  Following a child in debug mode verifies it first
 * (ma_link_verify), so a write after free into a node's first bytes is
 * reported, not followed.
 */
#include "malloc/seg_tree.h"

unsigned seg_class(size_t size)
{
    unsigned fl, c;
    if (size < 512)
        return (unsigned)(size >> 4);
    fl = 63u - (unsigned)__builtin_clzll((unsigned long long)size);
    c = 32 + (fl - 9) * 8 + (unsigned)((size >> (fl - 3)) & 7);
    return c < SEG_CLASSES ? c : SEG_CLASSES - 1;
}

#define ST_L(b) BT_NEXT(b)
#define ST_R(b) BT_PREV(b)

static inline uint64_t prio(const unsigned char *b)
{
    uint64_t x = (uint64_t)(uintptr_t)b;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* key(a) < key(b): by size, then by address */
static inline int key_lt(const unsigned char *a, size_t as, const unsigned char *b)
{
    size_t bs = ma_bsize(b);
    return as < bs || (as == bs && a < b);
}

static inline unsigned char *child(const ma_heap_t *h, unsigned char *b, unsigned char *c)
{
    ma_link_verify(h, b, c);
    return c;
}

static inline unsigned char **root(ma_heap_t *h, unsigned c)
{
    return (unsigned char **)&ma_lists(h)->lists[c];
}

static inline void set_bit(ma_heap_t *h, unsigned c)
{
    uint64_t *w = &ma_lists(h)->bitmap[c / 64], m = 1ull << (c % 64);
    if (*root(h, c))
        *w |= m;
    else
        *w &= ~m;
}

void st_insert(ma_heap_t *h, unsigned char *b)
{
    size_t bs = ma_bsize(b);
    unsigned c = seg_class(bs);
    uint64_t pb = prio(b);
    unsigned char **link = root(h, c), *t, **l, **r;

    while ((t = *link) && prio(t) > pb) {
        link = key_lt(b, bs, t) ? &ST_L(t) : &ST_R(t);
        child(h, t, *link);
    }
    /* split t around b: keys below go to b's left, above to its right */
    l = &ST_L(b);
    r = &ST_R(b);
    while (t) {
        unsigned char *next;
        if (key_lt(b, bs, t)) {
            *r = t;
            r = &ST_L(t);
            next = ST_L(t);
        } else {
            *l = t;
            l = &ST_R(t);
            next = ST_R(t);
        }
        t = child(h, t, next);
    }
    *l = *r = NULL;
    *link = b;
    set_bit(h, c);
}

void st_remove(ma_heap_t *h, unsigned char *b)
{
    size_t bs = ma_bsize(b);
    unsigned c = seg_class(bs);
    unsigned char **link = root(h, c), *a, *z;

    while (*link != b) {
        MA_ASSERT(*link); /* b must be in its class's tree */
        link = key_lt(b, bs, *link) ? &ST_L(*link) : &ST_R(*link);
        child(h, b, *link);
    }
    /* merge b's subtrees (every key of a below every key of z) */
    a = child(h, b, ST_L(b));
    z = child(h, b, ST_R(b));
    while (a && z) {
        if (prio(a) > prio(z)) {
            *link = a;
            link = &ST_R(a);
            a = child(h, a, *link);
        } else {
            *link = z;
            link = &ST_L(z);
            z = child(h, z, *link);
        }
    }
    *link = a ? a : z;
    set_bit(h, c);
}

/* The smallest node of tree t. */
static unsigned char *leftmost(ma_heap_t *h, unsigned char *t)
{
    unsigned char *l;
    while ((l = child(h, t, ST_L(t))))
        t = l;
    return t;
}

unsigned char *st_find(ma_heap_t *h, size_t asize)
{
    unsigned c = seg_class(asize), w;
    unsigned char *t = *root(h, c), *best = NULL;
    uint64_t bits;
    while (t) {
        if (ma_bsize(t) >= asize) {
            best = t;
            t = child(h, t, ST_L(t));
        } else {
            t = child(h, t, ST_R(t));
        }
    }
    if (best)
        return best;
    if (++c >= SEG_CLASSES)
        return NULL;
    /* the next non-empty class: its smallest block fits */
    w = c / 64;
    bits = ma_lists(h)->bitmap[w] & (~0ull << (c % 64));
    while (!bits) {
        if (++w == (SEG_CLASSES + 63) / 64)
            return NULL;
        bits = ma_lists(h)->bitmap[w];
    }
    return leftmost(h, *root(h, w * 64 + (unsigned)__builtin_ctzll(bits)));
}

/* In-order walk of t (depth O(log n) expected: recursion is bounded in
 * practice, and walks run outside the hot path). */
static int walk_tree(unsigned char *t, unsigned c, ma_walk_fn fn, void *ctx)
{
    while (t) {
        ma_block_t blk;
        int rc = walk_tree(ST_L(t), c, fn, ctx);
        if (rc)
            return rc;
        blk = (ma_block_t){t, t + MA_WORD, ma_bsize(t), 0, (int)c};
        if ((rc = fn(&blk, ctx)) != 0)
            return rc;
        t = ST_R(t);
    }
    return 0;
}

int st_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    for (unsigned c = 0; c < SEG_CLASSES; c++) {
        int rc = walk_tree(*root(h, c), c, fn, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

/* Verify the subtree t whose keys lie strictly between lo and hi (NULL: no
 * bound) and whose priorities are at most pmax; returns its node count. */
static size_t check_tree(ma_heap_t *h, unsigned c, unsigned char *t, unsigned char *lo,
                         unsigned char *hi, uint64_t pmax, unsigned depth)
{
    size_t n = 0;
    while (t) {
        MA_ASSERT(depth++ < 4096); /* no cycle */
        MA_ASSERT(ma_region_of(h, t) != NULL);
        MA_ASSERT(!(ma_hdr(t) & MA_F_ALLOC));
        MA_ASSERT(seg_class(ma_bsize(t)) == c);
        MA_ASSERT(prio(t) <= pmax);
        MA_ASSERT(!lo || key_lt(lo, ma_bsize(lo), t));
        MA_ASSERT(!hi || key_lt(t, ma_bsize(t), hi));
        n += 1 + check_tree(h, c, ST_L(t), lo, t, prio(t), depth);
        lo = t;
        pmax = prio(t);
        t = ST_R(t);
    }
    return n;
}

size_t st_check(ma_heap_t *h)
{
    size_t n = 0;
    for (unsigned c = 0; c < MA_NLISTS; c++) {
        int bit = (ma_lists(h)->bitmap[c / 64] >> (c % 64)) & 1;
        MA_ASSERT(bit == (ma_lists(h)->lists[c] != NULL));
        MA_ASSERT(c < SEG_CLASSES || ma_lists(h)->lists[c] == NULL);
        n += check_tree(h, c, *root(h, c), NULL, NULL, UINT64_MAX, 0);
        MA_ASSERT(n <= h->heap_bytes / 16);
    }
    return n;
}
