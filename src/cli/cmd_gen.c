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

int cmd_gen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"length", required_argument, 0, 'n'}, {"seed", required_argument, 0, 's'},
        {"pages", required_argument, 0, O_PAGES},    {"page-size", required_argument, 0, O_PAGE_SIZE},
        {"to", required_argument, 0, 't'},
        {"format", required_argument, 0, 't'}, /* the old name of --to */
        {"no-progress", no_argument, 0, O_NO_PROGRESS},   {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
    };
    gen_opts_t o = {NULL, 100000, 1, 1000, 12};
    static gen_out_t g;
    const char *out_path = NULL;
    env_out_t out;
    diag_t d;
    uint64_t v;
    int c, rc, no_progress = 0;

    diag_clear(&d);
    memset(&g, 0, sizeof g);
    optind = 1;
    while ((c = cli_getopt("gen", argc, argv, "n:s:t:o:h", opts)) != -1) {
        switch (c) {
        case 'n':
            if (cli_u64("gen", "--length", optarg, 0, UINT64_MAX, &o.length))
                return CLI_USAGE;
            break;
        case 's':
            if (cli_u64("gen", "--seed", optarg, 0, UINT64_MAX, &o.seed))
                return CLI_USAGE;
            break;
        case O_PAGES:
            if (cli_u64("gen", "--pages", optarg, 1, (uint64_t)1 << 32, &o.pages))
                return CLI_USAGE;
            break;
        case O_PAGE_SIZE:
            if (cli_u64("gen", "--page-size", optarg, 1, (uint64_t)1 << 30, &v))
                return CLI_USAGE;
            if (v & (v - 1))
                return cli_usage("gen", "page size %s is not a power of two", optarg);
            o.page_bits = (unsigned)__builtin_ctzll(v);
            break;
        case O_NO_PROGRESS: no_progress = 1; break;
        case 't':
            if (strcmp(optarg, "rw") == 0)
                g.format = FMT_RW;
            else if (strcmp(optarg, "osc") == 0)
                g.format = FMT_OSC;
            else if (strcmp(optarg, "pages") == 0)
                g.format = FMT_PAGES;
            else
                return cli_usage("gen", "unknown output format '%s' (expected rw, osc or pages)", optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'h': {
            char list[2048];
            size_t len = 0;
            for (unsigned i = 0; gen_model_name(i) && len < sizeof list - 200; i++)
                len += (size_t)snprintf(list + len, sizeof list - len, "  %-12s %s\n",
                                        gen_model_name(i), gen_model_summary(i));
            printf(gen_help, list);
            return CLI_OK;
        }
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind >= argc)
        return cli_usage("gen", "no model given (expected e.g. 'vmlab gen zipf')");
    o.model = argv[optind++];
    if (optind < argc)
        return cli_usage("gen", "unexpected argument '%s'", argv[optind]);
    g.page_bits = o.page_bits;
    if (env_out_open(&out, out_path, &d))
        return cli_diag(&d);
    g.fp = out.fp;
    g.length = o.length;
    /* Not over the references themselves on the same terminal. */
    progress_start(&g.pg, NULL, stderr, !no_progress && (out_path || !env_isatty(stdout)), "gen", o.model,
                   "references written");
    rc = gen_run(&o, emit, &g, &d);
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
            diag_set(&d, out_path ? out_path : "(stdout)", 0, werr, "cannot write output: %s",
                     strerror(werr));
        return cli_diag(&d);
    }
    if (env_out_commit(&out, &d))
        return cli_diag(&d);
    return CLI_OK;
}
