/* SPDX-License-Identifier: MIT */
/*
 * inspect_cli.h - what `vmlab layout`, `maps`, `v2p` and `faults` share:
 * PID arguments, JSON strings, mapping descriptions.
 */
#ifndef VMLAB_CLI_INSPECT_CLI_H
#define VMLAB_CLI_INSPECT_CLI_H

#include <stdio.h>

#include "vmlab/inspect.h"

/* Parse PID ("self" is 0, this process); -1 (after printing a usage error
 * for cmd) if it is not a positive decimal number. */
int icli_pid(const char *cmd, const char *arg, int *pid /* OUT */);
/* "text" or "lib text" into buf[n]. */
const char *icli_kind(const inspect_map_t *m, char *buf, size_t n);
/* One phrase: what a mapping of this kind holds. */
const char *icli_kind_explain(inspect_kind_t k);

#endif
