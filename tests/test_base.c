/* SPDX-License-Identifier: MIT */
/*
 * test_base.c - the base layer: strict number parsing, diagnostics, atomic
 * output files, whole-file reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "vmlab/diag.h"
#include "vmlab/env.h"
#include "vmlab/parse.h"

TEST(parse_dec_strict)
{
    uint64_t v;
    CHECK_EQ(parse_u64_dec("0", 1, &v), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(parse_u64_dec("18446744073709551615", 20, &v), 0);
    CHECK(v == UINT64_MAX);
    CHECK_EQ(parse_u64_dec("18446744073709551616", 20, &v), -ERANGE);
    CHECK_EQ(parse_u64_dec("12a", 3, &v), -EINVAL);
    CHECK_EQ(parse_u64_dec("-1", 2, &v), -EINVAL);
    CHECK_EQ(parse_u64_dec(" 1", 2, &v), -EINVAL);
    CHECK_EQ(parse_u64_dec("", 0, &v), -EINVAL);
    CHECK_EQ(parse_u64_dec("123", 2, &v), 0); /* exactly [s, s + len) */
    CHECK_EQ(v, 12);
}

TEST(parse_hex_strict)
{
    uint64_t v;
    CHECK_EQ(parse_u64_hex("0041f7a0", 8, &v), 0);
    CHECK_EQ(v, 0x41f7a0);
    CHECK_EQ(parse_u64_hex("0xFFffFFffFFffFFff", 18, &v), 0);
    CHECK(v == UINT64_MAX);
    CHECK_EQ(parse_u64_hex("1ffffffffffffffff", 17, &v), -ERANGE);
    CHECK_EQ(parse_u64_hex("0x", 2, &v), -EINVAL);
    CHECK_EQ(parse_u64_hex("g1", 2, &v), -EINVAL);
}

TEST(parse_size_suffixes)
{
    uint64_t v;
    CHECK_EQ(parse_size("4k", &v), 0);
    CHECK_EQ(v, 4096);
    CHECK_EQ(parse_size("2M", &v), 0);
    CHECK_EQ(v, 2u << 20);
    CHECK_EQ(parse_size("0x10", &v), 0);
    CHECK_EQ(v, 16);
    CHECK_EQ(parse_size("k", &v), -EINVAL);
    CHECK_EQ(parse_size("99999999999999999999g", &v), -ERANGE);
    CHECK_EQ(parse_size("17179869184G", &v), -ERANGE);
}

TEST(trim)
{
    const char *s = " \t12 \r\n";
    size_t n = strlen(s);
    parse_trim(&s, &n);
    CHECK_EQ(n, 2);
    CHECK(s[0] == '1');
}

TEST(diag_formats_file_line)
{
    diag_t d;
    char buf[256];
    CHECK_EQ(diag_set(&d, "a.txt", 3, EINVAL, "bad %s", "x"), -EINVAL);
    diag_format(&d, buf, sizeof buf);
    CHECK_STR(buf, "a.txt:3: bad x");
    diag_set(&d, "a.txt", 0, EIO, "oops");
    diag_format(&d, buf, sizeof buf);
    CHECK_STR(buf, "a.txt: oops");
    CHECK_EQ(diag_set(NULL, "x", 1, ENOMEM, "y"), -ENOMEM);
}

TEST(out_commit_renames_abort_leaves_target)
{
    char path[512], *text;
    size_t len;
    env_out_t o;
    struct stat st;
    snprintf(path, sizeof path, "%s/out.txt", test_tmpdir());
    CHECK(env_out_open(&o, path, NULL) == 0);
    fputs("first\n", o.fp);
    CHECK(stat(path, &st) != 0); /* nothing at the target until commit */
    CHECK(env_out_commit(&o, NULL) == 0);
    CHECK(env_read_file(path, &text, &len, NULL) == 0);
    CHECK_STR(text, "first\n");
    free(text);
    CHECK(env_out_open(&o, path, NULL) == 0);
    fputs("half", o.fp);
    env_out_abort(&o);
    CHECK(env_read_file(path, &text, &len, NULL) == 0);
    CHECK_STR(text, "first\n");
    free(text);
}

TEST(out_open_fails_cleanly_in_missing_dir)
{
    env_out_t o;
    diag_t d;
    CHECK_EQ(env_out_open(&o, "/nonexistent-dir/x.txt", &d), -ENOENT);
    CHECK(strstr(d.msg, "cannot create output") != NULL);
}

