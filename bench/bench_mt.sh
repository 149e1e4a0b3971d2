#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_mt.sh - issue 18's targets for build/libvmlab-malloc.so, side by side
# in one run with glibc and, where installed, mimalloc, jemalloc and tcmalloc
# (Debian: libmimalloc2.0, libjemalloc2, libtcmalloc-minimal4); BENCHMARKS.md,
# "## malloc threads".
#
# 1. bench/mt_bench.c: 2 threads x 10^7 malloc/free of 16-512 bytes; then
#    8 threads x 2.5 * 10^6 with every 16th block freed by another thread,
#    on this 2-core machine.  CPU time (user + system) and wall time, the
#    median of RUNS runs, runs interleaved.
# 2. ../shared/bench/replay.c on the malloc-lab traces: median M ops/s of
#    RUNS interleaved runs of `replay -s 5 -T 0.05`, ratios to glibc, the
#    geometric mean.
# 3. Real programs: python3 (PYTHONMALLOC=malloc), sort --parallel=2, gcc -O2
#    on src/malloc, git log -p/grep/count-objects, xz -T2: median wall time, CPU time
#    and peak RSS (/usr/bin/time) of RUNS interleaved runs, ratios to glibc.
#
# 4. Every design: replay.c under LD_PRELOAD (caches on, and off) against the
#    same design inside `vmlab malloc replay -a 16` (no lock, no shim), the
#    median of RUNS interleaved runs each: the preload path's overhead.
#
# vmlab runs as its default (segfit) and as buddy; `vmlab-nocache` is segfit
# with VMLAB_MALLOC_CACHE=0 (the bare design behind the lock).
#
# BASE_LIB=PATH adds `vmlab-base`, another build of the library (main's, say:
# make BUILD=/tmp/base there) with the default design, beside `vmlab` in
# parts 1-3: before and after a change in one interleaved run.
#
# VMLAB_DESIGNS="D ..." adds `vmlab-D`, the library with VMLAB_MALLOC=D, for
# each D in parts 1-3 (and `base-D`, BASE_LIB with D, when BASE_LIB is set).
#
# usage: sh bench/bench_mt.sh       (BUILD, SHARED from bench/run.sh)
#        RUNS=5 PARTS="mt replay programs" sh bench/bench_mt.sh
#        BASE_LIB=/tmp/base/libvmlab-malloc.so PARTS=replay sh bench/bench_mt.sh
#        VMLAB_DESIGNS="hybrid adaptive" PARTS="mt replay" sh bench/bench_mt.sh
# Output: tables on stdout, also written to bench/out/mt.md.
set -u
BUILD=${BUILD:-$(pwd)/build}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
RUNS=${RUNS:-3}
PARTS=${PARTS:-"mt replay programs designs"}
DESIGNS=${DESIGNS:-"implicit-first implicit-next implicit-best implicit-worst explicit-lifo explicit-addr segfit segstore buddy adaptive hybrid"}
LIB=$BUILD/libvmlab-malloc.so
REPO=$(pwd)
OUT=$REPO/bench/out/mt
PY=$(command -v /usr/bin/python3 python3 2>/dev/null | head -1)
SYSLIB=/usr/lib/x86_64-linux-gnu

[ -f "$LIB" ] || { echo "bench_mt: $LIB is not built (run make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_mt: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/work"

# The allocators: name and how to run a command on it.
BASE_LIB=${BASE_LIB:-}
ALLOCS="glibc vmlab"
[ -n "$BASE_LIB" ] && ALLOCS="$ALLOCS vmlab-base"
ALLOCS="$ALLOCS vmlab-buddy"
for d in ${VMLAB_DESIGNS:-}; do
    ALLOCS="$ALLOCS vmlab-$d"
    [ -n "$BASE_LIB" ] && ALLOCS="$ALLOCS base-$d"
done
for a in mimalloc:libmimalloc.so.2 jemalloc:libjemalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
    [ -f "$SYSLIB/${a#*:}" ] && ALLOCS="$ALLOCS ${a%%:*}"
done
# on ALLOC CMD...: CMD with ALLOC as the process's malloc.
on() {
    a=$1; shift
    case $a in
        glibc) "$@" ;;
        vmlab) LD_PRELOAD=$LIB "$@" ;;
        vmlab-base) LD_PRELOAD=$BASE_LIB "$@" ;;
        vmlab-buddy) LD_PRELOAD=$LIB VMLAB_MALLOC=buddy "$@" ;;
        vmlab-nocache) LD_PRELOAD=$LIB VMLAB_MALLOC_CACHE=0 "$@" ;;
        vmlab-*) LD_PRELOAD=$LIB VMLAB_MALLOC=${a#vmlab-} "$@" ;;
        base-*) LD_PRELOAD=$BASE_LIB VMLAB_MALLOC=${a#base-} "$@" ;;
        mimalloc) LD_PRELOAD=$SYSLIB/libmimalloc.so.2 "$@" ;;
        jemalloc) LD_PRELOAD=$SYSLIB/libjemalloc.so.2 "$@" ;;
        tcmalloc) LD_PRELOAD=$SYSLIB/libtcmalloc_minimal.so.4 "$@" ;;
    esac
}

