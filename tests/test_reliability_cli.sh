#!/bin/sh
# SPDX-License-Identifier: MIT
# test_reliability_cli.sh - bad input and hostile output paths across the
# commands (issue 10): crafted binary traces, `-o` onto devices, FIFOs,
# symlinks and read-only places, file modes, write errors (/dev/full),
# line caps, size limits, signals during a run, escaped control bytes.
# Each test here failed before its fix.
. tests/lib.sh

D=data/osc
REGRESS=tests/data/reliability

# A small binary trace to convert and simulate.
mk_vmt() {
    printf '00001000 R\n00002000 W\n00001004 R\n00003000 R\n' >"$TMP/small.rw"
    "$VMLAB" convert "$TMP/small.rw" -o "$TMP/small.vmt" || fail "convert failed"
}

t_out_char_device_stays_a_device() {
    # A private copy of /dev/null (root only): the old code renamed a
    # regular file over it.
    mknod "$TMP/null" c 1 3 2>/dev/null || skip "mknod not permitted"
    mk_vmt || return 1
    expect_exit 0 "$VMLAB" convert "$TMP/small.rw" -o "$TMP/null" || return 1
    [ -c "$TMP/null" ] || fail "the character device was replaced by a file" || return 1
    ls "$TMP"/null.tmp.* >/dev/null 2>&1 && fail "a temporary file was left behind"
    return 0
}

t_out_fifo_written_in_place() {
    command -v mkfifo >/dev/null || skip "no mkfifo"
    mkfifo "$TMP/fifo" || skip "mkfifo failed"
    cat "$TMP/fifo" >"$TMP/fromfifo" &
    reader=$!
    "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin -o "$TMP/fifo" 2>"$TMP/err"
    rc=$?
    if [ ! -p "$TMP/fifo" ]; then
        kill $reader
        fail "the FIFO was replaced by a file"
        return 1
    fi
    wait $reader
    [ $rc -eq 0 ] || fail "exit $rc: $(cat "$TMP/err")" || return 1
    cmp -s "$TMP/fromfifo" $D/correct.txt || head -1000 "$TMP/fromfifo" | cmp -s - $D/correct.txt \
        || fail "the reader of the FIFO did not get the output"
}

t_out_symlink_followed() {
    echo old >"$TMP/target.txt"
    chmod 0640 "$TMP/target.txt"
    ln -s target.txt "$TMP/link.txt"
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin --output none \
        -o "$TMP/link.txt" || return 1
    [ -L "$TMP/link.txt" ] || fail "the symlink was replaced" || return 1
    grep -q "Page Faults = 244" "$TMP/target.txt" || fail "the link's target was not written" || return 1
    [ "$(stat -c %a "$TMP/target.txt")" = 640 ] || fail "mode of the replaced file: $(stat -c %a "$TMP/target.txt")"
}

t_out_dangling_symlink_refused() {
    ln -s nowhere/x "$TMP/dangling"
    expect_exit 1 "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin -o "$TMP/dangling" || return 1
    expect_err "^vmlab: $TMP/dangling: cannot follow the symbolic link" || return 1
    [ -L "$TMP/dangling" ] || fail "the dangling link was replaced"
}

