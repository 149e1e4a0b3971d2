/* SPDX-License-Identifier: MIT */
/*
 * cmd_plot.c - `vmlab plot addresses|curves|wss INPUT -o OUT.png|OUT.svg`:
 * write OUT's data (OUT.dat) and gnuplot script (OUT.gp), then run gnuplot
 * on the script.  Without gnuplot, the two files stay and the message says
 * how to render them.  Both files go through env_out (atomic); an input with
 * nothing to plot is an error and leaves no files.
 *
 * parse() fills a plot_cli_t; one function per kind (curves, addresses, wss)
 * writes the data and the script; render() runs gnuplot.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/progress.h"
#include "base/vec.h"
#include "cli/cli.h"
#include "malloc/replay.h"
#include "mrc/opt_stack.h"
#include "vmlab/env.h"
#include "vmlab/mrc.h"
#include "vmlab/plot.h"
#include "vmlab/trace.h"

static const char plot_help[] =
    "usage: vmlab plot addresses TRACE -o OUT.png|OUT.svg [-F FORMAT] [--page-size B]\n"
    "                  [--from N] [--to N] [--addr-min A] [--addr-max A]\n"
    "       vmlab plot curves MRC.csv|TRACE -o OUT.png|OUT.svg [--ratio] [--log AXES]\n"
    "                  [-p POLICIES]\n"
    "       vmlab plot wss TRACE --tau N -o OUT.png|OUT.svg [-F FORMAT] [--page-size B]\n"
    "       vmlab plot heap REP -p DESIGN -o OUT.png|OUT.svg [--align 8|16]\n"
    "\n"
    "Pictures with gnuplot (PNG or SVG, chosen by OUT's extension):\n"
    "  addresses  virtual address against time, reads, writes and instruction\n"
    "             fetches in three colours (the classic scatter plot of a\n"
    "             program's locality); far-apart regions (heap and stack) get a\n"
    "             strip each; one dot per pixel-sized cell and kind is kept\n"
    "  curves     the fault curves of several policies on one chart, from\n"
    "             `vmlab mrc --output csv`, or from a trace (run through\n"
    "             `vmlab mrc -p POLICIES`, its CSV kept as OUT.csv, the trace's\n"
    "             name in the title); frames on a log scale when they span two\n"
    "             decades, so the knee of the curve shows\n"
    "  wss        working-set size W(t, tau) over time: distinct pages among the\n"
    "             last tau references (Denning 1968)\n"
    "  heap       a malloc-lab trace (.rep, or gen:KIND:SEED) replayed under a\n"
    "             design, drawn as a map: heap offset against time, payload,\n"
    "             headers and padding, and free bytes in three colours\n"
    "Writes OUT's data to OUT.dat and the script to OUT.gp beside it, then runs\n"
    "gnuplot; without gnuplot it keeps both, says how to render them, exits 1.\n"
    "\n"
    "  -o, --out OUT          the picture (.png or .svg), required\n"
    "  -F, --format F         trace format: @FORMATS@ (default: detected)\n"
    "  -P, --multi-pid        text lines start with a decimal pid column\n"
    "      --no-progress      no progress line (shown on a terminal for long runs)\n"
    "      --page-size BYTES  addresses: granularity (default 1: byte addresses);\n"
    "                         wss: page size (default 4096)\n"
    "      --from N, --to N   addresses: references [N, M) only (default: all)\n"
    "      --addr-min A, --addr-max A\n"
    "                         addresses: the window [A, B] only (0x hex allowed)\n"
    "      --tau N            wss: window in references (default 10000)\n"
    "      --ratio            curves: miss ratio on the y axis instead of faults\n"
    "  -p, --policy LIST      curves of a trace: the policies (default lru,opt);\n"
    "                         heap: the one design, as in `vmlab malloc replay -p`\n"
    "      --log AXES         curves: x, y, xy or none (default: x when the frame\n"
    "                         counts span 100x or more, else none)\n"
    "      --max-points N     rows plotted at most (addresses: by coarser cells,\n"
    "                         default 30000 for PNG, 8000 for SVG; wss: evenly\n"
    "                         spaced, default 2000); heap: columns (200)\n"
    "      --design D         heap: the same as -p (default segfit; `vmlab malloc\n"
    "                         replay --list`)\n"
    "      --align N          heap: payload alignment, 8 (default) or 16\n"
    "      --title T          chart title (default: the kind and the input's name)\n"
    "  -h, --help             this help\n"
    "  environment: VMLAB_GNUPLOT, the gnuplot to run (default: gnuplot in PATH)\n"
    "\n"
    "example: vmlab mrc -p lru,opt,fifo --output csv -o c.csv t.rw && vmlab plot curves c.csv -o c.png\n";

enum { K_ADDR, K_CURVES, K_WSS, K_HEAP };
static const char *const kind_names[] = {"addresses", "curves", "wss", "heap"}; /* by K_* */

