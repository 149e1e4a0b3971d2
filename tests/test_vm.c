/* SPDX-License-Identifier: MIT */
/*
 * test_vm.c - the OSC virtual memory manager: ground truth from the textbook's
 * correct.txt, the figures people compare against (538/539/537, 54/55 TLB
 * hits), textbook reference strings, its parts (TLB, page table, frame
 * table), address parsing, and a cross-check against an independent
 * list-based model on random inputs.
 */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "vm/backing_store.h"
#include "vm/frame_table.h"
#include "vm/page_table.h"
#include "vm/tlb.h"
#include "vmlab/env.h"
#include "vmlab/vm.h"

/* ---- helpers: the bundled OSC data ------------------------------------- */

static osc_backing_store_t store;
static uint32_t *osc_addrs;
static size_t osc_n;

static int load_osc(void)
{
    char *text;
    size_t len;
    if (store.data)
        return 0;
    if (env_read_file("data/osc/addresses.txt", &text, &len, NULL))
        return -1;
    if (osc_vm_parse_addresses("addresses.txt", text, len, 16, &osc_addrs, &osc_n, NULL))
        return -1;
    free(text);
    return osc_backing_store_load(&store, "data/osc/BACKING_STORE.bin", 65536, NULL);
}

typedef struct run {
    osc_vm_stats_t s;
    uint32_t paddr[1000];
    int8_t value[1000];
} run_t;

static int run_osc(osc_vm_config_t cfg, run_t *r)
{
    osc_vm_t *vm;
    if (load_osc() || osc_vm_new(&vm, &cfg, osc_backing_store_read, &store, NULL))
        return -1;
    for (size_t i = 0; i < osc_n && i < 1000; i++) {
        osc_vm_event_t e;
        if (osc_vm_access(vm, osc_addrs[i], &e))
            return -1;
        osc_vm_check(vm);
        r->paddr[i] = e.paddr;
        r->value[i] = e.value;
    }
    r->s = osc_vm_stats(vm);
    osc_vm_free(vm);
    return 0;
}

/* ---- ground truth ------------------------------------------------------- */

TEST(correct_txt_256_frames_every_line)
{
    static run_t r;
    char *text, *p;
    size_t len, line = 0;
    CHECK(run_osc(osc_vm_config_default(), &r) == 0);
    CHECK_EQ(osc_n, 1000);
    CHECK(env_read_file("data/osc/correct.txt", &text, &len, NULL) == 0);
    p = text;
    for (line = 0; line < 1000; line++) {
        unsigned va, pa;
        int val, used = 0;
        CHECK_MSG(sscanf(p, "Virtual address: %u Physical address: %u Value: %d%n", &va, &pa, &val,
                         &used) == 3,
                  "correct.txt line %zu unreadable", line + 1);
        CHECK_EQ(va, osc_addrs[line]);
        CHECK_MSG(pa == r.paddr[line] && val == r.value[line],
                  "line %zu: got %u/%d, correct.txt says %u/%d", line + 1, r.paddr[line],
                  r.value[line], pa, val);
        p = strchr(p, '\n');
        CHECK(p != NULL);
        p++;
    }
    free(text);
    CHECK_EQ(r.s.translated, 1000);
    CHECK_EQ(r.s.page_faults, 244);
    CHECK_EQ(r.s.tlb_hits, 54);
    CHECK_EQ(r.s.evictions, 0);
}

TEST(frames_128_fifo_538_lru_539)
{
    static run_t r;
    osc_vm_config_t c = osc_vm_config_default();
    c.frames = 128;
    CHECK(run_osc(c, &r) == 0);
    CHECK_EQ(r.s.page_faults, 538);
    CHECK_EQ(r.s.tlb_hits, 54);
    c.policy = OSC_VM_LRU;
    CHECK(run_osc(c, &r) == 0);
    CHECK_EQ(r.s.page_faults, 539);
    CHECK_EQ(r.s.tlb_hits, 54);
}

