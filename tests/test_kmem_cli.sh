#!/bin/sh
# SPDX-License-Identifier: MIT
# test_kmem_cli.sh - `vmlab kmem` and `vmlab slabtop` on the command line:
# buddyinfo after a known scenario (worked by hand), JSON keys of the
# contract, --real on this machine and on given copies, bad input.
. tests/lib.sh

t_buddyinfo_known_sequence() {
    # 64 MiB x86_64: DMA 4 order-10 blocks, DMA32 12.  An order-3 block splits
    # the first DMA32 block: one free block of each order 3..9 and 11 of order 10.
    printf 'pages 3 1\nreport buddyinfo\nfree_pages 3 1\nreport buddyinfo\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" kmem --mem 64M "$TMP/s" || return 1
    cat >"$TMP/want" <<'W'
Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      4 
Node 0, zone    DMA32      0      0      0      1      1      1      1      1      1      1     11 

Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      4 
Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      0     12 

W
    cmp -s "$TMP/out" "$TMP/want" || fail "buddyinfo differs: $(diff "$TMP/want" "$TMP/out")"
}

t_fragindex_all_free() {
    printf 'report fragindex\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" kmem --mem 64M "$TMP/s" || return 1
    grep -q '^Node 0, zone    DMA32 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 $' "$TMP/out" ||
        fail "extfrag of all-free memory is not -1.000: $(cat "$TMP/out")"
    grep -q '^Node 0, zone    DMA32 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 $' "$TMP/out" ||
        fail "unusable index of all-free memory is not 0.000"
}

t_json_contract() {
    printf 'cache foo 200\nalloc foo 100\nreport slabinfo\nreport fragindex\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" kmem --mem 64M --cpus 2 --output json "$TMP/s" || return 1
    head -n 1 "$TMP/out" | grep -q '"name":"foo","active_objs":100,"num_objs":100,"objsize":200,"objperslab":20,"pagesperslab":1,"active_slabs":5,"num_slabs":5' ||
        fail "slabinfo JSON: $(head -c 300 "$TMP/out")"
    sed -n 2p "$TMP/out" | grep -q '"zone":"DMA32","extfrag":\[-1000,-1000,-1000,-1000,-1000,-1000,-1000,-1000,-1000,-1000,-1000\],"unusable":\[0,0,0,0,0,0,0,0,0,0,0\]' ||
        fail "fragindex JSON: $(sed -n 2p "$TMP/out")"
    if command -v python3 >/dev/null; then
        python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/out" || fail "not JSON lines"
    fi
}

t_slabinfo_format() {
    printf 'workload fork 2000\nreport slabinfo\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" kmem --mem 256M --cpus 2 "$TMP/s" || return 1
    head -n 1 "$TMP/out" | grep -qx 'slabinfo - version: 2.1' || fail "header"
    grep -Eq '^task_struct +[0-9]+ +[0-9]+ +4288    7    8 : tunables    0    0    0 : slabdata +[0-9]+ +[0-9]+      0$' "$TMP/out" ||
        fail "task_struct line: $(grep task_struct "$TMP/out")"
    grep -Eq '^mm_struct +[0-9]+ +[0-9]+ +1600   20    8 ' "$TMP/out" || fail "mm_struct line"
    grep -Eq '^vm_area_struct +[0-9]+ +[0-9]+ +192   21    1 ' "$TMP/out" || fail "vm_area_struct line"
}

t_contig_kmalloc_vs_vmalloc() {
    printf 'workload fragment 2000\nkmalloc 16384 1\nvmalloc 65536\nreport contig\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" kmem --mem 64M "$TMP/s" || return 1
    grep -q '^kmalloc .* (1 run of contiguous frames)$' "$TMP/out" || fail "kmalloc not contiguous: $(cat "$TMP/out")"
    grep -Eq '^vmalloc +16 pages .*\(([2-9]|1[0-6]) runs of contiguous frames\)$' "$TMP/out" ||
        fail "vmalloc not scattered: $(cat "$TMP/out")"
}

t_watermark_failure_reported() {
    printf 'pages 0 20000\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" kmem --mem 64M "$TMP/s" || return 1
    grep -q 'failed (every allowed zone at its watermark)' "$TMP/out" || fail "no failure line: $(cat "$TMP/out")"
}

t_bad_scenario_lines() {
    printf 'cache a 100\n\nbogus 1\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" kmem "$TMP/s" || return 1
    expect_err "^vmlab: $TMP/s:3: unknown operation 'bogus' \(expected" || return 1
    [ ! -s "$TMP/out" ] || fail "output written despite the error"
    printf 'pages 11 1\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" kmem "$TMP/s" || return 1
    expect_err "s:1: order '11' is out of range \(expected 0..10\)" || return 1
    printf 'cache big 5000000\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" kmem "$TMP/s" || return 1
    expect_err "s:1: object size '5000000' is out of range" || return 1
    printf 'alloc nosuch 1\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" kmem "$TMP/s" || return 1
    expect_err "s:1: no cache named 'nosuch'" || return 1
    printf 'cache a 64\nalloc a 2\nreport slabinfo\ndestroy a\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" kmem "$TMP/s" || return 1
    expect_err "s:4: kmem_cache_destroy a: Slab cache still has objects" || return 1
    [ ! -s "$TMP/out" ] || fail "half-written output"
}

t_debug_double_free_named() {
    # kfree a size class more than once is refused by the runner; a double
    # free inside the allocator needs the C API (tests/test_kmem.c)
    printf 'kmalloc 100 2\nkfree 100 3\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" kmem --debug "$TMP/s" || return 1
    expect_err "s:2: kfree 100 3: only 2 objects" || return 1
}

