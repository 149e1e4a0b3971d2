#!/bin/sh
# SPDX-License-Identifier: MIT
# test_trace_cli.sh - `vmlab convert` and `vmlab trace-info` on the command line:
# round trips through the binary format, stdin, errors with FILE:LINE and
# exit statuses, and no half-written output after an error.
. tests/lib.sh

BZ="$SHARED/data/traces/bzip.trace.gz"
LS="$SHARED/data/traces/ls.trace.gz"

t_convert_bzip_round_trip() {
    expect_exit 0 "$VMLAB" convert "$BZ" -o "$TMP/bz.vmt" || return 1
    expect_exit 0 "$VMLAB" convert "$TMP/bz.vmt" --to rw -o "$TMP/bz.rw" || return 1
    gzip -dc "$BZ" | cmp -s - "$TMP/bz.rw" || fail "rw -> vmlab -> rw changed the trace"
    # The binary is much smaller than the text.
    [ "$(wc -c <"$TMP/bz.vmt")" -lt "$(gzip -dc "$BZ" | wc -c)" ] || fail "binary not smaller"
}

t_convert_from_stdin_to_stdout() {
    gzip -dc "$BZ" | head -1000 >"$TMP/head.rw"
    "$VMLAB" convert - -o - <"$TMP/head.rw" >"$TMP/h.vmt" || fail "convert from stdin failed"
    "$VMLAB" convert --to rw -o - - <"$TMP/h.vmt" >"$TMP/h.rw" || fail "convert back failed"
    cmp -s "$TMP/head.rw" "$TMP/h.rw" || fail "stdin round trip changed the trace"
}

t_convert_pages_and_page_size() {
    printf '7\n0\n1\n2\n0\n3\n' >"$TMP/p.txt"
    expect_exit 0 "$VMLAB" convert -F pages "$TMP/p.txt" -o "$TMP/p.vmt" || return 1
    expect_exit 0 "$VMLAB" convert "$TMP/p.vmt" --to pages -o "$TMP/p2.txt" || return 1
    cmp -s "$TMP/p.txt" "$TMP/p2.txt" || fail "pages round trip: $(cat "$TMP/p2.txt")"
    # rw addresses to 8 KiB page numbers.
    printf '00002000 R\n00005fff W\n' >"$TMP/a.rw"
    expect_exit 0 "$VMLAB" convert "$TMP/a.rw" --to pages --page-size 8192 -o "$TMP/a.pg" || return 1
    [ "$(cat "$TMP/a.pg" | tr '\n' ' ')" = "1 2 " ] || fail "pages: $(cat "$TMP/a.pg")"
    # Binary with --page-size keeps pages, drops offsets.
    expect_exit 0 "$VMLAB" convert "$TMP/a.rw" --page-size 4096 -o "$TMP/a.vmt" || return 1
    expect_exit 0 "$VMLAB" convert "$TMP/a.vmt" --to rw -o "$TMP/a2.rw" || return 1
    [ "$(cat "$TMP/a2.rw" | tr '\n' ' ')" = "00002000 R 00005000 W " ] || fail "got $(cat "$TMP/a2.rw")"
}

t_convert_multi_pid() {
    printf '1 00001000 R\n2 00002000 W\n' >"$TMP/m.rw"
    expect_exit 0 "$VMLAB" convert -P "$TMP/m.rw" -o "$TMP/m.vmt" || return 1
    expect_exit 0 "$VMLAB" convert -P "$TMP/m.vmt" --to rw -o "$TMP/m2.rw" || return 1
    cmp -s "$TMP/m.rw" "$TMP/m2.rw" || fail "pids lost: $(cat "$TMP/m2.rw")"
}

