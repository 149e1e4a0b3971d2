/* SPDX-License-Identifier: MIT */
/*
 * test_peek.c - src/peek: value parsing at every type's edges, the ptrace
 * rules on fake facts (every Yama scope, the capability override), the
 * scan command language, and the scanner against an independent oracle.
 *
 * The scanner runs on this very process (process_vm_readv on oneself is
 * allowed): page-aligned buffers of random bytes from a small alphabet (so
 * every width finds many matches) are described by a fake maps list; the
 * oracle is a plain loop over every aligned position with typed C
 * comparisons (it shares no code with scan.c).  Random narrowing steps
 * after random writes, chunk sizes that split values, unreadable pages in
 * the middle of a region, and a match bound are all covered, on many seeds.
 * The /proc/PID/mem write path is checked for what it is claimed to do: a
 * forced copy of a read-only private file page that the file and a shared
 * mapping of it never see.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vmlab/peek.h"

/* splitmix64: the test's own generator. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- values ---------------------------------------------------------------- */

static int parse_ok(peek_type_t t, const char *text, uint64_t want_bits)
{
    uint64_t v = 0;
    size_t len;
    return peek_value_parse(t, text, &v, sizeof v, &len, NULL) == 0 &&
           len == peek_type_size(t) && v == want_bits;
}

static int parse_err(peek_type_t t, const char *text)
{
    uint64_t v = 0;
    size_t len;
    diag_t d;
    int rc = peek_value_parse(t, text, &v, sizeof v, &len, &d);
    return rc < 0 && d.msg[0] != '\0';
}

TEST(value_edges_of_every_integer_type)
{
    CHECK(parse_ok(PEEK_I8, "-128", 0x80));
    CHECK(parse_ok(PEEK_I8, "127", 0x7f));
    CHECK(parse_ok(PEEK_I8, "0xff", 0xff));
    CHECK(parse_err(PEEK_I8, "128"));
    CHECK(parse_err(PEEK_I8, "-129"));
    CHECK(parse_err(PEEK_I8, "0x100"));
    CHECK(parse_ok(PEEK_U8, "255", 0xff));
    CHECK(parse_err(PEEK_U8, "256"));
    CHECK(parse_err(PEEK_U8, "-1"));
    CHECK(parse_ok(PEEK_I16, "-32768", 0x8000));
    CHECK(parse_err(PEEK_I16, "32768"));
    CHECK(parse_ok(PEEK_U16, "65535", 0xffff));
    CHECK(parse_ok(PEEK_I32, "-2147483648", 0x80000000u));
    CHECK(parse_err(PEEK_I32, "2147483648"));
    CHECK(parse_ok(PEEK_U32, "4294967295", 0xffffffffu));
    CHECK(parse_err(PEEK_U32, "4294967296"));
    CHECK(parse_ok(PEEK_I64, "-9223372036854775808", 0x8000000000000000ull));
    CHECK(parse_ok(PEEK_I64, "9223372036854775807", 0x7fffffffffffffffull));
    CHECK(parse_err(PEEK_I64, "9223372036854775808"));
    CHECK(parse_err(PEEK_I64, "-9223372036854775809"));
    CHECK(parse_ok(PEEK_U64, "18446744073709551615", UINT64_MAX));
    CHECK(parse_err(PEEK_U64, "18446744073709551616"));
    CHECK(parse_err(PEEK_I32, "12abc"));
    CHECK(parse_err(PEEK_I32, ""));
    CHECK(parse_err(PEEK_I32, " 1"));
    CHECK(parse_err(PEEK_I32, "--1"));
}

TEST(value_floats_strings_bytes)
{
    uint64_t v = 0;
    size_t len;
    unsigned char b[16];
    float f;
    double x;
    char buf[64];
    CHECK(peek_value_parse(PEEK_F32, "1.5", &v, sizeof v, &len, NULL) == 0 && len == 4);
    memcpy(&f, &v, 4);
    CHECK(f == 1.5f);
    CHECK(parse_err(PEEK_F32, "1e39"));
    CHECK(parse_err(PEEK_F64, "1e309"));
    CHECK(parse_err(PEEK_F64, "1.5x"));
    CHECK(peek_value_parse(PEEK_F64, "-2e-3", &v, sizeof v, &len, NULL) == 0 && len == 8);
    memcpy(&x, &v, 8);
    CHECK(x == -2e-3);
    CHECK_STR(peek_value_format(PEEK_F64, &v, 8, buf, sizeof buf), "-0.002");
    CHECK(peek_value_parse(PEEK_BYTES, "de ad:BE ef", b, sizeof b, &len, NULL) == 0 && len == 4);
    CHECK(b[0] == 0xde && b[1] == 0xad && b[2] == 0xbe && b[3] == 0xef);
    CHECK_STR(peek_value_format(PEEK_BYTES, b, 4, buf, sizeof buf), "de ad be ef");
    CHECK(peek_value_parse(PEEK_BYTES, "abc", b, sizeof b, &len, NULL) < 0);
    CHECK(peek_value_parse(PEEK_BYTES, "00112233445566778899aabbccddeeff00", b, sizeof b, &len,
                           NULL) == -ERANGE);
    CHECK(peek_value_parse(PEEK_STRING, "hi \"x\"", b, sizeof b, &len, NULL) == 0 && len == 6);
    CHECK_STR(peek_value_format(PEEK_STRING, b, len, buf, sizeof buf), "hi \\\"x\\\"");
}

/* Every integer type: random bit patterns format and parse back. */
TEST(value_format_parse_round_trip)
{
    uint64_t seed = 7;
    for (int t = PEEK_I8; t <= PEEK_F64; t++) {
        size_t w = peek_type_size((peek_type_t)t);
        for (int i = 0; i < 2000; i++) {
            uint64_t bits = mix(&seed), back = 0;
            char text[64];
            size_t len;
            if (w < 8)
                bits &= ((uint64_t)1 << (8 * w)) - 1;
            if (t == PEEK_F32 || t == PEEK_F64) {
                double x;
                if (t == PEEK_F32) {
                    float f;
                    uint32_t u = (uint32_t)bits;
                    memcpy(&f, &u, 4);
                    x = f;
                } else
                    memcpy(&x, &bits, 8);
                if (isnan(x))
                    continue;
            }
            peek_value_format((peek_type_t)t, &bits, 8, text, sizeof text);
            CHECK_MSG(peek_value_parse((peek_type_t)t, text, &back, sizeof back, &len, NULL) == 0,
                      "%s '%s' does not parse", peek_type_name((peek_type_t)t), text);
            CHECK_MSG(back == bits, "%s: %jx -> '%s' -> %jx", peek_type_name((peek_type_t)t),
                      (uintmax_t)bits, text, (uintmax_t)back);
        }
    }
}

