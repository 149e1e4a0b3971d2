/* SPDX-License-Identifier: MIT */
/*
 * test_trace.c - the trace reader (include/vmlab/trace.h): golden results
 * for every format on small inputs, auto-detection, gzip and zstd, errors
 * with FILE:LINE, skip_bad, the real traces in ../shared/data/traces, the
 * binary format's round trip, and a property test writing random references
 * in every format (by this file's own printf, independent of trace_write)
 * and reading them back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#ifdef VMLAB_HAVE_ZSTD
#include <zstd.h>
#endif

#include "harness.h"
#include "vmlab/trace.h"

/* A file in the test's temporary directory holding [data, data + len). */
static const char *put_file(const char *name, const void *data, size_t len)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        abort();
    return p;
}

static const char *put_text(const char *name, const char *text)
{
    return put_file(name, text, strlen(text));
}

/* gzip-compress [data, data + len) into *out (malloc'd). */
static size_t gzip_mem(const void *data, size_t len, unsigned char **out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, len) + 64;
    *out = malloc(cap);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = *out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

/* Every reference of path (opts may be NULL): 0 with *refs (malloc'd) and
 * *n, or the error of trace_open/trace_read with *d. */
static int read_all(const char *path, const trace_opts_t *opts, trace_ref_t **refs, size_t *n,
                    diag_t *d, size_t batch)
{
    trace_t *t;
    *refs = NULL;
    *n = 0;
    diag_clear(d);
    int rc = trace_open(&t, path, opts, d);
    if (rc)
        return rc;
    size_t cap = 1024;
    *refs = malloc(cap * sizeof **refs);
    ssize_t r;
    for (;;) {
        if (*n + batch > cap) {
            cap = (*n + batch) * 2;
            *refs = realloc(*refs, cap * sizeof **refs);
        }
        r = trace_read(t, *refs + *n, batch, d);
        if (r <= 0)
            break;
        *n += (size_t)r;
    }
    trace_close(t);
    return r < 0 ? (int)r : 0;
}

static int same_ref(const trace_ref_t *a, uint64_t addr, unsigned op, uint32_t pid, unsigned size)
{
    return a->addr == addr && a->op == op && a->pid == pid && a->size == size;
}

/* Field by field: trace_ref_t has padding, so memcmp would compare junk. */
static int refs_equal(const trace_ref_t *a, const trace_ref_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!same_ref(&a[i], b[i].addr, b[i].op, b[i].pid, b[i].size))
            return 0;
    return 1;
}

#define CHECK_REF(r, A, OP, PID, SZ)                                                        \
    CHECK_MSG(same_ref(&(r), A, OP, PID, SZ),                                               \
              "%s: got addr %#jx op %u pid %u size %u, want %#jx %u %u %u", #r,             \
              (uintmax_t)(r).addr, (r).op, (r).pid, (r).size, (uintmax_t)(A), OP, PID, SZ)

TEST(format_names)
{
    CHECK_EQ(trace_format_parse("rw"), TRACE_RW);
    CHECK_EQ(trace_format_parse("lackey"), TRACE_LACKEY);
    CHECK_EQ(trace_format_parse("vmlab"), TRACE_VMLAB);
    CHECK_EQ(trace_format_parse("auto"), TRACE_AUTO);
    CHECK_EQ(trace_format_parse("nope"), -1);
    for (int f = TRACE_OSC; f <= TRACE_VMLAB; f++)
        CHECK_EQ(trace_format_parse(trace_format_name((trace_format_t)f)), f);
}

TEST(rw_golden)
{
    const char *p = put_text("a.rw", "0041f7a0 R\n0041F7A4 w\n  7 W \r\n\n# comment\n0x10 r\n"
                                     "ffffffffffffffff W");
    trace_opts_t o = {.format = TRACE_RW};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 5);
    CHECK_REF(r[0], 0x41f7a0, TRACE_READ, 0, 0);
    CHECK_REF(r[1], 0x41f7a4, TRACE_WRITE, 0, 0);
    CHECK_REF(r[2], 7, TRACE_WRITE, 0, 0);
    CHECK_REF(r[3], 0x10, TRACE_READ, 0, 0);
    CHECK_REF(r[4], UINT64_MAX, TRACE_WRITE, 0, 0);
    free(r);
}

TEST(osc_and_pages_golden)
{
    const char *p = put_text("a.osc", "16916\n62493\r\n\n0\n18446744073709551615\n");
    trace_opts_t o = {.format = TRACE_OSC};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 4);
    CHECK_REF(r[0], 16916, TRACE_READ, 0, 0);
    CHECK_REF(r[1], 62493, TRACE_READ, 0, 0);
    CHECK_REF(r[2], 0, TRACE_READ, 0, 0);
    CHECK_REF(r[3], UINT64_MAX, TRACE_READ, 0, 0);
    free(r);
    p = put_text("a.pages", "7\n0\n1\n");
    o.format = TRACE_PAGES;
    o.page_bits = 13;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 3);
    CHECK_REF(r[0], 7u << 13, TRACE_READ, 0, 0);
    CHECK_REF(r[2], 1u << 13, TRACE_READ, 0, 0);
    free(r);
    /* Default page size 4 KiB; a 64-bit page id keeps its low 52 bits. */
    p = put_text("b.pages", "3\n18446744073709551615\n");
    o.page_bits = 0;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 2);
    CHECK_REF(r[0], 3u << 12, TRACE_READ, 0, 0);
    CHECK(r[1].addr >> 12 == (UINT64_MAX >> 12));
    free(r);
}

TEST(ls_golden)
{
    const char *p = put_text("a.ls", "l 0x7ff000 4\ns 0x10\n  l 7ff008 300\n");
    trace_opts_t o = {.format = TRACE_LS};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 3);
    CHECK_REF(r[0], 0x7ff000, TRACE_READ, 0, 4);
    CHECK_REF(r[1], 0x10, TRACE_WRITE, 0, 0);
    CHECK_REF(r[2], 0x7ff008, TRACE_READ, 0, 255);
    free(r);
}

