/*
 * cmd_sim.c - `vmlab sim`: the paging simulator over memory traces.
 *
 * Parses the options into one sim_config_t and a list of jobs (every policy
 * times every frame count), checks them all before opening a trace, runs
 * every TRACE (one read each, all jobs together), and prints only when every
 * run has succeeded, so an error never leaves partial output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "  -F, --format FORMAT   osc, rw, ls, lackey, din, pages, vmlab (default: detect)\n"
    "      --pid             text lines start with a decimal pid column\n"
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

enum { MAX_JOBS = 4096 };

typedef struct opts {
    sim_config_t cfg;
    trace_opts_t topts;
    char *policies[256]; /* policy specs, malloc'd */
    size_t npolicies;
    uint64_t frames[256];
    size_t nframes;
    int output;
    const char *out_path;
    int progress;
    int levels_given; /* --levels seen (implies multi) */
    int page_size_given; /* --page-size seen */
    unsigned preset_page_bits; /* --levels PRESET: its page size, 0 if none */
} opts_t;

/* Split "lru,clock:load-r=0,bits=3,fifo" into specs: a token with '=' is a
 * parameter of the policy before it, any other token starts a policy. */
static int add_policies(opts_t *o, const char *arg)
{
    char *copy = strdup(arg), *save = NULL, *tok;
    if (!copy) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strchr(tok, '=') && !strchr(tok, ':')) {
            char *prev, *joined;
            if (o->npolicies == 0 || !strchr(o->policies[o->npolicies - 1], ':')) {
                free(copy);
                return cli_usage("sim", "parameter '%s' does not follow a policy (expected "
                                        "NAME:key=value,key=value)",
                                 tok);
            }
            prev = o->policies[o->npolicies - 1];
            if (asprintf(&joined, "%s,%s", prev, tok) < 0) {
                free(copy);
                cli_error("out of memory");
                return CLI_ERR;
            }
            free(prev);
            o->policies[o->npolicies - 1] = joined;
            continue;
        }
        if (o->npolicies == sizeof o->policies / sizeof o->policies[0]) {
            free(copy);
            return cli_usage("sim", "too many policies (expected at most 256)");
        }
        if (!(o->policies[o->npolicies] = strdup(tok))) {
            free(copy);
            cli_error("out of memory");
            return CLI_ERR;
        }
        o->npolicies++;
    }
    free(copy);
    return 0;
}

static int add_frames(opts_t *o, const char *arg)
{
    char *copy = strdup(arg), *save = NULL, *tok;
    uint64_t v;
    if (!copy) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (o->nframes == sizeof o->frames / sizeof o->frames[0]) {
            free(copy);
            return cli_usage("sim", "too many frame counts (expected at most 256)");
        }
        if (parse_size(tok, &v) || v == 0 || v > UINT32_MAX - 1) {
            cli_usage("sim", "frames '%s' is not valid (expected 1..%u)", tok, UINT32_MAX - 1);
            free(copy);
            return CLI_USAGE;
        }
        o->frames[o->nframes++] = v;
    }
    free(copy);
    if (o->nframes == 0)
        return cli_usage("sim", "no frame count in '%s' (expected e.g. 64,128)", arg);
    return 0;
}

