#!/bin/sh
# SPDX-License-Identifier: MIT
# test_progress_cli.sh - the progress line of long commands (src/base/progress.c)
# through the command line.  VMLAB_PROGRESS=fake makes stderr count as a
# terminal and the clock move a second per reading, so every report draws:
# no timing here.  Each command must draw "vmlab CMD: ..." lines, erase the
# last one ("\r\033[K" at the very end of stderr), leave stdout exactly as
# without progress, and print nothing when stderr is not a terminal.
. tests/lib.sh

ESC=$(printf '\033')
CR=$(printf '\r')

# progress_ok CMD-NAME UNIT-REGEX VMLAB-ARGS...: the checks above.
progress_ok() {
    name=$1 unit=$2; shift 2
    VMLAB_PROGRESS=fake "$VMLAB" "$@" >"$TMP/out.fake" 2>"$TMP/err.fake" ||
        fail "exit $? under a fake terminal: $* ($(tr '\r' '\n' <"$TMP/err.fake" | tail -n 2))" || return 1
    "$VMLAB" "$@" >"$TMP/out.plain" 2>"$TMP/err.plain" || fail "exit $?: $*" || return 1
    [ ! -s "$TMP/err.plain" ] || fail "$name: stderr off a terminal: $(cat "$TMP/err.plain")" || return 1
    # Rates (trace-info's "M refs/s", replay's Mops/s) differ from run to run,
    # and so does the padding before them.
    sed 's/[0-9]*\.[0-9]*//g; s/  */ /g' "$TMP/out.fake" >"$TMP/out.a"
    sed 's/[0-9]*\.[0-9]*//g; s/  */ /g' "$TMP/out.plain" >"$TMP/out.b"
    cmp -s "$TMP/out.a" "$TMP/out.b" || fail "$name: progress changed stdout" || return 1
    tr '\r' '\n' <"$TMP/err.fake" >"$TMP/lines"
    n=$(grep -Ec "^vmlab $name: .*$unit.*$ESC\\[K\$" "$TMP/lines")
    [ "$n" -ge 2 ] || fail "$name: $n progress lines matching '$unit' in: $(head -n 3 "$TMP/lines")" || return 1
    # Only progress lines and the final erase: no newline of its own.
    [ "$(wc -l <"$TMP/err.fake")" -eq 0 ] || fail "$name: a newline on stderr" || return 1
    [ "$(tail -c 4 "$TMP/err.fake" | od -An -c | tr -d ' ')" = '\r033[K' ] ||
        fail "$name: the line is not erased at the end" || return 1
}

t_gen_convert_trace_info() {
    progress_ok gen "% \\([0-9]+ references written\\)" gen zipf -n 200000 -o "$TMP/z.rw" || return 1
    progress_ok convert "references converted" convert "$TMP/z.rw" --to vmlab -o "$TMP/z.vml" || return 1
    progress_ok trace-info "references read" trace-info "$TMP/z.rw"
}

t_mrc_reading_then_curves() {
    progress_ok mrc "references read" mrc -p lru,opt,fifo --max-frames 16 \
        "$SHARED/data/traces/bzip.trace.gz" || return 1
    grep -q "^vmlab mrc: .*bzip.trace.gz: fifo: *67% (2 of 3 curves done)" "$TMP/lines" ||
        fail "no line for the third curve: $(tail -n 3 "$TMP/lines")"
}

# sim reports every 2^22 references: 9 M give two reports.
t_sim_moved_onto_the_shared_line() {
    "$VMLAB" gen zipf -n 9000000 --format pages -o "$TMP/big.pages" || return 1
    progress_ok sim "% \\([0-9]+ M references simulated\\)|M references read" \
        sim -p lru -n 64 "$TMP/big.pages" || return 1
    VMLAB_PROGRESS=fake "$VMLAB" sim --no-progress -p lru -n 64 "$TMP/big.pages" \
        >/dev/null 2>"$TMP/err" || return 1
    [ ! -s "$TMP/err" ] || fail "--no-progress drew: $(tr '\r' '\n' <"$TMP/err" | head -n 2)"
}

