/* SPDX-License-Identifier: MIT */
/* placeholder replaced below */
#include "cli/cli.h"
int cmd_tlb_measure(int argc, char **argv) { (void)argc; (void)argv; return CLI_ERR; }
