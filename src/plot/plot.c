/* SPDX-License-Identifier: MIT */
/*
 * plot.c - data files and gnuplot scripts for `vmlab plot` (see plot.h):
 * the address scatter plot, fault curves from mrc's CSV, and Denning's
 * working-set size W(t, tau) by a sliding window of per-page counts
 * (O(1) a reference).
 */
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

size_t plot_addresses_data(FILE *f, const uint64_t *addr, const uint8_t *write, size_t n,
                           size_t max_points)
{
    size_t stride = max_points && n > max_points ? (n + max_points - 1) / max_points : 1, rows = 0;
    fprintf(f, "# time(reference) address write\n");
    for (size_t t = 0; t < n; t += stride, rows++)
        fprintf(f, "%zu %ju %d\n", t, (uintmax_t)addr[t], write && write[t] ? 1 : 0);
    return rows;
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

static void header(FILE *f, const plot_opts_t *o)
{
    fprintf(f, "# vmlab plot: render with `gnuplot FILE.gp`\n");
    if (o->svg)
        fprintf(f, "set terminal svg size 1100,680 dynamic enhanced font 'Sans,13' background rgb 'white'\n");
    else
        fprintf(f, "set terminal pngcairo size 1100,680 enhanced font 'Sans,12' background rgb 'white'\n");
    fprintf(f, "set output ");
    gq(f, o->out);
    fprintf(f, "\nset title ");
    gq(f, o->title);
    fprintf(f, " font ',15'\nset grid lc rgb '#dddddd'\nset border lc rgb '#555555'\n"
               "set key top right box opaque\nset mxtics\nset mytics\n");
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

void plot_addresses_script(FILE *f, const plot_opts_t *o, size_t rows)
{
    header(f, o);
    fprintf(f, "set xlabel 'time (references)'\nset ylabel 'virtual address (hex)'\n"
               "set format y '0x%%08x'\nset format x '%%.0f'\nset xrange [0:*]\n"
               "set autoscale yfix\nset offsets 0, 0, graph 0.04, graph 0.04\n"
               "set key below horizontal box\nset bmargin 5.5\n"); /* the dots fill the plot */
    if (o->amax > o->amin) {
        /* Tics a power of two apart, 4 to 8 of them, on a multiple of it:
         * round in hexadecimal, unlike gnuplot's decimal choice. */
        uint64_t step = 1;
        while ((o->amax - o->amin) / step > 8)
            step *= 2;
        fprintf(f, "set ytics %ju, %ju\n", (uintmax_t)(o->amin / step * step), (uintmax_t)step);
    }
    /* Tiny dots, writes (fewer) over reads; the key gets big marks from
     * two empty series. */
    fprintf(f, "plot ");
    gq(f, o->dat);
    fprintf(f, " using 1:($3 == 0 ? $2 : 1/0) with points pt 7 ps 0.3 lc rgb '#1f77b4' notitle, \\\n     ");
    gq(f, o->dat);
    fprintf(f, " using 1:($3 == 1 ? $2 : 1/0) with points pt 7 ps 0.3 lc rgb '#d62728' notitle, \\\n"
               "     NaN with points pt 7 ps 1.5 lc rgb '#1f77b4' title 'read', \\\n"
               "     NaN with points pt 7 ps 1.5 lc rgb '#d62728' title 'write'\n");
    (void)rows;
}

void plot_wss_script(FILE *f, const plot_opts_t *o)
{
    char unit[32];
    header(f, o);
    fprintf(f, "set xlabel 'time (references)'\nset ylabel 'working-set size (pages of %s)'\n"
               "set format x '%%.0f'\nset xrange [0:*]\nset yrange [0:*]\n",
            size_unit(o->page_bits, unit, sizeof unit));
    fprintf(f, "plot ");
    gq(f, o->dat);
    fprintf(f, " using 1:2 with lines lw 2 lc rgb '#2ca02c' title 'W(t, {/Symbol t} = %ju references)'\n",
            (uintmax_t)o->tau);
}

void plot_curves_script(FILE *f, const plot_opts_t *o, const char *const *names, size_t k)
{
    static const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    header(f, o);
    fprintf(f, "set xlabel 'physical memory (frames)'\nset ylabel '%s'\n"
               "set format x '%%.0f'\nset xrange [0:*]\nset yrange [0:*]\n",
            o->ratio ? "miss ratio (page faults / references)" : "page faults");
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
    header(f, o);
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
