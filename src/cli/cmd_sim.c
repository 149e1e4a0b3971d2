/* SPDX-License-Identifier: MIT */
/*
 * cmd_sim.c - `vmlab sim`: the paging simulator over memory traces.
 *
 * parse() turns the options into one sim_cli_t (a sim_config_t and a list of
 * jobs: every policy times every frame count); run() checks them all before
 * opening a trace, then runs every TRACE (one read each, all jobs together)
 * through sim_run_trace(); the results are printed only when every run has
 * succeeded, so an error never leaves partial output.  Modelling defaults
 * (the page-table levels when none are given) live in the library.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/progress.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/parse.h"
#include "vmlab/sim.h"
#include "vmlab/trace.h"

static const char sim_help[] =
    "usage: vmlab sim -p POLICY[,POLICY...] -n FRAMES[,FRAMES...] [options] TRACE...\n"
    "\n"
    "Simulate demand paging over memory reference traces: replacement policies,\n"
    "dirty pages, several processes, page tables and a TLB.  Every policy runs with\n"
    "every frame count over one read of each TRACE ('-': stdin), on all cores.\n"
    "\n"
    "  -p, --policy LIST     policies, each NAME or NAME:key=value,...  (e.g.\n"
    "                        -p lru,fifo,opt  or  -p clock:load-r=0,random:seed=7)\n"
    "  -n, --frames LIST     physical frames, e.g. 64,128,256\n"
    "      --page-size BYTES a power of two (default 4096)\n"
    "  -F, --format FORMAT   @FORMATS@ (default: detect)\n"
    "  -P, --multi-pid       text lines start with a decimal pid column (--pid: its\n"
    "                        old name)\n"
    "      --skip-bad        count malformed lines instead of failing\n"
    "      --scope SCOPE     global (default): one policy over all processes' pages;\n"
    "                        local: each process replaces its own pages\n"
    "      --split SPLIT     local scope: equal (default) or proportional to the\n"
    "                        distinct pages each process touches\n"
    "      --tlb ENTRIES     model a TLB of ENTRIES entries (default: no TLB)\n"
    "      --tlb-ways N      its associativity (default: fully associative)\n"
    "      --tlb-policy P    lru (default), fifo or random\n"
    "      --tlb-flush       flush on every context switch (default: ASID-tagged)\n"
    "      --page-table KIND linear, multi or inverted (default: none)\n"
    "      --levels L        multi-level: bits per level root first (10,10) or a\n"
    "                        preset: i386, x86-64, sv39 (implies --page-table multi)\n"
    "      --va-bits N       virtual address width (default: levels + offset; 32)\n"
    "      --pte-bytes N     bytes per page-table entry (default 8; i386 4)\n"
    "      --mem-ns T        latency of a memory access   } any of these gives the\n"
    "      --tlb-ns T        latency of a TLB lookup      } effective access time\n"
    "      --fault-ns T      latency of a page fault      } (eat_ns)\n"
    "      --write-ns T      latency of a dirty write-back}\n"
    "      --output FORMAT   text (default), json or csv\n"
    "  -o, --out FILE        write to FILE (atomically) instead of stdout\n"
    "  -j, --threads N       worker threads (default: one per CPU)\n"
    "      --no-progress     no progress bar (shown on a terminal for long runs)\n"
    "      --list            list the policies and their parameters\n"
    "  -h, --help            this help\n"
    "\n"
    "examples:\n"
    "  vmlab sim -p lru,fifo,opt -n 64,128,256 ../shared/data/traces/bzip.trace.gz\n"
    "  vmlab sim -p clock -n 32 --tlb 64 --levels x86-64 --output json ls.trace.gz\n";

enum { MAX_JOBS = 4096, MAX_LIST = 256 };

/* Long options without a short form: named, never bare numbers. */
enum {
    O_PAGE_SIZE = CLI_OPT_BASE, O_PID, O_SKIP_BAD, O_SCOPE, O_SPLIT, O_TLB, O_TLB_WAYS,
    O_TLB_POLICY, O_TLB_FLUSH, O_PAGE_TABLE, O_LEVELS, O_VA_BITS, O_PTE_BYTES, O_MEM_NS,
    O_TLB_NS, O_FAULT_NS, O_WRITE_NS, O_OUTPUT, O_NO_PROGRESS, O_LIST,
};

