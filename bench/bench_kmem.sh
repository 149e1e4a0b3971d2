#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_kmem.sh - kmem's slab caches against glibc and mimalloc (1 M live
# 200-byte objects), two-thread scaling, the buddy allocator's order-0
# pair, and the machine's memory limits with the FIFO and random churns'
# floors (the loop without allocator calls, and with a pointer stack behind
# two calls), side by side in one run.  Figures go to BENCHMARKS.md, section
# "## kmem".  mimalloc (Debian's libmimalloc2.0) is optional: without it its
# column is 0.
#
# Environment: BUILD (build directory), KMEM_BENCH_ARGS (default -s 5).
set -u
: "${BUILD:=build}"
OUT=bench/out
mkdir -p "$OUT"
cc -std=gnu11 -O2 -g -D_GNU_SOURCE -Iinclude -Isrc -o "$OUT/kmem_bench" bench/kmem_bench.c "$BUILD/libvmlab.a" \
    -lz -lm -lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || true) || exit 1
"$OUT/kmem_bench" ${KMEM_BENCH_ARGS:--s 5} | tee "$OUT/kmem.txt"
