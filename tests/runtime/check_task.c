/* SPDX-License-Identifier: MIT */
/*
 * check_task.c - tasks: FIFO order and yield round robin, spawn/join/
 * detach, cancel in every state (not started, sleeping, joining, parked
 * on a primitive, finished), block_on and runtime_free semantics, and
 * the EPERM paths outside a task.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cio_test.h"
#include "compio/runtime.h"

/* ---- order ---- */

static char order_log[64];
static int order_len;

static int
order_task(void *arg)
{
    int i;

    for (i = 0; i < 3; i++) {
        order_log[order_len++] = (char)(intptr_t)arg;
        cio_yield();
    }
    return (int)(intptr_t)arg;
}

static int
order_main(void *arg)
{
    cio_task *t[3];
    int i;

    (void)arg;
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(
            cio_spawn(&t[i], order_task, (void *)(intptr_t)('a' + i)), 0);
    /* Spawned tasks run only when the spawner parks or yields. */
    ck_assert_int_eq(order_len, 0);
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(cio_join(t[i]), 'a' + i);
    return 42;
}

START_TEST(test_fifo_round_robin)
{
    order_len = 0;
    ck_assert_int_eq(cio_block_on(NULL, order_main, NULL), 42);
    order_log[order_len] = 0;
    ck_assert_str_eq(order_log, "abcabcabc");
}
END_TEST

/* ---- join / detach ---- */

static int detached_ran;

static int
ret_arg(void *arg)
{
    return (int)(intptr_t)arg;
}

static int
detached_task(void *arg)
{
    (void)arg;
    cio_yield();
    detached_ran++;
    return 0;
}

static int
join_main(void *arg)
{
    cio_task *t;
    int i;

    (void)arg;
    /* Join on a task that already finished returns at once. */
    ck_assert_int_eq(cio_spawn(&t, ret_arg, (void *)7), 0);
    cio_yield();
    ck_assert_int_eq(cio_cancel(t), CIO_ENOENT);
    ck_assert_int_eq(cio_join(t), 7);
    /* Join parks until the task ends. */
    ck_assert_int_eq(cio_spawn(&t, ret_arg, (void *)-5), 0);
    ck_assert_int_eq(cio_join(t), -5);
    /* Self join is refused. */
    ck_assert_int_eq(cio_join(cio_current()), CIO_EINVAL);
    /* Detached tasks, running or finished, free themselves. */
    for (i = 0; i < 10; i++)
        ck_assert_int_eq(cio_spawn(NULL, detached_task, NULL), 0);
    ck_assert_int_eq(cio_spawn(&t, detached_task, NULL), 0);
    cio_detach(t);
    ck_assert_int_eq(cio_spawn(&t, ret_arg, NULL), 0);
    cio_yield();
    cio_detach(t); /* Finished already. */
    while (detached_ran < 11)
        cio_yield();
    /* Per-task data. */
    ck_assert_ptr_null(cio_task_get_data(cio_current()));
    cio_task_set_data(cio_current(), &detached_ran);
    ck_assert_ptr_eq(cio_task_get_data(cio_current()), &detached_ran);
    ck_assert_ptr_nonnull(cio_runtime_current());
    ck_assert_ptr_nonnull(cio_runtime_driver(cio_runtime_current()));
    return 0;
}

START_TEST(test_join_detach)
{
    detached_ran = 0;
    ck_assert_int_eq(cio_block_on(NULL, join_main, NULL), 0);
    ck_assert_int_eq(detached_ran, 11);
}
END_TEST

/* ---- cancel in every state ---- */

static int never_ran;

static int
never(void *arg)
{
    (void)arg;
    never_ran = 1;
    return 0;
}

static int
sleeper(void *arg)
{
    /* An hour: only a cancel ends it within the check below. */
    int r = cio_sleep(3600ull * 1000000000u);
    (void)arg;
    /* A cancelled task keeps failing every blocking call... */
    ck_assert_int_eq(cio_sleep(1000), CIO_ECANCELED);
    ck_assert_int_ne(cio_cancelled(), 0);
    /* ...but may still do non-blocking cleanup. */
    cio_yield();
    return r;
}

