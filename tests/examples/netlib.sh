# SPDX-License-Identifier: MIT
# Sourced by tests/examples/echo-server.sh and http-server.sh: start an
# example server in the background on a free port, stop it with SIGTERM
# and check that it exits cleanly. The caller sets $tmp (a scratch
# directory) and $fail, and installs the EXIT trap that calls
# netlib_cleanup.

ex=${CIO_TEST_BUILDDIR:?}/../examples
pid=
port=

# Kill a server left running (the EXIT trap).
netlib_cleanup() {
    if [ -n "$pid" ]; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    pid=
}

# start PROG ARGS...: run examples/PROG in the background and wait (up
# to 60 s: sanitizer builds start slowly, more so on a loaded machine)
# for its "listening on" line.
# Sets $pid and $port; returns 1 with the server gone if it did not come
# up ($tmp/srv.err says why).
start() {
    prog=$1
    shift
    : >"$tmp/srv.out"
    : >"$tmp/srv.err"
    "$ex/$prog" "$@" >"$tmp/srv.out" 2>"$tmp/srv.err" &
    pid=$!
    n=0
    while [ $n -lt 600 ]; do
        port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\) (.*/\1/p' \
            "$tmp/srv.out")
        [ -n "$port" ] && return 0
        # A server that failed prints why and exits; a zombie still
        # answers kill -0, so look at what it said instead.
        [ -s "$tmp/srv.err" ] && break
        sleep 0.1
        n=$((n + 1))
    done
    sleep 0.2
    netlib_cleanup
    return 1
}

# stop WHAT: SIGTERM; the server must exit 0 within 60 s (a guard
# against a hang, far above a slow stop under load), say so on stderr,
# and leave no sanitizer report behind.
stop() {
    what=$1
    kill -TERM "$pid"
    (sleep 60; kill -9 "$pid") </dev/null >/dev/null 2>&1 &
    dog=$!
    wait "$pid"
    rc=$?
    kill "$dog" 2>/dev/null
    pid=
    if [ $rc -ne 0 ]; then
        echo "FAIL: $what: server exited $rc after SIGTERM"
        cat "$tmp/srv.err"
        fail=1
    elif ! grep -q "stopped by SIGTERM" "$tmp/srv.err"; then
        echo "FAIL: $what: no clean stop: $(cat "$tmp/srv.err")"
        fail=1
    fi
    if grep -q "Sanitizer\|runtime error" "$tmp/srv.err"; then
        echo "FAIL: $what: sanitizer report:"
        cat "$tmp/srv.err"
        fail=1
    fi
}

# backend_ok BACKEND: 0 if that module was built here (a built module
# that cannot run is caught by start).
backend_ok() {
    [ -f "${CIO_TEST_BUILDDIR:?}/../modules/$1/.libs/cio_$1.so" ]
}
