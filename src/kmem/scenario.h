/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - `vmlab kmem` scenario files: one operation a line, parsed
 * whole before anything runs, then run against a kmem_t with the reports
 * printed where the file asks for them.
 *
 *   cache NAME SIZE [ALIGN] [redzone] [poison] [hwcache] [dma] [ctor]
 *   alloc NAME N          free NAME N          (newest objects first)
 *   shrink NAME           destroy NAME
 *   kmalloc SIZE N        kfree SIZE N
 *   pages ORDER N [GFP]   free_pages ORDER N   (GFP: GFP_KERNEL, GFP_ATOMIC,
 *                                               GFP_DMA, GFP_DMA32, GFP_HIGHUSER)
 *   vmalloc BYTES         vfree
 *   cpu N                 workload fork|dentry|fragment N [SEED]
 *   report slabinfo|slabtop|buddyinfo|fragindex|extfrag|unusable|contig
 *
 * `#` starts a comment; blank lines are ignored.
 */
#ifndef VMLAB_KMEM_SCENARIO_H
#define VMLAB_KMEM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "base/out.h"
#include "vmlab/diag.h"
#include "vmlab/kmem.h"

typedef enum {
    KOP_CACHE, KOP_ALLOC, KOP_FREE, KOP_SHRINK, KOP_DESTROY, KOP_KMALLOC, KOP_KFREE, KOP_PAGES,
    KOP_FREE_PAGES, KOP_VMALLOC, KOP_VFREE, KOP_CPU, KOP_WORKLOAD, KOP_REPORT
} kmem_opkind_t;

typedef enum { KREP_SLABINFO, KREP_SLABTOP, KREP_BUDDYINFO, KREP_FRAGINDEX, KREP_EXTFRAG, KREP_UNUSABLE, KREP_CONTIG } kmem_report_t;
typedef enum { KWL_FORK, KWL_DENTRY, KWL_FRAGMENT } kmem_workload_t;

typedef struct kmem_op {
    kmem_opkind_t kind;  /* the operation */
    unsigned long line;  /* 1-based line in the file */
    char name[64];       /* cache name (cache, alloc, free, shrink, destroy) */
    uint64_t a, b;       /* SIZE/N, ORDER/N, BYTES, CPU, workload N/SEED */
    uint64_t c;          /* cache: ALIGN */
    unsigned flags;      /* cache: KMEM_SLAB_*; pages: gfp; report/workload: which */
    int ctor;            /* cache: give it a constructor */
} kmem_op_t;

typedef struct kmem_scenario {
    char file[256];      /* name for messages */
    kmem_op_t *ops;      /* [n] */
    size_t n, cap;       /* count, room */
} kmem_scenario_t;

/* Parse a whole file; 0 or -EINVAL with d = "FILE:LINE: what (expected ...)". */
int kmem_scenario_parse(const char *text, size_t len, const char *file, kmem_scenario_t *s /* OUT */, diag_t *d);
void kmem_scenario_free(kmem_scenario_t *s);

/* Run on km, printing reports to out; 0 or -errno with d naming the line
 * (a misuse the allocator detected, an object still allocated at destroy,
 * more frees than allocations). */
int kmem_scenario_run(kmem_t *km, const kmem_scenario_t *s, FILE *out, out_format_t fmt, diag_t *d);
/* What else a run does after every operation. */
struct kmem_hist;
typedef struct kmem_run_opts {
    struct kmem_hist *hist; /* sample free pages by order into it (NULL: no) */
    /* Report progress (NULL: no): lines run, lines in all, lines run again
     * as the count; progress_cb with a progress_t as ctx fits. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total, uint64_t count);
    void *progress_ctx;     /* progress's first argument */
} kmem_run_opts_t;
/* kmem_scenario_run with those (ro may be NULL: none). */
int kmem_scenario_run_opts(kmem_t *km, const kmem_scenario_t *s, FILE *out, out_format_t fmt,
                           const kmem_run_opts_t *ro, diag_t *d);

/* One built-in workload step of n operations (used by scenarios and by
 * `vmlab slabtop`); live objects are kept in *state between calls
 * (kmem_workload_end frees them). */
typedef struct kmem_wl kmem_wl_t;
int kmem_workload_run(kmem_t *km, kmem_wl_t **state, kmem_workload_t which, uint64_t n, uint64_t seed, diag_t *d);
void kmem_workload_end(kmem_t *km, kmem_wl_t *state);

/* Print one report (text or JSON) of the live instance. */
int kmem_scenario_report(kmem_t *km, kmem_report_t which, FILE *out, out_format_t fmt);

/* The JSON of one slabinfo row (the contract's keys) and of one zone: node,
 * zone and the arrays `parts` asks for (the kernel's integers, per order).
 * Shared by the scenario reports and `vmlab kmem --real`. */
enum { KMEM_JSON_NR_FREE = 1, KMEM_JSON_EXTFRAG = 2, KMEM_JSON_UNUSABLE = 4 };
void kmem_json_slab(out_json_t *j, const kmem_slabinfo_t *s);
void kmem_json_zone(out_json_t *j, const kmem_zoneinfo_t *z, unsigned parts);

#endif