# sched reports every 2^18 events: 16 I/O-bound tasks for 20 simulated
# seconds make about 530 K events, so two reports at least, as a share of
# the --until time.
t_sched_simulated_time() {
    printf 'io weight=3 count=16 loop(run 300us, sleep 700us) forever\n' >"$TMP/io.txt"
    progress_ok sched "% \\([0-9]+ events simulated\\)" sched -c 4 -u 20s "$TMP/io.txt" || return 1
    VMLAB_PROGRESS=fake "$VMLAB" sched --no-progress -c 4 -u 20s "$TMP/io.txt" >/dev/null 2>"$TMP/err" ||
        return 1
    [ ! -s "$TMP/err" ] || fail "--no-progress drew: $(tr '\r' '\n' <"$TMP/err" | head -n 2)"
}

t_plot_and_malloc_replay() {
    # The picture is not the point here: a stand-in gnuplot that succeeds.
    printf '#!/bin/sh\nexit 0\n' >"$TMP/gp" && chmod +x "$TMP/gp"
    VMLAB_GNUPLOT="$TMP/gp" progress_ok plot "references read" plot addresses \
        "$SHARED/data/traces/bzip.trace.gz" -o "$TMP/a.svg" || return 1
    # The sort for the bands and the drawing are phases of the same line.
    for phase in "addresses being sorted into bands" "references being drawn"; do
        grep -Eq "^vmlab plot: .*bzip.trace.gz: [0-9]+( M)? $phase" "$TMP/lines" ||
            fail "no '$phase' line: $(tail -n 3 "$TMP/lines")" || return 1
    done
    progress_ok "malloc replay" "of 2 replays done" malloc replay --policy segfit,buddy \
        "$SHARED/data/malloclab/short1-bal.rep"
}

# record's program writes to the same stdout: the line is drawn only when
# that stdout is not a terminal (fake-stderr), never in front of its output.
t_record_only_when_stdout_is_elsewhere() {
    command -v valgrind >/dev/null || { skip "valgrind not installed (Debian: valgrind)"; return; }
    VMLAB_PROGRESS=fake-stderr "$VMLAB" record -o "$TMP/ls.gz" -- ls / >"$TMP/out" 2>"$TMP/err" ||
        fail "record exit $?" || return 1
    n=$(tr '\r' '\n' <"$TMP/err" | grep -Ec "^vmlab record: ls: [0-9]+ references recorded$ESC\\[K\$")
    [ "$n" -ge 2 ] || fail "$n record progress lines: $(tr '\r' '\n' <"$TMP/err" | head -n 3)" || return 1
    [ "$(tail -c 4 "$TMP/err" | od -An -c | tr -d ' ')" = '\r033[K' ] || fail "line not erased" || return 1
    VMLAB_PROGRESS=fake "$VMLAB" record -o "$TMP/ls.gz" -- ls / >"$TMP/out" 2>"$TMP/err" ||
        fail "record exit $?" || return 1
    [ ! -s "$TMP/err" ] || fail "drawn while stdout is a terminal: $(tr '\r' '\n' <"$TMP/err" | head -n 2)"
}

# The kernel-side simulators: a line a scenario line (kmem, mm; mm --real
# a second phase), their reports printed after the line is erased.
t_kmem_and_mm_scenarios() {
    printf 'cache foo 200\nalloc foo 1000\nkmalloc 64 100\nreport slabinfo\nfree foo 1000\nkfree 64 100\n' \
        >"$TMP/k.txt"
    progress_ok kmem "% \\([0-9]+ scenario lines run\\)" kmem "$TMP/k.txt" || return 1
    progress_ok mm "% \\([0-9]+ lines run on the model\\)" mm brk-vs-mmap || return 1
    # (its table goes to a file: timings differ from run to run)
    progress_ok tlb-measure "% \\([0-9]+ accesses timed\\)" tlb-measure -m 16 -A 1000 -t 1 -o "$TMP/tlb.txt" || return 1
    VMLAB_PROGRESS=fake "$VMLAB" mm --no-progress brk-vs-mmap >/dev/null 2>"$TMP/err" || return 1
    [ ! -s "$TMP/err" ] || fail "--no-progress drew: $(tr '\r' '\n' <"$TMP/err" | head -n 2)"
}

run_tests
