/* SPDX-License-Identifier: MIT */
/*
 * cmd_sched.c - `vmlab sched`: read a workload (a file, stdin, or a built-in
 * generator), simulate it on N CPUs (src/sched), write the result as text,
 * JSON or CSV, and draw the pictures asked for with gnuplot.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/progress.h"
#include "cli/cli.h"
#include "sched/sched_class.h"
#include "vmlab/env.h"
#include "vmlab/sched.h"

static const char sched_help[] =
    "usage: vmlab sched [options] WORKLOAD\n"
    "Simulate a multicore scheduler: RT (fifo, rr) > WRR (the kernel lab's weighted round\n"
    "robin) > CFS, on N CPUs, event by event.  WORKLOAD is a file (docs/sched.md), '-' for\n"
    "stdin, or a built-in generator: lab4, wrr, mixed, big (see --gen).\n"
    "  -c, --cpus N           CPUs, 1..1024 (default 1)\n"
    "  -u, --until TIME       stop at TIME (ms, or 2s, 500us); needed when a task never ends\n"
    "      --output FMT       text (default), json or csv\n"
    "  -o, --out FILE         write the report to FILE (atomically) instead of stdout\n"
    "      --wrr PARAMS       WRR rules, e.g. period=0,tie=lowest,refill=wake (docs/sched.md)\n"
    "      --cfs PARAMS       CFS tunables, e.g. latency=6ms,scaling=none\n"
    "      --rt PARAMS        RT settings, e.g. rr-slice=100ms\n"
    "      --sample TIME      WRR weight sampling period (default 100ms)\n"
    "      --gantt FILE       draw a Gantt chart (CPU by time) to FILE.png or .svg\n"
    "      --weights FILE     draw the total WRR weight per CPU over time\n"
    "      --turnaround FILE  draw turnaround against weight (finished WRR tasks)\n"
    "      --gen NAME         use generator NAME (lab4, wrr, mixed, big) as the workload\n"
    "      --tasks N          tasks for the generator; lab4: ms of work per task\n"
    "      --seed N           generator seed (default 1)\n"
    "      --print            print the workload text (of a generator) and exit\n"
    "      --no-progress      no progress line (shown on a terminal for long runs)\n"
    "Class parameters:\n";

enum { O_OUTPUT = 256, O_WRR, O_CFS, O_RT, O_SAMPLE, O_GANTT, O_WEIGHTS, O_TURN, O_GEN, O_TASKS, O_SEED,
       O_PRINT, O_NO_PROGRESS };

typedef struct opts {
    sched_config_t cfg;
    out_format_t fmt;
    const char *out, *pics[3], *gen, *input;
    uint64_t tasks, seed;
    int print;
    int no_progress; /* --no-progress */
} opts_t;

static const char *const pic_kind[3] = {"gantt", "weights", "turnaround"};

