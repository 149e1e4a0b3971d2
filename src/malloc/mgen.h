/* SPDX-License-Identifier: MIT */
/*
 * mgen.h - fragmentation adversaries: malloc-lab traces generated from a
 * kind and a seed (vmlab malloc gen).  Same kind and seed, the same trace on
 * every machine (rng.h).
 *
 * Kinds (each a classic way of making free memory useless; Wilson,
 * Johnstone, Neely and Boles, "Dynamic Storage Allocation: A Survey and
 * Critical Review", 1995, sec. 2.3-2.4 and 3.3 on phase behaviour):
 *   regrow    small and large blocks interleaved; the large ones are freed
 *             and requested again slightly larger, for a few rounds (the
 *             holes between the small ones are always just too small)
 *   random    random sizes (uniform, log-uniform or bimodal, chosen by the
 *             seed) with random lifetimes: a random walk of the live count
 *   realloc   one to three buffers grown by realloc in random steps, mixed
 *             with small allocations that live on or die soon
 *   shift     phases of one size each, a random half of each phase freed,
 *             the size drifting up (or down) phase by phase, so that old
 *             holes rarely fit new requests
 *   ladder    sizes climbing a ladder of classes while blocks of every rung
 *             stay live: long-lived blocks pin holes of every size
 *   bufsmall  a buffer grown by realloc among small blocks that pile up
 * Milder kinds, the same shapes in malloc-lab's proportions (requests of 16
 * bytes or more; the kinds above draw many of 1-30 bytes, which cap any
 * allocator with 8-byte headers: replay -p bound):
 *   pairs     regrow with 16-64-byte and 4-8x larger blocks, one round
 *   randmix   random sizes, log-uniform from 16 bytes, random lifetimes
 *   grow      one buffer grown by realloc among 16-128-byte blocks
 * And one for slab designs (hybrid), which the others rarely exercise:
 *   structs   small blocks only (2-6 sizes of 8-96 bytes, or any of 1 to
 *             16-96), random lifetimes: a program's records and list nodes
 * Each trace frees every block at its end, as malloc-lab's do.
 */
#ifndef VMLAB_MALLOC_MGEN_H
#define VMLAB_MALLOC_MGEN_H

#include <stdint.h>
#include <stdio.h>

#include "malloc/replay.h"

/* The kinds, for listing: i in [0, mg_nkinds()). */
unsigned mg_nkinds(void);
const char *mg_kind_name(unsigned i);
const char *mg_kind_summary(unsigned i);

/* Generate a trace of `kind` from `seed` into *t (ops owned, peak_payload
 * set); scale multiplies the number of operations (1: a few thousand to a
 * few ten thousand, as malloc-lab's traces).  0, -ENOENT for an unknown
 * kind, -EINVAL for a scale outside 1..100, -ENOMEM. */
int mg_generate(const char *kind, uint64_t seed, unsigned scale, mr_trace_t *t /* OUT */);

/* Write t in the .rep format (header of four numbers, then a/r/f lines);
 * 0 or -EIO (check ferror of f too). */
int mg_write(FILE *f, const mr_trace_t *t);

#endif