/* ---- the ptrace rules --------------------------------------------------------- */

static peek_facts_t same_user(void)
{
    peek_facts_t f;
    memset(&f, 0, sizeof f);
    f.pid = 42;
    f.target_known = 1;
    for (int i = 0; i < 4; i++)
        f.t_uid[i] = f.t_gid[i] = 1000;
    f.c_uid = f.c_gid = 1000;
    f.dumpable = 1;
    f.yama = 0;
    return f;
}

TEST(why_names_the_rule_that_refused)
{
    char buf[1000];
    peek_facts_t f = same_user();
    CHECK(peek_why(&f, buf, sizeof buf) == 0 && strstr(buf, "same user"));
    f.t_uid[1] = 0; /* a setuid program: effective uid differs */
    CHECK(peek_why(&f, buf, sizeof buf) == 1 && strstr(buf, "different user"));
    f.c_cap_ptrace = 1;
    CHECK(peek_why(&f, buf, sizeof buf) == 0 && strstr(buf, "CAP_SYS_PTRACE"));
    f = same_user();
    f.dumpable = 0;
    CHECK(peek_why(&f, buf, sizeof buf) == 1 && strstr(buf, "not dumpable"));
    f.c_cap_ptrace = 1;
    CHECK(peek_why(&f, buf, sizeof buf) == 0 && strstr(buf, "not dumpable"));
    f = same_user();
    f.t_cap_prm = 1u << 12;
    CHECK(peek_why(&f, buf, sizeof buf) == 1 && strstr(buf, "capabilities"));
    f = same_user();
    f.yama = 1;
    CHECK(peek_why(&f, buf, sizeof buf) == 1 && strstr(buf, "ptrace_scope 1"));
    f.descendant = 1;
    CHECK(peek_why(&f, buf, sizeof buf) == 0);
    f.yama = 2;
    CHECK(peek_why(&f, buf, sizeof buf) == 1 && strstr(buf, "ptrace_scope 2"));
    f.c_cap_ptrace = 1;
    CHECK(peek_why(&f, buf, sizeof buf) == 0);
    f.yama = 3;
    CHECK(peek_why(&f, buf, sizeof buf) == 1 && strstr(buf, "ptrace_scope 3"));
}

/* The facts of this process about itself: same user, dumpable. */
TEST(facts_of_oneself)
{
    peek_facts_t f;
    char buf[1000];
    peek_facts_gather((int)getpid(), &f);
    CHECK(f.target_known);
    CHECK_EQ(f.t_uid[0], getuid());
    CHECK_EQ(f.dumpable, getuid() == 0 ? -1 : 1);
    CHECK(peek_why(&f, buf, sizeof buf) == 0);
}

/* ---- the command language ---------------------------------------------------- */

