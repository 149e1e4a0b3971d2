/* SPDX-License-Identifier: MIT */
/*
 * parse.h - strict number parsing shared by every input format and option.
 *
 * strtoul() accepts "  -3" (as a huge number), "12abc" (as 12) and overflows
 * silently; these do not.  Each function accepts exactly one number spanning
 * [s, s + len) and nothing else (no sign, no spaces), and returns 0 or
 * -EINVAL (not a number of that form) or -ERANGE (too large).
 */
#ifndef VMLAB_PARSE_H
#define VMLAB_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits only. */
int parse_u64_dec(const char *s, size_t len, uint64_t *out /* OUT */);
/* Hexadecimal digits, with an optional "0x"/"0X" prefix. */
int parse_u64_hex(const char *s, size_t len, uint64_t *out /* OUT */);
/* A whole NUL-terminated option value: decimal, or hex with a 0x prefix,
 * optionally followed by a binary size suffix k, K, m, M, g, G (x 1024^n). */
int parse_size(const char *s, uint64_t *out /* OUT */);

/* Trim ASCII spaces, tabs, CR and LF from both ends of [*s, *s + *len). */
void parse_trim(const char **s, size_t *len);

#endif
