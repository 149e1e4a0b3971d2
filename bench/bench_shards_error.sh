#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_shards_error.sh - the accuracy of SHARDS (issue 20): mean absolute
# error of the miss ratio against the exact LRU curve over the sizes >= 1000
# among `--points 400`'s, for each seed 1..SEEDS (default 20), printed as the
# mean, median and worst over the seeds, for each trace and SHARDS mode.
#   sh bench/bench_shards_error.sh [TRACE...]
# With no TRACE it makes the ones of BENCHMARKS.md ("## mrc at scale"): zipf
# over 4 M pages (10 M references) and `vmlab gen MODEL --pages 400000
# --length 3000000 --seed 5` for zipf alpha 1.2, 1.0, 0.9, 0.7, phases, mix
# and uniform, in $ERR_DIR (default /tmp/vmlab-shards-error, deleted at the
# end).  MODES (default "--shards-size 8192") lists the modes, separated by
# ";"; PAGE_SIZE, if set, is passed as --page-size (the real traces in
# ../shared/data have more than 8192 pages only at 4 bytes).
VMLAB=${VMLAB:-build/vmlab}
SEEDS=${SEEDS:-20}
MODES=${MODES:---shards-size 8192}
dir=${ERR_DIR:-/tmp/vmlab-shards-error}
ps=
[ -n "${PAGE_SIZE:-}" ] && ps="--page-size $PAGE_SIZE"
mkdir -p "$dir" || exit 1
if [ $# -eq 0 ]; then
    "$VMLAB" gen zipf --pages 4000000 --length 10000000 --seed 1 -o - |
        "$VMLAB" convert --page-size 4096 -o "$dir/zipf4m-10m.vmt" - || exit 1
    set -- "$dir/zipf4m-10m.vmt"
    for m in zipf:alpha=1.2 zipf:alpha=1.0 zipf:alpha=0.9 zipf:alpha=0.7 phases mix uniform; do
        f="$dir/$(echo "$m" | tr ':=' '__').vmt"
        "$VMLAB" gen "$m" --pages 400000 --length 3000000 --seed 5 -o - |
            "$VMLAB" convert --page-size 4096 -o "$f" - || exit 1
        set -- "$@" "$f"
    done
    made=1
fi
printf '%-28s %-22s %8s %8s %8s\n' trace mode mean median worst
for t in "$@"; do
    # shellcheck disable=SC2086
    "$VMLAB" mrc -p lru $ps --points 400 --output csv "$t" >"$dir/exact.csv" || exit 1
    frames=$(awk -F, 'NR > 1 && $2 >= 1000 { printf "%s%s", s, $2; s = "," }' "$dir/exact.csv")
    [ -n "$frames" ] || { echo "$t: no size >= 1000"; continue; }
    echo "$MODES" | tr ';' '\n' | while read -r mode; do
        [ -n "$mode" ] || continue
        : >"$dir/errs"
        s=1
        while [ "$s" -le "$SEEDS" ]; do
            # shellcheck disable=SC2086
            "$VMLAB" mrc -p lru $ps $mode --seed "$s" --frames "$frames" --output csv "$t" \
                >"$dir/approx.csv" || exit 1
            awk -F, 'NR == FNR { if (FNR > 1) ex[$2] = $4; next }
                     FNR > 1 && ($2 in ex) { d = $4 - ex[$2]; e += d < 0 ? -d : d; m++ }
                     END { printf "%.6f\n", e / m }' "$dir/exact.csv" "$dir/approx.csv" >>"$dir/errs"
            s=$((s + 1))
        done
        sort -n "$dir/errs" | awk -v t="$(basename "$t")" -v mode="$mode" '
            { v[NR] = $1; sum += $1 }
            END { med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                  printf "%-28s %-22s %8.5f %8.5f %8.5f\n", t, mode, sum / NR, med, v[NR] }'
    done
done
rm -f "$dir/exact.csv" "$dir/approx.csv" "$dir/errs"
[ -n "${made:-}" ] && rm -f "$dir"/*.vmt
exit 0
