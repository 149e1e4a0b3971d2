/* SPDX-License-Identifier: MIT */
/*
 * scenario.c - parse and run `vmlab kmem` scenario files (format in
 * scenario.h).  The whole file is parsed before the first operation runs, so
 * a syntax error produces no output; the runner keeps every live object,
 * block and area it made (newest last) so that free/kfree/free_pages/vfree
 * name counts, not addresses.
 */
#include "kmem/scenario.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "kmem/kmem_impl.h"
#include "kmem/kmem_plot.h"
#include "vmlab/parse.h"

#define SCN_MAX_N ((uint64_t)1 << 24) /* per operation: bounded memory */
#define SCN_MAX_OPS 1000000u

static const char *const op_names[] = {"cache",      "alloc",   "free",  "shrink", "destroy",
                                       "kmalloc",    "kfree",   "pages", "free_pages",
                                       "vmalloc",    "vfree",   "cpu",   "workload", "report"};
static const char *const report_names[] = {"slabinfo", "slabtop", "buddyinfo", "fragindex",
                                           "extfrag",  "unusable", "contig"};
static const char *const workload_names[] = {"fork", "dentry", "fragment"};

static const struct {
    const char *name;
    unsigned gfp;
} gfp_names[] = {{"GFP_KERNEL", KMEM_GFP_KERNEL}, {"GFP_ATOMIC", KMEM_GFP_ATOMIC},
                 {"GFP_DMA", KMEM_GFP_KERNEL | KMEM_GFP_DMA}, {"GFP_DMA32", KMEM_GFP_KERNEL | KMEM_GFP_DMA32},
                 {"GFP_HIGHUSER", KMEM_GFP_HIGHUSER}, {"GFP_USER", KMEM_GFP_USER}};

typedef struct tok {
    const char *s; /* start */
    size_t n;      /* length */
} tok_t;

static int tok_eq(tok_t t, const char *w) { return t.n == strlen(w) && memcmp(t.s, w, t.n) == 0; }

static int num(const kmem_scenario_t *s, unsigned long line, tok_t t, const char *what, uint64_t min, uint64_t max,
               uint64_t *v, diag_t *d)
{
    char buf[32];
    int rc;
    if (t.n == 0 || t.n >= sizeof buf)
        rc = -EINVAL;
    else {
        memcpy(buf, t.s, t.n);
        buf[t.n] = '\0';
        rc = parse_size(buf, v);
    }
    if (rc || *v < min || *v > max)
        return diag_set(d, s->file, line, EINVAL, "%s '%.*s' %s (expected %ju..%ju)", what, (int)(t.n > 40 ? 40 : t.n),
                        t.s, rc ? "is not a number" : "is out of range", (uintmax_t)min, (uintmax_t)max);
    return 0;
}

static int want_args(const kmem_scenario_t *s, unsigned long line, const char *op, size_t nt, size_t lo, size_t hi,
                     const char *usage, diag_t *d)
{
    if (nt - 1 < lo || nt - 1 > hi)
        return diag_set(d, s->file, line, EINVAL, "%s takes %zu argument(s), got %zu (expected '%s')", op, lo,
                        nt - 1, usage);
    return 0;
}

