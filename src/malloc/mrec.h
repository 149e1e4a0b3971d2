/* SPDX-License-Identifier: MIT */
/*
 * mrec.h - `vmlab malloc record`: the event files the recording shim
 * (record_shim.c, build/libvmlab-record.so) writes, and their conversion into
 * a CS:APP malloc-lab .rep trace (Bryant & O'Hallaron, CS:APP 3e, 9.9 and the
 * malloc lab's traces/README: four header numbers, then `a ID BYTES`,
 * `r ID BYTES`, `f ID`).
 *
 * One event file per process image (a fork or an exec starts a new one), named
 * DIR/PID-N.ev with N the first free number for that pid.  The file is a
 * mrec_header_t followed by mrec_event_t records in sequence order, zero
 * filled after the last one (the shim grows the file through shared mappings,
 * so a process killed or ending with _exit(2) leaves every event it made).
 *
 * Ordering across threads: the shim numbers events under one lock, and takes
 * the number of a release (free, the old block of a realloc) before the real
 * call and of an acquisition (malloc, the new block of a realloc) after it.
 * An address therefore appears released before any acquisition that reuses
 * it, whichever threads did the two.  A realloc is two events, MREC_RREL
 * before and MREC_RACQ after, the second naming the first by its sequence
 * number; in between, the old address belongs to nobody.
 */
#ifndef VMLAB_MALLOC_MREC_H
#define VMLAB_MALLOC_MREC_H

#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"

#define MREC_MAGIC "VMLREC1"
#define MREC_ENV_DIR "VMLAB_RECORD_DIR" /* where the shim writes its files */

enum mrec_type {
    MREC_END = 0,  /* no event: the zero-filled tail of the file */
    MREC_ALLOC,    /* ptr = block returned, size = bytes asked for */
    MREC_FREE,     /* ptr = block freed (never NULL) */
    MREC_RREL,     /* realloc begins: ptr = old block (never NULL), size = new size */
    MREC_RACQ,     /* realloc returned: ptr = new block or NULL, size = new size,
                      link = seq of its MREC_RREL */
};

typedef struct mrec_header {
    char magic[8];    /* MREC_MAGIC, NUL-terminated */
    uint32_t version; /* 1 */
    uint32_t pid;     /* process that wrote the file */
    uint32_t ppid;    /* its parent */
    uint32_t image;   /* N of PID-N.ev: 0 for the first image of the pid, +1 per exec */
    char cmd[232];    /* the process's command line, arguments separated by
                         spaces, truncated, NUL-terminated */
} mrec_header_t;

typedef struct mrec_event {
    uint64_t seq;  /* 1, 2, ... in file order (per file) */
    uint64_t ptr;  /* address, see enum mrec_type */
    uint64_t size; /* bytes, see enum mrec_type */
    uint32_t type; /* enum mrec_type */
    uint32_t link; /* MREC_RACQ: low 32 bits of its MREC_RREL's seq; else 0 */
} mrec_event_t;

_Static_assert(sizeof(mrec_header_t) == 256, "header layout");
_Static_assert(sizeof(mrec_event_t) == 32, "event layout");

/* What converting one event file gave. */
typedef struct mrec_stats {
    uint64_t events;        /* events read */
    uint64_t ops;           /* trace lines written */
    uint64_t ids;           /* distinct ids (one per allocation) */
    uint64_t peak_bytes;    /* largest total of live requested bytes */
    uint64_t live_at_end;   /* ids never freed (leaked or freed at exit by the OS) */
    uint64_t unknown_frees; /* frees (and reallocs) of pointers never seen allocated:
                               made before the shim started, or by the loader; skipped */
    uint64_t lost_frees;    /* an address came back from malloc while still live in
                               the trace: its free was not seen; freed implicitly */
} mrec_stats_t;

/* One event file's header and events, read whole. */
typedef struct mrec_file {
    mrec_header_t hdr;   /* its header */
    mrec_event_t *ev;    /* its events, malloc'd (caller frees with mrec_file_free) */
    size_t nev;          /* number of events (up to the first MREC_END) */
} mrec_file_t;

/* Parse an event file's bytes [buf, buf + len): header checked, events up to
 * the zero tail (a partial last record is ignored).  path names it in errors.
 * 0 or -errno with d filled (a bad magic or version, a seq out of order, an
 * unknown event type). */
int mrec_parse(const void *buf, size_t len, const char *path, mrec_file_t *f /* OUT */,
               diag_t *d);
/* mrec_parse of the file at path. */
int mrec_file_read(const char *path, mrec_file_t *f /* OUT */, diag_t *d);
void mrec_file_free(mrec_file_t *f);

/* Write f's events as a .rep trace to out (header line numbers: peak live
 * bytes as the suggested heap size, ids, ops, weight 1).  Every pointer maps
 * to a fresh id per allocation; ids are never reused.  Returns 0 or -errno
 * (ENOMEM; EIO on a write error) with d filled; *st filled on success. */
int mrec_write_rep(const mrec_file_t *f, FILE *out, mrec_stats_t *st /* OUT */,
                   diag_t *d);

#endif