TEST(cmd_parse_forms)
{
    static const struct {
        const char *line;
        peek_cmd_kind_t kind;
        peek_op_t op;
        const char *arg;
    } ok[] = {
        {"", PEEK_CMD_NONE, PEEK_OP_EQ, ""},
        {"   # comment", PEEK_CMD_NONE, PEEK_OP_EQ, ""},
        {"42", PEEK_CMD_FILTER, PEEK_OP_EQ, "42"},
        {" = -5 ", PEEK_CMD_FILTER, PEEK_OP_EQ, "-5"},
        {"==7", PEEK_CMD_FILTER, PEEK_OP_EQ, "7"},
        {"!= 3", PEEK_CMD_FILTER, PEEK_OP_NE, "3"},
        {"<= 3", PEEK_CMD_FILTER, PEEK_OP_LE, "3"},
        {">=0x10", PEEK_CMD_FILTER, PEEK_OP_GE, "0x10"},
        {"<", PEEK_CMD_FILTER, PEEK_OP_DECREASED, ""},
        {">", PEEK_CMD_FILTER, PEEK_OP_INCREASED, ""},
        {"=", PEEK_CMD_FILTER, PEEK_OP_UNCHANGED, ""},
        {"!=", PEEK_CMD_FILTER, PEEK_OP_CHANGED, ""},
        {"+1", PEEK_CMD_FILTER, PEEK_OP_INC_BY, "1"},
        {"- 2", PEEK_CMD_FILTER, PEEK_OP_DEC_BY, "2"},
        {"+", PEEK_CMD_FILTER, PEEK_OP_INCREASED, ""},
        {"changed", PEEK_CMD_FILTER, PEEK_OP_CHANGED, ""},
        {"unchanged", PEEK_CMD_FILTER, PEEK_OP_UNCHANGED, ""},
        {"scan 5", PEEK_CMD_SCAN, PEEK_OP_EQ, "5"},
        {"scan > 5", PEEK_CMD_SCAN, PEEK_OP_GT, "5"},
        {"set -1", PEEK_CMD_SET, PEEK_OP_EQ, "-1"},
        {"list", PEEK_CMD_LIST, PEEK_OP_EQ, ""},
        {"list 5", PEEK_CMD_LIST, PEEK_OP_EQ, "5"},
        {"type u16", PEEK_CMD_TYPE, PEEK_OP_EQ, "u16"},
        {"regions heap,stack", PEEK_CMD_REGIONS, PEEK_OP_EQ, "heap,stack"},
        {"save /tmp/a b", PEEK_CMD_SAVE, PEEK_OP_EQ, "/tmp/a b"},
        {"quit\r\n", PEEK_CMD_QUIT, PEEK_OP_EQ, ""},
        {"1.5e3", PEEK_CMD_FILTER, PEEK_OP_EQ, "1.5e3"},
        /* values are the rest of the line: strings and byte patterns */
        {"= 1 2", PEEK_CMD_FILTER, PEEK_OP_EQ, "1 2"},
        {"set hello,  world ", PEEK_CMD_SET, PEEK_OP_EQ, "hello,  world"},
        {"!= de ad ?? ef", PEEK_CMD_FILTER, PEEK_OP_NE, "de ad ?? ef"},
        {"\" two words", PEEK_CMD_STRING, PEEK_OP_EQ, "two words"},
        {"\"x", PEEK_CMD_STRING, PEEK_OP_EQ, "x"},
        {"scan = a b", PEEK_CMD_SCAN, PEEK_OP_EQ, "a b"},
    };
    static const char *const bad[] = {"frobnicate", "set",  "+-1",  "list 0", "list x",
                                      "count 3",    "scan", "<=",   "type",   "\"",
                                      "\"   ",      "de ad"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        peek_cmd_t c;
        diag_t d;
        CHECK_MSG(peek_cmd_parse(ok[i].line, strlen(ok[i].line), &c, &d) == 0, "'%s': %s",
                  ok[i].line, d.msg);
        CHECK_MSG(c.kind == ok[i].kind && (c.kind != PEEK_CMD_FILTER || c.op == ok[i].op) &&
                      strcmp(c.arg, ok[i].arg) == 0,
                  "'%s' -> kind %d op %d arg '%s'", ok[i].line, c.kind, c.op, c.arg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        peek_cmd_t c;
        diag_t d;
        diag_clear(&d);
        CHECK_MSG(peek_cmd_parse(bad[i], strlen(bad[i]), &c, &d) < 0 && d.msg[0],
                  "'%s' accepted", bad[i]);
    }
}

TEST(regions_words)
{
    unsigned m;
    CHECK(peek_regions_parse("heap,stack", &m) == 0 && m == (PEEK_R_HEAP | PEEK_R_STACK));
    CHECK(peek_regions_parse("all", &m) == 0 && m == PEEK_R_ALL);
    CHECK(peek_regions_parse("heap,", &m) < 0);
    CHECK(peek_regions_parse("", &m) < 0);
    CHECK(peek_regions_parse("bss", &m) < 0);
}

/* ---- the scanner against the oracle ------------------------------------------- */

#define NREG 3

typedef struct world {
    unsigned char *reg[NREG]; /* page-aligned buffers */
    size_t len[NREG];         /* bytes */
    unsigned char *bad[NREG]; /* a PROT_NONE page inside, or NULL */
    inspect_maps_t mm;        /* fake maps describing them */
    inspect_map_t maps[NREG]; /* storage for mm.m */
} world_t;

static int cmp_map(const void *a, const void *b)
{
    const inspect_map_t *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static const unsigned char alphabet[] = {0, 1, 2, 0xff, 0x80, 7};

static void fill(unsigned char *p, size_t n, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = alphabet[mix(seed) % sizeof alphabet];
}

static int world_make(world_t *w, uint64_t *seed, int with_bad)
{
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    memset(w, 0, sizeof *w);
    for (int r = 0; r < NREG; r++) {
        size_t pages = 1 + mix(seed) % 5;
        w->len[r] = pages * ps;
        w->reg[r] = mmap(NULL, w->len[r], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
        if (w->reg[r] == MAP_FAILED)
            return -1;
        fill(w->reg[r], w->len[r], seed);
        if (with_bad && pages >= 3 && r == 1) {
            w->bad[r] = w->reg[r] + ps * (1 + mix(seed) % (pages - 2));
            mprotect(w->bad[r], ps, PROT_NONE);
        }
        w->maps[r].start = (uint64_t)(uintptr_t)w->reg[r];
        w->maps[r].end = w->maps[r].start + w->len[r];
        memcpy(w->maps[r].perms, "rw-p", 5);
        w->maps[r].path = (char *)"";
        w->maps[r].kind = INSPECT_K_ANON;
    }
    qsort(w->maps, NREG, sizeof w->maps[0], cmp_map);
    w->mm.m = w->maps;
    w->mm.n = NREG;
    return 0;
}

static void world_free(world_t *w)
{
    for (int r = 0; r < NREG; r++)
        if (w->reg[r] && w->reg[r] != MAP_FAILED)
            munmap(w->reg[r], w->len[r]);
}

/* Typed comparison, independently of scan.c: -1, 0, 1, or 2 if unordered. */
static int oracle_cmp(peek_type_t t, const unsigned char *a, const unsigned char *b)
{
#define CMP_AS(T)                                                                                 \
    do {                                                                                          \
        T x, y;                                                                                   \
        memcpy(&x, a, sizeof x);                                                                  \
        memcpy(&y, b, sizeof y);                                                                  \
        if (x != x || y != y)                                                                     \
            return 2;                                                                             \
        return x < y ? -1 : x > y;                                                                \
    } while (0)
    switch (t) {
    case PEEK_I8: CMP_AS(int8_t);
    case PEEK_I16: CMP_AS(int16_t);
    case PEEK_I32: CMP_AS(int32_t);
    case PEEK_I64: CMP_AS(int64_t);
    case PEEK_U8: CMP_AS(uint8_t);
    case PEEK_U16: CMP_AS(uint16_t);
    case PEEK_U32: CMP_AS(uint32_t);
    case PEEK_U64: CMP_AS(uint64_t);
    case PEEK_F32: CMP_AS(float);
    default: CMP_AS(double);
    }
#undef CMP_AS
}

/* a == b + sign * v in the type's own arithmetic (wrapping integers). */
static int oracle_sum(peek_type_t t, const unsigned char *a, const unsigned char *b,
                      const unsigned char *v, int sign)
{
#define SUM_AS(T, U)                                                                              \
    do {                                                                                          \
        T x, y, z;                                                                                \
        memcpy(&x, a, sizeof x);                                                                  \
        memcpy(&y, b, sizeof y);                                                                  \
        memcpy(&z, v, sizeof z);                                                                  \
        return (U)x == (U)(sign > 0 ? (U)((U)y + (U)z) : (U)((U)y - (U)z));                     \
    } while (0)
    switch (t) {
    case PEEK_I8:
    case PEEK_U8: SUM_AS(uint8_t, uint8_t);
    case PEEK_I16:
    case PEEK_U16: SUM_AS(uint16_t, uint16_t);
    case PEEK_I32:
    case PEEK_U32: SUM_AS(uint32_t, uint32_t);
    case PEEK_I64:
    case PEEK_U64: SUM_AS(uint64_t, uint64_t);
    case PEEK_F32: {
        float x, y, z;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&z, v, 4);
        return x == (sign > 0 ? y + z : y - z);
    }
    default: {
        double x, y, z;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&z, v, 8);
        return x == (sign > 0 ? y + z : y - z);
    }
    }
#undef SUM_AS
}

static int oracle_pass(peek_type_t t, size_t w, peek_op_t op, const unsigned char *cur,
                       const unsigned char *old, const unsigned char *v)
{
    int c;
    switch (op) {
    case PEEK_OP_EQ: return oracle_cmp(t, cur, v) == 0;
    case PEEK_OP_NE: return oracle_cmp(t, cur, v) != 0;
    case PEEK_OP_LT: return oracle_cmp(t, cur, v) == -1;
    case PEEK_OP_GT: return oracle_cmp(t, cur, v) == 1;
    case PEEK_OP_LE: c = oracle_cmp(t, cur, v); return c == -1 || c == 0;
    case PEEK_OP_GE: c = oracle_cmp(t, cur, v); return c == 1 || c == 0;
    case PEEK_OP_CHANGED: return memcmp(cur, old, w) != 0;
    case PEEK_OP_UNCHANGED: return memcmp(cur, old, w) == 0;
    case PEEK_OP_INCREASED: return oracle_cmp(t, cur, old) == 1;
    case PEEK_OP_DECREASED: return oracle_cmp(t, cur, old) == -1;
    case PEEK_OP_INC_BY: return oracle_sum(t, cur, old, v, 1);
    default: return oracle_sum(t, cur, old, v, -1);
    }
}

typedef struct omatch {
    uint64_t addr;
    uint64_t val; /* bits, zero-extended */
} omatch_t;

/* Whether [a, a + w) avoids the bad page of its region. */
static int readable(const world_t *wd, uint64_t a, size_t w)
{
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    for (int r = 0; r < NREG; r++) {
        uint64_t b = (uint64_t)(uintptr_t)wd->bad[r];
        if (wd->bad[r] && a < b + ps && a + w > b)
            return 0;
    }
    return 1;
}

static size_t oracle_first(const world_t *wd, peek_type_t t, size_t align, peek_op_t op,
                           const unsigned char *v, omatch_t *out)
{
    size_t w = peek_type_size(t), n = 0;
    for (size_t i = 0; i < NREG; i++) {
        const inspect_map_t *m = &wd->mm.m[i];
        for (uint64_t a = m->start; a + w <= m->end; a++) {
            const unsigned char *p = (const unsigned char *)(uintptr_t)a;
            if (a % align || !readable(wd, a, w))
                continue;
            if (oracle_pass(t, w, op, p, p, v)) {
                out[n].addr = a;
                out[n].val = 0;
                memcpy(&out[n].val, p, w);
                n++;
            }
        }
    }
    return n;
}

static size_t oracle_narrow(peek_type_t t, peek_op_t op, const unsigned char *v, omatch_t *m,
                            size_t n)
{
    size_t w = peek_type_size(t), k = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)(uintptr_t)m[i].addr;
        if (oracle_pass(t, w, op, p, (const unsigned char *)&m[i].val, v)) {
            m[k].addr = m[i].addr;
            m[k].val = 0;
            memcpy(&m[k].val, p, w);
            k++;
        }
    }
    return k;
}

