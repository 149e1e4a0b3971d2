/* SPDX-License-Identifier: MIT */
/*
 * cmd_tlb_measure.c - `vmlab tlb-measure`: OSTEP ch. 19's TLB homework on the
 * real machine (include/vmlab/tlbm.h measures; this prints and plots).
 * N runs geometrically from 1 to --max-pages with --steps points per
 * doubling, so the steps at the L1 and L2 TLB sizes show on a log axis.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/out.h"
#include "base/progress.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/tlbm.h"

static const char tlbm_help[] =
    "usage: vmlab tlb-measure [options]\n"
    "\n"
    "Time one memory access while touching N pages, one access per page, for N\n"
    "from 1 to --max-pages, pinned to one CPU: the time steps up where N passes\n"
    "the L1 and then the L2 TLB's reach (OSTEP ch. 19 homework, tlb.c).  The\n"
    "figures are measurements of this machine, noisy on a busy one.\n"
    "\n"
    "  -m, --max-pages N     largest N (default 8192)\n"
    "  -k, --steps K         points per doubling of N (default 4)\n"
    "  -t, --trials R        trials per N; the median is reported (default 5)\n"
    "  -A, --accesses A      accesses per trial at least (default 1m)\n"
    "  -c, --cpu C           CPU to pin to (default: the one it starts on)\n"
    "      --page-size BYTES stride (default 4096)\n"
    "      --output FMT      text (default), json or csv: pages, ns, ns_min, loops\n"
    "  -o, --out FILE        write the table to FILE (atomically)\n"
    "      --plot IMAGE      also draw ns against N (log x) with gnuplot (.png or .svg):\n"
    "                        writes IMAGE.dat and IMAGE.gp beside it\n"
    "      --no-progress     no progress line (shown on a terminal for long runs)\n";

static int plot(const char *img, const tlbm_point_t *pt, size_t n, uint64_t page_size)
{
    char dat[4096], gp[4096];
    FILE *f;
    int svg = strlen(img) > 4 && strcmp(img + strlen(img) - 4, ".svg") == 0;
    snprintf(dat, sizeof dat, "%s.dat", img);
    snprintf(gp, sizeof gp, "%s.gp", img);
    if (!(f = fopen(dat, "w"))) {
        cli_error("%s: %s", dat, strerror(errno));
        return CLI_ERR;
    }
    fprintf(f, "# pages ns_per_access ns_min\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%llu %.4f %.4f\n", (unsigned long long)pt[i].pages, pt[i].ns, pt[i].ns_min);
    if (fclose(f)) {
        cli_error("%s: write failed", dat);
        return CLI_ERR;
    }
    if (!(f = fopen(gp, "w"))) {
        cli_error("%s: %s", gp, strerror(errno));
        return CLI_ERR;
    }
    fprintf(f, "set terminal %s size 900,500\nset output '%s'\n", svg ? "svg" : "pngcairo", img);
    fprintf(f, "set title 'TLB: time per access, one access per %llu-byte page'\n",
            (unsigned long long)page_size);
    fprintf(f, "set logscale x 2\nset xlabel 'pages touched (N)'\nset ylabel 'ns per access'\n"
               "set grid\nset key top left\n");
    fprintf(f, "plot '%s' using 1:2 with linespoints title 'median', '' using 1:3 with lines "
               "dashtype 2 title 'fastest'\n", dat);
    if (fclose(f)) {
        cli_error("%s: write failed", gp);
        return CLI_ERR;
    }
    switch (cli_gnuplot(gp)) {
    case 0: return CLI_OK;
    case 1:
        cli_error("tlb-measure: gnuplot not found; wrote %s and %s (render with: gnuplot %s)",
                  dat, gp, gp);
        return CLI_ERR;
    default: cli_error("tlb-measure: gnuplot failed on %s", gp); return CLI_ERR;
    }
}

/* ---- the command line ------------------------------------------------- */

/* Long options without a short form: named, never bare numbers. */
enum { O_PAGE_SIZE = CLI_OPT_BASE, O_OUTPUT, O_PLOT, O_NO_PROGRESS };

