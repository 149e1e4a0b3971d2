#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_sched.sh - speed of vmlab sched (issue 15's targets: >= 5 M scheduling
# events a second on one thread; a 1,000-CPU, 100,000-task workload of 60
# simulated seconds in under a minute).
#
# bench/sched_run.c times sched_run() alone in CPU time (user + system; the
# machine is shared, so wall time would measure the neighbours); the
# 1,000-CPU run is also timed whole, `vmlab sched` with parsing and JSON
# output, in CPU time by /usr/bin/time's user+sys when present.
# Figures are medians of $REPS runs (default 3).
#   events     mix.txt: 16 I/O-bound WRR tasks (300 us run, 700 us sleep),
#              8 spinning WRR tasks, 8 CFS tasks, 4 CPUs, 3000 s simulated
#   big        `vmlab sched --gen big` (100,000 WRR tasks of random weight
#              looping run 5..200 ms / sleep 1..100 ms), 1,000 CPUs, 60 s
set -eu
BUILD=${BUILD:-$(pwd)/build}
REPS=${REPS:-3}
OUT=bench/out/sched
mkdir -p "$OUT"
CC=${CC:-cc}
$CC -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc bench/sched_run.c "$BUILD/libvmlab.a" -lz -lm -lpthread \
    $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd) -o "$OUT/sched_run"
cat >"$OUT/mix.txt" <<'W'
io weight=3 count=16 loop(run 300us, sleep 700us) forever
cpu weight=1 count=8 daemon=1 spin
c class=cfs count=8 nice=0 loop(run 2ms, sleep 1ms) forever
W
"$BUILD/vmlab" sched --gen big --print >"$OUT/big.txt"

. "$(dirname "$0")/lib.sh" # median, ratio

"$OUT/sched_run" "$OUT/mix.txt" 4 3000000 "$REPS" >"$OUT/mix.out"
ev=$(awk 'NR == 1 {print $1}' "$OUT/mix.out")
rate=$(awk '{print $3}' "$OUT/mix.out" | median)
secs=$(awk '{print $2}' "$OUT/mix.out" | median)
printf 'events  4 CPUs, 3000 s:      %s events in %s s CPU: %.2f M events/s (median of %s)\n' \
    "$ev" "$secs" "$(echo "$rate" | awk '{print $1 / 1e6}')" "$REPS"

"$OUT/sched_run" "$OUT/big.txt" 1000 60000 "$REPS" >"$OUT/big.out"
ev=$(awk 'NR == 1 {print $1}' "$OUT/big.out")
secs=$(awk '{print $2}' "$OUT/big.out" | median)
rate=$(awk '{print $3}' "$OUT/big.out" | median)
printf 'big     1000 CPUs, 100k tasks, 60 s: %s events in %s s CPU (sched_run): %.2f M events/s\n' \
    "$ev" "$secs" "$(echo "$rate" | awk '{print $1 / 1e6}')"
if [ -x /usr/bin/time ]; then
    for r in $(seq "$REPS"); do
        /usr/bin/time -f '%U %S' -o "$OUT/time.$r" "$BUILD/vmlab" sched --cpus 1000 --until 60s --output json \
            "$OUT/big.txt" >/dev/null
        awk '{print $1 + $2}' "$OUT/time.$r"
    done | median | awk '{printf "big     whole command (parse 100k lines, simulate, JSON): %.2f s CPU\n", $1}'
fi