TEST(read_file_large_and_missing)
{
    char path[512], *text;
    size_t len;
    diag_t d;
    FILE *f;
    snprintf(path, sizeof path, "%s/big.bin", test_tmpdir());
    f = fopen(path, "wb");
    CHECK(f != NULL);
    for (int i = 0; i < 300000; i++)
        fputc(i & 0xff, f);
    fclose(f);
    CHECK(env_read_file(path, &text, &len, NULL) == 0);
    CHECK_EQ(len, 300000);
    CHECK_EQ((unsigned char)text[299999], 299999 & 0xff);
    CHECK_EQ(text[len], 0);
    free(text);
    CHECK_EQ(env_read_file("/nonexistent-file", &text, &len, &d), -ENOENT);
}

/* Every byte of [p, p + n) is zero. */
static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Big arrays: zeroed, writable end to end, huge-page aligned above
 * ENV_BIG_MIN; resizing keeps the contents and zeroes what is new, also
 * after a shrink within one mapping and across the calloc threshold. */
TEST(big_alloc_zeroed_and_resized)
{
    static const size_t sizes[] = {1, 4096, ENV_BIG_MIN - 1, ENV_BIG_MIN, ENV_BIG_MIN + 12345,
                                   (size_t)5 << 21};
    for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
        size_t n = sizes[j];
        unsigned char *p = env_big_alloc(n);
        CHECK(p != NULL);
        CHECK(all_zero(p, n));
        if (n >= ENV_BIG_MIN)
            CHECK_EQ((uintptr_t)p % ((size_t)2 << 20), 0);
        memset(p, 0xab, n);
        env_big_free(p, n);
    }
    static const size_t steps[] = {100, ENV_BIG_MIN + 10, ENV_BIG_MIN + 5000, ENV_BIG_MIN + 20,
                                   ENV_BIG_MIN * 3, 1000, ENV_BIG_MIN * 2};
    unsigned char *p = NULL;
    size_t n = 0;
    for (size_t j = 0; j < sizeof steps / sizeof steps[0]; j++) {
        size_t m = steps[j], keep = n < m ? n : m;
        unsigned char *q = env_big_realloc(p, n, m);
        CHECK(q != NULL);
        for (size_t i = 0; i < keep; i++)
            CHECK_EQ(q[i], (unsigned char)(i * 7 + j - 1));
        CHECK(all_zero(q + keep, m - keep));
        for (size_t i = 0; i < m; i++)
            q[i] = (unsigned char)(i * 7 + j);
        p = q;
        n = m;
    }
    env_big_free(p, n);
    env_big_free(NULL, 123);
}

/* ---- src/base: hash map, vectors, lists, RNG, output layer ---------------- */

#include "base/hashmap.h"
#include "base/list.h"
#include "base/out.h"
#include "base/rng.h"
#include "base/vec.h"

/* The map against a plain array oracle on random inserts, overwrites and
 * deletes over a small key space (so clusters form and deletes shift), with
 * the maximal key mixed in; the checker runs after every operation. */
TEST(hashmap_against_oracle)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        vl_rng_t r;
        vl_rng_seed(&r, seed);
        enum { K = 300 };
        uint64_t keys[K], val[K];
        int has[K] = {0};
        for (int i = 0; i < K; i++)
            keys[i] = i == 0 ? VL_MAP_EMPTY : (seed & 1 ? (uint64_t)i : vl_rng_next(&r));
        vl_map_t m;
        vl_map_init(&m);
        size_t n = 0;
        for (int op = 0; op < 5000; op++) {
            int i = (int)vl_rng_below(&r, K);
            uint64_t v = vl_rng_next(&r), got;
            switch (vl_rng_below(&r, 3)) {
            case 0:
            case 1:
                CHECK_EQ(vl_map_put(&m, keys[i], v), 0);
                n += !has[i];
                has[i] = 1;
                val[i] = v;
                break;
            default:
                CHECK_EQ(vl_map_del(&m, keys[i], &got), has[i]);
                if (has[i])
                    CHECK(got == val[i]);
                n -= has[i];
                has[i] = 0;
            }
            vl_map_check(&m);
            CHECK_EQ(vl_map_count(&m), n);
            int j = (int)vl_rng_below(&r, K);
            uint64_t *p = vl_map_get(&m, keys[j]);
            CHECK(has[j] ? p && *p == val[j] : p == NULL);
        }
        size_t it = 0, seen = 0;
        uint64_t k, v;
        while (vl_map_next(&m, &it, &k, &v))
            seen++;
        CHECK_EQ(seen, n);
        vl_map_free(&m);
    }
}

