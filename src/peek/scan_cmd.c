/* SPDX-License-Identifier: MIT */
/*
 * scan_cmd.c - the command language of `vmlab scan`: one command a line,
 * the same from a terminal, a script or a pipe.  scanmem's short forms are
 * kept (a bare number scans or narrows for it; a bare '=' means unchanged,
 * '!=' changed, '<' and '>' decreased and increased; "+N" and "-N" increased
 * or decreased by N), so a negative value is written "= -5".
 *
 * A value is the rest of the line, spaces inside kept ("= hello world",
 * "= de ad ?? ef"), and scanmem's `" TEXT` scans for the string TEXT.
 *
 * The parser only checks words and syntax; values stay text, parsed by the
 * executor against the type in force when the command runs (so "= 1 2" is
 * a string of three bytes, and a number that is not one).
 */
#include "vmlab/peek.h"

#include <errno.h>
#include <string.h>

#include "vmlab/parse.h"

static const char help_text[] =
    "  V, = V         first scan for V (or keep the matches equal to V); for\n"
    "                 string and bytes V is the rest of the line: '= de ad ?? ef'\n"
    "  \" TEXT         a fresh first scan for the string TEXT (type string)\n"
    "  != V, < V, > V, <= V, >= V   keep the matches that compare so with V\n"
    "  scan [OP] V    a fresh first scan (OP: = != < > <= >=; default =)\n"
    "  changed, unchanged, increased, decreased   against each match's last value\n"
    "                 (string and bytes: =, != V, changed, unchanged only)\n"
    "                 (short forms: != = > <, alone on the line)\n"
    "  +N, -N         keep the matches that grew / shrank by exactly N\n"
    "  set V          write V to every match\n"
    "  list [N]       show the first N matches (default 20)\n"
    "  count          the number of matches\n"
    "  reset          forget the matches\n"
    "  type T         i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 string bytes (resets)\n"
    "  align N        positions at multiples of N bytes: 1 2 4 8 (resets)\n"
    "  regions LIST   heap,stack,data,other or all (for the next first scan)\n"
    "  save FILE      write the matches to FILE (atomically)\n"
    "  help, quit     this text; the end\n"
    "  # ...          a comment\n";

const char *peek_cmd_help(void)
{
    return help_text;
}

static int set_arg(peek_cmd_t *c, const char *s, size_t n, diag_t *d)
{
    if (n >= sizeof c->arg)
        return diag_set(d, NULL, 0, EINVAL, "argument too long (expected at most %zu bytes)",
                        sizeof c->arg - 1);
    if (memchr(s, '\0', n))
        return diag_set(d, NULL, 0, EINVAL, "a NUL byte in the command (expected text)");
    memcpy(c->arg, s, n);
    c->arg[n] = '\0';
    return 0;
}

/* A value: the rest of the line, trimmed (a string or a bytes pattern may
 * hold spaces; a number with one is refused when it is parsed). */
static int value_arg(peek_cmd_t *c, const char *what, const char *s, size_t n, diag_t *d)
{
    parse_trim(&s, &n);
    if (n == 0)
        return diag_set(d, NULL, 0, EINVAL, "%s needs a value (expected '%s V')", what, what);
    return set_arg(c, s, n, d);
}

static int word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* A comparison operator at the start of [s, s + n): its length, 0 if none. */
static size_t op_prefix(const char *s, size_t n, peek_op_t *op)
{
    static const struct {
        const char *text;
        peek_op_t op;
    } ops[] = {{"==", PEEK_OP_EQ}, {"!=", PEEK_OP_NE}, {"<=", PEEK_OP_LE}, {">=", PEEK_OP_GE},
               {"=", PEEK_OP_EQ},  {"<", PEEK_OP_LT},  {">", PEEK_OP_GT}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t l = strlen(ops[i].text);
        if (n >= l && memcmp(s, ops[i].text, l) == 0) {
            *op = ops[i].op;
            return l;
        }
    }
    return 0;
}

static int starts_number(const char *s, size_t n)
{
    return n > 0 && ((s[0] >= '0' && s[0] <= '9') || s[0] == '.' ||
                     (n >= 3 && (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0)));
}

