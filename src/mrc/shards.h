/* SPDX-License-Identifier: MIT */
/*
 * shards.h - SHARDS (Waldspurger et al., FAST 2015) fed one reference at a
 * time, for mrc_shards() and the streaming curves (stream.c).
 *
 * Memory: fixed rate, O(sampled pages) (the stack of sampled pages and a
 * histogram indexed by sampled distance, which is at most the sampled
 * pages); fixed size, O(max_keys) whatever the trace: the stack and heap
 * hold at most max_keys pages and the histogram is SHARDS_BINS bins of
 * scaled distance, each 2^k frames wide, k raised (neighbours merged) when
 * a distance falls past the last bin.  Until then (distances below
 * SHARDS_BINS) the estimate equals unbinned SHARDS exactly.
 */
#ifndef VMLAB_MRC_SHARDS_H
#define VMLAB_MRC_SHARDS_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/mrc.h"

#define SHARDS_BINS 65536

typedef struct shards shards_t;

/* NULL with errno ENOMEM. */
shards_t *shards_new(const mrc_shards_opts_t *o);
void shards_free(shards_t *s);
/* The sampling hash of page key (seeded by o->seed). */
uint64_t shards_hash(const shards_t *s, uint64_t key);
/* Pages are in the sample iff shards_hash < shards_threshold (which only
 * goes down); UINT64_MAX with rate 1 means every page. */
uint64_t shards_threshold(const shards_t *s);
int shards_all(const shards_t *s);
/* 1 if a page of hash h is in this run's sample (its part's range). */
int shards_in(const shards_t *s, uint64_t h);
/* Partitioned: the width of each part's hash range. */
uint64_t shards_part_width(const mrc_shards_opts_t *o);
/* Partitioned (o.part < o.parts, fixed rate): the partial result after n
 * references (trace, distinct, page_size left 0).  0 or -ENOMEM. */
int shards_part(const shards_t *s, uint64_t n, mrc_shards_part_t *p /* OUT */);
/* Reference t (0-based position in the whole trace, increasing) to a
 * sampled page key with hash h (h < threshold, or every page when
 * shards_all).  0 or -ENOMEM. */
int shards_ref(shards_t *s, uint64_t key, uint64_t h, uint64_t t);
/* key[0, n), the references t0 .. t0 + n - 1, sampled or not. */
int shards_feed(shards_t *s, const uint64_t *key, size_t n, uint64_t t0);
/* The estimate after n references in all.  distinct: the trace's distinct
 * pages if known (the stream's count), else 0; fixed size uses it to
 * correct the distance scale (shards.c).  0 or -ENOMEM. */
int shards_finish(shards_t *s, uint64_t n, uint64_t distinct, mrc_approx_t *out /* OUT */);
/* Bytes the state holds (its own allocations). */
size_t shards_bytes(const shards_t *s);
/* Abort if an invariant is broken: fixed size, heap items == stack pages
 * <= max_keys, every heap hash below T, heap order; 0 < rate <= 1. */
void shards_check(const shards_t *s);
/* Pages in the sample now. */
size_t shards_pages(const shards_t *s);

#endif
