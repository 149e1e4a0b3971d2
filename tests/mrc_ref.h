/* SPDX-License-Identifier: MIT */
/*
 * mrc_ref.h - straightforward references for the fault-curve tests
 * (tests/test_mrc.c, tests/test_mrc_stream.c), sharing no code with
 * src/mrc: Belady's MIN by looking ahead, and traces with locality.
 */
#ifndef VMLAB_TESTS_MRC_REF_H
#define VMLAB_TESTS_MRC_REF_H

#include <stdint.h>
#include <stdlib.h>

/* Belady's MIN faults with f frames: evict the page used farthest in the
 * future (a linear look-ahead per eviction: O(n^2 f), for short traces). */
static inline uint64_t ref_opt_faults(const uint64_t *p, size_t n, size_t f)
{
    uint64_t *pg = malloc(f * sizeof *pg), faults = 0;
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        size_t i, v = 0, far = 0;
        for (i = 0; i < k && pg[i] != p[t]; i++)
            ;
        if (i < k)
            continue;
        faults++;
        if (k < f) {
            pg[k++] = p[t];
            continue;
        }
        for (i = 0; i < k; i++) {
            size_t u = t + 1;
            while (u < n && p[u] != pg[i])
                u++;
            if (u > far)
                v = i, far = u;
        }
        pg[v] = p[t];
    }
    free(pg);
    return faults;
}

/* n page numbers over `universe` pages drawn with next(): mode 0 uniform,
 * 1 a random walk with jumps, 2 skewed (low pages far more often); the
 * numbers are spread out (sparse) so no code can index by them. */
static inline void ref_trace(uint64_t *p, size_t n, unsigned universe, unsigned mode,
                             uint64_t (*next)(void))
{
    uint64_t cur = 0;
    for (size_t t = 0; t < n; t++) {
        if (mode == 0)
            cur = next() % universe;
        else if (mode == 1)
            cur = next() % 4 == 0 ? next() % universe : (cur + next() % 3) % universe;
        else
            cur = (next() % universe) * (next() % universe) / universe;
        p[t] = cur * 7919 + 13;
    }
}

#endif