TEST(tlb_fill_on_fault_gives_55_hits)
{
    static run_t r;
    osc_vm_config_t c = osc_vm_config_default();
    c.tlb_fill = OSC_VM_TLB_FILL_FAULT;
    CHECK(run_osc(c, &r) == 0);
    CHECK_EQ(r.s.page_faults, 244);
    CHECK_EQ(r.s.tlb_hits, 55);
}

TEST(classic_bug_lru_not_refreshed_on_tlb_hit_gives_537)
{
    static run_t r;
    osc_vm_config_t c = osc_vm_config_default();
    c.frames = 128;
    c.policy = OSC_VM_LRU;
    c.lru_touch_tlb_hits = 0;
    CHECK(run_osc(c, &r) == 0);
    CHECK_EQ(r.s.page_faults, 537);
}

TEST(values_are_signed_bytes_of_the_store)
{
    static run_t r;
    CHECK(run_osc(osc_vm_config_default(), &r) == 0);
    for (size_t i = 0; i < 1000; i++) {
        uint32_t a = osc_addrs[i];
        CHECK_EQ(r.value[i], (int8_t)store.data[a]);
        CHECK_EQ(r.paddr[i] & 0xff, a & 0xff);
    }
}

/* ---- textbook reference strings (OSC 10th ed., 10.4) -------------------- */

static const uint32_t osc_string[] = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1};
static const uint32_t belady_string[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};

static int zero_store(void *ctx, uint64_t off, void *buf, uint32_t len)
{
    (void)ctx;
    (void)off;
    memset(buf, 0, len);
    return 0;
}

static long faults_on_pages(const uint32_t *pages, size_t n, uint32_t frames, osc_vm_policy_t pol,
                            unsigned tlb)
{
    osc_vm_config_t c = osc_vm_config_default();
    osc_vm_t *vm;
    long f;
    c.frames = frames;
    c.policy = pol;
    c.tlb_entries = tlb;
    if (osc_vm_new(&vm, &c, zero_store, NULL, NULL))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (osc_vm_access(vm, pages[i] << 8 | 7, NULL))
            return -1;
    f = (long)osc_vm_stats(vm).page_faults;
    osc_vm_free(vm);
    return f;
}

TEST(osc_reference_string_fifo_15_lru_12)
{
    size_t n = sizeof osc_string / sizeof osc_string[0];
    /* The TLB must not change fault counts: try a 1-entry and a 16-entry one. */
    for (unsigned tlb = 1; tlb <= 16; tlb += 15) {
        CHECK_EQ(faults_on_pages(osc_string, n, 3, OSC_VM_FIFO, tlb), 15);
        CHECK_EQ(faults_on_pages(osc_string, n, 3, OSC_VM_LRU, tlb), 12);
    }
}

TEST(belady_anomaly_fifo_9_then_10)
{
    size_t n = sizeof belady_string / sizeof belady_string[0];
    CHECK_EQ(faults_on_pages(belady_string, n, 3, OSC_VM_FIFO, 16), 9);
    CHECK_EQ(faults_on_pages(belady_string, n, 4, OSC_VM_FIFO, 16), 10);
    CHECK_EQ(faults_on_pages(belady_string, n, 3, OSC_VM_LRU, 16), 10);
    CHECK_EQ(faults_on_pages(belady_string, n, 4, OSC_VM_LRU, 16), 8);
}

/* ---- the parts ---------------------------------------------------------- */

TEST(tlb_fifo_evicts_oldest_fill_lru_least_recent)
{
    osc_tlb_t t;
    int64_t ev;
    CHECK(osc_tlb_init(&t, 2, OSC_TLB_FIFO) == 0);
    osc_tlb_insert(&t, 10, 0, &ev);
    CHECK_EQ(ev, -1);
    osc_tlb_insert(&t, 11, 1, &ev);
    CHECK(osc_tlb_lookup(&t, 10) >= 0); /* a hit does not matter to FIFO */
    osc_tlb_insert(&t, 12, 2, &ev);
    CHECK_EQ(ev, 10);
    osc_tlb_destroy(&t);

    CHECK(osc_tlb_init(&t, 2, OSC_TLB_LRU) == 0);
    osc_tlb_insert(&t, 10, 0, &ev);
    osc_tlb_insert(&t, 11, 1, &ev);
    CHECK(osc_tlb_lookup(&t, 10) >= 0); /* now 11 is least recent */
    osc_tlb_insert(&t, 12, 2, &ev);
    CHECK_EQ(ev, 11);
    CHECK_EQ(osc_tlb_invalidate(&t, 12), 1);
    CHECK_EQ(osc_tlb_invalidate(&t, 12), 0);
    CHECK_EQ(t.nvalid, 1);
    osc_tlb_insert(&t, 13, 3, &ev); /* takes the free slot */
    CHECK_EQ(ev, -1);
    osc_tlb_check(&t);
    osc_tlb_destroy(&t);
}