static int parse_line(kmem_scenario_t *s, unsigned long line, tok_t *t, size_t nt, kmem_op_t *op, diag_t *d)
{
    size_t k;
    int rc = 0;
    *op = (kmem_op_t){.line = line};
    for (k = 0; k < sizeof op_names / sizeof *op_names; k++)
        if (tok_eq(t[0], op_names[k]))
            break;
    if (k == sizeof op_names / sizeof *op_names)
        return diag_set(d, s->file, line, EINVAL,
                        "unknown operation '%.*s' (expected cache, alloc, free, shrink, destroy, kmalloc, kfree, "
                        "pages, free_pages, vmalloc, vfree, cpu, workload or report)",
                        (int)(t[0].n > 40 ? 40 : t[0].n), t[0].s);
    op->kind = (kmem_opkind_t)k;
    if (k == KOP_CACHE || k == KOP_ALLOC || k == KOP_FREE || k == KOP_SHRINK || k == KOP_DESTROY) {
        if (nt < 2)
            return diag_set(d, s->file, line, EINVAL, "%s needs a cache name (expected '%s NAME ...')", op_names[k],
                            op_names[k]);
        if (t[1].n >= sizeof op->name)
            return diag_set(d, s->file, line, EINVAL, "cache name longer than %zu bytes", sizeof op->name - 1);
        memcpy(op->name, t[1].s, t[1].n);
    }
    switch (op->kind) {
    case KOP_CACHE:
        if (nt < 3)
            return diag_set(d, s->file, line, EINVAL, "cache takes a name and a size (expected 'cache NAME SIZE [ALIGN] [redzone] [poison] [hwcache] [dma] [ctor]')");
        if ((rc = num(s, line, t[2], "object size", 1, (uint64_t)4 << 20, &op->a, d)))
            return rc;
        for (size_t i = 3; i < nt; i++) {
            if (tok_eq(t[i], "redzone"))
                op->flags |= KMEM_SLAB_RED_ZONE;
            else if (tok_eq(t[i], "poison"))
                op->flags |= KMEM_SLAB_POISON;
            else if (tok_eq(t[i], "hwcache"))
                op->flags |= KMEM_SLAB_HWCACHE_ALIGN;
            else if (tok_eq(t[i], "dma"))
                op->flags |= KMEM_SLAB_CACHE_DMA;
            else if (tok_eq(t[i], "ctor"))
                op->ctor = 1;
            else if (i == 3) {
                if ((rc = num(s, line, t[i], "alignment", 1, KMEM_PAGE_SIZE, &op->c, d)))
                    return rc;
                if (op->c & (op->c - 1))
                    return diag_set(d, s->file, line, EINVAL, "alignment %ju is not a power of two (expected 1, 2, 4, ... 4096)",
                                    (uintmax_t)op->c);
            } else
                return diag_set(d, s->file, line, EINVAL, "unknown cache flag '%.*s' (expected redzone, poison, hwcache, dma or ctor)",
                                (int)(t[i].n > 40 ? 40 : t[i].n), t[i].s);
        }
        return 0;
    case KOP_ALLOC:
    case KOP_FREE:
        if ((rc = want_args(s, line, op_names[k], nt, 2, 2, k == KOP_ALLOC ? "alloc NAME N" : "free NAME N", d)))
            return rc;
        return num(s, line, t[2], "count", 1, SCN_MAX_N, &op->b, d);
    case KOP_SHRINK:
    case KOP_DESTROY:
        return want_args(s, line, op_names[k], nt, 1, 1, k == KOP_SHRINK ? "shrink NAME" : "destroy NAME", d);
    case KOP_KMALLOC:
    case KOP_KFREE:
        if ((rc = want_args(s, line, op_names[k], nt, 2, 2, k == KOP_KMALLOC ? "kmalloc SIZE N" : "kfree SIZE N", d)))
            return rc;
        if ((rc = num(s, line, t[1], "size", 1, KMEM_PAGE_SIZE << (KMEM_MAX_ORDER - 1), &op->a, d)))
            return rc;
        return num(s, line, t[2], "count", 1, SCN_MAX_N, &op->b, d);
    case KOP_PAGES:
    case KOP_FREE_PAGES:
        if ((rc = want_args(s, line, op_names[k], nt, 2, k == KOP_PAGES ? 3 : 2,
                            k == KOP_PAGES ? "pages ORDER N [GFP]" : "free_pages ORDER N", d)))
            return rc;
        if ((rc = num(s, line, t[1], "order", 0, KMEM_MAX_ORDER - 1, &op->a, d)))
            return rc;
        if ((rc = num(s, line, t[2], "count", 1, SCN_MAX_N, &op->b, d)))
            return rc;
        op->flags = KMEM_GFP_KERNEL;
        if (nt == 4) {
            size_t g;
            for (g = 0; g < sizeof gfp_names / sizeof *gfp_names; g++)
                if (tok_eq(t[3], gfp_names[g].name))
                    break;
            if (g == sizeof gfp_names / sizeof *gfp_names)
                return diag_set(d, s->file, line, EINVAL,
                                "unknown GFP flags '%.*s' (expected GFP_KERNEL, GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_HIGHUSER or GFP_USER)",
                                (int)(t[3].n > 40 ? 40 : t[3].n), t[3].s);
            op->flags = gfp_names[g].gfp;
        }
        return 0;
    case KOP_VMALLOC:
        if ((rc = want_args(s, line, "vmalloc", nt, 1, 1, "vmalloc BYTES", d)))
            return rc;
        return num(s, line, t[1], "size", 1, (uint64_t)1 << 30, &op->a, d);
    case KOP_VFREE:
        return want_args(s, line, "vfree", nt, 0, 0, "vfree", d);
    case KOP_CPU:
        if ((rc = want_args(s, line, "cpu", nt, 1, 1, "cpu N", d)))
            return rc;
        return num(s, line, t[1], "cpu", 0, KMEM_MAX_CPUS - 1, &op->a, d);
    case KOP_WORKLOAD:
        if ((rc = want_args(s, line, "workload", nt, 2, 3, "workload fork|dentry|fragment N [SEED]", d)))
            return rc;
        for (k = 0; k < 3; k++)
            if (tok_eq(t[1], workload_names[k]))
                break;
        if (k == 3)
            return diag_set(d, s->file, line, EINVAL, "unknown workload '%.*s' (expected fork, dentry or fragment)",
                            (int)(t[1].n > 40 ? 40 : t[1].n), t[1].s);
        op->flags = (unsigned)k;
        op->b = 1;
        if ((rc = num(s, line, t[2], "count", 1, SCN_MAX_N, &op->a, d)))
            return rc;
        return nt == 4 ? num(s, line, t[3], "seed", 0, UINT64_MAX, &op->b, d) : 0;
    case KOP_REPORT:
        if ((rc = want_args(s, line, "report", nt, 1, 1, "report slabinfo|slabtop|buddyinfo|fragindex|extfrag|unusable|contig", d)))
            return rc;
        for (k = 0; k < sizeof report_names / sizeof *report_names; k++)
            if (tok_eq(t[1], report_names[k]))
                break;
        if (k == sizeof report_names / sizeof *report_names)
            return diag_set(d, s->file, line, EINVAL,
                            "unknown report '%.*s' (expected slabinfo, slabtop, buddyinfo, fragindex, extfrag, unusable or contig)",
                            (int)(t[1].n > 40 ? 40 : t[1].n), t[1].s);
        op->flags = (unsigned)k;
        return 0;
    }
    return 0;
}