static const struct option sim_opts[] = {
    {"policy", required_argument, 0, 'p'},
    {"frames", required_argument, 0, 'n'},
    {"format", required_argument, 0, 'F'},
    {"out", required_argument, 0, 'o'},
    {"threads", required_argument, 0, 'j'},
    {"help", no_argument, 0, 'h'},
    {"page-size", required_argument, 0, O_PAGE_SIZE},
    {"multi-pid", no_argument, 0, 'P'},
    {"pid", no_argument, 0, O_PID}, /* the old name of --multi-pid */
    {"skip-bad", no_argument, 0, O_SKIP_BAD},
    {"scope", required_argument, 0, O_SCOPE},
    {"split", required_argument, 0, O_SPLIT},
    {"tlb", required_argument, 0, O_TLB},
    {"tlb-ways", required_argument, 0, O_TLB_WAYS},
    {"tlb-policy", required_argument, 0, O_TLB_POLICY},
    {"tlb-flush", no_argument, 0, O_TLB_FLUSH},
    {"page-table", required_argument, 0, O_PAGE_TABLE},
    {"levels", required_argument, 0, O_LEVELS},
    {"va-bits", required_argument, 0, O_VA_BITS},
    {"pte-bytes", required_argument, 0, O_PTE_BYTES},
    {"mem-ns", required_argument, 0, O_MEM_NS},
    {"tlb-ns", required_argument, 0, O_TLB_NS},
    {"fault-ns", required_argument, 0, O_FAULT_NS},
    {"write-ns", required_argument, 0, O_WRITE_NS},
    {"output", required_argument, 0, O_OUTPUT},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {"list", no_argument, 0, O_LIST},
    {0, 0, 0, 0},
};

/* Keyword values, index = the enum value they select. */
static const char *const scope_names[] = {"global", "local"};
static const char *const split_names[] = {"equal", "proportional"};
static const char *const tlb_policy_names[] = {"lru", "fifo", "random"};
static const char *const pt_names[] = {"linear", "multi", "inverted"}; /* SIM_PT_LINEAR.. */

/* Everything the command line says, parsed. */
typedef struct sim_cli {
    sim_config_t cfg;          /* the model */
    trace_opts_t topts;        /* how to read the traces */
    char *policies[MAX_LIST];  /* policy specs, malloc'd */
    size_t npolicies;          /* used entries of policies */
    uint64_t frames[MAX_LIST]; /* frame counts */
    size_t nframes;            /* used entries of frames */
    out_format_t output;       /* --output */
    const char *out_path;      /* -o FILE, NULL: stdout */
    int progress;              /* progress bar on a terminal */
    int levels_given;          /* --levels seen (implies multi) */
    int page_size_given;       /* --page-size seen */
    unsigned preset_page_bits; /* --levels PRESET: its page size, 0 if none */
    unsigned va_bits;          /* --va-bits, 0 if not given */
    unsigned pte_bytes;        /* --pte-bytes, 0 if not given */
    char **traces;             /* the TRACE operands */
    size_t ntraces;            /* how many */
} sim_cli_t;

/* Split "lru,clock:load-r=0,bits=3,fifo" into specs: a token with '=' is a
 * parameter of the policy before it, any other token starts a policy. */
static int add_policies(sim_cli_t *o, const char *arg)
{
    char *copy = strdup(arg), *save = NULL, *tok;
    int rc = 0;
    if (!copy)
        return cli_diag(&(diag_t){.msg = "out of memory"});
    for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        if (strchr(tok, '=') && !strchr(tok, ':')) {
            char *joined;
            if (o->npolicies == 0 || !strchr(o->policies[o->npolicies - 1], ':'))
                rc = cli_usage("sim", "parameter '%s' does not follow a policy (expected "
                                      "NAME:key=value,key=value)",
                               tok);
            else if (asprintf(&joined, "%s,%s", o->policies[o->npolicies - 1], tok) < 0)
                rc = cli_diag(&(diag_t){.msg = "out of memory"});
            else {
                free(o->policies[o->npolicies - 1]);
                o->policies[o->npolicies - 1] = joined;
            }
        } else if (o->npolicies == MAX_LIST) {
            rc = cli_usage("sim", "too many policies (expected at most %d)", MAX_LIST);
        } else if (!(o->policies[o->npolicies] = strdup(tok))) {
            rc = cli_diag(&(diag_t){.msg = "out of memory"});
        } else {
            o->npolicies++;
        }
    }
    free(copy);
    return rc;
}

