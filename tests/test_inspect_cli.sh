# SPDX-License-Identifier: MIT
# test_inspect_cli.sh - vmlab layout, maps, v2p and faults on real processes:
# pmap -X's totals reproduced column by column, JSON well formed, bad input
# refused with one line, the unprivileged paths (hidden PFNs, another user's
# process) through setpriv.
. tests/lib.sh

# A process that does not change while we look: a sleeping child.
start_sleeper() {
    sleep 300 &
    SLEEPER=$!
    # Wait until it has exec'd sleep (its maps name /usr/bin/sleep or similar)
    # and sleeps in (clock_)nanosleep (x86-64 230, 35): before that the
    # loader is still mapping and touching, and two readings of its maps
    # would differ.  Where /proc/PID/syscall is not readable, the first wait.
    wait_until grep -q sleep "/proc/$SLEEPER/maps" 2>/dev/null
    if [ -r "/proc/$SLEEPER/syscall" ]; then
        wait_until sh -c 'read n rest <"/proc/$1/syscall" && { [ "$n" = 230 ] || [ "$n" = 35 ]; }' sh "$SLEEPER"
    fi
}
stop_sleeper() { kill "$SLEEPER" 2>/dev/null; wait "$SLEEPER" 2>/dev/null; }

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
can_nobody() {
    [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && nobody "$VMLAB" --version >/dev/null 2>&1
}

# Every total column of pmap -X equals vmlab's, for the same stable process.
# Pss, Pss_Dirty and SwapPss divide shared pages by their current number of
# mappers, which any process starting or exiting on the machine changes (each
# maps libc); so a reading counts when vmlab agrees with itself before and
# after pmap and with pmap in every column, retried up to 30 times.  A column
# vmlab sums wrongly differs on every reading, so the test can still fail.
# compare_with_pmap PID STRICT: vmlab's totals against pmap -X's, read in the
# order vmlab, pmap, vmlab, retried while the process's memory moves.  Pss,
# Pss_Dirty and SwapPss divide each page by the number of processes mapping it,
# and the reader itself (pmap or vmlab, each touching different pages of libc)
# is one of them: they can be compared exactly only on a process whose file
# pages nobody else maps (STRICT=1); otherwise they are left out.
compare_with_pmap() {
    pid=$1 strict=$2 ok=1 attempt=0
    while [ $attempt -lt 30 ]; do
        attempt=$((attempt + 1))
        "$VMLAB" maps "$pid" --output json >"$TMP/a.json" &&
            pmap -X "$pid" >"$TMP/pmap.txt" &&
            "$VMLAB" maps "$pid" --output json >"$TMP/b.json" || { ok=0; break; }
        if python3 - "$TMP/a.json" "$TMP/pmap.txt" "$TMP/b.json" "$strict" >"$TMP/cmp.txt" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))[0]["totals"]
b = json.load(open(sys.argv[3]))[0]["totals"]
strict = sys.argv[4] == "1"
lines = [l for l in open(sys.argv[2]).read().splitlines() if l.strip()]
head = lines[1].split()
tot = lines[-1].split()
cols = head[head.index("Size"):head.index("Mapping")]
vals = tot[:len(cols)]
if len(cols) < 10 or tot[len(cols)] != "KB":
    print("cannot read pmap's header/totals:", head, tot); sys.exit(2)
bad, compared = [], []
for c, v in zip(cols, vals):
    if not strict and c in ("Pss", "Pss_Dirty", "SwapPss"):
        continue
    compared.append(c)
    key = c.lower() + ("" if c == "THPeligible" else "_kb")
    if key not in a:
        bad.append("%s missing from vmlab's totals" % key); continue
    if a[key] != int(v) or a[key] != b[key]:
        bad.append("%s: vmlab %d then %d, pmap %s" % (c, a[key], b[key], v))
print("compared", len(compared), "columns:", " ".join(compared))
if bad:
    print("; ".join(bad)); sys.exit(1)
EOF
        then ok=2; break
        else rc=$?; [ $rc -eq 1 ] || { ok=0; break; }
        fi
        sleep 0.2
    done
    [ $ok -eq 2 ] || fail "totals differ from pmap -X: $(cat "$TMP/cmp.txt")"
}

