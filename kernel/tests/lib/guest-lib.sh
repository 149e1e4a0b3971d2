# SPDX-License-Identifier: GPL-2.0
# guest-lib.sh - what the guest tests share (sourced as /lab/lib.sh inside
# the guest, busybox sh).  A test calls pass/fail for each check, adds its
# figures with json_num/json_str/json_raw, and ends with `finish`, which
# prints the JSON object between VMLAB-JSON-BEGIN/END lines (the runner
# prints it for --output json) and exits 1 if any check failed.

FAILS=0
CHECKS=""
FIELDS=""
M=/lab/modules

# One JSON string: the details the tests write have no control characters;
# quotes and backslashes are replaced rather than escaped.
_js() { printf '"%s"' "$(printf '%s' "$1" | tr '"\\' "'/")"; }

_check() { # OK NAME DETAIL
    [ -n "$CHECKS" ] && CHECKS="$CHECKS,"
    CHECKS="$CHECKS{\"name\":$(_js "$2"),\"ok\":$1,\"detail\":$(_js "$3")}"
}
pass() { echo "ok   $1: $2"; _check true "$1" "$2"; }
fail() { echo "FAIL $1: $2"; _check false "$1" "$2"; FAILS=$((FAILS + 1)); }
# expect NAME DETAIL COMMAND...: pass when COMMAND succeeds.
expect() { n=$1 d=$2; shift 2; if "$@"; then pass "$n" "$d"; else fail "$n" "$d"; fi; }

_field() { [ -n "$FIELDS" ] && FIELDS="$FIELDS,"; FIELDS="$FIELDS\"$1\":$2"; }
json_num() { _field "$1" "$2"; }
json_str() { _field "$1" "$(_js "$2")"; }
json_raw() { _field "$1" "$2"; }

# wait_file FILE: up to 60 s (TCG guests are slow) for FILE to appear.
wait_file() {
    i=0
    while [ ! -f "$1" ]; do
        i=$((i + 1))
        [ $i -gt 600 ] && return 1
        sleep 0.1
    done
}

finish() {
    echo "VMLAB-JSON-BEGIN"
    [ -n "$FIELDS" ] && FIELDS="$FIELDS,"
    echo "{\"test\":$(_js "$TEST"),\"passed\":$([ $FAILS -eq 0 ] && echo true || echo false),$FIELDS\"checks\":[$CHECKS]}"
    echo "VMLAB-JSON-END"
    [ $FAILS -eq 0 ]
}
