/* SPDX-License-Identifier: MIT */
/*
 * replay.h - CS:APP malloc-lab traces (.rep): parse, replay under a design
 * with every check mdriver makes, and measure (vmlab malloc replay).
 *
 * Format: a header of integers, one a line (four: suggested heap size,
 * number of ids, number of operations, weight; or two: ids, operations),
 * then one operation a line:
 *   a ID BYTES    ptr[ID] = malloc(BYTES)
 *   r ID BYTES    ptr[ID] = realloc(ptr[ID], BYTES)
 *   f ID          free(ptr[ID])
 * Blank lines are skipped.  Parsing also checks the trace's own logic: an
 * id allocated while live, or reallocated/freed while not live, is an error
 * of the trace (with its line), never a crash of the replay.
 */
#ifndef VMLAB_MALLOC_REPLAY_H
#define VMLAB_MALLOC_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"

typedef struct mr_op {
    char type;   /* 'a', 'r' or 'f' */
    uint32_t id; /* < mr_trace_t.nids */
    size_t size; /* bytes for 'a' and 'r'; 0 for 'f' */
} mr_op_t;

typedef struct mr_trace {
    mr_op_t *ops;        /* nops operations, owned */
    size_t nops;         /* as the header says, and as many as read */
    size_t nids;         /* ids are in [0, nids) */
    size_t peak_payload; /* max over time of the sum of live request sizes */
} mr_trace_t;

/* Parse text[0, len) (NUL-terminated at len) read from `path` (for
 * messages).  The sum of live request sizes may not exceed max_live (the
 * command line passes the machine's memory, env_mem_bytes(); SIZE_MAX: no
 * limit).  0, or -EINVAL/-E2BIG/-ENOMEM with *d saying FILE:LINE: what. */
int mr_parse(const char *path, const char *text, size_t len, size_t max_live,
             mr_trace_t *t /* OUT */, diag_t *d);
void mr_trace_free(mr_trace_t *t);

typedef struct mr_result {
    int valid;            /* every check passed */
    char why[256];        /* if not valid: what failed */
    double util;          /* peak payload / heap bytes, 0..1; 0 if unknown */
    double ops_per_sec;   /* median over samples of the unchecked replay */
    size_t heap_bytes;    /* heap size: arena high-water (libc: see replay.c);
                             0 if unknown */
    long peak_rss_kb;     /* libc only: the process's peak RSS after the run */
} mr_result_t;

/* How to replay (mr_run). */
typedef struct mr_opts {
    size_t align;       /* payload alignment: 8 or 16 */
    size_t grow_min;    /* ma_config_t.grow_min (0: default) */
    unsigned flags;     /* ma_config_t.flags (MA_DEFER_COALESCE, ...) */
    double min_seconds; /* per timing sample; 0: no timing */
    int samples;        /* timing samples (1..15), the median is reported */
} mr_opts_t;

/* Replay t under `design` (a vmlab design name, "libc" for the C
 * library's malloc, which ignores everything in *o but the timing, or a
 * reference of mplan.h, "offline" or "bound", which use only o->align),
 * checked once, then timed.  Returns 0 (see res->valid), or -ENOENT for an
 * unknown design, -ENOMEM if the arena cannot be mapped. */
int mr_run(const mr_trace_t *t, const char *design, const mr_opts_t *o,
           mr_result_t *res /* OUT */);

/* ---- fragmentation over time (vmlab malloc replay --frag, plot heap) ---- */

/* The heap after some operation, from a walk of every block. */
typedef struct mr_sample {
    size_t op;           /* operations replayed so far (1..nops) */
    size_t heap_bytes;   /* the heap's size: the arena's high-water mark */
    size_t free_bytes;   /* bytes in free blocks */
    size_t largest_free; /* the largest free block, 0 if none */
    size_t free_blocks;  /* number of free blocks */
    size_t alloc_bytes;  /* bytes in allocated blocks (headers, padding) */
    size_t payload;      /* bytes the trace asked for and holds */
    size_t live_blocks;  /* allocated blocks */
} mr_sample_t;

/* External fragmentation: 1 - largest free block / free bytes (0: no free
 * memory); internal: the bytes of allocated blocks beyond their payload
 * (headers, padding, rounding) per byte of payload (0: no payload). */
double mr_frag_external(const mr_sample_t *s);
double mr_frag_internal(const mr_sample_t *s);

/* A stretch of the heap in a map: [off, off + len) from the heap's start. */
enum { MR_PAYLOAD = 1, MR_OVERHEAD = 2, MR_FREE = 3 };
typedef struct mr_span {
    size_t off, len; /* bytes from the arena's base */
    int kind;        /* MR_PAYLOAD, MR_OVERHEAD (header, padding) or MR_FREE */
} mr_span_t;

/* Called after every `every`-th operation and after the last: the sample,
 * and (if asked) the heap's spans in address order, adjacent spans of one
 * kind merged.  Non-zero stops the replay and is returned. */
typedef int (*mr_sample_fn)(void *ctx, const mr_sample_t *s, const mr_span_t *spans,
                            size_t nspans);

/* Replay t under a vmlab design (not libc: its heap cannot be walked),
 * calling fn as above.  0, fn's non-zero value, -ENOENT for an unknown
 * design or libc, -ENOMEM, or -EIO if the design ran out of the arena. */
int mr_sample_run(const mr_trace_t *t, const char *design, const mr_opts_t *o, size_t every,
                  int want_spans, mr_sample_fn fn, void *ctx);

#endif
