/* SPDX-License-Identifier: MIT */
/*
 * mrc.h - whole fault curves (miss-ratio curves): page faults for every
 * frame count, from one pass over a trace.
 *
 * LRU and OPT are stack algorithms (Mattson, Gecsei, Slutz and Traiger,
 * "Evaluation techniques for storage hierarchies", IBM Systems Journal 9(2),
 * 1970): a reference hits with f frames iff its stack distance is <= f, so
 * one histogram of stack distances gives the faults at every f exactly.
 *   - LRU: the distance is 1 + the number of distinct pages referenced since
 *     the page's previous reference, counted over a bitmap of last-reference
 *     times with a Fenwick tree over its words (Bennett and Kruskal 1975),
 *     O(log n) a reference.
 *   - OPT (Belady's MIN): the distance is computed on line from the past
 *     alone, O(log n) a reference, after the critical-stack analysis of
 *     Bilardi, Ekanadham and Pattnaik, "Optimal on-line computation of stack
 *     distances for MIN and OPT", CF 2017 (src/mrc/opt_stack.c).
 *   - SHARDS (Waldspurger, Park, Garthwaite, Ahmad, "Efficient MRC
 *     construction with SHARDS", FAST 2015): the LRU histogram of a spatially
 *     hashed sample of pages, rescaled; fixed rate or fixed sample size.
 *
 * Pages are 64-bit keys (page numbers, or page numbers tagged with a pid by
 * the caller).  Errors follow include/vmlab/diag.h: 0 or -errno.
 */
#ifndef VMLAB_MRC_H
#define VMLAB_MRC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"

/* An exact stack-distance histogram, turned into a fault curve. */
typedef struct mrc_hist {
    uint64_t *hits_le; /* hits_le[f], f in [0, size): references that hit with
                          f frames (stack distance <= f); hits_le[0] = 0 and
                          hits_le[size - 1] = refs - cold */
    size_t size;       /* distinct + 1 (every distance is <= distinct) */
    uint64_t refs;     /* references */
    uint64_t cold;     /* first references to a page (miss at every size) */
    uint64_t distinct; /* distinct pages */
} mrc_hist_t;

/* Exact LRU / OPT histograms of page[0, n).  -ENOMEM with *d filled. */
int mrc_lru_hist(const uint64_t *page, size_t n, mrc_hist_t *out /* OUT */, diag_t *d);
int mrc_opt_hist(const uint64_t *page, size_t n, mrc_hist_t *out /* OUT */, diag_t *d);
/* *out from a distance histogram hist[d], d in [1, V] (stack passes). */
int mrc_hist_from(const uint64_t *hist, uint32_t V, uint64_t refs, uint64_t cold,
                  mrc_hist_t *out /* OUT */);
/* Page faults with `frames` frames (frames >= 1; any size past distinct
 * gives the cold misses). */
uint64_t mrc_hist_faults(const mrc_hist_t *h, uint64_t frames);
void mrc_hist_free(mrc_hist_t *h);

/* An approximate LRU curve from SHARDS. */
typedef struct mrc_approx {
    uint64_t *at;      /* np frame counts >= 1, ascending, where the estimate
                          steps */
    double *hit;       /* hit[i]: estimated fraction of references that hit
                          with at[i] .. at[i + 1] - 1 frames, nondecreasing
                          (0 below at[0]) */
    size_t np;         /* points */
    size_t size;       /* estimated distinct + 1 */
    uint64_t refs;     /* references seen */
    uint64_t sampled;  /* references that fell in the sample */
    double rate;       /* final sampling rate */
} mrc_approx_t;

