/* SPDX-License-Identifier: MIT */
/*
 * compio/runtime.h - the executor: one runtime per thread, stackful
 * tasks, timers, cross-thread posting and a multi-core dispatcher,
 * layered on the driver API and blind to which backend is loaded.
 *
 *     static int main_task(void *arg) {          // runs as a task
 *         char buf[1024];
 *         cio_op op;
 *         cio_op_read_at(&op, fd, buf, sizeof buf, 0);
 *         int32_t n = cio_submit_wait(&op);      // parks until done
 *         ...
 *     }
 *     int main(void) { return cio_block_on(NULL, main_task, NULL); }
 *
 * A task is a fiber with its own stack (guard page included), so buffers
 * on it stay valid while an op is in flight, also on cancel: a cancelled
 * call returns only after the backend has released the op.
 *
 * Calls marked "task only" must be made from a task of the runtime that
 * owns the object; from anywhere else they return CIO_EPERM.
 */
#ifndef COMPIO_RUNTIME_H
#define COMPIO_RUNTIME_H

#include <stdint.h>

#include "config.h"
#include "driver.h"
#include "op.h"
#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A runtime: a driver, a ready queue, a timer heap; one per thread. */
typedef struct cio_runtime cio_runtime;
/** A task handle (joinable until joined or detached). */
typedef struct cio_task cio_task;
/** The body of a task; its return is the task's result. */
typedef int (*cio_task_fn)(void *arg);

/* ---- runtime ---- */

/**
 * Make a runtime for the calling thread: opens a driver with @cfg (NULL:
 * the default lookup) and reads stack_size. 0 or -errno (the driver's
 * error; cio_error_detail() explains).
 *
 * The first runtime of a POSIX process sets SIGPIPE to ignored if it is
 * at its default action, as Rust's runtime does before main: a write to
 * a pipe whose reader has gone (a child's stdin, a pipe to `head`) then
 * returns CIO_EPIPE instead of killing the process. A handler or an
 * ignore installed by the program is left alone; children spawned by
 * compio/process.h get the default back.
 */
CIO_EXTERN int cio_runtime_new(cio_runtime **out, const cio_config *cfg);

/**
 * Free a runtime made by cio_runtime_new on this thread. Tasks still
 * alive are cancelled and run until they return first; then ops pushed
 * with cio_submit_cb that are still in flight are cancelled and their
 * callbacks run with the final result (usually CIO_ECANCELED), and new
 * ones are refused (CIO_ESHUTDOWN). Posts are still accepted while all
 * this runs (a cancelled task may wait for a reply posted from another
 * thread), then refused, and the accepted ones run before the runtime
 * goes away. NULL is fine.
 */
CIO_EXTERN void cio_runtime_free(cio_runtime *rt);

/**
 * Run @fn(@arg) as the first task of @rt and drive the runtime until
 * that task returns; other tasks keep their state for the next call.
 * @rt NULL makes a runtime with the default configuration for this call
 * and frees it afterwards. Returns @fn's result, or a negative errno if
 * the runtime could not be made or is already running on this thread.
 */
CIO_EXTERN int cio_block_on(cio_runtime *rt, cio_task_fn fn, void *arg);

/** The runtime running on this thread, or NULL. */
CIO_EXTERN cio_runtime *cio_runtime_current(void);

/**
 * The runtime's driver, for queries (cio_driver_backend, _supports) and
 * cio_driver_attach. Push ops through cio_submit_wait or cio_submit_cb:
 * the runtime's loop reaps this driver, and completions of ops pushed on
 * it directly are dropped.
 */
CIO_EXTERN cio_driver *cio_runtime_driver(cio_runtime *rt);

/**
 * Run @fn(@arg) on @rt's thread, soon, outside any task (it must not
 * block). Safe from any thread: lock-free enqueue, and the runtime is
 * woken through the backend's notify only if it is asleep. 0, or
 * CIO_ENOMEM, or CIO_ESHUTDOWN once cio_runtime_free has finished @rt's
 * tasks.
 */
CIO_EXTERN int cio_runtime_post(cio_runtime *rt, void (*fn)(void *arg),
                                void *arg);

/* ---- tasks ---- */

/**
 * Start a task running @fn(@arg) on the current runtime. It runs when
 * the spawner next parks or yields. With @out NULL the task is detached.
 * 0, CIO_ENOMEM (no stack), or CIO_EPERM outside a runtime.
 */
