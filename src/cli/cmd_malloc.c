/* SPDX-License-Identifier: MIT */
/*
 * cmd_malloc.c - `vmlab malloc`: replay malloc-lab traces under every
 * allocator design (`replay`), or record a program's allocations as a trace
 * (`record`, in cmd_malloc_record.c).
 *
 * Every trace is read and parsed before anything runs, so a malformed line
 * gives one error and no table.
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

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Long options of `malloc replay` without a short form. */
enum { O_OUTPUT = CLI_OPT_BASE, O_DEFER_COALESCE, O_LOW_PLACEMENT, O_CANARY, O_FRAG, O_EVERY,
       O_NO_PROGRESS };

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

/* --frag for every trace and design. */
static int frag_all(mr_trace_t *tr, int ntr, char **names, const char **pol, int npol,
                    const mr_opts_t *mo, size_t every, out_format_t fmt)
{
    frag_out_t f = {.fmt = fmt};
    int rc = CLI_OK;
    if (fmt == OUT_JSON) {
        out_json_init(&f.j, stdout, OUT_JSON_LINES);
        out_json_arr(&f.j, NULL);
    } else if (fmt == OUT_CSV) {
        printf("trace,policy,op,heap_bytes,free_bytes,largest_free,free_blocks,external,"
               "payload,alloc_bytes,live_blocks,internal\n");
    } else {
        printf("%-20s %-15s %8s %10s %10s %10s %7s %10s %10s %8s\n", "trace", "policy", "op",
               "heap", "free", "largest", "ext", "payload", "alloc", "int");
    }
    for (int i = 0; i < ntr && rc == CLI_OK; i++)
        for (int k = 0; k < npol && rc == CLI_OK; k++) {
            size_t ev = every ? every : (tr[i].nops + 199) / 200;
            int e;
            f.trace = base_name(names[i]);
            f.policy = pol[k];
            if (strcmp(pol[k], "libc") == 0 || strcmp(pol[k], "offline") == 0 ||
                strcmp(pol[k], "bound") == 0) {
                cli_error("--frag: %s's heap cannot be walked (expected vmlab designs)", pol[k]);
                return CLI_USAGE;
            }
            e = mr_sample_run(&tr[i], pol[k], mo, ev, 0, frag_row, &f);
            if (e) {
                cli_error("%s: %s: %s", names[i], pol[k],
                          e == -EIO && !ferror(stdout) ? "out of memory in the arena" : strerror(-e));
                rc = CLI_ERR;
            }
        }
    if (fmt == OUT_JSON) {
        out_json_end(&f.j);
        out_json_done(&f.j);
    }
    fflush(stdout);
    return rc;
}

