/* SPDX-License-Identifier: MIT */
/*
 * env.h - the environment vmlab runs in: files, output, clocks, CPUs, pages.
 *
 * Everything that touches the operating system for the command line goes
 * through here, so the cores (vm, sim, mrc, malloc, ...) never call it
 * directly: they take their inputs as buffers, callbacks or ops structs, and
 * tests hand them fakes.  All calls follow the library convention of
 * include/vmlab/diag.h: 0 or -errno, with a diag_t filled on failure.
 *
 * Output files are atomic: env_out_open() writes to a temporary file next to
 * the target and env_out_commit() renames it into place, so an error half way
 * never leaves a half-written output.  The path "-" (or NULL) is stdout.
 * Only a regular file (or a new path) is replaced that way: a device, FIFO,
 * terminal or socket is opened and written in place; a symbolic link is
 * followed (the file it points to is replaced, the link stays; a dangling
 * link is refused); a directory or "" is refused.  A new file gets the mode
 * open(O_CREAT, 0666) would under the umask, a replaced one keeps its mode
 * (and, as root, its owner).  SIGINT, SIGTERM and SIGHUP (when left at their
 * default action) remove the temporary files being written before dying.
 */
#ifndef VMLAB_ENV_H
#define VMLAB_ENV_H

#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"

/* Read all of `path` into a malloc'd buffer (*data, NUL-terminated one past
 * *len, so text can be scanned safely).  "-" reads stdin.  Caller frees. */
int env_read_file(const char *path, char **data /* OUT */,
                  size_t *len /* OUT */, diag_t *d);

/* As env_read_file, for text: a NUL byte or a line longer than
 * ENV_LINE_MAX bytes stops the read with "FILE:LINE: ..." (-EINVAL), so a
 * binary file or /dev/zero fails on its first line instead of filling
 * memory.  Every line-oriented reader of the command line uses it. */
#define ENV_LINE_MAX 65536u
int env_read_text(const char *path, char **data /* OUT */, size_t *len /* OUT */, diag_t *d);
/* As env_read_file, but at most the first `max` bytes (the rest, if any, is
 * not read): for inputs of which only a prefix matters. */
int env_read_max(const char *path, size_t max, char **data /* OUT */, size_t *len /* OUT */,
                 diag_t *d);
/* Physical memory of the machine in bytes (2^40 if unknown): the yardstick
 * for sizes that multiply (nodes x node size, a replay's live bytes). */
uint64_t env_mem_bytes(void);

typedef struct env_out {
    FILE *fp;        /* where to write; stdout for "-" */
    char path[4096]; /* final path, "" for stdout */
    char tmp[4096];  /* temporary path being written, "" for stdout or direct */
    int direct;      /* 1: path is a device, FIFO or terminal, written in place */
} env_out_t;

/* Open `path` ("-" or NULL: stdout) for writing through a temporary file. */
int env_out_open(env_out_t *o /* OUT */, const char *path, diag_t *d);
/* Flush, close and rename into place; on failure the target is untouched. */
int env_out_commit(env_out_t *o, diag_t *d);
/* Close and remove the temporary file; the target is untouched. */
void env_out_abort(env_out_t *o);

/* Monotonic time in nanoseconds, for throughput figures. */
uint64_t env_now_ns(void);
/* Number of online CPUs, at least 1. */
int env_ncpus(void);
/* Pin the calling thread to CPU `cpu` (sched_setaffinity): 0 or -errno. */
int env_pin_cpu(int cpu);
/* The CPU the calling thread runs on now, or -1. */
int env_current_cpu(void);
/* Whether stream is a terminal (progress bars only on a terminal). */
int env_isatty(FILE *stream);

/* Large zeroed arrays that are read at random (hash tables, per-page state):
 * `size` bytes straight from the kernel, asking for transparent huge pages
 * (madvise mode) so that each random touch does not also miss the TLB.
 * Below ENV_BIG_MIN bytes it is plain calloc.  NULL with errno ENOMEM, as
 * malloc.  env_big_free needs the size it was allocated with. */
#define ENV_BIG_MIN ((size_t)1 << 21)
void *env_big_alloc(size_t size);
/* Resize p (of `old` bytes, or NULL) to `size` bytes, contents kept and the
 * tail zeroed; NULL with errno ENOMEM and p untouched. */
void *env_big_realloc(void *p, size_t old, size_t size);
void env_big_free(void *p, size_t size);
/* size bytes of zeroed anonymous memory in base pages only (transparent huge
 * pages refused with MADV_NOHUGEPAGE), for measuring the TLB; NULL with errno
 * ENOMEM.  Free with env_small_pages_free(p, size). */
void *env_small_pages_alloc(size_t size);
void env_small_pages_free(void *p, size_t size);

#endif
