/* SPDX-License-Identifier: MIT */
/*
 * seg_tree.h - the segregated free-block index of the segfit and adaptive
 * designs, O(log n) per operation: 160 size classes (exact 16-byte classes
 * below 512 bytes, then eight per power of two, as TLSF's two levels,
 * Masmano et al. 2004) and a bitmap of the non-empty ones; each class a treap (Seidel and Aragon,
 * "Randomized search trees", Algorithmica 1996) of its free blocks keyed
 * by (size, address), so that a search returns the smallest fitting block
 * of the class and, among equal sizes, the lowest address: address-ordered
 * best fit, which Wilson et al. (1995, sec. 4.2) and Johnstone and Wilson
 * ("The memory fragmentation problem: solved?", ISMM 1998) measured among
 * the least fragmenting policies.
 *
 * A node is the free block itself: left child at b + 8, right child at
 * b + 16 (where the list designs keep their links, so meta stays 24 and a
 * 32-byte block is enough).  The priority is a hash of the address: no
 * word to store, the same tree for the same set of blocks.
 *
 * Invariants (st_check), for every class c and node b of its tree:
 *   seg_class(size(b)) == c, b is free;
 *   every key in left(b) < key(b) < every key in right(b);
 *   prio(b) >= prio(left(b)), prio(right(b));
 *   bitmap bit c == (root(c) != NULL).
 * Expected depth O(log n), so insert, remove and find are O(log n).  (The
 * sorted lists segfit had before made each insertion walk its class: perl
 * building a large hash spent 65% of its time there, issue 10.)
 */
#ifndef VMLAB_MALLOC_SEG_TREE_H
#define VMLAB_MALLOC_SEG_TREE_H

#include "malloc/free_list.h"

#define SEG_CLASSES 160

/* The class of a block of `size` bytes (classes are ranges of sizes: a
 * block of the next non-empty class above a request's fits it). */
unsigned seg_class(size_t size);
/* The bt_policy_t operations (the state is ma_lists_t: lists[c] is class
 * c's root). */
void st_insert(ma_heap_t *h, unsigned char *b);
void st_remove(ma_heap_t *h, unsigned char *b);
unsigned char *st_find(ma_heap_t *h, size_t asize);
int st_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx);
size_t st_check(ma_heap_t *h);

#endif
