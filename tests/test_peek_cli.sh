# SPDX-License-Identifier: MIT
# test_peek_cli.sh - vmlab peek, poke, scan and target on real processes:
# round trips of every type, exactly the planted copies found and narrowed,
# the same first-scan counts as scanmem, the ptrace rules under another uid
# (setpriv) and a non-dumpable target, the read-only page written through
# /proc/PID/mem, a process that is gone, and the fault experiments.
. tests/lib.sh

PLANT=${BUILD:-build}/tests/peek/plant
V=0x5ca1ab1e
VDEC=1554098974
PLANT_WRAP=

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
can_nobody() {
    [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && nobody "$VMLAB" --version >/dev/null 2>&1
}

# start_target [WRAPPER...] -- [ARGS...]: vmlab target in the background;
# sets TPID (the pid it prints) and TADDR.
start_target() {
    out=$(mktemp "$TMP/target.XXXXXX")
    "$@" >"$out" 2>&1 &
    TBG=$!
    wait_until grep -q '^pid ' "$out" || { fail "target did not start: $(cat "$out")"; return 1; }
    TPID=$(awk 'NR == 1 { print $2 }' "$out")
    TADDR=$(awk 'NR == 1 { print $4 }' "$out")
    TOUT=$out
    asleep "$TPID"
}
stop_target() { kill "$TPID" 2>/dev/null; wait "$TBG" 2>/dev/null; }

# start_plant VALUE NHEAP NSTACK NDATA: sets PPID_ (the plant's pid), POUT.
start_plant() {
    POUT=$(mktemp "$TMP/plant.XXXXXX")
    $PLANT_WRAP "$PLANT" "$@" >"$POUT" &
    PBG=$!
    wait_until grep -q '^ready' "$POUT" || { fail "plant did not start"; return 1; }
    PPID_=$(awk 'NR == 1 { print $2 }' "$POUT")
    asleep "$PPID_"
}

# asleep PID: wait until the process sleeps (state S), its memory at rest:
# a scan compared with another must not race the last instructions before
# the wait.
asleep() {
    wait_until sh -c "awk '{ exit \$3 != \"S\" }' /proc/$1/stat" || { fail "process $1 never sleeps"; return 1; }
}
stop_plant() { kill "$PPID_" 2>/dev/null; wait "$PBG" 2>/dev/null; }

t_target_prints_its_contract_line_and_counts_signals() {
    start_target "$VMLAB" target --value 41 || return 1
    head -n1 "$TOUT" | grep -Eq '^pid [0-9]+ addr 0x[0-9a-f]+$' || { fail "first line: $(head -n1 "$TOUT")"; stop_target; return 1; }
    [ "$TPID" = "$TBG" ] || { fail "pid $TPID is not the process $TBG"; stop_target; return 1; }
    [ "$("$VMLAB" peek "$TPID" "$TADDR" --type i32 | head -n1)" = 41 ] || { fail "value is not 41"; stop_target; return 1; }
    kill -USR1 "$TPID"
    wait_until grep -q '^value 42$' "$TOUT" || { fail "SIGUSR1 did not add one: $(cat "$TOUT")"; stop_target; return 1; }
    [ "$("$VMLAB" peek "$TPID" "$TADDR" --type i32 | head -n1)" = 42 ] || { fail "peek does not see 42"; stop_target; return 1; }
    kill -TERM "$TPID"
    wait "$TBG"
    [ $? -eq 0 ] || fail "SIGTERM did not end it cleanly"
}

# On a terminal (script(1) gives it a pty) each key adds one and q quits.
t_target_on_a_terminal_counts_keys() {
    command -v script >/dev/null || { skip "script (util-linux) is not installed"; return; }
    (sleep 1; printf a; sleep 1; printf b; sleep 1; printf q; sleep 1) |
        timeout 60 script -qfc "$VMLAB target --value 5" /dev/null >"$TMP/tty" 2>&1
    rc=$?
    [ $rc -eq 0 ] || { fail "exit $rc: $(cat "$TMP/tty")"; return 1; }
    tr -d '\r' <"$TMP/tty" >"$TMP/tty2"
    head -n1 "$TMP/tty2" | grep -Eq '^pid [0-9]+ addr 0x[0-9a-f]+$' &&
        grep -q '^value 6$' "$TMP/tty2" && grep -q '^value 7$' "$TMP/tty2" &&
        ! grep -q '^value 8$' "$TMP/tty2" || fail "keys: $(cat "$TMP/tty2")"
}

# VALUE EXPECTED pairs per type: poke VALUE, peek must print EXPECTED.
t_peek_poke_round_trip_every_type() {
    start_target "$VMLAB" target || return 1
    st=0
    while read -r type value want; do
        "$VMLAB" poke "$TPID" "$TADDR" "$value" --type "$type" >"$TMP/poke" 2>"$TMP/err" ||
            { fail "poke $type $value: $(cat "$TMP/err")"; st=1; continue; }
        got=$("$VMLAB" peek "$TPID" "$TADDR" --type "$type" | head -n1)
        [ "$got" = "$want" ] || { fail "$type: poked $value, peeked $got (expected $want)"; st=1; }
        grep -q "in 0x[0-9a-f]*-0x[0-9a-f]* rw-p .*(data)" "$TMP/poke" || { fail "poke does not name the data mapping: $(cat "$TMP/poke")"; st=1; }
    done <<'EOF'
i8 -128 -128
i8 127 127
i8 0xff -1
u8 255 255
i16 -32768 -32768
u16 65535 65535
i32 -2147483648 -2147483648
i32 2147483647 2147483647
u32 4294967295 4294967295
i64 -9223372036854775808 -9223372036854775808
i64 9223372036854775807 9223372036854775807
u64 18446744073709551615 18446744073709551615
u64 0x0123456789abcdef 81985529216486895
f32 -0.125 -0.125
f32 3.40282347e+38 3.40282347e+38
f64 0.1 0.10000000000000001
f64 -1e-300 -1e-300
f64 3.14159 3.1415899999999999
EOF
    "$VMLAB" poke "$TPID" "$TADDR" "hello, world" --type string >/dev/null || st=1
    got=$("$VMLAB" peek "$TPID" "$TADDR" --type string | head -n1)
    [ "$got" = '"hello, world"' ] || { fail "string: $got"; st=1; }
    "$VMLAB" poke "$TPID" "$TADDR" "de ad be ef" --type bytes >/dev/null || st=1
    got=$("$VMLAB" peek "$TPID" "$TADDR" 4 --type bytes | head -n1)
    [ "$got" = "de ad be ef" ] || { fail "bytes: $got"; st=1; }
    "$VMLAB" peek "$TPID" "$TADDR" 8 --type u16 >"$TMP/many" || st=1
    [ "$(grep -c '^0x' "$TMP/many")" -eq 4 ] || { fail "8 bytes of u16 are not 4 values"; st=1; }
    "$VMLAB" peek "$TPID" "$TADDR" --type i32 --output json >"$TMP/j" || st=1
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["mapping"]["kind"] == "data" and len(d["values"]) == 1' "$TMP/j" ||
        { fail "peek json: $(cat "$TMP/j")"; st=1; }
    stop_target
    return $st
}

t_poke_value_that_does_not_fit_is_a_usage_error() {
    start_target "$VMLAB" target || return 1
    st=0
    for tv in "i8 128" "u8 -1" "u16 65536" "i32 2147483648" "u64 18446744073709551616" "f32 1e39" "i32 12x"; do
        set -- $tv
        expect_exit 2 "$VMLAB" poke "$TPID" "$TADDR" "$2" --type "$1" || { st=1; continue; }
        expect_err "poke: .*$2.*(does not fit|is not a)" || st=1
    done
    expect_exit 2 "$VMLAB" poke "$TPID" "$TADDR" 5 || st=1
    expect_err "--type is required" || st=1
    [ "$("$VMLAB" peek "$TPID" "$TADDR" --type i32 | head -n1)" = 1 ] || { fail "a refused poke changed the value"; st=1; }
    stop_target
    return $st
}

t_address_in_no_mapping_names_the_nearest() {
    start_target "$VMLAB" target || return 1
    st=0
    expect_exit 1 "$VMLAB" peek "$TPID" 0x10 --type i32 || st=1
    expect_err "0x10 is in no mapping: below the first one, 0x[0-9a-f]+-0x[0-9a-f]+ " || st=1
    # The gap just past the data mapping of the target's value, if free.
    a=$(printf '%d' "$TADDR")
    end=
    while read -r range rest; do
        lo=$(printf '%d' "0x${range%-*}" 2>/dev/null) && hi=$(printf '%d' "0x${range#*-}" 2>/dev/null) || continue
        [ "$lo" -le "$a" ] && [ "$a" -lt "$hi" ] && end=${range#*-}
        [ -n "$end" ] && [ "${range%-*}" = "$end" ] && end=taken
    done <"/proc/$TPID/maps"
    if [ -n "$end" ] && [ "$end" != taken ]; then
        expect_exit 1 "$VMLAB" peek "$TPID" "0x$end" || st=1
        expect_err "in no mapping: the nearest are .* bytes below, and .* bytes above" || st=1
    fi
    expect_exit 1 "$VMLAB" poke "$TPID" 0x10 5 --type i32 || st=1
    expect_err "in no mapping" || st=1
    stop_target
    return $st
}

t_missing_process_is_one_clear_line() {
    sh -c 'exit 0' &
    gone=$!
    wait $gone
    st=0
    for cmd in "peek $gone 0x1000 --type i32" "poke $gone 0x1000 1 --type i32" "scan $gone --value 1"; do
        expect_exit 1 "$VMLAB" $cmd || { st=1; continue; }
        expect_err "no such process $gone" || st=1
    done
    expect_exit 2 "$VMLAB" peek abc 0x1000 || st=1
    return $st
}

# A process that has exited but is not reaped yet (a zombie) has an empty
# maps file: the same line as for a process that is gone, exit 1, and no
# match file, not "0 matches".
t_exited_process_not_yet_reaped_is_gone() {
    python3 - "$VMLAB" "$TMP" <<'EOF' || fail "a zombie was scanned"
import os, subprocess, sys, time
vmlab, tmp = sys.argv[1], sys.argv[2]
pid = os.fork()
if pid == 0:
    os._exit(0)
while open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z":
    time.sleep(0.01)
for args in (["scan", str(pid), "--value", "1", "--save", tmp + "/z.txt"],
             ["scan", str(pid), "--type", "string", "--value", "a"],
             ["peek", str(pid), "0x1000", "--type", "i32"],
             ["poke", str(pid), "0x1000", "1", "--type", "i32"]):
    r = subprocess.run([vmlab] + args, capture_output=True, text=True)
    lines = r.stderr.splitlines()
    assert r.returncode == 1 and r.stdout == "" and len(lines) == 1, (args, r)
    assert "no such process %d: it has exited (a zombie" % pid in lines[0], lines
assert not os.path.exists(tmp + "/z.txt")
os.waitpid(pid, 0)
EOF
}

t_scan_finds_exactly_the_planted_copies() {
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    start_plant $V 3 4 5 || return 1
    st=0
    for rc in heap:3 stack:4 data:5 all:12 heap,data:8; do
        r=${rc%:*} want=${rc#*:}
        got=$("$VMLAB" scan "$PPID_" --type u32 --value $V --regions "$r" | awk '{ print $1 }')
        [ "$got" = "$want" ] || { fail "--regions $r: $got matches, planted $want"; st=1; }
    done
    # The addresses themselves, every byte offset tried.
    "$VMLAB" scan "$PPID_" --type i32 --value $VDEC --align 1 --output json >"$TMP/j" || st=1
    python3 - "$TMP/j" "$POUT" <<'EOF' || { fail "addresses differ from the planted ones"; st=1; }
import json, sys
d = json.load(open(sys.argv[1]))
want = sorted(int(l.split()[2], 16) for l in open(sys.argv[2]) if l.startswith("planted"))
got = [int(a, 16) for a in d["addresses"]]
assert d["matches"] == len(want) == 12 and got == want, (got, want)
EOF
    stop_plant
    return $st
}

t_scan_narrowing_keeps_exactly_the_changed() {
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    start_plant $V 3 4 5 || return 1
    st=0
    "$VMLAB" scan "$PPID_" --value $VDEC --save "$TMP/m.txt" >/dev/null || { fail "first scan"; stop_plant; return 1; }
    [ "$(grep -c '^0x' "$TMP/m.txt")" -eq 12 ] || { fail "match file: $(cat "$TMP/m.txt")"; st=1; }
    kill -USR1 "$PPID_"
    wait_until grep -q '^changed' "$POUT" || { fail "plant did not change"; stop_plant; return 1; }
    # the first half (rounded up) of each region: 2 + 2 + 3
    for cmd in changed "+1" increased ">" "= $((VDEC + 1))"; do
        got=$(printf '%s\n' "$cmd" | "$VMLAB" scan "$PPID_" --load "$TMP/m.txt" --script - | awk '{ print $1 }')
        [ "$got" = 7 ] || { fail "'$cmd': $got matches, expected 7"; st=1; }
    done
    for cmd in unchanged "=" "-1" "!= $((VDEC + 1))"; do
        got=$(printf '%s\n' "$cmd" | "$VMLAB" scan "$PPID_" --load "$TMP/m.txt" --script - | awk '{ print $1 }')
        want=5
        [ "$cmd" = "-1" ] && want=0
        [ "$got" = "$want" ] || { fail "'$cmd': $got matches, expected $want"; st=1; }
    done
    # The changed ones are exactly the first halves.
    printf 'changed\n' | "$VMLAB" scan "$PPID_" --load "$TMP/m.txt" --script - --output json >"$TMP/j" || st=1
    python3 - "$TMP/j" "$POUT" <<'EOF' || { fail "changed addresses are not the bumped ones"; st=1; }
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for l in open(sys.argv[2]):
    if l.startswith("planted"):
        _, r, a = l.split(); by.setdefault(r, []).append(int(a, 16))
want = sorted(a for r in by.values() for a in r[:(len(r) + 1) // 2])
got = [int(a, 16) for a in d["addresses"]]
assert got == want, (got, want)
assert all(v == str(1554098975) for v in d["values"]), d["values"]
EOF
    # set: every remaining match, then the process reads them
    printf 'changed\nset 77\n' | "$VMLAB" scan "$PPID_" --load "$TMP/m.txt" --script - >"$TMP/out" || st=1
    grep -q '^set 77 at 7 of 7 matches' "$TMP/out" || { fail "set: $(cat "$TMP/out")"; st=1; }
    got=$("$VMLAB" scan "$PPID_" --value 77 --type u32 --regions all --align 1 | awk '{ print $1 }')
    [ "$got" -ge 7 ] || { fail "after set 77 only $got copies of 77"; st=1; }
    stop_plant
    return $st
}

t_scan_script_language_from_a_file() {
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    start_plant $V 2 2 2 || return 1
    st=0
    cat >"$TMP/s.txt" <<EOF
# a whole session
type u32
regions data
= $VDEC
count
list
regions all
scan $VDEC
save $TMP/saved.txt
EOF
    expect_exit 0 "$VMLAB" scan "$PPID_" --script "$TMP/s.txt" || st=1
    grep -q '^2 matches' "$TMP/out" && grep -q '^6 matches' "$TMP/out" && grep -q '^\[1\] 0x.* 1554098974  data' "$TMP/out" ||
        { fail "session output: $(cat "$TMP/out")"; st=1; }
    [ "$(grep -c '^0x' "$TMP/saved.txt")" -eq 6 ] || { fail "save FILE"; st=1; }
    printf 'type u32\n= 5\nfrobnicate\n' >"$TMP/bad.txt"
    expect_exit 1 "$VMLAB" scan "$PPID_" --script "$TMP/bad.txt" --save "$TMP/no.txt" || st=1
    expect_err "bad.txt:3: unknown command 'frobnicate'" || st=1
    [ ! -e "$TMP/no.txt" ] || { fail "a failed script left a match file"; st=1; }
    printf 'changed\n' >"$TMP/bad2.txt"
    expect_exit 1 "$VMLAB" scan "$PPID_" --script "$TMP/bad2.txt" || st=1
    expect_err "bad2.txt:1: 'changed' compares with a previous scan" || st=1
    printf '= 300\n' >"$TMP/bad3.txt"
    expect_exit 1 "$VMLAB" scan "$PPID_" --type u8 --script "$TMP/bad3.txt" || st=1
    expect_err "bad3.txt:1: 300 does not fit u8" || st=1
    expect_exit 2 "$VMLAB" scan "$PPID_" --type i8 --value 200 || st=1
    expect_err "200 does not fit i8" || st=1
    stop_plant
    return $st
}

# scanmem 0.17 reads its regions when it attaches: 'reset' after setting the
# level makes level 3 (every rw- mapping) apply.  Its scans test every byte
# offset, as --align 1 does, and like vmlab it never matches a value that
# would run past the end of a mapping.
#
# The processes run pinned to one CPU: glibc registers a restartable-
# sequences area per thread, into which the kernel writes the number of the
# CPU the thread last ran on (cpu_id_start, cpu_id) each time it returns to
# user space on another CPU.  scanmem's ptrace stop wakes the target, which
# may come back on the other CPU: 0 turns into 1 in two u32 fields, 8 fewer
# zeros at every byte offset (t_scan_zero_count_follows_the_cpu).  That was
# the whole difference of 8 once seen for the value 0.
pin_cpu() { taskset -pc $$ 2>/dev/null | sed 's/.*: *//; s/[,-].*//'; }
scanmem_type() {
    case $1 in i8 | u8) echo int8 ;; i16 | u16) echo int16 ;; i32 | u32) echo int32 ;;
    i64 | u64) echo int64 ;; f32) echo float32 ;; f64) echo float64 ;; esac
}
scanmem_count() { # PID TYPE VALUE
    timeout 60 scanmem -p "$1" -c "option scan_data_type $(scanmem_type "$2"); option region_scan_level 3; reset; $3; exit" 2>&1 |
        sed -n 's/.*we currently have \([0-9]*\) matches.*/\1/p' | tail -n1
}

