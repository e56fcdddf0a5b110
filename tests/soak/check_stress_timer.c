/* SPDX-License-Identifier: MIT */
/*
 * check_stress_timer.c - many timers armed, cancelled and fired while
 * IO runs, on every backend that loads. $CIO_SOAK_TIMERS timers per
 * backend (5,000 by default, 1,000 on Windows; scripts/soak.sh runs
 * 100,000), in batches
 * of BATCH tasks, $CIO_SOAK_SEED picks the kinds and deadlines.
 *
 * Each timer is a task of one of four kinds:
 *  - fire: cio_sleep_until(a deadline 0-2 ms out) returns 0, and never
 *    before the deadline;
 *  - cancel: cio_sleep_until(an hour out), cancelled at a random point
 *    of its batch; it must return CIO_ECANCELED (a cancelled timer never
 *    fires);
 *  - op timeout: a poll on a pipe nobody writes, awaited with
 *    cio_submit_wait_timeout(0-2 ms): CIO_ETIMEDOUT, never early;
 *  - task deadline: cio_deadline_set(0-2 ms out), then an hour's sleep:
 *    CIO_ETIMEDOUT, never before the deadline.
 * Meanwhile two tasks ping-pong a counter over a unix stream pair, so
 * every loop turn has IO completions as well as timer expiries. Every
 * task records its outcome exactly once; the counts per kind must add
 * up to the number armed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <string.h>

#include "soak.h"

#define BATCH 1000
#define MS 1000000ull

enum { K_FIRE, K_CANCEL, K_OPTIMEOUT, K_DEADLINE, K_N };

typedef struct tmr {
    int kind;
    uint64_t delay;
    uint8_t done;
    int32_t result;
} tmr;

static struct {
    uint64_t rng;
    tmr *t;
    long n;
    long outcome[K_N];
    long early;
    long wrong;
    long twice;
    int idle_pipe[2];
    int pp[2];
    long pings;
    int stop_io;
} st;

static void
record(tmr *t, int32_t r, int ok, int early)
{
    if (t->done++ != 0)
        st.twice++;
    t->result = r;
    if (!ok)
        st.wrong++;
    if (early)
        st.early++;
    st.outcome[t->kind]++;
}

static int
timer_task(void *arg)
{
    tmr *t = arg;
    uint64_t start = cio_now(), deadline = start + t->delay;
    cio_op op;
    int32_t r;

    switch (t->kind) {
    case K_FIRE:
        r = cio_sleep_until(deadline);
        record(t, r, r == 0, cio_now() < deadline);
        break;
    case K_CANCEL:
        r = cio_sleep_until(start + 3600 * CIO_NS_PER_SEC);
        record(t, r, r == CIO_ECANCELED, 0);
        break;
    case K_OPTIMEOUT:
        cio_op_poll_add(&op, st.idle_pipe[0], CIO_POLL_IN);
        r = cio_submit_wait_timeout(&op, t->delay);
        record(t, r, r == CIO_ETIMEDOUT, cio_now() < deadline);
        break;
    default:
        cio_deadline_set(deadline);
        r = cio_sleep(3600 * CIO_NS_PER_SEC);
        record(t, r, r == CIO_ETIMEDOUT, cio_now() < deadline);
        break;
    }
    return 0;
}

/* One side of the IO that runs under the timers. */
static int
pinger(void *arg)
{
    int side = (int)(intptr_t)arg;
    uint32_t v = 0;
    cio_op op;
    int32_t r;

    if (side == 0) {
        cio_op_write(&op, st.pp[0], &v, sizeof v);
        if (cio_submit_wait(&op) != sizeof v)
            return -1;
    }
    for (;;) {
        cio_op_read(&op, st.pp[side], &v, sizeof v);
        r = cio_submit_wait(&op);
        if (r == CIO_ECANCELED || r == 0)
            return 0;
        if (r != sizeof v)
            return -1;
        st.pings++;
        v++;
        cio_op_write(&op, st.pp[side], &v, sizeof v);
        r = cio_submit_wait(&op);
        if (r == CIO_ECANCELED)
            return 0;
        if (r != sizeof v)
            return -1;
    }
}

