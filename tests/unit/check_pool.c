/* SPDX-License-Identifier: MIT */
/*
 * check_pool.c - the blocking thread pool on its own (compiled into
 * this program, not through the facade): completions reach the right
 * sink and wake it, the queue is FIFO, the thread count stays bounded
 * and idle threads leave, cancel takes only queued jobs, and a forked
 * child can use the pool.
 *
 * Each case wants a pool that no earlier case has configured, which
 * Check's fork mode gives it. Windows has no fork (Check runs every
 * case in one process there): the cases run in an order where that
 * does not matter (see main), and the fork case is not built.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#ifndef _WIN32
#include <sys/wait.h>
#endif
#include <time.h>

#include "cio_internal.h"
#include "cio_pool.h"
#include "cio_test.h"

/* A sink plus a condition variable to wait for its wake-ups. */
typedef struct test_sink {
    cio__pool_sink sink;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int wakes;
} test_sink;

static void
test_wake(void *arg)
{
    test_sink *ts = arg;
    pthread_mutex_lock(&ts->lock);
    ts->wakes++;
    pthread_cond_broadcast(&ts->cond);
    pthread_mutex_unlock(&ts->lock);
}

static void
test_sink_init(test_sink *ts)
{
    pthread_mutex_init(&ts->lock, NULL);
    pthread_cond_init(&ts->cond, NULL);
    ts->wakes = 0;
    cio__pool_sink_init(&ts->sink, test_wake, ts);
}

/* Collect @n finished ops into @out (in order), waiting up to 30 s. */
static void
collect(test_sink *ts, cio_op **out, int n)
{
    int got = 0;
    time_t end = time(NULL) + 30;
    while (got < n) {
        cio_op *op;
        pthread_mutex_lock(&ts->lock);
        while (!cio__pool_sink_ready(&ts->sink) && time(NULL) < end) {
            struct timespec ts_ = {0, 0};
            clock_gettime(CLOCK_REALTIME, &ts_);
            ts_.tv_sec += 1;
            pthread_cond_timedwait(&ts->cond, &ts->lock, &ts_);
        }
        pthread_mutex_unlock(&ts->lock);
        ck_assert_msg(time(NULL) < end, "pool jobs did not finish");
        for (op = cio__pool_sink_take(&ts->sink); op; op = op->link.next) {
            ck_assert_int_lt(got, n);
            out[got++] = op;
        }
    }
}

START_TEST(runs_and_wakes)
{
    test_sink ts;
    cio_op ops[4], *done[4];
    int i;

    test_sink_init(&ts);
    ck_assert(!cio__pool_sink_ready(&ts.sink));
    ck_assert_ptr_null(cio__pool_sink_take(&ts.sink));
    for (i = 0; i < 4; i++) {
        cio_op_timeout(&ops[i], 1000);
        ops[i].user_data = (uint64_t)i;
        ck_assert_int_eq(cio__pool_submit(&ts.sink, &ops[i]), 0);
    }
    collect(&ts, done, 4);
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(done[i]->result, CIO_ETIME);
    ck_assert_int_ge(ts.wakes, 1);
    ck_assert(!cio__pool_sink_ready(&ts.sink));
}
END_TEST

