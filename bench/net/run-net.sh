#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/net/run-net.sh OUTDIR [BUILDDIR] - the network benchmarks:
# compio's echo-server and http-server against peers written for the
# purpose (bench/peers/) and nginx. Writes OUTDIR/net.md (tables and a
# PASS/MISS line per target), gnuplot PNGs and the raw samples
# (OUTDIR/raw/). BUILDDIR (or $CIO_BUILD_DIR) is a configured compio
# build tree; bench/net/build.sh BUILDDIR is run first.
#
# Method: every server of a comparison is started once, pinned to
# NET_SERVER_CPU; the load generator (examples/echo-client, or wrk) is
# pinned to NET_CLIENT_CPU. Each round runs every server in turn (A B
# C ... A B C ...), NET_ROUNDS rounds of NET_DURATION seconds. The
# server's CPU time is read from /proc/PID/task/*/schedstat (ns on CPU,
# all threads) before and after each run; CPU per request is that
# difference over the requests the client completed. Tables give the
# median and min-max of the rounds, and ratios compio/peer taken round
# by round (same round, back to back), median and min-max.
#
# Environment (defaults): NET_ROUNDS (3), NET_DURATION (0.6 s per run;
# wrk rounds it up to whole seconds),
# NET_SIZES ("64 4096"), NET_CONNS ("1 50 500"), NET_IDLE_CONNS (10000),
# NET_HTTP_CONNS (50), NET_SERVER_CPU (0), NET_CLIENT_CPU (1),
# NET_SECTIONS ("echo scale http idle profile"; NET_SECTIONS=idle runs
# the idle connections alone), NET_IDLE_ROUNDS (2), NET_PROF_CONNS
# (connections of the syscall counts, "1 50 500"), NET_NO_BUILD (unset).
#
# compio is measured twice: examples/echo-server (a task per
# connection; the rows the targets are judged on) and bench/net/echo_cb
# (callbacks, no task per connection; rows compio-cb-uring and
# compio-cb-epoll, reported beside them).
set -eu

out=$(mkdir -p "$1" && cd "$1" && pwd)
build=${2:-${CIO_BUILD_DIR:-}}
if [ -z "$build" ]; then
    echo "usage: run-net.sh OUTDIR BUILDDIR (or CIO_BUILD_DIR=...)" >&2
    exit 2
fi
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
rounds=${NET_ROUNDS:-3}
dur=${NET_DURATION:-0.6}
sizes=${NET_SIZES:-64 4096}
conns_list=${NET_CONNS:-1 50 500}
idle_n=${NET_IDLE_CONNS:-10000}
idle_rounds=${NET_IDLE_ROUNDS:-2}
http_conns=${NET_HTTP_CONNS:-50}
scpu=${NET_SERVER_CPU:-0}
ccpu=${NET_CLIENT_CPU:-1}
sections=${NET_SECTIONS:-echo scale http idle profile}
prof_conns=${NET_PROF_CONNS:-1 50 500}
raw=$out/raw
peers=$build/bench/net
ex=$build/examples
mkdir -p "$raw"
# Samples of an earlier run must not leak into this report.
rm -f "$raw"/*.tsv "$raw"/*.dat "$raw"/*.missing "$out"/*.png

[ -n "${NET_NO_BUILD:-}" ] || "$here/build.sh" "$build" >&2
COMPIO_MODULE_PATH=$(find "$build/modules" "$build/tests/kqueue" \
    -type d -name .libs 2>/dev/null | paste -sd: -)
export COMPIO_MODULE_PATH
COMPIO_CONFIG=/dev/null
export COMPIO_CONFIG
# Many connections per run: room for descriptors on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

started=""
cleanup() {
    for p in $started; do
        kill "$p" 2>/dev/null || true
    done
    for p in $started; do
        wait "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

# start NAME CPU CMD...: start a server pinned to CPU, wait for its
# "listening on ADDR:PORT" line; sets PID and PORT.
start() {
    name=$1
    cpu=$2
    shift 2
    taskset -c "$cpu" "$@" >"$raw/$name.out" 2>"$raw/$name.err" &
    PID=$!
    started="$started $PID"
    for _ in $(seq 400); do
        PORT=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\).*/\1/p' \
            "$raw/$name.out")
        [ -n "$PORT" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "run-net.sh: $name did not start:" >&2
    cat "$raw/$name.err" >&2
    return 1
}