static int
joiner(void *arg)
{
    return cio_join((cio_task *)arg);
}

static int
event_waiter(void *arg)
{
    return cio_event_wait((cio_event *)arg);
}

static int
cancel_main(void *arg)
{
    cio_task *t, *j;
    cio_event ev;
    uint64_t t0;

    (void)arg;
    /* Not started: never runs, result ECANCELED. */
    never_ran = 0;
    ck_assert_int_eq(cio_spawn(&t, never, NULL), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    ck_assert_int_eq(never_ran, 0);

    /* Sleeping: the sleep returns ECANCELED at once. */
    t0 = cio_now();
    ck_assert_int_eq(cio_spawn(&t, sleeper, NULL), 0);
    cio_yield();
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_cancel(t), 0); /* Twice is harmless. */
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    /* Far below the hour, far above any delay of a slow run. */
    ck_assert_uint_lt(cio_now() - t0, 60000000000ull);

    /* Joining: the join returns ECANCELED, the target stays joinable. */
    ck_assert_int_eq(cio_spawn(&t, sleeper, NULL), 0);
    ck_assert_int_eq(cio_spawn(&j, joiner, t), 0);
    cio_yield();
    ck_assert_int_eq(cio_cancel(j), 0);
    ck_assert_int_eq(cio_join(j), CIO_ECANCELED);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);

    /* Parked on a primitive. */
    cio_event_init(&ev);
    ck_assert_int_eq(cio_spawn(&t, event_waiter, &ev), 0);
    cio_yield();
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);

    /* Finished. */
    ck_assert_int_eq(cio_spawn(&t, ret_arg, (void *)3), 0);
    cio_yield();
    ck_assert_int_eq(cio_cancel(t), CIO_ENOENT);
    ck_assert_int_eq(cio_join(t), 3);

    /* Self: later blocking calls fail, the task goes on. */
    ck_assert_int_eq(cio_cancel(cio_current()), 0);
    ck_assert_int_eq(cio_sleep(1), CIO_ECANCELED);
    ck_assert_int_eq(cio_spawn(&t, ret_arg, (void *)4), 0);
    /* A join of a finished task does not block, so it still works. */
    cio_yield();
    ck_assert_int_eq(cio_join(t), 4);
    return 9;
}

START_TEST(test_cancel_states)
{
    ck_assert_int_eq(cio_block_on(NULL, cancel_main, NULL), 9);
}
END_TEST

/* ---- block_on and runtime_free ---- */

static int leftover_result = 1;
static int leftover_posted = 1;
static int leftover_post_ran;

static void
nop_post(void *arg)
{
    (void)arg;
}

static void
mark_post(void *arg)
{
    *(int *)arg = 1;
}

static int
leftover(void *arg)
{
    leftover_result = cio_sleep(3600ull * 1000000000u);
    /* Posts stay open while cancelled tasks finish (a dispatch result
     * may still have to come back); this one runs before free returns. */
    leftover_posted =
        cio_runtime_post((cio_runtime *)arg, mark_post, &leftover_post_ran);
    return 0;
}

static int
spawn_leftover(void *arg)
{
    ck_assert_int_eq(cio_spawn(NULL, leftover, cio_runtime_current()), 0);
    cio_yield();
    return (int)(intptr_t)arg;
}

static int
nested(void *arg)
{
    (void)arg;
    return cio_block_on(NULL, ret_arg, NULL);
}

static int
counter_task(void *arg)
{
    (*(int *)arg)++;
    return 0;
}

static int
spawn_counter(void *arg)
{
    ck_assert_int_eq(cio_spawn(NULL, counter_task, arg), 0);
    return 0;
}

