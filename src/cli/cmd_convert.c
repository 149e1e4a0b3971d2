/* SPDX-License-Identifier: MIT */
/*
 * cmd_convert.c - `vmlab convert`: read a trace in any format vmlab reads
 * (auto-detected or -F) and write it as vmlab's compact binary format, rw
 * text, page numbers or osc addresses; and `vmlab trace-info`, which reads a
 * trace and tells what is in it.
 *
 * Streaming: references go from trace_read() batches straight to the
 * writer, so memory stays constant whatever the trace's length.  The output
 * goes through env_out_open()/env_out_commit(): a malformed input line
 * half way leaves no output file behind.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/progress.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/trace.h"

static const char convert_help[] =
    "usage: vmlab convert [-F FORMAT] [--to vmlab|rw|pages|osc] [--page-size BYTES]\n"
    "                     [-P] [--skip-bad] -o OUT INPUT\n"
    "\n"
    "Convert a memory reference trace ('-': stdin; gzip and zstd input are read\n"
    "transparently) to another format.  vmlab's binary format is several times\n"
    "smaller than text and the fastest input for `vmlab sim`.\n"
    "\n"
    "  -F, --format F      input format: auto (default) or one of\n"
    "                      @FORMATS@ (pages is never auto-detected)\n"
    "  -t, --to F          output format (default vmlab):\n"
    "                        vmlab  binary; addresses kept exactly, or as page\n"
    "                               numbers with --page-size (smaller)\n"
    "                        rw     'HEXADDR R|W' text (ifetch written as R)\n"
    "                        pages  decimal page numbers (addr / page size)\n"
    "                        osc    decimal addresses\n"
    "      --page-size B   page size, a power of two (default 4096): the unit of\n"
    "                      pages input and output; for vmlab output, store page\n"
    "                      numbers and drop the offsets\n"
    "  -P, --multi-pid     text input and output have a leading decimal pid column\n"
    "      --skip-bad      skip malformed input lines (counted on stderr)\n"
    "      --no-progress   no progress line (shown on a terminal for long runs)\n"
    "  -o, --out FILE      output file ('-': stdout), written atomically\n"
    "  -h, --help          this help\n"
    "\n"
    "example: vmlab convert ../shared/data/traces/bzip.trace.gz -o bzip.vmt\n";

static const char info_help[] =
    "usage: vmlab trace-info [-F FORMAT] [--page-size BYTES] [-P] [--skip-bad] TRACE\n"
    "\n"
    "Read a trace and print its format, compression and counts: references,\n"
    "reads, writes, instruction fetches, pids, lines skipped and malformed.\n"
    "\n"
    "  -F, --format F      input format: auto (default) or one of @FORMATS@\n"
    "      --page-size B   page size for page-number input (default 4096)\n"
    "  -P, --multi-pid     text lines start with a decimal pid column\n"
    "      --skip-bad      skip malformed input lines\n"
    "      --no-progress   no progress line (shown on a terminal for long runs)\n"
    "  -h, --help          this help\n";

enum { OPT_PAGE_SIZE = 1, OPT_SKIP_BAD, OPT_NO_PROGRESS };

/* Shared option parsing of convert and trace-info. */
typedef struct conv_args {
    trace_opts_t topts;    /* reader options */
    trace_format_t to;     /* output format */
    int page_size_given;   /* --page-size was given */
    const char *out_path;  /* -o, NULL if not given */
    const char *in_path;   /* the input */
    int no_progress;       /* --no-progress */
} conv_args_t;

