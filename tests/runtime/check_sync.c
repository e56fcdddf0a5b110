/* SPDX-License-Identifier: MIT */
/*
 * check_sync.c - event, mutex and semaphore: FIFO hand-off order, many
 * waiters, cancel of a waiter (before and after the hand-off), and the
 * non-parking forms.
 */
#include <compio/runtime.h>

#include "cio_test.h"

#define NW 8

/* What one waiter task saw. */
typedef struct waiter_ctx {
    int id;
    int rc;
    int done;
    int *order; /* Shared log of who got through, in order. */
    int *n;
    cio_event *ev;
    cio_mutex *m;
    cio_sem *s;
} waiter_ctx;

static void
log_turn(waiter_ctx *c)
{
    c->order[(*c->n)++] = c->id;
}

/* ---- event ---- */

static int
event_waiter(void *arg)
{
    waiter_ctx *c = arg;
    c->rc = cio_event_wait(c->ev);
    if (c->rc == 0)
        log_turn(c);
    c->done = 1;
    return c->rc;
}

static int
event_basic_main(void *arg)
{
    cio_event ev;
    cio_task *t[NW];
    waiter_ctx c[NW];
    int order[NW], n = 0, i;

    (void)arg;
    cio_event_init(&ev);
    for (i = 0; i < NW; i++) {
        c[i] = (waiter_ctx){.id = i, .order = order, .n = &n, .ev = &ev};
        ck_assert_int_eq(cio_spawn(&t[i], event_waiter, &c[i]), 0);
    }
    cio_yield();
    for (i = 0; i < NW; i++)
        ck_assert_int_eq(c[i].done, 0);
    cio_event_set(&ev);
    for (i = 0; i < NW; i++)
        ck_assert_int_eq(cio_join(t[i]), 0);
    ck_assert_int_eq(n, NW);
    /* Set wakes every waiter, oldest first. */
    for (i = 0; i < NW; i++)
        ck_assert_int_eq(order[i], i);
    /* A set event does not park; a reset one does again. */
    ck_assert_int_eq(cio_event_wait(&ev), 0);
    cio_event_reset(&ev);
    n = 0;
    ck_assert_int_eq(cio_spawn(&t[0], event_waiter, &c[0]), 0);
    c[0].done = 0;
    cio_yield();
    ck_assert_int_eq(c[0].done, 0);
    cio_event_set(&ev);
    ck_assert_int_eq(cio_join(t[0]), 0);
    ck_assert_int_eq(c[0].done, 1);
    return 0;
}

START_TEST(event_basic)
{
    ck_assert_int_eq(cio_block_on(NULL, event_basic_main, NULL), 0);
}
END_TEST

