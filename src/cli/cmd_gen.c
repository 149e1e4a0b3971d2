/* SPDX-License-Identifier: MIT */
/*
 * cmd_gen.c - `vmlab gen`: write a synthetic trace (include/vmlab/gen.h) in
 * a format `vmlab sim` and `vmlab mrc` read: rw text by default.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/progress.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/gen.h"

static const char gen_help[] =
    "usage: vmlab gen MODEL[:key=value,...] [--length N] [--seed S] [-o FILE] [options]\n"
    "\n"
    "Write a synthetic memory reference trace.  Same options and seed: the same\n"
    "bytes.  Models:\n"
    "%s"
    "Every model but belady and linked-list takes writes=FRACTION (default 0.25).\n"
    "\n"
    "  -n, --length N         references (default 100000)\n"
    "  -s, --seed S           random seed (default 1)\n"
    "      --pages P          pages in the address space (default 1000)\n"
    "      --page-size BYTES  a power of two (default 4096)\n"
    "  -t, --to F             output format, as convert's --to: rw: \"0041f7a0 R\"\n"
    "                         lines (default), osc: decimal addresses, pages:\n"
    "                         decimal page numbers (--format: its old name)\n"
    "      --no-progress      no progress line (shown on a terminal for long runs)\n"
    "  -o, --out FILE         write to FILE (atomically) instead of stdout\n"
    "  -h, --help             this help\n"
    "\n"
    "examples: vmlab gen zipf:alpha=0.9 --length 1000000 --pages 50000 -o zipf.rw\n"
    "          vmlab gen linked-list:nodes=2000 --length 200000 -o list.rw\n";

enum { FMT_RW, FMT_OSC, FMT_PAGES };

typedef struct gen_out {
    FILE *fp;           /* destination */
    int format;         /* FMT_* */
    unsigned page_bits; /* for FMT_PAGES */
    char buf[1 << 16];  /* lines gathered before fwrite */
    size_t len;         /* bytes in buf */
    int werr;           /* errno of a failed write, 0 if none */
    uint64_t n;         /* references emitted */
    uint64_t length;    /* references asked for */
    progress_t pg;      /* the progress line, drawn at each flush of buf */
} gen_out_t;

static int emit(void *ctx, uint64_t addr, int write)
{
    gen_out_t *g = ctx;
    char tmp[24], *p = tmp + sizeof tmp;
    if (g->len > sizeof g->buf - 40) {
        if (fwrite(g->buf, 1, g->len, g->fp) != g->len) {
            g->werr = errno ? errno : EIO;
            return -EIO;
        }
        g->len = 0;
        progress_update(&g->pg, g->n, g->length, g->n);
    }
    g->n++;
    if (g->format == FMT_RW) {
        int digits = 0;
        do {
            *--p = "0123456789abcdef"[addr & 15];
            addr >>= 4;
            digits++;
        } while (addr || digits < 8);
    } else {
        if (g->format == FMT_PAGES)
            addr >>= g->page_bits;
        do {
            *--p = (char)('0' + addr % 10);
            addr /= 10;
        } while (addr);
    }
    memcpy(g->buf + g->len, p, (size_t)(tmp + sizeof tmp - p));
    g->len += (size_t)(tmp + sizeof tmp - p);
    if (g->format == FMT_RW) {
        g->buf[g->len++] = ' ';
        g->buf[g->len++] = write ? 'W' : 'R';
    }
    g->buf[g->len++] = '\n';
    return 0;
}

/* Long options without a short form. */
enum { O_PAGES = CLI_OPT_BASE, O_PAGE_SIZE, O_NO_PROGRESS };

