/* SPDX-License-Identifier: MIT */
/*
 * alloc_api.c - the allocation entry points that follow from others
 * (src/base/alloc_api.h) keep glibc's rules under every library that
 * replaces malloc: memalign and aligned_alloc round an alignment up to a
 * power of two, memalign refuses one no power of two reaches (EINVAL),
 * posix_memalign refuses a bad alignment (EINVAL) and returns ENOMEM,
 * pvalloc(0) is one page, and sizes whose arithmetic overflows fail with
 * ENOMEM.  Single-threaded (the leak finder refuses threads).  Prints
 * "alloc_api: ok", or one line per broken rule and exits 1.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* through volatiles, so that the compiler neither folds nor warns */
static volatile size_t huge = SIZE_MAX - 1;
static volatile size_t p61 = (size_t)1 << 61;
static volatile size_t a24 = 24, a48 = 48; /* not powers of two: rounded up */
/* errno through a volatile lvalue: clang assumes the malloc family leaves
 * errno alone and would forward a 0 stored before the call to a read after */
#define ERRNO (*(volatile int *)&errno)
static void *volatile sink;
static int failed;

static void fail(const char *what)
{
    fprintf(stderr, "alloc_api: FAIL %s\n", what);
    failed = 1;
}

int main(void)
{
    void *q = NULL;
    char *m = memalign(a24, 100), *a = aligned_alloc(a48, 96), *pg = pvalloc(0);
    if (!m || (uintptr_t)m % 32 != 0)
        fail("memalign(24, 100): expected a block aligned to 32");
    if (!a || (uintptr_t)a % 64 != 0)
        fail("aligned_alloc(48, 96): expected a block aligned to 64");
    if (!pg || (uintptr_t)pg % 4096 != 0)
        fail("pvalloc(0): expected one page-aligned page");
    else
        memset(pg, 1, 4096);
    free(m);
    free(a);
    free(pg);

    ERRNO = 0;
    sink = memalign(huge, 1);
    if (sink || ERRNO != EINVAL)
        fail("memalign above the largest power of two: expected NULL and EINVAL");
    if (posix_memalign(&q, a24, 100) != EINVAL)
        fail("posix_memalign with alignment 24: expected EINVAL");
    if (posix_memalign(&q, p61, 100) != ENOMEM) /* glibc also sets errno here */
        fail("posix_memalign with alignment 2^61: expected ENOMEM");
    if (posix_memalign(&q, 64, 100) != 0 || (uintptr_t)q % 64 != 0)
        fail("posix_memalign(64, 100)");
    free(q);

    ERRNO = 0;
    sink = pvalloc(huge);
    if (sink || ERRNO != ENOMEM)
        fail("pvalloc whose rounding overflows: expected NULL and ENOMEM");
    ERRNO = 0;
    sink = reallocarray(NULL, huge, 2);
    if (sink || ERRNO != ENOMEM)
        fail("reallocarray whose product overflows: expected NULL and ENOMEM");
    sink = malloc(10);
    ERRNO = 0;
    q = reallocarray(sink, huge, 3); /* fails: sink stays the block */
    if (q || ERRNO != ENOMEM)
        fail("reallocarray(p, ...) overflowing: expected NULL and ENOMEM, p kept");
    q = reallocarray(sink, 5, 7);
    if (!q)
        fail("reallocarray(p, 5, 7)");
    free(q);
    if (!failed)
        printf("alloc_api: ok\n");
    return failed;
}
