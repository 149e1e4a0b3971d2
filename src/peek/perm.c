/* SPDX-License-Identifier: MIT */
/*
 * perm.c - the ptrace access rules, as the kernel applies them to
 * process_vm_readv/writev and /proc/PID/mem, turned into sentences: the
 * answer to "why must scanmem run with sudo?".
 *
 * The order is the kernel's (Linux 6.x):
 *   1. kernel/ptrace.c __ptrace_may_access(): the caller's real uid and gid
 *      (REALCREDS; the fs ids for /proc/PID/mem) must equal the target's
 *      real, effective and saved ids, unless the caller has CAP_SYS_PTRACE;
 *   2. then the target must be dumpable (get_dumpable() == SUID_DUMP_USER;
 *      prctl(PR_SET_DUMPABLE, 0) and setuid/file-capability execs clear it),
 *      unless the caller has CAP_SYS_PTRACE;
 *   3. security/commoncap.c cap_ptrace_access_check(): the target's
 *      permitted capabilities must be a subset of the caller's, unless the
 *      caller has CAP_SYS_PTRACE;
 *   4. security/yama/yama_lsm.c (attach modes only, which both use):
 *      ptrace_scope 1 lets only an ancestor (or a PR_SET_PTRACER exception)
 *      in, 2 only CAP_SYS_PTRACE, 3 nobody.
 * So root reads any process, even a non-dumpable one, because it has
 * CAP_SYS_PTRACE, not because it is uid 0: root without the capability is
 * refused another user's process like anyone else.
 *
 * Whether the target is dumpable is not in /proc/PID/status; the kernel
 * shows it another way: the files in a non-dumpable process's /proc/PID
 * (mem, status, maps) are owned by root, while the directory keeps the
 * process's owner (fs/proc/base.c task_dump_owner(), pid_update_inode()).
 */
#include "vmlab/peek.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmlab/env.h"

/* "Name:\t1\t2\t3\t4" -> up to n numbers (base 10, or 16 if hex). */
static int status_field(const char *text, const char *name, int hex, uint64_t *v, int n)
{
    size_t nl = strlen(name);
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            char *end;
            const char *q = p + nl + 1;
            int k = 0;
            for (; k < n; k++) {
                while (*q == ' ' || *q == '\t')
                    q++;
                if (*q == '\n' || !*q)
                    break;
                v[k] = strtoull(q, &end, hex ? 16 : 10);
                if (end == q)
                    break;
                q = end;
            }
            return k;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return 0;
}

static int read_status(int pid, char **text)
{
    char path[64];
    size_t len;
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    return env_read_file(path, text, &len, NULL);
}

static int is_descendant(int pid, int me)
{
    for (int depth = 0; depth < 4096 && pid > 1; depth++) {
        char *t = NULL;
        uint64_t pp = 0;
        if (read_status(pid, &t))
            return 0;
        status_field(t, "PPid", 0, &pp, 1);
        free(t);
        if ((int)pp == me)
            return 1;
        pid = (int)pp;
    }
    return 0;
}

void peek_facts_gather(int pid, peek_facts_t *f)
{
    char *t = NULL, path[64];
    uint64_t v[4];
    struct stat st;
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct c[2];

    memset(f, 0, sizeof *f);
    f->pid = pid;
    f->dumpable = -1;
    f->yama = -1;
    f->c_uid = (uint32_t)getuid();
    f->c_gid = (uint32_t)getgid();
    memset(c, 0, sizeof c);
    if (syscall(SYS_capget, &h, c) == 0) {
        f->c_cap_ptrace = (c[CAP_SYS_PTRACE / 32].effective >> (CAP_SYS_PTRACE % 32)) & 1;
        f->c_cap_prm = c[0].permitted | (uint64_t)c[1].permitted << 32;
    }
    if (read_status(pid, &t) == 0) {
        int ok = status_field(t, "Uid", 0, v, 4) == 4;
        for (int i = 0; ok && i < 4; i++)
            f->t_uid[i] = (uint32_t)v[i];
        ok = ok && status_field(t, "Gid", 0, v, 4) == 4;
        for (int i = 0; ok && i < 4; i++)
            f->t_gid[i] = (uint32_t)v[i];
        if (status_field(t, "CapPrm", 1, v, 1) == 1)
            f->t_cap_prm = v[0];
        f->target_known = ok;
        free(t);
    }
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    if (f->target_known && stat(path, &st) == 0) {
        if (st.st_uid == f->t_uid[1] && f->t_uid[1] != 0)
            f->dumpable = 1;
        else if (st.st_uid == 0 && f->t_uid[1] != 0)
            f->dumpable = 0;
    }
    {
        char *y = NULL;
        size_t len;
        if (env_read_file("/proc/sys/kernel/yama/ptrace_scope", &y, &len, NULL) == 0) {
            f->yama = atoi(y);
            free(y);
        }
    }
    f->descendant = is_descendant(pid, (int)getpid());
}

