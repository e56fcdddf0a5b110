#!/bin/sh
# SPDX-License-Identifier: MIT
# Cross-build compio's Windows test dependencies from Debian's own source
# packages, for x86_64-w64-mingw32:
#   check   -> a static libcheck.a and check.pc (Check runs the suites);
#   libinih -> ini.c and ini.h only; configure --with-inih-src compiles
#              them into libcompio (nothing of inih is kept in the repo).
#
# usage: scripts/mingw-deps.sh WORKDIR
#
# The result goes to WORKDIR/deps-<key>, where <key> names the Check,
# inih and mingw gcc versions, so a new version builds afresh and an
# unchanged one is reused. The last line of output is that directory.
# Needs root for apt (a deb-src entry for the machine's own Debian suite
# is added when missing), dpkg-dev and gcc-mingw-w64-x86-64.
set -eu

work=${1:?usage: $0 WORKDIR}
host=x86_64-w64-mingw32
mkdir -p "$work"
work=$(cd "$work" && pwd)

say() { echo "mingw-deps: $*" >&2; }

# The archive address and suite come from the machine's own apt sources,
# deb822 style first, then a one-line sources.list.
apt_uri() {
    sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -m1 'debian/\?$' && return 0
    sed -n 's/^deb  *\(\[[^]]*\] *\)\?\([^ ]*debian\/\?\) .*/\2/p' \
        /etc/apt/sources.list 2>/dev/null | head -n 1
}
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")

# add_src SUITE: make Debian's source index for SUITE known to apt.
add_src() {
    f=/etc/apt/sources.list.d/compio-$1-src.sources
    [ -f "$f" ] && return 0
    uri=$(apt_uri)
    [ -n "$uri" ] || { say "no Debian archive in the apt sources"; exit 1; }
    say "adding deb-src $uri $1"
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
        "$uri" "$1" /usr/share/keyrings/debian-archive-keyring.gpg > "$f"
    apt-get update -qq
}

# srcver PKG: the version apt would fetch for source package PKG.
srcver() {
    apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' |
        sort -V | tail -n 1
}

if [ -z "$(srcver check)" ]; then
    add_src "$suite"
fi
check_ver=$(srcver check)
inih_ver=$(srcver libinih)
[ -n "$check_ver" ] || { say "apt knows no source of check"; exit 1; }
gcc_ver=$($host-gcc -dumpversion)
key="check-$check_ver+inih-${inih_ver:-none}+gcc-$gcc_ver"
deps=$work/deps-$(echo "$key" | tr -c 'A-Za-z0-9.+\n-' '_')
src=$deps.src

if [ -f "$deps/lib/libcheck.a" ] && [ -f "$deps/src/inih/ini.c" ]; then
    say "reusing $deps"
    echo "$deps"
    exit 0
fi
rm -rf "$deps" "$src"
mkdir -p "$deps" "$src"
log=$src/build.log
say "building $key (log: $log)"

# Check: the upstream sources without Debian's patches, which rename the
# library in check.pc (-lcheck_pic) and touch the texinfo (makeinfo).
(
    cd "$src"
    apt-get source --download-only -qq "check=$check_ver"
    dpkg-source --skip-patches -x check_*.dsc check
    cd check
    ./configure --host=$host --build="$(./config.guess)" --prefix="$deps" \
        --disable-shared --enable-static --enable-subunit=no \
        --disable-timeout-tests --disable-build-docs
    make -j2 SUBDIRS="lib src"
    make SUBDIRS="lib src" install
) > "$log" 2>&1 || { tail -n 40 "$log" >&2; say "Check failed"; exit 1; }

# inih: only its two source files are used. A suite's tarball can be
# missing from the mirror (bookworm's libinih 55-1 returned 404 here);
# then the next suite's source package is fetched, through a temporary
# deb-src entry that is removed again.
(
    cd "$src"
    if [ -z "$inih_ver" ] ||
        ! apt-get source --download-only -qq "libinih=$inih_ver"; then
        rm -f libinih_*
        add_src trixie
        v=$(srcver libinih)
        apt-get source --download-only -qq "libinih=$v" || rc=$?
        rm -f /etc/apt/sources.list.d/compio-trixie-src.sources
        apt-get update -qq
        [ "${rc:-0}" -eq 0 ]
    fi
    dpkg-source --skip-patches -x libinih_*.dsc inih
    mkdir -p "$deps/src/inih"
    cp inih/ini.c inih/ini.h inih/LICENSE.txt "$deps/src/inih/"
) >> "$log" 2>&1 || { tail -n 40 "$log" >&2; say "inih failed"; exit 1; }

say "done: $(ls "$deps/lib/libcheck.a" "$deps/src/inih/ini.c" | tr '\n' ' ')"
echo "$deps"
