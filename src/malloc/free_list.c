/* SPDX-License-Identifier: MIT */
/*
 * free_list.c - walking and checking the free lists (see free_list.h).
 */
#include "malloc/free_list.h"


int fl_walk(ma_heap_t *h, unsigned nlists, ma_walk_fn fn, void *ctx)
{
    for (unsigned i = 0; i < nlists; i++)
        for (unsigned char *b = ma_lists(h)->lists[i]; b; b = BT_NEXT(b)) {
            ma_block_t blk = {b, b + MA_WORD, ma_bsize(b), 0, (int)i};
            int rc = fn(&blk, ctx);
            if (rc)
                return rc;
        }
    return 0;
}

size_t fl_check(ma_heap_t *h, unsigned nlists, unsigned (*class_of)(size_t), int order)
{
    size_t n = 0;
    for (unsigned i = 0; i < MA_NLISTS; i++) {
        unsigned char *prev = NULL;
        int bit = (ma_lists(h)->bitmap[i / 64] >> (i % 64)) & 1;
        MA_ASSERT(bit == (ma_lists(h)->lists[i] != NULL));
        MA_ASSERT(i < nlists || ma_lists(h)->lists[i] == NULL);
        for (unsigned char *b = ma_lists(h)->lists[i]; b; prev = b, b = BT_NEXT(b)) {
            MA_ASSERT(BT_PREV(b) == prev);
            MA_ASSERT(ma_region_of(h, b) != NULL);
            MA_ASSERT(!(ma_hdr(b) & MA_F_ALLOC));
            MA_ASSERT((class_of ? class_of(ma_bsize(b)) : 0) == i);
            if (prev && order == FL_ADDR)
                MA_ASSERT(prev < b);
            if (prev && order == FL_SIZE)
                MA_ASSERT(ma_bsize(prev) <= ma_bsize(b));
            n++;
            MA_ASSERT(n <= h->heap_bytes / 16); /* no cycle */
        }
    }
    return n;
}
