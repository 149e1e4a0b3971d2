#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check-all.sh - `make kernel-check`: every guest test of the kernel lab,
# one QEMU boot each; the last line is "kernel: N passed, N failed" and the
# exit status is 1 when any failed.  Each test's JSON goes to
# build/kernel/results/NAME.json.
VMLAB=${VMLAB:-build/vmlab}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/build/kernel/results"
pass=0 failn=0 failed=""
for t in $("$VMLAB" kernel run --list | awk '{print $1}'); do
    start=$(date +%s)
    if "$VMLAB" kernel run "$t" --output json >"$top/build/kernel/results/$t.json"; then
        pass=$((pass + 1)); r=ok
    else
        failn=$((failn + 1)); r=FAIL; failed="$failed $t"
    fi
    echo "$r $t ($(( $(date +%s) - start )) s)"
done
[ -z "$failed" ] || echo "failed:$failed"
echo "kernel: $pass passed, $failn failed"
[ $failn -eq 0 ]
