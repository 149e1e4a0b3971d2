/* SPDX-License-Identifier: MIT */
/*
 * kmem_plot.h - gnuplot data and scripts of a kmem run (kmem_plot.c).
 */
#ifndef VMLAB_KMEM_PLOT_H
#define VMLAB_KMEM_PLOT_H

#include <stdint.h>
#include <stdio.h>

#include "vmlab/kmem.h"

/* Free pages by order, one row of KMEM_MAX_ORDER counts per sample. */
typedef struct kmem_hist {
    uint64_t *v;   /* [n * KMEM_MAX_ORDER] */
    size_t n, cap; /* samples, room (in counts) */
    FILE *map_dat, *map_gp;   /* if set: the memory map at the end of a run */
    const char *map_datname;  /* the map's data file name, for the script */
    const char *map_png;      /* the picture the script writes */
} kmem_hist_t;

int kmem_hist_sample(kmem_hist_t *h, kmem_t *km); /* 0 or -ENOMEM */
void kmem_hist_free(kmem_hist_t *h);
void kmem_plot_buddy(FILE *dat, FILE *gp, const kmem_hist_t *h, const char *datname, const char *png);
void kmem_plot_map(FILE *dat, FILE *gp, kmem_t *km, const char *datname, const char *png);

#endif
