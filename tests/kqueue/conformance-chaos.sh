#!/bin/sh
# SPDX-License-Identifier: MIT
# The backend conformance suite on kqueue (emulated) once more, with
# kqemu's chaos faults switched on for every kqueue of the run: every
# 3rd waiting kevent() returns 0 at once (a spurious wake-up), every 4th
# also reports a knote that is not ready (a stale event), every 7th
# fails with EINTR after applying its changes, and no call returns more
# than 2 events. None of this may change a result.
set -u
prog=${CIO_TEST_BUILDDIR:?}/conformance/check_conformance_kqueue
[ -x "$prog" ] || { echo "SKIP: $prog not built"; exit 77; }
KQEMU_FAULTS="spurious=3,stale=4,eintr=7,short=2"
export KQEMU_FAULTS
echo "# kqueue (emulated) under KQEMU_FAULTS=$KQEMU_FAULTS"
exec "$prog"
