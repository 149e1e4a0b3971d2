/* SPDX-License-Identifier: MIT */
/*
 * cmd_kmem.c - `vmlab kmem` (run a scenario against the kernel's allocators
 * in user space, or read this machine's /proc/slabinfo and /proc/buddyinfo
 * with --real) and `vmlab slabtop` (slabtop's screen, refreshed live on a
 * terminal while a built-in workload runs, or printed once with -o).
 *
 * Scenario output is written to memory and reaches stdout only when the
 * whole scenario ran: an error leaves no half-written output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/progress.h"
#include "cli/cli.h"
#include "kmem/kmem_plot.h"
#include "kmem/scenario.h"
#include "vmlab/env.h"
#include "vmlab/kmem.h"

static const char kmem_help[] =
    "usage: vmlab kmem [--mem SIZE] [--nodes N] [--cpus N] [--arch x86_64|i386] [--debug]\n"
    "                  [--output text|json] [--plot PREFIX] SCENARIO\n"
    "       vmlab kmem --real [--buddyinfo FILE] [--slabinfo FILE] [--output text|json]\n"
    "\n"
    "The kernel's physical-memory allocators in user space: zones and struct page,\n"
    "the buddy allocator, slab caches with per-CPU magazines, kmalloc and vmalloc,\n"
    "and the kernel's reports (/proc/slabinfo 2.1, slabtop, /proc/buddyinfo, the\n"
    "fragmentation indices of mm/vmstat.c).\n"
    "\n"
    "SCENARIO ('-' for stdin), one operation a line:\n"
    "  cache NAME SIZE [ALIGN] [redzone] [poison] [hwcache] [dma] [ctor]\n"
    "  alloc NAME N | free NAME N | shrink NAME | destroy NAME\n"
    "  kmalloc SIZE N | kfree SIZE N | vmalloc BYTES | vfree\n"
    "  pages ORDER N [GFP_KERNEL|GFP_ATOMIC|GFP_DMA|GFP_DMA32|GFP_HIGHUSER] | free_pages ORDER N\n"
    "  cpu N | workload fork|dentry|fragment N [SEED]\n"
    "  report slabinfo|slabtop|buddyinfo|fragindex|extfrag|unusable|contig\n"
    "\n"
    "  --mem SIZE        physical memory, a multiple of 4M (default 512M)\n"
    "  --nodes N         NUMA nodes (default 1)\n"
    "  --cpus N          CPUs: SLUB's slab order and the per-CPU caches (default 1)\n"
    "  --arch A          x86_64 (DMA, DMA32, Normal) or i386 (DMA, Normal, HighMem\n"
    "                    above 896M) (default x86_64)\n"
    "  --debug           red zones and poisoning on every cache (slub_debug=ZP)\n"
    "  --real            report this machine's /proc/slabinfo and /proc/buddyinfo\n"
    "  --buddyinfo FILE, --slabinfo FILE   with --real: read these copies instead\n"
    "  --output F        text (default) or json (one JSON value per report)\n"
    "  --no-progress     no progress line (shown on a terminal for long runs)\n"
    "  --plot PREFIX     gnuplot pictures: PREFIX-buddy.{dat,gp} (free pages by\n"
    "                    order after every line) and PREFIX-map.{dat,gp} (memory\n"
    "                    at the end, frame by frame); render with gnuplot FILE.gp\n"
    "  -h, --help        this help\n"
    "\n"
    "example: printf 'cache foo 200\\nalloc foo 1000\\nreport slabinfo\\n' | vmlab kmem -\n";

static const char slabtop_help[] =
    "usage: vmlab slabtop [--workload fork|dentry|fragment] [-d SECS] [-n STEPS] [-o]\n"
    "                     [--mem SIZE] [--cpus N] [--real [--slabinfo FILE]]\n"
    "\n"
    "slabtop's screen for vmlab's slab caches while a built-in workload runs (one\n"
    "workload step of 2000 operations per refresh), or for this machine (--real).\n"
    "On a terminal it refreshes every SECS (default 1) for STEPS steps (default\n"
    "20); -o prints one screen (after one step) and exits.\n";

typedef struct kmem_opts {
    kmem_config_t cfg;    /* physical memory */
    out_format_t fmt;     /* --output */
    int real;             /* --real */
    const char *buddy;    /* --buddyinfo FILE */
    const char *slab;     /* --slabinfo FILE */
    const char *plot;     /* --plot PREFIX */
    int no_progress;      /* --no-progress */
} kmem_opts_t;

