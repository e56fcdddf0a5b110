/* SPDX-License-Identifier: MIT */
/*
 * check_signal.c - compio/signal.h on each backend: a signal sent while
 * a task waits, several listeners, deliveries counted while nobody
 * waits (and coalesced), cancel and deadline of a wait, the previous
 * disposition restored by the last unlisten, listeners on two runtimes
 * in two threads, cio_ctrl_c, and the argument errors. The harness
 * checks that no descriptor is left (the watcher's self-pipe and each
 * listener's eventfd go with the last unlisten).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cio_test_api.h"
#include "compio/signal.h"

#define MS CIO_NS_PER_MS
/*
 * The deadline that guards a wait that must end (a delivery is due):
 * only a hang reaches it, so it is far above any delay of a slow run
 * (valgrind, sanitizers, a loaded machine).
 */
#define GUARD_MS 60000

/* Give the current task a deadline @ms from now; returns the old one. */
static uint64_t
deadline_in(uint64_t ms)
{
    return cio_deadline_set(cio_now() + ms * MS);
}

/* The handler installed for @sig now. */
static void (*handler_of(int sig))(int)
{
    struct sigaction sa;

    ck_assert_int_eq(sigaction(sig, NULL, &sa), 0);
    return sa.sa_handler;
}

/* ---- a signal sent while a task waits ---- */

static int
wait_task(void *arg)
{
    return (int)cio_signal_wait(arg);
}

static int
receive_body(void *arg)
{
    cio_signal_listener *l;
    cio_task *t;

    (void)arg;
    ck_assert_int_eq(cio_signal_listen(&l, SIGUSR1), 0);
    ck_assert_int_eq(cio_signal_number(l), SIGUSR1);
    ck_assert_int_eq(cio_spawn(&t, wait_task, l), 0);
    ck_assert_int_eq(cio_sleep(10 * MS), 0);
    /* Process-directed: whichever thread takes it, the waiter hears. */
    ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
    deadline_in(GUARD_MS);
    ck_assert_int_eq(cio_join(t), 1);
    ck_assert_int_eq(cio_signal_unlisten(l), 0);
    return 0;
}

START_TEST(t_receive)
{
    cio_test_api_run(_i, receive_body, NULL);
    ck_assert_ptr_eq(handler_of(SIGUSR1), SIG_DFL);
}
END_TEST

/* ---- every listener sees every delivery ---- */

static int
two_listeners_body(void *arg)
{
    cio_signal_listener *a, *b;
    int k;

    (void)arg;
    ck_assert_int_eq(cio_signal_listen(&a, SIGUSR1), 0);
    ck_assert_int_eq(cio_signal_listen(&b, SIGUSR1), 0);
    deadline_in(GUARD_MS);
    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(raise(SIGUSR1), 0);
        ck_assert_int_eq(cio_signal_wait(a), 1);
        ck_assert_int_eq(cio_signal_wait(b), 1);
    }
    /* One goes, the other still hears. */
    ck_assert_int_eq(cio_signal_unlisten(a), 0);
    ck_assert_int_eq(raise(SIGUSR1), 0);
    ck_assert_int_eq(cio_signal_wait(b), 1);
    ck_assert_int_eq(cio_signal_unlisten(b), 0);
    return 0;
}

START_TEST(t_two_listeners)
{
    cio_test_api_run(_i, two_listeners_body, NULL);
}
END_TEST

/* ---- counted while nobody waits; coalesced ---- */