static int
event_cancel_main(void *arg)
{
    cio_event ev;
    cio_task *t[3];
    waiter_ctx c[3];
    int order[3], n = 0, i;

    (void)arg;
    cio_event_init(&ev);
    for (i = 0; i < 3; i++) {
        c[i] = (waiter_ctx){.id = i, .order = order, .n = &n, .ev = &ev};
        ck_assert_int_eq(cio_spawn(&t[i], event_waiter, &c[i]), 0);
    }
    cio_yield();
    ck_assert_int_eq(cio_cancel(t[1]), 0);
    ck_assert_int_eq(cio_join(t[1]), CIO_ECANCELED);
    ck_assert_int_eq(c[1].rc, CIO_ECANCELED);
    /* The others still wait, and wake normally. */
    ck_assert_int_eq(c[0].done, 0);
    ck_assert_int_eq(c[2].done, 0);
    cio_event_set(&ev);
    ck_assert_int_eq(cio_join(t[0]), 0);
    ck_assert_int_eq(cio_join(t[2]), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(order[0], 0);
    ck_assert_int_eq(order[1], 2);
    return 0;
}

START_TEST(event_cancel)
{
    ck_assert_int_eq(cio_block_on(NULL, event_cancel_main, NULL), 0);
}
END_TEST

START_TEST(outside_task)
{
    cio_event ev;
    cio_mutex m;
    cio_sem s;

    cio_event_init(&ev);
    cio_mutex_init(&m);
    cio_sem_init(&s, 0);
    ck_assert_int_eq(cio_event_wait(&ev), CIO_EPERM);
    ck_assert_int_eq(cio_mutex_lock(&m), CIO_EPERM);
    ck_assert_int_eq(cio_mutex_trylock(&m), CIO_EPERM);
    ck_assert_int_eq(cio_sem_acquire(&s), CIO_EPERM);
    ck_assert_int_eq(cio_sem_try_acquire(&s), CIO_EAGAIN);
    cio_sem_release(&s);
    ck_assert_int_eq(cio_sem_try_acquire(&s), 0);
}
END_TEST

/* ---- mutex ---- */

static int inside; /* Tasks inside the critical section right now. */
static int max_inside;

static int
mutex_waiter(void *arg)
{
    waiter_ctx *c = arg;
    c->rc = cio_mutex_lock(c->m);
    if (c->rc == 0) {
        ck_assert_ptr_eq(c->m->held, cio_current());
        log_turn(c);
        if (++inside > max_inside)
            max_inside = inside;
        /* Park while holding it: nobody may get in meanwhile. */
        cio_yield();
        inside--;
        cio_mutex_unlock(c->m);
    }
    c->done = 1;
    return c->rc;
}

static int
mutex_fifo_main(void *arg)
{
    cio_mutex m;
    cio_task *t[NW];
    waiter_ctx c[NW];
    int order[NW], n = 0, i;

    (void)arg;
    inside = max_inside = 0;
    cio_mutex_init(&m);
    ck_assert_int_eq(cio_mutex_lock(&m), 0);
    ck_assert_ptr_eq(m.held, cio_current());
    for (i = 0; i < NW; i++) {
        c[i] = (waiter_ctx){.id = i, .order = order, .n = &n, .m = &m};
        ck_assert_int_eq(cio_spawn(&t[i], mutex_waiter, &c[i]), 0);
    }
    cio_yield();
    ck_assert_int_eq(n, 0);
    cio_mutex_unlock(&m);
    for (i = 0; i < NW; i++)
        ck_assert_int_eq(cio_join(t[i]), 0);
    ck_assert_int_eq(n, NW);
    for (i = 0; i < NW; i++)
        ck_assert_int_eq(order[i], i);
    ck_assert_int_eq(max_inside, 1);
    ck_assert_ptr_null(m.held);
    return 0;
}

START_TEST(mutex_fifo)
{
    ck_assert_int_eq(cio_block_on(NULL, mutex_fifo_main, NULL), 0);
}
END_TEST

static int
mutex_try_task(void *arg)
{
    return cio_mutex_trylock(arg);
}

static int
mutex_unlock_task(void *arg)
{
    /* Not the owner: ignored. */
    cio_mutex_unlock(arg);
    return 0;
}

static int
mutex_trylock_main(void *arg)
{
    cio_mutex m;
    cio_task *t;

    (void)arg;
    cio_mutex_init(&m);
    ck_assert_int_eq(cio_mutex_trylock(&m), 0);
    ck_assert_int_eq(cio_spawn(&t, mutex_try_task, &m), 0);
    ck_assert_int_eq(cio_join(t), CIO_EBUSY);
    /* Relocking by the owner is refused instead of parking forever. */
    ck_assert_int_eq(cio_mutex_lock(&m), CIO_EBUSY);
    ck_assert_int_eq(cio_spawn(&t, mutex_unlock_task, &m), 0);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_ptr_eq(m.held, cio_current());
    cio_mutex_unlock(&m);
    ck_assert_ptr_null(m.held);
    ck_assert_int_eq(cio_spawn(&t, mutex_try_task, &m), 0);
    ck_assert_int_eq(cio_join(t), 0);
    /* The finished task still "holds" it: a leak by the test, on purpose. */
    ck_assert_ptr_nonnull(m.held);
    return 0;
}

START_TEST(mutex_trylock)
{
    ck_assert_int_eq(cio_block_on(NULL, mutex_trylock_main, NULL), 0);
}
END_TEST

static int
mutex_cancel_main(void *arg)
{
    cio_mutex m;
    cio_task *t[3];
    waiter_ctx c[3];
    int order[3], n = 0, i;

    (void)arg;
    inside = max_inside = 0;
    cio_mutex_init(&m);
    ck_assert_int_eq(cio_mutex_lock(&m), 0);
    for (i = 0; i < 3; i++) {
        c[i] = (waiter_ctx){.id = i, .order = order, .n = &n, .m = &m};
        ck_assert_int_eq(cio_spawn(&t[i], mutex_waiter, &c[i]), 0);
    }
    cio_yield();
    ck_assert_int_eq(cio_cancel(t[1]), 0);
    ck_assert_int_eq(cio_join(t[1]), CIO_ECANCELED);
    ck_assert_ptr_eq(m.held, cio_current());
    cio_mutex_unlock(&m);
    ck_assert_int_eq(cio_join(t[0]), 0);
    ck_assert_int_eq(cio_join(t[2]), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(order[0], 0);
    ck_assert_int_eq(order[1], 2);
    ck_assert_ptr_null(m.held);
    return 0;
}

START_TEST(mutex_cancel)
{
    ck_assert_int_eq(cio_block_on(NULL, mutex_cancel_main, NULL), 0);
}
END_TEST

/*
 * The lock is handed to a waiter, then the waiter is cancelled before it
 * ran. The rule: the hand-off wins, the lock call returns 0 and the
 * waiter owns the lock (and unlocks it, passing it on).
 */
static int
mutex_handoff_cancel_main(void *arg)
{
    cio_mutex m;
    cio_task *t[2];
    waiter_ctx c[2];
    int order[2], n = 0, i;

    (void)arg;
    inside = max_inside = 0;
    cio_mutex_init(&m);
    ck_assert_int_eq(cio_mutex_lock(&m), 0);
    for (i = 0; i < 2; i++) {
        c[i] = (waiter_ctx){.id = i, .order = order, .n = &n, .m = &m};
        ck_assert_int_eq(cio_spawn(&t[i], mutex_waiter, &c[i]), 0);
    }
    cio_yield();
    cio_mutex_unlock(&m);
    ck_assert_ptr_eq(m.held, t[0]);
    ck_assert_int_eq(cio_cancel(t[0]), 0);
    ck_assert_int_eq(cio_join(t[0]), 0);
    ck_assert_int_eq(c[0].rc, 0);
    ck_assert_int_eq(cio_join(t[1]), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(order[0], 0);
    ck_assert_int_eq(order[1], 1);
    ck_assert_ptr_null(m.held);
    return 0;
}

START_TEST(mutex_handoff_cancel)
{
    ck_assert_int_eq(cio_block_on(NULL, mutex_handoff_cancel_main, NULL), 0);
}
END_TEST

#define MANY 100
#define ROUNDS 50

typedef struct many_ctx {
    cio_mutex *m;
    cio_sem *s;
    long *counter;
} many_ctx;

static int
mutex_many_task(void *arg)
{
    many_ctx *c = arg;
    int r;
    long v;

    for (r = 0; r < ROUNDS; r++) {
        ck_assert_int_eq(cio_mutex_lock(c->m), 0);
        if (++inside > max_inside)
            max_inside = inside;
        /* A read-yield-write race that only the mutex prevents. */
        v = *c->counter;
        cio_yield();
        *c->counter = v + 1;
        inside--;
        cio_mutex_unlock(c->m);
    }
    return 0;
}

static int
mutex_many_main(void *arg)
{
    cio_mutex m;
    cio_task *t[MANY];
    many_ctx c;
    long counter = 0;
    int i;

    (void)arg;
    inside = max_inside = 0;
    cio_mutex_init(&m);
    c = (many_ctx){.m = &m, .counter = &counter};
    for (i = 0; i < MANY; i++)
        ck_assert_int_eq(cio_spawn(&t[i], mutex_many_task, &c), 0);
    for (i = 0; i < MANY; i++)
        ck_assert_int_eq(cio_join(t[i]), 0);
    ck_assert_int_eq(counter, (long)MANY * ROUNDS);
    ck_assert_int_eq(max_inside, 1);
    ck_assert_ptr_null(m.held);
    return 0;
}

START_TEST(mutex_many)
{
    ck_assert_int_eq(cio_block_on(NULL, mutex_many_main, NULL), 0);
}
END_TEST

/* ---- semaphore ---- */

static int
sem_waiter(void *arg)
{
    waiter_ctx *c = arg;
    c->rc = cio_sem_acquire(c->s);
    if (c->rc == 0)
        log_turn(c);
    c->done = 1;
    return c->rc;
}

static int
sem_fifo_main(void *arg)
{
    cio_sem s;
    cio_task *t[NW];
    waiter_ctx c[NW];
    int order[NW], n = 0, i;

    (void)arg;
    cio_sem_init(&s, 0);
    for (i = 0; i < NW; i++) {
        c[i] = (waiter_ctx){.id = i, .order = order, .n = &n, .s = &s};
        ck_assert_int_eq(cio_spawn(&t[i], sem_waiter, &c[i]), 0);
    }
    cio_yield();
    ck_assert_int_eq(n, 0);
    for (i = 0; i < NW; i++) {
        cio_sem_release(&s);
        /* The permit went to a waiter, not to the count. */
        ck_assert_uint_eq(s.count, 0);
        ck_assert_int_eq(cio_join(t[i]), 0);
        ck_assert_int_eq(n, i + 1);
        ck_assert_int_eq(order[i], i);
    }
    return 0;
}

START_TEST(sem_fifo)
{
    ck_assert_int_eq(cio_block_on(NULL, sem_fifo_main, NULL), 0);
}
END_TEST

static int
sem_try_main(void *arg)
{
    cio_sem s;

    (void)arg;
    cio_sem_init(&s, 2);
    ck_assert_int_eq(cio_sem_try_acquire(&s), 0);
    ck_assert_int_eq(cio_sem_try_acquire(&s), 0);
    ck_assert_int_eq(cio_sem_try_acquire(&s), CIO_EAGAIN);
    cio_sem_release(&s);
    ck_assert_uint_eq(s.count, 1);
    ck_assert_int_eq(cio_sem_acquire(&s), 0);
    ck_assert_uint_eq(s.count, 0);
    return 0;
}

START_TEST(sem_try)
{
    ck_assert_int_eq(cio_block_on(NULL, sem_try_main, NULL), 0);
}
END_TEST

static int
sem_cancel_main(void *arg)
{
    cio_sem s;
    cio_task *t[3];
    waiter_ctx c[3];
    int order[3], n = 0, i;

    (void)arg;
    cio_sem_init(&s, 0);
    for (i = 0; i < 3; i++) {
        c[i] = (waiter_ctx){.id = i, .order = order, .n = &n, .s = &s};
        ck_assert_int_eq(cio_spawn(&t[i], sem_waiter, &c[i]), 0);
    }
    cio_yield();
    ck_assert_int_eq(cio_cancel(t[1]), 0);
    ck_assert_int_eq(cio_join(t[1]), CIO_ECANCELED);
    cio_sem_release(&s);
    cio_sem_release(&s);
    ck_assert_int_eq(cio_join(t[0]), 0);
    ck_assert_int_eq(cio_join(t[2]), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(order[0], 0);
    ck_assert_int_eq(order[1], 2);
    ck_assert_uint_eq(s.count, 0);
    return 0;
}

START_TEST(sem_cancel)
{
    ck_assert_int_eq(cio_block_on(NULL, sem_cancel_main, NULL), 0);
}
END_TEST

/* Takes a permit and gives it back when done with it. */
static int
sem_user(void *arg)
{
    waiter_ctx *c = arg;
    c->rc = cio_sem_acquire(c->s);
    if (c->rc == 0) {
        log_turn(c);
        cio_sem_release(c->s);
    }
    c->done = 1;
    return c->rc;
}

/*
 * A permit handed to a waiter that is cancelled before it ran is not
 * lost: the waiter's acquire returns 0 (the hand-off wins) and its
 * release passes the permit on to the next waiter.
 */
static int
sem_handoff_cancel_main(void *arg)
{
    cio_sem s;
    cio_task *t[2];
    waiter_ctx c[2];
    int order[2], n = 0, i;

    (void)arg;
    cio_sem_init(&s, 0);
    for (i = 0; i < 2; i++) {
        c[i] = (waiter_ctx){.id = i, .order = order, .n = &n, .s = &s};
        ck_assert_int_eq(cio_spawn(&t[i], sem_user, &c[i]), 0);
    }
    cio_yield();
    cio_sem_release(&s);
    ck_assert_int_eq(cio_cancel(t[0]), 0);
    ck_assert_int_eq(cio_join(t[0]), 0);
    ck_assert_int_eq(cio_join(t[1]), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_uint_eq(s.count, 1);
    return 0;
}

START_TEST(sem_handoff_cancel)
{
    ck_assert_int_eq(cio_block_on(NULL, sem_handoff_cancel_main, NULL), 0);
}
END_TEST

static int
sem_many_task(void *arg)
{
    many_ctx *c = arg;
    int r;

    for (r = 0; r < ROUNDS; r++) {
        ck_assert_int_eq(cio_sem_acquire(c->s), 0);
        if (++inside > max_inside)
            max_inside = inside;
        (*c->counter)++;
        cio_yield();
        inside--;
        cio_sem_release(c->s);
    }
    return 0;
}

static int
sem_many_main(void *arg)
{
    cio_sem s;
    cio_task *t[MANY];
    many_ctx c;
    long counter = 0;
    int i;

    (void)arg;
    inside = max_inside = 0;
    cio_sem_init(&s, 3);
    c = (many_ctx){.s = &s, .counter = &counter};
    for (i = 0; i < MANY; i++)
        ck_assert_int_eq(cio_spawn(&t[i], sem_many_task, &c), 0);
    for (i = 0; i < MANY; i++)
        ck_assert_int_eq(cio_join(t[i]), 0);
    ck_assert_int_eq(counter, (long)MANY * ROUNDS);
    ck_assert_int_eq(max_inside, 3);
    ck_assert_uint_eq(s.count, 3);
    return 0;
}

START_TEST(sem_many)
{
    ck_assert_int_eq(cio_block_on(NULL, sem_many_main, NULL), 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("sync");
    TCase *tc = tcase_create("sync");

    tcase_add_test(tc, event_basic);
    tcase_add_test(tc, event_cancel);
    tcase_add_test(tc, outside_task);
    tcase_add_test(tc, mutex_fifo);
    tcase_add_test(tc, mutex_trylock);
    tcase_add_test(tc, mutex_cancel);
    tcase_add_test(tc, mutex_handoff_cancel);
    tcase_add_test(tc, mutex_many);
    tcase_add_test(tc, sem_fifo);
    tcase_add_test(tc, sem_try);
    tcase_add_test(tc, sem_cancel);
    tcase_add_test(tc, sem_handoff_cancel);
    tcase_add_test(tc, sem_many);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
