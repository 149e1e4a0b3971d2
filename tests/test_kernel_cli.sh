#!/bin/sh
# SPDX-License-Identifier: MIT
# test_kernel_cli.sh - `vmlab kernel` without a kernel: usage errors, the
# list of guest tests, the one-line message for a missing package, and the
# patch runner's report of a hunk that does not apply (against a fake
# source tree).  The guest tests themselves need QEMU and a kernel build:
# `make kernel-check` runs them (docs/kernel-lab.md).
. tests/lib.sh

t_usage_errors() {
    expect_exit 2 "$VMLAB" kernel || return 1
    expect_err 'kernel: expected build or run' || return 1
    expect_exit 2 "$VMLAB" kernel frob || return 1
    expect_err "unknown subcommand 'frob'" || return 1
    expect_exit 2 "$VMLAB" kernel run || return 1
    expect_err 'run needs a test name' || return 1
    expect_exit 2 "$VMLAB" kernel run wrr --output xml || return 1
    expect_err 'expected text or json' || return 1
    expect_exit 2 "$VMLAB" kernel run ../x || return 1
    expect_err 'is not a test name' || return 1
    expect_exit 2 "$VMLAB" kernel run nosuch || return 1
    expect_err "no test named 'nosuch'" || return 1
    expect_exit 2 "$VMLAB" kernel build extra || return 1
    expect_err 'build takes no arguments'
}

t_help() {
    expect_exit 0 "$VMLAB" kernel --help || return 1
    grep -q 'vmlab kernel run NAME' "$TMP/out" || fail "no usage line in --help"
}

t_list_names_every_test() {
    expect_exit 0 "$VMLAB" kernel run --list || return 1
    names=$(awk '{print $1}' "$TMP/out" | tr '\n' ' ')
    [ "$names" = "pages pagewrite ptdump slab wrr " ] || fail "tests: '$names'" || return 1
    # Every line has a description.
    awk 'NF < 3 { exit 1 }' "$TMP/out" || fail "a test without a description: $(cat "$TMP/out")"
}

t_missing_source_package() {
    VMLAB_LINUX_TAR=$TMP/none.tar.xz VMLAB_BUILD=$TMP/b expect_exit 1 "$VMLAB" kernel build || return 1
    expect_err 'none.tar.xz not found \(install the Debian package linux-source-6.1: apt-get install linux-source-6.1\)'
}

t_run_without_build() {
    VMLAB_BUILD=$TMP/b expect_exit 1 "$VMLAB" kernel run slab || return 1
    expect_err '(bzImage missing \(run .vmlab kernel build. first\)|install the Debian package qemu-system-x86)'
}

# A source tree where every file the WRR patch changes has other contents:
# each failing hunk is named with its own line in the patch.
t_patch_reject_names_the_hunk() {
    patch=kernel/patches/0001-sched-wrr.patch
    mkdir -p "$TMP/src/linux-fake" || return 1
    echo 'all:' >"$TMP/src/linux-fake/Makefile"
    for f in $(sed -n 's|^+++ b/||p' "$patch"); do
        grep -q "^--- a/$f\$" "$patch" || continue # new files need no base
        mkdir -p "$TMP/src/linux-fake/$(dirname "$f")"
        echo "not linux" >"$TMP/src/linux-fake/$f"
    done
    tar -C "$TMP/src" -cJf "$TMP/fake.tar.xz" linux-fake || return 1
    VMLAB_LINUX_TAR=$TMP/fake.tar.xz VMLAB_BUILD=$TMP/b VMLAB_QUIET=1 \
        expect_exit 1 "$VMLAB" kernel build
    if grep -q 'not found (install' "$TMP/err"; then
        skip "$(cat "$TMP/err")"
        return
    fi
    line=$(sed -n 's|^vmlab: [^:]*0001-sched-wrr.patch:\([0-9]*\): hunk #1 for kernel/sched/core.c does not apply.*|\1|p' "$TMP/err")
    [ -n "$line" ] || fail "no report for core.c's first hunk: $(head -c 600 "$TMP/err")" || return 1
    sed -n "${line}p" "$patch" | grep -q '^@@ ' || fail "line $line of the patch is not a hunk header"
    # core.c's first hunk is the first @@ after core.c's header.
    want=$(awk '/^\+\+\+ b\/kernel\/sched\/core.c$/ { f = 1 } f && /^@@ / { print NR; exit }' "$patch")
    [ "$line" = "$want" ] || fail "reported line $line, the hunk is at $want"
}

# kernel/compare-mm.py without a guest: a ptdump.json written as the guest's
# test writes it (ptdump.ko's lines, by hand from x86-64's bits: page 0 not
# touched, page 1 written, page 2 read, so the zero page, read-only; an
# address nothing maps stops at the folded p4d), against `vmlab mm`'s model.
# Then the zero page made writable in the guest's lines: the script must
# see the difference.
ptdump_json() { # $1: the flags of page 2's PTE
    t="0x0000000001a2b067 pfn 0x1a2b P RW US A D"
    cat <<EOF
{"test": "ptdump", "walks": [
 {"va": "0x7f0000000000", "lines": ["pid 42 va 0x7f0000000000",
  "pgd idx 254 entry $t", "p4d idx 0 entry $t (folded)", "pud idx 0 entry $t",
  "pmd idx 0 entry $t", "pte idx 0 entry 0x0000000000000000 pfn 0x0", "stop pte none"]},
 {"va": "0x7f0000001000", "lines": ["pgd idx 254 entry $t", "p4d idx 0 entry $t (folded)",
  "pud idx 0 entry $t", "pmd idx 0 entry $t",
  "pte idx 1 entry 0x8000000003c4d867 pfn 0x3c4d P RW US A D NX", "phys 0x3c4d000", "end"]},
 {"va": "0x7f0000002000", "lines": ["pgd idx 254 entry $t", "p4d idx 0 entry $t (folded)",
  "pud idx 0 entry $t", "pmd idx 0 entry $t",
  "pte idx 2 entry 0x8000000002a00225 pfn 0x2a00 $1", "phys 0x2a00000", "end"]},
 {"va": "0x100000000000", "lines": ["pgd idx 32 entry 0x0000000000000000 pfn 0x0",
  "p4d idx 0 entry 0x0000000000000000 pfn 0x0 (folded)", "stop p4d none"]}]}
EOF
}

t_compare_mm_against_a_guest_json() {
    PY=$(command -v python3) || { skip "no python3"; return; }
    ptdump_json "P US A NX" >"$TMP/ptdump.json"
    "$PY" kernel/compare-mm.py "$TMP/ptdump.json" "$VMLAB" >"$TMP/out" 2>&1 ||
        fail "the walks should agree: $(cat "$TMP/out")" || return 1
    grep -q '^compare-mm: 4 of 4 walks agree$' "$TMP/out" || fail "$(cat "$TMP/out")" || return 1
    grep -q '0x100000000000: same; stop guest pgd, model pgd' "$TMP/out" || fail "$(cat "$TMP/out")" || return 1
    ptdump_json "P RW US A D NX" >"$TMP/ptdump.json"
    if "$PY" kernel/compare-mm.py "$TMP/ptdump.json" "$VMLAB" >"$TMP/out" 2>&1; then
        fail "a writable zero page went unnoticed: $(cat "$TMP/out")"
        return 1
    fi
    grep -q '^compare-mm: 3 of 4 walks agree$' "$TMP/out" || fail "$(cat "$TMP/out")" || return 1
    grep -q 'pte\[2\] P RW US A D NX *pte\[2\] P US A NX *<- differs' "$TMP/out" || fail "$(cat "$TMP/out")"
}

run_tests
