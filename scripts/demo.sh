#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - `make demo`: vmlab's main job on the bundled data.
set -eu
VMLAB=${1:-build/vmlab}
D=data/osc
echo "== vmlab vm -f $D/addresses.txt -b $D/BACKING_STORE.bin -n 256 -p fifo"
"$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin -n 256 -p fifo >build/demo-vm-256.txt
head -n 3 build/demo-vm-256.txt
echo "..."
tail -n 5 build/demo-vm-256.txt
if head -n 1000 build/demo-vm-256.txt | cmp -s - $D/correct.txt; then
    echo "=> all 1000 lines identical to $D/correct.txt"
else
    echo "=> MISMATCH with $D/correct.txt" >&2
    exit 1
fi
echo
echo "== FIFO against LRU with 128 frames (16-entry FIFO TLB)"
for p in fifo lru; do
    printf '%-5s ' "$p"
    "$VMLAB" vm -f $D/addresses.txt -b $D/BACKING_STORE.bin -n 128 -p $p --output none |
        awk -F' = ' '/^Page Faults/ {pf=$2} /^TLB Hits/ {th=$2} END {printf "page faults %s, TLB hits %s\n", pf, th}'
done
echo
echo "== vmlab target, peek, poke, scan: find a value in another process and change it"
"$VMLAB" target --value 4242 >build/demo-target.txt &
tbg=$!
while ! grep -q '^pid ' build/demo-target.txt 2>/dev/null; do sleep 0.1; done
tpid=$(awk 'NR == 1 { print $2 }' build/demo-target.txt)
taddr=$(awk 'NR == 1 { print $4 }' build/demo-target.txt)
head -n 1 build/demo-target.txt
"$VMLAB" scan "$tpid" --value 4242 --save build/demo-matches.txt
kill -USR1 "$tpid"
while ! grep -q '^value 4243' build/demo-target.txt; do sleep 0.1; done
printf '+1\nset 7\nlist\n' | "$VMLAB" scan "$tpid" --load build/demo-matches.txt --script -
echo "peek: $("$VMLAB" peek "$tpid" "$taddr" --type i32 | head -n 1) (expected 7)"
"$VMLAB" poke "$tpid" "$(printf '0x%x' $((taddr + 16)))" "hello, vmlab" --type string >/dev/null
"$VMLAB" scan "$tpid" --type bytes --value '68 65 ?? 6c 6f 2c' # "he?lo," with any third byte
kill "$tpid"
wait "$tbg" 2>/dev/null || true
echo
echo "== vmlab kmem: kmalloc's contiguous frames beside vmalloc's scattered ones"
printf 'workload fragment 3000\nkmalloc 16384 1\nvmalloc 40000\nreport buddyinfo\nreport contig\n' | "$VMLAB" kmem --mem 64M - | sed 's/ at 0x[0-9a-f]*//'


echo "== vmlab gc demo (conservative mark & sweep), the sweep step"
"$VMLAB" gc demo | sed -n '/^4\./,/^5\./p' | sed '$d'
echo
echo "== vmlab sched --cpus 2 lab4: the WRR lab's demo (turnaround falls as the weight rises)"
"$VMLAB" sched --cpus 2 lab4 --weights build/demo-sched-weights.png >build/demo-sched.txt
grep -E '^(factor-w(01|05|10|20)|WRR balance)' build/demo-sched.txt
echo "=> weights per CPU over time: build/demo-sched-weights.png"
echo
echo "== vmlab malloc: a fragmentation adversary, a fixed small/large line against an adaptive one"
"$VMLAB" malloc replay -t 0 -p segfit,adaptive gen:regrow:5 | awk '$1 ~ /^gen/ { print $2, $4, "heap", $5 }'
"$VMLAB" plot heap gen:regrow:5 --design segfit -o build/demo-heap.png 2>/dev/null && echo "=> the heap as a map: build/demo-heap.png"
echo
echo "== OSTEP's homework: a two-level page walk, a replacement log, a free list"
"$VMLAB" translate multi -s 1 -n 1 -c | tail -n 4
"$VMLAB" sim --steps -p lru -n 3 -a 0,1,2,0,3,1 | sed -n 3,8p
"$VMLAB" malloc freelist -H 4 -A +10,-0,+20 -c | tail -n 9
echo
echo "== the kernel lab's guest tests (docs/kernel-lab.md)"
"$VMLAB" kernel run --list
if [ -f build/kernel/bzImage ] && command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "== vmlab kernel run pagewrite (a few seconds under TCG)"
    "$VMLAB" kernel run pagewrite 2>/dev/null | grep '^ok\|^FAIL' | head -4
else
    echo "(build it with 'vmlab kernel build' to boot the tests in QEMU)"
fi


echo "== vmlab mm --real fork-cow: copy-on-write faults, model beside the real kernel"
"$VMLAB" mm --real fork-cow
