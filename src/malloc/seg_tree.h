/* SPDX-License-Identifier: MIT */
/*
 * seg_tree.h - a segregated free-block index with O(log n) operations:
 * seg_index.h's 160 size classes, each a treap (Seidel and Aragon,
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
 * Expected depth O(log n), so insert, remove and find are O(log n).
 */
#ifndef VMLAB_MALLOC_SEG_TREE_H
#define VMLAB_MALLOC_SEG_TREE_H

#include "malloc/seg_index.h"

void st_insert(ma_heap_t *h, unsigned char *b);
void st_remove(ma_heap_t *h, unsigned char *b);
unsigned char *st_find(ma_heap_t *h, size_t asize);
int st_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx);
size_t st_check(ma_heap_t *h);

#endif
