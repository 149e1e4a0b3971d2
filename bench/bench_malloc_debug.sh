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

awk 'BEGIN { x = 1; for (i = 0; i < 1000000; i++) { x = (x * 1103515245 + 12345) % 2147483648
                                                   print x % 1000003, "line", i } }' >"$OUT/lines"
mkdir -p "$OUT/repo"
i=0
while [ $i -lt 400 ]; do
    seq $i 3 $((i * 40 + 600)) >"$OUT/repo/f$i.txt"
    i=$((i + 1))
done
(
    cd "$OUT/repo" && export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.org GIT_COMMITTER_NAME=b \
        GIT_COMMITTER_EMAIL=b@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$OUT/repo &&
        git init -q -b main . && git add . && git commit -q -m one && sed -i 's/1/one/' f1*.txt &&
        git commit -q -a -m two && git tag two
) || { echo "bench_malloc_debug: cannot make the git repository" >&2; exit 1; }
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
prog_git() {
    (
        cd "$OUT/repo" || exit 1
        export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.org GIT_COMMITTER_NAME=b \
            GIT_COMMITTER_EMAIL=b@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$OUT/repo
        git reset -q --hard two && sed -i 's/2/two/' f2*.txt &&
            "$@" git commit -q -a -m three && "$@" git log -p >/dev/null &&
            "$@" git blame f20.txt >/dev/null && "$@" git grep -c 'one' >/dev/null &&
            "$@" git diff --stat HEAD~2 >/dev/null && "$@" git fsck --no-progress 2>/dev/null
    )
}
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
    for f in prog_python prog_perl prog_gcc prog_git prog_sqlite prog_sort with; do
        sed -n "/^$f() *{/,/^}/p" "$0"
    done
} >"$OUT/funcs.sh"

measure() {
    key=$(echo "$2" | tr ':,' '__')
    if /usr/bin/time -f '%e %U %S' -o "$OUT/t" timeout 600 sh -c '. "$0"; prog_'"$1"' with '"$2" "$OUT/funcs.sh"; then
        tail -1 "$OUT/t" | awk '{ printf "%s %.2f\n", $1, $2 + $3 }' >>"$OUT/$1.$key"
    else
        echo "bench_malloc_debug: $1 failed under $2" >&2
        echo "fail fail" >>"$OUT/$1.$key"
    fi
}
. "$(dirname "$0")/lib.sh" # median, ratio

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
            v=$(cut -d' ' -f2 "$OUT/$p.$key" | median)
            if [ "$c" = glibc ]; then
                printf ' %s s |' "$v"
            else
                g=$(cut -d' ' -f2 "$OUT/$p.glibc" | median)
                x=$(ratio "$v" "$g")
                printf ' %sx |' "$x"
                worst=$(awk -v w="$worst" -v x="$x" 'BEGIN { if (x == "-") print "fail"; else if (w != "fail" && x > w) print x; else print w }')
            fi
        done
        [ "$c" = glibc ] && echo " |" || echo " ${worst}x |"
    done
} | tee "$OUT.md"
