/* SPDX-License-Identifier: MIT */
/*
 * cio_runtime.c - the runtime object and its loop.
 *
 * One turn of the loop:
 *   1. run ready tasks in FIFO order (a task that yields goes to the
 *      tail) until none is left or CIO__BATCH have run, so IO is polled
 *      at least every CIO__BATCH task runs but a few tasks that yield to
 *      each other do not pay a system call per yield (a parking task
 *      switches straight to the next one: cio__task_suspend in
 *      cio_sched.h);
 *   2. one cio_driver_poll_ns: timeout 0 if tasks or posts are waiting,
 *      else until the nearest timer, else forever;
 *   3. hand each completion to its waiter (resume a task, call a cb);
 *   4. run cross-thread posts;
 *   5. fire the timers that are due.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <pthread.h>
#include <signal.h>
#endif

#include "cio_sched.h"

#define CIO__BATCH 128

CIO__TLS cio_runtime *cio__rt_tls;
static CIO__TLS char thread_tag;

const void *
cio__thread_tag(void)
{
    return &thread_tag;
}

static size_t
config_stack_size(const cio_config *cfg)
{
    const char *v = cio_config_get(cfg, "runtime", "stack_size");

    return v != NULL ? (size_t)strtoull(v, NULL, 10) : 256 * 1024;
}

#ifndef _WIN32
/*
 * Pipe writes (CIO_OP_WRITE) cannot pass MSG_NOSIGNAL the way sends do,
 * so a broken pipe would raise SIGPIPE and end the process: ignore it,
 * once, unless the program chose a disposition itself (runtime.h).
 */
