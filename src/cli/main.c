/* SPDX-License-Identifier: MIT */
/*
 * main.c - `vmlab`, one command with subcommands.
 *
 * The only place in vmlab that prints errors and chooses exit statuses
 * (see cli.h).  Adding a subcommand is one line in cmds[] and its cmd_*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vmlab/parse.h"
#include "vmlab/trace.h"

#ifndef VMLAB_PKGLIBDIR
#define VMLAB_PKGLIBDIR "/usr/local/lib/vmlab"
#endif

#ifndef VMLAB_VERSION
#define VMLAB_VERSION "0.1.0"
#endif

static const cli_cmd_t cmds[] = {
    {"vm", "the classic OSC virtual memory manager (TLB, page table, backing store)", cmd_vm},
    {"layout", "where this process's code, data, heap, stack, TLS and libraries live", cmd_layout},
    {"maps", "a process's mappings from smaps, classified, with pmap -X's columns and totals", cmd_maps},
    {"v2p", "virtual to physical: /proc/PID/pagemap and /proc/kpageflags decoded", cmd_v2p},
    {"faults", "page-fault experiments: malloc, zero page, copy-on-write, file mappings", cmd_faults},
    {"peek", "read another process's memory: hexdump or typed values, and its mapping", cmd_peek},
    {"poke", "write a value into another process's memory (process_vm_writev, /proc/PID/mem)", cmd_poke},
    {"scan", "search a process's memory for a value and narrow it down, as scanmem", cmd_scan},
    {"target", "a victim process for peek, poke and scan: prints its pid and a value's address", cmd_target},
    {"sim", "paging simulator: policies, dirty pages, processes, page tables, TLB", cmd_sim},
    {"mrc", "whole fault curves: every frame count, LRU/OPT exact in one pass, SHARDS", cmd_mrc},
    {"record", "run a program under Valgrind's lackey and save its memory trace (gzip)", cmd_record},
    {"plot", "pictures with gnuplot: addresses over time, fault curves, working-set size", cmd_plot},
    {"gen", "write a synthetic trace (scan, zipf, loop, phases, belady, linked-list, ...)", cmd_gen},
    {"convert", "convert a memory trace between formats (vmlab binary, rw, pages, osc)", cmd_convert},
    {"merge", "join the JSON or CSV results of independent jobs (parallel, Slurm) into one", cmd_merge},
    {"trace-info", "read a memory trace and count what is in it", cmd_trace_info},
    {"malloc", "allocator designs replayed on malloc-lab traces (replay, record)", cmd_malloc},
    {"kernel", "the kernel lab: SCHED_WRR and mm modules in Linux 6.1 under QEMU", cmd_kernel},
    {"gc", "a conservative mark-and-sweep collector for C: demo, and a leak finder", cmd_gc},
    {"translate", "OSTEP's translation homework: bounds, segments, linear and multi-level tables", cmd_translate},
    {"tlb-measure", "the TLB homework on this machine: time per access against pages touched", cmd_tlb_measure},
    {"sched", "multicore scheduler simulator: the lab's WRR beside RT and CFS, Gantt charts", cmd_sched},
    {"kmem", "the kernel's buddy, slab, kmalloc and vmalloc allocators; slabinfo, buddyinfo", cmd_kmem},
    {"mm", "a process address space: VMAs, page tables, faults, fork CoW, swap; --real against the kernel", cmd_mm},
    {"slabtop", "slabtop's screen for vmlab's slab caches under a workload, or this machine", cmd_slabtop},
};

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("vmlab: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_diag(const diag_t *d)
{
    char buf[1200];
    diag_format(d, buf, sizeof buf);
    cli_error("%s", buf);
    return CLI_ERR;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (cmd)
        cli_error("%s: %s (see 'vmlab %s --help')", cmd, buf, cmd);
    else
        cli_error("%s (see 'vmlab --help')", buf);
    return CLI_USAGE;
}

int cli_u64(const char *cmd, const char *opt, const char *val, uint64_t min,
            uint64_t max, uint64_t *out)
{
    uint64_t v;
    int rc = parse_size(val, &v);
    if (rc == -ERANGE || (rc == 0 && (v < min || v > max))) {
        cli_usage(cmd, "%s %s is out of range (expected %ju..%ju)", opt, val,
                  (uintmax_t)min, (uintmax_t)max);
        return -1;
    }
    if (rc) {
        cli_usage(cmd, "%s '%s' is not a number (expected %ju..%ju)", opt, val,
                  (uintmax_t)min, (uintmax_t)max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_output(const char *cmd, const char *val, unsigned accepted, out_format_t *fmt)
{
    char list[32];
    if (out_format_parse(val, accepted, fmt) == 0)
        return 0;
    cli_usage(cmd, "--output '%s' is not a format (expected %s)", val,
              out_format_list(accepted, list, sizeof list));
    return -1;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *lopts)
{
    /* ':' first (after a '+' or '-') makes getopt tell a missing value (':') from an
     * unknown option ('?'); opterr = 0 silences getopt's own message. */
    char so[64];
    int lead = shortopts[0] == '+' || shortopts[0] == '-';
    snprintf(so, sizeof so, "%.*s:%s", lead, shortopts, shortopts + lead);
    opterr = 0;
    int c = getopt_long(argc, argv, so, lopts, NULL);
    if (c != '?' && c != ':')
        return c;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    char name[64];
    if (optopt > 0 && optopt < CLI_OPT_BASE && strncmp(arg, "--", 2) != 0)
        snprintf(name, sizeof name, "-%c", optopt);
    else
        snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
    if (c == ':')
        cli_usage(cmd, "option '%s' needs a value", name);
    else if (optopt == 0 || strncmp(arg, "--", 2) != 0 || strchr(arg, '=') == NULL)
        cli_usage(cmd, "unknown option '%s'", name);
    else
        cli_usage(cmd, "option '%s' takes no value", name);
    return '?';
}

