/* SPDX-License-Identifier: MIT */
/*
 * test_trace_rw.c - the rw text format's vector fast path (src/trace/trace_rw.c).
 *
 * The fast path takes "HEX R\n" lines and leaves every other shape to the
 * byte-by-byte parser, so the properties are: any valid line, of any shape
 * either path takes, reads back as the address and access it was written
 * from (an independent formatter: snprintf); and a byte just outside each
 * hex range ('/', ':', '@', 'G', '`', 'g', and the same with the high bit
 * set), put at any position of an address, is an error, never a different
 * address.  Lines sit at every offset of the reader's buffer, so loads that
 * run past the end of the data are exercised too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vmlab/trace.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

/* xorshift64 (Marsaglia 2003): the test's own generator. */
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Every reference of text[0, len), or -errno with *d; *refs malloc'd. */
static int read_mem(const char *text, size_t len, int skip_bad, trace_ref_t **refs, size_t *n,
                    diag_t *d)
{
    trace_t *t;
    trace_opts_t o = {.format = TRACE_RW, .skip_bad = skip_bad};
    size_t cap = 1024;
    ssize_t r = 0;
    *n = 0;
    *refs = malloc(cap * sizeof **refs);
    int rc = trace_open_mem(&t, text, len, "mem.rw", &o, d);
    if (rc)
        return rc;
    for (;;) {
        if (*n + 100 > cap)
            *refs = realloc(*refs, (cap *= 2) * sizeof **refs);
        r = trace_read(t, *refs + *n, 100, d);
        if (r <= 0)
            break;
        *n += (size_t)r;
    }
    trace_close(t);
    return r < 0 ? (int)r : 0;
}

/* A random valid line for (addr, write) at s: 1 to 16 significant digits,
 * maybe zero-padded past 16, either case, maybe 0x, blanks, CR. */
static size_t valid_line(char *s, uint64_t addr, int write)
{
    size_t k = 0;
    uint64_t r = rnd();
    int pad = r % 4 == 0 ? (int)(r >> 8) % 24 : 0; /* all zeros too (0000...0000 R) */
    if (r & 0x10)
        k += (size_t)sprintf(s + k, (r & 0x20) ? "0x" : "0X");
    k += (size_t)sprintf(s + k, (r & 0x40) ? "%0*llX" : "%0*llx", pad, (unsigned long long)addr);
    k += (size_t)sprintf(s + k, "%s%c", (r & 0x80) ? " " : (r & 0x100) ? "\t" : "  ",
                         write ? ((r & 0x200) ? 'W' : 'w') : ((r & 0x200) ? 'R' : 'r'));
    if (r % 16 == 3)
        k += (size_t)sprintf(s + k, " ");
    if (r % 16 == 5)
        k += (size_t)sprintf(s + k, "\r");
    s[k++] = '\n';
    return k;
}

TEST(rw_random_lines_read_back)
{
    enum { N = 200000 };
    char *text = malloc((size_t)N * 64);
    uint64_t *addr = malloc(N * sizeof *addr);
    uint8_t *w = malloc(N);
    size_t len = 0, n;
    for (size_t i = 0; i < N; i++) {
        unsigned bits = 1 + (unsigned)(rnd() % 64);
        addr[i] = rnd() >> (64 - bits);
        w[i] = rnd() % 3 == 0;
        len += valid_line(text + len, addr[i], w[i]);
    }
    trace_ref_t *r;
    diag_t d;
    int rc = read_mem(text, len, 0, &r, &n, &d);
    CHECK_MSG(rc == 0, "%d: line %lu: %s", rc, d.line, d.msg);
    CHECK_EQ(n, N);
    for (size_t i = 0; i < N; i++)
        CHECK_MSG(r[i].addr == addr[i] && r[i].op == (w[i] ? TRACE_WRITE : TRACE_READ) &&
                      r[i].pid == 0 && r[i].size == 0,
                  "line %zu: got %#jx op %u, want %#jx op %u", i + 1, (uintmax_t)r[i].addr,
                  r[i].op, (uintmax_t)addr[i], w[i]);
    free(r);
    free(text);
    free(addr);
    free(w);
}

TEST(rw_byte_outside_hex_is_an_error_anywhere)
{
    static const unsigned char bad[] = {'/', ':', '@', 'G', '`', 'g', 0x80 | '0', 0x80 | 'a',
                                        0x80 | 'A', 0xff, 0x00 + 1};
    char line[64];
    for (size_t b = 0; b < sizeof bad; b++)
        for (unsigned digits = 1; digits <= 16; digits++)
            for (unsigned at = 0; at < digits; at++) {
                /* a good line first, so the bad one sits at other buffer offsets */
                int k = sprintf(line, "%0*x R\n", (int)(at + 1), at);
                for (unsigned j = 0; j < digits; j++)
                    line[k + (int)j] = "0123456789abcdef"[(j * 7 + b) % 16];
                line[k + (int)at] = (char)bad[b];
                strcpy(line + k + digits, " W\n");
                trace_ref_t *r;
                size_t n;
                diag_t d;
                int rc = read_mem(line, strlen(line), 0, &r, &n, &d);
                free(r);
                CHECK_MSG(rc == -EINVAL && n == 1 && d.line == 2,
                          "byte %#x at %u of %u digits: rc %d, %zu refs", bad[b], at, digits, rc,
                          n);
            }
}

/* The shapes the fast path hands back: no digits, 17 significant digits,
 * a missing or wrong access letter, text after it; each with the same
 * message as before the fast path existed. */
TEST(rw_fast_path_leaves_errors_to_the_parser)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"12345678901234567 R\n", "over 64 bits"},
        {"1234567890abcdef0 W\n", "over 64 bits"},
        {"0041f7a0\n", "no R or W"},
        {"0041f7a0 X\n", "not R or W"},
        {"0041f7a0 Rx\n", "text after R/W"},
        {"0041f7a0 R x\n", "text after R/W"},
        {"0041f7a0R\n", "not a hex address"},
        {" R\n", "not a hex address"},
        {"x1 R\n", "not a hex address"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trace_ref_t *r;
        size_t n;
        diag_t d;
        int rc = read_mem(cases[i].text, strlen(cases[i].text), 0, &r, &n, &d);
        free(r);
        CHECK_MSG(rc == -EINVAL && d.line == 1 && strstr(d.msg, cases[i].why), "case %zu: %d %s",
                  i, rc, d.msg);
    }
    /* and with skip_bad, counted, the good lines around them kept */
    const char *t = "1 R\n12345678901234567 R\n0041f7a0 X\n# note\n\nffffffffffffffff W\n";
    trace_ref_t *r;
    size_t n;
    diag_t d;
    CHECK_EQ(read_mem(t, strlen(t), 1, &r, &n, &d), 0);
    CHECK_EQ(n, 2);
    CHECK(r[0].addr == 1 && r[0].op == TRACE_READ);
    CHECK(r[1].addr == UINT64_MAX && r[1].op == TRACE_WRITE);
    free(r);
}