TEST(lackey_golden_m_is_read_and_write)
{
    const char *p = put_text("a.lackey",
                             "==28465== Lackey, an example Valgrind tool\n"
                             "--28465-- Valgrind options:\n"
                             "I  04001020,2\n"
                             " L bec14ce0,4\n"
                             " S bec14cdc,8\n"
                             " M 0804a010,4\n"
                             "total 9624\n"
                             "-rw-r--r-- 1 root root 75 Nov  4 00:00 hello.c\n"
                             "==7== \n"
                             "I  00000000,1\n");
    trace_opts_t o = {0};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 6);
    CHECK_REF(r[0], 0x04001020, TRACE_IFETCH, 28465, 2);
    CHECK_REF(r[1], 0xbec14ce0, TRACE_READ, 28465, 4);
    CHECK_REF(r[2], 0xbec14cdc, TRACE_WRITE, 28465, 8);
    CHECK_REF(r[3], 0x0804a010, TRACE_READ, 28465, 4);
    CHECK_REF(r[4], 0x0804a010, TRACE_WRITE, 28465, 4);
    CHECK_REF(r[5], 0, TRACE_IFETCH, 7, 1);
    free(r);
    /* One reference at a time: M's write must not be lost. */
    trace_t *t;
    CHECK_EQ(trace_open(&t, p, &o, &d), 0);
    trace_ref_t one[6];
    for (int i = 0; i < 6; i++)
        CHECK_EQ(trace_read(t, &one[i], 1, &d), 1);
    CHECK_EQ(trace_read(t, one, 1, &d), 0);
    CHECK_REF(one[3], 0x0804a010, TRACE_READ, 28465, 4);
    CHECK_REF(one[4], 0x0804a010, TRACE_WRITE, 28465, 4);
    CHECK_EQ(trace_skipped_lines(t), 5);
    trace_close(t);
}

TEST(din_golden)
{
    const char *p = put_text("a.din", "2 0\n0 1000\n1 70f60888 4\n3 0\n4 0\n0 2cb5 any comment\n");
    trace_opts_t o = {.format = TRACE_DIN};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 4);
    CHECK_REF(r[0], 0, TRACE_IFETCH, 0, 0);
    CHECK_REF(r[1], 0x1000, TRACE_READ, 0, 0);
    CHECK_REF(r[2], 0x70f60888, TRACE_WRITE, 0, 4);
    CHECK_REF(r[3], 0x2cb5, TRACE_READ, 0, 0);
    free(r);
}

TEST(multi_pid_column)
{
    trace_opts_t o = {.multi_pid = 1};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    const char *p = put_text("p.rw", "3 0041f7a0 W\n4294967295 10 R\n");
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 2);
    CHECK_REF(r[0], 0x41f7a0, TRACE_WRITE, 3, 0);
    CHECK_REF(r[1], 0x10, TRACE_READ, UINT32_MAX, 0);
    free(r);
    p = put_text("p.osc", "1 16916\n2 62493\n");
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 2);
    CHECK_REF(r[1], 62493, TRACE_READ, 2, 0);
    free(r);
    p = put_text("p.bad", "4294967296 10 R\n");
    o.format = TRACE_RW;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "pid"), "%s", d.msg);
    free(r);
}

static trace_format_t detect_of(const char *name, const char *text)
{
    trace_t *t;
    diag_t d;
    trace_opts_t o = {0};
    if (trace_open(&t, put_text(name, text), &o, &d))
        return TRACE_AUTO;
    trace_format_t f = trace_format(t);
    trace_close(t);
    return f;
}

TEST(auto_detection)
{
    CHECK_EQ(detect_of("d.rw", "0041f7a0 R\n0041f7a4 W\n"), TRACE_RW);
    CHECK_EQ(detect_of("d.osc", "16916\n62493\n"), TRACE_OSC);
    CHECK_EQ(detect_of("d.ls", "l 0x7ff000 4\ns 0x10\n"), TRACE_LS);
    CHECK_EQ(detect_of("d.lk", "==1== hi\nI  04001020,2\n L bec14ce0,4\n"), TRACE_LACKEY);
    CHECK_EQ(detect_of("d.lk2", "I 00004000,1\nI 00000000,1\n"), TRACE_LACKEY);
    CHECK_EQ(detect_of("d.din", "2 0\n0 1000\n1 70f60888\n"), TRACE_DIN);
    /* Page numbers are never detected as pages: they read as osc. */
    CHECK_EQ(detect_of("d.pg", "7\n0\n1\n"), TRACE_OSC);
    /* A typo early on still detects, and is then reported with its line. */
    CHECK_EQ(detect_of("d.typo", "0041f7a0 R\n0041f7a4 X\n0041f7a8 W\n"), TRACE_RW);
}

TEST(undetectable_and_empty)
{
    trace_t *t;
    diag_t d;
    trace_opts_t o = {0};
    CHECK_EQ(trace_open(&t, put_text("u.txt", "hello world\nfoo bar\n"), &o, &d), -EINVAL);
    CHECK_MSG(strstr(d.msg, "cannot tell the trace format") &&
                  strstr(d.msg, "osc, rw, ls, lackey, din, pages, vmlab"), "%s", d.msg);
    CHECK_EQ(trace_open(&t, put_text("e.txt", ""), &o, &d), -EINVAL);
    CHECK_MSG(strstr(d.msg, "empty trace"), "%s", d.msg);
    /* With the format given an empty trace is simply empty. */
    o.format = TRACE_RW;
    CHECK_EQ(trace_open(&t, put_text("e2.txt", ""), &o, &d), 0);
    trace_ref_t r[4];
    CHECK_EQ(trace_read(t, r, 4, &d), 0);
    trace_close(t);
    CHECK_EQ(trace_open(&t, "/nonexistent/trace", &o, &d), -ENOENT);
    CHECK_STR(d.file, "/nonexistent/trace");
}

