#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test: a kmem_cache of task_struct's size: /proc/slabinfo follows the objects allocated; every cache's slab order is SLUB's calculate_order
#
# slabdemo.ko makes the cache "vmlab_task" and allocates/frees objects on
# command (echo "alloc N" > /proc/vmlab_slab), shrinking the cache after
# each command so the counts are exact (see slabdemo.c).  After every step:
#   active_objs = objects held
#   num_slabs   = ceil(held / objperslab)   (one CPU filled them in order)
#   num_objs    = num_slabs * objperslab
# And for every row of /proc/slabinfo, the slab size is what SLUB's
# calculate_order (mm/slub.c, 6.1) gives for the object size and the CPU
# count, recomputed here in awk: pagesperslab = 2^order and
# objperslab = 4096 * 2^order / objsize.
TEST=slab
. /lab/lib.sh

insmod $M/slabdemo.ko || { fail insmod "slabdemo.ko did not load"; finish; exit 1; }
cat /proc/vmlab_slab
tsize=$(sed -n 's/^object_size //p' /proc/vmlab_slab)
json_num task_struct_size "$tsize"

row() { awk '$1 == "vmlab_task" { print $2, $3, $4, $5, $6, $15 }' /proc/slabinfo; }
held=0
steps=""
for step in "alloc 1" "alloc 6" "alloc 93" "alloc 900" "free 500" "alloc 37" "free 1" "free 535" "alloc 2000" "free 2000"; do
    echo "$step" >/proc/vmlab_slab || fail "$step" "write to /proc/vmlab_slab failed"
    set -- $step
    if [ $1 = alloc ]; then held=$((held + $2)); else held=$((held - $2)); fi
    set -- $(row)
    active=$1 num=$2 objsize=$3 per=$4 pages=$5 slabs=$6
    want_slabs=$(( (held + per - 1) / per ))
    expect "$step" "held $held: active_objs $active num_objs $num num_slabs $slabs (want $held, $((want_slabs * per)), $want_slabs)" \
        [ "$active" -eq $held -a "$slabs" -eq $want_slabs -a "$num" -eq $((want_slabs * per)) ]
    [ -n "$steps" ] && steps="$steps,"
    steps="$steps{\"step\":\"$step\",\"held\":$held,\"active_objs\":$active,\"num_objs\":$num,\"num_slabs\":$slabs}"
done
json_num objsize "$objsize"
json_num objperslab "$per"
json_num pagesperslab "$pages"
json_raw steps "[$steps]"
rmmod slabdemo
expect "rmmod removes the row" "vmlab_task gone from /proc/slabinfo" sh -c '! grep -q "^vmlab_task " /proc/slabinfo'

# calculate_order for every cache, in awk (an independent implementation).
cpus=$(grep -c ^processor /proc/cpuinfo)
awk -v cpus=$cpus '
function fls(x,  n) { n = 0; while (x > 0) { n++; x = int(x / 2) } return n }
function get_order(sz,  o) { o = 0; while (4096 * pw[o] < sz) o++; return o }
function calc(size, minobj, maxorder, fract,   o, slab, rem) {
    if (int(4096 / size) > 32767) return get_order(size * 32767) - 1
    for (o = get_order(minobj * size); o <= maxorder; o++) {
        slab = 4096 * pw[o]; rem = slab % size
        if (rem <= int(slab / fract)) break
    }
    return o
}
function order_for(size,   minobj, maxobj, f, o) {
    minobj = 4 * (fls(cpus) + 1)
    maxobj = int(4096 * 8 / size)
    if (maxobj < minobj) minobj = maxobj
    while (minobj > 1) {
        for (f = 16; f >= 4; f /= 2) { o = calc(size, minobj, 3, f); if (o <= 3) return o }
        minobj--
    }
    o = calc(size, 1, 3, 1); if (o <= 3) return o
    return calc(size, 1, 11, 1)
}
BEGIN { pw[0] = 1; for (i = 1; i <= 12; i++) pw[i] = 2 * pw[i - 1] }
NR > 2 {
    o = order_for($4); n++
    if ($6 != pw[o] || $5 != int(4096 * pw[o] / $4)) { bad++; printf "  %s: size %d has %d objects in %d pages, calculate_order says %d in %d\n", $1, $4, $5, $6, int(4096 * pw[o] / $4), pw[o] }
}
END { printf "%d %d\n", n, bad + 0 > "/tmp/orders" }' /proc/slabinfo
read rows bad </tmp/orders
expect "calculate_order on every row" "$rows caches, $bad differ (cpus $cpus)" [ "$rows" -gt 10 -a "$bad" -eq 0 ]
json_num caches_checked "$rows"
finish
