/* SPDX-License-Identifier: MIT */
/*
 * cio_dispatch.c - the dispatcher: N worker threads, each running its own
 * runtime, and a way to run a function as a task on one of them and get
 * its result back.
 *
 * Each worker's runtime runs one long-lived main task that waits on an
 * event. cio_dispatch posts a heap job to the worker (cio_runtime_post);
 * the posted function, on the worker thread, queues the job and sets the
 * event; the main task spawns the job as a detached task. When the job
 * returns, its result goes back to the caller: a task caller is woken by
 * a post to its own runtime, a plain thread through a condition
 * variable. A job is reference counted (the caller, the worker side, and
 * any cancel request in flight each hold one), so no side ever touches
 * memory the other already released.
 *
 * A task caller that is cancelled forwards the cancel to the job's task
 * on the worker, then keeps waiting for the result, like cio_submit_wait:
 * the job's real result if it finished first, else whatever the
 * cancelled job returned (CIO_ECANCELED for a job that never started).
 *
 * Shutdown: cio_dispatcher_free raises "stopping", so new dispatches
 * fail with CIO_ESHUTDOWN, and waits until no dispatch is between its
 * check and its post. It then posts a stop to every worker; a worker's
 * main task ends once stopped and its count of outstanding jobs (raised
 * before each post, lowered when the job finished) is zero, so every job
 * already dispatched runs to completion. Each thread then frees its
 * runtime and is joined.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include "cio_rt_internal.h"

typedef struct dispatch_worker dispatch_worker;

typedef struct dispatch_job {
    struct dispatch_job *next; /* The worker's queue; worker thread. */
    dispatch_worker *w;
    cio_task_fn fn;
    void *arg;
    atomic_int refs;
    atomic_int result;
    int detached;
    /* Worker thread only. */
    cio_task *task; /* The job's task while it runs, else NULL. */
    int started;    /* The task began. */
    int cancel_req; /* A cancel arrived before the task began. */
    /* A task caller: woken by a post to caller_rt. */
    cio_task *caller;
    cio_runtime *caller_rt;
    int done;               /* Set on the caller's thread by the post. */
    atomic_int post_failed; /* The result is in, but no post will come. */
    /* A plain-thread caller. */
    int has_cv;
    int finished;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} dispatch_job;

struct dispatch_worker {
    cio_dispatcher *d;
    pthread_t thread;
    int thread_ok;   /* pthread_create succeeded. */
    int up;          /* Its main task runs (set before reporting). */
    int cpu;         /* CPU to pin to, or -1. */
    cio_runtime *rt; /* Set before reporting, then read-only. */
    atomic_size_t outstanding;
    /* Worker thread only. */
    cio_event wake;
    dispatch_job *head;
    dispatch_job *tail;
    int stopping;
};

struct cio_dispatcher {
    unsigned n;
    dispatch_worker *workers;
    const cio_config *cfg;
    atomic_uint next; /* Round robin. */
    atomic_int stopping;
    atomic_int entering; /* Dispatches between check and post. */
    /* Start-up handshake. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned reported;
    int err;
    /* The failing worker's cio_error_detail(), which is per thread. */
    char detail[512];
};

/* ---- jobs ---- */

static void
job_put(dispatch_job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    if (j->has_cv) {
        pthread_cond_destroy(&j->cv);
        pthread_mutex_destroy(&j->mu);
    }
    free(j);
}

/* On the caller's runtime thread: hand over the result, wake the task. */
static void
job_deliver(void *arg)
{
    dispatch_job *j = arg;

    j->done = 1;
    cio__task_wake(j->caller);
    job_put(j);
}

/*
 * The job has a result: give it to whoever waits. Runs in a task on the
 * worker. Drops the worker side's reference (or passes it to the post).
 */
static void
job_finish(dispatch_job *j, int result)
{
    int rc;
    int tries;

    atomic_store(&j->result, result);
    if (j->detached) {
        job_put(j);
        return;
    }
    if (j->caller != NULL) {
        /* A post can fail for lack of memory; give it a few chances. */
        for (tries = 0; tries < 100; tries++) {
            rc = cio_runtime_post(j->caller_rt, job_deliver, j);
            if (rc != CIO_ENOMEM)
                break;
            cio_sleep(1000000);
        }
        if (rc != 0) {
            /* The caller learns of the result when it is cancelled. */
            atomic_store(&j->post_failed, 1);
            job_put(j);
        }
        return;
    }
    pthread_mutex_lock(&j->mu);
    j->finished = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_put(j);
}

