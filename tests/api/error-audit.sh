#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/error-audit.py in make check: every documented error of a
# public call is produced by a test, or listed with its reason in
# scripts/error-audit.allow. Skips without python3.
command -v python3 >/dev/null 2>&1 || { echo "no python3"; exit 77; }
exec python3 "${CIO_TEST_SRCDIR:?}/../scripts/error-audit.py" \
    --srcdir "$CIO_TEST_SRCDIR/.."
