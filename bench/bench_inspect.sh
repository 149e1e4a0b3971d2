#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_inspect.sh - how fast `vmlab maps` reads and classifies a process,
# side by side with `pmap -X` (procps) on the same process: a python3 that
# holds 4000 distinct mappings (alternating protections keep them apart).
# Prints the median wall time of 15 runs each and the ratio.
set -eu
VMLAB=${VMLAB:-build/vmlab}
command -v pmap >/dev/null || { echo "bench_inspect: pmap (procps) not installed, skipped"; exit 0; }
command -v python3 >/dev/null || { echo "bench_inspect: python3 not installed, skipped"; exit 0; }
ready=$(mktemp)
python3 -c '
import mmap, sys, time
maps = []
for i in range(4000):
    maps.append(mmap.mmap(-1, 4096, prot=mmap.PROT_READ | (mmap.PROT_WRITE if i % 2 else 0)))
open(sys.argv[1], "w").write("ready")
time.sleep(600)' "$ready" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$ready"' EXIT
while [ ! -s "$ready" ]; do sleep 0.1; done
n=$(wc -l <"/proc/$pid/maps")
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
timeit() { # command... -> median milliseconds of 15 runs
    for _ in $(seq 15); do
        s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
        echo $(((e - s) / 1000))
    done | med
}
v=$(timeit "$VMLAB" maps "$pid" --output json)
p=$(timeit pmap -X "$pid")
echo "process with $n mappings; median of 15 runs, microseconds"
printf '%-32s %8s\n' "vmlab maps PID --output json" "$v" "pmap -X PID" "$p"
awk -v v="$v" -v p="$p" 'BEGIN { printf "ratio vmlab/pmap: %.2f\n", v / p }'
