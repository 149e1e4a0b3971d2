/* SPDX-License-Identifier: MIT */
/*
 * access_vm.c - process_vm_readv(2) / process_vm_writev(2): copy between
 * this process and another without stopping it (mm/process_vm_access.c).
 *
 * The kernel pins the target's pages with the target's own permissions
 * (no FOLL_FORCE), so a write to a read-only page fails with EFAULT, as the
 * target's own store would fault.  Up to IOV_MAX (1024) remote iovecs go in
 * one call; the call stops at the first iovec it cannot complete and returns
 * the bytes copied so far (a partial count), or -1 with errno when nothing
 * could be copied.  Refused ptrace access is EPERM, a vanished process ESRCH.
 */
#include "peek/access.h"

#include <errno.h>
#include <sys/uio.h>

#define VM_IOV_MAX 1024

static int vm_open(void *st, int pid)
{
    (void)st;
    (void)pid;
    return 0;
}

static void vm_close(void *st)
{
    (void)st;
}

static long vm_readv(void *st, int pid, const peek_span_t *s, size_t n)
{
    struct iovec loc[VM_IOV_MAX], rem[VM_IOV_MAX];
    long total = 0;
    (void)st;
    while (n > 0) {
        size_t k = n < VM_IOV_MAX ? n : VM_IOV_MAX;
        size_t want = 0;
        ssize_t r;
        for (size_t i = 0; i < k; i++) {
            loc[i].iov_base = s[i].buf;
            loc[i].iov_len = s[i].len;
            rem[i].iov_base = (void *)(uintptr_t)s[i].addr;
            rem[i].iov_len = s[i].len;
            want += s[i].len;
        }
        r = process_vm_readv(pid, loc, k, rem, k, 0);
        if (r < 0)
            return total > 0 ? total : -errno;
        total += r;
        if ((size_t)r < want)
            return total;
        s += k;
        n -= k;
    }
    return total;
}

static long vm_write(void *st, int pid, uint64_t addr, const void *buf, size_t n)
{
    struct iovec loc = {(void *)buf, n}, rem = {(void *)(uintptr_t)addr, n};
    ssize_t r;
    (void)st;
    r = process_vm_writev(pid, &loc, 1, &rem, 1, 0);
    return r < 0 ? -errno : (long)r;
}

const peek_access_ops_t peek_access_vm = {
    .name = "process_vm_readv",
    .state_size = 0,
    .open = vm_open,
    .close = vm_close,
    .readv = vm_readv,
    .write = vm_write,
};