int kmem_scenario_parse(const char *text, size_t len, const char *file, kmem_scenario_t *s, diag_t *d)
{
    const char *p = text, *end = text + len;
    unsigned long line = 0;
    *s = (kmem_scenario_t){0};
    snprintf(s->file, sizeof s->file, "%s", file ? file : "-");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *q = p;
        tok_t t[16];
        size_t nt = 0;
        int rc;
        line++;
        p = nl ? nl + 1 : end;
        while (q < e) {
            while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            if (q >= e || *q == '#')
                break;
            if (nt == 16) {
                kmem_scenario_free(s);
                return diag_set(d, s->file, line, EINVAL, "too many words (expected at most 15 arguments)");
            }
            t[nt].s = q;
            while (q < e && *q != ' ' && *q != '\t' && *q != '\r' && *q != '#')
                q++;
            t[nt].n = (size_t)(q - t[nt].s);
            if (memchr(t[nt].s, '\0', t[nt].n)) {
                kmem_scenario_free(s);
                return diag_set(d, s->file, line, EINVAL, "NUL byte in the line (expected text)");
            }
            nt++;
        }
        if (nt == 0)
            continue;
        if (s->n >= SCN_MAX_OPS) {
            kmem_scenario_free(s);
            return diag_set(d, s->file, line, EINVAL, "too many operations (expected at most %u)", SCN_MAX_OPS);
        }
        if ((rc = vl_grow((void **)&s->ops, &s->cap, s->n + 1, sizeof *s->ops)) != 0) {
            kmem_scenario_free(s);
            return diag_set(d, s->file, line, -rc, "out of memory");
        }
        if ((rc = parse_line(s, line, t, nt, &s->ops[s->n], d)) != 0) {
            kmem_scenario_free(s);
            return rc;
        }
        s->n++;
    }
    return 0;
}

