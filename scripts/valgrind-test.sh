#!/bin/sh
# SPDX-License-Identifier: MIT
# Run one test program under valgrind memcheck. Used as LOG_COMPILER by
# the valgrind stage of scripts/run-tests.sh: any memcheck error or
# definite leak makes the program (or the Check child that hit it) exit
# with 97, which fails its test cases. CIO_VG_LIBTOOL names the build
# tree's libtool, so the real binary (not the libtool wrapper script)
# runs under valgrind. Check forks a child per case and valgrind follows
# forks by itself; --fair-sched keeps a thread waiting for the big lock
# from starving behind one that polls. scripts/valgrind.supp holds the
# suppressions (glibc's own blocks only, each with its reason).
# Check's timeouts (CK_DEFAULT_TIMEOUT, tcase_set_timeout) are tripled
# unless the caller set CK_TIMEOUT_MULTIPLIER: a case's time includes its
# forked child's leak check at exit, and check_chan's shared_cancel_race
# alone took 90 of its 120 s under memcheck on a machine at load 4.
set -eu
supp=$(cd "$(dirname "$0")" && pwd)/valgrind.supp
CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-3}
export CK_TIMEOUT_MULTIPLIER
exec "${CIO_VG_LIBTOOL:-libtool}" --mode=execute valgrind -q \
    --error-exitcode=97 --leak-check=full --suppressions="$supp" \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --fair-sched=yes "$@"
