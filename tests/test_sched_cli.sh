#!/bin/sh
# SPDX-License-Identifier: MIT
# test_sched_cli.sh - `vmlab sched` on the command line: the JSON contract,
# text and CSV, generators, pictures, bad input and endless workloads.
. tests/lib.sh

w2() {
    cat >"$TMP/w.txt" <<'W'
# two WRR tasks and a CFS one on 2 CPUs
a class=wrr weight=5 group=g cpu=100
b weight=10 arrive=10 cpu=200
c class=cfs nice=5 cpu=50
W
}

t_json_contract() {
    w2
    expect_exit 0 "$VMLAB" sched --cpus 2 --output json "$TMP/w.txt" || return 1
    python3 - "$TMP/out" <<'P' || fail "JSON contract not met"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ncpus"] == 2
names = [t["name"] for t in j["tasks"]]
assert names == ["a", "b", "c"], names
for t in j["tasks"]:
    for k in ("name", "cpu_ms", "turnaround_ms", "wait_ms", "migrations", "first_cpu"):
        assert k in t, k
a, b, c = j["tasks"]
assert a["cpu_ms"] == 100 and b["cpu_ms"] == 200 and c["cpu_ms"] == 50
assert a["first_cpu"] == 0 and b["first_cpu"] == 1
assert abs(sum(cp["busy_ms"] for cp in j["cpus"]) - 350) < 1e-6
for cp in j["cpus"]:
    assert set(("id", "busy_ms", "wrr_weight")) <= set(cp)
    assert all(len(s) == 2 for s in cp["wrr_weight"])
assert j["cpus"][0]["wrr_weight"][0] == [0, 5]
P
}

t_json_is_deterministic() {
    expect_exit 0 "$VMLAB" sched --cpus 3 --output json mixed --seed 7 || return 1
    cp "$TMP/out" "$TMP/first"
    expect_exit 0 "$VMLAB" sched --cpus 3 --output json mixed --seed 7 || return 1
    cmp -s "$TMP/out" "$TMP/first" || fail "two runs differ"
}

t_text_and_csv() {
    w2
    expect_exit 0 "$VMLAB" sched --cpus 2 "$TMP/w.txt" || return 1
    grep -q '^2 CPUs' "$TMP/out" || fail "no summary line"
    expect_exit 0 "$VMLAB" sched --cpus 2 --output csv -o "$TMP/t.csv" "$TMP/w.txt" || return 1
    [ "$(wc -l <"$TMP/t.csv")" -eq 4 ] || fail "CSV rows: $(cat "$TMP/t.csv")"
    head -n 1 "$TMP/t.csv" | grep -q '^name,class,weight' || fail "CSV header"
}

t_lab4_turnaround_falls_with_weight() {
    expect_exit 0 "$VMLAB" sched --cpus 2 --output json lab4 || return 1
    python3 - "$TMP/out" <<'P' || fail "lab4: turnaround does not fall with weight"
import json, sys
t = {x["name"]: x for x in json.load(open(sys.argv[1]))["tasks"]}
ta = [t["factor-w%02d" % w]["turnaround_ms"] for w in range(1, 21)]
assert ta[0] > 2 * ta[19], ta
assert ta[0] > ta[4] > ta[9] > ta[19], ta
P
}

t_pictures() {
    command -v gnuplot >/dev/null || { skip "gnuplot not installed"; return; }
    expect_exit 0 "$VMLAB" sched --cpus 2 lab4 --gantt "$TMP/g.png" --weights "$TMP/w.svg" \
        --turnaround "$TMP/t.png" || return 1
    for f in g.png w.svg t.png; do [ -s "$TMP/$f" ] || fail "no $f"; done
}

# No gnuplot: the data and script are written, the picture is not, and the
# exit status says so (1, as plot and tlb-measure), with one line.
t_pictures_without_gnuplot() {
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" sched --cpus 2 lab4 --gantt "$TMP/n.png" || return 1
    expect_err "^vmlab: sched: gnuplot not found; wrote .*n.png.gp" || return 1
    [ -s "$TMP/n.png.gp" ] && [ ! -e "$TMP/n.png" ] || fail "script missing or picture present"
}

t_print_generator() {
    expect_exit 0 "$VMLAB" sched --gen wrr --seed 3 --tasks 5 --print || return 1
    [ "$(grep -c '^t[0-9]' "$TMP/out")" -eq 5 ] || fail "not 5 tasks: $(cat "$TMP/out")"
}

t_bad_weight() {
    printf 'a cpu=10\nb weight=25 cpu=10\n' >"$TMP/bad.txt"
    expect_exit 1 "$VMLAB" sched "$TMP/bad.txt" || return 1
    expect_err "^vmlab: .*bad.txt:2: weight '25' out of range \(expected 1\.\.20\)$"
}

