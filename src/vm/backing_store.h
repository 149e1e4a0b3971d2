/* SPDX-License-Identifier: MIT */
/*
 * backing_store.h - the OSC project's BACKING_STORE.bin, held in memory.
 *
 * The backing store is the swap device of the classic project: a file of
 * 2^16 bytes, page p at byte offset p * page_size.  It is read whole at start
 * (64 KiB), so that a short file is an error before any output, and served to
 * the vm core through its osc_vm_read_fn.
 */
#ifndef VMLAB_VM_BACKING_STORE_H
#define VMLAB_VM_BACKING_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"

typedef struct osc_backing_store {
    char *data; /* the whole file, malloc'd */
    size_t len; /* its length in bytes, >= the address space */
} osc_backing_store_t;

/* Load `path`; -EINVAL (with *d) if it is shorter than min_len bytes. */
int osc_backing_store_load(osc_backing_store_t *bs /* OUT */, const char *path, size_t min_len, diag_t *d);
void osc_backing_store_free(osc_backing_store_t *bs);
/* A osc_vm_read_fn over a osc_backing_store_t: 0, or -EIO past its end. */
int osc_backing_store_read(void *bs, uint64_t off, void *buf, uint32_t len);

#endif