void kmem_scenario_free(kmem_scenario_t *s)
{
    free(s->ops);
    s->ops = NULL;
    s->n = s->cap = 0;
}

/* ---- running ---- */


typedef struct ptrs {
    void **v;      /* live objects/areas, newest last */
    size_t n, cap; /* count, room */
} ptrs_t;

typedef struct live_cache {
    kmem_cache_t *c; /* the cache */
    ptrs_t objs;     /* its live objects */
} live_cache_t;

typedef struct run {
    kmem_t *km;
    live_cache_t *caches; /* created by the scenario */
    size_t ncaches, capcaches;
    ptrs_t kmalloc[KMEM_MAX_ORDER + 14]; /* by kmalloc size class: caches 1..13, then large by order */
    ptrs_t pages[KMEM_MAX_ORDER];        /* kmem_page_t * by order */
    ptrs_t vm;                           /* vmalloc areas */
    uint64_t vm_bytes_unused;            /* (kept for symmetry) */
    kmem_wl_t *wl[3];                    /* workload state */
} run_t;

static int push(ptrs_t *p, void *x)
{
    int rc = vl_grow((void **)&p->v, &p->cap, p->n + 1, sizeof *p->v);
    if (rc == 0)
        p->v[p->n++] = x;
    return rc;
}

static void ctor_mark(void *obj) { *(uint64_t *)obj = 0x5ca1ab1eull; }

static live_cache_t *find_live(run_t *r, const char *name)
{
    for (size_t i = 0; i < r->ncaches; i++)
        if (strcmp(kmem_cache_name(r->caches[i].c), name) == 0)
            return &r->caches[i];
    return NULL;
}

/* kmalloc slot: the size class index (cache) or 14 + order (large). */
static size_t kmalloc_slot(kmem_t *km, size_t size)
{
    kmem_cache_t *c = kmem_kmalloc_cache(km, size);
    unsigned o = 0;
    if (c) {
        for (size_t i = 1; i < 14; i++)
            if (km->kmalloc_caches[i] == c)
                return i;
    }
    while ((KMEM_PAGE_SIZE << o) < size)
        o++;
    return 14 + o;
}

void kmem_json_slab(out_json_t *j, const kmem_slabinfo_t *s)
{
    out_json_obj(j, NULL);
    out_json_str(j, "name", s->name);
    out_json_u64(j, "active_objs", s->active_objs);
    out_json_u64(j, "num_objs", s->num_objs);
    out_json_u64(j, "objsize", s->objsize);
    out_json_u64(j, "objperslab", s->objperslab);
    out_json_u64(j, "pagesperslab", s->pagesperslab);
    out_json_u64(j, "active_slabs", s->active_slabs);
    out_json_u64(j, "num_slabs", s->num_slabs);
    out_json_end(j);
}