t_scan_same_first_counts_as_scanmem() {
    command -v scanmem >/dev/null || { skip "scanmem is not installed"; return; }
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    command -v taskset >/dev/null && cpu=$(pin_cpu) && [ -n "$cpu" ] || { skip "taskset cannot pin"; return; }
    PLANT_WRAP="taskset -c $cpu"
    start_plant $V 3 4 5 || return 1
    PLANT_WRAP=
    st=0
    # vmlab before and after scanmem: the three must agree (scanmem's stop
    # and resume must not have changed the target).
    while read -r type v; do
        asleep "$PPID_"
        m1=$("$VMLAB" scan "$PPID_" --type "$type" --align 1 --regions all --value="$v" | awk '{ print $1 }')
        s=$(scanmem_count "$PPID_" "$type" "$v")
        asleep "$PPID_"
        m2=$("$VMLAB" scan "$PPID_" --type "$type" --align 1 --regions all --value="$v" | awk '{ print $1 }')
        [ -n "$s" ] && [ "$s" = "$m1" ] && [ "$m1" = "$m2" ] ||
            { fail "$type $v: scanmem $s matches, vmlab $m1 then $m2"; st=1; }
    done <<LIST
i32 0
i32 1
i32 $VDEC
i32 -1
i32 255
i32 4096
i32 65535
u32 4294967295
i8 0
i8 1
i16 0
i16 1
i64 0
i64 1
f32 0
f64 0
LIST
    # The planted value: scanmem finds exactly the 12 copies too.
    [ "$(scanmem_count "$PPID_" i32 $VDEC)" = 12 ] || { fail "scanmem does not find the 12 planted copies"; st=1; }
    # And on vmlab's own target, unless it is an ASan build: then its
    # terabytes of shadow are a mapping vmlab leaves out and scanmem does not.
    if grep -aq __asan_init "$VMLAB"; then
        stop_plant
        return $st
    fi
    start_target taskset -c "$cpu" "$VMLAB" target --value 123456 || { stop_plant; return 1; }
    for v in 123456 0; do
        asleep "$TPID"
        s=$(scanmem_count "$TPID" i32 $v)
        asleep "$TPID"
        m=$("$VMLAB" scan "$TPID" --type i32 --align 1 --value $v | awk '{ print $1 }')
        [ -n "$s" ] && [ "$s" = "$m" ] || { fail "target, value $v: scanmem $s matches, vmlab $m"; st=1; }
    done
    stop_target
    stop_plant
    return $st
}

