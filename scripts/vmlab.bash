# SPDX-License-Identifier: MIT
# bash completion for vmlab: commands from `vmlab --help`, each command's
# options from its own --help, so it never falls behind the program.
_vmlab()
{
    local cur=${COMP_WORDS[COMP_CWORD]} cmd
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(vmlab --help 2>/dev/null |
            awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}') --help --version" -- "$cur"))
        return
    fi
    cmd=${COMP_WORDS[1]}
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(vmlab "$cmd" --help 2>&1 |
            grep -o -- '--[a-z][a-z0-9-]*' | sort -u)" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _vmlab vmlab