/* Run gnuplot on `script` (cli.h). */
int cli_gnuplot(const char *script)
{
    const char *gp = getenv("VMLAB_GNUPLOT"), *path = getenv("PATH");
    char buf[4096];
    pid_t pid;
    int status;
    if (gp && *gp) {
        if (access(gp, X_OK))
            return 1;
    } else {
        gp = NULL;
        while (path && *path && !gp) {
            const char *colon = strchr(path, ':');
            size_t len = colon ? (size_t)(colon - path) : strlen(path);
            snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)(len ? len : 1), len ? path : ".");
            if (access(buf, X_OK) == 0)
                gp = buf;
            path = colon ? colon + 1 : NULL;
        }
        if (!gp)
            return 1;
    }
    fflush(NULL);
    if ((pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        execl(gp, gp, script, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Long options without a short form. */
enum { O_PAGE_SIZE = CLI_OPT_BASE, O_TAU, O_RATIO, O_MAX_POINTS, O_TITLE, O_FROM, O_TO,
       O_ADDR_MIN, O_ADDR_MAX, O_LOG, O_NO_PROGRESS, O_DESIGN, O_ALIGN };
static const char *const log_names[] = {"none", "x", "y", "xy", "auto"}; /* bit 0 x, bit 1 y */

static const struct option plot_opts[] = {
    {"out", required_argument, 0, 'o'},
    {"format", required_argument, 0, 'F'},
    {"page-size", required_argument, 0, O_PAGE_SIZE},
    {"tau", required_argument, 0, O_TAU},
    {"ratio", no_argument, 0, O_RATIO},
    {"max-points", required_argument, 0, O_MAX_POINTS},
    {"title", required_argument, 0, O_TITLE},
    {"from", required_argument, 0, O_FROM},
    {"to", required_argument, 0, O_TO},
    {"addr-min", required_argument, 0, O_ADDR_MIN},
    {"addr-max", required_argument, 0, O_ADDR_MAX},
    {"log", required_argument, 0, O_LOG},
    {"multi-pid", no_argument, 0, 'P'},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {"policy", required_argument, 0, 'p'},
    {"design", required_argument, 0, O_DESIGN},
    {"align", required_argument, 0, O_ALIGN},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The command line, parsed; po is what the library's script writers read. */
typedef struct plot_cli {
    int kind;              /* K_* */
    const char *input;     /* the TRACE or MRC.csv */
    const char *title;     /* --title, NULL: the kind's default */
    char dat[4200];        /* OUT.dat */
    char gp[4200];         /* OUT.gp */
    char tbuf[4400];       /* the default title */
    uint64_t max_points;   /* --max-points */
    uint64_t from, to;     /* --from, --to: references [from, to); to 0: the end */
    uint64_t amin, amax;   /* --addr-min, --addr-max: the address window */
    int log;               /* --log: index in log_names (4: auto) */
    int progress;          /* 0: --no-progress */
    const char *policies;  /* -p, for curves of a trace; NULL: mrc's default */
    const char *fmt_arg;   /* -F as given, passed on to mrc */
    const char *page_arg;  /* --page-size as given, passed on to mrc */
    char csv[4200];        /* curves of a trace: OUT.csv, mrc's output */
    int page_bits;         /* --page-size as log2, -1 if not given */
    trace_opts_t topts;    /* -F */
    plot_opts_t po;        /* output, page size, tau, ratio, svg, title */
    const char *design;    /* heap: --design */
    size_t align;          /* heap: --align */
} plot_cli_t;

enum { TITLE_NAME_MAX = 48 }; /* a path in a title: the title stays in the image */

static int parse_opt(plot_cli_t *o, int c, const char *arg)
{
    uint64_t v;
    int f;
    switch (c) {
    case 'o': o->po.out = arg; return 0;
    case 'F':
        if ((f = trace_format_parse(arg)) < 0)
            return cli_usage("plot", "unknown format '%s' (expected %s)", arg, trace_format_names());
        o->topts.format = (trace_format_t)f;
        o->fmt_arg = arg;
        return 0;
    case 'p': o->policies = arg; return 0;
    case O_PAGE_SIZE:
        o->page_arg = arg;
        if (cli_u64("plot", "--page-size", arg, 1, (uint64_t)1 << 30, &v))
            return CLI_USAGE;
        if (v & (v - 1))
            return cli_usage("plot", "page size %s is not a power of two", arg);
        o->page_bits = __builtin_ctzll(v);
        return 0;
    case O_TAU: return cli_u64("plot", "--tau", arg, 1, UINT64_MAX, &o->po.tau) ? CLI_USAGE : 0;
    case O_RATIO: o->po.ratio = 1; return 0;
    case O_MAX_POINTS:
        return cli_u64("plot", "--max-points", arg, 1, 100000000, &o->max_points) ? CLI_USAGE : 0;
    case O_TITLE: o->title = arg; return 0;
    case 'P': o->topts.multi_pid = 1; return 0;
    case O_NO_PROGRESS: o->progress = 0; return 0;
    case O_FROM: return cli_u64("plot", "--from", arg, 0, UINT64_MAX - 1, &o->from) ? CLI_USAGE : 0;
    case O_TO: return cli_u64("plot", "--to", arg, 1, UINT64_MAX, &o->to) ? CLI_USAGE : 0;
    case O_ADDR_MIN: return cli_u64("plot", "--addr-min", arg, 0, UINT64_MAX, &o->amin) ? CLI_USAGE : 0;
    case O_ADDR_MAX: return cli_u64("plot", "--addr-max", arg, 0, UINT64_MAX, &o->amax) ? CLI_USAGE : 0;
    case O_LOG: return (o->log = cli_choice("plot", "--log", arg, log_names, 4)) < 0 ? CLI_USAGE : 0;
    case O_DESIGN: o->design = arg; return 0;
    case O_ALIGN:
        if (strcmp(arg, "8") != 0 && strcmp(arg, "16") != 0)
            return cli_usage("plot", "--align %s (expected 8 or 16)", arg);
        o->align = (size_t)atoi(arg);
        return 0;
    case 'h': cli_help(plot_help); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

static int parse(plot_cli_t *o, int argc, char **argv)
{
    const char *out;
    size_t blen;
    int c, rc;
    memset(o, 0, sizeof *o);
    o->page_bits = -1;
    o->po.tau = 10000;
    o->amax = UINT64_MAX;
    o->log = 4;
    o->topts = (trace_opts_t){.format = TRACE_AUTO, .page_bits = 12, .pid_opt = "-P"};
    o->progress = 1;
    optind = 1;
    while ((c = cli_getopt("plot", argc, argv, "o:F:Pp:h", plot_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)))
            return rc;
    if (argc - optind != 2)
        return cli_usage("plot", "expected a kind (addresses, curves, wss or heap) and one input");
    if ((o->kind = cli_choice("plot", "plot", argv[optind], kind_names, 4)) < 0)
        return CLI_USAGE;
    o->input = argv[optind + 1];
    if (!(out = o->po.out))
        return cli_usage("plot", "no picture given (expected -o OUT.png or -o OUT.svg)");
    blen = strlen(out);
    if (blen > 4 && strcmp(out + blen - 4, ".svg") == 0)
        o->po.svg = 1;
    else if (!(blen > 4 && strcmp(out + blen - 4, ".png") == 0))
        return cli_usage("plot", "picture '%s' must end in .png or .svg", out);
    if (blen - 4 >= 4096)
        return cli_usage("plot", "picture path too long");
    snprintf(o->dat, sizeof o->dat, "%.*s.dat", (int)(blen - 4), out);
    snprintf(o->gp, sizeof o->gp, "%.*s.gp", (int)(blen - 4), out);
    snprintf(o->csv, sizeof o->csv, "%.*s.csv", (int)(blen - 4), out);
    if (o->page_bits < 0)
        o->page_bits = o->kind == K_ADDR ? 0 : 12;
    o->topts.page_bits = (unsigned)o->page_bits;
    o->po.dat = o->dat, o->po.page_bits = (unsigned)o->page_bits;
    if (!o->max_points)
        o->max_points = o->kind == K_HEAP ? 200 : o->kind != K_ADDR ? 2000
                        : o->po.svg ? 8000 : 30000; /* SVG: a node a dot */
    if (o->kind == K_HEAP && o->policies) { /* -p names the design, as in malloc replay */
        if (o->design && strcmp(o->design, o->policies) != 0)
            return cli_usage("plot", "-p %s and --design %s disagree (expected one design)",
                             o->policies, o->design);
        o->design = o->policies;
    }
    if (!o->design)
        o->design = "segfit";
    if (!o->align)
        o->align = 8;
    if (o->to && o->from >= o->to)
        return cli_usage("plot", "--from %ju is not before --to %ju", (uintmax_t)o->from,
                         (uintmax_t)o->to);
    if (o->amin > o->amax)
        return cli_usage("plot", "--addr-min 0x%jx is above --addr-max 0x%jx", (uintmax_t)o->amin,
                         (uintmax_t)o->amax);
    if (o->kind != K_ADDR && (o->from || o->to || o->amin || o->amax != UINT64_MAX))
        return cli_usage("plot", "--from, --to, --addr-min and --addr-max are for addresses");
    if (o->kind != K_CURVES && o->log != 4)
        return cli_usage("plot", "--log is for curves");
    if (o->kind != K_CURVES && o->kind != K_HEAP && o->policies)
        return cli_usage("plot", "-p is for curves of a trace and the design of a heap");
    return 0;
}

/* The title: --title, else the kind's default already in o->tbuf. */
static void set_title(plot_cli_t *o)
{
    o->po.title = o->title ? o->title : o->tbuf;
}

/* curves: the CSV of `vmlab mrc` into od, the script into og. */
/* Whether path is mrc's CSV rather than a trace: it starts with the CSV's
 * header, or is no trace vmlab can read (the CSV reader then says what is
 * wrong with it).  Stdin is taken for a CSV. */
static int is_mrc_csv(const plot_cli_t *o)
{
    static const char head[] = "policy,frames,page_faults,miss_ratio";
    char *data = NULL;
    size_t len = 0;
    trace_t *t = NULL;
    diag_t d;
    int yes;
    if (strcmp(o->input, "-") == 0)
        return 1;
    if (env_read_max(o->input, sizeof head - 1, &data, &len, &d))
        return 1;
    yes = len == sizeof head - 1 && memcmp(data, head, len) == 0;
    free(data);
    if (yes)
        return 1;
    if (trace_open(&t, o->input, &o->topts, &d))
        return 1;
    trace_close(t);
    return 0;
}

/* Curves of a trace: `vmlab mrc` (this very program) writes OUT.csv, whose
 * messages are its own.  0, CLI_USAGE (mrc's) or CLI_ERR. */
static int run_mrc(const plot_cli_t *o)
{
    const char *av[20];
    int n = 0, status;
    pid_t pid;
    av[n++] = "vmlab";
    av[n++] = "mrc";
    av[n++] = "--output";
    av[n++] = "csv";
    av[n++] = "-o";
    av[n++] = o->csv;
    if (o->policies)
        av[n++] = "-p", av[n++] = o->policies;
    if (o->fmt_arg)
        av[n++] = "-F", av[n++] = o->fmt_arg;
    if (o->page_arg)
        av[n++] = "--page-size", av[n++] = o->page_arg;
    if (o->topts.multi_pid)
        av[n++] = "-P";
    if (!o->progress)
        av[n++] = "--no-progress";
    av[n++] = "--";
    av[n++] = o->input;
    av[n] = NULL;
    fflush(NULL);
    if ((pid = fork()) < 0) {
        cli_error("plot: fork: %s", strerror(errno));
        return CLI_ERR;
    }
    if (pid == 0) {
        execv("/proc/self/exe", (char *const *)av);
        fprintf(stderr, "vmlab: plot: cannot run vmlab mrc: %s\n", strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return CLI_ERR;
    if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == CLI_USAGE))
        return WEXITSTATUS(status); /* a bad -p is a usage error of plot too */
    return CLI_ERR;
}

static int plot_curves(plot_cli_t *o, env_out_t *od, env_out_t *og)
{
    char *text = NULL;
    size_t len, n = 0, k;
    plot_point_t *pts = NULL;
    const char **names = NULL;
    const char *csv = o->input;
    diag_t d;
    int rc = 0;
    diag_clear(&d);
    if (!is_mrc_csv(o)) {
        if ((rc = run_mrc(o)))
            return rc; /* mrc said why */
        csv = o->csv;
    } else if (o->policies) {
        return cli_usage("plot", "-p is for curves of a trace, not of a CSV (%s)", o->input);
    }
    if (env_read_text(csv, &text, &len, &d) || plot_parse_csv(csv, text, len, &pts, &n, &d)) {
        free(text);
        return cli_diag(&d);
    }
    free(text);
    if (n == 0) {
        free(pts);
        cli_error("%s: no data to plot (expected rows after the CSV header)", o->input);
        return CLI_ERR;
    }
    if (!(names = calloc(n, sizeof *names))) {
        free(pts);
        return cli_diag(&(diag_t){.msg = "out of memory"});
    }
    k = plot_curves_data(od->fp, pts, n, names);
    o->po.marks = n / k <= 40;
    uint64_t fmin = UINT64_MAX, fmax = 0;
    for (size_t i = 0; i < n; i++) {
        fmin = pts[i].frames < fmin ? pts[i].frames : fmin;
        fmax = pts[i].frames > fmax ? pts[i].frames : fmax;
    }
    int log = o->log == 4 ? (fmax / fmin >= 100) : o->log;
    o->po.logx = log & 1, o->po.logy = (log >> 1) & 1;
    char name[TITLE_NAME_MAX + 1];
    snprintf(o->tbuf, sizeof o->tbuf, "Fault curves: %s",
             plot_short_name(o->input, TITLE_NAME_MAX, name));
    set_title(o);
    if (env_out_open(og, o->gp, &d))
        rc = cli_diag(&d);
    else
        plot_curves_script(og->fp, &o->po, names, k);
    free(pts), free(names);
    return rc;
}

/* The trace with its ops, which trace_pages_t folds into reads and writes. */
typedef struct addr_trace {
    uint64_t *addr; /* n addresses, rounded down to --page-size */
    uint8_t *op;    /* n trace_op_t */
    size_t n;       /* references */
} addr_trace_t;

static int load_ops(plot_cli_t *o, addr_trace_t *at, progress_t *pg, diag_t *d)
{
    enum { BATCH = 4096 };
    trace_ref_t *rb = malloc(BATCH * sizeof *rb);
    trace_t *t = NULL;
    size_t cap_a = 0, cap_o = 0;
    ssize_t r = 0;
    int rc;
    uint64_t mask = ~(((uint64_t)1 << o->page_bits) - 1), done, total;
    if (!rb)
        return diag_set(d, o->input, 0, ENOMEM, "out of memory");
    if ((rc = trace_open(&t, o->input, &o->topts, d)) < 0) {
        free(rb);
        return rc;
    }
    while ((r = trace_read(t, rb, BATCH, d)) > 0) {
        size_t k = (size_t)r;
        if (vl_grow((void **)&at->addr, &cap_a, at->n + k, sizeof *at->addr) ||
            vl_grow((void **)&at->op, &cap_o, at->n + k, sizeof *at->op)) {
            r = diag_set(d, o->input, 0, ENOMEM, "out of memory for %zu references", at->n + k);
            break;
        }
        for (size_t i = 0; i < k; i++) {
            at->addr[at->n + i] = rb[i].addr & mask;
            at->op[at->n + i] = rb[i].op;
        }
        at->n += k;
        if (progress_on(pg)) {
            trace_progress(t, &done, &total);
            progress_update(pg, done, total, at->n);
        }
    }
    trace_close(t);
    free(rb);
    return r < 0 ? (int)r : 0;
}

/* addresses: (time, address, op, band) rows, one per cell of a pixel grid. */
static int plot_addresses(plot_cli_t *o, env_out_t *od, env_out_t *og)
{
    addr_trace_t at = {0};
    diag_t d;
    long nb, rows;
    size_t from, to, m = 0;
    uint64_t *in = NULL;
    char name[TITLE_NAME_MAX + 1];
    progress_t pg;
    diag_clear(&d);
    /* One line through the three phases a long trace makes slow: reading,
     * sorting the addresses for the bands, drawing the grid. */
    progress_start(&pg, NULL, stderr, o->progress, "plot", o->input, "references read");
    if (load_ops(o, &at, &pg, &d)) {
        progress_end(&pg);
        free(at.addr), free(at.op);
        return cli_diag(&d);
    }
    if (at.n == 0) {
        progress_end(&pg);
        free(at.addr), free(at.op);
        cli_error("%s: no data to plot (expected at least one reference)", o->input);
        return CLI_ERR;
    }
    from = o->from < at.n ? (size_t)o->from : at.n;
    to = o->to && o->to < at.n ? (size_t)o->to : at.n;
    /* The bands come from the addresses shown: those in range and window. */
    if (from < to && !(in = malloc((to - from) * sizeof *in))) {
        progress_end(&pg);
        free(at.addr), free(at.op);
        return cli_diag(&(diag_t){.msg = "out of memory"});
    }
    for (size_t t = from; t < to; t++)
        if (at.addr[t] >= o->amin && at.addr[t] <= o->amax)
            in[m++] = at.addr[t];
    if (m == 0) {
        progress_end(&pg);
        free(in), free(at.addr), free(at.op);
        cli_error("%s: no reference in references [%ju, %ju) and addresses [0x%jx, 0x%jx] "
                  "(expected --from/--to within %zu references and a window holding some)",
                  o->input, (uintmax_t)o->from, (uintmax_t)(o->to ? o->to : at.n),
                  (uintmax_t)o->amin, (uintmax_t)o->amax, at.n);
        return CLI_ERR;
    }
    progress_set_unit(&pg, "addresses being sorted into bands");
    progress_update(&pg, 0, 0, m);
    nb = plot_address_bands(in, m, o->po.band);
    free(in);
    progress_set_unit(&pg, "references being drawn");
    progress_update(&pg, 0, 0, to - from);
    o->po.nbands = nb > 0 ? (size_t)nb : 0;
    o->po.from = from, o->po.to = to;
    rows = nb > 0 ? plot_addresses_data(od->fp, at.addr, at.op, from, to, o->po.band, o->po.nbands,
                                        o->max_points, o->po.nops)
                  : nb;
    progress_end(&pg);
    free(at.addr), free(at.op);
    if (rows < 0)
        return cli_diag(&(diag_t){.msg = "out of memory"});
    snprintf(o->tbuf, sizeof o->tbuf, "Addresses over time: %s (%zu references%s)",
             plot_short_name(o->input, TITLE_NAME_MAX, name), to - from,
             (size_t)rows < to - from ? ", a dot per pixel" : "");
    set_title(o);
    if (env_out_open(og, o->gp, &d))
        return cli_diag(&d);
    plot_addresses_script(og->fp, &o->po);
    return 0;
}

/* wss: W(t, tau) over time. */
static int plot_wss(plot_cli_t *o, const trace_pages_t *tp, env_out_t *od, env_out_t *og)
{
    uint64_t *key = NULL;
    uint32_t *id = NULL, V = 0;
    long rows = -ENOMEM;
    diag_t d;
    diag_clear(&d);
    if (mrc_keys(tp, &key, &d))
        return cli_diag(&d);
    if ((id = malloc(tp->n * sizeof *id)) && opt_dense_ids(key, tp->n, id, &V) == 0)
        rows = plot_wss_data(od->fp, id, tp->n, V, o->po.tau, o->max_points);
    free(id), free(key);
    if (rows < 0)
        return cli_diag(&(diag_t){.msg = "out of memory"});
    char name[TITLE_NAME_MAX + 1];
    snprintf(o->tbuf, sizeof o->tbuf, "Working-set size: %s (%zu references, %u pages)",
             plot_short_name(o->input, TITLE_NAME_MAX, name), tp->n, V);
    o->po.from = 0, o->po.to = tp->n;
    set_title(o);
    if (env_out_open(og, o->gp, &d))
        return cli_diag(&d);
    plot_wss_script(og->fp, &o->po);
    return 0;
}

/* heap: the map's columns.  A column's spans are binned to HEAP_BINS
 * stretches of the heap (about a pixel each); runs of bins of one kind
 * make one row "op offset length kind", and a bin of several kinds gets
 * one row per kind, its length in proportion to the kind's bytes: the file
 * stays at most 3 * HEAP_BINS rows a column however many blocks the heap
 * has, and holes between small blocks still show. */
#define HEAP_BINS 500

typedef struct heap_plot {
    FILE *f;                     /* the .dat file */
    size_t rows;                 /* rows written */
    size_t heap_max;             /* the largest heap size seen */
    size_t bytes[HEAP_BINS][4];  /* per bin: bytes of each MR_* kind */
} heap_plot_t;

static void heap_row(heap_plot_t *hp, size_t op, size_t off, size_t len, int kind)
{
    fprintf(hp->f, "%zu %zu %zu %d\n", op, off, len, kind);
    hp->rows++;
}

static int heap_column(void *ctx, const mr_sample_t *s, const mr_span_t *spans, size_t nspans)
{
    heap_plot_t *hp = ctx;
    size_t q = (s->heap_bytes + HEAP_BINS - 1) / HEAP_BINS, start = 0;
    int run = 0;
    if (q == 0)
        return 0;
    memset(hp->bytes, 0, sizeof hp->bytes);
    for (size_t i = 0; i < nspans; i++) {
        size_t off = spans[i].off, end = off + spans[i].len;
        while (off < end) {
            size_t b = off / q, stop = (b + 1) * q < end ? (b + 1) * q : end;
            if (b >= HEAP_BINS)
                break;
            hp->bytes[b][spans[i].kind] += stop - off;
            off = stop;
        }
    }
    for (size_t b = 0; b <= HEAP_BINS; b++) {
        int kind = 0, mixed = 0;
        for (int k = MR_PAYLOAD; b < HEAP_BINS && k <= MR_FREE; k++)
            if (hp->bytes[b][k]) {
                mixed = kind != 0;
                kind = k;
            }
        if (kind != run || mixed) {
            if (run)
                heap_row(hp, s->op, start * q, (b - start) * q, run);
            run = mixed ? 0 : kind;
            start = b;
        }
        if (mixed) {
            /* the bin's kinds side by side, in proportion: drawn in less
             * than a pixel, they blend into the bin's mixture */
            size_t off = b * q, tot = 0, len;
            for (int k = MR_PAYLOAD; k <= MR_FREE; k++)
                tot += hp->bytes[b][k];
            for (int k = MR_PAYLOAD; k <= MR_FREE; k++)
                if ((len = hp->bytes[b][k] * q / tot) != 0) {
                    heap_row(hp, s->op, off, len, k);
                    off += len;
                }
        }
    }
    if (s->heap_bytes > hp->heap_max)
        hp->heap_max = s->heap_bytes;
    return ferror(hp->f) ? -EIO : 0;
}

static int plot_heap(plot_cli_t *o, env_out_t *od, env_out_t *og)
{
    mr_trace_t t;
    heap_plot_t *hp = calloc(1, sizeof *hp);
    mr_opts_t mo = {o->align, 0, 0, 0, 1};
    size_t every;
    diag_t d;
    int rc;
    diag_clear(&d);
    if (!hp)
        return cli_diag(&(diag_t){.msg = "out of memory"});
    hp->f = od->fp;
    if (strcmp(o->design, "libc") == 0)
        return free(hp), cli_usage("plot", "--design libc: its heap cannot be walked (expected a design "
                         "from 'vmlab malloc replay --list')");
    if (cli_malloc_load_trace(o->input, &t, &d)) {
        free(hp);
        return cli_diag(&d);
    }
    every = (t.nops + o->max_points - 1) / o->max_points;
    rc = mr_sample_run(&t, o->design, &mo, every, 1, heap_column, hp);
    if (rc == -ENOENT) {
        mr_trace_free(&t);
        free(hp);
        return cli_usage("plot", "unknown design '%s' (expected one from 'vmlab malloc replay "
                         "--list')", o->design);
    }
    if (rc) {
        cli_error("%s: %s: %s", o->input, o->design,
                  rc == -EIO && !ferror(od->fp) ? "out of memory in the arena" : strerror(-rc));
        mr_trace_free(&t);
        free(hp);
        return CLI_ERR;
    }
    char name[TITLE_NAME_MAX + 1];
    snprintf(o->tbuf, sizeof o->tbuf, "Heap map: %s under %s (%zu operations)",
             plot_short_name(o->input, TITLE_NAME_MAX, name), o->design, t.nops);
    set_title(o);
    if (env_out_open(og, o->gp, &d)) {
        mr_trace_free(&t);
        free(hp);
        return cli_diag(&d);
    }
    plot_heap_script(og->fp, &o->po, t.nops, hp->heap_max, (t.nops + every - 1) / every,
                     hp->rows);
    mr_trace_free(&t);
    free(hp);
    return 0;
}

/* wss reads a trace as pages. */
static int plot_trace(plot_cli_t *o, env_out_t *od, env_out_t *og)
{
    trace_pages_t tp;
    diag_t d;
    int rc;
    progress_t pg;
    trace_opts_t topts = o->topts;
    diag_clear(&d);
    progress_start(&pg, NULL, stderr, o->progress, "plot", o->input, "references read");
    topts.progress = progress_cb;
    topts.progress_ctx = &pg;
    rc = trace_load_pages(o->input, &topts, (unsigned)o->page_bits, &tp, &d);
    progress_end(&pg);
    if (rc)
        return cli_diag(&d);
    if (tp.n == 0) {
        cli_error("%s: no data to plot (expected at least one reference)", o->input);
        rc = CLI_ERR;
    } else {
        rc = plot_wss(o, &tp, od, og);
    }
    trace_pages_free(&tp);
    return rc;
}

/* Run gnuplot on the committed files: 0 or CLI_ERR (without gnuplot the
 * files stay, the message says how to render them, and no picture is an
 * error: a script must not take exit 0 for a picture written). */
static int render(const plot_cli_t *o)
{
    switch (cli_gnuplot(o->gp)) {
    case 0: return CLI_OK;
    case 1:
        cli_error("plot: gnuplot not found%s; wrote %s and %s (render with: gnuplot %s, "
                  "or install gnuplot-nox)", getenv("VMLAB_GNUPLOT") ? " at $VMLAB_GNUPLOT" : "",
                  o->gp, o->dat, o->gp);
        return CLI_ERR;
    default:
        cli_error("plot: gnuplot failed on %s (its message is above)", o->gp);
        remove(o->po.out);
        return CLI_ERR;
    }
}

int cmd_plot(int argc, char **argv)
{
    plot_cli_t o;
    env_out_t od, og = {0};
    diag_t d;
    int rc = parse(&o, argc, argv);
    diag_clear(&d);
    if (rc)
        return rc == CLI_SERVED ? CLI_OK : rc;
    if (env_out_open(&od, o.dat, &d))
        return cli_diag(&d);
    rc = o.kind == K_CURVES ? plot_curves(&o, &od, &og)
         : o.kind == K_ADDR ? plot_addresses(&o, &od, &og)
         : o.kind == K_HEAP ? plot_heap(&o, &od, &og)
                            : plot_trace(&o, &od, &og);
    if (rc) {
        env_out_abort(&od);
        if (og.fp)
            env_out_abort(&og);
        return rc;
    }
    if (env_out_commit(&od, &d)) {
        env_out_abort(&og);
        return cli_diag(&d);
    }
    if (env_out_commit(&og, &d))
        return cli_diag(&d);
    return render(&o);
}