#include "base/sort.h"

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The radix sort against qsort, on sizes around its insertion-sort cut-off
 * and larger, for keys that vary in every byte, in a few bytes only (page
 * addresses: the skipped passes), all equal, already sorted and reversed. */
TEST(sort_u64_against_qsort)
{
    static const size_t sizes[] = {0, 1, 2, 63, 64, 65, 1000, 100000};
    for (uint64_t seed = 1; seed <= 6; seed++) {
        vl_rng_t r;
        vl_rng_seed(&r, seed);
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
            size_t n = sizes[si];
            uint64_t *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
            CHECK(a && b);
            for (size_t i = 0; i < n; i++) {
                uint64_t k = vl_rng_next(&r);
                switch (seed) {
                case 1: break;                                          /* every byte */
                case 2: k = 0x7f0000000000ull + ((k & 0xffffff) << 12); break; /* pages */
                case 3: k = 42; break;                                  /* all equal */
                case 4: k = i * 3; break;                               /* sorted */
                case 5: k = UINT64_MAX - i; break;                      /* reversed */
                default: k &= 0xff00000000000000ull; break;             /* top byte only */
                }
                a[i] = b[i] = k;
            }
            CHECK_EQ(vl_sort_u64(a, n), 0);
            qsort(b, n, sizeof *b, cmp_key);
            CHECK(n == 0 || memcmp(a, b, n * sizeof *a) == 0);
            free(a), free(b);
        }
    }
}

TEST(hashmap_slot_inserts_once)
{
    vl_map_t m = {0};
    int ins;
    uint64_t *p = vl_map_slot(&m, 7, 100, &ins);
    CHECK(p && ins == 1 && *p == 100);
    *p += 1;
    p = vl_map_slot(&m, 7, 0, &ins);
    CHECK(p && ins == 0 && *p == 101);
    CHECK_EQ(vl_map_reserve(&m, 100000), 0);
    CHECK(*vl_map_get(&m, 7) == 101);
    vl_map_free(&m);
}

TEST(vec_growth_and_overflow)
{
    VL_VEC(uint32_t) v = {0};
    for (uint32_t i = 0; i < 10000; i++)
        CHECK_EQ(vl_vec_push(&v, i * 3), 0);
    vl_vec_check(&v);
    CHECK_EQ(v.n, 10000);
    CHECK(v.v[9999] == 9999 * 3);
    void *p = NULL;
    size_t cap = 0;
    CHECK_EQ(vl_grow(&p, &cap, SIZE_MAX / 2, 8), -EOVERFLOW);
    CHECK_EQ(vl_grow(&p, &cap, (VL_VEC_MAX_BYTES / 8) + 1, 8), -EOVERFLOW);
    CHECK(p == NULL && cap == 0);
    CHECK_EQ(vl_grow(&p, &cap, 5, 0), -EOVERFLOW);
    vl_vec_free(&v);
    CHECK(v.v == NULL && v.n == 0);
}

typedef struct node {
    int id;
    vl_list_t link;
} node_t;

TEST(list_queue_and_stack_order)
{
    vl_list_t h;
    vl_list_init(&h);
    node_t n[5];
    for (int i = 0; i < 5; i++) {
        n[i].id = i;
        vl_list_add_tail(&h, &n[i].link);
    }
    vl_list_check(&h, 5);
    vl_list_t *it, *tmp;
    int want = 0;
    vl_list_for_each(it, &h) CHECK_EQ(vl_list_entry(it, node_t, link)->id, want++);
    vl_list_move(&h, &n[3].link); /* to the front */
    CHECK_EQ(vl_list_entry(vl_list_first(&h), node_t, link)->id, 3);
    vl_list_move_tail(&h, &n[0].link);
    CHECK_EQ(vl_list_entry(vl_list_last(&h), node_t, link)->id, 0);
    vl_list_check(&h, 5);
    vl_list_for_each_safe(it, tmp, &h) if (vl_list_entry(it, node_t, link)->id % 2) vl_list_del(it);
    vl_list_check(&h, 3);
    CHECK(vl_list_unlinked(&n[1].link));
    vl_list_del(&n[1].link); /* a second del is harmless */
    vl_list_check(&h, 3);
    CHECK_EQ(vl_list_count(&h), 3);
    while (!vl_list_empty(&h))
        vl_list_del(vl_list_first(&h));
    CHECK(vl_list_first(&h) == NULL);
}

