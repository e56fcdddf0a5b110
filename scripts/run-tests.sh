#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every test: a plain build and an ASan+UBSan build of the whole tree,
# each with "make check"; a ThreadSanitizer build of the suites that
# cross threads; a valgrind memcheck run of a representative subset;
# then "make distcheck"; then a Windows cross build (mingw-w64) whose
# suites run under wine (scripts/win-test.sh). Build trees go under
# _build/ (override with CIO_BUILD_ROOT); the Windows stage keeps its
# mingw builds of Check and inih and its wine prefix in CIO_WIN_WORK
# (default ~/.cache/compio/win) so that reruns are fast, and is left out
# with CIO_NO_WINDOWS=1. Exits non-zero if anything failed; the
# per-build test-suite.log files stay for reading.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
root=${CIO_BUILD_ROOT:-$top/_build}
jobs=${CIO_JOBS:-$(nproc 2>/dev/null || echo 2)}
status=0

"$top/scripts/install-deps.sh" || exit 1

cd "$top" || exit 1
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi || exit 1
fi

# build NAME CONFIGURE-FLAGS...: configure, build and check one tree.
build() {
    name=$1
    shift
    dir=$root/$name
    mkdir -p "$dir"
    echo "=== $name: configure $*"
    (cd "$dir" && "$top/configure" -q "$@") || return 1
    echo "=== $name: make"
    make -C "$dir" -j"$jobs" >"$dir/make.log" 2>&1 ||
        { tail -n 40 "$dir/make.log"; return 1; }
    echo "=== $name: make check"
    if [ -n "${CIO_CHECK_TESTS:-}" ]; then
        # shellcheck disable=SC2086 # CIO_CHECK_ARGS is a list of words
        make -C "$dir" -j"$jobs" check TESTS="$CIO_CHECK_TESTS" \
            check_PROGRAMS="$CIO_CHECK_TESTS" ${CIO_CHECK_ARGS:-} \
            >"$dir/check.log" 2>&1
    else
        make -C "$dir" -j"$jobs" check >"$dir/check.log" 2>&1
    fi
    rc=$?
    grep -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR):' "$dir/check.log" |
        grep -v '^PASS' || true
    if [ $rc -ne 0 ]; then
        find "$dir/tests" -name '*.log' ! -name 'test-suite.log' \
            -exec grep -l -E '^(not ok|FAIL|ERROR)' {} + 2>/dev/null |
            while read -r log; do
                echo "--- $log"
                tail -n 60 "$log"
            done
    fi
    return $rc
}

build plain || status=1
build sanitize --enable-sanitizers || status=1
# ThreadSanitizer on the suites that cross threads (posts, channels,
# dispatcher, task wake-ups); the rest is single-threaded by design.
# TSan counts every fiber as a thread (limit 8,128): the dispatch storm,
# whose detached jobs each become a task, runs at 50,000 posts here.
CIO_SOAK_POSTS=50000 \
CIO_CHECK_TESTS="tests/runtime/check_post tests/runtime/check_chan \
tests/runtime/check_dispatch tests/runtime/check_task \
tests/runtime/check_await tests/unit/check_pool tests/api/check_signal \
tests/api/check_process tests/soak/check_stress_dispatch \
tests/conformance/check_conformance_epoll \
tests/conformance/check_conformance_uring" \
    build tsan --enable-tsan || status=1

# valgrind memcheck (scripts/valgrind-test.sh: any error or definite leak
# fails the case) on the suites of every layer, both Linux backends.
# The uring module marks what the kernel wrote as defined under valgrind
# (modules/uring/cio_uring_vg.c), so the uring cases count too. Under
# valgrind (3.19) a few cases adapt: check_process expects the polling
# fallback (no pidfd_open), check_uring skips its seccomp child (no
# seccomp(2)), check_driver opens its gate later after close began,
# check_err_fs skips exec failures and RLIMIT_NOFILE (emulated);
# scripts/valgrind.supp hides glibc's per-thread resolver block. Left
# out: check_beyond_* (1,000 connections: minutes under valgrind; ASan
# covers them), check_enomem (it replaces malloc, as valgrind does), the
# soak programs (sizes for native speed). check_stack runs 10,000 tasks
# instead of 100,000 under valgrind, check_chan's cancel race 2,000 items
# instead of 20,000; scripts/valgrind-test.sh triples Check's timeouts.
CIO_VG_LIBTOOL=$root/valgrind/libtool
export CIO_VG_LIBTOOL
CIO_CHECK_ARGS="LOG_COMPILER=$top/scripts/valgrind-test.sh" \
CIO_CHECK_TESTS="tests/unit/check_errors tests/unit/check_op_table \
tests/unit/check_driver tests/unit/check_pool tests/loader/check_config \
tests/loader/check_loader tests/runtime/check_task tests/runtime/check_timer \
tests/runtime/check_await tests/runtime/check_fiber tests/runtime/check_sync \
tests/runtime/check_chan tests/runtime/check_post tests/runtime/check_dispatch \
tests/runtime/check_stack \
tests/api/check_signal tests/api/check_io tests/api/check_fs \
tests/api/check_net_unix tests/api/check_net_udp \
tests/api/check_net_tcp tests/api/check_net_addr tests/api/check_process \
tests/api/check_err_net tests/api/check_err_fs tests/runtime/check_err_rt \
tests/uring/check_uring tests/uring/check_uring_ops \
tests/conformance/check_conformance_epoll \
tests/conformance/check_conformance_uring" \
    build valgrind || status=1

echo "=== distcheck"
mkdir -p "$root/dist"
(cd "$root/dist" && "$top/configure" -q && make -j"$jobs" distcheck \
    >"$root/dist/distcheck.log" 2>&1) ||
    { tail -n 60 "$root/dist/distcheck.log"; status=1; }

if [ "${CIO_NO_WINDOWS:-0}" != 1 ]; then
    winwork=${CIO_WIN_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/compio/win}
    echo "=== windows: mingw-w64 cross build, suites under wine ($winwork)"
    "$top/scripts/win-test.sh" "$winwork" >"$root/windows.log" 2>&1 ||
        status=1
    # Its phase times and closing line; the whole log on failure.
    if [ $status -ne 0 ] && ! tail -n 1 "$root/windows.log" |
        grep -q ' 0 failed'; then
        tail -n 80 "$root/windows.log"
    else
        grep -E '^(win-test:|windows \(under wine\):)' "$root/windows.log"
    fi
fi

exit $status
