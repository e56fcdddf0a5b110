#!/bin/sh
# SPDX-License-Identifier: MIT
# "make installcheck" (also run by distcheck): what a module author and
# an application author get from the installed tree, and nothing from
# the source or build tree.
#
#  1. pkg-config: compio-module.pc's moduledir and module_abi, compio.pc
#     builds and links a program against the installed libcompio.
#  2. The skeleton module, copied from the installed documentation, is
#     built out of tree by its own Makefile with only pkg-config, and its
#     "make install" honours DESTDIR.
#  3. An ini naming it by absolute path selects it (installed compio-info)
#     and the installed compio-conformance passes on it.
#  4. The installed modules are found in the compiled-in module directory.
#  5. The man pages and the ini example are where they belong.
#
# Run from the Makefile with the install directories in the environment.
set -u

for v in CIO_PREFIX CIO_BINDIR CIO_LIBDIR CIO_INCLUDEDIR CIO_PKGCONFIGDIR \
    CIO_MODULEDIR CIO_DOCDIR CIO_MANDIR CIO_MODULE_ABI CIO_VERSION; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || { echo "installcheck: $v not set"; exit 99; }
done
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
MAKE=${MAKE:-make}
CC=${CC:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/compio-installcheck.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out"
fails=0

fail() {
    echo "FAIL: $*"
    [ -f "$out" ] && sed 's/^/    /' "$out"
    fails=$((fails + 1))
}

step() {
    echo "installcheck: $*"
}

# Only the installed tree: no build-tree modules, no user config.
unset COMPIO_MODULE_PATH COMPIO_BACKEND COMPIO_CONFIG CPATH C_INCLUDE_PATH \
    LIBRARY_PATH
# The skeleton's make is not a sub-make of ours (no jobserver, no flags).
unset MAKEFLAGS MFLAGS MAKELEVEL
PKG_CONFIG_PATH=$CIO_PKGCONFIGDIR
export PKG_CONFIG_PATH

step "pkg-config files in $CIO_PKGCONFIGDIR"
v=$($PKG_CONFIG --variable=moduledir compio-module 2>"$out")
[ "$v" = "$CIO_MODULEDIR" ] ||
    fail "compio-module.pc moduledir '$v', expected '$CIO_MODULEDIR'"
v=$($PKG_CONFIG --variable=module_abi compio-module 2>"$out")
[ "$v" = "$CIO_MODULE_ABI" ] ||
    fail "compio-module.pc module_abi '$v', expected '$CIO_MODULE_ABI'"
v=$($PKG_CONFIG --modversion compio 2>"$out")
[ "$v" = "$CIO_VERSION" ] || fail "compio.pc version '$v'"
v=$($PKG_CONFIG --cflags compio-module 2>"$out" | sed 's/ *$//')
# (empty when pkg-config counts the include directory as a system one)
[ -z "$v" ] || [ "$v" = "-I$CIO_INCLUDEDIR" ] ||
    fail "compio-module.pc cflags '$v'"
[ -f "$CIO_INCLUDEDIR/compio/module.h" ] || fail "module.h not installed"
# module_abi is what the installed header says.
printf '#include <stdio.h>\n#include <compio/module.h>\nint main(void) {
printf("%%d.%%d\\n", CIO_MODULE_ABI_MAJOR, CIO_MODULE_ABI_MINOR);
return 0; }\n' >"$tmp/abi.c"
# shellcheck disable=SC2046
$CC -o "$tmp/abi" "$tmp/abi.c" $($PKG_CONFIG --cflags compio-module) \
    >"$out" 2>&1 || fail "cannot compile against compio-module.pc"
v=$("$tmp/abi" 2>"$out")
[ "$v" = "$CIO_MODULE_ABI" ] ||
    fail "installed module.h says ABI $v, compio-module.pc '$CIO_MODULE_ABI'"

step "an application against compio.pc"
cat >"$tmp/app.c" <<'APP'
#include <stdio.h>
#include <string.h>
#include <compio.h>
int
main(void)
{
    cio_driver *drv = NULL;
    cio_entry e;
    cio_op op;
    int r = cio_driver_open(&drv, NULL);
    if (r < 0) {
        printf("open: %s\n", cio_error_detail());
        return 1;
    }
    cio_op_nop(&op);
    cio_driver_push(drv, &op);
    r = cio_driver_poll(drv, 1000, &e, 1);
    printf("%s %s %d\n", cio_version(), cio_driver_backend(drv), r);
    cio_driver_close(drv);
    return r == 1 ? 0 : 1;
}
APP
# shellcheck disable=SC2046
$CC -o "$tmp/app" "$tmp/app.c" $($PKG_CONFIG --cflags --libs compio) \
    >"$out" 2>&1 || fail "cannot build against compio.pc"
