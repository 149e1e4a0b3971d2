/* SPDX-License-Identifier: MIT */
/*
 * dense_ids.h - 64-bit page keys numbered 0, 1, 2, ... in order of first
 * use, one batch at a time, so the stack-distance engines index their
 * per-page state by a dense id.  Memory: one 16-byte entry a distinct key
 * at load <= 1/2 (32 bytes a page), whatever the number of references.
 *
 * Invariants (dense_ids_check): every used entry sits on its probe path
 * from vl_hash64(key); the used entries number `count` and their ids are
 * exactly 0 .. count - 1; count * 2 <= table size.
 */
#ifndef VMLAB_MRC_DENSE_IDS_H
#define VMLAB_MRC_DENSE_IDS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dense_ids dense_ids_t;

/* An empty numbering; NULL with errno ENOMEM. */
dense_ids_t *dense_ids_new(void);
void dense_ids_free(dense_ids_t *m);
/* id[i] = the id of key[i], numbering new keys as they come.  0, or
 * -ENOMEM / -EOVERFLOW (past 2^32 - 2 keys) with the ids of key[0, i)
 * assigned and *done = i. */
int dense_ids_map(dense_ids_t *m, const uint64_t *key, size_t n, uint32_t *id /* OUT */,
                  size_t *done /* OUT */);
/* Keys numbered so far. */
uint32_t dense_ids_count(const dense_ids_t *m);
/* Bytes the numbering holds (its own allocations). */
size_t dense_ids_bytes(const dense_ids_t *m);
/* Abort if an invariant is broken (O(table)). */
void dense_ids_check(const dense_ids_t *m);

#endif
