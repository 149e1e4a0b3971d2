/* SPDX-License-Identifier: MIT */
/*
 * plot.c - data files and gnuplot scripts for `vmlab plot` (see plot.h):
 * the address scatter plot, fault curves from mrc's CSV, and Denning's
 * working-set size W(t, tau) by a sliding window of per-page counts
 * (O(1) a reference).
 */
#include "base/sort.h"
#include "base/vec.h"
#include "vmlab/plot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/parse.h"

static const char csv_header[] = "policy,frames,page_faults,miss_ratio";

int plot_parse_csv(const char *path, const char *text, size_t len, plot_point_t **pts, size_t *n,
                   diag_t *d)
{
    plot_point_t *v = NULL;
    size_t m = 0, cap = 0;
    unsigned long line = 0;
    const char *p = text, *end = text + len;
    *pts = NULL, *n = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end, *f[4];
        size_t flen[4], l = (size_t)(eol - p);
        const char *s = p;
        char quoted[sizeof v->policy + 1];
        unsigned k = 0;
        line++;
        p = nl ? nl + 1 : end;
        parse_trim(&s, &l);
        if (line == 1) {
            if (l != sizeof csv_header - 1 || memcmp(s, csv_header, l) != 0) {
                free(v);
                return diag_set(d, path, line, EINVAL,
                                "not a fault-curve CSV (expected the header '%s', as written by "
                                "vmlab mrc --output csv)", csv_header);
            }
            continue;
        }
        if (l == 0)
            continue;
        /* The policy may be quoted (RFC 4180, "" for a quote): it holds
         * commas when it has parameters. */
        if (l && s[0] == '"') {
            size_t j = 1, o = 0;
            char *name = quoted;
            for (;; j++) {
                if (j >= l) {
                    free(v);
                    return diag_set(d, path, line, EINVAL, "unterminated quoted policy (expected a closing \")");
                }
                if (s[j] == '"') {
                    if (j + 1 < l && s[j + 1] == '"') {
                        j++;
                    } else {
                        break;
                    }
                }
                if (o + 1 < sizeof quoted)
                    name[o++] = s[j];
            }
            name[o] = '\0';
            if (j + 1 >= l || s[j + 1] != ',') {
                free(v);
                return diag_set(d, path, line, EINVAL, "a comma must follow the quoted policy (expected 4 fields)");
            }
            f[0] = name, flen[0] = o, k = 1;
            for (const char *q = s + j + 2;; k++) {
                const char *c = memchr(q, ',', (size_t)(s + l - q));
                if (k < 4) {
                    f[k] = q;
                    flen[k] = c ? (size_t)(c - q) : (size_t)(s + l - q);
                }
                if (!c)
                    break;
                q = c + 1;
            }
        } else {
            /* Exactly four fields: split at the commas. */
            for (const char *q = s;; k++) {
                const char *c = memchr(q, ',', (size_t)(s + l - q));
                if (k < 4) {
                    f[k] = q;
                    flen[k] = c ? (size_t)(c - q) : (size_t)(s + l - q);
                }
                if (!c)
                    break;
                q = c + 1;
            }
        }
        if (++k != 4) {
            free(v);
            return diag_set(d, path, line, EINVAL,
                            "%u fields (expected 4: policy,frames,page_faults,miss_ratio)", k);
        }
        if (m == cap && vl_grow((void **)&v, &cap, m + 1, sizeof *v)) {
            free(v);
            return diag_set(d, path, line, ENOMEM, "out of memory");
        }
        {
            plot_point_t *pt = &v[m];
            char num[64], *e;
            if (flen[0] == 0 || flen[0] >= sizeof pt->policy) {
                free(v);
                return diag_set(d, path, line, EINVAL, "policy name empty or longer than %zu characters",
                                sizeof pt->policy - 1);
            }
            for (size_t i = 0; i < flen[0]; i++)
                if (f[0][i] <= ' ' || f[0][i] > '~') {
                    free(v);
                    return diag_set(d, path, line, EINVAL,
                                    "policy name with a space or control character (expected a "
                                    "policy spec such as lru or aging:bits=8)");
                }
            memcpy(pt->policy, f[0], flen[0]);
            pt->policy[flen[0]] = '\0';
            if (parse_u64_dec(f[1], flen[1], &pt->frames) || pt->frames == 0 ||
                parse_u64_dec(f[2], flen[2], &pt->faults)) {
                free(v);
                return diag_set(d, path, line, EINVAL, "bad frames or page_faults (expected whole numbers, frames >= 1)");
            }
            if (flen[3] == 0 || flen[3] >= sizeof num) {
                free(v);
                return diag_set(d, path, line, EINVAL, "bad miss_ratio (expected a number in [0, 1])");
            }
            memcpy(num, f[3], flen[3]);
            num[flen[3]] = '\0';
            pt->ratio = strtod(num, &e);
            if (*e || e == num || !(pt->ratio >= 0 && pt->ratio <= 1)) {
                free(v);
                return diag_set(d, path, line, EINVAL, "bad miss_ratio '%s' (expected a number in [0, 1])", num);
            }
            m++;
        }
    }
    if (line == 0) {
        free(v);
        return diag_set(d, path, 0, EINVAL, "empty file (expected the header '%s')", csv_header);
    }
    *pts = v, *n = m;
    return 0;
}

