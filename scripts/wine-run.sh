#!/bin/sh
# SPDX-License-Identifier: MIT
# LOG_COMPILER of Windows cross builds: run one test program under wine
# ($CIO_WINE, default wine) and strip the CR that msvcrt's text-mode
# stdout puts before every LF, so the TAP driver and anything counting
# lines see plain lines. The program's exit code is passed on (77 stays
# a skip).
#
# Outer timeout. Check runs in no-fork mode under wine, so its own
# timeouts never fire and a hung program would block make check for
# ever. After $CIO_WINE_TIMEOUT seconds (default 300; 0 turns it off)
# a program still running has every thread's backtrace dumped by
# winedbg ($CIO_WINEDBG, default winedbg), is killed, and FAILS: the
# dump goes to stdout as TAP comments (so it lands in the test's log)
# followed by "Bail out!", which the TAP driver counts as an ERROR,
# and the exit code is 99 (a hard error for the plain driver too).
# Frames in mingw code have names and lines only when it was built
# with DWARF 4 or older (-gdwarf-4; wine 8 cannot read DWARF 5).
wine=${CIO_WINE:-wine}
winedbg=${CIO_WINEDBG:-winedbg}
limit=${CIO_WINE_TIMEOUT:-300}
case $limit in '' | *[!0-9]*) limit=300 ;; esac

dir=$(mktemp -d "${TMPDIR:-/tmp}/cio-wine-run.XXXXXX") || exit 99
pid='' trpid='' wdpid=''
cleanup() {
    for p in $pid $wdpid $trpid; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The program's name as wine lists it ('info process').
exe=${1##*/}
case $exe in *.exe | *.EXE) ;; *) exe=$exe.exe ;; esac

# dump UNIXPID: the state of every thread of the stuck program. Each
# winedbg call is bounded, so a debugger that hangs as well still ends.
dump() {
    echo "wine-run: $exe still running after $limit s; its threads:"
    ps -L -o tid,stat,pcpu,wchan:24,comm -p "$1" 2>&1
    wpids=$(timeout 30 "$winedbg" --command "info process" 2>/dev/null |
        tr -d '\r' | awk -v n="'$exe'" '
            $NF == n { sub(/^=/, "", $1); print $1 }')
    if [ -z "$wpids" ]; then
        echo "wine-run: winedbg does not list $exe; no backtraces"
        return
    fi
    timeout 30 "$winedbg" --command "info thread" 2>/dev/null |
        tr -d '\r' > "$dir/threads"
    for w in $wpids; do
        # The thread lines (tab first) under the line of process $w.
        awk -v w="$w" '
            /^\t/ { if (in_w) print $1; next }
            { in_w = ($1 == w) }' "$dir/threads" > "$dir/tids"
        { sed 's/^/bt 0x/' "$dir/tids"; echo detach; echo quit; } \
            > "$dir/cmds"
        echo "wine-run: process 0x$w, $(wc -l < "$dir/tids") threads:"
        # winedbg heads each backtrace "Backtrace:"; name its thread.
        timeout 120 "$winedbg" --file "$dir/cmds" "0x$w" < /dev/null 2>&1 |
            tr -d '\r' | awk -v list="$dir/tids" '
                /^Backtrace:/ && (getline t < list) > 0 {
                    print "Backtrace of thread 0x" t ":"; next }
                { print }'
    done
}

mkfifo "$dir/out" || exit 99
tr -d '\r' < "$dir/out" &
trpid=$!
# In the background (so that the watchdog can see to it) the program's
# stdin is /dev/null: no test reads one, and none can block on a tty.
"$wine" "$@" > "$dir/out" &
pid=$!

if [ "$limit" -gt 0 ]; then
    # The watchdog: its own output goes nowhere, so nothing of it holds
    # the test's stdout open once the test is done.
    (
        trap 'kill "$s" 2>/dev/null; exit 0' TERM
        sleep "$limit" &
        s=$!
        wait "$s"
        if kill -0 "$pid" 2>/dev/null; then
            : > "$dir/expired"
            dump "$pid" > "$dir/dump" 2>&1
            kill -KILL "$pid" 2>/dev/null
            : > "$dir/killed"
        fi
        # A process the program started may still hold its stdout.
        n=0
        while kill -0 "$trpid" 2>/dev/null && [ "$n" -lt 5 ]; do
            sleep 1
            n=$((n + 1))
        done
        kill "$trpid" 2>/dev/null
    ) < /dev/null > /dev/null 2>&1 &
    wdpid=$!
fi

wait "$pid"
rc=$?
pid=
wait "$trpid"
trpid=
if [ -n "$wdpid" ]; then
    # Let a dump that has begun finish; else stop the watchdog.
    [ -e "$dir/expired" ] || kill "$wdpid" 2>/dev/null
    wait "$wdpid"
    wdpid=
fi
if [ -e "$dir/killed" ]; then
    sed 's/^/# /' "$dir/dump"
    echo "Bail out! $exe timed out after $limit s under wine (killed)"
    exit 99
fi
exit "$rc"
