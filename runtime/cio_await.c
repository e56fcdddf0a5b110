/* SPDX-License-Identifier: MIT */
/*
 * cio_await.c - ops awaited by tasks or by callbacks.
 *
 * The runtime owns the user_data of the ops it pushes: a pointer to the
 * waiter with its kind in the low bits (CIO__UD_TASK: a cio__await on
 * the parked task's stack; CIO__UD_CB: a cio__cbrec). A task's op and
 * waiter both live on its stack, so awaiting allocates nothing; cb
 * records come from a per-runtime free list. Completions whose
 * user_data carries neither tag (ops pushed on cio_runtime_driver() by
 * hand) are dropped: the runtime has nobody to give them to.
 */
#include "config.h"

#include <stdlib.h>

#include "cio_sched.h"

static void
cb_put(cio_runtime *rt, cio__cbrec *rec)
{
    rec->op = NULL;
    rec->next = rt->cbfree;
    rt->cbfree = rec;
}

void
cio__await_dispatch(cio_runtime *rt, const cio_entry *e)
{
    uintptr_t ud = (uintptr_t)e->user_data;
    void *p = (void *)(ud & ~(uintptr_t)CIO__UD_MASK);

    switch (ud & CIO__UD_MASK) {
    case CIO__UD_TASK: {
        cio__await *w = p;
        /*
         * A task waits for one result. With CIO_CF_MORE more completions
         * follow (SEND_ZC: the byte count, then a NOTIF when the buffer
         * is free again): keep the result, wake only on the last one, so
         * the call returns when the buffers are the caller's again.
         */
        if (e->flags & CIO_CF_MORE) {
            w->result = e->result;
            w->more = 1;
            break;
        }
        if (!(w->more && (e->flags & CIO_CF_NOTIF)))
            w->result = e->result;
        w->done = 1;
        cio__task_wake(w->task);
        break;
    }
    case CIO__UD_CB: {
        cio__cbrec *rec = p;
        cio_op_cb cb = rec->cb;
        cio_entry_cb ecb = rec->ecb;
        void *arg = rec->arg;
        /* The record lives until the completion without MORE. */
        if (!(e->flags & CIO_CF_MORE)) {
            cb_put(rt, rec);
            rt->ncb--;
        }
        if (ecb != NULL)
            ecb(e, arg);
        else
            cb(e->op, e->result, arg);
        break;
    }
    default:
        break;
    }
}

void
cio__await_flush(cio_runtime *rt)
{
    unsigned i = rt->lazy_next, n = rt->lazy_end;

    /* First: each wake below pushes, and a push flushes. */
    rt->lazy_next = 0;
    rt->lazy_end = 0;
    for (; i < n; i++)
        cio__await_deliver(rt, &rt->entries[i]);
}

void
cio__await_cancel_cbs(cio_runtime *rt)
{
    cio__cbrec *rec;

    for (rec = rt->cball; rec != NULL; rec = rec->all)
        if (rec->op != NULL)
            (void)cio_driver_cancel(rt->drv, rec->op);
}

void
cio__await_fini(cio_runtime *rt)
{
    /* Records of ops the driver close discarded are on this list too. */
    while (rt->cball != NULL) {
        cio__cbrec *rec = rt->cball;
        rt->cball = rec->all;
        free(rec);
    }
    rt->cbfree = NULL;
}

/*
 * Park until @w is done. On cancel of the task, cancel @op and keep
 * waiting (without cancel) for its completion: the op and the buffers
 * on this stack belong to the driver until then.
 */
static void
await_done(cio_runtime *rt, cio_op *op, cio__await *w)
{
    while (!w->done) {
        if (cio__task_park() < 0) {
            if (!w->done)
                cio_driver_cancel(rt->drv, op);
            while (!w->done)
                cio__task_park_nocancel();
        }
    }
}

/*
 * The result of an op this task cancelled (its own cancel or a
 * deadline). A backend may report an op its cancel interrupted as
 * -EINTR: the uring module maps io_uring's own case (a kernel worker
 * interrupted by the cancel) to -ECANCELED itself, but a third-party
 * module or the faulty wrapper may not. Either way the op stopped
 * because it was cancelled, so it must not look like "retry".
 */