CIO_EXTERN int cio_spawn(cio_task **out, cio_task_fn fn, void *arg);

/**
 * Wait for @t to finish and return its result; frees the handle. Task
 * only. A join that is itself cancelled returns CIO_ECANCELED and leaves
 * @t joinable. Joining a task twice is undefined.
 */
CIO_EXTERN int cio_join(cio_task *t);

/** Let @t run on without a handle; its result is dropped. */
CIO_EXTERN void cio_detach(cio_task *t);

/**
 * Ask @t to stop. A task parked in cio_submit_wait gets its op cancelled
 * and the call returns CIO_ECANCELED once the backend released the op;
 * sleeps, joins and waits on primitives return CIO_ECANCELED. A task
 * not yet started never runs its function (its result is CIO_ECANCELED).
 * Later blocking calls of a cancelled task keep returning CIO_ECANCELED,
 * so it cannot block forever, but it may still do cleanup that does not
 * block. 0, or CIO_ENOENT when @t has finished.
 */
CIO_EXTERN int cio_cancel(cio_task *t);

/** Non-zero when the current task has been cancelled. */
CIO_EXTERN int cio_cancelled(void);

/** Let other ready tasks run; the caller runs again after them. */
CIO_EXTERN void cio_yield(void);

/** The current task, or NULL outside a task. */
CIO_EXTERN cio_task *cio_current(void);

/** A per-task user pointer (NULL until set). */
CIO_EXTERN void *cio_task_get_data(const cio_task *t);
/** Set the per-task user pointer. */
CIO_EXTERN void cio_task_set_data(cio_task *t, void *data);

/* ---- awaiting ops ---- */

/**
 * Push @op on the current runtime's driver, park the task, and return
 * the op's result when it completes. On cancel of the task, the op is
 * cancelled and the call returns after its completion arrived: its real
 * result if it won the race, else CIO_ECANCELED. Task only. An op with
 * more than one completion returns once the last one came: SEND_ZC
 * gives the byte count when the buffer is free again; a buffer-select
 * recv leaves the buffer id in op->cflags (CIO_CF_BUFFER_SHIFT).
 * Multishot ops (CIO_OPF_MULTISHOT) are CIO_EINVAL here: use
 * cio_submit_entry_cb.
 */
CIO_EXTERN int32_t cio_submit_wait(cio_op *op);

/**
 * As cio_submit_wait, but cancel the op when @timeout_ns passes first;
 * the call then returns CIO_ETIMEDOUT (after the op was released).
 */
CIO_EXTERN int32_t cio_submit_wait_timeout(cio_op *op, uint64_t timeout_ns);

/**
 * Give the current task a deadline (cio_now() time; 0 removes it) and
 * return the previous one, so scopes nest:
 *
 *     uint64_t prev = cio_deadline_set(cio_now() + 2 * CIO_NS_PER_SEC);
 *     r = cio_tcp_connect(&s, &addr);   // every op below obeys it
 *     cio_deadline_set(prev);
 *
 * Every op the task awaits while the deadline is set is cancelled when
 * it passes and returns CIO_ETIMEDOUT (after the backend released it);
 * so do sleeps that would end later. This is how every high-level call
 * gets a per-call deadline without a timeout parameter each. Waits on
 * events, mutexes, semaphores and channels do not look at it. Outside a
 * task: no effect, returns 0.
 */
CIO_EXTERN uint64_t cio_deadline_set(uint64_t deadline);

/** The current task's deadline, 0 if none (or outside a task). */
CIO_EXTERN uint64_t cio_deadline(void);

/** Nanoseconds per second, for deadlines and sleeps. */
#define CIO_NS_PER_SEC UINT64_C(1000000000)
/** Nanoseconds per millisecond. */
#define CIO_NS_PER_MS UINT64_C(1000000)

/** Completion callback for cio_submit_cb; runs on the runtime thread. */
typedef void (*cio_op_cb)(cio_op *op, int32_t result, void *arg);

/**
 * Push @op and call @cb(op, result, arg) when it completes, outside any
 * task. For code that does not want a task. Runtime thread only. With a
 * multishot op (CIO_OPF_MULTISHOT) or SEND_ZC, @cb runs once per
 * completion; use cio_submit_entry_cb to see their flags.
 */
