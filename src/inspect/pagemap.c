/* SPDX-License-Identifier: MIT */
/*
 * pagemap.c - /proc/PID/pagemap decoded: which frame backs a virtual page.
 *
 * One 64-bit entry per virtual page, at byte offset (vaddr / PAGE_SIZE) * 8
 * (Documentation/admin-guide/mm/pagemap.rst):
 *
 *     bit 63     page present            bit 62     page swapped
 *     bit 61     file page or shared anon bit 57     userfaultfd write-protected
 *     bit 56     exclusively mapped       bit 55     soft-dirty
 *     bits 0-54  PFN if present, else (if swapped) bits 0-4 swap type,
 *                bits 5-54 swap offset
 *
 * Since Linux 4.2 the PFN is zeroed unless the reader has CAP_SYS_ADMIN, so
 * a present page with PFN 0 means "hidden", never frame 0.  The frame's own
 * state comes from /proc/kpageflags and /proc/kpagecount (root only), one
 * 64-bit word per PFN.
 */
#include "vmlab/inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE (1ull << 61)
#define PM_UFFD_WP (1ull << 57)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_SOFT_DIRTY (1ull << 55)
#define PM_PFN_MASK ((1ull << 55) - 1)

void inspect_pagemap_decode(uint64_t raw, uint64_t vaddr, inspect_page_t *out)
{
    memset(out, 0, sizeof *out);
    out->vaddr = vaddr;
    out->raw = raw;
    out->present = !!(raw & PM_PRESENT);
    out->swapped = !!(raw & PM_SWAP);
    out->file_shared = !!(raw & PM_FILE);
    out->uffd_wp = !!(raw & PM_UFFD_WP);
    out->exclusive = !!(raw & PM_EXCLUSIVE);
    out->soft_dirty = !!(raw & PM_SOFT_DIRTY);
    if (out->present) {
        out->pfn = raw & PM_PFN_MASK;
        out->pfn_hidden = out->pfn == 0;
    } else if (out->swapped) {
        out->swap_type = (unsigned)(raw & 0x1f);
        out->swap_offset = (raw & PM_PFN_MASK) >> 5;
    }
}

int inspect_pagemap_read(const inspect_src_t *src, int pid, uint64_t vaddr, size_t n,
                         int with_kflags, inspect_page_t *out, diag_t *d)
{
    uint64_t ps = inspect_page_size();
    uint64_t *raw;
    int rc;
    if (n == 0)
        return 0;
    if (n > SIZE_MAX / 8 || vaddr % ps)
        return diag_set(d, "pagemap", 0, EINVAL, "bad page range (expected page-aligned, not huge)");
    raw = malloc(n * 8);
    if (!raw)
        return diag_set(d, "pagemap", 0, ENOMEM, "out of memory");
    rc = src->read_at(src->ctx, pid, "pagemap", vaddr / ps * 8, raw, n * 8, d);
    if (rc) {
        free(raw);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        inspect_pagemap_decode(raw[i], vaddr + i * ps, &out[i]);
        if (with_kflags && out[i].present && !out[i].pfn_hidden) {
            uint64_t w;
            if (src->read_at(src->ctx, -1, "kpageflags", out[i].pfn * 8, &w, 8, NULL) == 0) {
                out[i].kflags = w;
                out[i].have_kflags = 1;
            }
            if (src->read_at(src->ctx, -1, "kpagecount", out[i].pfn * 8, &w, 8, NULL) == 0) {
                out[i].count = w;
                out[i].have_count = 1;
            }
        }
    }
    free(raw);
    return 0;
}