# What the kernel changes behind a sleeping process's back: moved from CPU 0
# to CPU 1 (and woken by a stop and a continue, as scanmem's ptrace attach
# does), the plant has exactly the 8 byte offsets [rseq - 3, rseq + 4] fewer
# zeros at every byte offset, 2 fewer aligned: its rseq cpu_id_start and
# cpu_id read 1 instead of 0.
t_scan_zero_count_follows_the_cpu() {
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    command -v taskset >/dev/null || { skip "no taskset"; return; }
    taskset -c 0,1 true 2>/dev/null || { skip "CPUs 0 and 1 are not both available"; return; }
    start_plant $V 1 1 1 || return 1
    rseq=$(awk '$1 == "rseq" { print $2 }' "$POUT")
    [ -n "$rseq" ] || { stop_plant; skip "glibc registered no rseq area"; return; }
    st=0
    for c in 0 1; do
        taskset -pc $c "$PPID_" >/dev/null || { fail "taskset $c"; stop_plant; return 1; }
        kill -STOP "$PPID_"
        kill -CONT "$PPID_"
        wait_until sh -c "awk '{ exit \$3 != \"S\" || \$39 != $c }' /proc/$PPID_/stat" || { fail "plant not asleep on CPU $c"; st=1; }
        got=$("$VMLAB" peek "$PPID_" "$rseq" 8 --type u32 | awk 'NR <= 2 { printf "%s ", $2 }')
        [ "$got" = "$c $c " ] || { fail "rseq fields on CPU $c: $got"; st=1; }
        "$VMLAB" scan "$PPID_" --type i32 --align 1 --value 0 --output json >"$TMP/z$c" || st=1
        "$VMLAB" scan "$PPID_" --type i32 --value 0 | awk '{ print $1 }' >"$TMP/a$c" || st=1
    done
    python3 - "$TMP/z0" "$TMP/z1" "$rseq" <<'PY' || { fail "zeros on CPU 0 and 1 differ elsewhere than the rseq fields"; st=1; }
import json, sys
z0 = {int(a, 16) for a in json.load(open(sys.argv[1]))["addresses"]}
z1 = {int(a, 16) for a in json.load(open(sys.argv[2]))["addresses"]}
r = int(sys.argv[3], 16)
assert z0 - z1 == set(range(r - 3, r + 5)) and not z1 - z0, (sorted(z0 - z1), sorted(z1 - z0), r)
PY
    [ $(($(cat "$TMP/a0") - $(cat "$TMP/a1"))) -eq 2 ] || { fail "aligned: $(cat "$TMP/a0") then $(cat "$TMP/a1")"; st=1; }
    stop_plant
    return $st
}

