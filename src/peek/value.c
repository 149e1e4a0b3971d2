/* SPDX-License-Identifier: MIT */
/*
 * value.c - the value types of peek, poke and scan: names, sizes, strict
 * parsing with range checks, formatting.
 *
 * Values are stored little-endian as x86-64 and AArch64 Linux keep them in
 * memory, so the bytes parsed here are the bytes written into the target.
 * Integers are parsed strictly (vmlab/parse.h: no spaces, no trailing
 * junk); a '-' is accepted for signed types only; hex ("0x...") is taken as
 * the type's bit pattern, so "0xff" fits u8 and i8 (as -1) alike.
 */
#include "vmlab/peek.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/parse.h"

static const struct {
    const char *name; /* command-line name */
    size_t size;      /* bytes, 0 if variable */
} types[PEEK_TYPE_COUNT] = {
    [PEEK_I8] = {"i8", 1},   [PEEK_I16] = {"i16", 2}, [PEEK_I32] = {"i32", 4},
    [PEEK_I64] = {"i64", 8}, [PEEK_U8] = {"u8", 1},   [PEEK_U16] = {"u16", 2},
    [PEEK_U32] = {"u32", 4}, [PEEK_U64] = {"u64", 8}, [PEEK_F32] = {"f32", 4},
    [PEEK_F64] = {"f64", 8}, [PEEK_STRING] = {"string", 0}, [PEEK_BYTES] = {"bytes", 0},
};

int peek_type_parse(const char *name, peek_type_t *t)
{
    for (int i = 0; i < PEEK_TYPE_COUNT; i++)
        if (strcmp(name, types[i].name) == 0) {
            *t = (peek_type_t)i;
            return 0;
        }
    /* scanmem's names, for those who come from it */
    static const struct {
        const char *alias;
        peek_type_t t;
    } alias[] = {{"int8", PEEK_I8},     {"int16", PEEK_I16},   {"int32", PEEK_I32},
                 {"int64", PEEK_I64},   {"float32", PEEK_F32}, {"float64", PEEK_F64},
                 {"float", PEEK_F32},   {"double", PEEK_F64},  {"str", PEEK_STRING}};
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(name, alias[i].alias) == 0) {
            *t = alias[i].t;
            return 0;
        }
    return -EINVAL;
}

const char *peek_type_name(peek_type_t t)
{
    return (unsigned)t < PEEK_TYPE_COUNT ? types[t].name : "?";
}

size_t peek_type_size(peek_type_t t)
{
    return (unsigned)t < PEEK_TYPE_COUNT ? types[t].size : 0;
}

int peek_type_numeric(peek_type_t t)
{
    return t <= PEEK_F64;
}

const char *peek_type_list(void)
{
    return "i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 string bytes";
}

static int is_signed(peek_type_t t)
{
    return t <= PEEK_I64;
}

static void store_le(uint64_t v, void *buf, size_t n)
{
    unsigned char *b = buf;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t load_le(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_int(peek_type_t t, const char *text, void *buf, size_t *len, diag_t *d)
{
    size_t size = types[t].size, n = strlen(text);
    unsigned bits = (unsigned)(8 * size);
    uint64_t mag, umax = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
    int neg = 0, hex, rc;
    const char *s = text;

    if (n && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++;
        n--;
    }
    hex = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    rc = hex ? parse_u64_hex(s, n, &mag) : parse_u64_dec(s, n, &mag);
    if (rc == -EINVAL)
        return diag_set(d, NULL, 0, EINVAL, "'%s' is not a %s value (expected %s)", text,
                        types[t].name,
                        is_signed(t) ? "a decimal number with an optional '-', or 0x hex"
                                     : "a decimal number or 0x hex");
    if (is_signed(t)) {
        uint64_t lim = (uint64_t)1 << (bits - 1); /* |min| */
        int ok = rc == 0 && (hex ? !neg && mag <= umax : neg ? mag <= lim : mag < lim);
        if (!ok)
            return diag_set(d, NULL, 0, ERANGE, "%s does not fit %s (expected %jd..%jd%s)", text,
                            types[t].name, bits == 64 ? (intmax_t)INT64_MIN : -(intmax_t)lim,
                            (intmax_t)(lim - 1), hex ? ", or 0x hex up to the type's width" : "");
        store_le(neg ? (uint64_t)0 - mag : mag, buf, size);
    } else {
        if (rc != 0 || neg || mag > umax)
            return diag_set(d, NULL, 0, ERANGE, "%s does not fit %s (expected 0..%ju)", text,
                            types[t].name, (uintmax_t)umax);
        store_le(mag, buf, size);
    }
    *len = size;
    return 0;
}

static int parse_float(peek_type_t t, const char *text, void *buf, size_t *len, diag_t *d)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end || text[0] == ' ' || text[0] == '\t')
        return diag_set(d, NULL, 0, EINVAL, "'%s' is not a %s value (expected a number like 1.5, "
                                            "-2e-3, inf or nan)",
                        text, types[t].name);
    if (t == PEEK_F32) {
        float f = (float)v;
        if (isinf(f) && !isinf(v))
            return diag_set(d, NULL, 0, ERANGE, "%s does not fit f32 (expected a magnitude below "
                                                "3.4e38)",
                            text);
        memcpy(buf, &f, 4);
        *len = 4;
    } else {
        if (errno == ERANGE && isinf(v))
            return diag_set(d, NULL, 0, ERANGE, "%s does not fit f64 (expected a magnitude below "
                                                "1.8e308)",
                            text);
        memcpy(buf, &v, 8);
        *len = 8;
    }
    return 0;
}

