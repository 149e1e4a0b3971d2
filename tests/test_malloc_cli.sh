#!/bin/sh
# SPDX-License-Identifier: MIT
# test_malloc_cli.sh - `vmlab malloc replay` on the command line: the table,
# JSON, the policies, and one clear line for every kind of bad input.
. tests/lib.sh

ML=$SHARED/data/malloclab
ND=$("$VMLAB" malloc replay --list | grep -vc '^libc ') # vmlab's designs

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
    [ "$n" -eq $((ND + 1)) ] || fail "$n entries, expected $ND designs + libc" || return 1
    grep -q '"policy": "libc", "valid": true, "util": [01]\.[0-9]*, "ops_per_sec": [1-9]' "$TMP/out" || fail "libc entry: $(cat "$TMP/out")" || return 1
    if command -v python3 >/dev/null; then
        python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert len(a)==int(sys.argv[2])+1 and all(0<=e["util"]<=1 and e["valid"] for e in a)' "$TMP/out" "$ND" || fail "not the JSON expected"
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
    [ "$(grep -Ec '^average +[a-z-]+ +2/2' "$TMP/out")" -eq "$ND" ] || fail "$(cat "$TMP/out")"
}

t_list() {
    expect_exit 0 "$VMLAB" malloc replay --list || return 1
    [ "$(wc -l <"$TMP/out")" -eq $((ND + 1)) ] || fail "$(cat "$TMP/out")"
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
    [ "$(grep -o '"valid": *true' "$TMP/out" | wc -l)" -eq "$ND" ] || fail "not $ND valid replays: $(cat "$TMP/out")"
}

# ---- malloc gen: the fragmentation adversaries ----

t_gen_deterministic() {
    for k in regrow random realloc shift ladder bufsmall pairs randmix grow structs; do
        expect_exit 0 "$VMLAB" malloc gen $k --seed 5 -o "$TMP/a.rep" || return 1
        expect_exit 0 "$VMLAB" malloc gen $k --seed 5 -o "$TMP/b.rep" || return 1
        expect_exit 0 "$VMLAB" malloc gen $k --seed 6 -o "$TMP/c.rep" || return 1
        cmp -s "$TMP/a.rep" "$TMP/b.rep" || fail "$k: seed 5 gave two traces" || return 1
        cmp -s "$TMP/a.rep" "$TMP/c.rep" && fail "$k: seeds 5 and 6 gave one trace" && return 1
    done
    return 0
}

t_gen_format() {
    # an independent reader (awk): header of 4 numbers, ops as many as it
    # says, every id allocated before use and freed exactly once at the end
    for k in regrow random realloc shift ladder bufsmall pairs randmix grow structs; do
        for s in 1 2 3; do
            "$VMLAB" malloc gen $k --seed $s >"$TMP/t.rep" || { fail "$k $s: exit $?"; return 1; }
            awk -v k="$k.$s" 'NR == 2 { ids = $1 } NR == 3 { ops = $1 } NR <= 4 { next }
                $1 == "a" { if ($2 in live) { print k ": id " $2 " allocated twice"; exit 1 } live[$2] = 1; n++; next }
                $1 == "r" { if (!($2 in live)) { print k ": realloc of dead " $2; exit 1 } n++; next }
                $1 == "f" { if (!($2 in live)) { print k ": free of dead " $2; exit 1 } delete live[$2]; n++; next }
                { print k ": bad line " NR; exit 1 }
                END { if (n != ops) { print k ": " n " ops, header " ops; exit 1 }
                      for (i in live) { print k ": id " i " never freed"; exit 1 }
                      if (ids < 1) { print k ": no ids"; exit 1 } }' "$TMP/t.rep" >"$TMP/why" ||
                { fail "$(cat "$TMP/why")"; return 1; }
        done
    done
}

t_gen_replay_same_as_file() {
    # gen:KIND:SEED in place of a file replays the very same trace
    "$VMLAB" malloc gen regrow --seed 4 >"$TMP/r.rep" || return 1
    expect_exit 0 "$VMLAB" malloc replay -t 0 --policy segfit,adaptive "$TMP/r.rep" gen:regrow:4 || return 1
    a=$(awk '$1 == "r.rep" { print $2, $4, $5, $6 }' "$TMP/out")
    b=$(awk '$1 == "gen:regrow:4" { print $2, $4, $5, $6 }' "$TMP/out")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "file: $a; generated: $b"
}

t_gen_adaptive_beats_segfit_on_regrow() {
    # small and large blocks below segfit's fixed 256-byte line: the running
    # mean splits them, the fixed line cannot (measured: 79.4% vs 58.2%)
    expect_exit 0 "$VMLAB" malloc replay -t 0 --policy segfit,adaptive gen:regrow:5 || return 1
    awk '$2 == "segfit" && $1 ~ /^gen/ { s = $4 + 0 } $2 == "adaptive" && $1 ~ /^gen/ { a = $4 + 0 }
         END { exit !(a > s + 10) }' "$TMP/out" || fail "$(cat "$TMP/out")"
}

