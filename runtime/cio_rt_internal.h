/* SPDX-License-Identifier: MIT */
/*
 * cio_rt_internal.h - contracts inside runtime/ (never installed). The
 * runtime includes only public headers of the core (compio/driver.h,
 * compio/op.h, ...): it never sees a backend type or cio_internal.h.
 *
 * Two groups of files meet here:
 *  - the scheduler (fibers, stacks, tasks, timers, await, post), which
 *    implements everything below;
 *  - the primitives (event, mutex, semaphore, channel, dispatcher), which
 *    are built only on these calls and the public API.
 */
#ifndef CIO_RT_INTERNAL_H
#define CIO_RT_INTERNAL_H

#include "compio/runtime.h"

/**
 * Park the current task until cio__task_wake() is called for it. Returns
 * 0 when woken, or CIO_ECANCELED when the task was (or is) cancelled: the
 * caller must then undo its registration (e.g. unlink its waiter) itself.
 * A cancelled task's further parks return CIO_ECANCELED at once. Must be
 * called from a task.
 */
int cio__task_park(void);

/**
 * Park ignoring cancellation (used while waiting for a cancelled op to be
 * released by the backend). Returns when woken.
 */
void cio__task_park_nocancel(void);

/**
 * Make @t runnable (FIFO at the tail of its runtime's ready queue). Must
 * be called on @t's runtime thread (from a task, a callback or a post).
 * Waking a task that is not parked is a no-op.
 */
void cio__task_wake(cio_task *t);

/** The runtime @t belongs to. */
cio_runtime *cio__task_runtime(const cio_task *t);

/**
 * A waiter node for cio_waitq-based primitives. Lives on the parked
 * task's stack; the primitive links it while the task is parked.
 */
typedef struct cio__waiter {
    struct cio__waiter *next;
    struct cio__waiter *prev;
    cio_task *task;
    int woken; /* Set by the waker before cio__task_wake. */
} cio__waiter;

/** Append @w to @q (FIFO). */
void cio__waitq_push(cio_waitq *q, cio__waiter *w);
/** Unlink @w from @q (it must be linked). */
void cio__waitq_remove(cio_waitq *q, cio__waiter *w);
/** Unlink and return the oldest waiter, or NULL. */
cio__waiter *cio__waitq_pop(cio_waitq *q);

/*
 * From core/cio_error.c: set this thread's cio_error_detail() text. The
 * dispatcher uses it to pass a worker's explanation to the caller.
 */
#if defined(__GNUC__)
void cio__set_detail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
#else
void cio__set_detail(const char *fmt, ...);
#endif

#endif /* CIO_RT_INTERNAL_H */
