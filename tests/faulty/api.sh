#!/bin/sh
# SPDX-License-Identifier: MIT
# The API suites (io, net tcp/unix/udp, fs, signal, process) with every
# runtime on the fault-injecting module wrapping epoll and wrapping
# uring (CIO_TEST_FAULTY, read by tests/api/cio_test_api.h): delayed and
# reordered completions and late notifies, which no promise of the API
# depends on. The suites also assert single calls that move a few bytes
# on local sockets and files whole ("cio_tcp_write(s, "bye", 3) == 3"),
# which a short count, legal for any read or write, breaks: short IO,
# EINTR and EAGAIN meet the promises that absorb them in
# check_faulty_api_* and examples.sh instead. The suites must be built
# ("make check" builds them first); one that is not is skipped.
# Windows builds run the suites' .exe under wine over faulty wrapping
# iocp, each through scripts/wine-run.sh (its timeout and backtraces).
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ran=0
src=${CIO_TEST_SRCDIR:?}
. "${src#Z:}/faulty/faultylib.sh"
api=$faulty_bdir/api
run=
exe=
if [ -n "${CIO_WINE:-}" ]; then
    run="sh $faulty_sdir/../scripts/wine-run.sh"
    exe=.exe
fi

# The inner backend is set per runtime by cio_test_api.h; one stats file.
faulty_ini "$tmp/f.ini" any "delay = 0.3" "late_notify = %2" \
    "late_notify_us = 1000"
# Only [module.faulty] is read from the file: drop [runtime].
sed -i '/^\[runtime\]/,/^\[module.faulty\]/{/^\[module.faulty\]/!d}' \
    "$tmp/f.ini"
CIO_TEST_FAULTY=$faulty_wp$tmp/f.ini
export CIO_TEST_FAULTY
# Check's plain summary ("100%: Checks: N, ...") rather than TAP.
unset CK_TAP_LOG_FILE_NAME
for t in check_io check_net_tcp check_net_unix check_net_udp check_fs \
    check_signal check_process; do
    [ -x "$api/$t$exe" ] || { echo "skip: $t not built"; continue; }
    $run "$api/$t$exe" >"$tmp/out" 2>&1
    rc=$?
    [ $rc -eq 77 ] && { echo "skip: $t: $(tail -n 1 "$tmp/out")"; continue; }
    ran=$((ran + 1))
    if [ $rc -ne 0 ]; then
        echo "FAIL: $t over faulty exited $rc"
        grep -E "^not ok|:[FE]:" "$tmp/out" | head -n 20
        # 99: wine-run.sh killed it; its backtraces end the output.
        [ $rc -eq 99 ] && sed -n '/^# wine-run:/,$p' "$tmp/out"
        fail=1
    else
        echo "ok: $t over faulty: $(grep -h 'Checks:' "$tmp/out")"
    fi
done
[ $ran -gt 0 ] || { echo "SKIP: no API suite built"; exit 77; }
faulty_check "API suites over faulty" any delay late_notify
exit $fail