TEST(malformed_line_names_file_and_line)
{
    const char *p = put_text("bad.rw", "0041f7a0 R\n\n0041f7a4 X\n00000010 W\n");
    trace_opts_t o = {.format = TRACE_RW};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), -EINVAL);
    CHECK_EQ(n, 1); /* the good line before the bad one is delivered first */
    CHECK_STR(d.file, p);
    CHECK_EQ(d.line, 3);
    CHECK_MSG(strstr(d.msg, "not R or W") && strstr(d.msg, "'0041f7a4 X'") &&
                  strstr(d.msg, "(expected an rw line"), "%s", d.msg);
    char buf[1200];
    diag_format(&d, buf, sizeof buf);
    char want[700];
    snprintf(want, sizeof want, "%s:3: ", p);
    CHECK_MSG(strncmp(buf, want, strlen(want)) == 0, "%s", buf);
    free(r);
    /* Each format says what it expected. */
    struct {
        trace_format_t f;
        const char *text, *why;
        unsigned long line;
    } cases[] = {
        {TRACE_OSC, "12\n12x\n", "text after the number", 2},
        {TRACE_OSC, "99999999999999999999\n", "over 64 bits", 1},
        {TRACE_RW, "12345678901234567 R\n", "over 64 bits", 1},
        {TRACE_RW, "0041f7a0\n", "no R or W", 1},
        {TRACE_RW, "0041f7a0 R extra\n", "text after R/W", 1},
        {TRACE_LS, "x 0x10\n", "not l or s", 1},
        {TRACE_LS, "l 0x10 big\n", "size", 1},
        {TRACE_LACKEY, "I  04001020,2x\n", "size", 1},
        {TRACE_LACKEY, " L bec14ce0,x\n", "size", 1},
        {TRACE_LACKEY, " L bec14ce0\n", "no ,SIZE", 1},
        {TRACE_DIN, "0 10\n7 10\n", "label not 0..4", 2},
        {TRACE_DIN, "0 zz\n", "not a hex address", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        o.format = cases[i].f;
        CHECK_MSG(read_all(put_text("bad.x", cases[i].text), &o, &r, &n, &d, 64) == -EINVAL,
                  "case %zu accepted", i);
        free(r);
        CHECK_MSG(d.line == cases[i].line && strstr(d.msg, cases[i].why) &&
                      strstr(d.msg, "(expected"),
                  "case %zu: line %lu: %s", i, d.line, d.msg);
    }
}

TEST(skip_bad_counts)
{
    const char *p = put_text("skip.rw", "0041f7a0 R\nnonsense\n0041f7a4 X\n00000010 W\n");
    trace_opts_t o = {.format = TRACE_RW, .skip_bad = 1};
    trace_t *t;
    diag_t d;
    CHECK_EQ(trace_open(&t, p, &o, &d), 0);
    trace_ref_t r[8];
    CHECK_EQ(trace_read(t, r, 8, &d), 2);
    CHECK_EQ(trace_read(t, r, 8, &d), 0);
    CHECK_EQ(trace_bad_lines(t), 2);
    CHECK_EQ(trace_lines(t), 4);
    trace_close(t);
}

TEST(crlf_blank_lines_no_final_newline)
{
    const char *p = put_text("crlf.rw", "\r\n0041f7a0 R\r\n\r\n   \r\n\t\n0041f7a4 W");
    trace_opts_t o = {0};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 2);
    CHECK_REF(r[1], 0x41f7a4, TRACE_WRITE, 0, 0);
    free(r);
}

TEST(line_too_long)
{
    size_t len = 300000;
    char *big = malloc(len + 1);
    memset(big, '1', len);
    big[len] = '\n';
    trace_opts_t o = {.format = TRACE_OSC};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(put_file("long.osc", big, len + 1), &o, &r, &n, &d, 64), -EINVAL);
    free(big);
    free(r);
    CHECK_MSG(strstr(d.msg, "line longer than"), "%s", d.msg);
}

static const char gz_text[] = "0041f7a0 R\n0041f7a4 W\n00000010 R\n";

TEST(gzip_transparent_and_multimember)
{
    unsigned char *gz;
    size_t gl = gzip_mem(gz_text, strlen(gz_text), &gz);
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(put_file("a.rw.gz", gz, gl), NULL, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 3);
    CHECK_REF(r[1], 0x41f7a4, TRACE_WRITE, 0, 0);
    free(r);
    /* cat a.gz a.gz */
    unsigned char *two = malloc(2 * gl);
    memcpy(two, gz, gl);
    memcpy(two + gl, gz, gl);
    CHECK_EQ(read_all(put_file("two.rw.gz", two, 2 * gl), NULL, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 6);
    free(r);
    /* Garbage after the member is an error, not ignored. */
    memcpy(two + gl, "garbage!", 8);
    CHECK_EQ(read_all(put_file("tail.rw.gz", two, gl + 8), NULL, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "after the end of the gzip stream"), "%s", d.msg);
    free(r);
    free(two);
    free(gz);
}

TEST(truncated_gzip_is_an_error_at_every_cut)
{
    unsigned char *gz;
    size_t gl = gzip_mem(gz_text, strlen(gz_text), &gz);
    trace_opts_t o = {.format = TRACE_RW};
    for (size_t cut = 2; cut < gl; cut++) {
        trace_ref_t *r;
        size_t n;
        diag_t d;
        int rc = read_all(put_file("cut.gz", gz, cut), &o, &r, &n, &d, 64);
        free(r);
        CHECK_MSG(rc == -EINVAL, "cut at %zu of %zu: rc %d", cut, gl, rc);
        CHECK_MSG(strstr(d.msg, "truncated gzip input") || strstr(d.msg, "corrupt gzip"),
                  "cut %zu: %s", cut, d.msg);
    }
    /* In the middle of a big trace too, with its name. */
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(put_file("cut2.gz", gz, gl - 4), &o, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "truncated gzip input"), "%s", d.msg);
    CHECK(strstr(d.file, "cut2.gz"));
    free(r);
    free(gz);
}

