/* SPDX-License-Identifier: MIT */
/*
 * leak_report.h - the leak finder's report file (written by src/gc/leaks.c
 * inside the program, read by `vmlab gc leaks`):
 *
 *     leak SIZE definite|indirect 0xADDR     one per unreachable block
 *     frame 0xADDR OBJECT                   its allocation stack, innermost
 *                                           first (ADDR as addr2line wants it)
 *     end                                   the report is complete
 *
 * A report without "end" was cut short (the program died inside the
 * report): an error, as is any other line.
 */
#ifndef VMLAB_GC_LEAK_REPORT_H
#define VMLAB_GC_LEAK_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/vec.h"
#include "vmlab/diag.h"

typedef struct gcl_frame {
    uint64_t addr; /* for addr2line -e obj */
    char *obj;     /* the object file (owned) */
} gcl_frame_t;

typedef struct gcl_leak {
    uint64_t size;      /* bytes the program asked for */
    int indirect;       /* reached only from other leaked blocks */
    uint64_t addr;      /* the pointer malloc returned */
    size_t frame0;      /* its frames: frames.v[frame0 .. frame0 + nframes) */
    size_t nframes;
} gcl_leak_t;

typedef struct gcl_report {
    VL_VEC(gcl_leak_t) leaks;   /* in the file's order (address order) */
    VL_VEC(gcl_frame_t) frames; /* every leak's frames */
} gcl_report_t;

/* Parse text[0, len) (not necessarily NUL-terminated) named `name` in
 * messages: 0, or -EINVAL with d saying which line is wrong. */
int gcl_report_parse(const char *text, size_t len, const char *name, gcl_report_t *r /* OUT */,
                     diag_t *d);
void gcl_report_free(gcl_report_t *r);

#endif