static int cmd_malloc_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policy", required_argument, 0, 'p'}, {"align", required_argument, 0, 'a'},
        {"output", required_argument, 0, O_OUTPUT}, {"time", required_argument, 0, 't'},
        {"samples", required_argument, 0, 's'}, {"list", no_argument, 0, 'l'},
        {"grow", required_argument, 0, 'g'},  {"defer-coalesce", no_argument, 0, O_DEFER_COALESCE},
        {"low-placement", no_argument, 0, O_LOW_PLACEMENT}, {"canary", no_argument, 0, O_CANARY},
        {"no-progress", no_argument, 0, O_NO_PROGRESS},
        {"frag", no_argument, 0, O_FRAG},      {"every", required_argument, 0, O_EVERY},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
    };
    const char *pol[MAX_POLICIES];
    char *policy_arg = NULL, *end, *policy_copy = NULL;
    int npol = 0, c, samples = 3, ntr, failed = 0, rc = CLI_OK, frag = 0, progress = 1;
    uint64_t every = 0;
    uint64_t v;
    size_t align = 8, grow = 0;
    unsigned flags = 0;
    double secs = 0.05;
    mr_trace_t *tr = NULL;
    mr_result_t *res = NULL;
    out_format_t output = OUT_TEXT;
    diag_t d;

    optind = 1;
    while ((c = cli_getopt("malloc", argc, argv, "p:a:t:s:g:lh", opts)) != -1) {
        switch (c) {
        case 'p': policy_arg = optarg; break;
        case O_NO_PROGRESS: progress = 0; break;
        case 'a':
            if (strcmp(optarg, "8") != 0 && strcmp(optarg, "16") != 0)
                return cli_usage("malloc", "--align %s (expected 8 or 16)", optarg);
            align = (size_t)atoi(optarg);
            break;
        case O_OUTPUT:
            if (cli_output("malloc", optarg, OUT_ACCEPT_ALL, &output))
                return CLI_USAGE;
            break;
        case 't':
            errno = 0;
            secs = strtod(optarg, &end);
            if (errno || *end || end == optarg || secs < 0 || secs > 60)
                return cli_usage("malloc", "--time '%s' (expected seconds, 0..60)", optarg);
            break;
        case 's':
            if (cli_u64("malloc", "--samples", optarg, 1, 15, &v))
                return CLI_USAGE;
            samples = (int)v;
            break;
        case O_DEFER_COALESCE: flags |= MA_DEFER_COALESCE; break;
        case O_LOW_PLACEMENT: flags |= MA_NO_PLACE_SPLIT; break;
        case O_CANARY: flags |= MA_CANARY; break;
        case O_FRAG: frag = 1; break;
        case O_EVERY:
            if (cli_u64("malloc", "--every", optarg, 1, UINT64_MAX, &every))
                return CLI_USAGE;
            break;
        case 'g':
            if (cli_u64("malloc", "--grow", optarg, 16, (uint64_t)1 << 30, &v))
                return CLI_USAGE;
            grow = (size_t)v;
            break;
        case 'l':
            for (size_t i = 0; i < ma_ndesigns(); i++)
                printf("%-16s %s\n", ma_design_name(i), ma_design_summary(i));
            printf("%-16s %s\n", "libc", "the C library's malloc, for comparison");
            return CLI_OK;
        case 'h': fputs(malloc_help, stdout); return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind >= argc)
        return cli_usage("malloc", "replay needs at least one TRACE file");
    if (output == OUT_CSV && !frag)
        return cli_usage("malloc", "--output csv needs --frag (expected text or json)");
    if (every && !frag)
        return cli_usage("malloc", "--every needs --frag");
    if (policy_arg) {
        int prc;
        policy_copy = strdup(policy_arg); /* pol[] points into it */
        prc = policy_copy ? parse_policies(policy_copy, pol, &npol) : CLI_ERR;
        if (prc) {
            free(policy_copy);
            return prc;
        }
    } else {
        pol[npol++] = "segfit";
    }
    ntr = argc - optind;
    tr = calloc((size_t)ntr, sizeof *tr);
    res = calloc((size_t)ntr * (size_t)npol, sizeof *res);
    if (!tr || !res) {
        cli_error("out of memory");
        rc = CLI_ERR;
        goto out;
    }
    /* read and parse everything first */
    for (int i = 0; i < ntr; i++) {
        char *text = NULL;
        size_t len;
        const char *path = argv[optind + i];
        diag_clear(&d);
        if (strncmp(path, "gen:", 4) == 0) {
            if (cli_malloc_gen_trace(path, &tr[i], &d) != 0) {
                rc = cli_diag(&d);
                goto out;
            }
            continue;
        }
        if (env_read_text(path, &text, &len, &d) != 0 ||
            mr_parse(path, text, len, (size_t)env_mem_bytes(), &tr[i], &d) != 0) {
            if (d.err)
                cli_diag(&d);
            rc = CLI_ERR;
            if (text)
                free(text);
            goto out;
        }
        free(text);
    }
    if (frag) {
        mr_opts_t mo = {align, grow, flags, 0, 1};
        rc = frag_all(tr, ntr, argv + optind, pol, npol, &mo, (size_t)every, output);
        goto out;
    }
    /* Each (trace, design) replay is timed several times: the line names
     * the one running and counts those done. */
    progress_t pg;
    char unit[48], name[4096];
    size_t nruns = (size_t)ntr * (size_t)npol;
    snprintf(unit, sizeof unit, "of %zu replays done", nruns);
    progress_start(&pg, NULL, stderr, progress, "malloc replay", NULL, unit);
    for (int i = 0; i < ntr; i++)
        for (int j = 0; j < npol; j++) {
            mr_result_t *r = &res[i * npol + j];
            mr_opts_t mo = {align, grow, flags, secs, samples};
            size_t k = (size_t)i * (size_t)npol + (size_t)j;
            snprintf(name, sizeof name, "%s: %s", base_name(argv[optind + i]), pol[j]);
            progress_set_name(&pg, name);
            progress_update(&pg, k, nruns, k);
            int e = mr_run(&tr[i], pol[j], &mo, r);
            if (e) {
                progress_end(&pg);
                cli_error("%s: %s: %s", argv[optind + i], pol[j], strerror(-e));
                rc = CLI_ERR;
                goto out;
            }
        }
    progress_end(&pg);
    if (output == OUT_JSON) {
        out_json_t j;
        out_json_init(&j, stdout, OUT_JSON_LINES);
        out_json_arr(&j, NULL);
        for (int i = 0; i < ntr; i++)
            for (int k = 0; k < npol; k++) {
                mr_result_t *r = &res[i * npol + k];
                out_json_obj(&j, NULL);
                out_json_str(&j, "trace", base_name(argv[optind + i]));
                out_json_str(&j, "policy", pol[k]);
                out_json_bool(&j, "valid", r->valid);
                out_json_fixed(&j, "util", r->util, 6);
                out_json_fixed(&j, "ops_per_sec", r->ops_per_sec, 0);
                out_json_end(&j);
            }
        out_json_end(&j);
        out_json_done(&j);
    } else {
        printf("%-20s %-15s %-5s %7s %10s %10s %9s\n", "trace", "policy", "valid", "util",
               "heap", "peak", "Mops/s");
        for (int j = 0; j < npol; j++) {
            double su = 0, sops = 0;
            int nvalid = 0;
            for (int i = 0; i < ntr; i++) {
                mr_result_t *r = &res[i * npol + j];
                printf("%-20s %-15s %-5s ", base_name(argv[optind + i]), pol[j],
                       r->valid ? "yes" : "no");
                if (r->heap_bytes)
                    printf("%6.1f%% %10zu", 100 * r->util, r->heap_bytes);
                else
                    printf("%7s %10s", "n/a", "n/a");
                printf(" %10zu ", tr[i].peak_payload);
                if (r->ops_per_sec > 0)
                    printf("%9.2f", r->ops_per_sec / 1e6);
                else
                    printf("%9s", "-");
                if (r->peak_rss_kb)
                    printf("  (peak RSS %ld KiB)", r->peak_rss_kb);
                printf("\n");
                if (r->valid) {
                    su += r->util;
                    nvalid++;
                }
                sops += r->ops_per_sec;
            }
            if (ntr > 1) {
                printf("%-20s %-15s %2d/%-2d %6.1f%% %10s %10s ", "average", pol[j], nvalid, ntr,
                       100 * su / ntr, "", "");
                if (sops > 0)
                    printf("%9.2f\n", sops / ntr / 1e6);
                else
                    printf("%9s\n", "-");
            }
        }
    }
    fflush(stdout);
    for (int i = 0; i < ntr; i++)
        for (int j = 0; j < npol; j++)
            if (!res[i * npol + j].valid) {
                cli_error("%s: %s: %s", argv[optind + i], pol[j], res[i * npol + j].why);
                failed = 1;
            }
    if (failed)
        rc = CLI_ERR;
out:
    if (tr)
        for (int i = 0; i < ntr; i++)
            mr_trace_free(&tr[i]);
    free(tr);
    free(res);
    free(policy_copy);
    return rc;
}

int cmd_malloc(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("malloc", "expected a subcommand: replay or record");
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
