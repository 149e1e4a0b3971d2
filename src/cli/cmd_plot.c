/*
 * cmd_plot.c - `vmlab plot addresses|curves|wss INPUT -o OUT.png|OUT.svg`:
 * write OUT's data (OUT.dat) and gnuplot script (OUT.gp), then run gnuplot
 * on the script.  Without gnuplot, the two files stay and the message says
 * how to render them.  Both files go through env_out (atomic); an input with
 * nothing to plot is an error and leaves no files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mrc/opt_stack.h"
#include "vmlab/env.h"
#include "vmlab/mrc.h"
#include "vmlab/plot.h"
#include "vmlab/trace.h"

static const char plot_help[] =
    "usage: vmlab plot addresses TRACE -o OUT.png|OUT.svg [-F FORMAT] [--page-size B]\n"
    "       vmlab plot curves MRC.csv  -o OUT.png|OUT.svg [--ratio]\n"
    "       vmlab plot wss TRACE --tau N -o OUT.png|OUT.svg [-F FORMAT] [--page-size B]\n"
    "\n"
    "Pictures with gnuplot (PNG or SVG, chosen by OUT's extension):\n"
    "  addresses  virtual address against time, reads and writes (the classic\n"
    "             scatter plot of a program's locality)\n"
    "  curves     the fault curves of several policies on one chart, from\n"
    "             `vmlab mrc --output csv`\n"
    "  wss        working-set size W(t, tau) over time: distinct pages among the\n"
    "             last tau references (Denning 1968)\n"
    "Writes OUT's data to OUT.dat and the script to OUT.gp beside it, then runs\n"
    "gnuplot; without gnuplot it keeps both and says how to render them.\n"
    "\n"
    "  -o, --out OUT          the picture (.png or .svg), required\n"
    "  -F, --format F         trace format (default: detected)\n"
    "      --page-size BYTES  addresses: granularity (default 1: byte addresses);\n"
    "                         wss: page size (default 4096)\n"
    "      --tau N            wss: window in references (default 10000)\n"
    "      --ratio            curves: miss ratio on the y axis instead of faults\n"
    "      --max-points N     rows plotted at most, evenly spaced (default 200000\n"
    "                         for addresses, 2000 for wss)\n"
    "      --title T          chart title\n"
    "  -h, --help             this help\n"
    "  environment: VMLAB_GNUPLOT, the gnuplot to run (default: gnuplot in PATH)\n"
    "\n"
    "example: vmlab mrc -p lru,opt,fifo --output csv -o c.csv t.rw && vmlab plot curves c.csv -o c.png\n";

enum { K_ADDR, K_CURVES, K_WSS };

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

int cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},      {"format", required_argument, 0, 'F'},
        {"page-size", required_argument, 0, 1},  {"tau", required_argument, 0, 2},
        {"ratio", no_argument, 0, 3},            {"max-points", required_argument, 0, 4},
        {"title", required_argument, 0, 5},      {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out_path = NULL, *kind_s, *input, *title = NULL;
    char base[4096], dat[4200], gp[4200], tbuf[4400];
    uint64_t v, tau = 10000, max_points = 0;
    int kind, c, page_bits = -1, rc = CLI_OK;
    size_t blen;
    trace_opts_t topts = {.format = TRACE_AUTO, .page_bits = 12};
    plot_opts_t po;
    env_out_t od, og;
    diag_t d;

    diag_clear(&d);
    memset(&po, 0, sizeof po);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:F:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'F': {
            int f = trace_format_parse(optarg);
            if (f < 0)
                return cli_usage("plot", "unknown format '%s' (expected osc, rw, ls, lackey, din, "
                                         "pages or vmlab)", optarg);
            topts.format = (trace_format_t)f;
            break;
        }
        case 1:
            if (cli_u64("plot", "--page-size", optarg, 1, (uint64_t)1 << 30, &v))
                return CLI_USAGE;
            if (v & (v - 1))
                return cli_usage("plot", "page size %s is not a power of two", optarg);
            page_bits = __builtin_ctzll(v);
            break;
        case 2:
            if (cli_u64("plot", "--tau", optarg, 1, UINT64_MAX, &tau))
                return CLI_USAGE;
            break;
        case 3: po.ratio = 1; break;
        case 4:
            if (cli_u64("plot", "--max-points", optarg, 1, 100000000, &max_points))
                return CLI_USAGE;
            break;
        case 5: title = optarg; break;
        case 'h': fputs(plot_help, stdout); return CLI_OK;
        default: return cli_usage("plot", "bad option");
        }
    }
    if (argc - optind != 2)
        return cli_usage("plot", "expected a kind (addresses, curves or wss) and one input");
    kind_s = argv[optind], input = argv[optind + 1];
    if (strcmp(kind_s, "addresses") == 0)
        kind = K_ADDR;
    else if (strcmp(kind_s, "curves") == 0)
        kind = K_CURVES;
    else if (strcmp(kind_s, "wss") == 0)
        kind = K_WSS;
    else
        return cli_usage("plot", "unknown plot '%s' (expected addresses, curves or wss)", kind_s);
    if (!out_path)
        return cli_usage("plot", "no picture given (expected -o OUT.png or -o OUT.svg)");
    blen = strlen(out_path);
    if (blen > 4 && strcmp(out_path + blen - 4, ".svg") == 0)
        po.svg = 1;
    else if (!(blen > 4 && strcmp(out_path + blen - 4, ".png") == 0))
        return cli_usage("plot", "picture '%s' must end in .png or .svg", out_path);
    if (blen - 4 >= sizeof base)
        return cli_usage("plot", "picture path too long");
    memcpy(base, out_path, blen - 4);
    base[blen - 4] = '\0';
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    if (page_bits < 0)
        page_bits = kind == K_ADDR ? 0 : 12;
    po.out = out_path, po.dat = dat, po.page_bits = (unsigned)page_bits, po.tau = tau;
    if (!max_points)
        max_points = kind == K_ADDR ? 200000 : 2000;

    if (env_out_open(&od, dat, &d))
        return cli_diag(&d);
    if (kind == K_CURVES) {
        char *text = NULL;
        size_t len, n = 0, k;
        plot_point_t *pts = NULL;
        const char **names = NULL;
        if (env_read_text(input, &text, &len, &d) || plot_parse_csv(input, text, len, &pts, &n, &d)) {
            free(text);
            env_out_abort(&od);
            return cli_diag(&d);
        }
        free(text);
        if (n == 0 || !(names = calloc(n, sizeof *names))) {
            free(pts);
            env_out_abort(&od);
            if (n == 0)
                cli_error("%s: no data to plot (expected rows after the CSV header)", input);
            return CLI_ERR;
        }
        k = plot_curves_data(od.fp, pts, n, names);
        po.marks = n / k <= 40;
        snprintf(tbuf, sizeof tbuf, "Fault curves: %s", input);
        po.title = title ? title : tbuf;
        if (env_out_open(&og, gp, &d)) {
            free(pts), free(names);
            env_out_abort(&od);
            return cli_diag(&d);
        }
        plot_curves_script(og.fp, &po, names, k);
        free(pts), free(names);
    } else {
        trace_pages_t tp;
        topts.page_bits = (unsigned)page_bits;
        if (trace_load_pages(input, &topts, (unsigned)page_bits, &tp, &d)) {
            env_out_abort(&od);
            return cli_diag(&d);
        }
        if (tp.n == 0) {
            trace_pages_free(&tp);
            env_out_abort(&od);
            cli_error("%s: no data to plot (expected at least one reference)", input);
            return CLI_ERR;
        }
        if (kind == K_ADDR) {
            size_t rows;
            uint64_t *addr = malloc(tp.n * sizeof *addr);
            if (!addr) {
                trace_pages_free(&tp);
                env_out_abort(&od);
                cli_error("out of memory");
                return CLI_ERR;
            }
            po.amin = UINT64_MAX, po.amax = 0;
            for (size_t i = 0; i < tp.n; i++) {
                addr[i] = tp.page[i] << page_bits;
                po.amin = addr[i] < po.amin ? addr[i] : po.amin;
                po.amax = addr[i] > po.amax ? addr[i] : po.amax;
            }
            rows = plot_addresses_data(od.fp, addr, tp.write, tp.n, max_points);
            free(addr);
            snprintf(tbuf, sizeof tbuf, "Addresses over time: %s (%zu references%s)", input, tp.n,
                     rows < tp.n ? ", evenly sampled" : "");
            po.title = title ? title : tbuf;
            if (env_out_open(&og, gp, &d)) {
                trace_pages_free(&tp);
                env_out_abort(&od);
                return cli_diag(&d);
            }
            plot_addresses_script(og.fp, &po, rows);
        } else {
            uint64_t *key = NULL;
            uint32_t *id = NULL, V = 0;
            long rows = -ENOMEM;
            if (mrc_keys(&tp, &key, &d)) {
                trace_pages_free(&tp);
                env_out_abort(&od);
                return cli_diag(&d);
            }
            if ((id = malloc(tp.n * sizeof *id)) && opt_dense_ids(key, tp.n, id, &V) == 0)
                rows = plot_wss_data(od.fp, id, tp.n, V, tau, max_points);
            free(id), free(key);
            if (rows < 0) {
                trace_pages_free(&tp);
                env_out_abort(&od);
                cli_error("out of memory");
                return CLI_ERR;
            }
            snprintf(tbuf, sizeof tbuf, "Working-set size: %s (%zu references, %u pages)", input,
                     tp.n, V);
            po.title = title ? title : tbuf;
            if (env_out_open(&og, gp, &d)) {
                trace_pages_free(&tp);
                env_out_abort(&od);
                return cli_diag(&d);
            }
            plot_wss_script(og.fp, &po);
        }
        trace_pages_free(&tp);
    }
    if (env_out_commit(&od, &d)) {
        env_out_abort(&og);
        return cli_diag(&d);
    }
    if (env_out_commit(&og, &d))
        return cli_diag(&d);
    switch (cli_gnuplot(gp)) {
    case 0: break;
    case 1:
        cli_error("plot: gnuplot not found%s; wrote %s and %s (render with: gnuplot %s, "
                  "or install gnuplot-nox)", getenv("VMLAB_GNUPLOT") ? " at $VMLAB_GNUPLOT" : "",
                  gp, dat, gp);
        break;
    default:
        cli_error("plot: gnuplot failed on %s (its message is above)", gp);
        remove(out_path);
        rc = CLI_ERR;
    }
    return rc;
}
