#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end: examples/read-file prints the first 4 KiB of a file read
# with cio_file_read_at on every backend built here, reads README.md
# when given no path, and fails cleanly on a missing file.
set -u
bin=${CIO_TEST_BUILDDIR:?}/../examples/read-file
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

printf 'hello from compio\nsecond line\n' >"$tmp/small.txt"
# Longer than the 4 KiB buffer: only its first 4096 bytes come out.
i=0
while [ $i -lt 300 ]; do
    printf 'line %04d of a file longer than one read\n' $i
    i=$((i + 1))
done >"$tmp/big.txt"
head -c 4096 "$tmp/big.txt" >"$tmp/big.want"
: >"$tmp/empty.txt"

for backend in epoll uring; do
    [ -f "${CIO_TEST_BUILDDIR:?}/../modules/$backend/.libs/cio_$backend.so" ] || {
        echo "skip: $backend not built"; continue; }
    for f in small empty; do
        COMPIO_BACKEND=$backend "$bin" "$tmp/$f.txt" >"$tmp/out" || {
            echo "FAIL: $backend: read-file $f exited $?"; fail=1; continue; }
        cmp -s "$tmp/out" "$tmp/$f.txt" || {
            echo "FAIL: $backend: $f: output differs"; fail=1; }
    done
    COMPIO_BACKEND=$backend "$bin" "$tmp/big.txt" >"$tmp/out" || {
        echo "FAIL: $backend: read-file big exited $?"; fail=1; }
    cmp -s "$tmp/out" "$tmp/big.want" || {
        echo "FAIL: $backend: big: not the first 4096 bytes"; fail=1; }
    echo "ok: $backend"
done

# No argument: README.md in the working directory.
(cd "${CIO_TEST_SRCDIR:?}/.." && "$bin" >"$tmp/readme") || {
    echo "FAIL: read-file without a path exited $?"; fail=1; }
head -c 4096 "${CIO_TEST_SRCDIR:?}/../README.md" | cmp -s - "$tmp/readme" || {
    echo "FAIL: read-file without a path did not print README.md"; fail=1; }

# A missing file: exit 1, the path and the reason on stderr, no output.
"$bin" "$tmp/does-not-exist" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: missing file: exit $rc, want 1"; fail=1; }
[ -s "$tmp/out" ] && { echo "FAIL: missing file: printed something"; fail=1; }
grep -q "does-not-exist: no such file or directory" "$tmp/err" || {
    echo "FAIL: missing file: message: $(cat "$tmp/err")"; fail=1; }
# A directory: read_at fails with EISDIR.
"$bin" "$tmp" >/dev/null 2>"$tmp/err" && {
    echo "FAIL: reading a directory succeeded"; fail=1; }
grep -q "illegal operation on a directory" "$tmp/err" || {
    echo "FAIL: directory: message: $(cat "$tmp/err")"; fail=1; }

exit $fail