/* The job is over; wake the main task if it waits for the last one. */
static void
job_done(dispatch_worker *w, dispatch_job *j, int result)
{
    job_finish(j, result);
    if (atomic_fetch_sub(&w->outstanding, 1) == 1 && w->stopping)
        cio_event_set(&w->wake);
}

static int
job_task(void *arg)
{
    dispatch_job *j = arg;
    dispatch_worker *w = j->w;
    int result;

    j->started = 1;
    /* Like a task cancelled before it ran: the function never runs. */
    result = j->cancel_req ? CIO_ECANCELED : j->fn(j->arg);
    j->task = NULL;
    job_done(w, j, result);
    return result;
}

/* On the worker thread: a task caller was cancelled. */
static void
job_cancel(void *arg)
{
    dispatch_job *j = arg;

    if (!j->started)
        j->cancel_req = 1;
    else if (j->task != NULL)
        cio_cancel(j->task);
    job_put(j);
}

/* ---- workers ---- */

/* On the worker thread, outside any task: queue @arg's job. */
static void
worker_enqueue(void *arg)
{
    dispatch_job *j = arg;
    dispatch_worker *w = j->w;

    j->next = NULL;
    if (w->tail != NULL)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    cio_event_set(&w->wake);
}

/* On the worker thread, outside any task: begin to stop. */
static void
worker_stop(void *arg)
{
    dispatch_worker *w = arg;

    w->stopping = 1;
    cio_event_set(&w->wake);
}

static void
worker_report(dispatch_worker *w, int err)
{
    cio_dispatcher *d = w->d;

    pthread_mutex_lock(&d->mu);
    if (err == 0) {
        w->up = 1;
    } else if (d->err == 0) {
        d->err = err;
        snprintf(d->detail, sizeof d->detail, "%s", cio_error_detail());
    }
    d->reported++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void
worker_start_job(dispatch_worker *w, dispatch_job *j)
{
    cio_task *t;
    int rc = cio_spawn(&t, job_task, j);

    if (rc != 0) {
        job_done(w, j, rc);
        return;
    }
    /* The handle stays valid while the task lives; job_task clears it. */
    j->task = t;
    cio_detach(t);
}

static int
worker_main(void *arg)
{
    dispatch_worker *w = arg;
    dispatch_job *j;

    worker_report(w, 0);
    for (;;) {
        /* Reset first: a post arriving later sets it again. */
        cio_event_reset(&w->wake);
        while ((j = w->head) != NULL) {
            w->head = j->next;
            if (w->head == NULL)
                w->tail = NULL;
            worker_start_job(w, j);
        }
        if (w->stopping && atomic_load(&w->outstanding) == 0)
            break;
        cio_event_wait(&w->wake);
    }
    return 0;
}

static void *
worker_thread(void *arg)
{
    dispatch_worker *w = arg;
    int rc = 0;

#ifdef __linux__
    if (w->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(w->cpu, &set);
        rc = -pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
#elif defined(_WIN32)
    /* dispatch_cpus lists only CPUs of the process mask: below 64. */
    if (w->cpu >= 0 &&
        SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << w->cpu) == 0)
        rc = CIO_EINVAL;
#endif
    if (rc == 0)
        rc = cio_runtime_new(&w->rt, w->d->cfg);
    if (rc != 0) {
        w->rt = NULL;
        worker_report(w, rc);
        return NULL;
    }
    rc = cio_block_on(w->rt, worker_main, w);
    /* A block_on that failed before the main task ran never reported. */
    if (rc < 0) {
        int up;
        pthread_mutex_lock(&w->d->mu);
        up = w->up;
        pthread_mutex_unlock(&w->d->mu);
        if (!up)
            worker_report(w, rc);
    }
    cio_runtime_free(w->rt);
    return NULL;
}

/* ---- dispatcher ---- */

/* The CPUs this process may run on, in order; their count. */
static unsigned
dispatch_cpus(int *cpus, unsigned max)
{
    unsigned n = 0;

#ifdef __linux__
    cpu_set_t set;
    int i;

    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (i = 0; i < CPU_SETSIZE && n < max; i++)
            if (CPU_ISSET(i, &set))
                cpus[n++] = i;
    }
#elif defined(_WIN32)
    DWORD_PTR mask, sysmask;
    int i;

    /* The process's processor group only: at most 64 CPUs. */
    if (GetProcessAffinityMask(GetCurrentProcess(), &mask, &sysmask)) {
        for (i = 0; i < (int)(8 * sizeof(mask)) && n < max; i++)
            if (mask & ((DWORD_PTR)1 << i))
                cpus[n++] = i;
    }
#endif
    if (n == 0) {
#ifdef _WIN32
        SYSTEM_INFO si;
        long c;
        GetSystemInfo(&si);
        c = (long)si.dwNumberOfProcessors;
#else
        long c = sysconf(_SC_NPROCESSORS_ONLN);
#endif
        for (n = 0; n < max && (long)n < (c > 0 ? c : 1); n++)
            cpus[n] = (int)n;
    }
    return n;
}

