/* SPDX-License-Identifier: MIT */
/*
 * test_mm.c - the address-space model against independent oracles:
 *   - VMAs and find_vma against a page-by-page shadow of the same calls
 *     (random mmap/munmap/mprotect sequences, many seeds);
 *   - split and merge against the real kernel: the same calls in a child,
 *     VMA boundaries read from its /proc/self/maps;
 *   - page-table walks against the indices computed directly from the bits;
 *   - fault kinds of the textbook cases, reclaim and swap-in, mm_check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rng.h"
#include "harness.h"
#include "vmlab/mm.h"

#define NP 512 /* pages in the test window */

static mm_sys_t *mk(mm_arch_t arch, mm_task_t **t)
{
    mm_config_t c = {.arch = arch, .mem_bytes = 32u << 20};
    mm_sys_t *s;
    if (mm_sys_create(&c, &s) < 0)
        return NULL;
    if (mm_spawn(s, t) < 0) {
        mm_sys_destroy(s);
        return NULL;
    }
    return s;
}

/* The shadow: per page, 0 unmapped, else 1 + prot. */
static int shadow_check(mm_task_t *t, uint64_t base, const unsigned char *sh)
{
    /* find_vma for every page address and a few in-page offsets. */
    for (int i = 0; i < NP; i++) {
        uint64_t a = base + (uint64_t)i * 4096 + (uint64_t)(i * 37 % 4096);
        mm_vma_info_t vi;
        int found = mm_find_vma(t, a, &vi);
        int j = i;
        while (j < NP && !sh[j])
            j++;
        if (j == NP) {
            if (found && vi.start < base + NP * 4096ull)
                return 0;
            continue;
        }
        if (!found)
            return 0;
        uint64_t want = base + (uint64_t)j * 4096;
        if (j > i && vi.start != want)
            return 0;
        if (j == i && !(vi.start <= a && a < vi.end))
            return 0;
        if ((vi.flags & 7u) != (unsigned)(sh[j] - 1))
            return 0;
    }
    /* The VMAs: exactly the mapped pages, and no two adjacent alike (merged). */
    mm_vma_info_t v[NP + 2];
    size_t n = mm_vmas(t, v, NP + 2);
    int covered = 0;
    for (size_t k = 0; k < n; k++) {
        if (v[k].start < base || v[k].end > base + NP * 4096ull)
            return 0;
        for (uint64_t a = v[k].start; a < v[k].end; a += 4096) {
            int p = (int)((a - base) / 4096);
            if (sh[p] != (v[k].flags & 7u) + 1)
                return 0;
            covered++;
        }
        if (k > 0 && v[k - 1].end == v[k].start && (v[k - 1].flags == v[k].flags))
            return 0;
    }
    int mapped = 0;
    for (int i = 0; i < NP; i++)
        mapped += sh[i] != 0;
    return covered == mapped;
}

TEST(find_vma_and_layout_match_page_shadow)
{
    for (uint64_t seed = 1; seed <= 40; seed++) {
        mm_task_t *t;
        mm_sys_t *s = mk(MM_ARCH_X86_64, &t);
        CHECK(s);
        vl_rng_t r;
        vl_rng_seed(&r, seed);
        unsigned char sh[NP];
        memset(sh, 0, sizeof sh);
        uint64_t base = 0x10000000;
        for (int step = 0; step < 200; step++) {
            uint64_t p = vl_rng_below(&r, NP), n = 1 + vl_rng_below(&r, 24);
            if (p + n > NP)
                n = NP - p;
            unsigned prot = (unsigned)vl_rng_below(&r, 4);
            prot = prot == 3 ? 7 : prot; /* ---, r--, -w-, rwx */
            if (prot == 2)
                prot = 3;
            int op = (int)vl_rng_below(&r, 3);
            uint64_t a = base + p * 4096, out;
            if (op == 0) {
                CHECK_EQ(mm_mmap(t, a, n * 4096, prot, MM_MAP_PRIVATE | MM_MAP_ANON | MM_MAP_FIXED, -1, 0, &out), 0);
                memset(sh + p, (int)(prot & 7) + 1, n);
            } else if (op == 1) {
                CHECK_EQ(mm_munmap(t, a, n * 4096), 0);
                memset(sh + p, 0, n);
            } else {
                int all = 1;
                for (uint64_t i = p; i < p + n; i++)
                    all &= sh[i] != 0;
                int rc = mm_mprotect(t, a, n * 4096, prot);
                if (all) {
                    CHECK_EQ(rc, 0);
                    memset(sh + p, (int)(prot & 7) + 1, n);
                } else {
                    CHECK_EQ(rc, -ENOMEM);
                    for (uint64_t i = p; i < p + n && sh[i]; i++) /* applied up to the hole */
                        sh[i] = (unsigned char)((prot & 7) + 1);
                }
            }
            mm_check(s);
            CHECK_MSG(shadow_check(t, base, sh), "seed %llu step %d: VMAs differ from the shadow",
                      (unsigned long long)seed, step);
        }
        mm_sys_destroy(s);
    }
}

