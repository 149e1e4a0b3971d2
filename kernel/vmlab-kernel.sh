#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmlab-kernel.sh - the kernel lab's runner: build Debian's linux-source-6.1
# with the lab's patches and modules, then boot it in QEMU and run one guest
# test.  `vmlab kernel ...` and `make kernel` call this script; see
# docs/kernel-lab.md.
#
#   vmlab-kernel.sh build
#   vmlab-kernel.sh run --list
#   vmlab-kernel.sh run NAME [--output text|json] [--timeout SECONDS]
#
# Build (incremental: a second run only redoes what changed):
#   1. unpack /usr/src/linux-source-6.1.tar.xz into build/kernel/linux;
#   2. apply kernel/patches/*.patch in order (a patch set that changed is
#      first reversed using the copies saved in build/kernel/applied/);
#      a hunk that does not apply is reported with its line in the patch;
#   3. configure: allnoconfig with tinyconfig's fragments and
#      kernel/config/vmlab.config, and check every line of ours made it into
#      .config;
#   4. make bzImage, then the out-of-tree modules (kernel/modules) and the
#      static guest programs (kernel/guest).
# Run: write an initramfs (busybox-static, the guest programs, the modules,
# the test script kernel/tests/NAME.sh and an /init that runs it), boot
# qemu-system-x86_64 -smp 4 (KVM when /dev/kvm opens, TCG otherwise) with the
# console on a file, and read the test's result between marker lines.  The
# guest powers off after the test (reboot -f with -no-reboot); a timeout
# always ends QEMU, and then the console's last lines are printed.
#
# Exit status: 0 built / test passed, 1 failure (build, test, timeout),
# 2 usage error.  Environment: VMLAB_BUILD (default build), VMLAB_JOBS
# (make -j, default 2), VMLAB_LINUX_TAR, VMLAB_QEMU_MEM (default 512M).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${VMLAB_BUILD:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
kb=$build/kernel
linux=$kb/linux
tarball=${VMLAB_LINUX_TAR:-/usr/src/linux-source-6.1.tar.xz}
jobs=${VMLAB_JOBS:-2}

die() { echo "vmlab: kernel: $*" >&2; exit 1; }
usage() { echo "vmlab: kernel: $* (see 'vmlab kernel --help')" >&2; exit 2; }
log() { [ -n "${VMLAB_QUIET:-}" ] || echo "vmlab kernel: $*" >&2; }

# One line naming the package to install when a tool is missing.
need() { # COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 ||
        die "$1 not found (install the Debian package $2: apt-get install $2)"
}
need_file() { # FILE PACKAGE
    [ -e "$1" ] || die "$1 not found (install the Debian package $2: apt-get install $2)"
}

check_build_tools() {
    need_file "$tarball" linux-source-6.1
    need make make
    need gcc gcc
    need bc bc
    need flex flex
    need bison bison
    need xz xz-utils
    need perl perl
    need patch patch
    [ -e /usr/include/libelf.h ] || die "libelf.h not found (install the Debian package libelf-dev: apt-get install libelf-dev)"
    [ -e /usr/include/openssl/ssl.h ] || die "openssl/ssl.h not found (install the Debian package libssl-dev: apt-get install libssl-dev)"
    [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/libc.a ] ||
        die "libc.a not found (install the Debian package libc6-dev: apt-get install libc6-dev)"
}