# stop PID [SIGNAL]: SIGTERM (or SIGNAL), then wait.
stop() {
    kill -"${2:-TERM}" "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    started=$(echo "$started" | tr ' ' '\n' | grep -vx "$1" | paste -sd' ' -)
}

# cpu_ns PID...: nanoseconds on CPU of every thread of each process.
cpu_ns() {
    for p in "$@"; do
        cat /proc/"$p"/task/*/schedstat 2>/dev/null
    done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# echo_run SECTION NAME SIZE CONNS ROUND CLIENTFLAGS PIDS...: one
# echo-client run against $PORT; appends a row to raw/SECTION.tsv:
# section name size conns round req/s cpu_ns/req p50 p99 p999 requests ok
echo_run() {
    sec=$1 name=$2 size=$3 conns=$4 round=$5 cflags=$6
    shift 6
    c0=$(cpu_ns "$@")
    # shellcheck disable=SC2086
    if taskset -c "$ccpu" "$ex/echo-client" --port "$PORT" --conns "$conns" \
        --size "$size" --duration "$dur" --timeout 0 $cflags \
        >"$raw/client.out" 2>"$raw/client.err"; then
        ok=ok
    else
        ok=FAIL
        { echo "== $sec $name $size $conns round $round"
          cat "$raw/client.out" "$raw/client.err"; } >>"$raw/failures.log"
    fi
    c1=$(cpu_ns "$@")
    awk -v sec="$sec" -v name="$name" -v size="$size" -v conns="$conns" \
        -v round="$round" -v cpu=$((c1 - c0)) -v ok="$ok" '
        /^requests / { n = $2; rps = $6 }
        /^latency us:/ { p50 = $4; p99 = $6; p999 = $8 }
        END {
            if (n == 0) { n = 0; ok = "FAIL" }
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\n",
                sec, name, size, conns, round, rps + 0,
                (n > 0 ? cpu / n : 0), p50 + 0, p99 + 0, p999 + 0, n, ok
        }' "$raw/client.out" >>"$raw/$sec.tsv"
}

# ---- TCP echo, 1 server core: compio (three backends) and the peers ----
echo_section() {
    : >"$raw/echo.tsv"
    names="" ; ports="" ; pids=""
    add() {
        n=$1
        shift
        if [ ! -x "$1" ]; then
            echo "run-net.sh: $n left out: $1 not built" >&2
            echo "$n" >>"$raw/echo.missing"
            return 0
        fi
        if start "$n" "$scpu" "$@"; then
            names="$names $n" ports="$ports $PORT" pids="$pids $PID"
        fi
    }
    : >"$raw/echo.missing"
    add compio-uring "$ex/echo-server" --backend uring
    add compio-epoll "$ex/echo-server" --backend epoll
    add "compio-kqueue(emulated)" "$ex/echo-server" --backend kqueue_emu
    add compio-cb-uring "$peers/echo_cb" --backend uring
    add compio-cb-epoll "$peers/echo_cb" --backend epoll
    add uring "$peers/echo_uring"
    add uring-multishot "$peers/echo_uring_ms"
    add epoll "$peers/echo_epoll"
    add libuv "$peers/echo_libuv"
    add libevent "$peers/echo_libevent"
    add tokio "$peers/echo_tokio"
    for size in $sizes; do
        for conns in $conns_list; do
            for r in $(seq "$rounds"); do
                i=1
                for name in $names; do
                    PORT=$(echo $ports | cut -d' ' -f$i)
                    p=$(echo $pids | cut -d' ' -f$i)
                    echo_run echo "$name" "$size" "$conns" "$r" "" "$p"
                    i=$((i + 1))
                done
            done
        done
    done
    for p in $pids; do stop "$p"; done
}

# ---- TCP echo on 2 server threads vs 1 ----
scale_section() {
    : >"$raw/scale.tsv"
    for r in $(seq "$rounds"); do
        for impl in compio epoll; do
            for th in 1 2; do
                if [ $impl = compio ]; then
                    cmd="$ex/echo-server --backend uring --threads $th"
                else
                    cmd="$peers/echo_epoll --threads $th"
                fi
                # 1 thread: the server on NET_SERVER_CPU; 2 threads:
                # one per core (--pin for compio; the epoll peer's
                # threads are placed by the kernel on the two cores).
                if [ $th = 2 ] && [ $impl = compio ]; then
                    cmd="$cmd --pin"
                fi
                if [ $th = 2 ]; then
                    cpus=0-$(($(nproc) - 1))
                else
                    cpus=$scpu
                fi
                # shellcheck disable=SC2086
                start "$impl-$th" "$cpus" $cmd || continue
                # The client: 2 threads, free to run on every core.
                ccpu_save=$ccpu
                ccpu=0-$(($(nproc) - 1))
                echo_run scale "$impl-$th" 64 100 "$r" "--threads 2" "$PID"
                ccpu=$ccpu_save
                stop "$PID"
            done
        done
    done
}

# ---- HTTP/1.1 keep-alive hello: http-server vs nginx, wrk ----
http_section() {
    : >"$raw/http.tsv"
    if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
        echo "run-net.sh: http left out: wrk or nginx missing" >&2
        return 0
    fi
    ng=$raw/nginx
    rm -rf "$ng"
    mkdir -p "$ng/logs"
    nport=$(python3 -c 'import socket; s=socket.socket(); \
s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$ng/nginx.conf" <<EOF
# One worker, loopback only, under a temporary prefix; written by
# bench/net/run-net.sh. No access log: http-server keeps none either.
worker_processes 1;
daemon off;
pid $ng/nginx.pid;
error_log $ng/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    client_body_temp_path $ng/body;
    proxy_temp_path $ng/proxy;
    fastcgi_temp_path $ng/fastcgi;
    uwsgi_temp_path $ng/uwsgi;
    scgi_temp_path $ng/scgi;
    server {
        listen 127.0.0.1:$nport;
        location = /hello {
            default_type text/plain;
            return 200 "Hello, World!";
        }
    }
}
EOF
    taskset -c "$scpu" nginx -p "$ng" -c "$ng/nginx.conf" -e \
        "$ng/logs/error.log" >"$raw/nginx.out" 2>&1 &
    npid=$!
    started="$started $npid"
    start compio-http "$scpu" "$ex/http-server"
    hport=$PORT hpid=$PID
    for _ in $(seq 100); do
        curl -s "http://127.0.0.1:$nport/hello" >/dev/null 2>&1 && break
        sleep 0.05
    done
    for name in compio-http nginx; do
        port=$hport
        [ $name = nginx ] && port=$nport
        body=$(curl -s "http://127.0.0.1:$port/hello" || true)
        [ "$body" = "Hello, World!" ] ||
            echo "run-net.sh: $name answered '$body'" >&2
    done
    # wrk takes whole seconds.
    wdur=$(awk -v d="$dur" \
        'BEGIN { d = int(d + 0.999); print (d < 1 ? 1 : d) }')
    for r in $(seq "$rounds"); do
        for name in compio-http nginx; do
            if [ $name = nginx ]; then
                port=$nport
                ps="$npid $(cat /proc/$npid/task/*/children 2>/dev/null)"
            else
                port=$hport ps=$hpid
            fi
            c0=$(cpu_ns $ps)
            taskset -c "$ccpu" wrk -t1 -c"$http_conns" -d"${wdur}s" --latency \
                "http://127.0.0.1:$port/hello" >"$raw/wrk.out" 2>&1 || true
            c1=$(cpu_ns $ps)
            awk -v name=$name -v round=$r -v cpu=$((c1 - c0)) -v c=$http_conns '
                function us(v) {
                    if (v ~ /us$/) return v + 0
                    if (v ~ /ms$/) return v * 1000
                    if (v ~ /s$/) return v * 1e6
                    return v
                }
                $1 == "50%" { p50 = us($2) }
                $1 == "99%" { p99 = us($2) }
                /requests in/ { n = $1 }
                /Requests\/sec:/ { rps = $2 }
                /Non-2xx|Socket errors/ { bad = 1 }
                END {
                    ok = (n > 0 && !bad) ? "ok" : "FAIL"
                    printf "http\t%s\t13\t%s\t%s\t%s\t%.1f\t%s\t%s" \
                        "\t0\t%s\t%s\n",
                        name, c, round, rps + 0, (n > 0 ? cpu / n : 0),
                        p50 + 0, p99 + 0, n + 0, ok
                }' "$raw/wrk.out" >>"$raw/http.tsv"
            if grep -q "Non-2xx\|Socket errors" "$raw/wrk.out" ||
                ! grep -q "Requests/sec" "$raw/wrk.out"; then
                { echo "== http $name round $r"; cat "$raw/wrk.out"; } \
                    >>"$raw/failures.log"
            fi
        done
    done
    stop "$hpid"
    stop "$npid"
}