static int
no_loss_body(void *arg)
{
    cio_signal_listener *l;
    int64_t n, sum;
    int k, attempt, coalesced = 0;

    (void)arg;
    ck_assert_int_eq(cio_signal_listen(&l, SIGUSR2), 0);
    /* raise(3) runs the handler before it returns: three runs. */
    for (k = 0; k < 3; k++)
        ck_assert_int_eq(raise(SIGUSR2), 0);
    deadline_in(GUARD_MS);
    for (sum = 0, k = 0; sum < 3; k++) {
        n = cio_signal_wait(l);
        ck_assert_int_ge(n, 1);
        sum += n;
    }
    ck_assert_int_eq(sum, 3);
    ck_assert_int_le(k, 3);
    /* Nothing more. */
    deadline_in(30);
    ck_assert_int_eq(cio_signal_wait(l), CIO_ETIMEDOUT);
    /*
     * Deliveries the watcher forwarded before the wait come back as one
     * count. The watcher is a thread: give it time, and a few tries on a
     * loaded machine.
     */
    for (attempt = 0; attempt < 8 && !coalesced; attempt++) {
        for (k = 0; k < 3; k++)
            ck_assert_int_eq(raise(SIGUSR2), 0);
        cio_deadline_set(0);
        /* 100 ms, twice as long each try (25.5 s in all). */
        ck_assert_int_eq(cio_sleep((100 * MS) << attempt), 0);
        deadline_in(GUARD_MS);
        n = cio_signal_wait(l);
        ck_assert_int_ge(n, 1);
        coalesced = n == 3;
        for (sum = n; sum < 3; sum += n) {
            n = cio_signal_wait(l);
            ck_assert_int_ge(n, 1);
        }
        ck_assert_int_eq(sum, 3);
    }
    ck_assert_msg(coalesced, "three deliveries never came as one count");
    ck_assert_int_eq(cio_signal_unlisten(l), 0);
    return 0;
}

START_TEST(t_no_loss)
{
    cio_test_api_run(_i, no_loss_body, NULL);
}
END_TEST

/* ---- cancel and deadline of a wait ---- */

