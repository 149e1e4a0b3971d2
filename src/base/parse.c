/* SPDX-License-Identifier: MIT */
/*
 * parse.c - strict number parsing (see include/vmlab/parse.h).
 * Hot in trace readers, so no locale, no strto*(), one pass over the digits.
 */
#include "vmlab/parse.h"

#include <errno.h>
#include <string.h>

int parse_u64_dec(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return -EINVAL;
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20; /* ASCII lower case */
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int parse_u64_hex(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        int d = hex_digit((unsigned char)s[i]);
        if (d < 0)
            return -EINVAL;
        if (v >> 60)
            return -ERANGE;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    unsigned shift = 0;
    uint64_t v;
    int rc;
    if (len > 1) {
        switch (s[len - 1]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: break;
        }
        if (shift)
            len--;
    }
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        rc = parse_u64_hex(s, len, &v);
    else
        rc = parse_u64_dec(s, len, &v);
    if (rc)
        return rc;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = v << shift;
    return 0;
}

void parse_trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' ||
                 p[n - 1] == '\n'))
        n--;
    *s = p;
    *len = n;
}