# The string planted by `plant x:HEX`: given in hex, so that no copy is on
# the plant's command line.
STR='vmlab:planted!'
STRHEX=$(printf '%s' "$STR" | od -An -tx1 | tr -d ' \n')

t_scan_strings_and_bytes_find_exactly_the_planted() {
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    start_plant "x:$STRHEX" 3 4 5 || return 1
    st=0
    for rc in heap:3 stack:4 data:5 all:12 heap,data:8; do
        r=${rc%:*} want=${rc#*:}
        got=$("$VMLAB" scan "$PPID_" --type string --value "$STR" --regions "$r" | awk '{ print $1 }')
        [ "$got" = "$want" ] || { fail "string, --regions $r: $got matches, planted $want"; st=1; }
        got=$("$VMLAB" scan "$PPID_" --type bytes --value "76 6d ?? 61 62 3a ?? ?? 61" --regions "$r" | awk '{ print $1 }')
        [ "$got" = "$want" ] || { fail "bytes, --regions $r: $got matches, planted $want"; st=1; }
    done
    # The addresses and the bytes, from JSON; and scanmem's '" TEXT' form.
    "$VMLAB" scan "$PPID_" --type string --value "$STR" --output json >"$TMP/j" || st=1
    python3 - "$TMP/j" "$POUT" "$STR" <<'EOF' || { fail "addresses or values differ from the planted ones"; st=1; }
import json, sys
d = json.load(open(sys.argv[1]))
want = sorted(int(l.split()[2], 16) for l in open(sys.argv[2]) if l.startswith("planted"))
got = [int(a, 16) for a in d["addresses"]]
assert d["matches"] == len(want) == 12 and got == want, (got, want)
assert d["type"] == "string" and d["width"] == len(sys.argv[3]) and d["values"] == [sys.argv[3]] * 12, d
EOF
    printf '" %s\nlist 1\n' "$STR" | "$VMLAB" scan "$PPID_" >"$TMP/out" || st=1
    grep -q '^12 matches (string scan = vmlab:planted!' "$TMP/out" && grep -q '^\[0\] 0x[0-9a-f]* "vmlab:planted!"' "$TMP/out" ||
        { fail "'\" TEXT': $(cat "$TMP/out")"; st=1; }
    # A wildcard is any byte: change the third byte of one copy.  (Long
    # enough patterns: "vmla" alone is also in paths like /tmp/vmlab-sh-*
    # that the environment on the stack may hold.)
    a=$(awk '$1 == "planted" && $2 == "data" { print $3; exit }' "$POUT")
    "$VMLAB" poke "$PPID_" "$(printf '0x%x' $((a + 2)))" 00 --type bytes >/dev/null || st=1
    [ "$("$VMLAB" scan "$PPID_" --type bytes --value "76 6d ?? 61 62 3a 70 6c" | awk '{ print $1 }')" = 12 ] || { fail "?? did not match 00"; st=1; }
    [ "$("$VMLAB" scan "$PPID_" --type bytes --value "76 6d 6c 61 62 3a 70 6c" | awk '{ print $1 }')" = 11 ] || { fail "the changed copy still matches exactly"; st=1; }
    [ "$("$VMLAB" scan "$PPID_" --type string --value "$STR" --align 16 2>/dev/null | awk '{ print $1 }')" = "" ] || { fail "--align 16 accepted"; st=1; }
    stop_plant
    return $st
}

t_scan_strings_narrow_by_equal_and_changed() {
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    start_plant "x:$STRHEX" 3 4 5 || return 1
    st=0
    "$VMLAB" scan "$PPID_" --type string --value "$STR" --save "$TMP/m.txt" >/dev/null || { fail "first scan"; stop_plant; return 1; }
    head -n1 "$TMP/m.txt" | grep -q "type string align 1 count 12 width 14$" || { fail "header: $(head -n1 "$TMP/m.txt")"; st=1; }
    [ "$(grep -c "^0x[0-9a-f]* $STRHEX\$" "$TMP/m.txt")" -eq 12 ] || { fail "match file: $(cat "$TMP/m.txt")"; st=1; }
    kill -USR1 "$PPID_"
    wait_until grep -q '^changed' "$POUT" || { fail "plant did not change"; stop_plant; return 1; }
    # the first half (rounded up) of each region: 2 + 2 + 3 changed, 5 not
    for cw in "changed 7" "!= 7" "unchanged 5" "= 5" "= $STR 5" "!= $STR 7" "= wmlab:planted! 7"; do
        cmd=${cw% *} want=${cw##* }
        got=$(printf '%s\n' "$cmd" | "$VMLAB" scan "$PPID_" --load "$TMP/m.txt" --script - | awk '{ print $1 }')
        [ "$got" = "$want" ] || { fail "'$cmd': $got matches, expected $want"; st=1; }
    done
    printf 'changed\n' | "$VMLAB" scan "$PPID_" --load "$TMP/m.txt" --script - --output json >"$TMP/j" || st=1
    python3 - "$TMP/j" "$POUT" <<'EOF' || { fail "changed addresses are not the bumped ones"; st=1; }
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for l in open(sys.argv[2]):
    if l.startswith("planted"):
        _, r, a = l.split(); by.setdefault(r, []).append(int(a, 16))
want = sorted(a for r in by.values() for a in r[:(len(r) + 1) // 2])
assert [int(a, 16) for a in d["addresses"]] == want, (d["addresses"], want)
assert d["values"] == ["wmlab:planted!"] * 7, d["values"]
EOF
    # set writes the bytes into every match; the process holds them
    printf 'unchanged\nset VMLAB:PLANTED!\n' | "$VMLAB" scan "$PPID_" --load "$TMP/m.txt" --script - >"$TMP/out" || st=1
    grep -q '^set VMLAB:PLANTED! at 5 of 5 matches' "$TMP/out" || { fail "set: $(cat "$TMP/out")"; st=1; }
    [ "$("$VMLAB" scan "$PPID_" --type string --value VMLAB:PLANTED! | awk '{ print $1 }')" = 5 ] || { fail "set did not land"; st=1; }
    # numbers' comparisons, a pattern of another length, a set with ??: one line, exit 1
    while IFS='|' read -r cmd msg; do
        expect_exit 1 sh -c "printf '%s\\n' '$cmd' | '$VMLAB' scan $PPID_ --load '$TMP/m.txt' --script -" || { st=1; continue; }
        expect_err "\\(stdin\\):1: .*$msg" || st=1
    done <<'EOF'
+1|compare as bytes
increased|compare as bytes
< x|compare as bytes
= vmlab|pattern of 5 bytes against matches of 14
EOF
    printf 'type bytes\n= ?? ??\n' >"$TMP/bad.txt"
    expect_exit 1 "$VMLAB" scan "$PPID_" --script "$TMP/bad.txt" || st=1
    expect_err "bad.txt:2: .*only wildcards" || st=1
    printf 'type bytes\n= 56 4d\nset 00 ??\n' >"$TMP/bad.txt"
    expect_exit 1 "$VMLAB" scan "$PPID_" --script "$TMP/bad.txt" || st=1
    expect_err "bad.txt:3: set writes bytes, and \\?\\? is none" || st=1
    printf '= 1 2\n' >"$TMP/bad2.txt"
    expect_exit 1 "$VMLAB" scan "$PPID_" --script "$TMP/bad2.txt" || st=1
    expect_err "bad2.txt:1: .*1 2" || st=1
    expect_exit 2 "$VMLAB" scan "$PPID_" --type bytes --value "de ad be e" || st=1
    expect_err "not a bytes pattern" || st=1
    stop_plant
    return $st
}

# Strings (scanmem's '" TEXT' with scan_data_type string) and byte arrays
# with wildcards (scan_data_type bytearray): the same counts as scanmem.
t_scan_strings_and_bytes_same_counts_as_scanmem() {
    command -v scanmem >/dev/null || { skip "scanmem is not installed"; return; }
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    command -v taskset >/dev/null && cpu=$(pin_cpu) && [ -n "$cpu" ] || { skip "taskset cannot pin"; return; }
    PLANT_WRAP="taskset -c $cpu"
    start_plant "x:$STRHEX" 3 4 5 || return 1
    PLANT_WRAP=
    st=0
    for v in "$STR" vmlab a x ab; do
        asleep "$PPID_"
        s=$(printf 'option scan_data_type string\noption region_scan_level 3\nreset\n" %s\nexit\n' "$v" |
            timeout 60 scanmem -p "$PPID_" 2>&1 | sed -n 's/.*we currently have \([0-9]*\) matches.*/\1/p' | tail -n1)
        asleep "$PPID_"
        m=$("$VMLAB" scan "$PPID_" --type string --value "$v" | awk '{ print $1 }')
        [ -n "$s" ] && [ "$s" = "$m" ] || { fail "string '$v': scanmem $s matches, vmlab $m"; st=1; }
    done
    for v in "76 6d ?? 61 62 3a" "00 00 00 00 00" "00 ?? 00" ff "01 00 00 00" "?? ff"; do
        asleep "$PPID_"
        s=$(timeout 60 scanmem -p "$PPID_" -c "option scan_data_type bytearray; option region_scan_level 3; reset; $v; exit" 2>&1 |
            sed -n 's/.*we currently have \([0-9]*\) matches.*/\1/p' | tail -n1)
        asleep "$PPID_"
        m=$("$VMLAB" scan "$PPID_" --type bytes --value "$v" | awk '{ print $1 }')
        [ -n "$s" ] && [ "$s" = "$m" ] || { fail "bytes '$v': scanmem $s matches, vmlab $m"; st=1; }
    done
    stop_plant
    return $st
}

# The target exits between two commands of a session: one line, exit 1, and
# the --save file never appears (nor its temporary).
t_scan_target_gone_mid_session() {
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    start_plant $V 2 2 2 || return 1
    mkfifo "$TMP/in"
    "$VMLAB" scan "$PPID_" --script "$TMP/in" --save "$TMP/gone.txt" >"$TMP/out" 2>"$TMP/err" &
    scan=$!
    exec 3>"$TMP/in"
    echo "= $VDEC" >&3
    wait_until grep -q matches "$TMP/out" || { fail "no first scan"; exec 3>&-; stop_plant; return 1; }
    stop_plant
    echo "changed" >&3
    exec 3>&-
    wait $scan
    rc=$?
    st=0
    [ $rc -eq 1 ] || { fail "exit $rc, expected 1"; st=1; }
    expect_err_file() { grep -Eq "$1" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ]; }
    expect_err_file "in:2: .*no such process $PPID_" || { fail "stderr: $(cat "$TMP/err")"; st=1; }
    ls "$TMP" | grep -q '^gone.txt' && { fail "a match file was left: $(ls "$TMP")"; st=1; }
    return $st
}

# A big target killed while the first scan reads it: either the scan ended
# first, or one line and exit 1, never a match file.
t_scan_target_killed_during_a_first_scan() {
    [ -x "$PLANT" ] || { skip "$PLANT not built"; return; }
    st=0
    for i in 1 2 3; do
        POUT=$TMP/big.$i
        : >"$POUT"
        "$PLANT" $V 1 1 1 256 >"$POUT" &
        PBG=$!
        wait_until grep -q '^ready' "$POUT" || { fail "plant did not start"; return 1; }
        PPID_=$(awk 'NR == 1 { print $2 }' "$POUT")
        "$VMLAB" scan "$PPID_" --type u32 --value $VDEC --chunk 64k --save "$TMP/k$i.txt" >"$TMP/out" 2>"$TMP/err" &
        scan=$!
        sleep 0.0$i
        kill -9 "$PPID_"
        wait "$PBG" 2>/dev/null
        wait $scan
        rc=$?
        if [ $rc -ne 0 ]; then
            [ $rc -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "no such process $PPID_" "$TMP/err" ||
                { fail "exit $rc: $(cat "$TMP/err")"; st=1; }
            ls "$TMP" | grep -q "^k$i.txt" && { fail "a match file was left"; st=1; }
        fi
    done
    return $st
}

t_permission_different_user_names_the_rule() {
    can_nobody || { skip "needs root and setpriv"; return; }
    start_target "$VMLAB" target || return 1
    st=0
    for cmd in "peek $TPID $TADDR --type i32" "poke $TPID $TADDR 5 --type i32" "scan $TPID --value 1"; do
        expect_exit 1 nobody "$VMLAB" $cmd || { st=1; continue; }
        expect_err "refused: different user: process $TPID runs as uid 0.*you as uid 65534.*CAP_SYS_PTRACE.*sudo" || st=1
    done
    stop_target
    return $st
}

# Root without CAP_SYS_PTRACE is refused another user's process: it is the
# capability, not uid 0, that lets sudo in.
t_permission_root_without_cap_sys_ptrace() {
    can_nobody || { skip "needs root and setpriv"; return; }
    setpriv --bounding-set=-sys_ptrace --inh-caps=-sys_ptrace true 2>/dev/null || { skip "setpriv cannot drop capabilities"; return; }
    start_target nobody "$VMLAB" target || return 1
    st=0
    expect_exit 1 setpriv --bounding-set=-sys_ptrace --inh-caps=-sys_ptrace "$VMLAB" peek "$TPID" "$TADDR" --type i32 || st=1
    expect_err "different user: process $TPID runs as uid 65534.*you as uid 0" || st=1
    expect_exit 0 "$VMLAB" peek "$TPID" "$TADDR" --type i32 || st=1
    stop_target
    return $st
}

# The kernel's truth: the same user is refused a non-dumpable process, and
# CAP_SYS_PTRACE (root) reads it anyway.
t_permission_not_dumpable() {
    can_nobody || { skip "needs root and setpriv"; return; }
    st=0
    start_target nobody "$VMLAB" target --no-dumpable || return 1
    expect_exit 1 nobody "$VMLAB" peek "$TPID" "$TADDR" --type i32 || st=1
    expect_err "refused: not dumpable: process $TPID" || st=1
    expect_exit 1 nobody "$VMLAB" scan "$TPID" --value 1 || st=1
    expect_err "not dumpable" || st=1
    expect_exit 0 "$VMLAB" peek "$TPID" "$TADDR" --type i32 || st=1
    [ "$(head -n1 "$TMP/out")" = 1 ] || { fail "root read $(head -n1 "$TMP/out")"; st=1; }
    expect_exit 0 "$VMLAB" poke "$TPID" "$TADDR" 9 --type i32 || st=1
    stop_target
    # the same process, dumpable: its own user may
    start_target nobody "$VMLAB" target || return 1
    expect_exit 0 nobody "$VMLAB" peek "$TPID" "$TADDR" --type i32 || st=1
    stop_target
    return $st
}

# process_vm_writev cannot write the target's read-only ELF header page
# (EFAULT); /proc/PID/mem can, into a private copy: another process running
# the same file and the file itself still have the original bytes.
t_poke_read_only_page_copy_on_write() {
    start_target "$VMLAB" target || return 1
    TPID1=$TPID TBG1=$TBG
    start_target "$VMLAB" target || return 1
    st=0
    base1=$(awk '$6 ~ /vmlab$/ && $3 == "00000000" { split($1, r, "-"); print "0x" r[1]; exit }' "/proc/$TPID1/maps")
    base2=$(awk '$6 ~ /vmlab$/ && $3 == "00000000" { split($1, r, "-"); print "0x" r[1]; exit }' "/proc/$TPID/maps")
    perms=$(awk '$6 ~ /vmlab$/ && $3 == "00000000" { print $2; exit }' "/proc/$TPID1/maps")
    [ "$perms" = "r--p" ] || { skip "the executable's first page is $perms, not r--p"; kill $TPID1; stop_target; return 77; }
    expect_exit 1 "$VMLAB" poke "$TPID1" "$base1" 58 --type bytes --access vm || st=1
    expect_err "EFAULT" || st=1
    expect_exit 0 "$VMLAB" poke "$TPID1" "$base1" 58 --type bytes || st=1
    grep -q "with /proc/PID/mem" "$TMP/out" && grep -q "copy-on-write" "$TMP/out" || { fail "poke output: $(cat "$TMP/out")"; st=1; }
    [ "$("$VMLAB" peek "$TPID1" "$base1" 4 --type bytes | head -n1)" = "58 45 4c 46" ] || { fail "the write did not land"; st=1; }
    [ "$("$VMLAB" peek "$TPID" "$base2" 4 --type bytes | head -n1)" = "7f 45 4c 46" ] || { fail "the other process's copy changed"; st=1; }
    [ "$(od -An -tx1 -N1 "$VMLAB" | tr -d ' ')" = 7f ] || { fail "the file changed"; st=1; }
    kill "$TPID1"
    wait "$TBG1" 2>/dev/null
    stop_target
    return $st
}

t_faults_mprotect_and_mmap() {
    expect_exit 0 "$VMLAB" faults mprotect mmap || return 1
    st=0
    [ "$(grep -c 'si_code SEGV_ACCERR (2), si_addr 0x[0-9a-f]* = the exact address accessed' "$TMP/out")" -eq 2 ] || { fail "SEGV_ACCERR lines"; st=1; }
    grep -q 'unmapped page: SIGSEGV, si_code SEGV_MAPERR (1), si_addr 0x[0-9a-f]* = the exact' "$TMP/out" || { fail "SEGV_MAPERR line"; st=1; }
    grep -q 'the write succeeded' "$TMP/out" || { fail "restored write"; st=1; }
    grep -q 'do not fully bear' "$TMP/out" && { fail "an experiment is not confirmed: $(cat "$TMP/out")"; st=1; }
    [ "$(grep -c '^conclusion: ' "$TMP/out")" -eq 2 ] || st=1
    if [ "$(id -u)" -eq 0 ]; then
        grep -q 'MAP_SHARED pages: PFN \(0x[0-9a-f]*\).* and PFN \1' "$TMP/out" || { fail "shared PFNs differ"; st=1; }
    fi
    return $st
}

run_tests
