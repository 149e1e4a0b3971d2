/* SPDX-License-Identifier: MIT */
/*
 * faults.c - experiments that answer the lab's questions about demand
 * paging with the kernel's own numbers.
 *
 * Measurements: minor and major faults from getrusage(2) (ru_minflt,
 * ru_majflt), the resident set from /proc/self/statm, and per page the
 * pagemap entry (pagemap.c): PFN, "exclusive", "file/shared".  Each
 * experiment fills an inspect_fx_t with what it did, what it measured and a
 * one-sentence conclusion; `confirmed` says whether the numbers bear the
 * conclusion out.  The kernel behaviour relied on (mm/memory.c):
 *
 *  - do_anonymous_page(): a read fault on untouched private anonymous memory
 *    maps the shared zero page read-only and allocates nothing (not counted
 *    in RSS); a write fault allocates a zeroed private frame;
 *  - do_wp_page(): a write to a page mapped read-only because it is shared
 *    (the zero page, or a page shared with a parent or child after fork)
 *    copies it: copy-on-write;
 *  - MAP_SHARED file pages are the page cache's; MAP_PRIVATE ones are until
 *    the first write, which copies them into an anonymous frame;
 *  - a fault that must read the disk is a major fault.
 *
 * Transparent huge pages would make one fault map 2 MiB: every region is
 * madvise(MADV_NOHUGEPAGE)'d so that one fault is one 4 KiB page.
 */
#include "vmlab/inspect.h"

#include "inspect/fx.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- malloc: does malloc allocate physical memory? ----------------------- */