TEST(zstd_transparent_or_clear_error)
{
    /* A zstd frame of gz_text, made by zstd 1.5 (level 3), so the test can
     * check the no-zstd message too. */
    const char *text = gz_text;
#ifdef VMLAB_HAVE_ZSTD
    size_t cap = ZSTD_compressBound(strlen(text));
    void *z = malloc(cap);
    size_t zl = ZSTD_compress(z, cap, text, strlen(text), 3);
    CHECK(!ZSTD_isError(zl));
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(put_file("a.rw.zst", z, zl), NULL, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 3);
    CHECK_REF(r[2], 0x10, TRACE_READ, 0, 0);
    free(r);
    /* Two frames back to back (zstd a b > ab.zst) read as one stream. */
    unsigned char *two = malloc(2 * zl);
    memcpy(two, z, zl);
    memcpy(two + zl, z, zl);
    CHECK_EQ(read_all(put_file("two.rw.zst", two, 2 * zl), NULL, &r, &n, &d, 64), 0);
    free(two);
    CHECK_EQ(n, 6);
    CHECK_REF(r[5], 0x10, TRACE_READ, 0, 0);
    free(r);
    for (size_t cut = 4; cut < zl; cut++) {
        int rc = read_all(put_file("cut.zst", z, cut), NULL, &r, &n, &d, 64);
        free(r);
        CHECK_MSG(rc == -EINVAL && (strstr(d.msg, "truncated zstd") || strstr(d.msg, "corrupt zstd")),
                  "cut %zu: %d %s", cut, rc, d.msg);
    }
    free(z);
#else
    (void)text;
    static const unsigned char frame[] = {0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x00, 0x00};
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_all(put_file("a.zst", frame, sizeof frame), NULL, &r, &n, &d, 64), -ENOTSUP);
    CHECK_MSG(strstr(d.msg, "built without zstd"), "%s", d.msg);
    free(r);
#endif
}

TEST(real_bzip_trace)
{
    trace_ref_t *r;
    size_t n;
    diag_t d;
    trace_opts_t o = {0};
    CHECK_MSG(read_all(test_shared("traces/bzip.trace.gz"), &o, &r, &n, &d, 4096) == 0, "%s",
              d.msg);
    CHECK_EQ(n, 1000000);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += r[i].op == TRACE_WRITE;
    CHECK_EQ(n - w, 877581);
    CHECK_EQ(w, 122419);
    CHECK_REF(r[0], 0x07b243a0, TRACE_READ, 0, 0);
    CHECK_REF(r[4], 0x00113360, TRACE_READ, 0, 0);
    free(r);
}

TEST(real_lackey_traces)
{
    trace_ref_t *r;
    size_t n;
    diag_t d;
    trace_opts_t o = {0};
    trace_t *t;
    CHECK_EQ(trace_open(&t, test_shared("traces/ls.trace.gz"), &o, &d), 0);
    CHECK_EQ(trace_format(t), TRACE_LACKEY);
    trace_close(t);
    CHECK_MSG(read_all(test_shared("traces/ls.trace.gz"), &o, &r, &n, &d, 1000) == 0, "%s",
              d.msg);
    /* Counted with grep: I 529053, L 162473, S 71696, M 3165 (M is two). */
    size_t c[3] = {0};
    for (size_t i = 0; i < n; i++)
        c[r[i].op]++;
    CHECK_EQ(n, 529053 + 162473 + 71696 + 2 * 3165);
    CHECK_EQ(c[TRACE_IFETCH], 529053);
    CHECK_EQ(c[TRACE_READ], 162473 + 3165);
    CHECK_EQ(c[TRACE_WRITE], 71696 + 3165);
    CHECK_REF(r[0], 0x04001020, TRACE_IFETCH, 28465, 2);
    free(r);
    CHECK_EQ(read_all(test_shared("traces/test.trace"), &o, &r, &n, &d, 8), 0);
    CHECK_EQ(n, 2);
    CHECK_REF(r[0], 0x4000, TRACE_IFETCH, 0, 1);
    CHECK_REF(r[1], 0, TRACE_IFETCH, 0, 1);
    free(r);
    CHECK_EQ(read_all(test_shared("traces/test_dirty.trace"), &o, &r, &n, &d, 8), 0);
    CHECK_EQ(n, 2);
    CHECK_REF(r[0], 0x4000, TRACE_WRITE, 0, 4);
    free(r);
}

/* Write refs with trace_write into a file; returns its path. */
static const char *write_refs(const char *name, const trace_ref_t *refs, size_t n,
                              trace_format_t f, unsigned shift, int pidcol)
{
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/%s", test_tmpdir(), name);
    FILE *fp = fopen(p, "wb");
    trace_writer_t *w;
    diag_t d;
    if (!fp || trace_writer_open(&w, fp, p, f, shift, pidcol, &d) ||
        trace_write(w, refs, n, &d) || trace_writer_finish(w, &d) || fclose(fp))
        abort();
    return p;
}

