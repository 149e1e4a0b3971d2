/* SPDX-License-Identifier: MIT */
/*
 * buddy.h - the binary buddy system over a range of units (Knowlton 1965;
 * Knuth TAOCP vol. 1, 2.5, Algorithms R and S), with every block's state out
 * of band: one control byte per unit, as SQLite's mem5 keeps (src/mem5.c),
 * and free lists linked through two u32 arrays indexed by unit.  Nothing is
 * written into the managed memory, which is what a page-frame allocator needs
 * (free frames may be user pages) and what lets a block's state be read
 * without touching it.
 *
 * Units are [0, n); a block of order k is 2^k units at an index that is a
 * multiple of 2^k (the caller keeps unit 0 aligned to 2^(max_order-1)); its
 * buddy is at i ^ 2^k.  The algorithm is base/buddy_core.h's (shared with
 * the malloc buddy design, whose state is in band): allocation takes the
 * head of the smallest non-empty list of order >= k and splits it, keeping the lower half and freeing the
 * upper halves (the kernel's expand()); freeing merges with the buddy while
 * it is a free block of the same order (__free_one_page) and pushes the
 * result at the head of its list.
 *
 *   ctrl[i] = BUDDY_FREE | k   i heads a free block of order k
 *           = BUDDY_USED | k   i heads an allocated block of order k
 *           = 0                i is inside a block headed below it
 *
 * Invariants (buddy_check): the heads tile [0, n) (from 0, each head's block
 * ends where the next head starts, the last ends at n); no free block of
 * order k < max_order-1 has a free buddy of order k (merging is immediate);
 * list k holds exactly the free heads of order k, linked both ways;
 * nr_free[k] is its length; free_units == sum nr_free[k] << k.
 */
#ifndef VMLAB_KMEM_BUDDY_H
#define VMLAB_KMEM_BUDDY_H

#include <stdint.h>

#define BUDDY_ORDERS 16 /* room for orders 0..15 */
#define BUDDY_NIL UINT32_MAX
#define BUDDY_FREE 0x80u
#define BUDDY_USED 0x40u
#define BUDDY_ORDER_MASK 0x1fu

typedef struct buddy {
    uint32_t n;                    /* units managed: [0, n) */
    unsigned max_order;            /* orders 0..max_order-1 */
    uint8_t *ctrl;                 /* n control bytes (see above) */
    uint32_t *next, *prev;         /* free-list links of free heads, BUDDY_NIL ends */
    uint32_t head[BUDDY_ORDERS];   /* first free block of each order, BUDDY_NIL if none */
    uint64_t nr_free[BUDDY_ORDERS]; /* free blocks of each order */
    uint64_t free_units;           /* units in free blocks */
} buddy_t;

/* Set up n units, all allocated (order-0 USED heads): the caller then frees
 * what it owns with buddy_free_range.  0 or -ENOMEM / -EINVAL. */
int buddy_init(buddy_t *b, uint32_t n, unsigned max_order);
void buddy_fini(buddy_t *b);

/* Free [start, end) of order-0 USED units as the largest aligned blocks
 * (memblock_free_all handing memory to the buddy allocator). */
void buddy_free_range(buddy_t *b, uint32_t start, uint32_t end);

/* Unit index of a block of order k, BUDDY_NIL if none is free. */
uint32_t buddy_alloc(buddy_t *b, unsigned k);
/* Free the USED block of order k at i; -EINVAL if i is not one. */
int buddy_free(buddy_t *b, uint32_t i, unsigned k);

/* The order of the USED block headed at i, -1 if i heads none. */
static inline int buddy_used_order(const buddy_t *b, uint32_t i)
{
    return i < b->n && (b->ctrl[i] & BUDDY_USED) ? (int)(b->ctrl[i] & BUDDY_ORDER_MASK) : -1;
}
/* Whether unit i is in a free block (walks back to the head: O(2^max)). */
int buddy_unit_is_free(const buddy_t *b, uint32_t i);

void buddy_check(const buddy_t *b);

#endif
