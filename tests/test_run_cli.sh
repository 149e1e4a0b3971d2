#!/bin/sh
# SPDX-License-Identifier: MIT
# test_run_cli.sh - tests/run.sh, the runner of `make check`: the sums and
# the one summary line last; with RUN_JOBS (make check -jN) tests really run
# at once (two fake tests that each wait for the other to start would hang
# one after the other) and each test's output stays together.
. tests/lib.sh

# fake NAME LINES WAITFOR: a test printing LINES "ok" lines around waiting
# for $TMP/WAITFOR.started (none: no wait), then its summary.
fake() {
    cat >"$TMP/$1.sh" <<EOS
. tests/lib.sh
touch "$TMP/$1.started"
echo "ok $1-first"
[ -z "$3" ] || wait_until [ -e "$TMP/$3.started" ] || { echo "FAIL $1: $3 never started"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
i=1
while [ \$i -lt $2 ]; do echo "ok $1-\$i"; i=\$((i + 1)); done
echo "$2 passed, 0 failed, 0 skipped"
EOS
}

t_parallel_runs_at_once_and_keeps_output_together() {
    fake a 5 b && fake b 7 a && fake c 3 "" || return 1
    printf 'echo "no summary here"\n' >"$TMP/d.sh"
    printf 'echo "2 passed, 0 failed, 1 skipped"; exit 3\n' >"$TMP/e.sh"
    RUN_JOBS=-j2 sh tests/run.sh "$TMP/a.sh" "$TMP/b.sh" "$TMP/c.sh" "$TMP/d.sh" "$TMP/e.sh" >"$TMP/out" 2>&1
    [ $? -ne 0 ] || fail "run.sh passed with two failing tests" || return 1
    [ "$(tail -n 1 "$TMP/out")" = "17 passed, 2 failed, 1 skipped" ] ||
        fail "summary: $(tail -n 1 "$TMP/out")" || return 1
    # Every test's lines sit right under its own "== " line.
    awk '/^== / { n = $2; sub(/.*\//, "", n); sub(/\.sh$/, "", n); cur = n; next }
         /^ok / { split($2, w, "-"); if (w[1] != cur) { print "interleaved: " $0; bad = 1 } }
         END { exit bad }' "$TMP/out" || fail "outputs interleaved: $(cat "$TMP/out")" || return 1
    grep -q "^FAIL $TMP/d.sh: exited 0 without a summary$" "$TMP/out" &&
        grep -q "^FAIL $TMP/e.sh: exited 3$" "$TMP/out" || fail "failures not reported: $(cat "$TMP/out")"
}

t_serial_streams_in_order() {
    fake c 3 "" && fake f 2 "" || return 1
    sh tests/run.sh "$TMP/c.sh" "$TMP/f.sh" >"$TMP/out" 2>&1 || fail "exit $?" || return 1
    [ "$(grep -c "" "$TMP/out")" -eq 10 ] && [ "$(head -n 1 "$TMP/out")" = "== $TMP/c.sh" ] &&
        [ "$(tail -n 1 "$TMP/out")" = "5 passed, 0 failed, 0 skipped" ] || fail "$(cat "$TMP/out")"
}

run_tests
