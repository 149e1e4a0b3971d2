/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what every `vmlab CMD` shares: the command table, exit statuses,
 * and the one place that prints errors.
 *
 * Exit statuses: 0 ok, 1 runtime error (bad input data, I/O), 2 usage error
 * (bad option or argument).  Errors go to stderr as one line,
 * "vmlab: FILE:LINE: what is wrong (expected ...)".
 */
#ifndef VMLAB_CLI_H
#define VMLAB_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "base/out.h"
#include "vmlab/diag.h"

enum { CLI_OK = 0, CLI_ERR = 1, CLI_USAGE = 2 };
/* What a command's parse() returns when it has served the request itself
 * (--help, --list): the command then exits CLI_OK without running. */
enum { CLI_SERVED = -1 };

typedef struct cli_cmd {
    const char *name;                /* `vmlab NAME` */
    const char *summary;             /* one line for `vmlab --help` */
    int (*main)(int argc, char **argv); /* argv[0] is NAME; returns exit status */
} cli_cmd_t;

/* Print "vmlab: " + message + newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a library error; returns CLI_ERR. */
int cli_diag(const diag_t *d);
/* Print a usage error and a hint to CMD --help; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parse option `opt`'s value as an unsigned number (decimal, 0x hex, k/m/g
 * suffix) within [min, max]; on failure print a usage error, return -1. */
int cli_u64(const char *cmd, const char *opt, const char *val, uint64_t min,
            uint64_t max, uint64_t *out /* OUT */);

/* Parse --output's value among the formats `accepted` (OUT_ACCEPT_*); on a
 * bad one print the usage error naming the accepted formats and return -1. */
int cli_output(const char *cmd, const char *val, unsigned accepted, out_format_t *fmt /* OUT */);

/* getopt_long with vmlab's error line instead of getopt's: returns the next
 * option as getopt_long does (-1 at the end), or '?' after printing ONE usage
 * line for cmd ("unknown option '--x'", "option '--tlb' needs a value").
 * shortopts as for getopt_long (a leading '+' stops at the first operand, a
 * leading '-' returns each operand as option 1);
 * long options return named enum values (CLI_OPT_BASE + n), never bare numbers. */
enum { CLI_OPT_BASE = 256 };
struct option;
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *lopts);

/* Match option `opt`'s value against names[0..n): its index, or -1 after
 * printing "unknown OPT 'VAL' (expected a, b or c)" for cmd. */
int cli_choice(const char *cmd, const char *opt, const char *val, const char *const *names,
               size_t n);

/* Print a help text on stdout with every "@FORMATS@" replaced by the trace
 * formats' names from the format table (trace_format_names()). */
void cli_help(const char *text);
/* Run gnuplot ($VMLAB_GNUPLOT or gnuplot in PATH) on `script`: 0 ok, 1 not
 * found, -1 it failed (cmd_plot.c). */
int cli_gnuplot(const char *script);
/* Find one of vmlab's helper files `name` (a preload library, a kernel-lab
 * file): beside the vmlab binary (the build tree), else in ../lib/vmlab/
 * relative to it (an installed tree: PREFIX/bin/vmlab and PREFIX/lib/vmlab/),
 * else in VMLAB_PKGLIBDIR as built in.  0 and the path in out, or -errno
 * (-ENOENT when none is readable). */
int cli_find_lib(const char *name, char *out, size_t size);

/* The subcommands, one line each in src/cli/main.c's table. */
int cmd_vm(int argc, char **argv);
int cmd_layout(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_v2p(int argc, char **argv);
int cmd_faults(int argc, char **argv);
int cmd_peek(int argc, char **argv);   /* cmd_peek.c */
int cmd_poke(int argc, char **argv);   /* cmd_peek.c */
int cmd_scan(int argc, char **argv);
int cmd_target(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_trace_info(int argc, char **argv);
int cmd_mrc(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_malloc(int argc, char **argv);
int cmd_kernel(int argc, char **argv); /* kernel/vmlab-kernel.sh */
int cmd_malloc_record(int argc, char **argv); /* mpreload: cmd_malloc_record.c */
int cmd_gc(int argc, char **argv);
int cmd_malloc_freelist(int argc, char **argv); /* xlate: cmd_malloc_freelist.c */
int cmd_malloc_gen(int argc, char **argv);      /* cmd_malloc_gen.c */
/* A `gen:KIND:SEED` trace name (malloc replay, plot heap): generate it into
 * *t; 0 or -errno with *d saying what is wrong. */
struct mr_trace;
int cli_malloc_gen_trace(const char *name, struct mr_trace *t /* OUT */, diag_t *d);
/* A malloc-lab trace from a file or a gen:KIND:SEED name: 0 or -errno. */
int cli_malloc_load_trace(const char *path, struct mr_trace *t /* OUT */, diag_t *d);
int cmd_sim_steps(int argc, char **argv);       /* xlate: vmlab sim --steps */
int cmd_translate(int argc, char **argv);    /* xlate: OSTEP translation homework */
int cmd_tlb_measure(int argc, char **argv);  /* xlate: the TLB homework, measured */
int cmd_sched(int argc, char **argv);
int cmd_kmem(int argc, char **argv);
int cmd_slabtop(int argc, char **argv); /* cmd_kmem.c */
int cmd_mm(int argc, char **argv);

#endif
