#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/net/build.sh BUILDDIR - build what bench/net/run-net.sh needs:
# the compio examples, bench/net/echo_cb (compio's callback-style echo
# server) and the kqueue (emulated) module in BUILDDIR (an
# already configured compio build tree), and the peers of
# bench/peers/ into BUILDDIR/bench/net/ with plain gcc -O2. A peer
# whose library is missing is skipped with a message, never faked;
# run-net.sh leaves out what is not there. The tokio peer is built
# offline with cargo against Debian's crates
# (/usr/share/cargo/registry, package librust-tokio-dev).
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
peers=$src/bench/peers
out=$build/bench/net
CC=${CC:-gcc}
PEER_CFLAGS=${PEER_CFLAGS:--O2 -g -Wall -Wextra}
mkdir -p "$out"

# Other work may leave the tree unbuildable for a moment: then the
# programs already built are used, with a warning.
make -C "$build" -j2 examples/echo-server examples/echo-client \
    examples/http-server bench/net/echo_cb >"$out/make.log" 2>&1 ||
    echo "build.sh: make failed (see $out/make.log); using what is built" >&2
# The kqueue module on kqemu; only where the tree builds it.
if grep -q '^tests/kqueue/cio_kqueue_emu\.la' "$build/Makefile" 2>/dev/null ||
    grep -q 'cio_kqueue_emu\.la' "$build/Makefile" 2>/dev/null; then
    make -C "$build" -j2 tests/kqueue/cio_kqueue_emu.la >>"$out/make.log" \
        2>&1 ||
        echo "build.sh: kqueue (emulated) module not built" >&2
fi

# peer NAME LIBS...: build bench/peers/NAME.c, or say why not.
peer() {
    name=$1
    shift
    if $CC $PEER_CFLAGS -o "$out/$name" "$peers/$name.c" "$@" -lpthread \
        2>"$out/$name.log"; then
        rm -f "$out/$name.log"
    else
        rm -f "$out/$name"
        echo "build.sh: $name not built (see $out/$name.log)" >&2
    fi
}
peer echo_epoll
peer echo_uring -luring
peer echo_uring_ms -luring
peer echo_libuv -luv
peer echo_libevent -levent_core
peer idle_client

# tokio, offline: a private CARGO_HOME that replaces crates.io with the
# Debian registry directory, and a copy of the crate so that no
# Cargo.lock or target/ lands in the source tree.
rm -f "$out/echo_tokio"
if ! command -v cargo >/dev/null 2>&1; then
    echo "build.sh: echo_tokio not built: no cargo" >&2
elif ! ls -d /usr/share/cargo/registry/tokio-1* >/dev/null 2>&1; then
    echo "build.sh: echo_tokio not built: no tokio in" \
        "/usr/share/cargo/registry (apt-get install librust-tokio-dev)" >&2
else
    ch=$out/cargo-home
    mkdir -p "$ch" "$out/echo_tokio-src"
    cat >"$ch/config.toml" <<'CFG'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
CFG
    cp -R "$peers/echo_tokio/Cargo.toml" "$peers/echo_tokio/src" \
        "$out/echo_tokio-src/"
    if (cd "$out/echo_tokio-src" && CARGO_HOME=$ch cargo build --release \
        --offline --quiet --target-dir "$out/tokio-target") \
        >"$out/echo_tokio.log" 2>&1; then
        cp "$out/tokio-target/release/echo_tokio" "$out/echo_tokio"
        rm -f "$out/echo_tokio.log"
    else
        echo "build.sh: echo_tokio not built (see $out/echo_tokio.log)" >&2
    fi
fi
for f in "$out"/echo_* "$out"/idle_*; do
    if [ -f "$f" ] && [ -x "$f" ]; then
        echo "built: ${f##*/}"
    fi
done