void kmem_json_zone(out_json_t *j, const kmem_zoneinfo_t *z, unsigned parts)
{
    out_json_obj(j, NULL);
    out_json_i64(j, "node", z->node);
    out_json_str(j, "zone", z->zone);
    if (parts & KMEM_JSON_NR_FREE) {
        out_json_arr(j, "nr_free");
        for (unsigned o = 0; o < z->norders; o++)
            out_json_u64(j, NULL, z->nr_free[o]);
        out_json_end(j);
    }
    if (parts & KMEM_JSON_EXTFRAG) {
        out_json_arr(j, "extfrag");
        for (unsigned o = 0; o < z->norders; o++)
            out_json_i64(j, NULL, kmem_extfrag_index(z, o));
        out_json_end(j);
    }
    if (parts & KMEM_JSON_UNUSABLE) {
        out_json_arr(j, "unusable");
        for (unsigned o = 0; o < z->norders; o++)
            out_json_i64(j, NULL, kmem_unusable_index(z, o));
        out_json_end(j);
    }
    out_json_end(j);
}

int kmem_scenario_report(kmem_t *km, kmem_report_t which, FILE *out, out_format_t fmt)
{
    kmem_slabinfo_t *si = NULL;
    kmem_zoneinfo_t *zi = NULL;
    size_t n = 0;
    int rc;
    out_json_t j;
    if (which == KREP_SLABINFO || which == KREP_SLABTOP)
        rc = kmem_slabinfo(km, &si, &n);
    else
        rc = kmem_buddyinfo(km, &zi, &n);
    if (rc)
        return rc;
    if (fmt == OUT_JSON) {
        out_json_init(&j, out, 0);
        out_json_arr(&j, NULL);
        unsigned parts = which == KREP_BUDDYINFO    ? KMEM_JSON_NR_FREE
                         : which == KREP_EXTFRAG    ? KMEM_JSON_EXTFRAG
                         : which == KREP_UNUSABLE   ? KMEM_JSON_UNUSABLE
                                                    : KMEM_JSON_EXTFRAG | KMEM_JSON_UNUSABLE;
        for (size_t i = 0; i < n; i++) {
            if (si)
                kmem_json_slab(&j, &si[i]);
            else
                kmem_json_zone(&j, &zi[i], parts);
        }
        out_json_end(&j);
        out_json_done(&j);
    } else {
        switch (which) {
        case KREP_SLABINFO: kmem_print_slabinfo(out, si, n); break;
        case KREP_SLABTOP: kmem_print_slabtop(out, si, n, (size_t)-1); break;
        case KREP_BUDDYINFO: kmem_print_buddyinfo(out, zi, n); break;
        case KREP_EXTFRAG: kmem_print_extfrag(out, zi, n); break;
        case KREP_UNUSABLE: kmem_print_unusable(out, zi, n); break;
        case KREP_FRAGINDEX:
            fputs("# extfrag_index\n", out);
            kmem_print_extfrag(out, zi, n);
            fputs("# unusable_index\n", out);
            kmem_print_unusable(out, zi, n);
            break;
        default: break;
        }
    }
    free(si);
    free(zi);
    return 0;
}

/* Frame numbers of [p, p + bytes) as runs "a-b" of consecutive pfns. */
static void print_pfns(FILE *out, kmem_t *km, const unsigned char *p, size_t pages, int vmalloc, out_json_t *j)
{
    uint64_t run_start = 0, prev = 0;
    size_t runs = 0;
    if (j)
        out_json_arr(j, "pfns");
    for (size_t i = 0; i < pages; i++) {
        const void *a = p + (i << KMEM_PAGE_SHIFT);
        kmem_page_t *pg = vmalloc ? kmem_vmalloc_to_page(km, a) : kmem_virt_to_page(km, a);
        uint64_t pfn = kmem_page_to_pfn(km, pg);
        if (j)
            out_json_u64(j, NULL, pfn);
        if (i == 0) {
            run_start = prev = pfn;
            continue;
        }
        if (pfn == prev + 1) {
            prev = pfn;
            continue;
        }
        if (!j)
            fprintf(out, run_start == prev ? " %ju" : " %ju-%ju", (uintmax_t)run_start, (uintmax_t)prev);
        runs++;
        run_start = prev = pfn;
    }
    if (j) {
        out_json_end(j);
        out_json_u64(j, "runs", runs + (pages > 0));
    } else if (pages) {
        fprintf(out, run_start == prev ? " %ju" : " %ju-%ju", (uintmax_t)run_start, (uintmax_t)prev);
        fprintf(out, "  (%zu run%s of contiguous frames)\n", runs + 1, runs ? "s" : "");
    }
}

