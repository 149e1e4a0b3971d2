/* SPDX-License-Identifier: MIT */
/*
 * plot.h - the data and gnuplot scripts behind `vmlab plot`.
 *
 * Three pictures:
 *   addresses  virtual address against time, one dot a reference (the
 *              original lab's scatter plot of linked-list node addresses)
 *   curves     several policies' fault curves on one chart (from
 *              `vmlab mrc --output csv`)
 *   wss        working-set size over time: W(t, tau), the distinct pages
 *              among the last tau references (Denning, "The working set model
 *              for program behavior", CACM 11(5), 1968)
 * The functions here write the .dat file and the .gp script to streams; the
 * command line (src/cli/cmd_plot.c) owns files and runs gnuplot.
 */
#ifndef VMLAB_PLOT_H
#define VMLAB_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"

/* One row of a `vmlab mrc --output csv` file. */
typedef struct plot_point {
    char policy[64];  /* curve it belongs to */
    uint64_t frames;  /* x */
    uint64_t faults;  /* page_faults */
    double ratio;     /* miss_ratio */
} plot_point_t;

/* Parse CSV text (header policy,frames,page_faults,miss_ratio, then rows)
 * into *pts (malloc'd, caller frees) and *n.  0, or -EINVAL with *d naming
 * FILE:LINE and what was expected. */
int plot_parse_csv(const char *path, const char *text, size_t len, plot_point_t **pts /* OUT */,
                   size_t *n /* OUT */, diag_t *d);

typedef struct plot_opts {
    const char *title;   /* chart title */
    const char *out;     /* image path, ending .png or .svg */
    const char *dat;     /* data path as the script should name it */
    int svg;             /* 1: svg terminal, 0: pngcairo */
    unsigned page_bits;  /* page size for axis labels */
    uint64_t tau;        /* wss: window in references */
    int ratio;           /* curves: y is the miss ratio, not faults */
    int marks;           /* curves: draw a mark at every point (few points) */
    uint64_t amin, amax; /* addresses: the lowest and highest address, for
                            round hexadecimal tics (amin > amax: unknown) */
} plot_opts_t;

/* addresses: at most max_points rows "time address write" (write 0/1 from
 * write[], NULL: all reads), an even stride over the n references; returns
 * rows written (0: no data). */
size_t plot_addresses_data(FILE *f, const uint64_t *addr, const uint8_t *write, size_t n,
                           size_t max_points);
/* wss: W(t, tau) for t = 1..n, written at most max_points times (an even
 * stride; each row is the value at that t).  page[] are page keys; ids in
 * [0, V) must be given dense (id[t] < V).  Returns rows, or -ENOMEM. */
long plot_wss_data(FILE *f, const uint32_t *id, size_t n, uint32_t V, uint64_t tau,
                   size_t max_points);
/* curves: one gnuplot data block per policy, in order of first appearance;
 * names[] (room for n entries) receives the policies; returns how many. */
size_t plot_curves_data(FILE *f, const plot_point_t *pts, size_t n, const char **names);

void plot_addresses_script(FILE *f, const plot_opts_t *o, size_t rows);
void plot_wss_script(FILE *f, const plot_opts_t *o);
void plot_curves_script(FILE *f, const plot_opts_t *o, const char *const *names, size_t k);
/* heap: a map of a heap over time from rows "op offset length kind" (kind
 * 1 payload, 2 headers and padding, 3 free), one column per sample: x in
 * [0, nops], y in [0, heap_max]; `rows` is stated in a comment. */
void plot_heap_script(FILE *f, const plot_opts_t *o, size_t nops, size_t heap_max, size_t columns,
                      size_t rows);

#endif
