#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end: examples/echo-server on every backend built here, loaded
# and checked byte for byte by examples/echo-client (itself a compio
# program): 50 connections x 200 requests of 64 B and of 4 KiB, 1 MiB
# requests, a client on two threads, a client killed mid-run (the
# server carries on), and a server on two threads whose SO_REUSEPORT
# listeners both get connections. The server must stop cleanly on
# SIGTERM, also with a client still connected. Then the client's own
# failures: nothing listening, a server that does not echo, bad usage.
# Windows builds run all of it under wine on iocp (see netlib.sh), but
# for the server on two threads (no SO_REUSEPORT there) and with SIGINT
# as the stop signal.
set -u
tmp=$(mktemp -d)
fail=0
src=${CIO_TEST_SRCDIR:?}
. "${src#Z:}/examples/netlib.sh"
trap 'netlib_cleanup; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
ran=0

# client WHAT ARGS...: echo-client against $port must pass. Its
# per-request timeout (10 s by default) only guards a hang: a minute, so
# that a loaded machine or a sanitizer build is not read as one.
client() {
    what=$1
    shift
    $wine "$ex/echo-client$exe" --port "$port" --timeout 60 "$@" \
        >"$tmp/cl.out" 2>"$tmp/cl.err" || {
        echo "FAIL: $what: echo-client $* exited $?"
        cat "$tmp/cl.out" "$tmp/cl.err"
        fail=1
        return 1
    }
    grep -q "errors 0, mismatches 0" "$tmp/cl.out" || {
        echo "FAIL: $what: $(cat "$tmp/cl.out")"
        fail=1
        return 1
    }
}

for backend in $backends; do
    backend_ok $backend || { echo "skip: $backend: not built"; continue; }
    if ! start echo-server --backend $backend; then
        echo "skip: $backend: cannot run here: $(head -n 1 "$tmp/srv.err")"
        continue
    fi
    ran=$((ran + 1))
    grep -q "backend $backend, 1 thread" "$tmp/srv.out" || {
        echo "FAIL: $backend: banner: $(cat "$tmp/srv.out")"; fail=1; }

    client "$backend 64 B" --backend $backend --conns 50 --requests 200 \
        --size 64
    grep -q "requests 10000 " "$tmp/cl.out" || {
        echo "FAIL: $backend: $(cat "$tmp/cl.out")"; fail=1; }
    client "$backend 4 KiB" --backend $backend --conns 50 --requests 200 \
        --size 4096
    client "$backend 1 MiB" --backend $backend --conns 4 --requests 4 \
        --size 1048576
    client "$backend client threads" --backend $backend --threads 2 \
        --conns 20 --requests 100 --size 512

    # A client that dies mid-run leaves resets behind; nothing else.
    $wine "$ex/echo-client$exe" --port "$port" --conns 10 --duration 30 \
        >/dev/null 2>&1 &
    cpid=$!
    sleep 1
    kill -9 $cpid
    wait $cpid 2>/dev/null
    client "$backend after a killed client" --conns 5 --requests 50

    # SIGTERM while a client is busy: the server cancels its connection
    # and exits 0; the client sees the connection end and fails.
    $wine "$ex/echo-client$exe" --port "$port" --conns 2 --duration 30 \
        >"$tmp/busy.out" 2>"$tmp/busy.err" &
    cpid=$!
    sleep 1
    stop "$backend"
    wait $cpid && {
        echo "FAIL: $backend: client of a stopped server passed"; fail=1; }
    if grep -q "Sanitizer\|runtime error" "$tmp/busy.err"; then
        echo "FAIL: $backend: client:"; cat "$tmp/busy.err"; fail=1
    fi

    # Two runtimes on two threads, one listener each. Windows has no
    # SO_REUSEPORT (CIO_BIND_REUSEPORT is CIO_ENOTSUP there).
    if [ -n "$wine" ]; then
        echo "note: $backend: no server on two threads (no SO_REUSEPORT)"
    elif start echo-server --backend $backend --threads 2; then
        client "$backend server threads 64 B" --backend $backend --conns 50 \
            --requests 200 --size 64 --threads 2
        client "$backend server threads 4 KiB" --backend $backend --conns 50 \
            --requests 50 --size 4096
        stop "$backend --threads 2"
        grep -q "after 100 connections ([1-9][0-9]*, [1-9][0-9]* per" \
            "$tmp/srv.err" || {
            echo "FAIL: $backend: both workers should accept:" \
                "$(cat "$tmp/srv.err")"
            fail=1
        }
    else
        echo "FAIL: $backend --threads 2: $(cat "$tmp/srv.err")"
        fail=1
    fi
    echo "ok: $backend"
done

if [ $ran -eq 0 ]; then
    echo "SKIP: no backend could run a server here"
    exit 77
fi

# The client's failures. Nothing listening (the port of a stopped server).
$wine "$ex/echo-client$exe" --port "$port" --requests 1 >"$tmp/cl.out" \
    2>"$tmp/cl.err"
rc=$?
[ $rc -eq 1 ] && grep -q "connect: connection refused" "$tmp/cl.err" || {
    echo "FAIL: refused: exit $rc: $(cat "$tmp/cl.err")"; fail=1; }

# A server that answers something else than the echo (an HTTP server
# answering 400) is a mismatch or a short reply, never a pass.
if start http-server; then
    $wine "$ex/echo-client$exe" --port "$port" --conns 3 --requests 5 \
        --size 64 --timeout 3 >"$tmp/cl.out" 2>"$tmp/cl.err"
    rc=$?
    [ $rc -eq 1 ] && ! grep -q "Sanitizer\|runtime error" "$tmp/cl.err" || {
        echo "FAIL: not an echo: exit $rc: $(cat "$tmp/cl.out" "$tmp/cl.err")"
        fail=1
    }
    stop "http-server as a wrong echo"
else
    echo "FAIL: http-server: $(cat "$tmp/srv.err")"
    fail=1
fi

$wine "$ex/echo-client$exe" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: echo-client without --port: not 2"; fail=1; }
$wine "$ex/echo-server$exe" --threads 0 >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: echo-server --threads 0: not 2"; fail=1; }
$wine "$ex/echo-server$exe" --backend nosuch >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "no runtime" "$tmp/err" || {
    echo "FAIL: unknown backend: exit $rc: $(cat "$tmp/err")"; fail=1; }

exit $fail