static const struct option tlbm_opts[] = {
    {"max-pages", required_argument, 0, 'm'},
    {"steps", required_argument, 0, 'k'},
    {"trials", required_argument, 0, 't'},
    {"accesses", required_argument, 0, 'A'},
    {"cpu", required_argument, 0, 'c'},
    {"out", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},
    {"page-size", required_argument, 0, O_PAGE_SIZE},
    {"output", required_argument, 0, O_OUTPUT},
    {"plot", required_argument, 0, O_PLOT},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {0, 0, 0, 0},
};

/* Everything the command line says, parsed. */
typedef struct tlbm_cli {
    tlbm_config_t cfg;    /* --page-size, --accesses, --trials (progress: at run) */
    uint64_t max_pages;   /* -m: the largest N (default 8192) */
    uint64_t steps;       /* -k: points per doubling of N (default 4) */
    int cpu;              /* -c, -1: the CPU it starts on */
    int progress;         /* the progress line is wanted (--no-progress: 0) */
    const char *out_path; /* -o FILE, NULL: stdout */
    const char *img;      /* --plot IMAGE, NULL: no plot */
    out_format_t fmt;     /* --output: text, json or csv */
} tlbm_cli_t;

/* One option: 0, a CLI_* status, or CLI_SERVED. */
static int parse_opt(tlbm_cli_t *o, int c, const char *arg)
{
    uint64_t v;
    switch (c) {
    case 'm':
        if (cli_u64("tlb-measure", "--max-pages", arg, 1, 1u << 22, &o->max_pages))
            return CLI_USAGE;
        return 0;
    case 'k': return cli_u64("tlb-measure", "--steps", arg, 1, 64, &o->steps) ? CLI_USAGE : 0;
    case 't':
        if (cli_u64("tlb-measure", "--trials", arg, 1, 1000, &v))
            return CLI_USAGE;
        o->cfg.trials = (unsigned)v;
        return 0;
    case 'A':
        if (cli_u64("tlb-measure", "--accesses", arg, 1, 1ull << 34, &o->cfg.accesses))
            return CLI_USAGE;
        return 0;
    case 'c':
        if (cli_u64("tlb-measure", "--cpu", arg, 0, 1023, &v))
            return CLI_USAGE;
        o->cpu = (int)v;
        return 0;
    case 'o': o->out_path = arg; return 0;
    case 'h': fputs(tlbm_help, stdout); return CLI_SERVED;
    case O_PAGE_SIZE:
        if (cli_u64("tlb-measure", "--page-size", arg, 4, 1ull << 30, &o->cfg.page_size))
            return CLI_USAGE;
        if (o->cfg.page_size & (o->cfg.page_size - 1))
            return cli_usage("tlb-measure", "page size %s is not a power of two (expected "
                             "e.g. 4096)", arg);
        return 0;
    case O_OUTPUT: return cli_output("tlb-measure", arg, OUT_ACCEPT_ALL, &o->fmt) ? CLI_USAGE : 0;
    case O_PLOT: o->img = arg; return 0;
    case O_NO_PROGRESS: o->progress = 0; return 0;
    default: return CLI_USAGE; /* cli_getopt said which */
    }
}

