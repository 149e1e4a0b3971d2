/* SPDX-License-Identifier: MIT */
/*
 * freelist.c - the free-space model of OSTEP ch. 17's homework (malloc.py):
 * see include/vmlab/freelist.h for the rules.  The free list is an array in
 * list order (homework heaps are small; every operation is O(list)); the
 * allocations are a hash map address -> size (base/hashmap.h).  Sorting is a
 * stable insertion sort, as the homework's sorted() is stable: equal sizes
 * keep their list order.
 */
#include "vmlab/freelist.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/hashmap.h"
#include "base/vec.h"
#include "vmlab/check.h"

typedef struct flm_chunk {
    uint64_t addr; /* first byte */
    uint64_t size; /* bytes, >= 1 */
} flm_chunk_t;

struct flm {
    flm_config_t cfg;          /* the heap and its rules */
    VL_VEC(flm_chunk_t) list;  /* the free list in list order */
    vl_map_t used;            /* allocated chunk address -> size */
};

flm_config_t flm_config_default(void)
{
    return (flm_config_t){.size = 100, .base = 1000, .header = 0, .align = 0,
                         .policy = FLM_BEST, .order = FLM_ADDRSORT, .coalesce = 0};
}

static const char *const pol_names[] = {"BEST", "WORST", "FIRST"};
static const char *const ord_names[] = {"ADDRSORT", "SIZESORT+", "SIZESORT-", "INSERT-FRONT",
                                        "INSERT-BACK"};

int flm_policy_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcasecmp(s, pol_names[i]) == 0)
            return i;
    return -1;
}

int flm_order_parse(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (strcasecmp(s, ord_names[i]) == 0)
            return i;
    return -1;
}

const char *flm_policy_name(flm_policy_t p) { return (unsigned)p < 3 ? pol_names[p] : "?"; }
const char *flm_order_name(flm_order_t o) { return (unsigned)o < 5 ? ord_names[o] : "?"; }

flm_t *flm_new(const flm_config_t *cfg)
{
    flm_t *f;
    if (cfg->size == 0 || cfg->base > UINT64_MAX - cfg->size || !(f = calloc(1, sizeof *f)))
        return NULL;
    f->cfg = *cfg;
    vl_map_init(&f->used);
    if (vl_vec_push(&f->list, ((flm_chunk_t){cfg->base, cfg->size}))) {
        free(f);
        return NULL;
    }
    VL_DEBUG_CHECK(flm_check(f));
    return f;
}

void flm_free_all(flm_t *f)
{
    if (!f)
        return;
    vl_vec_free(&f->list);
    vl_map_free(&f->used);
    free(f);
}

int64_t flm_alloc(flm_t *f, uint64_t n, uint64_t *searched)
{
    const flm_config_t *c = &f->cfg;
    size_t best = SIZE_MAX;
    uint64_t count = 0;
    if (c->align && n % c->align) {
        uint64_t pad = c->align - n % c->align;
        if (n > UINT64_MAX - pad)
            goto none;
        n += pad;
    }
    if (n > UINT64_MAX - c->header)
        goto none;
    n += c->header;
    for (size_t i = 0; i < f->list.n; i++) {
        uint64_t sz = f->list.v[i].size;
        count++;
        if (sz < n)
            continue;
        if (best == SIZE_MAX || (c->policy == FLM_BEST && sz < f->list.v[best].size) ||
            (c->policy == FLM_WORST && sz > f->list.v[best].size))
            best = i;
        if (c->policy == FLM_FIRST)
            break;
    }
    *searched = count;
    if (best == SIZE_MAX)
        return -1;
    {
        flm_chunk_t *ch = &f->list.v[best];
        uint64_t addr = ch->addr;
        if (vl_map_put(&f->used, addr, n)) {
            *searched = 0;
            return -1;
        }
        if (ch->size > n) {
            ch->addr += n;
            ch->size -= n;
        } else {
            memmove(ch, ch + 1, (f->list.n - best - 1) * sizeof *ch);
            f->list.n--;
        }
        VL_DEBUG_CHECK(flm_check(f));
        return (int64_t)addr;
    }
none:
    *searched = 0;
    return -1;
}

/* 1 if a belongs after b in the order (the sort key), for a stable sort. */
static int after(flm_order_t o, const flm_chunk_t *a, const flm_chunk_t *b)
{
    switch (o) {
    case FLM_ADDRSORT: return a->addr > b->addr;
    case FLM_SIZESORT_UP: return a->size > b->size;
    case FLM_SIZESORT_DOWN: return a->size < b->size;
    default: return 0;
    }
}

int flm_release(flm_t *f, uint64_t addr)
{
    uint64_t size;
    flm_chunk_t *v;
    size_t n;
    if (!vl_map_get(&f->used, addr))
        return -1;
    /* Room first, so a failure leaves the heap as it was. */
    if (vl_vec_reserve(&f->list, f->list.n + 1))
        return -1;
    vl_map_del(&f->used, addr, &size);
    v = f->list.v;
    n = f->list.n;
    if (f->cfg.order == FLM_INSERT_FRONT) {
        memmove(v + 1, v, n * sizeof *v);
        v[0] = (flm_chunk_t){addr, size};
    } else {
        v[n] = (flm_chunk_t){addr, size};
    }
    n++;
    if (f->cfg.order != FLM_INSERT_FRONT && f->cfg.order != FLM_INSERT_BACK)
        for (size_t i = 1; i < n; i++) { /* stable insertion sort */
            flm_chunk_t x = v[i];
            size_t j = i;
            while (j > 0 && after(f->cfg.order, &v[j - 1], &x)) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
    if (f->cfg.coalesce) {
        size_t out = 0;
        for (size_t i = 1; i < n; i++) {
            if (v[i].addr == v[out].addr + v[out].size)
                v[out].size += v[i].size;
            else
                v[++out] = v[i];
        }
        n = out + 1;
    }
    f->list.n = n;
    VL_DEBUG_CHECK(flm_check(f));
    return 0;
}

size_t flm_count(const flm_t *f) { return f->list.n; }

void flm_get(const flm_t *f, size_t i, uint64_t *addr, uint64_t *size)
{
    VL_ASSERT(i < f->list.n);
    *addr = f->list.v[i].addr;
    *size = f->list.v[i].size;
}

static int cmp_chunk(const void *a, const void *b)
{
    const flm_chunk_t *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void flm_check(const flm_t *f)
{
    size_t n = f->list.n + vl_map_count(&f->used), k = 0, it = 0;
    uint64_t key, val, at = f->cfg.base;
    flm_chunk_t *all = malloc((n ? n : 1) * sizeof *all);
    VL_ASSERT(all != NULL);
    vl_vec_check(&f->list);
    for (size_t i = 0; i < f->list.n; i++) {
        VL_ASSERT(f->list.v[i].size > 0);
        all[k++] = f->list.v[i];
    }
    while (vl_map_next(&f->used, &it, &key, &val))
        all[k++] = (flm_chunk_t){key, val};
    VL_ASSERT(k == n);
    qsort(all, n, sizeof *all, cmp_chunk);
    for (size_t i = 0; i < n; i++) { /* disjoint and covering [base, base + size) */
        VL_ASSERT(all[i].addr == at);
        at += all[i].size;
    }
    VL_ASSERT(at == f->cfg.base + f->cfg.size);
    free(all);
}
