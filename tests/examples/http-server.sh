#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end: examples/http-server on every backend built here, driven
# by curl: /hello (body and headers), keep-alive (a second request on
# the same connection, HTTP/1.1 and 1.0), a 5 MiB file byte for byte
# (also four downloads at once), HEAD, Content-Type by extension, 301
# for a directory, 404, 405 with Allow (a POST body read and dropped,
# the connection kept), path traversal refused (403), an oversize
# header (431). Through raw sockets (bash's /dev/tcp): malformed
# requests get 400 or 505 and the server keeps serving, pipelined
# requests, a client that stalls or trickles its head is cut off at the
# idle timeout (408) while others are served. Then the same on two
# threads, and a clean stop on SIGTERM each time. Windows builds run
# all of it under wine on iocp (see netlib.sh; curl and the raw sockets
# stay native, over loopback TCP), but for the server on two threads (no
# SO_REUSEPORT there) and with SIGINT as the stop signal.
set -u
tmp=$(mktemp -d)
fail=0
src=${CIO_TEST_SRCDIR:?}
. "${src#Z:}/examples/netlib.sh"
trap 'netlib_cleanup; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

command -v curl >/dev/null 2>&1 || {
    echo "SKIP: curl is not installed (apt-get install curl)"; exit 77; }
have_bash=0
command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1 &&
    have_bash=1
[ $have_bash -eq 1 ] ||
    echo "note: no bash or timeout: the raw-socket cases are left out"

# The document root.
www=$tmp/www
mkdir -p "$www/sub"
head -c $((5 * 1024 * 1024 + 4321)) /dev/urandom >"$www/big.bin"
printf 'notes\n' >"$www/notes.txt"
printf '<h1>sub</h1>\n' >"$www/sub/index.html"
: >"$www/empty.txt"
for f in index.html style.css app.js pic.png photo.jpg data.json logo.svg \
    blob.xyz noext; do
    printf 'x' >"$www/$f"
done

# expect WHAT WANT GOT
expect() {
    [ "$3" = "$2" ] || { echo "FAIL: $1: got '$3', want '$2'"; fail=1; }
}

# has WHAT PATTERN FILE: the file holds a line matching PATTERN.
has() {
    grep -q "$2" "$3" || {
        echo "FAIL: $1: no '$2' in:"; cat "$3"; echo; fail=1; }
}

# code URL [curl args...]: the status curl sees.
code() {
    url=$1
    shift
    curl -s -o /dev/null -w '%{http_code}' "$@" "$url"
}

# raw FORMAT: send printf FORMAT on a new connection, print the answer
# until the server closes (at most 60 s, a guard against a hang; exit
# 124 then).
raw() {
    timeout 60 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "$2" >&3
        cat <&3' raw "$port" "$1"
}

