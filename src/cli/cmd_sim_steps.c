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

/* ---- the command line ------------------------------------------------- */

/* Long options without a short form: named, never bare numbers. */
enum { O_STEPS = CLI_OPT_BASE, O_PAGE_SIZE, O_OUTPUT };

static const struct option steps_opts[] = {
    {"policy", required_argument, 0, 'p'},
    {"frames", required_argument, 0, 'n'},
    {"addresses", required_argument, 0, 'a'},
    {"format", required_argument, 0, 'F'},
    {"out", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},
    {"steps", no_argument, 0, O_STEPS},
    {"page-size", required_argument, 0, O_PAGE_SIZE},
    {"output", required_argument, 0, O_OUTPUT},
    {0, 0, 0, 0},
};

/* Everything the command line says, parsed. */
typedef struct steps_cli {
    const char *policies; /* -p LIST as given: specs split by next_spec() */
    uint64_t frames;      /* -n, 0 if not given */
    const char *list;     /* -a LIST, NULL: pages from trace */
    const char *trace;    /* the TRACE operand, NULL with -a */
    trace_opts_t topts;   /* how to read TRACE (-F) */
    unsigned page_bits;   /* --page-size as a shift (default 12) */
    out_format_t fmt;     /* --output: text or json */
    const char *out_path; /* -o FILE, NULL: stdout */
} steps_cli_t;