int peek_cmd_parse(const char *line, size_t len, peek_cmd_t *c, diag_t *d)
{
    const char *s = line, *rest;
    size_t n = len, wl, rl;
    peek_op_t op;

    memset(c, 0, sizeof *c);
    c->kind = PEEK_CMD_NONE;
    parse_trim(&s, &n);
    if (n == 0 || s[0] == '#')
        return 0;

    /* scanmem's string search: '" TEXT' */
    if (s[0] == '"') {
        c->kind = PEEK_CMD_STRING;
        c->op = PEEK_OP_EQ;
        return value_arg(c, "\"", s + 1, n - 1, d);
    }

    /* Operators: "= 5", "!=5", "<", "+3", "-", ... */
    if ((wl = op_prefix(s, n, &op)) > 0) {
        rest = s + wl;
        rl = n - wl;
        parse_trim(&rest, &rl);
        c->kind = PEEK_CMD_FILTER;
        if (rl == 0) {
            /* scanmem: '=' unchanged, '!=' changed, '<' decreased, '>' increased */
            switch (op) {
            case PEEK_OP_EQ: c->op = PEEK_OP_UNCHANGED; return 0;
            case PEEK_OP_NE: c->op = PEEK_OP_CHANGED; return 0;
            case PEEK_OP_LT: c->op = PEEK_OP_DECREASED; return 0;
            case PEEK_OP_GT: c->op = PEEK_OP_INCREASED; return 0;
            default:
                return diag_set(d, NULL, 0, EINVAL, "'%.*s' needs a value (expected '%.*s V')",
                                (int)wl, s, (int)wl, s);
            }
        }
        c->op = op;
        return value_arg(c, "the comparison", rest, rl, d);
    }
    if (s[0] == '+' || s[0] == '-') {
        c->kind = PEEK_CMD_FILTER;
        rest = s + 1;
        rl = n - 1;
        parse_trim(&rest, &rl);
        if (rl == 0) {
            c->op = s[0] == '+' ? PEEK_OP_INCREASED : PEEK_OP_DECREASED;
            return 0;
        }
        c->op = s[0] == '+' ? PEEK_OP_INC_BY : PEEK_OP_DEC_BY;
        if (rest[0] == '-' || rest[0] == '+')
            return diag_set(d, NULL, 0, EINVAL, "'%.*s': one sign only (expected +N or -N; for a "
                                                "negative value write '= -N')",
                            (int)(n < 80 ? n : 80), s);
        return value_arg(c, s[0] == '+' ? "+" : "-", rest, rl, d);
    }
    if (starts_number(s, n)) {
        c->kind = PEEK_CMD_FILTER;
        c->op = PEEK_OP_EQ;
        return value_arg(c, "=", s, n, d);
    }

    /* Words. */
    rest = s;
    while (rest < s + n && *rest != ' ' && *rest != '\t')
        rest++;
    wl = (size_t)(rest - s);
    rl = n - wl;
    parse_trim(&rest, &rl);
    {
        static const struct {
            const char *word;
            peek_cmd_kind_t kind;
            peek_op_t op;
            int arg; /* 0 none, 1 required, 2 optional */
        } words[] = {
            {"changed", PEEK_CMD_FILTER, PEEK_OP_CHANGED, 0},
            {"unchanged", PEEK_CMD_FILTER, PEEK_OP_UNCHANGED, 0},
            {"increased", PEEK_CMD_FILTER, PEEK_OP_INCREASED, 0},
            {"decreased", PEEK_CMD_FILTER, PEEK_OP_DECREASED, 0},
            {"set", PEEK_CMD_SET, PEEK_OP_EQ, 1},
            {"list", PEEK_CMD_LIST, PEEK_OP_EQ, 2},
            {"count", PEEK_CMD_COUNT, PEEK_OP_EQ, 0},
            {"reset", PEEK_CMD_RESET, PEEK_OP_EQ, 0},
            {"type", PEEK_CMD_TYPE, PEEK_OP_EQ, 1},
            {"align", PEEK_CMD_ALIGN, PEEK_OP_EQ, 1},
            {"regions", PEEK_CMD_REGIONS, PEEK_OP_EQ, 1},
            {"save", PEEK_CMD_SAVE, PEEK_OP_EQ, 1},
            {"help", PEEK_CMD_HELP, PEEK_OP_EQ, 0},
            {"quit", PEEK_CMD_QUIT, PEEK_OP_EQ, 0},
            {"exit", PEEK_CMD_QUIT, PEEK_OP_EQ, 0},
            {"q", PEEK_CMD_QUIT, PEEK_OP_EQ, 0},
        };
        if (word_is(s, wl, "scan")) {
            c->kind = PEEK_CMD_SCAN;
            c->op = PEEK_OP_EQ;
            if ((wl = op_prefix(rest, rl, &op)) > 0) {
                c->op = op;
                rest += wl;
                rl -= wl;
            }
            return value_arg(c, "scan", rest, rl, d);
        }
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
            if (!word_is(s, wl, words[i].word))
                continue;
            c->kind = words[i].kind;
            c->op = words[i].op;
            if (words[i].arg == 0 && rl > 0)
                return diag_set(d, NULL, 0, EINVAL, "'%s' takes no argument (expected '%s' "
                                                    "alone)",
                                words[i].word, words[i].word);
            if (words[i].arg == 1 && rl == 0)
                return diag_set(d, NULL, 0, EINVAL, "'%s' needs an argument (see 'help')",
                                words[i].word);
            if (c->kind == PEEK_CMD_SET)
                return value_arg(c, "set", rest, rl, d);
            if (c->kind == PEEK_CMD_LIST && rl > 0) {
                uint64_t k;
                if (parse_u64_dec(rest, rl, &k) || k == 0)
                    return diag_set(d, NULL, 0, EINVAL, "'list %.*s' (expected a positive count)",
                                    (int)(rl < 40 ? rl : 40), rest);
            }
            return set_arg(c, rest, rl, d);
        }
    }
    c->kind = PEEK_CMD_NONE;
    return diag_set(d, NULL, 0, EINVAL, "unknown command '%.*s' (expected a value, an operator "
                                        "such as '= V' or '+1', '\" TEXT', or one of: scan changed unchanged "
                                        "increased decreased set list count reset type align "
                                        "regions save help quit)",
                    (int)(wl < 40 ? wl : 40), s);
}