# ---- 10,000 idle connections: server RSS per connection ----
rss_kb() {
    awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status
}

idle_section() {
    : >"$raw/idle.tsv"
    for r in $(seq "$idle_rounds"); do
        for name in compio-uring compio-epoll compio-cb-uring \
            compio-cb-epoll libuv; do
            prof_start $name "" || continue
            sleep 0.2
            before=$(rss_kb "$PID")
            fifo=$raw/idle.fifo
            rm -f "$fifo"
            mkfifo "$fifo"
            taskset -c "$ccpu" "$peers/idle_client" "$PORT" "$idle_n" \
                <"$fifo" >"$raw/idle.out" 2>"$raw/idle.err" &
            cpid=$!
            exec 9>"$fifo"
            ok=FAIL
            for _ in $(seq 600); do
                if grep -q '^ready' "$raw/idle.out"; then ok=ok; break; fi
                kill -0 "$cpid" 2>/dev/null || break
                sleep 0.05
            done
            sleep 0.3
            after=$(rss_kb "$PID")
            exec 9>&-
            wait "$cpid" 2>/dev/null || true
            rm -f "$fifo"
            [ $ok = ok ] || cat "$raw/idle.err" >>"$raw/failures.log"
            printf 'idle\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$idle_n" "$r" \
                "$before" "$after" "$ok" >>"$raw/idle.tsv"
            stop "$PID"
        done
    done
}