START_TEST(test_block_on_and_free)
{
    cio_runtime *rt;
    int count = 0;

    ck_assert_ptr_null(cio_runtime_current());
    ck_assert_ptr_null(cio_current());
    ck_assert_int_eq(cio_block_on(NULL, NULL, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_runtime_new(&rt, NULL), 0);
    ck_assert_int_eq(cio_block_on(rt, nested, NULL), CIO_EBUSY);
    /* Other tasks keep their state for the next block_on. */
    ck_assert_int_eq(cio_block_on(rt, spawn_counter, &count), 0);
    ck_assert_int_eq(count, 0);
    ck_assert_int_eq(cio_block_on(rt, ret_arg, (void *)1), 1);
    ck_assert_int_eq(count, 1);
    /* runtime_free cancels what is left and runs it to its end. */
    ck_assert_int_eq(cio_block_on(rt, spawn_leftover, (void *)5), 5);
    ck_assert_int_eq(leftover_result, 1);
    cio_runtime_free(rt);
    ck_assert_int_eq(leftover_result, CIO_ECANCELED);
    ck_assert_int_eq(leftover_posted, 0);
    ck_assert_int_eq(leftover_post_ran, 1);
    cio_runtime_free(NULL);
}
END_TEST

START_TEST(test_outside_task)
{
    cio_task *t = NULL;
    cio_op op;

    ck_assert_int_eq(cio_spawn(&t, ret_arg, NULL), CIO_EPERM);
    ck_assert_int_eq(cio_sleep(1), CIO_EPERM);
    ck_assert_int_eq(cio_sleep_until(0), CIO_EPERM);
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait(&op), CIO_EPERM);
    ck_assert_int_eq(cio_submit_wait_timeout(&op, 1), CIO_EPERM);
    ck_assert_int_eq(cio_spawn_blocking(NULL, NULL), CIO_EPERM);
    ck_assert_int_eq(cio_cancelled(), 0);
    cio_yield(); /* A no-op outside a task. */
    ck_assert_ptr_null(cio_task_get_data(NULL));
    ck_assert_int_eq(cio_runtime_post(NULL, nop_post, NULL), CIO_EINVAL);
}
END_TEST

#ifndef _WIN32 /* Windows has no SIGPIPE (broken pipes are errors). */
/* ---- SIGPIPE: ignored by the first runtime unless the program chose ---- */

/*
 * The runtime does this once per process, so each case needs a process
 * of its own where no runtime was made yet: Check's fork mode gives
 * that; without it (CK_FORK=no) the case cannot tell and passes.
 */
static int
fresh_process(void)
{
    const char *f = getenv("CK_FORK");
    return f == NULL || strcmp(f, "no") != 0;
}

START_TEST(test_sigpipe_default_ignored)
{
    struct sigaction sa;
    cio_runtime *rt;

    if (!fresh_process())
        return;
    ck_assert_ptr_eq(signal(SIGPIPE, SIG_DFL), signal(SIGPIPE, SIG_DFL));
    ck_assert_int_eq(cio_runtime_new(&rt, NULL), 0);
    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    ck_assert(sa.sa_handler == SIG_IGN);
    /* A broken pipe is an error now, not the end of the process. */
    {
        int p[2];
        ck_assert_int_eq(pipe(p), 0);
        close(p[0]);
        ck_assert_int_eq(write(p[1], "x", 1), -1);
        ck_assert_int_eq(errno, EPIPE);
        close(p[1]);
    }
    cio_runtime_free(rt);
}
END_TEST

static void
on_sigpipe(int sig)
{
    (void)sig;
}

START_TEST(test_sigpipe_handler_kept)
{
    struct sigaction sa;
    cio_runtime *rt;

    if (!fresh_process())
        return;
    signal(SIGPIPE, on_sigpipe);
    ck_assert_int_eq(cio_runtime_new(&rt, NULL), 0);
    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    ck_assert(sa.sa_handler == on_sigpipe);
    cio_runtime_free(rt);
    signal(SIGPIPE, SIG_DFL);
}
END_TEST
#endif

int
main(void)
{
    Suite *s = suite_create("task");
    TCase *tc = tcase_create("task");

    tcase_add_test(tc, test_fifo_round_robin);
    tcase_add_test(tc, test_join_detach);
    tcase_add_test(tc, test_cancel_states);
    tcase_add_test(tc, test_block_on_and_free);
    tcase_add_test(tc, test_outside_task);
#ifndef _WIN32
    tcase_add_test(tc, test_sigpipe_default_ignored);
    tcase_add_test(tc, test_sigpipe_handler_kept);
#endif
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
