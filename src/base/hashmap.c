/* SPDX-License-Identifier: MIT */
/*
 * hashmap.c - the general u64 -> u64 hash map (see hashmap.h for the
 * algorithm: linear probing, backward-shift deletion, load <= 3/4).
 */
#include "base/hashmap.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

#define MAP_MIN_BITS 4

static inline size_t home(const vl_map_t *m, uint64_t key)
{
    return (size_t)(vl_hash64(key) >> (64 - m->bits));
}

void vl_map_init(vl_map_t *m)
{
    m->slots = NULL;
    m->n = 0;
    m->bits = 0;
    m->has_max = 0;
    m->max_val = 0;
}

void vl_map_free(vl_map_t *m)
{
    free(m->slots);
    vl_map_init(m);
}

/* Keys in the slot table proper (the max key lives outside it). */
static inline size_t table_keys(const vl_map_t *m) { return m->n - (m->has_max ? 1 : 0); }

static int rehash(vl_map_t *m, uint32_t bits)
{
    if (bits >= 8 * sizeof(size_t) - 5)
        return -EOVERFLOW;
    size_t cap = (size_t)1 << bits;
    vl_map_slot_t *s = malloc(cap * sizeof *s);
    if (!s)
        return -ENOMEM;
    for (size_t i = 0; i < cap; i++)
        s[i].key = VL_MAP_EMPTY;
    vl_map_slot_t *old = m->slots;
    size_t oldcap = m->bits ? (size_t)1 << m->bits : 0;
    m->slots = s;
    m->bits = bits;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].key == VL_MAP_EMPTY)
            continue;
        size_t j = home(m, old[i].key);
        while (s[j].key != VL_MAP_EMPTY)
            j = (j + 1) & (cap - 1);
        s[j] = old[i];
    }
    free(old);
    return 0;
}

int vl_map_reserve(vl_map_t *m, size_t n)
{
    uint32_t bits = m->bits ? m->bits : MAP_MIN_BITS;
    while (((size_t)1 << bits) / 4 * 3 < n) {
        bits++;
        if (bits >= 8 * sizeof(size_t) - 5)
            return -EOVERFLOW;
    }
    return bits == m->bits ? 0 : rehash(m, bits);
}

uint64_t *vl_map_get(const vl_map_t *m, uint64_t key)
{
    if (key == VL_MAP_EMPTY)
        return m->has_max ? (uint64_t *)&m->max_val : NULL;
    if (!m->bits)
        return NULL;
    size_t mask = ((size_t)1 << m->bits) - 1;
    for (size_t i = home(m, key);; i = (i + 1) & mask) {
        vl_map_slot_t *s = &m->slots[i];
        if (s->key == key)
            return &s->val;
        if (s->key == VL_MAP_EMPTY)
            return NULL;
    }
}

uint64_t *vl_map_slot(vl_map_t *m, uint64_t key, uint64_t init, int *inserted)
{
    if (inserted)
        *inserted = 0;
    if (key == VL_MAP_EMPTY) {
        if (!m->has_max) {
            m->has_max = 1;
            m->max_val = init;
            m->n++;
            if (inserted)
                *inserted = 1;
        }
        return &m->max_val;
    }
    if (!m->bits || (table_keys(m) + 1) > ((size_t)1 << m->bits) / 4 * 3) {
        if (rehash(m, m->bits ? m->bits + 1 : MAP_MIN_BITS) != 0)
            return NULL;
    }
    size_t mask = ((size_t)1 << m->bits) - 1;
    for (size_t i = home(m, key);; i = (i + 1) & mask) {
        vl_map_slot_t *s = &m->slots[i];
        if (s->key == key)
            return &s->val;
        if (s->key == VL_MAP_EMPTY) {
            s->key = key;
            s->val = init;
            m->n++;
            if (inserted)
                *inserted = 1;
            VL_DEBUG_CHECK(vl_map_check(m));
            return &s->val;
        }
    }
}

int vl_map_put(vl_map_t *m, uint64_t key, uint64_t val)
{
    uint64_t *v = vl_map_slot(m, key, val, NULL);
    if (!v)
        return -ENOMEM;
    *v = val;
    return 0;
}

int vl_map_del(vl_map_t *m, uint64_t key, uint64_t *val)
{
    if (key == VL_MAP_EMPTY) {
        if (!m->has_max)
            return 0;
        if (val)
            *val = m->max_val;
        m->has_max = 0;
        m->n--;
        return 1;
    }
    if (!m->bits)
        return 0;
    size_t mask = ((size_t)1 << m->bits) - 1;
    size_t i = home(m, key);
    while (m->slots[i].key != key) {
        if (m->slots[i].key == VL_MAP_EMPTY)
            return 0;
        i = (i + 1) & mask;
    }
    if (val)
        *val = m->slots[i].val;
    /* Backward shift: pull later members of the cluster into the hole when
     * their home does not lie cyclically in (hole, j]. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].key != VL_MAP_EMPTY; j = (j + 1) & mask) {
        size_t h = home(m, m->slots[j].key);
        int movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
        if (movable) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].key = VL_MAP_EMPTY;
    m->n--;
    VL_DEBUG_CHECK(vl_map_check(m));
    return 1;
}

int vl_map_next(const vl_map_t *m, size_t *it, uint64_t *key, uint64_t *val)
{
    size_t cap = m->bits ? (size_t)1 << m->bits : 0;
    while (*it < cap) {
        const vl_map_slot_t *s = &m->slots[(*it)++];
        if (s->key != VL_MAP_EMPTY) {
            *key = s->key;
            *val = s->val;
            return 1;
        }
    }
    if (*it == cap && m->has_max) {
        (*it)++;
        *key = VL_MAP_EMPTY;
        *val = m->max_val;
        return 1;
    }
    return 0;
}

void vl_map_check(const vl_map_t *m)
{
    size_t cap = m->bits ? (size_t)1 << m->bits : 0, mask = cap - 1, used = 0;
    for (size_t i = 0; i < cap; i++) {
        uint64_t k = m->slots[i].key;
        if (k == VL_MAP_EMPTY)
            continue;
        used++;
        /* reachable from home without crossing an empty slot, and first there */
        for (size_t j = home(m, k); j != i; j = (j + 1) & mask) {
            VL_ASSERT(m->slots[j].key != VL_MAP_EMPTY);
            VL_ASSERT(m->slots[j].key != k);
        }
    }
    VL_ASSERT(used + (m->has_max ? 1 : 0) == m->n);
    VL_ASSERT(cap == 0 || used <= cap / 4 * 3);
}
