/* SPDX-License-Identifier: MIT */
/*
 * cmd_sim_steps.c - `vmlab sim --steps`: one line per reference (page, hit
 * or miss, victim, memory after it in the homework's order) for each policy
 * given, as OSTEP's paging-policy.py -c prints it.  The log comes from the
 * sim library (include/vmlab/sim_steps.h); this file only reads options and
 * prints.  cmd_sim hands over to cmd_sim_steps when --steps is present.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/out.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/parse.h"
#include "vmlab/sim_steps.h"
#include "vmlab/trace.h"

static const char steps_help[] =
    "usage: vmlab sim --steps -p POLICY[,POLICY...] -n FRAMES (-a LIST | TRACE)\n"
    "\n"
    "Log every reference: the page, hit or miss, the victim and the memory after it\n"
    "in the order OSTEP's paging-policy.py prints (LRU/MRU: least to most recently\n"
    "used; others: load order), with running hit and miss counts.  Any sim policy;\n"
    "opt breaks ties among pages never used again as paging-policy.py does\n"
    "(opt:ostep=1) unless opt:ostep=0 is given.\n"
    "\n"
    "  -p, --policy LIST     policies (fifo, lru, opt, mru, unopt, clock:bits=2, ...)\n"
    "  -n, --frames N        memory size in pages (paging-policy.py -C)\n"
    "  -a, --addresses LIST  comma-separated page numbers (paging-policy.py -a)\n"
    "  -F, --format FORMAT   trace format of TRACE (pages: one page number a line)\n"
    "      --page-size BYTES page size for byte-address traces (default 4096)\n"
    "      --output FMT      text (default) or json: [{policy, frames, hits, misses,\n"
    "                        steps: [{page, hit, victim (or null), frames: [...]}]}]\n"
    "  -o, --out FILE        write to FILE (atomically)\n";

typedef struct sctx {
    FILE *f;           /* output */
    out_json_t *j;     /* JSON writer, or NULL for text */
    const char *left;  /* paging-policy.py's labels of the two ends */
    const char *right;
} sctx_t;

static void on_step(void *ctx, const sim_step_t *s)
{
    sctx_t *c = ctx;
    if (c->j) {
        out_json_obj(c->j, NULL);
        out_json_u64(c->j, "page", s->page);
        out_json_bool(c->j, "hit", s->hit);
        if (s->has_victim)
            out_json_u64(c->j, "victim", s->victim);
        else
            out_json_null(c->j, "victim");
        out_json_arr(c->j, "frames");
        for (size_t i = 0; i < s->nframes; i++)
            out_json_u64(c->j, NULL, s->frames[i]);
        out_json_end(c->j);
        out_json_end(c->j);
        return;
    }
    /* Python's list repr, right-aligned in 12 columns as paging-policy.py does. */
    char buf[256];
    size_t k = 0;
    buf[k++] = '[';
    for (size_t i = 0; i < s->nframes && k < sizeof buf - 32; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%llu", i ? ", " : "",
                              (unsigned long long)s->frames[i]);
    if (k >= sizeof buf - 32)
        k += (size_t)snprintf(buf + k, sizeof buf - k, ", ...");
    buf[k++] = ']';
    buf[k] = '\0';
    fprintf(c->f, "Access: %llu  %s %s -> %12s <- %s Replaced:", (unsigned long long)s->page,
            s->hit ? "HIT " : "MISS", c->left, buf, c->right);
    if (s->has_victim)
        fprintf(c->f, "%llu", (unsigned long long)s->victim);
    else
        fputc('-', c->f);
    fprintf(c->f, " [Hits:%llu Misses:%llu]\n", (unsigned long long)s->hits,
            (unsigned long long)s->misses);
}

/* paging-policy.py's "last" line: the totals. */
typedef struct totals {
    uint64_t hits, misses;
} totals_t;

static void count_step(void *ctx, const sim_step_t *s)
{
    totals_t *t = ctx;
    t->hits = s->hits;
    t->misses = s->misses;
}

static int parse_list(const char *list, uint64_t **pages, size_t *n)
{
    size_t cap = 0;
    const char *s = list;
    *pages = NULL;
    *n = 0;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        uint64_t v;
        const char *t = s;
        size_t tl = len;
        parse_trim(&t, &tl);
        if (tl > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') ? parse_u64_hex(t, tl, &v)
                                                                   : parse_u64_dec(t, tl, &v))
            return -EINVAL;
        if (*n == cap) {
            uint64_t *np;
            cap = cap ? 2 * cap : 64;
            if (cap > SIZE_MAX / sizeof *np || !(np = realloc(*pages, cap * sizeof *np)))
                return -ENOMEM;
            *pages = np;
        }
        (*pages)[(*n)++] = v;
        s += len + (e != NULL);
    }
    return *n ? 0 : -EINVAL;
}