int peek_why(const peek_facts_t *f, char *buf, size_t n)
{
    const char *sudo = "that is why tools like scanmem need sudo";
    int same_ids, cap = f->c_cap_ptrace;

    if (!f->target_known) {
        snprintf(buf, n, "process %d's credentials cannot be read (/proc/%d/status); it may have "
                         "exited",
                 f->pid, f->pid);
        return 1;
    }
    same_ids = f->c_uid == f->t_uid[0] && f->c_uid == f->t_uid[1] && f->c_uid == f->t_uid[2] &&
               f->c_gid == f->t_gid[0] && f->c_gid == f->t_gid[1] && f->c_gid == f->t_gid[2];
    if (!same_ids && !cap) {
        snprintf(buf, n,
                 "different user: process %d runs as uid %u (effective %u, saved %u) gid %u, you "
                 "as uid %u gid %u, and only a caller with CAP_SYS_PTRACE may read another user's "
                 "memory (kernel/ptrace.c); run as that user, or as root (sudo), whose "
                 "CAP_SYS_PTRACE allows it: %s",
                 f->pid, f->t_uid[0], f->t_uid[1], f->t_uid[2], f->t_gid[0], f->c_uid, f->c_gid,
                 sudo);
        return 1;
    }
    if (f->dumpable == 0 && !cap) {
        snprintf(buf, n,
                 "not dumpable: process %d called prctl(PR_SET_DUMPABLE, 0) or runs a setuid, "
                 "setgid or file-capability program, and then only a caller with CAP_SYS_PTRACE "
                 "may read it (kernel/ptrace.c), even as the same user; run as root (sudo), or "
                 "have the target stay dumpable",
                 f->pid);
        return 1;
    }
    if ((f->t_cap_prm & ~f->c_cap_prm) && !cap) {
        snprintf(buf, n,
                 "missing capabilities: process %d holds permitted capabilities you lack "
                 "(CapPrm %#jx, yours %#jx), and only a caller with CAP_SYS_PTRACE may read "
                 "such a process (security/commoncap.c); run as root (sudo)",
                 f->pid, (uintmax_t)f->t_cap_prm, (uintmax_t)f->c_cap_prm);
        return 1;
    }
    if (f->yama == 3) {
        snprintf(buf, n, "Yama ptrace_scope 3 (/proc/sys/kernel/yama/ptrace_scope): no process may "
                         "attach to another, not even root, until the next boot");
        return 1;
    }
    if (f->yama == 2 && !cap) {
        snprintf(buf, n,
                 "Yama ptrace_scope 2 (/proc/sys/kernel/yama/ptrace_scope): only a caller with "
                 "CAP_SYS_PTRACE may attach; run as root (sudo), or give the tool the capability "
                 "(setcap cap_sys_ptrace+ep)");
        return 1;
    }
    if (f->yama == 1 && !cap && !f->descendant) {
        snprintf(buf, n,
                 "Yama ptrace_scope 1 (/proc/sys/kernel/yama/ptrace_scope): only an ancestor of "
                 "process %d, or the process it named with prctl(PR_SET_PTRACER), may attach, and "
                 "you are not its ancestor; start the target from your shell's child, run as root "
                 "(sudo, CAP_SYS_PTRACE), or set the scope to 0 "
                 "(echo 0 | sudo tee /proc/sys/kernel/yama/ptrace_scope)",
                 f->pid);
        return 1;
    }
    if (cap)
        snprintf(buf, n,
                 "allowed by CAP_SYS_PTRACE%s%s (kernel/ptrace.c: the capability overrides the "
                 "user, dumpable and capability rules%s)",
                 !same_ids ? ": process is another user's" : "",
                 f->dumpable == 0 ? (same_ids ? ": process is not dumpable" : ", and not dumpable")
                                  : "",
                 f->yama == 1 || f->yama == 2 ? " and Yama's scope" : "");
    else
        snprintf(buf, n,
                 "allowed: same user (uid %u), dumpable%s%s; no rule refuses (if the kernel still "
                 "did, a security module such as SELinux or AppArmor decided)",
                 f->c_uid, f->yama < 0 ? ", no Yama" : f->yama == 0 ? ", Yama scope 0" : "",
                 f->yama == 1 ? ", Yama scope 1 and you are its ancestor" : "");
    return 0;
}