TEST(round_trip_bzip_through_binary)
{
    trace_ref_t *a, *b;
    size_t na, nb;
    diag_t d;
    CHECK_EQ(read_all(test_shared("traces/bzip.trace.gz"), NULL, &a, &na, &d, 4096), 0);
    const char *p = write_refs("bzip.vmt", a, na, TRACE_VMLAB, 0, 0);
    trace_opts_t o = {0};
    trace_t *t;
    CHECK_EQ(trace_open(&t, p, &o, &d), 0);
    CHECK_EQ(trace_format(t), TRACE_VMLAB);
    trace_close(t);
    CHECK_EQ(read_all(p, NULL, &b, &nb, &d, 777), 0);
    CHECK_EQ(nb, na);
    CHECK(refs_equal(a, b, na));
    free(b);
    /* And back to rw text: the same references again. */
    p = write_refs("bzip.rw", a, na, TRACE_RW, 0, 0);
    CHECK_EQ(read_all(p, NULL, &b, &nb, &d, 4096), 0);
    CHECK_EQ(nb, na);
    CHECK(refs_equal(a, b, na));
    free(b);
    free(a);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A random address: small, clustered, or anything in 64 bits. */
static uint64_t rnd_addr(void)
{
    switch (rnd() % 4) {
    case 0: return rnd() % 4096;
    case 1: return 0x7ff000000000ull + rnd() % 100000;
    case 2: return rnd();
    default: return rnd() >> (rnd() % 64);
    }
}

TEST(property_random_refs_every_format)
{
    enum { N = 50000 }; /* several 256 KiB buffers in every format */
    trace_ref_t *want = calloc(N, sizeof *want), *got;
    char *text = malloc((size_t)N * 64);
    size_t n;
    diag_t d;
    static const char *lk[3] = {" L", " S", "I "};
    for (int f = TRACE_OSC; f <= TRACE_VMLAB; f++) {
        int multi = f == TRACE_RW || f == TRACE_OSC;
        size_t len = 0;
        for (int i = 0; i < N; i++) {
            trace_ref_t *r = &want[i];
            memset(r, 0, sizeof *r);
            r->addr = rnd_addr();
            r->pid = multi ? (uint32_t)(rnd() % 3) : 0;
            if (multi)
                len += (size_t)sprintf(text + len, "%u ", r->pid);
            switch (f) {
            case TRACE_OSC:
                len += (size_t)sprintf(text + len, "%ju\n", (uintmax_t)r->addr);
                break;
            case TRACE_PAGES:
                r->addr = (r->addr >> 12);
                len += (size_t)sprintf(text + len, "%ju\r\n", (uintmax_t)r->addr);
                r->addr <<= 12;
                break;
            case TRACE_RW:
                r->op = (uint8_t)(rnd() % 2);
                len += (size_t)sprintf(text + len, rnd() % 2 ? "%jx %c\n" : "0x%016jX\t%c\n",
                                       (uintmax_t)r->addr, r->op ? 'W' : 'R');
                break;
            case TRACE_LS:
                r->op = (uint8_t)(rnd() % 2);
                r->size = (uint8_t)(rnd() % 3 ? rnd() % 256 : 0);
                len += (size_t)sprintf(text + len, "%c 0x%jx", r->op ? 's' : 'l', (uintmax_t)r->addr);
                len += r->size ? (size_t)sprintf(text + len, " %u\n", r->size)
                               : (size_t)sprintf(text + len, "\n");
                break;
            case TRACE_LACKEY:
                r->op = (uint8_t)(rnd() % 3);
                r->size = (uint8_t)(1 + rnd() % 64);
                len += (size_t)sprintf(text + len, "%s %08jx,%u\n", lk[r->op], (uintmax_t)r->addr,
                                       r->size);
                break;
            case TRACE_DIN:
                r->op = (uint8_t)(rnd() % 3);
                len += (size_t)sprintf(text + len, "%u %jx\n", r->op, (uintmax_t)r->addr);
                break;
            case TRACE_VMLAB:
                r->op = (uint8_t)(rnd() % 3);
                r->pid = (uint32_t)(rnd() % 5 == 0 ? rnd() : rnd() % 2);
                r->size = (uint8_t)(rnd() % 4 ? 4 : rnd());
                break;
            }
        }
        const char *p = f == TRACE_VMLAB ? write_refs("prop.vmt", want, N, TRACE_VMLAB, 0, 0)
                                          : put_file("prop.txt", text, len);
        trace_opts_t o = {.format = (trace_format_t)f, .multi_pid = multi};
        size_t batch = 1 + rnd() % 5000;
        CHECK_MSG(read_all(p, &o, &got, &n, &d, batch) == 0, "%s: %s:%lu: %s",
                  trace_format_name((trace_format_t)f), d.file, d.line, d.msg);
        CHECK_MSG(n == N, "%s: %zu refs", trace_format_name((trace_format_t)f), n);
        for (int i = 0; i < N; i++)
            CHECK_MSG(refs_equal(&got[i], &want[i], 1),
                      "%s: ref %d: %#jx/%u/%u/%u vs %#jx/%u/%u/%u",
                      trace_format_name((trace_format_t)f), i, (uintmax_t)got[i].addr, got[i].op,
                      got[i].pid, got[i].size, (uintmax_t)want[i].addr, want[i].op, want[i].pid,
                      want[i].size);
        free(got);
        /* Binary again with page granularity: the offsets go, pages stay. */
        if (f == TRACE_VMLAB) {
            p = write_refs("prop12.vmt", want, N, TRACE_VMLAB, 12, 0);
            CHECK_EQ(read_all(p, NULL, &got, &n, &d, 4096), 0);
            CHECK_EQ(n, N);
            for (int i = 0; i < N; i++)
                CHECK(got[i].addr == (want[i].addr >> 12 << 12) && got[i].pid == want[i].pid);
            free(got);
        }
    }
    free(text);
    free(want);
}

TEST(binary_errors)
{
    trace_ref_t refs[3] = {{0x1000, 0, 0, 0}, {0x2000, 1, 1, 0}, {0x1000, 0, 2, 0}};
    const char *p = write_refs("e.vmt", refs, 3, TRACE_VMLAB, 0, 0);
    FILE *f = fopen(p, "rb");
    unsigned char buf[256];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_MSG(read_all(p, NULL, &r, &n, &d, 64) == 0, "%s", d.msg);
    CHECK_EQ(n, 3);
    CHECK(refs_equal(r, refs, 3));
    free(r);
    /* Every truncation is reported, never a short trace. */
    for (size_t cut = 8; cut < len; cut++) {
        trace_opts_t o = {.format = TRACE_VMLAB};
        int rc = read_all(put_file("cut.vmt", buf, cut), &o, &r, &n, &d, 64);
        free(r);
        CHECK_MSG(rc == -EINVAL && strstr(d.msg, "truncated"), "cut %zu: %s", cut, d.msg);
    }
    buf[len] = 0x05; /* a record after the end */
    CHECK_EQ(read_all(put_file("after.vmt", buf, len + 1), NULL, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "after the end record"), "%s", d.msg);
    free(r);
    buf[len - 1] = 7; /* the end record's count */
    CHECK_EQ(read_all(put_file("count.vmt", buf, len), NULL, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "end record counts 7"), "%s", d.msg);
    free(r);
    buf[len - 1] = 3;
    buf[8] = 9; /* version */
    CHECK_EQ(read_all(put_file("ver.vmt", buf, len), NULL, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "version 9"), "%s", d.msg);
    free(r);
    trace_opts_t o = {.format = TRACE_VMLAB};
    CHECK_EQ(read_all(put_text("notbin.txt", "0041f7a0 R\n"), &o, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "bad magic"), "%s", d.msg);
    free(r);
    buf[8] = 1;
    o.format = TRACE_RW;
    CHECK_EQ(read_all(put_file("bin.vmt", buf, len), &o, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "vmlab binary trace"), "%s", d.msg);
    free(r);
}

/* The two examples of docs/trace-format.md, byte for byte: version 2 as
 * written today, version 1 as files written before it still read. */
TEST(binary_documented_examples_both_versions)
{
    static const unsigned char v2[] = {0x89, 0x56, 0x4d, 0x4c, 0x54, 0x52, 0x0d, 0x0a, 2, 0, 0, 0,
                                       0, 0, 0, 0, 0x00, 0x80, 0x40, 0x07, 0x01, 0x01, 0x80,
                                       0x40, 0x06, 0x03, 0x03};
    static const unsigned char v1[] = {0x89, 0x56, 0x4d, 0x4c, 0x54, 0x52, 0x0d, 0x0a, 1,    0,
                                       0,    0,    0,    0,    0,    0,    0x80, 0x80, 0x02, 0x07,
                                       0x01, 0x81, 0x80, 0x02, 0x07, 0x00, 0xfe, 0xff, 0x01, 0x03,
                                       0x03};
    trace_ref_t want[3] = {{0x1000, 0, TRACE_READ, 0}, {0x2000, 1, TRACE_WRITE, 0},
                           {0x1000, 0, TRACE_IFETCH, 0}};
    const char *p = write_refs("doc.vmt", want, 3, TRACE_VMLAB, 0, 0);
    FILE *f = fopen(p, "rb");
    unsigned char buf[64];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CHECK_EQ(len, sizeof v2);
    CHECK(memcmp(buf, v2, sizeof v2) == 0);
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_MSG(read_all(put_file("v1.vmt", v1, sizeof v1), NULL, &r, &n, &d, 64) == 0, "%s", d.msg);
    CHECK_EQ(n, 3);
    CHECK(refs_equal(r, want, 3));
    free(r);
    /* Version 1 has no keys: said so, not a wrong answer. */
    trace_t *t;
    trace_opts_t o = {0};
    CHECK_EQ(trace_open(&t, put_file("v1k.vmt", v1, sizeof v1), &o, &d), 0);
    CHECK_EQ(trace_has_keys(t), 0);
    uint32_t key[4];
    uint8_t op[4];
    CHECK_EQ(trace_read_keys(t, key, op, 4, &d), -ENOTSUP);
    CHECK_MSG(strstr(d.msg, "no keys"), "%s", d.msg);
    trace_close(t);
    /* Keys of the version 2 example: 0, 1, 0. */
    CHECK_EQ(trace_open(&t, put_file("v2k.vmt", v2, sizeof v2), &o, &d), 0);
    CHECK_EQ(trace_has_keys(t), 1);
    CHECK_EQ(trace_read_keys(t, key, op, 4, &d), 3);
    CHECK(key[0] == 0 && key[1] == 1 && key[2] == 0);
    CHECK(op[0] == TRACE_READ && op[1] == TRACE_WRITE && op[2] == TRACE_IFETCH);
    CHECK_EQ(trace_nkeys(t), 2);
    uint64_t a;
    uint32_t pid;
    trace_key(t, 1, &a, &pid);
    CHECK(a == 0x2000 && pid == 1);
    CHECK_EQ(trace_read_keys(t, key, op, 4, &d), 0);
    trace_close(t);
    /* A key used before it is defined is damage, reported. */
    unsigned char bad[sizeof v2];
    memcpy(bad, v2, sizeof v2);
    bad[24] = 0x0e; /* the ifetch now refers to key 2: only 0 and 1 exist */
    CHECK_EQ(read_all(put_file("undef.vmt", bad, sizeof bad), NULL, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "undefined key"), "%s", d.msg);
    free(r);
    /* A text trace has no keys either. */
    CHECK_EQ(trace_open(&t, put_text("k.rw", "1000 R\n"), &o, &d), 0);
    CHECK_EQ(trace_has_keys(t), 0);
    CHECK_EQ(trace_read_keys(t, key, op, 4, &d), -ENOTSUP);
    trace_close(t);
}

/* Keyed reading against a straightforward numbering of (pid, addr >>
 * shift) pairs in order of first appearance, on random references with
 * repeats, several pids and both shifts; and trace_read of the same file
 * gives the references back. */
TEST(property_keys_number_pairs_in_first_appearance_order)
{
    enum { N = 60000, POOL = 5000 };
    trace_ref_t *want = calloc(N, sizeof *want), pool[POOL];
    uint64_t *seen_addr = malloc(N * sizeof *seen_addr);
    uint32_t *seen_pid = malloc(N * sizeof *seen_pid), *key = malloc(N * sizeof *key);
    uint8_t *op = malloc(N);
    for (int i = 0; i < POOL; i++)
        pool[i] = (trace_ref_t){.addr = rnd_addr(), .pid = (uint32_t)(rnd() % 7 ? 0 : rnd() % 4)};
    for (int i = 0; i < N; i++) {
        /* mostly a hot few, some from the pool, some never seen again */
        want[i] = rnd() % 3 ? pool[rnd() % 40] : rnd() % 8 ? pool[rnd() % POOL]
                                                             : (trace_ref_t){.addr = rnd_addr()};
        want[i].op = (uint8_t)(rnd() % 3);
        want[i].size = (uint8_t)(rnd() % 8 ? 8 : rnd());
    }
    for (unsigned shift = 0; shift <= 12; shift += 12) {
        const char *p = write_refs("keys.vmt", want, N, TRACE_VMLAB, shift, 0);
        trace_t *t;
        trace_opts_t o = {0};
        diag_t d;
        CHECK_EQ(trace_open(&t, p, &o, &d), 0);
        size_t n = 0;
        ssize_t k;
        while ((k = trace_read_keys(t, key + n, op + n, 1 + rnd() % 3000, &d)) > 0)
            n += (size_t)k;
        CHECK_EQ(k, 0);
        CHECK_EQ(n, N);
        uint32_t nseen = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t a = want[i].addr >> shift << shift;
            uint32_t j = 0;
            while (j < nseen && (seen_addr[j] != a || seen_pid[j] != want[i].pid))
                j++;
            if (j == nseen) {
                seen_addr[nseen] = a;
                seen_pid[nseen++] = want[i].pid;
            }
            CHECK_MSG(key[i] == j, "shift %u ref %zu: key %u, expected %u", shift, i, key[i], j);
            CHECK_EQ(op[i], want[i].op);
        }
        CHECK_EQ(trace_nkeys(t), nseen);
        for (uint32_t j = 0; j < nseen; j++) {
            uint64_t a;
            uint32_t pid;
            trace_key(t, j, &a, &pid);
            CHECK(a == seen_addr[j] && pid == seen_pid[j]);
        }
        trace_close(t);
        trace_ref_t *got;
        CHECK_EQ(read_all(p, NULL, &got, &n, &d, 1 + rnd() % 5000), 0);
        CHECK_EQ(n, N);
        for (size_t i = 0; i < n; i++)
            CHECK(got[i].addr == want[i].addr >> shift << shift && got[i].pid == want[i].pid &&
                  got[i].op == want[i].op && got[i].size == want[i].size);
        free(got);
    }
    free(want);
    free(seen_addr);
    free(seen_pid);
    free(key);
    free(op);
}

