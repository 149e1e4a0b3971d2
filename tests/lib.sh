# SPDX-License-Identifier: MIT
# lib.sh - the shell side of vmlab's test harness, for tests of the command line.
#
# A shell test file sources this, defines functions named t_*, and ends with
# `run_tests`.  Each t_* function is one test: it returns 0 to pass, non-zero
# to fail (say why with `fail MESSAGE`), 77 to skip (say why with `skip REASON`).
# Output mirrors tests/harness.c: "ok NAME" / "FAIL NAME" lines, then
# "N passed, N failed, N skipped".
#
# Environment: VMLAB (the binary), SHARED (../shared), TMP (a fresh directory).

set -u
: "${VMLAB:=build/vmlab}"
: "${SHARED:=../shared}"
TMP=$(mktemp -d /tmp/vmlab-sh-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() { printf '  %s\n' "$*"; return 1; }
skip() { printf '  skipped: %s\n' "$*"; return 77; }

# wait_until CMD...: run CMD every 0.1 s until it succeeds (0) or 60 s have
# passed (1).  For a child process to reach a state (exec'd, ready): under
# CI load a python3 start can take seconds, and a fixed short wait made a
# test inspect a process before it had mapped what the test looks for.
wait_until() {
    i=0
    while [ $i -lt 600 ]; do
        "$@" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# expect_exit CODE CMD...: run CMD with stdout in $TMP/out, stderr in $TMP/err,
# and fail unless it exits with CODE.
expect_exit() {
    want=$1; shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, expected $want: $* (stderr: $(head -c 300 "$TMP/err"))"
}

# expect_err PATTERN: stderr of the last expect_exit matches the grep -E PATTERN
# and is exactly one line.
expect_err() {
    grep -Eq -- "$1" "$TMP/err" || fail "stderr '$(cat "$TMP/err")' does not match '$1'" || return 1
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$TMP/err")"
}

run_tests() {
    passed=0 failed=0 skipped=0
    for t in $(grep -Eo '^t_[A-Za-z0-9_]+' "$0"); do
        ( "$t" )
        rc=$?
        name=${t#t_}
        if [ $rc -eq 0 ]; then echo "ok $name"; passed=$((passed + 1))
        elif [ $rc -eq 77 ]; then echo "skip $name"; skipped=$((skipped + 1))
        else echo "FAIL $name"; failed=$((failed + 1)); fi
    done
    echo "$passed passed, $failed failed, $skipped skipped"
    [ $failed -eq 0 ]
}
