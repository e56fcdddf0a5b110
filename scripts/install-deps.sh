#!/bin/sh
# SPDX-License-Identifier: MIT
# Install compio's build and test dependencies from Debian packages.
# Idempotent: packages already present are not fetched again. Run as root
# (or through sudo). With --bench, also what "make bench" runs against:
# libuv, libevent, fio, nginx, wrk, tokio (built offline from Debian's
# Rust packages), gnuplot for the plots, strace and perf for profiles.
# (The Windows stage installs its own: scripts/win-test.sh.)
set -eu

packages="build-essential autoconf automake libtool pkgconf check \
libinih-dev liburing-dev python3 curl valgrind"
if [ "${1:-}" = --bench ]; then
    packages="$packages libuv1-dev libevent-dev fio nginx wrk gnuplot-nox \
strace linux-perf cargo librust-tokio-dev"
fi

missing=
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing:$missing; run this script as root" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the list is intended
apt-get install -y -qq --no-install-recommends $missing
