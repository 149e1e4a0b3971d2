#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_mrc_scale.sh - vmlab mrc and sim at scale (issue 20): CPU time (user
# + system) and peak RSS of each curve on zipf traces over 4 M pages in the
# vmlab binary format stored by page, at 10 M and 100 M references (and
# 1 G with SCALE_BIG=1: 2.6 GB of disk, tens of minutes), one run each,
# through /usr/bin/time.  Targets (BENCHMARKS.md, "## mrc at scale"): at 1 G
# references exact LRU < 120 CPU-s and < 1 GB; SHARDS 1% >= 100 M refs/s and
# < 200 MB; fixed-size SHARDS (8192) < 50 MB; OPT curve < 600 CPU-s.
# The traces go to $SCALE_DIR (default /tmp/vmlab-scale) and are deleted at
# the end unless SCALE_KEEP=1.
VMLAB=${VMLAB:-build/vmlab}
dir=${SCALE_DIR:-/tmp/vmlab-scale}
sizes="10000000 100000000"
[ "${SCALE_BIG:-0}" = 1 ] && sizes="$sizes 1000000000"
mkdir -p "$dir"
printf '%-11s %-38s %9s %9s %10s\n' refs command CPU-s RSS-MB "M refs/s"
for n in $sizes; do
    t="$dir/zipf4m-$n.vmt"
    [ -f "$t" ] || "$VMLAB" gen zipf --pages 4000000 --length "$n" --seed 1 -o - |
        "$VMLAB" convert --page-size 4096 -o "$t" - || exit 1
    for c in "trace-info" "mrc -p lru" "mrc -p lru --shards 0.01" "mrc -p lru --shards 0.001" \
             "mrc -p lru --shards-size 8192" "mrc -p opt" "sim -p lru -n 100000" \
             "sim -p opt -n 100000"; do
        # shellcheck disable=SC2086
        /usr/bin/time -f "%U %S %M" -o "$dir/time" "$VMLAB" $c "$t" >/dev/null 2>&1 || exit 1
        read -r u s m <"$dir/time"
        awk -v n="$n" -v c="$c" -v u="$u" -v s="$s" -v m="$m" 'BEGIN {
            printf "%-11d %-38s %9.2f %9.1f %10.1f\n", n, "vmlab " c, u + s, m / 1024, n / (u + s) / 1e6 }'
    done
done
[ "${SCALE_KEEP:-0}" = 1 ] || rm -f "$dir"/zipf4m-*.vmt "$dir/time"
