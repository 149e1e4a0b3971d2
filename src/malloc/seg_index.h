/* SPDX-License-Identifier: MIT */
/*
 * seg_index.h - the segregated free-block index of the segfit and adaptive
 * designs: 160 size classes (exact 16-byte classes below 512 bytes, then
 * eight per power of two, as TLSF's two levels, Masmano et al. 2004), each
 * ordered by size so that the first fitting block of a class is the best
 * fit in it, and a bitmap of the non-empty classes.
 *
 * The bt_policy_t operations of both designs (insert, remove, find, walk,
 * check) live here; a design's state starts with seg_state_t.
 */
#ifndef VMLAB_MALLOC_SEG_INDEX_H
#define VMLAB_MALLOC_SEG_INDEX_H

#include "malloc/free_list.h"

#define SEG_CLASSES 160
#define SEG_SMALL 32 /* classes below this hold sizes [16c, 16c + 16) */

typedef struct seg_state {
    ma_lists_t l; /* class heads (small: lists; large: tree roots), bitmap */
    /* small class c: the last block of the class's smaller size (16c), where
     * blocks of size 16c + 8 start (align 8); NULL if it has none */
    unsigned char *last_small[SEG_SMALL];
} seg_state_t;

unsigned seg_class(size_t size);
void seg_insert(ma_heap_t *h, unsigned char *b);
void seg_remove(ma_heap_t *h, unsigned char *b);
unsigned char *seg_find(ma_heap_t *h, size_t asize);
int seg_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx);
size_t seg_check(ma_heap_t *h);

#endif
