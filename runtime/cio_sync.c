/* SPDX-License-Identifier: MIT */
/*
 * cio_sync.c - event, mutex and semaphore for the tasks of one runtime.
 *
 * All three share one discipline: a waker pops the oldest waiter, hands
 * it what it waited for (the event, the lock, a permit), marks it woken
 * and only then makes it runnable. The woken task therefore never has to
 * retry, nobody can barge in between the wake and the run, and a waiter
 * cannot starve.
 *
 * Cancellation rule, the same for every primitive: if the waker came
 * first (woken is set) the wait succeeded and returns 0 with what was
 * handed over (the caller owns the lock or the permit and must give it
 * back as usual), even if the task was cancelled afterwards; this mirrors
 * cio_submit_wait, where a completion that won the race is returned. If
 * the cancel came first the waiter unlinks itself and returns
 * CIO_ECANCELED; nothing was handed to it, so nothing is lost.
 */
#include "config.h"

#include <stddef.h>

#include "cio_rt_internal.h"

/*
 * Park the current task on @q until a waker pops it. 0 when woken (also
 * when a cancel raced with the wake and lost), CIO_ECANCELED after the
 * waiter unlinked itself because the cancel came first.
 */
static int
sync_wait(cio_waitq *q)
{
    cio__waiter w;

    w.task = cio_current();
    w.woken = 0;
    cio__waitq_push(q, &w);
    /* A wake that is not ours (there should be none) just parks again. */
    while (!w.woken) {
        if (cio__task_park() < 0 && !w.woken) {
            cio__waitq_remove(q, &w);
            return CIO_ECANCELED;
        }
    }
    return 0;
}

/* Hand-off done by the caller; mark @w woken and make its task run. */
static void
sync_wake(cio__waiter *w)
{
    cio_task *t = w->task;

    w->woken = 1;
    cio__task_wake(t);
}

/* ---- event ---- */

void
cio_event_init(cio_event *ev)
{
    ev->q.head = NULL;
    ev->q.tail = NULL;
    ev->set = 0;
}

void
cio_event_set(cio_event *ev)
{
    cio__waiter *w;

    ev->set = 1;
    while ((w = cio__waitq_pop(&ev->q)) != NULL)
        sync_wake(w);
}

void
cio_event_reset(cio_event *ev)
{
    /* Waiters already woken stay woken: they saw the event set. */
    ev->set = 0;
}

int
cio_event_wait(cio_event *ev)
{
    if (cio_current() == NULL)
        return CIO_EPERM;
    if (ev->set)
        return 0;
    return sync_wait(&ev->q);
}

/* ---- mutex ---- */

void
cio_mutex_init(cio_mutex *m)
{
    m->q.head = NULL;
    m->q.tail = NULL;
    m->held = NULL;
}

int
cio_mutex_lock(cio_mutex *m)
{
    cio_task *self = cio_current();

    if (self == NULL)
        return CIO_EPERM;
    /*
     * With hand-off, a free mutex has no waiters, so taking it here is
     * fair. A lock free at once succeeds even for a cancelled task: it
     * does not block.
     */
    if (m->held == NULL) {
        m->held = self;
        return 0;
    }
    /*
     * Relocking by the owner would park forever: nobody else can unlock.
     * Report it instead of hanging the runtime.
     */
    if (m->held == self)
        return CIO_EBUSY;
    return sync_wait(&m->q);
}

int
cio_mutex_trylock(cio_mutex *m)
{
    cio_task *self = cio_current();

    if (self == NULL)
        return CIO_EPERM;
    if (m->held != NULL)
        return CIO_EBUSY;
    m->held = self;
    return 0;
}

void
cio_mutex_unlock(cio_mutex *m)
{
    cio__waiter *w;

    /*
     * Unlocking a mutex the caller does not hold is a bug in the caller;
     * ignoring it keeps the real owner's critical section intact.
     */
    if (m->held == NULL || m->held != cio_current())
        return;
    w = cio__waitq_pop(&m->q);
    if (w == NULL) {
        m->held = NULL;
        return;
    }
    /* Ownership passes directly: nobody can take it before @w runs. */
    m->held = w->task;
    sync_wake(w);
}

/* ---- semaphore ---- */

void
cio_sem_init(cio_sem *s, uint64_t count)
{
    s->q.head = NULL;
    s->q.tail = NULL;
    s->count = count;
}

int
cio_sem_acquire(cio_sem *s)
{
    if (cio_current() == NULL)
        return CIO_EPERM;
    /* Permits are handed to waiters directly, so count > 0 means none. */
    if (s->count > 0) {
        s->count--;
        return 0;
    }
    return sync_wait(&s->q);
}

int
cio_sem_try_acquire(cio_sem *s)
{
    if (s->count == 0)
        return CIO_EAGAIN;
    s->count--;
    return 0;
}

void
cio_sem_release(cio_sem *s)
{
    cio__waiter *w = cio__waitq_pop(&s->q);

    if (w != NULL) {
        /* The permit goes to the oldest waiter without touching count. */
        sync_wake(w);
        return;
    }
    if (s->count < UINT64_MAX)
        s->count++;
}
