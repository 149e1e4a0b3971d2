/*
 * implicit_next.c - implicit free list, next fit (Knuth TAOCP 2.5, exercise
 * 6; CS:APP 9.9.7).
 *
 * Like first fit, but each search starts where the last one stopped (the
 * rover, kept on a block header by bt.c when blocks merge), so the splinters
 * at the start are not walked again and again; the cost is worse
 * fragmentation, as Knuth and Wilson et al. (1995) observe.
 */
#include "malloc/bt.h"

static unsigned char *next_find(ma_heap_t *h, size_t asize)
{
    unsigned char *start = h->rover ? h->rover : bt_first(h), *b = start;
    if (!b)
        return NULL;
    do {
        if (!(ma_hdr(b) & MA_F_ALLOC) && ma_bsize(b) >= asize) {
            h->rover = b;
            return b;
        }
        b = bt_next(h, b);
        if (!b)
            b = bt_first(h);
    } while (b != start);
    return NULL;
}

static const bt_policy_t next_policy = {.meta = 8, .find = next_find};

const ma_design_t ma_implicit_next =
    BT_DESIGN("implicit-next", "implicit free list, next fit (a roving pointer)", &next_policy);