t_malformed_line_error_and_no_output() {
    printf '0041f7a0 R\n0041f7a4 R\nzzz Q\n' >"$TMP/bad.rw"
    expect_exit 1 "$VMLAB" convert -F rw "$TMP/bad.rw" -o "$TMP/out.vmt" || return 1
    expect_err "^vmlab: $TMP/bad.rw:3: .*zzz Q.*\(expected an rw line" || return 1
    [ ! -e "$TMP/out.vmt" ] || fail "half-written output left behind"
    ls "$TMP" | grep -q 'out.vmt' && fail "temporary file left: $(ls "$TMP")"
    return 0
}

t_skip_bad_counts() {
    printf '0041f7a0 R\nnonsense\n0041f7a4 W\n' >"$TMP/bad.rw"
    expect_exit 0 "$VMLAB" convert -F rw --skip-bad --to rw "$TMP/bad.rw" -o "$TMP/ok.rw" || return 1
    expect_err "skipped 1 malformed lines" || return 1
    [ "$(wc -l <"$TMP/ok.rw")" -eq 2 ] || fail "expected 2 references"
}

t_truncated_gzip() {
    head -c 50000 "$BZ" >"$TMP/cut.gz"
    expect_exit 1 "$VMLAB" convert "$TMP/cut.gz" -o "$TMP/cut.vmt" || return 1
    expect_err "^vmlab: $TMP/cut.gz: truncated gzip input" || return 1
    [ ! -e "$TMP/cut.vmt" ] || fail "output left behind"
}

t_zstd_input() {
    command -v zstd >/dev/null || { skip "zstd tool not installed"; return 77; }
    gzip -dc "$BZ" | head -5000 >"$TMP/z.rw"
    zstd -q "$TMP/z.rw" -o "$TMP/z.rw.zst" || fail "zstd failed"
    "$VMLAB" convert "$TMP/z.rw.zst" --to rw -o "$TMP/z2.rw" 2>"$TMP/err"
    if grep -q 'built without zstd' "$TMP/err"; then
        skip "vmlab built without libzstd"; return 77
    fi
    cmp -s "$TMP/z.rw" "$TMP/z2.rw" || fail "zstd input changed: $(cat "$TMP/err")"
}

t_undetectable_names_formats() {
    printf 'hello world\n' >"$TMP/x.txt"
    expect_exit 1 "$VMLAB" convert "$TMP/x.txt" -o "$TMP/x.vmt" || return 1
    expect_err "cannot tell the trace format.*osc, rw, ls, lackey, din, pages, vmlab" || return 1
}

t_usage_errors() {
    expect_exit 2 "$VMLAB" convert "$BZ" || return 1
    expect_err "no output given" || return 1
    expect_exit 2 "$VMLAB" convert --to ls -o x "$BZ" || return 1
    expect_err "cannot write format 'ls'" || return 1
    expect_exit 2 "$VMLAB" convert --page-size 3000 -o x "$BZ" || return 1
    expect_err "not a power of two" || return 1
    expect_exit 2 "$VMLAB" convert -F nope -o x "$BZ" || return 1
    expect_err "unknown format 'nope'" || return 1
    expect_exit 1 "$VMLAB" convert -o x "$TMP/missing" || return 1
    expect_err "missing: cannot open" || return 1
    expect_exit 0 "$VMLAB" convert --help || return 1
}

t_trace_info_counts() {
    expect_exit 0 "$VMLAB" trace-info "$LS" || return 1
    grep -q '^format: *lackey' "$TMP/out" || fail "format: $(cat "$TMP/out")"
    grep -q '^references: *769552$' "$TMP/out" || fail "references: $(cat "$TMP/out")"
    grep -q '^writes: *74861$' "$TMP/out" || fail "writes: $(cat "$TMP/out")"
    expect_exit 0 "$VMLAB" trace-info "$BZ" || return 1
    grep -q '^references: *1000000$' "$TMP/out" || fail "bzip: $(cat "$TMP/out")"
    grep -q '^writes: *122419$' "$TMP/out" || fail "bzip writes: $(cat "$TMP/out")"
}

run_tests
