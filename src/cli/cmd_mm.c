/* SPDX-License-Identifier: MIT */
/*
 * cmd_mm.c - `vmlab mm`: run an address-space scenario on the model (text,
 * JSON or CSV; --explain narrates every fault), list the bundled scenarios,
 * or hold one against the real kernel (--real: one object per operation,
 * exit 1 on an undeclared difference).  Language and contract: docs/mm.md.
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

static const char *opname(const mmsc_op_t *op) { return op->text; }

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

int cmd_mm(int argc, char **argv)
{
    enum { O_ARCH = 256, O_MEM, O_OUTPUT, O_EXPLAIN, O_REAL, O_LIST, O_NO_PROGRESS, O_HELP = 'h' };
    static const struct option lo[] = {{"arch", required_argument, NULL, O_ARCH},
                                       {"mem", required_argument, NULL, O_MEM},
                                       {"output", required_argument, NULL, O_OUTPUT},
                                       {"explain", no_argument, NULL, O_EXPLAIN},
                                       {"real", no_argument, NULL, O_REAL},
                                       {"list", no_argument, NULL, O_LIST},
                                       {"no-progress", no_argument, NULL, O_NO_PROGRESS},
                                       {"help", no_argument, NULL, O_HELP},
                                       {NULL, 0, NULL, 0}};
    mmsc_opts_t o;
    memset(&o, 0, sizeof o);
    out_format_t fmt = OUT_TEXT;
    int real = 0, list = 0, progress = 1, c;
    optind = 1;
    while ((c = cli_getopt("mm", argc, argv, "h", lo)) != -1) {
        switch (c) {
        case O_HELP: fputs(mm_help, stdout); return CLI_OK;
        case O_ARCH:
            if (!strcmp(optarg, "x86_64"))
                o.cfg.arch = MM_ARCH_X86_64;
            else if (!strcmp(optarg, "i386"))
                o.cfg.arch = MM_ARCH_I386;
            else
                return cli_usage("mm", "--arch %s (expected x86_64 or i386)", optarg);
            break;
        case O_MEM: {
            uint64_t v;
            if (cli_u64("mm", "--mem", optarg, 4u << 20, 1ull << 34, &v))
                return CLI_USAGE;
            if (v % (4u << 20))
                return cli_usage("mm", "--mem %s is not a multiple of 4M (expected whole 4 MiB blocks)", optarg);
            o.cfg.mem_bytes = v;
            break;
        }
        case O_OUTPUT:
            if (cli_output("mm", optarg, OUT_ACCEPT_ALL, &fmt))
                return CLI_USAGE;
            break;
        case O_EXPLAIN: o.explain = 1; break;
        case O_REAL: real = 1; break;
        case O_LIST: list = 1; break;
        case O_NO_PROGRESS: progress = 0; break;
        default: return CLI_USAGE; /* cli_getopt said which */
        }
    }
    if (list) {
        size_t n;
        const mmsc_bundled_t *b = mmsc_bundled(&n);
        for (size_t i = 0; i < n; i++)
            printf("%-18s %s\n", b[i].name, b[i].what);
        return 0;
    }
    if (optind + 1 != argc)
        return usage();
    diag_t d;
    diag_clear(&d);
    char *text = NULL;
    size_t len = 0;
    int rc;
    const char *name = load(argv[optind], &text, &len, &d, &rc);
    if (rc < 0) {
        free(text);
        return cli_diag(&d);
    }
    mmsc_t sc;
    rc = mmsc_parse(text, len, name, &sc, &d);
    free(text);
    if (rc < 0)
        return cli_diag(&d);
    mmsc_result_t *res = calloc(sc.n + 1, sizeof *res), *rr = real ? calloc(sc.n + 1, sizeof *rr) : NULL;
    if (!res || (real && !rr)) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    /* Text output goes to a memory buffer first: an error leaves nothing half-written. */
    char *tbuf = NULL;
    size_t tlen = 0;
    FILE *mem = open_memstream(&tbuf, &tlen);
    o.out = fmt == OUT_TEXT && !real ? mem : NULL;
    mm_sys_t *sys = NULL;
    /* Output waits in the memory stream until the end: the line is never in
     * front of it. */
    progress_t pg;
    progress_start(&pg, NULL, stderr, progress, "mm", name, "lines run on the model");
    o.progress = progress_cb, o.progress_ctx = &pg;
    rc = mmsc_run_model(&sc, &o, res, &sys, &d);
    if (rc == 0 && real) {
        progress_set_unit(&pg, "lines run in real processes");
        rc = mmsc_run_real(&sc, &o, rr, &d);
    }
    progress_end(&pg);
    if (rc < 0) {
        fclose(mem);
        free(tbuf);
        if (!d.file[0])
            snprintf(d.file, sizeof d.file, "%s", name);
        mm_sys_destroy(sys);
        free(res), free(rr), mmsc_free(&sc);
        return cli_diag(&d);
    }
    int status = 0;
    if (real) {
        out_json_t j;
        if (fmt == OUT_JSON) {
            out_json_init(&j, mem, 1);
            out_json_arr(&j, NULL);
        }
        for (size_t i = 0; i < sc.n; i++) {
            const mmsc_op_t *op = &sc.ops[i];
            const mmsc_result_t *m = &res[i], *r = &rr[i];
            int differs = r->ran && (m->minflt != r->minflt || m->majflt != r->majflt || m->vmas != r->vmas ||
                                     m->segv != r->segv);
            int declared = op->reason[0] != 0;
            if (differs && !declared)
                status = 1;
            if (fmt == OUT_JSON) {
                out_json_obj(&j, NULL);
                out_json_str(&j, "op", opname(op));
                out_json_u64(&j, "line", op->line);
                out_json_i64(&j, "model_minflt", m->minflt);
                if (r->ran) out_json_i64(&j, "real_minflt", r->minflt); else out_json_null(&j, "real_minflt");
                out_json_i64(&j, "model_majflt", m->majflt);
                if (r->ran) out_json_i64(&j, "real_majflt", r->majflt); else out_json_null(&j, "real_majflt");
                out_json_i64(&j, "model_vmas", m->vmas);
                if (r->ran) out_json_i64(&j, "real_vmas", r->vmas); else out_json_null(&j, "real_vmas");
                out_json_i64(&j, "model_segv", m->segv);
                out_json_i64(&j, "real_segv", r->segv);
                out_json_bool(&j, "match", !differs);
                if (declared) out_json_str(&j, "declared", op->reason); else out_json_null(&j, "declared");
                if (!r->ran) out_json_str(&j, "note", r->note);
                out_json_end(&j);
            } else {
                char rm[24] = "-", rj[24] = "-", rv[24] = "-";
                if (r->ran) {
                    snprintf(rm, sizeof rm, "%lld", (long long)r->minflt);
                    snprintf(rj, sizeof rj, "%lld", (long long)r->majflt);
                    snprintf(rv, sizeof rv, "%lld", (long long)r->vmas);
                }
                fprintf(mem, "%-40.40s model/real minflt %lld/%s majflt %lld/%s vmas %lld/%s  %s%s%s\n", opname(op),
                        (long long)m->minflt, rm, (long long)m->majflt, rj, (long long)m->vmas, rv,
                        !r->ran ? r->note : differs ? (declared ? "differs, declared: " : "DIFFERS") : "ok",
                        differs && declared ? op->reason : "", "");
            }
        }
        if (fmt == OUT_JSON) {
            out_json_end(&j);
            out_json_done(&j);
        }
    } else if (fmt == OUT_JSON || fmt == OUT_CSV) {
        out_json_t j;
        if (fmt == OUT_JSON) {
            out_json_init(&j, mem, 1);
            out_json_obj(&j, NULL);
            out_json_str(&j, "scenario", name);
            out_json_arr(&j, "ops");
        } else {
            fprintf(mem, "line,op,minflt,majflt,vmas,rc,segv\n");
        }
        for (size_t i = 0; i < sc.n; i++) {
            const mmsc_result_t *m = &res[i];
            if (fmt == OUT_JSON) {
                out_json_obj(&j, NULL);
                out_json_u64(&j, "line", sc.ops[i].line);
                out_json_str(&j, "op", sc.ops[i].text);
                out_json_i64(&j, "minflt", m->minflt);
                out_json_i64(&j, "majflt", m->majflt);
                out_json_i64(&j, "vmas", m->vmas);
                out_json_i64(&j, "errno", -m->rc);
                out_json_i64(&j, "segv", m->segv);
                if (sc.ops[i].kind == MOP_WALK)
                    json_walk(&j, m, mm_sys_arch(sys) == MM_ARCH_I386 ? 2 : 4);
                out_json_end(&j);
            } else {
                fprintf(mem, "%lu,", sc.ops[i].line);
                out_csv_field(mem, sc.ops[i].text);
                fprintf(mem, ",%lld,%lld,%lld,%d,%d\n", (long long)m->minflt, (long long)m->majflt,
                        (long long)m->vmas, -m->rc, m->segv);
            }
        }
        if (fmt == OUT_JSON) {
            out_json_end(&j);
            out_json_end(&j);
            out_json_done(&j);
        }
    } else {
        if (!o.explain)
            for (size_t i = 0; i < sc.n; i++)
                if (res[i].minflt || res[i].majflt || res[i].rc || res[i].segv)
                    fprintf(mem, "%lu: %-40s minflt %lld majflt %lld vmas %lld%s%s\n", sc.ops[i].line, sc.ops[i].text,
                            (long long)res[i].minflt, (long long)res[i].majflt, (long long)res[i].vmas,
                            res[i].segv ? (res[i].segv == 1 ? " SIGSEGV(MAPERR)" : " SIGSEGV(ACCERR)") : "",
                            res[i].rc ? " error" : "");
    }
    fclose(mem);
    fwrite(tbuf, 1, tlen, stdout);
    free(tbuf);
    mm_sys_destroy(sys);
    free(res), free(rr), mmsc_free(&sc);
    return status;
}