static const struct option gen_long_opts[] = {
    {"length", required_argument, 0, 'n'}, {"seed", required_argument, 0, 's'},
    {"pages", required_argument, 0, O_PAGES},    {"page-size", required_argument, 0, O_PAGE_SIZE},
    {"to", required_argument, 0, 't'},
    {"format", required_argument, 0, 't'}, /* the old name of --to */
    {"no-progress", no_argument, 0, O_NO_PROGRESS},   {"out", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
};

/* -t's names, in FMT_* order. */
static const char *const gen_formats[] = {"rw", "osc", "pages"};

/* The command line of `gen`, parsed. */
typedef struct gen_cli {
    gen_opts_t o;         /* MODEL, --length, --seed, --pages, --page-size */
    int format;           /* -t: FMT_* */
    const char *out_path; /* -o, NULL: stdout */
    int no_progress;      /* --no-progress */
} gen_cli_t;

/* --help, with the models and their summaries. */
static void print_help(void)
{
    char list[2048];
    size_t len = 0;
    for (unsigned i = 0; gen_model_name(i) && len < sizeof list - 200; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "  %-12s %s\n", gen_model_name(i),
                                gen_model_summary(i));
    printf(gen_help, list);
}

/* One option into *c: 0, CLI_USAGE, or CLI_SERVED. */
static int parse_opt(gen_cli_t *c, int opt, const char *arg)
{
    uint64_t v;
    int k;
    switch (opt) {
    case 'n': return cli_u64("gen", "--length", arg, 0, UINT64_MAX, &c->o.length) ? CLI_USAGE : 0;
    case 's': return cli_u64("gen", "--seed", arg, 0, UINT64_MAX, &c->o.seed) ? CLI_USAGE : 0;
    case O_PAGES:
        return cli_u64("gen", "--pages", arg, 1, (uint64_t)1 << 32, &c->o.pages) ? CLI_USAGE : 0;
    case O_PAGE_SIZE:
        if (cli_u64("gen", "--page-size", arg, 1, (uint64_t)1 << 30, &v))
            return CLI_USAGE;
        if (v & (v - 1))
            return cli_usage("gen", "page size %s is not a power of two", arg);
        c->o.page_bits = (unsigned)__builtin_ctzll(v);
        return 0;
    case O_NO_PROGRESS: c->no_progress = 1; return 0;
    case 't':
        if ((k = cli_choice("gen", "output format", arg, gen_formats, 3)) < 0)
            return CLI_USAGE;
        c->format = k;
        return 0;
    case 'o': c->out_path = arg; return 0;
    case 'h': print_help(); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

/* The whole command line into *c: 0, CLI_USAGE, or CLI_SERVED. */
static int parse(gen_cli_t *c, int argc, char **argv)
{
    int opt, rc;
    *c = (gen_cli_t){.o = {NULL, 100000, 1, 1000, 12}, .format = FMT_RW};
    optind = 1;
    while ((opt = cli_getopt("gen", argc, argv, "n:s:t:o:h", gen_long_opts)) != -1)
        if ((rc = parse_opt(c, opt, optarg)) != 0)
            return rc;
    if (optind >= argc)
        return cli_usage("gen", "no model given (expected e.g. 'vmlab gen zipf')");
    c->o.model = argv[optind++];
    if (optind < argc)
        return cli_usage("gen", "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Generate the trace into -o or stdout: CLI_OK or a CLI_* status. */
static int run(const gen_cli_t *c)
{
    static gen_out_t g; /* 64 KiB: not on the stack */
    env_out_t out;
    diag_t d;
    int rc;
    diag_clear(&d);
    memset(&g, 0, sizeof g);
    g.format = c->format;
    g.page_bits = c->o.page_bits;
    if (env_out_open(&out, c->out_path, &d))
        return cli_diag(&d);
    g.fp = out.fp;
    g.length = c->o.length;
    /* Not over the references themselves on the same terminal. */
    progress_start(&g.pg, NULL, stderr, !c->no_progress && (c->out_path || !env_isatty(stdout)),
                   "gen", c->o.model, "references written");
    rc = gen_run(&c->o, emit, &g, &d);
    progress_end(&g.pg);
    if (rc == 0 && g.len && fwrite(g.buf, 1, g.len, g.fp) != g.len) {
        g.werr = errno ? errno : EIO;
        rc = -EIO;
    }
    int werr = g.werr ? g.werr : EIO;
    if (rc) {
        env_out_abort(&out);
        if (rc == -EINVAL)
            return cli_usage("gen", "%s", d.msg);
        if (rc == -EIO)
            diag_set(&d, c->out_path ? c->out_path : "(stdout)", 0, werr,
                     "cannot write output: %s", strerror(werr));
        return cli_diag(&d);
    }
    if (env_out_commit(&out, &d))
        return cli_diag(&d);
    return CLI_OK;
}

int cmd_gen(int argc, char **argv)
{
    gen_cli_t c;
    int rc = parse(&c, argc, argv);
    if (rc == 0)
        rc = run(&c);
    return rc == CLI_SERVED ? CLI_OK : rc;
}