TEST(frame_table_hands_out_in_order_then_reuses_victim)
{
    osc_frame_table_t ft;
    int64_t victim;
    CHECK(osc_frame_table_init(&ft, 3, OSC_FRAME_LRU) == 0);
    for (uint32_t p = 0; p < 3; p++) {
        CHECK_EQ(osc_frame_table_pick(&ft, &victim), p);
        CHECK_EQ(victim, -1);
        osc_frame_table_load(&ft, p, 100 + p);
    }
    osc_frame_table_touch(&ft, 0); /* page 100 used: 101 is now LRU */
    CHECK_EQ(osc_frame_table_pick(&ft, &victim), 1);
    CHECK_EQ(victim, 101);
    osc_frame_table_check(&ft);
    osc_frame_table_destroy(&ft);
}

TEST(page_table_maps_and_unmaps)
{
    osc_page_table_t pt;
    uint32_t f = 99;
    CHECK(osc_page_table_init(&pt, 256) == 0);
    CHECK_EQ(osc_page_table_lookup(&pt, 5, &f), -ENOENT);
    osc_page_table_map(&pt, 5, 17);
    CHECK_EQ(osc_page_table_lookup(&pt, 5, &f), 0);
    CHECK_EQ(f, 17);
    osc_page_table_unmap(&pt, 5);
    CHECK_EQ(osc_page_table_lookup(&pt, 5, &f), -ENOENT);
    CHECK_EQ(pt.nvalid, 0);
    osc_page_table_check(&pt);
    osc_page_table_destroy(&pt);
}

/* ---- address parsing and configuration ---------------------------------- */

TEST(parse_accepts_blank_lines_crlf_and_spaces)
{
    const char in[] = "1\r\n\r\n  65535 \n\n2";
    uint32_t *a;
    size_t n;
    CHECK(osc_vm_parse_addresses("t", in, sizeof in - 1, 16, &a, &n, NULL) == 0);
    CHECK_EQ(n, 3);
    CHECK_EQ(a[0], 1);
    CHECK_EQ(a[1], 65535);
    CHECK_EQ(a[2], 2);
    free(a);
}

TEST(parse_rejects_non_numbers_and_out_of_range_with_line)
{
    diag_t d;
    uint32_t *a;
    size_t n;
    const char bad[] = "1\n2\nx12\n";
    const char big[] = "1\n65536\n";
    const char neg[] = "-5\n";
    CHECK_EQ(osc_vm_parse_addresses("f.txt", bad, sizeof bad - 1, 16, &a, &n, &d), -EINVAL);
    CHECK_EQ(d.line, 3);
    CHECK(strstr(d.msg, "'x12' is not a number") != NULL);
    CHECK_EQ(osc_vm_parse_addresses("f.txt", big, sizeof big - 1, 16, &a, &n, &d), -ERANGE);
    CHECK_EQ(d.line, 2);
    CHECK(strstr(d.msg, "out of range") != NULL);
    CHECK_EQ(osc_vm_parse_addresses("f.txt", neg, sizeof neg - 1, 16, &a, &n, &d), -EINVAL);
}

TEST(config_rejects_zero_and_too_many_frames)
{
    osc_vm_config_t c = osc_vm_config_default();
    diag_t d;
    c.frames = 0;
    CHECK_EQ(osc_vm_config_validate(&c, &d), -EINVAL);
    c.frames = 257;
    CHECK_EQ(osc_vm_config_validate(&c, &d), -EINVAL);
    CHECK(strstr(d.msg, "expected 1..256") != NULL);
    c.frames = 256;
    CHECK_EQ(osc_vm_config_validate(&c, &d), 0);
}

