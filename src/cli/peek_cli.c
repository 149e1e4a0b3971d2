/* SPDX-License-Identifier: MIT */
/*
 * peek_cli.c - helpers shared by peek, poke and scan (peek_cli.h).
 */
#include "cli/peek_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/inspect_cli.h"
#include "vmlab/parse.h"

int pcli_access(const char *cmd, const char *val, peek_method_t *method, int *fallback)
{
    if (strcmp(val, "auto") == 0) {
        *method = PEEK_VM;
        *fallback = 1;
    } else if (strcmp(val, "vm") == 0) {
        *method = PEEK_VM;
        *fallback = 0;
    } else if (strcmp(val, "mem") == 0) {
        *method = PEEK_PROCMEM;
        *fallback = 0;
    } else {
        cli_usage(cmd, "--access '%s' (expected auto, vm or mem)", val);
        return -1;
    }
    return 0;
}

int pcli_addr(const char *cmd, const char *arg, uint64_t *addr)
{
    size_t n = strlen(arg);
    if (n == 0 || parse_u64_hex(arg, n, addr)) {
        cli_usage(cmd, "'%s' is not an address (expected hex such as 0x7ffd1234 or 7ffd1234)",
                  arg);
        return -1;
    }
    return 0;
}

int pcli_pid(const char *cmd, const char *arg, int *pid)
{
    if (icli_pid(cmd, arg, pid))
        return -1;
    if (*pid == 0)
        *pid = (int)getpid();
    return 0;
}

/* A process with no mappings has exited and waits to be reaped (state Z,
 * a zombie; X while it is being reaped): its maps file is empty, not
 * missing.  -ESRCH then, as for a process that is gone; 0 otherwise. */
static int exited(const inspect_src_t *src, int pid, diag_t *d)
{
    char *text = NULL, *rp, state = '?';
    size_t len;
    int ppid = 0;
    if (src->read_text(src->ctx, pid, "stat", &text, &len, NULL))
        return 0;
    rp = strrchr(text, ')'); /* the command name may hold anything but ends at the last ')' */
    if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
        state = '?';
    free(text);
    if (state != 'Z' && state != 'X')
        return 0;
    {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        return diag_set(d, path, 0, ESRCH, "no such process %d: it has exited (a zombie, state "
                                           "%c, that its parent %d has not reaped yet) (expected "
                                           "a running process's PID)",
                        pid, state, ppid);
    }
}

int pcli_maps(int pid, inspect_maps_t *mm, diag_t *d)
{
    const inspect_src_t *src = inspect_src_proc();
    int rc = inspect_maps_load(src, pid, "maps", mm, d);
    if (rc == -EACCES) {
        peek_facts_t f;
        char why[700], path[64];
        peek_facts_gather(pid, &f);
        peek_why(&f, why, sizeof why);
        snprintf(path, sizeof path, "/proc/%d/maps", pid);
        return diag_set(d, path, 0, EPERM, "refused: %s", why);
    }
    if (rc)
        return rc;
    if (mm->n == 0 && (rc = exited(src, pid, d))) {
        inspect_maps_free(mm);
        return rc;
    }
    inspect_classify_src(mm, src, pid);
    return 0;
}
