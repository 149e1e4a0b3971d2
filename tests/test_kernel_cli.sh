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

run_tests