printf '[runtime]\nbackend = %s\nfallback = no\n' \
    "$CIO_MODULEDIR/cio_epoll.so" >"$tmp/epoll.ini"
if [ -x "$tmp/app" ] && [ -f "$CIO_MODULEDIR/cio_epoll.so" ]; then
    COMPIO_CONFIG="$tmp/epoll.ini" LD_LIBRARY_PATH="$CIO_LIBDIR" \
        "$tmp/app" >"$out" 2>&1 || fail "the application does not run"
    grep -q "^$CIO_VERSION epoll 1\$" "$out" || fail "application output"
fi

step "the skeleton module, built out of tree with pkg-config only"
skel="$tmp/skeleton"
mkdir "$skel" || exit 99
for f in Makefile cio_poll.c README.md; do
    cp "$CIO_DOCDIR/skeleton-module/$f" "$skel/$f" ||
        fail "skeleton-module/$f not installed in $CIO_DOCDIR"
done
(cd "$skel" && $MAKE PKG_CONFIG="$PKG_CONFIG" CC="$CC") >"$out" 2>&1 ||
    fail "the skeleton does not build"
syms=$(nm -D --defined-only "$skel/cio_poll.so" 2>/dev/null |
    awk '{print $3}')
[ "$syms" = cio_backend_poll ] || fail "cio_poll.so exports: $syms"
(cd "$skel" && $MAKE PKG_CONFIG="$PKG_CONFIG" install DESTDIR="$tmp/stage") \
    >"$out" 2>&1 || fail "the skeleton's make install"
[ -f "$tmp/stage$CIO_MODULEDIR/cio_poll.so" ] ||
    fail "make install DESTDIR did not put cio_poll.so in the moduledir"

step "selected by an ini naming it by absolute path"
ini="$tmp/compio.ini"
printf '[runtime]\nbackend = %s\nfallback = no\n' "$skel/cio_poll.so" >"$ini"
"$CIO_BINDIR/compio-info" --config "$ini" >"$out" 2>&1 ||
    fail "compio-info --config: exit $?"
grep -q '^chosen backend: poll$' "$out" || fail "compio-info: poll not chosen"

step "the installed compio-conformance on it"
"$CIO_BINDIR/compio-conformance" --config "$ini" --tap >"$out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "compio-conformance on cio_poll.so: exit $rc"
grep -q '^not ok' "$out" && fail "compio-conformance: a test failed"
grep -q ': [0-9]* passed, 0 failed$' "$out" || fail "no summary line"
grep '^#.*passed' "$out"

step "installed modules in the built-in directory $CIO_MODULEDIR"
: >"$tmp/empty.ini"
for m in "$CIO_MODULEDIR"/cio_*.so; do
    [ -f "$m" ] || continue
    name=$(basename "$m" .so)
    name=${name#cio_}
    COMPIO_CONFIG="$tmp/empty.ini" "$CIO_BINDIR/compio-info" --backend "$name" \
        >"$out" 2>&1
    if grep -q "^chosen backend: $name\$" "$out"; then
        echo "installcheck: $name loads from the module directory"
    elif grep -q 'probe failed' "$out"; then
        echo "installcheck: $name found; its probe fails here"
    else
        fail "installed module $name not usable"
    fi
done

step "documentation"
for p in man1/compio-info.1 man1/compio-conformance.1 man5/compio.ini.5 \
    man7/compio.7 man7/compio-module.7; do
    [ -f "$CIO_MANDIR/$p" ] || fail "man page $p not installed"
done
for f in compio.ini.example NEWS ABI.md README.md; do
    [ -f "$CIO_DOCDIR/$f" ] || fail "$f not installed in $CIO_DOCDIR"
done

if [ "$fails" -eq 0 ]; then
    echo "installcheck: all checks passed"
    exit 0
fi
echo "installcheck: $fails check(s) failed"
exit 1