. "$(dirname "$0")/lib.sh"

# ---- 1. threads ----
if echo "$PARTS" | grep -q mt; then
    cc -O2 -o "$OUT/mt_bench" "$REPO/bench/mt_bench.c" -lpthread || exit 1
    r=1
    while [ $r -le "$RUNS" ]; do
        for a in $ALLOCS vmlab-nocache; do
            on $a "$OUT/mt_bench" 2 10000000 | sed -n 's/.*wall_s=\([0-9.]*\) cpu_s=\([0-9.]*\).*/\1 \2/p' >>"$OUT/mt2.$a"
            on $a "$OUT/mt_bench" 8 2500000 16 512 cross | sed -n 's/.*wall_s=\([0-9.]*\) cpu_s=\([0-9.]*\).*/\1 \2/p' >>"$OUT/mt8.$a"
        done
        r=$((r + 1))
    done
    {
        echo "### Threads: bench/mt_bench.c, median of $RUNS runs; ratios to glibc"
        echo
        echo "| allocator | 2 x 10^7 cpu | ratio | 2 x 10^7 wall | ratio | 8 x 2.5 * 10^6 cross cpu | ratio | 8 x 2.5 * 10^6 wall | ratio |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for a in $ALLOCS vmlab-nocache; do
            printf '| %s |' "$a"
            for t in mt2 mt8; do
                c=$(col "$OUT/$t.$a" 2) w=$(col "$OUT/$t.$a" 1)
                printf ' %s s | %sx | %s s | %sx |' "$c" "$(ratio "$c" "$(col "$OUT/$t.glibc" 2)")" \
                    "$w" "$(ratio "$w" "$(col "$OUT/$t.glibc" 1)")"
            done
            echo
        done
        echo
        echo "cpu: CLOCK_PROCESS_CPUTIME_ID of the whole run (both threads); wall: elapsed."
        echo "16-512 bytes, 1000 live blocks per thread; cross: every 16th free is of"
        echo "another thread's block.  vmlab is segfit with its thread caches;"
        echo "vmlab-nocache the same design behind the one lock (VMLAB_MALLOC_CACHE=0)."
        echo
    } | tee "$OUT.md"
fi

