/* SPDX-License-Identifier: MIT */
/*
 * peek_cli.h - what `vmlab peek`, `poke` and `scan` share: the target's
 * classified mappings, --access, addresses, and refusals as one line.
 */
#ifndef VMLAB_CLI_PEEK_CLI_H
#define VMLAB_CLI_PEEK_CLI_H

#include <stdint.h>

#include "vmlab/peek.h"

/* Parse --access auto|vm|mem: *method and *fallback; -1 after a usage error. */
int pcli_access(const char *cmd, const char *val, peek_method_t *method /* OUT */,
                int *fallback /* OUT */);
/* Parse ADDR (hex, 0x optional); -1 after a usage error. */
int pcli_addr(const char *cmd, const char *arg, uint64_t *addr /* OUT */);
/* Load and classify pid's maps.  A refusal is explained by the ptrace
 * rules (peek_why) in *d; a missing process says so. */
int pcli_maps(int pid, inspect_maps_t *mm /* OUT */, diag_t *d);
/* PID argument: a positive number ("self" is this process's own pid). */
int pcli_pid(const char *cmd, const char *arg, int *pid /* OUT */);

#endif