enum { O_MEM = 256, O_NODES, O_CPUS, O_ARCH, O_DEBUG, O_REAL, O_BUDDY, O_SLAB, O_OUTPUT, O_WORKLOAD, O_PLOT,
       O_NO_PROGRESS };

/* One option shared by kmem and slabtop; 0, or CLI_USAGE printed. */
static int common_opt(const char *cmd, int c, kmem_opts_t *o)
{
    uint64_t v;
    switch (c) {
    case O_MEM:
        if (cli_u64(cmd, "--mem", optarg, 8u << 20, (uint64_t)64 << 30, &v))
            return CLI_USAGE;
        if (v % (4u << 20))
            return cli_usage(cmd, "--mem %s is not a multiple of 4M (expected whole 4 MiB MAX_ORDER blocks)", optarg);
        o->cfg.mem_bytes = v;
        return 0;
    case O_NODES:
        if (cli_u64(cmd, "--nodes", optarg, 1, KMEM_MAX_NODES, &v))
            return CLI_USAGE;
        o->cfg.nodes = (unsigned)v;
        return 0;
    case O_CPUS:
        if (cli_u64(cmd, "--cpus", optarg, 1, KMEM_MAX_CPUS, &v))
            return CLI_USAGE;
        o->cfg.cpus = (unsigned)v;
        return 0;
    case O_ARCH:
        if (strcmp(optarg, "x86_64") == 0)
            o->cfg.arch = KMEM_ARCH_X86_64;
        else if (strcmp(optarg, "i386") == 0)
            o->cfg.arch = KMEM_ARCH_I386;
        else
            return cli_usage(cmd, "--arch %s (expected x86_64 or i386)", optarg);
        return 0;
    case O_DEBUG: o->cfg.debug = KMEM_SLAB_RED_ZONE | KMEM_SLAB_POISON; return 0;
    case O_REAL: o->real = 1; return 0;
    case O_BUDDY: o->buddy = optarg; return 0;
    case O_SLAB: o->slab = optarg; return 0;
    case O_PLOT: o->plot = optarg; return 0;
    case O_NO_PROGRESS: o->no_progress = 1; return 0;
    case O_OUTPUT: return cli_output(cmd, optarg, OUT_ACCEPT_TEXT_JSON, &o->fmt) ? CLI_USAGE : 0;
    }
    return cli_usage(cmd, "bad option");
}

static const struct option common_longopts[] = {
    {"mem", required_argument, NULL, O_MEM},      {"nodes", required_argument, NULL, O_NODES},
    {"cpus", required_argument, NULL, O_CPUS},    {"arch", required_argument, NULL, O_ARCH},
    {"debug", no_argument, NULL, O_DEBUG},        {"real", no_argument, NULL, O_REAL},
    {"buddyinfo", required_argument, NULL, O_BUDDY}, {"slabinfo", required_argument, NULL, O_SLAB},
    {"output", required_argument, NULL, O_OUTPUT}, {"workload", required_argument, NULL, O_WORKLOAD},
    {"help", no_argument, NULL, 'h'},             {"once", no_argument, NULL, 'o'},
    {"plot", required_argument, NULL, O_PLOT},    {"no-progress", no_argument, NULL, O_NO_PROGRESS},
       {"delay", required_argument, NULL, 'd'},      {"steps", required_argument, NULL, 'n'},
    {NULL, 0, NULL, 0}};

