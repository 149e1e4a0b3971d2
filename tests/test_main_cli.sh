#!/bin/sh
# SPDX-License-Identifier: MIT
# test_main_cli.sh - what every `vmlab COMMAND` shares (src/cli/main.c):
# one line for a bad option (vmlab's, not getopt's and then vmlab's), exit 2;
# --output parsed the same way everywhere; format names from the format table.
. tests/lib.sh

# Every command `vmlab --help` lists (malloc is tested through its subcommands).
CMDS=$("$VMLAB" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ && $1 != "malloc" {print $1}')

t_bad_option_is_one_line() {
    [ "$(echo $CMDS | wc -w)" -ge 20 ] || fail "only $(echo $CMDS | wc -w) commands listed: $CMDS" || return 1
    for c in $CMDS "malloc replay" "malloc record"; do
        # shellcheck disable=SC2086
        expect_exit 2 "$VMLAB" $c --no-such-option || return 1
        n=${c% replay} # malloc replay reports as malloc
        expect_err "^vmlab: $n: unknown [a-z]+ '--no-such-option'.* \\(see 'vmlab $n --help'\\)$" || return 1
    done
}

# Every command documents itself: --help exits 0 with a usage line and more
# than a line of text (trace-info once printed its usage line only).
t_every_command_has_help() {
    for c in $CMDS malloc; do
        expect_exit 0 "$VMLAB" "$c" --help || return 1
        head -n 1 "$TMP/out" | grep -q "^usage: vmlab $c" || fail "$c --help: $(head -n 1 "$TMP/out")" || return 1
        [ "$(wc -l <"$TMP/out")" -ge 4 ] || fail "$c --help is $(wc -l <"$TMP/out") lines" || return 1
    done
}

t_missing_value_and_unwanted_value() {
    expect_exit 2 "$VMLAB" sim -p lru -n || return 1
    expect_err "^vmlab: sim: option '-n' needs a value" || return 1
    expect_exit 2 "$VMLAB" mrc --max-frames || return 1
    expect_err "^vmlab: mrc: option '--max-frames' needs a value" || return 1
    expect_exit 2 "$VMLAB" sim --pid=3 -p lru -n 4 x || return 1
    expect_err "^vmlab: sim: option '--pid' takes no value" || return 1
}

t_output_equals_form_is_checked() {
    for c in "sim -p lru -n 4" "mrc" "malloc replay" "v2p self 0x1000" "maps"; do
        # shellcheck disable=SC2086
        expect_exit 2 "$VMLAB" $c --output=xml x || return 1
        expect_err "--output 'xml' is not a format \\(expected text, json" || return 1
        # shellcheck disable=SC2086
        expect_exit 2 "$VMLAB" $c --output xml x || return 1
        expect_err "--output 'xml' is not a format \\(expected text, json" || return 1
    done
}

t_format_names_from_the_table() {
    names=$("$VMLAB" sim -F nope -p lru -n 4 x 2>&1 | sed -n "s/.*(expected \\(.*\\)) (see.*/\\1/p")
    [ -n "$names" ] || fail "no format list in sim's message" || return 1
    for c in "sim --help" "mrc --help" "convert --help"; do
        # shellcheck disable=SC2086
        "$VMLAB" $c | tr -s ' \n' ' ' | grep -qF "$names" || fail "$c does not list: $names" || return 1
    done
    for c in "mrc" "plot trace" "convert -o /dev/null"; do
        # shellcheck disable=SC2086
        expect_exit 2 "$VMLAB" $c -F nope x || return 1
        expect_err "unknown format 'nope' \\(expected .*$names" || return 1
    done
}

run_tests
