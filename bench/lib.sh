# SPDX-License-Identifier: MIT
# lib.sh - what the benchmark scripts share; sourced as . "$(dirname "$0")/lib.sh".
#
#   median          the median of the numbers on stdin, one a line ("fail" if
#                   there is none or any line is "fail": a run that failed)
#   ratio A B       A / B to two decimals, "-" if either failed or B is 0
#   col FILE N      the median of column N of FILE
#   geomean FILE    the geometric mean of FILE's positive numbers, one
#                   decimal ("-" if there is none)
#   mops CMD...     run replay.c (../shared/bench/replay.c) as CMD; its median
#                   M ops/s ("fail" if it failed)
#   bench_lines FILE      10^6 lines "KEY line I", KEYs from an LCG: sort's input
#   bench_git_env DIR     export git's identity and a config-free HOME=DIR
#   bench_git_repo DIR    a repository in DIR: 400 files, commits "one" and
#                         "two" (tagged two), made by the system's git
#   bench_git_session DIR PREFIX...  the timed git session on bench_git_repo's
#                         DIR, each git command run as PREFIX git ...: a
#                         commit, then history, blame, grep, diff and fsck
#   bench_time FILE FUNCS CMD   run the shell command CMD after sourcing
#                         FUNCS, under /usr/bin/time, at most 600 s; append
#                         "wall-seconds peak-KiB cpu-seconds" to FILE, or
#                         "fail fail fail" (and return 1) if it failed.  A
#                         command of several processes is timed whole; its
#                         peak RSS is its largest process's (wait4's ru_maxrss)
#   prog_table LABEL DIR "ALLOCS" "PROGRAMS"   the real-program table: a row
#                         per allocator (the first, glibc, absolute; the
#                         others as ratios to it) of the medians of wall, cpu
#                         and RSS read from DIR/PROGRAM.ALLOC (bench_time's)

median() {
    sort -g | awk '{ if ($1 == "fail") bad = 1; v[NR] = $1 }
                   END { if (NR == 0 || bad) print "fail"; else print v[int((NR + 1) / 2)] }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || b == 0) print "-"; else printf "%.2f", a / b }'
}

col() { cut -d' ' -f"$2" "$1" | median; }

geomean() {
    awk '$1 > 0 { s += log($1); n++ } END { if (n) printf "%.1f", exp(s / n); else print "-" }' "$1"
}

mops() {
    v=$("$@" 2>/dev/null | sed -n 's/.*med_Mops=\([0-9.]*\).*/\1/p')
    echo "${v:-fail}"
}

bench_lines() {
    awk 'BEGIN { x = 1; for (i = 0; i < 1000000; i++) { x = (x * 1103515245 + 12345) % 2147483648
                                                       print x % 1000003, "line", i } }' >"$1"
}

bench_git_env() {
    export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.org GIT_COMMITTER_NAME=b \
        GIT_COMMITTER_EMAIL=b@example.org GIT_CONFIG_NOSYSTEM=1 HOME="$1"
}

bench_git_repo() {
    mkdir -p "$1" || return 1
    _i=0
    while [ $_i -lt 400 ]; do
        seq $_i 3 $((_i * 40 + 600)) >"$1/f$_i.txt"
        _i=$((_i + 1))
    done
    (
        cd "$1" && bench_git_env "$1" &&
            git init -q -b main . && git add . && git commit -q -m one && sed -i 's/1/one/' f1*.txt &&
            git commit -q -a -m two && git tag two
    )
}

bench_git_session() {
    (
        cd "$1" || exit 1
        bench_git_env "$1"
        shift
        git reset -q --hard two && sed -i 's/2/two/' f2*.txt &&
            "$@" git commit -q -a -m three && "$@" git log -p >/dev/null &&
            "$@" git blame f20.txt >/dev/null && "$@" git grep -c 'one' >/dev/null &&
            "$@" git diff --stat HEAD~2 >/dev/null && "$@" git fsck --no-progress 2>/dev/null
    )
}

bench_time() {
    if /usr/bin/time -f '%e %M %U %S' -o "$1.t" timeout 600 sh -c '. "$0"; '"$3" "$2"; then
        tail -1 "$1.t" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' >>"$1"
    else
        echo "fail fail fail" >>"$1"
        return 1
    fi
}

prog_table() {
    printf '| %s |' "$1"
    for p in $4; do printf ' %s wall | %s cpu | %s RSS |' "$p" "$p" "$p"; done
    echo
    printf '|---|'
    for p in $4; do printf -- '---:|---:|---:|'; done
    echo
    g=
    for a in $3; do
        [ -n "$g" ] || g=$a
        printf '| %s |' "$a"
        for p in $4; do
            f=$2/$p.$a
            if [ ! -f "$f" ]; then printf ' n/a | n/a | n/a |'; continue; fi
            t=$(col "$f" 1) m=$(col "$f" 2) c=$(col "$f" 3)
            if [ "$a" = "$g" ]; then
                printf ' %s s | %s s | %s MiB |' "$t" "$c" "$(awk -v m="$m" 'BEGIN { printf "%.1f", m / 1024 }')"
            else
                printf ' %sx | %sx | %sx |' "$(ratio "$t" "$(col "$2/$p.$g" 1)")" \
                    "$(ratio "$c" "$(col "$2/$p.$g" 3)")" "$(ratio "$m" "$(col "$2/$p.$g" 2)")"
            fi
        done
        echo
    done
}