# The checks on a running server at $port; $1 names the run.
checks() {
    run=$1
    base=http://127.0.0.1:$port

    # /hello, its headers and HEAD.
    curl -s -D "$tmp/h" -o "$tmp/b" "$base/hello" ||
        { echo "FAIL: $run: curl /hello"; fail=1; }
    expect "$run: /hello body" "Hello, World!" "$(cat "$tmp/b")"
    has "$run: /hello status" "^HTTP/1.1 200 OK" "$tmp/h"
    has "$run: /hello type" "^Content-Type: text/plain" "$tmp/h"
    has "$run: /hello length" "^Content-Length: 13" "$tmp/h"
    curl -s -I "$base/hello" >"$tmp/h"
    has "$run: HEAD length" "^Content-Length: 13" "$tmp/h"

    # Keep-alive: the second URL of one curl reuses the connection.
    expect "$run: keep-alive" "1 0 " "$(curl -s -o /dev/null -o /dev/null \
        -w '%{num_connects} ' "$base/hello" "$base/notes.txt")"
    curl -sv "$base/hello" "$base/hello" >/dev/null 2>"$tmp/v"
    has "$run: keep-alive (curl -v)" "Re-using existing connection" "$tmp/v"
    expect "$run: HTTP/1.0 closes" "1 1 " "$(curl -0 -s -o /dev/null \
        -o /dev/null -w '%{num_connects} ' "$base/hello" "$base/hello")"
    curl -0 -s -D "$tmp/h" -o /dev/null "$base/hello"
    has "$run: HTTP/1.0 Connection" "^Connection: close" "$tmp/h"
    expect "$run: HTTP/1.0 keep-alive" "1 0 " "$(curl -0 -s \
        -H 'Connection: keep-alive' -o /dev/null -o /dev/null \
        -w '%{num_connects} ' "$base/hello" "$base/hello")"
    expect "$run: Connection: close" "1 1 " "$(curl -s \
        -H 'Connection: close' -o /dev/null -o /dev/null \
        -w '%{num_connects} ' "$base/hello" "$base/hello")"

    # Files: bytes, lengths, types.
    curl -s -o "$tmp/big.out" "$base/big.bin" &&
        cmp "$www/big.bin" "$tmp/big.out" ||
        { echo "FAIL: $run: big.bin differs"; fail=1; }
    curl -s -I "$base/big.bin" >"$tmp/h"
    has "$run: big.bin HEAD" "^Content-Length: $((5 * 1024 * 1024 + 4321))" \
        "$tmp/h"
    pids=
    for i in 1 2 3 4; do
        curl -s -o "$tmp/par$i" "$base/big.bin" &
        pids="$pids $!"
    done
    wait $pids
    for i in 1 2 3 4; do
        cmp -s "$www/big.bin" "$tmp/par$i" ||
            { echo "FAIL: $run: parallel download $i differs"; fail=1; }
    done
    curl -s -D "$tmp/h" -o "$tmp/b" "$base/empty.txt"
    has "$run: empty file" "^Content-Length: 0" "$tmp/h"
    for pair in index.html:text/html style.css:text/css \
        app.js:text/javascript notes.txt:text/plain pic.png:image/png \
        photo.jpg:image/jpeg data.json:application/json \
        logo.svg:image/svg+xml blob.xyz:application/octet-stream \
        noext:application/octet-stream; do
        got=$(curl -s -o /dev/null -w '%{content_type}' "$base/${pair%%:*}")
        expect "$run: type of ${pair%%:*}" "${pair#*:}" "${got%%;*}"
    done
    expect "$run: / is index.html" "x" "$(curl -s "$base/")"
    expect "$run: dir redirect" "301 $base/sub/" \
        "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$base/sub")"
    expect "$run: dir index" "<h1>sub</h1>" "$(curl -s "$base/sub/")"

    # Errors.
    expect "$run: missing" 404 "$(code "$base/nothing.html")"
    expect "$run: file as dir" 404 "$(code "$base/notes.txt/")"
    expect "$run: POST" 405 "$(code "$base/hello" -d x=1)"
    curl -s -D "$tmp/h" -o /dev/null -X DELETE "$base/notes.txt"
    has "$run: Allow" "^Allow: GET, HEAD" "$tmp/h"
    expect "$run: POST body dropped, connection kept" "405 1 200 0 " \
        "$(curl -s -o /dev/null -w '%{http_code} %{num_connects} ' \
            -d 'some=body' "$base/hello" --next \
            -s -o /dev/null -w '%{http_code} %{num_connects} ' "$base/hello")"
    expect "$run: traversal" 403 "$(code "$base/../../etc/passwd" --path-as-is)"
    expect "$run: encoded traversal" 403 \
        "$(code "$base/%2e%2e/%2e%2e/etc/passwd" --path-as-is)"
    expect "$run: encoded slash" 400 \
        "$(code "$base/sub/..%2f..%2fetc/passwd" --path-as-is)"
    expect "$run: dot-dot inside the root" 200 \
        "$(code "$base/sub/../notes.txt" --path-as-is)"
    big=$(printf '%10000s' "" | tr ' ' a)
    expect "$run: oversize header" 431 "$(code "$base/hello" -H "X-Big: $big")"
    expect "$run: serving after 431" 200 "$(code "$base/hello")"

    [ $have_bash -eq 1 ] || return 0

    # Malformed requests: 400 (or 505), then the server goes on.
    cl2='GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n'
    cl2=$cl2'Content-Length: 2\r\n\r\n'
    for req in 'GARBAGE\r\n\r\n' '\001\002\377\n' \
        'GET /hello HTTP/1.1\r\n\r\n' \
        'GET /hello HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n' \
        'GET /hello HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n' \
        "$cl2" \
        'GET  /hello HTTP/1.1\r\nHost: x\r\n\r\n' \
        'GET /hello HTTP/1.1\rHost: x\r\n\r\n'; do
        raw "$req" >"$tmp/r"
        has "$run: malformed $req" "^HTTP/1.1 400 Bad Request" "$tmp/r"
    done
    raw 'GET /hello HTTP/2.0\r\nHost: x\r\n\r\n' >"$tmp/r"
    has "$run: HTTP/2.0" "^HTTP/1.1 505" "$tmp/r"
    expect "$run: serving after 400" 200 "$(code "$base/hello")"

    # Pipelining, and HEAD without a body.
    pipe='GET /hello HTTP/1.1\r\nHost: x\r\n\r\n'
    pipe=$pipe'GET /notes.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    raw "$pipe" >"$tmp/r"
    expect "$run: pipelined" 2 "$(grep -c 'HTTP/1.1 200 OK' "$tmp/r")"
    has "$run: pipelined bodies" "^Hello, World!HTTP/1.1 200 OK" "$tmp/r"
    has "$run: pipelined bodies" "^notes" "$tmp/r"
    raw 'HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
        >"$tmp/r"
    has "$run: raw HEAD" "^Content-Length: 13" "$tmp/r"
    grep -q Hello "$tmp/r" && { echo "FAIL: $run: HEAD sent a body"; fail=1; }

    # A stalled head is cut at the idle timeout (408) while others are
    # served; so is one trickling a byte every 0.3 s (its 24 bytes take
    # 7 s: cut at the 2 s timeout, it never gets to send them all,
    # however slow the machine); an idle connection is simply closed.
    raw 'GET /hello HTTP/1.1\r\nHost: x\r\n' >"$tmp/stall" &
    stall=$!
    : >"$tmp/trickled"
    timeout 60 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        (for c in G E T " " / h e l l o " " H T T P / 1 . 1 x x x x x x; do
            printf "%s" "$c" >&3 || exit; echo >>"$2"; sleep 0.3
        done) 2>/dev/null &
        cat <&3' trickle "$port" "$tmp/trickled" >"$tmp/trickle" &
    trickle=$!
    expect "$run: served while stalled" 200 "$(code "$base/hello")"
    raw '' >"$tmp/idle"
    expect "$run: idle connection closed" "0 0" "$? $(wc -c <"$tmp/idle")"
    wait $stall
    has "$run: stalled head" "^HTTP/1.1 408" "$tmp/stall"
    wait $trickle
    has "$run: trickled head" "^HTTP/1.1 408" "$tmp/trickle"
    sent=$(wc -l <"$tmp/trickled")
    [ "$sent" -lt 24 ] ||
        { echo "FAIL: $run: the trickler sent all $sent bytes"; fail=1; }
}

