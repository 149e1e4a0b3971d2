/* SPDX-License-Identifier: MIT */
/*
 * cmd_mm.c - `vmlab mm`: run an address-space scenario on the model (text,
 * JSON or CSV; --explain narrates every fault), list the bundled scenarios,
 * or hold one against the real kernel (--real: one object per operation,
 * exit 1 on an undeclared difference).  Language and contract: docs/mm.md.
 *
 * parse() turns the command line into an mm_cli_t (the machine, the output
 * format, --real, --list); run() reads and parses the scenario and runs it
 * on the model (and in real processes with --real), the model's text going
 * to a memory stream; print() adds the one result and only then copies the
 * stream to stdout, so an error never leaves half an output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/out.h"
#include "base/progress.h"
#include "cli/cli.h"
#include "mm/mm_scenario.h"
#include "vmlab/env.h"

void mmsc_print_stats(FILE *o, mm_task_t *t);

static const char mm_help[] =
    "usage: vmlab mm [--arch x86_64|i386] [--mem SIZE] [--output text|json|csv]\n"
    "                [--explain] [--real] [--no-progress] SCENARIO|NAME\n"
    "       vmlab mm --list\n"
    "\n"
    "Run a scenario (one operation a line: spawn, mmap, munmap, mprotect, brk,\n"
    "touch r|w|x ADDR [LEN], fork, exec, exit, switch, maps, walk ADDR, ...;\n"
    "docs/mm.md) on a model of Linux's process address space: VMAs with the\n"
    "kernel's split and merge rules, page tables in frames from vmlab kmem's\n"
    "buddy allocator, the fault handler (zero page, copy-on-write, file faults\n"
    "with fault-around, swap), fork, exec and reclaim.  NAME is a bundled\n"
    "scenario (--list).\n"
    "\n"
    "      --arch A        x86_64 (4 levels, default) or i386 (2 levels)\n"
    "      --mem SIZE      physical memory, whole 4 MiB blocks\n"
    "      --output F      text (default), json or csv\n"
    "      --explain       narrate every fault\n"
    "      --real          run the scenario in a real child process too and compare\n"
    "                      minor/major faults and VMA counts operation by operation\n"
    "                      (exit 1 on a difference the scenario does not declare)\n"
    "      --list          the bundled scenarios\n"
    "      --no-progress   no progress line (shown on a terminal for long runs)\n"
    "  -h, --help          this text\n";

static int usage(void)
{
    return cli_usage("mm", "expected [--arch x86_64|i386] [--mem SIZE] [--output text|json|csv] [--explain] "
                           "[--real] SCENARIO|NAME, or --list");
}

static const char *load(const char *arg, char **buf, size_t *len, diag_t *d, int *rc)
{
    size_t n;
    const mmsc_bundled_t *b = mmsc_bundled(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(b[i].name, arg)) {
            *buf = strdup(b[i].text);
            *len = strlen(b[i].text);
            *rc = *buf ? 0 : -ENOMEM;
            return b[i].name;
        }
    *rc = env_read_file(arg, buf, len, d);
    return arg;
}

/* A walk line's levels as JSON: "walk": {"addr", "levels": [{"level",
 * "index", "table_pfn", "entry", "decoded"}], "phys"} (phys null: not
 * mapped); the text output's lines, field by field. */
static void json_walk(out_json_t *j, const mmsc_result_t *m, int levels)
{
    out_json_obj(j, "walk");
    out_json_hex(j, "addr", m->walk_addr);
    out_json_arr(j, "levels");
    for (int i = 0; i < m->nwalk; i++) {
        char b[96];
        mm_format_entry(m->walk[i].entry, i + 1 == levels, b, sizeof b);
        out_json_obj(j, NULL);
        out_json_str(j, "level", m->walk[i].name);
        out_json_u64(j, "index", m->walk[i].index);
        out_json_u64(j, "table_pfn", m->walk[i].table_pfn);
        out_json_hex(j, "entry", m->walk[i].entry);
        out_json_str(j, "decoded", b);
        out_json_end(j);
    }
    out_json_end(j);
    if (m->walk_pa)
        out_json_hex(j, "phys", m->walk_pa);
    else
        out_json_null(j, "phys");
    out_json_end(j);
}

enum { O_ARCH = CLI_OPT_BASE, O_MEM, O_OUTPUT, O_EXPLAIN, O_REAL, O_LIST, O_NO_PROGRESS };

