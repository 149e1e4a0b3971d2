/* SPDX-License-Identifier: MIT */
/*
 * fx.c - what the page-fault experiments share (fx.h): recording steps and
 * figures, the kernel's fault counters, anonymous regions without huge
 * pages, pagemap reads, temporary files, and the common prologue.
 */
#include "inspect/fx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

__attribute__((format(printf, 3, 0))) static void fx_add(inspect_fx_line_t *lines, size_t *n,
                                                        const char *fmt, va_list ap)
{
    if (*n < INSPECT_FX_MAX_LINES)
        vsnprintf(lines[(*n)++].text, sizeof lines[0].text, fmt, ap);
}

__attribute__((format(printf, 2, 3))) void fx_did(inspect_fx_t *fx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fx_add(fx->did, &fx->ndid, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) void fx_measured(inspect_fx_t *fx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fx_add(fx->measured, &fx->nmeasured, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) void fx_conclude(inspect_fx_t *fx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fx->conclusion, sizeof fx->conclusion, fmt, ap);
    va_end(ap);
}

faults_t fx_faults_now(void)
{
    struct rusage ru;
    faults_t f = {0, 0};
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        f.min = ru.ru_minflt;
        f.maj = ru.ru_majflt;
    }
    return f;
}

/* Resident set in kB from /proc/self/statm's second field (pages). */
int fx_rss_kb(const inspect_src_t *src, long *kb, diag_t *d)
{
    char *t = NULL;
    size_t len;
    unsigned long size, res;
    int rc = src->read_text(src->ctx, 0, "statm", &t, &len, d);
    if (rc)
        return rc;
    if (sscanf(t, "%lu %lu", &size, &res) != 2) {
        free(t);
        return diag_set(d, "/proc/self/statm", 1, EINVAL, "cannot read the resident size");
    }
    free(t);
    *kb = (long)(res * (inspect_page_size() / 1024));
    return 0;
}

void *fx_map_anon(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, len, MADV_NOHUGEPAGE);
    return p;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Distinct PFNs among n pages, -1 if hidden or absent. */
long fx_distinct_pfns(const inspect_page_t *pg, size_t n)
{
    uint64_t *v = malloc(n * sizeof *v);
    long k = 0;
    if (!v)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!pg[i].present || pg[i].pfn_hidden) {
            free(v);
            return -1;
        }
        v[i] = pg[i].pfn;
    }
    qsort(v, n, sizeof *v, cmp_u64);
    for (size_t i = 0; i < n; i++)
        k += i == 0 || v[i] != v[i - 1];
    free(v);
    return k;
}

int fx_read_pages(const inspect_src_t *src, const void *addr, size_t n, inspect_page_t **pg,
                      diag_t *d)
{
    int rc;
    *pg = calloc(n, sizeof **pg);
    if (!*pg)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    rc = inspect_pagemap_read(src, 0, (uint64_t)(uintptr_t)addr, n, 1, *pg, d);
    if (rc) {
        free(*pg);
        *pg = NULL;
    }
    return rc;
}

/* Present pages among the whole pages inside [p, p + len). */
int fx_present_pages(const inspect_src_t *src, const void *p, size_t len, long *count,
                         long *whole, diag_t *d)
{
    uint64_t ps = inspect_page_size(), lo = ((uint64_t)(uintptr_t)p + ps - 1) & ~(ps - 1),
             hi = ((uint64_t)(uintptr_t)p + len) & ~(ps - 1);
    inspect_page_t *pg;
    int rc;
    *count = 0;
    *whole = hi > lo ? (long)((hi - lo) / ps) : 0;
    if (hi <= lo)
        return 0;
    if ((rc = fx_read_pages(src, (const void *)(uintptr_t)lo, (size_t)((hi - lo) / ps), &pg, d)))
        return rc;
    for (uint64_t i = 0; i < (hi - lo) / ps; i++)
        *count += pg[i].present;
    free(pg);
    return 0;
}

const char fx_pfn_hidden_why[] =
    "PFNs are hidden: without CAP_SYS_ADMIN the kernel reports them as 0 (Linux >= 4.2)";

int fx_tmp_file(size_t len, char *path, size_t pn, diag_t *d)
{
    const char *dir = getenv("TMPDIR");
    char *buf;
    int fd;
    snprintf(path, pn, "%s/vmlab-faults-XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0)
        return diag_set(d, path, 0, errno, "cannot create a temporary file: %s", strerror(errno));
    buf = malloc(len);
    if (!buf) {
        close(fd);
        unlink(path);
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    }
    memset(buf, 'a', len);
    if (write(fd, buf, len) != (ssize_t)len || fsync(fd)) {
        int e = errno ? errno : EIO;
        free(buf);
        close(fd);
        unlink(path);
        return diag_set(d, path, 0, e, "cannot write the temporary file: %s", strerror(e));
    }
    free(buf);
    return fd;
}


int fx_begin(inspect_fx_t *fx, const char *question, size_t len, char **p, diag_t *d)
{
    fx->question = question;
    *p = fx_map_anon(len);
    if (!*p)
        return diag_set(d, NULL, 0, errno, "mmap(%zu KiB) failed: %s", len >> 10,
                        strerror(errno));
    return 0;
}
