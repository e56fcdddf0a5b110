#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end: examples/cp copies files byte for byte on every backend
# built here (several MiB with a size that is not a multiple of the
# chunk, an empty file, one chunk exactly, one task and many), keeps the
# mode, replaces an existing target, and fails cleanly (exit 1 and a
# message naming the file) on a missing source, a directory, an
# unwritable target and an unknown backend; exit 2 on bad usage.
set -u
bin=${CIO_TEST_BUILDDIR:?}/../examples/cp
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
    "$bin" --backend "$backend" "$@" "$tmp/$name" "$tmp/$name.copy" || {
        echo "FAIL: $backend: cp $* $name exited $?"; fail=1; return; }
    cmp "$tmp/$name" "$tmp/$name.copy" || {
        echo "FAIL: $backend: $name: copy differs"; fail=1; }
}

for backend in epoll uring; do
    [ -f "${CIO_TEST_BUILDDIR:?}/../modules/$backend/.libs/cio_$backend.so" ] || {
        echo "skip: $backend not built"; continue; }
    check big $backend
    check big $backend --jobs 1 --chunk 4096
    check big $backend --jobs 16 --chunk 100000
    check empty $backend
    check onechunk $backend --chunk 65536
    [ "$(stat -c %a "$tmp/big.copy")" = 640 ] || {
        echo "FAIL: $backend: mode not kept"; fail=1; }
    # An existing, longer target is replaced, not merged.
    cp "$tmp/big" "$tmp/onechunk.copy"
    "$bin" --backend $backend "$tmp/onechunk" "$tmp/onechunk.copy" &&
        cmp -s "$tmp/onechunk" "$tmp/onechunk.copy" || {
        echo "FAIL: $backend: existing target not replaced"; fail=1; }
    "$bin" -v --backend $backend "$tmp/big" "$tmp/big.copy" 2>"$tmp/err" &&
        grep -q "on $backend" "$tmp/err" || {
        echo "FAIL: $backend: -v: $(cat "$tmp/err")"; fail=1; }
    echo "ok: $backend"
done

expect_fail() { # what rc pattern args...
    what=$1; want=$2; pat=$3; shift 3
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq "$want" ] || { echo "FAIL: $what: exit $rc, want $want"; fail=1; }
    grep -q "$pat" "$tmp/err" || {
        echo "FAIL: $what: message: $(cat "$tmp/err")"; fail=1; }
}
expect_fail "missing source" 1 "missing: no such file or directory" \
    "$tmp/missing" "$tmp/x"
[ -e "$tmp/x" ] && { echo "FAIL: missing source created the target"; fail=1; }
expect_fail "directory source" 1 "invalid argument" "$tmp" "$tmp/x"
expect_fail "target in a missing directory" 1 \
    "nodir/x: no such file or directory" "$tmp/big" "$tmp/nodir/x"
expect_fail "unknown backend" 1 "no runtime" --backend nosuch \
    "$tmp/big" "$tmp/x"
expect_fail "usage" 2 "usage" "$tmp/big"
expect_fail "bad option" 2 "usage" --frob "$tmp/big" "$tmp/x"

exit $fail
