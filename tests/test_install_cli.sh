#!/bin/sh
# SPDX-License-Identifier: MIT
# test_install_cli.sh - `make install` and `make uninstall` into a temporary
# DESTDIR: the installed tree has what mk/install.mk promises, a program builds
# against it with pkg-config (shared and static) and runs, a real program runs
# under the installed preload library, the installed vmlab finds its preload
# libraries, the man pages format without warnings, and uninstall leaves
# nothing behind.
. tests/lib.sh

BUILD=${BUILD:-build}
MAKE=${MAKE:-make}

installable() {
    if grep -aq __asan_init "$VMLAB" 2>/dev/null; then
        skip "an ASan build: make install installs the plain build"
        return 1
    fi
    command -v pkg-config >/dev/null || { skip "pkg-config is not installed"; return 1; }
}

do_install() {
    $MAKE -s BUILD="$BUILD" DESTDIR="$TMP/root" PREFIX=/usr install >"$TMP/make.log" 2>&1 ||
        fail "make install failed: $(tail -5 "$TMP/make.log")"
}

pc() {
    PKG_CONFIG_SYSROOT_DIR="$TMP/root" PKG_CONFIG_LIBDIR="$TMP/root/usr/lib/pkgconfig" \
        pkg-config "$@" vmlab
}

t_install_tree_and_uninstall() {
    installable || return 77
    do_install || return 1
    R=$TMP/root/usr
    for f in bin/vmlab lib/libvmlab.a lib/libvmlab.so lib/libvmlab.so.0 lib/pkgconfig/vmlab.pc \
             lib/vmlab/libvmlab-malloc.so lib/vmlab/libvmlab-record.so include/vmlab/sim.h \
             share/man/man1/vmlab.1 share/man/man3/vmlab-malloc.3 \
             share/bash-completion/completions/vmlab; do
        [ -e "$R/$f" ] || fail "$f is not installed" || return 1
    done
    [ -L "$R/lib/libvmlab.so" ] || fail "lib/libvmlab.so is not a link to the soname" || return 1
    soname=$(readelf -d "$R/lib/libvmlab.so.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
    [ "$soname" = libvmlab.so.0 ] || fail "soname '$soname'" || return 1
    # only public headers: nothing from src/
    [ -z "$(find "$R/include/vmlab" -name '*.h' -exec grep -l '"base/\|"sim/\|"cli/' {} +)" ] ||
        fail "an installed header includes a private one" || return 1
    $MAKE -s BUILD="$BUILD" DESTDIR="$TMP/root" PREFIX=/usr uninstall >"$TMP/make.log" 2>&1 ||
        fail "make uninstall failed: $(tail -5 "$TMP/make.log")" || return 1
    left=$(find "$TMP/root" -type f -o -type l)
    [ -z "$left" ] || fail "uninstall left: $left"
}

t_program_builds_with_pkg_config() {
    installable || return 77
    do_install || return 1
    cat >"$TMP/prog.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <vmlab/malloc.h>
#include <vmlab/parse.h>
int main(void)
{
    uint64_t v;
    if (parse_size("4k", &v) != 0 || v != 4096)
        return 1;
    size_t n = ma_ndesigns();
    for (size_t i = 0; i < n; i++)
        if (strcmp(ma_design_name(i), "buddy") == 0)
            printf("ok %zu designs\n", n);
    return 0;
}
C
    cflags=$(pc --cflags) && libs=$(pc --libs) || fail "pkg-config vmlab failed" || return 1
    case $cflags in *"$TMP/root/usr/include"*) ;; *) fail "cflags '$cflags'" || return 1 ;; esac
    cc $cflags "$TMP/prog.c" -o "$TMP/prog" $libs 2>"$TMP/cc.log" ||
        fail "shared link: $(cat "$TMP/cc.log")" || return 1
    out=$(LD_LIBRARY_PATH="$TMP/root/usr/lib" "$TMP/prog") || fail "the program failed" || return 1
    case $out in "ok "*" designs") ;; *) fail "output '$out'" || return 1 ;; esac
    ldd_out=$(LD_LIBRARY_PATH="$TMP/root/usr/lib" ldd "$TMP/prog")
    case $ldd_out in *"$TMP/root/usr/lib/libvmlab.so.0"*) ;; *) fail "not linked to the installed .so: $ldd_out" || return 1 ;; esac
    cc $cflags "$TMP/prog.c" -o "$TMP/prog_static" "$TMP/root/usr/lib/libvmlab.a" $(pc --libs --static | sed 's/-lvmlab//; s/-L[^ ]*//') \
        2>"$TMP/cc.log" || fail "static link: $(cat "$TMP/cc.log")" || return 1
    "$TMP/prog_static" >/dev/null || fail "the static program failed"
}

t_installed_preload_runs_a_real_program() {
    installable || return 77
    do_install || return 1
    VMLAB_MALLOC=buddy VMLAB_MALLOC_STATS="$TMP/stats" \
        LD_PRELOAD="$TMP/root/usr/lib/vmlab/libvmlab-malloc.so" sort -r /etc/services >"$TMP/a" ||
        fail "sort under the preload library failed" || return 1
    sort -r /etc/services | cmp -s - "$TMP/a" || fail "sort's output differs" || return 1
    grep -q "design buddy" "$TMP/stats" || fail "the program did not run on vmlab's allocator"
}

t_installed_vmlab_finds_its_libraries() {
    installable || return 77
    do_install || return 1
    # run from the installed tree only: no build/ beside it
    env -u VMLAB_RECORD_LIB "$TMP/root/usr/bin/vmlab" malloc record -o "$TMP/t.rep" -- sort /etc/services \
        >"$TMP/out" 2>"$TMP/err" || fail "installed malloc record failed: $(cat "$TMP/err")" || return 1
    [ -s "$TMP/t.rep" ] || fail "no trace written"
}

t_man_pages_format_cleanly() {
    installable || return 77
    command -v groff >/dev/null || { skip "groff is not installed"; return 77; }
    for m in "$BUILD"/man/*.[13]; do
        w=$(groff -man -ww -z "$m" 2>&1)
        [ -z "$w" ] || fail "$m: $w" || return 1
    done
    # every command has its section
    for c in $("$VMLAB" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}'); do
        grep -q "^\.SS \"vmlab $c\"" "$BUILD/man/vmlab.1" || fail "vmlab.1 has no section for $c" || return 1
    done
}

t_bash_completion_lists_commands() {
    installable || return 77
    command -v bash >/dev/null || { skip "no bash"; return 77; }
    PATH=$(dirname "$VMLAB"):$PATH bash -c ". scripts/vmlab.bash; COMP_WORDS=(vmlab si); COMP_CWORD=1; _vmlab; echo \${COMPREPLY[*]}" >"$TMP/c1" &&
    PATH=$(dirname "$VMLAB"):$PATH bash -c ". scripts/vmlab.bash; COMP_WORDS=(vmlab sim --pol); COMP_CWORD=2; _vmlab; echo \${COMPREPLY[*]}" >"$TMP/c2" ||
        fail "completion failed" || return 1
    grep -qx sim "$TMP/c1" || fail "vmlab si<TAB>: $(cat "$TMP/c1")" || return 1
    grep -qx -- --policy "$TMP/c2" || fail "vmlab sim --pol<TAB>: $(cat "$TMP/c2")"
}

run_tests
