#!/bin/sh
# SPDX-License-Identifier: MIT
# test_vm_cli.sh - `vmlab vm` from the command line: the textbook's output
# byte for byte, every output mode, and one test per kind of bad input
# (message, exit status, no partial output file).
. tests/lib.sh
D=data/osc

t_help_and_version() {
    expect_exit 0 "$VMLAB" --help || return 1
    grep -q '^  vm ' "$TMP/out" || fail "vm missing from vmlab --help" || return 1
    expect_exit 0 "$VMLAB" vm --help || return 1
    grep -q -- '--tlb-fill' "$TMP/out" || fail "vm --help lacks --tlb-fill" || return 1
    expect_exit 0 "$VMLAB" --version || return 1
    grep -Eq '^vmlab [0-9]+\.[0-9]+' "$TMP/out" || fail "bad --version: $(cat "$TMP/out")"
}

t_osc_output_is_correct_txt_then_statistics() {
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin -n 256 -p fifo || return 1
    head -n 1000 "$TMP/out" | cmp -s - $D/correct.txt || fail "differs from correct.txt" || return 1
    tail -n +1001 "$TMP/out" >"$TMP/stats"
    printf '%s\n' "Number of Translated Addresses = 1000" "Page Faults = 244" \
        "Page Fault Rate = 0.244" "TLB Hits = 54" "TLB Hit Rate = 0.054" | cmp -s - "$TMP/stats" ||
        fail "statistics block: $(cat "$TMP/stats")"
}

t_backing_store_defaults_to_beside_addresses() {
    expect_exit 0 "$VMLAB" vm $D/addresses.txt --output none || return 1
    grep -qx 'Page Faults = 244' "$TMP/out" || fail "$(cat "$TMP/out")"
}

t_values_output() {
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt --output values || return 1
    [ "$(wc -l <"$TMP/out")" -eq 1005 ] || fail "expected 1000 values + 5 lines" || return 1
    sed 's/.*Value: //' $D/correct.txt | cmp -s - "$(head -n 1000 "$TMP/out" >"$TMP/v"; echo "$TMP/v")" ||
        fail "values differ from correct.txt's"
}

t_fifo_lru_128_frames() {
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt -n 128 -p fifo --output none || return 1
    grep -qx 'Page Faults = 538' "$TMP/out" || fail "fifo: $(cat "$TMP/out")" || return 1
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt -n 128 -p lru --output none || return 1
    grep -qx 'Page Faults = 539' "$TMP/out" || fail "lru: $(cat "$TMP/out")" || return 1
    grep -qx 'TLB Hits = 54' "$TMP/out" || fail "lru tlb: $(cat "$TMP/out")" || return 1
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt -n 128 -p lru --lru-ignore-tlb-hits --output none || return 1
    grep -qx 'Page Faults = 537' "$TMP/out" || fail "bug: $(cat "$TMP/out")"
}

t_tlb_fill_fault_55() {
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt --tlb-fill fault --output none || return 1
    grep -qx 'TLB Hits = 55' "$TMP/out" || fail "$(cat "$TMP/out")"
}

t_explain_tells_each_story() {
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt -n 128 -p lru --explain || return 1
    [ "$(grep -c '^#' "$TMP/out")" -eq 1000 ] || fail "expected 1000 story lines" || return 1
    head -n 1 "$TMP/out" | grep -q '^#1 16916: page 66 offset 20 | TLB miss | page fault: free frame 0, read backing store \[16896, 17152) | TLB fill | physical 20 value 0$' ||
        fail "first line: $(head -n 1 "$TMP/out")" || return 1
    [ "$(grep -c 'TLB hit' "$TMP/out")" -eq 54 ] || fail "TLB hit lines" || return 1
    [ "$(grep -c 'page fault' "$TMP/out")" -eq 539 ] || fail "fault lines" || return 1
    grep -q 'evict page [0-9]* from frame [0-9]* (LRU victim' "$TMP/out" || fail "no eviction story"
}

t_page_size_4096() {
    # 16 pages of 4 KiB: the default frame count follows the page count.
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt --page-size 4096 --output none || return 1
    grep -qx 'Page Faults = 16' "$TMP/out" || fail "$(cat "$TMP/out")" || return 1
    expect_exit 2 "$VMLAB" vm -f $D/addresses.txt --page-size 4096 -n 17 || return 1
    expect_err "17 frames is out of range \(expected 1..16"
}

