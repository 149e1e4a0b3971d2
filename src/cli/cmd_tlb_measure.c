/* SPDX-License-Identifier: MIT */
/*
 * cmd_tlb_measure.c - `vmlab tlb-measure`: OSTEP ch. 19's TLB homework on the
 * real machine (include/vmlab/tlbm.h measures; this prints and plots).
 * N runs geometrically from 1 to --max-pages with --steps points per
 * doubling, so the steps at the L1 and L2 TLB sizes show on a log axis.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/out.h"
#include "base/progress.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/tlbm.h"

static const char tlbm_help[] =
    "usage: vmlab tlb-measure [options]\n"
    "\n"
    "Time one memory access while touching N pages, one access per page, for N\n"
    "from 1 to --max-pages, pinned to one CPU: the time steps up where N passes\n"
    "the L1 and then the L2 TLB's reach (OSTEP ch. 19 homework, tlb.c).  The\n"
    "figures are measurements of this machine, noisy on a busy one.\n"
    "\n"
    "  -m, --max-pages N     largest N (default 8192)\n"
    "  -k, --steps K         points per doubling of N (default 4)\n"
    "  -t, --trials R        trials per N; the median is reported (default 5)\n"
    "  -A, --accesses A      accesses per trial at least (default 1m)\n"
    "  -c, --cpu C           CPU to pin to (default: the one it starts on)\n"
    "      --page-size BYTES stride (default 4096)\n"
    "      --output FMT      text (default), json or csv: pages, ns, ns_min, loops\n"
    "  -o, --out FILE        write the table to FILE (atomically)\n"
    "      --plot IMAGE      also draw ns against N (log x) with gnuplot (.png or .svg):\n"
    "                        writes IMAGE.dat and IMAGE.gp beside it\n"
    "      --no-progress     no progress line (shown on a terminal for long runs)\n";

static int plot(const char *img, const tlbm_point_t *pt, size_t n, uint64_t page_size)
{
    char dat[4096], gp[4096];
    FILE *f;
    int svg = strlen(img) > 4 && strcmp(img + strlen(img) - 4, ".svg") == 0;
    snprintf(dat, sizeof dat, "%s.dat", img);
    snprintf(gp, sizeof gp, "%s.gp", img);
    if (!(f = fopen(dat, "w"))) {
        cli_error("%s: %s", dat, strerror(errno));
        return CLI_ERR;
    }
    fprintf(f, "# pages ns_per_access ns_min\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%llu %.4f %.4f\n", (unsigned long long)pt[i].pages, pt[i].ns, pt[i].ns_min);
    if (fclose(f)) {
        cli_error("%s: write failed", dat);
        return CLI_ERR;
    }
    if (!(f = fopen(gp, "w"))) {
        cli_error("%s: %s", gp, strerror(errno));
        return CLI_ERR;
    }
    fprintf(f, "set terminal %s size 900,500\nset output '%s'\n", svg ? "svg" : "pngcairo", img);
    fprintf(f, "set title 'TLB: time per access, one access per %llu-byte page'\n",
            (unsigned long long)page_size);
    fprintf(f, "set logscale x 2\nset xlabel 'pages touched (N)'\nset ylabel 'ns per access'\n"
               "set grid\nset key top left\n");
    fprintf(f, "plot '%s' using 1:2 with linespoints title 'median', '' using 1:3 with lines "
               "dashtype 2 title 'fastest'\n", dat);
    if (fclose(f)) {
        cli_error("%s: write failed", gp);
        return CLI_ERR;
    }
    switch (cli_gnuplot(gp)) {
    case 0: return CLI_OK;
    case 1:
        cli_error("tlb-measure: gnuplot not found; wrote %s and %s (render with: gnuplot %s)",
                  dat, gp, gp);
        return CLI_ERR;
    default: cli_error("tlb-measure: gnuplot failed on %s", gp); return CLI_ERR;
    }
}

int cmd_tlb_measure(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"max-pages", required_argument, 0, 'm'}, {"steps", required_argument, 0, 'k'},
        {"trials", required_argument, 0, 't'},    {"accesses", required_argument, 0, 'A'},
        {"cpu", required_argument, 0, 'c'},       {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},            {"page-size", required_argument, 0, 1},
        {"output", required_argument, 0, 2},      {"plot", required_argument, 0, 3},
        {"no-progress", no_argument, 0, 4},
        {0, 0, 0, 0},
    };
    tlbm_config_t cfg = {.page_size = 4096, .accesses = 1u << 20, .trials = 5};
    uint64_t maxp = 8192, steps = 4, v, *pages = NULL;
    int cpu = -1, c, rc = CLI_OK, progress = 1;
    progress_t pg;
    const char *out_path = NULL, *img = NULL;
    out_format_t fmt = OUT_TEXT;
    tlbm_point_t *pt = NULL;
    size_t n = 0;
    env_out_t out;
    diag_t d;
    optind = 1;
    while ((c = cli_getopt("tlb-measure", argc, argv, "m:k:t:A:c:o:h", lopts)) != -1) {
        switch (c) {
        case 'm':
            if (cli_u64("tlb-measure", "--max-pages", optarg, 1, 1u << 22, &maxp))
                return CLI_USAGE;
            break;
        case 'k':
            if (cli_u64("tlb-measure", "--steps", optarg, 1, 64, &steps))
                return CLI_USAGE;
            break;
        case 't':
            if (cli_u64("tlb-measure", "--trials", optarg, 1, 1000, &v))
                return CLI_USAGE;
            cfg.trials = (unsigned)v;
            break;
        case 'A':
            if (cli_u64("tlb-measure", "--accesses", optarg, 1, 1ull << 34, &cfg.accesses))
                return CLI_USAGE;
            break;
        case 'c':
            if (cli_u64("tlb-measure", "--cpu", optarg, 0, 1023, &v))
                return CLI_USAGE;
            cpu = (int)v;
            break;
        case 'o': out_path = optarg; break;
        case 'h': fputs(tlbm_help, stdout); return CLI_OK;
        case 1:
            if (cli_u64("tlb-measure", "--page-size", optarg, 4, 1ull << 30, &cfg.page_size))
                return CLI_USAGE;
            if (cfg.page_size & (cfg.page_size - 1))
                return cli_usage("tlb-measure", "page size %s is not a power of two (expected "
                                 "e.g. 4096)", optarg);
            break;
        case 2:
            if (cli_output("tlb-measure", optarg, OUT_ACCEPT_ALL, &fmt))
                return CLI_USAGE;
            break;
        case 3: img = optarg; break;
        case 4: progress = 0; break;
        default: return CLI_USAGE; /* cli_getopt said which */
        }
    }
    if (optind < argc)
        return cli_usage("tlb-measure", "unexpected argument '%s'", argv[optind]);
    if (cpu < 0)
        cpu = env_current_cpu() < 0 ? 0 : env_current_cpu();
    if (env_pin_cpu(cpu))
        return cli_usage("tlb-measure", "cannot pin to CPU %d (expected one this process may "
                         "use)", cpu);
    /* N: 1, then geometric with `steps` points per doubling, distinct, to maxp. */
    pages = malloc((size_t)(64 * steps + 2) * sizeof *pages);
    pt = malloc((size_t)(64 * steps + 2) * sizeof *pt);
    if (!pages || !pt) {
        free(pages);
        free(pt);
        cli_error("out of memory");
        return CLI_ERR;
    }
    for (uint64_t k = 0;; k++) {
        uint64_t np = (uint64_t)llround(pow(2.0, (double)k / (double)steps));
        if (np > maxp)
            break;
        if (n == 0 || np != pages[n - 1])
            pages[n++] = np;
    }
    if (pages[n - 1] != maxp)
        pages[n++] = maxp;
    diag_clear(&d);
    progress_start(&pg, NULL, stderr, progress, "tlb-measure", NULL, "accesses timed");
    cfg.progress = progress_cb, cfg.progress_ctx = &pg;
    rc = tlbm_measure(&cfg, pages, n, pt, &d);
    progress_end(&pg);
    if (rc) {
        rc = cli_diag(&d);
        goto done;
    }
    if (env_out_open(&out, out_path, &d)) {
        rc = cli_diag(&d);
        goto done;
    }
    if (fmt == OUT_JSON) {
        out_json_t j;
        out_json_init(&j, out.fp, 1);
        out_json_obj(&j, NULL);
        out_json_i64(&j, "cpu", cpu);
        out_json_u64(&j, "page_size", cfg.page_size);
        out_json_arr(&j, "points");
        for (size_t i = 0; i < n; i++) {
            out_json_obj(&j, NULL);
            out_json_u64(&j, "pages", pt[i].pages);
            out_json_dbl(&j, "ns", pt[i].ns);
            out_json_dbl(&j, "ns_min", pt[i].ns_min);
            out_json_u64(&j, "loops", pt[i].loops);
            out_json_end(&j);
        }
        out_json_end(&j);
        out_json_end(&j);
        out_json_done(&j);
    } else if (fmt == OUT_CSV) {
        fputs("pages,ns,ns_min,loops\n", out.fp);
        for (size_t i = 0; i < n; i++)
            fprintf(out.fp, "%llu,%.4f,%.4f,%llu\n", (unsigned long long)pt[i].pages, pt[i].ns,
                    pt[i].ns_min, (unsigned long long)pt[i].loops);
    } else {
        fprintf(out.fp, "# TLB measurement: CPU %d, one access per %llu-byte page, median of %u "
                        "trials\n", cpu, (unsigned long long)cfg.page_size, cfg.trials);
        fprintf(out.fp, "%10s %12s %12s %10s\n", "pages", "ns/access", "fastest", "loops");
        for (size_t i = 0; i < n; i++)
            fprintf(out.fp, "%10llu %12.3f %12.3f %10llu\n", (unsigned long long)pt[i].pages,
                    pt[i].ns, pt[i].ns_min, (unsigned long long)pt[i].loops);
    }
    if (env_out_commit(&out, &d)) {
        rc = cli_diag(&d);
        goto done;
    }
    if (img)
        rc = plot(img, pt, n, cfg.page_size);
done:
    free(pages);
    free(pt);
    return rc;
}
