#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_sim.sh - vmlab sim throughput on the issue's benchmark trace, beside
# ../shared/bench/baseline.c measured in the same run.
#
#   gen_trace zipf 10000000 1000000 1.0 42   (762,669 distinct ids), 76,267 frames
#
# Every figure is references per second of CPU time (user + system of the
# whole process, reading the input included), the median of REPS runs: on a
# shared machine wall-clock rates measure the neighbours, CPU time the code.
# Single thread (-j 1).  Inputs are built here in bench/out/sim/.
set -eu
BUILD=${BUILD:-$(pwd)/build}
VMLAB=${VMLAB:-$BUILD/vmlab}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
REPS=${REPS:-3}
OUT=bench/out/sim
FRAMES=76267
mkdir -p "$OUT"

cc -O2 -o "$OUT/gen_trace" "$SHARED/bench/gen_trace.c" -lm
cc -O3 -march=native -o "$OUT/baseline" "$SHARED/bench/baseline.c"
cc -O2 -o "$OUT/mkrw" bench/sim_mkrw.c
cc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -o "$OUT/sim_mem" bench/sim_mem.c \
    "$BUILD/libvmlab.a" -lz -lm -lpthread
[ -f "$OUT/zipf.ids.u64" ] || (cd "$OUT" && ./gen_trace zipf 10000000 1000000 1.0 42 zipf >/dev/null)
[ -f "$OUT/zipf.rw" ] || "$OUT/mkrw" <"$OUT/zipf.ids.u64" >"$OUT/zipf.rw"
# byte 8 of a vmlab binary trace is its version: rebuild one from before keys
[ "$(od -An -tu1 -j8 -N1 "$OUT/zipf.vmlab" 2>/dev/null | tr -d ' ')" = 2 ] || "$VMLAB" convert -F rw -o "$OUT/zipf.vmlab" "$OUT/zipf.rw" ||
    echo "(vmlab convert failed: binary-format rows will fail)"
N=10000000

# cpu CMD...: CPU seconds (user + sys) of CMD, its stdout to $OUT/last.
cpu() {
    python3 - "$OUT/last" "$@" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    r = subprocess.run(sys.argv[2:], stdout=out)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f" % (u.ru_utime + u.ru_stime) if r.returncode == 0 else "fail")
PY
}

# rate CMD...: median over REPS of N / cpu seconds, in M refs/s.
rate() {
    i=0
    ts=""
    while [ $i -lt "$REPS" ]; do
        ts="$ts $(cpu "$@")"
        i=$((i + 1))
    done
    echo "$ts" | tr ' ' '\n' | grep -v '^$' | sort -n | awk -v n=$N '
        { t[NR] = $1 } END { m = t[int((NR + 1) / 2)]; if (m == "fail" || m == 0) { print "fail"; exit }
                             printf "%.1f\n", n / m / 1e6 }'
}

echo "sim benchmark: zipf 10M refs, 762,669 pages, $FRAMES frames, single thread, CPU time, median of $REPS"
base=$(rate "$OUT/baseline" lru "$OUT/zipf.ids.u64" $FRAMES)
basec=$(rate "$OUT/baseline" clock "$OUT/zipf.ids.u64" $FRAMES)
printf '%-34s %10s %8s\n' "configuration" "M refs/s" "x base"
# (x base: median over REPS of baseline.c LRU's CPU time / this row's, measured in pairs)
printf '%-34s %10s %8s\n' "baseline.c lru (ids.u64, mmap)" "$base" "1.00"
printf '%-34s %10s %8s\n' "baseline.c clock (ids.u64, mmap)" "$basec" "-"
# row LABEL CMD...: REPS times, baseline.c's LRU then CMD back to back; prints
# the median rate of CMD and the median of the per-pair ratios, so a change in
# the machine's load between rows does not skew a row's ratio.
row() {
    label=$1
    shift
    i=0
    pairs=""
    while [ $i -lt "$REPS" ]; do
        tb=$(cpu "$OUT/baseline" lru "$OUT/zipf.ids.u64" $FRAMES)
        tv=$(cpu "$@")
        pairs="$pairs $tb:$tv"
        i=$((i + 1))
    done
    echo "$pairs" | tr ' ' '\n' | grep -v '^$' | awk -F: -v n=$N -v label="$label" '
        { if ($2 == "fail") bad = 1; else { r[NR] = n / $2 / 1e6; q[NR] = $1 / $2 } }
        function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
                                              if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                          return a[int((k + 1) / 2)] }
        END { if (bad) { printf "%-34s %10s %8s\n", label, "fail", "-"; exit }
              printf "%-34s %10.1f %8.2f\n", label, median(r, NR), median(q, NR) }'
}
for p in lru fifo clock opt arc lirs car 2q sieve lfu mfu nru wsclock; do
    row "$p (vmlab binary)" "$VMLAB" sim -j 1 --no-progress -p $p -n $FRAMES -F vmlab --page-size 1 "$OUT/zipf.vmlab"
done
row "lru (rw text)" "$VMLAB" sim -j 1 --no-progress -p lru -n $FRAMES -F rw --page-size 1 "$OUT/zipf.rw"
row "clock (rw text)" "$VMLAB" sim -j 1 --no-progress -p clock -n $FRAMES -F rw --page-size 1 "$OUT/zipf.rw"
for p in lru fifo clock opt; do
    row "$p (in-memory array)" "$OUT/sim_mem" "$OUT/zipf.ids.u64" $FRAMES $p
done
row "lru + TLB 64x4 (binary)" "$VMLAB" sim -j 1 --no-progress -p lru -n $FRAMES -F vmlab --page-size 1 \
    --tlb 64 --tlb-ways 4 "$OUT/zipf.vmlab"
row "lru + 5-level page table (binary)" "$VMLAB" sim -j 1 --no-progress -p lru -n $FRAMES -F vmlab \
    --page-size 1 --levels 13,13,13,13,12 "$OUT/zipf.vmlab"
row "lru + TLB + page table (binary)" "$VMLAB" sim -j 1 --no-progress -p lru -n $FRAMES -F vmlab \
    --page-size 1 --tlb 64 --tlb-ways 4 --levels 13,13,13,13,12 "$OUT/zipf.vmlab"
row "lru + inverted table (binary)" "$VMLAB" sim -j 1 --no-progress -p lru -n $FRAMES -F vmlab \
    --page-size 1 --page-table inverted --va-bits 64 "$OUT/zipf.vmlab"
# Several configurations share one read: 6 jobs on all cores, per job.
t=$(cpu "$VMLAB" sim --no-progress -p lru,fifo,clock -n 50000,$FRAMES -F vmlab --page-size 1 "$OUT/zipf.vmlab")
echo "6 jobs (lru,fifo,clock x 2 sizes), all cores: $(awk -v t="$t" -v n=$N 'BEGIN { if (t == "fail") print "fail"; else printf "%.1f M refs/s of CPU per job", 6 * n / t / 1e6 }')"
