/*
 * cmd_malloc_record.c - placeholder for `vmlab malloc record`, which the
 * preload library's branch (mpreload) implements in this file; it replaces
 * this one when merged.
 */
#include "cli/cli.h"

int cmd_malloc_record(int argc, char **argv)
{
    cli_error("malloc record: not built yet (it comes with the preload library)");
    return CLI_ERR;
}
