#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end: examples/cp copies files byte for byte on every backend
# built here (several MiB with a size that is not a multiple of the
# chunk, an empty file, one chunk exactly, one task and many), keeps the
# mode, replaces an existing target, and fails cleanly (exit 1 and a
# message naming the file) on a missing source, a directory, an
# unwritable target and an unknown backend; exit 2 on bad usage.
#
# In Windows builds (CIO_WINE set by make check) cp.exe runs under wine
# on the iocp backend: the paths it gets are wine's (Z: is /), POSIX
# modes are not checked (Windows files have none), and a directory
# source is refused when it is opened (EISDIR), before its stat.
set -u
wine=${CIO_WINE:-}
top=${CIO_TEST_BUILDDIR:?}/..
backends="epoll uring"
bin=$top/examples/cp
so=so
wp=
isdir="invalid argument"
if [ -n "$wine" ]; then
    top=${top#Z:}
    backends=iocp
    bin=$top/examples/cp.exe
    so=dll
    wp=Z:
    isdir="illegal operation on a directory"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# 5 MiB + 12345 bytes of varied data.
head -c $((5 * 1024 * 1024 + 12345)) /dev/urandom >"$tmp/big"
chmod 0640 "$tmp/big"
: >"$tmp/empty"
head -c 65536 /dev/urandom >"$tmp/onechunk"

check() { # name backend args...
    name=$1; shift
    backend=$1; shift
    rm -f "$tmp/$name.copy"
    $wine "$bin" --backend "$backend" "$@" "$wp$tmp/$name" \
        "$wp$tmp/$name.copy" || {
        echo "FAIL: $backend: cp $* $name exited $?"; fail=1; return; }
    cmp "$tmp/$name" "$tmp/$name.copy" || {
        echo "FAIL: $backend: $name: copy differs"; fail=1; }
}

for backend in $backends; do
    [ -f "$top/modules/$backend/.libs/cio_$backend.$so" ] || {
        echo "skip: $backend not built"; continue; }
    check big $backend
    check big $backend --jobs 1 --chunk 4096
    check big $backend --jobs 16 --chunk 100000
    check empty $backend
    check onechunk $backend --chunk 65536
    [ -n "$wine" ] || [ "$(stat -c %a "$tmp/big.copy")" = 640 ] || {
        echo "FAIL: $backend: mode not kept"; fail=1; }
    # An existing, longer target is replaced, not merged.
    cp "$tmp/big" "$tmp/onechunk.copy"
    $wine "$bin" --backend $backend "$wp$tmp/onechunk" \
        "$wp$tmp/onechunk.copy" &&
        cmp -s "$tmp/onechunk" "$tmp/onechunk.copy" || {
        echo "FAIL: $backend: existing target not replaced"; fail=1; }
    $wine "$bin" -v --backend $backend "$wp$tmp/big" "$wp$tmp/big.copy" \
        2>"$tmp/err" &&
        grep -q "on $backend" "$tmp/err" || {
        echo "FAIL: $backend: -v: $(cat "$tmp/err")"; fail=1; }
    echo "ok: $backend"
done

expect_fail() { # what rc pattern args...
    what=$1; want=$2; pat=$3; shift 3
    $wine "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ -z "$wine" ] || { tr -d '\r' <"$tmp/err" >"$tmp/err.lf" &&
        mv "$tmp/err.lf" "$tmp/err"; }
    [ $rc -eq "$want" ] || { echo "FAIL: $what: exit $rc, want $want"; fail=1; }
    grep -q "$pat" "$tmp/err" || {
        echo "FAIL: $what: message: $(cat "$tmp/err")"; fail=1; }
}
expect_fail "missing source" 1 "missing: no such file or directory" \
    "$wp$tmp/missing" "$wp$tmp/x"
[ -e "$tmp/x" ] && { echo "FAIL: missing source created the target"; fail=1; }
expect_fail "directory source" 1 "$isdir" "$wp$tmp" "$wp$tmp/x"
expect_fail "target in a missing directory" 1 \
    "nodir/x: no such file or directory" "$wp$tmp/big" "$wp$tmp/nodir/x"
expect_fail "unknown backend" 1 "no runtime" --backend nosuch \
    "$wp$tmp/big" "$wp$tmp/x"
expect_fail "usage" 2 "usage" "$wp$tmp/big"
expect_fail "bad option" 2 "usage" --frob "$wp$tmp/big" "$wp$tmp/x"

exit $fail