static void
sigpipe_ignore(void)
{
    struct sigaction old, ign;

    if (sigaction(SIGPIPE, NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
        (old.sa_flags & SA_SIGINFO) != 0)
        return;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    (void)sigaction(SIGPIPE, &ign, NULL);
}

static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;
#endif

int
cio_runtime_new(cio_runtime **out, const cio_config *cfg)
{
    cio_config *own = NULL;
    cio_runtime *rt;
    const char *v;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
#ifndef _WIN32
    (void)pthread_once(&sigpipe_once, sigpipe_ignore);
#endif
    if (cfg == NULL) {
        /* The same lookup cio_driver_open(NULL) does, kept for stacks. */
        r = cio_config_new(&own);
        if (r < 0)
            return r;
        r = cio_config_load_default(own);
        if (r < 0) {
            cio_config_free(own);
            return r;
        }
        cfg = own;
    }
    rt = calloc(1, sizeof *rt);
    if (rt == NULL) {
        cio_config_free(own);
        return CIO_ENOMEM;
    }
    r = cio_driver_open(&rt->drv, cfg);
    if (r < 0) {
        cio_config_free(own);
        free(rt);
        return r;
    }
    cio__stack_cache_init(&rt->stacks, config_stack_size(cfg),
                          sizeof(cio_task));
    v = cio_config_get(cfg, "runtime", "stack_cache");
    if (v != NULL)
        cio__stack_cache_limit(&rt->stacks, (unsigned)strtoul(v, NULL, 10));
    cio_config_free(own);
    rt->owner = cio__thread_tag();
    atomic_init(&rt->posts, NULL);
    atomic_init(&rt->sleeping, 0);
    atomic_init(&rt->post_closed, 0);
    atomic_init(&rt->posters, 0);
    *out = rt;
    return 0;
}

cio_runtime *
cio_runtime_current(void)
{
    return cio__rt_tls;
}

cio_driver *
cio_runtime_driver(cio_runtime *rt)
{
    return rt != NULL ? rt->drv : NULL;
}

/* Steps 2 and 3: poll the driver once and dispatch what it delivers. */
static void
loop_poll(cio_runtime *rt)
{
    int64_t timeout = -1;
    int sleep = 0;
    int n, i;

    if (rt->ready_head != NULL) {
        /*
         * Tasks are waiting to run and nothing is in flight: a poll could
         * only find a stray wake-up, so skip the system call (it cost
         * about a third of a yield, bench/RESULTS.md).
         */
        if (cio_driver_inflight(rt->drv) == 0)
            return;
        timeout = 0;
    } else {
        timeout = cio__timer_timeout(rt);
        if (timeout != 0) {
            /*
             * The sleeping handshake with cio_runtime_post (cio_post.c):
             * announce the sleep, then look for posts; a poster pushes,
             * then looks at sleeping. Both sides are seq_cst, so one of
             * us sees the other.
             */
            atomic_store(&rt->sleeping, 1);
            sleep = 1;
            if (cio__post_pending(rt))
                timeout = 0;
        }
    }
    n = cio_driver_poll_ns(rt->drv, timeout, rt->entries, CIO__ENTRIES);
    if (sleep)
        atomic_store(&rt->sleeping, 0);
    /*
     * When nothing else is ready and every completion is a task's
     * single one (the common case), they are handed over as their
     * tasks come to run (cio__lazy_take): the reap does not queue each
     * task only to pop it again (issue 10). Anything else is handed
     * over now, in order.
     */
    if (rt->ready_head == NULL) {
        for (i = 0; i < n && cio__await_simple(&rt->entries[i]); i++)
            ;
        if (i == n) {
            rt->lazy_next = 0;
            rt->lazy_end = (unsigned)n;
            return;
        }
    }
    for (i = 0; i < n; i++)
        cio__await_deliver(rt, &rt->entries[i]);
}

/* Run turns until @until is done, or (@until NULL) until no task lives. */
static void
loop_run(cio_runtime *rt, cio_task *until)
{
    for (;;) {
        rt->budget = CIO__BATCH;
        while (rt->budget > 0) {
            cio_task *t = rt->ready_head;

            if (t != NULL) {
                rt->ready_head = t->next;
                if (rt->ready_head == NULL)
                    rt->ready_tail = NULL;
            } else if ((t = cio__lazy_take(rt)) == NULL) {
                break;
            }
            rt->budget--;
            cio__task_run(rt, t);
            if (until != NULL && until->state == CIO__T_DONE) {
                /* What was reaped waits in the queue for the next call. */
                cio__lazy_flush(rt);
                return;
            }
        }
        /* The budget ran out: the rest is queued before the next poll. */
        cio__lazy_flush(rt);
        /* Freeing: callback ops too must deliver (their state is the
         * caller's, often on the heap), after a cancel. */
        if (until == NULL && rt->nlive == 0 &&
            (!rt->closing || rt->ncb == 0))
            return;
        if (until == NULL && rt->nlive == 0 && !rt->cb_cancelled) {
            rt->cb_cancelled = 1;
            cio__await_cancel_cbs(rt);
        }
        loop_poll(rt);
        cio__post_drain(rt);
        cio__timer_fire_due(rt);
    }
}

int
cio_block_on(cio_runtime *rt, cio_task_fn fn, void *arg)
{
    cio_runtime *own = NULL;
    cio_task *main_task;
    int r;

    if (fn == NULL)
        return CIO_EINVAL;
    if (cio__rt_tls != NULL)
        return CIO_EBUSY;
    if (rt == NULL) {
        r = cio_runtime_new(&own, NULL);
        if (r < 0)
            return r;
        rt = own;
    }
    if (rt->running || rt->closing || rt->owner != cio__thread_tag()) {
        r = rt->running || rt->closing ? CIO_EBUSY : CIO_EPERM;
        goto out;
    }
    r = cio__fiber_thread(&rt->sched);
    if (r < 0)
        goto out;
    rt->running = 1;
    cio__rt_tls = rt;
    r = cio__task_spawn(rt, &main_task, fn, arg);
    if (r == 0) {
        loop_run(rt, main_task);
        r = main_task->result;
        cio__task_free(main_task);
    }
    cio__rt_tls = NULL;
    rt->running = 0;
    cio__fiber_thread_fini(&rt->sched);
out:
    cio_runtime_free(own);
    return r;
}

void
cio_runtime_free(cio_runtime *rt)
{
    cio_runtime *prev = cio__rt_tls;
    cio_task *t;

    if (rt == NULL || rt == prev)
        return;
    rt->closing = 1;
    if (cio__fiber_thread(&rt->sched) == 0) {
        cio__rt_tls = rt;
        for (t = rt->all; t != NULL; t = t->all_next)
            if (t->state != CIO__T_DONE)
                cio_cancel(t);
        /*
         * Posts stay open while the cancelled tasks finish: one of them
         * may be waiting for an answer that another thread posts back
         * (a cio_dispatch result, say), and refusing that post would
         * leave it parked for ever.
         */
        loop_run(rt, NULL);
        /* From here on posts fail with CIO_ESHUTDOWN; accepted ones run. */
        cio__post_close(rt);
        cio__post_drain(rt);
        cio__rt_tls = prev;
        cio__fiber_thread_fini(&rt->sched);
    } else {
        cio__post_close(rt);
    }
    /* Finished tasks nobody joined. */
    while (rt->all != NULL)
        cio__task_free(rt->all);
    cio_driver_close(rt->drv);
    cio__await_fini(rt);
    cio__stack_cache_fini(&rt->stacks);
    free(rt->heap);
    free(rt);
}
