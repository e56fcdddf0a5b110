#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end: examples/driver-read prints the first bytes of a file read
# through the driver, on every backend built here, and fails cleanly on a
# missing file.
#
# In Windows builds (CIO_WINE set by make check) driver-read.exe runs
# under wine on the iocp backend: the paths it gets are wine's (Z: is
# /) and the CR LF line ends of its output are made LF before any grep.
set -u
wine=${CIO_WINE:-}
top=${CIO_TEST_BUILDDIR:?}/..
backends="epoll uring"
bin=$top/examples/driver-read
so=so
wp=
if [ -n "$wine" ]; then
    top=${top#Z:}
    backends=iocp
    bin=$top/examples/driver-read.exe
    so=dll
    wp=Z:
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

printf 'hello from compio\nsecond line\n' >"$tmp/in.txt"

for backend in $backends; do
    # A backend this machine does not build (no liburing) is not tested.
    [ -f "$top/modules/$backend/.libs/cio_$backend.$so" ] || {
        echo "skip: $backend not built"; continue; }
    out=$(COMPIO_BACKEND=$backend $wine "$bin" "$wp$tmp/in.txt") || {
        echo "FAIL: driver-read exited $? on $backend"; fail=1; continue; }
    [ -z "$wine" ] || out=$(printf '%s\n' "$out" | tr -d '\r')
    echo "$out" | grep -q "^backend $backend read 30 bytes" || {
        echo "FAIL: $backend: unexpected header: $out"; fail=1; }
    echo "$out" | grep -q '^hello from compio$' || {
        echo "FAIL: $backend: data missing: $out"; fail=1; }
done

if $wine "$bin" "$wp$tmp/does-not-exist" 2>"$tmp/err"; then
    echo "FAIL: driver-read succeeded on a missing file"
    fail=1
fi
grep -q 'does-not-exist' "$tmp/err" || { echo "FAIL: no error message"; fail=1; }

exit $fail
