/* SPDX-License-Identifier: MIT */
/*
 * backing_store.c - BACKING_STORE.bin in memory (see backing_store.h).
 */
#include "vm/backing_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/env.h"

int osc_backing_store_load(osc_backing_store_t *bs, const char *path, size_t min_len, diag_t *d)
{
    int rc = env_read_max(path, min_len, &bs->data, &bs->len, d);
    if (rc)
        return rc;
    if (bs->len < min_len) {
        rc = diag_set(d, path, 0, EINVAL,
                      "backing store is %zu bytes, shorter than the address space "
                      "(expected at least %zu bytes)",
                      bs->len, min_len);
        osc_backing_store_free(bs);
    }
    return rc;
}

void osc_backing_store_free(osc_backing_store_t *bs)
{
    free(bs->data);
    bs->data = NULL;
    bs->len = 0;
}

int osc_backing_store_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
    const osc_backing_store_t *bs = ctx;
    if (off > bs->len || len > bs->len - off)
        return -EIO;
    memcpy(buf, bs->data + off, len);
    return 0;
}
