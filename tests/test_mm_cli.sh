#!/bin/sh
# SPDX-License-Identifier: MIT
# test_mm_cli.sh - `vmlab mm` on the command line: every bundled scenario
# held against the real kernel (--real exits 0: counts equal or declared),
# an undeclared difference exits 1, the JSON contract's keys, maps and walk
# output, --explain, bad input.
. tests/lib.sh

t_bundled_match_real_kernel() {
    for s in $("$VMLAB" mm --list | awk '{print $1}'); do
        "$VMLAB" mm --real "$s" >"$TMP/out" 2>"$TMP/err" || fail "$s: exit $? $(grep DIFFERS "$TMP/out") $(cat "$TMP/err")"
    done
}

t_real_json_contract() {
    expect_exit 0 "$VMLAB" mm --real --output json fork-cow || return 1
    for k in op model_minflt real_minflt model_majflt real_majflt model_vmas real_vmas; do
        grep -q "\"$k\"" "$TMP/out" || fail "key $k missing"
    done
    # the child's 32 copy-on-write faults, both sides
    grep -A3 '"op": "touch w a 128K"' "$TMP/out" | grep -q '"real_minflt": 32' || fail "no 32 CoW faults: $(cat "$TMP/out")"
}

t_undeclared_difference_exits_1() {
    # The model cannot know the real fork's own stack faults: without "!" it differs.
    printf 'spawn\na = mmap - 64K rw- anon,private\ntouch w a 64K\nfork\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" mm --real "$TMP/s" || return 1
    grep -q DIFFERS "$TMP/out" || fail "no DIFFERS line"
}

# An error in the middle of a --real run stops the real tasks: a task left
# behind holds vmlab's stdout open, and the reader of the pipe would wait
# for ever (here: until the timeout).
t_real_error_stops_the_tasks() {
    { echo spawn; for i in $(seq 17); do echo fork; done; } >"$TMP/s"
    timeout 30 sh -c '"$1" mm --real "$2" 2>&1 | cat >"$3"' sh "$VMLAB" "$TMP/s" "$TMP/out"
    [ $? -ne 124 ] || fail "a real task outlived vmlab: $(cat "$TMP/out")" || return 1
    grep -q 's:17: too many real tasks (expected at most 16)' "$TMP/out" || fail "message: $(cat "$TMP/out")"
}

t_maps_and_walk() {
    printf 'spawn\na = mmap 0x7f0000000000 64K rw- anon,private\nmprotect a+16K 16K r--\nmaps\ntouch w a\nwalk a\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" mm "$TMP/s" || return 1
    grep -q '^7f0000000000-7f0000004000 rw-p 00000000 00:00 0' "$TMP/out" || fail "maps line: $(cat "$TMP/out")"
    grep -q '^7f0000004000-7f0000008000 r--p' "$TMP/out" || fail "split"
    grep -q 'PGD\[254\]' "$TMP/out" || fail "PGD index of 0x7f0000000000 is 254: $(cat "$TMP/out")"
    grep -q 'PTE\[0\].*P RW US A D NX' "$TMP/out" || fail "PTE bits"
    grep -q 'physical address 0x' "$TMP/out" || fail "no physical address"
}

t_i386_walk() {
    printf 'spawn\na = mmap 0x08048000 4K rw- anon,private,fixed\ntouch w a\nwalk a\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" mm --arch i386 "$TMP/s" || return 1
    grep -q 'PGD\[32\]' "$TMP/out" || fail "PGD index: $(cat "$TMP/out")"
    grep -q 'PTE\[72\]' "$TMP/out" || fail "PTE index"
}

t_explain_narrates() {
    expect_exit 0 "$VMLAB" mm --explain zero-page || return 1
    grep -q 'anonymous read fault: shared zero page' "$TMP/out" || fail "no zero-page line"
    grep -q 'write-protect fault on the zero page: new frame' "$TMP/out" || fail "no wp line"
}

t_outputs() {
    expect_exit 0 "$VMLAB" mm --output csv malloc-lazy || return 1
    head -1 "$TMP/out" | grep -q '^line,op,minflt,majflt,vmas,rc,segv$' || fail "csv header"
    grep -q ',255,0,1,0,0$' "$TMP/out" || fail "255 faults row: $(cat "$TMP/out")"
    expect_exit 0 "$VMLAB" mm --output json swap || return 1
    grep -q '"majflt": 10[0-9][0-9]' "$TMP/out" || fail "swap: no major faults"
}

# A walk line in JSON carries the walk the text prints, field by field; an
# address with no page gives "phys": null and the levels down to the hole.
t_json_walk_matches_text() {
    for arch in x86_64 i386; do
        printf 'spawn\na = mmap - 64K rw- anon,private\ntouch w a\nwalk a\nwalk a+32K\n' >"$TMP/s"
        expect_exit 0 "$VMLAB" mm --arch $arch "$TMP/s" || return 1
        cp "$TMP/out" "$TMP/text"
        expect_exit 0 "$VMLAB" mm --arch $arch --output json "$TMP/s" || return 1
        python3 - "$TMP/out" "$TMP/text" $arch <<'PY' || fail "$arch: walk JSON differs from the text" || return 1
import json, re, sys
ops = json.load(open(sys.argv[1]))["ops"]
text = open(sys.argv[2]).read()
walks = [o["walk"] for o in ops if o["op"].startswith("walk")]
assert len(walks) == 2 and all("walk" not in o for o in ops if not o["op"].startswith("walk"))
levels = 2 if sys.argv[3] == "i386" else 4
mapped, hole = walks
assert len(mapped["levels"]) == levels and mapped["phys"] is not None, mapped
assert hole["phys"] is None and len(hole["levels"]) == levels and hole["levels"][-1]["entry"] == "0x0", hole
lines = []
for w in walks:
    lines.append("walk %s:" % w["addr"])
    for l in w["levels"]:
        e = int(l["entry"], 16)
        lines.append("  %s[%d] in table pfn %d: entry 0x%0*x %s" % (l["level"], l["index"], l["table_pfn"],
                     8 if levels == 2 else 16, e, l["decoded"]))
    lines.append("  physical address %s" % w["phys"] if w["phys"] else "  not mapped")
for l in lines:
    assert l in text.splitlines(), (l, text)
PY
    done
}

t_bad_input() {
    printf 'spawn\nfrobnicate 3\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" mm "$TMP/s" || return 1
    expect_err "s:2: unknown operation 'frobnicate'" || return 1
    printf 'spawn\nmmap - 4K rz- anon,private\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" mm "$TMP/s" || return 1
    expect_err 's:2: bad protection' || return 1
    printf 'spawn\ntouch w nosuch\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" mm "$TMP/s" || return 1
    expect_err "unknown symbol 'nosuch'" || return 1
    # errors the kernel returns are answers, not failures: the run goes on
    printf 'spawn\nmunmap 0x1001 4K\nmmap 0x1000 4K rw- anon,private,fixed\ntouch w 0xffffffffffff0000\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" mm --output csv "$TMP/s" || return 1
    grep -q '^2,.*,22,0$' "$TMP/out" || fail "munmap unaligned: EINVAL expected: $(cat "$TMP/out")"
    grep -q '^4,.*,0,1$' "$TMP/out" || fail "touch outside: SEGV_MAPERR"
    expect_exit 2 "$VMLAB" mm --arch sparc malloc-lazy || return 1
    expect_exit 1 "$VMLAB" mm /nonexistent/scenario || return 1
}

run_tests