static int32_t
cancelled_result(int32_t result)
{
    return result == CIO_EINTR ? CIO_ECANCELED : result;
}

/* Push @op for the current task @t with waiter @w. 0 or -errno. */
static int
await_push(cio_task *t, cio_op *op, cio__await *w)
{
    /* One result per await: multishot ops need cio_submit_entry_cb. */
    if (op == NULL || (op->opflags & CIO_OPF_MULTISHOT))
        return CIO_EINVAL;
    if (t->cancelled)
        return CIO_ECANCELED;
    w->task = t;
    w->result = 0;
    w->more = 0;
    w->done = 0;
    op->user_data = (uint64_t)((uintptr_t)w | CIO__UD_TASK);
    return cio_driver_push(t->rt->drv, op);
}

typedef struct op_timer {
    cio__timer tm; /* First: the timer pointer is the op_timer's. */
    cio_runtime *rt;
    cio_op *op;
    int fired;
} op_timer;

static void
op_timer_fire(cio__timer *tm)
{
    op_timer *ot = (op_timer *)tm;

    ot->fired = 1;
    cio_driver_cancel(ot->rt->drv, ot->op);
}

/*
 * Push @op and wait for it, cancelling it at @deadline (cio_now() time,
 * 0 = never); a cancel by the deadline reads as CIO_ETIMEDOUT.
 */
static int32_t
wait_until(cio_task *t, cio_op *op, uint64_t deadline)
{
    cio__await w;
    op_timer ot;
    int r;

    if (deadline != 0 && cio_now() >= deadline)
        return t->cancelled ? CIO_ECANCELED : CIO_ETIMEDOUT;
    r = await_push(t, op, &w);
    if (r < 0)
        return r;
    if (deadline == 0) {
        await_done(t->rt, op, &w);
        return t->cancelled ? cancelled_result(w.result) : w.result;
    }
    ot.tm.deadline = deadline;
    ot.tm.fire = op_timer_fire;
    ot.rt = t->rt;
    ot.op = op;
    ot.fired = 0;
    if (cio__timer_add(t->rt, &ot.tm) < 0) {
        /* No room for the timer: the op must still be released. */
        cio_driver_cancel(t->rt->drv, op);
        while (!w.done)
            cio__task_park_nocancel();
        return CIO_ENOMEM;
    }
    await_done(t->rt, op, &w);
    cio__timer_remove(t->rt, &ot.tm);
    if (ot.fired || t->cancelled)
        w.result = cancelled_result(w.result);
    if (ot.fired && w.result == CIO_ECANCELED && !t->cancelled)
        return CIO_ETIMEDOUT;
    return w.result;
}

/*
 * The common case of every awaited op: no deadline, a task not
 * cancelled, one completion. It is wait_until with await_push and the
 * first cio__task_park inlined, since each op of a request-response
 * loop comes through here (issue 10: the layers were a good part of
 * the runtime's instructions per request). Anything else, and a wake
 * that did not bring the completion, takes the general path.
 */
int32_t
cio_submit_wait(cio_op *op)
{
    cio_runtime *rt = cio__rt_tls;
    cio_task *t;
    cio__await w;
    int r;

    if (rt == NULL || (t = rt->cur) == NULL)
        return CIO_EPERM;
    if (t->deadline != 0 || t->cancelled || op == NULL ||
        (op->opflags & CIO_OPF_MULTISHOT))
        return wait_until(t, op, t->deadline);
    /* result is written with done; nothing reads it before. */
    w.task = t;
    w.more = 0;
    w.done = 0;
    op->user_data = (uint64_t)((uintptr_t)&w | CIO__UD_TASK);
    r = cio_driver_push(rt->drv, op);
    if (r < 0)
        return r;
    /* cio__task_park: the task was not cancelled a moment ago. */
    t->state = CIO__T_PARKED;
    t->cancel_wake = 0;
    cio__task_suspend(t);
    if (!w.done) {
        /* Woken by cio_cancel (or a stray wake): as await_done. */
        if (t->cancel_wake) {
            cio_driver_cancel(rt->drv, op);
            while (!w.done)
                cio__task_park_nocancel();
        } else {
            await_done(rt, op, &w);
        }
    }
    return t->cancelled ? cancelled_result(w.result) : w.result;
}