# ---------------------------------------------------------------- unpack
unpack() {
    if [ -f "$linux/.vmlab-unpacked" ]; then return 0; fi
    log "unpacking $tarball into $linux"
    rm -rf "$linux" "$kb/applied" "$kb/unpack.tmp"
    mkdir -p "$kb/unpack.tmp" || die "cannot create $kb/unpack.tmp"
    tar -C "$kb/unpack.tmp" -xJf "$tarball" || die "$tarball: cannot unpack"
    set -- "$kb/unpack.tmp"/*
    [ $# -eq 1 ] && [ -f "$1/Makefile" ] || die "$tarball: expected one linux source directory inside"
    mv "$1" "$linux" && rmdir "$kb/unpack.tmp" || die "cannot move the source to $linux"
    touch "$linux/.vmlab-unpacked"
}

# ---------------------------------------------------------------- patches
# Explain why PATCH (relative name REL) does not apply: patch(1)'s "Hunk #N
# FAILED at L" becomes the hunk's own line in the patch file.
explain_reject() { # PATCH OUTPUT
    awk -v patch="kernel/patches/$(basename "$1")" -v out="$2" '
        BEGIN {
            while ((getline l < out) > 0) {
                if (l ~ /^(patching|checking) file /) { f = l; sub(/^[a-z]+ file /, "", f) }
                else if (l ~ /FAILED at [0-9]+/) {
                    n = l; sub(/^Hunk #/, "", n); sub(/ .*/, "", n)
                    at = l; sub(/.*FAILED at /, "", at); sub(/[^0-9].*/, "", at)
                    want[f, n] = at; files[++k] = f; hunks[k] = n
                } else if (l ~ /can.t find file|No file to patch|Reversed .or previously applied/) {
                    other = other l " "
                }
            }
        }
        /^\+\+\+ / { cur = $2; sub(/^[ab]\//, "", cur); h = 0; next }
        /^@@ / { h++
            for (i = 1; i <= k; i++)
                if (files[i] == cur && hunks[i] == h)
                    printf "vmlab: %s:%d: hunk #%d for %s does not apply (expected at line %s of linux-source-6.1)\n", patch, NR, h, cur, want[cur, h] > "/dev/stderr"
        }
        END {
            if (k == 0) printf "vmlab: %s:1: does not apply: %s\n", patch, (other != "" ? other : "see patch output above") > "/dev/stderr"
        }' "$1"
}

apply_patches() {
    applied=$kb/applied
    mkdir -p "$applied"
    # Patches already in the tree that are no longer wanted as they are:
    # reverse from the last applied one back to the first changed one.
    want_list=$(cd "$here/patches" && ls *.patch 2>/dev/null)
    have_list=$(cd "$applied" && ls *.patch 2>/dev/null)
    keep="" i=0 same=1
    for p in $have_list; do
        i=$((i + 1))
        w=$(printf '%s\n' $want_list | sed -n "${i}p")
        if [ $same -eq 1 ] && [ "$p" = "$w" ] && cmp -s "$here/patches/$p" "$applied/$p"; then
            keep="$keep$p "
        else
            same=0
        fi
    done
    for p in $(printf '%s\n' $have_list | sort -r); do
        case " $keep" in *" $p "*) continue ;; esac
        log "reversing $p"
        (cd "$linux" && patch -p1 -R -s --no-backup-if-mismatch < "$applied/$p") >"$kb/patch.out" 2>&1 ||
            { cat "$kb/patch.out" >&2; die "$p: cannot reverse the copy applied earlier; remove $linux to start again"; }
        rm -f "$applied/$p"
    done
    for p in $want_list; do
        case " $keep" in *" $p "*) continue ;; esac
        log "applying $p"
        if ! (cd "$linux" && patch -p1 -N -t --dry-run < "$here/patches/$p") >"$kb/patch.out" 2>&1; then
            explain_reject "$here/patches/$p" "$kb/patch.out"
            grep -v '^checking file\|^patching file' "$kb/patch.out" | sed 's/^/  /' >&2
            exit 1
        fi
        (cd "$linux" && patch -p1 -s -N -t --no-backup-if-mismatch < "$here/patches/$p") >"$kb/patch.out" 2>&1 ||
            { cat "$kb/patch.out" >&2; die "$p: patch failed after a clean dry run"; }
        cp "$here/patches/$p" "$applied/$p"
    done
}

