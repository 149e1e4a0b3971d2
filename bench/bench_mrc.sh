#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_mrc.sh - fault-curve engines on gen_trace's zipf trace (10 M references,
# 762 669 pages), side by side with ../shared/bench/baseline.c's Fenwick tree:
#   exact LRU curve (target >= 10 M refs/s; baseline mrc alongside),
#   exact OPT curve for every size against 10 separate OPT simulations,
#   SHARDS at rate 0.01 (target >= 60 M refs/s, mean absolute error <= 0.01),
#   and `vmlab mrc` end to end on the text trace.
# Engines run on the in-memory trace (bench/mrc_engine.c); wall time and
# this thread's CPU time are both shown (the box is shared: CPU time is the
# steadier one).  RUNS=N repeats (default 3) and reports medians.
set -eu
BUILD=${BUILD:-$(pwd)/build}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
RUNS=${RUNS:-3}
OUT=bench/out/mrc
mkdir -p "$OUT"
cc=${CC:-cc}
$cc -O2 -o "$OUT/gen_trace" "$SHARED/bench/gen_trace.c" -lm
$cc -O3 -march=native -o "$OUT/baseline" "$SHARED/bench/baseline.c"
$cc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -o "$OUT/mrc_engine" bench/mrc_engine.c \
    "$BUILD/libvmlab.a" -lz -lm -lpthread $(pkg-config --libs libzstd 2>/dev/null || true)
[ -f "$OUT/zipf.ids.u64" ] || (cd "$OUT" && ./gen_trace zipf 10000000 1000000 1.0 42 zipf)

. "$(dirname "$0")/lib.sh" # median, ratio

echo "## exact LRU curve, $RUNS runs alternating (Mrefs/s)"
: >"$OUT/lru"; : >"$OUT/lru_cpu"; : >"$OUT/base"
for i in $(seq "$RUNS"); do
    "$OUT/mrc_engine" lru "$OUT/zipf.ids.u64" | tee "$OUT/lru.log" | head -1
    awk '/^lru refs/ { print $7 > "'"$OUT/lru.v"'"; print $11 > "'"$OUT/lru_cpu.v"'" }' "$OUT/lru.log"
    cat "$OUT/lru.v" >>"$OUT/lru"; cat "$OUT/lru_cpu.v" >>"$OUT/lru_cpu"
    "$OUT/baseline" mrc "$OUT/zipf.ids.u64" | tee "$OUT/base.log" | head -1
    awk '/stack-distance/ { print $(NF-2) }' "$OUT/base.log" >>"$OUT/base"
done
grep 'miss ratio' "$OUT/lru.log"
grep 'miss ratio' "$OUT/base.log"
l=$(median <"$OUT/lru"); lc=$(median <"$OUT/lru_cpu"); b=$(median <"$OUT/base")
echo "median: vmlab lru $l Mrefs/s wall ($lc per CPU-second), baseline.c Fenwick $b Mrefs/s wall," \
     "ratio $(echo "$l $b" | awk '{ printf "%.2f", $1 / $2 }')x"

echo "## exact OPT curve (every size) vs 10 OPT simulations"
"$OUT/mrc_engine" opt "$OUT/zipf.ids.u64" | tee "$OUT/opt.log"
"$OUT/mrc_engine" optsim "$OUT/zipf.ids.u64" 1000 5000 10000 25000 50000 76267 100000 200000 381334 700000 \
    | tee "$OUT/optsim.log"
o=$(awk '/^opt refs/ { print $5 }' "$OUT/opt.log"); oc=$(awk '/^opt refs/ { print $9 }' "$OUT/opt.log")
s=$(awk '/^optsim sims/ { print $7 }' "$OUT/optsim.log"); sc=$(awk '/^optsim sims/ { print $9 }' "$OUT/optsim.log")
echo "OPT curve $o s wall ($oc CPU-s) vs 10 simulations $s s wall ($sc CPU-s):" \
     "$(echo "$sc $oc" | awk '{ printf "%.2f", $1 / $2 }')x less CPU time"

echo "## SHARDS"
"$OUT/mrc_engine" shards "$OUT/zipf.ids.u64" 0.01
"$OUT/mrc_engine" shards "$OUT/zipf.ids.u64" 0.001
"$OUT/mrc_engine" shards "$OUT/zipf.ids.u64" 0 8192

echo "## vmlab mrc end to end (reading the text trace: one id a line, -F pages)"
if "$BUILD/vmlab" mrc --help >/dev/null 2>&1; then
    for a in "-p lru" "-p opt" "-p lru --shards 0.01"; do
        t0=$(date +%s.%N)
        "$BUILD/vmlab" mrc -F pages $a --output csv -o "$OUT/e2e.csv" "$OUT/zipf.txt"
        t1=$(date +%s.%N)
        echo "vmlab mrc $a: $(echo "$t0 $t1" | awk '{ printf "%.2f s, %.2f M refs/s", $2 - $1, 10 / ($2 - $1) }')"
    done
fi
