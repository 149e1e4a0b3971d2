/* SPDX-License-Identifier: MIT */
/*
 * sim.h - the paging simulator: replacement policies, dirty pages, several
 * processes, page tables and a TLB, over a memory reference trace.
 *
 * One run reads the trace once and simulates any number of jobs (a policy
 * and a frame count each) over it, spread over threads.  Everything a job
 * does not vary (page size, scope, TLB, page tables, latencies) is in the
 * shared sim_config_t.
 *
 * The model, per reference to virtual page `vpn` of process `pid`:
 *   1. TLB (if tlb.entries > 0): a hit needs no walk.
 *   2. Otherwise a page-table walk (if pt.kind != SIM_PT_NONE), counting the
 *      memory accesses it makes; then the TLB is filled.
 *   3. The replacement core: the page is resident (a hit) or not (a page
 *      fault: a free frame if any, else the policy picks a victim; a victim
 *      whose M bit is set costs one disk write, and its TLB entry is
 *      invalidated).  The policy sees every reference (an idealised MMU that
 *      reports every use, as textbook LRU assumes), not only TLB misses.
 *   4. A write sets the page's M (dirty) bit; every access sets its R bit.
 *
 * Pages are keyed by (pid, vpn).  With SIM_SCOPE_GLOBAL all processes share
 * all frames under one policy instance; with SIM_SCOPE_LOCAL each process
 * gets its own share of frames (equal or proportional to the distinct pages
 * it touches, OSC 10th ed. 10.5.2) and its own policy instance.
 *
 * Errors follow include/vmlab/diag.h.  Results are exact integers; the
 * effective access time is derived from them and the latencies.
 */
#ifndef VMLAB_SIM_H
#define VMLAB_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"
#include "vmlab/trace.h"

enum { SIM_MAX_LEVELS = 8 };

typedef enum sim_scope {
    SIM_SCOPE_GLOBAL = 0, /* one policy over every process's pages */
    SIM_SCOPE_LOCAL = 1,  /* each process replaces only its own pages */
} sim_scope_t;

typedef enum sim_split {
    SIM_SPLIT_EQUAL = 0,        /* local scope: frames / processes each */
    SIM_SPLIT_PROPORTIONAL = 1, /* local scope: by distinct pages touched */
} sim_split_t;

typedef enum sim_pt_kind {
    SIM_PT_NONE = 0,     /* no page-table model: its counters stay 0 */
    SIM_PT_LINEAR = 1,   /* one flat table per process: 1 access a walk */
    SIM_PT_MULTI = 2,    /* radix tree, tables allocated on first touch */
    SIM_PT_INVERTED = 3, /* one entry per frame + hash anchor table */
} sim_pt_kind_t;

typedef enum sim_tlb_policy {
    SIM_TLB_LRU = 0,
    SIM_TLB_FIFO = 1,
    SIM_TLB_RANDOM = 2,
} sim_tlb_policy_t;

typedef struct sim_tlb_config {
    uint32_t entries;        /* 0: no TLB model (tlb_hits = tlb_misses = 0) */
    uint32_t ways;           /* associativity; 0 or entries: fully associative;
                                entries % ways == 0, sets a power of two */
    sim_tlb_policy_t policy; /* replacement within a set */
    int asid;                /* 1: entries tagged with the process (kept across
                                switches); 0: flushed on every context switch */
} sim_tlb_config_t;

typedef struct sim_pt_config {
    sim_pt_kind_t kind;              /* SIM_PT_NONE: page_table_bytes = 0 */
    unsigned va_bits;                /* virtual address width; the levels plus
                                        the page offset must cover it exactly */
    unsigned nlevels;                /* SIM_PT_MULTI: number of levels; 0: two
                                        levels splitting va_bits (32 if 0) less
                                        the page offset, root taking the odd bit */
    unsigned levels[SIM_MAX_LEVELS]; /* bits of vpn per level, root first */
    unsigned pte_bytes;              /* bytes per entry (4 or 8; 0: 8) */
} sim_pt_config_t;

typedef struct sim_latency {
    double mem_ns;   /* one memory access (also each page-table access) */
    double tlb_ns;   /* one TLB lookup */
    double fault_ns; /* servicing a page fault (reading the page in) */
    double write_ns; /* writing a dirty victim back */
} sim_latency_t;

/* Progress: called from the reading thread now and then with references
 * done so far and the total (0 if unknown).  NULL: none. */
