/* SPDX-License-Identifier: MIT */
/*
 * cmd_faults.c - `vmlab faults [EXPERIMENT...]`: demand paging measured with
 * the kernel's own counters (src/inspect/faults.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/inspect_cli.h"
#include "vmlab/inspect.h"

static void faults_help(void)
{
    size_t n;
    const inspect_fx_desc_t *t = inspect_fx_table(&n);
    printf("usage: vmlab faults [EXPERIMENT...] [--list]\n"
           "\n"
           "Experiments that answer the questions of demand paging with the kernel's own\n"
           "numbers: minor and major faults (getrusage), the resident set\n"
           "(/proc/self/statm) and, per page, /proc/self/pagemap.  Each prints what it\n"
           "did, what it measured and a one-sentence conclusion.  Default: all.\n"
           "\nexperiments:\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-9s %s\n", t[i].name, t[i].summary);
    printf("\n      --list   the experiments' names\n"
           "  -h, --help   this help\n");
}

static void print_fx(const inspect_fx_t *fx, const char *summary)
{
    printf("== %s: %s\n", fx->name, summary);
    printf("question: %s\n", fx->question);
    for (size_t i = 0; i < fx->ndid; i++)
        printf("  did:      %s\n", fx->did[i].text);
    for (size_t i = 0; i < fx->nmeasured; i++)
        printf("  measured: %s\n", fx->measured[i].text);
    printf("conclusion: %s\n", fx->conclusion);
    if (!fx->confirmed)
        printf("  (note: these numbers do not fully bear the conclusion out on this machine; "
               "see docs/inspect.md)\n");
    printf("\n");
}

/* Long options without a short form. */
enum { O_LIST = CLI_OPT_BASE };

int cmd_faults(int argc, char **argv)
{
    static const struct option opts[] = {
        {"list", no_argument, 0, O_LIST},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    size_t n;
    const inspect_fx_desc_t *t = inspect_fx_table(&n);
    const inspect_src_t *src = inspect_src_proc();
    int c, selected[16] = {0}, any = 0;

    optind = 1;
    while ((c = cli_getopt("faults", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case O_LIST:
            for (size_t i = 0; i < n; i++)
                printf("%s\n", t[i].name);
            return CLI_OK;
        case 'h': faults_help(); return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    for (int a = optind; a < argc; a++) {
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp(argv[a], t[i].name) == 0)
                break;
        if (i == n) {
            char names[256] = "";
            size_t len = 0;
            for (i = 0; i < n && len < sizeof names; i++)
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? " " : "",
                                        t[i].name);
            return cli_usage("faults", "unknown experiment '%s' (expected one of: %s)", argv[a],
                             names);
        }
        selected[i] = any = 1;
    }
    for (size_t i = 0; i < n; i++) {
        inspect_fx_t fx;
        diag_t d;
        if (any && !selected[i])
            continue;
        memset(&fx, 0, sizeof fx);
        diag_clear(&d);
        fx.name = t[i].name;
        if (t[i].run(src, &fx, &d))
            return cli_diag(&d);
        print_fx(&fx, t[i].summary);
        fflush(stdout);
    }
    return CLI_OK;
}
