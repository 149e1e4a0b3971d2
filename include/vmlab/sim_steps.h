/* SPDX-License-Identifier: MIT */
/*
 * sim_steps.h - the per-reference log of a replacement policy, as OSTEP's
 * paging-policy.py prints it with -c: for every reference the page, hit or
 * miss, the victim, and the memory's contents after it in the homework's
 * order.  Any vmlab sim policy runs here, unchanged, through the sim core
 * (one reference per batch); the log is read off the core's frame table.
 *
 * The homework's order: LRU and MRU list the pages from least to most
 * recently used; every other policy lists them in load order, a victim
 * leaving its place and the new page going last (paging-policy.py's
 * `memory` list: FirstIn..Lastin for FIFO, Left..Right for the others).
 */
#ifndef VMLAB_SIM_STEPS_H
#define VMLAB_SIM_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"

typedef struct sim_step {
    uint64_t time;          /* index of the reference, from 0 */
    uint64_t page;          /* the page referenced */
    int hit;                /* 1: resident already */
    int has_victim;         /* 1: a page was evicted for it */
    uint64_t victim;        /* the evicted page when has_victim */
    size_t nframes;         /* pages resident after it */
    const uint64_t *frames; /* those pages in the homework's order */
    uint64_t hits, misses;  /* running totals, this reference included */
} sim_step_t;

typedef void (*sim_step_fn)(void *ctx, const sim_step_t *s);

/* Simulate policy spec (as `vmlab sim -p`: "NAME[:k=v,...]") with `frames`
 * frames over pages[0, n), calling fn after every reference.  0 or -errno
 * with *d (unknown policy or parameter, out of memory, more than 2^32 - 2
 * references or distinct pages). */
int sim_steps_run(const char *spec, uint64_t frames, const uint64_t *pages, size_t n,
                  sim_step_fn fn, void *ctx, diag_t *d);

#endif
