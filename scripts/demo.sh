#!/bin/sh
# SPDX-License-Identifier: MIT
# Build compio in _build/demo and run the demo from the build tree:
# compio-info (which backends exist here and which one is chosen), the
# README's first program (read-file), and echo-server under load from
# echo-client (every byte checked) on each backend that loads here.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${CIO_BUILD_ROOT:-$top/_build}/demo
jobs=$(nproc 2>/dev/null || echo 2)

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi
fi
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] || "$top/configure" -q
make -j"$jobs" >make.log 2>&1 || { tail -n 40 make.log; exit 1; }

# Uninstalled modules live in each module's .libs directory.
COMPIO_MODULE_PATH=$(find "$dir/modules" -name 'cio_*.so' -path '*/.libs/*' \
    -exec dirname {} \; | sort -u | paste -sd: -)
export COMPIO_MODULE_PATH

echo "\$ compio-info"
./tools/compio-info
echo
echo "\$ read-file README.md | head -n 8"
./examples/read-file "$top/README.md" | head -n 8
echo

# echo-server on a free port, 20 connections x 500 round trips of 64 B.
for backend in uring epoll; do
    out=$(mktemp)
    ./examples/echo-server --port 0 --backend "$backend" >"$out" 2>&1 &
    srv=$!
    port=
    n=0
    while [ -z "$port" ] && [ $n -lt 100 ] && kill -0 "$srv" 2>/dev/null; do
        sleep 0.1
        port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\) (.*/\1/p' "$out")
        n=$((n + 1))
    done
    if [ -z "$port" ]; then
        echo "echo-server --backend $backend: not available here:"
        sed 's/^/    /' "$out"
        kill "$srv" 2>/dev/null || true
        wait "$srv" 2>/dev/null || true
        rm -f "$out"
        continue
    fi
    echo "\$ echo-server --backend $backend & echo-client --backend $backend --conns 20 --requests 500 --size 64"
    head -n 1 "$out"
    ./examples/echo-client --port "$port" --backend "$backend" --conns 20 \
        --requests 500 --size 64
    kill "$srv"
    wait "$srv" 2>/dev/null || true
    rm -f "$out"
    echo
done