static int fx_malloc(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d)
{
    const size_t small = 64 << 10, large = 16 << 20, ps = inspect_page_size();
    long r0, r1, r2, s0, s1, whole, l0, lwhole;
    faults_t f0, f1;
    inspect_maps_t mm;
    const inspect_map_t *ms, *ml;
    char *a, *b;
    int rc;

    fx->question = "Does malloc allocate physical memory?";
#ifdef M_MMAP_THRESHOLD
    /* glibc raises its threshold when an mmap'd block is freed (up to 32
     * MiB); pin it to the documented default so the answer does not depend
     * on what this process freed before. */
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    fx_did(fx, "mallopt(M_MMAP_THRESHOLD, 128 KiB): blocks of 128 KiB and more get their own mmap");
#endif
    a = malloc(small);
    if (!a)
        return diag_set(d, NULL, 0, ENOMEM, "malloc(64 KiB) failed");
    /* RSS moves by a few pages with every read of statm (its buffer comes
     * from the same heap), too coarse for 16 pages: count the block's own
     * present pages in pagemap instead. */
    if ((rc = fx_present_pages(src, a, small, &s0, &whole, d)))
        goto out_a;
    f0 = fx_faults_now();
    for (size_t i = 0; i < small; i += ps)
        ((volatile char *)a)[i] = 1;
    f1 = fx_faults_now();
    if ((rc = fx_present_pages(src, a, small, &s1, &whole, d)))
        goto out_a;
    fx_did(fx, "malloc(64 KiB) at %p: below M_MMAP_THRESHOLD (128 KiB), so from the brk heap", a);
    fx_did(fx, "wrote one byte in each of its pages");
    fx_measured(fx, "small block: %ld of its %ld whole pages present after malloc, %ld after touching; "
                 "%ld minor faults%s",
             s0, whole, s1, f1.min - f0.min,
             s0 > 1 ? " (heap memory this process used and freed before stays mapped)" : "");

    if ((rc = fx_rss_kb(src, &r0, d)))
        goto out_a;
    b = malloc(large);
    if (!b) {
        free(a);
        return diag_set(d, NULL, 0, ENOMEM, "malloc(16 MiB) failed");
    }
    {
        /* The page-aligned interior: malloc's own header sits before it. */
        uintptr_t lo = ((uintptr_t)b + ps - 1) & ~(uintptr_t)(ps - 1);
        uintptr_t hi = ((uintptr_t)b + large) & ~(uintptr_t)(ps - 1);
        madvise((void *)lo, hi - lo, MADV_NOHUGEPAGE);
    }
    if ((rc = fx_present_pages(src, b, large, &l0, &lwhole, d)) || (rc = fx_rss_kb(src, &r1, d)))
        goto out;
    f0 = fx_faults_now();
    for (size_t i = 0; i < large; i += ps)
        ((volatile char *)b)[i] = 1;
    f1 = fx_faults_now();
    if ((rc = fx_rss_kb(src, &r2, d)))
        goto out;
    if ((rc = inspect_maps_load(src, 0, "maps", &mm, d)))
        goto out;
    inspect_classify_src(&mm, src, 0);
    ms = inspect_maps_find(&mm, (uint64_t)(uintptr_t)a);
    ml = inspect_maps_find(&mm, (uint64_t)(uintptr_t)b);
    fx_did(fx, "malloc(16 MiB) at %p: above the threshold, so its own mmap", b);
    fx_did(fx, "wrote one byte in each of its %zu pages", large / ps);
    fx_measured(fx, "the small block lies in %s, the large one in %s",
             ms ? (ms->path[0] ? ms->path : "an anonymous mapping") : "no mapping",
             ml ? (ml->path[0] ? ml->path : "an anonymous mapping") : "no mapping");
    fx_measured(fx, "large block: %ld of its %ld whole pages present after malloc; process RSS %+ld kB "
                 "after malloc (this program's own reads of /proc included), %+ld kB after touching",
             l0, lwhole, r1 - r0, r2 - r1);
    fx_measured(fx, "touching it: %ld minor faults, %ld major faults for %zu pages", f1.min - f0.min,
             f1.maj - f0.maj, large / ps);
    fx->pages = (long)(large / ps);
    fx->minflt = f1.min - f0.min;
    fx->majflt = f1.maj - f0.maj;
    fx->rss_delta_kb = r2 - r1;
    fx->extra = l0;
    fx->distinct_pfns = -1;
    fx->confirmed = l0 <= 1 && s1 == whole &&
                    (r2 - r1) >= (long)(large / 1024 * 9 / 10) &&
                    fx->minflt >= fx->pages * 9 / 10 && ms &&
                    ms->kind == (INSPECT_ASAN_MALLOC ? INSPECT_K_ANON : INSPECT_K_HEAP) && ml &&
                    ml->kind == INSPECT_K_ANON;
    fx_conclude(fx,
             "No: after malloc(16 MiB) %ld of its %ld pages were in memory; only touching them "
             "made the kernel fault them in, one minor fault each (%ld faults, RSS %+ld kB); small "
             "blocks come from the brk heap, large ones from a fresh mmap.",
             l0, lwhole, fx->minflt, r2 - r1);
    inspect_maps_free(&mm);
out:
    free(b);
out_a:
    free(a);
    return rc;
}

/* ---- zero: reading untouched anonymous memory ---------------------------- */

