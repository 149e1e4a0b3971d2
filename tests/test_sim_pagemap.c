/* SPDX-License-Identifier: MIT */
/*
 * test_sim_pagemap.c - the dense page ids of vmlab sim (src/sim/sim_pagemap.c).
 *
 * Property tests on random (process, vpn) streams: many processes, vpns in
 * the direct table, just past its limit and anywhere in 64 bits, runs on one
 * page, fed in batches of every size around the prefetch distance and
 * through the single-reference call.  The expected ids come from an
 * independent computation that shares nothing with the map: sort the
 * references by key (stable), take each key's first position, and number the
 * keys in order of those positions.  pagemap_check runs between batches.
 * The multi-level page-table bytes are cross-checked the same way (distinct
 * prefixes per level, by sorting).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim/sim_pagemap.h"
#include "vmlab/sim.h"

/* splitmix64 (Steele, Lea, Flood, OOPSLA 2014): the tests' own generator. */
static uint64_t mix_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct key {
    uint32_t proc; /* process index */
    uint64_t vpn;  /* page */
    size_t pos;    /* first position in the stream (after sorting) */
} ref_key_t;

static int key_cmp(const void *a, const void *b)
{
    const ref_key_t *x = a, *y = b;
    if (x->proc != y->proc)
        return x->proc < y->proc ? -1 : 1;
    if (x->vpn != y->vpn)
        return x->vpn < y->vpn ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int pos_cmp(const void *a, const void *b)
{
    const ref_key_t *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* expect[i] = the id of reference i by first appearance, by sorting;
 * returns the number of distinct keys. */
static uint32_t expected_ids(const uint32_t *proc, const uint64_t *vpn, size_t n, uint32_t *expect)
{
    ref_key_t *k = malloc(n * sizeof *k), *first = malloc(n * sizeof *first);
    size_t nd = 0;
    for (size_t i = 0; i < n; i++)
        k[i] = (ref_key_t){.proc = proc ? proc[i] : 0, .vpn = vpn[i], .pos = i};
    qsort(k, n, sizeof *k, key_cmp);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || k[i].proc != k[i - 1].proc || k[i].vpn != k[i - 1].vpn)
            first[nd++] = k[i];
    qsort(first, nd, sizeof *first, pos_cmp); /* id order: first appearance */
    /* every reference of key j (in k, grouped) gets j's rank in first */
    uint32_t *rank_of_pos = malloc(n * sizeof *rank_of_pos);
    for (size_t j = 0; j < nd; j++)
        rank_of_pos[first[j].pos] = (uint32_t)j;
    uint32_t cur = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || k[i].proc != k[i - 1].proc || k[i].vpn != k[i - 1].vpn)
            cur = rank_of_pos[k[i].pos];
        expect[k[i].pos] = cur;
    }
    free(rank_of_pos);
    free(first);
    free(k);
    return (uint32_t)nd;
}

/* A random stream: nproc processes (0: none, all process 0), vpns drawn
 * from a pool of `pool` keys (so pages repeat), a quarter below PM_DIRECT, a
 * few around it, the rest anywhere in 64 bits (0 and UINT64_MAX included);
 * every eighth reference starts a run on its page. */
static void random_stream(uint64_t seed, uint32_t nproc, size_t pool, uint32_t *proc,
                          uint64_t *vpn, size_t n)
{
    uint64_t s = seed;
    uint64_t *pv = malloc(pool * sizeof *pv);
    uint32_t *pp = malloc(pool * sizeof *pp);
    for (size_t j = 0; j < pool; j++) {
        uint64_t r = mix_next(&s);
        switch (r % 8) {
        case 0:
        case 1:
            pv[j] = (r >> 8) % PM_DIRECT;
            break;
        case 2:
            pv[j] = PM_DIRECT - 4 + (r >> 8) % 8; /* both sides of the limit */
            break;
        case 3:
            pv[j] = (r >> 8) % 3 == 0 ? 0 : (r >> 8) % 3 == 1 ? UINT64_MAX : (r >> 8) % 64;
            break;
        default:
            pv[j] = mix_next(&s);
        }
        pp[j] = nproc ? (uint32_t)(mix_next(&s) % nproc) : 0;
    }
    for (size_t i = 0; i < n;) {
        size_t j = mix_next(&s) % pool;
        size_t run = mix_next(&s) % 8 == 0 ? 1 + mix_next(&s) % 20 : 1;
        for (; run-- && i < n; i++) {
            vpn[i] = pv[j];
            if (proc)
                proc[i] = pp[j];
        }
    }
    free(pv);
    free(pp);
}

/* Map a stream in batches of random sizes (and now and then one reference
 * at a time) and compare with the expected ids, the id -> key arrays and
 * the per-process counts; pagemap_check after every check_every-th batch. */
