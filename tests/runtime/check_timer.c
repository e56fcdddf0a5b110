/* SPDX-License-Identifier: MIT */
/*
 * check_timer.c - timers: sleeps wake in deadline order and never early,
 * equal deadlines keep spawn order, intervals skip missed ticks, a
 * deadline in the past returns at once.
 */
#include <stdint.h>

#include "cio_test.h"
#include "compio/runtime.h"

#define MS 1000000ull
#define NSLEEPERS 64

typedef struct sleep_rec {
    uint64_t deadline;
    uint64_t woke;
    int idx;
} sleep_rec;

static sleep_rec recs[NSLEEPERS];
static int wake_order[NSLEEPERS];
static int nwoke;
static uint64_t all_called_at;

static int
sleep_task(void *arg)
{
    sleep_rec *r = arg;
    int rc = cio_sleep_until(r->deadline);

    r->woke = cio_now();
    wake_order[nwoke++] = r->idx;
    return rc;
}

/*
 * Spawned after every sleeper, so it runs once each of them has called
 * cio_sleep_until: its clock reading bounds theirs from above.
 */
static int
after_sleepers(void *arg)
{
    (void)arg;
    all_called_at = cio_now();
    return 0;
}

static int
order_main(void *arg)
{
    cio_task *t[NSLEEPERS], *last;
    /* Far enough ahead that every task is asleep before the first is due. */
    uint64_t base = cio_now() + *(const uint64_t *)arg;
    int i;

    for (i = 0; i < NSLEEPERS; i++) {
        /* A scrambled set of deadlines, some equal, 0..~100 ms ahead. */
        recs[i].deadline = base + (uint64_t)((i * 37) % 23) * 4 * MS +
                           (uint64_t)(i % 3) * 100000;
        recs[i].idx = i;
        ck_assert_int_eq(cio_spawn(&t[i], sleep_task, &recs[i]), 0);
    }
    ck_assert_int_eq(cio_spawn(&last, after_sleepers, NULL), 0);
    for (i = 0; i < NSLEEPERS; i++)
        ck_assert_int_eq(cio_join(t[i]), 0);
    return cio_join(last);
}

START_TEST(test_order_never_early)
{
    uint64_t margin = 200 * MS, first;
    int i, attempt;

    /*
     * A sleeper whose deadline passed before it called cio_sleep_until
     * returns without parking, so its place in the wake order says
     * nothing about the timer heap. That happens only when spawning and
     * starting the sleepers took longer than the margin (valgrind, a
     * loaded machine): then run again with four times the margin.
     */
    for (attempt = 0;; attempt++) {
        nwoke = 0;
        ck_assert_int_eq(cio_block_on(NULL, order_main, &margin), 0);
        ck_assert_int_eq(nwoke, NSLEEPERS);
        first = recs[0].deadline;
        for (i = 1; i < NSLEEPERS; i++)
            if (recs[i].deadline < first)
                first = recs[i].deadline;
        if (all_called_at < first)
            break;
        ck_assert_msg(attempt < 5,
                      "sleepers never all asleep in time "
                      "(margin %llu ms)",
                      (unsigned long long)(margin / MS));
        printf("# sleepers not all asleep within %llu ms: again\n",
               (unsigned long long)(margin / MS));
        margin *= 4;
    }
    for (i = 0; i < NSLEEPERS; i++) {
        const sleep_rec *r = &recs[wake_order[i]];
        ck_assert_uint_ge(r->woke, r->deadline);
        if (i > 0) {
            const sleep_rec *p = &recs[wake_order[i - 1]];
            /* Deadline order; spawn order among equal deadlines. */
            ck_assert_uint_le(p->deadline, r->deadline);
            if (p->deadline == r->deadline)
                ck_assert_int_lt(p->idx, r->idx);
        }
    }
}
END_TEST

static int
short_sleeps(void *arg)
{
    int i;

    (void)arg;
    for (i = 0; i < 20; i++) {
        uint64_t t0 = cio_now();
        uint64_t ns = (uint64_t)(i % 5) * 300000 + 1;
        ck_assert_int_eq(cio_sleep(ns), 0);
        ck_assert_uint_ge(cio_now() - t0, ns);
    }
    /* A deadline already passed returns at once. */
    ck_assert_int_eq(cio_sleep_until(0), 0);
    ck_assert_int_eq(cio_sleep(0), 0);
    return 0;
}

START_TEST(test_short_sleeps)
{
    ck_assert_int_eq(cio_block_on(NULL, short_sleeps, NULL), 0);
}
END_TEST

static int
interval_main(void *arg)
{
    cio_interval iv;
    uint64_t start = cio_now(), first, before, after;
    int64_t n;

    (void)arg;
    cio_interval_init(&iv, 20 * MS);
    first = iv.next;
    ck_assert_uint_ge(iv.next, start + 20 * MS);
    n = cio_interval_tick(&iv);
    /* 1 unless this task ran more than a period late (valgrind, load). */
    ck_assert_int_ge(n, 1);
    ck_assert_uint_ge(cio_now(), start + 20 * MS);
    /* Miss about three ticks: they are skipped, not bunched. */
    ck_assert_int_eq(cio_sleep(65 * MS), 0);
    before = cio_now();
    n = cio_interval_tick(&iv);
    after = cio_now();
    ck_assert_int_ge(n, 3);
    /*
     * The next tick is the first one after the moment the tick read the
     * clock (between before and after), on the original grid. Compared
     * with a clock read after the tick returned it could already have
     * passed: a thread descheduled for a moment (valgrind, load).
     */
    ck_assert_uint_gt(iv.next, before);
    ck_assert_uint_le(iv.next, after + 20 * MS);
    ck_assert_uint_eq((iv.next - first) % (20 * MS), 0);
    n = cio_interval_tick(&iv);
    ck_assert_int_ge(n, 1);
    ck_assert_uint_ge(cio_now(), start + 20 * MS * 5);
    return 0;
}

START_TEST(test_interval)
{
    ck_assert_int_eq(cio_block_on(NULL, interval_main, NULL), 0);
}
END_TEST

static int
cancelled_interval(void *arg)
{
    cio_interval iv;

    (void)arg;
    cio_interval_init(&iv, 3600ull * 1000 * MS);
    return (int)cio_interval_tick(&iv);
}

static int
cancel_tick_main(void *arg)
{
    cio_task *t;

    (void)arg;
    ck_assert_int_eq(cio_spawn(&t, cancelled_interval, NULL), 0);
    cio_yield();
    ck_assert_int_eq(cio_cancel(t), 0);
    return cio_join(t);
}

START_TEST(test_interval_cancel)
{
    ck_assert_int_eq(cio_block_on(NULL, cancel_tick_main, NULL), CIO_ECANCELED);
}
END_TEST

START_TEST(test_now_monotonic)
{
    uint64_t a = cio_now(), b = cio_now();

    ck_assert_uint_ge(b, a);
    ck_assert_uint_gt(a, 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("timer");

    tcase_add_test(tc, test_order_never_early);
    tcase_add_test(tc, test_short_sleeps);
    tcase_add_test(tc, test_interval);
    tcase_add_test(tc, test_interval_cancel);
    tcase_add_test(tc, test_now_monotonic);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