typedef void (*sim_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct sim_config {
    unsigned page_bits;      /* log2 page size; addresses are already pages
                                in a trace_pages_t, this is for the models */
    sim_scope_t scope;       /* global or local replacement */
    sim_split_t split;       /* local scope: how frames are shared out */
    sim_tlb_config_t tlb;    /* TLB model */
    sim_pt_config_t pt;      /* page-table model */
    sim_latency_t lat;       /* all 0: no effective access time */
    unsigned threads;        /* worker threads; 0: one per CPU */
    sim_progress_fn progress;/* NULL: no progress reports */
    void *progress_ctx;      /* passed to progress */
} sim_config_t;

/* One simulation in a run: a policy spec and a frame count. */
typedef struct sim_job {
    const char *policy; /* "NAME" or "NAME:key=value,key=value" (see policy.h) */
    uint64_t frames;    /* physical frames, >= 1 (and >= processes when local) */
} sim_job_t;

/* Counters for a whole run or one process. */
typedef struct sim_stats {
    uint64_t references;       /* references simulated */
    uint64_t writes;           /* of which writes */
    uint64_t page_faults;      /* references to a non-resident page */
    uint64_t disk_writes;      /* dirty pages written back (evictions, or a
                                  policy's cleaning); charged to the page's owner */
    uint64_t tlb_hits;         /* TLB model: 0 when off */
    uint64_t tlb_misses;       /* TLB model: 0 when off */
    uint64_t walk_accesses;    /* memory accesses made by page-table walks */
    uint64_t page_table_bytes; /* page-table memory at the end (peak: tables
                                  are never freed) */
    uint64_t distinct_pages;   /* distinct pages referenced */
    uint64_t frames;           /* frames this process may use (local scope),
                                  or all frames (global) */
} sim_stats_t;

typedef struct sim_result {
    sim_stats_t total;  /* the whole run */
    double eat_ns;      /* effective access time, 0 without latencies */
    uint32_t nprocs;    /* processes seen (>= 1) */
    uint32_t *pid;      /* nprocs pids as in the trace, ascending by first use */
    sim_stats_t *proc;  /* nprocs per-process counters, same order */
} sim_result_t;

/* Defaults: 4 KiB pages, global scope, no TLB, no page table, threads 0. */
sim_config_t sim_config_default(void);

/* Check cfg (page size, TLB geometry, levels covering va_bits) and every
 * job (known policy, valid parameters, frames >= 1): 0 or -EINVAL with *d
 * saying which and what was expected.  The run functions call it too. */
int sim_config_check(const sim_config_t *cfg, const sim_job_t *jobs, size_t njobs, diag_t *d);

/* Presets for --levels: "i386" (32-bit, 10,10 with 4 KiB pages), "x86-64"
 * (48-bit, 9,9,9,9), "sv39" (39-bit, 9,9,9).  Fills pt (kind, va_bits,
 * levels) and *page_bits; -EINVAL if unknown. */
int sim_pt_preset(const char *name, sim_pt_config_t *pt /* OUT */, unsigned *page_bits /* OUT */);

/* Run every job over an in-memory trace (page numbers already shifted by
 * cfg->page_bits; tp->write may be NULL: all reads).  res[0, njobs) are
 * filled in job order; free each with
 * sim_result_free().  0 or -errno (-EINVAL bad config, -ENOMEM, -ERANGE a
 * page beyond the page table's address space) with *d filled. */
int sim_run_pages(const sim_config_t *cfg, const sim_job_t *jobs, size_t njobs,
                  const trace_pages_t *tp, sim_result_t *res /* OUT */, diag_t *d);

/* The same over an open trace, read once in batches: jobs that need no
 * future knowledge (not opt) under global scope stream, so memory grows with
 * frames and distinct pages only; otherwise the trace is first loaded into
 * memory.  Reader errors (malformed lines) come back as the reader's diag. */
int sim_run_trace(const sim_config_t *cfg, const sim_job_t *jobs, size_t njobs, trace_t *t,
                  sim_result_t *res /* OUT */, diag_t *d);

void sim_result_free(sim_result_t *r);

/* The policy table, for --help and tests: name and one-line summary of the
 * i-th policy (NULL past the end), and its parameters with their defaults
 * ("load-r=1"; "" if none). */
const char *sim_policy_name(size_t i);
const char *sim_policy_summary(size_t i);
const char *sim_policy_params(size_t i);

#endif