/* Post @fn(@arg) to @w, retrying while the post queue lacks memory. */
static void
dispatch_post_retry(dispatch_worker *w, void (*fn)(void *), void *arg)
{
    struct timespec ms = {0, 1000000};
    int tries;

    for (tries = 0; tries < 1000; tries++) {
        if (cio_runtime_post(w->rt, fn, arg) != CIO_ENOMEM)
            return;
        nanosleep(&ms, NULL);
    }
}

/* Stop the workers that came up, join every thread, free @d. */
static void
dispatch_teardown(cio_dispatcher *d)
{
    unsigned i;

    for (i = 0; i < d->n; i++)
        if (d->workers[i].up)
            dispatch_post_retry(&d->workers[i], worker_stop, &d->workers[i]);
    for (i = 0; i < d->n; i++)
        if (d->workers[i].thread_ok)
            pthread_join(d->workers[i].thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d->workers);
    free(d);
}

int
cio_dispatcher_new(cio_dispatcher **out, const cio_dispatcher_opts *opts)
{
    static const cio_dispatcher_opts defaults;
    cio_dispatcher *d;
    int *cpus;
    unsigned ncpu, i, created = 0;
    int rc = 0;

    if (out == NULL)
        return CIO_EINVAL;
    if (opts == NULL)
        opts = &defaults;
    cpus = malloc(sizeof *cpus * 1024);
    if (cpus == NULL)
        return CIO_ENOMEM;
    ncpu = dispatch_cpus(cpus, 1024);
    d = calloc(1, sizeof *d);
    if (d == NULL) {
        free(cpus);
        return CIO_ENOMEM;
    }
    d->n = opts->threads != 0 ? opts->threads : ncpu;
    d->cfg = opts->cfg;
    d->workers = calloc(d->n, sizeof *d->workers);
    if (d->workers == NULL) {
        free(cpus);
        free(d);
        return CIO_ENOMEM;
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    for (i = 0; i < d->n; i++) {
        dispatch_worker *w = &d->workers[i];
        w->d = d;
        /* Worker i goes to the (i % ncpu)-th CPU we may run on. */
        w->cpu = opts->pin ? cpus[i % ncpu] : -1;
        atomic_init(&w->outstanding, 0);
        cio_event_init(&w->wake);
    }
    free(cpus);
    for (i = 0; i < d->n; i++) {
        dispatch_worker *w = &d->workers[i];
        rc = -pthread_create(&w->thread, NULL, worker_thread, w);
        if (rc != 0)
            break;
        w->thread_ok = 1;
        created++;
    }
    pthread_mutex_lock(&d->mu);
    while (d->reported < created)
        pthread_cond_wait(&d->cv, &d->mu);
    if (rc == 0) {
        rc = d->err;
        /* Hand the worker's explanation to the caller's thread. */
        if (rc != 0)
            cio__set_detail("%s", d->detail);
    }
    pthread_mutex_unlock(&d->mu);
    if (rc != 0) {
        dispatch_teardown(d);
        return rc;
    }
    *out = d;
    return 0;
}

unsigned
cio_dispatcher_size(const cio_dispatcher *d)
{
    return d != NULL ? d->n : 0;
}

/* Hand @j to a worker. 0, or -errno with @j untouched by any worker. */
static int
dispatch_submit(cio_dispatcher *d, int worker, dispatch_job *j)
{
    dispatch_worker *w;
    int rc;

    /*
     * entering is raised before stopping is read, and free raises
     * stopping before it reads entering (both sequentially consistent),
     * so either this dispatch sees stopping or free waits for its post.
     */
    atomic_fetch_add(&d->entering, 1);
    if (atomic_load(&d->stopping)) {
        atomic_fetch_sub(&d->entering, 1);
        return CIO_ESHUTDOWN;
    }
    if (worker < 0)
        worker = (int)(atomic_fetch_add(&d->next, 1) % d->n);
    w = &d->workers[worker];
    j->w = w;
    atomic_fetch_add(&w->outstanding, 1);
    rc = cio_runtime_post(w->rt, worker_enqueue, j);
    if (rc != 0)
        atomic_fetch_sub(&w->outstanding, 1);
    atomic_fetch_sub(&d->entering, 1);
    return rc;
}

static dispatch_job *
job_new(cio_task_fn fn, void *arg, int refs)
{
    dispatch_job *j = calloc(1, sizeof *j);

    if (j == NULL)
        return NULL;
    j->fn = fn;
    j->arg = arg;
    atomic_init(&j->refs, refs);
    atomic_init(&j->result, 0);
    atomic_init(&j->post_failed, 0);
    return j;
}

static int
dispatch_check(const cio_dispatcher *d, int worker, cio_task_fn fn)
{
    if (d == NULL || fn == NULL || worker < -1)
        return CIO_EINVAL;
    if (worker >= 0 && (unsigned)worker >= d->n)
        return CIO_EINVAL;
    return 0;
}

static void
dispatch_noop(void *arg)
{
    (void)arg;
}

/*
 * Non-zero when the current runtime refuses posts, i.e. it is being
 * freed: a result posted to it now would be refused, and only
 * post_failed tells the caller that the result is in.
 */
static int
dispatch_closing(void)
{
    return cio_runtime_post(cio_runtime_current(), dispatch_noop, NULL) ==
           CIO_ESHUTDOWN;
}

/*
 * A task caller parks. A cancel is forwarded to the job once; after that
 * the caller waits for the result ignoring further cancels, so that @arg
 * (often on the caller's stack) is not released while the job runs.
 */
static int
dispatch_wait_task(dispatch_job *j)
{
    int forwarded = 0;
    int rc;

    while (!j->done && !atomic_load(&j->post_failed)) {
        if (!forwarded) {
            rc = cio__task_park();
            if (rc < 0 && !j->done) {
                forwarded = 1;
                atomic_fetch_add(&j->refs, 1);
                if (cio_runtime_post(j->w->rt, job_cancel, j) != 0)
                    job_put(j);
            }
        } else if (dispatch_closing()) {
            /*
             * Our runtime is being freed and refuses posts, so nothing
             * would wake a park: poll between the other tasks' turns
             * until the worker reports the result through post_failed
             * (or an earlier post is delivered).
             */
            cio_yield();
        } else {
            cio__task_park_nocancel();
        }
    }
    return atomic_load(&j->result);
}

static int
dispatch_wait_thread(dispatch_job *j)
{
    pthread_mutex_lock(&j->mu);
    while (!j->finished)
        pthread_cond_wait(&j->cv, &j->mu);
    pthread_mutex_unlock(&j->mu);
    return atomic_load(&j->result);
}

int
cio_dispatch(cio_dispatcher *d, int worker, cio_task_fn fn, void *arg)
{
    dispatch_job *j;
    int rc = dispatch_check(d, worker, fn);

    if (rc != 0)
        return rc;
    j = job_new(fn, arg, 2);
    if (j == NULL)
        return CIO_ENOMEM;
    j->caller = cio_current();
    if (j->caller != NULL) {
        j->caller_rt = cio_runtime_current();
    } else {
        j->has_cv = 1;
        pthread_mutex_init(&j->mu, NULL);
        pthread_cond_init(&j->cv, NULL);
    }
    rc = dispatch_submit(d, worker, j);
    if (rc != 0) {
        /* No worker saw it: both references are ours. */
        job_put(j);
        job_put(j);
        return rc;
    }
    rc = j->caller != NULL ? dispatch_wait_task(j) : dispatch_wait_thread(j);
    job_put(j);
    return rc;
}

int
cio_dispatch_detached(cio_dispatcher *d, int worker, cio_task_fn fn, void *arg)
{
    dispatch_job *j;
    int rc = dispatch_check(d, worker, fn);

    if (rc != 0)
        return rc;
    j = job_new(fn, arg, 1);
    if (j == NULL)
        return CIO_ENOMEM;
    j->detached = 1;
    rc = dispatch_submit(d, worker, j);
    if (rc != 0)
        job_put(j);
    return rc;
}

void
cio_dispatcher_free(cio_dispatcher *d)
{
    if (d == NULL)
        return;
    atomic_store(&d->stopping, 1);
    while (atomic_load(&d->entering) != 0)
        sched_yield();
    dispatch_teardown(d);
}
