/*
 * cmd_malloc.c - `vmlab malloc SUBCOMMAND`: dispatch to the subcommands.
 *
 * Minimal dispatcher of the mpreload branch, only `record`; the malloc
 * branch's dispatcher (replay, ...) replaces it at merge.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_malloc(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "record") == 0)
        return cmd_malloc_record(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: vmlab malloc record -o FILE -- CMD [ARGS...]\n");
        return CLI_OK;
    }
    return cli_usage("malloc", "expected a subcommand: record");
}
