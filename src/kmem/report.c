/* SPDX-License-Identifier: MIT */
/*
 * report.c - the kernel's memory reports, printed and parsed: /proc/slabinfo
 * version 2.1 (mm/slab_common.c print_slabinfo_header and cache_show; SLUB
 * prints tunables 0 0 0), /proc/buddyinfo (mm/vmstat.c frag_show_print),
 * the unusable free space index and the external fragmentation index
 * (mm/vmstat.c unusable_free_index, __fragmentation_index,
 * fill_contig_page_info, printed as the files in /sys/kernel/debug/extfrag print them),
 * and procps-ng slabtop's screen (its summary lines and columns).
 *
 * The same numbers come from the live allocator (kmem_slabinfo,
 * kmem_buddyinfo) or from a real machine's files (kmem_parse_*), so one
 * printing path serves both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "kmem/kmem_impl.h"
#include "vmlab/parse.h"

/* ---- the indices (mm/vmstat.c, integer arithmetic) ---- */

typedef struct contig_info {
    uint64_t free_pages, free_blocks_total, free_blocks_suitable;
} contig_info_t;

static void fill_contig_page_info(const kmem_zoneinfo_t *z, unsigned suitable_order, contig_info_t *info)
{
    *info = (contig_info_t){0};
    for (unsigned order = 0; order < z->norders; order++) {
        uint64_t blocks = z->nr_free[order];
        info->free_blocks_total += blocks;
        info->free_pages += blocks << order;
        if (order >= suitable_order)
            info->free_blocks_suitable += blocks << (order - suitable_order);
    }
}

int kmem_extfrag_index(const kmem_zoneinfo_t *z, unsigned order)
{
    contig_info_t info;
    uint64_t requested = (uint64_t)1 << order;
    if (order >= z->norders)
        return 0;
    fill_contig_page_info(z, order, &info);
    if (!info.free_blocks_total)
        return 0;
    if (info.free_blocks_suitable)
        return -1000;
    return 1000 - (int)((1000 + info.free_pages * 1000ull / requested) / info.free_blocks_total);
}

int kmem_unusable_index(const kmem_zoneinfo_t *z, unsigned order)
{
    contig_info_t info;
    fill_contig_page_info(z, order, &info);
    if (info.free_pages == 0)
        return 1000;
    return (int)((info.free_pages - (info.free_blocks_suitable << order)) * 1000ull / info.free_pages);
}

/* ---- printing ---- */

void kmem_print_slabinfo(FILE *f, const kmem_slabinfo_t *s, size_t n)
{
    fputs("slabinfo - version: 2.1\n", f);
    fputs("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
          " : tunables <limit> <batchcount> <sharedfactor>"
          " : slabdata <active_slabs> <num_slabs> <sharedavail>\n",
          f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-17s %6ju %6ju %6ju %4ju %4ju : tunables %4ju %4ju %4ju : slabdata %6ju %6ju %6ju\n", s[i].name,
                (uintmax_t)s[i].active_objs, (uintmax_t)s[i].num_objs, (uintmax_t)s[i].objsize,
                (uintmax_t)s[i].objperslab, (uintmax_t)s[i].pagesperslab, (uintmax_t)s[i].limit,
                (uintmax_t)s[i].batchcount, (uintmax_t)s[i].sharedfactor, (uintmax_t)s[i].active_slabs,
                (uintmax_t)s[i].num_slabs, (uintmax_t)s[i].sharedavail);
}

static void zone_prefix(FILE *f, const kmem_zoneinfo_t *z) { fprintf(f, "Node %d, zone %8s ", z->node, z->zone); }

void kmem_print_buddyinfo(FILE *f, const kmem_zoneinfo_t *z, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        zone_prefix(f, &z[i]);
        for (unsigned o = 0; o < z[i].norders; o++)
            fprintf(f, "%6ju ", (uintmax_t)z[i].nr_free[o]);
        fputc('\n', f);
    }
}