static int
stress_main(void *arg)
{
    cio_task *h[BATCH], *io[2];
    int order[BATCH];
    long base;
    int k, n, j;

    (void)arg;
    for (k = 0; k < 2; k++)
        ck_assert_int_eq(cio_spawn(&io[k], pinger, (void *)(intptr_t)k), 0);
    for (base = 0; base < st.n; base += BATCH) {
        n = st.n - base < BATCH ? (int)(st.n - base) : BATCH;
        for (j = 0; j < n; j++) {
            tmr *t = &st.t[base + j];
            t->kind = (int)soak_below(&st.rng, K_N);
            t->delay = soak_below(&st.rng, 2 * MS);
            ck_assert_int_eq(cio_spawn(&h[j], timer_task, t), 0);
            order[j] = j;
        }
        /* Shuffle, then cancel the cancel-kind ones at random points. */
        for (j = n - 1; j > 0; j--) {
            int o = (int)soak_below(&st.rng, (uint64_t)j + 1), x = order[j];
            order[j] = order[o];
            order[o] = x;
        }
        for (j = 0; j < n; j++) {
            int v = order[j];
            if (st.t[base + v].kind != K_CANCEL)
                continue;
            if (soak_below(&st.rng, 4) == 0)
                cio_sleep(soak_below(&st.rng, 200) * 1000);
            else
                cio_yield();
            ck_assert_int_eq(cio_cancel(h[v]), 0);
        }
        for (j = 0; j < n; j++)
            ck_assert_int_eq(cio_join(h[j]), 0);
    }
    for (k = 0; k < 2; k++)
        cio_cancel(io[k]);
    for (k = 0; k < 2; k++)
        ck_assert_int_eq(cio_join(io[k]), 0);
    return 0;
}

START_TEST(test_timer_storm)
{
    const char *backend = soak_backends[_i];
    int fds_before = cio_test_count_fds();
    cio_runtime *rt = soak_runtime(backend);
    cio_driver *drv;
    long i, sum = 0;

    if (rt == NULL)
        return;
    drv = cio_runtime_driver(rt);
    memset(&st, 0, sizeof st);
    st.n = soak_env_long("CIO_SOAK_TIMERS", SOAK_DEFAULT(5000, 1000));
    st.rng = soak_seed() + (uint64_t)_i;
    st.t = calloc((size_t)st.n, sizeof *st.t);
    ck_assert_ptr_nonnull(st.t);
    ck_assert_int_eq(soak_idle_pair(st.idle_pipe), 0);
    ck_assert_int_eq(socketpair(AF_UNIX,
                                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                                st.pp),
                     0);
    ck_assert_int_eq(cio_driver_attach(drv, st.idle_pipe[0]), 0);
    ck_assert_int_eq(cio_driver_attach(drv, st.pp[0]), 0);
    ck_assert_int_eq(cio_driver_attach(drv, st.pp[1]), 0);
    ck_assert_int_eq(cio_block_on(rt, stress_main, NULL), 0);
    cio_runtime_free(rt);

    for (i = 0; i < st.n; i++)
        ck_assert_int_eq(st.t[i].done, 1);
    for (i = 0; i < K_N; i++)
        sum += st.outcome[i];
    printf("# %s: %ld timers: %ld fired, %ld cancelled, %ld op timeouts, "
           "%ld task deadlines; %ld pings meanwhile; seed %llu\n",
           backend, st.n, st.outcome[K_FIRE], st.outcome[K_CANCEL],
           st.outcome[K_OPTIMEOUT], st.outcome[K_DEADLINE], st.pings,
           (unsigned long long)soak_seed());
    ck_assert_int_eq(st.twice, 0);
    ck_assert_int_eq(st.early, 0);
    ck_assert_int_eq(st.wrong, 0);
    ck_assert_int_eq(sum, st.n);
    close(st.idle_pipe[0]);
    close(st.idle_pipe[1]);
    close(st.pp[0]);
    close(st.pp[1]);
    free(st.t);
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("stress_timer");
    TCase *tc = tcase_create("timer");

    tcase_add_loop_test(tc, test_timer_storm, 0, SOAK_NBACKENDS);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
