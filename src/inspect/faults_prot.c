/* SPDX-License-Identifier: MIT */
/*
 * faults_prot.c - the protection experiments: what mprotect(2) makes a
 * store or a load do, and which physical frames mmap(2) hands out.
 *
 * mprotect: the page-fault handler (arch/x86/mm/fault.c) finds the VMA of
 * the faulting address; none -> SIGSEGV with si_code SEGV_MAPERR; a VMA
 * whose flags forbid the access (access_error()) -> SEGV_ACCERR; si_addr
 * is the exact faulting address (CR2), not the page.  Faults are caught
 * with a SA_SIGINFO handler that siglongjmp()s back, the classic way a
 * program survives its own SIGSEGV (CS:APP 8.6).
 *
 * mmap: a private anonymous page gets a frame of its own on first write
 * (do_anonymous_page()); MAP_SHARED mappings of one file map the page
 * cache's frame, so two of them share it; MAP_PRIVATE maps the page
 * cache's frame read-only until the first write copies it (do_cow_fault /
 * wp_page_copy).  PFNs come from /proc/self/pagemap (CAP_SYS_ADMIN);
 * without them the bytes seen through each mapping tell the same story.
 */
#include "inspect/fx.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- mprotect -------------------------------------------------------------- */

static sigjmp_buf prot_jmp;
static volatile sig_atomic_t prot_code;
static void *volatile prot_addr;

static void prot_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    prot_code = si->si_code;
    prot_addr = si->si_addr;
    siglongjmp(prot_jmp, 1);
}

/* One access: 1 if it faulted (code and address filled), 0 if it did not. */
static int try_access(volatile char *a, int write, int *code, void **addr)
{
    prot_code = 0;
    prot_addr = NULL;
    if (sigsetjmp(prot_jmp, 1) == 0) {
        if (write)
            *a = 'w';
        else
            (void)*a;
        return 0;
    }
    *code = prot_code;
    *addr = prot_addr;
    return 1;
}

static const char *code_name(int code)
{
    return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

static const char *perms_of(const inspect_maps_t *mm, const void *a)
{
    const inspect_map_t *m = inspect_maps_find(mm, (uint64_t)(uintptr_t)a);
    return m ? m->perms : "none (unmapped)";
}

int fx_mprotect(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d)
{
    const size_t ps = inspect_page_size();
    struct sigaction sa, old;
    inspect_maps_t mm;
    char *p;
    char *ro, *none, *gone;
    int rc, code[3] = {0, 0, 0}, hit[3], ok = 0, after = 0;
    void *at[3] = {NULL, NULL, NULL};

    if ((rc = fx_begin(fx, "What happens on an access that the page's protection forbids?",
                       3 * ps, &p, d)))
        return rc;
    ro = p + 0x123;
    none = p + ps + 0x45;
    gone = p + 2 * ps + 0x67;
    p[0] = 'x'; /* a real frame behind the read-only page */
    if (mprotect(p, ps, PROT_READ) || mprotect(p + ps, ps, PROT_NONE) ||
        munmap(p + 2 * ps, ps)) {
        rc = diag_set(d, NULL, 0, errno, "mprotect/munmap failed: %s", strerror(errno));
        munmap(p, 2 * ps);
        return rc;
    }
    fx_did(fx, "mmap'd 3 pages at %p; page 0 mprotect(PROT_READ), page 1 mprotect(PROT_NONE), "
               "page 2 munmap'd",
           (void *)p);
    if ((rc = inspect_maps_load(src, 0, "maps", &mm, d))) {
        munmap(p, 2 * ps);
        return rc;
    }
    fx_measured(fx, "/proc/self/maps: page 0 %s, page 1 %s, page 2 %s", perms_of(&mm, p),
                perms_of(&mm, p + ps), perms_of(&mm, p + 2 * ps));
    inspect_maps_free(&mm);

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = prot_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old);
    hit[0] = try_access(ro, 1, &code[0], &at[0]);
    hit[1] = try_access(none, 0, &code[1], &at[1]);
    hit[2] = try_access(gone, 0, &code[2], &at[2]);
    if (mprotect(p, ps, PROT_READ | PROT_WRITE) == 0) {
        int c2;
        void *a2;
        after = !try_access(ro, 1, &c2, &a2) && *ro == 'w';
    }
    sigaction(SIGSEGV, &old, NULL);

    fx_did(fx, "with a SA_SIGINFO SIGSEGV handler that siglongjmp()s back: wrote to %p (page 0), "
               "read %p (page 1), read %p (page 2)",
           (void *)ro, (void *)none, (void *)gone);
    fx_did(fx, "then mprotect(page 0, PROT_READ|PROT_WRITE) and wrote to %p again", (void *)ro);
    {
        static const char *const what[3] = {"write to PROT_READ", "read of PROT_NONE",
                                            "read of the unmapped page"};
        char *const want_addr[3] = {ro, none, gone};
        static const int want_code[3] = {SEGV_ACCERR, SEGV_ACCERR, SEGV_MAPERR};
        for (int i = 0; i < 3; i++) {
            if (hit[i])
                fx_measured(fx, "%s: SIGSEGV, si_code %s (%d), si_addr %p%s", what[i],
                            code_name(code[i]), code[i], at[i],
                            at[i] == (void *)want_addr[i] ? " = the exact address accessed"
                                                          : " (NOT the address accessed)");
            else
                fx_measured(fx, "%s: no fault", what[i]);
            ok += hit[i] && code[i] == want_code[i] && at[i] == (void *)want_addr[i];
        }
    }
    fx_measured(fx, "after restoring PROT_READ|PROT_WRITE: the write %s",
                after ? "succeeded (the byte reads back 'w')" : "FAILED");
    fx->pages = 3;
    fx->distinct_pfns = -1;
    fx->extra = ok + 8 * after; /* 3 right faults and a working write: 11 */
    fx->confirmed = ok == 3 && after;
    fx_conclude(fx,
                "The kernel refuses what the protection forbids with SIGSEGV at the exact address: "
                "SEGV_ACCERR for a write to a PROT_READ page and a read of a PROT_NONE page (the "
                "mapping exists but forbids it), SEGV_MAPERR where nothing is mapped, and once "
                "mprotect restores PROT_WRITE the same store succeeds.");
    munmap(p, 2 * ps);
    return 0;
}

