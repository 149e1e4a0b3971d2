/* SPDX-License-Identifier: MIT */
/*
 * mem.c - peek_mem_t: a way into another process's memory (peek.h), over
 * the methods of access.h, registered here in access_table[].
 *
 * The shared policy: use the chosen method; when process_vm_writev is
 * refused a page with EFAULT and the fallback is allowed, write through
 * /proc/PID/mem (which forces a private copy of a read-only page) and say
 * so in peek_mem_note().  Every refusal becomes a sentence naming the
 * ptrace rule that refused (perm.c), a vanished process says so.
 */
#include "vmlab/peek.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peek/access.h"

static const peek_access_ops_t *const access_table[PEEK_METHOD_COUNT] = {
    [PEEK_VM] = &peek_access_vm,
    [PEEK_PROCMEM] = &peek_access_procmem,
};

struct peek_mem {
    int pid;                       /* the target */
    peek_method_t method;          /* used first */
    int fallback;                  /* may write through /proc/PID/mem after EFAULT */
    int opened[PEEK_METHOD_COUNT]; /* method i's open() succeeded */
    void *state[PEEK_METHOD_COUNT]; /* method i's state (state_size bytes) */
    char note[400];                /* why the last write fell back, "" if not */
};

const char *peek_method_name(peek_method_t me)
{
    return me == PEEK_VM ? "process_vm_readv/writev" : "/proc/PID/mem";
}

int peek_mem_open(int pid, peek_method_t method, int fallback, peek_mem_t **out, diag_t *d)
{
    peek_mem_t *m = calloc(1, sizeof *m);
    if (!m)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    m->pid = pid;
    m->method = method;
    m->fallback = fallback;
    for (int i = 0; i < PEEK_METHOD_COUNT; i++) {
        m->state[i] = calloc(1, access_table[i]->state_size + 1);
        if (!m->state[i]) {
            peek_mem_close(m);
            return diag_set(d, NULL, 0, ENOMEM, "out of memory");
        }
    }
    *out = m;
    return 0;
}

void peek_mem_close(peek_mem_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < PEEK_METHOD_COUNT; i++) {
        if (m->opened[i])
            access_table[i]->close(m->state[i]);
        free(m->state[i]);
    }
    free(m);
}

int peek_mem_pid(const peek_mem_t *m)
{
    return m->pid;
}

const char *peek_mem_note(const peek_mem_t *m)
{
    return m->note;
}

/* A failure of method me as a sentence; returns -e. */
static int mem_error(const peek_mem_t *m, peek_method_t me, int e, uint64_t addr, diag_t *d)
{
    char where[32], why[700];
    snprintf(where, sizeof where, "/proc/%d", m->pid);
    if (e == ESRCH)
        return diag_set(d, where, 0, ESRCH, "no such process %d (it does not exist or has exited; "
                                            "expected a running process's PID)",
                        m->pid);
    if (e == EPERM || e == EACCES) {
        peek_facts_t f;
        peek_facts_gather(m->pid, &f);
        peek_why(&f, why, sizeof why);
        return diag_set(d, where, 0, EPERM, "%s refused: %s", peek_method_name(me), why);
    }
    if (e == EFAULT)
        return diag_set(d, where, 0, EFAULT, "%s: cannot access address 0x%jx (EFAULT: not "
                                             "mapped, or not readable/writable as asked)",
                        peek_method_name(me), (uintmax_t)addr);
    return diag_set(d, where, 0, e, "%s at 0x%jx: %s", peek_method_name(me), (uintmax_t)addr,
                    strerror(e));
}

static int ensure_open(peek_mem_t *m, peek_method_t me, diag_t *d)
{
    int rc;
    if (m->opened[me])
        return 0;
    rc = access_table[me]->open(m->state[me], m->pid);
    if (rc)
        return mem_error(m, me, -rc, 0, d);
    m->opened[me] = 1;
    return 0;
}

long peek_mem_readv(peek_mem_t *m, const peek_span_t *s, size_t n, diag_t *d)
{
    long r;
    size_t i = 0, done = 0;
    int rc;
    if (n == 0)
        return 0;
    if ((rc = ensure_open(m, m->method, d)))
        return rc;
    r = access_table[m->method]->readv(m->state[m->method], m->pid, s, n);
    if (r == -ENOSYS && m->method == PEEK_VM && m->fallback) {
        /* A kernel without CONFIG_CROSS_MEMORY_ATTACH: /proc/PID/mem for good. */
        m->method = PEEK_PROCMEM;
        return peek_mem_readv(m, s, n, d);
    }
    if (r < 0)
        return mem_error(m, m->method, (int)-r, s[0].addr, d);
    /* Whole spans covered by r bytes. */
    while (i < n && done + s[i].len <= (size_t)r)
        done += s[i++].len;
    if (i == 0)
        return mem_error(m, m->method, EFAULT, s[0].addr, d);
    return (long)i;
}

int peek_mem_read(peek_mem_t *m, uint64_t addr, void *buf, size_t n, diag_t *d)
{
    peek_span_t s = {addr, n, buf};
    long r = peek_mem_readv(m, &s, 1, d);
    return r < 0 ? (int)r : 0;
}

int peek_mem_write(peek_mem_t *m, uint64_t addr, const void *buf, size_t n,
                   peek_method_t *used, diag_t *d)
{
    peek_method_t me = m->method;
    long r;
    int rc;
    m->note[0] = '\0';
    if ((rc = ensure_open(m, me, d)))
        return rc;
    r = access_table[me]->write(m->state[me], m->pid, addr, buf, n);
    if (r == -EFAULT && me == PEEK_VM && m->fallback) {
        diag_t tmp;
        /* Readable but not writable for the target itself? */
        char probe;
        peek_span_t s = {addr, 1, &probe};
        int readable = access_table[PEEK_VM]->readv(m->state[PEEK_VM], m->pid, &s, 1) == 1;
        if (readable && ensure_open(m, PEEK_PROCMEM, &tmp) == 0) {
            long r2 = access_table[PEEK_PROCMEM]->write(m->state[PEEK_PROCMEM], m->pid, addr, buf,
                                                        n);
            if (r2 == (long)n) {
                snprintf(m->note, sizeof m->note,
                         "process_vm_writev failed with EFAULT (the page is not writable by the "
                         "process itself); /proc/PID/mem wrote it with FOLL_FORCE, as a debugger "
                         "does: a private page was copied first (copy-on-write), so the file and "
                         "other processes mapping it keep the old bytes");
                if (used)
                    *used = PEEK_PROCMEM;
                return 0;
            }
        }
    }
    if (r < 0)
        return mem_error(m, me, (int)-r, addr, d);
    if ((size_t)r < n)
        return diag_set(d, NULL, 0, EFAULT, "%s wrote only %ld of %zu bytes at 0x%jx (the rest "
                                            "is not writable)",
                        peek_method_name(me), r, n, (uintmax_t)addr);
    if (used)
        *used = me;
    return 0;
}
