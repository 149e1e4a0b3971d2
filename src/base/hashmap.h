/* SPDX-License-Identifier: MIT */
/*
 * hashmap.h - the one general hash map of vmlab: 64-bit keys to 64-bit values.
 *
 * Open addressing with linear probing and backward-shift deletion (Knuth TAOCP
 * vol. 3, 6.4, Algorithm R), so there are no tombstones and a lookup stops at
 * the first empty slot.  Slots hold (key, value) pairs side by side: a probe
 * touches one cache line in the common case.  The home slot is the top bits of
 * vl_hash64(key) (Fibonacci-style: the table size is a power of two), so dense
 * integer keys (page numbers, pids) spread as well as random ones.
 *
 * One key value, VL_MAP_EMPTY (UINT64_MAX), marks an empty slot; a real key
 * equal to it is kept out of the table in its own field, so every 64-bit key
 * works.  Load is kept at most 3/4 (the table doubles past it).
 *
 * Invariants (vl_map_check): n equals the occupied slots (+1 if the max key is
 * present); every occupied slot is reachable from its home slot without
 * crossing an empty one; no key appears twice.
 *
 * Pointers returned by vl_map_get/vl_map_slot stay valid until the next insert
 * (which may grow the table) or delete (which may shift slots).
 */
#ifndef VMLAB_BASE_HASHMAP_H
#define VMLAB_BASE_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

#define VL_MAP_EMPTY UINT64_MAX

typedef struct vl_map_slot {
    uint64_t key; /* VL_MAP_EMPTY when the slot is free */
    uint64_t val; /* the value, meaningless when free */
} vl_map_slot_t;

typedef struct vl_map {
    vl_map_slot_t *slots; /* 2^bits slots, NULL until the first insert */
    size_t n;             /* keys held, the max key included */
    uint32_t bits;        /* log2 of the slot count, 0 while empty */
    int has_max;          /* is VL_MAP_EMPTY itself a key? */
    uint64_t max_val;     /* its value when has_max */
} vl_map_t;

/* vl_hash64 (MurmurHash3's finaliser) lives with vmlab's other hashes. */
#include "vmlab/hash.h"

/* An empty map needs no allocation: `vl_map_t m = {0};` or vl_map_init. */
void vl_map_init(vl_map_t *m);
void vl_map_free(vl_map_t *m);

/* Room for n keys without growing; 0, -ENOMEM or -EOVERFLOW. */
int vl_map_reserve(vl_map_t *m, size_t n);

/* The value slot of key, or NULL when absent. */
uint64_t *vl_map_get(const vl_map_t *m, uint64_t key);

/* The value slot of key, inserting it with value `init` when absent;
 * *inserted (may be NULL) says which.  NULL only when growing failed (ENOMEM). */
uint64_t *vl_map_slot(vl_map_t *m, uint64_t key, uint64_t init, int *inserted);

/* Set key -> val (insert or overwrite); 0 or -ENOMEM. */
int vl_map_put(vl_map_t *m, uint64_t key, uint64_t val);

/* Remove key; 1 if it was there (its value into *val when val != NULL), else 0. */
int vl_map_del(vl_map_t *m, uint64_t key, uint64_t *val);

static inline size_t vl_map_count(const vl_map_t *m) { return m->n; }

/* Start fetching key's home slot: a loop over a known key stream calls it
 * some references ahead (as mrc's and sim's tables do) so the probe finds
 * the line in cache.  Harmless on an empty map. */
static inline void vl_map_prefetch(const vl_map_t *m, uint64_t key)
{
    if (m->bits)
        __builtin_prefetch(&m->slots[vl_hash64(key) >> (64 - m->bits)]);
}

/* Iteration in slot order: `size_t it = 0; uint64_t k, v;
 * while (vl_map_next(m, &it, &k, &v)) ...`.  No inserts or deletes meanwhile. */
int vl_map_next(const vl_map_t *m, size_t *it, uint64_t *key, uint64_t *val);

/* Abort when an invariant above is broken. */
void vl_map_check(const vl_map_t *m);

#endif
