#!/bin/sh
# SPDX-License-Identifier: MIT
# Cross-build compio for Windows (x86_64-w64-mingw32) and run its Check
# suites under wine: the Windows stage of CI.
#
# usage: scripts/win-test.sh WORKDIR
#
# WORKDIR keeps what is worth reusing between runs: the mingw builds of
# Check and inih (scripts/mingw-deps.sh, keyed on their versions) and
# the wine prefix (about 700 MB, keyed on the wine version). The build
# itself is redone in WORKDIR/build every time.
#
# Needs (installed when missing, as root): wine, wine64,
# gcc-mingw-w64-x86-64, dpkg-dev, autoconf, automake, libtool, pkgconf.
# The last line is "windows (under wine): N passed, N failed, N skipped",
# counted from the test-suite logs; the exit code is non-zero when
# anything failed or did not build.
#
# Every test program runs under scripts/wine-run.sh, which kills one
# still running after $CIO_WINE_TIMEOUT seconds (default 300) and fails
# it with every thread's backtrace (winedbg) in its log, printed below.
# The build uses DWARF 4 (CFLAGS, unless set) because wine 8's winedbg
# cannot read gcc 12's default DWARF 5: the frames would have no names.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:?usage: $0 WORKDIR}
host=x86_64-w64-mingw32
mkdir -p "$work" || exit 1
work=$(cd "$work" && pwd)
build=$work/build

us() { date +%s%N | cut -c1-13; }
t_start=$(us)
t_last=$t_start
# phase NAME: print the time the previous phase took, then start NAME.
phase() {
    now=$(us)
    if [ -n "${phase_name:-}" ]; then
        d=$((now - t_last))
        printf 'win-test: %-28s %d.%02d s\n' "$phase_name" \
            $((d / 1000)) $((d % 1000 / 10))
    fi
    phase_name=$1
    t_last=$now
}

finish() {
    rc=$1
    phase ""
    summary="0 passed, 1 failed, 0 skipped"
    if [ -f "$build/test-suite.log" ]; then
        summary=$(tr -d '\r' < "$build/test-suite.log" | awk '
            /^# PASS:/ {p += $3} /^# SKIP:/ {s += $3}
            /^# FAIL:/ {f += $3} /^# XPASS:/ {f += $3} /^# ERROR:/ {f += $3}
            END {printf "%d passed, %d failed, %d skipped", p, f, s}')
    fi
    failed=$(echo "$summary" | sed 's/.* \([0-9]*\) failed.*/\1/')
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        # A step outside the test logs failed (deps, configure, make).
        summary=$(echo "$summary" | sed 's/ 0 failed/ 1 failed/')
    elif [ "$rc" -eq 0 ] && [ "$failed" -ne 0 ]; then
        rc=1
    fi
    d=$(($(us) - t_start))
    echo "win-test: total $((d / 1000)).$((d % 1000 / 10)) s"
    echo "windows (under wine): $summary"
    exit "$rc"
}

phase "packages"
need=
for p in wine wine64 gcc-mingw-w64-x86-64 dpkg-dev autoconf automake \
    libtool pkgconf make; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "win-test: missing:$need; run as root" >&2
        finish 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && \
        # shellcheck disable=SC2086 # the list is meant to split
        apt-get install -y -qq --no-install-recommends $need >/dev/null ||
        finish 1
fi

phase "mingw deps (Check, inih)"
deps=$("$top/scripts/mingw-deps.sh" "$work") || finish 1
deps=$(echo "$deps" | tail -n 1)

# One quiet prefix per wine version, no display, no Mono/Gecko prompts,
# and one persistent wineserver for the whole run: no start-up cost per
# test program and no shut-down race between two of them.
phase "wine prefix"
wine_ver=$(wine --version 2>/dev/null | tr -c 'A-Za-z0-9.\n-' '_')
export WINEPREFIX="$work/wineprefix-$wine_ver"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$WINEPREFIX" || finish 1
wineserver -k >/dev/null 2>&1
wineserver -p || { echo "win-test: wineserver -p failed" >&2; finish 1; }
trap 'wineserver -k >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    wineboot -i >/dev/null 2>&1 || { echo "win-test: wineboot failed" >&2; finish 1; }
fi

if [ ! -x "$top/configure" ]; then
    phase "autoreconf"
    (cd "$top" && autoreconf -fi) >/dev/null 2>&1 || finish 1
fi

phase "configure --host=$host"
rm -rf "$build" && mkdir -p "$build" && cd "$build" || finish 1
"$top/configure" --host=$host --build="$("$top/build-aux/config.guess")" \
    PKG_CONFIG_LIBDIR="$deps/lib/pkgconfig" --with-inih-src="$deps/src/inih" \
    CFLAGS="${CFLAGS:--g -gdwarf-4 -O2}" WINE=wine > configure.log 2>&1 ||
    { tail -n 30 configure.log; finish 1; }

phase "make"
make -j2 > make.log 2>&1 || { tail -n 40 make.log; finish 1; }

phase "make check (under wine)"
rc=0
make -j2 check > check.log 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
    tail -n 40 check.log
    # The failing programs' logs, CR-free, for the CI output.
    tr -d '\r' < test-suite.log 2>/dev/null | head -n 200
fi
finish "$rc"