int cmd_sim_steps(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"policy", required_argument, 0, 'p'}, {"frames", required_argument, 0, 'n'},
        {"addresses", required_argument, 0, 'a'}, {"format", required_argument, 0, 'F'},
        {"out", required_argument, 0, 'o'},    {"help", no_argument, 0, 'h'},
        {"steps", no_argument, 0, 1},          {"page-size", required_argument, 0, 2},
        {"output", required_argument, 0, 3},   {0, 0, 0, 0},
    };
    const char *policies = NULL, *list = NULL, *out_path = NULL;
    uint64_t frames = 0, v;
    unsigned page_bits = 12;
    trace_opts_t topts;
    out_format_t fmt = OUT_TEXT;
    uint64_t *pages = NULL;
    size_t n = 0;
    trace_pages_t tp;
    int c, rc = CLI_OK, have_tp = 0;
    env_out_t out;
    diag_t d;
    out_json_t j;

    memset(&topts, 0, sizeof topts);
    memset(&tp, 0, sizeof tp);
    diag_clear(&d);
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:n:a:F:o:h", lopts, NULL)) != -1) {
        switch (c) {
        case 'p': policies = optarg; break;
        case 'n':
            if (cli_u64("sim", "-n", optarg, 1, 1u << 24, &frames))
                return CLI_USAGE;
            break;
        case 'a': list = optarg; break;
        case 'F': {
            int f = trace_format_parse(optarg);
            if (f < 0)
                return cli_usage("sim", "unknown format '%s' (expected %s)", optarg,
                                 trace_format_names());
            topts.format = (trace_format_t)f;
            break;
        }
        case 'o': out_path = optarg; break;
        case 'h': fputs(steps_help, stdout); return CLI_OK;
        case 1: break;
        case 2:
            if (cli_u64("sim", "--page-size", optarg, 1, 1ull << 40, &v))
                return CLI_USAGE;
            if (v & (v - 1))
                return cli_usage("sim", "page size %s is not a power of two (expected e.g. 4096)",
                                 optarg);
            page_bits = (unsigned)__builtin_ctzll(v);
            break;
        case 3:
            if (cli_output("sim", optarg, OUT_ACCEPT_TEXT_JSON, &fmt))
                return CLI_USAGE;
            break;
        default: return cli_usage("sim", "unknown option for --steps (see vmlab sim --steps -h)");
        }
    }
    if (!policies || !frames)
        return cli_usage("sim", "--steps needs -p POLICY and -n FRAMES");
    if (!list && optind + 1 != argc)
        return cli_usage("sim", "--steps needs -a LIST or one TRACE");
    if (list && optind != argc)
        return cli_usage("sim", "give -a LIST or a TRACE, not both");
    if (list) {
        if ((rc = parse_list(list, &pages, &n))) {
            free(pages);
            if (rc == -ENOMEM) {
                cli_error("out of memory");
                return CLI_ERR;
            }
            return cli_usage("sim", "bad page list '%s' (expected e.g. 0,1,2,0,1,3)", list);
        }
    } else {
        topts.page_bits = page_bits;
        if (trace_load_pages(argv[optind], &topts, page_bits, &tp, &d))
            return cli_diag(&d);
        pages = tp.page;
        n = tp.n;
        have_tp = 1;
    }
    if (env_out_open(&out, out_path, &d)) {
        rc = cli_diag(&d);
        goto done;
    }
    if (fmt == OUT_JSON) {
        out_json_init(&j, out.fp, 1);
        out_json_arr(&j, NULL);
    }
    for (const char *s = policies; *s;) {
        /* "lru,clock:bits=2,load-r=1,fifo": a token with '=' continues a spec. */
        char spec[256];
        size_t k = 0;
        const char *e = s;
        for (;;) {
            const char *comma = strchr(e, ',');
            size_t len = comma ? (size_t)(comma - e) : strlen(e);
            if (k && !memchr(e, '=', len))
                break;
            if (k + len + 2 > sizeof spec) {
                rc = cli_usage("sim", "policy spec too long");
                env_out_abort(&out);
                goto done;
            }
            if (k)
                spec[k++] = ',';
            memcpy(spec + k, e, len);
            k += len;
            e += len + (comma != NULL);
            if (!comma)
                break;
        }
        spec[k] = '\0';
        s = e;
        if (strcmp(spec, "opt") == 0)
            strcpy(spec, "opt:ostep=1");
        sctx_t cx = {.f = out.fp, .j = fmt == OUT_JSON ? &j : NULL, .left = "Left ",
                     .right = "Right"};
        totals_t tot = {0, 0};
        if (strncmp(spec, "fifo", 4) == 0 && (spec[4] == '\0' || spec[4] == ':')) {
            cx.left = "FirstIn";
            cx.right = "Lastin ";
        } else if ((strncmp(spec, "lru", 3) == 0 || strncmp(spec, "mru", 3) == 0) &&
                   (spec[3] == '\0' || spec[3] == ':')) {
            cx.left = "LRU";
            cx.right = "MRU";
        }
        /* A dry run first: a bad spec fails before anything is printed. */
        if (sim_steps_run(spec, frames, pages, n, count_step, &tot, &d)) {
            env_out_abort(&out);
            rc = cli_diag(&d);
            rc = d.err == EINVAL ? CLI_USAGE : rc;
            goto done;
        }
        if (cx.j) {
            out_json_obj(&j, NULL);
            out_json_str(&j, "policy", spec);
            out_json_u64(&j, "frames", frames);
            out_json_u64(&j, "hits", tot.hits);
            out_json_u64(&j, "misses", tot.misses);
            out_json_arr(&j, "steps");
        } else {
            fprintf(out.fp, "POLICY %s  FRAMES %llu\n\n", spec, (unsigned long long)frames);
        }
        sim_steps_run(spec, frames, pages, n, on_step, &cx, &d);
        if (cx.j) {
            out_json_end(&j);
            out_json_end(&j);
        } else {
            fprintf(out.fp, "\nFINALSTATS hits %llu   misses %llu   hitrate %.2f\n\n",
                    (unsigned long long)tot.hits, (unsigned long long)tot.misses,
                    n ? 100.0 * (double)tot.hits / (double)n : 0.0);
        }
    }
    if (fmt == OUT_JSON) {
        out_json_end(&j);
        out_json_done(&j);
    }
    if (env_out_commit(&out, &d))
        rc = cli_diag(&d);
done:
    if (have_tp)
        trace_pages_free(&tp);
    else
        free(pages);
    return rc;
}
