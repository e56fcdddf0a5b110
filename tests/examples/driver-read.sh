#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end: examples/driver-read prints the first bytes of a file read
# through the driver, on every backend built here, and fails cleanly on a
# missing file.
set -u
bin=${CIO_TEST_BUILDDIR:?}/../examples/driver-read
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

printf 'hello from compio\nsecond line\n' >"$tmp/in.txt"

for backend in epoll uring; do
    # A backend this machine does not build (no liburing) is not tested.
    [ -f "${CIO_TEST_BUILDDIR:?}/../modules/$backend/.libs/cio_$backend.so" ] || {
        echo "skip: $backend not built"; continue; }
    out=$(COMPIO_BACKEND=$backend "$bin" "$tmp/in.txt") || {
        echo "FAIL: driver-read exited $? on $backend"; fail=1; continue; }
    echo "$out" | grep -q "^backend $backend read 30 bytes" || {
        echo "FAIL: $backend: unexpected header: $out"; fail=1; }
    echo "$out" | grep -q '^hello from compio$' || {
        echo "FAIL: $backend: data missing: $out"; fail=1; }
done

if "$bin" "$tmp/does-not-exist" 2>"$tmp/err"; then
    echo "FAIL: driver-read succeeded on a missing file"
    fail=1
fi
grep -q 'does-not-exist' "$tmp/err" || { echo "FAIL: no error message"; fail=1; }

exit $fail
