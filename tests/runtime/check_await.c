/* SPDX-License-Identifier: MIT */
/*
 * check_await.c - awaiting ops from tasks, on every backend that loads
 * here (epoll and uring, iocp on Windows; a backend that cannot load is
 * skipped with a message): results, cancel of a task blocked in IO (the
 * call returns only after the op was released), timeouts, callbacks,
 * the blocking pool with 64-bit results, and the error paths.
 *
 * On Windows the pipe is cio_test_win32.h's overlapped named pipe and
 * the sockets are Winsock's; one more case there checks that header's
 * own promise: a failed assertion inside a task is reported by Check
 * with its message, not a crash.
 */
#define _GNU_SOURCE 1 /* accept4 */
#ifdef _WIN32
#include "cio_test_win32.h"
#define pipe(p) pipe2((p), 0)
#else
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "cio_test.h"
#include "compio/runtime.h"

#define MS 1000000ull

#ifdef _WIN32
static const char *const backends[] = {"iocp"};
#define NBACKENDS 1
#else
static const char *const backends[] = {"epoll", "uring"};
#define NBACKENDS 2
#endif

/* A runtime on backend @i, or NULL (and a note) when it cannot load. */
static cio_runtime *
rt_for(int i)
{
    cio_config *cfg;
    cio_runtime *rt = NULL;
    int r;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", backends[i]), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    r = cio_runtime_new(&rt, cfg);
    cio_config_free(cfg);
    if (r < 0) {
        printf("# %s backend not loadable here (%s): skipped\n", backends[i],
               cio_errname(r));
        return NULL;
    }
    ck_assert_str_eq(cio_driver_backend(cio_runtime_driver(rt)), backends[i]);
    return rt;
}

static int pipefd[2];

static void
make_pipe(cio_runtime *rt)
{
    ck_assert_int_eq(pipe(pipefd), 0);
    ck_assert_int_eq(cio_driver_attach(cio_runtime_driver(rt), pipefd[0]), 0);
    ck_assert_int_eq(cio_driver_attach(cio_runtime_driver(rt), pipefd[1]), 0);
}

static void
close_pipe(void)
{
    close(pipefd[0]);
    close(pipefd[1]);
}

/* ---- results ---- */

static int
results_main(void *arg)
{
    cio_op op;
    char buf[16] = {0};
    int32_t r;

    (void)arg;
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait(&op), 0);
    ck_assert_int_eq(
        cio_driver_inflight(cio_runtime_driver(cio_runtime_current())), 0);
    cio_op_write(&op, pipefd[1], "hello", 5);
    ck_assert_int_eq(cio_submit_wait(&op), 5);
    cio_op_read(&op, pipefd[0], buf, sizeof buf);
    ck_assert_int_eq(cio_submit_wait(&op), 5);
    ck_assert_str_eq(buf, "hello");
    /* The op won the race with its timeout: the real result. */
    cio_op_write(&op, pipefd[1], "abc", 3);
    ck_assert_int_eq(cio_submit_wait(&op), 3);
    cio_op_read(&op, pipefd[0], buf, sizeof buf);
    ck_assert_int_eq(cio_submit_wait_timeout(&op, 1000 * MS), 3);
    /* A push error comes straight back. */
    cio_op_nop(&op);
    op.opcode = 200;
    ck_assert_int_eq(cio_submit_wait(&op), CIO_EINVAL);
    ck_assert_int_eq(cio_submit_wait(NULL), CIO_EINVAL);
    /* The timer of a finished wait is gone: a short sleep is short. */
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait_timeout(&op, 5 * MS), 0);
    r = cio_sleep(20 * MS);
    ck_assert_int_eq(r, 0);
    return 0;
}

START_TEST(test_results)
{
    cio_runtime *rt = rt_for(_i);

    if (rt == NULL)
        return;
    make_pipe(rt);
    ck_assert_int_eq(cio_block_on(rt, results_main, NULL), 0);
    close_pipe();
    cio_runtime_free(rt);
}
END_TEST

/* ---- cancel while blocked in IO, and timeouts ---- */

static int
blocked_reader(void *arg)
{
    char buf[64];
    cio_op op;
    int32_t r;

    (void)arg;
    cio_op_read(&op, pipefd[0], buf, sizeof buf);
    r = cio_submit_wait(&op);
    /* Returned only after the backend released the op. */
    ck_assert_ptr_null(op.link.owner);
    ck_assert_int_eq(
        cio_driver_inflight(cio_runtime_driver(cio_runtime_current())), 0);
    /* Later blocking calls fail at once, without pushing. */
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait(&op), CIO_ECANCELED);
    return r;
}

