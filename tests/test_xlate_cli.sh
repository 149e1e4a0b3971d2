#!/bin/sh
# SPDX-License-Identifier: MIT
# test_xlate_cli.sh - the homework commands: vmlab translate, vmlab malloc
# freelist, vmlab sim --steps, vmlab tlb-measure.  Answers are checked in
# the C tests against independent oracles; here: the command-line contract
# (formats, round trips through the homework's printed output, errors and
# exit statuses, well-formed output).
. tests/lib.sh

# A question printed by vmlab reads back through --from-ostep to the same
# answers as -c, for every model and several seeds.
t_question_round_trip() {
    for m in bounds seg linear multi; do
        for s in 1 2 3 4 5; do
            "$VMLAB" translate $m -s $s -n 8 >"$TMP/q" || return 1
            "$VMLAB" translate $m -s $s -n 8 -c >"$TMP/a" || return 1
            "$VMLAB" translate $m --from-ostep "$TMP/q" >"$TMP/b" || fail "$m $s: from-ostep failed" || return 1
            grep -E 'VA|Virtual|-->' "$TMP/a" >"$TMP/a2"
            grep -E 'VA|Virtual|-->' "$TMP/b" >"$TMP/b2"
            cmp -s "$TMP/a2" "$TMP/b2" || fail "$m seed $s: answers differ: $(diff "$TMP/a2" "$TMP/b2" | head -5)" || return 1
        done
    done
}

# Pasting the answers (-c output) works too, and stdin is '-'.
t_answers_paste_from_stdin() {
    "$VMLAB" translate multi -s 7 -c >"$TMP/a" || return 1
    "$VMLAB" translate multi --from-ostep - <"$TMP/a" >"$TMP/b" || return 1
    grep -c 'Translates to\|Fault' "$TMP/b" | grep -qx 10 || fail "expected 10 answers" || return 1
    cmp -s "$TMP/a" "$TMP/b" || fail "answers differ from -c"
}

# paging-linear-translate.py -v prints the VPN beside each entry: read both.
t_linear_verbose_table() {
    "$VMLAB" translate linear -s 3 -v -A 0,4096,8192,12288 >"$TMP/q" || return 1
    grep -q '^  \[       1\]  0x' "$TMP/q" || fail "no -v table" || return 1
    "$VMLAB" translate linear --from-ostep "$TMP/q" --output json >"$TMP/j" || return 1
    [ "$(grep -c '"vaddr"' "$TMP/j")" -eq 4 ] || fail "expected 4 objects"
}

t_json_fields() {
    "$VMLAB" translate multi -s 2 -n 6 --output json >"$TMP/j" || return 1
    [ "$(grep -c '"vaddr"' "$TMP/j")" -eq 6 ] || fail "6 addresses" || return 1
    for k in '"valid"' '"steps"' '"entry_addr"' '"frame"' '"index"'; do
        grep -q "$k" "$TMP/j" || fail "no $k" || return 1
    done
    grep -q '"paddr"\|"fault"' "$TMP/j" || fail "no paddr or fault"
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==6 and all(("paddr" in o) != ("fault" in o) for o in d)' "$TMP/j" || fail "not valid JSON"
    fi
}

t_explicit_problem_and_tlb() {
    cat >"$TMP/p" <<'P'
# a linear table, 4 pages of 16 bytes
model linear
asize 64
psize 256
page-size 16
pte 0x80000003
pte 0x00000000
pte 0x8000000f
pte 0x80000001
va 0x05
va 0x07
va 0x15
va 0x2f
va 0x01
P
    "$VMLAB" translate linear "$TMP/p" -c --tlb 2 >"$TMP/a" || return 1
    grep -q 'VA 0x00000005 (decimal:        5) --> 00000035 (decimal       53) \[VPN 0\]' "$TMP/a" || fail "va 5: $(cat "$TMP/a")" || return 1
    grep -q 'Invalid (VPN 1 not valid)' "$TMP/a" || fail "va 0x15 valid?" || return 1
    grep -q 'VA 0x0000002f (decimal:       47) --> 000000ff' "$TMP/a" || fail "va 0x2f" || return 1
    grep -q 'TLB: 2 hits, 3 misses' "$TMP/a" || fail "tlb: $(grep TLB "$TMP/a")"
}

t_bad_input_exit_1_with_line() {
    printf 'model linear\nasize 64\npsize 256\npage-size 16\npte 0x8000000g\n' >"$TMP/p"
    expect_exit 1 "$VMLAB" translate linear "$TMP/p" || return 1
    expect_err "^vmlab: $TMP/p:5: bad entry" || return 1
    printf 'page   0:00zz\nPDBR: 0\n' >"$TMP/m"
    expect_exit 1 "$VMLAB" translate multi --from-ostep "$TMP/m" || return 1
    expect_err "^vmlab: $TMP/m:1: page 0: 'zz' is not a hex byte" || return 1
    printf 'model bounds\nbase 1\n' >"$TMP/p"
    expect_exit 1 "$VMLAB" translate bounds "$TMP/p" || return 1
    expect_err 'missing base or limit'
}