t_replay_offline_and_bound() {
    # the references (in the help, not in --list: they are not designs),
    # replayed beside a design: design <= bound and offline <= bound;
    # --frag refuses them (no heap to walk)
    expect_exit 0 "$VMLAB" malloc replay --help || return 1
    grep -q "'offline'" "$TMP/out" && grep -q "'bound'" "$TMP/out" || fail "not in the help" || return 1
    expect_exit 0 "$VMLAB" malloc replay -t 0 --policy adaptive,offline,bound gen:realloc:3 gen:regrow:2 || return 1
    awk '$1 ~ /^gen/ { u[$1, $2] = $4 + 0; if ($3 != "yes") bad = 1; t[$1] = 1 }
         END { for (x in t) if (u[x, "adaptive"] > u[x, "bound"] || u[x, "offline"] > u[x, "bound"] || u[x, "bound"] <= 0) bad = 1
               exit bad }' "$TMP/out" || fail "$(cat "$TMP/out")" || return 1
    expect_exit 2 "$VMLAB" malloc replay --frag --policy offline gen:regrow:2 || return 1
    expect_err "offline's heap cannot be walked"
}

t_gen_bad() {
    expect_exit 2 "$VMLAB" malloc gen nope || return 1
    expect_err "unknown kind 'nope'" || return 1
    expect_exit 2 "$VMLAB" malloc gen regrow --scale 0 || return 1
    expect_exit 1 "$VMLAB" malloc replay gen:nope:1 || return 1
    expect_err "gen:nope:1: unknown kind 'nope'" || return 1
    expect_exit 1 "$VMLAB" malloc replay gen:regrow:x || return 1
    expect_err "expected gen:KIND:SEED"
}

# ---- replay --frag ----

t_frag_short1_golden() {
    # short1 by hand (CS:APP's trace, 12 operations): after op 10 the heap
    # holds a0's freed 2040 bytes and a2's 48 as one 2112-byte hole beside
    # two live 4072-byte blocks; one free block, so no external fragmentation
    [ -f "$ML/short1-bal.rep" ] || { skip "no $ML"; return; }
    expect_exit 0 "$VMLAB" malloc replay --frag --every 1 --output csv -p implicit-first "$ML/short1-bal.rep" || return 1
    [ "$(grep -c '^short1-bal.rep,implicit-first,' "$TMP/out")" -eq 12 ] || fail "not 12 rows: $(cat "$TMP/out")" || return 1
    grep -q '^short1-bal.rep,implicit-first,10,10336,2112,2112,1,0.000000,8144,8168,2,0.002947$' "$TMP/out" ||
        fail "row 10: $(grep ',10,' "$TMP/out")"
}

t_frag_consistent() {
    # every sample: external in [0, 1), largest <= free, payload <= alloc,
    # payload at the end 0, and the last heap size is the replay's
    expect_exit 0 "$VMLAB" malloc replay --frag --output csv -p segfit,adaptive gen:random:3 || return 1
    awk -F, 'NR > 1 { if ($8 < 0 || $8 >= 1 || $6 > $5 || $9 > $10 || $3 < 1) { print "bad row " NR ": " $0; exit 1 }
                      last[$2] = $0; n[$2]++ }
             END { for (p in last) { split(last[p], f, ","); if (f[9] != 0) { print p ": payload left"; exit 1 } }
                   if (n["segfit"] < 150 || n["adaptive"] < 150) { print "too few samples"; exit 1 } }' "$TMP/out" >"$TMP/why" ||
        { fail "$(cat "$TMP/why")"; return 1; }
    h=$(awk -F, '$2 == "segfit" { h = $4 } END { print h }' "$TMP/out")
    expect_exit 0 "$VMLAB" malloc replay -t 0 -p segfit gen:random:3 || return 1
    awk -v h="$h" '$2 == "segfit" && $5 != h { exit 1 }' "$TMP/out" || fail "heap $h differs: $(cat "$TMP/out")"
}

t_frag_json_and_errors() {
    expect_exit 0 "$VMLAB" malloc replay --frag --output json --every 1000 gen:shift:2 || return 1
    if command -v python3 >/dev/null; then
        python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert len(a) > 3 and all(0 <= e["external"] < 1 and e["largest_free"] <= e["free_bytes"] for e in a)' "$TMP/out" || fail "JSON: $(head -3 "$TMP/out")" || return 1
    fi
    expect_exit 2 "$VMLAB" malloc replay --output csv gen:shift:2 || return 1
    expect_err "csv needs --frag" || return 1
    expect_exit 2 "$VMLAB" malloc replay --every 3 gen:shift:2 || return 1
    expect_exit 2 "$VMLAB" malloc replay --frag -p libc gen:shift:2 || return 1
    expect_err "libc's heap cannot be walked" || return 1
    # refused before any row: no half-written table or JSON array
    expect_exit 2 "$VMLAB" malloc replay --frag --output json -p segfit,bound gen:shift:2 || return 1
    expect_err "bound's heap cannot be walked" || return 1
    [ ! -s "$TMP/out" ] || fail "output before the refusal: $(head -3 "$TMP/out")"
}

