#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_preload.sh - real programs on build/libvmlab-malloc.so, every design
# against glibc's malloc, side by side in one run (BENCHMARKS.md, "## malloc
# preload").
#
# 1. Wall time and peak RSS (/usr/bin/time: %e, %M) of python3 (an
#    allocation-heavy script, every object through malloc), gcc -O2 on
#    vmlab's own sources, a git session (init, add, two commits, log, diff)
#    and sort on a million lines: the median of RUNS runs per program and
#    design, runs interleaved so load drifts hit all alike; ratios to glibc.
# 2. ../shared/bench/replay.c (a malloc-lab replayer against the process's
#    malloc) on the malloc-lab traces: median M ops/s under LD_PRELOAD of each
#    design, against glibc.
#
# usage: sh bench/bench_preload.sh        (BUILD, SHARED from bench/run.sh)
#        RUNS=5 DESIGNS="segfit buddy" sh bench/bench_preload.sh
# Output: tables on stdout, also written to bench/out/preload.md.
set -u
BUILD=${BUILD:-$(pwd)/build}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
RUNS=${RUNS:-5}
DESIGNS=${DESIGNS:-"implicit-first implicit-next implicit-best implicit-worst explicit-lifo explicit-addr segfit segstore buddy"}
# Linear-time searches take minutes on python's 10^5 live blocks: not run there.
LINEAR="implicit-first implicit-best implicit-worst explicit-addr"
LIB=$BUILD/libvmlab-malloc.so
REPO=$(pwd)
OUT=$REPO/bench/out/preload
PY=$(command -v /usr/bin/python3 python3 2>/dev/null | head -1)

[ -f "$LIB" ] || { echo "bench_preload: $LIB is not built (run make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_preload: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/work"

. "$(dirname "$0")/lib.sh"

# ---- inputs ----
bench_lines "$OUT/lines"
bench_git_repo "$OUT/repo" || { echo "bench_preload: cannot make the git repository" >&2; exit 1; }

prog_python() { (export PYTHONMALLOC=malloc; "$@" "$PY" "$REPO/tests/malloc/workload.py" 3 >/dev/null); }
prog_gcc() {
    (cd "$OUT/work" && "$@" gcc -O2 -std=gnu11 -D_GNU_SOURCE -I"$REPO/include" -I"$REPO/src" -c \
        "$REPO"/src/malloc/*.c)
}
# git: a repository of 400 files and 2 commits is made once (by glibc's git,
# outside the timing); the timed session commits once more, then reads
# history, blames, greps, diffs and checks the object store.
prog_git() { bench_git_session "$OUT/repo" "$@"; }
prog_sort() { (export LC_ALL=C; "$@" sort "$OUT/lines" >/dev/null); }

# with DESIGN CMD...: CMD on DESIGN's heap ("glibc": unchanged).
with() {
    d=$1; shift
    if [ "$d" = glibc ]; then "$@"; else LD_PRELOAD=$LIB VMLAB_MALLOC=$d "$@"; fi
}

# measure PROG DESIGN: one run, appended to $OUT/PROG.DESIGN (bench_time).
measure() {
    bench_time "$OUT/$1.$2" "$OUT/funcs.sh" "prog_$1 with $2" || echo "bench_preload: $1 failed under $2" >&2
}

# The program functions, for the shells /usr/bin/time starts.
{
    echo "OUT='$OUT' REPO='$REPO' PY='$PY' LIB='$LIB'"
    echo ". '$REPO/bench/lib.sh'"
    for f in prog_python prog_gcc prog_git prog_sort with; do
        sed -n "/^$f() *{/,/^}/p" "$0"
    done
} >"$OUT/funcs.sh"

PROGRAMS="python gcc git sort"
[ -n "$PY" ] || PROGRAMS="gcc git sort"
r=1
while [ $r -le "$RUNS" ]; do
    for p in $PROGRAMS; do
        for d in glibc $DESIGNS; do
            case " $LINEAR " in
                *" $d "*) [ $p = python ] || [ $r -gt 1 ] && continue ;;
            esac
            measure $p $d
        done
    done
    r=$((r + 1))
done

{
    echo "### Real programs: median of $RUNS runs; glibc absolute, designs as ratios to glibc"
    echo
    echo "wall: elapsed time; cpu: user + system time (steadier on a shared machine);"
    echo "RSS: peak resident set of the program's largest process."
    echo
    prog_table design "$OUT" "glibc $DESIGNS" "$PROGRAMS"
    echo
    echo "python: tests/malloc/workload.py 3 with PYTHONMALLOC=malloc; n/a: a linear-time design"
    echo "(minutes on 10^5 live blocks).  gcc: -O2 -c of the $(ls "$REPO"/src/malloc/*.c | wc -l | tr -d ' ') sources of src/malloc."
    echo "git: in a repository of 400 files, commit, log -p, blame, grep, diff, fsck."
    echo "sort: LC_ALL=C, 10^6 lines.  Linear designs are run in the first round only."
} | tee "$OUT.md"

# ---- 2. malloc-lab replay against the process's malloc ----
REPLAY_SRC=$SHARED/bench/replay.c
if [ ! -f "$REPLAY_SRC" ] || ! ls "$SHARED"/data/malloclab/*.rep >/dev/null 2>&1; then
    echo "bench_preload: no $REPLAY_SRC or traces: replay part skipped" >&2
    exit 0
fi
cc -O2 -o "$OUT/replay" "$REPLAY_SRC" || exit 1
{
    echo
    echo "### ../shared/bench/replay.c under LD_PRELOAD: median M ops/s (5 samples)"
    echo
    printf '| trace | glibc |'
    for d in $DESIGNS; do printf ' %s |' "$d"; done
    echo
    printf '|---|---:|'
    for d in $DESIGNS; do printf -- '---:|'; done
    echo
    for t in "$SHARED"/data/malloclab/*.rep; do
        printf '| %s |' "$(basename "$t" .rep)"
        for d in glibc $DESIGNS; do
            v=$(mops with $d "$OUT/replay" -s 5 -T 0.05 "$t")
            printf ' %s |' "$v"
            echo "$v" >>"$OUT/replay.$d"
        done
        echo
    done
    printf '| geometric mean |'
    for d in glibc $DESIGNS; do
        printf ' %s |' "$(geomean "$OUT/replay.$d")"
    done
    echo
} | tee -a "$OUT.md"
