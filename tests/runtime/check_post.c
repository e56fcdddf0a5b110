/* SPDX-License-Identifier: MIT */
/*
 * check_post.c - cio_runtime_post from other threads: a storm from four
 * threads loses nothing and keeps each thread's order, a runtime asleep
 * in a long poll is woken by a post, posts made while no block_on runs
 * wait for the next one, and posts after free began fail.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "cio_test.h"
#include "compio/runtime.h"

#define THREADS 4
#define PER_THREAD 50000
#define MS 1000000ull

static cio_runtime *storm_rt;
static cio_task *storm_main_task;
static long received;
static long per_thread_next[THREADS];
static int order_errors;
static pthread_barrier_t barrier;

typedef struct msg {
    int thread;
    long seq;
} msg;

static msg msgs[THREADS][PER_THREAD];

static void
on_post(void *arg)
{
    msg *m = arg;

    /* Runs on the runtime thread, outside any task. */
    if (cio_current() != NULL || cio_runtime_current() != storm_rt)
        order_errors++;
    if (m->seq != per_thread_next[m->thread])
        order_errors++;
    per_thread_next[m->thread] = m->seq + 1;
    if (++received == (long)THREADS * PER_THREAD)
        cio_cancel(storm_main_task); /* Ends the main task's long sleep. */
}

static void *
poster(void *arg)
{
    int id = (int)(intptr_t)arg;
    long i;

    pthread_barrier_wait(&barrier);
    for (i = 0; i < PER_THREAD; i++) {
        msgs[id][i].thread = id;
        msgs[id][i].seq = i;
        while (cio_runtime_post(storm_rt, on_post, &msgs[id][i]) != 0)
            ;
        /* Now and then let the runtime fall asleep between posts. */
        if (i % 10000 == 0) {
            struct timespec ts = {0, 2 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static int
storm_main(void *arg)
{
    (void)arg;
    storm_main_task = cio_current();
    pthread_barrier_wait(&barrier);
    /* Only posts can end this sleep (the last one cancels it). */
    return cio_sleep(600ull * 1000 * MS);
}

START_TEST(test_storm)
{
    pthread_t th[THREADS];
    int i;

    received = 0;
    ck_assert_int_eq(cio_runtime_new(&storm_rt, NULL), 0);
    ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, THREADS + 1), 0);
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(
            pthread_create(&th[i], NULL, poster, (void *)(intptr_t)i), 0);
    ck_assert_int_eq(cio_block_on(storm_rt, storm_main, NULL), CIO_ECANCELED);
    for (i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(received, (long)THREADS * PER_THREAD);
    ck_assert_int_eq(order_errors, 0);
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(per_thread_next[i], PER_THREAD);
    cio_runtime_free(storm_rt);
    pthread_barrier_destroy(&barrier);
}
END_TEST

/* ---- a single post wakes a sleeping runtime ---- */

static uint64_t wake_posted_at;
static uint64_t wake_ran_at;
static cio_task *sleepy;

static void
on_wake(void *arg)
{
    (void)arg;
    wake_ran_at = cio_now();
    cio_cancel(sleepy);
}

static void *
late_poster(void *arg)
{
    struct timespec ts = {0, 30 * 1000 * 1000};

    nanosleep(&ts, NULL);
    wake_posted_at = cio_now();
    ck_assert_int_eq(cio_runtime_post(arg, on_wake, NULL), 0);
    return NULL;
}

static int
sleepy_main(void *arg)
{
    (void)arg;
    sleepy = cio_current();
    return cio_sleep(600ull * 1000 * MS);
}

START_TEST(test_wakes_sleeper)
{
    cio_runtime *rt;
    pthread_t th;

    ck_assert_int_eq(cio_runtime_new(&rt, NULL), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, late_poster, rt), 0);
    ck_assert_int_eq(cio_block_on(rt, sleepy_main, NULL), CIO_ECANCELED);
    pthread_join(th, NULL);
    ck_assert_uint_ge(wake_ran_at, wake_posted_at);
    /* Woken by the notify, not by the 600 s sleep's timer: any bound far
     * below 600 s proves it; 60 s leaves room for valgrind on a loaded
     * machine. */
    ck_assert_uint_lt(wake_ran_at - wake_posted_at, 60000 * MS);
    cio_runtime_free(rt);
}
END_TEST

/* ---- posts while idle, and after free ---- */

static int idle_runs;

static void
count_post(void *arg)
{
    (*(int *)arg)++;
}

static int
check_idle(void *arg)
{
    int k;

    (void)arg;
    /*
     * A sleep that parks makes the loop poll, and run what was posted.
     * A 1 ms sleep can also find its deadline already passed (valgrind,
     * a descheduled thread) and return without parking, so sleep until
     * the posts ran, with a bound.
     */
    for (k = 0; k < 10000 && idle_runs < 5; k++)
        ck_assert_int_eq(cio_sleep(1 * MS), 0);
    return idle_runs;
}

START_TEST(test_idle_and_shutdown)
{
    cio_runtime *rt;
    int i;

    idle_runs = 0;
    ck_assert_int_eq(cio_runtime_new(&rt, NULL), 0);
    for (i = 0; i < 5; i++)
        ck_assert_int_eq(cio_runtime_post(rt, count_post, &idle_runs), 0);
    ck_assert_int_eq(cio_runtime_post(rt, NULL, NULL), CIO_EINVAL);
    /* Held until the runtime runs again. */
    ck_assert_int_eq(idle_runs, 0);
    ck_assert_int_eq(cio_block_on(rt, check_idle, NULL), 5);
    /* Accepted posts still run when the runtime is freed. */
    ck_assert_int_eq(cio_runtime_post(rt, count_post, &idle_runs), 0);
    cio_runtime_free(rt);
    ck_assert_int_eq(idle_runs, 6);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("post");
    TCase *tc = tcase_create("post");

    tcase_add_test(tc, test_storm);
    tcase_add_test(tc, test_wakes_sleeper);
    tcase_add_test(tc, test_idle_and_shutdown);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