static int same(const peek_scan_t *s, const omatch_t *o, size_t n)
{
    if (peek_scan_count(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (peek_scan_addr(s, i) != o[i].addr || peek_scan_value(s, i) != o[i].val)
            return 0;
    return 1;
}

/* A value to look for: taken from the memory, so that it occurs. */
static void pick_value(const world_t *wd, size_t w, uint64_t *seed, unsigned char *v)
{
    int r = (int)(mix(seed) % NREG);
    size_t off = mix(seed) % (wd->len[r] - 8);
    const unsigned char *p = wd->reg[r] + off;
    if (wd->bad[r] && !readable(wd, (uint64_t)(uintptr_t)p, 8))
        p = wd->reg[r];
    memset(v, 0, 8);
    memcpy(v, p, w);
}

static void scramble(world_t *wd, uint64_t *seed)
{
    for (int r = 0; r < NREG; r++) {
        size_t k = wd->len[r] / 64;
        for (size_t i = 0; i < k; i++) {
            size_t off = mix(seed) % wd->len[r];
            if (readable(wd, (uint64_t)(uintptr_t)(wd->reg[r] + off), 1))
                wd->reg[r][off] = alphabet[mix(seed) % sizeof alphabet];
        }
    }
}

static void run_seed(uint64_t seed0, int with_bad, int *failed, char *why, size_t whyn)
{
    uint64_t seed = seed0;
    world_t wd;
    peek_mem_t *m;
    omatch_t *o = NULL;
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    *failed = 1;
    if (world_make(&wd, &seed, with_bad) || peek_mem_open((int)getpid(), PEEK_VM, 1, &m, NULL)) {
        snprintf(why, whyn, "setup failed");
        world_free(&wd);
        return;
    }
    o = malloc((5 * ps * NREG + 1) * sizeof *o);
    for (int round = 0; round < 4; round++) {
        peek_type_t t = (peek_type_t)(mix(&seed) % (PEEK_F64 + 1));
        size_t w = peek_type_size(t);
        size_t align = mix(&seed) % 2 ? 1 : w;
        static const peek_op_t first_ops[] = {PEEK_OP_EQ, PEEK_OP_EQ, PEEK_OP_EQ, PEEK_OP_NE,
                                              PEEK_OP_LT, PEEK_OP_GT, PEEK_OP_LE, PEEK_OP_GE};
        peek_op_t op = first_ops[mix(&seed) % 8];
        size_t chunk = (1 + mix(&seed) % 3) * ps;
        unsigned char v[8];
        peek_scan_t *s;
        size_t n;
        long got;
        diag_t d;
        pick_value(&wd, w, &seed, v);
        if (peek_scan_new(t, align, 1u << 24, &s, &d)) {
            snprintf(why, whyn, "new: %s", d.msg);
            goto out;
        }
        got = peek_scan_first(s, m, &wd.mm, PEEK_R_ALL, op, v, chunk, &d);
        n = oracle_first(&wd, t, align, op, v, o);
        if (got != (long)n || !same(s, o, n)) {
            snprintf(why, whyn, "seed %ju round %d: first scan %s align %zu op %d chunk %zu: %ld "
                                "matches, oracle %zu",
                     (uintmax_t)seed0, round, peek_type_name(t), align, op, chunk, got, n);
            peek_scan_free(s);
            goto out;
        }
        peek_scan_check(s);
        for (int step = 0; step < 4 && n > 0; step++) {
            peek_op_t nop = (peek_op_t)(mix(&seed) % PEEK_OP_COUNT);
            scramble(&wd, &seed);
            pick_value(&wd, w, &seed, v);
            if (nop == PEEK_OP_INC_BY || nop == PEEK_OP_DEC_BY) {
                memset(v, 0, 8);
                v[0] = (unsigned char)(1 + mix(&seed) % 2);
                if (t == PEEK_F32) {
                    float f = v[0];
                    memcpy(v, &f, 4);
                } else if (t == PEEK_F64) {
                    double x = v[0];
                    memcpy(v, &x, 8);
                }
            }
            got = peek_scan_narrow(s, m, nop, v, &d);
            n = oracle_narrow(t, nop, v, o, n);
            if (got != (long)n || !same(s, o, n)) {
                snprintf(why, whyn, "seed %ju round %d step %d: narrow %s op %d: %ld matches, "
                                    "oracle %zu",
                         (uintmax_t)seed0, round, step, peek_type_name(t), nop, got, n);
                peek_scan_free(s);
                goto out;
            }
            peek_scan_check(s);
        }
        peek_scan_free(s);
    }
    *failed = 0;
out:
    free(o);
    peek_mem_close(m);
    world_free(&wd);
}

TEST(scan_matches_the_oracle_on_random_memory)
{
    char why[800] = "";
    for (uint64_t seed = 1; seed <= 60; seed++) {
        int failed;
        run_seed(seed, 0, &failed, why, sizeof why);
        CHECK_MSG(!failed, "%s", why);
    }
}

TEST(scan_skips_unreadable_pages_exactly)
{
    char why[800] = "";
    for (uint64_t seed = 100; seed <= 160; seed++) {
        int failed;
        run_seed(seed, 1, &failed, why, sizeof why);
        CHECK_MSG(!failed, "%s", why);
    }
}

/* ---- strings and byte patterns against the oracle ------------------------------- */

#define OPAT_MAX 12

typedef struct opat {
    uint64_t addr;
    unsigned char b[OPAT_MAX]; /* the bytes last seen there */
} opat_t;

/* Whether x holds the pattern: every byte that is not wild equal. */
static int oracle_pat(const unsigned char *x, const unsigned char *b, const int *wild, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!wild[i] && x[i] != b[i])
            return 0;
    return 1;
}

static int same_pat(const peek_scan_t *s, const opat_t *o, size_t n, size_t len)
{
    if (peek_scan_count(s) != n || (n && peek_scan_width(s) != len))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (peek_scan_addr(s, i) != o[i].addr || memcmp(peek_scan_bytes(s, i), o[i].b, len))
            return 0;
    return 1;
}

/* A pattern of len bytes copied from the memory, some of them wildcards if
 * `wildcards`; also written as text and parsed, which must give the same. */
static int pick_pattern(const world_t *wd, size_t len, int wildcards, uint64_t *seed,
                        peek_pattern_t *p, int *wild)
{
    int r = (int)(mix(seed) % NREG);
    const unsigned char *q = wd->reg[r] + mix(seed) % (wd->len[r] - OPAT_MAX);
    char text[4 * OPAT_MAX + 1];
    size_t o = 0, nwild = 0;
    peek_pattern_t parsed;
    if (wd->bad[r] && !readable(wd, (uint64_t)(uintptr_t)q, OPAT_MAX))
        q = wd->reg[r];
    memset(p, 0, sizeof *p);
    p->len = len;
    for (size_t i = 0; i < len; i++) {
        wild[i] = wildcards && mix(seed) % 4 == 0 && nwild + 1 < len;
        nwild += (size_t)wild[i];
        p->b[i] = wild[i] ? 0 : q[i];
        p->mask[i] = wild[i] ? 0 : 0xff;
        o += (size_t)snprintf(text + o, sizeof text - o, wild[i] ? "?? " : "%02x ", q[i]);
    }
    p->wild = nwild;
    if (peek_pattern_parse(PEEK_BYTES, text, &parsed, NULL) != 0)
        return -1;
    return parsed.len == p->len && parsed.wild == p->wild &&
                   memcmp(parsed.b, p->b, len) == 0 && memcmp(parsed.mask, p->mask, len) == 0
               ? 0
               : -1;
}

static void run_pattern_seed(uint64_t seed0, int with_bad, int *failed, char *why, size_t whyn)
{
    uint64_t seed = seed0;
    world_t wd;
    peek_mem_t *m;
    opat_t *o = NULL;
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    *failed = 1;
    if (world_make(&wd, &seed, with_bad) || peek_mem_open((int)getpid(), PEEK_VM, 1, &m, NULL)) {
        snprintf(why, whyn, "setup failed");
        world_free(&wd);
        return;
    }
    o = malloc((5 * ps * NREG + 1) * sizeof *o);
    for (int round = 0; round < 4; round++) {
        static const size_t aligns[] = {1, 1, 2, 4, 8};
        peek_type_t t = mix(&seed) % 2 ? PEEK_BYTES : PEEK_STRING;
        size_t len = 1 + mix(&seed) % OPAT_MAX, align = aligns[mix(&seed) % 5];
        size_t chunk = (1 + mix(&seed) % 3) * ps, n = 0;
        int wild[OPAT_MAX];
        peek_pattern_t pat;
        peek_scan_t *s;
        long got;
        diag_t d;
        if (pick_pattern(&wd, len, t == PEEK_BYTES, &seed, &pat, wild)) {
            snprintf(why, whyn, "seed %ju: the pattern's text does not parse back",
                     (uintmax_t)seed0);
            goto out;
        }
        if (peek_scan_new(t, align, 1u << 24, &s, &d)) {
            snprintf(why, whyn, "new: %s", d.msg);
            goto out;
        }
        got = peek_scan_first(s, m, &wd.mm, PEEK_R_ALL, PEEK_OP_EQ, &pat, chunk, &d);
        for (size_t i = 0; i < NREG; i++)
            for (uint64_t a = wd.mm.m[i].start; a + len <= wd.mm.m[i].end; a++) {
                const unsigned char *x = (const unsigned char *)(uintptr_t)a;
                if (a % align == 0 && readable(&wd, a, len) && oracle_pat(x, pat.b, wild, len)) {
                    o[n].addr = a;
                    memcpy(o[n].b, x, len);
                    n++;
                }
            }
        if (got != (long)n || !same_pat(s, o, n, len)) {
            snprintf(why, whyn, "seed %ju round %d: first scan %s len %zu align %zu: %ld "
                                "matches, oracle %zu",
                     (uintmax_t)seed0, round, peek_type_name(t), len, align, got, n);
            peek_scan_free(s);
            goto out;
        }
        peek_scan_check(s);
        /* Comparisons of numbers do not apply, and change nothing. */
        if (peek_scan_narrow(s, m, PEEK_OP_GT, &pat, &d) != -EINVAL || !same_pat(s, o, n, len)) {
            snprintf(why, whyn, "seed %ju: '>' narrowed a pattern", (uintmax_t)seed0);
            peek_scan_free(s);
            goto out;
        }
        for (int step = 0; step < 4 && n > 0; step++) {
            static const peek_op_t ops[] = {PEEK_OP_EQ, PEEK_OP_NE, PEEK_OP_CHANGED,
                                            PEEK_OP_UNCHANGED};
            peek_op_t op = ops[mix(&seed) % 4];
            size_t k = 0;
            scramble(&wd, &seed);
            if (mix(&seed) % 2 && pick_pattern(&wd, len, 1, &seed, &pat, wild)) {
                snprintf(why, whyn, "seed %ju: pattern text", (uintmax_t)seed0);
                peek_scan_free(s);
                goto out;
            }
            got = peek_scan_narrow(s, m, op, &pat, &d);
            for (size_t i = 0; i < n; i++) {
                const unsigned char *x = (const unsigned char *)(uintptr_t)o[i].addr;
                int keep = op == PEEK_OP_EQ   ? oracle_pat(x, pat.b, wild, len)
                           : op == PEEK_OP_NE ? !oracle_pat(x, pat.b, wild, len)
                           : op == PEEK_OP_CHANGED ? memcmp(x, o[i].b, len) != 0
                                                   : memcmp(x, o[i].b, len) == 0;
                if (keep) {
                    o[k].addr = o[i].addr;
                    memcpy(o[k].b, x, len);
                    k++;
                }
            }
            n = k;
            if (got != (long)n || !same_pat(s, o, n, len)) {
                snprintf(why, whyn, "seed %ju round %d step %d: narrow op %d: %ld matches, "
                                    "oracle %zu",
                         (uintmax_t)seed0, round, step, op, got, n);
                peek_scan_free(s);
                goto out;
            }
            peek_scan_check(s);
        }
        {
            /* The match file keeps the bytes. */
            char *text = NULL;
            size_t tl = 0;
            int pid = 0;
            peek_scan_t *s2;
            FILE *f = open_memstream(&text, &tl);
            int ok = f && peek_scan_save(s, 77, f) == 0;
            if (f)
                fclose(f);
            ok = ok && peek_scan_new(PEEK_I32, 0, 1u << 24, &s2, NULL) == 0;
            if (ok) {
                ok = peek_scan_load(s2, "m", text, tl, &pid, &d) == 0 && pid == 77 &&
                     peek_scan_type(s2) == t && peek_scan_align(s2) == align &&
                     (n == 0 || same_pat(s2, o, n, len));
                peek_scan_free(s2);
            }
            free(text);
            if (!ok) {
                snprintf(why, whyn, "seed %ju round %d: the match file did not round-trip",
                         (uintmax_t)seed0, round);
                peek_scan_free(s);
                goto out;
            }
        }
        peek_scan_free(s);
    }
    *failed = 0;
out:
    free(o);
    peek_mem_close(m);
    world_free(&wd);
}

TEST(scan_patterns_match_the_oracle)
{
    char why[800] = "";
    for (uint64_t seed = 200; seed <= 260; seed++) {
        int failed;
        run_pattern_seed(seed, seed % 2, &failed, why, sizeof why);
        CHECK_MSG(!failed, "%s", why);
    }
}

TEST(pattern_parse_edges)
{
    peek_pattern_t p;
    diag_t d;
    CHECK(peek_pattern_parse(PEEK_BYTES, "de ad ?? ef", &p, &d) == 0);
    CHECK(p.len == 4 && p.wild == 1 && p.mask[2] == 0 && p.b[3] == 0xef && p.mask[3] == 0xff);
    CHECK(peek_pattern_parse(PEEK_BYTES, "de??ef", &p, &d) == 0 && p.len == 3 && p.wild == 1);
    CHECK(peek_pattern_parse(PEEK_BYTES, "?? ??", &p, &d) == -EINVAL && strstr(d.msg, "wildcard"));
    CHECK(peek_pattern_parse(PEEK_BYTES, "de a", &p, &d) == -EINVAL);
    CHECK(peek_pattern_parse(PEEK_BYTES, "", &p, &d) == -EINVAL);
    CHECK(peek_pattern_parse(PEEK_STRING, "a ?? b", &p, &d) == 0 && p.len == 6 && p.wild == 0);
    CHECK(peek_pattern_parse(PEEK_STRING, "", &p, &d) == -EINVAL);
    CHECK(peek_pattern_parse(PEEK_I32, "5", &p, &d) == -EINVAL);
    {
        char big[2 * PEEK_PATTERN_MAX + 3];
        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        CHECK(peek_pattern_parse(PEEK_BYTES, big, &p, &d) == -ERANGE);
        big[2 * PEEK_PATTERN_MAX] = '\0';
        CHECK(peek_pattern_parse(PEEK_BYTES, big, &p, &d) == 0 && p.len == PEEK_PATTERN_MAX);
        big[PEEK_PATTERN_MAX + 1] = '\0';
        CHECK(peek_pattern_parse(PEEK_STRING, big, &p, &d) == -ERANGE);
    }
}

TEST(scan_bound_and_match_file)
{
    world_t wd;
    uint64_t seed = 5, zero = 0;
    peek_mem_t *m;
    peek_scan_t *s, *s2;
    diag_t d;
    char *text = NULL;
    size_t len = 0;
    int pid = 0;
    FILE *f;
    CHECK(world_make(&wd, &seed, 0) == 0);
    CHECK(peek_mem_open((int)getpid(), PEEK_VM, 1, &m, NULL) == 0);
    CHECK(peek_scan_new(PEEK_U8, 1, 10, &s, NULL) == 0);
    CHECK_EQ(peek_scan_first(s, m, &wd.mm, PEEK_R_ALL, PEEK_OP_EQ, &zero, 0, &d), -E2BIG);
    CHECK_EQ(peek_scan_count(s), 0);
    peek_scan_free(s);
    {
        /* Patterns: the bound is on matches and on 16 bytes a match. */
        peek_pattern_t pat;
        CHECK(peek_scan_new(PEEK_BYTES, 1, 10, &s, NULL) == 0);
        CHECK(peek_pattern_parse(PEEK_BYTES, "00", &pat, &d) == 0);
        CHECK_EQ(peek_scan_first(s, m, &wd.mm, PEEK_R_ALL, PEEK_OP_EQ, &pat, 0, &d), -E2BIG);
        CHECK_MSG(strstr(d.msg, "more than 10 matches"), "%s", d.msg);
        CHECK_EQ(peek_scan_count(s), 0);
        CHECK(peek_pattern_parse(PEEK_BYTES, "00 ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? "
                                             "?? ?? ?? ?? ?? ?? ??", &pat, &d) == 0);
        CHECK_EQ(peek_scan_first(s, m, &wd.mm, PEEK_R_ALL, PEEK_OP_EQ, &pat, 0, &d), -E2BIG);
        CHECK_MSG(strstr(d.msg, "more than 5 matches of 24 bytes"), "%s", d.msg);
        peek_scan_free(s);
    }
    CHECK(peek_scan_new(PEEK_I16, 2, 1u << 20, &s, NULL) == 0);
    CHECK(peek_scan_first(s, m, &wd.mm, PEEK_R_ALL, PEEK_OP_EQ, &zero, 0, &d) > 0);
    CHECK_EQ(peek_scan_stats(s)->huge, 0);
    {
        /* A reservation of 1 TiB (never mapped here: it must not be read). */
        inspect_map_t big[NREG + 1];
        inspect_maps_t bm = wd.mm;
        long n0 = (long)peek_scan_count(s), n1;
        memcpy(big, wd.maps, sizeof wd.maps);
        big[NREG] = big[NREG - 1];
        big[NREG].start = (uint64_t)1 << 46;
        big[NREG].end = big[NREG].start + ((uint64_t)1 << 40);
        bm.m = big;
        bm.n = NREG + 1;
        n1 = peek_scan_first(s, m, &bm, PEEK_R_ALL, PEEK_OP_EQ, &zero, 0, &d);
        CHECK_EQ(n1, n0);
        CHECK_EQ(peek_scan_stats(s)->huge, 1);
        CHECK_EQ(peek_scan_stats(s)->regions, NREG);
    }
    f = open_memstream(&text, &len);
    CHECK(peek_scan_save(s, 1234, f) == 0);
    fclose(f);
    CHECK(peek_scan_new(PEEK_U8, 1, 1u << 20, &s2, NULL) == 0);
    CHECK_MSG(peek_scan_load(s2, "m.txt", text, len, &pid, &d) == 0, "%s", d.msg);
    CHECK_EQ(pid, 1234);
    CHECK_EQ(peek_scan_type(s2), PEEK_I16);
    CHECK_EQ(peek_scan_count(s2), peek_scan_count(s));
    for (size_t i = 0; i < peek_scan_count(s); i++)
        CHECK(peek_scan_addr(s, i) == peek_scan_addr(s2, i) &&
              peek_scan_value(s, i) == peek_scan_value(s2, i));
    /* Corruptions: a line out of order, a value too wide, a short file. */
    {
        static const char *const bad[] = {
            "# vmlab scan matches: pid 1 type i16 align 2 count 2\n0x10 0x1\n0x8 0x1\n",
            "# vmlab scan matches: pid 1 type i16 align 2 count 1\n0x10 0x10000\n",
            "# vmlab scan matches: pid 1 type i16 align 2 count 2\n0x10 0x1\n",
            "# vmlab scan matches: pid 1 type i16 align 3 count 0\n",
            "# vmlab scan matches: pid 1 type string align 1 count 0\n",
            "# vmlab scan matches: pid 1 type string align 1 count 1 width 0\n0x10 \n",
            "# vmlab scan matches: pid 1 type bytes align 1 count 1 width 2\n0x10 abc\n",
            "# vmlab scan matches: pid 1 type bytes align 1 count 1 width 256\n0x10 00\n",
            "# vmlab scan matches: pid 1 type i32 align 4 count 0 width 4\n",
            "# vmlab scan matches: pid 1 type i16 align 2 count 0\nextra\n",
            "0x10 0x1\n",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            diag_clear(&d);
            CHECK_MSG(peek_scan_load(s2, "m.txt", bad[i], strlen(bad[i]), &pid, &d) < 0 &&
                          d.line >= 1,
                      "accepted: %s", bad[i]);
        }
    }
    {
        /* A string scanner saved before its first scan (width 0) loads back. */
        peek_scan_t *e;
        char *t2 = NULL;
        size_t l2 = 0;
        FILE *f2 = open_memstream(&t2, &l2);
        CHECK(peek_scan_new(PEEK_STRING, 0, 100, &e, NULL) == 0);
        CHECK(peek_scan_save(e, 9, f2) == 0);
        fclose(f2);
        CHECK_MSG(peek_scan_load(s2, "e.txt", t2, l2, &pid, &d) == 0, "%s", d.msg);
        CHECK(pid == 9 && peek_scan_type(s2) == PEEK_STRING && peek_scan_count(s2) == 0);
        peek_scan_check(s2);
        free(t2);
        peek_scan_free(e);
    }
    free(text);
    peek_scan_free(s);
    peek_scan_free(s2);
    peek_mem_close(m);
    world_free(&wd);
}

/* ---- where ----------------------------------------------------------------- */

TEST(where_names_the_nearest_mappings)
{
    inspect_map_t maps[2];
    inspect_maps_t mm;
    char buf[2000];
    memset(maps, 0, sizeof maps);
    memset(&mm, 0, sizeof mm);
    maps[0] = (inspect_map_t){.start = 0x1000, .end = 0x3000, .perms = "r--p", .path = (char *)"/bin/x"};
    maps[1] = (inspect_map_t){.start = 0x8000, .end = 0x9000, .perms = "rw-p", .path = (char *)""};
    mm.m = maps;
    mm.n = 2;
    peek_where(&mm, 0x1010, buf, sizeof buf);
    CHECK(strstr(buf, "in 0x1000-0x3000 r--p /bin/x") && strstr(buf, "offset 0x10"));
    peek_where(&mm, 0x5000, buf, sizeof buf);
    CHECK_MSG(strstr(buf, "in no mapping") && strstr(buf, "0x1000-0x3000") &&
                  strstr(buf, "0x8000-0x9000") && strstr(buf, "0x2001 bytes below") &&
                  strstr(buf, "0x3000 bytes above"),
              "%s", buf);
    peek_where(&mm, 0x10, buf, sizeof buf);
    CHECK(strstr(buf, "below the first one"));
    peek_where(&mm, 0x10000, buf, sizeof buf);
    CHECK(strstr(buf, "above the last one"));
}

/* ---- the two ways of writing ------------------------------------------------------ */

/* process_vm_writev into a read-only private file page: EFAULT.  Through
 * /proc/self/mem: written into a private copy; the file and a MAP_SHARED
 * mapping of it keep 'a'. */
TEST(procmem_write_breaks_cow_vm_write_does_not)
{
    char path[] = "/tmp/vmlab-test-peek-XXXXXX";
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    int fd = mkstemp(path);
    char *buf = malloc(ps), *pv, *sh, c = 0;
    peek_mem_t *m;
    peek_method_t used = PEEK_VM;
    diag_t d;
    CHECK(fd >= 0 && buf);
    memset(buf, 'a', ps);
    CHECK(write(fd, buf, ps) == (ssize_t)ps);
    free(buf);
    pv = mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0);
    sh = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
    unlink(path);
    CHECK(pv != MAP_FAILED && sh != MAP_FAILED);
    CHECK(peek_mem_open((int)getpid(), PEEK_VM, 0, &m, NULL) == 0);
    CHECK_EQ(peek_mem_write(m, (uint64_t)(uintptr_t)pv, "Z", 1, &used, &d), -EFAULT);
    CHECK(pv[0] == 'a');
    peek_mem_close(m);
    CHECK(peek_mem_open((int)getpid(), PEEK_VM, 1, &m, NULL) == 0);
    CHECK_MSG(peek_mem_write(m, (uint64_t)(uintptr_t)pv, "Z", 1, &used, &d) == 0, "%s", d.msg);
    CHECK_EQ(used, PEEK_PROCMEM);
    CHECK(strstr(peek_mem_note(m), "copy-on-write"));
    CHECK(((volatile char *)pv)[0] == 'Z');
    CHECK(((volatile char *)sh)[0] == 'a');
    CHECK(pread(fd, &c, 1, 0) == 1 && c == 'a');
    /* A shared read-only mapping cannot be forced. */
    CHECK(peek_mem_write(m, (uint64_t)(uintptr_t)sh, "Z", 1, &used, &d) < 0);
    CHECK(((volatile char *)sh)[0] == 'a');
    peek_mem_close(m);
    munmap(pv, ps);
    munmap(sh, ps);
    close(fd);
}

