#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end under faults: examples/echo-server loaded by echo-client
# (every byte checked; both programs on the fault-injecting module) and
# examples/http-server driven by curl (a 3 MiB download compared byte
# for byte, keep-alive), over faulty wrapping epoll, uring and kqueue
# (emulated: the kqueue module on tests/kqemu, named by path),
# with short reads and writes, CIO_EINTR and CIO_EAGAIN on stream IO,
# delayed and reordered completions and late notifies. The API's
# descriptor streams restart EINTR/EAGAIN and cio_read_exact and
# cio_write_all loop over short counts, so the programs must not
# notice. The servers must stop cleanly on SIGTERM, and the module's
# counters must show every kind of fault injected and no completion for
# an op it did not hold. Windows builds run all of it under wine over
# faulty wrapping iocp (see netlib.sh and faultylib.sh), the servers
# stopped with SIGINT.
set -u
tmp=$(mktemp -d)
fail=0
src=${CIO_TEST_SRCDIR:?}
. "${src#Z:}/examples/netlib.sh"
. "${src#Z:}/faulty/faultylib.sh"
trap 'netlib_cleanup; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
ran=0
have_curl=0
command -v curl >/dev/null 2>&1 && have_curl=1
[ $have_curl -eq 1 ] || echo "note: no curl: http-server is left out"

mkdir -p "$tmp/www"
head -c $((3 * 1024 * 1024 + 123)) /dev/urandom >"$tmp/www/big.bin"
printf 'hello\n' >"$tmp/www/index.html"

# client ARGS...: echo-client (on faulty, or as ARGS say), output in
# $tmp/cl.out and cl.err without the CRs of a Windows program.
client() {
    $wine "$ex/echo-client$exe" "$@" >"$tmp/cl.out" 2>"$tmp/cl.err"
    crc=$?
    for f in "$tmp/cl.out" "$tmp/cl.err"; do
        tr -d '\r' <"$f" >"$f.t" && mv "$f.t" "$f"
    done
    return $crc
}

for inner in $faulty_inners; do
    # The test-only kqueue (emulated) module is on no search path: the
    # wrapper and the plain client load it by absolute path.
    case $inner in
    kqueue_emu)
        name=$faulty_bdir/kqueue/.libs/cio_kqueue_emu.so
        [ -f "$name" ] || { echo "skip: $inner: not built"; continue; } ;;
    *)
        name=$inner
        backend_ok "$inner" || { echo "skip: $inner: not built"; continue; } ;;
    esac
    faulty_ini "$tmp/$inner.ini" "$name" "short = 0.3" "eintr = 0.05" \
        "eagain = 0.05" "delay = 0.2" "late_notify = %1" \
        "late_notify_us = 1000"
    inner=$tag # faulty_ini sets inner (to $name) and tag (the name).
    COMPIO_CONFIG=$faulty_wp$tmp/$inner.ini
    export COMPIO_CONFIG
    if ! start echo-server; then
        echo "skip: faulty($inner): cannot run here:" \
            "$(head -n 1 "$tmp/srv.err")"
        continue
    fi
    ran=$((ran + 1))
    grep -q "backend faulty" "$tmp/srv.out" || {
        echo "FAIL: $inner: banner: $(cat "$tmp/srv.out")"; fail=1; }
    for args in "--conns 20 --requests 100 --size 64" \
        "--conns 10 --requests 20 --size 65536" \
        "--conns 2 --requests 3 --size 1048576" \
        "--threads 2 --conns 10 --requests 50 --size 4096"; do
        # shellcheck disable=SC2086
        client --port "$port" $args || {
            echo "FAIL: faulty($inner): echo-client $args exited $crc"
            cat "$tmp/cl.out" "$tmp/cl.err"; fail=1; }
        grep -q "errors 0, mismatches 0" "$tmp/cl.out" || {
            echo "FAIL: faulty($inner): $args: $(cat "$tmp/cl.out")"
            fail=1; }
    done
    stop "echo-server over faulty($inner)"

    if [ $have_curl -eq 1 ] && start http-server --root "$wp$tmp/www"; then
        curl -sf "http://127.0.0.1:$port/big.bin" -o "$tmp/got.bin" &&
            cmp -s "$tmp/www/big.bin" "$tmp/got.bin" || {
            echo "FAIL: faulty($inner): big.bin differs or failed"; fail=1; }
        curl -sf "http://127.0.0.1:$port/index.html" \
            "http://127.0.0.1:$port/index.html" -o "$tmp/a" -o "$tmp/b" &&
            [ "$(cat "$tmp/a" "$tmp/b")" = "hello
hello" ] || {
            echo "FAIL: faulty($inner): keep-alive requests"; fail=1; }
        pids=
        for i in 1 2 3 4; do
            curl -sf "http://127.0.0.1:$port/big.bin" -o "$tmp/p$i" &
            pids="$pids $!"
        done
        wait_all=0
        for j in $pids; do
            wait "$j" || wait_all=1
        done
        for i in 1 2 3 4; do
            cmp -s "$tmp/www/big.bin" "$tmp/p$i" || wait_all=1
        done
        [ $wait_all -eq 0 ] || {
            echo "FAIL: faulty($inner): parallel downloads"; fail=1; }
        stop "http-server over faulty($inner)"
    elif [ $have_curl -eq 1 ]; then
        echo "FAIL: faulty($inner): http-server did not start:"
        cat "$tmp/srv.err"
        fail=1
    fi
    unset COMPIO_CONFIG
    faulty_check "examples over faulty($inner)" "$inner" short eintr \
        eagain delay late_notify

    # Errors no layer hides (CIO_ENOMEM at submit, CIO_ECONNRESET on
    # socket IO): the server drops the connections they hit and carries
    # on; a client on the plain backend sees errors, never wrong bytes,
    # and the server still stops cleanly. (Not ecanceled: a task reads
    # CIO_ECANCELED as its own cancel, which the server's accept loop
    # rightly takes as "stop".)
    faulty_ini "$tmp/$inner-err.ini" "$name" "short = 0.3" \
        "enomem = 0.01" "econnreset = 0.01" "delay = 0.2"
    inner=$tag
    COMPIO_CONFIG=$faulty_wp$tmp/$inner-err.ini
    export COMPIO_CONFIG
    if start echo-server; then
        client --port "$port" --backend "$name" --timeout 5 \
            --conns 20 --requests 100 --size 4096
        grep -q "mismatches 0\$" "$tmp/cl.out" || {
            echo "FAIL: faulty($inner) errors: $(cat "$tmp/cl.out")"
            fail=1; }
        kill -0 "$pid" 2>/dev/null || {
            echo "FAIL: faulty($inner) errors: the server died"; fail=1; }
        echo "faulty($inner) errors: client: $(tail -n 1 "$tmp/cl.out")"
        stop "echo-server over faulty($inner) with errors"
    else
        echo "FAIL: faulty($inner) errors: echo-server did not start"
        fail=1
    fi
    unset COMPIO_CONFIG
    faulty_check "errors over faulty($inner)" "$inner" enomem econnreset
done
[ $ran -gt 0 ] || { echo "SKIP: no inner backend runs here"; exit 77; }
exit $fail
