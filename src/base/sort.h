/* SPDX-License-Identifier: MIT */
/*
 * sort.h - sorting large arrays of 64-bit keys in linear time: LSD radix sort
 * (Knuth TAOCP vol. 3, 5.2.5; the "counting pass first" form of
 * Friend 1956: one read of the keys fills all eight byte histograms, then one
 * stable scatter per byte).
 *
 * For what: `plot addresses` sorts every reference's address (50 M of them
 * in a long trace) to find the address bands; qsort with a comparison
 * function spent 5 s of an 8 s run there.  Memory addresses share most of
 * their bytes (the top two are zero in user space, the low twelve bits are
 * zero once rounded to pages), and a byte whose histogram holds all n keys
 * in one bucket is skipped, so a trace of pages usually costs 4-5 passes.
 *
 * Cost: one counting pass plus one scatter per byte that varies; n * 8
 * bytes of scratch (what glibc's qsort, a merge sort, also takes).
 */
#ifndef VMLAB_BASE_SORT_H
#define VMLAB_BASE_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sort a[0..n) ascending.  0, or -ENOMEM (a unchanged) when the scratch
 * array cannot be had; n * 8 overflowing size_t is -ENOMEM too. */
int vl_sort_u64(uint64_t *a, size_t n);

#endif