static int
cancel_io_main(void *arg)
{
    cio_driver *drv = cio_runtime_driver(cio_runtime_current());
    cio_task *t;
    cio_op op;
    char buf[8];
    uint64_t t0;
    int32_t r;

    (void)arg;
    ck_assert_int_eq(cio_spawn(&t, blocked_reader, NULL), 0);
    ck_assert_int_eq(cio_sleep(10 * MS), 0);
    ck_assert_uint_eq(cio_driver_inflight(drv), 1);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);

    /* A read that times out. */
    t0 = cio_now();
    cio_op_read(&op, pipefd[0], buf, sizeof buf);
    r = cio_submit_wait_timeout(&op, 30 * MS);
    ck_assert_int_eq(r, CIO_ETIMEDOUT);
    ck_assert_uint_ge(cio_now() - t0, 30 * MS);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    ck_assert_ptr_null(op.link.owner);
    return 0;
}

START_TEST(test_cancel_io)
{
    cio_runtime *rt = rt_for(_i);

    if (rt == NULL)
        return;
    make_pipe(rt);
    ck_assert_int_eq(cio_block_on(rt, cancel_io_main, NULL), 0);
    close_pipe();
    cio_runtime_free(rt);
}
END_TEST

/* ---- task deadlines (cio_deadline_set) ---- */

static int
deadline_main(void *arg)
{
    cio_driver *drv = cio_runtime_driver(cio_runtime_current());
    char buf[8];
    uint64_t t0, prev, inner;
    cio_op op;

    (void)arg;
    ck_assert_uint_eq(cio_deadline(), 0);
    t0 = cio_now();
    prev = cio_deadline_set(t0 + 40 * MS);
    ck_assert_uint_eq(prev, 0);
    ck_assert_uint_eq(cio_deadline(), t0 + 40 * MS);
    /* An op that would block for ever is cut at the deadline. */
    cio_op_read(&op, pipefd[0], buf, sizeof buf);
    ck_assert_int_eq(cio_submit_wait(&op), CIO_ETIMEDOUT);
    ck_assert_uint_ge(cio_now() - t0, 40 * MS);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    ck_assert_ptr_null(op.link.owner);
    /* Past the deadline nothing is pushed at all. */
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait(&op), CIO_ETIMEDOUT);
    ck_assert_int_eq(cio_sleep(1), CIO_ETIMEDOUT);
    ck_assert_uint_eq(cio_deadline_set(prev), t0 + 40 * MS);
    /* Nested scopes: the inner one restores the outer one. */
    t0 = cio_now();
    prev = cio_deadline_set(t0 + 3600 * 1000 * MS);
    inner = cio_deadline_set(t0 + 20 * MS);
    ck_assert_uint_eq(inner, t0 + 3600 * 1000 * MS);
    /* A longer sleep ends at the deadline; a shorter explicit timeout
     * still wins over it. */
    ck_assert_int_eq(cio_sleep(3600 * 1000 * MS), CIO_ETIMEDOUT);
    ck_assert_uint_ge(cio_now() - t0, 20 * MS);
    cio_deadline_set(inner);
    t0 = cio_now();
    cio_op_read(&op, pipefd[0], buf, sizeof buf);
    ck_assert_int_eq(cio_submit_wait_timeout(&op, 10 * MS), CIO_ETIMEDOUT);
    ck_assert_uint_lt(cio_now() - t0, 3600 * 1000 * MS);
    /* Completed ops are not affected by a deadline that has not passed. */
    ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
    cio_op_read(&op, pipefd[0], buf, sizeof buf);
    ck_assert_int_eq(cio_submit_wait(&op), 1);
    ck_assert_int_eq(cio_sleep(1), 0);
    cio_deadline_set(prev);
    ck_assert_uint_eq(cio_deadline(), 0);
    return 0;
}

START_TEST(test_deadline)
{
    cio_runtime *rt = rt_for(_i);

    ck_assert_uint_eq(cio_deadline_set(5), 0); /* Outside a task. */
    ck_assert_uint_eq(cio_deadline(), 0);
    if (rt == NULL)
        return;
    make_pipe(rt);
    ck_assert_int_eq(cio_block_on(rt, deadline_main, NULL), 0);
    close_pipe();
    cio_runtime_free(rt);
}
END_TEST