TEST(short_backing_store_is_an_error)
{
    osc_backing_store_t bs;
    diag_t d;
    char path[256];
    FILE *f;
    snprintf(path, sizeof path, "%s/short.bin", test_tmpdir());
    f = fopen(path, "wb");
    CHECK(f != NULL);
    fwrite("abc", 1, 3, f);
    fclose(f);
    CHECK_EQ(osc_backing_store_load(&bs, path, 65536, &d), -EINVAL);
    CHECK(strstr(d.msg, "3 bytes") != NULL);
}

TEST(failed_store_read_leaves_state_intact)
{
    osc_vm_config_t c = osc_vm_config_default();
    osc_backing_store_t tiny = {.data = (char[512]){0}, .len = 512}; /* pages 0 and 1 only */
    osc_vm_t *vm;
    c.frames = 1;
    CHECK(osc_vm_new(&vm, &c, osc_backing_store_read, &tiny, NULL) == 0);
    CHECK_EQ(osc_vm_access(vm, 0x0005, NULL), 0);
    CHECK_EQ(osc_vm_access(vm, 0x0505, NULL), -EIO);
    osc_vm_check(vm);
    CHECK_EQ(osc_vm_stats(vm).page_faults, 1);
    CHECK_EQ(osc_vm_access(vm, 0x0006, NULL), 0); /* page 0 still resident */
    CHECK_EQ(osc_vm_stats(vm).page_faults, 1);
    CHECK_EQ(osc_vm_access(vm, 0x10000, NULL), -ERANGE);
    osc_vm_free(vm);
}

/* ---- an independent model, cross-checked on random inputs --------------- */

/* The textbook rules written as plainly as possible with ordered lists:
 * resident pages in load (FIFO) or recency (LRU) order, front = victim; the
 * TLB likewise.  Frames: 0, 1, 2, ... then the victim's. */
typedef struct model {
    uint32_t res[256], resn, frame_of[256];
    uint32_t tlb[64], tlbn, tlb_frame[64];
    uint32_t next_free;
} model_t;

static void list_remove(uint32_t *a, uint32_t *n, uint32_t at, uint32_t *b)
{
    memmove(a + at, a + at + 1, (*n - at - 1) * sizeof *a);
    if (b)
        memmove(b + at, b + at + 1, (*n - at - 1) * sizeof *b);
    (*n)--;
}

static void model_access(model_t *m, const osc_vm_config_t *c, uint32_t page, int *tlb_hit,
                         int *fault, uint32_t *frame)
{
    uint32_t i, f = 0;
    *tlb_hit = *fault = 0;
    for (i = 0; i < m->tlbn; i++)
        if (m->tlb[i] == page)
            break;
    if (i < m->tlbn) {
        *tlb_hit = 1;
        f = m->tlb_frame[i];
        if (c->tlb_policy == OSC_VM_LRU) {
            list_remove(m->tlb, &m->tlbn, i, m->tlb_frame);
            m->tlb[m->tlbn] = page;
            m->tlb_frame[m->tlbn++] = f;
        }
    }
    for (i = 0; i < m->resn; i++)
        if (m->res[i] == page)
            break;
    if (i < m->resn) {
        f = m->frame_of[page];
        if (c->policy == OSC_VM_LRU && (!*tlb_hit || c->lru_touch_tlb_hits)) {
            list_remove(m->res, &m->resn, i, NULL);
            m->res[m->resn++] = page;
        }
    } else {
        *fault = 1;
        if (m->next_free < c->frames) {
            f = m->next_free++;
        } else {
            uint32_t victim = m->res[0];
            f = m->frame_of[victim];
            list_remove(m->res, &m->resn, 0, NULL);
            for (i = 0; i < m->tlbn; i++)
                if (m->tlb[i] == victim)
                    list_remove(m->tlb, &m->tlbn, i, m->tlb_frame);
        }
        m->res[m->resn++] = page;
        m->frame_of[page] = f;
    }
    if (!*tlb_hit && (c->tlb_fill == OSC_VM_TLB_FILL_MISS || *fault)) {
        if (m->tlbn == c->tlb_entries)
            list_remove(m->tlb, &m->tlbn, 0, m->tlb_frame);
        m->tlb[m->tlbn] = page;
        m->tlb_frame[m->tlbn++] = f;
    }
    *frame = f;
}