t_crlf_blank_lines_and_stdin() {
    awk '{ printf "%s\r\n", $0; if (NR % 100 == 0) printf "\r\n" }' $D/addresses.txt >"$TMP/crlf.txt"
    expect_exit 0 "$VMLAB" vm -f - -b $D/BACKING_STORE.bin <"$TMP/crlf.txt" || return 1
    head -n 1000 "$TMP/out" | cmp -s - $D/correct.txt || fail "CRLF input differs"
}

t_missing_file() {
    expect_exit 1 "$VMLAB" vm -f "$TMP/nope.txt" -b $D/BACKING_STORE.bin || return 1
    expect_err "^vmlab: $TMP/nope.txt: cannot open: No such file or directory$"
}

t_unreadable_file() {
    # Root reads any file regardless of mode, so a directory stands in for an unreadable file.
    expect_exit 1 "$VMLAB" vm -f "$TMP" -b $D/BACKING_STORE.bin || return 1
    expect_err "^vmlab: $TMP: is a directory"
}

t_short_backing_store() {
    head -c 1000 $D/BACKING_STORE.bin >"$TMP/short.bin"
    expect_exit 1 "$VMLAB" vm -f $D/addresses.txt -b "$TMP/short.bin" || return 1
    expect_err "^vmlab: $TMP/short.bin: backing store is 1000 bytes, shorter than the address space \(expected at least 65536 bytes\)$"
}

t_non_numeric_line() {
    printf '1\n2\nabc\n' >"$TMP/a.txt"
    expect_exit 1 "$VMLAB" vm -f "$TMP/a.txt" -b $D/BACKING_STORE.bin || return 1
    expect_err "^vmlab: $TMP/a.txt:3: 'abc' is not a number \(expected a decimal logical address 0..65535\)$"
}

t_address_out_of_range() {
    printf '1\n65536\n' >"$TMP/a.txt"
    expect_exit 1 "$VMLAB" vm -f "$TMP/a.txt" -b $D/BACKING_STORE.bin || return 1
    expect_err "^vmlab: $TMP/a.txt:2: address 65536 is out of range"
}

t_zero_frames() {
    expect_exit 2 "$VMLAB" vm -f $D/addresses.txt -n 0 || return 1
    expect_err "^vmlab: vm: -n 0 is out of range"
}

t_more_frames_than_pages() {
    expect_exit 2 "$VMLAB" vm -f $D/addresses.txt -n 257 || return 1
    expect_err "257 frames is out of range \(expected 1..256, the number of pages\)"
}

t_unknown_policy() {
    expect_exit 2 "$VMLAB" vm -f $D/addresses.txt -p optimal || return 1
    expect_err "unknown policy 'optimal' \(expected fifo or lru\)"
}

t_bad_page_size() {
    expect_exit 2 "$VMLAB" vm -f $D/addresses.txt --page-size 300 || return 1
    expect_err "page size 300 is not a power of two"
}

t_unknown_option_and_command() {
    expect_exit 2 "$VMLAB" vm --frobnicate || return 1
    expect_exit 2 "$VMLAB" frobnicate || return 1
    expect_err "unknown command 'frobnicate'"
}

t_no_partial_output_file() {
    printf '1\n2\nabc\n' >"$TMP/a.txt"
    expect_exit 1 "$VMLAB" vm -f "$TMP/a.txt" -b $D/BACKING_STORE.bin -o "$TMP/out.txt" || return 1
    [ ! -e "$TMP/out.txt" ] || fail "output file left behind" || return 1
    echo keep >"$TMP/out.txt"
    head -c 10 $D/BACKING_STORE.bin >"$TMP/short.bin"
    expect_exit 1 "$VMLAB" vm -f $D/addresses.txt -b "$TMP/short.bin" -o "$TMP/out.txt" || return 1
    [ "$(cat "$TMP/out.txt")" = keep ] || fail "existing output clobbered" || return 1
    [ -z "$(ls "$TMP" | grep '\.tmp\.')" ] || fail "temporary file left: $(ls "$TMP")" || return 1
    expect_exit 0 "$VMLAB" vm -f $D/addresses.txt -o "$TMP/out.txt" || return 1
    head -n 1000 "$TMP/out.txt" | cmp -s - $D/correct.txt || fail "-o output differs"
}

run_tests