static int add_frames(sim_cli_t *o, const char *arg)
{
    char *copy = strdup(arg), *save = NULL, *tok;
    uint64_t v;
    int rc = 0;
    if (!copy)
        return cli_diag(&(diag_t){.msg = "out of memory"});
    for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        if (o->nframes == MAX_LIST)
            rc = cli_usage("sim", "too many frame counts (expected at most %d)", MAX_LIST);
        else if (parse_size(tok, &v) || v == 0 || v > UINT32_MAX - 1)
            rc = cli_usage("sim", "frames '%s' is not valid (expected 1..%u)", tok,
                           UINT32_MAX - 1);
        else
            o->frames[o->nframes++] = v;
    }
    free(copy);
    if (!rc && o->nframes == 0)
        rc = cli_usage("sim", "no frame count in '%s' (expected e.g. 64,128)", arg);
    return rc;
}

static int parse_levels(sim_cli_t *o, const char *arg)
{
    sim_pt_config_t *pt = &o->cfg.pt;
    sim_pt_kind_t keep = pt->kind;
    unsigned pb;
    if (keep != SIM_PT_NONE && keep != SIM_PT_MULTI)
        return cli_usage("sim", "--levels is for --page-table multi");
    o->levels_given = 1;
    o->preset_page_bits = 0;
    if (sim_pt_preset(arg, pt, &pb) == 0) {
        o->preset_page_bits = pb; /* unless --page-size says otherwise */
        return 0;
    }
    char *copy = strdup(arg), *save = NULL, *tok;
    uint64_t v;
    if (!copy)
        return cli_diag(&(diag_t){.msg = "out of memory"});
    pt->kind = SIM_PT_MULTI;
    pt->nlevels = 0;
    pt->va_bits = 0;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (pt->nlevels == SIM_MAX_LEVELS || parse_u64_dec(tok, strlen(tok), &v) || v < 1 ||
            v > 32) {
            free(copy);
            return cli_usage("sim",
                             "--levels '%s' is not valid (expected up to %d comma-separated bit "
                             "counts 1..32, or i386, x86-64, sv39)",
                             arg, SIM_MAX_LEVELS);
        }
        pt->levels[pt->nlevels++] = (unsigned)v;
    }
    free(copy);
    if (pt->nlevels == 0)
        return cli_usage("sim", "--levels '%s' is empty (expected e.g. 10,10)", arg);
    return 0;
}

static int parse_ns(const char *opt, const char *arg, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= 0) || v > 1e12)
        return cli_usage("sim", "%s '%s' is not a latency (expected nanoseconds >= 0)", opt, arg);
    *out = v;
    return 0;
}

/* A number option into *dst (an unsigned of some width). */
#define NUM_OPT(name, lo, hi, dst)                                                                 \
    do {                                                                                           \
        if (cli_u64("sim", name, arg, lo, hi, &v))                                                 \
            return CLI_USAGE;                                                                      \
        (dst) = (__typeof__(dst))v;                                                                \
    } while (0)

/* A keyword option into *dst: the index of the name plus `base`. */
#define CHOICE_OPT(name, names, base, dst)                                                         \
    do {                                                                                           \
        int k_ = cli_choice("sim", name, arg, names, sizeof names / sizeof names[0]);              \
        if (k_ < 0)                                                                                \
            return CLI_USAGE;                                                                      \
        (dst) = (__typeof__(dst))(k_ + (base));                                                    \
    } while (0)

static void list_policies(void)
{
    for (size_t i = 0; sim_policy_name(i); i++) {
        printf("%-10s %s\n", sim_policy_name(i), sim_policy_summary(i));
        if (*sim_policy_params(i))
            printf("%-10s parameters: %s\n", "", sim_policy_params(i));
    }
}

