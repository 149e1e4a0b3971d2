/* SPDX-License-Identifier: MIT */
/*
 * proc.c - the real /proc behind inspect_src_t.
 *
 * The only file of src/inspect that opens /proc; everything else takes an
 * inspect_src_t, so tests substitute captured text.  Errors are turned into
 * sentences a reader can act on: ESRCH/ENOENT (no such process), EACCES and
 * EPERM (ptrace access mode PTRACE_MODE_READ is needed for maps, smaps and
 * pagemap: same user and not dumpable-protected, or root).
 */
#include "vmlab/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmlab/env.h"

static void proc_path(char *buf, size_t n, int pid, const char *name)
{
    if (pid < 0)
        snprintf(buf, n, "/proc/%s", name);
    else if (pid == 0)
        snprintf(buf, n, "/proc/self/%s", name);
    else
        snprintf(buf, n, "/proc/%d/%s", pid, name);
}

static int proc_error(diag_t *d, const char *path, int pid, int e)
{
    if (e == ENOENT || e == ESRCH)
        return diag_set(d, path, 0, ESRCH, "no such process %d (expected a running process's PID)",
                        pid);
    if (e == EACCES || e == EPERM)
        return diag_set(d, path, 0, EACCES,
                        "permission denied (expected a process of your own user, or run as root)");
    return diag_set(d, path, 0, e, "cannot read: %s", strerror(e));
}

static int proc_read_text(void *ctx, int pid, const char *name, char **data, size_t *len,
                          diag_t *d)
{
    char path[64];
    diag_t tmp;
    int rc;
    (void)ctx;
    proc_path(path, sizeof path, pid, name);
    rc = env_read_file(path, data, len, &tmp);
    if (rc)
        return proc_error(d, path, pid, tmp.err ? tmp.err : -rc);
    return 0;
}

static int proc_read_at(void *ctx, int pid, const char *name, uint64_t off, void *buf, size_t n,
                        diag_t *d)
{
    char path[64];
    size_t got = 0;
    int fd;
    (void)ctx;
    proc_path(path, sizeof path, pid, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return proc_error(d, path, pid, errno);
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return proc_error(d, path, pid, e);
        }
        if (r == 0) {
            close(fd);
            return diag_set(d, path, 0, EIO, "short read at offset %ju (expected %zu bytes)",
                            (uintmax_t)(off + got), n - got);
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

static long proc_file_head(void *ctx, int pid, uint64_t start, uint64_t end, const char *path,
                           void *buf, size_t n)
{
    char mf[128];
    int fd;
    ssize_t r;
    (void)ctx;
    /* map_files reaches the very file mapped, even deleted or in another
     * mount namespace; it needs CAP_SYS_ADMIN, so fall back on the path. */
    if (pid == 0)
        snprintf(mf, sizeof mf, "/proc/self/map_files/%jx-%jx", (uintmax_t)start, (uintmax_t)end);
    else
        snprintf(mf, sizeof mf, "/proc/%d/map_files/%jx-%jx", pid, (uintmax_t)start,
                 (uintmax_t)end);
    fd = open(mf, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && path && path[0] == '/')
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    do
        r = pread(fd, buf, n, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        r = -errno;
    close(fd);
    return (long)r;
}

static int proc_exe_path(void *ctx, int pid, char *buf, size_t n)
{
    char path[64];
    ssize_t r;
    (void)ctx;
    proc_path(path, sizeof path, pid, "exe");
    r = readlink(path, buf, n - 1);
    if (r < 0) {
        buf[0] = '\0';
        return -errno;
    }
    buf[r] = '\0';
    /* readlink shows a deleted executable the way maps does. */
    if ((size_t)r > 10 && strcmp(buf + r - 10, " (deleted)") == 0)
        buf[r - 10] = '\0';
    return 0;
}

static const inspect_src_t proc_src = {
    proc_read_text, proc_read_at, proc_file_head, proc_exe_path, NULL,
};

const inspect_src_t *inspect_src_proc(void)
{
    return &proc_src;
}

int inspect_have_cap_sys_admin(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct c[2];
    memset(c, 0, sizeof c);
    if (syscall(SYS_capget, &h, c) != 0)
        return 0;
    return (c[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32)) & 1;
}

int inspect_aslr_level(void)
{
    char buf[8] = "";
    FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
    int level = 2;
    if (f) {
        if (fgets(buf, sizeof buf, f))
            level = atoi(buf);
        fclose(f);
    }
    return level;
}

uint64_t inspect_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (uint64_t)p : 4096;
}