TEST(read_of_a_missing_process)
{
    peek_mem_t *m;
    char b[4];
    diag_t d;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    CHECK(pid > 0);
    while (waitpid(pid, NULL, 0) < 0)
        ;
    CHECK(peek_mem_open(pid, PEEK_VM, 1, &m, NULL) == 0);
    CHECK_EQ(peek_mem_read(m, 0x10000, b, 4, &d), -ESRCH);
    CHECK(strstr(d.msg, "no such process"));
    peek_mem_close(m);
    CHECK(peek_mem_open(pid, PEEK_PROCMEM, 0, &m, NULL) == 0);
    CHECK_EQ(peek_mem_read(m, 0x10000, b, 4, &d), -ESRCH);
    peek_mem_close(m);
}

/* The target dies between reading its maps and reading its memory: the
 * first scan fails with -ESRCH and no matches (numbers and patterns alike),
 * a narrowing step with -ESRCH and the matches it had. */
TEST(scan_of_a_process_that_died_after_its_maps)
{
    inspect_maps_t mm;
    peek_mem_t *m;
    peek_scan_t *s;
    peek_pattern_t pat;
    uint64_t one = 1, addr[2], val[2] = {1, 2};
    diag_t d;
    pid_t pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    CHECK(pid > 0);
    CHECK_MSG(inspect_maps_load(inspect_src_proc(), pid, "maps", &mm, &d) == 0, "%s", d.msg);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0)
        ;
    CHECK(mm.n > 0);
    inspect_classify_src(&mm, inspect_src_proc(), pid);
    CHECK(peek_mem_open(pid, PEEK_VM, 1, &m, NULL) == 0);
    CHECK(peek_scan_new(PEEK_U32, 0, 1u << 20, &s, NULL) == 0);
    diag_clear(&d);
    CHECK_EQ(peek_scan_first(s, m, &mm, PEEK_R_ALL, PEEK_OP_EQ, &one, 0, &d), -ESRCH);
    CHECK(strstr(d.msg, "no such process"));
    CHECK_EQ(peek_scan_count(s), 0);
    addr[0] = mm.m[0].start;
    addr[1] = mm.m[0].start + 4;
    CHECK(peek_scan_set_matches(s, addr, val, 2, &d) == 0);
    CHECK_EQ(peek_scan_narrow(s, m, PEEK_OP_CHANGED, &one, &d), -ESRCH);
    CHECK_EQ(peek_scan_count(s), 2);
    peek_scan_free(s);
    CHECK(peek_scan_new(PEEK_BYTES, 0, 1u << 20, &s, NULL) == 0);
    CHECK(peek_pattern_parse(PEEK_BYTES, "7f 45 4c 46", &pat, &d) == 0);
    CHECK_EQ(peek_scan_first(s, m, &mm, PEEK_R_ALL, PEEK_OP_EQ, &pat, 0, &d), -ESRCH);
    CHECK_EQ(peek_scan_count(s), 0);
    peek_scan_free(s);
    peek_mem_close(m);
    inspect_maps_free(&mm);
}

