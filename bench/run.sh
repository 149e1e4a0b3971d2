#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - `make bench`: run every bench/*.sh in turn.  Each prints its own
# table; figures for BENCHMARKS.md are copied from here with this command.
# BUILD is the absolute build directory (build/).
BUILD=${1:-$(pwd)/build}
export BUILD VMLAB="$BUILD/vmlab" SHARED="${SHARED:-$(cd .. && pwd)/shared}"
mkdir -p bench/out
status=0
for b in bench/bench_*.sh; do
    [ -f "$b" ] || continue
    echo "== $b"
    sh "$b" || status=1
done
exit $status
