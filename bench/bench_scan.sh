#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_scan.sh - how fast `vmlab scan` searches a big heap, side by side
# with scanmem (Debian's package) on the same process and value.
#
# The target is tests/peek/plant with SCAN_MIB (default 1024) MiB of
# pseudo-random words on its heap and 3 planted copies of the value.  Each
# vmlab variant runs 5 times: the median wall time and the median CPU time
# (user + system, which a loaded machine does not inflate) are printed;
# scanmem runs once (it takes tens of seconds per GiB).  A string absent
# from the heap and a byte pattern with a wildcard (the planted value's
# bytes, the third any) are timed the same way.  Ratios are from this
# one run.  The machine is shared: compare CPU times, and ratios.
set -eu
VMLAB=${VMLAB:-build/vmlab}
BUILD=${BUILD:-build}
PLANT=$BUILD/tests/peek/plant
MIB=${SCAN_MIB:-1024}
[ -x "$PLANT" ] || { echo "bench_scan: $PLANT not built, skipped"; exit 0; }
[ -x /usr/bin/time ] || { echo "bench_scan: /usr/bin/time (GNU time) not installed, skipped"; exit 0; }
out=$(mktemp)
"$PLANT" 0x5ca1ab1e 1 1 1 "$MIB" >"$out" &
bg=$!
trap 'kill $bg 2>/dev/null; rm -f "$out" "$out.t" "$out.runs"' EXIT
while ! grep -q '^ready' "$out"; do sleep 0.2; done
pid=$(awk 'NR == 1 { print $2 }' "$out")

# run LABEL CMD...: 5 runs; prints "LABEL wall_ms cpu_ms" (medians)
run() {
    label=$1; shift
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f '%e %U %S' -o "$out.t" "$@" >/dev/null
        awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$out.t"
    done >"$out.runs"
    w=$(cut -d' ' -f1 "$out.runs" | sort -n | sed -n 3p)
    c=$(cut -d' ' -f2 "$out.runs" | sort -n | sed -n 3p)
    printf '%-44s %8s %8s\n' "$label" "$w" "$c"
    rm -f "$out.runs"
}
echo "heap of $MIB MiB (plant, pid $pid); median of 5 runs, milliseconds"
printf '%-44s %8s %8s\n' "command" "wall" "cpu"
run "vmlab scan --type u32 (aligned, 64 KiB chunks)" "$VMLAB" scan "$pid" --type u32 --value 0x5ca1ab1e
run "vmlab scan --chunk 8m" "$VMLAB" scan "$pid" --type u32 --value 0x5ca1ab1e --chunk 8m
run "vmlab scan --align 1 (every byte, as scanmem)" "$VMLAB" scan "$pid" --type u32 --value 0x5ca1ab1e --align 1
a1=$c
run "vmlab scan --access mem (/proc/PID/mem)" "$VMLAB" scan "$pid" --type u32 --value 0x5ca1ab1e --access mem
run "vmlab scan --type string (14 bytes, absent)" "$VMLAB" scan "$pid" --type string --value 'vmlab:planted!'
run "vmlab scan --type bytes '1e ab ?? 5c'" "$VMLAB" scan "$pid" --type bytes --value '1e ab ?? 5c'
if command -v scanmem >/dev/null; then
    /usr/bin/time -f '%e %U %S' -o "$out.t" scanmem -p "$pid" \
        -c "option scan_data_type int32; option region_scan_level 3; reset; 1554098974; exit" >/dev/null 2>&1
    s=$(awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$out.t")
    printf '%-44s %8s %8s\n' "scanmem int32, level 3 (1 run)" ${s}
    awk -v a="$a1" -v s="${s#* }" \
        'BEGIN { printf "ratio of CPU time, scanmem / vmlab --align 1: %.1f\n", s / a }'
else
    echo "scanmem not installed: no comparison"
fi
