/* SPDX-License-Identifier: MIT */
/*
 * check_dispatch.c - the dispatcher: round trips from a plain thread and
 * from a task, round robin and targeted placement, many dispatches,
 * shutdown with work in flight, CIO_ESHUTDOWN once stopping, cancel of
 * a waiting task caller, and CPU pinning.
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include <compio/runtime.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include "cio_test.h"

static cio_dispatcher *
make(unsigned threads, int pin)
{
    cio_dispatcher_opts o;
    cio_dispatcher *d = NULL;

    memset(&o, 0, sizeof o);
    o.threads = threads;
    o.pin = pin;
    ck_assert_int_eq(cio_dispatcher_new(&d, &o), 0);
    ck_assert_ptr_nonnull(d);
    return d;
}

static int
answer(void *arg)
{
    (void)arg;
    return 42;
}

/* Records the runtime the job ran on. */
static int
where(void *arg)
{
    *(cio_runtime **)arg = cio_runtime_current();
    ck_assert_ptr_nonnull(cio_current());
    return 7;
}

START_TEST(from_thread)
{
    cio_dispatcher *d = make(2, 0);
    cio_runtime *rt = NULL;

    ck_assert_uint_eq(cio_dispatcher_size(d), 2);
    ck_assert_int_eq(cio_dispatch(d, -1, answer, NULL), 42);
    ck_assert_int_eq(cio_dispatch(d, 1, where, &rt), 7);
    ck_assert_ptr_nonnull(rt);
    ck_assert_int_eq(cio_dispatch(d, 2, answer, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_dispatch(d, -2, answer, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_dispatch(d, 0, NULL, NULL), CIO_EINVAL);
    cio_dispatcher_free(d);
    cio_dispatcher_free(NULL);
    ck_assert_uint_eq(cio_dispatcher_size(NULL), 0);
}
END_TEST

/* The CPUs this process may run on, in order, into @cpus; their count. */
static int
allowed_cpus(int *cpus, int max)
{
    int n = 0, i;
#ifdef _WIN32
    DWORD_PTR mask, sysmask;

    ck_assert(GetProcessAffinityMask(GetCurrentProcess(), &mask, &sysmask));
    for (i = 0; i < (int)(8 * sizeof(mask)) && n < max; i++)
        if (mask & ((DWORD_PTR)1 << i))
            cpus[n++] = i;
#else
    cpu_set_t set;

    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    for (i = 0; i < CPU_SETSIZE && n < max; i++)
        if (CPU_ISSET(i, &set))
            cpus[n++] = i;
#endif
    return n;
}

START_TEST(default_size)
{
    cio_dispatcher *d = NULL;
    int cpus[1024];

    ck_assert_int_eq(cio_dispatcher_new(&d, NULL), 0);
    ck_assert_uint_eq(cio_dispatcher_size(d),
                      (unsigned)allowed_cpus(cpus, 1024));
    ck_assert_int_eq(cio_dispatch(d, -1, answer, NULL), 42);
    cio_dispatcher_free(d);
}
END_TEST

static int
from_task_main(void *arg)
{
    cio_dispatcher *d = arg;
    cio_runtime *rt = NULL;

    ck_assert_int_eq(cio_dispatch(d, -1, answer, NULL), 42);
    ck_assert_int_eq(cio_dispatch(d, 0, where, &rt), 7);
    /* It ran on a worker, not on the caller's runtime. */
    ck_assert_ptr_nonnull(rt);
    ck_assert_ptr_ne(rt, cio_runtime_current());
    return 5;
}

START_TEST(from_task)
{
    cio_dispatcher *d = make(2, 0);

    ck_assert_int_eq(cio_block_on(NULL, from_task_main, d), 5);
    cio_dispatcher_free(d);
}
END_TEST

START_TEST(round_robin)
{
    enum { N = 3, K = 10 };
    cio_dispatcher *d = make(N, 0);
    cio_runtime *rt[N * K];
    int i, j, same;

    for (i = 0; i < N * K; i++)
        ck_assert_int_eq(cio_dispatch(d, -1, where, &rt[i]), 7);
    /* The first N jobs went to N different workers... */
    for (i = 0; i < N; i++)
        for (j = i + 1; j < N; j++)
            ck_assert_ptr_ne(rt[i], rt[j]);
    /* ...and every later job to the worker N jobs before it. */
    for (i = N; i < N * K; i++)
        ck_assert_ptr_eq(rt[i], rt[i - N]);
    for (i = 0; i < N; i++) {
        same = 0;
        for (j = 0; j < N * K; j++)
            same += rt[j] == rt[i];
        ck_assert_int_eq(same, K);
    }
    cio_dispatcher_free(d);
}
END_TEST

START_TEST(targeted)
{
    enum { N = 3 };
    cio_dispatcher *d = make(N, 0);
    cio_runtime *first[N], *rt;
    int i, k;

    for (i = 0; i < N; i++) {
        ck_assert_int_eq(cio_dispatch(d, i, where, &first[i]), 7);
        for (k = 0; k < 5; k++) {
            ck_assert_int_eq(cio_dispatch(d, i, where, &rt), 7);
            ck_assert_ptr_eq(rt, first[i]);
        }
    }
    ck_assert_ptr_ne(first[0], first[1]);
    ck_assert_ptr_ne(first[1], first[2]);
    ck_assert_ptr_ne(first[0], first[2]);
    cio_dispatcher_free(d);
}
END_TEST

static int
echo(void *arg)
{
    return (int)(intptr_t)arg;
}

#define CALLERS 100
#define PER_CALLER 100

typedef struct many_ctx {
    cio_dispatcher *d;
    long sum;
} many_ctx;

static int
many_caller(void *arg)
{
    many_ctx *c = arg;
    int i, r;

    for (i = 0; i < PER_CALLER; i++) {
        r = cio_dispatch(c->d, -1, echo, (void *)(intptr_t)i);
        if (r < 0)
            return r;
        c->sum += r;
    }
    return 0;
}

static int
many_main(void *arg)
{
    cio_dispatcher *d = arg;
    cio_task *t[CALLERS];
    many_ctx c[CALLERS];
    long sum = 0;
    int i;

    for (i = 0; i < CALLERS; i++) {
        c[i] = (many_ctx){.d = d};
        ck_assert_int_eq(cio_spawn(&t[i], many_caller, &c[i]), 0);
    }
    for (i = 0; i < CALLERS; i++) {
        ck_assert_int_eq(cio_join(t[i]), 0);
        sum += c[i].sum;
    }
    return sum == (long)CALLERS * PER_CALLER * (PER_CALLER - 1) / 2 ? 0 : 1;
}

/* 10,000 dispatches from 100 concurrent tasks of one runtime. */
START_TEST(many_from_tasks)
{
    cio_dispatcher *d = make(2, 0);

    ck_assert_int_eq(cio_block_on(NULL, many_main, d), 0);
    cio_dispatcher_free(d);
}
END_TEST

typedef struct thr_ctx {
    cio_dispatcher *d;
    long sum;
    int err;
} thr_ctx;

static void *
many_thread(void *p)
{
    thr_ctx *c = p;
    int i, r;

    for (i = 0; i < 2500; i++) {
        r = cio_dispatch(c->d, -1, echo, (void *)(intptr_t)i);
        if (r < 0)
            c->err = r;
        else
            c->sum += r;
    }
    return NULL;
}

/* 10,000 dispatches from 4 plain threads. */
START_TEST(many_from_threads)
{
    cio_dispatcher *d = make(2, 0);
    pthread_t t[4];
    thr_ctx c[4];
    int i;

    for (i = 0; i < 4; i++) {
        c[i] = (thr_ctx){.d = d};
        ck_assert_int_eq(pthread_create(&t[i], NULL, many_thread, &c[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(c[i].err, 0);
        ck_assert_int_eq(c[i].sum, 2500L * 2499 / 2);
    }
    cio_dispatcher_free(d);
}
END_TEST

static atomic_int finished;

static int
slow_job(void *arg)
{
    (void)arg;
    ck_assert_int_eq(cio_sleep(10 * 1000000ull), 0);
    atomic_fetch_add(&finished, 1);
    return 0;
}

/* free lets every dispatched job finish, then joins cleanly. */
START_TEST(shutdown_in_flight)
{
    cio_dispatcher *d = make(2, 0);
    int i;

    atomic_store(&finished, 0);
    for (i = 0; i < 100; i++)
        ck_assert_int_eq(cio_dispatch_detached(d, -1, slow_job, NULL), 0);
    cio_dispatcher_free(d);
    ck_assert_int_eq(atomic_load(&finished), 100);
}
END_TEST

typedef struct late_ctx {
    cio_dispatcher *d;
    atomic_int rc;
    atomic_int ok;
} late_ctx;

static int
noop(void *arg)
{
    (void)arg;
    return 0;
}

/* Keeps dispatching from a worker until the dispatcher refuses. */
static int
late_job(void *arg)
{
    late_ctx *c = arg;
    int i, rc = 0;

    for (i = 0; i < 10000; i++) {
        rc = cio_dispatch_detached(c->d, -1, noop, NULL);
        if (rc != 0)
            break;
        atomic_fetch_add(&c->ok, 1);
        cio_sleep(1000000);
    }
    atomic_store(&c->rc, rc);
    return 0;
}

START_TEST(dispatch_after_stop)
{
    struct timespec ms20 = {0, 20 * 1000000L};
    late_ctx c;

    c.d = make(2, 0);
    atomic_init(&c.rc, 1);
    atomic_init(&c.ok, 0);
    ck_assert_int_eq(cio_dispatch_detached(c.d, 0, late_job, &c), 0);
    /* Free begins while the job is known to be dispatching. */
    while (atomic_load(&c.ok) == 0)
        nanosleep(&ms20, NULL);
    cio_dispatcher_free(c.d);
    ck_assert_int_eq(atomic_load(&c.rc), CIO_ESHUTDOWN);
    ck_assert_int_gt(atomic_load(&c.ok), 0);
}
END_TEST

static int
sleepy(void *arg)
{
    (void)arg;
    /* Ten minutes unless cancelled. */
    return cio_sleep(600ull * 1000000000ull);
}

static int
cancel_caller(void *arg)
{
    return cio_dispatch(arg, 0, sleepy, NULL);
}

static int
cancel_main(void *arg)
{
    cio_task *t;
    uint64_t t0 = cio_now();

    ck_assert_int_eq(cio_spawn(&t, cancel_caller, arg), 0);
    ck_assert_int_eq(cio_sleep(20 * 1000000ull), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    /*
     * The cancel reached the job on the worker: no ten-minute wait (the
     * bound is far above any delay of a slow run, far below the sleep).
     */
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    ck_assert_uint_lt(cio_now() - t0, 60ull * 1000000000ull);
    return 0;
}

START_TEST(cancel_task_caller)
{
    cio_dispatcher *d = make(1, 0);

    ck_assert_int_eq(cio_block_on(NULL, cancel_main, d), 0);
    cio_dispatcher_free(d);
}
END_TEST

static atomic_int stubborn_started, stubborn_release;

/*
 * Ignores cancellation: spins until the test releases it (after the
 * caller's runtime began to close), then answers. Released by the test,
 * not after a fixed time, so that a slow run (valgrind, a loaded
 * machine) cannot let it answer before the runtime is freed.
 */
static int
stubborn(void *arg)
{
    (void)arg;
    atomic_store(&stubborn_started, 1);
    while (!atomic_load(&stubborn_release))
        ;
    return 11;
}

/* Release stubborn a little after the free below has started. */
static void *
stubborn_releaser(void *arg)
{
    (void)arg;
#ifdef _WIN32
    Sleep(20);
#else
    usleep(20000);
#endif
    atomic_store(&stubborn_release, 1);
    return NULL;
}

typedef struct freed_ctx {
    cio_dispatcher *d;
    cio_task_fn job;
    int result;
    int returned;
} freed_ctx;

static int
freed_caller(void *arg)
{
    freed_ctx *c = arg;

    c->result = cio_dispatch(c->d, 0, c->job, NULL);
    c->returned = 1;
    return 0;
}

static int
freed_main(void *arg)
{
    freed_ctx *c = arg;

    ck_assert_int_eq(cio_spawn(NULL, freed_caller, c), 0);
    /* The caller dispatches and parks; then this main task ends. */
    cio_yield();
    /* A job that started sees the cancel only as a request. */
    while (c->job == stubborn && !atomic_load(&stubborn_started))
        cio_sleep(1000000);
    return 0;
}

/*
 * The caller's runtime is freed while a task waits in cio_dispatch: the
 * free cancels it, the cancel reaches the job, and the result still
 * comes back although the closing runtime refuses posts.
 */
START_TEST(caller_runtime_freed)
{
    cio_task_fn jobs[2] = {stubborn, sleepy};
    int expect[2] = {11, CIO_ECANCELED};
    cio_runtime *rt;
    freed_ctx c;
    int i;

    atomic_store(&stubborn_started, 0);
    for (i = 0; i < 2; i++) {
        pthread_t rel;
        atomic_store(&stubborn_release, 0);
        c = (freed_ctx){.d = make(1, 0), .job = jobs[i]};
        ck_assert_int_eq(cio_runtime_new(&rt, NULL), 0);
        ck_assert_int_eq(cio_block_on(rt, freed_main, &c), 0);
        ck_assert_int_eq(c.returned, 0);
        ck_assert_int_eq(pthread_create(&rel, NULL, stubborn_releaser, NULL),
                         0);
        cio_runtime_free(rt);
        pthread_join(rel, NULL);
        ck_assert_int_eq(c.returned, 1);
        ck_assert_int_eq(c.result, expect[i]);
        cio_dispatcher_free(c.d);
    }
}
END_TEST

static int
cpu_job(void *arg)
{
    (void)arg;
#ifdef _WIN32
    return (int)GetCurrentProcessorNumber();
#else
    return sched_getcpu();
#endif
}

START_TEST(pinning)
{
    int cpus[1024], n = allowed_cpus(cpus, 1024), i, k;
    unsigned threads;
    cio_dispatcher *d;

    threads = n < 4 ? (unsigned)n : 4;
    d = make(threads, 1);
    /* Worker i runs on the (i % ncpu)-th CPU this process may use. */
    for (i = 0; i < (int)threads; i++)
        for (k = 0; k < 5; k++)
            ck_assert_int_eq(cio_dispatch(d, i, cpu_job, NULL), cpus[i]);
    cio_dispatcher_free(d);
}
END_TEST

/* A worker whose runtime cannot start: its error and its explanation
 * reach the caller's thread. */
START_TEST(worker_start_fails)
{
    cio_dispatcher_opts o;
    cio_dispatcher *d = NULL;
    cio_config *cfg;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(
        cio_config_set(cfg, "runtime", "backend", "nosuchbackend"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.cfg = cfg;
    ck_assert_int_eq(cio_dispatcher_new(&d, &o), CIO_ENOENT);
    ck_assert_ptr_nonnull(strstr(cio_error_detail(), "nosuchbackend"));
    cio_config_free(cfg);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("dispatch");

    tcase_add_test(tc, from_thread);
    tcase_add_test(tc, default_size);
    tcase_add_test(tc, from_task);
    tcase_add_test(tc, round_robin);
    tcase_add_test(tc, targeted);
    tcase_add_test(tc, many_from_tasks);
    tcase_add_test(tc, many_from_threads);
    tcase_add_test(tc, shutdown_in_flight);
    tcase_add_test(tc, dispatch_after_stop);
    tcase_add_test(tc, cancel_task_caller);
    tcase_add_test(tc, caller_runtime_freed);
    tcase_add_test(tc, pinning);
    tcase_add_test(tc, worker_start_fails);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
