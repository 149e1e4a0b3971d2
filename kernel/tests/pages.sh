#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test: kmalloc vs vmalloc frames (contiguous vs scattered), alloc_pages of several orders against /proc/pagetypeinfo and /proc/buddyinfo
#
# pagesdemo.ko (see kernel/modules/pagesdemo.c) allocates on command and
# lists the frames.  Checks:
#   - kmalloc(4 MiB): 1024 consecutive frames, the first a multiple of 1024
#     (one order-10 buddy block, naturally aligned);
#   - vmalloc(4 MiB): 1024 distinct frames; after fragmenting memory (every
#     other page of a run held) they are no longer one contiguous run;
#   - alloc_pages(order k) for k = 4, 5, 6, 8, 10 (orders above 3 skip the
#     per-CPU lists): the Unmovable row of the block's zone in
#     /proc/pagetypeinfo after the allocation equals the buddy rule applied
#     to the row before it (take the smallest free block of order >= k,
#     split it down to k, one free block of each order in between), the
#     /proc/buddyinfo row changes by the same amounts, and freeing the
#     block merges everything back to the counts before.
# Snapshots are taken with shell builtins only (no fork between them), so
# nothing else allocates in between; a mismatch is retried twice.
TEST=pages
. /lab/lib.sh

insmod $M/pagesdemo.ko || { fail insmod "pagesdemo.ko did not load"; finish; exit 1; }
P=/proc/vmlab_pages
cat /proc/buddyinfo
grep -i 'unmovable' /proc/pagetypeinfo

# runs FILE: "pages runs first_pfn distinct" of the pfn lines of FILE.
runs() {
    awk '/^pfn / { p = $2; n++; if (n == 1) first = p; else if (p != last + 1) r++; last = p; seen[p] = 1 }
         END { d = 0; for (k in seen) d++; printf "%d %d %d %d\n", n, r + (n > 0), first, d }' "$1"
}

echo "kmalloc 4194304" >$P
cat $P >/tmp/k
set -- $(runs /tmp/k)
expect "kmalloc 4 MiB contiguous" "$1 pages in $2 run(s), first pfn $3" [ "$1" -eq 1024 -a "$2" -eq 1 ]
expect "kmalloc block aligned to its order" "first pfn $3 mod 1024 = $(($3 % 1024))" [ $(($3 % 1024)) -eq 0 ]
json_raw kmalloc "{\"pages\":$1,\"runs\":$2,\"first_pfn\":$3}"

echo "vmalloc 4194304" >$P
cat $P >/tmp/v
set -- $(runs /tmp/v)
expect "vmalloc 4 MiB: 1024 distinct frames" "$1 pages, $4 distinct, $2 run(s)" [ "$1" -eq 1024 -a "$4" -eq 1024 ]
json_raw vmalloc "{\"pages\":$1,\"runs\":$2,\"first_pfn\":$3}"
echo "free 0" >$P
echo "fragment 8192" >$P
echo "vmalloc 4194304" >$P
cat $P >/tmp/v2
set -- $(runs /tmp/v2)
expect "vmalloc after fragmenting: scattered" "$1 pages in $2 runs" [ "$1" -eq 1024 -a "$2" -gt 1 ]
json_raw vmalloc_fragmented "{\"pages\":$1,\"runs\":$2,\"first_pfn\":$3}"
echo "free 0" >$P

NL='
'
# snap: pagetypeinfo's and buddyinfo's zone rows into $S (builtins only).
snap() {
    S=""
    while read -r l; do
        case $l in *"type    Unmovable"*|*"type Unmovable"*) S="$S$l$NL" ;; esac
    done </proc/pagetypeinfo
    while read -r l; do S="$S$l$NL"; done </proc/buddyinfo
}

# Without CONFIG_ZONE_DMA (tinyconfig) DMA32 starts at frame 0.
have_dma=$(grep 'zone *DMA ' /proc/buddyinfo)
orders=""
for order in 4 5 6 8 10; do
    try=0
    while :; do
        try=$((try + 1))
        snap; A=$S
        echo "alloc $order 1" >$P
        snap; B=$S
        blk=""
        while read -r l; do case $l in "block "*) blk=$l ;; esac; done <$P
        echo "free 0" >$P
        snap; C=$S
        printf '%s' "$A" >/tmp/a; printf '%s' "$B" >/tmp/b; printf '%s' "$C" >/tmp/c
        set -- $blk
        pfn=${3:-0}
        zone=DMA32; [ "$pfn" -lt 4096 ] && [ -n "$have_dma" ] && zone=DMA
        verdict=$(awk -v order=$order -v zone=$zone '
            function row(f, kind,   l, n, i, a) {
                while ((getline l < f) > 0) {
                    n = split(l, a, /[ ,]+/)
                    if (a[4] != zone) continue
                    if (kind == "u" && a[5] == "type") { for (i = 0; i <= 10; i++) R[kind f, i] = a[7 + i]; break }
                    if (kind == "b" && a[5] != "type") { for (i = 0; i <= 10; i++) R[kind f, i] = a[5 + i]; break }
                }
                close(f)
            }
            BEGIN {
                row("/tmp/a", "u"); row("/tmp/b", "u"); row("/tmp/c", "u")
                row("/tmp/a", "b"); row("/tmp/b", "b"); row("/tmp/c", "b")
                for (i = 0; i <= 10; i++) want[i] = R["u/tmp/a", i]
                j = order; while (j <= 10 && want[j] == 0) j++
                if (j > 10) { print "fallback"; exit }
                want[j]--; for (k = order; k < j; k++) want[k]++
                ok = 1; back = 1; got = ""; pred = ""
                for (i = 0; i <= 10; i++) {
                    if (R["u/tmp/b", i] != want[i]) ok = 0
                    if (R["b/tmp/b", i] - R["b/tmp/a", i] != want[i] - R["u/tmp/a", i]) ok = 0
                    if (R["u/tmp/c", i] != R["u/tmp/a", i] || R["b/tmp/c", i] != R["b/tmp/a", i]) back = 0
                    got = got " " R["u/tmp/b", i]; pred = pred " " want[i]
                }
                printf "%s %s split-from-%d predicted%s observed%s\n", ok ? "ok" : "bad", back ? "merged" : "not-merged", j, pred, got
            }')
        case $verdict in "ok merged"*|fallback) break ;; esac
        [ $try -ge 3 ] && break
    done
    case $verdict in
        fallback) pass "alloc_pages order $order" "zone $zone had no Unmovable block >= $order: fallback stealing, not predicted" ;;
        *) expect "alloc_pages order $order (zone $zone, try $try)" "$verdict" [ "${verdict#ok merged}" != "$verdict" ] ;;
    esac
    orders="$orders${orders:+,}{\"order\":$order,\"zone\":\"$zone\",\"pfn\":$pfn,\"aligned\":$([ $((pfn % (1 << order))) -eq 0 ] && echo true || echo false),\"verdict\":\"$verdict\"}"
    expect "order $order block aligned" "pfn $pfn mod $((1 << order))" [ $((pfn % (1 << order))) -eq 0 ]
done
json_raw alloc_pages "[$orders]"
rmmod pagesdemo
finish
