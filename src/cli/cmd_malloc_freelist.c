/* SPDX-License-Identifier: MIT */
/*
 * cmd_malloc_freelist.c - `vmlab malloc freelist`: OSTEP's free-space
 * homework (vm-freespace/malloc.py) with its option letters and its printed
 * format; the model is include/vmlab/freelist.h.
 *
 * parse() turns the command line into a freelist_cli_t (a bad value is a
 * usage error, exit 2); run() makes the heap, opens the output and runs the
 * -A list or the random operations, on_event() printing each operation (text
 * as malloc.py prints it, or one JSON object) as the model reports it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/out.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/freelist.h"

static const char freelist_help[] =
    "usage: vmlab malloc freelist [options]\n"
    "\n"
    "OSTEP's free-space homework (malloc.py): a heap of -S bytes at -b managed by\n"
    "one free list; prints each operation, its result, the elements searched and\n"
    "the free list after it.  Option letters and meanings are malloc.py's.\n"
    "\n"
    "  -s, --seed N          random seed (default 0)\n"
    "  -S, --size N          heap size (default 100)\n"
    "  -b, --baseAddr N      base address (default 1000)\n"
    "  -H, --headerSize N    header bytes per allocation (default 0)\n"
    "  -a, --align N         round requests up to a multiple of N; -1: none (default)\n"
    "                        (--alignment, OSTEP's name, also works)\n"
    "  -p, --policy P        BEST (default), WORST or FIRST\n"
    "  -l, --listOrder O     ADDRSORT (default), SIZESORT+, SIZESORT-, INSERT-FRONT,\n"
    "                        INSERT-BACK\n"
    "  -C, --coalesce        coalesce the free list on every free\n"
    "  -n, --numOps N        random operations (default 10)\n"
    "  -r, --range N         largest random allocation (default 10)\n"
    "  -P, --percentAlloc N  percent of random operations that allocate (default 50)\n"
    "  -A, --allocList LIST  operations instead of random ones: +SIZE allocates,\n"
    "                        -I frees ptr[I] (e.g. +10,-0,+20)\n"
    "  -c, --compute         print the answers\n"
    "      --output FMT      text (default) or json: [{op, index, size, ptr, searched,\n"
    "                        free: [[addr, size], ...]}, ...]\n"
    "  -o, --out FILE        write to FILE (atomically)\n"
    "\n"
    "As malloc.py prints them, random allocations show the address after the\n"
    "header (ptr + H) and -A allocations the chunk's address; -1 is a failure.\n";

/* --output without a short form. */
enum { O_OUTPUT = CLI_OPT_BASE };

static const struct option freelist_opts[] = {
    {"seed", required_argument, 0, 's'},         {"size", required_argument, 0, 'S'},
    {"baseAddr", required_argument, 0, 'b'},     {"headerSize", required_argument, 0, 'H'},
    {"align", required_argument, 0, 'a'},
    {"alignment", required_argument, 0, 'a'}, /* OSTEP's name */
    {"policy", required_argument, 0, 'p'},       {"listOrder", required_argument, 0, 'l'},
    {"coalesce", no_argument, 0, 'C'},           {"numOps", required_argument, 0, 'n'},
    {"range", required_argument, 0, 'r'},        {"percentAlloc", required_argument, 0, 'P'},
    {"allocList", required_argument, 0, 'A'},    {"compute", no_argument, 0, 'c'},
    {"out", required_argument, 0, 'o'},          {"output", required_argument, 0, O_OUTPUT},
    {"help", no_argument, 0, 'h'},               {0, 0, 0, 0},
};

/* The command line of `malloc freelist`, parsed. */
typedef struct freelist_cli {
    flm_config_t cfg;     /* the heap and its list: -S, -b, -H, -a, -p, -l, -C */
    uint64_t seed;        /* -s: random seed */
    uint64_t nops;        /* -n: random operations */
    uint64_t range;       /* -r: largest random allocation */
    uint64_t pct;         /* -P: percent of random operations that allocate */
    const char *list;     /* -A: the operations; NULL: random ones */
    const char *out_path; /* -o: the file to write; NULL: stdout */
    out_format_t fmt;     /* --output: text or json */
    int compute;          /* -c: print the answers */
} freelist_cli_t;

/* What on_event needs to print an operation. */
typedef struct fctx {
    FILE *f;         /* output */
    out_json_t j;    /* JSON writer */
    int json;        /* --output json */
    int compute;     /* -c */
    int random;      /* random operations (prints ptr + header) */
    uint64_t header; /* -H */
} fctx_t;

