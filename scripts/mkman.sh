#!/bin/sh
# SPDX-License-Identifier: MIT
# mkman.sh VMLAB VERSION TEMPLATE - write vmlab(1) on stdout: the hand-written
# parts of TEMPLATE (roff) with @VERSION@, @DATE@ and @COMMANDS@ filled in;
# @COMMANDS@ becomes one subsection per command of `VMLAB --help`, holding that
# command's own --help verbatim, so the page is always the program's own text.
set -eu
vmlab=$1 version=$2 template=$3
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}" +%Y-%m-%d)

# roff-safe verbatim text: backslashes doubled, a leading . or ' protected.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

commands() {
    "$vmlab" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}'
}

while IFS= read -r line; do
    case $line in
    @COMMANDS@)
        for c in $(commands); do
            summary=$("$vmlab" --help | awk -v c="$c" '$1 == c { $1 = ""; sub(/^ +/, ""); print }')
            printf '.SS "vmlab %s"\n' "$c"
            printf '%s\n' "$summary" | esc
            printf '.PP\n.nf\n'
            "$vmlab" "$c" --help 2>&1 | esc
            printf '.fi\n'
        done
        ;;
    *)
        printf '%s\n' "$line" | sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$date/g"
        ;;
    esac
done < "$template"
