#!/bin/sh
# SPDX-License-Identifier: MIT
# Fuzz one target with clang's libFuzzer for a given time.
#
#     scripts/fuzz.sh TARGET MINUTES [OUTDIR]
#
# TARGET is config, loader or http (tests/fuzz/fuzz_TARGET.c). Builds
# libcompio and the target with clang -fsanitize=fuzzer,address,undefined
# under _build/fuzz (override with CIO_BUILD_ROOT), then fuzzes for
# MINUTES starting from the seed corpus tests/fuzz/corpus/TARGET. New
# inputs go to OUTDIR/corpus, crashing or leaking inputs to
# OUTDIR/crashes (OUTDIR defaults to _build/fuzz/out/TARGET); the log is
# OUTDIR/fuzz.log. Extra libFuzzer flags can be given in CIO_FUZZ_FLAGS.
# Exits non-zero when libFuzzer found something. To keep new inputs in
# the repository, minimise them into the seed corpus:
#
#     _build/fuzz/fuzz_TARGET -merge=1 tests/fuzz/corpus/TARGET OUTDIR/corpus
#
# Needs clang and its runtime (Debian: clang, libclang-rt-14-dev).
set -eu

usage() {
    echo "usage: $0 config|loader|http MINUTES [OUTDIR]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
target=$1
minutes=$2
case $target in config | loader | http) ;; *) usage ;; esac
case $minutes in '' | *[!0-9]*) usage ;; esac

top=$(cd "$(dirname "$0")/.." && pwd)
root=${CIO_BUILD_ROOT:-$top/_build}/fuzz
out=${3:-$root/out/$target}
cc=${CC:-clang}
jobs=${CIO_JOBS:-$(nproc 2>/dev/null || echo 2)}
san="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
-fno-sanitize-recover=undefined"

if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
{ return 0; }' | $cc -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null; then
    echo "fuzz.sh: $cc cannot build libFuzzer targets; install clang and" \
        "libclang-rt-14-dev" >&2
    exit 1
fi

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi
fi

# libcompio as a static archive with coverage instrumentation, so the
# fuzzer sees the branches of the loader and the config parser.
lib=$root/lib
mkdir -p "$lib" "$out/corpus" "$out/crashes"
if [ ! -f "$lib/Makefile" ]; then
    (cd "$lib" && "$top/configure" -q CC="$cc" \
        CFLAGS="$san -fsanitize=fuzzer-no-link" \
        --enable-static --disable-shared --disable-unit-tests)
fi
make -C "$lib" -j"$jobs" libcompio.la >"$lib/make.log" 2>&1 ||
    { tail -n 40 "$lib/make.log"; exit 1; }

bin=$root/fuzz_$target
inc="-I$top/include -I$lib/include"
case $target in
http)
    # shellcheck disable=SC2086 # flag lists
    $cc $san -fsanitize=fuzzer -I"$top/examples" -o "$bin" \
        "$top/tests/fuzz/fuzz_http.c" "$top/examples/http_parse.c"
    ;;
*)
    # shellcheck disable=SC2086
    $cc $san -fsanitize=fuzzer $inc -o "$bin" \
        "$top/tests/fuzz/fuzz_$target.c" "$lib/.libs/libcompio.a" \
        -linih -lpthread -ldl
    ;;
esac
if [ "$target" = loader ]; then
    # The trusted reference module; plain, it runs inside the fuzzer.
    # shellcheck disable=SC2086
    $cc -shared -fPIC -O1 $inc -DFIX_NAME=fuzz -o "$root/cio_fuzz.so" \
        "$top/tests/loader/fixtures/fix_good.c"
    CIO_FUZZ_MODULE=$root/cio_fuzz.so
    export CIO_FUZZ_MODULE
fi

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
echo "fuzz.sh: fuzzing $target for $minutes min; new inputs in" \
    "$out/corpus, findings in $out/crashes"
rc=0
# shellcheck disable=SC2086 # CIO_FUZZ_FLAGS is a list of flags
"$bin" -max_total_time=$((minutes * 60)) -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/" ${CIO_FUZZ_FLAGS:-} \
    "$out/corpus" "$top/tests/fuzz/corpus/$target" >"$out/fuzz.log" 2>&1 ||
    rc=$?
grep -E '^(stat::|#[0-9]+ +DONE|Done [0-9]+ runs|==[0-9]+==ERROR|SUMMARY)' \
    "$out/fuzz.log" || true
echo "fuzz.sh: corpus $(find "$out/corpus" -type f | wc -l) new files;" \
    "findings: $(find "$out/crashes" -type f | wc -l)"
exit $rc
