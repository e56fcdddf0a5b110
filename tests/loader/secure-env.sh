#!/bin/sh
# SPDX-License-Identifier: MIT
# Environment overrides in setuid programs: COMPIO_CONFIG, COMPIO_BACKEND
# and COMPIO_MODULE_PATH steer a normal program, and are ignored
# (secure_getenv) when the program runs with another effective uid than
# its caller's. Making such a program needs root (chown to another
# user); without root, or on a nosuid file system, this test is a SKIP.
set -u

: "${CIO_TEST_BUILDDIR:?run me through make check}"
probe="$CIO_TEST_BUILDDIR/loader/secure_env_probe"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out"
fails=0

fail() {
    echo "FAIL: $*"
    sed 's/^/    /' "$out"
    fails=$((fails + 1))
}

printf '[runtime]\nmodule_path = /from/ini\n' >"$tmp/env.ini"
run() {
    COMPIO_CONFIG="$tmp/env.ini" COMPIO_BACKEND=envbackend \
        COMPIO_MODULE_PATH=/from/env "$@" >"$out" 2>&1
}

# A plain run: all three variables apply.
run "$probe" || fail "plain run: exit $?"
grep -q '^backend envbackend$' "$out" || fail "plain: COMPIO_BACKEND not applied"
grep -q '^module_path /from/ini$' "$out" || fail "plain: COMPIO_CONFIG not read"
grep -q '^search /from/env$' "$out" || fail "plain: COMPIO_MODULE_PATH not searched"
[ "$fails" -eq 0 ] || exit 1

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: not root: cannot make a setuid program owned by another user"
    exit 77
fi
# A setuid copy owned by "nobody" (65534): euid differs from the uid.
cp "$probe" "$tmp/probe" || exit 99
chmod 755 "$tmp" || exit 99
chown 65534 "$tmp/probe" && chmod 4755 "$tmp/probe" || exit 99
run "$tmp/probe" || fail "setuid run: exit $?"
if grep -q '^uid 0 euid 0$' "$out"; then
    echo "SKIP: the setuid bit had no effect here (nosuid mount?)"
    exit 77
fi
grep -q '^uid 0 euid 65534$' "$out" || fail "setuid: unexpected ids"
grep -q 'envbackend' "$out" && fail "setuid: COMPIO_BACKEND applied"
grep -q '/from/ini' "$out" && fail "setuid: COMPIO_CONFIG read"
grep -q '/from/env' "$out" && fail "setuid: COMPIO_MODULE_PATH searched"
grep -q '^search /' "$out" || fail "setuid: no built-in module directory"

[ "$fails" -eq 0 ] && echo "secure-env: all checks passed"
[ "$fails" -eq 0 ]
