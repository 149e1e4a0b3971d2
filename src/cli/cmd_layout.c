/* SPDX-License-Identifier: MIT */
/*
 * cmd_layout.c - `vmlab layout`: where this process's code, data, heap,
 * stack, TLS and libraries live, each address with the /proc/self/maps line
 * it falls in and that mapping's kind (src/inspect/layout.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/inspect_cli.h"
#include "vmlab/inspect.h"

static const char layout_help[] =
    "usage: vmlab layout [--check]\n"
    "\n"
    "Print where this very process keeps each kind of object: main and another\n"
    "function, a string literal, a const, a relocated const pointer, initialised\n"
    "data, bss, a heap block (and sbrk(0) before and after), a local variable at\n"
    "five recursion levels, an alloca'd array, an mmap'd region, a TLS variable,\n"
    "argv and environ, a libc function and the vDSO; each with the line of\n"
    "/proc/self/maps it lies in and that mapping's kind.\n"
    "\n"
    "      --check   exit 1 if an object is not in a mapping of the expected kind\n"
    "  -h, --help    this help\n";

static void print_map(const inspect_map_t *m)
{
    printf("%jx-%jx %s %08jx %02x:%02x %ju %s%s", (uintmax_t)m->start, (uintmax_t)m->end, m->perms,
           (uintmax_t)m->offset, m->dev_major, m->dev_minor, (uintmax_t)m->inode, m->path,
           m->deleted ? " (deleted)" : "");
}

/* Long options without a short form. */
enum { O_CHECK = CLI_OPT_BASE };

int cmd_layout(int argc, char **argv)
{
    static const struct option opts[] = {
        {"check", no_argument, 0, O_CHECK},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    extern int main(int, char **);
    inspect_layout_t *l;
    diag_t d;
    int c, check = 0, bad = 0;
    char **top_argv = argv - 1; /* main's argv: vmlab layout ... */

    diag_clear(&d);
    optind = 1;
    while ((c = cli_getopt("layout", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case O_CHECK: check = 1; break;
        case 'h': fputs(layout_help, stdout); return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind < argc)
        return cli_usage("layout", "unexpected argument '%s'", argv[optind]);
    l = calloc(1, sizeof *l);
    if (!l) {
        cli_error("layout: out of memory");
        return CLI_ERR;
    }
    if (inspect_layout_probe(inspect_src_proc(), (const void *)main, top_argv, l, &d)) {
        free(l);
        return cli_diag(&d);
    }
    printf("The layout of this process (vmlab layout, pid %d), lowest address last:\n\n",
           (int)getpid());
    printf("%-18s %-14s %-13s %-4s  %s\n", "OBJECT", "ADDRESS", "KIND", "OK", "HOW");
    {
        /* Highest address first, the way the textbook figure is drawn. */
        size_t order[INSPECT_LAYOUT_MAX];
        for (size_t i = 0; i < l->n; i++)
            order[i] = i;
        for (size_t i = 1; i < l->n; i++)
            for (size_t j = i; j > 0 && l->item[order[j]].addr > l->item[order[j - 1]].addr; j--) {
                size_t t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        for (size_t k = 0; k < l->n; k++) {
            const inspect_item_t *it = &l->item[order[k]];
            char kind[32];
            int ok = inspect_item_ok(it);
            bad += !ok;
            printf("%-18s %#-14jx %-13s %-4s  %s\n", it->name, (uintmax_t)it->addr,
                   it->map ? icli_kind(it->map, kind, sizeof kind) : "unmapped", ok ? "ok" : "NO",
                   it->what);
            printf("%-18s   in ", "");
            if (it->map)
                print_map(it->map);
            else
                printf("no mapping");
            printf("\n");
        }
    }
    for (size_t i = 0; i < l->maps.n; i++)
        if (l->maps.m[i].kind == INSPECT_K_HEAP)
            printf("\nheap: [heap] starts at %#jx, %ju kB above the end of the mapping below it "
                   "(brk randomisation), and ran to %#jx when the map was read (%ju kB)",
                   (uintmax_t)l->maps.m[i].start,
                   i ? (uintmax_t)(l->maps.m[i].start - l->maps.m[i - 1].end) / 1024 : 0,
                   (uintmax_t)l->maps.m[i].end,
                   (uintmax_t)(l->maps.m[i].end - l->maps.m[i].start) / 1024);
    printf("\nheap: sbrk(0) was %#jx before malloc()ing %zu bytes and %#jx after: the break moved "
           "by %jd bytes%s\n",
           (uintmax_t)l->brk_before, l->heap_request, (uintmax_t)l->brk_after,
           (intmax_t)(l->brk_after - l->brk_before),
           l->brk_after == l->brk_before ? " (the free space at the heap's top was enough)" : "");
    printf("stack: each recursion level is %ld bytes below the previous one (the stack grows "
           "down)\n",
           l->stack_frame_bytes);
    printf("a small bss variable may share the data segment's last file page, so it can show as "
           "data;\nthe main thread's TLS block is allocated by ld.so, outside the executable.\n");
    if (bad)
        printf("\n%d object(s) are not where their storage class puts them (marked NO)\n", bad);
    inspect_layout_free(l);
    free(l);
    return check && bad ? CLI_ERR : CLI_OK;
}
