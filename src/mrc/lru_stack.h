/* SPDX-License-Identifier: MIT */
/*
 * lru_stack.h - LRU stack distances, one reference at a time.
 *
 * The LRU stack distance of a reference (Mattson et al. 1970) is its page's
 * depth in the LRU stack: 1 + the distinct pages referenced since the page's
 * previous reference, so the reference hits with f frames iff distance <= f.
 * Every page has one live "slot", the time of its last reference; the
 * distance is 1 + the live slots after it, counted on a bitmap of slots with
 * a Fenwick tree over the bitmap's words (Bennett and Kruskal 1975, over
 * words rather than single slots so the whole index stays in cache).  Slots
 * are renumbered (compacted) when they run out: amortised O(1).
 *
 * Invariants (lru_stack_check): set bits == keys in the table; each key's
 * slot bit is set and owner[slot] is its table index; every Fenwick node
 * equals the popcount of the words it covers.
 */
#ifndef VMLAB_MRC_LRU_STACK_H
#define VMLAB_MRC_LRU_STACK_H

#include <stddef.h>
#include <stdint.h>

typedef struct lru_stack lru_stack_t;

/* A stack sized for about `expect` distinct pages (it grows).  NULL with
 * errno ENOMEM. */
lru_stack_t *lru_stack_new(size_t expect);
void lru_stack_free(lru_stack_t *s);

/* Reference `key`: *dist = its stack distance (>= 1), or 0 for the first
 * reference.  0 or -ENOMEM (the stack is unchanged then). */
int lru_stack_access(lru_stack_t *s, uint64_t key, uint64_t *dist /* OUT */);
/* Forget `key` (it leaves the stack; the pages below move up).  1 if it
 * was there, 0 if not. */
int lru_stack_remove(lru_stack_t *s, uint64_t key);
/* Pages in the stack. */
size_t lru_stack_size(const lru_stack_t *s);
/* Bytes the stack holds (its own allocations). */
size_t lru_stack_bytes(const lru_stack_t *s);

/* The whole trace at once, prefetching ahead: hist[dist]++ for each
 * reference with a finite distance, *cold for first references.  *hist is
 * malloc'd and grown to at least distinct + 1 entries (*hist_size);
 * caller frees.  0 or -ENOMEM. */
int lru_stack_run(lru_stack_t *s, const uint64_t *key, size_t n, uint64_t **hist,
                  size_t *hist_size, uint64_t *cold);

/* The same distances over dense page ids (dense_ids.h), fed a batch at a
 * time: an array of last slots instead of the table, so a reference touches
 * 4 bytes of a V-entry array (prefetched) rather than a table line; what
 * the exact LRU curve uses.  Memory is O(distinct pages), never O(refs):
 * last[] and hist[] grow with the ids, and the slot space is compacted
 * (and doubled only while more than half of it is live), so it stays
 * below 4 slots a page.  Invariants (lru_dense_check): live slots ==
 * pages seen; last[x] is live and owned by x; the Fenwick tree as above. */
typedef struct lru_dense lru_dense_t;
/* NULL with errno ENOMEM. */
lru_dense_t *lru_dense_new(void);
void lru_dense_free(lru_dense_t *L);
/* id[0, n): each at most the number of ids seen so far (a new page takes
 * the next id).  0, or -ENOMEM (the references before the failing one are
 * counted). */
int lru_dense_feed(lru_dense_t *L, const uint32_t *id, size_t n);
/* hist[d] for d in [1, V] (borrowed; hist[0] = 0), *V ids seen, *cold
 * first references.  NULL while V == 0. */
const uint64_t *lru_dense_hist(const lru_dense_t *L, uint32_t *V /* OUT */, uint64_t *cold /* OUT */);
/* Bytes the state holds (its own allocations). */
size_t lru_dense_bytes(const lru_dense_t *L);
void lru_dense_check(const lru_dense_t *L);

/* Abort if an invariant is broken. */
void lru_stack_check(const lru_stack_t *s);

#endif
