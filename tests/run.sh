#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - run every test program and shell test given and end with one line
# summing them all: "N passed, N failed, N skipped".
# A program that dies without its own summary line counts as one failure, and
# so does one that exits non-zero while reporting no failure.
#
# RUN_JOBS: how many tests run at once, as make's -j flag gives it ("-j3": 3,
# "-j": one per CPU, empty: 1); `make check -j3` passes it.  One at a time,
# each test's output streams as it comes.  Several at a time, each test writes
# to its own log, printed whole (under its "== TEST" line) when the test
# ends, so the outputs never interleave; the summary line stays last.
passed=0 failed=0 skipped=0
dir=$(mktemp -d /tmp/vmlab-run-XXXXXX)
trap 'rm -rf "$dir"' EXIT

case ${RUN_JOBS:-} in
    -j) jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) ;;
    -j[0-9]*) jobs=${RUN_JOBS#-j} ;;
    [0-9]*) jobs=$RUN_JOBS ;;
    *) jobs=1 ;;
esac
case $jobs in '' | *[!0-9]* | 0) jobs=1 ;; esac

# run_one TEST: run it, output on stdout (stderr merged), its exit status.
run_one() {
    case $1 in
        *.sh) sh "$1" 2>&1 ;;
        *) "$1" 2>&1 ;;
    esac
}

# tally TEST LOG RC: add the test's summary line in LOG to the sums.
tally() {
    counts=$(awk '/^[0-9]+ passed, [0-9]+ failed/ { p=$1; f=$3; s=($5 == "" ? 0 : $5); seen=1 }
                                         END { if (seen) print p, f, s }' "$2")
    if [ -z "$counts" ]; then
        echo "FAIL $1: exited $3 without a summary"
        failed=$((failed + 1))
        return
    fi
    read p f s <<EOT
$counts
EOT
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $1: exited $3"
        failed=$((failed + 1))
    fi
}

if [ "$jobs" -le 1 ]; then
    for t in "$@"; do
        echo "== $t"
        {
            run_one "$t"
            echo $? >"$dir/rc"
        } | tee "$dir/log"
        tally "$t" "$dir/log" "$(cat "$dir/rc")"
    done
else
    # Test i writes $dir/i.log, then $dir/i.rc (renamed into place: its
    # presence means the log is complete).  `running` lists the indices
    # started and not yet printed.
    running="" nrun=0 i=0
    reap() {
        still="" reaped=0
        for k in $running; do
            if [ -f "$dir/$k.rc" ]; then
                echo "== $(cat "$dir/$k.name")"
                cat "$dir/$k.log"
                tally "$(cat "$dir/$k.name")" "$dir/$k.log" "$(cat "$dir/$k.rc")"
                nrun=$((nrun - 1)) reaped=1
            else
                still="$still $k"
            fi
        done
        running=$still
        [ $reaped -eq 1 ]
    }
    for t in "$@"; do
        while [ $nrun -ge "$jobs" ]; do
            reap || sleep 0.1
        done
        i=$((i + 1))
        echo "$t" >"$dir/$i.name"
        (
            run_one "$t" >"$dir/$i.log"
            echo $? >"$dir/$i.tmp" && mv "$dir/$i.tmp" "$dir/$i.rc"
        ) &
        running="$running $i" nrun=$((nrun + 1))
    done
    while [ $nrun -gt 0 ]; do
        reap || sleep 0.1
    done
    wait
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
