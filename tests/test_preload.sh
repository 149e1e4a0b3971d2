#!/bin/sh
# SPDX-License-Identifier: MIT
# test_preload.sh - build/libvmlab-malloc.so under real programs, once per
# design, each compared with the same program on glibc's malloc: a
# multi-threaded stress test with fork, python3, git, gcc and sort.
#
# Every run sets VMLAB_MALLOC_STATS=FILE and checks that the program's summary
# line names the design and counts heap allocations: the program really ran
# on vmlab's allocator, not on glibc's.
. tests/lib.sh

BUILD=${BUILD:-build}
LIB=${VMLAB_MALLOC_LIB:-$BUILD/libvmlab-malloc.so}
# absolute: the git test preloads it from inside another directory
case $LIB in /*) ;; *) LIB=$(pwd)/$LIB ;; esac
PROGS=$BUILD/tests/malloc
DESIGNS="implicit-first implicit-next implicit-best implicit-worst explicit-lifo explicit-addr segfit segstore buddy adaptive hybrid"
# Designs whose search is linear in the number of blocks (the implicit list's
# fit; explicit-addr's free, which inserts in address order): a program with
# 10^5 live blocks takes minutes on them, so the heaviest workload runs on
# the others.
LINEAR="implicit-first implicit-best implicit-worst explicit-addr"
PY=$(command -v /usr/bin/python3 python3 2>/dev/null | head -1)

# ASan replaces malloc itself: a preloaded allocator cannot go under it.
preload_ok() {
    if grep -aq __asan_init "$VMLAB" 2>/dev/null; then
        skip "an ASan build: ASan owns malloc, so the preload library cannot be tested under it"
        return # 77, skip's status
    fi
    [ -f "$LIB" ] || { fail "$LIB is not built"; return 1; }
}

# vm DESIGN CMD...: run CMD on vmlab's allocator with DESIGN, stats appended
# to $TMP/stats.
vm() {
    d=$1; shift
    LD_PRELOAD=$LIB VMLAB_MALLOC=$d VMLAB_MALLOC_STATS=$TMP/stats "$@"
}

# used DESIGN MIN: the summary lines of DESIGN (one per process of the run)
# count at least MIN heap allocations in all.
used() {
    n=$(grep "design $1:" "$TMP/stats" 2>/dev/null |
        sed -n 's/.*: \([0-9]*\) heap allocations.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
    rm -f "$TMP/stats"
    [ "$n" -ge "$2" ] ||
        fail "$1: the program did not run on vmlab's allocator ($n heap allocations counted, expected >= $2)"
}

t_stress_threads_fork() {
    preload_ok || return
    "$PROGS/stress" 4 10000 >"$TMP/want" || fail "stress fails on glibc: $(cat "$TMP/want")" || return 1
    for d in $DESIGNS; do
        vm $d "$PROGS/stress" 4 10000 >"$TMP/got" 2>&1 || fail "$d: $(cat "$TMP/got")" || return 1
        cmp -s "$TMP/got" "$TMP/want" || fail "$d: $(cat "$TMP/got")" || return 1
        used $d 15000 || return 1
    done
}

t_every_entry_point() {
    # known.c calls each interposed function once (memalign, posix_memalign,
    # aligned_alloc, valloc, reallocarray, realloc(p, 0), a thread, fork)
    preload_ok || return
    for d in $DESIGNS; do
        vm $d "$PROGS/known" || fail "$d: known exited $?" || return 1
        # its 40 MiB blocks were mapped and resized with mremap
        grep -Eq "design $d: .* ([3-9]|[1-9][0-9]+) mapped blocks \(([2-9]|[1-9][0-9]+) mremaps\)" "$TMP/stats" ||
            fail "$d: large blocks not mapped and remapped: $(cat "$TMP/stats")" || return 1
        used $d 10 || return 1
    done
}

t_derived_entry_points_keep_glibcs_rules() {
    # alloc_api.c: memalign's rounding, EINVAL/ENOMEM, pvalloc(0), overflow;
    # under glibc, every design, and the record and leak-finder shims (one
    # header, src/base/alloc_api.h, for all three libraries)
    preload_ok || return
    "$PROGS/alloc_api" >"$TMP/want" 2>&1 || fail "alloc_api fails on glibc: $(cat "$TMP/want")" || return 1
    for d in $DESIGNS; do
        vm $d "$PROGS/alloc_api" >"$TMP/got" 2>&1 && cmp -s "$TMP/got" "$TMP/want" ||
            fail "$d: $(cat "$TMP/got")" || return 1
    done
    for shim in libvmlab-record.so libvmlab-gcleaks.so; do
        [ -f "$BUILD/$shim" ] || { fail "$BUILD/$shim is not built"; return 1; }
        LD_PRELOAD=$(pwd)/$BUILD/$shim "$PROGS/alloc_api" >"$TMP/got" 2>/dev/null &&
            cmp -s "$TMP/got" "$TMP/want" || fail "$shim: $(cat "$TMP/got")" || return 1
    done
}

t_python_workload() {
    preload_ok || return
    [ -n "$PY" ] || { skip "no python3"; return; }
    "$PY" tests/malloc/workload.py >"$TMP/want" || fail "python3 fails on glibc" || return 1
    for d in $DESIGNS; do
        vm $d "$PY" tests/malloc/workload.py >"$TMP/got" 2>"$TMP/err" ||
            fail "$d: python3 exited $?: $(head -c 300 "$TMP/err")" || return 1
        cmp -s "$TMP/got" "$TMP/want" || fail "$d: python3 printed $(cat "$TMP/got"), glibc $(cat "$TMP/want")" || return 1
        used $d 500 || return 1
    done
}

t_python_every_object_through_malloc() {
    # PYTHONMALLOC=malloc: no pymalloc arenas, ~10^6 mallocs of small objects
    preload_ok || return
    [ -n "$PY" ] || { skip "no python3"; return; }
    PYTHONMALLOC=malloc "$PY" tests/malloc/workload.py >"$TMP/want" || fail "python3 fails on glibc" || return 1
    for d in $DESIGNS; do
        case " $LINEAR " in *" $d "*) continue ;; esac
        PYTHONMALLOC=malloc vm $d "$PY" tests/malloc/workload.py >"$TMP/got" 2>"$TMP/err" ||
            fail "$d: python3 exited $?: $(head -c 300 "$TMP/err")" || return 1
        cmp -s "$TMP/got" "$TMP/want" || fail "$d: python3 printed $(cat "$TMP/got")" || return 1
        used $d 300000 || return 1
    done
}

# git_session DIR [vm DESIGN]: init, add, commit twice with fixed identity and
# dates (so the commit ids are reproducible), then print the log and a tree.
git_session() {
    dir=$1; shift
    rm -rf "$dir"
    mkdir -p "$dir" || return 1
    (
        cd "$dir" || exit 1
        export GIT_AUTHOR_NAME=vmlab GIT_AUTHOR_EMAIL=vmlab@example.org \
            GIT_COMMITTER_NAME=vmlab GIT_COMMITTER_EMAIL=vmlab@example.org \
            GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
            GIT_CONFIG_NOSYSTEM=1 HOME=$dir
        "$@" git init -q -b main . &&
            seq 1 3000 >numbers && printf 'hello\n' >a.txt && mkdir sub && seq 5 5 20000 >sub/b &&
            "$@" git add . && "$@" git commit -q -m "first commit" &&
            sed -i 's/7/seven/' numbers && printf 'more\n' >>a.txt &&
            "$@" git commit -q -a -m "second: edit both" &&
            "$@" git log --format='%H %s' &&
            "$@" git cat-file -p 'HEAD^{tree}' &&
            "$@" git diff --stat HEAD~1 HEAD
    )
}

t_git_init_add_commit() {
    preload_ok || return
    command -v git >/dev/null || { skip "no git"; return; }
    git_session "$TMP/g0" >"$TMP/want" 2>&1 || fail "git fails on glibc: $(cat "$TMP/want")" || return 1
    for d in $DESIGNS; do
        git_session "$TMP/g-$d" vm $d >"$TMP/got" 2>&1 || fail "$d: git failed: $(head -c 300 "$TMP/got")" || return 1
        cmp -s "$TMP/got" "$TMP/want" || fail "$d: git's output differs: $(diff "$TMP/want" "$TMP/got" | head -5)" || return 1
        used $d 100 || return 1
    done
}

t_gcc_compiles() {
    preload_ok || return
    command -v gcc >/dev/null || { skip "no gcc"; return; }
    # the program: a binary tree of 10^5 nodes, printing a checksum
    gcc -O2 -o "$TMP/ref" tests/malloc/tree.c || fail "gcc fails on glibc" || return 1
    "$TMP/ref" >"$TMP/want" || return 1
    for d in $DESIGNS; do
        vm $d gcc -O2 -o "$TMP/bin-$d" tests/malloc/tree.c 2>"$TMP/err" ||
            fail "$d: gcc failed: $(head -c 300 "$TMP/err")" || return 1
        used $d 1000 || return 1
        cmp -s "$TMP/bin-$d" "$TMP/ref" || fail "$d: gcc produced a different binary" || return 1
        "$TMP/bin-$d" >"$TMP/got" && cmp -s "$TMP/got" "$TMP/want" || fail "$d: the binary prints $(cat "$TMP/got")" || return 1
    done
}

# lines N: N pseudo-random lines "KEY line I".
lines() {
    awk -v n="$1" 'BEGIN { x = 1; for (i = 0; i < n; i++) { x = (x * 1103515245 + 12345) % 2147483648
                                                          print x % 1000003, "line", i } }'
}

t_sort_million_lines() {
    # GNU sort allocates its buffer once and sorts with two threads here: a
    # million lines on the default design, 200000 on every design
    preload_ok || return
    lines 1000000 >"$TMP/lines"
    want=$(LC_ALL=C sort "$TMP/lines" | cksum)
    got=$(LC_ALL=C vm segfit sort "$TMP/lines" | cksum)
    [ "$got" = "$want" ] || fail "segfit: sort output checksum $got, glibc $want" || return 1
    used segfit 5 || return 1
    lines 200000 >"$TMP/lines"
    want=$(LC_ALL=C sort -k1,1n -k3 "$TMP/lines" | cksum)
    for d in $DESIGNS; do
        got=$(LC_ALL=C vm $d sort -k1,1n -k3 "$TMP/lines" | cksum)
        [ "$got" = "$want" ] || fail "$d: sort output checksum $got, glibc $want" || return 1
        used $d 5 || return 1
    done
}

t_flags_catch_memory_errors() {
    # CS:APP 9.11: an overflow into the next block (canary), a write after
    # free (poison), a double free, each an abort with one clear line
    preload_ok || return
    for d in $DESIGNS; do
        VMLAB_MALLOC_FLAGS=canary,poison vm $d "$PROGS/bugs" clean 2>"$TMP/err" ||
            fail "$d: a correct program failed with the flags on: $(cat "$TMP/err")" || return 1
        for m in overflow:'heap overflow' uaf:'use after free' double:'double free'; do
            (VMLAB_MALLOC_FLAGS=canary,poison vm $d "$PROGS/bugs" ${m%%:*}) >"$TMP/out" 2>"$TMP/err"
            rc=$?
            [ $rc -eq 134 ] || fail "$d ${m%%:*}: exit $rc, expected 134 (SIGABRT): $(cat "$TMP/out" "$TMP/err")" || return 1
            grep -q "^vmlab malloc: .*${m#*:}" "$TMP/err" || fail "$d ${m%%:*}: stderr $(cat "$TMP/err")" || return 1
        done
    done
    rm -f "$TMP/stats"
    LD_PRELOAD=$LIB VMLAB_MALLOC_FLAGS=canary,psion env true 2>"$TMP/err"
    [ $? -eq 127 ] && grep -q "VMLAB_MALLOC_FLAGS=psion: unknown flag" "$TMP/err" || fail "bad flag: $(cat "$TMP/err")"
}

t_unknown_design_is_clear() {
    preload_ok || return
    LD_PRELOAD=$LIB VMLAB_MALLOC=first-fit env true 2>"$TMP/err"
    rc=$?
    [ $rc -eq 127 ] || fail "exit $rc, expected 127" || return 1
    grep -q "^vmlab malloc: VMLAB_MALLOC=first-fit: unknown design (expected implicit-first," "$TMP/err" ||
        fail "stderr: $(cat "$TMP/err")"
}

t_quiet_without_stats() {
    preload_ok || return
    LD_PRELOAD=$LIB "$PROGS/known" 2>"$TMP/err" || fail "known exited $?" || return 1
    [ ! -s "$TMP/err" ] || fail "output on stderr without VMLAB_MALLOC_STATS: $(cat "$TMP/err")"
}

# Issue 18: the thread caches keep the checks.  A block in a thread's cache
# is still allocated to the design, so the design's own double-free check
# cannot see a second free: the cache key must (also when another thread,
# still running, holds the block), and with the flags every free is vetted
# by the core and a cached block's payload poisoned.
t_checks_fire_on_cached_blocks() {
    preload_ok || return
    for d in $DESIGNS; do
        for f in "" canary,poison; do
            for m in thread-double:'double free' double-realloc:'double free' double:'double free' \
                interior:'invalid pointer'; do
                (VMLAB_MALLOC_FLAGS=$f vm $d "$PROGS/bugs" ${m%%:*}) >"$TMP/out" 2>"$TMP/err"
                rc=$?
                [ $rc -eq 134 ] || fail "$d [$f] ${m%%:*}: exit $rc, expected 134: $(cat "$TMP/out" "$TMP/err")" || return 1
                grep -q "^vmlab malloc: [a-z]*(): ${m#*:}" "$TMP/err" || fail "$d [$f] ${m%%:*}: $(cat "$TMP/err")" || return 1
            done
        done
        for m in cached-overflow:'heap overflow' uaf:'use after free' uaf-head:'use after free'; do
            (VMLAB_MALLOC_FLAGS=canary,poison vm $d "$PROGS/bugs" ${m%%:*}) >"$TMP/out" 2>"$TMP/err"
            rc=$?
            [ $rc -eq 134 ] || fail "$d ${m%%:*}: exit $rc, expected 134: $(cat "$TMP/out" "$TMP/err")" || return 1
            grep -q "^vmlab malloc: .*${m#*:}" "$TMP/err" || fail "$d ${m%%:*}: $(cat "$TMP/err")" || return 1
        done
    done
    rm -f "$TMP/stats"
}

# hybrid's headerless slab objects in the thread caches, without the debug
# flags (with them, every bugs mode above runs on slab objects already:
# hybrid opens a class's first slab at once there).  Each error on a slab
# object (bugs.c checks the block has no header: exit 3 otherwise) aborts
# with the core's message, with the caches on and off: a second free of an
# object still cached, of one a thread's exit gave back to its slab (the
# free bit in the slab's map, read without the lock), of an interior
# pointer, realloc of a freed one, and a free from another thread.
t_hybrid_slab_objects_in_caches() {
    preload_ok || return
    for c in 1 0; do
        for m in double:'double free' thread-double:'double free' exit-double:'double free' \
            double-realloc:'double free' interior-small:'invalid pointer'; do
            (VMLAB_MALLOC_CACHE=$c vm hybrid "$PROGS/bugs" slab-${m%%:*}) >"$TMP/out" 2>"$TMP/err"
            rc=$?
            [ $rc -eq 134 ] || fail "cache $c slab-${m%%:*}: exit $rc, expected 134: $(cat "$TMP/out" "$TMP/err")" || return 1
            grep -q "^vmlab malloc: [a-z]*(): ${m#*:}" "$TMP/err" || fail "cache $c slab-${m%%:*}: $(cat "$TMP/err")" || return 1
        done
        VMLAB_MALLOC_CACHE=$c vm hybrid "$PROGS/bugs" slab-clean >"$TMP/out" 2>"$TMP/err" ||
            fail "cache $c slab-clean: exit $?: $(cat "$TMP/out" "$TMP/err")" || return 1
    done
    rm -f "$TMP/stats"
}

# The threaded stress test (remote frees, fork) with the caches off (the bare
# design) and with the debug mode's checked caches; the summary line says
# which.
t_stress_cache_off_and_checked() {
    preload_ok || return
    "$PROGS/stress" 4 4000 >"$TMP/want" || return 1
    for d in segfit buddy segstore explicit-lifo implicit-next adaptive hybrid; do
        VMLAB_MALLOC_CACHE=0 vm $d "$PROGS/stress" 4 4000 >"$TMP/got" 2>&1 || fail "$d, no cache: $(cat "$TMP/got")" || return 1
        cmp -s "$TMP/got" "$TMP/want" || fail "$d, no cache: $(cat "$TMP/got")" || return 1
        grep -q "design $d: .*; thread caches off;" "$TMP/stats" || fail "$d: caches not off: $(cat "$TMP/stats")" || return 1
        used $d 6000 || return 1
        VMLAB_MALLOC_FLAGS=canary,poison vm $d "$PROGS/stress" 4 4000 >"$TMP/got" 2>&1 || fail "$d, flags: $(cat "$TMP/got")" || return 1
        cmp -s "$TMP/got" "$TMP/want" || fail "$d, flags: $(cat "$TMP/got")" || return 1
        grep -q "design $d: .*; thread caches on;" "$TMP/stats" || fail "$d: caches not on: $(cat "$TMP/stats")" || return 1
        used $d 6000 || return 1
    done
    # hybrid's slab objects have no header, yet the caches serve them (the
    # design's headerless_size op): caches on without flags too
    vm hybrid "$PROGS/stress" 4 4000 >"$TMP/got" 2>&1 || fail "hybrid: $(cat "$TMP/got")" || return 1
    cmp -s "$TMP/got" "$TMP/want" || fail "hybrid: $(cat "$TMP/got")" || return 1
    grep -q "design hybrid: .*; thread caches on;" "$TMP/stats" || fail "hybrid: caches not on: $(cat "$TMP/stats")" || return 1
    used hybrid 6000 || return 1
    LD_PRELOAD=$LIB VMLAB_MALLOC_CACHE=yes env true 2>"$TMP/err"
    [ $? -eq 127 ] && grep -q "^vmlab malloc: VMLAB_MALLOC_CACHE=yes: unknown value (expected 1" "$TMP/err" ||
        fail "bad VMLAB_MALLOC_CACHE: $(cat "$TMP/err")"
}

# Issue 18: a program that frees most of its heap sees its resident set fall
# (tests/malloc/rss.c: 64 MiB of blocks, all but every 64th freed, half of
# them by a second thread whose cache its exit flushes).  segstore never
# coalesces, so no free block spans a page: it keeps its memory; the linear
# designs take minutes on 3 * 10^4 blocks.
t_freed_memory_goes_back() {
    preload_ok || return
    for d in segfit buddy explicit-lifo implicit-next adaptive hybrid; do
        vm $d "$PROGS/rss" 64 >"$TMP/got" 2>"$TMP/err" || fail "$d: rss exited $?: $(cat "$TMP/err")" || return 1
        peak=$(sed -n 's/.*peak_kib=\([0-9]*\).*/\1/p' "$TMP/got")
        after=$(sed -n 's/.*after_kib=\([0-9]*\).*/\1/p' "$TMP/got")
        [ -n "$peak" ] && [ -n "$after" ] && [ "$peak" -gt 60000 ] && [ $((after * 2)) -lt "$peak" ] ||
            fail "$d: resident set did not fall: $(cat "$TMP/got") $(cat "$TMP/stats")" || return 1
        grep -Eq "design $d: .*; [1-9][0-9]* trims released [1-9][0-9]* KiB" "$TMP/stats" ||
            fail "$d: no trim counted: $(cat "$TMP/stats")" || return 1
        used $d 10000 || return 1
    done
    # With the heap poisoned nothing may be dropped (the poison is checked).
    VMLAB_MALLOC_FLAGS=poison vm segfit "$PROGS/rss" 48 >"$TMP/got" 2>"$TMP/err" || fail "poison: $(cat "$TMP/err")" || return 1
    grep -q "; 0 trims released 0 KiB" "$TMP/stats" || fail "trimmed under poison: $(cat "$TMP/stats")"
    rm -f "$TMP/stats"
}