# ---------------------------------------------------------------- configure
configure() {
    frag=$here/config/vmlab.config
    stamp=$linux/.vmlab-config
    if [ -f "$linux/.config" ] && [ -f "$stamp" ] && cmp -s "$frag" "$stamp"; then
        return 0
    fi
    log "configuring: tinyconfig's fragments + kernel/config/vmlab.config, allnoconfig"
    # One allnoconfig over all fragments (what tinyconfig merges, then ours,
    # later lines winning): an option our lines make visible stays off unless
    # asked for, where merging into tinyconfig and olddefconfig would turn on
    # its default (ACPI alone brought in PS/2 mice, VT, cpufreq, thermal).
    cat "$linux/kernel/configs/tiny-base.config" "$linux/kernel/configs/tiny.config" \
        "$linux/arch/x86/configs/tiny.config" "$frag" >"$kb/allconfig" ||
        die "kernel/configs/tiny*.config missing from $linux"
    (cd "$linux" && KCONFIG_ALLCONFIG="$kb/allconfig" make -s ARCH=x86_64 allnoconfig >"$kb/config.log" 2>&1) ||
        { cat "$kb/config.log" >&2; die "configuration failed"; }
    bad=0
    grep '^CONFIG_' "$frag" | while IFS= read -r line; do
        grep -qx "$line" "$linux/.config" ||
            { echo "vmlab: kernel/config/vmlab.config: '$line' is not in the final .config (a dependency is missing)" >&2; echo x; }
    done | grep -q x && bad=1
    [ $bad -eq 0 ] || exit 1
    cp "$frag" "$stamp"
}

# ---------------------------------------------------------------- build
# Copy DIR's files into DEST keeping modification times, so make rebuilds
# only what changed; files removed from DIR are removed from DEST.
sync_dir() { # SRC DEST
    mkdir -p "$2"
    for f in "$1"/*; do
        [ -f "$f" ] || continue
        b=$(basename "$f")
        cmp -s "$f" "$2/$b" || cp -p "$f" "$2/$b"
    done
    for f in "$2"/*.c "$2"/*.h "$2"/Kbuild "$2"/Makefile; do
        [ -f "$f" ] || continue
        [ -f "$1/$(basename "$f")" ] || rm -f "$f"
    done
}

build_kernel() {
    check_build_tools
    mkdir -p "$kb" || die "cannot create $kb"
    unpack
    apply_patches
    configure
    log "make -j$jobs bzImage modules (the first build takes several minutes)"
    (cd "$linux" && make -j"$jobs" ARCH=x86_64 bzImage >"$kb/make.log" 2>&1 &&
        make -j"$jobs" ARCH=x86_64 modules >>"$kb/make.log" 2>&1) ||
        { grep -E 'error|Error' "$kb/make.log" | head -20 >&2; die "kernel build failed (full log: $kb/make.log)"; }
    cp -p "$linux/arch/x86/boot/bzImage" "$kb/bzImage"
    build_extras
    log "built $kb/bzImage"
}

# The out-of-tree modules and the guest programs (run redoes this, so an
# edited module or guest program is rebuilt before the guest boots).
build_extras() {
    log "modules"
    sync_dir "$here/modules" "$kb/modules"
    (cd "$linux" && make -j"$jobs" ARCH=x86_64 M="$kb/modules" modules >"$kb/modules.log" 2>&1) ||
        { grep -E 'error|warning' "$kb/modules.log" | head -20 >&2; die "module build failed (full log: $kb/modules.log)"; }
    if grep -q 'warning:' "$kb/modules.log"; then
        grep 'warning:' "$kb/modules.log" >&2; die "modules must build without warnings"
    fi
    log "guest programs"
    mkdir -p "$kb/guest"
    for c in "$here"/guest/*.c; do
        [ -f "$c" ] || continue
        exe=$kb/guest/$(basename "$c" .c)
        [ "$exe" -nt "$c" ] && { [ ! -f "$here/guest/guest.h" ] || [ "$exe" -nt "$here/guest/guest.h" ]; } && continue
        gcc -static -O2 -Wall -Wextra -Werror -std=gnu11 -I"$here/guest" "$c" -o "$exe" ||
            die "$c: guest program does not build"
    done
}

# ---------------------------------------------------------------- run
list_tests() {
    for t in "$here"/tests/*.sh; do
        [ -f "$t" ] || continue
        n=$(basename "$t" .sh)
        d=$(sed -n 's/^# *test: *//p' "$t" | head -1)
        printf '%-10s %s\n' "$n" "$d"
    done
}