static const struct option mm_opts[] = {
    {"arch", required_argument, NULL, O_ARCH},
    {"mem", required_argument, NULL, O_MEM},
    {"output", required_argument, NULL, O_OUTPUT},
    {"explain", no_argument, NULL, O_EXPLAIN},
    {"real", no_argument, NULL, O_REAL},
    {"list", no_argument, NULL, O_LIST},
    {"no-progress", no_argument, NULL, O_NO_PROGRESS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The command line, parsed. */
typedef struct mm_cli {
    mmsc_opts_t run;     /* --arch, --mem, --explain (out and progress: set by run()) */
    out_format_t output; /* --output */
    int real;            /* --real: in real processes too */
    int list;            /* --list */
    int progress;        /* 0: --no-progress */
    const char *arg;     /* SCENARIO|NAME */
} mm_cli_t;

/* One run: the scenario, its results and the output held back. */
typedef struct mm_run {
    const char *name;      /* the scenario as messages name it: a bundled name or the path */
    mmsc_t sc;             /* parsed */
    mmsc_result_t *model;  /* [sc.n + 1]: the model's results */
    mmsc_result_t *real;   /* [sc.n + 1] with --real, else NULL */
    mm_sys_t *sys;         /* the model after the run, NULL until it succeeded */
    FILE *mem;             /* the output until the run succeeded, NULL once written */
    char *tbuf;            /* mem's buffer */
    size_t tlen;           /* its length */
} mm_run_t;

static int parse_arch(mm_cli_t *o, const char *arg)
{
    if (!strcmp(arg, "x86_64"))
        o->run.cfg.arch = MM_ARCH_X86_64;
    else if (!strcmp(arg, "i386"))
        o->run.cfg.arch = MM_ARCH_I386;
    else
        return cli_usage("mm", "--arch %s (expected x86_64 or i386)", arg);
    return 0;
}

static int parse_mem(mm_cli_t *o, const char *arg)
{
    uint64_t v;
    if (cli_u64("mm", "--mem", arg, 4u << 20, 1ull << 34, &v))
        return CLI_USAGE;
    if (v % (4u << 20))
        return cli_usage("mm", "--mem %s is not a multiple of 4M (expected whole 4 MiB blocks)", arg);
    o->run.cfg.mem_bytes = v;
    return 0;
}

/* One option: 0, a CLI_* status, or CLI_SERVED. */
static int parse_opt(mm_cli_t *o, int c, const char *arg)
{
    switch (c) {
    case 'h': fputs(mm_help, stdout); return CLI_SERVED;
    case O_ARCH: return parse_arch(o, arg);
    case O_MEM: return parse_mem(o, arg);
    case O_OUTPUT: return cli_output("mm", arg, OUT_ACCEPT_ALL, &o->output) ? CLI_USAGE : 0;
    case O_EXPLAIN: o->run.explain = 1; return 0;
    case O_REAL: o->real = 1; return 0;
    case O_LIST: o->list = 1; return 0;
    case O_NO_PROGRESS: o->progress = 0; return 0;
    default: return CLI_USAGE; /* cli_getopt said which */
    }
}

static void print_list(void)
{
    size_t n;
    const mmsc_bundled_t *b = mmsc_bundled(&n);
    for (size_t i = 0; i < n; i++)
        printf("%-18s %s\n", b[i].name, b[i].what);
}

/* The whole command line into *o: 0, a CLI_* status, or CLI_SERVED (--list
 * is served once every option has been read). */
static int parse(mm_cli_t *o, int argc, char **argv)
{
    int c, rc;
    memset(o, 0, sizeof *o);
    o->output = OUT_TEXT;
    o->progress = 1;
    optind = 1;
    while ((c = cli_getopt("mm", argc, argv, "h", mm_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)) != 0)
            return rc;
    if (o->list) {
        print_list();
        return CLI_SERVED;
    }
    if (optind + 1 != argc)
        return usage();
    o->arg = argv[optind];
    return 0;
}

/* Read and parse the scenario into r: 0 or a CLI_* status. */
static int load_scenario(const mm_cli_t *o, mm_run_t *r)
{
    diag_t d;
    diag_clear(&d);
    char *text = NULL;
    size_t len = 0;
    int rc;
    r->name = load(o->arg, &text, &len, &d, &rc);
    if (rc < 0) {
        free(text);
        return cli_diag(&d);
    }
    rc = mmsc_parse(text, len, r->name, &r->sc, &d);
    free(text);
    return rc < 0 ? cli_diag(&d) : 0;
}

/* Run the scenario on the model, and with --real in real processes, its
 * text going to r->mem: 0 or a CLI_* status. */
static int run(const mm_cli_t *o, mm_run_t *r)
{
    int rc = load_scenario(o, r);
    if (rc)
        return rc;
    r->model = calloc(r->sc.n + 1, sizeof *r->model);
    r->real = o->real ? calloc(r->sc.n + 1, sizeof *r->real) : NULL;
    if (!r->model || (o->real && !r->real)) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    /* Text output goes to a memory buffer first: an error leaves nothing half-written. */
    r->mem = open_memstream(&r->tbuf, &r->tlen);
    if (!r->mem) {
        cli_error("cannot buffer the output: %s", strerror(errno));
        return CLI_ERR;
    }
    mmsc_opts_t ro = o->run;
    ro.out = o->output == OUT_TEXT && !o->real ? r->mem : NULL;
    /* Output waits in the memory stream until the end: the line is never in
     * front of it. */
    progress_t pg;
    progress_start(&pg, NULL, stderr, o->progress, "mm", r->name, "lines run on the model");
    ro.progress = progress_cb, ro.progress_ctx = &pg;
    diag_t d;
    diag_clear(&d);
    rc = mmsc_run_model(&r->sc, &ro, r->model, &r->sys, &d);
    if (rc == 0 && o->real) {
        progress_set_unit(&pg, "lines run in real processes");
        rc = mmsc_run_real(&r->sc, &ro, r->real, &d);
    }
    progress_end(&pg);
    if (rc < 0) {
        if (!d.file[0])
            snprintf(d.file, sizeof d.file, "%s", r->name);
        return cli_diag(&d);
    }
    return 0;
}

/* A real column: the count, or null where the line did not run for real. */
static void json_real(out_json_t *j, const char *key, const mmsc_result_t *r, int64_t v)
{
    if (r->ran)
        out_json_i64(j, key, v);
    else
        out_json_null(j, key);
}

static void real_json_row(out_json_t *j, const mmsc_op_t *op, const mmsc_result_t *m, const mmsc_result_t *r,
                          int differs)
{
    out_json_obj(j, NULL);
    out_json_str(j, "op", op->text);
    out_json_u64(j, "line", op->line);
    out_json_i64(j, "model_minflt", m->minflt);
    json_real(j, "real_minflt", r, r->minflt);
    out_json_i64(j, "model_majflt", m->majflt);
    json_real(j, "real_majflt", r, r->majflt);
    out_json_i64(j, "model_vmas", m->vmas);
    json_real(j, "real_vmas", r, r->vmas);
    out_json_i64(j, "model_segv", m->segv);
    out_json_i64(j, "real_segv", r->segv);
    out_json_bool(j, "match", !differs);
    if (op->reason[0])
        out_json_str(j, "declared", op->reason);
    else
        out_json_null(j, "declared");
    if (!r->ran)
        out_json_str(j, "note", r->note);
    out_json_end(j);
}

static void real_text_row(FILE *f, const mmsc_op_t *op, const mmsc_result_t *m, const mmsc_result_t *r, int differs)
{
    char rm[24] = "-", rj[24] = "-", rv[24] = "-";
    int declared = op->reason[0] != 0;
    if (r->ran) {
        snprintf(rm, sizeof rm, "%lld", (long long)r->minflt);
        snprintf(rj, sizeof rj, "%lld", (long long)r->majflt);
        snprintf(rv, sizeof rv, "%lld", (long long)r->vmas);
    }
    fprintf(f, "%-40.40s model/real minflt %lld/%s majflt %lld/%s vmas %lld/%s  %s%s%s\n", op->text,
            (long long)m->minflt, rm, (long long)m->majflt, rj, (long long)m->vmas, rv,
            !r->ran ? r->note : differs ? (declared ? "differs, declared: " : "DIFFERS") : "ok",
            differs && declared ? op->reason : "", "");
}

/* --real: model and kernel side by side, a line an operation; 1 when they
 * differ where the scenario does not say why, else 0. */
static int print_real(out_format_t fmt, const mm_run_t *r)
{
    out_json_t j;
    int status = 0;
    if (fmt == OUT_JSON) {
        out_json_init(&j, r->mem, 1);
        out_json_arr(&j, NULL);
    }
    for (size_t i = 0; i < r->sc.n; i++) {
        const mmsc_op_t *op = &r->sc.ops[i];
        const mmsc_result_t *m = &r->model[i], *k = &r->real[i];
        int differs = k->ran && (m->minflt != k->minflt || m->majflt != k->majflt || m->vmas != k->vmas ||
                                 m->segv != k->segv);
        if (differs && !op->reason[0])
            status = 1;
        if (fmt == OUT_JSON)
            real_json_row(&j, op, m, k, differs);
        else
            real_text_row(r->mem, op, m, k, differs);
    }
    if (fmt == OUT_JSON) {
        out_json_end(&j);
        out_json_done(&j);
    }
    return status;
}

static void print_json(const mm_run_t *r)
{
    out_json_t j;
    out_json_init(&j, r->mem, 1);
    out_json_obj(&j, NULL);
    out_json_str(&j, "scenario", r->name);
    out_json_arr(&j, "ops");
    for (size_t i = 0; i < r->sc.n; i++) {
        const mmsc_result_t *m = &r->model[i];
        out_json_obj(&j, NULL);
        out_json_u64(&j, "line", r->sc.ops[i].line);
        out_json_str(&j, "op", r->sc.ops[i].text);
        out_json_i64(&j, "minflt", m->minflt);
        out_json_i64(&j, "majflt", m->majflt);
        out_json_i64(&j, "vmas", m->vmas);
        out_json_i64(&j, "errno", -m->rc);
        out_json_i64(&j, "segv", m->segv);
        if (r->sc.ops[i].kind == MOP_WALK)
            json_walk(&j, m, mm_sys_arch(r->sys) == MM_ARCH_I386 ? 2 : 4);
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_end(&j);
    out_json_done(&j);
}

static void print_csv(const mm_run_t *r)
{
    fprintf(r->mem, "line,op,minflt,majflt,vmas,rc,segv\n");
    for (size_t i = 0; i < r->sc.n; i++) {
        const mmsc_result_t *m = &r->model[i];
        fprintf(r->mem, "%lu,", r->sc.ops[i].line);
        out_csv_field(r->mem, r->sc.ops[i].text);
        fprintf(r->mem, ",%lld,%lld,%lld,%d,%d\n", (long long)m->minflt, (long long)m->majflt, (long long)m->vmas,
                -m->rc, m->segv);
    }
}

/* Text: the lines that faulted or failed (--explain has narrated them all). */
static void print_text(const mm_run_t *r)
{
    for (size_t i = 0; i < r->sc.n; i++) {
        const mmsc_result_t *m = &r->model[i];
        if (m->minflt || m->majflt || m->rc || m->segv)
            fprintf(r->mem, "%lu: %-40s minflt %lld majflt %lld vmas %lld%s%s\n", r->sc.ops[i].line,
                    r->sc.ops[i].text, (long long)m->minflt, (long long)m->majflt, (long long)m->vmas,
                    m->segv ? (m->segv == 1 ? " SIGSEGV(MAPERR)" : " SIGSEGV(ACCERR)") : "", m->rc ? " error" : "");
    }
}

/* The one result after the run's own text, all to stdout: the exit status. */
static int print(const mm_cli_t *o, mm_run_t *r)
{
    int status = 0;
    if (o->real)
        status = print_real(o->output, r);
    else if (o->output == OUT_JSON)
        print_json(r);
    else if (o->output == OUT_CSV)
        print_csv(r);
    else if (!o->run.explain)
        print_text(r);
    fclose(r->mem);
    r->mem = NULL;
    fwrite(r->tbuf, 1, r->tlen, stdout);
    return status;
}

static void run_free(mm_run_t *r)
{
    if (r->mem)
        fclose(r->mem);
    free(r->tbuf);
    mm_sys_destroy(r->sys);
    free(r->model), free(r->real), mmsc_free(&r->sc);
}

int cmd_mm(int argc, char **argv)
{
    mm_cli_t o;
    mm_run_t r;
    memset(&r, 0, sizeof r);
    int rc = parse(&o, argc, argv);
    if (rc == 0 && (rc = run(&o, &r)) == 0)
        rc = print(&o, &r);
    run_free(&r);
    return rc == CLI_SERVED ? CLI_OK : rc;
}
