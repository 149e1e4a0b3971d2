/* SPDX-License-Identifier: MIT */
/*
 * plot.h - the data and gnuplot scripts behind `vmlab plot`.
 *
 * Three pictures:
 *   addresses  virtual address against time, a dot a reference, reads,
 *              writes and instruction fetches apart (the original lab's
 *              scatter plot of linked-list node addresses)
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

/* The address plot splits a trace whose addresses sit in far-apart regions
 * (code and heap low, libraries and the stack near the top of the address
 * space) into bands, one strip each, so no region flattens into a line. */
#define PLOT_BANDS_MAX 4
typedef struct plot_band {
    uint64_t lo, hi; /* addresses [lo, hi] drawn in this strip (lo <= hi) */
    size_t refs;     /* references in it (of those given to plot_address_bands) */
} plot_band_t;
#define PLOT_BAND_MIN_SHARE 0.02 /* a band with fewer references is not split */

typedef struct plot_opts {
    const char *title;   /* chart title (plot_short_name shortens paths in it) */
    const char *out;     /* image path, ending .png or .svg */
    const char *dat;     /* data path as the script should name it */
    int svg;             /* 1: svg terminal, 0: pngcairo */
    unsigned page_bits;  /* page size for axis labels */
    uint64_t tau;        /* wss: window in references */
    int ratio;           /* curves: y is the miss ratio, not faults */
    int marks;           /* curves: draw a mark at every point (few points) */
    int logx, logy;      /* curves: logarithmic axes (1) or linear (0) */
    uint64_t from, to;   /* addresses: time axis [from, to) in references */
    plot_band_t band[PLOT_BANDS_MAX]; /* addresses: strips, ascending */
    size_t nbands;       /* addresses: strips in band[] (1..PLOT_BANDS_MAX) */
    size_t nops[3];      /* addresses: rows of each trace_op_t in the data
                            (an op with none gets no key entry) */
} plot_opts_t;

/* PATH shortened to at most max bytes (max >= 8) for a title: as is if it
 * fits, else its last component, else "..." and that component's tail.
 * Returns buf (size > max). */
const char *plot_short_name(const char *path, size_t max, char *buf);

/* Bands for the addresses addr[0, n) (n >= 1): split greedily at the widest
 * gap between used addresses while some band's widest gap exceeds half its
 * span, at most PLOT_BANDS_MAX bands, bands holding under
 * PLOT_BAND_MIN_SHARE of the references not split.  O(n log n) (a sort).
 * Returns how many (>= 1), -EINVAL for n = 0, or -ENOMEM. */
long plot_address_bands(const uint64_t *addr, size_t n, plot_band_t *band /* OUT */);

/* The pixel grid of the address plot: PLOT_GRID_COLS across, PLOT_GRID_ROWS
 * down over all bands together. */
#define PLOT_GRID_COLS 1024u
#define PLOT_GRID_ROWS 512u

/* addresses: rows "time address op band" for the references t in
 * [from, to) whose address lies in a band, decimated so the picture keeps
 * its look but not every dot: per band a cols x rows grid of cells (rows
 * shared out among the bands), and of each op only the first reference in
 * each cell is written.  The grid starts at PLOT_GRID_COLS x PLOT_GRID_ROWS
 * and is halved both ways until at most max_points rows remain (0: no
 * limit; a single cell per band, 3 x nbands rows at most, is as coarse as it
 * gets).  nops[op] receives the rows of each op.  Returns the rows written
 * (0: nothing in range), or -ENOMEM. */
long plot_addresses_data(FILE *f, const uint64_t *addr, const uint8_t *op, size_t from, size_t to,
                         const plot_band_t *band, size_t nbands, size_t max_points,
                         size_t nops[3] /* OUT */);
/* wss: W(t, tau) for t = 1..n, written at most max_points times (an even
 * stride; each row is the value at that t).  page[] are page keys; ids in
 * [0, V) must be given dense (id[t] < V).  Returns rows, or -ENOMEM. */
long plot_wss_data(FILE *f, const uint32_t *id, size_t n, uint32_t V, uint64_t tau,
                   size_t max_points);
/* curves: one gnuplot data block per policy, in order of first appearance;
 * names[] (room for n entries) receives the policies; returns how many. */
size_t plot_curves_data(FILE *f, const plot_point_t *pts, size_t n, const char **names);

void plot_addresses_script(FILE *f, const plot_opts_t *o);
void plot_wss_script(FILE *f, const plot_opts_t *o);
void plot_curves_script(FILE *f, const plot_opts_t *o, const char *const *names, size_t k);
/* heap: a map of a heap over time from rows "op offset length kind" (kind
 * 1 payload, 2 headers and padding, 3 free), one column per sample: x in
 * [0, nops], y in [0, heap_max]; `rows` is stated in a comment. */
void plot_heap_script(FILE *f, const plot_opts_t *o, size_t nops, size_t heap_max, size_t columns,
                      size_t rows);

#endif