t_usage_errors_exit_2() {
    expect_exit 2 "$VMLAB" translate linear -P 3000 || return 1
    expect_err 'page size 3000 is not a power of two' || return 1
    expect_exit 2 "$VMLAB" translate bounds -a 1000 || return 1
    expect_err 'not a power of two' || return 1
    expect_exit 2 "$VMLAB" translate linear -A 16384 || return 1
    expect_err 'wider than the address space' || return 1
    printf 'model linear\nasize 64\npsize 256\npage-size 16\nva 64\n' >"$TMP/p"
    expect_exit 2 "$VMLAB" translate linear "$TMP/p" || return 1
    expect_err "$TMP/p:5: virtual address 0x40 is wider" || return 1
    expect_exit 2 "$VMLAB" translate nosuch || return 1
    expect_exit 2 "$VMLAB" translate multi --levels 5,4 || return 1
    expect_exit 2 "$VMLAB" translate bounds --tlb 4
}

t_multi_levels_three() {
    "$VMLAB" translate multi --asize 256k --psize 8k -P 64 --levels 2,5,5 -a 20 -n 12 -c >"$TMP/a" || return 1
    grep -q '^      --> pte index' "$TMP/a" || fail "no third level: $(head -c 600 "$TMP/a")"
}

# malloc.py's output shape and answers for a list worked by hand.
t_freelist_list() {
    "$VMLAB" malloc freelist -S 100 -b 1000 -H 4 -p BEST -A +10,-0,+20,-0,-5 -c >"$TMP/a" || return 1
    grep -qx 'ptr\[0\] = Alloc(10) returned 1000 (searched 1 elements)' "$TMP/a" || fail "alloc 0: $(cat "$TMP/a")" || return 1
    grep -qx 'Free List \[ Size 2 \]: \[ addr:1000 sz:14 \]\[ addr:1014 sz:86 \]' "$TMP/a" || fail "list after free" || return 1
    grep -qx 'ptr\[1\] = Alloc(20) returned 1014 (searched 2 elements)' "$TMP/a" || fail "alloc 1" || return 1
    grep -qx 'returned -1' "$TMP/a" || fail "double free should return -1" || return 1
    grep -qx 'Invalid Free: Skipping' "$TMP/a" || fail "-5 should be skipped"
}

t_freelist_json_and_random() {
    "$VMLAB" malloc freelist -s 3 -n 20 -C -l SIZESORT- -p WORST --output json >"$TMP/j" || return 1
    [ "$(grep -c '"op"' "$TMP/j")" -eq 20 ] || fail "20 operations" || return 1
    grep -q '"searched"' "$TMP/j" && grep -q '"free"' "$TMP/j" || fail "fields"
    expect_exit 2 "$VMLAB" malloc freelist -p SOMETIMES || return 1
    expect_exit 2 "$VMLAB" malloc freelist -A +1,x || return 1
    expect_err "operation 2 'x'"
}

# paging-policy.py's line format, for every homework policy.
t_sim_steps_text() {
    "$VMLAB" sim --steps -p fifo,lru,opt,mru,unopt -n 3 -F pages -a 0,1,2,0,1,3,0,3,1,2,1 >"$TMP/a" || return 1
    grep -qx 'Access: 3  MISS FirstIn ->    \[1, 2, 3\] <- Lastin  Replaced:0 \[Hits:2 Misses:4\]' "$TMP/a" || fail "fifo line: $(grep 'Access: 3' "$TMP/a" | head -1)" || return 1
    grep -qx 'Access: 3  MISS LRU ->    \[2, 0, 3\] <- MRU Replaced:1 \[Hits:2 Misses:4\]' "$TMP/a" || fail "lru line" || return 1
    [ "$(grep -c '^FINALSTATS' "$TMP/a")" -eq 5 ] || fail "5 policies"
}

t_sim_steps_json() {
    "$VMLAB" sim --steps -p opt -n 2 -a 1,2,3,1 --output json >"$TMP/j" || return 1
    grep -q '"victim": null' "$TMP/j" || fail "no null victim" || return 1
    grep -q '"victim": 2' "$TMP/j" || fail "opt should evict 2 for 3" || return 1
    expect_exit 2 "$VMLAB" sim --steps -p lru -n 2 -a 1,b || return 1
    expect_exit 2 "$VMLAB" sim --steps -p nosuch -n 2 -a 1
}

t_sim_steps_trace_file() {
    printf '1\n2\n3\n1\n' >"$TMP/t.pages"
    "$VMLAB" sim --steps -p lru -n 2 -F pages "$TMP/t.pages" >"$TMP/a" || return 1
    grep -q 'FINALSTATS hits 0   misses 4   hitrate 0.00' "$TMP/a" || fail "$(tail -3 "$TMP/a")"
}

# A measurement: only that it runs and prints a well-formed table.
t_tlb_measure_small() {
    "$VMLAB" tlb-measure -m 16 -k 1 -t 1 -A 1000 >"$TMP/a" || return 1
    [ "$(grep -cE '^ +[0-9]+ +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3} +[0-9]+$' "$TMP/a")" -eq 5 ] || fail "table: $(cat "$TMP/a")" || return 1
    "$VMLAB" tlb-measure -m 8 -k 1 -t 1 -A 100 --output csv >"$TMP/c" || return 1
    head -1 "$TMP/c" | grep -qx 'pages,ns,ns_min,loops' || fail "csv header" || return 1
    expect_exit 2 "$VMLAB" tlb-measure --page-size 3000
}

run_tests
