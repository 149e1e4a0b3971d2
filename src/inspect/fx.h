/* SPDX-License-Identifier: MIT */
/*
 * fx.h - what the page-fault experiments (faults.c, faults_prot.c) share:
 * the prologue (the question, an anonymous region without huge pages),
 * recording steps and figures into an inspect_fx_t, fault counters from
 * getrusage(2), the resident set, pagemap reads, PFN counting, a temporary
 * file of 'a's.  One experiment is one function of the inspect_fx_desc_t
 * table in faults.c.
 */
#ifndef VMLAB_INSPECT_FX_H
#define VMLAB_INSPECT_FX_H

#include <stddef.h>

#include "vmlab/inspect.h"

typedef struct faults {
    long min; /* ru_minflt */
    long maj; /* ru_majflt */
} faults_t;

/* The prologue: set the question and map len bytes of private anonymous
 * read-write memory, MADV_NOHUGEPAGE (one fault is one page), into *p. */
int fx_begin(inspect_fx_t *fx, const char *question, size_t len, char **p /* OUT */, diag_t *d);

void fx_did(inspect_fx_t *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fx_measured(inspect_fx_t *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fx_conclude(inspect_fx_t *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

faults_t fx_faults_now(void);
/* Resident set in kB (/proc/self/statm through src). */
int fx_rss_kb(const inspect_src_t *src, long *kb, diag_t *d);
/* Private anonymous read-write memory, MADV_NOHUGEPAGE; NULL on failure. */
void *fx_map_anon(size_t len);
/* Distinct PFNs among n pages, -1 if any is absent or hidden. */
long fx_distinct_pfns(const inspect_page_t *pg, size_t n);
/* pagemap (with kpageflags/kpagecount) of n pages from addr of this
 * process into a calloc'd *pg. */
int fx_read_pages(const inspect_src_t *src, const void *addr, size_t n, inspect_page_t **pg,
                  diag_t *d);
/* Present pages among the whole pages inside [p, p + len). */
int fx_present_pages(const inspect_src_t *src, const void *p, size_t len, long *count,
                     long *whole, diag_t *d);
/* A temporary file of len bytes of 'a', fsync'ed: its fd (path in
 * path[pn], to unlink) or -errno. */
int fx_tmp_file(size_t len, char *path, size_t pn, diag_t *d);

extern const char fx_pfn_hidden_why[];

/* The protection experiments (faults_prot.c). */
int fx_mprotect(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d);
int fx_mmap(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d);

#endif
