/* SPDX-License-Identifier: MIT */
/*
 * trace.h - memory reference traces: every format vmlab reads, one reader.
 *
 * Formats (-F NAME on the command line):
 *   osc     one decimal logical address a line (the OSC project's addresses.txt)
 *   rw      "0041f7a0 R": hex address, R or W (Pitt vmsim, Adelaide memsim, bzip.trace)
 *   ls      "l 0x7ff000 [n]" / "s 0x... [n]": load/store, hex address, optional size
 *   lackey  Valgrind lackey --trace-mem=yes: "I  addr,size", " L addr,size",
 *           " S addr,size", " M addr,size" (M is a read then a write);
 *           "==pid==" and "--pid--" banner lines are skipped
 *   din     DineroIV "LABEL ADDR [SIZE]": label 0 read, 1 write, 2 ifetch
 *           (3 escape and 4 flush are skipped), hex address
 *   pages   one decimal page number a line (never auto-detected: looks like osc)
 *   vmlab   vmlab's compact binary format, written by `vmlab convert`
 * An optional leading pid column ("PID ADDR ...", decimal) gives several
 * processes in the text formats that have no other use for a first number
 * (rw, osc, pages); see trace_opts_t.multi_pid.
 * Input compressed with gzip (zlib) or zstd (libzstd, when built with it) is
 * recognised by its magic bytes and read transparently; "-" is stdin.
 *
 * A reader hands out references in batches (trace_read), so a simulator's
 * inner loop never calls through a function pointer per reference.
 *
 * Errors follow include/vmlab/diag.h: -errno, and *d names FILE:LINE and says
 * what was expected.  With skip_bad set, malformed lines are counted
 * (trace_bad_lines) instead of failing.
 */
#ifndef VMLAB_TRACE_H
#define VMLAB_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "vmlab/diag.h"

typedef enum trace_format {
    TRACE_AUTO = 0, /* detect from the first bytes (never yields TRACE_PAGES) */
    TRACE_OSC,
    TRACE_RW,
    TRACE_LS,
    TRACE_LACKEY,
    TRACE_DIN,
    TRACE_PAGES,
    TRACE_VMLAB,
} trace_format_t;

typedef enum trace_op {
    TRACE_READ = 0,   /* data load */
    TRACE_WRITE = 1,  /* data store: sets the page's dirty bit */
    TRACE_IFETCH = 2, /* instruction fetch: a read */
} trace_op_t;

typedef struct trace_ref {
    uint64_t addr; /* byte address; for TRACE_PAGES, page number << page_bits
                      (see trace_opts_t) so every consumer divides the same way
                      (modulo 2^64: 64-bit ids keep their low 64 - page_bits bits) */
    uint32_t pid;  /* process id from the pid column or lackey banner; 0 if none */
    uint8_t op;    /* trace_op_t */
    uint8_t size;  /* access size in bytes, 0 if the format has none */
} trace_ref_t;

typedef struct trace_opts {
    trace_format_t format; /* TRACE_AUTO to detect */
    unsigned page_bits;    /* log2 page size, for TRACE_PAGES addresses (default 12;
                              0 also means 12) */
    int multi_pid;         /* 1: text lines start with a decimal pid column */
    int skip_bad;          /* 1: count malformed lines instead of failing */
    const char *pid_opt;   /* the caller's option for multi_pid ("-P", "--pid"),
                              named in format-detection hints; NULL: the
                              caller has none, so none is suggested */
    /* trace_load_pages reports after each batch read: input bytes done of
     * total (trace_progress) and references so far.  NULL: no reports. */
    void (*progress)(void *ctx, uint64_t bytes_done, uint64_t bytes_total, uint64_t refs);
    void *progress_ctx;    /* passed to progress */
} trace_opts_t;

typedef struct trace trace_t;

/* Name <-> format ("osc", "rw", ...); -1 / NULL if unknown. */
int trace_format_parse(const char *name);
const char *trace_format_name(trace_format_t f);

/* Open path ("-": stdin).  0, or -errno with *d filled: missing file,
 * unknown or undetectable format, truncated compressed input, no zstd. */
int trace_open(trace_t **out /* OUT */, const char *path, const trace_opts_t *opts, diag_t *d);
/* Fill buf[0, n) with the next references: returns how many (0 at the end of
 * the trace) or -errno with *d filled (FILE:LINE of a malformed line). */
ssize_t trace_read(trace_t *t, trace_ref_t *buf, size_t max, diag_t *d);
/* The format actually being read (after detection). */
trace_format_t trace_format(const trace_t *t);
/* Malformed lines skipped so far (skip_bad only). */
uint64_t trace_bad_lines(const trace_t *t);
void trace_close(trace_t *t);

/* Convenience for simulators that need the whole trace in memory (several
 * configurations over one read, OPT's future knowledge): read every
 * reference of `path` as page numbers (addr >> page_bits), with writes and
 * pids alongside.  *pages, *writes (1 byte per ref, 1 = write) and *pids
 * (NULL unless several pids appear) are malloc'd; caller frees. */
