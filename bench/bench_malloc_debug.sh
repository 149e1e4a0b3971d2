#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_malloc_debug.sh - what the preload library's debug mode
# (VMLAB_MALLOC_FLAGS=canary,poison) costs real programs, against glibc's
# malloc and against the same design without the flags, side by side in one
# run (BENCHMARKS.md, "## malloc debug mode"; the target of issue 10 is at
# most 3x glibc).
#
# Programs: python3 (tests/malloc/workload.py 3, PYTHONMALLOC=malloc), perl
# (a hash of 200000 keys), gcc -O2 -c on src/malloc/*.c, a git session
# (commit, log -p, blame, grep, diff, fsck in a repository of 400 files),
# sqlite3 (20000 inserts, an index, a join, a group by), sort (10^6 lines).
# Each program is run RUNS times per configuration, interleaved; the table
# gives glibc's median CPU time (user + system: steadier than wall time on a
# shared machine) and each configuration's median as a ratio to it.
#
# usage: sh bench/bench_malloc_debug.sh     (BUILD from bench/run.sh)
#        RUNS=5 CONFIGS="segfit segfit:canary,poison" PROGRAMS="gcc git" sh bench/bench_malloc_debug.sh
set -u
BUILD=${BUILD:-$(pwd)/build}
RUNS=${RUNS:-3}
CONFIGS=${CONFIGS:-"segfit segfit:canary,poison buddy:canary,poison explicit-lifo:canary,poison segstore:canary,poison"}
LIB=$BUILD/libvmlab-malloc.so
REPO=$(pwd)
OUT=$REPO/bench/out/malloc_debug
PY=$(command -v /usr/bin/python3 python3 2>/dev/null | head -1)

[ -f "$LIB" ] || { echo "bench_malloc_debug: $LIB is not built (run make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_malloc_debug: needs /usr/bin/time" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/work"

. "$(dirname "$0")/lib.sh"

bench_lines "$OUT/lines"
bench_git_repo "$OUT/repo" || { echo "bench_malloc_debug: cannot make the git repository" >&2; exit 1; }
{
    echo "create table t(a integer, b text); create table u(a integer, c text); begin;"
    awk 'BEGIN { for (i = 0; i < 20000; i++) printf "insert into t values(%d, '"'"'%x'"'"'); insert into u values(%d, '"'"'v%d'"'"');\n", i, i * 7919, i % 977, i }'
    echo "commit; create index ta on t(a); create index ua on u(a);"
    echo "select count(*), sum(length(b) + length(c)) from t join u on t.a % 977 = u.a;"
    echo "select a % 13, count(*), max(b) from t group by a % 13 order by 2 desc;"
} >"$OUT/script.sql"

# The programs: each runs its command through "$@" (the environment prefix).
prog_python() { (export PYTHONMALLOC=malloc; "$@" "$PY" "$REPO/tests/malloc/workload.py" 3 >/dev/null); }
prog_perl() { "$@" perl -e 'my %h; for my $i (1..200000) { $h{"k$i"} = "v" x ($i % 100) }
                            my $s = 0; $s += length($h{$_}) for keys %h; print "$s\n"' >/dev/null; }
prog_gcc() {
    (cd "$OUT/work" && "$@" gcc -O2 -std=gnu11 -D_GNU_SOURCE -I"$REPO/include" -I"$REPO/src" -c \
        "$REPO"/src/malloc/*.c)
}
prog_git() { bench_git_session "$OUT/repo" "$@"; }
prog_sqlite() { rm -f "$OUT/db"; "$@" sqlite3 "$OUT/db" <"$OUT/script.sql" >/dev/null; }
prog_sort() { (export LC_ALL=C; "$@" sort "$OUT/lines" >/dev/null); }

# with CONFIG CMD...: "glibc", or DESIGN[:FLAGS] under the preload library.
with() {
    c=$1; shift
    case $c in
        glibc) "$@" ;;
        *:*) LD_PRELOAD=$LIB VMLAB_MALLOC=${c%%:*} VMLAB_MALLOC_FLAGS=${c#*:} "$@" ;;
        *) LD_PRELOAD=$LIB VMLAB_MALLOC=$c "$@" ;;
    esac
}

{
    echo "OUT='$OUT' REPO='$REPO' PY='$PY' LIB='$LIB'"
    echo ". '$REPO/bench/lib.sh'"
    for f in prog_python prog_perl prog_gcc prog_git prog_sqlite prog_sort with; do
        sed -n "/^$f() *{/,/^}/p" "$0"
    done
} >"$OUT/funcs.sh"

measure() {
    key=$(echo "$2" | tr ':,' '__')
    bench_time "$OUT/$1.$key" "$OUT/funcs.sh" "prog_$1 with $2" || echo "bench_malloc_debug: $1 failed under $2" >&2
}

PROGRAMS=${PROGRAMS:-"python perl gcc git sqlite sort"}
[ -n "$PY" ] || PROGRAMS=${PROGRAMS#python }
command -v sqlite3 >/dev/null || PROGRAMS=$(echo "$PROGRAMS" | sed 's/sqlite //')
command -v perl >/dev/null || PROGRAMS=$(echo "$PROGRAMS" | sed 's/perl //')
r=1
while [ $r -le "$RUNS" ]; do
    for p in $PROGRAMS; do
        for c in glibc $CONFIGS; do
            measure $p $c
        done
    done
    r=$((r + 1))
done

{
    echo "### Debug mode on real programs: median CPU time of $RUNS runs; glibc absolute, the rest as ratios to glibc"
    echo
    printf '| configuration |'
    for p in $PROGRAMS; do printf ' %s |' "$p"; done
    echo " worst |"
    printf '|---|'
    for p in $PROGRAMS; do printf -- '---:|'; done
    echo "---:|"
    for c in glibc $CONFIGS; do
        key=$(echo "$c" | tr ':,' '__')
        printf '| %s |' "$c"
        worst=0
        for p in $PROGRAMS; do
            v=$(col "$OUT/$p.$key" 3)
            if [ "$c" = glibc ]; then
                printf ' %s s |' "$v"
            else
                g=$(col "$OUT/$p.glibc" 3)
                x=$(ratio "$v" "$g")
                printf ' %sx |' "$x"
                worst=$(awk -v w="$worst" -v x="$x" 'BEGIN { if (x == "-") print "fail"; else if (w != "fail" && x > w) print x; else print w }')
            fi
        done
        [ "$c" = glibc ] && echo " |" || echo " ${worst}x |"
    done
} | tee "$OUT.md"