t_usage_errors() {
    expect_exit 2 "$VMLAB" kmem --mem 4M - </dev/null || return 1
    expect_err "out of range" || return 1
    expect_exit 2 "$VMLAB" kmem --mem 10M - </dev/null || return 1
    expect_err "not a multiple of 4M" || return 1
    expect_exit 2 "$VMLAB" kmem --mem 8M --nodes 2 - </dev/null || return 1
    expect_err "too small for 2 node" || return 1
    expect_exit 2 "$VMLAB" kmem --arch sparc - </dev/null || return 1
    expect_exit 2 "$VMLAB" kmem --arch i386 --mem 8G - </dev/null || return 1
    expect_exit 2 "$VMLAB" kmem || return 1
}

t_i386_highmem_zones() {
    printf 'pages 0 1 GFP_HIGHUSER\nreport buddyinfo\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" kmem --arch i386 --mem 1G "$TMP/s" || return 1
    grep -q 'zone  HighMem' "$TMP/out" && grep -q 'zone   Normal' "$TMP/out" || fail "zones: $(cat "$TMP/out")"
}

t_real_this_machine() {
    [ -r /proc/buddyinfo ] || { skip "no /proc/buddyinfo"; return; }
    expect_exit 0 "$VMLAB" kmem --real --buddyinfo /proc/buddyinfo || return 1
    n=$(wc -l </proc/buddyinfo)
    [ "$(grep -c '^Node' "$TMP/out")" -eq $((n * 3)) ] || fail "not every buddyinfo line reported 3 times"
    if [ -r /proc/slabinfo ]; then
        cp /proc/slabinfo "$TMP/si"
        expect_exit 0 "$VMLAB" kmem --real --slabinfo "$TMP/si" --output json || return 1
        m=$(($(wc -l <"$TMP/si") - 2))
        got=$(grep -o '"name":' "$TMP/out" | wc -l)
        [ "$got" -eq "$m" ] || fail "$got caches parsed of $m"
    fi
}

t_real_given_copies() {
    cat >"$TMP/bi" <<'B'
Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      1 
Node 0, zone   Normal      4      0      0      0      0      0      0      0      0      0      0 
B
    expect_exit 0 "$VMLAB" kmem --real --buddyinfo "$TMP/bi" || return 1
    grep -q '^Node 0, zone   Normal -1.000  0.250  0.500  0.625  0.688  0.719  0.735  0.743  0.747  0.749  0.750 $' "$TMP/out" ||
        fail "extfrag: $(grep Normal "$TMP/out")"
    printf 'Node 0, zone Normal 1 2 three\n' >"$TMP/bad"
    expect_exit 1 "$VMLAB" kmem --real --buddyinfo "$TMP/bad" || return 1
    expect_err "bad:1: bad free count 'three' for order 2" || return 1
}

t_slabtop_once() {
    expect_exit 0 "$VMLAB" slabtop -o --workload dentry --cpus 2 || return 1
    head -n 1 "$TMP/out" | grep -Eq '^ Active / Total Objects \(% used\)    : [0-9]+ / [0-9]+ \([0-9.]+%\)$' || fail "summary: $(head -n 1 "$TMP/out")"
    grep -q '^  OBJS ACTIVE  USE OBJ SIZE  SLABS OBJ/SLAB CACHE SIZE NAME' "$TMP/out" || fail "columns"
    grep -Eq '^ +[0-9]+ +[0-9]+ +[0-9]+% +0\.19K +[0-9]+ +21 +[0-9]+K dentry' "$TMP/out" || fail "dentry row: $(grep dentry "$TMP/out")"
}

t_slabtop_matches_procps() {
    command -v slabtop >/dev/null || { skip "no procps slabtop"; return; }
    [ -r /proc/slabinfo ] || { skip "no /proc/slabinfo"; return; }
    # the same header and columns as procps-ng slabtop, on this machine
    slabtop -o | sed -n 7p >"$TMP/theirs"
    expect_exit 0 "$VMLAB" slabtop -o --real || return 1
    sed -n 7p "$TMP/out" >"$TMP/ours"
    cmp -s "$TMP/theirs" "$TMP/ours" || fail "column header differs: '$(cat "$TMP/ours")' vs '$(cat "$TMP/theirs")'"
}

t_plot_files() {
    printf 'pages 0 10\nworkload fragment 500\nvmalloc 20000\n' >"$TMP/s"
    expect_exit 0 "$VMLAB" kmem --mem 16M --plot "$TMP/p" "$TMP/s" || return 1
    [ "$(wc -l <"$TMP/p-buddy.dat")" -eq 4 ] || fail "not one sample per line plus the start"
    # the first sample: 16 MiB all free in 4 order-10 blocks
    head -n 1 "$TMP/p-buddy.dat" | grep -qx '0 0 0 0 0 0 0 0 0 0 0 4096' || fail "first sample: $(head -n 1 "$TMP/p-buddy.dat")"
    [ "$(wc -l <"$TMP/p-map.dat")" -eq 4096 ] || fail "map is not one line per frame"
    grep -q ' 3$' "$TMP/p-map.dat" || fail "no vmalloc frame in the map"
    if command -v gnuplot >/dev/null; then
        (cd "$TMP" && gnuplot p-buddy.gp && gnuplot p-map.gp) 2>"$TMP/gp.err" || fail "gnuplot: $(cat "$TMP/gp.err")"
    fi
    printf 'bogus\n' >"$TMP/s"
    expect_exit 1 "$VMLAB" kmem --plot "$TMP/q" "$TMP/s" || return 1
    [ ! -e "$TMP/q-buddy.dat" ] || fail "a failed run left plot files"
}

run_tests
