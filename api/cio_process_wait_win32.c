/* SPDX-License-Identifier: MIT */
/*
 * cio_process_wait_win32.c - a Windows child once spawned: its streams,
 * waiting on its process handle, TerminateProcess as cio_child_kill,
 * and freeing it. There are no zombies on Windows: the handle keeps
 * the exit code, and closing it is all that freeing needs.
 *
 * A wait polls the handle with cio_sleep in between, 1 ms doubling to
 * 50 ms, like the Unix fallback: it holds no thread and no extra
 * handle, and cancel and deadlines come with cio_sleep. (A pool op in
 * WaitForSingleObject could not be interrupted, and a thread-pool wait
 * would need a handle per wait to signal the task; the price here is a
 * reaction time of at most 50 ms.)
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include "cio_fs_win32.h"
#include "cio_process_int.h"

#define POLL_MIN_NS 1000000ull
#define POLL_MAX_NS 50000000ull

/* The exit code TerminateProcess gives a child killed with @sig. */
#define KILL_CODE(sig) (128u + (unsigned)(sig))

/* Reap @c if it has ended: 1 (status filled), 0 (running), -errno. */
int
cio__proc_reap(cio_child *c)
{
    HANDLE h = (HANDLE)c->pidfd;
    DWORD w, code;

    if (c->reaped)
        return 1;
    w = WaitForSingleObject(h, 0);
    if (w == WAIT_TIMEOUT)
        return 0;
    if (w != WAIT_OBJECT_0)
        return cio__fs_lasterr();
    if (!GetExitCodeProcess(h, &code))
        return cio__fs_lasterr();
    c->status.core_dumped = 0;
    if (c->killsig != 0 && code == KILL_CODE(c->killsig)) {
        c->status.code = -1;
        c->status.signal = c->killsig;
    } else {
        /* The whole 32-bit code: an NTSTATUS crash code is negative. */
        c->status.code = (int)code;
        c->status.signal = 0;
    }
    c->reaped = 1;
    return 1;
}

int
cio_child_pid(const cio_child *child)
{
    return child != NULL ? child->pid : CIO_EINVAL;
}

cio_stream *
cio_child_stdin(cio_child *child)
{
    return child != NULL ? child->io[0] : NULL;
}

cio_stream *
cio_child_stdout(cio_child *child)
{
    return child != NULL ? child->io[1] : NULL;
}

cio_stream *
cio_child_stderr(cio_child *child)
{
    return child != NULL ? child->io[2] : NULL;
}

cio_stream *
cio_child_take_stdio(cio_child *child, int fd)
{
    cio_stream *s;

    if (child == NULL || fd < 0 || fd > 2)
        return NULL;
    s = child->io[fd];
    child->io[fd] = NULL;
    return s;
}

int
cio_child_try_wait(cio_child *child, cio_exit_status *st)
{
    int r;

    if (child == NULL)
        return CIO_EINVAL;
    r = cio__proc_reap(child);
    if (r == 1 && st != NULL)
        *st = child->status;
    return r;
}

int
cio_child_wait(cio_child *child, cio_exit_status *st)
{
    uint64_t delay = POLL_MIN_NS;
    cio_stream *in;
    int r;

    if (child == NULL)
        return CIO_EINVAL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    /* A child that reads its stdin to the end would never exit. */
    in = cio_child_take_stdio(child, 0);
    if (in != NULL)
        cio_stream_close(in);
    for (;;) {
        r = cio__proc_reap(child);
        if (r < 0)
            return r;
        if (r == 1)
            break;
        r = cio_sleep(delay);
        if (r < 0)
            return r;
        delay = delay * 2 > POLL_MAX_NS ? POLL_MAX_NS : delay * 2;
    }
    if (st != NULL)
        *st = child->status;
    return 0;
}

int
cio_child_kill(cio_child *child, int sig)
{
    if (child == NULL)
        return CIO_EINVAL;
    if (sig != 0 && sig != SIGKILL && sig != SIGTERM && sig != SIGINT)
        return CIO_EINVAL;
    if (child->reaped ||
        WaitForSingleObject((HANDLE)child->pidfd, 0) == WAIT_OBJECT_0)
        return 0;
    if (sig == 0)
        return 0;
    /* Only the first kill names the signal in the exit status. */
    if (child->killsig == 0)
        child->killsig = sig;
    if (!TerminateProcess((HANDLE)child->pidfd, KILL_CODE(child->killsig))) {
        /* It ended on its own in the meantime: nothing to signal. */
        if (WaitForSingleObject((HANDLE)child->pidfd, 0) == WAIT_OBJECT_0)
            return 0;
        return cio__fs_lasterr();
    }
    return 0;
}

void
cio_child_free(cio_child *child)
{
    int fd;

    if (child == NULL)
        return;
    for (fd = 0; fd < 3; fd++)
        cio_stream_close(child->io[fd]);
    if (child->pidfd != CIO_INVALID_FD)
        CloseHandle((HANDLE)child->pidfd);
    free(child);
}

/* Windows needs no orphan list: an unwaited child leaves no zombie. */
void
cio__proc_orphan_add(int pid)
{
    (void)pid;
}

void
cio__proc_orphan_sweep(void)
{
}