typedef struct mrc_shards_opts {
    double rate;       /* fixed-rate SHARDS: sampling rate in (0, 1] */
    uint64_t max_keys; /* fixed-size SHARDS: at most this many sampled pages
                          (0: fixed rate); starts at rate (1.0 if 0) */
    uint64_t seed;     /* hash seed: which pages are sampled */
    uint32_t parts;    /* partitioned SHARDS (fixed rate only): the sampled
                          hash range [0, T) split into `parts` equal ranges
                          (0 or 1: not partitioned) */
    uint32_t part;     /* the range this run samples, < parts, or
                          MRC_SHARDS_ALL_PARTS: all of them, each with its own
                          stack, merged as mrc_shards_merge does */
} mrc_shards_opts_t;
#define MRC_SHARDS_ALL_PARTS UINT32_MAX
#define MRC_SHARDS_MAX_PARTS 4096

int mrc_shards(const uint64_t *page, size_t n, const mrc_shards_opts_t *o,
               mrc_approx_t *out /* OUT */, diag_t *d);
/* Estimated miss ratio in [0, 1] with `frames` frames. */
double mrc_approx_miss_ratio(const mrc_approx_t *a, uint64_t frames);
void mrc_approx_free(mrc_approx_t *a);

/* Partitioned SHARDS: past one machine, N jobs each sample one of N equal
 * hash ranges of the rate-R sample (so each is itself a SHARDS sample at
 * rate R / N, with its own stack) and write a partial result; the merge
 * averages the N estimates of the histogram (SHARDS_adj applied to each).
 * The merged curve is exactly what one process computes with part =
 * MRC_SHARDS_ALL_PARTS: the same estimator, not a single rate-R stack
 * (whose distances count pages of every range, so it does not split). */
typedef struct mrc_shards_part {
    char *trace;        /* the trace's name as the job was given it */
    uint64_t seed;      /* sampling seed */
    double rate;        /* R of the whole sample */
    uint32_t part;      /* this range, < parts */
    uint32_t parts;     /* N >= 2 */
    uint64_t refs;      /* references in the trace */
    uint64_t distinct;  /* distinct pages in the trace */
    uint64_t page_size; /* bytes */
    uint64_t sampled;   /* references to pages of this range */
    uint64_t *dist;     /* k sampled stack distances, ascending, >= 1 */
    uint64_t *count;    /* k counts >= 1: references at dist[i] */
    size_t k;           /* distances */
} mrc_shards_part_t;

/* Write p as text (docs/mrc.md, "Partitioned SHARDS"); 0 or -EIO. */
int mrc_shards_part_write(FILE *f, const mrc_shards_part_t *p);
/* Parse text[0, len) (NUL at text[len]) written by mrc_shards_part_write;
 * 0, or -EINVAL with *d at name:LINE, -ENOMEM.  Memory is bounded by len. */
int mrc_shards_part_parse(const char *name, const char *text, size_t len,
                          mrc_shards_part_t *out /* OUT */, diag_t *d);
/* Join parts p[0, k) (one of each range of one run, any order) into the
 * curve; -EINVAL with *d naming the file index if they do not fit. */
int mrc_shards_merge(const mrc_shards_part_t *p, size_t k, mrc_approx_t *out /* OUT */,
                     diag_t *d);
void mrc_shards_part_free(mrc_shards_part_t *p);

/* Streaming: the curves of a trace read once, a batch at a time, never
 * held.  Exact LRU and OPT keep O(distinct pages) (about 60 and 100 bytes a
 * page with the dense numbering); SHARDS keeps O(sampled pages) at a fixed
 * rate and O(max_keys) at a fixed size; nothing is kept per reference.
 * Keys are as mrc_keys() makes them, except that a trace streamed with
 * several processes tags each page with (pid XOR the first pid) << 48 (the
 * same identities, so the exact curves are the same; SHARDS samples other
 * pages when the first pid is not 0). */
typedef struct mrc_stream_opts {
    int lru;              /* 1: the exact LRU histogram */
    int opt;              /* 1: the exact OPT histogram */
    int shards;           /* 1: a SHARDS estimate with `so` */
    mrc_shards_opts_t so; /* SHARDS's options (shards only) */
    int distinct;         /* 1: count distinct pages even without an exact
                             curve (O(distinct) memory unless the trace is
                             keyed, when the count is free) */
} mrc_stream_opts_t;

