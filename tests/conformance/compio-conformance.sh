#!/bin/sh
# SPDX-License-Identifier: MIT
# compio-conformance itself: usage errors (exit 2), a module that is
# missing or refused by the loader (exit 1, and why), one that cannot run
# here (exit 77), test selection, a failing expectation (exit 1, "not
# ok"), and the module named by absolute path in an ini file (--config).
set -u

: "${CIO_TEST_BUILDDIR:?run me through make check}"
top="$CIO_TEST_BUILDDIR/.."
tool="$top/tools/compio-conformance"
poll="$top/examples/skeleton-module/.libs/cio_poll.so"
probefail="$CIO_TEST_BUILDDIR/loader/fixtures/.libs/cio_probefail.so"
tmp=$(mktemp -d) || exit 99
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
out="$tmp/out"
fails=0

fail() {
    echo "FAIL: $*"
    sed 's/^/    /' "$out"
    fails=$((fails + 1))
}

# expect CODE ARGS...: run the tool, compare its exit status.
expect() {
    want=$1
    shift
    "$tool" "$@" >"$out" 2>&1
    rc=$?
    [ "$rc" -eq "$want" ] || fail "$*: exit $rc, expected $want"
}

expect 0 --help
grep -q '^usage: compio-conformance' "$out" || fail "--help: no usage"
expect 2 --bogus
expect 2 --suite nosuch --backend poll
expect 2 --expect sometimes --backend poll
expect 2 --backend ./relative/cio_poll.so
grep -q 'relative' "$out" || fail "relative --backend: no reason"
expect 2 --config "$tmp/missing.ini"
expect 2 --backend "$poll" --test t_nop,no_such_test
grep -q 'no such test: no_such_test' "$out" || fail "unknown test not named"

expect 0 --list
grep -q '^conformance:backend:t_nop$' "$out" || fail "--list: no t_nop"
grep -q '^beyond:backend:t_features$' "$out" || fail "--list: no t_features"

# Missing: exit 1, with where it looked.
COMPIO_MODULE_PATH="$tmp" expect 1 --backend nosuch
grep -q 'backend nosuch not found (ENOENT)' "$out" || fail "missing: no reason"

# Not a module: refused by the loader, exit 1.
mkdir "$tmp/junk" && echo junk >"$tmp/junk/cio_junk.so"
expect 1 --backend "$tmp/junk/cio_junk.so"
grep -q 'refused (ELIBBAD)' "$out" || fail "junk: not refused as ELIBBAD"

# A module in a directory others can write to: refused, exit 1.
mkdir "$tmp/open" && cp "$poll" "$tmp/open/cio_poll.so" &&
    chmod 755 "$tmp/open/cio_poll.so" && chmod 777 "$tmp/open"
expect 1 --backend "$tmp/open/cio_poll.so"
grep -q 'refused (EACCES).*writable by others' "$out" ||
    fail "unsafe directory not refused"
chmod 755 "$tmp/open"

# A probe that fails: the backend cannot run here, a SKIP (77).
if [ -f "$probefail" ]; then
    expect 77 --backend "$probefail" --tap
    grep -q '^1\.\.0 # SKIP .*cannot run here (ENOSYS)' "$out" ||
        fail "probe failure: no TAP skip plan"
fi

# Selection: exactly the two tests named, as TAP.
expect 0 --backend "$poll" --test t_nop,t_notify --tap
grep -q '^1\.\.2$' "$out" || fail "--test: plan is not 1..2"
[ "$(grep -c '^ok ' "$out")" -eq 2 ] || fail "--test: not two passes"

# A failing test: the poll module does no feature natively.
expect 1 --backend "$poll" --suite beyond --test t_features --expect native \
    --tap
grep -q '^not ok 1 - beyond:poll:t_features: .*check_beyond.c:' "$out" ||
    fail "--expect native: no failure with file and line"

# The module named by absolute path in an ini file, nothing else.
printf '[runtime]\nbackend = %s\n' "$tmp/open/cio_poll.so" >"$tmp/poll.ini"
expect 0 --config "$tmp/poll.ini" --test t_nop,t_pipe_rw,t_features
grep -q 'backend poll$' "$out" || fail "--config: backend not from the ini"
grep -q 'poll.so: 3 passed, 0 failed' "$out" || fail "--config: summary"

[ "$fails" -eq 0 ] && echo "compio-conformance: all checks passed"
[ "$fails" -eq 0 ]