int cli_choice(const char *cmd, const char *opt, const char *val, const char *const *names,
               size_t n)
{
    char list[256];
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(val, names[i]) == 0)
            return (int)i;
    list[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s",
                         i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    cli_usage(cmd, "unknown %s '%s' (expected %s)", opt, val, list);
    return -1;
}

void cli_help(const char *text)
{
    static const char key[] = "@FORMATS@";
    const char *p;
    while ((p = strstr(text, key))) {
        fwrite(text, 1, (size_t)(p - text), stdout);
        fputs(trace_format_names(), stdout);
        text = p + sizeof key - 1;
    }
    fputs(text, stdout);
}

int cli_find_lib(const char *name, char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n >= 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        for (int i = 0; i < 2; i++) {
            int w = snprintf(out, size, "%s%s/%s", exe, i ? "/../lib/vmlab" : "", name);
            if (w > 0 && (size_t)w < size && access(out, R_OK) == 0)
                return 0;
        }
    }
    int w = snprintf(out, size, "%s/%s", VMLAB_PKGLIBDIR, name);
    if (w < 0 || (size_t)w >= size)
        return -ENAMETOOLONG;
    return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

static void help(FILE *f)
{
    fprintf(f, "usage: vmlab COMMAND [OPTIONS] [ARGS]\n"
               "       vmlab COMMAND --help\n"
               "       vmlab --version\n\n"
               "A memory-management laboratory: every idea of a virtual memory course as\n"
               "running, measurable software.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f, "\nexit status: 0 ok, 1 runtime error (bad data, I/O), 2 usage error\n");
}

/* A command's output is lost if stdout could not take it (a full disk,
 * /dev/full, a closed pipe): say so and fail, whatever the command did
 * not check itself.  rc is the command's status, kept if already an error. */
static int stdout_done(int rc)
{
    errno = 0;
    int bad = fflush(stdout) != 0;
    int e = errno;
    bad |= ferror(stdout);
    if (!bad || rc != CLI_OK)
        return rc;
    if (e)
        cli_error("(stdout): cannot write output: %s", strerror(e));
    else
        cli_error("(stdout): cannot write output: a write failed (a full disk or a closed pipe?)");
    return CLI_ERR;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        help(stdout);
        return stdout_done(CLI_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("vmlab %s\n", VMLAB_VERSION);
        return stdout_done(CLI_OK);
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return stdout_done(cmds[i].main(argc - 1, argv + 1));
    return cli_usage(NULL, "unknown command '%s'", argv[1]);
}
