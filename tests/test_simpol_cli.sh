#!/bin/sh
# SPDX-License-Identifier: MIT
# test_simpol_cli.sh - the policies of src/sim/policy_{nru,aging,lfu,mfu,
# wsclock,arc,car,lirs,2q,sieve}.c from the command line: parameters are
# passed through and checked with one clear line, results come out in JSON.
. tests/lib.sh

BZIP="$SHARED/data/traces/bzip.trace.gz"

# The hand-worked LIRS example of test_simpol.c (8 faults with 3 frames).
t_lirs_example_from_pages() {
    printf '1\n2\n3\n1\n2\n4\n5\n4\n1\n3\n1\n2\n' >"$TMP/p.txt"
    expect_exit 0 "$VMLAB" sim -p lirs -n 3 -F pages --output json "$TMP/p.txt" || return 1
    grep -q '"page_faults": 8,' "$TMP/out" || fail "$(cat "$TMP/out")"
}

# Parameters reach the policy: aging's period changes the result.
t_parameters_reach_the_policy() {
    [ -f "$BZIP" ] || skip "no $BZIP"
    expect_exit 0 "$VMLAB" sim -p aging:bits=8,period=1 -n 16 --output json "$BZIP" || return 1
    a=$(sed -n 's/.*"page_faults": \([0-9]*\).*/\1/p' "$TMP/out")
    expect_exit 0 "$VMLAB" sim -p aging:bits=8,period=1000 -n 16 --output json "$BZIP" || return 1
    b=$(sed -n 's/.*"page_faults": \([0-9]*\).*/\1/p' "$TMP/out")
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || fail "period=1: $a faults, period=1000: $b"
}

# Every policy of this branch over bzip in one run, with a sweep of frames:
# 30 rows; faults never below the 317 distinct pages, and exactly 317 with
# no disk write once every page fits (400 frames).
t_all_policies_on_bzip() {
    [ -f "$BZIP" ] || skip "no $BZIP"
    expect_exit 0 "$VMLAB" sim -p nru,aging,lfu,mfu,wsclock,arc,car,lirs,2q,sieve \
        -n 8,64,400 --output csv "$BZIP" || return 1
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
             { rows++; f = $col["page_faults"]; w = $col["disk_writes"]
               if (f < 317) bad = bad " " $col["policy"] ":" $col["frames"] ":" f
               if ($col["frames"] == 400 && (f != 317 || w != 0)) bad = bad " " $col["policy"] ":400:" f "/" w }
             END { if (rows != 30 || bad != "") { print rows " rows;" bad; exit 1 } }' \
        "$TMP/out" || fail "$(awk -F, 'NR > 1' "$TMP/out" | head -3)"
}

t_bad_parameter_value() {
    expect_exit 2 "$VMLAB" sim -p aging:bits=0 -n 4 "$BZIP" || return 1
    expect_err 'policy aging: bits=0 is not valid \(expected 1\.\.32\)'
}

t_unknown_parameter() {
    expect_exit 2 "$VMLAB" sim -p arc:p=1 -n 4 "$BZIP" || return 1
    expect_err "policy arc has no parameter 'p'"
}

t_bad_2q_kin() {
    expect_exit 2 "$VMLAB" sim -p 2q:kin=100 -n 4 "$BZIP" || return 1
    expect_err 'kin=100 is not valid \(expected 0\.\.99\)'
}

run_tests
