/* SPDX-License-Identifier: MIT */
/*
 * mplan.h - what a clairvoyant allocator reaches on a malloc-lab trace: the
 * references `vmlab malloc replay -p offline,bound` prints beside the
 * designs, so that a design's shortfall on a trace can be split into the
 * allocator's and the trace's own (issue 18).
 *
 * Both charge every block what a boundary-tag design charges at least: an
 * 8-byte header, the size rounded up to the alignment, 16 bytes at least
 * (header and footer of a free block), and the heap's fixed cost (one
 * region header and the epilogue word).
 *   bound    the largest sum of live block sizes over the trace: no
 *            allocator with 8-byte headers fits the trace in less (a lower
 *            bound on the heap, hence an upper bound on utilization).
 *   offline  a placement computed knowing every block's size and lifetime
 *            in advance (greedy by size, then by lifetime: the largest
 *            blocks first, each at the lowest offset free for its whole
 *            lifetime; the "greedy by size" planners of machine-learning
 *            tensor arenas, and the first-fit-decreasing heuristic for
 *            dynamic storage allocation, Garey, Graham and Ullman 1972).
 *            A realloc ends one block and starts another, which may share
 *            memory with it (the allocator moves the payload with memmove).
 *            Achievable, so a design below it loses to its online-ness, not
 *            to the trace; the optimum is NP-hard (Stockmeyer, in Garey and
 *            Johnson 1979, problem SR2) and lies between bound and offline.
 */
#ifndef VMLAB_MALLOC_MPLAN_H
#define VMLAB_MALLOC_MPLAN_H

#include <stddef.h>

#include "malloc/replay.h"

/* The block a request of size bytes takes: size + 8 rounded up to align
 * (8 or 16), 16 at least. */
size_t mp_block(size_t size, size_t align);

/* The fixed bytes of a heap beside its blocks (region header, epilogue). */
size_t mp_fixed(void);

/* *bound receives the largest sum over time of live blocks' mp_block
 * sizes.  0 or -ENOMEM. */
int mp_live_bound(const mr_trace_t *t, size_t align, size_t *bound /* OUT */);

/* Place t offline: off[i] (nops entries, caller's) receives, for every
 * 'a' and 'r' operation i, the offset of its block from the heap's first
 * block (a multiple of align); other entries are 0.  *extent receives the
 * end of the highest block.  0 or -ENOMEM. */
int mp_plan(const mr_trace_t *t, size_t align, size_t *off /* OUT */, size_t *extent /* OUT */);

#endif
