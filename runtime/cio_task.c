/* SPDX-License-Identifier: MIT */
/*
 * cio_task.c - tasks: spawn, park/wake, join, detach, cancel.
 *
 * A task record lives at the top of its own stack mapping, so spawning
 * takes one stack from the runtime's cache and nothing else: no malloc,
 * no system call once the cache is warm.
 *
 * Cancel state machine (t->state, t->cancelled):
 *   READY, not started  cancelled is set; when the loop reaches it, the
 *                       task finishes with CIO_ECANCELED without running.
 *   READY / RUNNING     cancelled is set; its next park returns at once.
 *   PARKED              cancelled is set and the task is made READY with
 *                       cancel_wake, so its park returns CIO_ECANCELED
 *                       (cio_submit_wait then cancels its op and waits in
 *                       PARKED_NC for the completion).
 *   PARKED_NC           cancelled is set; only a wake resumes it.
 *   DONE                CIO_ENOENT.
 * A task is freed when it is DONE and joined or detached; the loop frees
 * a detached task after switching off its stack.
 */
#include "config.h"

#include <string.h>

#include "cio_sched.h"

static void
task_entry(void *arg)
{
    cio_task *t = arg;
    cio_runtime *rt = t->rt;

    cio__fiber_entered();
    t->result = t->fn(t->arg);
    /* The runtime of a task never changes, but rt->cur is re-read. */
    t->state = CIO__T_DONE;
    rt->nlive--;
    if (t->joiner != NULL)
        cio__task_wake(t->joiner);
    cio__fiber_switch(&t->fib, &rt->sched, 1);
    /* Never resumed. */
}

static void
task_finish_unstarted(cio_runtime *rt, cio_task *t)
{
    t->result = CIO_ECANCELED;
    t->state = CIO__T_DONE;
    rt->nlive--;
    if (t->joiner != NULL)
        cio__task_wake(t->joiner);
}

void
cio__task_run(cio_runtime *rt, cio_task *t)
{
    if (!t->started && t->cancelled) {
        task_finish_unstarted(rt, t);
    } else {
        t->started = 1;
        t->state = CIO__T_RUNNING;
        rt->cur = t;
        cio__fiber_switch(&rt->sched, &t->fib, 0);
        /* Tasks may have handed off among themselves: see who is back. */
        t = rt->cur;
        rt->cur = NULL;
    }
    if (t->state == CIO__T_DONE && t->detached)
        cio__task_free(t);
}

void
cio__task_free(cio_task *t)
{
    cio_runtime *rt = t->rt;

    if (t->all_prev != NULL)
        t->all_prev->all_next = t->all_next;
    else
        rt->all = t->all_next;
    if (t->all_next != NULL)
        t->all_next->all_prev = t->all_prev;
    cio__fiber_destroy(&t->fib);
    cio__stack_put(&rt->stacks, t->stack);
}

int
cio__task_spawn(cio_runtime *rt, cio_task **out, cio_task_fn fn, void *arg)
{
    cio__stack *s;
    cio_task *t;
    int r;

    r = cio__stack_get(&rt->stacks, &s);
    if (r < 0)
        return r;
    t = cio__stack_extra(s);
    memset(t, 0, sizeof *t);
    t->stack = s;
    t->rt = rt;
    t->fn = fn;
    t->arg = arg;
    r = cio__fiber_make(&t->fib, s->lo, s->size, task_entry, t);
    if (r < 0) {
        cio__stack_put(&rt->stacks, s);
        return r;
    }
    /* Spawned during shutdown: cancelled before it can start. */
    t->cancelled = (uint8_t)(rt->closing != 0);
    t->all_next = rt->all;
    if (rt->all != NULL)
        rt->all->all_prev = t;
    rt->all = t;
    rt->nlive++;
    t->state = CIO__T_READY;
    cio__ready_push(rt, t);
    if (out != NULL)
        *out = t;
    else
        t->detached = 1;
    return 0;
}

int
cio_spawn(cio_task **out, cio_task_fn fn, void *arg)
{
    cio_runtime *rt = cio__rt_tls;

    if (rt == NULL)
        return CIO_EPERM;
    if (fn == NULL)
        return CIO_EINVAL;
    return cio__task_spawn(rt, out, fn, arg);
}

int
cio__task_park(void)
{
    cio_task *t = cio__cur();

    if (t == NULL)
        return CIO_EPERM;
    if (t->cancelled)
        return CIO_ECANCELED;
    t->state = CIO__T_PARKED;
    t->cancel_wake = 0;
    cio__task_suspend(t);
    return t->cancel_wake ? CIO_ECANCELED : 0;
}

void
cio__task_park_nocancel(void)
{
    cio_task *t = cio__cur();

    if (t == NULL)
        return;
    t->state = CIO__T_PARKED_NC;
    cio__task_suspend(t);
}

void
cio__task_wake(cio_task *t)
{
    cio__task_wake_inline(t);
}

cio_runtime *
cio__task_runtime(const cio_task *t)
{
    return t->rt;
}

int
cio_join(cio_task *t)
{
    cio_task *self = cio__cur();
    int r = 0;

    if (self == NULL)
        return CIO_EPERM;
    /* Joining itself could never return. */
    if (t == NULL || t->detached || t == self)
        return CIO_EINVAL;
    if (t->state != CIO__T_DONE) {
        t->joiner = self;
        /* Only t's end wakes us, but a stray wake must not end the join. */
        while (r == 0 && t->state != CIO__T_DONE)
            r = cio__task_park();
        t->joiner = NULL;
        if (r < 0)
            return r;
    }
    r = t->result;
    cio__task_free(t);
    return r;
}

void
cio_detach(cio_task *t)
{
    if (t == NULL)
        return;
    t->detached = 1;
    /* A task that ended already is freed now (not the running one). */
    if (t->state == CIO__T_DONE)
        cio__task_free(t);
}

int
cio_cancel(cio_task *t)
{
    if (t == NULL)
        return CIO_EINVAL;
    /* A completion reaped for @t makes it ready, not parked. */
    cio__lazy_flush(t->rt);
    if (t->state == CIO__T_DONE)
        return CIO_ENOENT;
    t->cancelled = 1;
    if (t->state == CIO__T_PARKED) {
        t->cancel_wake = 1;
        t->state = CIO__T_READY;
        cio__ready_push(t->rt, t);
    }
    return 0;
}

int
cio_cancelled(void)
{
    cio_task *t = cio__cur();

    return t != NULL && t->cancelled;
}

void
cio_yield(void)
{
    cio_task *t = cio__cur();

    if (t == NULL)
        return;
    t->state = CIO__T_READY;
    cio__ready_push(t->rt, t);
    cio__task_suspend(t);
}

cio_task *
cio_current(void)
{
    return cio__cur();
}

void *
cio_task_get_data(const cio_task *t)
{
    return t != NULL ? t->data : NULL;
}

void
cio_task_set_data(cio_task *t, void *data)
{
    if (t != NULL)
        t->data = data;
}
