/* SPDX-License-Identifier: MIT */
/*
 * cio_process_wait_win32.c - a Windows child once spawned: its streams,
 * waiting on its process handle, TerminateProcess as cio_child_kill,
 * and freeing it. There are no zombies on Windows: the handle keeps
 * the exit code, and closing it is all that freeing needs.
 *
 * A wait is event-driven: RegisterWaitForSingleObject has a thread of
 * the system's pool wait on the process handle, and its callback posts
 * to the waiting task's runtime (cio_runtime_post), where the posted
 * function cancels the TIMEOUT op the task sleeps in. That op is pushed
 * with cio_submit_wait, so the task's cancel and deadline end the wait
 * as they end any op. The wait is unregistered with UnregisterWaitEx
 * (INVALID_HANDLE_VALUE: until a running callback has returned) before
 * the task goes on, and the little state the callback and the posted
 * function share is freed by whichever of task and posted function is
 * last, both on the runtime's thread; so nothing runs after a free.
 * The sleep is bounded (WAIT_RECHECK_NS) only as insurance against a
 * post that failed for lack of memory: the loop does not poll.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include "cio_fs_win32.h"
#include "cio_process_int.h"
#include "compio/runtime.h"

/* The longest sleep between two looks at the handle (see above). */
#define WAIT_RECHECK_NS 1000000000ull

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

/*
 * What a registered wait shares. The callback (a system pool thread)
 * only reads rt and sets posted; everything else lives on the runtime's
 * thread: the task and wait_posted() never run at the same time.
 */
typedef struct wait_ctx {
    cio_runtime *rt;
    cio_op *op;           /* The task's sleep, while it is pushed; or NULL. */
    volatile LONG posted; /* The callback posted wait_posted(). */
    int ran;              /* wait_posted() has run. */
    int task_gone;        /* The task no longer looks at this. */
} wait_ctx;

/* On the runtime's thread: the child ended; wake the task's sleep. */
static void
wait_posted(void *arg)
{
    wait_ctx *w = arg;

    w->ran = 1;
    if (w->task_gone) {
        free(w);
        return;
    }
    if (w->op != NULL)
        (void)cio_driver_cancel(cio_runtime_driver(w->rt), w->op);
}

/* On a system pool thread, once, when the process handle is signalled. */
static VOID CALLBACK
wait_fired(PVOID arg, BOOLEAN timed_out)
{
    wait_ctx *w = arg;

    (void)timed_out;
    if (cio_runtime_post(w->rt, wait_posted, w) == 0)
        InterlockedExchange(&w->posted, 1);
}

/*
 * Sleep until the child's handle is signalled, or at most
 * WAIT_RECHECK_NS: 0 (look again), or the sleep's CIO_ECANCELED /
 * CIO_ETIMEDOUT of the task's cancel or deadline, or -errno.
 */
static int
wait_signalled(cio_child *child)
{
    wait_ctx *w;
    HANDLE wh = NULL;
    cio_op op;
    int32_t r;

    w = calloc(1, sizeof *w);
    if (w == NULL)
        return CIO_ENOMEM;
    w->rt = cio_runtime_current();
    if (!RegisterWaitForSingleObject(&wh, (HANDLE)child->pidfd, wait_fired, w,
                                     INFINITE, WT_EXECUTEONLYONCE)) {
        free(w);
        return cio__fs_lasterr();
    }
    cio_op_timeout(&op, WAIT_RECHECK_NS);
    w->op = &op;
    r = cio_submit_wait(&op);
    w->op = NULL;
    /* After this no callback runs, and posted is final. */
    UnregisterWaitEx(wh, INVALID_HANDLE_VALUE);
    /* The post is wait_posted's to free when it has yet to run. */
    if (InterlockedCompareExchange(&w->posted, 0, 0) && !w->ran)
        w->task_gone = 1;
    else
        free(w);
    /* The sleep ran out, or the child's end cancelled it: look again. */
    if (r == CIO_ETIME || r == 0)
        return 0;
    if (r == CIO_ECANCELED && !cio_cancelled())
        return 0;
    return r;
}

int
cio_child_wait(cio_child *child, cio_exit_status *st)
{
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
        r = wait_signalled(child);
        if (r < 0) {
            /* A child that ended as the wait was given up is reaped. */
            if (cio__proc_reap(child) == 1)
                break;
            return r;
        }
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
