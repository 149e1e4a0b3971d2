/* SPDX-License-Identifier: MIT */
/*
 * cmd_malloc_freelist.c - `vmlab malloc freelist`: OSTEP's free-space
 * homework (vm-freespace/malloc.py) with its option letters and its printed
 * format; the model is include/vmlab/freelist.h.
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

static void on_event(void *ctx, const flm_t *fl, const flm_event_t *e)
{
    fctx_t *c = ctx;
    int64_t shown = e->ptr;
    if (e->kind == FLM_EV_ALLOC && c->random && e->ptr != -1)
        shown = e->ptr + (int64_t)c->header;
    if (c->json) {
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
        return;
    }
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

int cmd_malloc_freelist(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"seed", required_argument, 0, 's'},       {"size", required_argument, 0, 'S'},
        {"baseAddr", required_argument, 0, 'b'},   {"headerSize", required_argument, 0, 'H'},
        {"align", required_argument, 0, 'a'},
        {"alignment", required_argument, 0, 'a'}, /* OSTEP's name */  {"policy", required_argument, 0, 'p'},
        {"listOrder", required_argument, 0, 'l'},  {"coalesce", no_argument, 0, 'C'},
        {"numOps", required_argument, 0, 'n'},     {"range", required_argument, 0, 'r'},
        {"percentAlloc", required_argument, 0, 'P'}, {"allocList", required_argument, 0, 'A'},
        {"compute", no_argument, 0, 'c'},          {"out", required_argument, 0, 'o'},
        {"output", required_argument, 0, 1},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    flm_config_t cfg = flm_config_default();
    uint64_t seed = 0, nops = 10, range = 10, pct = 50;
    const char *list = NULL, *out_path = NULL;
    out_format_t fmt = OUT_TEXT;
    fctx_t c;
    env_out_t out;
    diag_t d;
    flm_t *fl;
    int ch, rc = CLI_OK, x;
    memset(&c, 0, sizeof c);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "s:S:b:H:a:p:l:Cn:r:P:A:co:h", lopts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (cli_u64("malloc freelist", "-s", optarg, 0, UINT64_MAX, &seed))
                return CLI_USAGE;
            break;
        case 'S':
            if (cli_u64("malloc freelist", "-S", optarg, 1, 1ull << 60, &cfg.size))
                return CLI_USAGE;
            break;
        case 'b':
            if (cli_u64("malloc freelist", "-b", optarg, 0, 1ull << 60, &cfg.base))
                return CLI_USAGE;
            break;
        case 'H':
            if (cli_u64("malloc freelist", "-H", optarg, 0, 1ull << 60, &cfg.header))
                return CLI_USAGE;
            break;
        case 'a':
            if (strcmp(optarg, "-1") == 0)
                cfg.align = 0;
            else if (cli_u64("malloc freelist", "-a", optarg, 1, 1ull << 60, &cfg.align))
                return CLI_USAGE;
            break;
        case 'p':
            if ((x = flm_policy_parse(optarg)) < 0)
                return cli_usage("malloc freelist", "unknown policy '%s' (expected BEST, WORST "
                                 "or FIRST)", optarg);
            cfg.policy = (flm_policy_t)x;
            break;
        case 'l':
            if ((x = flm_order_parse(optarg)) < 0)
                return cli_usage("malloc freelist", "unknown list order '%s' (expected "
                                 "ADDRSORT, SIZESORT+, SIZESORT-, INSERT-FRONT or "
                                 "INSERT-BACK)", optarg);
            cfg.order = (flm_order_t)x;
            break;
        case 'C': cfg.coalesce = 1; break;
        case 'n':
            if (cli_u64("malloc freelist", "-n", optarg, 0, 1u << 24, &nops))
                return CLI_USAGE;
            break;
        case 'r':
            if (cli_u64("malloc freelist", "-r", optarg, 1, 1ull << 60, &range))
                return CLI_USAGE;
            break;
        case 'P':
            if (cli_u64("malloc freelist", "-P", optarg, 1, 100, &pct))
                return CLI_USAGE;
            break;
        case 'A': list = optarg; break;
        case 'c': c.compute = 1; break;
        case 'o': out_path = optarg; break;
        case 1:
            if (cli_output("malloc freelist", optarg, OUT_ACCEPT_TEXT_JSON, &fmt))
                return CLI_USAGE;
            break;
        case 'h': fputs(freelist_help, stdout); return CLI_OK;
        default: return cli_usage("malloc freelist", "unknown option");
        }
    }
    if (optind < argc)
        return cli_usage("malloc freelist", "unexpected argument '%s'", argv[optind]);
    if (cfg.base > UINT64_MAX / 4 - cfg.size)
        return cli_usage("malloc freelist", "-b + -S too large");
    if (!(fl = flm_new(&cfg))) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    diag_clear(&d);
    if (env_out_open(&out, out_path, &d)) {
        flm_free_all(fl);
        return cli_diag(&d);
    }
    c.f = out.fp;
    c.json = fmt == OUT_JSON;
    c.random = list == NULL;
    c.header = cfg.header;
    if (c.json) {
        c.compute = 1;
        out_json_init(&c.j, c.f, 1);
        out_json_arr(&c.j, NULL);
    } else {
        fprintf(c.f, "seed %llu\nsize %llu\nbaseAddr %llu\nheaderSize %llu\n",
                (unsigned long long)seed, (unsigned long long)cfg.size,
                (unsigned long long)cfg.base, (unsigned long long)cfg.header);
        if (cfg.align)
            fprintf(c.f, "alignment %llu\n", (unsigned long long)cfg.align);
        else
            fputs("alignment -1\n", c.f);
        fprintf(c.f, "policy %s\nlistOrder %s\ncoalesce %s\nnumOps %llu\nrange %llu\n"
                     "percentAlloc %llu\nallocList %s\ncompute %s\n\n",
                flm_policy_name(cfg.policy), flm_order_name(cfg.order),
                cfg.coalesce ? "True" : "False", (unsigned long long)nops,
                (unsigned long long)range, (unsigned long long)pct, list ? list : "",
                c.compute ? "True" : "False");
    }
    if (list)
        rc = flm_script_run(fl, list, on_event, &c, &d);
    else
        rc = flm_random_run(fl, seed, nops, range, (unsigned)pct, on_event, &c, &d);
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
    if (env_out_commit(&out, &d))
        return cli_diag(&d);
    return CLI_OK;
}