static void report_contig(run_t *r, FILE *out, out_format_t fmt)
{
    out_json_t j;
    if (fmt == OUT_JSON) {
        out_json_init(&j, out, 0);
        out_json_arr(&j, NULL);
    }
    for (size_t s = 14; s < 14 + KMEM_MAX_ORDER; s++)
        for (size_t i = 0; i < r->kmalloc[s].n; i++) {
            unsigned char *p = r->kmalloc[s].v[i];
            size_t pages = (size_t)1 << (s - 14);
            if (fmt == OUT_JSON) {
                out_json_obj(&j, NULL);
                out_json_str(&j, "kind", "kmalloc");
                out_json_u64(&j, "pages", pages);
                print_pfns(out, r->km, p, pages, 0, &j);
                out_json_end(&j);
            } else {
                fprintf(out, "kmalloc %6zu pages at %p, pfns", pages, (void *)p);
                print_pfns(out, r->km, p, pages, 0, NULL);
            }
        }
    for (size_t i = 0; i < r->vm.n; i++) {
        unsigned char *p = r->vm.v[i];
        kmem_vmarea_t *a = NULL;
        vl_list_t *it;
        vl_list_for_each(it, &r->km->vmareas)
        {
            kmem_vmarea_t *v = vl_list_entry(it, kmem_vmarea_t, link);
            if (v->addr == (uintptr_t)p)
                a = v;
        }
        if (!a)
            continue;
        if (fmt == OUT_JSON) {
            out_json_obj(&j, NULL);
            out_json_str(&j, "kind", "vmalloc");
            out_json_u64(&j, "pages", a->pages);
            print_pfns(out, r->km, p, a->pages, 1, &j);
            out_json_end(&j);
        } else {
            fprintf(out, "vmalloc %6zu pages at %p, pfns", a->pages, (void *)p);
            print_pfns(out, r->km, p, a->pages, 1, NULL);
        }
    }
    if (fmt == OUT_JSON) {
        out_json_end(&j);
        out_json_done(&j);
    }
}

static int misuse(run_t *r, const kmem_scenario_t *s, const kmem_op_t *op, uint64_t before, diag_t *d)
{
    if (kmem_errors(r->km) != before)
        return diag_set(d, s->file, op->line, EINVAL, "%s", kmem_last_error(r->km));
    return 0;
}

