/* SPDX-License-Identifier: MIT */
/*
 * segstore.c - simple segregated storage (CS:APP 9.9.14; the "size class
 * pages" of BSD's and Kingsley's mallocs).
 *
 * Every request is rounded up to one of 160 size classes (16-byte steps up
 * to 128, then four classes per power of two).  A class gets its blocks from
 * chunks of about 4 KiB carved from the end of the heap, all blocks of a
 * chunk the same size; free blocks go on their class's singly linked LIFO
 * list.  Never split, never coalesced: allocation and free are a few
 * instructions, and the price is internal fragmentation (rounding) and
 * external fragmentation (blocks stuck in a class nobody asks for).
 *
 *   region:  | ma_region_t | chunk | chunk | ... | uncarved tail |
 *   chunk:   | bytes | bsize | [pad] | hdr payload | hdr payload | ... |
 *   block:   | bsize|a | next (free) ... |
 *
 * Invariants (ss_check): in every region the chunks tile
 * [first, first + top), top <= limit - first; every block of a chunk has
 * size == the chunk's bsize == a class size and no flag but ALLOC; the free
 * lists hold exactly the free blocks, each on the list of its class; with
 * MA_POISON a free block's bytes [b + 16, b + bsize) are 0xdd.
 */
#include "malloc/heap.h"


#define SS_CLASSES 160
#define SS_CHUNK 4096
#define SS_NEXT(b) (*(unsigned char **)((b) + 8))

static size_t class_size(unsigned c)
{
    unsigned k, j;
    if (c < 8)
        return (size_t)(c + 1) * 16;
    k = 7 + (c - 8) / 4;
    j = (c - 8) % 4 + 1;
    return ((size_t)1 << k) + (size_t)j * ((size_t)1 << (k - 2));
}

static unsigned class_of(size_t bs)
{
    unsigned k;
    size_t step;
    if (bs <= 128)
        return (unsigned)((bs + 15) / 16) - 1;
    k = 63u - (unsigned)__builtin_clzll((unsigned long long)(bs - 1));
    step = (size_t)1 << (k - 2);
    return 8 + (k - 7) * 4 + (unsigned)((bs - ((size_t)1 << k) + step - 1) / step) - 1;
}

static size_t chunk_hdr(const ma_heap_t *h) { return h->align == 16 ? 24 : 16; }

static size_t chunk_bytes(const ma_heap_t *h, size_t bs, size_t *nblocks)
{
    size_t n = (SS_CHUNK - chunk_hdr(h)) / bs;
    if (n == 0)
        n = 1;
    *nblocks = n;
    return ma_round(chunk_hdr(h) + n * bs, 16);
}

static void ss_region_added(ma_heap_t *h, ma_region_t *r, unsigned char *old)
{
    if (!old) {
        r->first = (unsigned char *)r + MA_REGION_HDR;
        r->top = 0;
    }
    r->limit = r->end;
}

static size_t ss_region_need(const ma_heap_t *h, size_t size)
{
    size_t n, bs = size + MA_WORD;
    bs = class_size(class_of(bs < 16 ? 16 : bs));
    return MA_REGION_HDR + chunk_bytes(h, bs, &n);
}

static void *ss_malloc(ma_heap_t *h, size_t size)
{
    size_t bs = size + MA_WORD, cb, n, avail;
    unsigned c;
    unsigned char *b, *ch;
    ma_region_t *r;

    c = class_of(bs < 16 ? 16 : bs);
    if (c >= SS_CLASSES)
        return NULL;
    bs = class_size(c);
    while (!ma_lists(h)->lists[c]) {
        cb = chunk_bytes(h, bs, &n);
        r = h->last;
        avail = r ? (size_t)(r->limit - r->first) - r->top : 0;
        if (avail < cb) {
            if (ma_grow(h, cb - avail, MA_REGION_HDR + cb) != 0)
                return NULL;
            continue;
        }
        ch = r->first + r->top;
        r->top += cb;
        ((size_t *)ch)[0] = cb;
        ((size_t *)ch)[1] = bs;
        /* push in reverse, so the lowest block is handed out first */
        for (size_t i = n; i-- > 0;) {
            b = ch + chunk_hdr(h) + i * bs;
            ma_set_hdr(b, bs);
            ma_poison(h, b + 16, bs - 16);
            SS_NEXT(b) = ma_lists(h)->lists[c];
            ma_lists(h)->lists[c] = b;
        }
    }
    b = ma_lists(h)->lists[c];
    ma_link_verify(h, b, SS_NEXT(b)); /* a write after free: reported, not followed */
    ma_lists(h)->lists[c] = SS_NEXT(b);
    ma_poison_verify(h, b, b + 16, bs - 16);
    ma_set_hdr(b, bs | MA_F_ALLOC);
    return b + MA_WORD;
}

