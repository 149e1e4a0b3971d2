#!/bin/sh
# SPDX-License-Identifier: MIT
# debpkg.sh [OUTDIR] - build the Debian packages (dpkg-buildpackage -b -us -uc)
# from the committed tree in a scratch copy, so the work tree stays clean, and
# leave the .deb files in OUTDIR (default build/deb).  Then check them: lintian
# (its errors fail the build) and an install into a scratch root with dpkg.
set -eu
out=$(realpath -m "${1:-build/deb}")
tmp=$(mktemp -d /tmp/vmlab-deb-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/vmlab" "$out"
git archive HEAD | tar -x -C "$tmp/vmlab"
(cd "$tmp/vmlab" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$tmp/build.log" 2>&1 || {
    tail -30 "$tmp/build.log"
    echo "vmlab: debpkg: dpkg-buildpackage failed (the log's end is above)" >&2
    exit 1
}
cp "$tmp"/*.deb "$out"/
if command -v lintian >/dev/null; then
    lintian --fail-on error "$tmp"/*.changes || exit 1
fi
# The packages install and the installed command runs.
root=$tmp/root
mkdir -p "$root"
for d in "$out"/*.deb; do dpkg-deb -x "$d" "$root"; done
LD_LIBRARY_PATH="$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)" "$root/usr/bin/vmlab" --version
ls "$out"
