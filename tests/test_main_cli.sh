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
    # translate and gc read a model or subcommand first: "translate --x" is
    # an unknown model, so their options are tried after one.
    for c in $CMDS "malloc replay" "malloc record" "malloc gen" "malloc freelist" "sim --steps" \
        "translate linear" "gc leaks"; do
        # shellcheck disable=SC2086
        expect_exit 2 "$VMLAB" $c --no-such-option || return 1
        n=${c% replay} # malloc replay and gen report as malloc, sim --steps as sim
        n=${n% gen}
        n=${n% --steps}
        n=${n% linear} # translate linear as translate
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

# One spelling for one thing (docs/CONVENTIONS.md, "Option names"): each row
# is COMMAND|SPELLING [VALUE]|canonical or alias.  Every spelling must be
# accepted (it parses and --help after it exits 0); a canonical one must also
# be in the command's --help, an alias is kept for scripts written earlier.
SPELLINGS='
sim|-F rw|canonical
mrc|-F rw|canonical
plot|-F rw|canonical
convert|-F rw|canonical
trace-info|-F rw|canonical
sim|-P|canonical
sim|--multi-pid|canonical
sim|--pid|alias
mrc|--multi-pid|canonical
plot|--multi-pid|canonical
convert|--multi-pid|canonical
trace-info|--multi-pid|canonical
convert|-t rw|canonical
gen|-t pages|canonical
gen|--to pages|canonical
gen|--format pages|alias
sim|--page-size 4096|canonical
mrc|--page-size 4096|canonical
plot|--page-size 4096|canonical
convert|--page-size 4096|canonical
gen|--page-size 4096|canonical
vm|--page-size 256|canonical
sim|--no-progress|canonical
mrc|--no-progress|canonical
plot|--no-progress|canonical
gen|--no-progress|canonical
convert|--no-progress|canonical
trace-info|--no-progress|canonical
malloc replay|--no-progress|canonical
record|--no-progress|canonical
sched|--no-progress|canonical
kmem|--no-progress|canonical
mm|--no-progress|canonical
tlb-measure|--no-progress|canonical
malloc replay|--align 16|canonical
malloc replay|-a 16|canonical
malloc freelist|--align 8|canonical
malloc freelist|--alignment 8|alias
sim|-p lru|canonical
mrc|-p lru|canonical
vm|-p lru|canonical
malloc replay|-p segfit|canonical
plot|-p segfit|canonical
plot|--design segfit|alias
sim|-n 4|canonical
mrc|-n 4|canonical
vm|-n 4|canonical
sim|--skip-bad|canonical
convert|--skip-bad|canonical
trace-info|--skip-bad|canonical
maps|--output table|alias
'

t_one_spelling_for_one_thing() {
    echo "$SPELLINGS" | while IFS='|' read -r cmd opt kind; do
        [ -n "$cmd" ] || continue
        # shellcheck disable=SC2086
        "$VMLAB" $cmd $opt --help >"$TMP/out" 2>"$TMP/err" ||
            fail "$cmd does not take $opt: $(cat "$TMP/err")" || return 1
        name=${opt%% *}
        if [ "$kind" = canonical ]; then
            # shellcheck disable=SC2086
            "$VMLAB" $cmd --help | grep -qe "$name[ ,=]" || fail "$cmd --help does not list $name" || return 1
        fi
    done
}

run_tests