/* First outputs for seed 42, computed by an independent Python transcription
 * of xoshiro256** and SplitMix64 from their papers' reference code. */
TEST(rng_reference_values)
{
    vl_rng_t r;
    vl_rng_seed(&r, 42);
    CHECK(vl_rng_next(&r) == 0x15780b2e0c2ec716ull);
    CHECK(vl_rng_next(&r) == 0x6104d9866d113a7eull);
    CHECK(vl_rng_next(&r) == 0xae17533239e499a1ull);
    vl_rng_seed(&r, 0);
    for (int i = 0; i < 100000; i++) {
        CHECK(vl_rng_below(&r, 7) < 7);
        double d = vl_rng_double(&r);
        CHECK(d >= 0 && d < 1);
        int64_t x = vl_rng_range(&r, -3, 3);
        CHECK(x >= -3 && x <= 3);
    }
}

TEST(json_writer_shapes_and_escapes)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    out_json_t j;
    out_json_init(&j, f, 0);
    out_json_obj(&j, NULL);
    out_json_str(&j, "name", "a\"b\\c\n\x01\x7f");
    out_json_arr(&j, "xs");
    out_json_u64(&j, NULL, 18446744073709551615ull);
    out_json_i64(&j, NULL, -5);
    out_json_dbl(&j, NULL, 0.1);
    out_json_dbl(&j, NULL, 1.0 / 3);
    out_json_dbl(&j, NULL, 0.0 / 0.0);
    out_json_end(&j);
    out_json_arr(&j, "empty");
    out_json_end(&j);
    out_json_hex(&j, "addr", 0x7f00);
    out_json_bool(&j, "ok", 1);
    out_json_str(&j, "none", NULL);
    out_json_end(&j);
    out_json_done(&j);
    fclose(f);
    CHECK_STR(buf, "{\"name\":\"a\\\"b\\\\c\\n\\u0001\\u007f\",\"xs\":[18446744073709551615,-5,0.1,"
                   "0.33333333333333331,null],\"empty\":[],\"addr\":\"0x7f00\",\"ok\":true,"
                   "\"none\":null}\n");
    free(buf);

    /* LINES: one line per member of a top-level array, ", " and ": " inside. */
    f = open_memstream(&buf, &len);
    out_json_init(&j, f, OUT_JSON_LINES);
    out_json_arr(&j, NULL);
    for (int i = 0; i < 2; i++) {
        out_json_obj(&j, NULL);
        out_json_u64(&j, "n", (uint64_t)i);
        out_json_fixed(&j, "rate", 0.5, 3);
        out_json_arr(&j, "xs");
        out_json_i64(&j, NULL, 1);
        out_json_i64(&j, NULL, 2);
        out_json_end(&j);
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_done(&j);
    fclose(f);
    CHECK_STR(buf, "[\n  {\"n\": 0, \"rate\": 0.500, \"xs\": [1, 2]},\n"
                   "  {\"n\": 1, \"rate\": 0.500, \"xs\": [1, 2]}\n]\n");
    free(buf);

    f = open_memstream(&buf, &len);
    out_csv_field(f, "plain");
    fputc(' ', f);
    out_csv_field(f, "a,\"b\"");
    fclose(f);
    CHECK_STR(buf, "plain \"a,\"\"b\"\"\"");
    free(buf);

    out_format_t fmt;
    CHECK_EQ(out_format_parse("csv", OUT_ACCEPT_ALL, &fmt), 0);
    CHECK_EQ(fmt, OUT_CSV);
    CHECK_EQ(out_format_parse("csv", OUT_ACCEPT_TEXT_JSON, &fmt), -EINVAL);
    char list[32];
    CHECK_STR(out_format_list(OUT_ACCEPT_TEXT_JSON, list, sizeof list), "text, json");
}

/* ---- src/base/progress: a fake terminal and a fake clock ------------------ */

#include "base/progress.h"

static uint64_t fake_ns;  /* the fake clock, moved by the tests */
static int fake_tty = 1;  /* whether the fake stream is a terminal */

static int fake_isatty_fn(FILE *fp)
{
    (void)fp;
    return fake_tty;
}

static uint64_t fake_now_fn(void)
{
    return fake_ns;
}

static const progress_env_t fake_term = {fake_isatty_fn, fake_now_fn};

/* Nothing in the first half second, then the sim look, at most ten redraws a
 * second, and the line erased at the end. */
