/* SPDX-License-Identifier: MIT */
/*
 * gen.h - synthetic memory reference traces, seeded and reproducible.
 *
 * Models (gen_model_name(i) lists them), each "NAME" or "NAME:key=value,...":
 *   seq          sequential scan over `pages` pages, cycling
 *   uniform      pages drawn uniformly from `pages`
 *   zipf         Zipf(alpha) popularity over `pages` (alpha=1.0), ranks
 *                shuffled over page numbers (Breslau et al., INFOCOM 1999)
 *   loop         a loop over the first `len` pages (len=pages/10), repeated
 *   phases       working-set phases (Denning 1968's locality model): each
 *                phase references a set of `wset` pages (wset=pages/20)
 *                uniformly for about `phase` references (phase=5000), then
 *                moves to a new set sharing `keep` of it (keep=0.25)
 *   belady       1,2,3,4,1,2,5,1,2,3,4,5 repeated (Belady, Nelson, Shedler
 *                1969): FIFO faults 9 times with 3 frames, 10 with 4
 *   mix          runs of `run` references (run=256), each from one pattern
 *                picked with weights loop=0.5, seq=0.2, zipf=0.3, uniform=0
 *                (the loop covers 12% of the pages, the scan the rest): by
 *                default ../shared/bench/gen_trace.c's "loop" trace
 *   linked-list  mallocs `nodes` nodes of `node` bytes (nodes=pages, node=64)
 *                in this process, links them (in allocation order, or
 *                shuffled with shuffle=1) and walks the list again and again,
 *                reading each node's next pointer and writing its value: the
 *                real heap addresses, rebased to 0x10000000 (raw=1: as is)
 * Every model but belady and linked-list writes a random `writes` fraction
 * of its references (writes=0.25) at a random word of the page.
 * Same options and seed: the same references, byte for byte.
 */
#ifndef VMLAB_GEN_H
#define VMLAB_GEN_H

#include <stdint.h>

#include "vmlab/diag.h"

typedef struct gen_opts {
    const char *model;  /* "NAME" or "NAME:key=value,..." */
    uint64_t length;    /* references to generate */
    uint64_t seed;      /* random seed */
    uint64_t pages;     /* universe of pages (default 1000) */
    unsigned page_bits; /* log2 page size for addresses (default 12) */
} gen_opts_t;

/* Receives each reference: byte address and 1 for a write. Nonzero stops. */
typedef int (*gen_emit_fn)(void *ctx, uint64_t addr, int write);

/* Generate o->length references.  0, -EINVAL (unknown model or parameter,
 * with *d saying what was expected), -ENOMEM, or what emit returned. */
int gen_run(const gen_opts_t *o, gen_emit_fn emit, void *ctx, diag_t *d);

/* The model table, for --help: name and summary of the i-th, NULL past the end. */
const char *gen_model_name(unsigned i);
const char *gen_model_summary(unsigned i);

#endif
