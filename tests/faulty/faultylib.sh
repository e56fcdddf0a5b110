# SPDX-License-Identifier: MIT
# Sourced by tests/faulty/*.sh: write an ini that wraps a backend in the
# fault-injecting module, and read back the counters its drivers append
# to the stats file, so that a run proves the faults it asked for were
# injected. The caller sets $tmp and $fail. Sourcing it skips the test
# (exit 77) when the module was not built.
#
# In Windows builds (CIO_WINE set by make check) the programs are .exe
# run under wine on iocp, which read Windows paths (Z: is wine's /):
# faulty_inners is then iocp, faulty_wp the prefix for a path a program
# reads or writes, faulty_bdir/faulty_sdir the build and source dirs
# of the tests as this shell sees them (CIO_TEST_*DIR are Z: paths).

faulty_inners="epoll uring kqueue_emu"
faulty_wp=
faulty_so=so
if [ -n "${CIO_WINE:-}" ]; then
    faulty_inners=iocp
    faulty_wp=Z:
    faulty_so=dll
fi
faulty_bdir=${CIO_TEST_BUILDDIR:?}
faulty_bdir=${faulty_bdir#Z:}
faulty_sdir=${CIO_TEST_SRCDIR:?}
faulty_sdir=${faulty_sdir#Z:}

[ -f "$faulty_bdir/../modules/faulty/.libs/cio_faulty.$faulty_so" ] || {
    echo "SKIP: modules/faulty was not built"; exit 77; }

# faulty_ini FILE INNER SETTINGS...: backend = faulty around INNER (a
# name, or a module's absolute path), with each SETTING ("key = value")
# in [module.faulty] and the stats file $tmp/stats.NAME (NAME: INNER, or
# for a path the module's name, /x/cio_kqueue_emu.so -> kqueue_emu). The
# seed is fixed unless FAULTY_SEED says otherwise, so that a failure
# replays.
faulty_ini() {
    file=$1
    inner=$2
    shift 2
    tag=${inner##*/}
    tag=${tag%.so}
    tag=${tag%.dll}
    tag=${tag#cio_}
    {
        echo "[runtime]"
        echo "backend = faulty"
        echo "fallback = no"
        echo "[module.faulty]"
        echo "inner = $inner"
        echo "seed = ${FAULTY_SEED:-20261126}"
        echo "stats = $faulty_wp$tmp/stats.$tag"
        for kv in "$@"; do
            echo "$kv"
        done
    } >"$file"
    : >"$tmp/stats.$tag"
}

# faulty_sum INNER KEY: the total of KEY over every driver's line
# (a CR before the LF when a Windows module wrote it).
faulty_sum() {
    awk -v k="$2" '{
        sub(/\r$/, "");
        for (i = 1; i <= NF; i++) {
            split($i, a, "=");
            if (a[1] == k) s += a[2];
        }
    } END { print s + 0 }' "$tmp/stats.$1"
}

# faulty_check WHAT INNER KIND...: fail unless each KIND was injected at
# least once, and no driver saw a completion for an op it did not hold
# or destroyed with completions held. Prints the totals.
faulty_check() {
    what=$1
    inner=$2
    shift 2
    drivers=$(wc -l <"$tmp/stats.$inner")
    [ "$drivers" -gt 0 ] || {
        echo "FAIL: $what: no driver wrote counters"; fail=1; return; }
    line="$what: $drivers drivers, ops $(faulty_sum "$inner" ops)"
    for k in "$@"; do
        n=$(faulty_sum "$inner" "$k")
        line="$line, $k $n"
        [ "$n" -gt 0 ] || { echo "FAIL: $what: no $k injected"; fail=1; }
    done
    echo "$line"
    for k in violations held_left; do
        n=$(faulty_sum "$inner" "$k")
        [ "$n" -eq 0 ] || { echo "FAIL: $what: $k = $n"; fail=1; }
    done
}