# Every column, Pss included, on a private static binary: no other process
# maps its pages, so every total is exact and stable.
t_maps_totals_equal_pmap_X() {
    command -v pmap >/dev/null || { skip "procps (pmap) is not installed"; return; }
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' >"$TMP/pauser.c"
    cc -static -O2 -o "$TMP/pauser" "$TMP/pauser.c" 2>/dev/null ||
        { skip "no static libc (libc6-dev) to build a private target"; return; }
    "$TMP/pauser" &
    pid=$!
    wait_until grep -q pauser "/proc/$pid/maps" 2>/dev/null
    compare_with_pmap "$pid" 1
    rc=$?
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    return $rc
}

# A dynamically linked process: every column but the Pss family.
t_maps_totals_equal_pmap_X_dynamic() {
    command -v pmap >/dev/null || { skip "procps (pmap) is not installed"; return; }
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    start_sleeper
    compare_with_pmap "$SLEEPER" 0
    rc=$?
    stop_sleeper
    return $rc
}

t_maps_json_well_formed() {
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    expect_exit 0 "$VMLAB" maps --output json || return 1
    python3 -m json.tool "$TMP/out" >/dev/null || fail "not JSON: $(head -c 300 "$TMP/out")" || return 1
    python3 - "$TMP/out" <<'EOF' || fail "JSON lacks the expected fields"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == 1  # one shape for one PID or several
d = d[0]
m = d["mappings"]; t = d["totals"]
assert len(m) == t["mappings"] > 5
for k in ("size_kb", "rss_kb", "pss_kb", "shared_clean_kb", "private_dirty_kb", "swap_kb"):
    assert k in t, k
assert t["size_kb"] == sum((int(x["end"], 16) - int(x["start"], 16)) // 1024 for x in m)
kinds = {x["kind"] for x in m}
assert {"text", "rodata", "data", "stack", "vdso"} <= kinds, kinds
assert any(x["kind"] == "text" and x["library"] for x in m)
EOF
}

t_maps_table_and_explain() {
    start_sleeper
    expect_exit 0 "$VMLAB" maps "$SLEEPER" --explain
    rc=$?
    stop_sleeper
    [ $rc -eq 0 ] || return 1
    head -1 "$TMP/out" | grep -q "Address Perm   Offset Device    Inode Size" ||
        fail "table header: $(head -1 "$TMP/out")" || return 1
    grep -Eq "^ +total " "$TMP/out" || fail "no totals row" || return 1
    grep -q "is mapped [0-9]* times in a row" "$TMP/out" || fail "--explain does not explain the repeats" || return 1
    grep -q "PT_GNU_RELRO" "$TMP/out" || fail "--explain does not mention PT_GNU_RELRO" || return 1
    grep -Eq "r--p .*relro" "$TMP/out" || fail "no relro row" || return 1
    grep -q "vm_pgoff" "$TMP/out" || fail "columns not explained" || return 1
}

t_maps_deleted_file_and_spaces() {
    # python3 maps a file whose name has spaces, deletes it, and waits.
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    f="$TMP/my mapped file.bin"
    python3 -c '
import mmap, os, sys, time
f = sys.argv[1]
with open(f, "wb") as h: h.write(b"x" * 8192)
h = open(f, "r+b"); m = mmap.mmap(h.fileno(), 8192); os.unlink(f)
print("ready", flush=True); time.sleep(120)' "$f" >"$TMP/py.out" &
    py=$!
    wait_until grep -q ready "$TMP/py.out" 2>/dev/null || fail "python3 never got ready" || return 1
    "$VMLAB" maps "$py" --output json >"$TMP/py.json"
    rc=$?
    kill "$py" 2>/dev/null; wait "$py" 2>/dev/null
    [ $rc -eq 0 ] || fail "exit $rc" || return 1
    python3 - "$TMP/py.json" "$f" <<'EOF' || fail "the deleted file with spaces is not reported right"
import json, sys
m = [x for x in json.load(open(sys.argv[1]))[0]["mappings"] if x["path"] == sys.argv[2]]
assert len(m) == 1 and m[0]["deleted"] and m[0]["kind"] == "file" and m[0]["perms"] == "rw-s", m
EOF
}

# The default view is short, as pmap -x: a "PID:   command" line, six
# columns and the kind, rows that fit a terminal, totals equal to JSON's.
t_maps_short_view_as_pmap_x() {
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    start_sleeper
    "$VMLAB" maps "$SLEEPER" >"$TMP/short.txt" && "$VMLAB" maps "$SLEEPER" --output json >"$TMP/m.json" &&
        "$VMLAB" maps "$SLEEPER" --wide >"$TMP/wide.txt"
    rc=$?
    stop_sleeper
    [ $rc -eq 0 ] || fail "exit $rc" || return 1
    head -n 1 "$TMP/wide.txt" | grep -q "Address Perm   Offset Device    Inode Size" ||
        fail "--wide header: $(head -n 1 "$TMP/wide.txt")" || return 1
    python3 - "$TMP/short.txt" "$TMP/m.json" "$SLEEPER" <<'EOF' || fail "short view wrong: $(head -n 3 "$TMP/short.txt")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
d = json.load(open(sys.argv[2]))
assert isinstance(d, list) and len(d) == 1
d = d[0]
assert lines[0] == "%s:   sleep 300" % sys.argv[3], lines[0]
assert lines[1].split() == ["Address", "Kbytes", "RSS", "Dirty", "Mode", "Kind", "Mapping"], lines[1]
rows, total = lines[2:-1], lines[-1].split()
m = d["mappings"]
assert len(rows) == len(m), (len(rows), len(m))
for r, x in zip(rows, m):
    assert len(r) <= 100, r
    f = r.split()
    assert int(f[0], 16) == int(x["start"], 16) and f[4] == x["perms"], (r, x)
    assert int(f[1]) == x["size_kb"] and int(f[2]) == x["rss_kb"], (r, x)
    assert int(f[3]) == x["private_dirty_kb"] + x["shared_dirty_kb"], (r, x)
    name = x["path"].rsplit("/", 1)[-1] if x["path"].startswith("/") else x["path"]
    assert r.rstrip().endswith(name), (r, name)
t = d["totals"]
assert total[:2] == ["total", "kB"] and int(total[2]) == t["size_kb"] and int(total[3]) == t["rss_kb"], total
assert int(total[4]) == t["private_dirty_kb"] + t["shared_dirty_kb"] and total[5] == "(%d" % len(m), total
EOF
}

# CSV: a row per mapping, the mapping keys of JSON, the same values (but the
# Pss family and the shared/private split, which other processes move between
# the two readings: a test running beside it maps the same libc).
t_maps_csv_matches_json() {
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    start_sleeper
    "$VMLAB" maps "$SLEEPER" --output csv >"$TMP/m.csv" && "$VMLAB" maps "$SLEEPER" --output json >"$TMP/m.json"
    rc=$?
    stop_sleeper
    [ $rc -eq 0 ] || fail "exit $rc" || return 1
    python3 - "$TMP/m.csv" "$TMP/m.json" "$SLEEPER" <<'EOF' || fail "CSV differs from JSON"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
d = json.load(open(sys.argv[2]))
assert isinstance(d, list) and len(d) == 1
d = d[0]
assert len(rows) == len(d["mappings"]) > 5
for r, x in zip(rows, d["mappings"]):
    assert r["pid"] == sys.argv[3]
    assert set(r) - {"pid"} == set(x) | {"vmflags"}, set(r) ^ set(x)
    for k, v in x.items():
        if k.startswith(("pss", "swappss", "shared_", "private_")):
            continue  # moves whenever another process maps or unmaps one of its pages
        want = ("true" if v else "false") if isinstance(v, bool) else str(v)
        assert r[k] == want, (k, r[k], v)
    # what moved is still a split of the same resident pages
    split = sum(int(r[k]) for k in ("shared_clean_kb", "shared_dirty_kb",
                                    "private_clean_kb", "private_dirty_kb"))
    assert split == int(r["rss_kb"]), (split, r["rss_kb"])
EOF
}

# Several PIDs, as pmap takes them: a block each, a JSON array of the
# objects, one CSV; one that cannot be read is reported, the rest printed.
t_maps_several_pids() {
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    start_sleeper
    sleep 300 &
    s2=$!
    wait_until grep -q sleep "/proc/$s2/maps" 2>/dev/null
    "$VMLAB" maps "$SLEEPER" "$s2" >"$TMP/two.txt" &&
        "$VMLAB" maps "$SLEEPER" "$s2" --output json >"$TMP/two.json" &&
        "$VMLAB" maps "$SLEEPER" "$s2" --output csv >"$TMP/two.csv"
    rc=$?
    sh -c 'exit 0' & dead=$!
    wait $dead
    expect_exit 1 "$VMLAB" maps "$SLEEPER" "$dead" "$s2"
    rc2=$?
    kill "$s2" 2>/dev/null; wait "$s2" 2>/dev/null
    stop_sleeper
    [ $rc -eq 0 ] && [ $rc2 -eq 0 ] || fail "exit $rc, $rc2" || return 1
    expect_err "^vmlab: /proc/$dead/smaps: no such process" || return 1
    [ "$(grep -c "^[0-9]*:   sleep 300$" "$TMP/out")" -eq 2 ] || fail "the readable processes not both shown" || return 1
    [ "$(grep -c "^[0-9]*:   sleep 300$" "$TMP/two.txt")" -eq 2 ] &&
        [ "$(grep -c '^total kB' "$TMP/two.txt")" -eq 2 ] || fail "two blocks expected" || return 1
    python3 - "$TMP/two.json" "$TMP/two.csv" "$SLEEPER" "$s2" <<'EOF' || fail "several PIDs: JSON or CSV wrong"
import csv, json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and [x["pid"] for x in d] == [int(sys.argv[3]), int(sys.argv[4])], d
rows = list(csv.DictReader(open(sys.argv[2])))
assert [r["pid"] for r in rows] == [sys.argv[3]] * len(d[0]["mappings"]) + [sys.argv[4]] * len(d[1]["mappings"])
EOF
}

t_maps_bad_pid() {
    sh -c 'exit 0' & dead=$!
    wait $dead
    expect_exit 1 "$VMLAB" maps "$dead" || return 1
    expect_err "^vmlab: /proc/$dead/smaps: no such process $dead" || return 1
    expect_exit 2 "$VMLAB" maps 12abc || return 1
    expect_err "not a process id" || return 1
    expect_exit 2 "$VMLAB" maps --output yaml || return 1
    expect_err "--output 'yaml' is not a format \\(expected text, json, csv\\)" || return 1
    expect_exit 0 "$VMLAB" maps --output table || return 1
    expect_exit 2 "$VMLAB" maps --frob || return 1
    expect_err "^vmlab: maps: unknown option '--frob'"
}

t_maps_other_users_process_refused() {
    can_nobody || { skip "needs root and setpriv to become another user"; return; }
    expect_exit 1 nobody "$VMLAB" maps 1 || return 1
    expect_err "^vmlab: /proc/1/smaps: permission denied" || return 1
    expect_exit 1 nobody "$VMLAB" v2p 1 0x1000 || return 1
    expect_err "^vmlab: /proc/1/maps: permission denied"
}

t_layout_check() {
    expect_exit 0 "$VMLAB" layout --check || return 1
    for o in "main" "another function" "string literal" "const int" "initialised data" \
        "bss, 1 MiB array" "heap block" "stack, depth 5" "alloca'd array" "mmap'd region" \
        "TLS variable" "argv\[0\]" "environ" "libc function" "vDSO"; do
        grep -q "^$o " "$TMP/out" || fail "no line for '$o'" || return 1
    done
    grep -q " NO " "$TMP/out" && fail "an object is in the wrong kind of mapping: $(grep ' NO ' "$TMP/out")"
    grep -q "lib text" "$TMP/out" || fail "libc's function not in a library's text"
}

# The stack's first page address of a process, from its maps.
stack_addr() { awk '/\[stack\]/ { split($1, r, "-"); print "0x" r[2]; exit }' "/proc/$1/maps"; }

t_v2p_json_and_text() {
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    start_sleeper
    top=$(stack_addr "$SLEEPER")
    lo=$(printf '0x%x' $((top - 8192)))
    "$VMLAB" v2p "$SLEEPER" --range "$lo-$top" --output json >"$TMP/v.json" 2>"$TMP/err"
    rc=$?
    "$VMLAB" v2p "$SLEEPER" "$(printf '0x%x' $((top - 8)))" >"$TMP/v.txt" 2>>"$TMP/err"
    rc2=$?
    # A range running past the end of the stack: the page beyond is a hole.
    "$VMLAB" v2p "$SLEEPER" --range "$(printf '0x%x-0x%x' $((top - 4096)) $((top + 4096)))" \
        >"$TMP/hole.txt" 2>>"$TMP/err" || rc2=1
    stop_sleeper
    [ $rc -eq 0 ] && [ $rc2 -eq 0 ] || fail "exit $rc/$rc2: $(cat "$TMP/err")" || return 1
    python3 - "$TMP/v.json" <<'EOF' || fail "v2p JSON wrong: $(head -c 400 "$TMP/v.json")" || return 1
import json, os, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 2
for e in a:
    for k in ("vaddr", "present", "pfn", "paddr", "flags"):
        assert k in e, k
    assert e["kind"] == "stack"
top = a[-1]
assert top["present"]  # argv and environ live there
capeff = int([l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff:")][0], 16)
if capeff >> 21 & 1:  # CAP_SYS_ADMIN: PFNs visible
    assert top["pfn"] and int(top["paddr"], 16) == top["pfn"] * 4096
    assert "kpageflags" in top or not os.path.exists("/proc/kpageflags")
else:
    assert top["pfn"] is None and top["pfn_hidden"]
EOF
    grep -q "present" "$TMP/v.txt" || fail "text: $(cat "$TMP/v.txt")" || return 1
    [ "$(grep -c ': not mapped$' "$TMP/hole.txt")" -eq 1 ] &&
        [ "$(grep -c ': present' "$TMP/hole.txt")" -eq 1 ] || fail "range over a hole: $(cat "$TMP/hole.txt")"
}

t_v2p_pfns_hidden_without_cap_sys_admin() {
    can_nobody || { skip "needs root and setpriv to drop CAP_SYS_ADMIN"; return; }
    setpriv --reuid=65534 --regid=65534 --clear-groups sleep 300 &
    pid=$!
    wait_until grep -qx sleep "/proc/$pid/comm" 2>/dev/null
    top=$(stack_addr $pid)
    nobody "$VMLAB" v2p $pid "$(printf '0x%x' $((top - 8)))" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    [ $rc -eq 0 ] || fail "exit $rc: $(cat "$TMP/err")" || return 1
    grep -q "PFNs hidden: without CAP_SYS_ADMIN" "$TMP/out" || fail "no plain statement: $(cat "$TMP/out")" || return 1
    grep -q "PFN hidden" "$TMP/out" || fail "PFN printed: $(cat "$TMP/out")" || return 1
    grep -q "PFN 0x0" "$TMP/out" && fail "prints PFN 0"
    return 0
}

t_v2p_bad_input() {
    expect_exit 1 "$VMLAB" v2p self 0x10 || return 1
    expect_err "^vmlab: v2p: address 0x10 is not mapped in vmlab itself .*the PID of a running process" || return 1
    # not vmlab's own pid, which is gone by the time a user reads the line
    grep -q "vmlab maps [0-9]" "$TMP/err" && fail "suggests maps of vmlab's own exited pid"
    # A malformed argument is a usage error (2), whichever way it is spelled.
    expect_exit 2 "$VMLAB" v2p self --range zz-0x2000 || return 1
    expect_err "malformed range 'zz-0x2000'" || return 1
    expect_exit 2 "$VMLAB" v2p self --range 0x2000 || return 1
    expect_err "malformed range" || return 1
    expect_exit 2 "$VMLAB" v2p self --range=0x2000 || return 1
    expect_err "malformed range" || return 1
    expect_exit 2 "$VMLAB" v2p self --range 0x3000-0x2000 || return 1
    expect_err "empty range" || return 1
    expect_exit 2 "$VMLAB" v2p self --range 0x0-0x100000000000 || return 1
    expect_err "covers [0-9]+ pages \\(expected at most 65536\\)" || return 1
    expect_exit 2 "$VMLAB" v2p self 0xgg || return 1
    expect_err "not an address" || return 1
    expect_exit 2 "$VMLAB" v2p self 0x1000 --output xml || return 1
    expect_err "--output 'xml' is not a format" || return 1
    expect_exit 2 "$VMLAB" v2p self 0x1000 --output=xml || return 1
    expect_err "--output 'xml' is not a format" || return 1
    expect_exit 2 "$VMLAB" v2p self 0x1000 --bogus || return 1
    expect_err "unknown option '--bogus'" || return 1
    sh -c 'exit 0' & dead=$!
    wait $dead
    expect_exit 1 "$VMLAB" v2p $dead 0x1000 || return 1
    expect_err "no such process" || return 1
    expect_exit 2 "$VMLAB" v2p || return 1
    expect_err "no PID given"
}

t_faults_all_confirmed() {
    expect_exit 0 "$VMLAB" faults || return 1
    n=$(grep -c "^conclusion: " "$TMP/out")
    [ "$n" -eq "$("$VMLAB" faults --list | wc -l)" ] || fail "$n conclusions" || return 1
    # major faults need a disk behind TMPDIR; the rest must hold everywhere.
    awk '/^== / { name = $2 } /note: these numbers do not/ && name != "major:" { print name; bad = 1 }
         END { exit bad }' "$TMP/out" || fail "not confirmed: $(grep -B12 'note: these' "$TMP/out")"
}

t_faults_bad_experiment() {
    expect_exit 2 "$VMLAB" faults nosuch || return 1
    expect_err "unknown experiment 'nosuch'"
}

run_tests
