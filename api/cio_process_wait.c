/* SPDX-License-Identifier: MIT */
/*
 * cio_process_wait.c - waiting for, signalling and freeing a child on
 * Unix, and the list of orphans (children freed before they were
 * reaped).
 *
 * A wait alternates "reap if ended" (waitid WEXITED|WNOHANG, which is
 * the only place a child is reaped) with a park that ends when the
 * child may have ended: a POLL_ADD op on its pidfd, or, without one, a
 * cio_sleep that grows from 1 ms to 50 ms. Both parks are what the
 * runtime cancels and times out, and neither reaps, so a wait that
 * returns CIO_ECANCELED or CIO_ETIMEDOUT leaves the child exactly as it
 * was: running, or a zombie the next wait reaps. See compio/process.h
 * for why the fallback does not run waitpid on the blocking pool.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cio_process_int.h"

#define POLL_MIN_NS (1 * CIO_NS_PER_MS)
#define POLL_MAX_NS (50 * CIO_NS_PER_MS)

static void
decode(const siginfo_t *si, cio_exit_status *st)
{
    st->code = -1;
    st->signal = 0;
    st->core_dumped = 0;
    switch (si->si_code) {
    case CLD_EXITED:
        st->code = si->si_status;
        break;
    case CLD_DUMPED:
        st->core_dumped = 1;
        /* Fall through. */
    default:
        st->signal = si->si_status;
        break;
    }
}

/* 1 and *@st if @pid was reaped now, 0 if it runs, -errno. */
static int
reap_pid(int pid, cio_exit_status *st)
{
    siginfo_t si;
    int r;

    memset(&si, 0, sizeof si);
    while ((r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG)) < 0 &&
           errno == EINTR)
        ;
    if (r < 0)
        return -errno;
    if (si.si_pid == 0)
        return 0;
    if (st != NULL)
        decode(&si, st);
    return 1;
}

int
cio__proc_reap(cio_child *c)
{
    int r;

    if (c->reaped)
        return 1;
    r = reap_pid(c->pid, &c->status);
    if (r == 1)
        c->reaped = 1;
    return r;
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
    cio_op op;
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
        if (child->pidfd != CIO_INVALID_FD) {
            /* Readable once the child has ended (it stays readable). */
            cio_op_poll_add(&op, child->pidfd, CIO_POLL_IN);
            r = cio_submit_wait(&op);
        } else {
            r = cio_sleep(delay);
            delay = delay * 2 > POLL_MAX_NS ? POLL_MAX_NS : delay * 2;
        }
        if (r < 0)
            return r;
    }
    if (st != NULL)
        *st = child->status;
    return 0;
}

int
cio_child_kill(cio_child *child, int sig)
{
    if (child == NULL || sig < 0)
        return CIO_EINVAL;
    /* Reaped: the pid may belong to someone else by now. */
    if (child->reaped)
        return 0;
    /* Not reaped, so the pid is still this child (a zombie at worst,
     * which takes signals without complaint). */
    return kill((pid_t)child->pid, sig) == 0 ? 0 : -errno;
}

void
cio_child_free(cio_child *child)
{
    int fd;

    if (child == NULL)
        return;
    for (fd = 0; fd < 3; fd++)
        cio_stream_close(child->io[fd]);
    if (!child->reaped && cio__proc_reap(child) == 0)
        cio__proc_orphan_add(child->pid);
    if (child->pidfd != CIO_INVALID_FD)
        cio__api_close(child->pidfd);
    free(child);
    cio__proc_orphan_sweep();
}

/* ---- orphans ---- */

/*
 * Pids only: no descriptor and no runtime is held for them, so they
 * outlive any runtime, and sweeping them is one waitid(WNOHANG) each.
 * Swept by every spawn and every free, on any runtime.
 */
static pthread_mutex_t orphan_lock = PTHREAD_MUTEX_INITIALIZER;
static int *orphans;
static size_t norphans, orphancap;

void
cio__proc_orphan_add(int pid)
{
    pthread_mutex_lock(&orphan_lock);
    if (norphans == orphancap) {
        size_t cap = orphancap ? orphancap * 2 : 16;
        int *v = realloc(orphans, cap * sizeof *v);

        if (v == NULL) {
            /* It stays a zombie; nothing else is lost. */
            pthread_mutex_unlock(&orphan_lock);
            return;
        }
        orphans = v;
        orphancap = cap;
    }
    orphans[norphans++] = pid;
    pthread_mutex_unlock(&orphan_lock);
}

void
cio__proc_orphan_sweep(void)
{
    size_t i = 0;

    pthread_mutex_lock(&orphan_lock);
    while (i < norphans) {
        /* Reaped now, or not ours any more (ECHILD): forget it. */
        if (reap_pid(orphans[i], NULL) != 0)
            orphans[i] = orphans[--norphans];
        else
            i++;
    }
    pthread_mutex_unlock(&orphan_lock);
}