static void dump_list(const flm_t *fl, FILE *f)
{
    fprintf(f, "Free List [ Size %zu ]: ", flm_count(fl));
    for (size_t i = 0; i < flm_count(fl); i++) {
        uint64_t a, s;
        flm_get(fl, i, &a, &s);
        fprintf(f, "[ addr:%llu sz:%llu ]", (unsigned long long)a, (unsigned long long)s);
    }
    fputc('\n', f);
}

/* One operation as a JSON object: op, index, size, ptr, searched, free. */
static void event_json(fctx_t *c, const flm_t *fl, const flm_event_t *e, int64_t shown)
{
    out_json_obj(&c->j, NULL);
    out_json_str(&c->j, "op", e->kind == FLM_EV_ALLOC ? "alloc"
                              : e->kind == FLM_EV_FREE ? "free"
                                                       : "skip");
    out_json_u64(&c->j, "index", e->index);
    if (e->kind == FLM_EV_ALLOC)
        out_json_u64(&c->j, "size", e->size);
    if (e->kind != FLM_EV_SKIP)
        out_json_i64(&c->j, "ptr", shown);
    if (e->kind == FLM_EV_ALLOC)
        out_json_u64(&c->j, "searched", e->searched);
    out_json_arr(&c->j, "free");
    for (size_t i = 0; i < flm_count(fl); i++) {
        uint64_t a, s;
        flm_get(fl, i, &a, &s);
        out_json_arr(&c->j, NULL);
        out_json_u64(&c->j, NULL, a);
        out_json_u64(&c->j, NULL, s);
        out_json_end(&c->j);
    }
    out_json_end(&c->j);
    out_json_end(&c->j);
}

/* One operation as malloc.py prints it: the answers with -c, else '?'. */
static void event_text(fctx_t *c, const flm_t *fl, const flm_event_t *e, int64_t shown)
{
    if (e->kind == FLM_EV_SKIP) {
        fputs("Invalid Free: Skipping\n", c->f);
        return;
    }
    if (e->kind == FLM_EV_ALLOC) {
        fprintf(c->f, "ptr[%llu] = Alloc(%llu)", (unsigned long long)e->index,
                (unsigned long long)e->size);
        if (c->compute)
            fprintf(c->f, " returned %lld (searched %llu elements)\n", (long long)shown,
                    (unsigned long long)e->searched);
        else
            fputs(" returned ?\n", c->f);
    } else {
        fprintf(c->f, "Free(ptr[%llu])\n", (unsigned long long)e->index);
        if (c->compute)
            fprintf(c->f, "returned %lld\n", (long long)e->ptr);
        else
            fputs("returned ?\n", c->f);
    }
    if (c->compute)
        dump_list(fl, c->f);
    else
        fputs(c->random ? "List? \n" : "List?\n", c->f);
    fputc('\n', c->f);
}

/* The model's callback, after each operation. */
static void on_event(void *ctx, const flm_t *fl, const flm_event_t *e)
{
    fctx_t *c = ctx;
    int64_t shown = e->ptr;
    if (e->kind == FLM_EV_ALLOC && c->random && e->ptr != -1)
        shown = e->ptr + (int64_t)c->header;
    if (c->json)
        event_json(c, fl, e, shown);
    else
        event_text(c, fl, e, shown);
}

/* A number option's value within [min, max]: 0 or CLI_USAGE. */
static int num(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *v)
{
    return cli_u64("malloc freelist", opt, arg, min, max, v) ? CLI_USAGE : 0;
}

