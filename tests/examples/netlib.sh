# SPDX-License-Identifier: MIT
# Sourced by tests/examples/echo-server.sh and http-server.sh: start an
# example server in the background on a free port, stop it with SIGTERM
# and check that it exits cleanly. The caller sets $tmp (a scratch
# directory) and $fail, and installs the EXIT trap that calls
# netlib_cleanup.
#
# In Windows builds (CIO_WINE set by make check) the examples are .exe
# run under wine on the iocp backend: run them as
# $wine "$ex/PROG$exe" ARGS, and give them paths as $wp$path (Z: is
# wine's /). $ex is then examples/.libs, the programs
# themselves rather than libtool's launchers, which run them as a child
# process that a signal would not reach. The stop signal is SIGINT:
# wine turns it into the console's CTRL_C_EVENT, while it lets SIGTERM
# kill the process outright (Windows has no such signal to deliver).

ex=${CIO_TEST_BUILDDIR:?}/../examples
wine=${CIO_WINE:-}
exe=
wp=
so=so
backends="epoll uring"
stopsig=TERM
if [ -n "$wine" ]; then
    ex=${ex#Z:}/.libs
    exe=.exe
    wp=Z:
    so=dll
    backends=iocp
    stopsig=INT
fi
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
    $wine "$ex/$prog$exe" "$@" >"$tmp/srv.out" 2>"$tmp/srv.err" &
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

# stop WHAT: SIGTERM (SIGINT on Windows); the server must exit 0 within
# 60 s (a guard against a hang, far above a slow stop under load), say
# so on stderr, and leave no sanitizer report behind.
stop() {
    what=$1
    kill -$stopsig "$pid"
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
    elif ! grep -q "stopped by SIG$stopsig" "$tmp/srv.err"; then
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
    [ -f "${CIO_TEST_BUILDDIR#Z:}/../modules/$1/.libs/cio_$1.$so" ]
}
