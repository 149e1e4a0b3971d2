#!/bin/sh
# SPDX-License-Identifier: MIT
# test_gc_cli.sh - `vmlab gc demo`, `vmlab gc leaks` against valgrind
# memcheck's "definitely lost" and "indirectly lost" on programs with known
# leaks, random heaps (tests/gc/leak_random.c, many seeds) and sort; the
# refusal of threaded programs, a report from a signal, usage errors; and the
# library contract (libvmlab.a -lpthread, libvmlab.so).
. tests/lib.sh

BUILD=${BUILD:-build}
PROGS=$BUILD/tests/gc

have_valgrind() { command -v valgrind >/dev/null; }

# vg_totals CMD...: "DEF_BYTES DEF_BLOCKS IND_BYTES IND_BLOCKS" from valgrind.
vg_totals() {
    valgrind --leak-check=full "$@" 2>"$TMP/vg" >/dev/null
    if grep -q 'All heap blocks were freed -- no leaks are possible' "$TMP/vg"; then
        echo "0 0 0 0"
        return
    fi
    sed -n 's/.*\(definitely\|indirectly\) lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\2 \3/p' "$TMP/vg" |
        tr -d , | tr '\n' ' ' | sed 's/ $//'
}

# our_totals CMD...: the same four numbers from vmlab gc leaks (text).
our_totals() {
    "$VMLAB" gc leaks -- "$@" 2>/dev/null |
        sed -n 's/^\(definitely\|indirectly\) lost: \([0-9]*\) bytes in \([0-9]*\) blocks$/\2 \3/p' |
        tr '\n' ' ' | sed 's/ $//'
}

t_demo_shows_roots_mark_sweep_and_conservatism() {
    expect_exit 0 "$VMLAB" gc demo || return 1
    o=$TMP/out
    grep -q '^  registers+stack ' "$o" && grep -q '^  data+bss .*(program)' "$o" ||
        fail "no roots listed: $(head -12 "$o")" || return 1
    for k in "kept   A" "kept   B" "kept   C" "kept   F" "kept   G"; do
        grep -q "^  $k " "$o" || fail "sweep: no '$k' line: $(sed -n '/^4\./,/^5\./p' "$o")" || return 1
    done
    # Under ASan's -O1 frames stale copies of pointers may keep garbage (as
    # in test_gc.c): what must be freed is checked in the optimised build.
    if grep -aq __asan_init "$VMLAB" 2>/dev/null; then
        return 0
    fi
    for k in "freed  X" "freed  Y" "freed  H"; do
        grep -q "^  $k " "$o" || fail "sweep: no '$k' line: $(sed -n '/^4\./,/^5\./p' "$o")" || return 1
    done
    sed -n '/^5\./,$p' "$o" >"$TMP/c"
    grep -q '^  freed  F ' "$TMP/c" || fail "F not freed once the integer is cleared" || return 1
    grep -q '^  kept   a block whose address is stored as data in a scanned block' "$TMP/c" &&
        grep -q '^  freed  a block whose address is stored as data in an atomic block' "$TMP/c" ||
        fail "conservatism: $(cat "$TMP/c")"
}

t_leaks_known_program_matches_valgrind() {
    have_valgrind || { skip "no valgrind"; return; }
    expect_exit 3 "$VMLAB" gc leaks -- "$PROGS/leak_known" || return 1
    grep -q '^definitely lost: 828 bytes in 8 blocks$' "$TMP/out" &&
        grep -q '^indirectly lost: 176 bytes in 6 blocks$' "$TMP/out" || fail "$(tail -3 "$TMP/out")" || return 1
    want=$(vg_totals "$PROGS/leak_known")
    got=$(our_totals "$PROGS/leak_known")
    [ "$got" = "$want" ] || fail "vmlab: $got, valgrind: $want"
}

t_leaks_json_has_size_site_and_stack() {
    expect_exit 3 "$VMLAB" gc leaks --output json -- "$PROGS/leak_known" || return 1
    python3 - "$TMP/out" <<'PY' || fail "json: $(head -c 400 "$TMP/out")"
import json, sys
v = json.load(open(sys.argv[1]))
assert len(v) == 14, len(v)
assert all(isinstance(x["size"], int) and x["site"] and x["stack"] for x in v)
sites = {x["site"].split(" ")[0] for x in v if x["kind"] == "definite"}
assert sites == {"leak_three", "leak_list", "leak_cycle", "leak_realloc", "leak_aligned", "leak_calloc"}, sites
assert sorted(x["size"] for x in v if x["kind"] == "definite") == [24, 40, 64, 100, 100, 100, 100, 300]
assert all(x["stack"][1].startswith("main ") for x in v)
PY
}

