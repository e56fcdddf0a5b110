#!/bin/sh
# SPDX-License-Identifier: MIT
# Symbol hygiene: each backend module exports exactly its descriptor,
# libcompio exports only cio_* names and does not link liburing (only
# the uring module may).
set -u
top=${CIO_TEST_BUILDDIR:?}/..
fail=0

lib=$top/.libs/libcompio.so
[ -f "$lib" ] || { echo "SKIP: no shared libcompio"; exit 77; }

bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^cio_[a-z]' |
    grep -v '^COMPIO_' || true)
if [ -n "$bad" ]; then
    echo "FAIL: libcompio exports non-API symbols:"; echo "$bad"; fail=1
fi
internal=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep '^cio__' || true)
if [ -n "$internal" ]; then
    echo "FAIL: libcompio exports internal symbols:"; echo "$internal"; fail=1
fi
if ldd "$lib" | grep -q liburing; then
    echo "FAIL: libcompio links liburing"; fail=1
fi

n=0
for mod in $(find "$top/modules" -path '*/.libs/cio_*.so' 2>/dev/null); do
    n=$((n + 1))
    name=$(basename "$mod" .so)
    name=${name#cio_}
    syms=$(nm -D --defined-only "$mod" | awk '{print $3}')
    if [ "$syms" != "cio_backend_$name" ]; then
        echo "FAIL: $mod exports: $syms"; fail=1
    else
        echo "ok: $mod exports only cio_backend_$name"
    fi
    case $name in
    uring) ;;
    *) if ldd "$mod" | grep -q liburing; then
           echo "FAIL: $mod links liburing"; fail=1
       fi ;;
    esac
done
[ $n -gt 0 ] || { echo "FAIL: no backend module built"; fail=1; }
exit $fail
