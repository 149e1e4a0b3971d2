/* SPDX-License-Identifier: MIT */
/*
 * bt.h - the boundary-tag core shared by the implicit-*, explicit-* and
 * segfit designs (CS:APP 9.9; Knuth 2.5, "boundary tags").
 *
 * Block layout (sizes are multiples of the alignment A; the payload is
 * A-aligned because the header sits at A*k - 8):
 *
 *   allocated:  | size|a=1|p | payload ...                              |
 *   free:       | size|a=0|p | next | prev | ...            | size      |
 *                 header       (explicit/segfit links)        footer
 *               ^ block                                     ^ block+size-8
 *
 *   p = "the previous block is allocated": only free blocks need a footer
 *   (the footer elision of CS:APP problem 9.19's hint), so an allocated
 *   block costs 8 bytes.  Implicit designs have no links: a free block is
 *   header + footer, 16 bytes at least; explicit designs need 32.
 *
 * A region holds [first, limit) of blocks and an epilogue header at limit
 * (size 0, allocated), so coalescing never runs off the end; the first
 * block's p bit is set, so it never looks backwards.
 *
 * The policy (struct bt_policy) only decides: which free block fits, and
 * how free blocks are indexed.  This core splits, coalesces and grows.
 */
#ifndef VMLAB_MALLOC_BT_H
#define VMLAB_MALLOC_BT_H

#include "malloc/heap.h"

typedef struct bt_policy {
    size_t meta;  /* bytes of a free block's head the policy uses (8: header
                     only, 24: header and two links) */
    size_t min_block; /* the smallest block, rounded up to the alignment
                         (0: 16 if meta == 8, else 32); a policy that asks
                         for less than meta + 8 indexes such free blocks
                         with links of its own inside [b + 8, b + size - 8) */
    /* Index free block b / take it out of the index; NULL: implicit. */
    void (*insert)(ma_heap_t *h, unsigned char *b);
    void (*remove)(ma_heap_t *h, unsigned char *b);
    /* A free block of size >= asize, or NULL. */
    unsigned char *(*find)(ma_heap_t *h, size_t asize);
    /* Walk the index in list order (NULL: implicit, walk by address). */
    int (*walk_free)(ma_heap_t *h, ma_walk_fn fn, void *ctx);
    /* Verify the index (links, classes, order); return how many blocks it
     * holds (NULL: implicit). */
    size_t (*check)(ma_heap_t *h);
    /* Blocks were merged into the free block [b, b + size): move any
     * pointer the policy keeps into its middle to b.  Optional. */
    void (*merged)(ma_heap_t *h, unsigned char *b, size_t size);
    /* Verify, during bt_check's walk, that block b is where the policy
     * expects; called for every block, then with b == NULL at the end.
     * Optional. */
    void (*check_block)(ma_heap_t *h, const unsigned char *b);
    /* How to place a block of asize bytes: BT_PLACE_HIGH, cut it from the
     * high end of the free block it comes from (else the low end), and
     * BT_GROW_EXACT, grow the heap by exactly what it misses (else by a
     * chunk of grow_min).  Called once per allocation, before find.
     * BT_FREED_TOP_FLIP: if the block is the free block that ends the
     * last region and a free() made it (not growing the heap: see
     * ma_region_t.top below), cut from the other end.
     * Optional: NULL means both for asize >= BT_HIGH (256), neither below
     * (with MA_NO_PLACE_SPLIT every block is cut from the low end). */
    unsigned (*placement)(ma_heap_t *h, size_t asize);
    /* 1: find or insert walks the free blocks one by one (the lists), so
     * every free block kept apart from its neighbour lengthens searches;
     * the preload library then sends a freed block whose predecessor is
     * free to the design instead of its thread cache (preload.c, joins).
     * 0: the index is a tree, where that costs O(log n) at most. */
    unsigned linear;
    /* What realloc may do besides growing in place (bt_relocate), 0 or:
     * BT_REALLOC_ABSORB  a block that cannot grow in place moves down into
     *                    the free block before it, taking the one after
     *                    it too, when the three hold the new size (or the
     *                    block ends the heap, which then grows under it);
     * BT_REALLOC_GAP     a block that must grow the heap under it while no
     *                    free block of grow_min bytes is left anywhere
     *                    moves up by grow_min, leaving that gap below it
     *                    (where the small blocks the program allocates next
     *                    go, instead of above it, where they would stop it
     *                    growing in place). */
    unsigned realloc;
    /* The sweep rule (bt.c, sweep_how): after the free of a block of a run
     * of equal blocks freed in address order, a slightly larger request
     * cut from the hole that free made is cut from the end away from the
     * freed block.  0: off; else the offset of a bt_sweep_t in the design's
     * state (ma_state(h), zeroed by ma_init), never 0. */
    size_t sweep;
} bt_policy_t;

