/* SPDX-License-Identifier: MIT */
/*
 * access_procmem.c - /proc/PID/mem: the target's address space as a file,
 * offset = virtual address (fs/proc/base.c, mem_rw()).
 *
 * Opening it checks ptrace access (PTRACE_MODE_ATTACH_FSCREDS); each
 * read or write goes through access_remote_vm() with FOLL_FORCE, so, like a
 * debugger, it may write to a page the target itself cannot: a private
 * read-only page (code, rodata, a MAP_PRIVATE file) is copied first
 * (copy-on-write) and the copy written; the file and every other process
 * mapping it keep the old bytes.  A MAP_SHARED read-only mapping cannot be
 * written even so (EFAULT/EIO).  Unmapped addresses read as EIO.
 */
#include "peek/access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

typedef struct procmem {
    int fd;   /* /proc/PID/mem, opened read-write if allowed, else read-only */
    int open; /* fd is valid */
    int rw;   /* fd was opened O_RDWR */
} procmem_t;

static int pm_open(void *st, int pid)
{
    procmem_t *p = st;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    p->fd = open(path, O_RDWR | O_CLOEXEC);
    p->rw = p->fd >= 0;
    if (p->fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
        p->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (p->fd < 0)
        return errno == ENOENT ? -ESRCH : -errno;
    p->open = 1;
    return 0;
}

static void pm_close(void *st)
{
    procmem_t *p = st;
    if (p->open)
        close(p->fd);
    p->open = 0;
}

/* A process that has exited leaves the fd with no mm: reads return 0. */
static long pm_readv(void *st, int pid, const peek_span_t *s, size_t n)
{
    procmem_t *p = st;
    long total = 0;
    (void)pid;
    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        while (got < s[i].len) {
            ssize_t r = pread(p->fd, (char *)s[i].buf + got, s[i].len - got,
                              (off_t)(s[i].addr + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                int e = r == 0 ? ESRCH : errno == EIO ? EFAULT : errno;
                return total > 0 ? total : -e;
            }
            got += (size_t)r;
            total += r;
        }
    }
    return total;
}

static long pm_write(void *st, int pid, uint64_t addr, const void *buf, size_t n)
{
    procmem_t *p = st;
    ssize_t r;
    (void)pid;
    if (!p->rw)
        return -EACCES;
    do
        r = pwrite(p->fd, buf, n, (off_t)addr);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return -ESRCH;
    return r < 0 ? (errno == EIO ? -EFAULT : -errno) : (long)r;
}

const peek_access_ops_t peek_access_procmem = {
    .name = "/proc/PID/mem",
    .state_size = sizeof(procmem_t),
    .open = pm_open,
    .close = pm_close,
    .readv = pm_readv,
    .write = pm_write,
};