const char *plot_short_name(const char *path, size_t max, char *buf)
{
    size_t n = strlen(path);
    const char *base = strrchr(path, '/');
    if (n <= max) {
        memcpy(buf, path, n + 1);
        return buf;
    }
    base = base && base[1] ? base + 1 : path;
    n = strlen(base);
    if (n <= max) {
        memcpy(buf, base, n + 1);
        return buf;
    }
    memcpy(buf, "...", 3);
    memcpy(buf + 3, base + n - (max - 3), max - 3 + 1);
    return buf;
}

/* The widest gap between neighbours in u[a, b) (b - a >= 2): its index i
 * (the gap is u[i + 1] - u[i]). */
static size_t widest_gap(const uint64_t *u, size_t a, size_t b)
{
    size_t w = a;
    for (size_t i = a + 1; i + 1 < b; i++)
        if (u[i + 1] - u[i] > u[w + 1] - u[w])
            w = i;
    return w;
}

long plot_address_bands(const uint64_t *addr, size_t n, plot_band_t *band)
{
    uint64_t *u;
    size_t start[PLOT_BANDS_MAX + 1], nb = 1;
    if (n == 0 || !(u = malloc(n * sizeof *u)))
        return n ? -ENOMEM : -EINVAL;
    memcpy(u, addr, n * sizeof *u);
    if (vl_sort_u64(u, n)) {
        free(u);
        return -ENOMEM;
    }
    /* Bands are index ranges [start[b], start[b + 1]) of the sorted
     * addresses.  Split the band whose widest gap takes the largest share of
     * its span, while that gap is more than the rest of the span; a band
     * with under PLOT_BAND_MIN_SHARE of the references (outliers) stays
     * whole, so a few stray addresses get one strip, not one each. */
    start[0] = 0, start[1] = n;
    while (nb < PLOT_BANDS_MAX) {
        size_t best = SIZE_MAX, at = 0;
        double share = 0.5;
        for (size_t b = 0; b < nb; b++) {
            size_t a = start[b], e = start[b + 1];
            if (e - a < 2 || (double)(e - a) < PLOT_BAND_MIN_SHARE * (double)n ||
                u[e - 1] == u[a])
                continue;
            size_t w = widest_gap(u, a, e);
            double sh = (double)(u[w + 1] - u[w]) / (double)(u[e - 1] - u[a]);
            if (sh > share)
                share = sh, best = b, at = w + 1;
        }
        if (best == SIZE_MAX)
            break;
        memmove(start + best + 2, start + best + 1, (nb - best) * sizeof *start);
        start[best + 1] = at;
        nb++;
    }
    for (size_t b = 0; b < nb; b++)
        band[b] = (plot_band_t){u[start[b]], u[start[b + 1] - 1], start[b + 1] - start[b]};
    free(u);
    return (long)nb;
}

