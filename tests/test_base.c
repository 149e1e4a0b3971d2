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