# ---- plot heap ----

# heap_script DESIGN TRACE: the script and data of `plot heap`, gnuplot
# not run (the files stay, exit 1: no picture); then read the script back.
heap_script() {
    VMLAB_GNUPLOT=/nonexistent/gnuplot expect_exit 1 "$VMLAB" plot heap "$2" --design "$1" -o "$TMP/$1.png" || return 1
    [ -s "$TMP/$1.gp" ] && [ -s "$TMP/$1.dat" ] || fail "no script or data for $1"
}

t_plot_heap_script() {
    heap_script implicit-first gen:regrow:2 || return 1
    gp=$TMP/implicit-first.gp dat=$TMP/implicit-first.dat
    nops=$("$VMLAB" malloc gen regrow --seed 2 | sed -n 3p)
    rows=$(wc -l <"$dat")
    grep -q "^# heap map: $rows rows, 200 columns\$" "$gp" || fail "rows: $(grep '^# heap' "$gp"), data $rows" || return 1
    grep -q "^set xrange \[0:$nops\]\$" "$gp" || fail "xrange: $(grep xrange "$gp"), $nops ops" || return 1
    # the y range is the heap's size, as replay measures it
    expect_exit 0 "$VMLAB" malloc replay -t 0 -p implicit-first gen:regrow:2 || return 1
    heap=$(awk '$2 == "implicit-first" && $1 ~ /^gen/ { print $5 }' "$TMP/out")
    grep -q "^set yrange \[0:$heap\]\$" "$gp" || fail "yrange: $(grep yrange "$gp"), heap $heap" || return 1
    [ "$(grep -c 'with vectors nohead' "$gp")" -eq 3 ] || fail "not 3 layers: $(cat "$gp")" || return 1
    # every row inside the ranges, kinds 1..3, 200 distinct columns
    awk -v n="$nops" -v h="$heap" '{ if ($1 < 1 || $1 > n || $2 < 0 || $2 + $3 > h + 600 || $4 < 1 || $4 > 3) { print "row " NR ": " $0; exit 1 }
         c[$1] = 1 } END { k = 0; for (x in c) k++; if (k != 200) { print k " columns"; exit 1 } }' "$dat" >"$TMP/why" ||
        { fail "$(cat "$TMP/why")"; return 1; }
}

t_plot_heap_first_vs_best() {
    # the picture tells the designs apart: on the same trace best fit's map
    # ends lower (a smaller heap) than worst fit's
    heap_script implicit-best gen:random:3 || return 1
    heap_script implicit-worst gen:random:3 || return 1
    b=$(sed -n 's/^set yrange \[0:\([0-9]*\)\]$/\1/p' "$TMP/implicit-best.gp")
    w=$(sed -n 's/^set yrange \[0:\([0-9]*\)\]$/\1/p' "$TMP/implicit-worst.gp")
    [ -n "$b" ] && [ "$b" -lt "$w" ] || fail "best $b, worst $w"
}

t_plot_heap_renders() {
    command -v gnuplot >/dev/null || { skip "no gnuplot"; return; }
    expect_exit 0 "$VMLAB" plot heap gen:shift:1 -p adaptive -o "$TMP/h.png" || return 1
    [ "$(head -c 4 "$TMP/h.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "not a PNG"
}

t_plot_heap_bad() {
    expect_exit 2 "$VMLAB" plot heap gen:shift:1 --design nope -o "$TMP/x.png" || return 1
    expect_err "unknown design 'nope'" || return 1
    expect_exit 2 "$VMLAB" plot heap gen:shift:1 --design libc -o "$TMP/x.png" || return 1
    expect_exit 2 "$VMLAB" plot heap gen:shift:1 --align 4 -o "$TMP/x.png" || return 1
    printf '1\n1\n1\n1\nq 0\n' >"$TMP/bad.rep"
    expect_exit 1 "$VMLAB" plot heap "$TMP/bad.rep" -o "$TMP/x.png" || return 1
    expect_err "bad.rep:5: unknown operation" || return 1
    [ ! -e "$TMP/x.dat" ] && [ ! -e "$TMP/x.gp" ] || fail "files left behind"
}

t_missing_file() {
    expect_exit 1 "$VMLAB" malloc replay "$TMP/none.rep" || return 1
    expect_err "none.rep"
}

run_tests