static int parse_levels(opts_t *o, const char *arg)
{
    sim_pt_config_t *pt = &o->cfg.pt;
    unsigned pb;
    o->levels_given = 1;
    o->preset_page_bits = 0;
    if (sim_pt_preset(arg, pt, &pb) == 0) {
        o->preset_page_bits = pb; /* unless --page-size says otherwise */
        return 0;
    }
    char *copy = strdup(arg), *save = NULL, *tok;
    uint64_t v;
    pt->kind = SIM_PT_MULTI;
    pt->nlevels = 0;
    pt->va_bits = 0;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (pt->nlevels == SIM_MAX_LEVELS || parse_u64_dec(tok, strlen(tok), &v) || v < 1 ||
            v > 32) {
            cli_usage("sim",
                      "--levels '%s' is not valid (expected up to %d comma-separated bit counts "
                      "1..32, or i386, x86-64, sv39)",
                      arg, SIM_MAX_LEVELS);
            free(copy);
            return CLI_USAGE;
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

/* ---- progress bar ---------------------------------------------------- */

static void progress_bar(void *ctx, uint64_t done, uint64_t total)
{
    const char *name = ctx;
    if (total)
        fprintf(stderr, "\rvmlab sim: %s: %3.0f%% (%llu M references simulated)", name,
                100.0 * (double)done / (double)total, (unsigned long long)(done >> 20));
    else
        fprintf(stderr, "\rvmlab sim: %s: %llu M references read", name,
                (unsigned long long)(done >> 20));
    fflush(stderr);
}

/* ---- output ------------------------------------------------------------ */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_stats(FILE *f, const sim_stats_t *s)
{
    fprintf(f,
            "\"references\": %llu, \"writes\": %llu, \"page_faults\": %llu, "
            "\"fault_rate\": %.6f, \"disk_writes\": %llu, \"tlb_hits\": %llu, "
            "\"tlb_misses\": %llu, \"walk_accesses\": %llu, \"page_table_bytes\": %llu, "
            "\"distinct_pages\": %llu, \"frames\": %llu",
            (unsigned long long)s->references, (unsigned long long)s->writes,
            (unsigned long long)s->page_faults,
            s->references ? (double)s->page_faults / (double)s->references : 0.0,
            (unsigned long long)s->disk_writes, (unsigned long long)s->tlb_hits,
            (unsigned long long)s->tlb_misses, (unsigned long long)s->walk_accesses,
            (unsigned long long)s->page_table_bytes, (unsigned long long)s->distinct_pages,
            (unsigned long long)s->frames);
}

typedef struct run_out {
    const char *path;     /* the trace */
    const char *format;   /* its format's name */
    uint64_t bad_lines;   /* skipped malformed lines */
    sim_result_t *res;    /* njobs results */
} run_out_t;

static void print_json(FILE *f, const opts_t *o, const sim_job_t *jobs, size_t njobs,
                       const run_out_t *runs, size_t nruns)
{
    int array = njobs * nruns > 1;
    if (array)
        fputs("[\n", f);
    for (size_t r = 0; r < nruns; r++)
        for (size_t j = 0; j < njobs; j++) {
            const sim_result_t *x = &runs[r].res[j];
            fputs(array ? "  {" : "{", f);
            fputs("\"trace\": ", f);
            json_string(f, runs[r].path);
            fputs(", \"format\": ", f);
            json_string(f, runs[r].format);
            fputs(", \"policy\": ", f);
            json_string(f, jobs[j].policy);
            fprintf(f, ", \"page_size\": %llu, ", 1ull << o->cfg.page_bits);
            json_stats(f, &x->total);
            if (x->eat_ns > 0)
                fprintf(f, ", \"eat_ns\": %.3f", x->eat_ns);
            if (o->topts.skip_bad)
                fprintf(f, ", \"bad_lines\": %llu", (unsigned long long)runs[r].bad_lines);
            if (x->nprocs > 1) {
                fputs(", \"processes\": [", f);
                for (uint32_t p = 0; p < x->nprocs; p++) {
                    fprintf(f, "%s{\"pid\": %u, ", p ? ", " : "", x->pid[p]);
                    json_stats(f, &x->proc[p]);
                    fputc('}', f);
                }
                fputc(']', f);
            }
            fputs(array && !(r + 1 == nruns && j + 1 == njobs) ? "},\n" : "}\n", f);
        }
    if (array)
        fputs("]\n", f);
}

static void csv_row(FILE *f, const char *trace, const char *policy, const char *pid,
                    const sim_stats_t *s, double eat)
{
    fprintf(f, "%s,%s,%s,%llu,%llu,%llu,%llu,%.6f,%llu,%llu,%llu,%llu,%llu,%llu,%.3f\n", trace,
            policy, pid, (unsigned long long)s->frames, (unsigned long long)s->references,
            (unsigned long long)s->writes, (unsigned long long)s->page_faults,
            s->references ? (double)s->page_faults / (double)s->references : 0.0,
            (unsigned long long)s->disk_writes, (unsigned long long)s->tlb_hits,
            (unsigned long long)s->tlb_misses, (unsigned long long)s->walk_accesses,
            (unsigned long long)s->page_table_bytes, (unsigned long long)s->distinct_pages, eat);
}

static void print_csv(FILE *f, const sim_job_t *jobs, size_t njobs, const run_out_t *runs,
                      size_t nruns)
{
    fputs("trace,policy,pid,frames,references,writes,page_faults,fault_rate,disk_writes,"
          "tlb_hits,tlb_misses,walk_accesses,page_table_bytes,distinct_pages,eat_ns\n",
          f);
    for (size_t r = 0; r < nruns; r++)
        for (size_t j = 0; j < njobs; j++) {
            const sim_result_t *x = &runs[r].res[j];
            /* A policy spec with parameters holds commas: quote it. */
            char pol[300];
            snprintf(pol, sizeof pol, strchr(jobs[j].policy, ',') ? "\"%s\"" : "%s",
                     jobs[j].policy);
            csv_row(f, runs[r].path, pol, "", &x->total, x->eat_ns);
            for (uint32_t p = 0; x->nprocs > 1 && p < x->nprocs; p++) {
                char pid[16];
                snprintf(pid, sizeof pid, "%u", x->pid[p]);
                csv_row(f, runs[r].path, pol, pid, &x->proc[p], 0.0);
            }
        }
}

static void print_text(FILE *f, const opts_t *o, const sim_job_t *jobs, size_t njobs,
                       const run_out_t *runs, size_t nruns)
{
    int tlb = o->cfg.tlb.entries > 0, pt = o->cfg.pt.kind != SIM_PT_NONE;
    for (size_t r = 0; r < nruns; r++) {
        const sim_result_t *x0 = &runs[r].res[0];
        if (r)
            fputc('\n', f);
        fprintf(f, "%s: %s format, %llu references (%llu writes), %llu distinct pages of %llu bytes",
                runs[r].path, runs[r].format, (unsigned long long)x0->total.references,
                (unsigned long long)x0->total.writes, (unsigned long long)x0->total.distinct_pages,
                1ull << o->cfg.page_bits);
        if (x0->nprocs > 1)
            fprintf(f, ", %u processes (%s scope)", x0->nprocs,
                    o->cfg.scope == SIM_SCOPE_LOCAL ? "local" : "global");
        if (o->topts.skip_bad)
            fprintf(f, ", %llu bad lines skipped", (unsigned long long)runs[r].bad_lines);
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
        for (size_t j = 0; j < njobs; j++) {
            const sim_result_t *x = &runs[r].res[j];
            const sim_stats_t *s = &x->total;
            fprintf(f, "%-24s %10llu %12llu %9.6f %12llu", jobs[j].policy,
                    (unsigned long long)jobs[j].frames, (unsigned long long)s->page_faults,
                    s->references ? (double)s->page_faults / (double)s->references : 0.0,
                    (unsigned long long)s->disk_writes);
            if (tlb)
                fprintf(f, " %12llu %12llu", (unsigned long long)s->tlb_hits,
                        (unsigned long long)s->tlb_misses);
            if (pt)
                fprintf(f, " %14llu", (unsigned long long)s->walk_accesses);
            if (x->eat_ns > 0)
                fprintf(f, " %10.3f", x->eat_ns);
            fputc('\n', f);
            for (uint32_t p = 0; x->nprocs > 1 && p < x->nprocs; p++) {
                const sim_stats_t *ps = &x->proc[p];
                fprintf(f, "  pid %-18u %10llu %12llu %9.6f %12llu\n", x->pid[p],
                        (unsigned long long)ps->frames, (unsigned long long)ps->page_faults,
                        ps->references ? (double)ps->page_faults / (double)ps->references : 0.0,
                        (unsigned long long)ps->disk_writes);
            }
        }
    }
}

static void list_policies(void)
{
    for (size_t i = 0; sim_policy_name(i); i++) {
        printf("%-10s %s\n", sim_policy_name(i), sim_policy_summary(i));
        if (*sim_policy_params(i))
            printf("%-10s parameters: %s\n", "", sim_policy_params(i));
    }
}

int cmd_sim(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"frames", required_argument, 0, 'n'},
        {"format", required_argument, 0, 'F'},
        {"out", required_argument, 0, 'o'},
        {"threads", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {"page-size", required_argument, 0, 1},
        {"pid", no_argument, 0, 2},
        {"skip-bad", no_argument, 0, 3},
        {"scope", required_argument, 0, 4},
        {"split", required_argument, 0, 5},
        {"tlb", required_argument, 0, 6},
        {"tlb-ways", required_argument, 0, 7},
        {"tlb-policy", required_argument, 0, 8},
        {"tlb-flush", no_argument, 0, 9},
        {"page-table", required_argument, 0, 10},
        {"levels", required_argument, 0, 11},
        {"va-bits", required_argument, 0, 12},
        {"pte-bytes", required_argument, 0, 13},
        {"mem-ns", required_argument, 0, 14},
        {"tlb-ns", required_argument, 0, 15},
        {"fault-ns", required_argument, 0, 16},
        {"write-ns", required_argument, 0, 17},
        {"output", required_argument, 0, 18},
        {"no-progress", no_argument, 0, 19},
        {"list", no_argument, 0, 20},
        {0, 0, 0, 0},
    };
    opts_t o;
    uint64_t v;
    int c, rc = CLI_OK, fmt;
    sim_job_t *jobs = NULL;
    size_t njobs = 0, nruns = 0;
    run_out_t *runs = NULL;
    diag_t d;
    env_out_t out;
    unsigned va_bits = 0, pte_bytes = 0;

    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--steps") == 0) /* the per-reference log: cmd_sim_steps.c */
            return cmd_sim_steps(argc, argv);
    memset(&o, 0, sizeof o);
    o.cfg = sim_config_default();
    o.progress = 1;
    diag_clear(&d);
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:n:F:o:j:h", lopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if ((rc = add_policies(&o, optarg)))
                goto done;
            break;
        case 'n':
            if ((rc = add_frames(&o, optarg)))
                goto done;
            break;
        case 'F':
            if ((fmt = trace_format_parse(optarg)) < 0) {
                rc = cli_usage("sim", "unknown format '%s' (expected osc, rw, ls, lackey, din, "
                                      "pages or vmlab)",
                               optarg);
                goto done;
            }
            o.topts.format = (trace_format_t)fmt;
            break;
        case 'o': o.out_path = optarg; break;
        case 'j':
            if (cli_u64("sim", "--threads", optarg, 1, 1024, &v)) {
                rc = CLI_USAGE;
                goto done;
            }
            o.cfg.threads = (unsigned)v;
            break;
        case 'h': fputs(sim_help, stdout); goto done;
        case 1:
            if (cli_u64("sim", "--page-size", optarg, 1, 1ull << 40, &v)) {
                rc = CLI_USAGE;
                goto done;
            }
            if (v & (v - 1)) {
                rc = cli_usage("sim", "page size %s is not a power of two (expected e.g. 4096)",
                               optarg);
                goto done;
            }
            o.cfg.page_bits = (unsigned)__builtin_ctzll(v);
            o.page_size_given = 1;
            break;
        case 2: o.topts.multi_pid = 1; break;
        case 3: o.topts.skip_bad = 1; break;
        case 4:
            if (strcmp(optarg, "global") == 0)
                o.cfg.scope = SIM_SCOPE_GLOBAL;
            else if (strcmp(optarg, "local") == 0)
                o.cfg.scope = SIM_SCOPE_LOCAL;
            else {
                rc = cli_usage("sim", "unknown --scope '%s' (expected global or local)", optarg);
                goto done;
            }
            break;
        case 5:
            if (strcmp(optarg, "equal") == 0)
                o.cfg.split = SIM_SPLIT_EQUAL;
            else if (strcmp(optarg, "proportional") == 0)
                o.cfg.split = SIM_SPLIT_PROPORTIONAL;
            else {
                rc = cli_usage("sim", "unknown --split '%s' (expected equal or proportional)",
                               optarg);
                goto done;
            }
            break;
        case 6:
            if (cli_u64("sim", "--tlb", optarg, 1, 1u << 20, &v)) {
                rc = CLI_USAGE;
                goto done;
            }
            o.cfg.tlb.entries = (uint32_t)v;
            break;
        case 7:
            if (cli_u64("sim", "--tlb-ways", optarg, 1, 1u << 20, &v)) {
                rc = CLI_USAGE;
                goto done;
            }
            o.cfg.tlb.ways = (uint32_t)v;
            break;
        case 8:
            if (strcmp(optarg, "lru") == 0)
                o.cfg.tlb.policy = SIM_TLB_LRU;
            else if (strcmp(optarg, "fifo") == 0)
                o.cfg.tlb.policy = SIM_TLB_FIFO;
            else if (strcmp(optarg, "random") == 0)
                o.cfg.tlb.policy = SIM_TLB_RANDOM;
            else {
                rc = cli_usage("sim", "unknown --tlb-policy '%s' (expected lru, fifo or random)",
                               optarg);
                goto done;
            }
            break;
        case 9: o.cfg.tlb.asid = 0; break;
        case 10:
            if (strcmp(optarg, "linear") == 0)
                o.cfg.pt.kind = SIM_PT_LINEAR;
            else if (strcmp(optarg, "multi") == 0)
                o.cfg.pt.kind = SIM_PT_MULTI;
            else if (strcmp(optarg, "inverted") == 0)
                o.cfg.pt.kind = SIM_PT_INVERTED;
            else {
                rc = cli_usage("sim",
                               "unknown --page-table '%s' (expected linear, multi or inverted)",
                               optarg);
                goto done;
            }
            break;
        case 11: {
            sim_pt_kind_t keep = o.cfg.pt.kind;
            if ((rc = parse_levels(&o, optarg)))
                goto done;
            if (keep != SIM_PT_NONE && keep != SIM_PT_MULTI) {
                rc = cli_usage("sim", "--levels is for --page-table multi");
                goto done;
            }
            break;
        }
        case 12:
            if (cli_u64("sim", "--va-bits", optarg, 2, 64, &v)) {
                rc = CLI_USAGE;
                goto done;
            }
            va_bits = (unsigned)v;
            break;
        case 13:
            if (cli_u64("sim", "--pte-bytes", optarg, 1, 64, &v)) {
                rc = CLI_USAGE;
                goto done;
            }
            pte_bytes = (unsigned)v;
            break;
        case 14:
            if ((rc = parse_ns("--mem-ns", optarg, &o.cfg.lat.mem_ns)))
                goto done;
            break;
        case 15:
            if ((rc = parse_ns("--tlb-ns", optarg, &o.cfg.lat.tlb_ns)))
                goto done;
            break;
        case 16:
            if ((rc = parse_ns("--fault-ns", optarg, &o.cfg.lat.fault_ns)))
                goto done;
            break;
        case 17:
            if ((rc = parse_ns("--write-ns", optarg, &o.cfg.lat.write_ns)))
                goto done;
            break;
        case 18:
            if (strcmp(optarg, "text") == 0)
                o.output = OUT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                o.output = OUT_JSON;
            else if (strcmp(optarg, "csv") == 0)
                o.output = OUT_CSV;
            else {
                rc = cli_usage("sim", "unknown --output '%s' (expected text, json or csv)",
                               optarg);
                goto done;
            }
            break;
        case 19: o.progress = 0; break;
        case 20: list_policies(); goto done;
        default: rc = cli_usage("sim", "bad option"); goto done;
        }
    }
    if (o.preset_page_bits && !o.page_size_given)
        o.cfg.page_bits = o.preset_page_bits;
    if (va_bits)
        o.cfg.pt.va_bits = va_bits;
    if (pte_bytes)
        o.cfg.pt.pte_bytes = pte_bytes;
    if ((va_bits || pte_bytes) && o.cfg.pt.kind == SIM_PT_NONE) {
        rc = cli_usage("sim", "--va-bits and --pte-bytes need a page table (expected "
                              "--page-table or --levels)");
        goto done;
    }
    if (o.cfg.pt.kind == SIM_PT_MULTI && !o.levels_given) {
        /* multi without --levels: the two-level i386 layout scaled to the
         * page size over a 32-bit space. */
        unsigned bits = (va_bits ? va_bits : 32) - o.cfg.page_bits;
        if ((va_bits ? va_bits : 32) <= o.cfg.page_bits) {
            rc = cli_usage("sim", "a page of 2^%u bytes fills the address space (expected "
                                  "--va-bits above it)",
                           o.cfg.page_bits);
            goto done;
        }
        o.cfg.pt.nlevels = bits > 1 ? 2 : 1;
        o.cfg.pt.levels[0] = bits - bits / 2;
        o.cfg.pt.levels[1] = bits / 2;
    }
    o.topts.page_bits = o.cfg.page_bits;
    if (o.npolicies == 0) {
        rc = cli_usage("sim", "no policy given (expected -p POLICY; 'vmlab sim --list' lists them)");
        goto done;
    }
    if (o.nframes == 0) {
        rc = cli_usage("sim", "no frame count given (expected -n FRAMES)");
        goto done;
    }
    if (optind >= argc) {
        rc = cli_usage("sim", "no trace given (expected TRACE... or '-' for stdin)");
        goto done;
    }
    njobs = o.npolicies * o.nframes;
    if (njobs > MAX_JOBS) {
        rc = cli_usage("sim", "%zu policy and frame combinations (expected at most %d)", njobs,
                       MAX_JOBS);
        goto done;
    }
    jobs = calloc(njobs, sizeof *jobs);
    nruns = (size_t)(argc - optind);
    runs = calloc(nruns, sizeof *runs);
    if (!jobs || !runs) {
        rc = cli_diag(&(diag_t){.msg = "out of memory"});
        goto done;
    }
    for (size_t i = 0; i < o.npolicies; i++)
        for (size_t k = 0; k < o.nframes; k++)
            jobs[i * o.nframes + k] = (sim_job_t){.policy = o.policies[i], .frames = o.frames[k]};
    /* Every configuration error before any trace is opened. */
    if ((rc = sim_config_check(&o.cfg, jobs, njobs, &d))) {
        /* Out of memory is the machine's limit, not a usage error. */
        rc = rc == -ENOMEM ? cli_diag(&d) : cli_usage("sim", "%s", d.msg);
        goto done;
    }
    for (size_t r = 0; r < nruns; r++) {
        trace_t *t = NULL;
        runs[r].path = argv[optind + (int)r];
        runs[r].res = calloc(njobs, sizeof *runs[r].res);
        if (!runs[r].res) {
            rc = cli_diag(&(diag_t){.msg = "out of memory"});
            goto done;
        }
        if (trace_open(&t, runs[r].path, &o.topts, &d)) {
            rc = cli_diag(&d);
            goto done;
        }
        if (o.progress && env_isatty(stderr)) {
            o.cfg.progress = progress_bar;
            o.cfg.progress_ctx = (void *)runs[r].path;
        }
        int e = sim_run_trace(&o.cfg, jobs, njobs, t, runs[r].res, &d);
        if (o.cfg.progress)
            fputs("\r\033[K", stderr);
        runs[r].format = trace_format_name(trace_format(t));
        runs[r].bad_lines = trace_bad_lines(t);
        trace_close(t);
        if (e) {
            /* Results of a failed run are not filled: nothing to free. */
            free(runs[r].res);
            runs[r].res = NULL;
            rc = cli_diag(&d);
            goto done;
        }
    }
    if (env_out_open(&out, o.out_path, &d)) {
        rc = cli_diag(&d);
        goto done;
    }
    if (o.output == OUT_JSON)
        print_json(out.fp, &o, jobs, njobs, runs, nruns);
    else if (o.output == OUT_CSV)
        print_csv(out.fp, jobs, njobs, runs, nruns);
    else
        print_text(out.fp, &o, jobs, njobs, runs, nruns);
    if (env_out_commit(&out, &d))
        rc = cli_diag(&d);
done:
    for (size_t r = 0; runs && r < nruns; r++)
        if (runs[r].res) {
            for (size_t j = 0; j < njobs; j++)
                sim_result_free(&runs[r].res[j]);
            free(runs[r].res);
        }
    free(runs);
    free(jobs);
    for (size_t i = 0; i < o.npolicies; i++)
        free(o.policies[i]);
    return rc;
}