/* Create the instance, printing the error; NULL on failure. */
static kmem_t *make_kmem(const char *cmd, const kmem_config_t *cfg)
{
    kmem_t *km;
    diag_t d;
    diag_clear(&d);
    if (kmem_create(cfg, &km, &d) != 0) {
        if (d.err == EINVAL)
            cli_usage(cmd, "%s", d.msg);
        else
            cli_diag(&d);
        return NULL;
    }
    return km;
}

static int read_real(const char *path, int slab, kmem_slabinfo_t **si, kmem_zoneinfo_t **zi, size_t *n)
{
    char *text = NULL;
    size_t len = 0;
    diag_t d;
    int rc;
    diag_clear(&d);
    rc = env_read_file(path, &text, &len, &d);
    if (rc == 0)
        rc = slab ? kmem_parse_slabinfo(text, len, path, si, n, &d) : kmem_parse_buddyinfo(text, len, path, zi, n, &d);
    free(text);
    if (rc) {
        if (rc == -EACCES || rc == -EPERM)
            cli_error("%s: %s (expected to run as root: /proc/slabinfo is readable by root only)", path,
                      strerror(-rc));
        else
            cli_diag(&d);
        return CLI_ERR;
    }
    return 0;
}

static int kmem_real(const kmem_opts_t *o)
{
    const char *bpath = o->buddy ? o->buddy : "/proc/buddyinfo", *spath = o->slab ? o->slab : "/proc/slabinfo";
    kmem_slabinfo_t *si = NULL;
    kmem_zoneinfo_t *zi = NULL;
    size_t ns = 0, nz = 0;
    int want_slab = o->slab || !o->buddy, want_buddy = o->buddy || !o->slab, rc = 0;
    if (want_buddy && (rc = read_real(bpath, 0, NULL, &zi, &nz)) != 0)
        return rc;
    if (want_slab && (rc = read_real(spath, 1, &si, NULL, &ns)) != 0) {
        free(zi);
        return rc;
    }
    if (o->fmt == OUT_JSON) {
        out_json_t j;
        out_json_init(&j, stdout, 0);
        out_json_obj(&j, NULL);
        if (want_buddy) {
            out_json_arr(&j, "zones");
            for (size_t i = 0; i < nz; i++)
                kmem_json_zone(&j, &zi[i], KMEM_JSON_NR_FREE | KMEM_JSON_EXTFRAG | KMEM_JSON_UNUSABLE);
            out_json_end(&j);
        }
        if (want_slab) {
            out_json_arr(&j, "slabinfo");
            for (size_t i = 0; i < ns; i++)
                kmem_json_slab(&j, &si[i]);
            out_json_end(&j);
        }
        out_json_end(&j);
        out_json_done(&j);
    } else {
        if (want_buddy) {
            printf("# %s\n", bpath);
            kmem_print_buddyinfo(stdout, zi, nz);
            printf("\n# extfrag_index (mm/vmstat.c)\n");
            kmem_print_extfrag(stdout, zi, nz);
            printf("\n# unusable_index (mm/vmstat.c)\n");
            kmem_print_unusable(stdout, zi, nz);
        }
        if (want_slab) {
            printf("%s# %s\n", want_buddy ? "\n" : "", spath);
            kmem_print_slabinfo(stdout, si, ns);
            printf("\n# slabtop -o\n");
            kmem_print_slabtop(stdout, si, ns, 20);
        }
    }
    free(si);
    free(zi);
    return CLI_OK;
}

