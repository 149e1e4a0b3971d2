# SPDX-License-Identifier: MIT
# test_mrc_cli.sh - vmlab mrc, gen, record and plot from the command line.
. tests/lib.sh

osc() { printf '%s\n' 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 >"$TMP/osc.pages"; }

# The OSC string: 3 frames, LRU 12, OPT 9, FIFO 15.
t_osc_string() {
    osc
    expect_exit 0 "$VMLAB" mrc -F pages -p lru,opt,fifo --frames 3 --output csv "$TMP/osc.pages" || return 1
    grep -qx 'lru,3,12,0.600000' "$TMP/out" || fail "lru: $(cat "$TMP/out")" || return 1
    grep -qx 'opt,3,9,0.450000' "$TMP/out" || fail "opt: $(cat "$TMP/out")" || return 1
    grep -qx 'fifo,3,15,0.750000' "$TMP/out" || fail "fifo: $(cat "$TMP/out")"
}

t_csv_columns_exact() {
    osc
    expect_exit 0 "$VMLAB" mrc -F pages --output csv "$TMP/osc.pages" || return 1
    [ "$(head -1 "$TMP/out")" = "policy,frames,page_faults,miss_ratio" ] || fail "header: $(head -1 "$TMP/out")" || return 1
    # lru and opt, every size 1..6 (the distinct pages)
    [ "$(grep -c '^lru,' "$TMP/out")" -eq 6 ] && [ "$(grep -c '^opt,' "$TMP/out")" -eq 6 ] ||
        fail "expected 6 sizes per policy: $(cat "$TMP/out")"
}

# FIFO on Belady's string: 9 faults at 3 frames, 10 at 4, listed as an anomaly.
t_belady_anomaly() {
    "$VMLAB" gen belady --length 12 -o "$TMP/b.rw" || return 1
    expect_exit 0 "$VMLAB" mrc -p fifo,lru,opt "$TMP/b.rw" || return 1
    grep -q 'fifo: Belady.s anomaly, more frames and more faults at 4 frames (10 faults; 9 at 3)' "$TMP/out" ||
        fail "no anomaly line: $(cat "$TMP/out")" || return 1
    grep -q '^lru: no Belady' "$TMP/out" && grep -q '^opt: no Belady' "$TMP/out" || fail "lru/opt anomaly?"
    expect_exit 0 "$VMLAB" mrc -p fifo --output json "$TMP/b.rw" || return 1
    grep -q '"anomalies": \[{"frames": 4, "page_faults": 10, "fewer_frames": 3, "fewer_page_faults": 9}\]' "$TMP/out" ||
        fail "json: $(cat "$TMP/out")"
}

# mrc agrees with vmlab sim at every size, for lru, opt and every policy sim has.
t_agrees_with_sim() {
    "$VMLAB" sim --help >/dev/null 2>&1 || { skip "no vmlab sim in this build"; return; }
    "$VMLAB" gen mix --pages 300 --length 20000 --seed 5 -o "$TMP/m.rw" || return 1
    pols=$("$VMLAB" sim --list | sed -n 's/^\([a-z0-9-]\{1,\}\) .*/\1/p' | tr '\n' ' ')
    [ "$(echo $pols | wc -w)" -ge 5 ] || { fail "cannot list sim's policies: '$pols'"; return 1; }
    checked=0
    for p in $pols; do
        "$VMLAB" mrc -p "$p" --frames 1,2,7,50,120,300 --output csv "$TMP/m.rw" >"$TMP/c" 2>"$TMP/err" ||
            { fail "mrc -p $p: $(cat "$TMP/err")"; return 1; }
        for n in 1 2 7 50 120 300; do
            want=$("$VMLAB" sim -p "$p" -n "$n" --output json "$TMP/m.rw" 2>/dev/null |
                   sed -n 's/.*"page_faults": *\([0-9]*\).*/\1/p' | head -1)
            got=$(grep "^$p,$n," "$TMP/c" | cut -d, -f3)
            checked=$((checked + 1))
            [ -n "$want" ] && [ -n "$got" ] || { fail "$p at $n frames: no figure (sim '$want', mrc '$got')"; return 1; }
            [ "$want" = "$got" ] || { fail "$p at $n frames: mrc $got, sim $want"; return 1; }
        done
    done
    [ "$checked" -ge 60 ] || fail "only $checked comparisons"
}