typedef struct trace_pages {
    uint64_t *page;  /* n page numbers */
    uint8_t *write;  /* n flags: 1 if the reference is a write */
    uint32_t *pid;   /* n pids, or NULL if the trace has one process */
    size_t n;        /* references */
    uint32_t npids;  /* distinct pids (1 if pid == NULL) */
} trace_pages_t;

int trace_load_pages(const char *path, const trace_opts_t *opts, unsigned page_bits,
                     trace_pages_t *out /* OUT */, diag_t *d);
void trace_pages_free(trace_pages_t *tp);

/* ---- Additions (everything above is the original contract) ---- */

/* All format names for messages and help: "osc, rw, ls, lackey, din, pages, vmlab". */
const char *trace_format_names(void);

/* trace_open over memory [data, data + len), borrowed until trace_close();
 * name is the file name used in messages (NULL: "memory").  Compressed
 * data is decompressed as from a file. */
int trace_open_mem(trace_t **out /* OUT */, const void *data, size_t len, const char *name,
                   const trace_opts_t *opts, diag_t *d);
/* Lines consumed so far (text formats; records for vmlab binary). */
uint64_t trace_lines(const trace_t *t);
/* Lines consumed that carry no reference and are not errors: blank lines,
 * '#' comments, lackey's banners and the traced program's own output that
 * lackey interleaves with its records, din escape records. */
uint64_t trace_skipped_lines(const trace_t *t);
/* For a progress bar: *done input bytes read so far (compressed bytes for
 * compressed input) out of *total (the file's size; 0 if unknown: stdin, a
 * pipe). */
void trace_progress(const trace_t *t, uint64_t *done /* OUT */, uint64_t *total /* OUT */);
/* The compression of the input: "gzip", "zstd" or "none". */
const char *trace_compression(const trace_t *t);

/* Keyed reading, for simulators that index per-page state by a dense id.
 * vmlab's binary format (version 2) numbers the distinct (pid, address)
 * pairs of a trace 0, 1, 2, ... in order of first appearance ("keys") and
 * stores a repeated reference as its key, so a reader can hand out keys
 * without hashing an address per reference.
 *   trace_has_keys: 1 if trace_read_keys works on t (vmlab version 2), else 0.
 *   trace_read_keys: like trace_read, but key[i] = the key of the i-th
 *     reference and op[i] its trace_op_t; sizes are not reported.  Returns
 *     the count, 0 at the end, -errno with *d; -ENOTSUP if !trace_has_keys.
 *     Do not mix with trace_read on one reader.
 *   trace_nkeys: keys defined so far (every key read is < trace_nkeys()).
 *   trace_key: the address (as trace_read would give it) and pid of key
 *     k < trace_nkeys(t).
 *   trace_key_shift: the keys' granularity: addresses are stored >> this,
 *     so two keys of one pid differ in their address >> trace_key_shift(t)
 *     (the same two keys are distinct pages of any size up to 2^shift). */
int trace_has_keys(const trace_t *t);
ssize_t trace_read_keys(trace_t *t, uint32_t *key /* OUT */, uint8_t *op /* OUT */, size_t max,
                        diag_t *d);
uint32_t trace_nkeys(const trace_t *t);
void trace_key(const trace_t *t, uint32_t k, uint64_t *addr /* OUT */, uint32_t *pid /* OUT */);
unsigned trace_key_shift(const trace_t *t);
/* Whether t can be read at pages of 2^page_bits bytes: a binary trace
 * stored at a coarser granularity (converted with --page-size) has lost the
 * offsets finer pages need, so reading it at finer pages would report
 * pages it cannot know about.  0, or -EINVAL with *d saying which page
 * sizes work. */
int trace_check_page_bits(const trace_t *t, unsigned page_bits, diag_t *d);

/* Writing traces (`vmlab convert`, tests, generators).  Formats:
 *   TRACE_VMLAB  the binary format, version 2 (docs/trace-format.md);
 *                addresses are stored >> addr_shift (a page-granular trace
 *                loses nothing with addr_shift = page bits and is much
 *                smaller); the writer keeps a map of the distinct (pid,
 *                stored address) pairs, so its memory grows with them
 *   TRACE_RW     "HEXADDR R|W" (an instruction fetch is written as R)
 *   TRACE_PAGES  addr >> addr_shift in decimal, one a line
 *   TRACE_OSC    decimal address, one a line
 * pid_column (text formats): start each line with the decimal pid.
 * The writer only buffers: fp stays the caller's (env_out_open()). */
typedef struct trace_writer trace_writer_t;
int trace_writer_open(trace_writer_t **out /* OUT */, FILE *fp, const char *name,
                      trace_format_t format, unsigned addr_shift, int pid_column, diag_t *d);
int trace_write(trace_writer_t *w, const trace_ref_t *refs, size_t n, diag_t *d);
/* Write what is buffered (and the binary end record), free w; 0 or -errno. */
int trace_writer_finish(trace_writer_t *w, diag_t *d);
/* Free w without finishing (after an error). */
void trace_writer_abort(trace_writer_t *w);

#endif