static int parse_time_opt(const char *opt, const char *val, uint64_t *ns)
{
    if (sched_parse_time(val, strlen(val), ns)) {
        cli_usage("sched", "%s '%s' is not a time (expected ms, or a number with ns, us, ms or s)", opt, val);
        return -1;
    }
    return 0;
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    static const struct option lo[] = {
        {"cpus", 1, 0, 'c'}, {"until", 1, 0, 'u'}, {"output", 1, 0, O_OUTPUT}, {"out", 1, 0, 'o'},
        {"wrr", 1, 0, O_WRR}, {"cfs", 1, 0, O_CFS}, {"rt", 1, 0, O_RT}, {"sample", 1, 0, O_SAMPLE},
        {"gantt", 1, 0, O_GANTT}, {"weights", 1, 0, O_WEIGHTS}, {"turnaround", 1, 0, O_TURN},
        {"gen", 1, 0, O_GEN}, {"tasks", 1, 0, O_TASKS}, {"seed", 1, 0, O_SEED}, {"print", 0, 0, O_PRINT},
        {"no-progress", 0, 0, O_NO_PROGRESS},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    uint64_t v;
    int c;
    o->cfg.ncpus = 1;
    o->seed = 1;
    optind = 1;
    while ((c = cli_getopt("sched", argc, argv, "c:u:o:h", lo)) != -1) {
        switch (c) {
        case 'c':
            if (cli_u64("sched", "--cpus", optarg, 1, SCHED_MAX_CPUS, &v))
                return CLI_USAGE;
            o->cfg.ncpus = (unsigned)v;
            break;
        case 'u':
            if (parse_time_opt("--until", optarg, &o->cfg.until_ns))
                return CLI_USAGE;
            if (!o->cfg.until_ns)
                return cli_usage("sched", "--until must be positive (expected a time such as 1000 or 2s)");
            break;
        case O_OUTPUT:
            if (cli_output("sched", optarg, OUT_ACCEPT_ALL, &o->fmt))
                return CLI_USAGE;
            break;
        case 'o': o->out = optarg; break;
        case O_WRR: o->cfg.params[SCHED_CLASS_WRR] = optarg; break;
        case O_CFS: o->cfg.params[SCHED_CLASS_CFS] = optarg; break;
        case O_RT: o->cfg.params[SCHED_CLASS_RT] = optarg; break;
        case O_SAMPLE:
            if (parse_time_opt("--sample", optarg, &o->cfg.sample_ns))
                return CLI_USAGE;
            if (!o->cfg.sample_ns)
                return cli_usage("sched", "--sample must be positive (expected a time such as 100 or 10ms)");
            break;
        case O_GANTT: o->pics[0] = optarg; break;
        case O_WEIGHTS: o->pics[1] = optarg; break;
        case O_TURN: o->pics[2] = optarg; break;
        case O_GEN: o->gen = optarg; break;
        case O_TASKS:
            if (cli_u64("sched", "--tasks", optarg, 1, SCHED_MAX_TASKS, &o->tasks))
                return CLI_USAGE;
            break;
        case O_SEED:
            if (cli_u64("sched", "--seed", optarg, 0, UINT64_MAX, &o->seed))
                return CLI_USAGE;
            break;
        case O_PRINT: o->print = 1; break;
        case O_NO_PROGRESS: o->no_progress = 1; break;
        case 'h':
            fputs(sched_help, stdout);
            sched_class_help(stdout);
            return -1;
        default:
            return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind < argc)
        o->input = argv[optind++];
    if (optind < argc)
        return cli_usage("sched", "one workload expected, got '%s' too", argv[optind]);
    if (!o->input && !o->gen)
        return cli_usage("sched", "no workload (expected a file, '-', or a generator: lab4, wrr, mixed, big)");
    if (o->input && o->gen)
        return cli_usage("sched", "both a workload file and --gen (expected one)");
    return 0;
}

/* Workload text: a file, or a generator (also when the argument is a
 * generator's name and no such file exists). */
static int load_text(opts_t *o, char **text, size_t *len, const char **name)
{
    diag_t d;
    struct stat st;
    const char *gen = o->gen;
    if (!gen && strcmp(o->input, "-") && stat(o->input, &st) != 0 &&
        (!strcmp(o->input, "lab4") || !strcmp(o->input, "wrr") || !strcmp(o->input, "mixed") ||
         !strcmp(o->input, "big")))
        gen = o->input;
    if (gen) {
        sched_gen_t g = {.name = gen, .ncpus = o->cfg.ncpus, .tasks = o->tasks, .seed = o->seed};
        *name = gen;
        if (sched_gen_text(&g, text, len, &d))
            return cli_usage("sched", "%s", d.msg);
        return 0;
    }
    *name = o->input;
    if (env_read_file(o->input, text, len, &d))
        return cli_diag(&d);
    return 0;
}

static int draw(const opts_t *o, const sched_result_t *r)
{
    for (int i = 0; i < 3; i++) {
        const char *img = o->pics[i];
        if (!img)
            continue;
        char dat[4096], gp[4096];
        env_out_t od, og;
        diag_t d;
        snprintf(dat, sizeof dat, "%s.dat", img);
        snprintf(gp, sizeof gp, "%s.gp", img);
        if (env_out_open(&od, dat, &d))
            return cli_diag(&d);
        if (env_out_open(&og, gp, &d)) {
            env_out_abort(&od);
            return cli_diag(&d);
        }
        if (sched_plot(pic_kind[i], r, od.fp, og.fp, dat, img, &d)) {
            env_out_abort(&od);
            env_out_abort(&og);
            return cli_diag(&d);
        }
        if (env_out_commit(&od, &d)) {
            env_out_abort(&og);
            return cli_diag(&d);
        }
        if (env_out_commit(&og, &d))
            return cli_diag(&d);
        switch (cli_gnuplot(gp)) {
        case 0: break;
        case 1: cli_error("sched: gnuplot not found; wrote %s and %s (render with: gnuplot %s)", gp, dat, gp); return CLI_ERR;
        default: cli_error("sched: gnuplot failed on %s (its message is above)", gp); return CLI_ERR;
        }
    }
    return CLI_OK;
}

int cmd_sched(int argc, char **argv)
{
    opts_t o = {0};
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    char *text = NULL;
    size_t len = 0;
    const char *name;
    if ((rc = load_text(&o, &text, &len, &name)))
        return rc;
    if (o.print) {
        fwrite(text, 1, len, stdout);
        free(text);
        return CLI_OK;
    }
    sched_workload_t *w;
    diag_t d;
    if (sched_workload_parse(name, text, len, &w, &d)) {
        free(text);
        return cli_diag(&d);
    }
    free(text);
    o.cfg.segments = o.pics[0] != NULL;
    sched_result_t r;
    progress_t pr; /* simulated time of --until, or events when the run ends with its tasks */
    progress_start(&pr, NULL, stderr, !o.no_progress, "sched", name, "events simulated");
    o.cfg.progress = progress_cb;
    o.cfg.progress_ctx = &pr;
    rc = sched_run(&o.cfg, w, &r, &d);
    progress_end(&pr);
    if (rc) {
        sched_workload_free(w);
        return cli_diag(&d);
    }
    sched_workload_free(w);
    env_out_t out;
    if (env_out_open(&out, o.out, &d)) {
        sched_result_free(&r);
        return cli_diag(&d);
    }
    if (o.fmt == OUT_JSON)
        sched_report_json(out.fp, &r);
    else if (o.fmt == OUT_CSV)
        sched_report_csv(out.fp, &r);
    else
        sched_report_text(out.fp, &r);
    if (env_out_commit(&out, &d)) {
        sched_result_free(&r);
        return cli_diag(&d);
    }
    rc = draw(&o, &r);
    sched_result_free(&r);
    return rc;
}