static int run_stream(uint64_t seed, uint32_t nproc, size_t pool, size_t n, unsigned check_every)
{
    uint32_t *proc = nproc ? malloc(n * sizeof *proc) : NULL;
    uint64_t *vpn = malloc(n * sizeof *vpn);
    uint32_t *ids = malloc(n * sizeof *ids), *expect = malloc(n * sizeof *expect);
    uint64_t s = seed ^ 0x5eed;
    int bad = 0;
    random_stream(seed, nproc, pool, proc, vpn, n);
    uint32_t nd = expected_ids(proc, vpn, n, expect);

    sim_config_t cfg = sim_config_default();
    pagemap_t pm;
    if (pagemap_init(&pm, &cfg))
        return -1;
    /* processes appear in order 0, 1, ...: pids 1000 + index */
    for (uint32_t p = 0; p < (nproc ? nproc : 1); p++) {
        uint32_t got;
        if (pagemap_proc(&pm, 1000 + p, &got, NULL) || got != p)
            bad = 1;
    }
    for (size_t i = 0, b = 0; i < n && !bad; b++) {
        static const size_t sizes[] = {0, 1, 2, PM_AHEAD - 1, PM_AHEAD, PM_AHEAD + 1, 1000, 4096};
        size_t k = sizes[mix_next(&s) % 8];
        if (k > n - i)
            k = n - i;
        if (k == 1 && mix_next(&s) % 2) {
            if (pagemap_id(&pm, proc ? proc[i] : 0, vpn[i], &ids[i], NULL))
                bad = 1;
        } else if (pagemap_ids(&pm, proc ? proc + i : NULL, vpn + i, k, ids + i, NULL)) {
            bad = 1;
        }
        if (b % check_every == 0)
            pagemap_check(&pm);
        i += k;
    }
    for (size_t i = 0; i < n && !bad; i++)
        if (ids[i] != expect[i] || ids[i] >= pm.npages || pm.vpn[ids[i]] != vpn[i] ||
            pm.proc[ids[i]] != (proc ? proc[i] : 0))
            bad = 2;
    if (pm.npages != nd)
        bad = 3;
    /* per-process distinct pages, counted here from the expected ids */
    for (uint32_t p = 0; p < (nproc ? nproc : 1) && !bad; p++) {
        uint64_t c = 0;
        for (uint32_t id = 0; id < pm.npages; id++)
            c += pm.proc[id] == p;
        if (c != pm.proc_pages[p])
            bad = 4;
    }
    /* ids are stable: the whole stream again maps to the same ids */
    uint32_t *again = malloc(n * sizeof *again);
    if (!bad && pagemap_ids(&pm, proc, vpn, n, again, NULL))
        bad = 5;
    if (!bad && memcmp(again, ids, n * sizeof *ids) != 0)
        bad = 6;
    if (!bad && pm.npages != nd)
        bad = 7;
    pagemap_check(&pm);
    pagemap_destroy(&pm);
    free(again);
    free(proc);
    free(vpn);
    free(ids);
    free(expect);
    return bad;
}

TEST(ids_one_process_match_first_appearance)
{
    for (uint64_t seed = 1; seed <= 6; seed++)
        CHECK_EQ(run_stream(seed, 0, 3000, 40000, 1), 0);
}

TEST(ids_many_processes_match_first_appearance)
{
    static const uint32_t nprocs[] = {1, 2, 7, 64, 300};
    for (size_t j = 0; j < sizeof nprocs / sizeof nprocs[0]; j++)
        CHECK_EQ(run_stream(100 + j, nprocs[j], 5000, 40000, 1), 0);
}

/* Enough distinct keys for many doublings, past the size where the slot
 * table moves to huge pages. */
TEST(ids_survive_table_growth)
{
    CHECK_EQ(run_stream(7, 0, 300000, 600000, 97), 0);
    CHECK_EQ(run_stream(8, 5, 300000, 600000, 97), 0);
}

/* Runs on one page and the single-reference call share the last-page cache
 * with the batches; a cache that outlived a key's process would show here. */
TEST(ids_last_page_cache_per_process)
{
    sim_config_t cfg = sim_config_default();
    pagemap_t pm;
    uint32_t id, ids[6], p;
    CHECK_EQ(pagemap_init(&pm, &cfg), 0);
    CHECK_EQ(pagemap_proc(&pm, 5, &p, NULL), 0);
    CHECK_EQ(pagemap_proc(&pm, 9, &p, NULL), 0);
    CHECK_EQ(p, 1);
    static const uint32_t pr[6] = {0, 1, 1, 0, 0, 1};
    static const uint64_t v[6] = {7, 7, 7, 7, 1ull << 40, 1ull << 40};
    CHECK_EQ(pagemap_ids(&pm, pr, v, 6, ids, NULL), 0);
    CHECK_EQ(ids[0], 0);
    CHECK_EQ(ids[1], 1);
    CHECK_EQ(ids[2], 1);
    CHECK_EQ(ids[3], 0);
    CHECK_EQ(ids[4], 2);
    CHECK_EQ(ids[5], 3);
    CHECK_EQ(pagemap_id(&pm, 1, 1ull << 40, &id, NULL), 0);
    CHECK_EQ(id, 3);
    CHECK_EQ(pagemap_id(&pm, 0, 1ull << 40, &id, NULL), 0);
    CHECK_EQ(id, 2);
    CHECK_EQ(pagemap_id(&pm, 1, 7, &id, NULL), 0);
    CHECK_EQ(id, 1);
    CHECK_EQ(pm.npages, 4);
    CHECK_EQ(pm.proc_pages[0], 2);
    CHECK_EQ(pm.proc_pages[1], 2);
    pagemap_check(&pm);
    pagemap_destroy(&pm);
}