/* Run with --plot: four files written atomically (env_out_*), all or none. */
static int run_plot(kmem_t *km, const kmem_scenario_t *scn, FILE *mem, const kmem_opts_t *o,
                    kmem_run_opts_t *ro, diag_t *d)
{
    static const char *const ext[4] = {"buddy.dat", "buddy.gp", "map.dat", "map.gp"};
    char path[4][4096], png[2][4096];
    env_out_t out[4];
    kmem_hist_t h = {0};
    int rc = 0, opened = 0;
    for (int i = 0; i < 4; i++)
        if ((size_t)snprintf(path[i], sizeof path[i], "%s-%s", o->plot, ext[i]) >= sizeof path[i])
            return diag_set(d, o->plot, 0, ENAMETOOLONG, "--plot prefix too long");
    snprintf(png[0], sizeof png[0], "%s-buddy.png", o->plot);
    snprintf(png[1], sizeof png[1], "%s-map.png", o->plot);
    for (; opened < 4 && rc == 0; opened++)
        rc = env_out_open(&out[opened], path[opened], d);
    if (rc) {
        for (int i = 0; i < opened - 1; i++)
            env_out_abort(&out[i]);
        return rc;
    }
    h.map_dat = out[2].fp;
    h.map_gp = out[3].fp;
    h.map_datname = path[2];
    h.map_png = png[1];
    ro->hist = &h;
    rc = kmem_scenario_run_opts(km, scn, mem, o->fmt, ro, d);
    if (rc == 0)
        kmem_plot_buddy(out[0].fp, out[1].fp, &h, path[0], png[0]);
    kmem_hist_free(&h);
    for (int i = 0; i < 4; i++) {
        if (rc == 0)
            rc = env_out_commit(&out[i], d);
        else
            env_out_abort(&out[i]);
    }
    return rc;
}

int cmd_kmem(int argc, char **argv)
{
    kmem_opts_t o = {0};
    int c, rc;
    char *text = NULL, *buf = NULL;
    size_t len = 0, blen = 0;
    kmem_scenario_t scn;
    kmem_t *km;
    FILE *mem;
    diag_t d;

    optind = 1;
    while ((c = cli_getopt("kmem", argc, argv, "h", common_longopts)) != -1) {
        if (c == 'h') {
            fputs(kmem_help, stdout);
            return CLI_OK;
        }
        if (c == '?')
            return CLI_USAGE; /* cli_getopt said which */
        if (c == O_WORKLOAD || c == 'o' || c == 'd' || c == 'n')
            return cli_usage("kmem", "%s is an option of slabtop, not kmem", argv[optind - 1]);
        if ((rc = common_opt("kmem", c, &o)) != 0)
            return rc;
    }
    if (o.real) {
        if (optind < argc)
            return cli_usage("kmem", "--real takes no SCENARIO");
        return kmem_real(&o);
    }
    if (o.buddy || o.slab)
        return cli_usage("kmem", "--buddyinfo and --slabinfo go with --real");
    if (optind + 1 != argc)
        return cli_usage("kmem", "expected one SCENARIO file ('-' for stdin)");
    diag_clear(&d);
    if (env_read_file(argv[optind], &text, &len, &d) != 0 ||
        kmem_scenario_parse(text, len, argv[optind], &scn, &d) != 0) {
        free(text);
        return cli_diag(&d);
    }
    free(text);
    km = make_kmem("kmem", &o.cfg);
    if (!km) {
        kmem_scenario_free(&scn);
        return CLI_USAGE;
    }
    mem = open_memstream(&buf, &blen);
    if (!mem) {
        kmem_destroy(km);
        kmem_scenario_free(&scn);
        cli_error("out of memory");
        return CLI_ERR;
    }
    /* The reports go to a memory stream, printed at the end: the line
     * never sits in front of them. */
    progress_t pg;
    kmem_run_opts_t ro = {.progress = progress_cb, .progress_ctx = &pg};
    progress_start(&pg, NULL, stderr, !o.no_progress, "kmem", argv[optind], "scenario lines run");
    rc = o.plot ? run_plot(km, &scn, mem, &o, &ro, &d) : kmem_scenario_run_opts(km, &scn, mem, o.fmt, &ro, &d);
    progress_end(&pg);
    fclose(mem);
    kmem_destroy(km);
    kmem_scenario_free(&scn);
    if (rc) {
        free(buf);
        return cli_diag(&d);
    }
    fwrite(buf, 1, blen, stdout);
    free(buf);
    return fflush(stdout) == 0 ? CLI_OK : CLI_ERR;
}