# ---- profile: syscalls and user-space instructions per request ----
# Where a CPU/request target is missed, these say why: the kernel's
# share is the same TCP work for every server, so the difference is in
# the syscalls made per request (perf stat on the raw_syscalls and
# per-syscall tracepoints, exact counts) and in user-space instructions
# per request (callgrind, the difference of two run lengths so set-up
# cancels out). The counts are exact for the run they come from; with
# many connections, how often a first read finds the next request there
# already depends on timing, so compio-epoll's counts vary from run to
# run (its row compio-epoll-always, the readiness hints always obeyed,
# varies much less). Raw liburing peers are left out of callgrind (valgrind
# 3.19 hangs on their rings); compio's uring module carries valgrind
# annotations and runs.
prof_start() {
    # Under valgrind, the program itself rather than libtool's wrapper
    # script (valgrind would measure the shell).
    esrv="$2 $ex/echo-server"
    if [ -n "$2" ] && [ -x "$ex/.libs/echo-server" ]; then
        esrv="env LD_LIBRARY_PATH=$build/.libs $2 $ex/.libs/echo-server"
    fi
    case $1 in
    compio-uring) start "$1" "$scpu" $esrv --backend uring ;;
    compio-epoll) start "$1" "$scpu" $esrv --backend epoll ;;
    compio-epoll-always)
        # The epoll module with its readiness hints always obeyed (the
        # policy before "adaptive"): --backend would ignore the file.
        printf '[module.epoll]\nhints = always\n' >"$raw/hints-always.ini"
        start "$1" "$scpu" env COMPIO_BACKEND=epoll \
            COMPIO_CONFIG="$raw/hints-always.ini" $esrv ;;
    compio-cb-uring) start "$1" "$scpu" $2 "$peers/echo_cb" --backend uring ;;
    compio-cb-epoll) start "$1" "$scpu" $2 "$peers/echo_cb" --backend epoll ;;
    uring) start "$1" "$scpu" $2 "$peers/echo_uring" ;;
    uring-multishot) start "$1" "$scpu" $2 "$peers/echo_uring_ms" ;;
    epoll) start "$1" "$scpu" $2 "$peers/echo_epoll" ;;
    libuv) start "$1" "$scpu" $2 "$peers/echo_libuv" ;;
    esac
}

