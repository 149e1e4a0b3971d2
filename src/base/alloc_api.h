/* SPDX-License-Identifier: MIT */
/*
 * alloc_api.h - the C library's allocation entry points that follow from
 * others, written once for the three LD_PRELOAD libraries that replace
 * malloc (src/malloc/preload.c, src/malloc/record_shim.c, src/gc/leaks.c).
 *
 * Each helper takes the library's own primitive (its realloc, or its
 * allocator of aligned blocks, al(align, n) with align a power of two) and
 * gives the entry point glibc's semantics (malloc/malloc.c, glibc 2.36;
 * posix_memalign and aligned_alloc as POSIX.1-2017 and C11 state them):
 *   reallocarray(p, n, m)   realloc(p, n * m); ENOMEM, p untouched, when
 *                           n * m overflows.
 *   memalign, aligned_alloc an alignment that is not a power of two is
 *                           rounded up to the next one; one above
 *                           SIZE_MAX / 2 + 1 (no power of two is) is EINVAL.
 *   posix_memalign          EINVAL unless the alignment is a power of two
 *                           and a multiple of sizeof(void *); ENOMEM is
 *                           returned, errno is left as it was.
 *   pvalloc                 the size rounded up to whole pages, one page
 *                           for 0; ENOMEM when the rounding overflows.
 * Inline, so that the primitive is called directly, not through a pointer.
 */
#ifndef VMLAB_BASE_ALLOC_API_H
#define VMLAB_BASE_ALLOC_API_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

typedef void *vl_realloc_fn(void *p, size_t n);
typedef void *vl_aligned_fn(size_t align, size_t n); /* align: a power of two */

static inline void *vl_alloc_reallocarray(vl_realloc_fn *re, void *p, size_t n, size_t m)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, m, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return re(p, bytes);
}

static inline void *vl_alloc_memalign(vl_aligned_fn *al, size_t align, size_t n)
{
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align & (align - 1))
        align = (size_t)1 << (64 - __builtin_clzll((unsigned long long)align));
    return al(align, n);
}

static inline int vl_alloc_posix_memalign(vl_aligned_fn *al, void **out, size_t align, size_t n)
{
    int e = errno;
    void *p;
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    p = al(align, n);
    errno = e;
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

static inline void *vl_alloc_pvalloc(vl_aligned_fn *al, size_t n, size_t page)
{
    if (n > SIZE_MAX - (page - 1)) {
        errno = ENOMEM;
        return NULL;
    }
    n = n ? (n + page - 1) & ~(page - 1) : page;
    return al(page, n);
}

#endif
