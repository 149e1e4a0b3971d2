#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_malloc_frag.sh - every design on the fragmentation adversaries of
# `vmlab malloc gen` (issue 18): KINDS x SEEDS generated traces beside the
# nine malloc-lab traces, utilization per kind (mean and worst seed),
# beside the two references (offline: a clairvoyant placement; bound: the
# largest sum of live blocks, a ceiling for 8-byte headers), and
# the replay speed of segfit and adaptive against glibc on the nine traces
# (geometric mean of the per-trace ratios, same run).  Figures go to
# BENCHMARKS.md, "### Fragmentation adversaries".
#
# Environment: VMLAB, SHARED, SEEDS (default 10), FIRST (first seed, default
# 1; the held-out seeds of BENCHMARKS.md: FIRST=71 SEEDS=30), BENCH_TIME
# (default 0.2), BENCH_SAMPLES (default 5).
set -u
: "${VMLAB:=build/vmlab}"
: "${SHARED:=../shared}"
: "${SEEDS:=10}"
: "${FIRST:=1}"
: "${BENCH_TIME:=0.2}"
: "${BENCH_SAMPLES:=5}"
ML=$SHARED/data/malloclab
OUT=bench/out
mkdir -p "$OUT"
KINDS="regrow random realloc shift ladder bufsmall pairs randmix grow structs"

T=""
for k in $KINDS; do
    s=$FIRST
    while [ "$s" -lt "$((FIRST + SEEDS))" ]; do
        T="$T gen:$k:$s"
        s=$((s + 1))
    done
done
echo "# vmlab malloc replay --policy all,libc,offline,bound -t 0 gen:KIND:$FIRST..$((FIRST + SEEDS - 1)) (kinds: $KINDS)"
# shellcheck disable=SC2086
"$VMLAB" malloc replay --no-progress --policy all,libc,offline,bound -t 0 $T >"$OUT/malloc_frag.txt" || exit 1
if [ -f "$ML/amptjp-bal.rep" ]; then
    "$VMLAB" malloc replay --no-progress --policy all,libc,offline,bound -t 0 "$ML"/*.rep >"$OUT/malloc_frag_ml.txt" || exit 1
fi
awk -v kinds="$KINDS" '
    FNR == 1 { file++ }
    file == 1 && /^gen:/ { split($1, a, ":"); k = a[2]; p = $2; u = $4 + 0
        s[p, k] += u; n[p, k]++; if (!((p, k) in m) || u < m[p, k]) m[p, k] = u
        s[p, "all"] += u; n[p, "all"]++; if (!((p, "all") in m) || u < m[p, "all"]) m[p, "all"] = u
        if (!(p in seen)) { seen[p] = 1; order[++np] = p } }
    file == 2 && /^average/ { ml[$2] = $4 }
    END {
        nk = split(kinds " all", K, " ")
        printf "| design | malloc-lab 9 |"
        for (i = 1; i <= nk; i++) printf " %s mean / worst |", K[i]
        printf "\n|---|---:|"
        for (i = 1; i <= nk; i++) printf "---:|"
        printf "\n"
        for (j = 1; j <= np; j++) {
            p = order[j]
            printf "| %s | %s |", p, (p in ml) ? ml[p] : "-"
            for (i = 1; i <= nk; i++) printf " %.1f / %.1f |", s[p, K[i]] / n[p, K[i]], m[p, K[i]]
            printf "\n"
        }
    }' "$OUT/malloc_frag.txt" "$OUT/malloc_frag_ml.txt" | tee "$OUT/malloc_frag.md"

if [ -f "$ML/amptjp-bal.rep" ]; then
    echo
    echo "# replay speed on the nine traces, M ops/s (-t $BENCH_TIME -s $BENCH_SAMPLES, one run)"
    "$VMLAB" malloc replay --policy segfit,adaptive,libc -t "$BENCH_TIME" -s "$BENCH_SAMPLES" "$ML"/*.rep |
        awk '$3 == "yes" { r[$1, $2] = $7; t[$1] = 1 }
             END { for (x in t) { if (r[x, "libc"] > 0) { ls += log(r[x, "segfit"] / r[x, "libc"]); la += log(r[x, "adaptive"] / r[x, "libc"]); n++ }
                                  printf "%-20s segfit %8.2f adaptive %8.2f libc %8.2f\n", x, r[x, "segfit"], r[x, "adaptive"], r[x, "libc"] }
                   if (n) printf "geometric mean vs glibc: segfit %.2fx, adaptive %.2fx\n", exp(ls / n), exp(la / n) }' |
        sort | tee "$OUT/malloc_frag_speed.txt"
fi
