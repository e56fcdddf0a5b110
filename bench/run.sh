#!/bin/sh
# SPDX-License-Identifier: MIT
# Run the benchmarks and write bench/RESULTS.md. Called by "make bench"
# with the build and source directories. Each comparison runs compio and
# its peer alternately in one process (A B A B ...); instruction counts
# come from callgrind as the difference between two run lengths, so
# set-up cost cancels out.
set -eu
build=$1
src=$2
out=$src/bench/RESULTS.md
rounds=${CIO_BENCH_ROUNDS:-7}

COMPIO_MODULE_PATH=$(find "$build/modules" -type d -name .libs | paste -sd: -)
export COMPIO_MODULE_PATH
COMPIO_CONFIG=/dev/null
export COMPIO_CONFIG
run="$build/libtool --mode=execute"
bench=$build/bench/bench_driver

# instr SIDE WORKLOAD BATCH: callgrind instructions per op.
instr() {
    tmp=$(mktemp -d)
    for n in 20000 120000; do
        $run valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$n" \
            "$bench" --only "$1" --workload "$2" --batch "$3" --ops $n \
            >/dev/null 2>"$tmp/log.$n" || { cat "$tmp/log.$n" >&2; exit 1; }
    done
    a=$(sed -n 's/^summary: //p' "$tmp/cg.20000")
    b=$(sed -n 's/^summary: //p' "$tmp/cg.120000")
    rm -rf "$tmp"
    echo $(((b - a) / 100000))
}

{
    echo "# Benchmark results"
    echo
    echo "Written by \`make bench\` (bench/run.sh). Machines here are shared"
    echo "and noisy: throughput is the median of $rounds alternating rounds"
    echo "(compio, then the peer, in one process), with min-max; ratios are"
    echo "the median of per-round ratios; instruction counts are exact"
    echo "(callgrind, difference of two run lengths / op)."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- kernel: $(uname -r), $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
    echo "- compiler: $(${CC:-cc} --version | head -n1)"
    echo "- liburing: $(pkg-config --modversion liburing 2>/dev/null || echo unknown)"
    echo
    echo "## Driver level: cio_driver_push/poll vs raw liburing"
    echo
    echo "Same work on both sides: push a batch, wait for the whole batch,"
    echo "check every result. read_at reads 4 KiB at random block offsets"
    echo "of a 64 MiB file in the page cache. Raw liburing uses"
    echo "SINGLE_ISSUER|DEFER_TASKRUN when the kernel takes them."
    echo
    $run "$bench" --backend uring --rounds "$rounds"
    echo
    echo "### Instructions per op (callgrind), batch 32"
    echo
    echo "| workload | compio/uring | raw liburing | ratio |"
    echo "|---|---|---|---|"
    for w in nop read; do
        c=$(instr compio $w 32)
        r=$(instr raw $w 32)
        echo "| $w | $c | $r | $(awk -v c="$c" -v r="$r" 'BEGIN{printf "%.2f", c / r}') |"
    done
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
