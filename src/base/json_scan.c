/* SPDX-License-Identifier: MIT */
/*
 * json_scan.c - a validating scanner of JSON's top level (see json_scan.h).
 *
 * Recursive descent over the grammar of RFC 8259 section 2-7, with the depth
 * bounded so hostile input cannot exhaust the stack.  Two passes: the first
 * validates and counts, the second calls back with each element's range.
 */
#include "base/json_scan.h"

#include <errno.h>
#include <string.h>

typedef struct scan {
    const char *s;    /* the text */
    size_t len;       /* its length */
    size_t i;         /* the next byte to read */
    const char *file; /* for diagnostics */
    diag_t *d;        /* where errors go */
} scan_t;

static int fail(scan_t *p, const char *what)
{
    size_t line = 1;
    for (size_t k = 0; k < p->i && k < p->len; k++)
        line += p->s[k] == '\n';
    if (p->i >= p->len)
        return diag_set(p->d, p->file, line, EINVAL, "the JSON ends early (expected %s)", what);
    unsigned char c = (unsigned char)p->s[p->i];
    if (c >= 0x20 && c < 0x7f)
        return diag_set(p->d, p->file, line, EINVAL, "'%c' is not valid JSON here (expected %s)", c,
                        what);
    return diag_set(p->d, p->file, line, EINVAL, "byte 0x%02x is not valid JSON here (expected %s)",
                    c, what);
}

static void ws(scan_t *p)
{
    while (p->i < p->len && strchr(" \t\r\n", p->s[p->i]) && p->s[p->i])
        p->i++;
}

static int lit(scan_t *p, const char *w)
{
    size_t n = strlen(w);
    if (p->len - p->i < n || memcmp(p->s + p->i, w, n) != 0)
        return fail(p, "a value");
    p->i += n;
    return 0;
}

static int is_digit(scan_t *p) { return p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9'; }

static int number(scan_t *p)
{
    if (p->s[p->i] == '-')
        p->i++;
    if (!is_digit(p))
        return fail(p, "a digit");
    if (p->s[p->i] == '0')
        p->i++;
    else
        while (is_digit(p))
            p->i++;
    if (p->i < p->len && p->s[p->i] == '.') {
        p->i++;
        if (!is_digit(p))
            return fail(p, "a digit after '.'");
        while (is_digit(p))
            p->i++;
    }
    if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (!is_digit(p))
            return fail(p, "an exponent");
        while (is_digit(p))
            p->i++;
    }
    return 0;
}

static int string(scan_t *p)
{
    p->i++; /* the opening quote */
    while (p->i < p->len) {
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c == '"')
            return 0;
        if (c < 0x20) {
            p->i--;
            return fail(p, "a control byte escaped inside a string");
        }
        if (c != '\\')
            continue;
        if (p->i >= p->len)
            break;
        c = (unsigned char)p->s[p->i++];
        if (c == 'u') {
            for (int k = 0; k < 4; k++, p->i++)
                if (p->i >= p->len || !strchr("0123456789abcdefABCDEF", p->s[p->i]) || !p->s[p->i])
                    return fail(p, "four hex digits after \\u");
        } else if (!strchr("\"\\/bfnrt", c) || !c) {
            p->i--;
            return fail(p, "an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX");
        }
    }
    return fail(p, "the closing '\"' of a string");
}

static int value(scan_t *p, int depth);

/* A container after its opening byte; close is ']' or '}'. */
static int container(scan_t *p, int depth, char close)
{
    p->i++;
    ws(p);
    if (p->i < p->len && p->s[p->i] == close) {
        p->i++;
        return 0;
    }
    for (;;) {
        int rc;
        if (close == '}') {
            if (p->i >= p->len || p->s[p->i] != '"')
                return fail(p, "a key in quotes");
            if ((rc = string(p)))
                return rc;
            ws(p);
            if (p->i >= p->len || p->s[p->i] != ':')
                return fail(p, "':'");
            p->i++;
        }
        if ((rc = value(p, depth + 1)))
            return rc;
        ws(p);
        if (p->i < p->len && p->s[p->i] == ',') {
            p->i++;
            ws(p);
            continue;
        }
        if (p->i < p->len && p->s[p->i] == close) {
            p->i++;
            return 0;
        }
        return fail(p, close == ']' ? "',' or ']'" : "',' or '}'");
    }
}

static int value(scan_t *p, int depth)
{
    ws(p);
    if (p->i >= p->len)
        return fail(p, "a value");
    if (depth >= JSON_SCAN_DEPTH)
        return fail(p, "at most 256 levels of nesting");
    switch (p->s[p->i]) {
    case '{': return container(p, depth, '}');
    case '[': return container(p, depth, ']');
    case '"': return string(p);
    case 't': return lit(p, "true");
    case 'f': return lit(p, "false");
    case 'n': return lit(p, "null");
    default:
        if (p->s[p->i] == '-' || is_digit(p))
            return number(p);
        return fail(p, "a value");
    }
}

int json_scan_top(const char *file, const char *text, size_t len, json_scan_fn fn, void *ctx,
                  diag_t *d)
{
    scan_t p = {text, len, 0, file, d};
    int rc = value(&p, 0);
    if (rc)
        return rc;
    ws(&p);
    if (p.i != len)
        return fail(&p, "the end of the text after one value");
    /* valid: now hand out the pieces */
    p.i = 0;
    ws(&p);
    if (text[p.i] != '[') {
        size_t end = len;
        while (end > p.i && strchr(" \t\r\n", text[end - 1]))
            end--;
        return fn(text + p.i, end - p.i, ctx);
    }
    p.i++;
    ws(&p);
    while (p.i < len && text[p.i] != ']') {
        size_t start = p.i;
        value(&p, 1); /* cannot fail: validated above */
        if ((rc = fn(text + start, p.i - start, ctx)))
            return rc;
        ws(&p);
        if (text[p.i] == ',') {
            p.i++;
            ws(&p);
        }
    }
    return 0;
}
