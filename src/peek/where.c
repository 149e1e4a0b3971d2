/* SPDX-License-Identifier: MIT */
/*
 * where.c - which mapping an address falls in, or, when none, the nearest
 * mappings on either side (the gap a stray pointer landed in), and which
 * mappings a scan reads (the --regions classes).
 *
 * Classes follow the classification of src/inspect/classify.c: heap is the
 * brk area plus private anonymous memory (glibc's malloc serves blocks of
 * M_MMAP_THRESHOLD and more, and thread arenas, from anonymous mmaps);
 * stack is the main thread's [stack]; data is the writable segments of the
 * executable and its libraries (.data, .bss); other is any remaining
 * readable and writable mapping (shared memory, writable file mappings).
 */
#include "vmlab/peek.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void describe(const inspect_map_t *m, char *buf, size_t n)
{
    snprintf(buf, n, "0x%jx-0x%jx %s %s (%s%s)", (uintmax_t)m->start, (uintmax_t)m->end,
             m->perms, m->path[0] ? m->path : "[anonymous]", m->library ? "lib " : "",
             inspect_kind_name(m->kind));
}

const char *peek_where(const inspect_maps_t *mm, uint64_t addr, char *buf, size_t n)
{
    const inspect_map_t *m = inspect_maps_find(mm, addr);
    char a[700], b[700];
    if (m) {
        describe(m, a, sizeof a);
        snprintf(buf, n, "in %s, offset 0x%jx", a, (uintmax_t)(addr - m->start));
        return buf;
    }
    {
        const inspect_map_t *below = NULL, *above = NULL;
        for (size_t i = 0; i < mm->n; i++) {
            if (mm->m[i].end <= addr)
                below = &mm->m[i];
            else if (mm->m[i].start > addr && !above)
                above = &mm->m[i];
        }
        if (below)
            describe(below, a, sizeof a);
        if (above)
            describe(above, b, sizeof b);
        if (below && above)
            snprintf(buf, n,
                     "in no mapping: the nearest are %s, 0x%jx bytes below, and %s, 0x%jx bytes "
                     "above",
                     a, (uintmax_t)(addr - below->end + 1), b, (uintmax_t)(above->start - addr));
        else if (below)
            snprintf(buf, n, "in no mapping: above the last one, %s, by 0x%jx bytes", a,
                     (uintmax_t)(addr - below->end + 1));
        else if (above)
            snprintf(buf, n, "in no mapping: below the first one, %s, by 0x%jx bytes", b,
                     (uintmax_t)(above->start - addr));
        else
            snprintf(buf, n, "in no mapping: the process has none");
    }
    return buf;
}

int peek_regions_parse(const char *s, unsigned *mask)
{
    static const struct {
        const char *name;
        unsigned bit;
    } words[] = {{"heap", PEEK_R_HEAP},   {"stack", PEEK_R_STACK}, {"data", PEEK_R_DATA},
                 {"other", PEEK_R_OTHER}, {"all", PEEK_R_ALL}};
    unsigned m = 0;
    const char *p = s;
    if (!*s)
        return -EINVAL;
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t i;
        for (i = 0; i < sizeof words / sizeof words[0]; i++)
            if (strlen(words[i].name) == len && strncmp(p, words[i].name, len) == 0)
                break;
        if (i == sizeof words / sizeof words[0])
            return -EINVAL;
        m |= words[i].bit;
        p += len;
        if (*p == ',') {
            p++;
            if (!*p)
                return -EINVAL;
        }
    }
    *mask = m;
    return 0;
}

unsigned peek_region_class(const inspect_map_t *m)
{
    if (m->perms[0] != 'r' || m->perms[1] != 'w')
        return 0;
    switch (m->kind) {
    case INSPECT_K_HEAP: return PEEK_R_HEAP;
    case INSPECT_K_STACK: return PEEK_R_STACK;
    case INSPECT_K_DATA:
    case INSPECT_K_BSS:
    case INSPECT_K_RELRO: return PEEK_R_DATA;
    case INSPECT_K_ANON: return m->perms[3] == 'p' ? PEEK_R_HEAP : PEEK_R_OTHER;
    default: return PEEK_R_OTHER;
    }
}