CIO_EXTERN int cio_submit_cb(cio_runtime *rt, cio_op *op, cio_op_cb cb,
                             void *arg);

/** Completion callback that sees the whole entry (flags, buffer id). */
typedef void (*cio_entry_cb)(const cio_entry *e, void *arg);

/**
 * As cio_submit_cb, with the whole cio_entry: the way to drive multishot
 * accept and recv from a runtime. @cb runs for every completion; those
 * with CIO_CF_MORE (cio_entry_more()) leave the op in flight, the last
 * one (without MORE) gives it back. Buffer ids come with CIO_CF_BUFFER
 * (cio_entry_bid()); release them with cio_bufpool_release.
 */
CIO_EXTERN int cio_submit_entry_cb(cio_runtime *rt, cio_op *op,
                                   cio_entry_cb cb, void *arg);

/**
 * Run @fn(@arg) on the blocking pool and wait for its result. Task only.
 * If the task is cancelled meanwhile, the call still waits for @fn to
 * return (it cannot be interrupted) and returns its result.
 */
CIO_EXTERN int64_t cio_spawn_blocking(cio_blocking_fn fn, void *arg);

/* ---- time ---- */

/** Monotonic clock, nanoseconds. */
CIO_EXTERN uint64_t cio_now(void);

/**
 * Sleep @ns. 0, CIO_ECANCELED, or CIO_ETIMEDOUT when the task's deadline
 * (cio_deadline_set) came first. Task only. A sleep always lets the
 * other ready tasks run first, even one that is already due (0 ns, or a
 * deadline in the past for cio_sleep_until): then it yields once.
 */
CIO_EXTERN int cio_sleep(uint64_t ns);

/** Sleep until cio_now() >= @deadline. As cio_sleep. Task only. */
CIO_EXTERN int cio_sleep_until(uint64_t deadline);

/** A periodic ticker. */
typedef struct cio_interval {
    uint64_t next;   /**< Next tick, cio_now() time. */
    uint64_t period; /**< Nanoseconds between ticks. */
} cio_interval;

/** Start a ticker whose first tick is one @period from now. */
CIO_EXTERN void cio_interval_init(cio_interval *iv, uint64_t period);

/**
 * Sleep until the next tick. Missed ticks are skipped, not bunched: the
 * return is how many ticks passed (>= 1), or CIO_ECANCELED.
 */
CIO_EXTERN int64_t cio_interval_tick(cio_interval *iv);

/* ---- synchronisation between tasks of one runtime ---- */

/** Opaque-sized storage for the primitives (no allocation to init). */
typedef struct cio_waitq {
    void *head; /**< Internal. */
    void *tail; /**< Internal. */
} cio_waitq;

/** An event: tasks wait until it is set. */
typedef struct cio_event {
    cio_waitq q; /**< Internal. */
    int set;     /**< Non-zero once set (until reset). */
} cio_event;
/** Initialise an unset event. */
CIO_EXTERN void cio_event_init(cio_event *ev);
/** Set it and wake every waiter. */
CIO_EXTERN void cio_event_set(cio_event *ev);
/** Unset it. */
CIO_EXTERN void cio_event_reset(cio_event *ev);
/** Wait until set. 0 or CIO_ECANCELED. Task only. */
CIO_EXTERN int cio_event_wait(cio_event *ev);

/** A mutex held across parks (FIFO hand-off, no starvation). */
typedef struct cio_mutex {
    cio_waitq q;    /**< Internal. */
    cio_task *held; /**< Owner, NULL when free. */
} cio_mutex;
/** Initialise an unlocked mutex. */
CIO_EXTERN void cio_mutex_init(cio_mutex *m);
/**
 * Lock, parking while held. 0, CIO_ECANCELED, or CIO_EBUSY when the
 * caller already holds it. Task only. If the lock was handed to the
 * caller before a cancel took effect, the call returns 0 and the caller
 * owns the lock (the hand-off wins; the same rule holds for semaphores,
 * events and channels).
 */
CIO_EXTERN int cio_mutex_lock(cio_mutex *m);
/** 0 if locked now, CIO_EBUSY if held. */
CIO_EXTERN int cio_mutex_trylock(cio_mutex *m);
/** Unlock; the longest waiter gets it. */
CIO_EXTERN void cio_mutex_unlock(cio_mutex *m);

