#!/bin/sh
# SPDX-License-Identifier: MIT
# The backend conformance suite (compio-conformance, both suites) on
# the fault-injecting module wrapping epoll, uring and kqueue (emulated:
# the kqueue module on tests/kqemu, named by path). Only
# the faults the driver contract tolerates are injected here: delayed
# and reordered completions and late notifies. The driver facade passes
# results through (a short count, CIO_EINTR, CIO_EAGAIN reach its
# caller unchanged), and the suite asserts exact results of small
# transfers on local sockets, what a kernel gives; those faults are
# covered by the layers that promise to absorb them (api.sh, examples.sh)
# and by check_faulty_*, which asserts what the facade does with each.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ran=0
src=${CIO_TEST_SRCDIR:?}
. "${src#Z:}/faulty/faultylib.sh"
# Windows builds (under wine) have no compio-conformance: its runner is
# POSIX (tools/include.am), and check_conformance_iocp opens its
# backend from an empty config, so it cannot be pointed at faulty
# without a change to the suite. check_faulty_iocp covers the module.
if [ -n "${CIO_WINE:-}" ]; then
    echo "SKIP: no compio-conformance in Windows builds (POSIX runner)"
    exit 77
fi
tool=$faulty_bdir/../tools/compio-conformance

kqemu=$faulty_bdir/kqueue/.libs/cio_kqueue_emu.so
for inner in epoll uring kqueue_emu; do
    case $inner in
    kqueue_emu) so=$kqemu ;;
    *) so=$faulty_bdir/../modules/$inner/.libs/cio_$inner.so ;;
    esac
    [ -f "$so" ] || { echo "skip: $inner not built"; continue; }
    # The test-only kqueue (emulated) module is not on any search path:
    # the wrapper loads it by absolute path.
    [ "$inner" = kqueue_emu ] && name=$so || name=$inner
    faulty_ini "$tmp/$inner.ini" "$name" "delay = 0.3" \
        "late_notify = %2" "late_notify_us = 1000"
    inner=$tag # faulty_ini sets inner (to $name) and tag (the name).
    "$tool" --backend faulty --config "$tmp/$inner.ini" --suite all \
        >"$tmp/out" 2>&1
    rc=$?
    if [ $rc -eq 77 ]; then
        echo "skip: faulty around $inner: $(tail -n 1 "$tmp/out")"
        continue
    fi
    ran=$((ran + 1))
    if [ $rc -ne 0 ]; then
        echo "FAIL: faulty around $inner: compio-conformance exited $rc"
        grep -A3 "^FAIL" "$tmp/out"
        fail=1
    fi
    tail -n 1 "$tmp/out"
    faulty_check "conformance over faulty($inner)" "$inner" delay \
        late_notify
done
# The inner module reads its own [module.uring] section through the
# wrapper (config_get_module): with every native feature switched off
# there, the beyond suite must find them all emulated.
if [ -f "$faulty_bdir/../modules/uring/.libs/cio_uring.so" ]; then
    faulty_ini "$tmp/emu.ini" uring "delay = 0.3"
    printf '%s\n' "[module.uring]" \
        "disable_opflags = multishot, buffer_select, fixed_file" \
        "disable_ops = read_fixed, write_fixed, send_zc" >>"$tmp/emu.ini"
    "$tool" --backend faulty --config "$tmp/emu.ini" --suite beyond \
        --expect emulated >"$tmp/out" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
        echo "FAIL: beyond, emulated, over faulty(uring): exited $rc"
        grep -A3 "^FAIL" "$tmp/out"
        fail=1
    fi
    tail -n 1 "$tmp/out"
    [ $rc -eq 77 ] ||
        faulty_check "beyond (emulated) over faulty(uring)" uring delay
fi
[ $ran -gt 0 ] || { echo "SKIP: no inner backend runs here"; exit 77; }
exit $fail