/* Keys whose records take 1 to 4 bytes (keys up to 600 000), read in
 * batches of every size 1..40 and larger, against the numbering the
 * trace implies: page i's first reference defines key i.  The keyed
 * reader decodes 8 bytes of records at once; every record length and
 * every position of a batch end, a key definition or a control record
 * (a pid change) in those 8 bytes must give the same keys. */
TEST(keys_of_every_record_length_and_batch_end)
{
    enum { PAGES = 600000, N = 1500000 };
    trace_ref_t *want = malloc(N * sizeof *want);
    uint32_t *wkey = malloc(N * sizeof *wkey), *key = malloc(N * sizeof *key), nk = 0;
    uint8_t *op = malloc(N);
    for (size_t i = 0; i < N; i++) {
        /* mostly hot keys (1-byte records), some far ones (4 bytes) */
        uint32_t k = nk < PAGES && (i < 1000 || rnd() % 3 == 0) ? nk++
                     : rnd() % 2 ? (uint32_t)(rnd() % 8) : (uint32_t)(rnd() % nk);
        want[i] = (trace_ref_t){.addr = (uint64_t)k << 12, .pid = k % 97 == 5 ? 2 : 1,
                                .op = (uint8_t)(rnd() % 3), .size = 8};
        wkey[i] = k;
    }
    const char *p = write_refs("lenkeys.vmt", want, N, TRACE_VMLAB, 12, 0);
    for (int pass = 0; pass < 3; pass++) {
        trace_t *t;
        trace_opts_t o = {0};
        diag_t d;
        size_t n = 0, b = 0;
        ssize_t k;
        CHECK_EQ(trace_open(&t, p, &o, &d), 0);
        while ((k = trace_read_keys(t, key + n, op + n,
                                    pass == 0 ? 1 + b++ % 40 : pass == 1 ? 1 + rnd() % 70000 : N - n,
                                    &d)) > 0)
            n += (size_t)k;
        CHECK_EQ(k, 0);
        CHECK_EQ(n, N);
        CHECK_EQ(trace_nkeys(t), nk);
        for (size_t i = 0; i < n; i++) {
            CHECK_MSG(key[i] == wkey[i] && op[i] == want[i].op, "pass %d ref %zu: key %u op %u, "
                      "expected %u %u", pass, i, key[i], op[i], wkey[i], want[i].op);
            if (key[i] != wkey[i])
                break;
        }
        for (uint32_t j = 0; j < nk; j += 1 + j / 3) {
            uint64_t a;
            uint32_t pid;
            trace_key(t, j, &a, &pid);
            CHECK(a == (uint64_t)j << 12 && pid == (j % 97 == 5 ? 2u : 1u));
        }
        trace_close(t);
    }
    free(want), free(wkey), free(key), free(op);
}