/* A vpn beyond the page table's address space: -ERANGE with the address in
 * the message, the ids before it filled, nothing counted for it. */
TEST(ids_beyond_address_space)
{
    sim_config_t cfg = sim_config_default();
    pagemap_t pm;
    uint32_t ids[3] = {0}, p;
    diag_t d = {0};
    CHECK_EQ(sim_pt_preset("i386", &cfg.pt, &cfg.page_bits), 0);
    CHECK_EQ(pagemap_init(&pm, &cfg), 0);
    CHECK_EQ(pagemap_proc(&pm, 0, &p, NULL), 0);
    static const uint64_t v[3] = {3, 0xfffff, 0x100000};
    CHECK_EQ(pagemap_ids(&pm, NULL, v, 3, ids, &d), -ERANGE);
    CHECK_EQ(ids[0], 0);
    CHECK_EQ(ids[1], 1);
    CHECK(strstr(d.msg, "0x100000000") != NULL);
    CHECK_EQ(pm.npages, 2);
    pagemap_check(&pm);
    pagemap_destroy(&pm);
}

/* Multi-level page tables: bytes per process = the root plus, per level
 * below it, distinct vpn prefixes times the table size; prefixes counted
 * here by sorting. */
static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(page_table_bytes_match_distinct_prefixes)
{
    sim_config_t cfg = sim_config_default();
    pagemap_t pm;
    enum { N = 20000, P = 3 };
    uint32_t *proc = malloc(N * sizeof *proc), *ids = malloc(N * sizeof *ids), p;
    uint64_t *vpn = malloc(N * sizeof *vpn), *pre = malloc(N * sizeof *pre), s = 77;
    CHECK_EQ(sim_pt_preset("x86-64", &cfg.pt, &cfg.page_bits), 0);
    CHECK_EQ(pagemap_init(&pm, &cfg), 0);
    for (uint32_t j = 0; j < P; j++)
        CHECK_EQ(pagemap_proc(&pm, j, &p, NULL), 0);
    for (size_t i = 0; i < N; i++) {
        proc[i] = (uint32_t)(mix_next(&s) % P);
        /* clustered (shared upper levels) and scattered pages, all < 2^36 */
        vpn[i] = mix_next(&s) % 2 ? mix_next(&s) % 5000 : mix_next(&s) >> 28;
    }
    CHECK_EQ(pagemap_ids(&pm, proc, vpn, N, ids, NULL), 0);
    pagemap_check(&pm);
    for (uint32_t j = 0; j < P; j++) {
        uint64_t want = 512 * 8; /* the root */
        for (unsigned below = 9; below <= 27; below += 9) {
            size_t m = 0;
            for (size_t i = 0; i < N; i++)
                if (proc[i] == j)
                    pre[m++] = vpn[i] >> below;
            qsort(pre, m, sizeof *pre, u64_cmp);
            for (size_t i = 0; i < m; i++)
                if (i == 0 || pre[i] != pre[i - 1])
                    want += 512 * 8;
        }
        CHECK_EQ(pm.proc_ptb[j], want);
    }
    pagemap_destroy(&pm);
    free(proc);
    free(ids);
    free(vpn);
    free(pre);
}

/* Appended pages (keyed traces): ids in order, counted per process, no
 * lookup structure touched; the page-table limit still applies. */
TEST(append_numbers_in_order_without_hashing)
{
    sim_config_t cfg = sim_config_default();
    pagemap_t pm;
    uint32_t id, p;
    diag_t d = {0};
    CHECK_EQ(sim_pt_preset("i386", &cfg.pt, &cfg.page_bits), 0);
    CHECK_EQ(pagemap_init(&pm, &cfg), 0);
    CHECK_EQ(pagemap_proc(&pm, 7, &p, NULL), 0);
    CHECK_EQ(pagemap_proc(&pm, 8, &p, NULL), 0);
    for (uint32_t k = 0; k < 5000; k++) {
        CHECK_EQ(pagemap_append(&pm, k % 2, (k * 2654435761u) % 0x100000, &id, NULL), 0);
        CHECK_EQ(id, k);
    }
    CHECK_EQ(pagemap_append(&pm, 0, 0x100000, &id, &d), -ERANGE);
    CHECK_EQ(pm.npages, 5000);
    CHECK_EQ(pm.nunhashed, 5000);
    CHECK_EQ(pm.ndirect, 0);
    CHECK_EQ(pm.proc_pages[0], 2500);
    CHECK_EQ(pm.proc_pages[1], 2500);
    CHECK(pm.vpn[4999] == (4999 * 2654435761u) % 0x100000 && pm.proc[4999] == 1);
    pagemap_check(&pm);
    pagemap_destroy(&pm);
}