void kmem_print_extfrag(FILE *f, const kmem_zoneinfo_t *z, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        zone_prefix(f, &z[i]);
        for (unsigned o = 0; o < z[i].norders; o++) {
            int index = kmem_extfrag_index(&z[i], o);
            fprintf(f, "%2d.%03d ", index / 1000, index % 1000);
        }
        fputc('\n', f);
    }
}

void kmem_print_unusable(FILE *f, const kmem_zoneinfo_t *z, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        zone_prefix(f, &z[i]);
        for (unsigned o = 0; o < z[i].norders; o++) {
            int index = kmem_unusable_index(&z[i], o);
            fprintf(f, "%d.%03d ", index / 1000, index % 1000);
        }
        fputc('\n', f);
    }
}

static int cmp_objs_desc(const void *a, const void *b)
{
    const kmem_slabinfo_t *x = *(const kmem_slabinfo_t *const *)a, *y = *(const kmem_slabinfo_t *const *)b;
    if (x->num_objs != y->num_objs)
        return x->num_objs > y->num_objs ? -1 : 1;
    return strcmp(x->name, y->name);
}

void kmem_print_slabtop(FILE *f, const kmem_slabinfo_t *s, size_t n, size_t max_rows)
{
    uint64_t objs = 0, active = 0, slabs = 0, aslabs = 0, acaches = 0, min = 0, max = 0;
    double tsize = 0, asize = 0;
    const kmem_slabinfo_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        objs += s[i].num_objs;
        active += s[i].active_objs;
        slabs += s[i].num_slabs;
        aslabs += s[i].active_slabs;
        acaches += s[i].active_objs > 0;
        tsize += (double)s[i].num_objs * (double)s[i].objsize;
        asize += (double)s[i].active_objs * (double)s[i].objsize;
        if (i == 0 || s[i].objsize < min)
            min = s[i].objsize;
        if (s[i].objsize > max)
            max = s[i].objsize;
        if (v)
            v[i] = &s[i];
    }
#define PCT(a, b) ((b) ? 100.0 * (double)(a) / (double)(b) : 0.0)
    fprintf(f, " %-35s: %ju / %ju (%.1f%%)\n", "Active / Total Objects (% used)", (uintmax_t)active,
            (uintmax_t)objs, PCT(active, objs));
    fprintf(f, " %-35s: %ju / %ju (%.1f%%)\n", "Active / Total Slabs (% used)", (uintmax_t)aslabs, (uintmax_t)slabs,
            PCT(aslabs, slabs));
    fprintf(f, " %-35s: %ju / %zu (%.1f%%)\n", "Active / Total Caches (% used)", (uintmax_t)acaches, n,
            PCT(acaches, n));
    fprintf(f, " %-35s: %.2fK / %.2fK (%.1f%%)\n", "Active / Total Size (% used)", asize / 1024.0, tsize / 1024.0,
            tsize > 0 ? 100.0 * asize / tsize : 0.0);
    fprintf(f, " %-35s: %.2fK / %.2fK / %.2fK\n\n", "Minimum / Average / Maximum Object", (double)min / 1024.0,
            objs ? (double)(uint64_t)(tsize / (double)objs) / 1024.0 : 0.0, (double)max / 1024.0);
#undef PCT
    fprintf(f, "%6s %6s %4s %8s %6s %8s %10s %-23s\n", "OBJS", "ACTIVE", "USE", "OBJ SIZE", "SLABS", "OBJ/SLAB",
            "CACHE SIZE", "NAME");
    if (!v)
        return;
    qsort(v, n, sizeof *v, cmp_objs_desc);
    for (size_t i = 0; i < n && i < max_rows; i++) {
        const kmem_slabinfo_t *c = v[i];
        unsigned use = c->num_objs ? (unsigned)(100 * c->active_objs / c->num_objs) : 0;
        fprintf(f, "%6ju %6ju %3u%% %7.2fK %6ju %8ju %9juK %-23s\n", (uintmax_t)c->num_objs,
                (uintmax_t)c->active_objs, use, (double)c->objsize / 1024.0, (uintmax_t)c->num_slabs,
                (uintmax_t)c->objperslab, (uintmax_t)(c->num_slabs * c->pagesperslab * KMEM_PAGE_SIZE / 1024),
                c->name);
    }
    free(v);
}

