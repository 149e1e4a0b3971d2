/* SPDX-License-Identifier: MIT */
/*
 * test_plot.c - src/plot: the bands and the pixel-grid decimation of the
 * address plot, and titles' short names, as properties on random traces.
 * (The CSV parser and W(t, tau) are tested in test_mrc.c; the scripts
 * through the command line in test_mrc_cli.sh.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "harness.h"
#include "vmlab/plot.h"

/* Clusters of addresses far apart (code, heap, libraries, stack), a few
 * outliers, in random proportions. */
static void clustered(vl_rng_t *r, uint64_t *a, uint8_t *op, size_t n)
{
    static const uint64_t base[] = {0x400000, 0x2000000, 0x7f0000000000, 0x7ffd00000000};
    unsigned k = 1 + (unsigned)vl_rng_below(r, 4);
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned)vl_rng_below(r, k);
        a[i] = base[c] + vl_rng_below(r, 1u << (10 + c * 3));
        if (vl_rng_below(r, 1000) == 0)
            a[i] = vl_rng_next(r); /* an outlier anywhere */
        op[i] = (uint8_t)vl_rng_below(r, 3);
    }
}

TEST(bands_cover_every_address_in_order)
{
    for (uint64_t seed = 1; seed <= 200; seed++) {
        vl_rng_t r;
        vl_rng_seed(&r, seed);
        size_t n = 1 + (size_t)vl_rng_below(&r, 3000), refs = 0;
        uint64_t *a = malloc(n * sizeof *a);
        uint8_t *op = malloc(n);
        plot_band_t b[PLOT_BANDS_MAX];
        clustered(&r, a, op, n);
        long nb = plot_address_bands(a, n, b);
        CHECK(nb >= 1 && nb <= PLOT_BANDS_MAX);
        for (long i = 0; i < nb; i++) {
            CHECK(b[i].lo <= b[i].hi);
            CHECK(i == 0 || b[i - 1].hi < b[i].lo);
            refs += b[i].refs;
            int lo_seen = 0, hi_seen = 0;
            size_t in = 0;
            for (size_t t = 0; t < n; t++) {
                lo_seen |= a[t] == b[i].lo, hi_seen |= a[t] == b[i].hi;
                in += a[t] >= b[i].lo && a[t] <= b[i].hi;
            }
            CHECK(lo_seen && hi_seen); /* the bounds are used addresses */
            CHECK_EQ(in, b[i].refs);
        }
        CHECK_EQ(refs, n); /* every address in exactly one band */
        free(a), free(op);
    }
}

TEST(bands_split_far_regions_only)
{
    uint64_t a[400];
    plot_band_t b[PLOT_BANDS_MAX];
    for (size_t i = 0; i < 400; i++)
        a[i] = 0x600000 + i * 64; /* one array */
    CHECK_EQ(plot_address_bands(a, 400, b), 1);
    for (size_t i = 200; i < 400; i++)
        a[i] = 0x7ffd00000000 + i * 8; /* and a stack */
    CHECK_EQ(plot_address_bands(a, 400, b), 2);
    CHECK(b[0].hi == 0x600000 + 199 * 64 && b[1].lo == 0x7ffd00000000 + 200 * 8);
    a[0] = 0x100000000000; /* one stray address: a band of its own, not split further */
    a[1] = 0x100000001000;
    CHECK_EQ(plot_address_bands(a, 400, b), 3);
    CHECK(b[1].lo == 0x100000000000 && b[1].hi == 0x100000001000 && b[1].refs == 2);
    CHECK_EQ(plot_address_bands(a, 0, b), -EINVAL);
}

/* The rows are real references in time order inside [from, to) and the
 * bands; without a limit, each (cell, op) appears exactly once, the first
 * in time; with one, at most max_points rows. */
TEST(grid_decimation_first_per_cell)
{
    for (uint64_t seed = 1; seed <= 60; seed++) {
        vl_rng_t r;
        vl_rng_seed(&r, seed);
        size_t n = 1 + (size_t)vl_rng_below(&r, 20000);
        uint64_t *a = malloc(n * sizeof *a);
        uint8_t *op = malloc(n);
        plot_band_t b[PLOT_BANDS_MAX];
        size_t nops[3], from = (size_t)vl_rng_below(&r, n), to = from + 1 + (size_t)vl_rng_below(&r, n - from);
        size_t max = seed & 1 ? 0 : 1 + (size_t)vl_rng_below(&r, 2000);
        clustered(&r, a, op, n);
        long nb = plot_address_bands(a + from, to - from, b);
        CHECK(nb >= 1);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        long rows = plot_addresses_data(f, a, op, from, to, b, (size_t)nb, max, nops);
        fclose(f);
        /* The coarsest grid is a cell per band: 3 rows each at most. */
        CHECK(rows >= 1 && (max == 0 || (size_t)rows <= (max > 3 * (size_t)nb ? max : 3 * (size_t)nb)));
        CHECK_EQ((size_t)rows, nops[0] + nops[1] + nops[2]);
        unsigned rows_per_band = PLOT_GRID_ROWS / (unsigned)nb;
        size_t ncell = (size_t)nb * rows_per_band * PLOT_GRID_COLS * 3;
        unsigned char *seen = calloc(ncell, 1);
        const char *p = strchr(buf, '\n') + 1;
        long got = 0;
        size_t prev = 0;
        unsigned long long t, addr;
        unsigned o, band;
        while (sscanf(p, "%llu %llu %u %u", &t, &addr, &o, &band) == 4) {
            CHECK(t >= from && t < to && (got == 0 || t > prev));
            CHECK(addr == a[t] && o == op[t] && band < (unsigned)nb);
            CHECK(addr >= b[band].lo && addr <= b[band].hi);
            prev = (size_t)t;
            got++;
            p = strchr(p, '\n') + 1;
        }
        CHECK_EQ(got, rows);
        if (max == 0) {
            /* Recount the cells: the first reference of each op in each. */
            long want = 0;
            for (size_t i = from; i < to; i++) {
                unsigned bb;
                for (bb = 0; !(a[i] >= b[bb].lo && a[i] <= b[bb].hi); bb++)
                    ;
                size_t x = (size_t)((double)(i - from) / (double)(to - from) * PLOT_GRID_COLS);
                size_t y = (size_t)((double)(a[i] - b[bb].lo) / ((double)(b[bb].hi - b[bb].lo) + 1.0) *
                                    rows_per_band);
                x = x < PLOT_GRID_COLS ? x : PLOT_GRID_COLS - 1;
                y = y < rows_per_band ? y : rows_per_band - 1;
                size_t c = ((bb * rows_per_band + y) * PLOT_GRID_COLS + x) * 3 + op[i];
                want += !seen[c];
                seen[c] = 1;
            }
            CHECK_EQ(rows, want);
        }
        free(seen), free(buf), free(a), free(op);
    }
}

TEST(short_names_fit)
{
    char buf[64];
    CHECK_STR(plot_short_name("a/b.trace", 20, buf), "a/b.trace");
    CHECK_STR(plot_short_name("/very/long/directory/names/here/b.trace", 20, buf), "b.trace");
    CHECK_STR(plot_short_name("/d/a-file-name-longer-than-twenty.gz", 20, buf), "...er-than-twenty.gz");
    CHECK_EQ(strlen(buf), 20);
}