/* One option: 0, a CLI_* status, or CLI_SERVED. */
static int parse_opt(steps_cli_t *o, int c, const char *arg)
{
    uint64_t v;
    int f;
    switch (c) {
    case 'p': o->policies = arg; return 0;
    case 'n': return cli_u64("sim", "-n", arg, 1, 1u << 24, &o->frames) ? CLI_USAGE : 0;
    case 'a': o->list = arg; return 0;
    case 'F':
        if ((f = trace_format_parse(arg)) < 0)
            return cli_usage("sim", "unknown format '%s' (expected %s)", arg, trace_format_names());
        o->topts.format = (trace_format_t)f;
        return 0;
    case 'o': o->out_path = arg; return 0;
    case 'h': fputs(steps_help, stdout); return CLI_SERVED;
    case O_STEPS: return 0;
    case O_PAGE_SIZE:
        if (cli_u64("sim", "--page-size", arg, 1, 1ull << 40, &v))
            return CLI_USAGE;
        if (v & (v - 1))
            return cli_usage("sim", "page size %s is not a power of two (expected e.g. 4096)", arg);
        o->page_bits = (unsigned)__builtin_ctzll(v);
        return 0;
    case O_OUTPUT: return cli_output("sim", arg, OUT_ACCEPT_TEXT_JSON, &o->fmt) ? CLI_USAGE : 0;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

/* The whole command line into *o: 0, a CLI_* status, or CLI_SERVED. */
static int parse(steps_cli_t *o, int argc, char **argv)
{
    int c, rc;
    memset(o, 0, sizeof *o);
    o->page_bits = 12;
    o->fmt = OUT_TEXT;
    optind = 1;
    while ((c = cli_getopt("sim", argc, argv, "p:n:a:F:o:h", steps_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)))
            return rc;
    if (!o->policies || !o->frames)
        return cli_usage("sim", "--steps needs -p POLICY and -n FRAMES");
    if (!o->list && optind + 1 != argc)
        return cli_usage("sim", "--steps needs -a LIST or one TRACE");
    if (o->list && optind != argc)
        return cli_usage("sim", "give -a LIST or a TRACE, not both");
    if (!o->list)
        o->trace = argv[optind];
    o->topts.page_bits = o->page_bits;
    return 0;
}

/* ---- running ------------------------------------------------------------ */

/* The pages of -a LIST or of TRACE into *tp: 0 or a CLI_* status. */
static int load_pages(const steps_cli_t *o, trace_pages_t *tp, diag_t *d)
{
    int rc;
    memset(tp, 0, sizeof *tp);
    if (o->trace)
        return trace_load_pages(o->trace, &o->topts, o->page_bits, tp, d) ? cli_diag(d) : 0;
    if ((rc = parse_list(o->list, &tp->page, &tp->n))) {
        free(tp->page);
        tp->page = NULL;
        if (rc == -ENOMEM) {
            cli_error("out of memory");
            return CLI_ERR;
        }
        return cli_usage("sim", "bad page list '%s' (expected e.g. 0,1,2,0,1,3)", o->list);
    }
    return 0;
}

/* The next spec of "lru,clock:bits=2,load-r=1,fifo" at *s into spec (a token
 * with '=' continues a spec), *s past it; bare opt is opt:ostep=1.  0, or -1
 * when the spec does not fit. */
static int next_spec(const char **s, char *spec, size_t size)
{
    size_t k = 0;
    const char *e = *s;
    for (;;) {
        const char *comma = strchr(e, ',');
        size_t len = comma ? (size_t)(comma - e) : strlen(e);
        if (k && !memchr(e, '=', len))
            break;
        if (k + len + 2 > size)
            return -1;
        if (k)
            spec[k++] = ',';
        memcpy(spec + k, e, len);
        k += len;
        e += len + (comma != NULL);
        if (!comma)
            break;
    }
    spec[k] = '\0';
    *s = e;
    if (strcmp(spec, "opt") == 0)
        strcpy(spec, "opt:ostep=1");
    return 0;
}

/* paging-policy.py's labels of the two ends of the memory list. */
static void set_labels(sctx_t *cx, const char *spec)
{
    cx->left = "Left ";
    cx->right = "Right";
    if (strncmp(spec, "fifo", 4) == 0 && (spec[4] == '\0' || spec[4] == ':')) {
        cx->left = "FirstIn";
        cx->right = "Lastin ";
    } else if ((strncmp(spec, "lru", 3) == 0 || strncmp(spec, "mru", 3) == 0) &&
               (spec[3] == '\0' || spec[3] == ':')) {
        cx->left = "LRU";
        cx->right = "MRU";
    }
}

/* One policy's log: its header, a line (or object) per reference, its
 * totals.  A dry run first, so a bad spec fails (-errno in *d) before
 * anything is printed; 0 otherwise. */
static int run_policy(const steps_cli_t *o, const char *spec, const trace_pages_t *tp, FILE *f,
                      out_json_t *j, diag_t *d)
{
    sctx_t cx = {.f = f, .j = j};
    totals_t tot = {0, 0};
    int rc;
    set_labels(&cx, spec);
    if ((rc = sim_steps_run(spec, o->frames, tp->page, tp->n, count_step, &tot, d)))
        return rc;
    if (j) {
        out_json_obj(j, NULL);
        out_json_str(j, "policy", spec);
        out_json_u64(j, "frames", o->frames);
        out_json_u64(j, "hits", tot.hits);
        out_json_u64(j, "misses", tot.misses);
        out_json_arr(j, "steps");
    } else {
        fprintf(f, "POLICY %s  FRAMES %llu\n\n", spec, (unsigned long long)o->frames);
    }
    sim_steps_run(spec, o->frames, tp->page, tp->n, on_step, &cx, d);
    if (j) {
        out_json_end(j);
        out_json_end(j);
    } else {
        fprintf(f, "\nFINALSTATS hits %llu   misses %llu   hitrate %.2f\n\n",
                (unsigned long long)tot.hits, (unsigned long long)tot.misses,
                tp->n ? 100.0 * (double)tot.hits / (double)tp->n : 0.0);
    }
    return 0;
}

/* Every policy's log into out (a JSON array with --output json), then the
 * file committed; nothing of it is kept on an error.  A CLI_* status. */
static int print(const steps_cli_t *o, const trace_pages_t *tp, diag_t *d)
{
    env_out_t out;
    out_json_t j, *jp = o->fmt == OUT_JSON ? &j : NULL;
    char spec[256];
    if (env_out_open(&out, o->out_path, d))
        return cli_diag(d);
    if (jp) {
        out_json_init(jp, out.fp, 1);
        out_json_arr(jp, NULL);
    }
    for (const char *s = o->policies; *s;) {
        if (next_spec(&s, spec, sizeof spec)) {
            int rc = cli_usage("sim", "policy spec too long");
            env_out_abort(&out);
            return rc;
        }
        if (run_policy(o, spec, tp, out.fp, jp, d)) {
            env_out_abort(&out);
            int rc = cli_diag(d);
            return d->err == EINVAL ? CLI_USAGE : rc;
        }
    }
    if (jp) {
        out_json_end(jp);
        out_json_done(jp);
    }
    return env_out_commit(&out, d) ? cli_diag(d) : CLI_OK;
}

int cmd_sim_steps(int argc, char **argv)
{
    steps_cli_t o;
    trace_pages_t tp;
    diag_t d;
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc == CLI_SERVED ? CLI_OK : rc;
    diag_clear(&d);
    if ((rc = load_pages(&o, &tp, &d)) == 0)
        rc = print(&o, &tp, &d);
    trace_pages_free(&tp);
    return rc;
}
