#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/soak.sh [SECONDS] - the long versions of the soak and stress
# tests in tests/soak, run from a configured build directory (the
# current one, or $BUILDDIR), loopback only, each stopping by itself:
#
#  - connection churn: 10,000 connections a round ($CIO_SOAK_CONNS),
#    opened and closed against examples/echo-server for SECONDS (60) on
#    each backend (uring, epoll, kqueue (emulated)), the server's fd
#    count and RSS sampled every second; warm-up SECONDS/6 (at least 5);
#  - 1,000,000 ops with random cancels per backend ($CIO_SOAK_OPS);
#  - 100,000 timers armed, cancelled and fired under IO per backend
#    ($CIO_SOAK_TIMERS);
#  - 4,000,000 cross-thread posts into a dispatcher, then a shutdown
#    under load, per backend ($CIO_SOAK_POSTS).
#
# The tests run through "make check" (so they get its environment: the
# build tree's modules, an empty config), with the sizes passed in the
# environment. Prints each test's figures and a verdict; the samples of
# the connection soak go to soak-conn.log in the build directory.
# $CIO_SOAK_SEED changes the PRNG seed of the stress programs.
set -u
secs=${1:-60}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
bd=${BUILDDIR:-.}
[ -f "$bd/Makefile" ] && grep -q '^tests_soak_' "$bd/Makefile" || {
    echo "soak.sh: run from a configured build directory" \
        "(or set BUILDDIR)" >&2
    exit 2
}
bd=$(cd "$bd" && pwd)
warm=$((secs / 6))
[ $warm -ge 5 ] || warm=5
log=$bd/soak-conn.log
: >"$log"

CIO_SOAK_CONNS=${CIO_SOAK_CONNS:-10000}
CIO_SOAK_SECONDS=$secs
CIO_SOAK_WARMUP=$warm
CIO_SOAK_LOG=$log
CIO_SOAK_OPS=${CIO_SOAK_OPS:-1000000}
CIO_SOAK_TIMERS=${CIO_SOAK_TIMERS:-100000}
CIO_SOAK_POSTS=${CIO_SOAK_POSTS:-4000000}
# Check's per-case timeout (120 s in make check) times ten.
CK_TIMEOUT_MULTIPLIER=10
export CIO_SOAK_CONNS CIO_SOAK_SECONDS CIO_SOAK_WARMUP CIO_SOAK_LOG \
    CIO_SOAK_OPS CIO_SOAK_TIMERS CIO_SOAK_POSTS CK_TIMEOUT_MULTIPLIER

tests="tests/soak/conn.sh tests/soak/check_stress_cancel
tests/soak/check_stress_timer tests/soak/check_stress_dispatch"
progs="tests/soak/soak-conn tests/soak/check_stress_cancel
tests/soak/check_stress_timer tests/soak/check_stress_dispatch"
echo "soak: $secs s of connection churn per backend" \
    "($CIO_SOAK_CONNS connections a round, warm-up $warm s)," \
    "$CIO_SOAK_OPS ops, $CIO_SOAK_TIMERS timers, $CIO_SOAK_POSTS posts"
start=$(date +%s)
# -j1: the tests measure; running two at once would only blur that.
make -C "$bd" -j2 all examples/echo-server >/dev/null 2>&1 || {
    echo "soak.sh: build failed (make -C $bd)" >&2
    exit 1
}
make -C "$bd" -j1 check TESTS="$(echo $tests)" \
    check_PROGRAMS="$(echo $progs)" \
    >"$bd/soak-make.log" 2>&1
rc=$?
end=$(date +%s)

echo
echo "connection churn (server fd count and RSS, sampled each second):"
grep -h ': soak-conn:\|^FAIL\|^skip' "$bd/tests/soak/conn.log" 2>/dev/null |
    sed 's/^/  /'
for t in cancel timer dispatch; do
    echo "stress $t:"
    grep -h '^# \|^not ok' "$bd/tests/soak/check_stress_$t.log" \
        2>/dev/null | sed 's/^/  /'
done
echo
grep '^# \(PASS\|FAIL\|SKIP\|ERROR\|TOTAL\)' "$bd/soak-make.log" |
    sed 's/^/  /'
echo "soak: $((end - start)) s in all; samples in $log;" \
    "make output in $bd/soak-make.log"
[ $rc -eq 0 ] && echo "soak: PASS" || echo "soak: FAIL"
exit $rc