START_TEST(bad_submit)
{
    test_sink ts;
    cio_op op;
    test_sink_init(&ts);
    cio_op_nop(&op);
    op.opcode = CIO_OP__COUNT;
    ck_assert_int_eq(cio__pool_submit(&ts.sink, &op), CIO_EINVAL);
    ck_assert_int_eq(cio__pool_submit(&ts.sink, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio__pool_submit(NULL, &op), CIO_EINVAL);
}
END_TEST

static int order[16];
static atomic_int norder;

static int64_t
record(void *arg)
{
    order[atomic_fetch_add(&norder, 1)] = (int)(intptr_t)arg;
    return (int64_t)(intptr_t)arg;
}

START_TEST(fifo_with_one_thread)
{
    test_sink ts;
    cio_op ops[16], *done[16];
    int i;

    cio__pool_configure(1);
    test_sink_init(&ts);
    atomic_store(&norder, 0);
    for (i = 0; i < 16; i++) {
        cio_op_blocking(&ops[i], record, (void *)(intptr_t)i);
        ck_assert_int_eq(cio__pool_submit(&ts.sink, &ops[i]), 0);
    }
    ck_assert_uint_le(cio__pool_threads(), 1);
    collect(&ts, done, 16);
    for (i = 0; i < 16; i++) {
        ck_assert_int_eq(order[i], i);
        ck_assert_ptr_eq(done[i], &ops[i]);
        ck_assert_int_eq(done[i]->result, i);
    }
}
END_TEST

/* Jobs that block on a pipe until the test writes to it. */
static int gate[2];
static atomic_int started;

static int64_t
wait_gate(void *arg)
{
    char c;
    (void)arg;
    atomic_fetch_add(&started, 1);
    return read(gate[0], &c, 1);
}

static void
wait_started(int n)
{
    time_t end = time(NULL) + 30;
    while (atomic_load(&started) < n) {
        struct timespec ts = {0, 1000000};
        ck_assert_msg(time(NULL) < end, "pool job never started");
        nanosleep(&ts, NULL);
    }
}

START_TEST(cancel_queued_only)
{
    test_sink ts, other;
    cio_op run, queued[3], stranger, *done[3];

    cio__pool_configure(1);
    test_sink_init(&ts);
    test_sink_init(&other);
    atomic_store(&started, 0);
    ck_assert_int_eq(cio_test_pipe(gate), 0);

    cio_op_blocking(&run, wait_gate, NULL);
    ck_assert_int_eq(cio__pool_submit(&ts.sink, &run), 0);
    wait_started(1);
    cio_op_nop(&queued[0]);
    cio_op_nop(&queued[1]);
    cio_op_nop(&queued[2]);
    ck_assert_int_eq(cio__pool_submit(&ts.sink, &queued[0]), 0);
    ck_assert_int_eq(cio__pool_submit(&ts.sink, &queued[1]), 0);
    ck_assert_int_eq(cio__pool_submit(&ts.sink, &queued[2]), 0);

    /* Queued: removed. Running: EALREADY. Unknown or wrong sink: ENOENT. */
    ck_assert_int_eq(cio__pool_cancel(&ts.sink, &queued[1]), 0);
    ck_assert_int_eq(cio__pool_cancel(&ts.sink, &queued[1]), CIO_ENOENT);
    ck_assert_int_eq(cio__pool_cancel(&ts.sink, &run), CIO_EALREADY);
    cio_op_nop(&stranger);
    ck_assert_int_eq(cio__pool_cancel(&ts.sink, &stranger), CIO_ENOENT);
    ck_assert_int_eq(cio__pool_cancel(&other.sink, &queued[2]), CIO_ENOENT);

    ck_assert_int_eq(write(gate[1], "g", 1), 1);
    collect(&ts, done, 3);
    ck_assert_ptr_eq(done[0], &run);
    ck_assert_int_eq(run.result, 1);
    ck_assert_ptr_eq(done[1], &queued[0]);
    ck_assert_ptr_eq(done[2], &queued[2]);
    close(gate[0]);
    close(gate[1]);
}
END_TEST

START_TEST(cancel_sink_moves_queued)
{
    test_sink a, b;
    cio_op run, qa[2], qb, *done[3];

    cio__pool_configure(1);
    test_sink_init(&a);
    test_sink_init(&b);
    atomic_store(&started, 0);
    ck_assert_int_eq(cio_test_pipe(gate), 0);
    cio_op_blocking(&run, wait_gate, NULL);
    ck_assert_int_eq(cio__pool_submit(&a.sink, &run), 0);
    wait_started(1);
    cio_op_nop(&qa[0]);
    cio_op_nop(&qb);
    cio_op_nop(&qa[1]);
    ck_assert_int_eq(cio__pool_submit(&a.sink, &qa[0]), 0);
    ck_assert_int_eq(cio__pool_submit(&b.sink, &qb), 0);
    ck_assert_int_eq(cio__pool_submit(&a.sink, &qa[1]), 0);

    /* Only a's queued jobs move, cancelled; the running one stays. */
    ck_assert_uint_eq(cio__pool_cancel_sink(&a.sink), 2);
    ck_assert(cio__pool_sink_ready(&a.sink));
    collect(&a, done, 2);
    ck_assert_ptr_eq(done[0], &qa[0]);
    ck_assert_ptr_eq(done[1], &qa[1]);
    ck_assert_int_eq(qa[0].result, CIO_ECANCELED);
    ck_assert_int_eq(qa[1].result, CIO_ECANCELED);

    ck_assert_int_eq(write(gate[1], "g", 1), 1);
    collect(&a, done, 1);
    ck_assert_ptr_eq(done[0], &run);
    collect(&b, done, 1);
    ck_assert_ptr_eq(done[0], &qb);
    ck_assert_int_eq(qb.result, 0);
    close(gate[0]);
    close(gate[1]);
}
END_TEST

START_TEST(bounded_and_idle_exit)
{
    test_sink ts;
    cio_op ops[12], *done[12];
    int i;
    time_t end;

    cio__pool_configure(3);
    /* A smaller request later does not shrink the pool. */
    cio__pool_configure(2);
    test_sink_init(&ts);
    for (i = 0; i < 12; i++) {
        cio_op_timeout(&ops[i], 20000000);
        ck_assert_int_eq(cio__pool_submit(&ts.sink, &ops[i]), 0);
        ck_assert_uint_le(cio__pool_threads(), 3);
    }
    ck_assert_uint_ge(cio__pool_threads(), 1);
    collect(&ts, done, 12);
    /* Idle threads leave after about 5 s; allow plenty. */
    end = time(NULL) + 30;
    while (cio__pool_threads() > 0 && time(NULL) < end) {
        struct timespec t = {0, 50000000};
        nanosleep(&t, NULL);
    }
    ck_assert_uint_eq(cio__pool_threads(), 0);
    /* And the pool starts again on demand. */
    cio_op_nop(&ops[0]);
    ck_assert_int_eq(cio__pool_submit(&ts.sink, &ops[0]), 0);
    collect(&ts, done, 1);
    ck_assert_int_eq(done[0]->result, 0);
}
END_TEST

/*
 * ThreadSanitizer cannot follow a fork made while threads run: the
 * child dies when it starts its first thread ("starting new threads
 * after multi-threaded fork is not supported"). The TSan build leaves
 * the fork case out; the plain, ASan and valgrind builds run it.
 */
#if defined(__SANITIZE_THREAD__)
#define POOL_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define POOL_UNDER_TSAN 1
#endif
#endif
#ifndef POOL_UNDER_TSAN
#define POOL_UNDER_TSAN 0
#endif

#ifndef _WIN32 /* No fork on Windows. */
START_TEST(usable_after_fork)
{
    test_sink ts;
    cio_op op, *done[1];
    pid_t pid;
    int status;

    /* Threads exist in the parent when it forks. */
    test_sink_init(&ts);
    cio_op_nop(&op);
    ck_assert_int_eq(cio__pool_submit(&ts.sink, &op), 0);
    collect(&ts, done, 1);
    ck_assert_uint_ge(cio__pool_threads(), 1);

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* The child has no pool threads, yet the pool works. */
        test_sink cs;
        cio_op cop[3], *cdone[3];
        int i;
        if (cio__pool_threads() != 0)
            _exit(2);
        test_sink_init(&cs);
        for (i = 0; i < 3; i++) {
            cio_op_timeout(&cop[i], 1000);
            if (cio__pool_submit(&cs.sink, &cop[i]) != 0)
                _exit(3);
        }
        collect(&cs, cdone, 3);
        for (i = 0; i < 3; i++)
            if (cdone[i]->result != CIO_ETIME)
                _exit(4);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST
#endif

static Suite *
pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("core");
#ifdef _WIN32
    /*
     * One process for all: the first configure (1 thread) must come
     * before any case starts threads under the default limit, and the
     * cases that need exactly one thread before the one that raises it
     * to 3 (the limit never shrinks). Each case resets the counters it
     * reads, and waits for the pool itself.
     */
    tcase_add_test(tc, fifo_with_one_thread);
    tcase_add_test(tc, cancel_queued_only);
    tcase_add_test(tc, cancel_sink_moves_queued);
    tcase_add_test(tc, runs_and_wakes);
    tcase_add_test(tc, bad_submit);
    tcase_add_test(tc, bounded_and_idle_exit);
#else
    tcase_add_test(tc, runs_and_wakes);
    tcase_add_test(tc, bad_submit);
    tcase_add_test(tc, fifo_with_one_thread);
    tcase_add_test(tc, cancel_queued_only);
    tcase_add_test(tc, cancel_sink_moves_queued);
    tcase_add_test(tc, bounded_and_idle_exit);
#if !POOL_UNDER_TSAN
    tcase_add_test(tc, usable_after_fork);
#endif
#endif
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
#ifndef _WIN32
    /* Each case needs a fresh pool (its first configure sets the limit). */
    if (getenv("CK_FORK") != NULL && strcmp(getenv("CK_FORK"), "no") == 0)
        cio_test_skip_all("needs Check's fork mode");
#endif
    return cio_test_run(pool_suite());
}
