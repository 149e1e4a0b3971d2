#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_malloc.sh - every allocator design on the nine malloc-lab traces:
# utilization and replay ops/s, side by side with glibc in the same run, twice:
# through vmlab's replayer (policy libc) and through the reference replayer
# ../shared/bench/replay.c (built here), which touches payloads the same way
# (first and last byte).  Figures go to BENCHMARKS.md, section "## malloc".
#
# Environment: VMLAB (the binary), SHARED (../shared), BENCH_TIME (seconds
# per timing sample, default 0.2), BENCH_SAMPLES (default 5).
set -u
: "${VMLAB:=build/vmlab}"
: "${SHARED:=../shared}"
: "${BENCH_TIME:=0.2}"
: "${BENCH_SAMPLES:=5}"
ML=$SHARED/data/malloclab
OUT=bench/out
mkdir -p "$OUT"
if [ ! -f "$ML/amptjp-bal.rep" ]; then
    echo "bench_malloc: no traces in $ML, skipped"
    exit 0
fi

echo "# vmlab malloc replay --policy all,libc -t $BENCH_TIME -s $BENCH_SAMPLES $ML/*.rep"
"$VMLAB" malloc replay --policy all,libc -t "$BENCH_TIME" -s "$BENCH_SAMPLES" "$ML"/*.rep | tee "$OUT/malloc_replay.txt" || exit 1
"$VMLAB" malloc replay --policy segfit,libc -t "$BENCH_TIME" -s "$BENCH_SAMPLES" --output json "$ML"/*.rep >"$OUT/malloc_replay.json" || exit 1

echo
echo "# --align 16 (the real-use rule): what the stricter alignment costs"
"$VMLAB" malloc replay --policy segfit,explicit-addr,buddy --align 16 -t 0 "$ML"/*.rep | grep average

REF=$OUT/replay_ref
if cc -O2 -o "$REF" "$SHARED/bench/replay.c" 2>/dev/null; then
    echo
    echo "# side by side: segfit (vmlab) vs glibc through ../shared/bench/replay.c, median Mops/s"
    printf '%-20s %10s %10s %8s\n' trace segfit glibc-ref ratio
    for f in "$ML"/*.rep; do
        t=$(basename "$f")
        ref=$("$REF" -s "$BENCH_SAMPLES" -T "$BENCH_TIME" "$f" | sed -n 's/.*med_Mops=\([0-9.]*\).*/\1/p')
        ours=$("$VMLAB" malloc replay -t "$BENCH_TIME" -s "$BENCH_SAMPLES" "$f" | awk -v t="$t" '$1 == t { print $NF }')
        printf '%-20s %10s %10s %8s\n' "$t" "$ours" "$ref" "$(awk -v a="$ours" -v b="$ref" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
    done | tee "$OUT/malloc_side_by_side.txt"
    awk '{ if ($3 > 0) { s += log($2 / $3); n++ } } END { if (n) printf "geometric mean ratio segfit/glibc: %.2f\n", exp(s / n) }' "$OUT/malloc_side_by_side.txt"
fi
