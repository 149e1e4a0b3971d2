#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test: print a process's page-table walk (pgd, p4d, pud, pmd, pte) and check it against /proc/PID/pagemap
#
# hello keeps a string in .data, reports its address and the frame
# /proc/self/pagemap gives; ptdump.ko walks the same address.  Checks: all
# five levels printed, the upper levels present, writable and user, the
# PTE's frame equal to pagemap's, the physical address = frame * 4096 +
# offset, the PTE dirty (the program wrote the string).  A second address
# that is not mapped must stop the walk early.
TEST=ptdump
. /lab/lib.sh

rm -f /tmp/info
hello data /tmp/info >/tmp/out 2>&1 &
hp=$!
wait_file /tmp/info || { fail start "hello did not start"; finish; exit 1; }
read pid addr pfn </tmp/info
dmesg -c >/dev/null
insmod $M/ptdump.ko pid=$pid addr=$addr && rmmod ptdump
dmesg | sed -n 's/^\(\[[ 0-9.]*\] \)\{0,1\}ptdump: //p' >/tmp/walk
cat /tmp/walk
for lv in pgd p4d pud pmd pte; do
    line=$(grep "^$lv " /tmp/walk)
    expect "$lv printed" "$line" [ -n "$line" ]
    case $lv in pte) ;; *)
        expect "$lv present, writable, user" "$line" \
            sh -c "echo '$line' | grep -q ' P RW US'" ;;
    esac
done
pte=$(grep '^pte ' /tmp/walk)
ptepfn=$(echo "$pte" | awk '{print $7}')
expect "pte pfn = pagemap pfn" "walk $ptepfn, pagemap $pfn" [ $((ptepfn)) -eq $((pfn)) -a $((pfn)) -ne 0 ]
expect "pte dirty" "$pte" sh -c "echo '$pte' | grep -q ' D'"
phys=$(sed -n 's/^phys //p' /tmp/walk)
expect "phys = pfn * 4096 + offset" "phys $phys, pfn $pfn, va $addr" \
    [ $((phys)) -eq $(( (pfn << 12) | (addr & 4095) )) ]
json_str va "$addr"
json_str pagemap_pfn "$pfn"
json_str walk_pfn "$ptepfn"
# An address nothing maps: the walk stops above the PTE, or at a PTE that is none.
dmesg -c >/dev/null
insmod $M/ptdump.ko pid=$pid addr=0x100000000000 && rmmod ptdump
stop=$(dmesg | sed -n 's/^\(\[[ 0-9.]*\] \)\{0,1\}ptdump: stop //p')
expect "unmapped address stops early" "stop: $stop" [ -n "$stop" ]
kill -USR1 $pid
wait $hp
finish
