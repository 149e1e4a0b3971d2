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

void diag_format(const diag_t *d, char *buf, size_t size)
{
    if (d->file[0] && d->line)
        snprintf(buf, size, "%s:%lu: %s", d->file, d->line, d->msg);
    else if (d->file[0])
        snprintf(buf, size, "%s: %s", d->file, d->msg);
    else
        snprintf(buf, size, "%s", d->msg);
}
