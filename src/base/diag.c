/* SPDX-License-Identifier: MIT */
/*
 * diag.c - error descriptions carried from the library to main().
 * See include/vmlab/diag.h for the convention.
 */
#include "vmlab/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int diag_set(diag_t *d, const char *file, unsigned long line, int err,
             const char *fmt, ...)
{
    if (d) {
        va_list ap;
        snprintf(d->file, sizeof d->file, "%s", file ? file : "");
        d->line = line;
        d->err = err;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
    }
    return -err;
}

void diag_clear(diag_t *d)
{
    if (d)
        memset(d, 0, sizeof *d);
}

/* Control bytes (and DEL) of [s, ...) as \xNN into out[*at, cap): a
 * message quotes input, and raw bytes from a binary file must not reach
 * the terminal (escape sequences) or split the one-line message. */
static void put_escaped(char *out, size_t *at, size_t cap, const char *s)
{
    for (; *s && *at + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) {
            if (*at + 5 >= cap)
                break;
            snprintf(out + *at, cap - *at, "\\x%02x", c);
            *at += 4;
        } else {
            out[(*at)++] = (char)c;
        }
    }
    out[*at] = '\0';
}

void diag_format(const diag_t *d, char *buf, size_t size)
{
    char lineno[32];
    size_t at = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    if (d->file[0]) {
        put_escaped(buf, &at, size, d->file);
        if (d->line) {
            snprintf(lineno, sizeof lineno, ":%lu", d->line);
            put_escaped(buf, &at, size, lineno);
        }
        put_escaped(buf, &at, size, ": ");
    }
    put_escaped(buf, &at, size, d->msg);
}