/* Hex pairs into b[cap]; with mask, "??" is a wildcard (mask 0, byte 0). */
static int parse_hex_pairs(const char *text, unsigned char *b, unsigned char *mask, size_t cap,
                           size_t *len, diag_t *d)
{
    size_t n = 0;
    const char *p = text;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    while (*p) {
        int hi, lo, wild = mask && p[0] == '?' && p[1] == '?';
        if (*p == ' ' || *p == '\t' || *p == ':') {
            p++;
            continue;
        }
        hi = hexval((unsigned char)p[0]);
        lo = hi < 0 || !p[1] ? -1 : hexval((unsigned char)p[1]);
        if (lo < 0 && !wild)
            return diag_set(d, NULL, 0, EINVAL, "'%s' is not a bytes %s (expected pairs of hex "
                                                "digits such as 'de ad be ef'%s)",
                            text, mask ? "pattern" : "value", mask ? ", ?? for any byte" : "");
        if (n == cap)
            return diag_set(d, NULL, 0, ERANGE, "the bytes %s is too long (expected at most "
                                                "%zu bytes)",
                            mask ? "pattern" : "value", cap);
        b[n] = wild ? 0 : (unsigned char)(hi << 4 | lo);
        if (mask)
            mask[n] = wild ? 0 : 0xff;
        n++;
        p += 2;
    }
    if (n == 0)
        return diag_set(d, NULL, 0, EINVAL, "empty bytes value (expected pairs of hex digits)");
    *len = n;
    return 0;
}

static int parse_bytes(const char *text, void *buf, size_t cap, size_t *len, diag_t *d)
{
    return parse_hex_pairs(text, buf, NULL, cap, len, d);
}

int peek_pattern_parse(peek_type_t t, const char *text, peek_pattern_t *p, diag_t *d)
{
    int rc;
    memset(p, 0, sizeof *p);
    if (t == PEEK_BYTES) {
        if ((rc = parse_hex_pairs(text, p->b, p->mask, PEEK_PATTERN_MAX, &p->len, d)))
            return rc;
        for (size_t i = 0; i < p->len; i++)
            p->wild += p->mask[i] == 0;
        if (p->wild == p->len)
            return diag_set(d, NULL, 0, EINVAL, "'%s' is only wildcards (expected at least one "
                                                "hex pair that is not ?\?)",
                            text);
        return 0;
    }
    if (t != PEEK_STRING)
        return diag_set(d, NULL, 0, EINVAL, "a pattern is a string or bytes (not %s)",
                        peek_type_name(t));
    if ((rc = peek_value_parse(PEEK_STRING, text, p->b, PEEK_PATTERN_MAX, &p->len, d)))
        return rc;
    memset(p->mask, 0xff, p->len);
    return 0;
}

int peek_value_parse(peek_type_t t, const char *text, void *buf, size_t cap, size_t *len,
                     diag_t *d)
{
    if ((unsigned)t >= PEEK_TYPE_COUNT)
        return diag_set(d, NULL, 0, EINVAL, "unknown type");
    if (peek_type_numeric(t) && cap < types[t].size)
        return diag_set(d, NULL, 0, EINVAL, "buffer too small for %s", types[t].name);
    if (t == PEEK_F32 || t == PEEK_F64)
        return parse_float(t, text, buf, len, d);
    if (peek_type_numeric(t))
        return parse_int(t, text, buf, len, d);
    if (t == PEEK_BYTES)
        return parse_bytes(text, buf, cap, len, d);
    {
        size_t n = strlen(text);
        if (n == 0)
            return diag_set(d, NULL, 0, EINVAL, "empty string value (expected some text)");
        if (n > cap)
            return diag_set(d, NULL, 0, ERANGE, "the string is too long (expected at most %zu "
                                                "bytes)",
                            cap);
        memcpy(buf, text, n);
        *len = n;
    }
    return 0;
}

const char *peek_value_format(peek_type_t t, const void *p, size_t n, char *buf, size_t size)
{
    size_t w = peek_type_size(t);
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (peek_type_numeric(t) && n < w)
        return buf;
    switch (t) {
    case PEEK_I8: snprintf(buf, size, "%d", (int8_t)load_le(p, 1)); break;
    case PEEK_I16: snprintf(buf, size, "%d", (int16_t)load_le(p, 2)); break;
    case PEEK_I32: snprintf(buf, size, "%d", (int32_t)load_le(p, 4)); break;
    case PEEK_I64: snprintf(buf, size, "%jd", (intmax_t)(int64_t)load_le(p, 8)); break;
    case PEEK_U8:
    case PEEK_U16:
    case PEEK_U32:
    case PEEK_U64: snprintf(buf, size, "%ju", (uintmax_t)load_le(p, w)); break;
    case PEEK_F32: {
        float f;
        memcpy(&f, p, 4);
        snprintf(buf, size, "%.9g", (double)f);
        break;
    }
    case PEEK_F64: {
        double v;
        memcpy(&v, p, 8);
        snprintf(buf, size, "%.17g", v);
        break;
    }
    case PEEK_STRING: {
        const unsigned char *s = p;
        size_t o = 0;
        for (size_t i = 0; i < n && s[i] && o + 5 < size; i++) {
            if (s[i] == '"' || s[i] == '\\')
                o += (size_t)snprintf(buf + o, size - o, "\\%c", s[i]);
            else if (s[i] < 0x20 || s[i] >= 0x7f)
                o += (size_t)snprintf(buf + o, size - o, "\\x%02x", s[i]);
            else
                buf[o++] = (char)s[i];
        }
        buf[o] = '\0';
        break;
    }
    case PEEK_BYTES: {
        const unsigned char *s = p;
        size_t o = 0;
        for (size_t i = 0; i < n && o + 4 < size; i++)
            o += (size_t)snprintf(buf + o, size - o, i ? " %02x" : "%02x", s[i]);
        break;
    }
    default: break;
    }
    return buf;
}