TEST(matches_independent_model_on_random_inputs)
{
    uint64_t seed = 12345;
    CHECK(load_osc() == 0);
    for (int trial = 0; trial < 200; trial++) {
        osc_vm_config_t c = osc_vm_config_default();
        model_t m;
        osc_vm_t *vm;
        uint32_t hot;
#define RND() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, (uint32_t)(seed >> 33))
        c.frames = 1 + RND() % 64;
        c.policy = RND() % 2 ? OSC_VM_LRU : OSC_VM_FIFO;
        c.tlb_entries = 1 + RND() % 16;
        c.tlb_policy = RND() % 2 ? OSC_VM_LRU : OSC_VM_FIFO;
        c.tlb_fill = RND() % 2 ? OSC_VM_TLB_FILL_FAULT : OSC_VM_TLB_FILL_MISS;
        c.lru_touch_tlb_hits = RND() % 4 != 0;
        hot = 1 + RND() % 255; /* locality: most references within `hot` pages */
        memset(&m, 0, sizeof m);
        CHECK(osc_vm_new(&vm, &c, osc_backing_store_read, &store, NULL) == 0);
        for (int i = 0; i < 2000; i++) {
            uint32_t page = RND() % 8 ? RND() % hot : RND() % 256;
            uint32_t addr = page << 8 | (RND() & 0xff), frame;
            int th, pf;
            osc_vm_event_t e;
            CHECK(osc_vm_access(vm, addr, &e) == 0);
            model_access(&m, &c, page, &th, &pf, &frame);
            CHECK_MSG(e.tlb_hit == th && e.page_fault == pf && e.frame == frame,
                      "trial %d ref %d page %u: vm tlb %d fault %d frame %u, model %d %d %u", trial,
                      i, page, e.tlb_hit, e.page_fault, e.frame, th, pf, frame);
            CHECK_EQ(e.value, (int8_t)store.data[addr]);
            osc_vm_check(vm);
        }
        CHECK(osc_vm_stats(vm).page_faults >= 1);
        osc_vm_free(vm);
    }
}

TEST(enough_frames_means_only_compulsory_faults)
{
    static run_t r;
    uint8_t seen[256] = {0};
    unsigned distinct = 0;
    CHECK(run_osc(osc_vm_config_default(), &r) == 0);
    for (size_t i = 0; i < osc_n; i++)
        if (!seen[osc_addrs[i] >> 8]++)
            distinct++;
    CHECK_EQ(r.s.page_faults, distinct);
}

TEST(other_page_sizes_translate_and_fault_per_page)
{
    CHECK(load_osc() == 0);
    for (unsigned bits = 4; bits <= 12; bits += 4) {
        osc_vm_config_t c = osc_vm_config_default();
        osc_vm_t *vm;
        static uint8_t seen[4096];
        uint64_t distinct = 0;
        c.page_bits = bits;
        c.frames = 1u << (16 - bits); /* as many frames as pages: compulsory faults only */
        memset(seen, 0, sizeof seen);
        CHECK(osc_vm_new(&vm, &c, osc_backing_store_read, &store, NULL) == 0);
        for (size_t i = 0; i < osc_n; i++) {
            osc_vm_event_t e;
            uint32_t a = osc_addrs[i];
            CHECK(osc_vm_access(vm, a, &e) == 0);
            CHECK_EQ(e.page, a >> bits);
            CHECK_EQ(e.paddr, (e.frame << bits) | (a & ((1u << bits) - 1)));
            CHECK_EQ(e.value, (int8_t)store.data[a]);
            if (!seen[a >> bits]++)
                distinct++;
        }
        CHECK_EQ(osc_vm_stats(vm).page_faults, distinct);
        osc_vm_check(vm);
        osc_vm_free(vm);
    }
}