/* What the sweep rule keeps of the frees (bt.c, sweep_how). */
typedef struct bt_sweep {
    unsigned char *last; /* the block the last free() freed */
    size_t size;         /* its size */
    unsigned char *prev; /* the block the free() before freed */
    size_t prevsize;     /* its size */
    unsigned pending;    /* 1: no request since the last free() */
} bt_sweep_t;

enum { BT_PLACE_HIGH = 1, BT_GROW_EXACT = 2, BT_FREED_TOP_FLIP = 4 };
enum { BT_REALLOC_ABSORB = 1, BT_REALLOC_GAP = 2 };

/* Boundary-tag designs keep in ma_region_t.top whether the free block that
 * ends the region (if any) was last made by a free (1) or by growing the
 * region (0): what BT_FREED_TOP_FLIP asks. */

/* Free-list links of a free block (explicit designs). */
#define BT_NEXT(b) (*(unsigned char **)((b) + 8))
#define BT_PREV(b) (*(unsigned char **)((b) + 16))

/* The boundary-tag design functions (see ma_design_t). */
void bt_region_added(ma_heap_t *h, ma_region_t *r, unsigned char *old);
size_t bt_region_need(const ma_heap_t *h, size_t size);
void *bt_malloc(ma_heap_t *h, size_t size);
void bt_free(ma_heap_t *h, void *p);
int bt_resize(ma_heap_t *h, void *p, size_t size);
/* Shrink allocated block p in place to size bytes (at most its usable
 * size), its tail freed when that makes a whole block.  For a design's own
 * use (hybrid's slab trim), not a request of the program's: the sweep
 * rule's record of the last frees is left as it is. */
void bt_shrink(ma_heap_t *h, void *p, size_t size);
void *bt_relocate(ma_heap_t *h, void *p, size_t size);
size_t bt_usable(const ma_heap_t *h, const void *p);
int bt_validate(ma_heap_t *h, const void *p);
int bt_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx);
int bt_walk_free(ma_heap_t *h, ma_walk_fn fn, void *ctx);
void bt_check(ma_heap_t *h);
/* Allocate a block of size bytes whose payload is aligned to align (a
 * power of two >= 32), cut from a free block without waste: what comes
 * before it stays a free block.  The payload, or NULL (as bt_malloc). */
void *bt_malloc_aligned(ma_heap_t *h, size_t size, size_t align);

/* Implicit policies' helper: the first block of the heap, and the next
 * block after b in heap order (crossing regions); NULL at the end. */
unsigned char *bt_first(const ma_heap_t *h);
unsigned char *bt_next(const ma_heap_t *h, unsigned char *b);

#define BT_DESIGN(NAME, SUMMARY, POLICY) BT_DESIGN_STATE(NAME, SUMMARY, POLICY, 0)
/* A design whose policy keeps state (ma_state(h)) of STATE bytes. */
#define BT_DESIGN_STATE(NAME, SUMMARY, POLICY, STATE)                         \
    {                                                                         \
        .name = NAME, .summary = SUMMARY, .bt = POLICY, .state_size = STATE,  \
        .region_added = bt_region_added, .region_need = bt_region_need,       \
        .malloc = bt_malloc, .free = bt_free, .resize = bt_resize,            \
        .relocate = bt_relocate, .usable = bt_usable,                         \
        .validate = bt_validate, .walk = bt_walk, .walk_free = bt_walk_free,  \
        .check = bt_check,                                                    \
    }

#endif