# ---- 2. malloc-lab replay ----
REPLAY_SRC=$SHARED/bench/replay.c
if echo "$PARTS" | grep -q replay && [ -f "$REPLAY_SRC" ] && ls "$SHARED"/data/malloclab/*.rep >/dev/null 2>&1; then
    cc -O2 -o "$OUT/replay" "$REPLAY_SRC" || exit 1
    for t in "$SHARED"/data/malloclab/*.rep; do
        n=$(basename "$t" .rep)
        r=1
        while [ $r -le "$RUNS" ]; do
            for a in $ALLOCS; do
                mops on $a "$OUT/replay" -s 5 -T 0.05 "$t" >>"$OUT/rp.$n.$a"
            done
            r=$((r + 1))
        done
    done
    {
        echo "### ../shared/bench/replay.c under LD_PRELOAD: median M ops/s of $RUNS runs (x: ratio to glibc)"
        echo
        printf '| trace |'
        for a in $ALLOCS; do printf ' %s |' "$a"; done
        echo
        printf '|---|'
        for a in $ALLOCS; do printf -- '---:|'; done
        echo
        for t in "$SHARED"/data/malloclab/*.rep; do
            n=$(basename "$t" .rep)
            g=$(median <"$OUT/rp.$n.glibc")
            printf '| %s |' "$n"
            for a in $ALLOCS; do
                v=$(median <"$OUT/rp.$n.$a")
                echo "$v" >>"$OUT/rpmed.$a"
                if [ $a = glibc ]; then printf ' %s |' "$v"; else printf ' %s (%sx) |' "$v" "$(ratio "$v" "$g")"; fi
            done
            echo
        done
        printf '| geometric mean |'
        for a in $ALLOCS; do
            gm=$(geomean "$OUT/rpmed.$a")
            [ $a = glibc ] && gg=$gm
            if [ $a = glibc ]; then printf ' %s |' "$gm"; else printf ' %s (%sx) |' "$gm" "$(ratio "$gm" "$gg")"; fi
        done
        echo
        echo
    } | tee -a "$OUT.md"
fi

# ---- 3. real programs ----
if echo "$PARTS" | grep -q programs; then
    bench_lines "$OUT/lines"
    head -300000 "$OUT/lines" >"$OUT/xzin"
    # The program functions, for the shells /usr/bin/time starts.
    cat >"$OUT/funcs.sh" <<EOF
OUT='$OUT' REPO='$REPO' PY='$PY' LIB='$LIB' BASE_LIB='$BASE_LIB' SYSLIB='$SYSLIB'
$(sed -n '/^on() {/,/^}/p' "$0")
prog_python() { PYTHONMALLOC=malloc on \$1 "\$PY" "\$REPO/tests/malloc/workload.py" 3 >/dev/null; }
prog_sort() { LC_ALL=C on \$1 sort --parallel=2 -S 200M "\$OUT/lines" >/dev/null; }
prog_gcc() { (cd "\$OUT/work" && on \$1 gcc -O2 -std=gnu11 -D_GNU_SOURCE -I"\$REPO/include" -I"\$REPO/src" -c "\$REPO"/src/malloc/*.c); }
prog_git() { on \$1 git -C "\$REPO" log -p -n 300 >/dev/null 2>&1 && on \$1 git -C "\$REPO" grep -c static >/dev/null && on \$1 git -C "\$REPO" count-objects -v >/dev/null; }
prog_xz() { on \$1 xz -T2 -3 --block-size=1MiB -c "\$OUT/xzin" >/dev/null; }
EOF
    PROGRAMS="sort gcc git xz"
    [ -n "$PY" ] && PROGRAMS="python $PROGRAMS"
    mkdir -p "$OUT/pg"
    r=1
    while [ $r -le "$RUNS" ]; do
        for p in $PROGRAMS; do
            for a in $ALLOCS; do
                bench_time "$OUT/pg/$p.$a" "$OUT/funcs.sh" "prog_$p $a" || echo "bench_mt: $p failed under $a" >&2
            done
        done
        r=$((r + 1))
    done
    {
        echo "### Real programs: median of $RUNS runs; glibc absolute, the others as ratios to glibc"
        echo
        prog_table allocator "$OUT/pg" "$ALLOCS" "$PROGRAMS"
        echo
        echo "python: tests/malloc/workload.py 3, PYTHONMALLOC=malloc.  sort: --parallel=2 -S 200M,"
        echo "10^6 lines.  gcc: -O2 -c of src/malloc/*.c.  git: log -p -n 300, grep, count-objects"
        echo "on this repository.  xz: -T2 -3 --block-size=1MiB of 3 * 10^5 lines (5 MB: two threads)."
        echo "RSS: the largest process's peak."
    } | tee -a "$OUT.md"
fi

# ---- 4. every design: preload against in-process ----
if echo "$PARTS" | grep -q designs && [ -f "$REPLAY_SRC" ] && ls "$SHARED"/data/malloclab/*.rep >/dev/null 2>&1; then
    [ -x "$OUT/replay" ] || cc -O2 -o "$OUT/replay" "$REPLAY_SRC" || exit 1
    VMLAB=${VMLAB:-$BUILD/vmlab}
    r=1
    while [ $r -le "$RUNS" ]; do
        for d in $DESIGNS; do
            for t in "$SHARED"/data/malloclab/*.rep; do
                n=$(basename "$t" .rep)
                # in-process right before the two preload runs of the same
                # cell: the machine's load drifts between cells
                "$VMLAB" malloc replay -p "$d" -a 16 -s 5 --output json "$t" >"$OUT/inproc.json" || exit 1
                for c in 1 0; do
                    mops env LD_PRELOAD="$LIB" VMLAB_MALLOC="$d" VMLAB_MALLOC_CACHE=$c "$OUT/replay" -s 5 -T 0.05 \
                        "$t" >>"$OUT/ds.$d.$n.$c"
                done
                sed -n 's/.*"trace": "'"$n"'.rep", "policy": "'"$d"'".*"ops_per_sec": \([0-9]*\).*/\1/p' \
                    "$OUT/inproc.json" | awk '{ printf "%.2f\n", $1 / 1e6 }' >>"$OUT/ds.$d.$n.in"
            done
        done
        r=$((r + 1))
    done
    {
        echo "### Every design: replay.c under LD_PRELOAD against \`vmlab malloc replay -a 16\`, median M ops/s of $RUNS runs"
        echo
        echo "Each cell: in-process / preload with caches (ratio) / preload without caches (ratio)."
        echo
        printf '| trace |'
        for d in $DESIGNS; do printf ' %s |' "$d"; done
        echo
        printf '|---|'
        for d in $DESIGNS; do printf -- '---:|'; done
        echo
        for t in "$SHARED"/data/malloclab/*.rep; do
            n=$(basename "$t" .rep)
            printf '| %s |' "$n"
            for d in $DESIGNS; do
                i=$(median <"$OUT/ds.$d.$n.in") c1=$(median <"$OUT/ds.$d.$n.1") c0=$(median <"$OUT/ds.$d.$n.0")
                printf ' %s / %s (%sx) / %s (%sx) |' "$i" "$c1" "$(ratio "$c1" "$i")" "$c0" "$(ratio "$c0" "$i")"
            done
            echo
        done
        echo
    } | tee -a "$OUT.md"
fi