t_shards() {
    "$VMLAB" gen zipf --pages 20000 --length 400000 -o "$TMP/z.rw" || return 1
    expect_exit 0 "$VMLAB" mrc --shards 0.1 --frames 100,1000,5000 --output csv "$TMP/z.rw" || return 1
    grep -q '^lru-shards,1000,' "$TMP/out" || fail "no lru-shards rows: $(cat "$TMP/out")" || return 1
    expect_exit 0 "$VMLAB" mrc --shards-size 2000 -p lru --frames 1000 --output csv "$TMP/z.rw" || return 1
    grep -q '^lru-shards,1000,' "$TMP/out" || fail "no fixed-size rows"
}

t_frames_lists() {
    osc
    expect_exit 0 "$VMLAB" mrc -F pages -p lru -n 1-3,5-9:2 --output csv "$TMP/osc.pages" || return 1
    [ "$(cut -d, -f2 "$TMP/out" | tail -n +2 | tr '\n' ' ')" = "1 2 3 5 7 9 " ] || fail "sizes: $(cat "$TMP/out")"
}

t_bad_input() {
    printf '0041f7a0 R\nzzz\n' >"$TMP/bad.rw"
    expect_exit 1 "$VMLAB" mrc -F rw "$TMP/bad.rw" || return 1
    expect_err "bad.rw:2:" || return 1
    expect_exit 2 "$VMLAB" mrc -p nosuch "$TMP/bad.rw" || return 1
    expect_exit 2 "$VMLAB" mrc --frames 0 "$TMP/bad.rw" || return 1
    expect_exit 2 "$VMLAB" mrc --shards 2 "$TMP/bad.rw" || return 1
    "$VMLAB" gen belady --length 12 -o "$TMP/b.rw" || return 1
    expect_exit 1 "$VMLAB" mrc --shards 0.000001 "$TMP/b.rw" || return 1
    expect_err "sampled no page" || return 1
    # Huge frame counts: every policy faults once a page, nothing allocated
    expect_exit 0 "$VMLAB" mrc -p fifo,lru --frames 4000000000 --output csv "$TMP/b.rw" || return 1
    [ "$(grep -c ',4000000000,5,' "$TMP/out")" -eq 2 ] || fail "huge sizes: $(cat "$TMP/out")" || return 1
    expect_exit 2 "$VMLAB" mrc --output xml "$TMP/bad.rw" || return 1
    expect_exit 1 "$VMLAB" mrc "$TMP/missing.rw" || return 1
    : >"$TMP/empty.rw"
    expect_exit 1 "$VMLAB" mrc -F rw "$TMP/empty.rw" || return 1
    expect_err "no references" || return 1
    osc
    expect_exit 1 "$VMLAB" mrc -F pages -o "$TMP/never.csv" "$TMP/bad.rw"
    [ ! -e "$TMP/never.csv" ] || fail "half-written output left behind"
}