int cmd_slabtop(int argc, char **argv)
{
    kmem_opts_t o = {0};
    int c, rc, once = 0, wl = KWL_FORK;
    uint64_t steps = 20, v;
    double delay = 1.0;
    char *end;
    kmem_t *km;
    kmem_wl_t *state = NULL;
    diag_t d;

    optind = 1;
    while ((c = cli_getopt("slabtop", argc, argv, "hod:n:", common_longopts)) != -1) {
        switch (c) {
        case 'h': fputs(slabtop_help, stdout); return CLI_OK;
        case 'o': once = 1; break;
        case 'd':
            errno = 0;
            delay = strtod(optarg, &end);
            if (errno || *end || end == optarg || delay < 0 || delay > 3600)
                return cli_usage("slabtop", "-d '%s' (expected seconds, 0..3600)", optarg);
            break;
        case 'n':
            if (cli_u64("slabtop", "--steps", optarg, 1, 1000000, &v))
                return CLI_USAGE;
            steps = v;
            break;
        case O_WORKLOAD:
            if (strcmp(optarg, "fork") == 0)
                wl = KWL_FORK;
            else if (strcmp(optarg, "dentry") == 0)
                wl = KWL_DENTRY;
            else if (strcmp(optarg, "fragment") == 0)
                wl = KWL_FRAGMENT;
            else
                return cli_usage("slabtop", "--workload %s (expected fork, dentry or fragment)", optarg);
            break;
        case '?': return CLI_USAGE; /* cli_getopt said which */
        case O_PLOT:
        case O_NO_PROGRESS:
            return cli_usage("slabtop", "%s is an option of kmem, not slabtop", argv[optind - 1]);
        default:
            if ((rc = common_opt("slabtop", c, &o)) != 0)
                return rc;
        }
    }
    if (optind < argc)
        return cli_usage("slabtop", "unexpected argument '%s'", argv[optind]);
    if (o.real) {
        kmem_slabinfo_t *si = NULL;
        size_t n = 0;
        if ((rc = read_real(o.slab ? o.slab : "/proc/slabinfo", 1, &si, NULL, &n)) != 0)
            return rc;
        kmem_print_slabtop(stdout, si, n, (size_t)-1);
        free(si);
        return CLI_OK;
    }
    km = make_kmem("slabtop", &o.cfg);
    if (!km)
        return CLI_USAGE;
    if (once || !env_isatty(stdout))
        steps = once ? 1 : steps;
    for (uint64_t s = 0; s < steps; s++) {
        kmem_slabinfo_t *si = NULL;
        size_t n = 0;
        diag_clear(&d);
        if (kmem_workload_run(km, &state, (kmem_workload_t)wl, 2000, 1, &d) != 0 || kmem_slabinfo(km, &si, &n) != 0) {
            kmem_workload_end(km, state);
            kmem_destroy(km);
            cli_error("slabtop: %s", d.msg[0] ? d.msg : "out of memory");
            return CLI_ERR;
        }
        if (!once && env_isatty(stdout))
            fputs("\033[H\033[2J", stdout);
        if (once || s + 1 == steps || env_isatty(stdout))
            kmem_print_slabtop(stdout, si, n, (size_t)-1);
        fflush(stdout);
        free(si);
        if (!once && s + 1 < steps && env_isatty(stdout)) {
            struct timespec ts = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    kmem_workload_end(km, state);
    kmem_destroy(km);
    return CLI_OK;
}