static int fx_zero(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d)
{
    const size_t n = 1024, ps = inspect_page_size(), len = n * ps;
    long r0, r1, sum = 0;
    faults_t f0, f1;
    inspect_page_t *pg = NULL;
    char *p;
    int rc;

    if ((rc = fx_begin(fx, "What does reading never-written memory map?", len, &p, d)))
        return rc;
    if ((rc = fx_rss_kb(src, &r0, d)))
        goto out;
    f0 = fx_faults_now();
    for (size_t i = 0; i < len; i += ps)
        sum += ((volatile char *)p)[i];
    f1 = fx_faults_now();
    if ((rc = fx_rss_kb(src, &r1, d)) || (rc = fx_read_pages(src, p, n, &pg, d)))
        goto out;
    fx_did(fx, "mmap'd 4 MiB of private anonymous memory (MADV_NOHUGEPAGE) at %p", p);
    fx_did(fx, "read one byte from each of its %zu pages (sum of bytes read: %ld)", n, sum);
    fx->pages = (long)n;
    fx->minflt = f1.min - f0.min;
    fx->majflt = f1.maj - f0.maj;
    fx->rss_delta_kb = r1 - r0;
    fx->distinct_pfns = fx_distinct_pfns(pg, n);
    fx_measured(fx, "%ld minor faults for %zu pages; RSS %+ld kB", fx->minflt, n, fx->rss_delta_kb);
    {
        size_t present = 0;
        for (size_t i = 0; i < n; i++)
            present += pg[i].present;
        fx_measured(fx, "pagemap: %zu of %zu pages present", present, n);
    }
    if (fx->distinct_pfns >= 0) {
        char flags[256] = "";
        if (pg[0].have_kflags)
            inspect_kpf_format(pg[0].kflags, " ", flags, sizeof flags);
        fx_measured(fx, "pagemap: %ld distinct PFN(s) for %zu pages: PFN %#jx (kpageflags: %s)",
                 fx->distinct_pfns, n, (uintmax_t)pg[0].pfn, pg[0].have_kflags ? flags : "unread");
        fx->extra = (long)pg[0].pfn;
        fx->confirmed = fx->distinct_pfns == 1 && fx->rss_delta_kb < (long)(n * ps / 1024 / 10) &&
                        fx->minflt >= fx->pages * 9 / 10;
        fx_conclude(fx,
                 "Every page read faulted (%ld minor faults) yet RSS grew by only %ld kB: all %zu "
                 "pages map one and the same frame, PFN %#jx, the kernel's shared zero page.",
                 fx->minflt, fx->rss_delta_kb, n, (uintmax_t)pg[0].pfn);
    } else {
        fx_measured(fx, "%s", fx_pfn_hidden_why);
        fx->confirmed = fx->rss_delta_kb < (long)(n * ps / 1024 / 10) &&
                        fx->minflt >= fx->pages * 9 / 10;
        fx_conclude(fx,
                 "Every page read faulted (%ld minor faults) yet RSS grew by only %ld kB: the "
                 "pages map the shared zero page, which no process is charged for (run as root to "
                 "see its one PFN).",
                 fx->minflt, fx->rss_delta_kb);
    }
out:
    free(pg);
    munmap(p, len);
    return rc;
}

/* ---- write: writing it --------------------------------------------------- */