/* The grid cell of reference t at address a in band b, or SIZE_MAX when the
 * address is in no band. */
static size_t cell_of(uint64_t t, uint64_t a, size_t from, size_t to, const plot_band_t *band,
                      size_t nbands, unsigned cols, unsigned rows)
{
    size_t b;
    for (b = 0; b < nbands && !(a >= band[b].lo && a <= band[b].hi); b++)
        ;
    if (b == nbands)
        return SIZE_MAX;
    double fx = (double)(t - from) / (double)(to - from) * cols;
    double fy = (double)(a - band[b].lo) / ((double)(band[b].hi - band[b].lo) + 1.0) * rows;
    size_t x = fx >= cols ? cols - 1 : (size_t)fx, y = fy >= rows ? rows - 1 : (size_t)fy;
    return ((size_t)b * rows + y) * cols + x;
}

/* One pass over [from, to): count the first reference of each op in each
 * cell (bits[] has 3 bits a cell), writing its row when f is not NULL. */
static size_t grid_pass(FILE *f, const uint64_t *addr, const uint8_t *op, size_t from, size_t to,
                        const plot_band_t *band, size_t nbands, unsigned cols, unsigned rows,
                        uint8_t *bits, size_t nops[3])
{
    size_t out = 0;
    for (size_t t = from; t < to; t++) {
        size_t c = cell_of(t, addr[t], from, to, band, nbands, cols, rows);
        unsigned o = op && op[t] <= 2 ? op[t] : 0;
        if (c == SIZE_MAX)
            continue;
        size_t bit = c * 3 + o;
        if (bits[bit >> 3] & (1u << (bit & 7)))
            continue;
        bits[bit >> 3] |= (uint8_t)(1u << (bit & 7));
        out++;
        if (f) {
            size_t b;
            for (b = 0; !(addr[t] >= band[b].lo && addr[t] <= band[b].hi); b++)
                ;
            fprintf(f, "%zu %ju %u %zu\n", t, (uintmax_t)addr[t], o, b);
            nops[o]++;
        }
    }
    return out;
}

long plot_addresses_data(FILE *f, const uint64_t *addr, const uint8_t *op, size_t from, size_t to,
                         const plot_band_t *band, size_t nbands, size_t max_points, size_t nops[3])
{
    unsigned cols = PLOT_GRID_COLS, rows_all = PLOT_GRID_ROWS;
    nops[0] = nops[1] = nops[2] = 0;
    fprintf(f, "# time(reference) address op(0 read, 1 write, 2 ifetch) band\n");
    if (from >= to || nbands == 0)
        return 0;
    for (;;) {
        unsigned rows = rows_all / (unsigned)nbands ? rows_all / (unsigned)nbands : 1;
        size_t cells = nbands * (size_t)rows * cols;
        uint8_t *bits = calloc((cells * 3 + 7) / 8, 1);
        if (!bits)
            return -ENOMEM;
        int last = cols == 1 && rows == 1;
        if (max_points && !last &&
            grid_pass(NULL, addr, op, from, to, band, nbands, cols, rows, bits, nops) > max_points) {
            free(bits);
            cols = cols > 1 ? cols / 2 : 1;
            rows_all = rows_all > nbands ? rows_all / 2 : (unsigned)nbands;
            continue;
        }
        memset(bits, 0, (cells * 3 + 7) / 8);
        size_t n = grid_pass(f, addr, op, from, to, band, nbands, cols, rows, bits, nops);
        free(bits);
        return (long)n;
    }
}