/* The whole command line into *o: 0, a CLI_* status, or CLI_SERVED. */
static int parse(tlbm_cli_t *o, int argc, char **argv)
{
    int c, rc;
    memset(o, 0, sizeof *o);
    o->cfg = (tlbm_config_t){.page_size = 4096, .accesses = 1u << 20, .trials = 5};
    o->max_pages = 8192;
    o->steps = 4;
    o->cpu = -1;
    o->progress = 1;
    o->fmt = OUT_TEXT;
    optind = 1;
    while ((c = cli_getopt("tlb-measure", argc, argv, "m:k:t:A:c:o:h", tlbm_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)))
            return rc;
    if (optind < argc)
        return cli_usage("tlb-measure", "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* ---- measuring and printing --------------------------------------------- */

/* N: 1, then geometric with `steps` points per doubling, distinct, to
 * max_pages, into pages (room for 64 * steps + 2); returns how many. */
static size_t page_counts(const tlbm_cli_t *o, uint64_t *pages)
{
    size_t n = 0;
    for (uint64_t k = 0;; k++) {
        uint64_t np = (uint64_t)llround(pow(2.0, (double)k / (double)o->steps));
        if (np > o->max_pages)
            break;
        if (n == 0 || np != pages[n - 1])
            pages[n++] = np;
    }
    if (pages[n - 1] != o->max_pages)
        pages[n++] = o->max_pages;
    return n;
}

static void print_json(FILE *f, const tlbm_cli_t *o, const tlbm_point_t *pt, size_t n)
{
    out_json_t j;
    out_json_init(&j, f, 1);
    out_json_obj(&j, NULL);
    out_json_i64(&j, "cpu", o->cpu);
    out_json_u64(&j, "page_size", o->cfg.page_size);
    out_json_arr(&j, "points");
    for (size_t i = 0; i < n; i++) {
        out_json_obj(&j, NULL);
        out_json_u64(&j, "pages", pt[i].pages);
        out_json_dbl(&j, "ns", pt[i].ns);
        out_json_dbl(&j, "ns_min", pt[i].ns_min);
        out_json_u64(&j, "loops", pt[i].loops);
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_end(&j);
    out_json_done(&j);
}

static void print_csv(FILE *f, const tlbm_point_t *pt, size_t n)
{
    fputs("pages,ns,ns_min,loops\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%llu,%.4f,%.4f,%llu\n", (unsigned long long)pt[i].pages, pt[i].ns,
                pt[i].ns_min, (unsigned long long)pt[i].loops);
}

static void print_text(FILE *f, const tlbm_cli_t *o, const tlbm_point_t *pt, size_t n)
{
    fprintf(f, "# TLB measurement: CPU %d, one access per %llu-byte page, median of %u "
               "trials\n", o->cpu, (unsigned long long)o->cfg.page_size, o->cfg.trials);
    fprintf(f, "%10s %12s %12s %10s\n", "pages", "ns/access", "fastest", "loops");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%10llu %12.3f %12.3f %10llu\n", (unsigned long long)pt[i].pages,
                pt[i].ns, pt[i].ns_min, (unsigned long long)pt[i].loops);
}

/* The table in o->fmt to o->out_path (atomically): a CLI_* status. */
static int print(const tlbm_cli_t *o, const tlbm_point_t *pt, size_t n)
{
    env_out_t out;
    diag_t d;
    diag_clear(&d);
    if (env_out_open(&out, o->out_path, &d))
        return cli_diag(&d);
    if (o->fmt == OUT_JSON)
        print_json(out.fp, o, pt, n);
    else if (o->fmt == OUT_CSV)
        print_csv(out.fp, pt, n);
    else
        print_text(out.fp, o, pt, n);
    return env_out_commit(&out, &d) ? cli_diag(&d) : CLI_OK;
}

/* Time every N in pages (with a progress line) into pt: a CLI_* status. */
static int measure(const tlbm_cli_t *o, const uint64_t *pages, size_t n, tlbm_point_t *pt)
{
    tlbm_config_t cfg = o->cfg;
    progress_t pg;
    diag_t d;
    int rc;
    diag_clear(&d);
    progress_start(&pg, NULL, stderr, o->progress, "tlb-measure", NULL, "accesses timed");
    cfg.progress = progress_cb, cfg.progress_ctx = &pg;
    rc = tlbm_measure(&cfg, pages, n, pt, &d);
    progress_end(&pg);
    return rc ? cli_diag(&d) : CLI_OK;
}

/* Pin, measure, print, plot: a CLI_* status. */
static int run(tlbm_cli_t *o)
{
    uint64_t *pages;
    tlbm_point_t *pt;
    size_t n;
    int rc;
    if (o->cpu < 0)
        o->cpu = env_current_cpu() < 0 ? 0 : env_current_cpu();
    if (env_pin_cpu(o->cpu))
        return cli_usage("tlb-measure", "cannot pin to CPU %d (expected one this process may "
                         "use)", o->cpu);
    pages = malloc((size_t)(64 * o->steps + 2) * sizeof *pages);
    pt = malloc((size_t)(64 * o->steps + 2) * sizeof *pt);
    if (!pages || !pt) {
        free(pages);
        free(pt);
        cli_error("out of memory");
        return CLI_ERR;
    }
    n = page_counts(o, pages);
    if ((rc = measure(o, pages, n, pt)) == 0 && (rc = print(o, pt, n)) == 0 && o->img)
        rc = plot(o->img, pt, n, o->cfg.page_size);
    free(pages);
    free(pt);
    return rc;
}

int cmd_tlb_measure(int argc, char **argv)
{
    tlbm_cli_t o;
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc == CLI_SERVED ? CLI_OK : rc;
    return run(&o);
}