/* A cancel that arrives while a deadline is set still reads as cancel. */
static int
deadline_blocked(void *arg)
{
    char buf[8];
    cio_op op;

    (void)arg;
    cio_deadline_set(cio_now() + 3600 * 1000 * MS);
    cio_op_read(&op, pipefd[0], buf, sizeof buf);
    return cio_submit_wait(&op);
}

static int
deadline_cancel_main(void *arg)
{
    cio_task *t;

    (void)arg;
    ck_assert_int_eq(cio_spawn(&t, deadline_blocked, NULL), 0);
    ck_assert_int_eq(cio_sleep(5 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    return 0;
}

START_TEST(test_deadline_cancel)
{
    cio_runtime *rt = rt_for(_i);

    if (rt == NULL)
        return;
    make_pipe(rt);
    ck_assert_int_eq(cio_block_on(rt, deadline_cancel_main, NULL), 0);
    close_pipe();
    cio_runtime_free(rt);
}
END_TEST

/* runtime_free with a task blocked in IO: cancelled and drained. */
static int
spawn_blocked(void *arg)
{
    ck_assert_int_eq(cio_spawn(NULL, blocked_reader, NULL), 0);
    cio_yield();
    return (int)(intptr_t)arg;
}

START_TEST(test_free_cancels_io)
{
    cio_runtime *rt = rt_for(_i);

    if (rt == NULL)
        return;
    make_pipe(rt);
    ck_assert_int_eq(cio_block_on(rt, spawn_blocked, (void *)3), 3);
    ck_assert_uint_eq(cio_driver_inflight(cio_runtime_driver(rt)), 1);
    cio_runtime_free(rt);
    close_pipe();
}
END_TEST

/* ---- callbacks ---- */

static int cb_calls;
static int32_t cb_result;
static void *cb_arg_seen;

static void
on_done(cio_op *op, int32_t result, void *arg)
{
    (void)op;
    ck_assert_ptr_null(cio_current()); /* Outside any task. */
    ck_assert_ptr_nonnull(cio_runtime_current());
    cb_calls++;
    cb_result = result;
    cb_arg_seen = arg;
}

static cio_runtime *other_rt;
static int other_r;

static void *
other_thread(void *arg)
{
    cio_op *op = arg;

    other_r = cio_submit_cb(other_rt, op, on_done, NULL);
    return NULL;
}

static int
cb_main(void *arg)
{
    cio_runtime *rt = cio_runtime_current();
    cio_op op, op2;
    pthread_t th;

    (void)arg;
    cb_calls = 0;
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_cb(rt, &op, on_done, &cb_calls), 0);
    cio_op_write(&op2, pipefd[1], "xy", 2);
    ck_assert_int_eq(cio_submit_cb(rt, &op2, on_done, &op2), 0);
    while (cb_calls < 2)
        ck_assert_int_eq(cio_sleep(1 * MS), 0);
    ck_assert_int_eq(cb_result, 2);
    ck_assert_ptr_eq(cb_arg_seen, &op2);
    /* Errors: bad arguments, a foreign thread. */
    ck_assert_int_eq(cio_submit_cb(NULL, &op, on_done, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_submit_cb(rt, &op, NULL, NULL), CIO_EINVAL);
    other_rt = rt;
    cio_op_nop(&op);
    ck_assert_int_eq(pthread_create(&th, NULL, other_thread, &op), 0);
    pthread_join(th, NULL);
    ck_assert_int_eq(other_r, CIO_EPERM);
    return 0;
}

START_TEST(test_submit_cb)
{
    cio_runtime *rt = rt_for(_i);

    if (rt == NULL)
        return;
    make_pipe(rt);
    ck_assert_int_eq(cio_block_on(rt, cb_main, NULL), 0);
    close_pipe();
    cio_runtime_free(rt);
}
END_TEST

/* ---- blocking pool ---- */

static int64_t
big_result(void *arg)
{
    return (int64_t)(intptr_t)arg * ((int64_t)1 << 40);
}

static int64_t
slow_result(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};

    (void)arg;
    nanosleep(&ts, NULL);
    return 77;
}

static int
blocking_task(void *arg)
{
    int64_t r = cio_spawn_blocking(slow_result, arg);

    ck_assert_int_eq(r, 77);
    ck_assert_int_ne(cio_cancelled(), 0);
    ck_assert_int_eq(cio_spawn_blocking(slow_result, NULL), CIO_ECANCELED);
    return (int)r;
}

static int
blocking_main(void *arg)
{
    cio_task *t;

    (void)arg;
    ck_assert_int_eq(cio_spawn_blocking(big_result, (void *)3),
                     (int64_t)3 << 40);
    ck_assert_int_eq(cio_spawn_blocking(big_result, (void *)-2),
                     -((int64_t)2 << 40));
    ck_assert_int_eq(cio_spawn_blocking(NULL, NULL), CIO_EINVAL);
    /* Not interruptible: cancel waits for the function's result. */
    ck_assert_int_eq(cio_spawn(&t, blocking_task, NULL), 0);
    ck_assert_int_eq(cio_sleep(5 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), 77);
    return 0;
}

START_TEST(test_spawn_blocking)
{
    cio_runtime *rt = rt_for(_i);

    if (rt == NULL)
        return;
    ck_assert_int_eq(cio_block_on(rt, blocking_main, NULL), 0);
    cio_runtime_free(rt);
}
END_TEST

/* ---- runtime_free with callback ops in flight ---- */

typedef struct pending_cb {
    cio_op op;
    char buf[8];
    int calls;
    int32_t result;
    int resubmit; /* From inside the callback, during free. */
} pending_cb;

static void
pending_done(cio_op *op, int32_t result, void *arg)
{
    pending_cb *p = arg;

    (void)op;
    p->calls++;
    p->result = result;
    if (p->resubmit) {
        cio_op_read(&p->op, pipefd[0], p->buf, sizeof p->buf);
        p->resubmit = cio_submit_cb(cio_runtime_current(), &p->op,
                                    pending_done, p);
    }
}

static int
push_pending(void *arg)
{
    pending_cb *p = arg;

    cio_op_read(&p->op, pipefd[0], p->buf, sizeof p->buf);
    ck_assert_int_eq(
        cio_submit_cb(cio_runtime_current(), &p->op, pending_done, p), 0);
    return 0;
}

START_TEST(test_free_runs_pending_cbs)
{
    cio_runtime *rt = rt_for(_i);
    pending_cb *p;

    if (rt == NULL)
        return;
    make_pipe(rt);
    /* On the heap, as a callback's state usually is: ASan sees leaks. */
    p = calloc(1, sizeof *p);
    ck_assert_ptr_nonnull(p);
    p->resubmit = 1;
    ck_assert_int_eq(cio_block_on(rt, push_pending, p), 0);
    ck_assert_int_eq(p->calls, 0);
    ck_assert_uint_eq(cio_driver_inflight(cio_runtime_driver(rt)), 1);
    cio_runtime_free(rt);
    /* Called once, cancelled; a new op from the callback is refused. */
    ck_assert_int_eq(p->calls, 1);
    ck_assert_int_eq(p->result, CIO_ECANCELED);
    ck_assert_int_eq(p->resubmit, CIO_ESHUTDOWN);
    free(p);
    close_pipe();
}
END_TEST

/* ---- ops with more than one completion ---- */

/* A loopback TCP pair and its listener, all attached to @drv. */
static void
tcp_pair(cio_driver *drv, int *lfd, int *cfd, int *sfd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(*lfd, 0);
    ck_assert_int_eq(bind(*lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(*lfd, 16), 0);
    ck_assert_int_eq(getsockname(*lfd, (struct sockaddr *)&a, &len), 0);
    *cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(*cfd, (struct sockaddr *)&a, sizeof a), 0);
    *sfd = accept4(*lfd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(*sfd, 0);
    ck_assert_int_eq(cio_driver_attach(drv, *lfd), 0);
    ck_assert_int_eq(cio_driver_attach(drv, *cfd), 0);
    ck_assert_int_eq(cio_driver_attach(drv, *sfd), 0);
}

static void
connect_to(int lfd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd;

    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd); /* Still queued for accept. */
}

typedef struct multi_state {
    cio_event done;
    cio_op *op;
    int accepted;
    int more;
    int final_result;
} multi_state;

static void
on_accept(const cio_entry *e, void *arg)
{
    multi_state *ms = arg;

    if (cio_entry_more(e)) {
        ck_assert_int_ge(e->result, 0);
        close(e->result);
        ms->more++;
        if (++ms->accepted == 3)
            ck_assert_int_eq(
                cio_driver_cancel(cio_runtime_driver(cio_runtime_current()),
                                  ms->op),
                0);
        return;
    }
    ms->final_result = e->result;
    cio_event_set(&ms->done);
}

static int
more_main(void *arg)
{
    cio_runtime *rt = cio_runtime_current();
    cio_driver *drv = cio_runtime_driver(rt);
    static char out[65536], in[65536];
    multi_state ms;
    int lfd, cfd, sfd, i;
    cio_op op;

    (void)arg;
    tcp_pair(drv, &lfd, &cfd, &sfd);
    for (i = 0; i < (int)sizeof out; i++)
        out[i] = (char)(i * 7);
    /* SEND_ZC: two completions, one result, after the buffer is free. */
    cio_op_send_zc(&op, cfd, out, sizeof out, 0);
    ck_assert_int_eq(cio_submit_wait(&op), (int)sizeof out);
    ck_assert_int_eq(recv(sfd, in, sizeof in, MSG_WAITALL), (int)sizeof in);
    ck_assert_mem_eq(in, out, sizeof in);

    /* A task cannot await a multishot op: one call, one result. */
    cio_op_accept_multishot(&op, lfd, 0);
    ck_assert_int_eq(cio_submit_wait(&op), CIO_EINVAL);

    /* The entry callback sees every completion until the last. */
    memset(&ms, 0, sizeof ms);
    cio_event_init(&ms.done);
    ms.op = &op;
    cio_op_accept_multishot(&op, lfd, 0);
    ck_assert_int_eq(cio_submit_entry_cb(rt, &op, on_accept, &ms), 0);
    for (i = 0; i < 3; i++)
        connect_to(lfd);
    ck_assert_int_eq(cio_event_wait(&ms.done), 0);
    ck_assert_int_eq(ms.accepted, 3);
    ck_assert_int_eq(ms.more, 3);
    ck_assert_int_eq(ms.final_result, CIO_ECANCELED);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    close(lfd);
    close(cfd);
    close(sfd);
    return 0;
}

START_TEST(test_more_completions)
{
    cio_runtime *rt = rt_for(_i);
    int fds0 = cio_test_count_fds();

    if (rt == NULL)
        return;
    ck_assert_int_eq(cio_block_on(rt, more_main, NULL), 0);
    ck_assert_int_eq(cio_submit_entry_cb(rt, NULL, on_accept, NULL),
                     CIO_EINVAL);
    cio_runtime_free(rt);
    ck_assert_int_le(cio_test_count_fds(), fds0);
}
END_TEST

#ifdef _WIN32
/* ---- a failed assertion inside a task (cio_test_win32.h) ---- */

/*
 * Two planted failures, run by a Check runner of their own before the
 * real suite (and silently: not in the TAP stream): one in a spawned
 * task while the main task sleeps for an hour (the failure must cancel
 * it), one in the main task while a spawned one sleeps (runtime_free
 * must end it). Each must reach Check as a failure with its message
 * and line, and the test body must not go on after cio_block_on.
 */
static int planted_line[2];
static int planted_went_on;

static int
planted_child(void *arg)
{
    (void)arg;
    planted_line[0] = __LINE__ + 1;
    ck_assert_msg(0, "planted failure %d", 1);
    return 0;
}

static int
planted_sleeper(void *arg)
{
    (void)arg;
    return cio_sleep(3600 * 1000 * MS);
}

static int
planted_main(void *arg)
{
    cio_task *t;

    if (arg == NULL) {
        ck_assert_int_eq(cio_spawn(&t, planted_child, NULL), 0);
        ck_assert_int_eq(cio_sleep(3600 * 1000 * MS), 0);
        return 0;
    }
    ck_assert_int_eq(cio_spawn(NULL, planted_sleeper, NULL), 0);
    cio_yield();
    planted_line[1] = __LINE__ + 1;
    ck_assert_msg(0, "planted failure %d", 2);
    return 0;
}

START_TEST(planted_failure)
{
    cio_runtime *rt = rt_for(0);

    if (rt == NULL)
        return;
    cio_block_on(rt, planted_main, _i ? (void *)1 : NULL);
    planted_went_on++;
}
END_TEST

static int planted_failed = -1;
static char planted_msg[2][256];
static int planted_lno[2];

static void
run_planted(void)
{
    Suite *s = suite_create("planted");
    TCase *tc = tcase_create("planted");
    char tap[256] = "";
    const char *env = getenv("CK_TAP_LOG_FILE_NAME");
    TestResult **tr;
    SRunner *sr;

    if (env != NULL)
        snprintf(tap, sizeof(tap), "%s", env);
    unsetenv("CK_TAP_LOG_FILE_NAME");
    tcase_add_loop_test(tc, planted_failure, 0, 2);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_SILENT);
    if (tap[0] != '\0')
        setenv("CK_TAP_LOG_FILE_NAME", tap, 1);
    planted_failed = srunner_ntests_failed(sr);
    tr = srunner_failures(sr);
    for (int i = 0; i < 2 && i < planted_failed; i++) {
        snprintf(planted_msg[i], sizeof(planted_msg[i]), "%s",
                 tr_msg(tr[i]));
        planted_lno[i] = tr_lno(tr[i]);
    }
    free(tr);
    srunner_free(sr);
}