/** A counting semaphore. */
typedef struct cio_sem {
    cio_waitq q;     /**< Internal. */
    uint64_t count;  /**< Available permits. */
} cio_sem;
/** Initialise with @count permits. */
CIO_EXTERN void cio_sem_init(cio_sem *s, uint64_t count);
/** Take a permit, parking until one is free. 0 or CIO_ECANCELED. */
CIO_EXTERN int cio_sem_acquire(cio_sem *s);
/** 0 if taken now, CIO_EAGAIN if none. */
CIO_EXTERN int cio_sem_try_acquire(cio_sem *s);
/** Return a permit. */
CIO_EXTERN void cio_sem_release(cio_sem *s);

/** A bounded channel of fixed-size items. */
typedef struct cio_chan cio_chan;
/** Channel created for tasks of one runtime (no locks). */
#define CIO_CHAN_LOCAL 0u
/** Channel usable between tasks of different runtimes (threads). */
#define CIO_CHAN_SHARED 1u
/**
 * Make a channel of @capacity items of @item_size bytes; capacity 0 is a
 * rendezvous channel (a send waits for a receiver). 0 or CIO_ENOMEM /
 * CIO_EINVAL.
 */
CIO_EXTERN int cio_chan_new(cio_chan **out, size_t capacity,
                            size_t item_size, unsigned flags);
/**
 * Copy @item in, parking while full. 0, CIO_EPIPE when closed, or
 * CIO_ECANCELED. Task only.
 */
CIO_EXTERN int cio_chan_send(cio_chan *ch, const void *item);
/**
 * Copy the oldest item out, parking while empty. 0, CIO_EPIPE when
 * closed and drained, or CIO_ECANCELED. Task only.
 */
CIO_EXTERN int cio_chan_recv(cio_chan *ch, void *item);
/** Non-parking forms: 0, CIO_EAGAIN, or CIO_EPIPE. Any thread (SHARED). */
CIO_EXTERN int cio_chan_try_send(cio_chan *ch, const void *item);
/** See cio_chan_try_send. */
CIO_EXTERN int cio_chan_try_recv(cio_chan *ch, void *item);
/** Close: senders fail at once, receivers drain then fail. */
CIO_EXTERN void cio_chan_close(cio_chan *ch);
/** Free a channel nobody waits on. NULL is fine. */
CIO_EXTERN void cio_chan_free(cio_chan *ch);

/* ---- dispatcher: N runtimes on N threads ---- */

/** A pool of worker threads, each running its own runtime. */
typedef struct cio_dispatcher cio_dispatcher;

/** Dispatcher options (zero-initialise, then set what you need). */
typedef struct cio_dispatcher_opts {
    unsigned threads;       /**< Workers; 0 = number of CPUs. */
    int pin;                /**< Non-zero: pin worker i to CPU i % ncpu. */
    const cio_config *cfg;  /**< Config for each worker; NULL = default. */
} cio_dispatcher_opts;

/** Start the workers. 0 or -errno (a worker's runtime failed). */
CIO_EXTERN int cio_dispatcher_new(cio_dispatcher **out,
                                  const cio_dispatcher_opts *opts);
/** Number of workers. */
CIO_EXTERN unsigned cio_dispatcher_size(const cio_dispatcher *d);
/**
 * Run @fn(@arg) as a task on worker @worker (-1: round robin) and wait
 * for its result: from a task, the task parks; from a plain thread, the
 * thread blocks. Cancelling the calling task cancels the remote task and
 * then still waits for it, so an @arg on the caller's stack stays valid.
 * Returns @fn's result or -errno (CIO_ESHUTDOWN after the dispatcher
 * began to stop).
 */
CIO_EXTERN int cio_dispatch(cio_dispatcher *d, int worker, cio_task_fn fn,
                            void *arg);
/** As cio_dispatch, without waiting; the result is dropped. */
CIO_EXTERN int cio_dispatch_detached(cio_dispatcher *d, int worker,
                                     cio_task_fn fn, void *arg);
/**
 * Stop: tasks already dispatched run to completion, then every worker
 * thread is joined. NULL is fine.
 */
CIO_EXTERN void cio_dispatcher_free(cio_dispatcher *d);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_RUNTIME_H */
