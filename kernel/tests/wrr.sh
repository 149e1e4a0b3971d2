#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test: SCHED_WRR: system calls, weighted shares, RT > WRR > CFS, the factorisation program at weights 1..20, balancing, fork storm, idle balancing
#
# Runs /lab/bin/wrr's workloads one after another (see kernel/guest/wrr.c
# for each check and its tolerance) and gathers their figures into the
# test's JSON: per-CPU total weights sampled every 250 ms while the
# balancer works, each task's CPU time and weight, the factoriser's times.
TEST=wrr
. /lab/lib.sh

cat /proc/wrr_info
figures=""
for step in "syscalls" "share 6" "preempt 2" "factor 20" "balance 8 16" "mixed 8" "storm 200" "idle 4"; do
    echo "== wrr $step"
    wrr $step >/tmp/wrr.out 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
            "ok   "*) n=${line#ok   }; pass "${n%%: *}" "${n#*: }" ;;
            "FAIL "*) n=${line#FAIL }; fail "${n%%: *}" "${n#*: }" ;;
            "JSON {}") ;;
            "JSON {"*) j=${line#JSON \{}; figures="$figures${figures:+,}${j%\}}" ;;
            *) echo "$line" ;;
        esac
    done </tmp/wrr.out
    [ $rc -le 1 ] || fail "wrr $step" "exit status $rc"
done
json_raw results "{$figures}"
finish
