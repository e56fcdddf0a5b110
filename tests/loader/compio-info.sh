#!/bin/sh
# SPDX-License-Identifier: MIT
# compio-info end to end, on the loader's fixture modules: COMPIO_BACKEND
# selection, --backend, --json (valid JSON with "chosen"), and a module
# directory where a broken module sits next to a good one.
#
# In Windows builds (CIO_WINE set by make check) compio-info.exe runs
# under wine on the same fixtures built as DLLs: the paths it gets are
# wine's (Z: is /), its CR LF line ends are made LF before any grep, and
# the auto case names its list, as auto means iocp alone there.
set -u

: "${CIO_TEST_BUILDDIR:?run me through make check}"
wine=${CIO_WINE:-}
info="$CIO_TEST_BUILDDIR/../tools/compio-info"
fix="$CIO_TEST_BUILDDIR/loader/fixtures/.libs"
auto="$CIO_TEST_BUILDDIR/loader/fixtures/auto/.libs"
so=so
autoset=auto
if [ -n "$wine" ]; then
    info="${CIO_TEST_BUILDDIR#Z:}/../tools/compio-info.exe"
    so=dll
    autoset="uring, epoll"
fi
out=$(mktemp) || exit 99
trap 'rm -f "$out" "$out.lf"' EXIT
fails=0

# run ARGS...: compio-info, stdout and stderr into $out; its exit code.
run() {
    if [ -z "$wine" ]; then
        "$info" "$@" >"$out" 2>&1
        return
    fi
    "$wine" "$info" "$@" >"$out" 2>&1
    rc=$?
    tr -d '\r' <"$out" >"$out.lf" && mv "$out.lf" "$out"
    return $rc
}

fail() {
    echo "FAIL: $*"
    sed 's/^/    /' "$out"
    fails=$((fails + 1))
}

# COMPIO_BACKEND picks the module; the text names it and its opcodes.
COMPIO_MODULE_PATH=$fix COMPIO_BACKEND=good run ||
    fail "COMPIO_BACKEND=good: exit $?"
grep -q '^chosen backend: good$' "$out" || fail "COMPIO_BACKEND=good not chosen"
grep -q '^  nop  *native$' "$out" || fail "nop not native on good"
grep -q '^  read  *pooled$' "$out" || fail "read not pooled on good"
grep -q "cio_badmagic.$so" "$out" || fail "badmagic not listed"
# A module without the 1.2 members: every beyond-compio feature emulated.
grep -q 'beyond compio: multishot_accept emulated' "$out" ||
    fail "good: no beyond-compio line"
grep -q 'send_zc emulated' "$out" || fail "good: send_zc not emulated"

# --backend beats COMPIO_BACKEND, like cio_config_set over the env.
COMPIO_MODULE_PATH=$fix COMPIO_BACKEND=nosuch run --backend good ||
    fail "--backend good: exit $?"
grep -q '^chosen backend: good$' "$out" || fail "--backend good not chosen"

# --json is valid JSON and carries "chosen".
COMPIO_MODULE_PATH=$fix COMPIO_BACKEND=good run --json ||
    fail "--json: exit $?"
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$out" >/dev/null 2>&1 || fail "--json is not JSON"
    python3 - "$out" <<'PY' || fail "--json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["chosen"] == "good", d["chosen"]
mods = {m["name"]: m for m in d["modules"]}
assert mods["good"]["usable"] is True
assert mods["badmagic"]["error"] == "EBADMSG", mods["badmagic"]
assert d["opcodes"]["nop"] == "native"
assert mods["good"]["features"]["send_zc"] == "emulated", mods["good"]
assert mods["badmagic"]["features"] is None
PY
else
    grep -q '"chosen": "good"' "$out" || fail "--json lacks chosen"
fi

# auto (on Windows the list "uring, epoll") over a directory with a
# refused uring and a good epoll: epoll is chosen and the reason for
# uring is shown.
COMPIO_MODULE_PATH=$auto run --backend "$autoset" ||
    fail "$autoset: exit $?"
grep -q '^chosen backend: epoll$' "$out" || fail "$autoset did not choose epoll"
grep -q 'uring: .*fixture_setup: Function not implemented' "$out" ||
    fail "$autoset does not say why uring was refused"
grep -q '^  - uring ' "$out" || fail "uring not marked unusable"

# Nothing usable: exit 1, and the reason.
COMPIO_MODULE_PATH=$fix run --backend badmagic
rc=$?
[ "$rc" -eq 1 ] || fail "unusable backend: exit $rc, expected 1"
grep -q 'not a compio module' "$out" || fail "no reason for badmagic"

# Usage errors: exit 2.
run --bogus
rc=$?
[ "$rc" -eq 2 ] || fail "bad option: exit $rc, expected 2"
run --backend ./relative/cio_x.so
rc=$?
[ "$rc" -eq 2 ] || fail "relative --backend: exit $rc, expected 2"

[ "$fails" -eq 0 ] && echo "compio-info: all checks passed"
[ "$fails" -eq 0 ]
