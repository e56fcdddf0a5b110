/* SPDX-License-Identifier: MIT */
/*
 * compio/signal.h - wait for Unix signals (and, later, Windows console
 * control events) from tasks.
 *
 *     cio_signal_listener *l;
 *     cio_signal_listen(&l, SIGTERM);        // from now on nothing is lost
 *     for (;;) {
 *         int64_t n = cio_signal_wait(l);    // parks the task
 *         if (n < 0)
 *             break;                         // cancelled, deadline, ...
 *         reload_config();                   // n deliveries since last wait
 *     }
 *     cio_signal_unlisten(l);                // previous handler is back
 *
 * Delivery is process-wide and fans out: every listener of a signal,
 * on any runtime of any thread, sees every delivery. A listener counts
 * deliveries from the moment cio_signal_listen returns, whether or not a
 * task is waiting, so no signal is lost between two waits; a wait
 * returns how many arrived since the previous one.
 *
 * How it works on Unix (api/cio_signal_unix.c): while a signal has at
 * least one listener, its disposition is one process-wide handler
 * (sigaction, SA_RESTART) that only bumps a per-signal counter and
 * writes a byte to a self-pipe. A small watcher thread, which blocks
 * every signal, reads the pipe and adds each counter to the eventfd of
 * every listener of that signal (a pipe where eventfd is missing). A
 * wait is one read op on that descriptor, so it honours cio_cancel and
 * the task's deadline (cio_deadline_set) like every other op. The
 * thread and the pipe exist only while some listener exists. The
 * application's own signal mask is left alone: nothing is blocked in
 * its threads, as a signalfd would require.
 *
 * Counting: the count is the number of times the handler ran. The
 * kernel itself merges a standard signal sent again while it is still
 * pending (not yet handled), so several kill(2)s in a burst may run the
 * handler once; raise(3) and a signal sent to an unblocked calling
 * thread run it once per call. Deliveries that arrive before a wait are
 * summed into that wait's count (they coalesce); a burst that the
 * watcher forwards in two steps may be reported by two waits. The sum
 * of the counts is exact.
 *
 * A process that forks without exec keeps compio's handler in the
 * child but not the watcher thread: listeners do not work there (the
 * children that cio_command_spawn starts exec at once and start with
 * default handlers).
 *
 * The previous disposition is saved when the first listener of a signal
 * appears and restored when the last one goes; meanwhile it is not
 * called. Changing the disposition with sigaction(2) while compio
 * listens is not supported (the saved one comes back at the end).
 *
 * Windows (api/cio_signal_win32.c; tested on iocp under wine): the
 * same calls for SIGINT, SIGBREAK and SIGTERM, the signals of the C
 * runtime whose handlers may return (others are CIO_EINVAL). Two
 * sources deliver: the C runtime's raise() (compio's handler is
 * installed with signal() while a signal has listeners, and the
 * previous one is restored by the last unlisten), and console control
 * events while SIGINT or SIGBREAK has listeners (SetConsoleCtrlHandler:
 * CTRL_C_EVENT is SIGINT, CTRL_BREAK_EVENT is SIGBREAK; a handled event
 * does not reach the next handler, so ctrl-c does not end the process
 * while someone listens). Close, logoff and shutdown events are not
 * listened to. A delivery, on whatever thread it comes, bumps each
 * listener's count and writes a wake-up byte into the listener's own
 * named pipe; a wait is a read op on that pipe's other end, so cancel
 * and deadlines work as on Unix, and the counts are exact.
 */
#ifndef COMPIO_SIGNAL_H
#define COMPIO_SIGNAL_H

#include <stdint.h>

#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One registration for one signal; see cio_signal_listen. */
typedef struct cio_signal_listener cio_signal_listener;

/**
 * Start counting deliveries of @signo for the current runtime: the
 * first listener of a signal installs compio's handler (and saves the
 * previous disposition). Call it on a runtime's thread; the listener
 * belongs to that runtime and is waited on from its tasks.
 *
 * 0 and *@out set, or: CIO_EINVAL (@out NULL; @signo out of range, or
 * SIGKILL/SIGSTOP, which cannot be caught; or SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, whose handler must not simply return), CIO_EPERM (not on a
 * runtime's thread), CIO_ENOMEM, CIO_EMFILE, or the -errno of
 * sigaction, eventfd, pipe or pthread_create.
 */
CIO_EXTERN int cio_signal_listen(cio_signal_listener **out, int signo);

/**
 * Wait for deliveries of the listener's signal. Returns at once when
 * some arrived since the last wait (or since cio_signal_listen).
 * Task only, on the listener's runtime; one task waits on a listener at
 * a time (make a listener per waiting task: each sees every delivery).
 *
 * The number of deliveries since the last wait (>= 1), or: CIO_EINVAL
 * (@l NULL), CIO_EPERM (not in a task), CIO_ECANCELED (the task was
 * cancelled; nothing counted is lost, the next wait reports it),
 * CIO_ETIMEDOUT (the task's deadline passed; likewise), or -errno.
 */
CIO_EXTERN int64_t cio_signal_wait(cio_signal_listener *l);

/** The signal @l listens to. */
CIO_EXTERN int cio_signal_number(const cio_signal_listener *l);

/**
 * Stop listening and free @l; deliveries not yet waited for are
 * dropped. The last listener of a signal restores the disposition saved
 * by the first. No task may be waiting on @l. Any thread; NULL is
 * fine. 0, or -errno from restoring the disposition (the listener is
 * freed anyway).
 */
CIO_EXTERN int cio_signal_unlisten(cio_signal_listener *l);

/**
 * Wait for one ctrl-c (SIGINT): listen, wait, unlisten. A ctrl-c that
 * comes before the call or after it returns is not seen; for a loop,
 * use a listener. Task only. 0 once one arrived, or the errors of
 * cio_signal_listen and cio_signal_wait.
 */
CIO_EXTERN int cio_ctrl_c(void);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_SIGNAL_H */