static void ss_free(ma_heap_t *h, void *p)
{
    unsigned char *b = (unsigned char *)p - MA_WORD;
    size_t bs = ma_bsize(b);
    unsigned c = class_of(bs);
    ma_set_hdr(b, bs);
    ma_poison(h, b + 16, bs - 16);
    SS_NEXT(b) = ma_lists(h)->lists[c];
    ma_lists(h)->lists[c] = b;
}

static int ss_resize(ma_heap_t *h, void *p, size_t size)
{
    return size + MA_WORD <= ma_bsize((unsigned char *)p - MA_WORD);
}

static size_t ss_usable(const ma_heap_t *h, const void *p)
{
    return ma_bsize((const unsigned char *)p - MA_WORD) - MA_WORD;
}

static int ss_validate(ma_heap_t *h, const void *p)
{
    const unsigned char *b = (const unsigned char *)p - MA_WORD;
    ma_region_t *r = ma_region_of(h, b);
    size_t bs;
    if (!r || b < r->first || b >= r->first + r->top || ((uintptr_t)p & (h->align - 1)))
        return MA_BAD_PTR;
    bs = ma_bsize(b);
    if (bs < 16 || class_of(bs) >= SS_CLASSES || class_size(class_of(bs)) != bs ||
        (ma_hdr(b) & (MA_F_PREV | MA_F_SPECIAL)) || b + bs > r->first + r->top)
        return MA_BAD_PTR;
    return (ma_hdr(b) & MA_F_ALLOC) ? MA_OK : MA_NOT_ALLOC;
}

static int ss_walk(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    for (ma_region_t *r = h->regions; r; r = r->next)
        for (unsigned char *ch = r->first; ch < r->first + r->top; ch += ((size_t *)ch)[0]) {
            size_t cb = ((size_t *)ch)[0], bs = ((size_t *)ch)[1];
            for (unsigned char *b = ch + chunk_hdr(h); b + bs <= ch + cb; b += bs) {
                ma_block_t blk = {b, b + MA_WORD, bs, (int)(ma_hdr(b) & MA_F_ALLOC), 0};
                int rc = fn(&blk, ctx);
                if (rc)
                    return rc;
            }
        }
    return 0;
}

static int ss_walk_free(ma_heap_t *h, ma_walk_fn fn, void *ctx)
{
    for (unsigned c = 0; c < SS_CLASSES; c++)
        for (unsigned char *b = ma_lists(h)->lists[c]; b; b = SS_NEXT(b)) {
            ma_block_t blk = {b, b + MA_WORD, ma_bsize(b), 0, (int)c};
            int rc = fn(&blk, ctx);
            if (rc)
                return rc;
        }
    return 0;
}

static int count_free(const ma_block_t *b, void *ctx)
{
    if (!b->allocated)
        ++*(size_t *)ctx;
    return 0;
}

static void ss_check(ma_heap_t *h)
{
    size_t nfree = 0, listed = 0;
    for (ma_region_t *r = h->regions; r; r = r->next) {
        unsigned char *ch = r->first;
        MA_ASSERT(r->limit == r->end && r->top <= (size_t)(r->limit - r->first));
        while (ch < r->first + r->top) {
            size_t cb = ((size_t *)ch)[0], bs = ((size_t *)ch)[1], n;
            MA_ASSERT(bs >= 16 && class_size(class_of(bs)) == bs);
            MA_ASSERT(cb == chunk_bytes(h, bs, &n));
            for (size_t i = 0; i < n; i++) {
                unsigned char *b = ch + chunk_hdr(h) + i * bs;
                MA_ASSERT((ma_hdr(b) & ~(size_t)MA_F_ALLOC) == bs);
                MA_ASSERT(((uintptr_t)(b + MA_WORD) & (h->align - 1)) == 0);
                if (!(ma_hdr(b) & MA_F_ALLOC))
                    ma_poison_verify(h, b, b + 16, ma_min(bs - 16, MA_POISON_CHECK_MAX));
            }
            ch += cb;
        }
        MA_ASSERT(ch == r->first + r->top);
    }
    ss_walk(h, count_free, &nfree);
    for (unsigned c = 0; c < MA_NLISTS; c++)
        for (unsigned char *b = ma_lists(h)->lists[c]; b; b = SS_NEXT(b)) {
            MA_ASSERT(c < SS_CLASSES && ss_validate(h, b + MA_WORD) == MA_NOT_ALLOC);
            MA_ASSERT(class_of(ma_bsize(b)) == c);
            MA_ASSERT(++listed <= nfree);
        }
    MA_ASSERT(listed == nfree);
}

const ma_design_t ma_segstore = {
    .name = "segstore",
    .state_size = sizeof(ma_lists_t),
    .summary = "simple segregated storage: one block size per 4 KiB chunk, no split or coalesce",
    .region_added = ss_region_added,
    .region_need = ss_region_need,
    .malloc = ss_malloc,
    .free = ss_free,
    .resize = ss_resize,
    .usable = ss_usable,
    .validate = ss_validate,
    .walk = ss_walk,
    .walk_free = ss_walk_free,
    .check = ss_check,
};