make_initramfs() { # NAME OUTPUT_JSON(0/1)
    need_file /bin/busybox busybox-static
    ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable' ||
        die "/bin/busybox is not statically linked (install the Debian package busybox-static: apt-get install busybox-static)"
    list=$kb/initramfs.list
    {
        echo "dir /dev 0755 0 0"
        echo "nod /dev/console 0600 0 0 c 5 1"
        echo "nod /dev/ttyS0 0600 0 0 c 4 64"
        echo "nod /dev/null 0666 0 0 c 1 3"
        for d in /bin /sbin /proc /sys /tmp /lab /lab/bin /lab/modules /lab/tests /root; do
            echo "dir $d 0755 0 0"
        done
        echo "file /bin/busybox /bin/busybox 0755 0 0"
        for a in sh ash cat echo ls mount umount insmod rmmod lsmod sleep reboot poweroff \
                 grep awk sed head tail cut tr wc sort uniq dmesg ps kill date seq \
                 printf test [ true false mkdir rm cp expr nproc taskset chrt nice \
                 uname env sync xargs od hexdump tee timeout pidof; do
            echo "slink /bin/$a /bin/busybox 0777 0 0"
        done
        echo "file /init $kb/init 0755 0 0"
        for f in "$kb"/guest/*; do
            [ -x "$f" ] && echo "file /lab/bin/$(basename "$f") $f 0755 0 0"
        done
        for f in "$kb"/modules/*.ko; do
            [ -f "$f" ] && echo "file /lab/modules/$(basename "$f") $f 0644 0 0"
        done
        for f in "$here"/tests/*.sh; do
            echo "file /lab/tests/$(basename "$f") $f 0755 0 0"
        done
        echo "file /lab/lib.sh $here/tests/lib/guest-lib.sh 0644 0 0"
    } >"$list"
    cat >"$kb/init" <<'EOF'
#!/bin/sh
# The guest's /init: mount what tests read, run the one test named on the
# kernel command line, print its result between markers, power off.
export PATH=/lab/bin:/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs dev /dev 2>/dev/null
t=
out=text
for a in $(cat /proc/cmdline); do
    case $a in
        vmlab.test=*) t=${a#vmlab.test=} ;;
        vmlab.output=*) out=${a#vmlab.output=} ;;
    esac
done
export VMLAB_OUTPUT=$out
echo "VMLAB-BEGIN $t cpus=$(grep -c ^processor /proc/cpuinfo)"
if [ -x /lab/tests/$t.sh ]; then
    cd /tmp && /lab/tests/$t.sh
    rc=$?
else
    echo "no such test: $t"
    rc=1
fi
if [ $rc -eq 0 ]; then echo "VMLAB-END $t pass"; else echo "VMLAB-END $t fail status=$rc"; fi
sync
reboot -f
EOF
    gen=$linux/usr/gen_init_cpio
    [ -x "$gen" ] || die "$gen missing (run 'vmlab kernel build')"
    "$gen" "$list" | gzip -1 >"$kb/initramfs.cpio.gz.tmp" && mv "$kb/initramfs.cpio.gz.tmp" "$kb/initramfs.cpio.gz" ||
        die "cannot write the initramfs"
}

run_test() {
    name=$1 output=$2 tmo=$3
    [ -f "$here/tests/$name.sh" ] || usage "no test named '$name' (vmlab kernel run --list)"
    need qemu-system-x86_64 qemu-system-x86
    [ -f "$kb/bzImage" ] && [ -f "$linux/Module.symvers" ] || die "$kb/bzImage missing (run 'vmlab kernel build' first)"
    VMLAB_QUIET=1 build_extras
    make_initramfs "$name"
    con=$kb/console-$name.log
    boot() { # ACCEL CPU
        rm -f "$con"
        log "booting: qemu-system-x86_64 -smp 4 -accel $1, test $name, timeout ${tmo}s"
        timeout --kill-after=5 "$tmo" qemu-system-x86_64 -accel "$1" -M pc -cpu "$2" -smp 4 \
            -m "${VMLAB_QEMU_MEM:-512M}" -kernel "$kb/bzImage" -initrd "$kb/initramfs.cpio.gz" \
            -append "console=ttyS0 panic=-1 loglevel=4 vmlab.test=$name vmlab.output=$output" \
            -display none -monitor none -serial "file:$con" -no-reboot </dev/null >"$kb/qemu.out" 2>&1
        qrc=$?
    }
    # KVM when /dev/kvm is usable; a KVM that fails before the guest
    # printed anything (nested virtualisation often does) falls back to TCG.
    qrc=1
    if [ "${VMLAB_ACCEL:-}" != tcg ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        boot kvm host
        if [ $qrc -ne 0 ] && [ $qrc -ne 124 ] && [ ! -s "$con" ]; then
            log "KVM failed ($(tail -n 1 "$kb/qemu.out")); using TCG"
            qrc=1
        else
            qrc=${qrc}k
        fi
    fi
    case $qrc in
        *k) qrc=${qrc%k} ;;
        *) boot tcg,thread=multi max ;;
    esac
    tr -d '\r' <"$con" >"$con.txt" 2>/dev/null || : >"$con.txt"
    if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
        echo "vmlab: kernel: test $name: timed out after ${tmo}s; the console's last lines:" >&2
        tail -n 25 "$con.txt" | sed 's/^/  | /' >&2
        [ -s "$con.txt" ] || echo "  (the console is empty: the kernel printed nothing yet)" >&2
        exit 1
    fi
    if ! grep -q "^VMLAB-END $name " "$con.txt"; then
        echo "vmlab: kernel: test $name: the guest stopped before the test ended (qemu status $qrc); the console's last lines:" >&2
        tail -n 25 "$con.txt" | sed 's/^/  | /' >&2
        [ -s "$kb/qemu.out" ] && sed 's/^/  qemu: /' "$kb/qemu.out" >&2
        exit 1
    fi
    # The test's own lines: everything between the markers but kernel messages.
    sed -n "/^VMLAB-BEGIN $name /,/^VMLAB-END $name /p" "$con.txt" |
        sed '1d;$d' | grep -v '^\[ *[0-9]*\.[0-9]*\] ' >"$kb/result-$name.txt"
    if [ "$output" = json ]; then
        sed -n '/^VMLAB-JSON-BEGIN$/,/^VMLAB-JSON-END$/p' "$kb/result-$name.txt" | sed '1d;$d'
    else
        sed '/^VMLAB-JSON-BEGIN$/,/^VMLAB-JSON-END$/d' "$kb/result-$name.txt"
    fi
    if grep -q "^VMLAB-END $name pass" "$con.txt"; then exit 0; fi
    echo "vmlab: kernel: test $name failed" >&2
    exit 1
}

# ---------------------------------------------------------------- main
# All in a function called from the last line: sh then reads the whole file
# before running, so editing the script during a long build is harmless.
main() {
    cmd=${1:-}
    [ $# -gt 0 ] && shift
    case $cmd in
        build)
            [ $# -eq 0 ] || usage "build takes no arguments"
            build_kernel ;;
        run)
            [ $# -gt 0 ] || usage "run needs a test name or --list"
            name="" output=text tmo=${VMLAB_KERNEL_TIMEOUT:-300}
            while [ $# -gt 0 ]; do
                case $1 in
                    --list) list_tests; exit 0 ;;
                    --output) [ $# -ge 2 ] || usage "--output needs text or json"
                        case $2 in text|json) output=$2 ;; *) usage "--output $2: expected text or json" ;; esac
                        shift 2 ;;
                    --output=*) output=${1#--output=}
                        case $output in text|json) ;; *) usage "$1: expected text or json" ;; esac
                        shift ;;
                    --timeout) [ $# -ge 2 ] || usage "--timeout needs seconds"
                        case $2 in *[!0-9]*|'') usage "--timeout $2: expected whole seconds" ;; esac
                        tmo=$2; shift 2 ;;
                    -*) usage "run: unknown option $1" ;;
                    *) [ -z "$name" ] || usage "run takes one test name"
                       case $1 in *[!a-z0-9_-]*) usage "'$1' is not a test name (vmlab kernel run --list)" ;; esac
                       name=$1; shift ;;
                esac
            done
            [ -n "$name" ] || usage "run needs a test name or --list"
            run_test "$name" "$output" "$tmo" ;;
        -h|--help|help)
            sed -n '2,/^set -u/p' "$0" | sed '$d;s/^# \{0,1\}//' ;;
        *) usage "expected build or run" ;;
    esac
}

main "$@"; exit $?
