/* SPDX-License-Identifier: MIT */
/*
 * adaptive_lists.h - the state ARC and CAR share: two resident lists T1 and
 * T2 over frames, two ghost lists B1 and B2 over pages, and the adaptive
 * target p for |T1|.
 *
 * Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache",
 * FAST 2003; Bansal and Modha, "CAR: Clock with Adaptive Replacement",
 * FAST 2004.  The two policies differ in how they order and scan T1/T2 (LRU
 * lists for ARC, clocks for CAR), not in what they keep, so the storage and
 * its growth live here once; each policy file keeps the rules.
 *
 * Invariants (checked by each policy's check hook): every resident frame is
 * on exactly one of T1, T2 and fin[] says which; every ghost page is on
 * exactly one of B1, B2 and ghost[] says which (AL_NONE otherwise);
 * |T1| + |T2| <= c, |T1| + |B1| <= c, |T1| + |T2| + |B1| + |B2| <= 2c, 0 <= p <= c.
 */
#ifndef VMLAB_SIM_ADAPTIVE_LISTS_H
#define VMLAB_SIM_ADAPTIVE_LISTS_H

#include <errno.h>
#include <stdlib.h>

#include "sim/ilist.h"

enum { AL_NONE = 0, AL_1 = 1, AL_2 = 2 }; /* fin[]: T1/T2; ghost[]: B1/B2 */

typedef struct adaptive_lists {
    ilink_t *fl;    /* frame -> links on T1 or T2 */
    uint8_t *fin;   /* frame -> AL_1 (T1) or AL_2 (T2) */
    ilink_t *pl;    /* page -> links on B1 or B2 */
    uint8_t *ghost; /* page -> AL_1 (B1), AL_2 (B2) or AL_NONE */
    uint32_t pcap;  /* per-page arrays hold pcap entries */
    uint32_t c;     /* frames */
    uint32_t p;     /* target size of T1, 0 <= p <= c */
    ilist_t t1, t2; /* resident lists (order: see the policy) */
    ilist_t b1, b2; /* ghost lists: head LRU, tail MRU */
} adaptive_lists_t;

/* Per-page arrays large enough for page ids < npages.  0 or -ENOMEM. */
static inline int adaptive_lists_grow(adaptive_lists_t *s, uint32_t npages)
{
    uint32_t cap;
    if (npages <= s->pcap)
        return 0;
    cap = ilist_grow_cap(s->pcap, npages);
    if (ilist_grow_array((void **)&s->pl, sizeof *s->pl, s->pcap, cap, 0xff) ||
        ilist_grow_array((void **)&s->ghost, 1, s->pcap, cap, AL_NONE))
        return -ENOMEM;
    s->pcap = cap;
    return 0;
}

/* Empty lists over `frames` frames, per-page arrays for `npages` pages.
 * *s starts zeroed (the core allocates policy state zeroed).  0 or -ENOMEM. */
static inline int adaptive_lists_init(adaptive_lists_t *s, uint32_t frames, uint32_t npages)
{
    s->c = frames;
    s->p = 0;
    ilist_init(&s->t1);
    ilist_init(&s->t2);
    ilist_init(&s->b1);
    ilist_init(&s->b2);
    s->fl = malloc((size_t)frames * sizeof *s->fl);
    s->fin = malloc(frames);
    if (!s->fl || !s->fin || adaptive_lists_grow(s, npages))
        return -ENOMEM;
    return 0;
}

static inline void adaptive_lists_destroy(adaptive_lists_t *s)
{
    free(s->fl);
    free(s->fin);
    free(s->pl);
    free(s->ghost);
}

#endif
