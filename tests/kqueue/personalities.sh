#!/bin/sh
# SPDX-License-Identifier: MIT
# The kqueue module compiled against every kqemu header personality, with
# -Wall -Wextra -Wconversion -Wsign-conversion -Werror, by the configured
# compiler and, when it is installed, by clang (the compiler of FreeBSD
# and macOS). The personalities mimic the layouts of FreeBSD, NetBSD
# (old and new udata), macOS and old OpenBSD, with scrambled constants;
# passing here says the module uses names, not numbers, and builds
# whatever the field widths, the signedness of filter and the count
# type of kevent(). It says nothing about a real system's header.
#
# Then the negative checks: snippets with the bugs the personalities
# exist to catch must FAIL to build, or the check proves nothing.
set -u
top_src=${CIO_TEST_SRCDIR:?}/..
top_build=${CIO_TEST_BUILDDIR:?}/..
cc=${KQ_CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cio-kqpers-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

flags="-std=c11 -fvisibility=hidden -Wall -Wextra -Wtype-limits -Wconversion \
-Wsign-conversion -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror \
-I$top_build/include -I$top_src/include -I$top_src/tests/kqemu"

compilers=$cc
if command -v clang >/dev/null 2>&1 && [ "$(basename "$cc")" != clang ]; then
    compilers="$compilers clang"
fi

# name:defines
personalities="freebsd:
freebsd-no-user:-DKQEMU_NO_USER
freebsd-no-dispatch:-DKQEMU_NO_DISPATCH
freebsd-no-timer-units:-DKQEMU_NO_TIMER_UNITS
netbsd:-DKQEMU_PERSONALITY_NETBSD
netbsd-intptr-udata:-DKQEMU_PERSONALITY_NETBSD -DKQEMU_UDATA_INTPTR
netbsd-minimal:-DKQEMU_PERSONALITY_NETBSD -DKQEMU_NO_USER -DKQEMU_NO_DISPATCH -DKQEMU_NO_TIMER_UNITS
macos:-DKQEMU_PERSONALITY_MACOS
openbsd-old:-DKQEMU_PERSONALITY_OPENBSD"

for c in $compilers; do
    echo "$personalities" | while IFS=: read -r name defs; do
        for src in cio_kqueue.c cio_kqueue_fd.c cio_kqueue_timer.c; do
            # shellcheck disable=SC2086 # word splitting is intended
            if ! $c $flags $defs -c "$top_src/modules/kqueue/$src" \
                -o "$tmp/x.o" 2>"$tmp/err"; then
                echo "FAIL: $c, personality $name: $src"
                cat "$tmp/err"
                echo x >>"$tmp/failed"
            fi
        done
        echo "ok: $c, personality $name"
    done
    n=$((n + 1))
done
[ -f "$tmp/failed" ] && fail=1

# Negative checks: each must be refused.
neg() {
    what=$1 defs=$2 body=$3
    cat >"$tmp/neg.c" <<EOC
#include <sys/types.h>
#include <time.h>
#include <sys/event.h>
int check(const struct kevent *ev);
int check(const struct kevent *ev) { $body }
EOC
    for c in $compilers; do
        # shellcheck disable=SC2086
        if $c $flags $defs -c "$tmp/neg.c" -o "$tmp/neg.o" 2>/dev/null; then
            echo "FAIL: $c accepted $what"
            fail=1
        else
            echo "ok: $c refuses $what"
        fi
    done
}
neg "'filter < 0' (NetBSD-like unsigned filter)" "-DKQEMU_PERSONALITY_NETBSD" \
    'return ev->filter < 0;'
neg "int counts passed to a size_t kevent() (NetBSD-like)" \
    "-DKQEMU_PERSONALITY_NETBSD" \
    'int n = (int)ev->data; return kevent(0, ev, n, 0, n, 0);'
neg "flags truncated to unsigned short (NetBSD-like)" \
    "-DKQEMU_PERSONALITY_NETBSD" \
    'unsigned short f = ev->flags; return f;'
neg "EVFILT_USER used without #ifdef (old OpenBSD-like)" \
    "-DKQEMU_PERSONALITY_OPENBSD" 'return ev->filter == EVFILT_USER;'
neg "NOTE_MSECONDS used by name on macOS-like" "-DKQEMU_PERSONALITY_MACOS" \
    'return (int)(ev->fflags & NOTE_MSECONDS);'
neg "data stored into an int (macOS-like intptr_t)" \
    "-DKQEMU_PERSONALITY_MACOS" 'int d = ev->data; return d;'
exit $fail
