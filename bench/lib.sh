# SPDX-License-Identifier: MIT
# lib.sh - what the benchmark scripts share; sourced as . "$(dirname "$0")/lib.sh".
#
#   median          the median of the numbers on stdin, one a line ("fail" if
#                   there is none or any line is "fail": a run that failed)
#   ratio A B       A / B to two decimals, "-" if either failed or B is 0

median() {
    sort -g | awk '{ if ($1 == "fail") bad = 1; v[NR] = $1 }
                   END { if (NR == 0 || bad) print "fail"; else print v[int((NR + 1) / 2)] }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || b == 0) print "-"; else printf "%.2f", a / b }'
}
