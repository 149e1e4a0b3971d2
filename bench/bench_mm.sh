#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_mm.sh - `vmlab mm`'s targets: >= 20 M touches a second on resident
# pages, a fork of a 1 GiB fully written space in < 50 ms of CPU.  Figures go
# to BENCHMARKS.md, section "## mm".  Environment: BUILD, MM_BENCH_RUNS (5).
set -u
: "${BUILD:=build}"
OUT=bench/out
mkdir -p "$OUT"
cc -std=gnu11 -O2 -g -D_GNU_SOURCE -Iinclude -Isrc -o "$OUT/mm_bench" bench/mm_bench.c "$BUILD/libvmlab.a" \
    -lz -lm -lpthread $(pkg-config --libs libzstd 2>/dev/null || true) || exit 1
"$OUT/mm_bench" "${MM_BENCH_RUNS:-5}" | tee "$OUT/mm.txt"
