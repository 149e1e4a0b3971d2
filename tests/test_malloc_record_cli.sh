#!/bin/sh
# SPDX-License-Identifier: MIT
# test_malloc_record_cli.sh - `vmlab malloc record`: real programs recorded
# into malloc-lab traces that are well-formed, exact for a program whose calls
# are known, and replayable under every design.
. tests/lib.sh

KNOWN=${BUILD:-build}/tests/malloc/known

# check_rep FILE: the trace is well-formed: four header numbers whose id and
# op counts match the body, every id allocated once before any r/f, never
# used after its free.
check_rep() {
    awk 'NR <= 4 { if ($0 !~ /^[0-9]+$/) { print "header line " NR ": " $0; bad = 1; exit }
                   h[NR] = $0; next }
         { ops++ }
         $1 == "a" && NF == 3 { if ($2 in st) { print "line " NR ": id " $2 " allocated twice"; bad = 1; exit }
                                st[$2] = 1; if ($2 + 1 > ids) ids = $2 + 1; next }
         $1 == "r" && NF == 3 { if (st[$2] != 1) { print "line " NR ": realloc of id " $2 " not live"; bad = 1; exit } next }
         $1 == "f" && NF == 2 { if (st[$2] != 1) { print "line " NR ": free of id " $2 " not live"; bad = 1; exit }
                                st[$2] = 2; next }
         { print "line " NR ": bad op: " $0; bad = 1; exit }
         END { if (bad) exit 1
               if (ops != h[3]) { print "header says " h[3] " ops, body has " ops; exit 1 }
               if (ids != h[2]) { print "header says " h[2] " ids, body has " ids; exit 1 }
               if (ops == 0) { print "no ops"; exit 1 } }' "$1" >"$TMP/why" ||
        fail "$1 is malformed: $(cat "$TMP/why")"
}

t_known_program_exact() {
    expect_exit 0 "$VMLAB" malloc record -q -o "$TMP/k.rep" -- "$KNOWN" || return 1
    check_rep "$TMP/k.rep" || return 1
    # the known calls, in order, with their ids tied together (other lines are
    # the C library's own allocations, e.g. for the thread)
    grep -E ' (100003|100011|200003|50001|60001|40001|70049|30021|20011|30011|70001)$|^f ' \
        "$TMP/k.rep" | awk '
        $1 == "a" { id[$3] = $2 } $1 == "r" { rid[$3] = $2 }
        $1 == "f" { fr[$2] = ++n }
        $1 != "f" { seq = seq " " $1 $3 }
        END { print seq
              print (rid[200003] == id[100003]) (rid[30021] == id[70049]) \
                    (fr[id[100011]] > 0) (fr[id[30011]] > 0) (fr[id[100003]] > fr[id[100011]]) }' >"$TMP/got"
    printf '%s\n' " a100003 a100011 r200003 a50001 a60001 a40001 a70049 r30021 a20011 a30011 a70001" \
        11111 >"$TMP/want"
    cmp -s "$TMP/got" "$TMP/want" || fail "got $(cat "$TMP/got")"
}

t_fork_child_is_its_own_stream() {
    # the child's malloc(80001) is not in the command's trace; --process
    # largest picks the parent here too (more events), --keep shows both files
    expect_exit 0 "$VMLAB" malloc record -q --keep "$TMP/ev" -o "$TMP/k.rep" -- "$KNOWN" || return 1
    grep -q ' 80001$' "$TMP/k.rep" && fail "the forked child's allocation is in the parent's trace"
    [ "$(ls "$TMP/ev" | grep -c '\.ev$')" -eq 2 ] || fail "expected 2 event files, got: $(ls "$TMP/ev")"
}

t_process_main_or_largest() {
    # sh runs sort as a child: main is sh's last image, largest is sort
    printf 'b\na\n' >"$TMP/in"
    expect_exit 0 "$VMLAB" malloc record -o "$TMP/m.rep" -- sh -c "sort -r $TMP/in >/dev/null; true" || return 1
    grep -q '(sh -c sort' "$TMP/err" || fail "main: $(cat "$TMP/err")" || return 1
    expect_exit 0 "$VMLAB" malloc record --process largest -o "$TMP/l.rep" -- sh -c "sort -r $TMP/in >/dev/null; true" ||
        return 1
    grep -Eq '\(sort -r .*the largest of [2-9] process images' "$TMP/err" || fail "largest: $(cat "$TMP/err")"
}