static int fx_write(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d)
{
    const size_t n = 1024, ps = inspect_page_size(), len = n * ps;
    long r0, r1, sum = 0;
    size_t excl = 0;
    faults_t f0, f1;
    inspect_page_t *pg = NULL;
    char *p;
    int rc;

    if ((rc = fx_begin(fx, "What does the first write to a page do?", len, &p, d)))
        return rc;
    for (size_t i = 0; i < len; i += ps)
        sum += ((volatile char *)p)[i]; /* zero page first */
    if ((rc = fx_rss_kb(src, &r0, d)))
        goto out;
    f0 = fx_faults_now();
    for (size_t i = 0; i < len; i += ps)
        ((volatile char *)p)[i] = (char)(i / ps + 1);
    f1 = fx_faults_now();
    if ((rc = fx_rss_kb(src, &r1, d)) || (rc = fx_read_pages(src, p, n, &pg, d)))
        goto out;
    fx_did(fx, "mmap'd 4 MiB of private anonymous memory at %p, read every page (zero page; sum %ld)",
        p, sum);
    fx_did(fx, "then wrote one byte to each of its %zu pages", n);
    fx->pages = (long)n;
    fx->minflt = f1.min - f0.min;
    fx->majflt = f1.maj - f0.maj;
    fx->rss_delta_kb = r1 - r0;
    fx->distinct_pfns = fx_distinct_pfns(pg, n);
    for (size_t i = 0; i < n; i++)
        excl += pg[i].present && pg[i].exclusive;
    fx->extra = (long)excl;
    fx_measured(fx, "writes: %ld minor faults for %zu pages; RSS %+ld kB (%zu pages x %ju kB = %ju kB)",
             fx->minflt, n, fx->rss_delta_kb, n, (uintmax_t)ps / 1024, (uintmax_t)(n * ps / 1024));
    fx_measured(fx, "pagemap: %zu of %zu pages present and exclusive to this process", excl, n);
    if (fx->distinct_pfns >= 0)
        fx_measured(fx, "pagemap: %ld distinct PFNs for %zu pages", fx->distinct_pfns, n);
    else
        fx_measured(fx, "%s", fx_pfn_hidden_why);
    fx->confirmed = fx->minflt >= fx->pages * 9 / 10 &&
                    fx->rss_delta_kb >= (long)(n * ps / 1024 * 9 / 10) && excl == n &&
                    (fx->distinct_pfns < 0 || fx->distinct_pfns == (long)n);
    if (fx->distinct_pfns >= 0)
        fx_conclude(fx,
                 "Each first write faulted once more (%ld minor faults) and replaced the zero page "
                 "with a private frame of its own: %ld distinct PFNs, RSS %+ld kB.",
                 fx->minflt, fx->distinct_pfns, fx->rss_delta_kb);
    else
        fx_conclude(fx,
                 "Each first write faulted once more (%ld minor faults) and replaced the zero page "
                 "with a private frame of its own: RSS %+ld kB, every page exclusive.",
                 fx->minflt, fx->rss_delta_kb);
out:
    free(pg);
    munmap(p, len);
    return rc;
}

/* ---- cow: fork, then write ----------------------------------------------- */

typedef struct cow_report {
    long same_pfn;      /* child pages with the parent's PFN before writing (-1 hidden) */
    long shared_before; /* child pages not exclusive before writing */
    long count2;        /* frames with kpagecount >= 2 before writing (-1 unread) */
    long minflt;        /* child's minor faults while writing */
    long changed_pfn;   /* child pages with a new PFN after writing (-1 hidden) */
    long excl_after;    /* child pages exclusive after writing */
    int err;            /* errno of a failure in the child, 0 if none */
} cow_report_t;

static void cow_child(const inspect_src_t *src, char *p, size_t n, const inspect_page_t *parent,
                      int fd)
{
    cow_report_t r = {0, 0, 0, 0, 0, 0, 0};
    size_t ps = inspect_page_size();
    inspect_page_t *pg = calloc(n, sizeof *pg);
    faults_t f0, f1;
    int hidden = parent[0].pfn_hidden;

    if (!pg || inspect_pagemap_read(src, 0, (uint64_t)(uintptr_t)p, n, 1, pg, NULL)) {
        r.err = pg ? EIO : ENOMEM;
        goto send;
    }
    r.count2 = pg[0].have_count ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        r.same_pfn += !hidden && pg[i].pfn == parent[i].pfn;
        r.shared_before += pg[i].present && !pg[i].exclusive;
        if (r.count2 >= 0)
            r.count2 += pg[i].count >= 2;
    }
    f0 = fx_faults_now();
    for (size_t i = 0; i < n; i++)
        ((volatile char *)p)[i * ps] = 'c';
    f1 = fx_faults_now();
    r.minflt = f1.min - f0.min;
    if (inspect_pagemap_read(src, 0, (uint64_t)(uintptr_t)p, n, 0, pg, NULL)) {
        r.err = EIO;
        goto send;
    }
    for (size_t i = 0; i < n; i++) {
        r.changed_pfn += !hidden && pg[i].pfn != parent[i].pfn;
        r.excl_after += pg[i].present && pg[i].exclusive;
    }
    if (hidden)
        r.same_pfn = r.changed_pfn = -1;
