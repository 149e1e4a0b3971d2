#!/bin/sh
# run.sh SECONDS - build every fuzz/fuzz_*.c with libFuzzer + ASan + UBSan
# (clang) and run each for SECONDS (default 20).  Each target links the
# library sources it needs from build/fuzz/libvmlab.a.  A crash fails CI.
set -eu
secs=${1:-20}
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
    corpus="build/fuzz/corpus-$name"
    mkdir -p "$corpus"
    [ -d "fuzz/seeds/$name" ] && cp -n fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null || true
    echo "== $name: ${secs}s"
    if ! "build/fuzz/$name" -max_total_time="$secs" -rss_limit_mb=2048 -artifact_prefix="build/fuzz/" \
        "$corpus" >"build/fuzz/$name.log" 2>&1; then
        tail -n 30 "build/fuzz/$name.log"
        status=1
    else
        tail -n 1 "build/fuzz/$name.log"
    fi
done
exit $status
