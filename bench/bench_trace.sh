#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_trace.sh - how fast vmlab reads traces (src/trace/), per format.
#
# Builds its inputs: gen_trace (../shared/bench/gen_trace.c) writes the zipf
# benchmark trace `gen_trace zipf 10000000 1000000 1.0 42` as one decimal id a
# line (the pages format); `vmlab convert` turns it into rw text and vmlab's
# binary format; gzip -1 and zstd -1 (when installed) compress the rw text.  bench/trace_read.c then reads
# each through trace_read() in batches of 4096, as a simulator does, and
# prints median M refs/s over CPU time (stable on a shared machine) and wall
# time, beside fgets()+strtoull() over the same pages text as the reference.
# Environment: BUILD (absolute build dir), VMLAB, SHARED; REPEAT (default 5).
set -eu
BUILD=${BUILD:-$(pwd)/build}
VMLAB=${VMLAB:-$BUILD/vmlab}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
REPEAT=${REPEAT:-5}
out=bench/out/trace
mkdir -p "$out"

[ -x "$out/gen_trace" ] || gcc -O2 "$SHARED/bench/gen_trace.c" -lm -o "$out/gen_trace"
zstd_lib=$(printf 'int main(void){return 0;}' | gcc -x c - -o /dev/null -lzstd 2>/dev/null && echo -lzstd || true)
gcc -O2 -Iinclude bench/trace_read.c "$BUILD/libvmlab.a" -lz $zstd_lib -lm -o "$out/trace_read"

if [ ! -s "$out/zipf.txt" ]; then
    (cd "$out" && ./gen_trace zipf 10000000 1000000 1.0 42 zipf >/dev/null && rm -f zipf.oracleGeneral.bin)
fi
[ -s "$out/zipf.rw" ] || "$VMLAB" convert -F pages --to rw -o "$out/zipf.rw" "$out/zipf.txt"
# version: byte 8 of a vmlab binary trace (a file from before keys is rebuilt)
ver() { od -An -tu1 -j8 -N1 "$1" 2>/dev/null | tr -d ' '; }
[ "$(ver "$out/zipf.vmt")" = 2 ] || "$VMLAB" convert -F pages -o "$out/zipf.vmt" "$out/zipf.txt"
[ -s "$out/zipf.rw.gz" ] || gzip -1 -c "$out/zipf.rw" >"$out/zipf.rw.gz"
have_zstd=
if command -v zstd >/dev/null && [ -n "$zstd_lib" ]; then
    have_zstd=1
    [ -s "$out/zipf.rw.zst" ] || zstd -q -1 -c "$out/zipf.rw" >"$out/zipf.rw.zst"
fi
[ -s "$out/bzip.rw" ] || gzip -dc "$SHARED/data/traces/bzip.trace.gz" >"$out/bzip.rw"
[ "$(ver "$out/bzip.vmt")" = 2 ] || "$VMLAB" convert -o "$out/bzip.vmt" "$SHARED/data/traces/bzip.trace.gz"

echo "trace reading, zipf 10M references (sizes: rw $(wc -c <"$out/zipf.rw"), binary $(wc -c <"$out/zipf.vmt") bytes)"
R="$out/trace_read"
$R stdio "$out/zipf.txt" "$REPEAT"
$R pages "$out/zipf.txt" "$REPEAT"
$R rw "$out/zipf.rw" "$REPEAT"
$R rw "$out/zipf.rw.gz" "$REPEAT"
[ -z "$have_zstd" ] || $R rw "$out/zipf.rw.zst" "$REPEAT"
$R vmlab "$out/zipf.vmt" "$REPEAT"
$R keys "$out/zipf.vmt" "$REPEAT"
echo "real trace: bzip.trace (1M references, rw), plain, gzip'd and binary"
$R rw "$out/bzip.rw" "$REPEAT"
$R rw "$SHARED/data/traces/bzip.trace.gz" "$REPEAT"
$R vmlab "$out/bzip.vmt" "$REPEAT"
$R keys "$out/bzip.vmt" "$REPEAT"
