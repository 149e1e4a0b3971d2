/* SPDX-License-Identifier: MIT */
/*
 * cmd_malloc.c - `vmlab malloc`: replay malloc-lab traces under every
 * allocator design (`replay`), or record a program's allocations as a trace
 * (`record`, in cmd_malloc_record.c).
 *
 * replay: parse() turns the command line into a replay_cli_t (every bad
 * argument a usage error, exit 2); load_traces() reads and parses every trace
 * before anything runs, so a malformed line gives one error and no table;
 * then either frag_all() prints fragmentation samples as the replays go, or
 * run_all() replays each trace under each design (mr_run) and print() writes
 * the one table or JSON array, then the invalid runs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/progress.h"
#include "cli/cli.h"
#include "malloc/replay.h"
#include "vmlab/env.h"
#include "vmlab/malloc.h"

static const char malloc_help[] =
    "usage: vmlab malloc replay [options] TRACE...\n"
    "       vmlab malloc record -o FILE -- CMD [ARGS...]\n"
    "       vmlab malloc gen KIND [--seed N] [-o FILE]  (fragmentation adversaries)\n"
    "       vmlab malloc freelist [options]   (OSTEP's malloc.py: see freelist --help)\n"
    "\n"
    "replay: run CS:APP malloc-lab traces (.rep) under allocator designs, check\n"
    "every payload (aligned, no overlap, contents kept across realloc), and report\n"
    "utilization (peak live payload / heap size) and operations per second.\n"
    "A TRACE may be gen:KIND:SEED, a generated adversary (see malloc gen --help).\n"
    "\n"
    "  -p, --policy LIST   comma-separated designs, 'all' (every vmlab design) and\n"
    "                      'libc' (the C library's malloc) (default segfit);\n"
    "                      references: 'offline' (a clairvoyant placement) and\n"
    "                      'bound' (the largest sum of live blocks: a ceiling)\n"
    "  -a, --align N       payload alignment, 8 (malloc-lab's rule) or 16 (default 8)\n"
    "      --output FMT    text (default) or json: [{trace, policy, valid, util,\n"
    "                      ops_per_sec}, ...], util a fraction 0..1; csv with --frag\n"
    "      --frag          fragmentation over time instead of the summary: after\n"
    "                      every N-th operation, the heap size, the external\n"
    "                      fragmentation (1 - largest free block / free bytes) and\n"
    "                      the internal (headers and padding per payload byte)\n"
    "      --every N       --frag: sample every N operations (default: 200 samples\n"
    "                      per trace; 1: every operation)\n"
    "  -g, --grow BYTES    boundary-tag designs: the chunk the heap grows by for\n"
    "                      requests below 256 bytes (default 2048; 16: exact)\n"
    "      --defer-coalesce  boundary-tag designs: coalesce only when no block fits\n"
    "      --low-placement   boundary-tag designs: always place at the low end of a\n"
    "                      free block (the textbook rule; default: large blocks high)\n"
    "      --canary        end every block with a canary word (costs utilization)\n"
    "  -t, --time SEC      seconds per timing sample, 0 to skip timing (default 0.05)\n"
    "  -s, --samples N     timing samples, the median is reported (default 3)\n"
    "  -l, --list          list the designs and exit\n"
    "      --no-progress   no progress line (shown on a terminal for long runs)\n"
    "  -h, --help          this help\n"
    "\n"
    "example: vmlab malloc replay --policy all,libc ../shared/data/malloclab/*.rep\n";

#define MAX_POLICIES 16

/* Long options of `malloc replay` without a short form. */
enum { O_OUTPUT = CLI_OPT_BASE, O_DEFER_COALESCE, O_LOW_PLACEMENT, O_CANARY, O_FRAG, O_EVERY,
       O_NO_PROGRESS };

