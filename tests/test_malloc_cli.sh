#!/bin/sh
# SPDX-License-Identifier: MIT
# test_malloc_cli.sh - `vmlab malloc replay` on the command line: the table,
# JSON, the policies, and one clear line for every kind of bad input.
. tests/lib.sh

ML=$SHARED/data/malloclab

t_replay_table() {
    [ -f "$ML/short1-bal.rep" ] || { skip "no $ML"; return; }
    expect_exit 0 "$VMLAB" malloc replay -t 0 "$ML/short1-bal.rep" "$ML/short2-bal.rep" || return 1
    grep -Eq '^short1-bal.rep +segfit +yes +78\.8%' "$TMP/out" || fail "short1 row: $(cat "$TMP/out")" || return 1
    grep -Eq '^short2-bal.rep +segfit +yes +99\.3% +18448 +18314' "$TMP/out" || fail "short2 row: $(cat "$TMP/out")" || return 1
    grep -Eq '^average +segfit +2/2 ' "$TMP/out" || fail "no average: $(cat "$TMP/out")"
}

t_replay_json_all_libc() {
    [ -f "$ML/short2-bal.rep" ] || { skip "no $ML"; return; }
    expect_exit 0 "$VMLAB" malloc replay -t 0.001 -s 1 --policy all,libc --output json "$ML/short2-bal.rep" || return 1
    n=$(grep -c '"trace": "short2-bal.rep"' "$TMP/out")
    [ "$n" -eq 10 ] || fail "$n entries, expected 9 designs + libc" || return 1
    grep -q '"policy": "libc", "valid": true, "util": [01]\.[0-9]*, "ops_per_sec": [1-9]' "$TMP/out" || fail "libc entry: $(cat "$TMP/out")" || return 1
    if command -v python3 >/dev/null; then
        python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert len(a)==10 and all(0<=e["util"]<=1 and e["valid"] for e in a)' "$TMP/out" || fail "not the JSON expected"
    fi
}

t_replay_align16() {
    [ -f "$ML/short2-bal.rep" ] || { skip "no $ML"; return; }
    expect_exit 0 "$VMLAB" malloc replay -t 0 --align 16 --policy buddy,segstore "$ML/short2-bal.rep" || return 1
    grep -Eq '^short2-bal.rep +buddy +yes' "$TMP/out" || fail "$(cat "$TMP/out")"
}

t_replay_options() {
    # the textbook placement loses binary-bal's layout; deferred coalescing
    # and canaries still replay valid
    [ -f "$ML/binary-bal.rep" ] || { skip "no $ML"; return; }
    expect_exit 0 "$VMLAB" malloc replay -t 0 --low-placement "$ML/binary-bal.rep" || return 1
    grep -Eq '^binary-bal.rep +segfit +yes +5[0-9]\.[0-9]%' "$TMP/out" || fail "low placement: $(cat "$TMP/out")" || return 1
    expect_exit 0 "$VMLAB" malloc replay -t 0 --defer-coalesce --canary --policy all "$ML/short1-bal.rep" "$ML/realloc-bal.rep" || return 1
    [ "$(grep -Ec '^average +[a-z-]+ +2/2' "$TMP/out")" -eq 9 ] || fail "$(cat "$TMP/out")"
}

t_list() {
    expect_exit 0 "$VMLAB" malloc replay --list || return 1
    [ "$(wc -l <"$TMP/out")" -eq 10 ] || fail "$(cat "$TMP/out")"
}

t_bad_policy() {
    expect_exit 2 "$VMLAB" malloc replay --policy segfit,nope x.rep || return 1
    expect_err "unknown policy 'nope'"
}

t_bad_align() {
    expect_exit 2 "$VMLAB" malloc replay --align 4 x.rep || return 1
    expect_err "align 4 \(expected 8 or 16\)"
}

t_no_trace() {
    expect_exit 2 "$VMLAB" malloc replay || return 1
    expect_err "at least one TRACE"
}

t_bad_subcommand() {
    expect_exit 2 "$VMLAB" malloc frobnicate || return 1
    expect_err "unknown subcommand 'frobnicate'"
}

t_malformed_line() {
    printf '100\n2\n3\n1\na 0 16\nq 1 5\nf 0\n' >"$TMP/bad.rep"
    expect_exit 1 "$VMLAB" malloc replay "$TMP/bad.rep" || return 1
    expect_err "^vmlab: .*bad.rep:6: unknown operation 'q'"
}

t_trace_double_free() {
    printf '100\n2\n3\n1\na 0 16\nf 0\nf 0\n' >"$TMP/df.rep"
    expect_exit 1 "$VMLAB" malloc replay "$TMP/df.rep" || return 1
    expect_err "^vmlab: .*df.rep:7: trace error: id 0 freed while not allocated"
}

t_trace_use_before_alloc() {
    printf '100\n2\n2\n1\nr 1 16\nf 1\n' >"$TMP/ub.rep"
    expect_exit 1 "$VMLAB" malloc replay "$TMP/ub.rep" || return 1
    expect_err "ub.rep:5: trace error: id 1 reallocated while not allocated"
}

t_larger_than_malloc_lab_arena() {
    # a recorded program may hold more than malloc-lab's 20 MiB: two 12 MiB
    # blocks live at once, then a realloc to 40 MiB
    printf '0\n2\n5\n1\na 0 12582912\na 1 12582912\nr 0 41943040\nf 0\nf 1\n' >"$TMP/big.rep"
    expect_exit 0 "$VMLAB" malloc replay --policy all --time 0 --output json "$TMP/big.rep" || return 1
    [ "$(grep -o '"valid": *true' "$TMP/out" | wc -l)" -eq 9 ] || fail "not 9 valid replays: $(cat "$TMP/out")"
}

t_missing_file() {
    expect_exit 1 "$VMLAB" malloc replay "$TMP/none.rep" || return 1
    expect_err "none.rep"
}

run_tests
