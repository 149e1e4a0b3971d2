/* SPDX-License-Identifier: MIT */
/*
 * dense_ids.c - dense numbering of page keys (see dense_ids.h): open
 * addressing with linear probing (Knuth TAOCP 6.4, algorithm L), never a
 * deletion, doubled at half load.
 *
 * A hand-written table rather than base/hashmap.h's vl_map: it is the first
 * pass of every exact curve, prefetches its line 12 references ahead,
 * inlines the probe and keeps load <= 1/2; measured with bench/map_bench.c
 * on the zipf benchmark trace (10 M references, 762,669 pages): this table
 * 19-20 ns a reference, vl_map 39-41 ns (2.0x), 38.5 ns with
 * vl_map_prefetch (1.9x); BENCHMARKS.md, "## base".
 */
#include "mrc/dense_ids.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"
#include "vmlab/hash.h"

#define NONE UINT32_MAX

typedef struct dense_entry {
    uint64_t key; /* page */
    uint32_t id;  /* dense id; NONE if free */
    uint32_t pad; /* 16-byte entries, four to a line */
} dense_entry_t;

struct dense_ids {
    dense_entry_t *tab; /* mask + 1 entries */
    size_t mask;        /* table size - 1, a power of two minus one */
    uint32_t count;     /* keys numbered: ids 0 .. count - 1 */
};

static dense_entry_t *table(size_t size)
{
    dense_entry_t *t = malloc(size * sizeof *t);
    if (t)
        for (size_t i = 0; i < size; i++)
            t[i].id = NONE;
    return t;
}

dense_ids_t *dense_ids_new(void)
{
    dense_ids_t *m = calloc(1, sizeof *m);
    if (!m || !(m->tab = table(1024))) {
        free(m);
        errno = ENOMEM;
        return NULL;
    }
    m->mask = 1023;
    return m;
}

void dense_ids_free(dense_ids_t *m)
{
    if (m)
        free(m->tab);
    free(m);
}

uint32_t dense_ids_count(const dense_ids_t *m) { return m->count; }

size_t dense_ids_bytes(const dense_ids_t *m) { return sizeof *m + (m->mask + 1) * sizeof *m->tab; }

static int grow(dense_ids_t *m)
{
    size_t size = (m->mask + 1) * 2, mask = size - 1;
    dense_entry_t *nt = size > SIZE_MAX / sizeof *nt ? NULL : table(size);
    if (!nt)
        return -ENOMEM;
    for (size_t j = 0; j <= m->mask; j++) {
        size_t k;
        if (m->tab[j].id == NONE)
            continue;
        k = vl_hash64(m->tab[j].key) & mask;
        while (nt[k].id != NONE)
            k = (k + 1) & mask;
        nt[k] = m->tab[j];
    }
    free(m->tab);
    m->tab = nt, m->mask = mask;
    return 0;
}

int dense_ids_map(dense_ids_t *m, const uint64_t *key, size_t n, uint32_t *id, size_t *done)
{
    for (size_t t = 0; t < n; t++) {
        uint64_t k = key[t];
        size_t i;
        if (t + 12 < n)
            __builtin_prefetch(&m->tab[vl_hash64(key[t + 12]) & m->mask]);
        i = vl_hash64(k) & m->mask;
        while (m->tab[i].id != NONE && m->tab[i].key != k)
            i = (i + 1) & m->mask;
        if (m->tab[i].id == NONE) {
            int rc = 0;
            if (m->count >= NONE - 1)
                rc = -EOVERFLOW;
            else if (((size_t)m->count + 1) * 2 > m->mask + 1)
                rc = grow(m);
            if (rc) {
                if (done)
                    *done = t;
                return rc;
            }
            i = vl_hash64(k) & m->mask;
            while (m->tab[i].id != NONE)
                i = (i + 1) & m->mask;
            m->tab[i].key = k;
            m->tab[i].id = m->count++;
        }
        id[t] = m->tab[i].id;
    }
    if (done)
        *done = n;
    VL_DEBUG_CHECK(if (m->count < 512) dense_ids_check(m));
    return 0;
}

void dense_ids_check(const dense_ids_t *m)
{
    size_t used = 0;
    uint8_t *seen = calloc(m->count ? m->count : 1, 1);
    VL_ASSERT(seen != NULL);
    VL_ASSERT((size_t)m->count * 2 <= m->mask + 1);
    for (size_t i = 0; i <= m->mask; i++) {
        size_t j;
        if (m->tab[i].id == NONE)
            continue;
        used++;
        VL_ASSERT(m->tab[i].id < m->count && !seen[m->tab[i].id]);
        seen[m->tab[i].id] = 1;
        /* no free entry between the home slot and i */
        for (j = vl_hash64(m->tab[i].key) & m->mask; j != i; j = (j + 1) & m->mask)
            VL_ASSERT(m->tab[j].id != NONE);
    }
    VL_ASSERT(used == m->count);
    free(seen);
}