static int run_op(run_t *r, const kmem_scenario_t *s, const kmem_op_t *op, FILE *out, out_format_t fmt, diag_t *d)
{
    kmem_t *km = r->km;
    live_cache_t *lc = NULL;
    ptrs_t *pp;
    if (op->kind == KOP_ALLOC || op->kind == KOP_FREE || op->kind == KOP_SHRINK || op->kind == KOP_DESTROY) {
        lc = find_live(r, op->name);
        if (!lc)
            return diag_set(d, s->file, op->line, EINVAL, "no cache named '%s' (expected one made by a 'cache' line)",
                            op->name);
    }
    switch (op->kind) {
    case KOP_CACHE: {
        kmem_cache_t *c;
        if (kmem_cache_find(km, op->name))
            return diag_set(d, s->file, op->line, EINVAL, "a cache named '%s' exists already (expected a new name)", op->name);
        c = kmem_cache_create(km, op->name, op->a, op->c, op->flags, op->ctor ? ctor_mark : NULL);
        if (!c)
            return diag_set(d, s->file, op->line, EINVAL,
                            "cannot create cache '%s' of %ju bytes (expected an object that fits the largest slab, order 10)",
                            op->name, (uintmax_t)op->a);
        if (vl_grow((void **)&r->caches, &r->capcaches, r->ncaches + 1, sizeof *r->caches))
            return diag_set(d, s->file, op->line, ENOMEM, "out of memory");
        r->caches[r->ncaches++] = (live_cache_t){.c = c};
        return 0;
    }
    case KOP_ALLOC:
        for (uint64_t i = 0; i < op->b; i++) {
            void *o = kmem_cache_alloc(lc->c, KMEM_GFP_KERNEL);
            if (!o)
                return diag_set(d, s->file, op->line, ENOMEM, "alloc %s: out of memory after %ju of %ju objects",
                                op->name, (uintmax_t)i, (uintmax_t)op->b);
            if (push(&lc->objs, o))
                return diag_set(d, s->file, op->line, ENOMEM, "out of memory");
        }
        return 0;
    case KOP_FREE:
        if (op->b > lc->objs.n)
            return diag_set(d, s->file, op->line, EINVAL, "free %s %ju: only %zu objects are allocated (expected N <= %zu)",
                            op->name, (uintmax_t)op->b, lc->objs.n, lc->objs.n);
        for (uint64_t i = 0; i < op->b; i++)
            kmem_cache_free(lc->c, lc->objs.v[--lc->objs.n]);
        return 0;
    case KOP_SHRINK:
        kmem_cache_shrink(lc->c);
        return 0;
    case KOP_DESTROY:
        if (kmem_cache_destroy(lc->c) != 0)
            return 0; /* recorded: reported by misuse() */
        free(lc->objs.v);
        *lc = r->caches[--r->ncaches];
        return 0;
    case KOP_KMALLOC:
        pp = &r->kmalloc[kmalloc_slot(km, op->a)];
        for (uint64_t i = 0; i < op->b; i++) {
            void *o = kmem_kmalloc(km, op->a, KMEM_GFP_KERNEL);
            if (!o)
                return diag_set(d, s->file, op->line, ENOMEM, "kmalloc %ju: out of memory after %ju of %ju", (uintmax_t)op->a,
                                (uintmax_t)i, (uintmax_t)op->b);
            if (push(pp, o))
                return diag_set(d, s->file, op->line, ENOMEM, "out of memory");
        }
        return 0;
    case KOP_KFREE:
        pp = &r->kmalloc[kmalloc_slot(km, op->a)];
        if (op->b > pp->n)
            return diag_set(d, s->file, op->line, EINVAL,
                            "kfree %ju %ju: only %zu objects of that size class are allocated (expected N <= %zu)",
                            (uintmax_t)op->a, (uintmax_t)op->b, pp->n, pp->n);
        for (uint64_t i = 0; i < op->b; i++)
            kmem_kfree(km, pp->v[--pp->n]);
        return 0;
    case KOP_PAGES: {
        uint64_t got = 0;
        for (; got < op->b; got++) {
            kmem_page_t *pg = kmem_alloc_pages(km, op->flags, (unsigned)op->a);
            if (!pg)
                break;
            if (push(&r->pages[op->a], pg))
                return diag_set(d, s->file, op->line, ENOMEM, "out of memory");
        }
        if (got < op->b) {
            if (fmt == OUT_JSON)
                fprintf(out, "{\"line\":%lu,\"op\":\"pages\",\"order\":%ju,\"asked\":%ju,\"allocated\":%ju,\"failed\":%ju}\n",
                        op->line, (uintmax_t)op->a, (uintmax_t)op->b, (uintmax_t)got, (uintmax_t)(op->b - got));
            else
                fprintf(out, "# line %lu: pages %ju %ju: %ju allocated, %ju failed (every allowed zone at its watermark)\n",
                        op->line, (uintmax_t)op->a, (uintmax_t)op->b, (uintmax_t)got, (uintmax_t)(op->b - got));
        }
        return 0;
    }
    case KOP_FREE_PAGES:
        pp = &r->pages[op->a];
        if (op->b > pp->n)
            return diag_set(d, s->file, op->line, EINVAL,
                            "free_pages %ju %ju: only %zu blocks of that order are allocated (expected N <= %zu)",
                            (uintmax_t)op->a, (uintmax_t)op->b, pp->n, pp->n);
        for (uint64_t i = 0; i < op->b; i++)
            kmem_free_pages(km, pp->v[--pp->n], (unsigned)op->a);
        return 0;
    case KOP_VMALLOC: {
        void *p = kmem_vmalloc(km, op->a);
        if (!p)
            return diag_set(d, s->file, op->line, ENOMEM, "vmalloc %ju: out of memory", (uintmax_t)op->a);
        if (push(&r->vm, p))
            return diag_set(d, s->file, op->line, ENOMEM, "out of memory");
        return 0;
    }
    case KOP_VFREE:
        if (!r->vm.n)
            return diag_set(d, s->file, op->line, EINVAL, "vfree: no vmalloc area is live (expected a vmalloc line before)");
        kmem_vfree(km, r->vm.v[--r->vm.n]);
        return 0;
    case KOP_CPU:
        if (op->a >= km->cfg.cpus)
            return diag_set(d, s->file, op->line, EINVAL, "cpu %ju does not exist (expected 0..%u; see --cpus)",
                            (uintmax_t)op->a, km->cfg.cpus - 1);
        kmem_set_cpu((unsigned)op->a);
        return 0;
    case KOP_WORKLOAD: {
        diag_t wd;
        int rc = kmem_workload_run(km, &r->wl[op->flags], (kmem_workload_t)op->flags, op->a, op->b, &wd);
        if (rc)
            return diag_set(d, s->file, op->line, -rc, "workload %s: %s", workload_names[op->flags], wd.msg);
        return 0;
    }
    case KOP_REPORT:
        if (op->flags == KREP_CONTIG) {
            report_contig(r, out, fmt);
            return 0;
        }
        if (kmem_scenario_report(km, (kmem_report_t)op->flags, out, fmt))
            return diag_set(d, s->file, op->line, ENOMEM, "out of memory");
        if (fmt == OUT_TEXT)
            fputc('\n', out);
        return 0;
    }
    return 0;
}