# A block that realloc grows by small steps to 600 KiB, a small block
# allocated and freed between the steps, the whole freed and grown again
# (malloc-lab's realloc-bal, replayed 1500 times): the heap must not grow
# with the repetitions.  A refill used to park blocks just below the
# growing block at the heap's top, which then grew the heap under it by its
# whole growth every time (segfit: 134 MiB after these 1500 repetitions,
# explicit-lifo 235 MiB; now 1.1 and 1.6 MiB).
t_regrown_block_keeps_the_heap_small() {
    preload_ok || return
    src=$SHARED/bench/replay.c trace=$SHARED/data/malloclab/realloc-bal.rep
    [ -f "$src" ] && [ -f "$trace" ] || { skip "no $src or $trace"; return; }
    command -v cc >/dev/null || { skip "no cc"; return; }
    cc -O2 -o "$TMP/replay" "$src" || fail "replay.c does not build" || return 1
    for d in segfit explicit-lifo adaptive hybrid; do
        vm $d "$TMP/replay" -s 1 -r 1500 "$trace" >"$TMP/got" 2>&1 || fail "$d: $(cat "$TMP/got")" || return 1
        kib=$(sed -n 's/.*; heap \([0-9]*\) KiB.*/\1/p' "$TMP/stats")
        [ -n "$kib" ] && [ "$kib" -lt 8192 ] || fail "$d: the heap grew: $(cat "$TMP/stats")" || return 1
        used $d 1000 || return 1
    done
}

run_tests