long plot_wss_data(FILE *f, const uint32_t *id, size_t n, uint32_t V, uint64_t tau,
                   size_t max_points)
{
    uint32_t *cnt = calloc(V ? V : 1, sizeof *cnt);
    size_t stride = max_points && n > max_points ? (n + max_points - 1) / max_points : 1;
    uint64_t ws = 0;
    long rows = 0;
    if (!cnt)
        return -ENOMEM;
    fprintf(f, "# time(references) W(t,tau) tau=%ju\n", (uintmax_t)tau);
    for (size_t t = 0; t < n; t++) {
        if (cnt[id[t]]++ == 0)
            ws++;
        if (t >= tau && --cnt[id[t - tau]] == 0)
            ws--;
        if ((t + 1) % stride == 0 || t + 1 == n) {
            fprintf(f, "%zu %ju\n", t + 1, (uintmax_t)ws);
            rows++;
        }
    }
    free(cnt);
    return rows;
}

size_t plot_curves_data(FILE *f, const plot_point_t *pts, size_t n, const char **names)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        for (j = 0; j < k && strcmp(names[j], pts[i].policy) != 0; j++)
            ;
        if (j == k)
            names[k++] = pts[i].policy;
    }
    for (size_t j = 0; j < k; j++) {
        fprintf(f, "%s# %s: frames page_faults miss_ratio\n", j ? "\n\n" : "", names[j]);
        for (size_t i = 0; i < n; i++)
            if (strcmp(pts[i].policy, names[j]) == 0)
                fprintf(f, "%ju %ju %.6f\n", (uintmax_t)pts[i].frames, (uintmax_t)pts[i].faults,
                        pts[i].ratio);
    }
    return k;
}