/* ---- mmap ------------------------------------------------------------------ */

static int one_page(const inspect_src_t *src, const void *a, inspect_page_t *pg, diag_t *d)
{
    return inspect_pagemap_read(src, 0, (uint64_t)(uintptr_t)a, 1, 1, pg, d);
}

static void pfn_text(const inspect_page_t *pg, char *buf, size_t n)
{
    if (!pg->present)
        snprintf(buf, n, "not present");
    else if (pg->pfn_hidden)
        snprintf(buf, n, "PFN hidden");
    else if (pg->have_count)
        snprintf(buf, n, "PFN %#jx (mapped %ju times)", (uintmax_t)pg->pfn, (uintmax_t)pg->count);
    else
        snprintf(buf, n, "PFN %#jx", (uintmax_t)pg->pfn);
}

int fx_mmap(const inspect_src_t *src, inspect_fx_t *fx, diag_t *d)
{
    const size_t ps = inspect_page_size();
    inspect_page_t a1, a2, s1, s2, pv0, pv1;
    char path[4096], t1[80], t2[80], t3[80];
    char *x = NULL, *y = MAP_FAILED, *sh1 = MAP_FAILED, *sh2 = MAP_FAILED, *pv = MAP_FAILED;
    int fd = -1, rc, hidden, anon_ok, shared_ok, priv_ok;
    char seen_sh2, seen_pv_before, seen_pv_after, seen_sh1_after, file_byte = 0;

    if ((rc = fx_begin(fx, "Does each mmap get its own physical frame?", ps, &x, d)))
        return rc;
    y = fx_map_anon(ps);
    fd = fx_tmp_file(ps, path, sizeof path, d);
    if (!y || fd < 0) {
        rc = fd < 0 ? fd : diag_set(d, NULL, 0, errno, "mmap failed: %s", strerror(errno));
        goto out;
    }
    sh1 = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    sh2 = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pv = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (sh1 == MAP_FAILED || sh2 == MAP_FAILED || pv == MAP_FAILED) {
        rc = diag_set(d, path, 0, errno, "mmap of the file failed: %s", strerror(errno));
        goto out;
    }
    /* Two private anonymous pages, written. */
    x[0] = 'x';
    y[0] = 'y';
    if ((rc = one_page(src, x, &a1, d)) || (rc = one_page(src, y, &a2, d)))
        goto out;
    /* Two shared mappings of the file: a write through one, read through the other. */
    sh1[0] = 'S';
    seen_sh2 = ((volatile char *)sh2)[0];
    if ((rc = one_page(src, sh1, &s1, d)) || (rc = one_page(src, sh2, &s2, d)))
        goto out;
    /* The private mapping: read, then write. */
    seen_pv_before = ((volatile char *)pv)[0];
    if ((rc = one_page(src, pv, &pv0, d)))
        goto out;
    pv[0] = 'P';
    seen_pv_after = ((volatile char *)pv)[0];
    seen_sh1_after = ((volatile char *)sh1)[0];
    if ((rc = one_page(src, pv, &pv1, d)))
        goto out;
    if (pread(fd, &file_byte, 1, 0) != 1)
        file_byte = '?';

    hidden = a1.pfn_hidden || s1.pfn_hidden;
    fx_did(fx, "mmap'd two private anonymous pages at %p and %p and wrote one byte to each",
           (void *)x, (void *)y);
    fx_did(fx, "mapped a 1-page file of 'a's twice MAP_SHARED (%p, %p) and once MAP_PRIVATE (%p)",
           (void *)sh1, (void *)sh2, (void *)pv);
    fx_did(fx, "wrote 'S' through the first shared mapping; read the private one, then wrote 'P' "
               "through it");
    pfn_text(&a1, t1, sizeof t1);
    pfn_text(&a2, t2, sizeof t2);
    fx_measured(fx, "anonymous pages: %s and %s; exclusive: %s, %s", t1, t2,
                a1.exclusive ? "yes" : "no", a2.exclusive ? "yes" : "no");
    pfn_text(&s1, t1, sizeof t1);
    pfn_text(&s2, t2, sizeof t2);
    fx_measured(fx, "MAP_SHARED pages: %s and %s; the second mapping reads '%c' after the write "
                    "through the first",
                t1, t2, seen_sh2);
    pfn_text(&pv0, t1, sizeof t1);
    pfn_text(&pv1, t2, sizeof t2);
    pfn_text(&s1, t3, sizeof t3);
    fx_measured(fx, "MAP_PRIVATE page before its write: %s, %s, reads '%c' (the shared mapping's "
                    "frame: %s)",
                t1, pv0.file_shared ? "a file page" : "anonymous", seen_pv_before, t3);
    fx_measured(fx, "MAP_PRIVATE page after its write: %s, %s, reads '%c'; the shared mapping "
                    "still reads '%c' and the file holds '%c'",
                t2, pv1.file_shared ? "a file page" : "anonymous", seen_pv_after, seen_sh1_after,
                file_byte);
    if (hidden)
        fx_measured(fx, "%s", fx_pfn_hidden_why);

    anon_ok = a1.present && a2.present && a1.exclusive && a2.exclusive &&
              (hidden || a1.pfn != a2.pfn);
    shared_ok = seen_sh2 == 'S' && s1.file_shared && s2.file_shared && (hidden || s1.pfn == s2.pfn);
    priv_ok = seen_pv_before == 'S' && pv0.file_shared && !pv1.file_shared && seen_pv_after == 'P' &&
              seen_sh1_after == 'S' && file_byte == 'S' &&
              (hidden || (pv0.pfn == s1.pfn && pv1.pfn != s1.pfn));
    fx->pages = 5;
    fx->distinct_pfns = hidden ? -1 : 2 + (a1.pfn != a2.pfn) + (pv1.pfn != s1.pfn);
    fx->extra = anon_ok + 2 * shared_ok + 4 * priv_ok;
    fx->confirmed = anon_ok && shared_ok && priv_ok;
    if (hidden)
        fx_conclude(fx,
                    "Each private anonymous mapping got a page of its own (both exclusive), the "
                    "two MAP_SHARED mappings showed one page (a write through one was read "
                    "through the other), and the MAP_PRIVATE mapping read that same file page "
                    "until its first write gave it an anonymous copy that neither the file nor "
                    "the shared mappings see (run as root to see the PFNs).");
    else
        fx_conclude(fx,
                    "Each private anonymous mapping got its own frame (PFN %#jx and %#jx), the two "
                    "MAP_SHARED mappings of the file share one frame (PFN %#jx, the page cache's), "
                    "and the MAP_PRIVATE mapping shares that frame until its first write copies "
                    "the page into a frame of its own (PFN %#jx).",
                    (uintmax_t)a1.pfn, (uintmax_t)a2.pfn, (uintmax_t)s1.pfn, (uintmax_t)pv1.pfn);
out:
    if (x)
        munmap(x, ps);
    if (y && y != MAP_FAILED)
        munmap(y, ps);
    if (sh1 != MAP_FAILED)
        munmap(sh1, ps);
    if (sh2 != MAP_FAILED)
        munmap(sh2, ps);
    if (pv != MAP_FAILED)
        munmap(pv, ps);
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    return rc;
}
