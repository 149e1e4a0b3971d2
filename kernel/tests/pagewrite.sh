#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test: write "world" over another process's "hello" (page-table walk, get_user_pages_remote, copy-on-write)
#
# For each place the string can live, start /lab/bin/hello, load
# pagewrite.ko with its pid and address, wake it, and check what it prints.
# Walk mode must write into present writable pages and refuse the rest
# (insmod fails: "Bad address" for a page not present, "Permission denied"
# for a read-only mapping or a copy-on-write shared frame); gup mode must
# fault the page in and break copy-on-write, leaving the parent's copy alone.
TEST=pagewrite
. /lab/lib.sh

# one PLACE MODE: run hello, try the module; sets OUT (program output) and
# LOADED (0 when insmod succeeded).
one() {
    rm -f /tmp/info /tmp/out
    hello "$1" /tmp/info >/tmp/out 2>&1 &
    hp=$!
    wait_file /tmp/info || { fail "$1/$2" "hello did not start"; return; }
    read pid addr pfn </tmp/info
    insmod $M/pagewrite.ko pid=$pid addr=$addr mode=$2 2>/tmp/err
    LOADED=$?
    ERR=$(cat /tmp/err)
    [ $LOADED -eq 0 ] && rmmod pagewrite
    kill -USR1 $pid
    wait $hp
    OUT=$(cat /tmp/out | tr '\n' ';')
}

for place in data heap stack; do
    one $place walk
    expect "$place/walk" "insmod status $LOADED, output '$OUT'" \
        [ $LOADED -eq 0 -a "${OUT#*after: world}" != "$OUT" ]
done

one untouched walk
expect "untouched/walk refused" "insmod: '$ERR', output '$OUT'" \
    [ $LOADED -ne 0 -a "${OUT#*after: (zero}" != "$OUT" ]
one untouched gup
expect "untouched/gup faults in" "insmod status $LOADED, output '$OUT'" \
    [ $LOADED -eq 0 -a "${OUT#*after: world}" != "$OUT" ]

one rodata walk
expect "rodata/walk refused" "insmod: '$ERR', output '$OUT'" \
    [ $LOADED -ne 0 -a "${OUT#*after: hello}" != "$OUT" ]
one rodata gup
expect "rodata/gup refused" "insmod: '$ERR', output '$OUT'" \
    [ $LOADED -ne 0 -a "${OUT#*after: hello}" != "$OUT" ]

one cow walk
expect "cow/walk refused" "insmod: '$ERR', output '$OUT'" \
    [ $LOADED -ne 0 -a "${OUT#*child after: hello}" != "$OUT" -a "${OUT#*parent after: hello}" != "$OUT" ]
one cow gup
expect "cow/gup breaks copy-on-write" "insmod status $LOADED, output '$OUT'" \
    [ $LOADED -eq 0 -a "${OUT#*child after: world}" != "$OUT" -a "${OUT#*parent after: hello}" != "$OUT" ]

dmesg | grep 'pagewrite:' | sed 's/^\[[ 0-9.]*\] //'
finish