static const struct option replay_opts[] = {
    {"policy", required_argument, 0, 'p'}, {"align", required_argument, 0, 'a'},
    {"output", required_argument, 0, O_OUTPUT}, {"time", required_argument, 0, 't'},
    {"samples", required_argument, 0, 's'}, {"list", no_argument, 0, 'l'},
    {"grow", required_argument, 0, 'g'},  {"defer-coalesce", no_argument, 0, O_DEFER_COALESCE},
    {"low-placement", no_argument, 0, O_LOW_PLACEMENT}, {"canary", no_argument, 0, O_CANARY},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {"frag", no_argument, 0, O_FRAG},      {"every", required_argument, 0, O_EVERY},
    {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
};

/* The command line of `malloc replay`, parsed. */
typedef struct replay_cli {
    const char *policy_arg;        /* -p as given (the last one), NULL: segfit */
    char *policy_copy;             /* a copy of policy_arg split in place; pol[] points into
                                      it (owned) */
    const char *pol[MAX_POLICIES]; /* the designs to run, in order, each once */
    int npol;                      /* entries in pol */
    char **traces;                 /* the TRACE operands (files or gen:KIND:SEED), in argv */
    int ntr;                       /* entries in traces, at least 1 */
    mr_opts_t mo;                  /* -a, -g, the placement flags, -t and -s */
    out_format_t output;           /* --output: text, json, or csv (with --frag only) */
    int frag;                      /* --frag: fragmentation over time, not the summary */
    uint64_t every;                /* --every (--frag only); 0: 200 samples per trace */
    int progress;                  /* 0: --no-progress */
} replay_cli_t;

/* The traces, loaded, and what replaying them gave. */
typedef struct replay_runs {
    mr_trace_t *tr;   /* ntr traces, parsed or generated */
    mr_result_t *res; /* res[i * npol + j]: trace i under design j */
} replay_runs_t;

static int add_policy(const char **pol, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(pol[i], name) == 0)
            return 0;
    if (*n == MAX_POLICIES)
        return -1;
    pol[(*n)++] = name;
    return 0;
}

static int parse_policies(char *list, const char **pol, int *n)
{
    for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
        size_t i;
        if (strcmp(s, "all") == 0) {
            for (i = 0; i < ma_ndesigns(); i++)
                add_policy(pol, n, ma_design_name(i));
            continue;
        }
        if (strcmp(s, "libc") != 0 && strcmp(s, "offline") != 0 && strcmp(s, "bound") != 0) {
            for (i = 0; i < ma_ndesigns() && strcmp(s, ma_design_name(i)) != 0; i++)
                ;
            if (i == ma_ndesigns())
                return cli_usage("malloc", "unknown policy '%s' (expected all, libc, offline, "
                                 "bound or a design from 'vmlab malloc replay --list')", s);
        }
        add_policy(pol, n, s);
    }
    if (*n == 0)
        return cli_usage("malloc", "--policy is empty (expected a design name, all or libc)");
    return 0;
}