/* ---- the protection experiments -------------------------------------------------- */

static const inspect_fx_desc_t *fx_find(const char *name)
{
    size_t n;
    const inspect_fx_desc_t *t = inspect_fx_table(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

TEST(fx_mprotect_si_codes_and_addresses)
{
    const inspect_fx_desc_t *e = fx_find("mprotect");
    inspect_fx_t fx;
    diag_t d;
    CHECK(e);
    memset(&fx, 0, sizeof fx);
    CHECK_MSG(e->run(inspect_src_proc(), &fx, &d) == 0, "%s", d.msg);
    CHECK_EQ(fx.extra, 11); /* three right (si_code, si_addr) pairs + the restored write */
    CHECK(fx.confirmed);
    {
        int accerr = 0, maperr = 0;
        for (size_t i = 0; i < fx.nmeasured; i++) {
            accerr += strstr(fx.measured[i].text, "SEGV_ACCERR") &&
                      strstr(fx.measured[i].text, "= the exact address");
            maperr += strstr(fx.measured[i].text, "SEGV_MAPERR") &&
                      strstr(fx.measured[i].text, "= the exact address");
        }
        CHECK_EQ(accerr, 2);
        CHECK_EQ(maperr, 1);
    }
}

TEST(fx_mmap_frames)
{
    const inspect_fx_desc_t *e = fx_find("mmap");
    inspect_fx_t fx;
    diag_t d;
    CHECK(e);
    memset(&fx, 0, sizeof fx);
    CHECK_MSG(e->run(inspect_src_proc(), &fx, &d) == 0, "%s", d.msg);
    CHECK_MSG(fx.extra == 7, "anon %ld shared %ld private %ld", fx.extra & 1, (fx.extra >> 1) & 1,
              (fx.extra >> 2) & 1);
    if (inspect_have_cap_sys_admin())
        CHECK_EQ(fx.distinct_pfns, 4); /* two anonymous, the file's, the private copy */
    CHECK(fx.confirmed);
}
