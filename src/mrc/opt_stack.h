/* SPDX-License-Identifier: MIT */
/*
 * opt_stack.h - OPT (Belady's MIN) stack distances for every reference of
 * a trace, O(log n) each (see opt_stack.c for the algorithm).
 *
 * The OPT stack distance of a reference is the least number of frames with
 * which MIN hits on it; MIN being a stack algorithm (Mattson et al. 1970),
 * the reference hits with f frames iff distance <= f.
 */
#ifndef VMLAB_MRC_OPT_STACK_H
#define VMLAB_MRC_OPT_STACK_H

#include <stddef.h>
#include <stdint.h>

/* The OPT distances of dense page ids (dense_ids.h) fed a batch at a time:
 * the distance depends on the past only (Bilardi et al.), so nothing of
 * the future is kept, and the state is O(distinct pages): live and marked
 * slots are at most 2 a page and the time axis is compacted (doubled only
 * while more than half of it is occupied). */
typedef struct opt_dense opt_dense_t;
/* NULL with errno ENOMEM. */
opt_dense_t *opt_dense_new(void);
void opt_dense_free(opt_dense_t *o);
/* id[0, n), each at most the ids seen so far.  0 or -ENOMEM. */
int opt_dense_feed(opt_dense_t *o, const uint32_t *id, size_t n);
/* hist[d] for d in [1, V] (borrowed), *V pages, *cold first references. */
const uint64_t *opt_dense_hist(const opt_dense_t *o, uint32_t *V /* OUT */, uint64_t *cold /* OUT */);
/* Bytes the state holds (its own allocations). */
size_t opt_dense_bytes(const opt_dense_t *o);

/* Map page[0, n) to dense ids in order of first use: id[t] in [0, *V).
 * 0 or -ENOMEM. */
int opt_dense_ids(const uint64_t *page, size_t n, uint32_t *id /* OUT */, uint32_t *V /* OUT */);

#endif
