#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test: print a process's page-table walk (pgd, p4d, pud, pmd, pte), check it against /proc/PID/pagemap, walk a known mapping for vmlab mm
#
# hello keeps a string in .data, reports its address and the frame
# /proc/self/pagemap gives; ptdump.ko walks the same address.  Checks: all
# five levels printed, the upper levels present, writable and user, the
# PTE's frame equal to pagemap's, the physical address = frame * 4096 +
# offset, the PTE dirty (the program wrote the string).  A second address
# that is not mapped must stop the walk early.
#
# Then `hello walk` maps 16 KiB at 0x7f0000000000 (page 1 written, page 2
# read: the zero page, pages 0 and 3 untouched) and ptdump walks pages 0, 1,
# 2 and an unmapped address; the walks go into the JSON ("walks"), where
# kernel/compare-mm.py holds them against `vmlab mm`'s model of the same
# mapping (levels, index per level, flags, where the walk stops).
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

rm -f /tmp/info
hello walk /tmp/info >/tmp/out 2>&1 &
hp=$!
wait_file /tmp/info || { fail start "hello walk did not start"; finish; exit 1; }
read pid addr pfn </tmp/info
expect "walk layout at 0x7f0000001000" "hello walk: $addr" [ "$addr" = 0x7f0000001000 ]
walks=""
for va in 0x7f0000000000 0x7f0000001000 0x7f0000002000 0x100000000000; do
    dmesg -c >/dev/null
    insmod $M/ptdump.ko pid=$pid addr=$va && rmmod ptdump
    dmesg | sed -n 's/^\(\[[ 0-9.]*\] \)\{0,1\}ptdump: //p' | grep -v '^pid ' >/tmp/walk
    echo "walk $va:"; sed 's/^/  /' /tmp/walk
    lines=""
    while IFS= read -r l; do lines="$lines${lines:+,}$(_js "$l")"; done </tmp/walk
    walks="$walks${walks:+,}{\"va\":\"$va\",\"lines\":[$lines]}"
    case $va in
        0x7f0000001000) expect "written page: PTE RW D" "$(grep '^pte ' /tmp/walk)" grep -q '^pte .* P RW US A D' /tmp/walk ;;
        0x7f0000002000) expect "read page: zero page, PTE read-only" "$(grep '^pte ' /tmp/walk)" \
            sh -c "grep -q '^pte .* P US A' /tmp/walk && ! grep -q '^pte .* RW' /tmp/walk" ;;
        0x7f0000000000) expect "untouched page: stop at the PTE" "$(grep '^stop' /tmp/walk)" grep -qx 'stop pte none' /tmp/walk ;;
    esac
done
json_raw walks "[$walks]"
kill -USR1 $pid
wait $hp
finish