TEST(progress_delay_rate_look_and_erase)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    progress_t p;
    fake_ns = 1000;
    fake_tty = 1;
    progress_start(&p, &fake_term, f, 1, "sim", "bzip.trace.gz", "references simulated");
    CHECK(progress_on(&p));
    fake_ns += PROGRESS_DELAY_NS - 1;
    progress_update(&p, 1, 4, 1 << 20); /* too early */
    fflush(f);
    CHECK_EQ(len, 0);
    fake_ns += 1;
    progress_update(&p, 1, 4, 3u << 20);
    fflush(f);
    CHECK_STR(buf, "\rvmlab sim: bzip.trace.gz:  25% (3 M references simulated)\033[K");
    size_t was = len;
    fake_ns += PROGRESS_PERIOD_NS - 1;
    progress_update(&p, 2, 4, 5u << 20); /* too soon after the last */
    fflush(f);
    CHECK_EQ(len, was);
    fake_ns += 1;
    progress_set_unit(&p, "references read");
    progress_update(&p, 0, 0, 1234); /* total unknown; small counts as is */
    fflush(f);
    CHECK_STR(buf + was, "\rvmlab sim: bzip.trace.gz: 1234 references read\033[K");
    was = len;
    fake_ns += PROGRESS_PERIOD_NS;
    progress_update(&p, 9, 4, 0); /* done past total: capped at 100% */
    fflush(f);
    CHECK_STR(buf + was, "\rvmlab sim: bzip.trace.gz: 100% (0 references read)\033[K");
    was = len;
    progress_end(&p);
    fflush(f);
    CHECK_STR(buf + was, "\r\033[K");
    CHECK(!progress_on(&p));
    was = len;
    progress_update(&p, 1, 2, 3); /* ended: silent */
    progress_end(&p);
    fflush(f);
    CHECK_EQ(len, was);
    fclose(f);
    free(buf);
}

/* Not a terminal, or not wanted: never a byte; a quick run erases nothing. */
TEST(progress_silent_off_terminal_and_for_quick_runs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    progress_t p;
    fake_ns = 0;
    for (int c = 0; c < 3; c++) {
        fake_tty = c != 0;
        progress_start(&p, &fake_term, f, c != 1, "gen", "zipf", "references written");
        CHECK_EQ(progress_on(&p), c == 2);
        for (int i = 0; i < 100; i++) {
            fake_ns += c == 2 ? 1000 : PROGRESS_DELAY_NS; /* c == 2: a quick run */
            progress_update(&p, (uint64_t)i, 100, (uint64_t)i);
        }
        progress_end(&p);
    }
    fflush(f);
    CHECK_EQ(len, 0);
    fclose(f);
    free(buf);
    fake_tty = 1;
}

/* A long name keeps its tail, within PROGRESS_NAME_MAX bytes. */
TEST(progress_long_name_shortened)
{
    progress_t p;
    char name[200];
    memset(name, 'd', sizeof name);
    strcpy(name + 150, "/the-trace-file.trace.gz");
    progress_start(&p, &fake_term, stderr, 0, "mrc", name, "x");
    CHECK_EQ(strlen(p.name), PROGRESS_NAME_MAX);
    CHECK(strncmp(p.name, "...", 3) == 0);
    CHECK(strstr(p.name, "/the-trace-file.trace.gz") != NULL);
    progress_set_name(&p, NULL);
    CHECK_STR(p.name, "");
}

/* ---- buddy_core's order arithmetic against brute force ---- */
#include "base/buddy_core.h"

TEST(buddy_order_arithmetic)
{
    for (size_t n = 1; n < 5000; n++) {
        unsigned k = 0;
        while (((size_t)1 << k) < n)
            k++;
        CHECK_EQ(vl_buddy_order_ceil(n), k);
    }
    CHECK_EQ(vl_buddy_order_ceil((size_t)1 << 40), 40);
    CHECK_EQ(vl_buddy_order_ceil(((size_t)1 << 40) + 1), 41);
    for (unsigned max = 1; max <= 12; max++)
        for (size_t start = 0; start < 300; start++)
            for (size_t end = start + 1; end < 300; end += 7) {
                unsigned best = 0; /* the largest aligned block in [start, end), order < max */
                for (unsigned k = 0; k < max; k++)
                    if (start % ((size_t)1 << k) == 0 && start + ((size_t)1 << k) <= end)
                        best = k;
                CHECK_MSG(vl_buddy_range_order(start, end, max) == best, "start %zu end %zu max %u", start, end,
                          max);
            }
}