t_sort_real_program() {
    seq 1 50000 | sed 's/$/ line of text/' >"$TMP/in"
    expect_exit 0 "$VMLAB" malloc record -o "$TMP/s.rep" -- sort -rn "$TMP/in" || return 1
    check_rep "$TMP/s.rep" || return 1
    grep -Eq "^vmlab malloc record: .*s\.rep: [0-9]+ ops, [0-9]+ ids, .*\(sort -rn " "$TMP/err" ||
        fail "summary: $(cat "$TMP/err")"
    [ "$(cut -d' ' -f1 "$TMP/out" | head -1)" = 50000 ] || fail "sort's own output is wrong"
}

t_python_real_program() {
    py=$(command -v /usr/bin/python3 python3 | head -1)
    [ -n "$py" ] || { skip "no python3"; return; }
    # PYTHONMALLOC=malloc: every object through malloc, not pymalloc's arenas
    PYTHONMALLOC=malloc expect_exit 0 "$VMLAB" malloc record -q -o "$TMP/p.rep" -- "$py" -c \
        'd = {str(i): [i] * (i % 7) for i in range(20000)}; print(sum(map(len, d.values())))' ||
        return 1
    check_rep "$TMP/p.rep" || return 1
    [ "$(sed -n 3p "$TMP/p.rep")" -gt 40000 ] || fail "only $(sed -n 3p "$TMP/p.rep") ops"
    grep -q '^r ' "$TMP/p.rep" || fail "python3 made no realloc?"
}

# replay_all FILE: every design replays the trace and finds it valid.
replay_all() {
    expect_exit 0 "$VMLAB" malloc replay --policy all --time 0 --output json "$1" || return 1
    grep -q '"valid": *false' "$TMP/out" && fail "a design found $1 invalid: $(cat "$TMP/out")" && return 1
    nd=$("$VMLAB" malloc replay --list | grep -vc '^libc ')
    [ "$(grep -o '"valid": *true' "$TMP/out" | wc -l)" -eq "$nd" ] || fail "not $nd valid replays: $(cat "$TMP/out")"
}

t_replay_every_design() {
    expect_exit 0 "$VMLAB" malloc record -q -o "$TMP/s.rep" -- sort /etc/passwd || return 1
    replay_all "$TMP/s.rep"
}

t_threaded_program_replays() {
    # four threads, cross-thread frees, reallocs and a fork: the recorded
    # order must still be a valid sequential trace
    expect_exit 0 "$VMLAB" malloc record -q -o "$TMP/t.rep" -- "${BUILD:-build}/tests/malloc/stress" 4 3000 ||
        return 1
    check_rep "$TMP/t.rep" || return 1
    [ "$(sed -n 3p "$TMP/t.rep")" -gt 10000 ] || fail "only $(sed -n 3p "$TMP/t.rep") ops"
    replay_all "$TMP/t.rep"
}

t_bad_usage() {
    expect_exit 2 "$VMLAB" malloc record -- true || return 1
    expect_err 'no output file \(expected -o FILE\)' || return 1
    expect_exit 2 "$VMLAB" malloc record -o "$TMP/x.rep" || return 1
    expect_err 'no command to run' || return 1
    expect_exit 2 "$VMLAB" malloc record --process biggest -o "$TMP/x.rep" -- true || return 1
    expect_err "unknown --process 'biggest' \(expected main or largest\)"
}

t_failures_leave_no_file() {
    expect_exit 1 "$VMLAB" malloc record -o "$TMP/x.rep" -- "$TMP/does-not-exist" || return 1
    expect_err "cannot run '.*does-not-exist': No such file" || return 1
    # a static program ignores LD_PRELOAD: nothing recorded is an error
    printf 'int main(void){return 0;}' >"$TMP/st.c"
    if cc -static -o "$TMP/st" "$TMP/st.c" 2>/dev/null; then
        expect_exit 1 "$VMLAB" malloc record -o "$TMP/x.rep" -- "$TMP/st" || return 1
        expect_err 'made no allocation the library could see' || return 1
    fi
    [ ! -e "$TMP/x.rep" ] || fail "an output file was left behind"
    [ -z "$(ls "$TMP" | grep '\.rep\.')" ] || fail "a temporary file was left behind: $(ls "$TMP")"
}

t_failing_command_still_writes() {
    expect_exit 1 "$VMLAB" malloc record -q -o "$TMP/f.rep" -- sh -c 'sort /etc/passwd >/dev/null; exit 3' || return 1
    expect_err "'sh' exited with status 3; the trace of what it did is in" || return 1
    check_rep "$TMP/f.rep"
}

run_tests
