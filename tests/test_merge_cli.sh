#!/bin/sh
# SPDX-License-Identifier: MIT
# test_merge_cli.sh - `vmlab merge` and the sweep recipes of docs/sweeps.md: a
# sweep split into independent jobs (GNU parallel, the Slurm array script run
# task by task) and merged gives the same table as one run over the grid.
. tests/lib.sh

TRACE=$SHARED/data/traces/bzip.trace.gz

need_trace() { [ -r "$TRACE" ] || { skip "$TRACE is not there"; return 1; }; }

# The (policy, frames, faults, writes) rows of a sim JSON result, sorted.
rows() {
    python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
d = d if isinstance(d, list) else [d]
for r in sorted((x["policy"], x["frames"], x["page_faults"], x["disk_writes"]) for x in d): print(*r)' "$1"
}

t_json_objects_and_arrays_join_in_order() {
    printf '{"a": 1}\n' >"$TMP/1.json"
    printf '[{"b": "x,y"}, [2, 3], null]' >"$TMP/2.json"
    printf '[]' >"$TMP/3.json"
    expect_exit 0 "$VMLAB" merge "$TMP/1.json" "$TMP/2.json" "$TMP/3.json" || return 1
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == [{"a": 1}, {"b": "x,y"}, [2, 3], None]' \
        "$TMP/out" || fail "merged: $(cat "$TMP/out")"
}

t_csv_header_once_rows_in_order() {
    printf 'p,n\nlru,1\n' >"$TMP/1.csv"
    printf 'p,n\r\nfifo,2\nopt,3' >"$TMP/2.csv"
    expect_exit 0 "$VMLAB" merge -o "$TMP/m.csv" "$TMP/1.csv" "$TMP/2.csv" || return 1
    [ "$(cat "$TMP/m.csv")" = "$(printf 'p,n\nlru,1\nfifo,2\nopt,3')" ] || fail "merged: $(cat "$TMP/m.csv")"
}

t_bad_inputs_one_line_no_output() {
    printf '[{"a": 1}]' >"$TMP/ok.json"
    printf '[{"a": 1},\n{"b": ' >"$TMP/cut.json"
    expect_exit 1 "$VMLAB" merge -o "$TMP/m.json" "$TMP/ok.json" "$TMP/cut.json" || return 1
    expect_err "cut.json:2: the JSON ends early" || return 1
    [ ! -e "$TMP/m.json" ] || fail "a half-merged file was left" || return 1
    printf 'p,n\nlru,1\n' >"$TMP/1.csv"
    printf 'p,m\nfifo,2\n' >"$TMP/2.csv"
    expect_exit 1 "$VMLAB" merge "$TMP/1.csv" "$TMP/2.csv" || return 1
    expect_err "2.csv:1: the header differs from .*1.csv's \(expected 'p,n'\)" || return 1
    printf '{"a": 1} {"b": 2}' >"$TMP/two.json"
    expect_exit 1 "$VMLAB" merge "$TMP/two.json" || return 1
    expect_err "expected the end of the text after one value" || return 1
    expect_exit 2 "$VMLAB" merge || return 1
    expect_err "no input files" || return 1
    expect_exit 2 "$VMLAB" merge --bogus x || return 1
    expect_err "unknown option '--bogus'"
}

t_parallel_sweep_equals_one_run() {
    need_trace || return 77
    command -v parallel >/dev/null || { skip "GNU parallel is not installed"; return 77; }
    command -v python3 >/dev/null || { skip "no python3"; return 77; }
    (cd "$TMP" && parallel --will-cite "$VMLAB" sim -p {1} -n {2} --output json -o 'r-{1}-{2}.json' "$TRACE" \
        ::: lru fifo clock opt ::: 16 64 256) || fail "the parallel sweep failed" || return 1
    [ "$(ls "$TMP"/r-*.json | wc -l)" -eq 12 ] || fail "not 12 results" || return 1
    "$VMLAB" merge "$TMP"/r-*.json >"$TMP/merged.json" || fail "merge failed" || return 1
    "$VMLAB" sim -p lru,fifo,clock,opt -n 16,64,256 --output json "$TRACE" >"$TMP/one.json" ||
        fail "the one-run sweep failed" || return 1
    rows "$TMP/merged.json" >"$TMP/a" && rows "$TMP/one.json" >"$TMP/b" || fail "rows" || return 1
    [ "$(wc -l <"$TMP/a")" -eq 12 ] && cmp -s "$TMP/a" "$TMP/b" || fail "merged sweep differs: $(diff "$TMP/a" "$TMP/b" | head)"
}

t_slurm_array_script_task_by_task() {
    need_trace || return 77
    command -v python3 >/dev/null || { skip "no python3"; return 77; }
    for p in lru fifo; do for n in 32 128; do
        echo "sim -p $p -n $n --output json $TRACE"
    done; done >"$TMP/jobs.txt"
    for i in 0 1 2 3; do
        SLURM_ARRAY_TASK_ID=$i VMLAB=$VMLAB sh scripts/sweep-job.sh "$TMP/jobs.txt" "$TMP/res" ||
            fail "task $i failed" || return 1
    done
    VMLAB=$VMLAB sh scripts/sweep-job.sh "$TMP/jobs.txt" "$TMP/res" 4 2>"$TMP/err" && fail "a task past the jobs ran" && return 1
    grep -q "no job line 5" "$TMP/err" || fail "past the end: $(cat "$TMP/err")" || return 1
    "$VMLAB" merge "$TMP"/res/job-*.json >"$TMP/merged.json" || fail "merge failed" || return 1
    "$VMLAB" sim -p lru,fifo -n 32,128 --output json "$TRACE" >"$TMP/one.json" || return 1
    rows "$TMP/merged.json" >"$TMP/a" && rows "$TMP/one.json" >"$TMP/b" || return 1
    cmp -s "$TMP/a" "$TMP/b" || fail "array sweep differs: $(diff "$TMP/a" "$TMP/b" | head)"
}

run_tests
