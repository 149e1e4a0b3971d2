/* SPDX-License-Identifier: MIT */
/*
 * vec.h - growable arrays with overflow-checked growth, shared by every module.
 *
 * Two forms of one rule (capacity doubles, starting at VL_VEC_MIN elements, so
 * n pushes cost O(n) copies in all: the amortised argument of CLRS 17.4):
 *   - vl_grow(&ptr, &cap, need, elem_size): make room for `need` elements of an
 *     array the caller already keeps as (pointer, capacity);
 *   - VL_VEC(T): a typed {v, n, cap} triple with vl_vec_push/vl_vec_reserve.
 * Every size product is checked: a request whose byte size would overflow size_t
 * (or exceed VL_VEC_MAX_BYTES, a cap that turns a runaway loop into an error
 * instead of the whole machine's memory) returns -EOVERFLOW; a failed realloc
 * returns -ENOMEM and leaves the array as it was.
 *
 * Invariant (vl_vec_check): n <= cap, and v == NULL exactly when cap == 0.
 */
#ifndef VMLAB_BASE_VEC_H
#define VMLAB_BASE_VEC_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "vmlab/check.h"

#define VL_VEC_MIN 16
/* No single array vmlab builds needs more than this (64 GiB); past it a size is
 * a bug or a hostile input. */
#define VL_VEC_MAX_BYTES ((size_t)1 << 36)

/* Ensure *cap >= need elements of `elem` bytes each at *p (realloc'ed).
 * Returns 0, -EOVERFLOW (size arithmetic overflows or passes VL_VEC_MAX_BYTES)
 * or -ENOMEM (realloc failed; *p and *cap unchanged). */
static inline int vl_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    if (elem == 0 || need > VL_VEC_MAX_BYTES / elem)
        return -EOVERFLOW;
    size_t c = *cap ? *cap : VL_VEC_MIN;
    while (c < need)
        c = c > SIZE_MAX / 2 ? need : c * 2;
    if (c > VL_VEC_MAX_BYTES / elem)
        c = need; /* the doubling overshot the cap; the exact need fits */
    void *q = realloc(*p, c * elem);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* vl_grow for a capacity kept as uint32_t (dense ids, frame numbers): also
 * -EOVERFLOW past UINT32_MAX elements; *cap never records more than that. */
static inline int vl_grow32(void **p, uint32_t *cap, size_t need, size_t elem)
{
    size_t c = *cap;
    if (need > UINT32_MAX)
        return -EOVERFLOW;
    int rc = vl_grow(p, &c, need, elem);
    if (rc == 0)
        *cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    return rc;
}

/* A typed vector: `VL_VEC(uint32_t) frames = {0};` is an empty one. */
#define VL_VEC(T)                                                              \
    struct {                                                                   \
        T *v;       /* the elements, NULL while cap == 0 */                    \
        size_t n;   /* elements in use: v[0 .. n) */                           \
        size_t cap; /* elements allocated */                                   \
    }

/* Make room for `need` elements in all; 0 or -errno as vl_grow. */
#define vl_vec_reserve(vec, need)                                              \
    vl_grow((void **)&(vec)->v, &(vec)->cap, (need), sizeof(*(vec)->v))

/* Append x; 0 or -errno (the vector is unchanged on error). */
#define vl_vec_push(vec, x)                                                    \
    ((vec)->n < (vec)->cap || vl_vec_reserve((vec), (vec)->n + 1) == 0         \
         ? ((vec)->v[(vec)->n++] = (x), 0)                                     \
         : vl_vec_reserve((vec), (vec)->n + 1))

/* Free the elements and leave an empty vector. */
#define vl_vec_free(vec)                                                       \
    do {                                                                       \
        free((vec)->v);                                                        \
        (vec)->v = NULL;                                                       \
        (vec)->n = (vec)->cap = 0;                                             \
    } while (0)

#define vl_vec_check(vec)                                                      \
    VL_ASSERT((vec)->n <= (vec)->cap && (((vec)->v == NULL) == ((vec)->cap == 0)))

#endif
