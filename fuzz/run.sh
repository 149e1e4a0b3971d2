#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh [SECONDS] - build every fuzz/fuzz_*.c with libFuzzer + ASan + UBSan
# (clang) and run each for SECONDS (default 30; fuzz_trace, the widest
# target, twice as long).  A crash, leak or failed check fails the run
# (exit 1), with the reproducer in build/fuzz/crash-* and the log's tail.
#
# Corpora: each target starts from fuzz/seeds/NAME (hand-made inputs, and
# every crash ever found: they stay as regression inputs) plus
# fuzz/corpus/NAME (what earlier runs found, kept in the repository so that
# each run starts where the last ended).  After a clean run the corpus is
# merged back, minimized (-merge=1 keeps the smallest set of inputs with the
# same coverage) and capped at FUZZ_MAX_LEN bytes an input, so the directory
# stays small (docs/reliability.md); commit fuzz/corpus to keep the gain.
# FUZZ_SAVE=0 leaves fuzz/corpus alone.
set -eu
secs=${1:-30}
save=${FUZZ_SAVE:-1}
command -v clang >/dev/null || { echo "fuzz: clang not installed, skipped"; exit 0; }
make -s BUILD=build/fuzz CC=clang OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
    build/fuzz/libvmlab.a
status=0
for src in fuzz/fuzz_*.c; do
    [ -f "$src" ] || continue
    name=$(basename "$src" .c)
    clang -std=gnu11 -O1 -g -D_GNU_SOURCE -Iinclude -Isrc -fsanitize=fuzzer,address,undefined \
        "$src" build/fuzz/libvmlab.a -lz -lm -lpthread $(pkg-config --libs libzstd 2>/dev/null || true) \
        -o "build/fuzz/$name"
    work="build/fuzz/corpus-$name"
    rm -rf "$work"
    mkdir -p "$work" "fuzz/corpus/$name"
    for d in "fuzz/seeds/$name" "fuzz/corpus/$name"; do
        [ -d "$d" ] && cp "$d"/* "$work"/ 2>/dev/null || true
    done
    t=$secs
    [ "$name" = fuzz_trace ] && t=$((secs * 2))
    echo "== $name: ${t}s from $(ls "$work" | wc -l) inputs"
    if ! "build/fuzz/$name" -max_total_time="$t" -rss_limit_mb=2048 -timeout=30 \
        -max_len="${FUZZ_MAX_LEN:-4096}" -artifact_prefix="build/fuzz/" "$work" \
        >"build/fuzz/$name.log" 2>&1; then
        tail -n 30 "build/fuzz/$name.log"
        status=1
        continue
    fi
    tail -n 1 "build/fuzz/$name.log"
    if [ "$save" = 1 ]; then
        new="build/fuzz/merged-$name"
        rm -rf "$new"
        mkdir -p "$new"
        # the seeds are always there: the corpus keeps only what they lack
        if "build/fuzz/$name" -merge=1 -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-4096}" \
            "$new" "fuzz/seeds/$name" >/dev/null 2>&1 &&
            "build/fuzz/$name" -merge=1 -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-4096}" \
                "$new" "$work" >"build/fuzz/$name.merge.log" 2>&1; then
            for f in fuzz/seeds/"$name"/*; do
                rm -f "$new/$(sha1sum <"$f" | cut -c1-40)"
            done
            rm -rf "fuzz/corpus/$name"
            mkdir -p "fuzz/corpus/$name"
            cp "$new"/* "fuzz/corpus/$name"/ 2>/dev/null || true
            echo "   corpus: $(ls "fuzz/corpus/$name" | wc -l) inputs, $(cat "fuzz/corpus/$name"/* 2>/dev/null | wc -c) bytes"
        fi
    fi
done
exit $status
