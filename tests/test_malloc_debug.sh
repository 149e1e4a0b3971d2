#!/bin/sh
# SPDX-License-Identifier: MIT
# test_malloc_debug.sh - the preload library's debug mode
# (VMLAB_MALLOC_FLAGS=canary,poison) and leak list (VMLAB_MALLOC_LEAKS=1)
# on real programs (issue 10): each error of tests/malloc/bugs.c is reported
# with one "vmlab malloc: ..." line on every design, never a bare SIGSEGV;
# programs that allocate heavily finish under the flags with glibc's output;
# the leak list names the allocation sites and sizes.
. tests/lib.sh

BUILD=${BUILD:-build}
LIB=${VMLAB_MALLOC_LIB:-$BUILD/libvmlab-malloc.so}
BUGS=$BUILD/tests/malloc/bugs
DESIGNS="implicit-first implicit-next implicit-best implicit-worst explicit-lifo explicit-addr segfit segstore buddy adaptive hybrid"

preload_ok() {
    [ -f "$LIB" ] && [ -x "$BUGS" ] || { skip "$LIB or $BUGS not built"; return 77; }
    case $LIB in /*) ;; *) LIB=$(pwd)/$LIB ;; esac
}

# dbg DESIGN CMD...: CMD on DESIGN with canary,poison.
dbg() {
    d=$1; shift
    LD_PRELOAD=$LIB VMLAB_MALLOC=$d VMLAB_MALLOC_FLAGS=canary,poison "$@"
}

# A write after free into the first 16 bytes of the freed block (where the
# free-list designs keep their links) crashed segfit, buddy and
# explicit-lifo with SIGSEGV and no message.
t_uaf_in_the_links_is_reported() {
    preload_ok || return
    for d in $DESIGNS; do
        dbg $d "$BUGS" uaf-head >"$TMP/out" 2>"$TMP/err"
        rc=$?
        [ $rc -eq 134 ] || fail "$d: exit $rc (expected SIGABRT after a message): $(cat "$TMP/err")" || return 1
        grep -q "^vmlab malloc: .*use after free" "$TMP/err" || fail "$d: $(cat "$TMP/err")" || return 1
    done
}

# Blocks of 128 KiB and more have their own mapping: an overflow of one
# byte past the request went unnoticed.
t_overflow_of_a_mapped_block_is_reported() {
    preload_ok || return
    for d in segfit buddy explicit-lifo; do
        for m in big-overflow big-realloc; do
            dbg $d "$BUGS" $m >"$TMP/out" 2>"$TMP/err"
            rc=$?
            [ $rc -eq 134 ] || fail "$d $m: exit $rc: $(cat "$TMP/err")" || return 1
            grep -q "^vmlab malloc: free(): heap overflow: the canary after the payload of a mapped block" \
                "$TMP/err" || fail "$d $m: $(cat "$TMP/err")" || return 1
        done
    done
    # Without the flags the same program is not checked (and not slowed).
    LD_PRELOAD=$LIB "$BUGS" clean || fail "clean run failed"
}

# The small-block errors are still caught with the cheaper poison checks.
t_small_errors_still_caught() {
    preload_ok || return
    for d in $DESIGNS; do
        for m in overflow uaf double; do
            dbg $d "$BUGS" $m >"$TMP/out" 2>"$TMP/err"
            [ $? -eq 134 ] || fail "$d $m: not caught: $(cat "$TMP/out" "$TMP/err")" || return 1
            grep -q "^vmlab malloc: " "$TMP/err" || fail "$d $m: $(cat "$TMP/err")" || return 1
        done
        dbg $d "$BUGS" clean 2>"$TMP/err" || fail "$d clean: $(cat "$TMP/err")" || return 1
    done
}

# perl with a hash of 20000 keys took 109 s under canary,poison (every split
# re-checked the whole free block's poison); it takes a fraction of a second
# now.  The 600 s limit only keeps a regression from hanging the suite:
# figures are in BENCHMARKS.md.
t_perl_and_python_under_the_flags() {
    preload_ok || return
    # make asan builds the library with VMLAB_DEBUG: the heap checker after
    # every call makes 10^5 allocations quadratic, so this one is for `make check`
    if grep -aq __asan_init "${VMLAB:-build/vmlab}" 2>/dev/null; then
        skip "a debug (ASan) build checks the whole heap after every call"
        return
    fi
    command -v perl >/dev/null || { skip "no perl"; return; }
    P='my %h; for my $i (1..20000) { $h{"k$i"} = "v" x ($i % 100) } my $s = 0; $s += length($h{$_}) for keys %h; print "$s\n"'
    want=$(perl -e "$P")
    for d in segfit buddy explicit-lifo segstore; do
        got=$(dbg $d timeout 600 perl -e "$P" 2>"$TMP/err") || fail "$d: perl failed: $(cat "$TMP/err")" || return 1
        [ "$got" = "$want" ] || fail "$d: perl printed $got, not $want" || return 1
    done
    PY=$(command -v python3) || return 0
    want=$("$PY" -c 'import json; d = {str(i): [i] * (i % 50) for i in range(30000)}; print(len(json.dumps(d)))')
    got=$(PYTHONMALLOC=malloc dbg segfit timeout 600 "$PY" -c 'import json; d = {str(i): [i] * (i % 50) for i in range(30000)}; print(len(json.dumps(d)))' 2>"$TMP/err") ||
        fail "python: $(cat "$TMP/err")" || return 1
    [ "$got" = "$want" ] || fail "python printed $got, not $want"
}

t_leak_list_names_sites_and_sizes() {
    preload_ok || return
    for d in segfit buddy implicit-next; do
        LD_PRELOAD=$LIB VMLAB_MALLOC=$d VMLAB_MALLOC_LEAKS=1 "$BUGS" leak >"$TMP/out" 2>"$TMP/err" ||
            fail "$d: exit $?: $(cat "$TMP/err")" || return 1
        grep -q "^vmlab malloc: leak: 3000 bytes in 3 blocks allocated from 0x[0-9a-f]* (0x[0-9a-f]* in .*bugs)$" "$TMP/err" ||
            fail "$d: no 3 x 1000 line: $(cat "$TMP/err")" || return 1
        grep -q "^vmlab malloc: leak: 77 bytes in 1 blocks allocated from " "$TMP/err" ||
            fail "$d: no 77-byte line: $(cat "$TMP/err")" || return 1
        # Largest first, and the summary counts at least these.
        [ "$(grep -c '^vmlab malloc: leak: ' "$TMP/err")" -ge 2 ] || return 1
        head -1 "$TMP/err" | grep -q "3000 bytes" || fail "$d: not sorted: $(cat "$TMP/err")" || return 1
        grep -q "^vmlab malloc: leak summary: [0-9]* bytes in [0-9]* blocks live at exit" "$TMP/err" ||
            fail "$d: no summary" || return 1
    done
    # The site is the caller of malloc: leak_here() in bugs.c.
    if command -v addr2line >/dev/null; then
        off=$(sed -n 's/^vmlab malloc: leak: 3000 bytes.* (\(0x[0-9a-f]*\) in .*/\1/p' "$TMP/err")
        addr2line -f -e "$BUGS" "$off" | head -1 | grep -q leak_here ||
            fail "site $off is $(addr2line -f -e "$BUGS" "$off" | head -1), not leak_here" || return 1
    fi
    # Without VMLAB_MALLOC_LEAKS: no list.
    LD_PRELOAD=$LIB "$BUGS" leak 2>"$TMP/err" || return 1
    [ ! -s "$TMP/err" ] || fail "a list without VMLAB_MALLOC_LEAKS: $(cat "$TMP/err")"
}

run_tests
