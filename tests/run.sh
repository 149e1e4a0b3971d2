#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - run every test program and shell test given, stream their output as
# it comes, and end with one line summing them all: "N passed, N failed, N skipped".
# A program that dies without its own summary line counts as one failure, and
# so does one that exits non-zero while reporting no failure.
passed=0 failed=0 skipped=0
log=$(mktemp /tmp/vmlab-run-XXXXXX)
trap 'rm -f "$log" "$log.rc"' EXIT
for t in "$@"; do
    echo "== $t"
    {
        case $t in
            *.sh) sh "$t" 2>&1 ;;
            *) "$t" 2>&1 ;;
        esac
        echo $? >"$log.rc"
    } | tee "$log"
    rc=$(cat "$log.rc")
    counts=$(awk '/^[0-9]+ passed, [0-9]+ failed/ { p=$1; f=$3; s=($5 == "" ? 0 : $5); seen=1 }
                                         END { if (seen) print p, f, s }' "$log")
    if [ -z "$counts" ]; then
        echo "FAIL $t: exited $rc without a summary"
        failed=$((failed + 1))
        continue
    fi
    read p f s <<EOT
$counts
EOT
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $t: exited $rc"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
