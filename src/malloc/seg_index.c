/* SPDX-License-Identifier: MIT */
/*
 * seg_index.c - the segregated free-block index (see seg_index.h).
 */
#include "malloc/seg_index.h"

unsigned seg_class(size_t size)
{
    unsigned fl, c;
    if (size < 512)
        return (unsigned)(size >> 4);
    fl = 63u - (unsigned)__builtin_clzll((unsigned long long)size);
    c = 32 + (fl - 9) * 8 + (unsigned)((size >> (fl - 3)) & 7);
    return c < SEG_CLASSES ? c : SEG_CLASSES - 1;
}

void seg_insert(ma_heap_t *h, unsigned char *b)
{
    size_t size = ma_bsize(b);
    unsigned c = seg_class(size);
    unsigned char *after = NULL;
    for (unsigned char *x = ma_lists(h)->lists[c]; x && ma_bsize(x) < size; x = fl_next(h, x))
        after = x;
    fl_insert(h, c, after, b);
}

void seg_remove(ma_heap_t *h, unsigned char *b) { fl_remove(h, seg_class(ma_bsize(b)), b); }

unsigned char *seg_find(ma_heap_t *h, size_t asize)
{
    unsigned c = seg_class(asize), w;
    uint64_t bits;
    for (unsigned char *b = ma_lists(h)->lists[c]; b; b = fl_next(h, b))
        if (ma_bsize(b) >= asize)
            return b;
    if (++c >= SEG_CLASSES)
        return NULL;
    /* the next non-empty class: its head is its smallest block, which fits */
    w = c / 64;
    bits = ma_lists(h)->bitmap[w] & (~0ull << (c % 64));
    while (!bits) {
        if (++w == (SEG_CLASSES + 63) / 64)
            return NULL;
        bits = ma_lists(h)->bitmap[w];
    }
    return ma_lists(h)->lists[w * 64 + (unsigned)__builtin_ctzll(bits)];
}

int seg_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx) { return fl_walk(h, SEG_CLASSES, fn, ctx); }

size_t seg_check(ma_heap_t *h) { return fl_check(h, SEG_CLASSES, seg_class, FL_SIZE); }