typedef struct mrc_stream_result {
    mrc_hist_t lru;      /* if opts.lru */
    mrc_hist_t opt;      /* if opts.opt */
    mrc_approx_t shards; /* if opts.shards (and not one part of several) */
    mrc_shards_part_t part; /* if opts.shards with so.part < so.parts: the
                               partial result (trace, page_size left to the
                               caller) */
    uint64_t refs;       /* references */
    uint64_t distinct;   /* distinct pages, when known (has_distinct) */
    int has_distinct;    /* 1: distinct is exact */
    int keyed;           /* 1: the trace's keys were read as page ids */
} mrc_stream_result_t;

typedef struct mrc_stream mrc_stream_t;
struct trace;
int mrc_stream_new(mrc_stream_t **out /* OUT */, const mrc_stream_opts_t *o, diag_t *d);
/* Feed key[0, n) (mrc_keys-style page keys). */
int mrc_stream_keys(mrc_stream_t *s, const uint64_t *key, size_t n, diag_t *d);
/* Feed every remaining reference of t at pages of 2^page_bits bytes: by
 * keys when t has them at this page size or finer and s has been fed
 * nothing yet (trace_read_keys: a key is a page id, no hashing), else by
 * trace_read.  0 or -errno with *d (a malformed line, -ERANGE for a page
 * past 2^48 in a multi-process trace, -ENOMEM). */
int mrc_stream_trace(mrc_stream_t *s, struct trace *t, unsigned page_bits, diag_t *d);
/* The results so far (s stays usable); free with mrc_stream_result_free. */
int mrc_stream_finish(mrc_stream_t *s, mrc_stream_result_t *out /* OUT */, diag_t *d);
/* Bytes s holds (its own allocations, the trace reader's excluded). */
size_t mrc_stream_bytes(const mrc_stream_t *s);
void mrc_stream_free(mrc_stream_t *s);
void mrc_stream_result_free(mrc_stream_result_t *r);

/* Belady's anomaly: given faults[i] at frames[i] for ascending frames,
 * write to out[] each index i >= 1 where faults[i] > faults[i - 1] (more
 * frames, more faults); returns how many.  out has room for k entries. */
size_t mrc_anomalies(const uint64_t *frames, const uint64_t *faults, size_t k, size_t *out);

/* Distinct values in page[0, n), or -ENOMEM. */
int64_t mrc_distinct(const uint64_t *page, size_t n);

/* One policy's curve over a trace: faults[i] at frames[i], i in [0, k).
 * "lru" and "opt" come from one exact stack-distance pass; any other
 * policy spec of the sim table ("fifo", "aging:bits=8", ...) runs one
 * simulation per frame count through sim_run_pages (all cores), at most
 * MRC_SWEEP_JOBS of them at a time so that memory stays bounded however
 * many sizes are asked for.  key[] are
 * tp's pages tagged with their pid (mrc_keys), used by the stack passes.
 * page_bits is the page size sims are told.  0 or -errno with *d. */
#define MRC_SWEEP_JOBS 64
struct trace_pages;
int mrc_policy_faults(const char *policy, const uint64_t *key, const struct trace_pages *tp,
                      unsigned page_bits, const uint64_t *frames, size_t k,
                      uint64_t *faults /* OUT */, diag_t *d);
/* Keys for the stack passes: page numbers, tagged (pid << 48) when the
 * trace has several processes, so each process's pages stay apart as in
 * sim's global scope.  *key malloc'd; -ERANGE if a page does not fit 48
 * bits in a multi-process trace. */
int mrc_keys(const struct trace_pages *tp, uint64_t **key /* OUT */, diag_t *d);

#endif
