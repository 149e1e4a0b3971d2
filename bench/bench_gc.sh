#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_gc.sh - GCBench (bench/gcbench.c) on vmlab gc and on the Boehm
# collector (bdwgc, Debian's libgc-dev), side by side in one run
# (BENCHMARKS.md, "## gc").
#
# Both binaries are built from the same source with the same flags (-O2);
# runs alternate vmlab, bdwgc, vmlab, ... so load drifts hit both alike.
# Per collector: the median wall time, user+sys CPU time and peak RSS
# (/usr/bin/time %e %U %S %M) of RUNS runs, the collections it made, and the
# ratios vmlab / bdwgc.  The output lines without "msec" (the trees per depth)
# must be the same under both.
#
# usage: sh bench/bench_gc.sh          (BUILD from bench/run.sh)
#        RUNS=9 sh bench/bench_gc.sh
# Output: a table on stdout, also written to bench/out/gc.md.
set -u
BUILD=${BUILD:-$(pwd)/build}
RUNS=${RUNS:-5}
OUT=$(pwd)/bench/out/gc
CC=${CC:-cc}
rm -rf "$OUT"
mkdir -p "$OUT"

[ -f "$BUILD/libvmlab.a" ] || { echo "bench_gc: $BUILD/libvmlab.a is not built (run make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_gc: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
$CC -O2 -Iinclude bench/gcbench.c "$BUILD/libvmlab.a" -lpthread -o "$OUT/gcbench-vmlab" || exit 1
if ! $CC -O2 -DUSE_BDWGC bench/gcbench.c -lgc -o "$OUT/gcbench-bdwgc" 2>"$OUT/bdwgc.err"; then
    echo "bench_gc: bdwgc not found (apt-get install libgc-dev): vmlab alone" >&2
    COLLECTORS=vmlab
else
    COLLECTORS="vmlab bdwgc"
fi

i=0
while [ $i -lt "$RUNS" ]; do
    for c in $COLLECTORS; do
        /usr/bin/time -f "%e %U %S %M" -o "$OUT/t" "$OUT/gcbench-$c" >"$OUT/out.$c" 2>"$OUT/err.$c" ||
            { echo "bench_gc: gcbench-$c failed: $(cat "$OUT/err.$c")" >&2; exit 1; }
        awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$OUT/t" >>"$OUT/times.$c"
        sed -n 's/.*: \([0-9]*\) collections$/\1/p' "$OUT/err.$c" >>"$OUT/gcs.$c"
        grep -v msec "$OUT/out.$c" >"$OUT/lines.$c"
    done
    i=$((i + 1))
done
if [ -f "$OUT/lines.bdwgc" ] && ! cmp -s "$OUT/lines.vmlab" "$OUT/lines.bdwgc"; then
    echo "bench_gc: GCBench's output differs between the collectors:" >&2
    diff "$OUT/lines.vmlab" "$OUT/lines.bdwgc" >&2
    exit 1
fi

. "$(dirname "$0")/lib.sh" # median, ratio
{
    echo "### GCBench (stretch 18, long-lived 16, 500,000 doubles, trees 4..16): median of $RUNS runs"
    echo
    echo "| collector | wall | cpu | peak RSS | collections |"
    echo "|---|---:|---:|---:|---:|"
    for c in $COLLECTORS; do
        t=$(cut -d' ' -f1 "$OUT/times.$c" | median)
        u=$(cut -d' ' -f2 "$OUT/times.$c" | median)
        m=$(cut -d' ' -f3 "$OUT/times.$c" | median)
        g=$(median <"$OUT/gcs.$c")
        printf '| %s | %s s | %s s | %.1f MiB | %s |\n' "$c" "$t" "$u" "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" "$g"
        eval "T_$c=$t U_$c=$u M_$c=$m"
    done
    if [ "$COLLECTORS" = "vmlab bdwgc" ]; then
        printf '| vmlab / bdwgc | %sx | %sx | %sx | |\n' "$(ratio "$T_vmlab" "$T_bdwgc")" \
            "$(ratio "$U_vmlab" "$U_bdwgc")" "$(ratio "$M_vmlab" "$M_bdwgc")"
        echo
        echo "Output lines other than times: identical under both collectors."
    fi
} | tee "$OUT.md"