static int
cancel_body(void *arg)
{
    cio_signal_listener *l;
    cio_task *t;
    uint64_t t0;

    (void)arg;
    ck_assert_int_eq(cio_signal_listen(&l, SIGUSR1), 0);
    ck_assert_int_eq(cio_spawn(&t, wait_task, l), 0);
    ck_assert_int_eq(cio_sleep(10 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    /* The listener still works, and a delivery during no wait counts. */
    ck_assert_int_eq(raise(SIGUSR1), 0);
    deadline_in(GUARD_MS);
    ck_assert_int_eq(cio_signal_wait(l), 1);

    /* A deadline. */
    t0 = cio_now();
    deadline_in(40);
    ck_assert_int_eq(cio_signal_wait(l), CIO_ETIMEDOUT);
    ck_assert_uint_ge(cio_now() - t0, 40 * MS);
    ck_assert_int_eq(raise(SIGUSR1), 0);
    deadline_in(GUARD_MS);
    ck_assert_int_eq(cio_signal_wait(l), 1);
    ck_assert_int_eq(cio_signal_unlisten(l), 0);
    return 0;
}

START_TEST(t_cancel_deadline)
{
    cio_test_api_run(_i, cancel_body, NULL);
}
END_TEST

/* ---- the previous disposition comes back ---- */

static volatile sig_atomic_t own_calls;

static void
own_handler(int sig)
{
    (void)sig;
    own_calls++;
}

static int
restore_body(void *arg)
{
    cio_signal_listener *a, *b;
    struct sigaction sa, cur;

    (void)arg;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = own_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    own_calls = 0;

    ck_assert_int_eq(cio_signal_listen(&a, SIGUSR1), 0);
    ck_assert_int_eq(cio_signal_listen(&b, SIGUSR1), 0);
    ck_assert_ptr_ne(handler_of(SIGUSR1), own_handler);
    ck_assert_int_eq(cio_signal_unlisten(a), 0);
    /* Not the last one: still ours, and the old one is not called. */
    ck_assert_ptr_ne(handler_of(SIGUSR1), own_handler);
    ck_assert_int_eq(raise(SIGUSR1), 0);
    deadline_in(GUARD_MS);
    ck_assert_int_eq(cio_signal_wait(b), 1);
    ck_assert_int_eq(own_calls, 0);
    ck_assert_int_eq(cio_signal_unlisten(b), 0);
    /* The last one restores it, flags included. */
    ck_assert_int_eq(sigaction(SIGUSR1, NULL, &cur), 0);
    ck_assert_ptr_eq(cur.sa_handler, own_handler);
    ck_assert(cur.sa_flags & SA_RESTART);
    ck_assert_int_eq(raise(SIGUSR1), 0);
    ck_assert_int_eq(own_calls, 1);

    /* SIG_IGN comes back as SIG_IGN (a raise is then harmless). */
    signal(SIGUSR2, SIG_IGN);
    ck_assert_int_eq(cio_signal_listen(&a, SIGUSR2), 0);
    ck_assert_ptr_ne(handler_of(SIGUSR2), SIG_IGN);
    ck_assert_int_eq(cio_signal_unlisten(a), 0);
    ck_assert_ptr_eq(handler_of(SIGUSR2), SIG_IGN);
    ck_assert_int_eq(raise(SIGUSR2), 0);
    signal(SIGUSR2, SIG_DFL);

    /* Listen again after everything went: a fresh watcher works. */
    ck_assert_int_eq(cio_signal_listen(&a, SIGUSR1), 0);
    ck_assert_int_eq(raise(SIGUSR1), 0);
    ck_assert_int_eq(cio_signal_wait(a), 1);
    ck_assert_int_eq(cio_signal_unlisten(a), 0);
    ck_assert_int_eq(own_calls, 1);
    signal(SIGUSR1, SIG_DFL);
    return 0;
}

START_TEST(t_restore)
{
    cio_test_api_run(_i, restore_body, NULL);
}
END_TEST

/* ---- two runtimes in two threads ---- */

typedef struct other_rt {
    int backend;
    atomic_int ready;
    int64_t got;
    int result;
} other_rt;

static int
other_task(void *arg)
{
    other_rt *o = arg;
    cio_signal_listener *l;
    int r;

    r = cio_signal_listen(&l, SIGUSR2);
    if (r < 0) {
        atomic_store(&o->ready, -1);
        return r;
    }
    atomic_store(&o->ready, 1);
    deadline_in(GUARD_MS);
    o->got = cio_signal_wait(l);
    return cio_signal_unlisten(l);
}

static void *
other_thread(void *arg)
{
    other_rt *o = arg;
    cio_runtime *rt = cio_test_api_runtime(o->backend);

    if (rt == NULL) {
        o->result = CIO_ENOENT;
        atomic_store(&o->ready, -1);
        return NULL;
    }
    o->result = cio_block_on(rt, other_task, o);
    cio_runtime_free(rt);
    return NULL;
}

static int
two_runtimes_body(void *arg)
{
    other_rt o = {.backend = *(int *)arg, .got = 0, .result = -1};
    cio_signal_listener *l;
    pthread_t th;
    int k;

    atomic_init(&o.ready, 0);
    ck_assert_int_eq(cio_signal_listen(&l, SIGUSR2), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, other_thread, &o), 0);
    for (k = 0; k < GUARD_MS && atomic_load(&o.ready) == 0; k++)
        ck_assert_int_eq(cio_sleep(1 * MS), 0);
    ck_assert_int_eq(atomic_load(&o.ready), 1);
    /* To the process: one handler run, on either thread. */
    ck_assert_int_eq(kill(getpid(), SIGUSR2), 0);
    deadline_in(GUARD_MS);
    ck_assert_int_eq(cio_signal_wait(l), 1);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(o.result, 0);
    ck_assert_int_eq(o.got, 1);
    ck_assert_int_eq(cio_signal_unlisten(l), 0);
    return 0;
}

START_TEST(t_two_runtimes)
{
    int backend = _i;

    cio_test_api_run(_i, two_runtimes_body, &backend);
}
END_TEST

/* ---- ctrl-c ---- */

static int
ctrl_c_task(void *arg)
{
    (void)arg;
    deadline_in(GUARD_MS);
    return cio_ctrl_c();
}

/*
 * Let the ctrl_c task run up to its wait: sleep until SIGINT's handler
 * is no longer @before. One short sleep is not enough: it returns
 * without parking (so the task never ran) when its deadline has passed
 * by the time it looks, as under valgrind or on a loaded machine.
 */
static void
await_handler_change(void (*before)(int))
{
    int k;

    for (k = 0; k < GUARD_MS && handler_of(SIGINT) == before; k++)
        ck_assert_int_eq(cio_sleep(1 * MS), 0);
    ck_assert_ptr_ne(handler_of(SIGINT), before);
}

static int
ctrl_c_body(void *arg)
{
    void (*before)(int) = handler_of(SIGINT); /* Check has its own. */
    cio_task *t;

    (void)arg;
    ck_assert_int_eq(cio_spawn(&t, ctrl_c_task, NULL), 0);
    await_handler_change(before);
    ck_assert_int_eq(raise(SIGINT), 0);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_ptr_eq(handler_of(SIGINT), before);
    /* Cancelled while waiting: CIO_ECANCELED, and SIGINT is back. */
    ck_assert_int_eq(cio_spawn(&t, ctrl_c_task, NULL), 0);
    await_handler_change(before);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    ck_assert_ptr_eq(handler_of(SIGINT), before);
    return 0;
}

START_TEST(t_ctrl_c)
{
    cio_test_api_run(_i, ctrl_c_body, NULL);
}
END_TEST

/* ---- errors ---- */

static void
in_cb(cio_op *op, int32_t result, void *arg)
{
    (void)op;
    (void)result;
    /* Outside any task. */
    *(int64_t *)arg = cio_signal_wait(NULL) == CIO_EINVAL ? 0 : -1;
}

static int
errors_body(void *arg)
{
    static const int bad[] = {0,      -1,     SIGKILL, SIGSTOP, SIGSEGV,
                              SIGBUS, SIGFPE, SIGILL,  4096};
    cio_signal_listener *l = (void *)1;
    int64_t cb_r = 1;
    cio_op op;
    size_t k;

    (void)arg;
    ck_assert_int_eq(cio_signal_listen(NULL, SIGUSR1), CIO_EINVAL);
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_int_eq(cio_signal_listen(&l, bad[k]), CIO_EINVAL);
        ck_assert_ptr_null(l);
    }
    ck_assert_int_eq(cio_signal_wait(NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_signal_number(NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_signal_unlisten(NULL), 0);
    /* Waiting outside a task. */
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_cb(cio_runtime_current(), &op, in_cb, &cb_r),
                     0);
    while (cb_r == 1)
        ck_assert_int_eq(cio_sleep(1 * MS), 0);
    ck_assert_int_eq(cb_r, 0);
    return 0;
}

START_TEST(t_errors)
{
    cio_signal_listener *l = (void *)1;

    /* No runtime on this thread. */
    ck_assert_int_eq(cio_signal_listen(&l, SIGUSR1), CIO_EPERM);
    ck_assert_ptr_null(l);
    ck_assert_int_eq(cio_ctrl_c(), CIO_EPERM);
    cio_test_api_run(_i, errors_body, NULL);
}
END_TEST

/*
 * Skip the program when no backend loads. Tried in a child process, so
 * that the runner Check forks each case from has made no runtime (and
 * no pool) of its own. (cio_test_api_require_one asserts outside a
 * running test, which Check refuses.)
 */
static void
require_one_backend(void)
{
    pid_t pid = fork();
    int i, st = 0;

    if (pid < 0)
        return; /* Cannot tell: run, and let the cases say. */
    if (pid == 0) {
        for (i = 0; i < CIO_TEST_NBACKENDS; i++) {
            cio_config *cfg;
            cio_runtime *rt = NULL;

            if (cio_config_new(&cfg) < 0)
                continue;
            cio_config_set(cfg, "runtime", "backend", cio_test_backends[i]);
            cio_config_set(cfg, "runtime", "fallback", "no");
            if (cio_runtime_new(&rt, cfg) == 0) {
                cio_runtime_free(rt);
                cio_config_free(cfg);
                _exit(0);
            }
            cio_config_free(cfg);
        }
        _exit(CIO_TEST_SKIP);
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == CIO_TEST_SKIP)
        cio_test_skip_all("no backend loads here");
}

int
main(void)
{
    Suite *s = suite_create("signal");
    TCase *tc = tcase_create("signal");

    require_one_backend();
    tcase_add_loop_test(tc, t_receive, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_two_listeners, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_no_loss, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_cancel_deadline, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_restore, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_two_runtimes, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_ctrl_c, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_errors, 0, CIO_TEST_NBACKENDS);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
