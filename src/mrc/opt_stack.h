/* SPDX-License-Identifier: MIT */
/*
 * opt_stack.h - OPT (Belady's MIN) stack distances for every reference of
 * an in-memory trace, O(log n) each (see opt_stack.c for the algorithm).
 *
 * The OPT stack distance of a reference is the least number of frames with
 * which MIN hits on it; MIN being a stack algorithm (Mattson et al. 1970),
 * the reference hits with f frames iff distance <= f.
 */
#ifndef VMLAB_MRC_OPT_STACK_H
#define VMLAB_MRC_OPT_STACK_H

#include <stddef.h>
#include <stdint.h>

/* id[0, n) are dense page ids in [0, V).  hist (V + 1 entries, zeroed by
 * the caller) receives hist[dist]++ per reference with a finite distance;
 * *cold counts first references.  0 or -ENOMEM. */
int opt_stack_run(const uint32_t *id, size_t n, uint32_t V, uint64_t *hist, uint64_t *cold);

/* Map page[0, n) to dense ids in order of first use: id[t] in [0, *V).
 * 0 or -ENOMEM. */
int opt_dense_ids(const uint64_t *page, size_t n, uint32_t *id /* OUT */, uint32_t *V /* OUT */);

#endif
