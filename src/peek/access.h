/* SPDX-License-Identifier: MIT */
/*
 * access.h - the ways into another process's memory, one ops struct each
 * (access_vm.c: process_vm_readv/writev; access_procmem.c: /proc/PID/mem),
 * registered in access_table[] of mem.c, which owns what they share:
 * choosing, falling back, and turning refusals into sentences (perm.c).
 *
 * A method owns its state (state_size bytes, zeroed, handed to every call):
 * the file descriptor of /proc/PID/mem, nothing for the system calls.
 */
#ifndef VMLAB_PEEK_ACCESS_H
#define VMLAB_PEEK_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/peek.h"

typedef struct peek_access_ops {
    const char *name;    /* "process_vm_readv" */
    size_t state_size;   /* bytes of private state */
    /* Prepare for pid; 0 or -errno (-ESRCH, -EACCES/-EPERM). */
    int (*open)(void *st, int pid);
    void (*close)(void *st);
    /* Read the spans in order; returns the bytes read in all (stopping at
     * the first that cannot be read: a partial count) or -errno if not even
     * the first byte could be read. */
    long (*readv)(void *st, int pid, const peek_span_t *s, size_t n);
    /* Write n bytes at addr: bytes written or -errno. */
    long (*write)(void *st, int pid, uint64_t addr, const void *buf, size_t n);
} peek_access_ops_t;

extern const peek_access_ops_t peek_access_vm;
extern const peek_access_ops_t peek_access_procmem;

#endif