START_TEST(test_task_failure_reported)
{
    ck_assert_int_eq(planted_failed, 2);
    ck_assert_int_eq(planted_went_on, 0);
    ck_assert_str_eq(planted_msg[0], "planted failure 1");
    ck_assert_int_eq(planted_lno[0], planted_line[0]);
    ck_assert_str_eq(planted_msg[1], "planted failure 2");
    ck_assert_int_eq(planted_lno[1], planted_line[1]);
}
END_TEST
#endif

/*
 * ---- the order tasks resume in after one reap ----
 * The loop hands a reaped completion to its task only when that task
 * comes to run; the order must still be the one a queue gives: every
 * completion of one reap before a task that is made ready while they
 * are handed over, and a cancel after the reap finds the op done.
 */

static char order[8];
static int norder;
static cio_task *order_victim;

static int
order_late(void *arg)
{
    (void)arg;
    order[norder++] = 'D';
    return 0;
}

static int
order_first(void *arg)
{
    cio_op op;

    (void)arg;
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait(&op), 0);
    order[norder++] = 'A';
    /* B's NOP came in the same reap: B runs before D. */
    ck_assert_int_eq(cio_spawn(NULL, order_late, NULL), 0);
    return 0;
}

static int
order_second(void *arg)
{
    cio_op op;

    (void)arg;
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait(&op), 0);
    order[norder++] = 'B';
    return 0;
}