/* ---- parsing ---- */

/* Next line of [*p, end): sets *ls, *ll; 0 at the end. */
static int next_line(const char **p, const char *end, const char **ls, size_t *ll)
{
    const char *nl;
    if (*p >= end)
        return 0;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    *ls = *p;
    *ll = (size_t)((nl ? nl : end) - *p);
    *p = nl ? nl + 1 : end;
    return 1;
}

/* Next whitespace-separated token of [*p, e). */
static int token(const char **p, const char *e, const char **ts, size_t *tl)
{
    while (*p < e && (**p == ' ' || **p == '\t' || **p == '\r'))
        (*p)++;
    if (*p >= e)
        return 0;
    *ts = *p;
    while (*p < e && **p != ' ' && **p != '\t' && **p != '\r')
        (*p)++;
    *tl = (size_t)(*p - *ts);
    return 1;
}

static int tok_u64(const char **p, const char *e, uint64_t *v)
{
    const char *t;
    size_t l;
    return token(p, e, &t, &l) && parse_u64_dec(t, l, v) == 0;
}

static int tok_is(const char **p, const char *e, const char *word)
{
    const char *t;
    size_t l;
    return token(p, e, &t, &l) && l == strlen(word) && memcmp(t, word, l) == 0;
}

#define PARSE_MAX_LINES 1000000u

int kmem_parse_slabinfo(const char *text, size_t len, const char *file, kmem_slabinfo_t **out, size_t *n,
                        diag_t *d)
{
    const char *p = text, *end = text + len, *ls;
    size_t ll, cap = 0, cnt = 0;
    unsigned long line = 0;
    kmem_slabinfo_t *v = NULL;
    *out = NULL;
    *n = 0;
    while (next_line(&p, end, &ls, &ll)) {
        const char *q = ls, *e = ls + ll, *t;
        size_t tl;
        kmem_slabinfo_t s = {0};
        line++;
        if (line == 1) {
            if (ll < 23 || memcmp(ls, "slabinfo - version: 2.1", 23) != 0) {
                free(v);
                return diag_set(d, file, line, EINVAL, "not a /proc/slabinfo file (expected 'slabinfo - version: 2.1')");
            }
            continue;
        }
        if (ll > 0 && ls[0] == '#')
            continue;
        if (!token(&q, e, &t, &tl))
            continue; /* an empty line */
        if (tl >= sizeof s.name) {
            free(v);
            return diag_set(d, file, line, EINVAL, "cache name longer than %zu bytes", sizeof s.name - 1);
        }
        for (size_t i = 0; i < tl; i++)
            if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e || t[0] == '#') {
                free(v);
                return diag_set(d, file, line, EINVAL, "bad cache name (expected printable ASCII, not starting with '#')");
            }
        memcpy(s.name, t, tl);
        if (!tok_u64(&q, e, &s.active_objs) || !tok_u64(&q, e, &s.num_objs) || !tok_u64(&q, e, &s.objsize) ||
            !tok_u64(&q, e, &s.objperslab) || !tok_u64(&q, e, &s.pagesperslab) || !tok_is(&q, e, ":") ||
            !tok_is(&q, e, "tunables") || !tok_u64(&q, e, &s.limit) || !tok_u64(&q, e, &s.batchcount) ||
            !tok_u64(&q, e, &s.sharedfactor) || !tok_is(&q, e, ":") || !tok_is(&q, e, "slabdata") ||
            !tok_u64(&q, e, &s.active_slabs) || !tok_u64(&q, e, &s.num_slabs) || !tok_u64(&q, e, &s.sharedavail)) {
            free(v);
            return diag_set(d, file, line, EINVAL,
                            "bad slabinfo line (expected NAME and 5 numbers : tunables 3 numbers : slabdata 3 numbers)");
        }
        /* (statistics) versions add ": globalstat ..." fields: ignored */
        if (cnt >= PARSE_MAX_LINES) {
            free(v);
            return diag_set(d, file, line, EINVAL, "too many caches (expected at most %u)", PARSE_MAX_LINES);
        }
        if (vl_grow((void **)&v, &cap, cnt + 1, sizeof *v)) {
            free(v);
            return diag_set(d, file, line, ENOMEM, "out of memory");
        }
        v[cnt++] = s;
    }
    if (line == 0) {
        free(v);
        return diag_set(d, file, 0, EINVAL, "empty file (expected /proc/slabinfo)");
    }
    *out = v;
    *n = cnt;
    return 0;
}