t_gen_reproducible() {
    for m in seq uniform zipf:alpha=0.8 loop:len=50 phases mix belady linked-list:nodes=300,shuffle=1; do
        "$VMLAB" gen "$m" --length 5000 --seed 9 -o "$TMP/a" || return 1
        "$VMLAB" gen "$m" --length 5000 --seed 9 -o "$TMP/b" || return 1
        cmp -s "$TMP/a" "$TMP/b" || { fail "$m: same seed, different bytes"; return 1; }
        [ "$(wc -l <"$TMP/a")" -eq 5000 ] || { fail "$m: not 5000 lines"; return 1; }
    done
    # Another seed, another trace: compared with the same model's seed-9 output
    # (not with whatever the loop above left in $TMP/a).
    for m in uniform zipf:alpha=0.8 mix linked-list:nodes=300,shuffle=1; do
        "$VMLAB" gen "$m" --length 5000 --seed 9 -o "$TMP/a" || return 1
        "$VMLAB" gen "$m" --length 5000 --seed 10 -o "$TMP/c" || return 1
        ! cmp -s "$TMP/a" "$TMP/c" || { fail "$m: seed ignored"; return 1; }
    done
}

t_gen_formats_read_back() {
    "$VMLAB" gen uniform --pages 50 --length 3000 -o "$TMP/u.rw" || return 1
    "$VMLAB" gen uniform --pages 50 --length 3000 --format pages -o "$TMP/u.pages" || return 1
    expect_exit 0 "$VMLAB" mrc -p lru --frames 10,25 --output csv "$TMP/u.rw" || return 1
    cp "$TMP/out" "$TMP/o1"
    expect_exit 0 "$VMLAB" mrc -F pages -p lru --frames 10,25 --output csv "$TMP/u.pages" || return 1
    cmp -s "$TMP/o1" "$TMP/out" || fail "rw and pages differ: $(cat "$TMP/o1") / $(cat "$TMP/out")"
}

t_gen_bad() {
    expect_exit 2 "$VMLAB" gen nosuch || return 1
    expect_err "unknown model" || return 1
    expect_exit 2 "$VMLAB" gen zipf:alpha=-1 || return 1
    expect_exit 2 "$VMLAB" gen seq --page-size 1000
}

t_record_real_program() {
    command -v valgrind >/dev/null || { skip "valgrind not installed (Debian: valgrind)"; return; }
    expect_exit 0 "$VMLAB" record -o "$TMP/ls.gz" -- ls / || return 1
    [ "$(head -c 2 "$TMP/ls.gz" | od -An -tx1 | tr -d ' ')" = "1f8b" ] || fail "not gzip" || return 1
    zcat "$TMP/ls.gz" | grep -q '^ L ' || fail "no loads in the trace" || return 1
    zcat "$TMP/ls.gz" | grep -q '^I ' || fail "no instruction fetches" || return 1
    expect_exit 0 "$VMLAB" mrc -F lackey -p lru,opt --frames 8,64 --output csv "$TMP/ls.gz" || return 1
    f8=$(grep '^lru,8,' "$TMP/out" | cut -d, -f3)
    [ "${f8:-0}" -gt 10 ] || fail "lru at 8 frames: '$f8'" || return 1
    expect_exit 0 "$VMLAB" record --data-only -o "$TMP/d.gz" -- ls / || return 1
    ! zcat "$TMP/d.gz" | grep -q '^I ' || fail "--data-only kept I lines"
}

t_record_no_valgrind() {
    VMLAB_VALGRIND=/nonexistent/valgrind expect_exit 1 "$VMLAB" record -o "$TMP/x.gz" -- ls || return 1
    expect_err "valgrind not found" || return 1
    [ ! -e "$TMP/x.gz" ] || fail "output written without valgrind" || return 1
    expect_exit 2 "$VMLAB" record -o "$TMP/x.gz"
}

# A valgrind that writes only a banner to its log: the error names the
# banner in one line, its closing parenthesis included.
t_record_no_references_one_line() {
    cat >"$TMP/vg" <<'EOF2'
#!/bin/sh
for a; do case $a in --log-fd=*) fd=${a#--log-fd=} ;; esac; done
eval "echo '==42== Fatal error at startup' >&$fd"
exit 1
EOF2
    chmod +x "$TMP/vg"
    VMLAB_VALGRIND=$TMP/vg expect_exit 1 "$VMLAB" record -o "$TMP/x.gz" -- ls || return 1
    expect_err "no memory references recorded \\(valgrind: ==42== Fatal error at startup\\)$"
}