TEST(open_mem_and_stdin_style_sources)
{
    trace_t *t;
    diag_t d;
    trace_opts_t o = {0};
    unsigned char *gz;
    size_t gl = gzip_mem(gz_text, strlen(gz_text), &gz);
    CHECK_EQ(trace_open_mem(&t, gz, gl, "mem.gz", &o, &d), 0);
    CHECK_STR(trace_compression(t), "gzip");
    trace_ref_t r[8];
    CHECK_EQ(trace_read(t, r, 8, &d), 3);
    CHECK_EQ(trace_read(t, r, 8, &d), 0);
    trace_close(t);
    free(gz);
}

TEST(load_pages)
{
    trace_pages_t tp;
    diag_t d;
    trace_opts_t o = {0};
    CHECK_EQ(trace_load_pages(test_shared("traces/bzip.trace.gz"), &o, 12, &tp, &d), 0);
    CHECK_EQ(tp.n, 1000000);
    CHECK(tp.pid == NULL);
    CHECK_EQ(tp.npids, 1);
    size_t w = 0;
    for (size_t i = 0; i < tp.n; i++)
        w += tp.write[i];
    CHECK_EQ(w, 122419);
    CHECK_EQ(tp.page[0], 0x07b243a0 >> 12);
    trace_pages_free(&tp);
    /* Several processes: pids kept per reference. */
    o.multi_pid = 1;
    const char *p = put_text("lp.rw", "5 1000 R\n5 2000 W\n7 1000 R\n9 3fff W\n5 0 R\n");
    CHECK_EQ(trace_load_pages(p, &o, 12, &tp, &d), 0);
    CHECK_EQ(tp.n, 5);
    CHECK(tp.pid != NULL);
    CHECK_EQ(tp.npids, 3);
    CHECK_EQ(tp.pid[0], 5);
    CHECK_EQ(tp.pid[1], 5);
    CHECK_EQ(tp.pid[2], 7);
    CHECK_EQ(tp.pid[3], 9);
    CHECK_EQ(tp.page[3], 3);
    CHECK_EQ(tp.write[3], 1);
    CHECK_EQ(tp.write[2], 0);
    trace_pages_free(&tp);
    /* An error leaves nothing allocated and says where. */
    p = put_text("lp.bad", "1000 R\n1000 Q\n");
    o.multi_pid = 0;
    o.format = TRACE_RW;
    CHECK_EQ(trace_load_pages(p, &o, 12, &tp, &d), -EINVAL);
    CHECK_EQ(d.line, 2);
    CHECK(tp.page == NULL && tp.n == 0);
}

TEST(lackey_detected_after_a_long_banner)
{
    size_t cap = 64 << 10, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 600; i++)
        len += (size_t)snprintf(text + len, cap - len, "--4242--   Reading syms from /usr/lib/x%d.so\n", i);
    len += (size_t)snprintf(text + len, cap - len, "==4242== \nI  04001020,2\n M 10,4\n");
    trace_ref_t *r;
    size_t n;
    diag_t d;
    trace_opts_t o = {0};
    CHECK_MSG(read_all(put_file("banner.lk", text, len), &o, &r, &n, &d, 64) == 0, "%s", d.msg);
    free(text);
    CHECK_EQ(n, 3);
    CHECK_REF(r[0], 0x04001020, TRACE_IFETCH, 4242, 2);
    free(r);
}