static int parse_args(const char *cmd, int argc, char **argv, conv_args_t *a, const char *help)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'F'},  {"to", required_argument, 0, 't'},
        {"page-size", required_argument, 0, OPT_PAGE_SIZE},
        {"multi-pid", no_argument, 0, 'P'},     {"skip-bad", no_argument, 0, OPT_SKIP_BAD},
        {"out", required_argument, 0, 'o'},     {"help", no_argument, 0, 'h'},
        {"no-progress", no_argument, 0, OPT_NO_PROGRESS}, {0, 0, 0, 0},
    };
    int c, f;
    uint64_t v;
    memset(a, 0, sizeof *a);
    a->to = TRACE_VMLAB;
    a->topts.page_bits = 12;
    a->topts.pid_opt = "-P";
    optind = 1;
    while ((c = cli_getopt(cmd, argc, argv, "F:t:Po:h", opts)) != -1) {
        switch (c) {
        case 'F':
            if ((f = trace_format_parse(optarg)) < 0)
                return cli_usage(cmd, "unknown format '%s' (expected auto, %s)", optarg,
                                 trace_format_names());
            a->topts.format = (trace_format_t)f;
            break;
        case 't':
            f = trace_format_parse(optarg);
            if (f != TRACE_VMLAB && f != TRACE_RW && f != TRACE_PAGES && f != TRACE_OSC)
                return cli_usage(cmd, "cannot write format '%s' (expected vmlab, rw, pages or osc)",
                                 optarg);
            a->to = (trace_format_t)f;
            break;
        case OPT_PAGE_SIZE:
            if (cli_u64(cmd, "--page-size", optarg, 2, 1ull << 40, &v))
                return CLI_USAGE;
            if (v & (v - 1))
                return cli_usage(cmd, "page size %s is not a power of two", optarg);
            a->topts.page_bits = (unsigned)__builtin_ctzll(v);
            a->page_size_given = 1;
            break;
        case 'P': a->topts.multi_pid = 1; break;
        case OPT_SKIP_BAD: a->topts.skip_bad = 1; break;
        case OPT_NO_PROGRESS: a->no_progress = 1; break;
        case 'o': a->out_path = optarg; break;
        case 'h': cli_help(help); return -1;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind >= argc)
        return cli_usage(cmd, "no input trace given (expected INPUT, '-' for stdin)");
    a->in_path = argv[optind++];
    if (optind < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    return 0;
}

int cmd_convert(int argc, char **argv)
{
    conv_args_t a;
    int rc = parse_args("convert", argc, argv, &a, convert_help);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (!a.out_path)
        return cli_usage("convert", "no output given (expected -o OUT, '-' for stdout)");
    if (a.to == TRACE_VMLAB && strcmp(a.out_path, "-") == 0 && env_isatty(stdout))
        return cli_usage("convert", "refusing to write a binary trace to a terminal "
                                    "(expected -o FILE, a pipe, or --to rw)");
    diag_t d;
    diag_clear(&d);
    trace_t *t = NULL;
    trace_writer_t *w = NULL;
    env_out_t out;
    int out_open = 0;
    enum { BATCH = 4096 };
    trace_ref_t *buf = malloc(BATCH * sizeof *buf);
    if (!buf) {
        cli_error("out of memory");
        return CLI_ERR;
    }
    if ((rc = trace_open(&t, a.in_path, &a.topts, &d)) < 0)
        goto fail;
    if ((a.to == TRACE_PAGES || a.page_size_given) &&
        (rc = trace_check_page_bits(t, a.topts.page_bits, &d)) < 0)
        goto fail;
    /* Binary output stores page numbers only when asked; page-number input
     * is page-granular anyway, so storing its pages loses nothing. */
    unsigned shift = 0;
    if (a.to == TRACE_PAGES || (a.to == TRACE_VMLAB && (a.page_size_given ||
                                                         trace_format(t) == TRACE_PAGES)))
        shift = a.topts.page_bits;
    if ((rc = env_out_open(&out, a.out_path, &d)) < 0)
        goto fail;
    out_open = 1;
    if ((rc = trace_writer_open(&w, out.fp, a.out_path, a.to, shift, a.topts.multi_pid, &d)) < 0)
        goto fail;
    ssize_t n;
    uint64_t refs = 0, done, total;
    progress_t pg;
    /* Not over the references themselves on the same terminal. */
    progress_start(&pg, NULL, stderr,
                   !a.no_progress && (strcmp(a.out_path, "-") != 0 || !env_isatty(stdout)),
                   "convert", a.in_path, "references converted");
    while ((n = trace_read(t, buf, BATCH, &d)) > 0) {
        if ((rc = trace_write(w, buf, (size_t)n, &d)) < 0) {
            progress_end(&pg);
            goto fail;
        }
        refs += (uint64_t)n;
        if (progress_on(&pg)) {
            trace_progress(t, &done, &total);
            progress_update(&pg, done, total, refs);
        }
    }
    progress_end(&pg);
    if (n < 0) {
        rc = (int)n;
        goto fail;
    }
    rc = trace_writer_finish(w, &d);
    w = NULL;
    if (rc < 0)
        goto fail;
    out_open = 0;
    if ((rc = env_out_commit(&out, &d)) < 0)
        goto fail;
    if (trace_bad_lines(t))
        cli_error("%s: skipped %ju malformed lines", a.in_path, (uintmax_t)trace_bad_lines(t));
    trace_close(t);
    free(buf);
    return CLI_OK;
fail:
    trace_writer_abort(w);
    if (out_open)
        env_out_abort(&out);
    trace_close(t);
    free(buf);
    return cli_diag(&d);
}

int cmd_trace_info(int argc, char **argv)
{
    conv_args_t a;
    int rc = parse_args("trace-info", argc, argv, &a, info_help);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (a.out_path)
        return cli_usage("trace-info", "-o is not an option of trace-info");
    diag_t d;
    diag_clear(&d);
    trace_t *t = NULL;
    enum { BATCH = 4096 };
    static trace_ref_t buf[BATCH];
    uint64_t ops[3] = {0}, refs = 0, pid_changes = 0;
    uint32_t last_pid = 0;
    if (trace_open(&t, a.in_path, &a.topts, &d) < 0)
        return cli_diag(&d);
    uint64_t t0 = env_now_ns(), done, total;
    ssize_t n;
    progress_t pg;
    progress_start(&pg, NULL, stderr, !a.no_progress, "trace-info", a.in_path, "references read");
    while ((n = trace_read(t, buf, BATCH, &d)) > 0) {
        if (progress_on(&pg)) {
            trace_progress(t, &done, &total);
            progress_update(&pg, done, total, refs);
        }
        for (ssize_t i = 0; i < n; i++) {
            ops[buf[i].op < 3 ? buf[i].op : 0]++;
            if (buf[i].pid != last_pid && (refs + (uint64_t)i) > 0)
                pid_changes++;
            last_pid = buf[i].pid;
        }
        refs += (uint64_t)n;
    }
    progress_end(&pg);
    if (n < 0) {
        trace_close(t);
        return cli_diag(&d);
    }
    double secs = (double)(env_now_ns() - t0) / 1e9;
    printf("file:          %s\n", a.in_path);
    printf("format:        %s\n", trace_format_name(trace_format(t)));
    printf("compression:   %s\n", trace_compression(t));
    printf("references:    %ju\n", (uintmax_t)refs);
    printf("reads:         %ju\n", (uintmax_t)ops[TRACE_READ]);
    printf("writes:        %ju\n", (uintmax_t)ops[TRACE_WRITE]);
    printf("ifetches:      %ju\n", (uintmax_t)ops[TRACE_IFETCH]);
    printf("pid switches:  %ju\n", (uintmax_t)pid_changes);
    printf("lines skipped: %ju (blank, comments, banners, program output)\n",
           (uintmax_t)trace_skipped_lines(t));
    printf("malformed:     %ju%s\n", (uintmax_t)trace_bad_lines(t),
           a.topts.skip_bad ? " (skipped)" : "");
    printf("read at:       %.1f M refs/s\n", secs > 0 ? (double)refs / secs / 1e6 : 0.0);
    trace_close(t);
    return CLI_OK;
}
