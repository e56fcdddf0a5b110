#!/bin/sh
# SPDX-License-Identifier: MIT
# LOG_COMPILER of Windows cross builds: run one test program under wine
# ($CIO_WINE, default wine) and strip the CR that msvcrt's text-mode
# stdout puts before every LF, so the TAP driver and anything counting
# lines see plain lines. The program's exit code is passed on (77 stays
# a skip), which a plain pipe would lose.
wine=${CIO_WINE:-wine}
exec 3>&1
rc=$({ { "$wine" "$@"; echo $? >&4; } | tr -d '\r' >&3; } 4>&1)
exit "${rc:-1}"
