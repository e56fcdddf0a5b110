#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end: examples/read-file prints the first 4 KiB of a file read
# with cio_file_read_at on every backend built here, reads README.md
# when given no path, and fails cleanly on a missing file.
# In Windows builds (CIO_WINE set by make check) the example is an .exe
# run under wine on the iocp backend: the paths it gets are wine's (Z:
# is /) and the CR LF line ends of its output are made LF before any
# comparison.
set -u
wine=${CIO_WINE:-}
top=${CIO_TEST_BUILDDIR:?}/..
backends="epoll uring"
bin=$top/examples/read-file
so=so
wp=
if [ -n "$wine" ]; then
    top=${top#Z:}
    backends=iocp
    bin=$top/examples/read-file.exe
    so=dll
    wp=Z:
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# lf FILE: drop the CR of Windows line ends (nothing to do elsewhere).
lf() {
    [ -z "$wine" ] || { tr -d '\r' <"$1" >"$1.lf" && mv "$1.lf" "$1"; }
}

printf 'hello from compio\nsecond line\n' >"$tmp/small.txt"
# Longer than the 4 KiB buffer: only its first 4096 bytes come out.
i=0
while [ $i -lt 300 ]; do
    printf 'line %04d of a file longer than one read\n' $i
    i=$((i + 1))
done >"$tmp/big.txt"
head -c 4096 "$tmp/big.txt" >"$tmp/big.want"
: >"$tmp/empty.txt"

for backend in $backends; do
    [ -f "$top/modules/$backend/.libs/cio_$backend.$so" ] || {
        echo "skip: $backend not built"; continue; }
    for f in small empty; do
        COMPIO_BACKEND=$backend $wine "$bin" "$wp$tmp/$f.txt" >"$tmp/out" || {
            echo "FAIL: $backend: read-file $f exited $?"; fail=1; continue; }
        lf "$tmp/out"
        cmp -s "$tmp/out" "$tmp/$f.txt" || {
            echo "FAIL: $backend: $f: output differs"; fail=1; }
    done
    COMPIO_BACKEND=$backend $wine "$bin" "$wp$tmp/big.txt" >"$tmp/out" || {
        echo "FAIL: $backend: read-file big exited $?"; fail=1; }
    lf "$tmp/out"
    cmp -s "$tmp/out" "$tmp/big.want" || {
        echo "FAIL: $backend: big: not the first 4096 bytes"; fail=1; }
    echo "ok: $backend"
done

# No argument: README.md in the working directory.
src=${CIO_TEST_SRCDIR:?}/..
[ -z "$wine" ] || src=${src#Z:}
(cd "$src" && $wine "$bin" >"$tmp/readme") || {
    echo "FAIL: read-file without a path exited $?"; fail=1; }
lf "$tmp/readme"
head -c 4096 "$src/README.md" | cmp -s - "$tmp/readme" || {
    echo "FAIL: read-file without a path did not print README.md"; fail=1; }

# A missing file: exit 1, the path and the reason on stderr, no output.
$wine "$bin" "$wp$tmp/does-not-exist" >"$tmp/out" 2>"$tmp/err"
rc=$?
lf "$tmp/err"
[ $rc -eq 1 ] || { echo "FAIL: missing file: exit $rc, want 1"; fail=1; }
[ -s "$tmp/out" ] && { echo "FAIL: missing file: printed something"; fail=1; }
grep -q "does-not-exist: no such file or directory" "$tmp/err" || {
    echo "FAIL: missing file: message: $(cat "$tmp/err")"; fail=1; }
# A directory: read_at fails with EISDIR (on Windows already the open).
$wine "$bin" "$wp$tmp" >/dev/null 2>"$tmp/err" && {
    echo "FAIL: reading a directory succeeded"; fail=1; }
lf "$tmp/err"
grep -q "illegal operation on a directory" "$tmp/err" || {
    echo "FAIL: directory: message: $(cat "$tmp/err")"; fail=1; }

exit $fail