t_bad_class() {
    printf 'a class=idle cpu=10\n' >"$TMP/bad.txt"
    expect_exit 1 "$VMLAB" sched "$TMP/bad.txt" || return 1
    expect_err "bad.txt:1: unknown class 'idle'"
}

t_unparsable_line() {
    printf 'a cpu=10\n=oops\n' >"$TMP/bad.txt"
    expect_exit 1 "$VMLAB" sched "$TMP/bad.txt" || return 1
    expect_err "bad.txt:2: "
}

t_endless_refused_then_until() {
    printf 'spin loop(run 5ms, sleep 20ms) forever\n' >"$TMP/e.txt"
    expect_exit 1 timeout 20 "$VMLAB" sched "$TMP/e.txt" || return 1
    expect_err "never ends.*--until"
    expect_exit 0 timeout 20 "$VMLAB" sched --until 1000 --output json "$TMP/e.txt" || return 1
    grep -q '"end_ms": 1000' "$TMP/out" || fail "did not stop at 1000 ms"
}

t_usage_errors() {
    expect_exit 2 "$VMLAB" sched --cpus 0 lab4 || return 1
    expect_exit 2 "$VMLAB" sched --cpus 1025 lab4 || return 1
    expect_exit 2 "$VMLAB" sched || return 1
    expect_exit 1 "$VMLAB" sched --wrr tie=random lab4 || return 1
    expect_err "tie=random"
    expect_exit 1 "$VMLAB" sched --wrr free-cpu=0 lab4 || return 1
}

t_wrr_free_cpu_keeps_a_cpu_free() {
    expect_exit 0 "$VMLAB" sched --cpus 3 --wrr free-cpu=0 --output json lab4 || return 1
    python3 - "$TMP/out" <<'P' || fail "CPU 0 ran WRR tasks"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["cpus"][0]["busy_ms"] == 0
assert all(t["first_cpu"] != 0 for t in j["tasks"])
P
}

t_affinity_outside_the_cpus() {
    printf 'a cpu=10\nb cpu=1 affinity=5\n' >"$TMP/af.txt"
    expect_exit 1 "$VMLAB" sched --cpus 2 "$TMP/af.txt" || return 1
    expect_err "af.txt:2: task 'b': its affinity names no CPU below 2"
}

# Hogs pinned to CPU 0, freed at 500 ms: the periodic balancer (every
# 2000 ms) moves one task a period, as the kernel lab's guest test sees it:
# 8 hogs on 4 CPUs need 6 moves, done at 2, 4, ..., 12 s.
t_affinity_widens_then_balance_spreads() {
    : >"$TMP/wide.txt"
    for i in 0 1 2 3 4 5 6 7; do
        echo "h$i weight=10 affinity=0 daemon=1 spin" >>"$TMP/wide.txt"
        echo "at 500ms h$i affinity=0-3" >>"$TMP/wide.txt"
    done
    expect_exit 0 "$VMLAB" sched --cpus 4 --until 13s --output json "$TMP/wide.txt" || return 1
    python3 - "$TMP/out" <<'P' || fail "the widened hogs did not spread one move a period"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["balance_moves"] == 6, j["balance_moves"]
def at(c, t):
    w = None
    for p in j["cpus"][c]["wrr_weight"]:
        if p[0] <= t:
            w = p[1]
    return w
assert [at(c, 1000) for c in range(4)] == [80, 0, 0, 0]
assert [at(c, 13000) for c in range(4)] == [20, 20, 20, 20]
assert sum(at(c, 7000) for c in range(1, 4)) == 30   # moves at 2, 4, 6 s
P
}

t_affinity_change_must_widen() {
    printf 'a affinity=0-1 cpu=10
at 1ms a affinity=1
' >"$TMP/narrow.txt"
    expect_exit 1 "$VMLAB" sched --cpus 2 "$TMP/narrow.txt" || return 1
    expect_err "narrow.txt:2: affinity of 'a' may only widen"
    printf 'a cpu=10
at 1ms a affinity=0-1
' >"$TMP/narrow.txt"
    expect_exit 1 "$VMLAB" sched --cpus 2 "$TMP/narrow.txt" || return 1
    expect_err "narrow.txt:2: affinity of 'a' may only widen"
    printf 'a affinity=0 cpu=10
at 1ms a affinity=0-1
at 2ms a affinity=0,2
' >"$TMP/narrow.txt"
    expect_exit 1 "$VMLAB" sched --cpus 3 "$TMP/narrow.txt" || return 1
    expect_err "narrow.txt:3: affinity of 'a' may only widen"
}

run_tests
