/* SPDX-License-Identifier: MIT */
/*
 * kpageflags.c - names of the bits of /proc/kpageflags.
 *
 * Bits 0-26 are the stable ABI (include/uapi/linux/kernel-page-flags.h,
 * Documentation/admin-guide/mm/pagemap.rst); bits 32 and up are the
 * kernel-internal ones fs/proc/page.c exports as they are
 * (include/linux/kernel-page-flags.h), named here for completeness.
 * Since Linux 5.19 an anonymous page's PG_mappedtodisk bit is
 * PG_anon_exclusive (include/linux/page-flags.h: the page may be written
 * without a copy), so bit 34 is named for what it means on the page.
 */
#include "vmlab/inspect.h"

#include <stdio.h>
#include <string.h>

static const char *const kpf[64] = {
    [0] = "locked",         [1] = "error",          [2] = "referenced",   [3] = "uptodate",
    [4] = "dirty",          [5] = "lru",            [6] = "active",       [7] = "slab",
    [8] = "writeback",      [9] = "reclaim",        [10] = "buddy",       [11] = "mmap",
    [12] = "anon",          [13] = "swapcache",     [14] = "swapbacked",  [15] = "compound_head",
    [16] = "compound_tail", [17] = "huge",          [18] = "unevictable", [19] = "hwpoison",
    [20] = "nopage",        [21] = "ksm",           [22] = "thp",         [23] = "offline",
    [24] = "zero_page",     [25] = "idle",          [26] = "pgtable",
    [32] = "reserved",      [33] = "mlocked",       [34] = "mappedtodisk", [35] = "private",
    [36] = "private_2",     [37] = "owner_private", [38] = "arch",        [39] = "uncached",
    [40] = "softdirty",     [41] = "arch_2",        [42] = "arch_3",
};

const char *inspect_kpf_name(unsigned b)
{
    return b < 64 ? kpf[b] : NULL;
}

void inspect_kpf_format(uint64_t flags, const char *sep, char *buf, size_t n)
{
    size_t len = strlen(buf);
    for (unsigned b = 0; b < 64; b++) {
        char tmp[16];
        const char *name;
        int w;
        if (!(flags >> b & 1))
            continue;
        name = kpf[b];
        if (b == 34 && (flags >> 12 & 1))
            name = "anon_exclusive";
        if (!name) {
            snprintf(tmp, sizeof tmp, "bit%u", b);
            name = tmp;
        }
        if (len >= n)
            return;
        w = snprintf(buf + len, n - len, "%s%s", len ? sep : "", name);
        if (w < 0 || (size_t)w >= n - len) {
            buf[len] = '\0'; /* never a truncated name */
            return;
        }
        len += (size_t)w;
    }
}