/* o->pol from -p, or segfit without it: 0 or a CLI_* status. */
static int set_policies(replay_cli_t *o)
{
    if (!o->policy_arg) {
        o->pol[o->npol++] = "segfit";
        return 0;
    }
    o->policy_copy = strdup(o->policy_arg);
    return o->policy_copy ? parse_policies(o->policy_copy, o->pol, &o->npol) : CLI_ERR;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* --list: the designs and libc, one a line. */
static void list_designs(void)
{
    for (size_t i = 0; i < ma_ndesigns(); i++)
        printf("%-16s %s\n", ma_design_name(i), ma_design_summary(i));
    printf("%-16s %s\n", "libc", "the C library's malloc, for comparison");
}

/* One option into *o: 0, a CLI_* status, or CLI_SERVED. */
static int parse_opt(replay_cli_t *o, int c, const char *arg)
{
    uint64_t v;
    char *end;
    switch (c) {
    case 'p': o->policy_arg = arg; return 0;
    case O_NO_PROGRESS: o->progress = 0; return 0;
    case 'a':
        if (strcmp(arg, "8") != 0 && strcmp(arg, "16") != 0)
            return cli_usage("malloc", "--align %s (expected 8 or 16)", arg);
        o->mo.align = (size_t)atoi(arg);
        return 0;
    case O_OUTPUT: return cli_output("malloc", arg, OUT_ACCEPT_ALL, &o->output) ? CLI_USAGE : 0;
    case 't':
        errno = 0;
        o->mo.min_seconds = strtod(arg, &end);
        if (errno || *end || end == arg || o->mo.min_seconds < 0 || o->mo.min_seconds > 60)
            return cli_usage("malloc", "--time '%s' (expected seconds, 0..60)", arg);
        return 0;
    case 's':
        if (cli_u64("malloc", "--samples", arg, 1, 15, &v))
            return CLI_USAGE;
        o->mo.samples = (int)v;
        return 0;
    case O_DEFER_COALESCE: o->mo.flags |= MA_DEFER_COALESCE; return 0;
    case O_LOW_PLACEMENT: o->mo.flags |= MA_NO_PLACE_SPLIT; return 0;
    case O_CANARY: o->mo.flags |= MA_CANARY; return 0;
    case O_FRAG: o->frag = 1; return 0;
    case O_EVERY:
        return cli_u64("malloc", "--every", arg, 1, UINT64_MAX, &o->every) ? CLI_USAGE : 0;
    case 'g':
        if (cli_u64("malloc", "--grow", arg, 16, (uint64_t)1 << 30, &v))
            return CLI_USAGE;
        o->mo.grow_min = (size_t)v;
        return 0;
    case 'l': list_designs(); return CLI_SERVED;
    case 'h': fputs(malloc_help, stdout); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

/* The whole command line into *o: 0, a CLI_* status, or CLI_SERVED. */
static int parse(replay_cli_t *o, int argc, char **argv)
{
    int c, rc;
    memset(o, 0, sizeof *o);
    o->mo = (mr_opts_t){.align = 8, .min_seconds = 0.05, .samples = 3};
    o->output = OUT_TEXT;
    o->progress = 1;
    optind = 1;
    while ((c = cli_getopt("malloc", argc, argv, "p:a:t:s:g:lh", replay_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)) != 0)
            return rc;
    if (optind >= argc)
        return cli_usage("malloc", "replay needs at least one TRACE file");
    if (o->output == OUT_CSV && !o->frag)
        return cli_usage("malloc", "--output csv needs --frag (expected text or json)");
    if (o->every && !o->frag)
        return cli_usage("malloc", "--every needs --frag");
    o->traces = argv + optind;
    o->ntr = argc - optind;
    if ((rc = set_policies(o)) != 0)
        return rc;
    for (int k = 0; o->frag && k < o->npol; k++)
        if (strcmp(o->pol[k], "libc") == 0 || strcmp(o->pol[k], "offline") == 0 ||
            strcmp(o->pol[k], "bound") == 0)
            return cli_usage("malloc", "--frag: %s's heap cannot be walked (expected vmlab designs)",
                             o->pol[k]);
    return 0;
}

/* Read and parse (or generate) every trace before anything runs, so a
 * malformed line gives one error and no table: 0 or CLI_ERR. */
static int load_traces(const replay_cli_t *o, replay_runs_t *r)
{
    diag_t d;
    r->tr = calloc((size_t)o->ntr, sizeof *r->tr);
    r->res = calloc((size_t)o->ntr * (size_t)o->npol, sizeof *r->res);
    if (!r->tr || !r->res) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    for (int i = 0; i < o->ntr; i++) {
        diag_clear(&d);
        if (cli_malloc_load_trace(o->traces[i], &r->tr[i], &d) != 0) {
            if (d.err)
                cli_diag(&d);
            return CLI_ERR;
        }
    }
    return 0;
}

/* --frag: one row per sample, in the format asked for. */
typedef struct frag_out {
    out_format_t fmt;   /* OUT_TEXT, OUT_JSON or OUT_CSV */
    out_json_t j;       /* the JSON writer (OUT_JSON) */
    const char *trace;  /* the trace's name */
    const char *policy; /* the design */
} frag_out_t;

static int frag_row(void *ctx, const mr_sample_t *s, const mr_span_t *spans, size_t nspans)
{
    frag_out_t *f = ctx;
    double ext = mr_frag_external(s), in = mr_frag_internal(s);
    (void)spans, (void)nspans;
    switch (f->fmt) {
    case OUT_JSON:
        out_json_obj(&f->j, NULL);
        out_json_str(&f->j, "trace", f->trace);
        out_json_str(&f->j, "policy", f->policy);
        out_json_u64(&f->j, "op", s->op);
        out_json_u64(&f->j, "heap_bytes", s->heap_bytes);
        out_json_u64(&f->j, "free_bytes", s->free_bytes);
        out_json_u64(&f->j, "largest_free", s->largest_free);
        out_json_u64(&f->j, "free_blocks", s->free_blocks);
        out_json_fixed(&f->j, "external", ext, 6);
        out_json_u64(&f->j, "payload", s->payload);
        out_json_u64(&f->j, "alloc_bytes", s->alloc_bytes);
        out_json_u64(&f->j, "live_blocks", s->live_blocks);
        out_json_fixed(&f->j, "internal", in, 6);
        out_json_end(&f->j);
        break;
    case OUT_CSV:
        out_csv_field(stdout, f->trace);
        putchar(',');
        out_csv_field(stdout, f->policy);
        printf(",%zu,%zu,%zu,%zu,%zu,%.6f,%zu,%zu,%zu,%.6f\n", s->op, s->heap_bytes,
               s->free_bytes, s->largest_free, s->free_blocks, ext, s->payload, s->alloc_bytes,
               s->live_blocks, in);
        break;
    default:
        printf("%-20s %-15s %8zu %10zu %10zu %10zu %6.1f%% %10zu %10zu %7.1f%%\n", f->trace,
               f->policy, s->op, s->heap_bytes, s->free_bytes, s->largest_free, 100 * ext,
               s->payload, s->alloc_bytes, 100 * in);
    }
    return ferror(stdout) ? -EIO : 0;
}

/* --frag: the header line (text, csv) or the opening of the array (json). */
static void frag_begin(frag_out_t *f)
{
    if (f->fmt == OUT_JSON) {
        out_json_init(&f->j, stdout, OUT_JSON_LINES);
        out_json_arr(&f->j, NULL);
    } else if (f->fmt == OUT_CSV) {
        printf("trace,policy,op,heap_bytes,free_bytes,largest_free,free_blocks,external,"
               "payload,alloc_bytes,live_blocks,internal\n");
    } else {
        printf("%-20s %-15s %8s %10s %10s %10s %7s %10s %10s %8s\n", "trace", "policy", "op",
               "heap", "free", "largest", "ext", "payload", "alloc", "int");
    }
}

/* --frag for every trace and design, untimed: stops at the first error
 * (parse() has refused the references and libc, whose heaps cannot be
 * walked, before any output). */
static int frag_all(const replay_cli_t *o, const replay_runs_t *r)
{
    frag_out_t f = {.fmt = o->output};
    mr_opts_t mo = o->mo;
    int rc = CLI_OK;
    mo.min_seconds = 0;
    mo.samples = 1;
    frag_begin(&f);
    for (int i = 0; i < o->ntr && rc == CLI_OK; i++)
        for (int k = 0; k < o->npol && rc == CLI_OK; k++) {
            const char *pol = o->pol[k];
            size_t ev = o->every ? (size_t)o->every : (r->tr[i].nops + 199) / 200;
            int e;
            f.trace = base_name(o->traces[i]);
            f.policy = pol;
            e = mr_sample_run(&r->tr[i], pol, &mo, ev, 0, frag_row, &f);
            if (e) {
                cli_error("%s: %s: %s", o->traces[i], pol,
                          e == -EIO && !ferror(stdout) ? "out of memory in the arena"
                                                       : strerror(-e));
                rc = CLI_ERR;
            }
        }
    if (f.fmt == OUT_JSON) {
        out_json_end(&f.j);
        out_json_done(&f.j);
    }
    fflush(stdout);
    return rc;
}

/* Replay every trace under every design, timed, into r->res: 0, or CLI_ERR
 * at the first run that fails.  Each (trace, design) replay is timed several
 * times: the progress line names the one running and counts those done. */
static int run_all(const replay_cli_t *o, replay_runs_t *r)
{
    progress_t pg;
    char unit[48], name[4096];
    size_t nruns = (size_t)o->ntr * (size_t)o->npol;
    snprintf(unit, sizeof unit, "of %zu replays done", nruns);
    progress_start(&pg, NULL, stderr, o->progress, "malloc replay", NULL, unit);
    for (int i = 0; i < o->ntr; i++)
        for (int j = 0; j < o->npol; j++) {
            size_t k = (size_t)i * (size_t)o->npol + (size_t)j;
            snprintf(name, sizeof name, "%s: %s", base_name(o->traces[i]), o->pol[j]);
            progress_set_name(&pg, name);
            progress_update(&pg, k, nruns, k);
            int e = mr_run(&r->tr[i], o->pol[j], &o->mo, &r->res[k]);
            if (e) {
                progress_end(&pg);
                cli_error("%s: %s: %s", o->traces[i], o->pol[j], strerror(-e));
                return CLI_ERR;
            }
        }
    progress_end(&pg);
    return 0;
}

/* --output json: [{trace, policy, valid, util, ops_per_sec}, ...]. */
static void print_json(const replay_cli_t *o, const replay_runs_t *r)
{
    out_json_t j;
    out_json_init(&j, stdout, OUT_JSON_LINES);
    out_json_arr(&j, NULL);
    for (int i = 0; i < o->ntr; i++)
        for (int k = 0; k < o->npol; k++) {
            const mr_result_t *x = &r->res[i * o->npol + k];
            out_json_obj(&j, NULL);
            out_json_str(&j, "trace", base_name(o->traces[i]));
            out_json_str(&j, "policy", o->pol[k]);
            out_json_bool(&j, "valid", x->valid);
            out_json_fixed(&j, "util", x->util, 6);
            out_json_fixed(&j, "ops_per_sec", x->ops_per_sec, 0);
            out_json_end(&j);
        }
    out_json_end(&j);
    out_json_done(&j);
}

/* One row of the text table: trace i under design j. */
static void print_row(const replay_cli_t *o, const replay_runs_t *r, int i, int j)
{
    const mr_result_t *x = &r->res[i * o->npol + j];
    printf("%-20s %-15s %-5s ", base_name(o->traces[i]), o->pol[j], x->valid ? "yes" : "no");
    if (x->heap_bytes)
        printf("%6.1f%% %10zu", 100 * x->util, x->heap_bytes);
    else
        printf("%7s %10s", "n/a", "n/a");
    printf(" %10zu ", r->tr[i].peak_payload);
    if (x->ops_per_sec > 0)
        printf("%9.2f", x->ops_per_sec / 1e6);
    else
        printf("%9s", "-");
    if (x->peak_rss_kb)
        printf("  (peak RSS %ld KiB)", x->peak_rss_kb);
    printf("\n");
}

/* The text table: for each design, a row per trace and, for several traces,
 * their average (utilization summed over the valid runs, over all traces). */
static void print_text(const replay_cli_t *o, const replay_runs_t *r)
{
    printf("%-20s %-15s %-5s %7s %10s %10s %9s\n", "trace", "policy", "valid", "util", "heap",
           "peak", "Mops/s");
    for (int j = 0; j < o->npol; j++) {
        double su = 0, sops = 0;
        int nvalid = 0;
        for (int i = 0; i < o->ntr; i++) {
            const mr_result_t *x = &r->res[i * o->npol + j];
            print_row(o, r, i, j);
            if (x->valid) {
                su += x->util;
                nvalid++;
            }
            sops += x->ops_per_sec;
        }
        if (o->ntr > 1) {
            printf("%-20s %-15s %2d/%-2d %6.1f%% %10s %10s ", "average", o->pol[j], nvalid,
                   o->ntr, 100 * su / o->ntr, "", "");
            if (sops > 0)
                printf("%9.2f\n", sops / o->ntr / 1e6);
            else
                printf("%9s\n", "-");
        }
    }
}

/* The results on stdout, then one error line per invalid run: CLI_OK, or
 * CLI_ERR if any run was invalid. */
static int print(const replay_cli_t *o, const replay_runs_t *r)
{
    int rc = CLI_OK;
    if (o->output == OUT_JSON)
        print_json(o, r);
    else
        print_text(o, r);
    fflush(stdout);
    for (int i = 0; i < o->ntr; i++)
        for (int j = 0; j < o->npol; j++)
            if (!r->res[i * o->npol + j].valid) {
                cli_error("%s: %s: %s", o->traces[i], o->pol[j], r->res[i * o->npol + j].why);
                rc = CLI_ERR;
            }
    return rc;
}

static void replay_free(replay_cli_t *o, replay_runs_t *r)
{
    if (r->tr)
        for (int i = 0; i < o->ntr; i++)
            mr_trace_free(&r->tr[i]);
    free(r->tr);
    free(r->res);
    free(o->policy_copy);
}

static int cmd_malloc_replay(int argc, char **argv)
{
    replay_cli_t o;
    replay_runs_t r = {0};
    int rc = parse(&o, argc, argv);
    if (rc == 0 && (rc = load_traces(&o, &r)) == 0) {
        if (o.frag)
            rc = frag_all(&o, &r);
        else if ((rc = run_all(&o, &r)) == 0)
            rc = print(&o, &r);
    }
    replay_free(&o, &r);
    return rc == CLI_SERVED ? CLI_OK : rc;
}

int cmd_malloc(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("malloc", "expected a subcommand: replay, gen, record or freelist");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(malloc_help, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "replay") == 0)
        return cmd_malloc_replay(argc - 1, argv + 1);
    if (strcmp(argv[1], "freelist") == 0)
        return cmd_malloc_freelist(argc - 1, argv + 1);
    if (strcmp(argv[1], "record") == 0)
        return cmd_malloc_record(argc - 1, argv + 1);
    if (strcmp(argv[1], "gen") == 0)
        return cmd_malloc_gen(argc - 1, argv + 1);
    return cli_usage("malloc", "unknown subcommand '%s' (expected replay, gen, record or "
                     "freelist)", argv[1]);
}
