#!/bin/sh
# SPDX-License-Identifier: MIT
# Connection churn against examples/echo-server on every backend built
# here (uring, epoll, kqueue (emulated)): tests/soak/soak-conn opens and
# closes connections in rounds while it samples the server's fd count
# and RSS once a second, then checks that the fd count is back to its
# baseline (and, on runs long enough to judge, that RSS did not grow).
# The server must then stop cleanly on SIGTERM.
#
# Sizes: CIO_SOAK_CONNS connections a round (200), CIO_SOAK_SECONDS
# seconds per backend (2), CIO_SOAK_WARMUP seconds (1); scripts/soak.sh
# runs 10,000 connections for a minute or more. kqueue (emulated) gets
# at most 1,000 a round (CIO_SOAK_CONNS_KQUEUE overrides): the test
# emulator looks at every registered descriptor on each kevent call, so
# a round of 10,000 takes many minutes there. CIO_SOAK_BACKENDS
# overrides the backend list. Each backend's summary line goes to
# stdout; with CIO_SOAK_LOG set, the samples are appended there too.
set -u
tmp=$(mktemp -d)
fail=0
. "${CIO_TEST_SRCDIR:?}/examples/netlib.sh"
trap 'netlib_cleanup; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
soak=${CIO_TEST_BUILDDIR:?}/soak/soak-conn
conns=${CIO_SOAK_CONNS:-200}
secs=${CIO_SOAK_SECONDS:-2}
warm=${CIO_SOAK_WARMUP:-1}
kconns=${CIO_SOAK_CONNS_KQUEUE:-$conns}
[ -n "${CIO_SOAK_CONNS_KQUEUE:-}" ] || [ "$kconns" -le 1000 ] || kconns=1000
ran=0

# The emulated kqueue module lives with the tests, not with modules/.
COMPIO_MODULE_PATH=${COMPIO_MODULE_PATH:-}:${CIO_TEST_BUILDDIR}/kqueue/.libs
export COMPIO_MODULE_PATH

for backend in ${CIO_SOAK_BACKENDS:-uring epoll kqueue_emu}; do
    case $backend in
    kqueue_emu)
        label="kqueue (emulated)"
        nconn=$kconns
        [ -f "$CIO_TEST_BUILDDIR/kqueue/.libs/cio_kqueue_emu.so" ] || {
            echo "skip: $label: not built"; continue; } ;;
    *)
        label=$backend
        nconn=$conns
        backend_ok "$backend" || {
            echo "skip: $backend: not built"; continue; } ;;
    esac
    if ! start echo-server --backend "$backend"; then
        echo "skip: $label: cannot run here: $(head -n 1 "$tmp/srv.err")"
        continue
    fi
    ran=$((ran + 1))
    "$soak" --port "$port" --pid "$pid" --conns "$nconn" \
        --duration "$secs" --warmup "$warm" >"$tmp/soak.out" 2>&1
    rc=$?
    if [ -n "${CIO_SOAK_LOG:-}" ]; then
        { echo "== $label"; cat "$tmp/soak.out"; } >>"$CIO_SOAK_LOG"
    fi
    echo "$label: $(grep '^soak-conn:' "$tmp/soak.out" | head -n 1)"
    if [ $rc -ne 0 ]; then
        echo "FAIL: $label: soak-conn exited $rc"
        tail -n 5 "$tmp/soak.out"
        fail=1
    fi
    stop "$label"
done

[ $ran -gt 0 ] || { echo "no backend could run the server"; exit 77; }
exit $fail