ran=0
for backend in $backends; do
    backend_ok $backend || { echo "skip: $backend: not built"; continue; }
    if ! start http-server --backend $backend --root "$wp$www" \
        --idle-timeout 2; then
        echo "skip: $backend: cannot run here: $(head -n 1 "$tmp/srv.err")"
        continue
    fi
    ran=$((ran + 1))
    has "$backend: banner" "backend $backend, 1 thread" "$tmp/srv.out"
    checks "$backend"
    stop "$backend"

    # Windows has no SO_REUSEPORT (CIO_BIND_REUSEPORT is CIO_ENOTSUP).
    if [ -n "$wine" ]; then
        echo "note: $backend: no server on two threads (no SO_REUSEPORT)"
    elif start http-server --backend $backend --root "$wp$www" --threads 2 \
        --idle-timeout 2; then
        base=http://127.0.0.1:$port
        expect "$backend threads: /hello" "Hello, World!" \
            "$(curl -s "$base/hello")"
        expect "$backend threads: keep-alive" "1 0 " "$(curl -s \
            -o /dev/null -o /dev/null -w '%{num_connects} ' "$base/hello" \
            "$base/notes.txt")"
        pids=
        for i in 1 2 3 4; do
            curl -s -o "$tmp/par$i" "$base/big.bin" &
            pids="$pids $!"
        done
        wait $pids
        for i in 1 2 3 4; do
            cmp -s "$www/big.bin" "$tmp/par$i" ||
                { echo "FAIL: $backend threads: download $i"; fail=1; }
        done
        stop "$backend --threads 2"
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

# Without --root only /hello exists; a bad --root is refused.
if start http-server; then
    expect "no root: /hello" 200 "$(code "http://127.0.0.1:$port/hello")"
    expect "no root: file" 404 "$(code "http://127.0.0.1:$port/notes.txt")"
    stop "no root"
fi
$wine "$ex/http-server$exe" --root "$wp$tmp/missing" >/dev/null \
    2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "missing" "$tmp/err" || {
    echo "FAIL: missing root: exit $rc: $(cat "$tmp/err")"; fail=1; }
$wine "$ex/http-server$exe" --idle-timeout x >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: bad --idle-timeout: not 2"; fail=1; }

exit $fail
