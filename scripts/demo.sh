#!/bin/sh
# SPDX-License-Identifier: MIT
# Build compio in _build/demo and run the demo from the build tree:
# compio-info (which backends exist here and which one is chosen) and
# the low-level driver example reading README.md.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${CIO_BUILD_ROOT:-$top/_build}/demo
jobs=$(nproc 2>/dev/null || echo 2)

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi
fi
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] || "$top/configure" -q
make -j"$jobs" >make.log 2>&1 || { tail -n 40 make.log; exit 1; }

# Uninstalled modules live in each module's .libs directory.
COMPIO_MODULE_PATH=$(find "$dir/modules" -name 'cio_*.so' -path '*/.libs/*' \
    -exec dirname {} \; | sort -u | paste -sd: -)
export COMPIO_MODULE_PATH

echo "\$ compio-info"
./tools/compio-info
echo
echo "\$ driver-read README.md"
./examples/driver-read "$top/README.md" | head -n 12
