/* SPDX-License-Identifier: MIT */
/*
 * sort.c - LSD radix sort of 64-bit keys (see sort.h).
 *
 * Invariant after the pass for byte d (counted from the least significant):
 * the keys are sorted by their low 8 * (d + 1) bits, because each scatter is
 * stable.  A byte with one populated bucket permutes nothing and is skipped.
 */
#include "base/sort.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { SORT_SMALL = 64 }; /* below this, insertion sort: no scratch */

static void insertion_sort(uint64_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t k = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > k; j--)
            a[j] = a[j - 1];
        a[j] = k;
    }
}

int vl_sort_u64(uint64_t *a, size_t n)
{
    size_t (*cnt)[256];
    uint64_t *tmp, *src = a, *dst;
    if (n < SORT_SMALL) {
        insertion_sort(a, n);
        return 0;
    }
    if (n > SIZE_MAX / sizeof *a || !(tmp = malloc(n * sizeof *a)))
        return -ENOMEM;
    if (!(cnt = calloc(8, sizeof *cnt))) {
        free(tmp);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[i];
        for (unsigned d = 0; d < 8; d++)
            cnt[d][(k >> (8 * d)) & 0xff]++;
    }
    dst = tmp;
    for (unsigned d = 0; d < 8; d++) {
        size_t *c = cnt[d], sum = 0;
        unsigned shift = 8 * d;
        if (c[(src[0] >> shift) & 0xff] == n) /* every key has this byte: nothing moves */
            continue;
        for (unsigned b = 0; b < 256; b++) { /* counts -> first index of each bucket */
            size_t k = c[b];
            c[b] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = src[i];
            dst[c[(k >> shift) & 0xff]++] = k;
        }
        uint64_t *t = src;
        src = dst, dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    free(cnt);
    free(tmp);
    return 0;
}
