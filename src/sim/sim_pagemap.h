/* SPDX-License-Identifier: MIT */
/*
 * sim_pagemap.h - dense page ids for (pid, vpn), shared by all jobs of a run,
 * and the page-table memory every process's tables take.
 *
 * The reader thread maps each reference once; the simulation cores then
 * index plain arrays by page id (no hashing per reference per job).  Ids
 * are handed out 0, 1, 2, ... in order of first reference; process indices
 * likewise in order of first appearance.  The map is open addressing with
 * linear probing (Knuth TAOCP vol. 3, 6.4, algorithm L), load <= 3/4 (a
 * hit probes 2.5 slots on average, within one or two cache lines; load 1/2
 * measured no faster and takes twice the memory), plus a one-entry cache of
 * the last page (real traces touch the same page in runs).
 *
 * Page tables do not depend on the replacement policy (a table, once
 * allocated, stays), so their memory is counted here once for all jobs:
 * linear, a full table of 2^(va_bits - page_bits) entries per process when
 * it appears; multi-level, the root when the process appears and a table at
 * level k the first time a page under its prefix is touched (CS:APP 3rd ed.
 * 9.6.3; OSC 10th ed. 9.4.1).  The inverted table's size depends on frames
 * and is counted by the core.
 *
 * A caller that knows each page it brings is new, and never asks for a
 * page by (process, vpn) again, takes ids with pagemap_append instead: no
 * hashing at all (sim_stream.c's keyed traces).  The two ways do not mix.
 *
 * Invariants (pagemap_check): every id < npages is in exactly one slot or
 * direct entry, which holds its key (vpn[id], proc[id]), or in none when
 * appended; slots used + ndirect + nunhashed == npages, nunhashed == 0 or
 * the others are; slots used * 4 <= slots * 3; no empty slot lies between a
 * key's home (hash >> shift) and its slot; no slot holds a direct key;
 * per-process page counts sum to npages; the last-page cache names its key.
 */
#ifndef VMLAB_SIM_PAGEMAP_H
#define VMLAB_SIM_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"
#include "vmlab/sim.h"

#define PM_DIRECT (1u << 22) /* vpns of process 0 below this: direct table */

/* pagemap_ids: references hashed and prefetched ahead of their lookup.  A
 * lookup that misses every cache costs ~100 ns and the loop ~5 ns a
 * reference, so dozens must be in flight; 64 measured best (16: 1.5x the
 * time on the zipf benchmark). */
#define PM_AHEAD 64

typedef struct pagemap_slot {
    uint64_t vpn;  /* virtual page number */
    uint32_t proc; /* process index */
    uint32_t id1;  /* page id + 1; 0: empty slot */
} pagemap_slot_t;

/* A page table allocated by some process (the multi-level model). */
typedef struct pagemap_tab {
    uint64_t prefix; /* the vpn bits above the table's level */
    uint32_t proc;   /* process index */
    uint32_t level1; /* level + 1; 0: empty slot */
} pagemap_tab_t;

typedef struct pagemap {
    uint32_t *direct;     /* process 0, vpn < PM_DIRECT: id + 1, 0 if unseen */
    uint32_t ndirect;     /* ids held in direct */
    uint32_t nunhashed;   /* ids given by pagemap_append (then no others) */
    pagemap_slot_t *slot; /* mask + 1 slots; a key's home is hash >> shift */
    uint64_t mask;        /* slots - 1, a power of two minus one */
    unsigned shift;       /* 64 - log2(slots) */
    uint64_t *vpn;        /* id -> vpn */
    uint32_t *proc;       /* id -> process index */
    uint32_t npages;      /* ids handed out */
    uint32_t cap;         /* capacity of vpn[] and proc[] */
    uint32_t *pid;        /* process index -> pid as in the trace */
    uint64_t *proc_pages; /* process index -> distinct pages */
    uint64_t *proc_ptb;   /* process index -> page-table bytes */
    uint32_t nprocs;      /* processes seen */
    uint32_t cap_procs;   /* capacity of the three arrays above */
    uint32_t last_pid;    /* cache: pid of the last reference */
    uint32_t last_proc;   /* cache: its index (valid if nprocs > 0) */
    uint64_t last_vpn;    /* cache: vpn of the last reference */
    uint32_t last_vproc;  /* cache: its process index */
    uint32_t last_id;     /* cache: its id; UINT32_MAX if none */
    /* page tables */
    sim_pt_config_t pt;   /* the model (kind SIM_PT_NONE: nothing counted) */
    unsigned page_bits;   /* log2 page size */
    uint64_t vpn_limit;   /* vpns must be below this; 0: any */
    pagemap_tab_t *tab;   /* multi-level: set of allocated tables */
    uint64_t tab_mask;    /* tab slots - 1 */
    uint64_t ntab;        /* tables in the set */
} pagemap_t;

int pagemap_init(pagemap_t *pm, const sim_config_t *cfg);
void pagemap_destroy(pagemap_t *pm);

/* The process index for pid (a new one if unseen); -ENOMEM. */
int pagemap_proc_slow(pagemap_t *pm, uint32_t pid, uint32_t *proc /* OUT */, diag_t *d);
static inline int pagemap_proc(pagemap_t *pm, uint32_t pid, uint32_t *proc /* OUT */, diag_t *d)
{
    if (pm->nprocs && pid == pm->last_pid) {
        *proc = pm->last_proc;
        return 0;
    }
    return pagemap_proc_slow(pm, pid, proc, d);
}

/* The id of (proc, vpn), a new one if unseen; -ENOMEM, or -ERANGE with *d if
 * vpn is beyond the page table's address space. */
int pagemap_id(pagemap_t *pm, uint32_t proc, uint64_t vpn, uint32_t *id /* OUT */, diag_t *d);

/* The next id for (proc, vpn), which the caller guarantees has none and
 * will never look up (pagemap_id must not be used on pm since or after).
 * 0, or -ENOMEM / -ERANGE with *d as pagemap_id. */
int pagemap_append(pagemap_t *pm, uint32_t proc, uint64_t vpn, uint32_t *id /* OUT */, diag_t *d);

/* ids[i] = the id of (proc ? proc[i] : 0, vpn[i]) for i in [0, n): each key
 * hashed once, PM_AHEAD references ahead, and its slot prefetched then, so
 * the cache misses of many lookups overlap.  0, or the first error of
 * pagemap_id (ids before it are filled). */
int pagemap_ids(pagemap_t *pm, const uint32_t *proc, const uint64_t *vpn, size_t n,
                uint32_t *ids /* OUT */, diag_t *d);
void pagemap_check(const pagemap_t *pm);

#endif