static int
order_canceller(void *arg)
{
    cio_op op;

    (void)arg;
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait(&op), 0);
    /* The victim's NOP is reaped already: cancel cannot stop it. */
    ck_assert_int_eq(cio_cancel(order_victim), 0);
    return 0;
}

static int
order_cancelled(void *arg)
{
    cio_op op;
    int32_t r;

    (void)arg;
    cio_op_nop(&op);
    r = cio_submit_wait(&op);
    ck_assert_ptr_null(op.link.owner);
    /* Cancelled all the same: the next op fails at once. */
    cio_op_nop(&op);
    ck_assert_int_eq(cio_submit_wait(&op), CIO_ECANCELED);
    return r;
}

static int
order_main(void *arg)
{
    cio_task *a, *b, *k;
    int i;

    (void)arg;
    norder = 0;
    ck_assert_int_eq(cio_spawn(&a, order_first, NULL), 0);
    ck_assert_int_eq(cio_spawn(&b, order_second, NULL), 0);
    ck_assert_int_eq(cio_join(a), 0);
    ck_assert_int_eq(cio_join(b), 0);
    for (i = 0; i < 10 && norder < 3; i++)
        cio_yield();
    ck_assert_int_eq(norder, 3);
    ck_assert(memcmp(order, "ABD", 3) == 0);

    ck_assert_int_eq(cio_spawn(&k, order_canceller, NULL), 0);
    ck_assert_int_eq(cio_spawn(&order_victim, order_cancelled, NULL), 0);
    ck_assert_int_eq(cio_join(k), 0);
    /* The real result: the op won the race with the cancel. */
    ck_assert_int_eq(cio_join(order_victim), 0);
    return 0;
}

START_TEST(test_reap_order)
{
    cio_runtime *rt = rt_for(_i);

    if (rt == NULL)
        return;
    ck_assert_int_eq(cio_block_on(rt, order_main, NULL), 0);
    cio_runtime_free(rt);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("await");
    TCase *tc = tcase_create("await");

#ifdef _WIN32
    run_planted();
    tcase_add_test(tc, test_task_failure_reported);
#endif

    tcase_add_loop_test(tc, test_results, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_cancel_io, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_free_cancels_io, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_deadline, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_deadline_cancel, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_submit_cb, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_spawn_blocking, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_more_completions, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_free_runs_pending_cbs, 0, NBACKENDS);
    tcase_add_loop_test(tc, test_reap_order, 0, NBACKENDS);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