/* A gnuplot single-quoted string: ' doubled. */
static void gq(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        if (*s != '\n')
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* Terminal, output and look; the title unless a multiplot sets it. */
static void header(FILE *f, const plot_opts_t *o, int title)
{
    fprintf(f, "# vmlab plot: render with `gnuplot FILE.gp`\n");
    if (o->svg)
        fprintf(f, "set terminal svg size 1100,680 dynamic enhanced font 'Sans,13' background rgb 'white'\n");
    else
        fprintf(f, "set terminal pngcairo size 1100,680 enhanced font 'Sans,12' background rgb 'white'\n");
    fprintf(f, "set output ");
    gq(f, o->out);
    if (title) {
        fprintf(f, "\nset title ");
        gq(f, o->title);
        fprintf(f, " font ',15' noenhanced");
    }
    /* Room on the right, so the last x tic label stays inside the image. */
    fprintf(f, "\nset grid lc rgb '#dddddd'\nset border lc rgb '#555555'\n"
               "set key top right box opaque\nset mxtics\nset mytics\nset rmargin 6\n");
}

/* Time axes in references, millions of references, ...: the scale that
 * keeps tic labels short. */
static double time_scale(uint64_t span, const char **unit)
{
    if (span >= 20000000000ull)
        return *unit = "billions of references", 1e9;
    if (span >= 20000000)
        return *unit = "millions of references", 1e6;
    if (span >= 20000)
        return *unit = "thousands of references", 1e3;
    return *unit = "references", 1;
}

static const char *size_unit(unsigned page_bits, char *buf, size_t n)
{
    uint64_t b = (uint64_t)1 << page_bits;
    if (b >= (1u << 20) && b % (1u << 20) == 0)
        snprintf(buf, n, "%ju MiB", (uintmax_t)(b >> 20));
    else if (b >= 1024 && b % 1024 == 0)
        snprintf(buf, n, "%ju KiB", (uintmax_t)(b >> 10));
    else
        snprintf(buf, n, "%ju B", (uintmax_t)b);
    return buf;
}

void plot_addresses_script(FILE *f, const plot_opts_t *o)
{
    static const char *const op_name[3] = {"read", "write", "instruction fetch"};
    /* Fetches under data, writes on top; half transparent, so a write over
     * a read shows as a mix rather than hiding it. */
    static const int order[3] = {2, 0, 1};
    static const char *const color[3] = {"#801f77b4", "#60d62728", "#802ca02c"};
    static const char *const key_color[3] = {"#1f77b4", "#d62728", "#2ca02c"};
    const char *unit;
    double scale = time_scale(o->to - o->from, &unit);
    size_t nb = o->nbands ? o->nbands : 1, all = 0;
    /* Screen layout: title on top, x label and key below, strips between,
     * a strip of outliers (under a tenth of the references) thinner. */
    double top = 0.91, bottom = 0.16, gap = nb > 1 ? 0.025 : 0, weight[PLOT_BANDS_MAX], wsum = 0;
    for (size_t b = 0; b < nb; b++)
        all += o->band[b].refs;
    for (size_t b = 0; b < nb; b++)
        wsum += weight[b] = nb > 1 && o->band[b].refs * 10 < all ? 0.4 : 1.0;
    double y = top, unit_h = (top - bottom - gap * (double)(nb - 1)) / wsum;
    header(f, o, 0);
    fprintf(f, "set multiplot title ");
    gq(f, o->title);
    fprintf(f, " font ',15' noenhanced\n");
    fprintf(f, "set lmargin at screen 0.12\nset rmargin at screen 0.95\n"
               "set xrange [%.6g:%.6g]\nset format y '0x%%x'\nset format x '%%g'\n"
               "set label 1 'virtual address (hex)' at screen 0.018, screen %.3f center rotate by 90\n"
               "unset key\n",
            (double)o->from / scale, (double)o->to / scale, (bottom + top) / 2);
    /* The highest band on top, as in a memory map. */
    for (size_t k = 0; k < nb; k++) {
        size_t b = nb - 1 - k;
        const plot_band_t *bd = &o->band[b];
        uint64_t span = bd->hi - bd->lo, pad = span / 25 + 8, step = 1;
        uint64_t lo = bd->lo > pad ? bd->lo - pad : 0;
        uint64_t hi = bd->hi < UINT64_MAX - pad ? bd->hi + pad : UINT64_MAX;
        /* Tics a power of two apart, on a multiple of it: round in hex,
         * unlike gnuplot's decimal choice; fewer in thin strips. */
        uint64_t most = nb == 1 ? 8 : weight[b] < 1 ? 2 : nb == 2 ? 5 : 3;
        while ((hi - lo) / step > most)
            step *= 2;
        fprintf(f, "# band %zu: addresses [0x%jx, 0x%jx]\n", b, (uintmax_t)bd->lo, (uintmax_t)bd->hi);
        fprintf(f, "set tmargin at screen %.4f\nset bmargin at screen %.4f\n", y,
                y - weight[b] * unit_h);
        y -= weight[b] * unit_h + gap;
        fprintf(f, "set yrange [%ju:%ju]\nset ytics %ju, %ju\n", (uintmax_t)lo, (uintmax_t)hi,
                (uintmax_t)((lo + step - 1) / step * step), (uintmax_t)step);
        if (k + 1 < nb) {
            fprintf(f, "set format x ''\nunset xlabel\n");
        } else {
            fprintf(f, "set format x '%%g'\nset xlabel 'time (%s)'\n", unit);
            fprintf(f, "set key at screen 0.535, screen 0.03 center center horizontal box\n");
        }
        fprintf(f, "plot ");
        int first = 1;
        for (int i = 0; i < 3; i++) {
            int op = order[i];
            if (!o->nops[op])
                continue;
            fprintf(f, "%s", first ? "" : ", \\\n     ");
            first = 0;
            gq(f, o->dat);
            fprintf(f, " using ($1/%g):($4 == %zu && $3 == %d ? $2 : 1/0) with points pt 7 ps 0.35 "
                       "lc rgb '%s' notitle", scale, b, op, color[op]);
        }
        if (first) /* nothing at all: an empty strip still draws its axes */
            fprintf(f, "NaN notitle");
        if (k + 1 == nb)
            for (int op = 0; op < 3; op++)
                if (o->nops[op])
                    fprintf(f, ", \\\n     NaN with points pt 7 ps 1.5 lc rgb '%s' title '%s'",
                            key_color[op], op_name[op]);
        fprintf(f, "\n");
    }
    fprintf(f, "unset multiplot\n");
}

void plot_wss_script(FILE *f, const plot_opts_t *o)
{
    char unit[32];
    const char *tunit;
    double scale = time_scale(o->to - o->from, &tunit);
    header(f, o, 1);
    fprintf(f, "set xlabel 'time (%s)'\nset ylabel 'working-set size (pages of %s)'\n"
               "set format x '%%g'\nset xrange [0:*]\nset yrange [0:*]\n",
            tunit, size_unit(o->page_bits, unit, sizeof unit));
    fprintf(f, "plot ");
    gq(f, o->dat);
    fprintf(f, " using ($1/%g):2 with lines lw 2 lc rgb '#2ca02c' title 'W(t, {/Symbol t} = %ju references)'\n",
            scale, (uintmax_t)o->tau);
}

void plot_curves_script(FILE *f, const plot_opts_t *o, const char *const *names, size_t k)
{
    static const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    header(f, o, 1);
    fprintf(f, "set xlabel 'physical memory (frames%s)'\nset ylabel '%s%s'\nset format x '%%g'\n",
            o->logx ? ", log scale" : "", o->ratio ? "miss ratio (page faults / references)" : "page faults",
            o->logy ? ", log scale" : "");
    /* A fault curve falls steeply over its first few frames: on a log x axis
     * its knee is in the middle of the chart instead of its left edge. */
    fprintf(f, o->logx ? "set logscale x\nset autoscale xfix\n" : "set xrange [0:*]\n");
    fprintf(f, o->logy ? "set logscale y\nset yrange [*:*]\n" : "set yrange [0:*]\n");
    fprintf(f, "plot ");
    /* Distinct dashes and marks, so curves that coincide (FIFO and Clock
     * often do) still show both. */
    for (size_t j = 0; j < k; j++) {
        static const int marks[] = {7, 5, 9, 11, 13, 6, 4, 8, 10, 12};
        if (j)
            fprintf(f, ", \\\n     ");
        gq(f, o->dat);
        fprintf(f, " index %zu using 1:%d with %s lw 2 dt %zu lc rgb '%s'", j, o->ratio ? 3 : 2,
                o->marks ? "linespoints" : "lines", j % 5 + 1, colors[j % 10]);
        if (o->marks)
            fprintf(f, " pt %d ps %.2f", marks[j % 10], 1.6 - 0.2 * (double)(j % 4));
        fprintf(f, " title ");
        gq(f, names[j]);
    }
    fprintf(f, "\n");
}

void plot_heap_script(FILE *f, const plot_opts_t *o, size_t nops, size_t heap_max, size_t columns,
                      size_t rows)
{
    static const struct {
        int kind;
        const char *color, *title;
    } k[] = {{1, "#1f77b4", "payload"}, {2, "#d62728", "headers and padding"},
             {3, "#d9d9d9", "free"}};
    /* each column is drawn as vertical strokes as wide as a column is on a
     * 1000-pixel plot area, so that the map has no gaps */
    double lw = columns ? 1000.0 / (double)columns : 1;
    header(f, o, 1);
    fprintf(f, "# heap map: %zu rows, %zu columns\n", rows, columns);
    fprintf(f, "set xlabel 'time (operations)'\nset ylabel 'heap offset (bytes)'\n"
               "set format x '%%.0f'\nset format y '%%.0f'\nset xrange [0:%zu]\nset yrange [0:%zu]\n"
               "set key outside top center horizontal\n",
            nops, heap_max ? heap_max : 1);
    fprintf(f, "plot ");
    for (size_t j = 0; j < 3; j++) {
        if (j)
            fprintf(f, ", \\\n     ");
        gq(f, o->dat);
        fprintf(f, " using 1:($4 == %d ? $2 : 1/0):(0):3 with vectors nohead lw %.2f lc rgb '%s' "
                   "title '%s'", k[j].kind, lw < 1 ? 1 : lw, k[j].color, k[j].title);
    }
    fprintf(f, "\n");
}