/* ---- against the real kernel ------------------------------------------------ */

typedef struct rop {
    int kind;      /* 0 mmap fixed, 1 munmap, 2 mprotect, 3 write touch */
    uint64_t p, n; /* pages in the window */
    unsigned prot;
} rop_t;

/* Run the ops in a child at a fresh window; write its VMA boundaries inside
 * the window (pairs of page offsets) to fd.  */
static void real_child(const rop_t *ops, int nops, int fd)
{
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    char *w = mmap(NULL, (NP + 2) * 4096ull, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (w == MAP_FAILED)
        _exit(2);
    munmap(w, (NP + 2) * 4096ull);
    char *base = w + 4096; /* guard pages either side stay unmapped */
    for (int i = 0; i < nops; i++) {
        const rop_t *o = &ops[i];
        char *a = base + o->p * 4096;
        if (o->kind == 0)
            mmap(a, o->n * 4096, (int)o->prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        else if (o->kind == 1)
            munmap(a, o->n * 4096);
        else if (o->kind == 2)
            mprotect(a, o->n * 4096, (int)o->prot);
        else
            for (uint64_t k = 0; k < o->n; k++)
                a[k * 4096] = 1;
    }
    static char buf[1 << 20];
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        _exit(2);
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    uint64_t lo = (uint64_t)base, hi = lo + NP * 4096ull;
    for (char *l = buf; *l;) {
        unsigned long long s0, e0;
        char perm[5];
        if (sscanf(l, "%llx-%llx %4s", &s0, &e0, perm) == 3 && e0 > lo && s0 < hi) {
            uint64_t rec[3] = {(s0 < lo ? lo : s0) - lo, (e0 > hi ? hi : e0) - lo,
                               (uint64_t)((perm[0] == 'r') | (perm[1] == 'w') << 1 | (perm[2] == 'x') << 2)};
            if (write(fd, rec, sizeof rec) != sizeof rec)
                _exit(3);
        }
        char *nl = strchr(l, '\n');
        if (!nl)
            break;
        l = nl + 1;
    }
    _exit(0);
}

TEST(split_merge_match_real_kernel_maps)
{
    for (uint64_t seed = 1; seed <= 25; seed++) {
        vl_rng_t r;
        vl_rng_seed(&r, seed * 7919);
        rop_t ops[60];
        int nops = 0;
        ops[nops++] = (rop_t){0, 0, NP, 3};
        for (int i = 0; i < 59; i++) {
            rop_t o;
            o.kind = (int)vl_rng_below(&r, 4);
            o.p = vl_rng_below(&r, NP);
            o.n = 1 + vl_rng_below(&r, 32);
            if (o.p + o.n > NP)
                o.n = NP - o.p;
            static const unsigned prots[] = {0, 1, 3, 5, 7};
            o.prot = prots[vl_rng_below(&r, 5)];
            ops[nops++] = o;
        }
        /* The model, tracking which pages are writable for the touches. */
        mm_task_t *t;
        mm_sys_t *s = mk(MM_ARCH_X86_64, &t);
        CHECK(s);
        uint64_t base = 0x20000000, out;
        unsigned char pr[NP];
        memset(pr, 0xff, sizeof pr);
        for (int i = 0; i < nops; i++) {
            rop_t *o = &ops[i];
            uint64_t a = base + o->p * 4096;
            if (o->kind == 0) {
                mm_mmap(t, a, o->n * 4096, o->prot, MM_MAP_PRIVATE | MM_MAP_ANON | MM_MAP_FIXED, -1, 0, &out);
                memset(pr + o->p, (int)o->prot, o->n);
            } else if (o->kind == 1) {
                mm_munmap(t, a, o->n * 4096);
                memset(pr + o->p, 0xff, o->n);
            } else if (o->kind == 2) {
                int ok = mm_mprotect(t, a, o->n * 4096, o->prot) == 0;
                for (uint64_t k = o->p; k < o->p + o->n && pr[k] != 0xff; k++)
                    pr[k] = (unsigned char)o->prot;
                (void)ok;
            } else {
                /* only touch a run of writable pages (the real child would die otherwise) */
                uint64_t k = 0;
                while (k < o->n && pr[o->p + k] != 0xff && (pr[o->p + k] & 2))
                    k++;
                o->n = k;
                for (uint64_t j = 0; j < k; j++)
                    (void)mm_touch(t, a + j * 4096, MM_ACC_WRITE);
            }
            mm_check(s);
        }
        int pfd[2];
        CHECK(pipe(pfd) == 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            real_child(ops, nops, pfd[1]);
        }
        close(pfd[1]);
        uint64_t rec[NP + 1][3];
        size_t nrec = 0;
        while (nrec < NP + 1 && read(pfd[0], rec[nrec], sizeof rec[0]) == (ssize_t)sizeof rec[0])
            nrec++;
        close(pfd[0]);
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        mm_vma_info_t v[NP + 2];
        size_t n = mm_vmas(t, v, NP + 2);
        size_t m = 0;
        for (size_t k = 0; k < n; k++) {
            if (v[k].end <= base || v[k].start >= base + NP * 4096ull)
                continue;
            CHECK_MSG(m < nrec, "seed %llu: the model has more VMAs than the kernel", (unsigned long long)seed);
            CHECK_MSG(rec[m][0] == v[k].start - base && rec[m][1] == v[k].end - base && rec[m][2] == (v[k].flags & 7u),
                      "seed %llu: VMA %zu model [%#llx,%#llx) %u, kernel [%#llx,%#llx) %u", (unsigned long long)seed, m,
                      (unsigned long long)(v[k].start - base), (unsigned long long)(v[k].end - base), v[k].flags & 7u,
                      (unsigned long long)rec[m][0], (unsigned long long)rec[m][1], (unsigned)rec[m][2]);
            m++;
        }
        CHECK_MSG(m == nrec, "seed %llu: %zu VMAs in the model, %zu in the kernel", (unsigned long long)seed, m, nrec);
        mm_sys_destroy(s);
    }
}

/* ---- page-table walks --------------------------------------------------------- */

static void walk_case(mm_arch_t arch)
{
    mm_task_t *t;
    mm_sys_t *s = mk(arch, &t);
    CHECK(s);
    vl_rng_t r;
    vl_rng_seed(&r, 99);
    uint64_t top = mm_task_size(s), out;
    for (int i = 0; i < 300; i++) {
        uint64_t a = (0x10000 + vl_rng_below(&r, (top - 0x20000) >> 12) * 4096) & ~4095ull;
        if (mm_mmap(t, a, 4096, MM_PROT_READ | MM_PROT_WRITE, MM_MAP_PRIVATE | MM_MAP_ANON | MM_MAP_FIXED, -1, 0,
                    &out) < 0)
            continue;
        uint64_t off = vl_rng_below(&r, 4096);
        mm_fault_t f = mm_touch(t, a + off, MM_ACC_WRITE);
        CHECK_EQ(f.kind, MM_F_ANON_NEW);
        mm_walk_level_t lv[4];
        uint64_t pa;
        int n = mm_walk(t, a + off, lv, &pa);
        if (arch == MM_ARCH_X86_64) {
            CHECK_EQ(n, 4);
            CHECK_EQ(lv[0].index, ((a + off) >> 39) & 511);
            CHECK_EQ(lv[1].index, ((a + off) >> 30) & 511);
            CHECK_EQ(lv[2].index, ((a + off) >> 21) & 511);
            CHECK_EQ(lv[3].index, ((a + off) >> 12) & 511);
            CHECK_EQ(lv[3].entry & 0x63, 0x63); /* P RW A D */
            CHECK((lv[3].entry >> 63) == 1);    /* NX: no exec */
        } else {
            CHECK_EQ(n, 2);
            CHECK_EQ(lv[0].index, ((a + off) >> 22) & 1023);
            CHECK_EQ(lv[1].index, ((a + off) >> 12) & 1023);
        }
        CHECK_EQ(pa, (f.pfn << 12) | off);
        for (int l = 1; l < n; l++)
            CHECK_EQ(lv[l].table_pfn, (lv[l - 1].entry & 0x000ffffffffff000ull) >> 12);
        CHECK_EQ(mm_munmap(t, a, 4096), 0);
    }
    mm_counters_t c;
    mm_counters(t, &c);
    CHECK_EQ(c.pt_pages, 1); /* every table freed again but the PGD */
    mm_check(s);
    mm_sys_destroy(s);
}

TEST(walk_x86_64_indices) { walk_case(MM_ARCH_X86_64); }
TEST(walk_i386_indices) { walk_case(MM_ARCH_I386); }

/* ---- faults ---------------------------------------------------------------------- */

TEST(fault_kinds_textbook)
{
    mm_task_t *t, *c;
    mm_sys_t *s = mk(MM_ARCH_X86_64, &t);
    CHECK(s);
    CHECK_EQ(mm_exec(t, NULL), 0);
    uint64_t a;
    CHECK_EQ(mm_mmap(t, 0, 8192, 3, MM_MAP_PRIVATE | MM_MAP_ANON, -1, 0, &a), 0);
    CHECK_EQ(mm_touch(t, a, MM_ACC_READ).kind, MM_F_ANON_ZERO);
    CHECK_EQ(mm_touch(t, a, MM_ACC_READ).kind, MM_F_NONE);
    CHECK_EQ(mm_touch(t, a, MM_ACC_WRITE).kind, MM_F_WP_ZERO);
    CHECK_EQ(mm_touch(t, a + 4096, MM_ACC_WRITE).kind, MM_F_ANON_NEW);
    CHECK_EQ(mm_touch(t, a + 8192, MM_ACC_WRITE).kind, MM_F_SEGV_MAPERR);
    CHECK_EQ(mm_touch(t, a, MM_ACC_EXEC).kind, MM_F_SEGV_ACCERR);
    CHECK_EQ(mm_fork(t, &c), 0);
    CHECK_EQ(mm_touch(c, a, MM_ACC_READ).kind, MM_F_NONE);
    CHECK_EQ(mm_touch(c, a, MM_ACC_WRITE).kind, MM_F_WP_COPY);
    CHECK_EQ(mm_touch(t, a, MM_ACC_WRITE).kind, MM_F_WP_REUSE);
    mm_exit(c);
    CHECK_EQ(mm_touch(t, a + 4096, MM_ACC_WRITE).kind, MM_F_WP_REUSE);
    /* stack growth: below the stack VMA, within the rlimit */
    mm_vma_info_t vi;
    CHECK(mm_find_vma(t, mm_task_size(s) - 4096, &vi));
    mm_fault_t f = mm_touch(t, vi.start - 10 * 4096, MM_ACC_WRITE);
    CHECK(f.stack_grew && f.kind == MM_F_ANON_NEW);
    CHECK_EQ(mm_touch(t, vi.start - (9ull << 20), MM_ACC_WRITE).kind, MM_F_SEGV_MAPERR);
    /* a file: fault-around, then private write copies, shared write does not */
    int fid = mm_file_create(s, "f", 64, 1);
    CHECK(fid >= 0);
    uint64_t m;
    CHECK_EQ(mm_mmap(t, 0x600000001000ull, 64 * 4096, 1, MM_MAP_PRIVATE, fid, 0, &m), 0);
    CHECK_EQ(m, 0x600000001000ull);
    mm_counters_t c0, c1;
    mm_counters(t, &c0);
    for (int i = 0; i < 64; i++)
        (void)mm_touch(t, m + i * 4096ull, MM_ACC_READ);
    mm_counters(t, &c1);
    CHECK_EQ(c1.minflt - c0.minflt, 5); /* measured on Linux 6.18 */
    CHECK_EQ(c1.rss_file - c0.rss_file, 64);
    mm_check(s);
    mm_sys_destroy(s);
}

/* A page swapped in by one task while the other's PTE still names its slot
 * sits in the swap cache; reclaimed again, it keeps that slot and leaves the
 * cache (it was left off the LRU with a reference: mm_check failed; found by
 * fuzz_mm_scenario).  The other task's touch then reads it from swap. */
TEST(reclaim_of_a_swap_cache_page_keeps_its_slot)
{
    mm_config_t cfg = {.mem_bytes = 16u << 20};
    mm_sys_t *s;
    mm_task_t *t, *c;
    uint64_t a;
    CHECK_EQ(mm_sys_create(&cfg, &s), 0);
    CHECK_EQ(mm_spawn(s, &t), 0);
    CHECK_EQ(mm_exec(t, NULL), 0);
    CHECK_EQ(mm_mmap(t, 0, 64 * 4096, 3, MM_MAP_PRIVATE | MM_MAP_ANON, -1, 0, &a), 0);
    CHECK_EQ(mm_touch(t, a, MM_ACC_WRITE).kind, MM_F_ANON_NEW);
    CHECK_EQ(mm_fork(t, &c), 0);
    CHECK(mm_reclaim(s, 64) > 0);
    mm_check(s);
    CHECK_EQ(mm_touch(t, a, MM_ACC_READ).kind, MM_F_SWAPIN); /* into the swap cache */
    CHECK(mm_reclaim(s, 64) > 0);
    mm_check(s);
    mm_fault_t f = mm_touch(c, a, MM_ACC_READ);
    CHECK_EQ(f.kind, MM_F_SWAPIN);
    CHECK(f.major);
    mm_check(s);
    mm_sys_destroy(s);
}

TEST(reclaim_swaps_and_touch_is_major)
{
    mm_config_t cfg = {.mem_bytes = 16u << 20};
    mm_sys_t *s;
    mm_task_t *t;
    CHECK_EQ(mm_sys_create(&cfg, &s), 0);
    CHECK_EQ(mm_spawn(s, &t), 0);
    CHECK_EQ(mm_exec(t, NULL), 0);
    uint64_t a, n = 6000; /* 23 MiB on 16 MiB of memory: reclaim must swap */
    CHECK_EQ(mm_mmap(t, 0, n * 4096, 3, MM_MAP_PRIVATE | MM_MAP_ANON, -1, 0, &a), 0);
    for (uint64_t i = 0; i < n; i++) {
        mm_fault_t f = mm_touch(t, a + i * 4096, MM_ACC_WRITE);
        CHECK_MSG(f.kind == MM_F_ANON_NEW, "page %llu: kind %d", (unsigned long long)i, f.kind);
    }
    CHECK(mm_swap_used(s) > 0);
    mm_check(s);
    mm_counters_t c0, c1;
    mm_counters(t, &c0);
    for (uint64_t i = 0; i < n; i++)
        (void)mm_touch(t, a + i * 4096, MM_ACC_READ);
    mm_counters(t, &c1);
    CHECK(c1.majflt > c0.majflt);
    mm_check(s);
    mm_sys_destroy(s);
}