t_leak_free_program_reports_nothing() {
    expect_exit 0 "$VMLAB" gc leaks --output json -- "$PROGS/leak_none" || return 1
    [ "$(sed -n '$p' "$TMP/out")" = "[]" ] || fail "leaks reported: $(cat "$TMP/out")" || return 1
    grep -q '^sum 499500$' "$TMP/out" || fail "the program's own output is missing" || return 1
    if have_valgrind; then
        [ "$(vg_totals "$PROGS/leak_none")" = "0 0 0 0" ] || fail "valgrind disagrees: $(vg_totals "$PROGS/leak_none")"
    fi
}

# Valgrind's scan is conservative too: a dead stack slot that still holds a
# block's address keeps it "reachable" in one run and not in the next (seen
# once in a CI rehearsal: seed 5, valgrind 19117 bytes in 150 blocks, then
# 19333 in 151 on every rerun, as vmlab said each time).  A seed whose
# totals differ asks valgrind once more, and says so.
t_random_heaps_match_valgrind() {
    have_valgrind || { skip "no valgrind"; return; }
    for seed in 1 2 3 4 5 6 7 8 9 10; do
        want=$(vg_totals "$PROGS/leak_random" $seed)
        got=$(our_totals "$PROGS/leak_random" $seed)
        if [ -n "$want" ] && [ "$got" != "$want" ]; then
            echo "  seed $seed: vmlab $got, valgrind $want; asking valgrind again"
            want=$(vg_totals "$PROGS/leak_random" $seed)
        fi
        [ -n "$want" ] && [ "$got" = "$want" ] || fail "seed $seed: vmlab $got, valgrind $want" || return 1
    done
}

t_real_program_sort_matches_valgrind() {
    have_valgrind || { skip "no valgrind"; return; }
    seq 1 2000 | sort -R --random-source=/dev/zero >"$TMP/in"
    want=$(vg_totals sort "$TMP/in")
    got=$(our_totals sort "$TMP/in")
    [ "$got" = "$want" ] || fail "sort: vmlab $got, valgrind $want"
}

t_threaded_program_is_refused() {
    expect_exit 1 "$VMLAB" gc leaks -- "$PROGS/leak_thread" || return 1
    expect_err "^vmlab gc leaks: the program creates a thread; .* refuses threaded programs"
}

t_report_on_a_signal() {
    expect_exit 143 "$VMLAB" gc leaks -- "$PROGS/leak_signal" || return 1
    grep -q '^123 bytes definitely lost at .*allocated at lose (' "$TMP/out" ||
        fail "no report from the signal: $(cat "$TMP/out")"
}

t_usage_errors() {
    expect_exit 2 "$VMLAB" gc leaks || return 1
    expect_err "^vmlab: gc leaks: no program to run" || return 1
    expect_exit 2 "$VMLAB" gc leaks --output csv -- true || return 1
    expect_exit 2 "$VMLAB" gc frobnicate || return 1
    expect_err "unknown subcommand 'frobnicate'" || return 1
    expect_exit 127 "$VMLAB" gc leaks -- "$TMP/no-such-program" || return 1
    expect_err "no-such-program: No such file"
}

# The contract: the header with -Iinclude and libvmlab.a -lpthread, no init
# call; and the same program on the shared library libvmlab.so.
t_library_contract() {
    command -v cc >/dev/null || { skip "no cc"; return; }
    cat >"$TMP/p.c" <<'C'
#include <stdio.h>
#include <vmlab/gc.h>
struct n { struct n *next; long v; };
int main(void)
{
    struct n *keep = NULL;
    gc_stats_t st;
    for (long i = 0; i < 2000000; i++) {
        struct n *x = gc_malloc(sizeof *x);
        x->v = i;
        if (i % 1000 == 0) { x->next = keep; keep = x; }
    }
    long s = 0, c = 0;
    for (struct n *p = keep; p; p = p->next) { s += p->v; c++; }
    gc_get_stats(&st);
    printf("%ld %ld %d\n", c, s, st.collections > 0 && st.heap_peak < (64u << 20));
    return 0;
}
C
    cc -Iinclude "$TMP/p.c" "$BUILD/libvmlab.a" -lpthread -o "$TMP/p-static" 2>"$TMP/err" ||
        { grep -q asan "$TMP/err" && { skip "an ASan build"; return; }; fail "$(cat "$TMP/err")"; return 1; }
    [ "$("$TMP/p-static")" = "2000 1999000000 1" ] || fail "static: $("$TMP/p-static")" || return 1
    [ -f "$BUILD/libvmlab.so.0" ] || { skip "no libvmlab.so.0 in this build"; return; }
    cc -Iinclude "$TMP/p.c" "$BUILD/libvmlab.so.0" -lpthread -o "$TMP/p-shared" || return 1
    [ "$(LD_LIBRARY_PATH=$BUILD "$TMP/p-shared")" = "2000 1999000000 1" ] || fail "shared: $(LD_LIBRARY_PATH=$BUILD "$TMP/p-shared")"
}

run_tests