/* One option into *o: 0, CLI_USAGE, or CLI_SERVED. */
static int parse_opt(freelist_cli_t *o, int ch, const char *arg)
{
    int x;
    switch (ch) {
    case 's': return num("-s", arg, 0, UINT64_MAX, &o->seed);
    case 'S': return num("-S", arg, 1, 1ull << 60, &o->cfg.size);
    case 'b': return num("-b", arg, 0, 1ull << 60, &o->cfg.base);
    case 'H': return num("-H", arg, 0, 1ull << 60, &o->cfg.header);
    case 'a':
        if (strcmp(arg, "-1") == 0) {
            o->cfg.align = 0;
            return 0;
        }
        return num("-a", arg, 1, 1ull << 60, &o->cfg.align);
    case 'p':
        if ((x = flm_policy_parse(arg)) < 0)
            return cli_usage("malloc freelist", "unknown policy '%s' (expected BEST, WORST "
                             "or FIRST)", arg);
        o->cfg.policy = (flm_policy_t)x;
        return 0;
    case 'l':
        if ((x = flm_order_parse(arg)) < 0)
            return cli_usage("malloc freelist", "unknown list order '%s' (expected "
                             "ADDRSORT, SIZESORT+, SIZESORT-, INSERT-FRONT or "
                             "INSERT-BACK)", arg);
        o->cfg.order = (flm_order_t)x;
        return 0;
    case 'C': o->cfg.coalesce = 1; return 0;
    case 'n': return num("-n", arg, 0, 1u << 24, &o->nops);
    case 'r': return num("-r", arg, 1, 1ull << 60, &o->range);
    case 'P': return num("-P", arg, 1, 100, &o->pct);
    case 'A': o->list = arg; return 0;
    case 'c': o->compute = 1; return 0;
    case 'o': o->out_path = arg; return 0;
    case O_OUTPUT:
        return cli_output("malloc freelist", arg, OUT_ACCEPT_TEXT_JSON, &o->fmt) ? CLI_USAGE : 0;
    case 'h': fputs(freelist_help, stdout); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

/* The whole command line into *o: 0, CLI_USAGE, or CLI_SERVED. */
static int parse(freelist_cli_t *o, int argc, char **argv)
{
    int ch, rc;
    memset(o, 0, sizeof *o);
    o->cfg = flm_config_default();
    o->nops = 10;
    o->range = 10;
    o->pct = 50;
    o->fmt = OUT_TEXT;
    optind = 1;
    while ((ch = cli_getopt("malloc freelist", argc, argv, "s:S:b:H:a:p:l:Cn:r:P:A:co:h",
                            freelist_opts)) != -1)
        if ((rc = parse_opt(o, ch, optarg)) != 0)
            return rc;
    if (optind < argc)
        return cli_usage("malloc freelist", "unexpected argument '%s'", argv[optind]);
    if (o->cfg.base > UINT64_MAX / 4 - o->cfg.size)
        return cli_usage("malloc freelist", "-b + -S too large");
    return 0;
}

/* malloc.py's header: every option's value, one a line. */
static void print_header(const freelist_cli_t *o, FILE *f)
{
    const flm_config_t *cfg = &o->cfg;
    fprintf(f, "seed %llu\nsize %llu\nbaseAddr %llu\nheaderSize %llu\n",
            (unsigned long long)o->seed, (unsigned long long)cfg->size,
            (unsigned long long)cfg->base, (unsigned long long)cfg->header);
    if (cfg->align)
        fprintf(f, "alignment %llu\n", (unsigned long long)cfg->align);
    else
        fputs("alignment -1\n", f);
    fprintf(f, "policy %s\nlistOrder %s\ncoalesce %s\nnumOps %llu\nrange %llu\n"
               "percentAlloc %llu\nallocList %s\ncompute %s\n\n",
            flm_policy_name(cfg->policy), flm_order_name(cfg->order),
            cfg->coalesce ? "True" : "False", (unsigned long long)o->nops,
            (unsigned long long)o->range, (unsigned long long)o->pct, o->list ? o->list : "",
            o->compute ? "True" : "False");
}

/* The printing context for output f, and what comes before the first
 * operation: the header (text) or the opening of the array (json, which
 * always has the answers). */
static void begin(const freelist_cli_t *o, fctx_t *c, FILE *f)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    c->compute = o->compute;
    c->json = o->fmt == OUT_JSON;
    c->random = o->list == NULL;
    c->header = o->cfg.header;
    if (c->json) {
        c->compute = 1;
        out_json_init(&c->j, c->f, OUT_JSON_PRETTY);
        out_json_arr(&c->j, NULL);
    } else {
        print_header(o, c->f);
    }
}

/* Run the -A list or the random operations into -o FILE (atomically) or
 * stdout: 0 or a CLI_* status (a malformed -A list: CLI_USAGE). */
static int run(const freelist_cli_t *o)
{
    flm_t *fl = flm_new(&o->cfg);
    env_out_t out;
    fctx_t c;
    diag_t d;
    int rc;
    if (!fl) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    diag_clear(&d);
    if (env_out_open(&out, o->out_path, &d)) {
        flm_free_all(fl);
        return cli_diag(&d);
    }
    begin(o, &c, out.fp);
    if (o->list)
        rc = flm_script_run(fl, o->list, on_event, &c, &d);
    else
        rc = flm_random_run(fl, o->seed, o->nops, o->range, (unsigned)o->pct, on_event, &c, &d);
    if (rc) {
        env_out_abort(&out);
        flm_free_all(fl);
        cli_diag(&d);
        return rc == -EINVAL ? CLI_USAGE : CLI_ERR;
    }
    if (c.json) {
        out_json_end(&c.j);
        out_json_done(&c.j);
    }
    flm_free_all(fl);
    return env_out_commit(&out, &d) ? cli_diag(&d) : CLI_OK;
}

int cmd_malloc_freelist(int argc, char **argv)
{
    freelist_cli_t o;
    int rc = parse(&o, argc, argv);
    if (rc == 0)
        rc = run(&o);
    return rc == CLI_SERVED ? CLI_OK : rc;
}