t_out_mode_follows_umask() {
    (umask 077 && "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin --output none -o "$TMP/a.txt") \
        || fail "vm failed" || return 1
    [ "$(stat -c %a "$TMP/a.txt")" = 600 ] || fail "umask 077 gave mode $(stat -c %a "$TMP/a.txt")" || return 1
    (umask 002 && "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin --output none -o "$TMP/b.txt") \
        || fail "vm failed" || return 1
    [ "$(stat -c %a "$TMP/b.txt")" = 664 ] || fail "umask 002 gave mode $(stat -c %a "$TMP/b.txt")"
}

t_out_empty_name() {
    expect_exit 1 "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin -o '' || return 1
    expect_err "output file name is empty" || return 1
}

t_out_directory_refused() {
    expect_exit 1 "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin -o "$TMP" || return 1
    expect_err "^vmlab: $TMP: is a directory"
}

# Item 1: crafted keyed traces whose end record disagrees with the count
# once left the keys of the last batch undefined, and sim indexed past its
# key map (SIGSEGV, exit 139) for every policy and page size.
t_sim_crafted_vmt_no_crash() {
    for f in $REGRESS/sim-key-*.vmt; do
        for ps in 256 4096 16384; do
            for p in lru opt fifo,clock; do
                expect_exit 1 "$VMLAB" sim -p $p -n 2,3 --page-size $ps "$f" || return 1
                expect_err "^vmlab: $f: the end record counts" || return 1
            done
        done
        expect_exit 1 "$VMLAB" mrc -p lru,opt "$f" || return 1
    done
}

# Item 5: silent wrong answers.
t_lackey_on_other_text_refused() {
    for cmd in "trace-info" "sim -p lru -n 4" "convert -o $TMP/x.vmt"; do
        expect_exit 1 "$VMLAB" $cmd -F lackey $D/addresses.txt || return 1
        expect_err "^vmlab: $D/addresses.txt: not a lackey trace: none of its 1000 lines" || return 1
    done
    [ ! -e "$TMP/x.vmt" ] || fail "convert left an output"
}

t_lackey_real_trace_still_reads() {
    LS="$SHARED/data/traces/ls.trace.gz"
    [ -f "$LS" ] || skip "no $LS"
    expect_exit 0 "$VMLAB" trace-info -F lackey "$LS" || return 1
    grep -q "references: *769552" "$TMP/out" || fail "ls.trace: $(grep references "$TMP/out")"
    # Banners and blank lines alone are an empty trace, not an error.
    printf '==1== hi\n\n' >"$TMP/banner"
    expect_exit 0 "$VMLAB" trace-info -F lackey "$TMP/banner"
}

t_sim_finer_pages_than_the_trace_refused() {
    printf '00001000 R\n00002000 W\n00001400 R\n' >"$TMP/a.rw"
    expect_exit 0 "$VMLAB" convert --page-size 4096 "$TMP/a.rw" -o "$TMP/a4.vmt" || return 1
    expect_exit 1 "$VMLAB" sim -p lru -n 2 --page-size 1024 "$TMP/a4.vmt" || return 1
    expect_err "keeps only page numbers of 4096-byte pages.*expected a page size of 4096 or more" || return 1
    expect_exit 1 "$VMLAB" mrc -p lru --page-size 1024 "$TMP/a4.vmt" || return 1
    expect_exit 1 "$VMLAB" convert --to pages --page-size 2048 "$TMP/a4.vmt" -o - || return 1
    # Same or coarser pages are exact.
    expect_exit 0 "$VMLAB" sim -p lru -n 2 --page-size 4096 "$TMP/a4.vmt" || return 1
    grep -q "^lru  *2  *2 " "$TMP/out" || fail "4096: $(cat "$TMP/out")" || return 1
    expect_exit 0 "$VMLAB" sim -p lru -n 1 --page-size 16384 "$TMP/a4.vmt" || return 1
    grep -q "^lru  *1  *1 " "$TMP/out" || fail "16384: $(cat "$TMP/out")"
}

# Item 6: output lost to a full device must fail.
t_write_errors_to_dev_full() {
    [ -w /dev/full ] || skip "no /dev/full"
    M="$SHARED/data/malloclab/short1-bal.rep"
    for cmd in "trace-info $D/addresses.txt" "layout" "maps $$" "sim --list" \
               "vm -f $D/addresses.txt -b $D/BACKING_STORE.bin" "--help"; do
        "$VMLAB" $cmd >/dev/full 2>"$TMP/err"
        rc=$?
        [ $rc -eq 1 ] || fail "$cmd >/dev/full: exit $rc" || return 1
        grep -q "cannot write output\|write error" "$TMP/err" || fail "$cmd: $(cat "$TMP/err")" || return 1
    done
    if [ -f "$M" ]; then
        expect_exit 1 sh -c "'$VMLAB' malloc replay '$M' >/dev/full" || return 1
    fi
    # -o onto a full device: the reason, not just "write failed".
    expect_exit 1 "$VMLAB" convert $D/addresses.txt -o /dev/full || return 1
    expect_err "No space left on device"
}

# Item 3: bounded memory.  Each command runs under a 1 GB address-space
# limit and a time limit, so that the old behaviour (reading /dev/zero
# until memory ran out) fails here instead of taking the machine down.
# (An ASan build reserves terabytes of shadow address space, so there the
# limit is left out: the time limit and ASan's own checks remain.)
if grep -aq __asan_init "$VMLAB" 2>/dev/null; then ASAN=1; else ASAN=0; fi
limit_as() {
    [ $ASAN = 1 ] || ulimit -v "$1"
}
bounded() {
    (limit_as 1000000 && exec timeout 60 "$@")
}

t_line_cap_and_nul_byte() {
    for cmd in "vm -b $D/BACKING_STORE.bin -f" "malloc replay" "plot curves -o $TMP/p.png"; do
        expect_exit 1 bounded "$VMLAB" $cmd /dev/zero || return 1
        expect_err "^vmlab: /dev/zero:1: a NUL byte at column 1 \(expected text" || return 1
    done
    # The first line of random bytes is reached and reported.
    expect_exit 1 bounded "$VMLAB" vm -b $D/BACKING_STORE.bin -f /dev/urandom || return 1
    expect_err "^vmlab: /dev/urandom:[0-9]+: " || return 1
    # A line with no end.
    expect_exit 1 bounded sh -c "tr '\\0' 7 </dev/zero | '$VMLAB' vm -b $D/BACKING_STORE.bin -f -" || return 1
    expect_err "line longer than 65536 bytes" || return 1
    # NUL in the middle of an otherwise good file: the line and column.
    printf '16916\n62\0\n' >"$TMP/nul.txt"
    expect_exit 1 "$VMLAB" vm -b $D/BACKING_STORE.bin -f "$TMP/nul.txt" || return 1
    expect_err "^vmlab: $TMP/nul.txt:2: a NUL byte at column 3"
}

t_backing_store_reads_only_what_it_needs() {
    expect_exit 0 bounded "$VMLAB" vm -f $D/addresses.txt -b /dev/zero --output none || return 1
    grep -q "Page Faults = 244" "$TMP/out" || fail "$(cat "$TMP/out")"
}

t_rep_request_beyond_memory() {
    printf '20000\n1\n1\n1\na 0 100000000000\n' >"$TMP/big.rep"
    expect_exit 1 bounded "$VMLAB" malloc replay "$TMP/big.rep" || return 1
    expect_err "^vmlab: $TMP/big.rep:5: 100000000000 bytes live after this line, more than"
}

t_gen_nodes_times_size() {
    expect_exit 1 bounded "$VMLAB" gen linked-list:nodes=67108864,node=1048576 --length 10 -o "$TMP/g.vmt" || return 1
    expect_err "67108864 nodes x 1048576 bytes = 70368744177664 bytes, more than half" || return 1
    [ ! -e "$TMP/g.vmt" ] || fail "an output was left"
}

t_gen_loop_longer_than_the_pages() {
    # found by fuzz/fuzz_gen.c: pages beyond --pages
    expect_exit 2 "$VMLAB" gen loop:len=77 --pages 18 --length 5 -o - || return 1
    expect_err "loop: len=77 is more than the 18 pages" || return 1
    expect_exit 0 "$VMLAB" gen loop:len=18 --pages 18 --length 40 --format pages -o - || return 1
    [ "$(sort -un "$TMP/out" | wc -l)" -eq 18 ] || fail "$(sort -un "$TMP/out" | tr '\n' ' ')"
}

t_mrc_sweep_bounded_jobs() {
    # 6000 FIFO simulations: all at once they took about 190 MB here.
    (limit_as 120000 && exec "$VMLAB" mrc -p fifo -n 1-6000 --page-size 256 --output csv $D/addresses.txt) \
        >"$TMP/mrc.csv" 2>"$TMP/err" || fail "mrc failed: $(cat "$TMP/err")" || return 1
    [ "$(wc -l <"$TMP/mrc.csv")" -eq 6001 ] || fail "$(wc -l <"$TMP/mrc.csv") lines" || return 1
    # The same counts as one simulation each at a few sizes.
    for n in 1 17 64 65 129 200 5999; do
        "$VMLAB" sim -p fifo -n $n --page-size 256 --output csv $D/addresses.txt >"$TMP/s.csv" || return 1
        want=$(awk -F, 'NR == 2 { print $7 }' "$TMP/s.csv")
        got=$(awk -F, -v n=$n '$2 == n { print $3 }' "$TMP/mrc.csv")
        [ "$want" = "$got" ] || fail "fifo at $n frames: sim $want, mrc $got" || return 1
    done
}

# Item 7: the smaller ones.
t_signal_removes_the_temporary_file() {
    for sig in INT TERM HUP PIPE; do
        # (a background job starts with SIGINT ignored, and a test runner
        # may ignore SIGPIPE: give every signal its default action back)
        env --default-signal "$VMLAB" gen zipf --length 400000000 -o "$TMP/big.rw" 2>"$TMP/err" &
        pid=$!
        wait_until sh -c "ls '$TMP'/big.rw.tmp.* >/dev/null 2>&1" || fail "no temporary file appeared" || return 1
        kill -$sig $pid
        wait $pid
        rc=$?
        [ $rc -gt 128 ] || fail "SIG$sig: exit $rc" || return 1
        if ls "$TMP"/big.rw.tmp.* >/dev/null 2>&1; then
            fail "SIG$sig left $(ls "$TMP"/big.rw.tmp.*)"
            rm -f "$TMP"/big.rw.tmp.*
            return 1
        fi
        [ ! -e "$TMP/big.rw" ] || fail "SIG$sig: a partial output at the final name" || return 1
    done
}

t_malloc_record_bad_output_fails_first() {
    [ -f "${BUILD:-build}/libvmlab-record.so" ] || skip "no recording library"
    expect_exit 1 "$VMLAB" malloc record -o /nonexistent/x.rep -- sh -c "touch '$TMP/ran'" || return 1
    expect_err "^vmlab: /nonexistent/x.rep: cannot create output: No such file or directory" || return 1
    [ ! -e "$TMP/ran" ] || fail "the command ran before the output was checked"
}

t_control_bytes_escaped() {
    printf '16916\n12\033[31mred\n' >"$TMP/esc.txt"
    expect_exit 1 "$VMLAB" vm -f "$TMP/esc.txt" -b $D/BACKING_STORE.bin || return 1
    expect_err "^vmlab: $TMP/esc.txt:2: '12\\\\x1b\\[31mred' is not a number" || return 1
    printf '20000\n1\n1\n1\nq\033\001 5\n' >"$TMP/esc.rep"
    expect_exit 1 "$VMLAB" malloc replay "$TMP/esc.rep" || return 1
    expect_err "unknown operation 'q\\\\x1b\\\\x01'" || return 1
    LC_ALL=C grep -q "$(printf '\033')" "$TMP/err" && fail "a raw ESC reached stderr"
    return 0
}

# Every command that reads traces takes -P (--multi-pid) and its hint names it.
t_format_hint_names_only_real_options() {
    printf '1 2 3 zz\n' >"$TMP/pp.txt"
    for cmd in "mrc -p lru" "plot addresses -o $TMP/x.png" "sim -p lru -n 2" "convert -o -"; do
        expect_exit 1 "$VMLAB" $cmd "$TMP/pp.txt" || return 1
        expect_err "cannot tell the trace format" || return 1
        expect_err "-P if lines start with a pid" || return 1
        expect_exit 0 "$VMLAB" $cmd -P --help || fail "$cmd rejects the -P it suggests" || return 1
    done
}

t_full_disk_says_why() {
    [ -w /dev/full ] || skip "no /dev/full"
    expect_exit 1 "$VMLAB" gen zipf --length 100000 -o /dev/full || return 1
    expect_err "^vmlab: /dev/full: cannot write output: No space left on device" || return 1
    expect_exit 1 sh -c "'$VMLAB' gen zipf --length 100000 >/dev/full" || return 1
    expect_err "No space left on device"
}

run_tests