# PNG width and height from its IHDR chunk (bytes 16..23, big-endian).
png_size() {
    od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}'
}

t_plot_all_kinds() {
    command -v gnuplot >/dev/null || { skip "gnuplot not installed (Debian: gnuplot-nox)"; return; }
    "$VMLAB" gen linked-list:nodes=500 --length 8000 -o "$TMP/l.rw" || return 1
    expect_exit 0 "$VMLAB" plot addresses "$TMP/l.rw" --max-points 1000000 -o "$TMP/a.png" || return 1
    [ "$(head -c 4 "$TMP/a.png" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "not a PNG" || return 1
    [ "$(png_size "$TMP/a.png")" = 1100x680 ] || fail "PNG is $(png_size "$TMP/a.png")" || return 1
    expect_exit 0 "$VMLAB" plot wss "$TMP/l.rw" --tau 500 -o "$TMP/w.svg" || return 1
    grep -q '<svg' "$TMP/w.svg" || fail "not an SVG" || return 1
    expect_exit 0 "$VMLAB" mrc -p lru,opt,fifo --output csv -o "$TMP/c.csv" "$TMP/l.rw" || return 1
    expect_exit 0 "$VMLAB" plot curves "$TMP/c.csv" -o "$TMP/c.png" || return 1
    [ -s "$TMP/c.png" ] && [ -s "$TMP/c.dat" ] && [ -s "$TMP/c.gp" ] || fail "missing files" || return 1
    [ "$(png_size "$TMP/c.png")" = 1100x680 ] || fail "PNG is $(png_size "$TMP/c.png")" || return 1
    # Read the data and scripts back against the inputs, computed apart:
    # the plotted dots are the first reference of each kind in each cell of
    # the grid; W(t, tau) recounted from the trace; every CSV point in its
    # curve, each curve titled.
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    python3 - "$TMP" <<'EOF' || fail "plot data or script wrong"
import re, sys
d = sys.argv[1]
rows = lambda f: [l.split() for l in open(f) if l.strip() and not l.startswith('#')]
refs = [l.split() for l in open(d + '/l.rw') if l.strip() and not l.startswith('#')]
gp = open(d + '/a.gp').read()
assert "set output '%s/a.png'" % d in gp and "'%s/a.dat'" % d in gp, gp
assert "set xlabel 'time (references)'" in gp and "title 'read'" in gp and "title 'write'" in gp, gp
assert "instruction fetch" not in gp, "a key entry for fetches the trace lacks"
assert "set xrange [0:8000]" in gp, gp
bands = [(int(lo, 16), int(hi, 16)) for b, lo, hi in re.findall(r'# band (\d+): addresses \[0x(\w+), 0x(\w+)\]', gp)][::-1]
assert len(bands) == 1, bands
addrs = [int(r[0], 16) for r in refs]
assert bands[0] == (min(addrs), max(addrs)), bands
lo, hi = bands[0]
want, seen = [], set()
for t, r in enumerate(refs):
    a, op = int(r[0], 16), int(r[1] == 'W')
    x = min(int(t / 8000 * 1024), 1023)
    y = min(int((a - lo) / ((hi - lo) + 1.0) * 512), 511)
    if (x, y, op) not in seen:
        seen.add((x, y, op))
        want.append([t, a, op, 0])
got = [[int(v) for v in r] for r in rows(d + '/a.dat')]
assert got == want, (len(got), len(want), got[:3], want[:3])
gp = open(d + '/w.gp').read()
assert 'set terminal svg' in gp and "'%s/w.dat' using ($1/1):2" % d in gp and '= 500 references' in gp, gp
pages = [int(r[0], 16) >> 12 for r in refs]
w = rows(d + '/w.dat')
assert 100 <= len(w) <= 2000 and int(w[-1][0]) == 8000, (len(w), w[-1])
for t, x in w:
    t = int(t)
    assert int(x) == len(set(pages[max(0, t - 500):t])), (t, x)
gp = open(d + '/c.gp').read()
csv = [l.strip().split(',') for l in open(d + '/c.csv')][1:]
blocks = open(d + '/c.dat').read().split('\n\n')
for k, pol in enumerate(['lru', 'opt', 'fifo']):
    assert "index %d using 1:2 with " % k in gp and "title '%s'" % pol in gp, gp
    want = [(int(r[1]), int(r[2])) for r in csv if r[0] == pol]
    got = [(int(x[0]), int(x[1])) for x in (l.split() for l in blocks[k].splitlines())
           if x and not x[0].startswith('#')]
    assert want and got == want, (pol, want[:3], got[:3])
# A few frames (the list's pages): linear axes; log ones are tested below.
assert "set ylabel 'page faults'" in gp and "logscale" not in gp, gp
assert "set xlabel 'physical memory (frames)'" in gp, gp
assert "set title 'Fault curves: %s/c.csv'" % d in gp, gp
EOF
}

# Reads, writes and fetches apart; a far-away stack in its own strip; the
# ranges; a long path shortened in the title; a small SVG for a big trace.
t_plot_addresses_kinds_bands_ranges() {
    command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
    long="$TMP/a-directory-with-a-rather-long-name/and-another-one-below-it"
    mkdir -p "$long" || return 1
    # lackey: code at 0x400000, heap at 0x600000.., the stack at 0x7ffd0000....
    python3 - "$long/prog-with-a-long-name.lackey" <<'EOF' || return 1
import sys
with open(sys.argv[1], 'w') as f:
    for t in range(3000):
        f.write('I  %08x,4\n' % (0x400000 + (t % 50) * 4))
        f.write(' L %08x,8\n' % (0x600000 + (t * 64) % 0x20000))
        if t % 3 == 0:
            f.write(' S %x,8\n' % (0x7ffd00001000 - (t % 40) * 8))
EOF
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot addresses -o "$TMP/k.png" \
        "$long/prog-with-a-long-name.lackey" || return 1
    python3 - "$TMP" <<'EOF' || { fail "kinds, bands or title wrong"; return 1; }
import re, sys
d = sys.argv[1]
gp = open(d + '/k.gp').read()
for op, name in ((0, 'read'), (1, 'write'), (2, 'instruction fetch')):
    assert "title '%s'" % name in gp, name
bands = re.findall(r'# band (\d+): addresses \[0x(\w+), 0x(\w+)\]', gp)
# Code, heap and stack: each gap is most of its band's span.
assert [(int(lo, 16), int(hi, 16)) for b, lo, hi in bands[::-1]] == [
    (0x400000, 0x4000c4), (0x600000, 0x61ffc0), (0x7ffd00001000 - 39 * 8, 0x7ffd00001000)], bands
rows = [l.split() for l in open(d + '/k.dat') if not l.startswith('#')]
for t, a, op, b in rows:
    a, op, b = int(a), int(op), int(b)
    assert (op == 1) == (a >> 40 == 0x7f) and (op == 2) == (a >> 20 == 4), (a, op)
    assert b == (2 if a >> 40 == 0x7f else 0 if a >> 20 == 4 else 1), (a, b)
title = re.search(r"set multiplot title '([^']*)'", gp).group(1)
assert title == 'Addresses over time: prog-with-a-long-name.lackey (7000 references, a dot per pixel)', title
EOF
    # --from/--to cut time, --addr-min/--addr-max the window: heap only.
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot addresses -o "$TMP/r.png" --from 1000 \
        --to 2000 --addr-min 0x500000 --addr-max 0x700000 "$long/prog-with-a-long-name.lackey" || return 1
    grep -q '^set xrange \[1000:2000\]$' "$TMP/r.gp" && grep -q '^# band 0: addresses \[0x60[0-9a-f]\{4\}, 0x6[01][0-9a-f]\{4\}\]' "$TMP/r.gp" &&
        [ "$(grep -c '^# band' "$TMP/r.gp")" -eq 1 ] || fail "ranges: $(grep 'range\|band' "$TMP/r.gp")" || return 1
    awk '!/^#/ && ($1 < 1000 || $1 >= 2000 || $2 < 5242880 || $2 > 7340032 || $3 != 0) {bad++} END {exit bad > 0}' \
        "$TMP/r.dat" || fail "a row outside the ranges" || return 1
    expect_exit 2 "$VMLAB" plot addresses -o "$TMP/r.png" --from 5 --to 5 "$TMP/x" || return 1
    expect_err "--from 5 is not before --to 5" || return 1
    expect_exit 1 "$VMLAB" plot addresses -o "$TMP/r.png" --from 100000 "$long/prog-with-a-long-name.lackey" || return 1
    expect_err "no reference in references" || return 1
    expect_exit 2 "$VMLAB" plot wss -o "$TMP/r.png" --from 5 "$TMP/x" || return 1
    # The bzip trace once gave a 20.8 MB SVG: now at most --max-points dots.
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot addresses -o "$TMP/bz.svg" \
        "$SHARED/data/traces/bzip.trace.gz" || return 1
    n=$(grep -vc '^#' "$TMP/bz.dat")
    [ "$n" -gt 1000 ] && [ "$n" -le 8000 ] || fail "$n dots for an SVG" || return 1
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot addresses -o "$TMP/bz.svg" --max-points 500 \
        "$SHARED/data/traces/bzip.trace.gz" || return 1
    n=$(grep -vc '^#' "$TMP/bz.dat")
    [ "$n" -gt 50 ] && [ "$n" -le 500 ] || fail "$n dots for --max-points 500"
}

t_plot_curves_log_options() {
    printf 'policy,frames,page_faults,miss_ratio\nlru,1,90,0.9\nlru,2,50,0.5\nlru,50,10,0.1\n' >"$TMP/s.csv"
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot curves "$TMP/s.csv" -o "$TMP/s.png" || return 1
    grep -q '^set xrange \[0:\*\]$' "$TMP/s.gp" && ! grep -q logscale "$TMP/s.gp" || fail "50x is linear by default" || return 1
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot curves "$TMP/s.csv" --log y --ratio -o "$TMP/s.png" || return 1
    grep -q '^set logscale y$' "$TMP/s.gp" && ! grep -q 'logscale x' "$TMP/s.gp" &&
        grep -q "^set ylabel 'miss ratio (page faults / references), log scale'" "$TMP/s.gp" || fail "--log y" || return 1
    printf 'lru,5000,1,0.01\n' >>"$TMP/s.csv"
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot curves "$TMP/s.csv" -o "$TMP/s.png" || return 1
    grep -q '^set logscale x$' "$TMP/s.gp" || fail "5000x is not log by default" || return 1
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot curves "$TMP/s.csv" --log none -o "$TMP/s.png" || return 1
    ! grep -q logscale "$TMP/s.gp" || fail "--log none" || return 1
    expect_exit 2 "$VMLAB" plot curves "$TMP/s.csv" --log z -o "$TMP/s.png" || return 1
    expect_exit 2 "$VMLAB" plot wss "$TMP/s.csv" --log x -o "$TMP/s.png"
}

# curves of a trace: vmlab mrc's CSV kept beside, the trace's name in the title.
t_plot_curves_of_a_trace() {
    "$VMLAB" gen zipf --pages 300 --length 20000 -o "$TMP/z.rw" || return 1
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot curves "$TMP/z.rw" -p lru,fifo -o "$TMP/t.png" || return 1
    "$VMLAB" mrc -p lru,fifo --output csv "$TMP/z.rw" >"$TMP/want.csv" || return 1
    cmp -s "$TMP/t.csv" "$TMP/want.csv" || fail "OUT.csv is not mrc's CSV" || return 1
    grep -q "^set title 'Fault curves: $TMP/z.rw'" "$TMP/t.gp" && grep -q "title 'fifo'" "$TMP/t.gp" &&
        grep -q '^set logscale x$' "$TMP/t.gp" || fail "script: $(grep 'title\|logscale' "$TMP/t.gp")" || return 1
    expect_exit 2 "$VMLAB" plot curves "$TMP/z.rw" -p nosuch -o "$TMP/t.png" || return 1
    expect_err "^vmlab: mrc: unknown policy 'nosuch'" || return 1
    expect_exit 2 "$VMLAB" plot curves "$TMP/want.csv" -p lru -o "$TMP/t.png" || return 1
    expect_err "-p is for curves of a trace, not of a CSV" || return 1
    expect_exit 2 "$VMLAB" plot wss "$TMP/z.rw" -p lru -o "$TMP/t.png"
}

t_plot_without_gnuplot() {
    "$VMLAB" gen seq --length 100 -o "$TMP/s.rw" || return 1
    VMLAB_GNUPLOT=/nonexistent/gnuplot expect_exit 1 "$VMLAB" plot addresses "$TMP/s.rw" -o "$TMP/s.png" || return 1
    expect_err "gnuplot not found.*render with: gnuplot .*s\.gp" || return 1
    [ -s "$TMP/s.gp" ] && [ "$(grep -vc '^#' "$TMP/s.dat")" -eq 100 ] || fail "no script or data" || return 1
    [ ! -e "$TMP/s.png" ] || fail "a PNG without gnuplot?"
}

# A policy with parameters has commas: quoted in the CSV, read back by plot.
t_csv_quoted_policy_round_trip() {
    "$VMLAB" gen belady --length 12 -o "$TMP/b.rw" || return 1
    expect_exit 0 "$VMLAB" mrc -p aging:bits=4,period=10,fifo --frames 3,4 --output csv -o "$TMP/q.csv" "$TMP/b.rw" || return 1
    grep -qx '"aging:bits=4,period=10",3,9,0.750000' "$TMP/q.csv" || fail "not quoted: $(cat "$TMP/q.csv")" || return 1
    VMLAB_GNUPLOT=/nonexistent expect_exit 1 "$VMLAB" plot curves "$TMP/q.csv" -o "$TMP/q.png" || return 1
    grep -q '^# aging:bits=4,period=10:' "$TMP/q.dat" && grep -q "title 'fifo'" "$TMP/q.gp" || fail "plot lost a curve"
}

t_plot_no_data() {
    : >"$TMP/empty.rw"
    expect_exit 1 "$VMLAB" plot addresses -F rw "$TMP/empty.rw" -o "$TMP/e.png" || return 1
    expect_err "no data to plot" || return 1
    printf 'policy,frames,page_faults,miss_ratio\n' >"$TMP/e.csv"
    expect_exit 1 "$VMLAB" plot curves "$TMP/e.csv" -o "$TMP/e.png" || return 1
    expect_err "no data to plot" || return 1
    [ ! -e "$TMP/e.dat" ] || fail "data file left for an empty plot" || return 1
    printf 'policy,frames,page_faults,miss_ratio\nlru,x,1,0.5\n' >"$TMP/b.csv"
    expect_exit 1 "$VMLAB" plot curves "$TMP/b.csv" -o "$TMP/b.png" || return 1
    expect_err "b.csv:2:" || return 1
    expect_exit 2 "$VMLAB" plot curves "$TMP/b.csv" -o "$TMP/b.jpg"
}

# Partitioned SHARDS: four jobs and a merge give exactly the one-process
# curve over every range (text and csv); a missing part, a bad file, refused.
t_shards_partitioned() {
    "$VMLAB" gen zipf --pages 20000 --length 200000 -o "$TMP/z.rw" || return 1
    for i in 0 1 2 3; do
        expect_exit 0 "$VMLAB" mrc -p lru --shards 0.1 --shards-part $i/4 -o "$TMP/p.$i" "$TMP/z.rw" || return 1
    done
    for fmt in text csv; do
        expect_exit 0 "$VMLAB" mrc --merge --output $fmt "$TMP/p.2" "$TMP/p.0" "$TMP/p.3" "$TMP/p.1" || return 1
        mv "$TMP/out" "$TMP/merged"
        expect_exit 0 "$VMLAB" mrc -p lru --shards 0.1 --shards-part all/4 --output $fmt "$TMP/z.rw" || return 1
        cmp -s "$TMP/out" "$TMP/merged" || fail "$fmt: merge differs: $(diff "$TMP/out" "$TMP/merged" | head -5)" || return 1
    done
    grep -q '^lru-shards,' "$TMP/out" || fail "no lru-shards rows" || return 1
    expect_exit 1 "$VMLAB" mrc --merge "$TMP/p.0" "$TMP/p.1" "$TMP/p.2" || return 1
    expect_err "3 partial results for a run split in 4 parts" || return 1
    sed 's/^sampled /sampled x/' "$TMP/p.1" >"$TMP/bad.part"
    expect_exit 1 "$VMLAB" mrc --merge "$TMP/p.0" "$TMP/bad.part" "$TMP/p.2" "$TMP/p.3" || return 1
    expect_err "bad.part:9:" || return 1
    expect_exit 2 "$VMLAB" mrc --shards-part 1/4 "$TMP/z.rw" || return 1
    expect_exit 2 "$VMLAB" mrc -p lru --shards 0.1 --shards-part 4/4 "$TMP/z.rw" || return 1
    expect_exit 2 "$VMLAB" mrc -p lru --shards-size 100 --shards-part 1/4 "$TMP/z.rw"
}

# A page-granular vmlab binary trace is read by keys: the same curves as
# its text form.
t_binary_keys_same_curves() {
    "$VMLAB" gen mix --pages 500 --length 30000 --seed 3 -o "$TMP/m.rw" || return 1
    "$VMLAB" convert --page-size 4096 -o "$TMP/m.vl" "$TMP/m.rw" || return 1
    expect_exit 0 "$VMLAB" mrc -p lru,opt --points all --output csv "$TMP/m.rw" || return 1
    mv "$TMP/out" "$TMP/text.csv"
    expect_exit 0 "$VMLAB" mrc -p lru,opt --points all --output csv "$TMP/m.vl" || return 1
    cmp -s "$TMP/out" "$TMP/text.csv" || fail "binary and text curves differ"
}

# SHARDS on a page-granular binary trace (read by keys: the sample decided
# once a key, a fixed rate's references fed with no hash) prints, byte for
# byte, the curves the reader before that fast path printed (the cksums
# below, taken with main at e526745; the fixed-size one since its distances
# are stretched by the known page count, shards.c), and the same as the
# text trace.
t_shards_keyed_golden() {
    "$VMLAB" gen zipf:alpha=0.9 --pages 20000 --length 300000 --seed 7 -o "$TMP/g.rw" || return 1
    "$VMLAB" convert --page-size 4096 -o "$TMP/g.vl" "$TMP/g.rw" || return 1
    while IFS='|' read -r mode sum; do
        for t in g.vl g.rw; do
            # shellcheck disable=SC2086
            expect_exit 0 "$VMLAB" mrc -p lru $mode --output csv "$TMP/$t" || return 1
            got=$(cksum <"$TMP/out")
            [ "$got" = "$sum" ] || { fail "$t, $mode: cksum $got, expected $sum"; return 1; }
        done
    done <<EOF
--shards 0.05|1838202484 5847
--shards 0.01|3266117748 5859
--shards-size 500|2846597690 5845
--shards 0.2 --shards-part all/4|522919361 5844
--shards 0.05 --seed 9|706029428 5847
EOF
}

run_tests
