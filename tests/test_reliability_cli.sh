#!/bin/sh
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

run_tests