/* One option: 0, a CLI_* status, or CLI_SERVED. */
static int parse_opt(sim_cli_t *o, int c, const char *arg)
{
    uint64_t v;
    int fmt;
    switch (c) {
    case 'p': return add_policies(o, arg);
    case 'n': return add_frames(o, arg);
    case 'F':
        if ((fmt = trace_format_parse(arg)) < 0)
            return cli_usage("sim", "unknown format '%s' (expected %s)", arg, trace_format_names());
        o->topts.format = (trace_format_t)fmt;
        return 0;
    case 'o': o->out_path = arg; return 0;
    case 'j': NUM_OPT("--threads", 1, 1024, o->cfg.threads); return 0;
    case 'h': cli_help(sim_help); return CLI_SERVED;
    case O_PAGE_SIZE:
        if (cli_u64("sim", "--page-size", arg, 1, 1ull << 40, &v))
            return CLI_USAGE;
        if (v & (v - 1))
            return cli_usage("sim", "page size %s is not a power of two (expected e.g. 4096)", arg);
        o->cfg.page_bits = (unsigned)__builtin_ctzll(v);
        o->page_size_given = 1;
        return 0;
    case 'P':
    case O_PID: o->topts.multi_pid = 1; return 0;
    case O_SKIP_BAD: o->topts.skip_bad = 1; return 0;
    case O_SCOPE: CHOICE_OPT("--scope", scope_names, SIM_SCOPE_GLOBAL, o->cfg.scope); return 0;
    case O_SPLIT: CHOICE_OPT("--split", split_names, SIM_SPLIT_EQUAL, o->cfg.split); return 0;
    case O_TLB: NUM_OPT("--tlb", 1, 1u << 20, o->cfg.tlb.entries); return 0;
    case O_TLB_WAYS: NUM_OPT("--tlb-ways", 1, 1u << 20, o->cfg.tlb.ways); return 0;
    case O_TLB_POLICY:
        CHOICE_OPT("--tlb-policy", tlb_policy_names, SIM_TLB_LRU, o->cfg.tlb.policy);
        return 0;
    case O_TLB_FLUSH: o->cfg.tlb.asid = 0; return 0;
    case O_PAGE_TABLE: CHOICE_OPT("--page-table", pt_names, SIM_PT_LINEAR, o->cfg.pt.kind); return 0;
    case O_LEVELS: return parse_levels(o, arg);
    case O_VA_BITS: NUM_OPT("--va-bits", 2, 64, o->va_bits); return 0;
    case O_PTE_BYTES: NUM_OPT("--pte-bytes", 1, 64, o->pte_bytes); return 0;
    case O_MEM_NS: return parse_ns("--mem-ns", arg, &o->cfg.lat.mem_ns);
    case O_TLB_NS: return parse_ns("--tlb-ns", arg, &o->cfg.lat.tlb_ns);
    case O_FAULT_NS: return parse_ns("--fault-ns", arg, &o->cfg.lat.fault_ns);
    case O_WRITE_NS: return parse_ns("--write-ns", arg, &o->cfg.lat.write_ns);
    case O_OUTPUT: return cli_output("sim", arg, OUT_ACCEPT_ALL, &o->output) ? CLI_USAGE : 0;
    case O_NO_PROGRESS: o->progress = 0; return 0;
    case O_LIST: list_policies(); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

/* The whole command line into *o: 0, a CLI_* status, or CLI_SERVED. */
static int parse(sim_cli_t *o, int argc, char **argv)
{
    int c, rc;
    memset(o, 0, sizeof *o);
    o->cfg = sim_config_default();
    o->progress = 1;
    optind = 1;
    while ((c = cli_getopt("sim", argc, argv, "p:n:F:Po:j:h", sim_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)))
            return rc;
    if (o->preset_page_bits && !o->page_size_given)
        o->cfg.page_bits = o->preset_page_bits;
    if (o->va_bits)
        o->cfg.pt.va_bits = o->va_bits;
    if (o->pte_bytes)
        o->cfg.pt.pte_bytes = o->pte_bytes;
    if ((o->va_bits || o->pte_bytes) && o->cfg.pt.kind == SIM_PT_NONE)
        return cli_usage("sim", "--va-bits and --pte-bytes need a page table (expected "
                                "--page-table or --levels)");
    o->topts.page_bits = o->cfg.page_bits;
    o->topts.pid_opt = "-P";
    if (o->npolicies == 0)
        return cli_usage("sim", "no policy given (expected -p POLICY; 'vmlab sim --list' lists them)");
    if (o->nframes == 0)
        return cli_usage("sim", "no frame count given (expected -n FRAMES)");
    if (optind >= argc)
        return cli_usage("sim", "no trace given (expected TRACE... or '-' for stdin)");
    if (o->npolicies * o->nframes > MAX_JOBS)
        return cli_usage("sim", "%zu policy and frame combinations (expected at most %d)",
                         o->npolicies * o->nframes, MAX_JOBS);
    o->traces = argv + optind;
    o->ntraces = (size_t)(argc - optind);
    return 0;
}

/* ---- progress line ----------------------------------------------------- */

/* sim_progress_fn onto the shared line: references simulated of the total,
 * or, when the trace streams (total unknown), references read so far. */
static void sim_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    progress_t *p = ctx;
    progress_set_unit(p, total ? "references simulated" : "references read");
    progress_update(p, done, total, done);
}

/* ---- running ------------------------------------------------------------ */

typedef struct run_out {
    const char *path;     /* the trace */
    const char *format;   /* its format's name */
    uint64_t bad_lines;   /* skipped malformed lines */
    sim_result_t *res;    /* njobs results, NULL until filled */
} run_out_t;

typedef struct sim_runs {
    sim_job_t *jobs; /* every policy times every frame count */
    size_t njobs;    /* o->npolicies * o->nframes */
    run_out_t *runs; /* one per trace */
    size_t nruns;    /* o->ntraces */
} sim_runs_t;

static void runs_free(sim_runs_t *s)
{
    for (size_t r = 0; s->runs && r < s->nruns; r++)
        if (s->runs[r].res) {
            for (size_t j = 0; j < s->njobs; j++)
                sim_result_free(&s->runs[r].res[j]);
            free(s->runs[r].res);
        }
    free(s->runs);
    free(s->jobs);
}

/* One trace: open, simulate every job, close.  0 or a CLI_* status. */
static int run_one(sim_cli_t *o, sim_runs_t *s, run_out_t *ro)
{
    trace_t *t = NULL;
    diag_t d;
    diag_clear(&d);
    if (!(ro->res = calloc(s->njobs, sizeof *ro->res)))
        return cli_diag(&(diag_t){.msg = "out of memory"});
    if (trace_open(&t, ro->path, &o->topts, &d))
        return cli_diag(&d);
    progress_t pg;
    progress_start(&pg, NULL, stderr, o->progress, "sim", ro->path, "references read");
    if (progress_on(&pg)) {
        o->cfg.progress = sim_progress_cb;
        o->cfg.progress_ctx = &pg;
    }
    int e = sim_run_trace(&o->cfg, s->jobs, s->njobs, t, ro->res, &d);
    progress_end(&pg);
    o->cfg.progress = NULL;
    ro->format = trace_format_name(trace_format(t));
    ro->bad_lines = trace_bad_lines(t);
    trace_close(t);
    if (e) {
        /* Results of a failed run are not filled: nothing to free. */
        free(ro->res);
        ro->res = NULL;
        return cli_diag(&d);
    }
    return 0;
}

/* Check every job, then run every trace: 0 or a CLI_* status. */
static int run(sim_cli_t *o, sim_runs_t *s)
{
    diag_t d;
    int rc;
    diag_clear(&d);
    s->njobs = o->npolicies * o->nframes;
    s->nruns = o->ntraces;
    s->jobs = calloc(s->njobs, sizeof *s->jobs);
    s->runs = calloc(s->nruns, sizeof *s->runs);
    if (!s->jobs || !s->runs)
        return cli_diag(&(diag_t){.msg = "out of memory"});
    for (size_t i = 0; i < o->npolicies; i++)
        for (size_t k = 0; k < o->nframes; k++)
            s->jobs[i * o->nframes + k] = (sim_job_t){.policy = o->policies[i], .frames = o->frames[k]};
    /* Every configuration error before any trace is opened. */
    if ((rc = sim_config_check(&o->cfg, s->jobs, s->njobs, &d)))
        /* Out of memory is the machine's limit, not a usage error. */
        return rc == -ENOMEM ? cli_diag(&d) : cli_usage("sim", "%s", d.msg);
    for (size_t r = 0; r < s->nruns; r++) {
        s->runs[r].path = o->traces[r];
        if ((rc = run_one(o, s, &s->runs[r])))
            return rc;
    }
    return 0;
}

/* ---- output ------------------------------------------------------------ */

static double rate(const sim_stats_t *s)
{
    return s->references ? (double)s->page_faults / (double)s->references : 0.0;
}

static void json_stats(out_json_t *j, const sim_stats_t *s)
{
    out_json_u64(j, "references", s->references);
    out_json_u64(j, "writes", s->writes);
    out_json_u64(j, "page_faults", s->page_faults);
    out_json_fixed(j, "fault_rate", rate(s), 6);
    out_json_u64(j, "disk_writes", s->disk_writes);
    out_json_u64(j, "tlb_hits", s->tlb_hits);
    out_json_u64(j, "tlb_misses", s->tlb_misses);
    out_json_u64(j, "walk_accesses", s->walk_accesses);
    out_json_u64(j, "page_table_bytes", s->page_table_bytes);
    out_json_u64(j, "distinct_pages", s->distinct_pages);
    out_json_u64(j, "frames", s->frames);
}

/* An array of results, one object per (trace, policy, frames), always an
 * array (of one for one run), so a script reads every run the same way. */
static void print_json(FILE *f, const sim_cli_t *o, const sim_runs_t *s)
{
    out_json_t j;
    out_json_init(&j, f, OUT_JSON_LINES);
    out_json_arr(&j, NULL);
    for (size_t r = 0; r < s->nruns; r++)
        for (size_t k = 0; k < s->njobs; k++) {
            const sim_result_t *x = &s->runs[r].res[k];
            out_json_obj(&j, NULL);
            out_json_str(&j, "trace", s->runs[r].path);
            out_json_str(&j, "format", s->runs[r].format);
            out_json_str(&j, "policy", s->jobs[k].policy);
            out_json_u64(&j, "page_size", 1ull << o->cfg.page_bits);
            json_stats(&j, &x->total);
            if (x->eat_ns > 0)
                out_json_fixed(&j, "eat_ns", x->eat_ns, 3);
            if (o->topts.skip_bad)
                out_json_u64(&j, "bad_lines", s->runs[r].bad_lines);
            if (x->nprocs > 1) {
                out_json_arr(&j, "processes");
                for (uint32_t p = 0; p < x->nprocs; p++) {
                    out_json_obj(&j, NULL);
                    out_json_u64(&j, "pid", x->pid[p]);
                    json_stats(&j, &x->proc[p]);
                    out_json_end(&j);
                }
                out_json_end(&j);
            }
            out_json_end(&j);
        }
    out_json_end(&j);
    out_json_done(&j);
}

static void csv_row(FILE *f, const char *trace, const char *policy, const char *pid,
                    const sim_stats_t *s, double eat)
{
    out_csv_field(f, trace);
    fputc(',', f);
    out_csv_field(f, policy);
    fprintf(f, ",%s,%llu,%llu,%llu,%llu,%.6f,%llu,%llu,%llu,%llu,%llu,%llu,%.3f\n", pid,
            (unsigned long long)s->frames, (unsigned long long)s->references,
            (unsigned long long)s->writes, (unsigned long long)s->page_faults, rate(s),
            (unsigned long long)s->disk_writes, (unsigned long long)s->tlb_hits,
            (unsigned long long)s->tlb_misses, (unsigned long long)s->walk_accesses,
            (unsigned long long)s->page_table_bytes, (unsigned long long)s->distinct_pages, eat);
}

static void print_csv(FILE *f, const sim_runs_t *s)
{
    fputs("trace,policy,pid,frames,references,writes,page_faults,fault_rate,disk_writes,"
          "tlb_hits,tlb_misses,walk_accesses,page_table_bytes,distinct_pages,eat_ns\n",
          f);
    for (size_t r = 0; r < s->nruns; r++)
        for (size_t k = 0; k < s->njobs; k++) {
            const sim_result_t *x = &s->runs[r].res[k];
            csv_row(f, s->runs[r].path, s->jobs[k].policy, "", &x->total, x->eat_ns);
            for (uint32_t p = 0; x->nprocs > 1 && p < x->nprocs; p++) {
                char pid[16];
                snprintf(pid, sizeof pid, "%u", x->pid[p]);
                csv_row(f, s->runs[r].path, s->jobs[k].policy, pid, &x->proc[p], 0.0);
            }
        }
}

static void print_text_run(FILE *f, const sim_cli_t *o, const sim_runs_t *s, const run_out_t *ro)
{
    int tlb = o->cfg.tlb.entries > 0, pt = o->cfg.pt.kind != SIM_PT_NONE;
    const sim_result_t *x0 = &ro->res[0];
    fprintf(f, "%s: %s format, %llu references (%llu writes), %llu distinct pages of %llu bytes",
            ro->path, ro->format, (unsigned long long)x0->total.references,
            (unsigned long long)x0->total.writes, (unsigned long long)x0->total.distinct_pages,
            1ull << o->cfg.page_bits);
    if (x0->nprocs > 1)
        fprintf(f, ", %u processes (%s scope)", x0->nprocs, scope_names[o->cfg.scope]);
    if (o->topts.skip_bad)
        fprintf(f, ", %llu bad lines skipped", (unsigned long long)ro->bad_lines);
    fputs("\n", f);
    if (pt)
        fprintf(f, "page tables: %llu bytes\n", (unsigned long long)x0->total.page_table_bytes);
    fprintf(f, "%-24s %10s %12s %9s %12s", "policy", "frames", "faults", "rate", "disk_writes");
    if (tlb)
        fprintf(f, " %12s %12s", "tlb_hits", "tlb_misses");
    if (pt)
        fprintf(f, " %14s", "walk_accesses");
    if (x0->eat_ns > 0)
        fprintf(f, " %10s", "eat_ns");
    fputc('\n', f);
    for (size_t k = 0; k < s->njobs; k++) {
        const sim_result_t *x = &ro->res[k];
        const sim_stats_t *st = &x->total;
        fprintf(f, "%-24s %10llu %12llu %9.6f %12llu", s->jobs[k].policy,
                (unsigned long long)s->jobs[k].frames, (unsigned long long)st->page_faults,
                rate(st), (unsigned long long)st->disk_writes);
        if (tlb)
            fprintf(f, " %12llu %12llu", (unsigned long long)st->tlb_hits,
                    (unsigned long long)st->tlb_misses);
        if (pt)
            fprintf(f, " %14llu", (unsigned long long)st->walk_accesses);
        if (x->eat_ns > 0)
            fprintf(f, " %10.3f", x->eat_ns);
        fputc('\n', f);
        for (uint32_t p = 0; x->nprocs > 1 && p < x->nprocs; p++) {
            const sim_stats_t *ps = &x->proc[p];
            fprintf(f, "  pid %-18u %10llu %12llu %9.6f %12llu\n", x->pid[p],
                    (unsigned long long)ps->frames, (unsigned long long)ps->page_faults, rate(ps),
                    (unsigned long long)ps->disk_writes);
        }
    }
}

/* Write every result atomically to -o FILE or stdout. */
static int print(const sim_cli_t *o, const sim_runs_t *s)
{
    env_out_t out;
    diag_t d;
    diag_clear(&d);
    if (env_out_open(&out, o->out_path, &d))
        return cli_diag(&d);
    if (o->output == OUT_JSON)
        print_json(out.fp, o, s);
    else if (o->output == OUT_CSV)
        print_csv(out.fp, s);
    else
        for (size_t r = 0; r < s->nruns; r++) {
            if (r)
                fputc('\n', out.fp);
            print_text_run(out.fp, o, s, &s->runs[r]);
        }
    return env_out_commit(&out, &d) ? cli_diag(&d) : CLI_OK;
}

int cmd_sim(int argc, char **argv)
{
    sim_cli_t o;
    sim_runs_t s = {0};
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--steps") == 0) /* the per-reference log: cmd_sim_steps.c */
            return cmd_sim_steps(argc, argv);
    int rc = parse(&o, argc, argv);
    if (rc == 0 && (rc = run(&o, &s)) == 0)
        rc = print(&o, &s);
    runs_free(&s);
    for (size_t i = 0; i < o.npolicies; i++)
        free(o.policies[i]);
    return rc == CLI_SERVED ? CLI_OK : rc;
}