TEST(progress_counts_input_bytes)
{
    trace_t *t;
    diag_t d;
    trace_opts_t o = {0};
    uint64_t done, total;
    CHECK_EQ(trace_open(&t, test_shared("traces/bzip.trace.gz"), &o, &d), 0);
    trace_progress(t, &done, &total);
    CHECK_EQ(total, 267659); /* the compressed file's size */
    CHECK(done <= total);
    static trace_ref_t buf[4096];
    while (trace_read(t, buf, 4096, &d) > 0)
        ;
    trace_progress(t, &done, &total);
    CHECK_EQ(done, total);
    trace_close(t);
}

/* Feed [data, data + len) to fd 0 through a pipe, `chunk` bytes per write, from
 * a child process; returns the child's pid and the saved stdin in *saved. */
static pid_t feed_stdin(const void *data, size_t len, size_t chunk, int *saved)
{
    int fds[2];
    if (pipe(fds))
        abort();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        for (size_t off = 0; off < len; off += chunk) {
            size_t k = len - off < chunk ? len - off : chunk;
            if (write(fds[1], (const char *)data + off, k) != (ssize_t)k)
                _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    *saved = dup(0);
    dup2(fds[0], 0);
    close(fds[0]);
    return pid;
}

static void restore_stdin(pid_t pid, int saved)
{
    int st;
    dup2(saved, 0);
    close(saved);
    waitpid(pid, &st, 0);
}

TEST(stdin_pipe_in_small_pieces_plain_and_gzip)
{
    /* 5000 rw lines, then gzip'd: both through "-" in 3-byte writes. */
    size_t cap = 5000 * 12, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 5000; i++)
        len += (size_t)snprintf(text + len, cap - len, "%08x %c\n", i * 4096 + 5, i % 3 ? 'R' : 'W');
    unsigned char *gz;
    size_t gl = gzip_mem(text, len, &gz);
    for (int pass = 0; pass < 2; pass++) {
        int saved;
        pid_t pid = pass ? feed_stdin(gz, gl, 3, &saved) : feed_stdin(text, len, 3, &saved);
        trace_ref_t *r;
        size_t n;
        diag_t d;
        int rc = read_all("-", NULL, &r, &n, &d, 333);
        restore_stdin(pid, saved);
        CHECK_MSG(rc == 0, "pass %d: %s", pass, d.msg);
        CHECK_EQ(n, 5000);
        for (int i = 0; i < 5000; i++)
            CHECK(same_ref(&r[i], (uint64_t)i * 4096 + 5, i % 3 ? TRACE_READ : TRACE_WRITE, 0, 0));
        free(r);
    }
    free(gz);
    free(text);
}

TEST(number_edges_around_the_8_digit_chunks)
{
    /* Lengths around the SWAR chunks (8 and 16 digits), leading zeros past
     * 16 hex / 20 decimal digits, and the exact 64-bit limits. */
    const char *p = put_text("edge.rw", "1 R\n12345678 W\n123456789 R\nABCDEFabcdef0123 W\n"
                                        "0000000000000000000000ff R\n0x00000000FFFFFFFFF R\n");
    trace_ref_t *r;
    size_t n;
    diag_t d;
    trace_opts_t o = {.format = TRACE_RW};
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 6);
    CHECK_REF(r[0], 1, TRACE_READ, 0, 0);
    CHECK_REF(r[1], 0x12345678, TRACE_WRITE, 0, 0);
    CHECK_REF(r[2], 0x123456789ull, TRACE_READ, 0, 0);
    CHECK_REF(r[3], 0xABCDEFabcdef0123ull, TRACE_WRITE, 0, 0);
    CHECK_REF(r[4], 0xff, TRACE_READ, 0, 0);
    CHECK_REF(r[5], 0xFFFFFFFFFull, TRACE_READ, 0, 0);
    free(r);
    p = put_text("edge.osc", "12345678\n123456789\n1234567890123456\n12345678901234567\n"
                             "000000000000000000000000042\n18446744073709551615\n");
    o.format = TRACE_OSC;
    CHECK_EQ(read_all(p, &o, &r, &n, &d, 64), 0);
    CHECK_EQ(n, 6);
    CHECK_EQ(r[0].addr, 12345678u);
    CHECK_EQ(r[1].addr, 123456789u);
    CHECK(r[2].addr == 1234567890123456ull);
    CHECK(r[3].addr == 12345678901234567ull);
    CHECK_EQ(r[4].addr, 42);
    CHECK(r[5].addr == UINT64_MAX);
    free(r);
    CHECK_EQ(read_all(put_text("ov.osc", "18446744073709551616\n"), &o, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "over 64 bits"), "%s", d.msg);
    free(r);
    CHECK_EQ(read_all(put_text("ov2.osc", "99999999999999999999999\n"), &o, &r, &n, &d, 64), -EINVAL);
    free(r);
    o.format = TRACE_RW;
    CHECK_EQ(read_all(put_text("ov.rw", "10000000000000000 R\n"), &o, &r, &n, &d, 64), -EINVAL);
    CHECK_MSG(strstr(d.msg, "over 64 bits"), "%s", d.msg);
    free(r);
    /* Digits then garbage in the same 8-byte chunk. */
    CHECK_EQ(read_all(put_text("g.rw", "1234567g R\n"), &o, &r, &n, &d, 64), -EINVAL);
    free(r);
    o.format = TRACE_OSC;
    CHECK_EQ(read_all(put_text("g.osc", "1234567:\n"), &o, &r, &n, &d, 64), -EINVAL);
    free(r);
}

TEST(real_osc_addresses)
{
    trace_ref_t *r;
    size_t n;
    diag_t d;
    trace_opts_t o = {0};
    CHECK_MSG(read_all(test_repo("data/osc/addresses.txt"), &o, &r, &n, &d, 100) == 0, "%s",
              d.msg);
    CHECK_EQ(n, 1000);
    CHECK_REF(r[0], 16916, TRACE_READ, 0, 0);
    CHECK_REF(r[1], 62493, TRACE_READ, 0, 0);
    CHECK_REF(r[999], 12107, TRACE_READ, 0, 0);
    free(r);
}
