#!/bin/sh
# SPDX-License-Identifier: MIT
# Symbol hygiene: each backend module exports exactly its descriptor,
# libcompio exports only cio_* names and does not link liburing (only
# the uring module may).
#
# Windows builds: the same rules on the DLLs' export tables, read with
# the cross objdump (-p) rather than nm -D; liburing does not exist
# there. Nothing is run under wine.
set -u
top=${CIO_TEST_BUILDDIR:?}/..
# Under wine the tests see Windows paths (Z:/...): this script runs on
# the host, so drop the drive.
top=${top#Z:}
fail=0

# The names a shared object defines for others: ELF dynamic symbols, or
# a DLL's export table ("[ n] name" lines under the name pointer table).
if [ -f "$top/.libs/libcompio.so" ]; then
    os=elf
    lib=$top/.libs/libcompio.so
    modext=so
    exports() { nm -D --defined-only "$1" | awk '{print $3}'; }
    links_uring() { ldd "$1" | grep -q liburing; }
elif dll=$(ls "$top"/.libs/libcompio-*.dll 2>/dev/null | head -n 1) &&
    [ -n "$dll" ]; then
    os=pe
    lib=$dll
    modext=dll
    # The build's own objdump (configure found it for libtool).
    objdump=${OBJDUMP:-$(sed -n 's/^OBJDUMP = //p' "$top/Makefile" 2>/dev/null)}
    objdump=${objdump:-x86_64-w64-mingw32-objdump}
    command -v "$objdump" >/dev/null 2>&1 ||
        { echo "SKIP: no $objdump to read export tables"; exit 77; }
    exports() {
        "$objdump" -p "$1" |
            sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' |
            awk '/^[[:space:]]+\[ *[0-9]+\]/ {print $NF}'
    }
    links_uring() { return 1; }
else
    echo "SKIP: no shared libcompio"; exit 77
fi
echo "# $os: $lib"

all=$(exports "$lib")
[ -n "$all" ] || { echo "FAIL: no exports read from $lib"; fail=1; }
bad=$(echo "$all" | grep -v '^cio_[a-z]' | grep -v '^COMPIO_' || true)
if [ -n "$bad" ]; then
    echo "FAIL: libcompio exports non-API symbols:"; echo "$bad"; fail=1
fi
internal=$(echo "$all" | grep '^cio__' || true)
if [ -n "$internal" ]; then
    echo "FAIL: libcompio exports internal symbols:"; echo "$internal"; fail=1
fi
if links_uring "$lib"; then
    echo "FAIL: libcompio links liburing"; fail=1
fi
# On Windows the DLL must run with nothing beside it but Windows' own
# DLLs: winpthreads and libgcc are linked in (core/include.am).
if [ "$os" = pe ]; then
    deps=$("$objdump" -p "$lib" | sed -n 's/^[[:space:]]*DLL Name: //p')
    foreign=$(echo "$deps" | grep -v -i -x -E \
        'kernel32\.dll|ntdll\.dll|msvcrt\.dll|ws2_32\.dll|mswsock\.dll|iphlpapi\.dll|advapi32\.dll|api-ms-win-.*\.dll' || true)
    if [ -n "$foreign" ]; then
        echo "FAIL: $lib imports DLLs that Windows does not ship:"
        echo "$foreign"; fail=1
    else
        echo "ok: $lib imports only system DLLs:" $deps
    fi
fi

n=0
for mod in $(find "$top/modules" -path "*/.libs/cio_*.$modext" 2>/dev/null); do
    n=$((n + 1))
    name=$(basename "$mod" ".$modext")
    name=${name#cio_}
    syms=$(exports "$mod")
    if [ "$syms" != "cio_backend_$name" ]; then
        echo "FAIL: $mod exports: $syms"; fail=1
    else
        echo "ok: $mod exports only cio_backend_$name"
    fi
    case $name in
    uring) ;;
    *) if links_uring "$mod"; then
           echo "FAIL: $mod links liburing"; fail=1
       fi ;;
    esac
done
[ $n -gt 0 ] || { echo "FAIL: no backend module built"; fail=1; }
exit $fail
