/* SPDX-License-Identifier: MIT */
/*
 * kmem_plot.c - gnuplot pictures of a kmem run (`vmlab kmem --plot PREFIX`):
 * free pages by order over time (one sample after every scenario operation,
 * summed over zones: stacked areas, so the top edge is all free memory and
 * each band the pages held in blocks of one order), and physical memory as a
 * map (one cell per frame, 256 frames a row, coloured by what holds it: free
 * in the buddy lists, on a per-CPU list, slab, vmalloc, other allocated).
 * Data and scripts only, as `vmlab plot` writes them; render with
 * `gnuplot PREFIX-buddy.gp` (PNG next to it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "kmem/kmem_impl.h"
#include "kmem/kmem_plot.h"

int kmem_hist_sample(kmem_hist_t *h, kmem_t *km)
{
    uint64_t *row;
    int rc = vl_grow((void **)&h->v, &h->cap, (h->n + 1) * KMEM_MAX_ORDER, sizeof *h->v);
    if (rc)
        return rc;
    row = &h->v[h->n * KMEM_MAX_ORDER];
    memset(row, 0, KMEM_MAX_ORDER * sizeof *row);
    for (unsigned i = 0; i < km->nzones; i++)
        for (unsigned k = 0; k < KMEM_MAX_ORDER; k++)
            row[k] += km->zone_list[i].bd.nr_free[k] << k;
    h->n++;
    return 0;
}

void kmem_hist_free(kmem_hist_t *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

void kmem_plot_buddy(FILE *dat, FILE *gp, const kmem_hist_t *h, const char *datname, const char *png)
{
    for (size_t t = 0; t < h->n; t++) {
        uint64_t cum = 0;
        fprintf(dat, "%zu", t);
        for (unsigned k = 0; k < KMEM_MAX_ORDER; k++) {
            cum += h->v[t * KMEM_MAX_ORDER + k];
            fprintf(dat, " %ju", (uintmax_t)cum);
        }
        fputc('\n', dat);
    }
    fprintf(gp, "# vmlab kmem --plot: render with `gnuplot FILE.gp`\n"
                "set terminal pngcairo size 1100,680 enhanced font 'Sans,12' background rgb 'white'\n"
                "set output '%s'\nset title 'free pages by order (stacked)' font ',15'\n"
                "set xlabel 'scenario operation'\nset ylabel 'free pages'\nset key outside right\n"
                "set grid lc rgb '#dddddd'\nplot \\\n",
            png);
    for (int k = KMEM_MAX_ORDER - 1; k >= 0; k--)
        fprintf(gp, "  '%s' using 1:%d with filledcurves x1 title 'order %d'%s\n", datname, k + 2, k,
                k ? ", \\" : "");
}

/* Frame states for the map. */
enum { M_FREE, M_PCP, M_SLAB, M_VMALLOC, M_OTHER };

void kmem_plot_map(FILE *dat, FILE *gp, kmem_t *km, const char *datname, const char *png)
{
    const unsigned cols = 256;
    for (unsigned i = 0; i < km->nzones; i++) {
        kmem_zone_desc_t *z = &km->zone_list[i];
        for (uint64_t u = 0; u < z->pages; u++) {
            uint64_t pfn = z->start_pfn + u;
            const kmem_page_t *pg = &km->pages[pfn];
            int st = buddy_unit_is_free(&z->bd, (uint32_t)u) ? M_FREE
                     : (pg->flags & PG_PCP)                  ? M_PCP
                     : (pg->flags & PG_SLAB)                 ? M_SLAB
                     : (pg->flags & PG_VMALLOC)              ? M_VMALLOC
                                                             : M_OTHER;
            fprintf(dat, "%ju %ju %d\n", (uintmax_t)(pfn % cols), (uintmax_t)(pfn / cols), st);
        }
    }
    fprintf(gp, "# vmlab kmem --plot: render with `gnuplot FILE.gp`\n"
                "set terminal pngcairo size 1100,900 enhanced font 'Sans,12' background rgb 'white'\n"
                "set output '%s'\nset title 'physical memory, %u frames a row' font ',15'\n"
                "set xlabel 'pfn %% %u'\nset ylabel 'pfn / %u'\nset xrange [-0.5:%u.5]\nset yrange [%ju.5:-0.5]\n"
                "set cbrange [-0.5:4.5]\nset palette maxcolors 5 defined (0 '#e8e8e8', 1 '#9ecae1', 2 '#31a354', 3 '#fd8d3c', 4 '#636363')\n"
                "set cbtics ('free' 0, 'per-CPU list' 1, 'slab' 2, 'vmalloc' 3, 'allocated' 4)\n"
                "plot '%s' using 1:2:3 with image notitle\n",
            png, cols, cols, cols, cols - 1, (uintmax_t)((km->npages + cols - 1) / cols - 1), datname);
}