int32_t
cio_submit_wait_timeout(cio_op *op, uint64_t timeout_ns)
{
    cio_task *t = cio__cur();
    uint64_t now, d;

    if (t == NULL)
        return CIO_EPERM;
    now = cio_now();
    d = now + timeout_ns < now ? UINT64_MAX : now + timeout_ns;
    if (t->deadline != 0 && t->deadline < d)
        d = t->deadline;
    return wait_until(t, op, d);
}

uint64_t
cio_deadline_set(uint64_t deadline)
{
    cio_task *t = cio__cur();
    uint64_t prev;

    if (t == NULL)
        return 0;
    prev = t->deadline;
    t->deadline = deadline;
    return prev;
}

uint64_t
cio_deadline(void)
{
    cio_task *t = cio__cur();

    return t != NULL ? t->deadline : 0;
}

static int
submit_cb(cio_runtime *rt, cio_op *op, cio_op_cb cb, cio_entry_cb ecb,
          void *arg)
{
    cio__cbrec *rec;
    int r;

    if (rt->owner != cio__thread_tag())
        return CIO_EPERM;
    /* cio_runtime_free cancelled the rest; a new one could outlive it. */
    if (rt->cb_cancelled)
        return CIO_ESHUTDOWN;
    rec = rt->cbfree;
    if (rec != NULL)
        rt->cbfree = rec->next;
    else if ((rec = malloc(sizeof *rec)) != NULL) {
        rec->all = rt->cball;
        rt->cball = rec;
    } else {
        return CIO_ENOMEM;
    }
    rec->cb = cb;
    rec->ecb = ecb;
    rec->arg = arg;
    rec->op = op;
    op->user_data = (uint64_t)((uintptr_t)rec | CIO__UD_CB);
    r = cio_driver_push(rt->drv, op);
    if (r < 0) {
        cb_put(rt, rec);
        return r;
    }
    rt->ncb++;
    return 0;
}

int
cio_submit_cb(cio_runtime *rt, cio_op *op, cio_op_cb cb, void *arg)
{
    if (rt == NULL || op == NULL || cb == NULL)
        return CIO_EINVAL;
    return submit_cb(rt, op, cb, NULL, arg);
}

int
cio_submit_entry_cb(cio_runtime *rt, cio_op *op, cio_entry_cb cb, void *arg)
{
    if (rt == NULL || op == NULL || cb == NULL)
        return CIO_EINVAL;
    return submit_cb(rt, op, NULL, cb, arg);
}

/* Runs on a pool thread: keeps the full 64-bit result (op->result is
 * 32 bits and saturates). */
typedef struct blocking_call {
    cio_blocking_fn fn;
    void *arg;
    int64_t result;
    int ran;
} blocking_call;

static int64_t
blocking_thunk(void *p)
{
    blocking_call *bc = p;

    bc->result = bc->fn(bc->arg);
    bc->ran = 1;
    return 0;
}

int64_t
cio_spawn_blocking(cio_blocking_fn fn, void *arg)
{
    cio_task *t = cio__cur();
    blocking_call bc;
    cio__await w;
    cio_op op;
    int r;

    if (t == NULL)
        return CIO_EPERM;
    if (fn == NULL)
        return CIO_EINVAL;
    bc.fn = fn;
    bc.arg = arg;
    bc.result = 0;
    bc.ran = 0;
    cio_op_blocking(&op, blocking_thunk, &bc);
    r = await_push(t, &op, &w);
    if (r < 0)
        return r;
    /* Not interruptible: a cancel only shows in later blocking calls. */
    while (!w.done)
        cio__task_park_nocancel();
    return bc.ran ? bc.result : w.result;
}