send:
    free(pg);
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(2);
    _exit(0);
}

static int fx_cow(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d)
{
    const size_t n = 256, ps = inspect_page_size(), len = n * ps;
    inspect_page_t *parent = NULL, *after = NULL;
    cow_report_t r;
    size_t pexcl = 0, same_parent = 0;
    int fds[2], st, rc = 0;
    pid_t pid;
    char *p;

    if ((rc = fx_begin(fx, "What does fork share, and what does a write after fork cost?", len, &p,
                       d)))
        return rc;
    for (size_t i = 0; i < n; i++)
        p[i * ps] = 'p';
    if ((rc = fx_read_pages(src, p, n, &parent, d)))
        goto out;
    for (size_t i = 0; i < n; i++)
        pexcl += parent[i].exclusive;
    if (pipe(fds)) {
        rc = diag_set(d, NULL, 0, errno, "pipe failed: %s", strerror(errno));
        goto out;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        rc = diag_set(d, NULL, 0, errno, "fork failed: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        goto out;
    }
    if (pid == 0) {
        close(fds[0]);
        cow_child(src, p, n, parent, fds[1]);
    }
    close(fds[1]);
    {
        ssize_t got;
        do
            got = read(fds[0], &r, sizeof r);
        while (got < 0 && errno == EINTR);
        close(fds[0]);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (got != (ssize_t)sizeof r || r.err) {
            rc = diag_set(d, "/proc/self/pagemap", 0, r.err ? r.err : EIO,
                          "the child could not read its pagemap");
            goto out;
        }
    }
    if ((rc = fx_read_pages(src, p, n, &after, d)))
        goto out;
    for (size_t i = 0; i < n; i++)
        same_parent += !parent[i].pfn_hidden && after[i].pfn == parent[i].pfn && after[i].present;

    fx_did(fx, "wrote %zu pages of private anonymous memory at %p (%zu exclusive to the parent)", n, p,
        pexcl);
    fx_did(fx, "forked; the child read its pagemap, wrote one byte per page, read it again");
    fx->pages = (long)n;
    fx->minflt = r.minflt;
    fx->distinct_pfns = r.same_pfn;
    fx->extra = r.shared_before;
    if (r.same_pfn >= 0)
        fx_measured(fx, "child before writing: %ld of %zu pages have the parent's PFN", r.same_pfn, n);
    else
        fx_measured(fx, "%s", fx_pfn_hidden_why);
    fx_measured(fx, "child before writing: %ld of %zu pages no longer exclusive (shared with the parent)",
             r.shared_before, n);
    if (r.count2 >= 0)
        fx_measured(fx, "kpagecount: %ld of %zu frames mapped twice", r.count2, n);
    fx_measured(fx, "child writing: %ld minor faults for %zu pages", r.minflt, n);
    if (r.changed_pfn >= 0)
        fx_measured(fx, "child after writing: %ld of %zu pages have a new PFN; the parent kept %zu of "
                     "its %zu",
                 r.changed_pfn, n, same_parent, n);
    fx_measured(fx, "child after writing: %ld of %zu pages exclusive again", r.excl_after, n);
    fx->confirmed = r.shared_before == (long)n && r.minflt >= (long)n * 9 / 10 &&
                    r.excl_after == (long)n &&
                    (r.same_pfn < 0 || (r.same_pfn == (long)n && r.changed_pfn == (long)n &&
                                        same_parent == n));
    fx_conclude(fx,
             "fork copied no page: parent and child shared all %zu frames%s until the child wrote, "
             "and each write cost the child a minor fault (%ld) that copied the page into a frame "
             "of its own (copy-on-write).",
             n, r.same_pfn >= 0 ? " (same PFNs)" : " (pages no longer exclusive)", r.minflt);
out:
    free(parent);
    free(after);
    munmap(p, len);
    return rc;
}

/* ---- file: MAP_SHARED against MAP_PRIVATE -------------------------------- */

static int fx_file(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d)
{
    const size_t n = 16, ps = inspect_page_size(), len = n * ps;
    char path[4096], c0 = 0, c1 = 0;
    inspect_page_t sh, pv_before, pv_after;
    faults_t f0, f1;
    char *s = MAP_FAILED, *pv = MAP_FAILED;
    int fd = fx_tmp_file(len, path, sizeof path, d), rc = 0;

    fx->question = "Do writes to a mapped file reach the file?";
    if (fd < 0)
        return fd;
    s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (s == MAP_FAILED || pv == MAP_FAILED) {
        rc = diag_set(d, path, 0, errno, "mmap failed: %s", strerror(errno));
        goto out;
    }
    s[0] = 'S'; /* through the shared mapping */
    (void)((volatile char *)s)[ps];
    (void)((volatile char *)pv)[ps]; /* private, read: still the page cache's page */
    if ((rc = inspect_pagemap_read(src, 0, (uint64_t)(uintptr_t)(s + ps), 1, 0, &sh, d)) ||
        (rc = inspect_pagemap_read(src, 0, (uint64_t)(uintptr_t)(pv + ps), 1, 0, &pv_before, d)))
        goto out;
    f0 = fx_faults_now();
    pv[ps] = 'P'; /* through the private mapping */
    f1 = fx_faults_now();
    if ((rc = inspect_pagemap_read(src, 0, (uint64_t)(uintptr_t)(pv + ps), 1, 0, &pv_after, d)))
        goto out;
    if (pread(fd, &c0, 1, 0) != 1 || pread(fd, &c1, 1, (off_t)ps) != 1) {
        rc = diag_set(d, path, 0, errno ? errno : EIO, "cannot read back the file");
        goto out;
    }
    fx_did(fx, "wrote a %zu-page file of 'a's and mapped it twice: MAP_SHARED and MAP_PRIVATE", n);
    fx_did(fx, "wrote 'S' to page 0 through the shared mapping, 'P' to page 1 through the private one");
    fx_did(fx, "read the file back with pread()");
    fx_measured(fx, "file byte 0 is '%c' (shared write %s); byte %zu is '%c' (private write %s)", c0,
             c0 == 'S' ? "visible" : "NOT visible", ps, c1, c1 == 'P' ? "visible" : "not visible");
    fx_measured(fx, "shared mapping, page 1 (read): %s", sh.file_shared ? "a file page" : "anonymous");
    fx_measured(fx, "private mapping, page 1 before writing: %s%s; after: %s%s",
             pv_before.file_shared ? "a file page" : "anonymous",
             pv_before.pfn_hidden ? ""
             : pv_before.pfn == sh.pfn ? " (the shared mapping's frame)"
                                       : " (another frame)",
             pv_after.file_shared ? "a file page" : "an anonymous page",
             pv_after.pfn_hidden ? "" : pv_after.pfn != sh.pfn ? " in a new frame" : " (same frame?)");
    fx_measured(fx, "the private write: %ld minor fault(s)", f1.min - f0.min);
    fx->pages = (long)n;
    fx->minflt = f1.min - f0.min;
    fx->distinct_pfns = -1;
    fx->extra = (c0 == 'S') + 2 * (c1 == 'P');
    fx->confirmed = c0 == 'S' && c1 == 'a' && pv_before.file_shared && !pv_after.file_shared &&
                    fx->minflt >= 1 &&
                    (pv_after.pfn_hidden || (pv_before.pfn == sh.pfn && pv_after.pfn != sh.pfn));
    fx_conclude(fx,
             "A MAP_SHARED write changes the page cache's page and so the file; a MAP_PRIVATE "
             "mapping reads the same page-cache page until its first write, which faults (%ld) "
             "and copies the page into a private anonymous frame that the file never sees.",
             fx->minflt);
out:
    if (s != MAP_FAILED)
        munmap(s, len);
    if (pv != MAP_FAILED)
        munmap(pv, len);
    close(fd);
    unlink(path);
    return rc;
}

/* ---- major: faults that read the disk ------------------------------------ */

static int fx_major(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d)
{
    const size_t n = 256, ps = inspect_page_size(), len = n * ps;
    char path[4096];
    faults_t f0, f1;
    long sum = 0;
    char *p;
    int fd = fx_tmp_file(len, path, sizeof path, d), adv;

    (void)src;
    fx->question = "What is a major fault?";
    if (fd < 0)
        return fd;
    /* Drop the file's clean pages from the page cache: the next access must
     * read the disk.  tmpfs keeps them (it has no disk behind it). */
    adv = posix_fadvise(fd, 0, (off_t)len, POSIX_FADV_DONTNEED);
    p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(fd);
        unlink(path);
        return diag_set(d, path, 0, e, "mmap failed: %s", strerror(e));
    }
    madvise(p, len, MADV_RANDOM); /* no readahead: one page per fault */
    {
        /* What the drop achieved: pages of the file still in the page cache. */
        unsigned char vec[256];
        fx->extra = -1;
        if (n <= sizeof vec && mincore(p, len, vec) == 0) {
            fx->extra = 0;
            for (size_t i = 0; i < n; i++)
                fx->extra += vec[i] & 1;
        }
    }
    f0 = fx_faults_now();
    for (size_t i = 0; i < len; i += ps)
        sum += ((volatile char *)p)[i];
    f1 = fx_faults_now();
    fx_did(fx, "wrote a %zu-page file in %s, fsync()ed it, dropped it from the page cache "
            "(POSIX_FADV_DONTNEED%s)",
        n, path, adv ? ": failed" : "");
    fx_did(fx, "mapped it with MADV_RANDOM (no readahead) and read one byte per page");
    fx->pages = (long)n;
    fx->minflt = f1.min - f0.min;
    fx->majflt = f1.maj - f0.maj;
    fx->distinct_pfns = -1;
    if (fx->extra >= 0)
        fx_measured(fx, "mincore() after the drop: %ld of %zu pages still in the page cache", fx->extra,
                 n);
    fx_measured(fx, "%ld major and %ld minor faults for %zu pages (sum of bytes %ld)", fx->majflt,
             fx->minflt, n, sum);
    fx->confirmed = fx->majflt > 0;
    if (fx->majflt > 0)
        fx_conclude(fx,
                 "%ld of the %zu page faults had to wait for the disk (major faults); a fault on a "
                 "page already in the page cache only maps it (minor).",
                 fx->majflt, n);
    else
        fx_conclude(fx,
                 "No major faults: the file's pages stayed in the page cache (a tmpfs TMPDIR, or a "
                 "file system that ignores POSIX_FADV_DONTNEED), so every fault only mapped a "
                 "cached page.");
    munmap(p, len);
    close(fd);
    unlink(path);
    return 0;
}

static const inspect_fx_desc_t fx_table[] = {
    {"malloc", "a small and a large malloc: RSS before and after touching", fx_malloc},
    {"zero", "reading untouched anonymous memory: the shared zero page", fx_zero},
    {"write", "writing it: one private frame per page", fx_write},
    {"cow", "fork, then write: copy-on-write", fx_cow},
    {"file", "a file mapped MAP_SHARED and MAP_PRIVATE", fx_file},
    {"major", "reading a file dropped from the page cache: major faults", fx_major},
    {"mprotect", "accesses a protection forbids: SIGSEGV, SEGV_ACCERR or SEGV_MAPERR", fx_mprotect},
    {"mmap", "which frames mmap gives: private, MAP_SHARED and MAP_PRIVATE of a file", fx_mmap},
};

const inspect_fx_desc_t *inspect_fx_table(size_t *n)
{
    *n = sizeof fx_table / sizeof fx_table[0];
    return fx_table;
}