int kmem_scenario_run(kmem_t *km, const kmem_scenario_t *s, FILE *out, out_format_t fmt, diag_t *d)
{
    return kmem_scenario_run_opts(km, s, out, fmt, NULL, d);
}

int kmem_scenario_run_opts(kmem_t *km, const kmem_scenario_t *s, FILE *out, out_format_t fmt,
                           const kmem_run_opts_t *ro, diag_t *d)
{
    run_t r = {.km = km};
    kmem_hist_t *hist = ro ? ro->hist : NULL;
    int rc = hist ? kmem_hist_sample(hist, km) : 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        uint64_t before = kmem_errors(km);
        rc = run_op(&r, s, &s->ops[i], out, fmt, d);
        if (rc == 0)
            rc = misuse(&r, s, &s->ops[i], before, d);
        if (rc == 0 && hist && kmem_hist_sample(hist, km) != 0)
            rc = diag_set(d, s->file, s->ops[i].line, ENOMEM, "out of memory");
        if (ro && ro->progress)
            ro->progress(ro->progress_ctx, i + 1, s->n, i + 1);
    }
    if (rc == 0 && hist && hist->map_dat) /* memory as the scenario left it */
        kmem_plot_map(hist->map_dat, hist->map_gp, km, hist->map_datname, hist->map_png);
    for (size_t w = 0; w < 3; w++)
        kmem_workload_end(km, r.wl[w]);
    for (size_t i = 0; i < r.ncaches; i++)
        free(r.caches[i].objs.v);
    free(r.caches);
    for (size_t i = 0; i < sizeof r.kmalloc / sizeof *r.kmalloc; i++)
        free(r.kmalloc[i].v);
    for (size_t i = 0; i < KMEM_MAX_ORDER; i++)
        free(r.pages[i].v);
    free(r.vm.v);
    kmem_set_cpu(0);
    return rc;
}
