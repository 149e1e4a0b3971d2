/* SPDX-License-Identifier: MIT */
/*
 * diag.h - how vmlab's library layers report an error to the one place that
 * prints it.
 *
 * Convention (all modules): a library call returns 0 (or a count) on success
 * and -errno on failure.  When the caller passes a diag_t, the call also fills
 * it with the file, the line and a sentence saying what is wrong and what was
 * expected; only main() prints it, as
 *
 *     vmlab: FILE:LINE: what is wrong (expected ...)
 *
 * and chooses the exit status.  A NULL diag_t is allowed everywhere: the
 * error code alone then tells what happened.
 */
#ifndef VMLAB_DIAG_H
#define VMLAB_DIAG_H

#include <stddef.h>

typedef struct diag {
    char file[512];     /* input the error is about; "" if none */
    unsigned long line; /* 1-based line in file; 0 if not about a line */
    int err;            /* positive errno value of the failure, 0 if unset */
    char msg[512];      /* what is wrong and what was expected, no newline */
} diag_t;

/* Fill *d (if d != NULL) and return -err, so callers can write
 * `return diag_set(d, path, lineno, EINVAL, "...", ...);`.  err > 0. */
int diag_set(diag_t *d, const char *file, unsigned long line, int err,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Clear *d (file "", line 0, err 0, msg ""). */
void diag_clear(diag_t *d);

/* Format *d as "FILE:LINE: msg", "FILE: msg" or "msg" into buf[size]. */
void diag_format(const diag_t *d, char *buf, size_t size);

#endif
