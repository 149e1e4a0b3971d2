/* SPDX-License-Identifier: MIT */
/*
 * freq_list.h - frames grouped by reference count, for LFU and MFU.
 *
 * K. Shah, A. Mitra and D. Matani, "An O(1) algorithm for implementing the
 * LFU cache eviction scheme" (2010): a list of buckets in increasing count
 * order, each holding the frames with that count.  A reference moves its
 * frame from bucket k to bucket k + 1 (created right after k if missing, and
 * k freed when it empties), so the least and the most frequently used frames
 * are at the two ends of the bucket list, O(1) for every operation.
 * A frame enters a bucket at its tail at the moment of a reference, so the
 * head of each bucket is its least recently used frame: ties in the count
 * are broken LRU.
 *
 * Counts are of references while resident (a reloaded page starts at 1).
 * Buckets are a pool of nframes + 1 (at most nframes are nonempty, plus one
 * being created); no allocation after freq_init.
 *
 * Invariants (freq_check): bucket counts strictly increase along the bucket
 * list; every bucket is nonempty; each resident frame is on exactly one
 * bucket, the one bk[] names.
 */
#ifndef VMLAB_SIM_FREQ_LIST_H
#define VMLAB_SIM_FREQ_LIST_H

#include <errno.h>
#include <stdlib.h>

#include "sim/ilist.h"
#include "sim/policy.h"

typedef struct freq_list {
    ilink_t *fl;      /* frame -> links within its bucket */
    uint32_t *bk;     /* frame -> its bucket */
    ilink_t *bl;      /* bucket -> links on the bucket list */
    ilist_t *frames;  /* bucket -> its frames, head least recently used */
    uint64_t *count;  /* bucket -> reference count of its frames */
    uint32_t *free;   /* stack of unused buckets */
    uint32_t nfree;   /* entries on the free stack */
    uint32_t nbuckets;/* pool size: nframes + 1 */
    ilist_t buckets;  /* nonempty buckets, head the smallest count */
} freq_list_t;

static inline int freq_init(freq_list_t *q, uint32_t nframes)
{
    q->nbuckets = nframes + 1;
    q->fl = malloc((size_t)nframes * sizeof *q->fl);
    q->bk = malloc((size_t)nframes * sizeof *q->bk);
    q->bl = malloc((size_t)q->nbuckets * sizeof *q->bl);
    q->frames = malloc((size_t)q->nbuckets * sizeof *q->frames);
    q->count = malloc((size_t)q->nbuckets * sizeof *q->count);
    q->free = malloc((size_t)q->nbuckets * sizeof *q->free);
    if (!q->fl || !q->bk || !q->bl || !q->frames || !q->count || !q->free)
        return -ENOMEM;
    q->nfree = 0;
    for (uint32_t b = q->nbuckets; b-- > 0;)
        q->free[q->nfree++] = b;
    ilist_init(&q->buckets);
    return 0;
}

static inline void freq_destroy(freq_list_t *q)
{
    free(q->fl);
    free(q->bk);
    free(q->bl);
    free(q->frames);
    free(q->count);
    free(q->free);
}

static inline uint32_t freq_new_bucket(freq_list_t *q, uint64_t count)
{
    uint32_t b = q->free[--q->nfree];
    q->count[b] = count;
    ilist_init(&q->frames[b]);
    return b;
}

static inline void freq_leave(freq_list_t *q, uint32_t f)
{
    uint32_t b = q->bk[f];
    ilist_remove(&q->frames[b], q->fl, f);
    if (q->frames[b].n == 0) {
        ilist_remove(&q->buckets, q->bl, b);
        q->free[q->nfree++] = b;
    }
}

/* A newly loaded frame: count 1. */
static inline void freq_insert(freq_list_t *q, uint32_t f)
{
    uint32_t b = q->buckets.head;
    if (b == ILIST_NIL || q->count[b] != 1) {
        b = freq_new_bucket(q, 1);
        ilist_push_front(&q->buckets, q->bl, b);
    }
    ilist_push_back(&q->frames[b], q->fl, f);
    q->bk[f] = b;
}

/* Frame f was referenced: count + 1. */
static inline void freq_hit(freq_list_t *q, uint32_t f)
{
    uint32_t b = q->bk[f], nb = q->bl[b].next;
    if (nb == ILIST_NIL || q->count[nb] != q->count[b] + 1) {
        nb = freq_new_bucket(q, q->count[b] + 1);
        ilist_insert_after(&q->buckets, q->bl, b, nb);
    }
    freq_leave(q, f);
    ilist_push_back(&q->frames[nb], q->fl, f);
    q->bk[f] = nb;
}

/* Remove and return the least recently used frame of the smallest (most = 0)
 * or largest (most = 1) count. */
static inline uint32_t freq_evict(freq_list_t *q, int most)
{
    uint32_t b = most ? q->buckets.tail : q->buckets.head;
    uint32_t f = q->frames[b].head;
    freq_leave(q, f);
    return f;
}

static inline void freq_check(const freq_list_t *q, uint32_t nresident)
{
    uint32_t n = 0;
    uint64_t last = 0;
    ilist_check(&q->buckets, q->bl, q->nbuckets);
    for (uint32_t b = q->buckets.head; b != ILIST_NIL; b = q->bl[b].next) {
        VL_ASSERT(q->count[b] > last);
        last = q->count[b];
        VL_ASSERT(q->frames[b].n > 0);
        ilist_check(&q->frames[b], q->fl, nresident);
        for (uint32_t f = q->frames[b].head; f != ILIST_NIL; f = q->fl[f].next)
            VL_ASSERT(q->bk[f] == b);
        n += q->frames[b].n;
    }
    VL_ASSERT(n == nresident);
    VL_ASSERT(q->nfree + q->buckets.n == q->nbuckets);
}

#endif