int kmem_parse_buddyinfo(const char *text, size_t len, const char *file, kmem_zoneinfo_t **out, size_t *n,
                         diag_t *d)
{
    const char *p = text, *end = text + len, *ls;
    size_t ll, cap = 0, cnt = 0;
    unsigned long line = 0;
    kmem_zoneinfo_t *v = NULL;
    *out = NULL;
    *n = 0;
    while (next_line(&p, end, &ls, &ll)) {
        const char *q = ls, *e = ls + ll, *t;
        size_t tl;
        uint64_t node;
        kmem_zoneinfo_t z = {0};
        line++;
        if (!token(&q, e, &t, &tl))
            continue;
        if (!(tl == 4 && memcmp(t, "Node", 4) == 0) || !token(&q, e, &t, &tl) || tl < 2 || t[tl - 1] != ',' ||
            parse_u64_dec(t, tl - 1, &node) != 0 || node > 1u << 20 || !tok_is(&q, e, "zone") ||
            !token(&q, e, &t, &tl) || tl >= sizeof z.zone) {
            free(v);
            return diag_set(d, file, line, EINVAL, "bad buddyinfo line (expected 'Node N, zone NAME' and counts)");
        }
        z.node = (int)node;
        memcpy(z.zone, t, tl);
        while (token(&q, e, &t, &tl)) {
            if (z.norders == 32 || parse_u64_dec(t, tl, &z.nr_free[z.norders]) != 0 ||
                z.nr_free[z.norders] > ((uint64_t)1 << 48)) {
                free(v);
                return diag_set(d, file, line, EINVAL, "bad free count '%.*s' for order %u (expected a number, at most 32 orders)",
                                (int)(tl > 40 ? 40 : tl), t, z.norders);
            }
            z.norders++;
        }
        if (z.norders == 0) {
            free(v);
            return diag_set(d, file, line, EINVAL, "no free counts (expected one per order)");
        }
        {
            /* bounded so that the kernel's u64 arithmetic cannot overflow */
            uint64_t pages = 0;
            for (unsigned o = 0; o < z.norders; o++) {
                if (o >= 40 || z.nr_free[o] > (((uint64_t)1 << 40) >> o) || (pages += z.nr_free[o] << o) > ((uint64_t)1 << 40)) {
                    free(v);
                    return diag_set(d, file, line, EINVAL, "more than 2^40 free pages in zone %s (expected a real machine's counts)",
                                    z.zone);
                }
            }
        }
        if (cnt >= PARSE_MAX_LINES) {
            free(v);
            return diag_set(d, file, line, EINVAL, "too many zones");
        }
        if (vl_grow((void **)&v, &cap, cnt + 1, sizeof *v)) {
            free(v);
            return diag_set(d, file, line, ENOMEM, "out of memory");
        }
        v[cnt++] = z;
    }
    if (cnt == 0) {
        free(v);
        return diag_set(d, file, 0, EINVAL, "no zones (expected /proc/buddyinfo lines)");
    }
    *out = v;
    *n = cnt;
    return 0;
}
