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