profile_section() {
    : >"$raw/syscalls.tsv"
    : >"$raw/callgrind.tsv"
    ev=raw_syscalls:sys_enter
    for s in epoll_wait epoll_ctl recvfrom sendto read write io_uring_enter \
        futex; do
        ev="$ev,syscalls:sys_enter_$s"
    done
    if command -v perf >/dev/null &&
        perf stat -x, -e "$ev" true >/dev/null 2>&1; then
        for name in compio-uring compio-epoll compio-epoll-always uring \
            uring-multishot epoll libuv; do
            prof_start $name "" || continue
            for c in $prof_conns; do
                # 2000 requests per connection, 100,000 in all at most.
                req=$((c <= 50 ? 2000 : 100000 / c))
                perf stat -x, -e "$ev" -p "$PID" -o "$raw/perf.txt" -- \
                    taskset -c "$ccpu" "$ex/echo-client" --port "$PORT" \
                    --conns $c --size 64 --requests $req --timeout 0 \
                    >"$raw/client.out" 2>&1 ||
                    { echo "== syscalls $name $c"; cat "$raw/client.out" \
                        "$raw/perf.txt"; } >>"$raw/failures.log"
                awk -F, -v n=$name -v c=$c -v req=$req '
                    /^[0-9]/ { sub(/^.*:sys_enter_?/, "", $3)
                               v[$3 == "" ? "all" : $3] = $1 }
                    END {
                        printf "%s\t%s", n, c
                        split("all epoll_wait epoll_ctl recvfrom sendto read " \
                              "write io_uring_enter futex", k, " ")
                        for (i = 1; i <= 9; i++)
                            printf "\t%.3f", v[k[i]] / (c * req)
                        printf "\n"
                    }' "$raw/perf.txt" >>"$raw/syscalls.tsv"
            done
            stop "$PID"
        done
    else
        echo "run-net.sh: no perf tracepoints; syscall counts left out" >&2
    fi
    if command -v valgrind >/dev/null; then
        for name in compio-uring compio-epoll epoll libuv; do
            res=""
            for req in 100 500; do
                prof_start $name "timeout 300 valgrind --tool=callgrind \
--callgrind-out-file=$raw/cg.$req" || continue
                taskset -c "$ccpu" "$ex/echo-client" --port "$PORT" \
                    --conns 50 --size 64 --requests $req --timeout 0 \
                    >/dev/null 2>&1 || echo "callgrind $name: client failed" \
                    >>"$raw/failures.log"
                # SIGINT: compio stops cleanly, a peer dies of it; either
                # way valgrind writes its counts before the wait returns.
                stop "$PID" INT
                res="$res $(sed -n 's/^summary: //p' "$raw/cg.$req")"
                rm -f "$raw/cg.$req"
            done
            # shellcheck disable=SC2086
            set -- $res
            if [ $# = 2 ]; then
                printf '%s\t%s\n' $name $((($2 - $1) / (50 * 400))) \
                    >>"$raw/callgrind.tsv"
            fi
        done
    fi
}

: >"$raw/failures.log"
t0=$(date +%s)
for s in $sections; do
    echo "run-net.sh: $s ..." >&2
    "${s}_section"
done
t1=$(date +%s)

python3 "$here/report.py" "$out" "$rounds" "$dur" "$((t1 - t0))" \
    "$scpu" "$ccpu"
echo "run-net.sh: wrote $out/net.md in $((t1 - t0)) s" >&2
