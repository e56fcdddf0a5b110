/* SPDX-License-Identifier: MIT */
/*
 * check_err_rt.c - documented errors of compio/runtime.h, driver.h and
 * io.h that the other suites do not produce (found by
 * scripts/error-audit.py): a write to a pipe without reader after
 * cio_runtime_new (CIO_EPIPE, not SIGPIPE), a post once free has
 * finished the tasks (CIO_ESHUTDOWN), too many fixed buffers
 * (CIO_EINVAL), and cio_read_exact cancelled half way (CIO_ECANCELED
 * with the bytes so far counted).
 *
 * On Windows (iocp, under wine in this tree) every case runs: there is
 * no SIGPIPE, so the first one checks that a write to a named pipe
 * whose reader has gone is CIO_EPIPE (tests/cio_test_win32.h's pipe).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifdef _WIN32
#include "cio_test_win32.h"
#else
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "cio_test.h"
#include "compio/driver.h"
#include "compio/fs.h"
#include "compio/io.h"
#include "compio/runtime.h"

#define MS 1000000ull

#ifdef _WIN32
static intptr_t epipe_fds[2];
#else
static int epipe_fds[2];
#endif

static int
epipe_body(void *arg)
{
    cio_op op;

    (void)arg;
    cio_op_write(&op, epipe_fds[1], "x", 1);
    return cio_submit_wait(&op);
}

#ifdef _WIN32
START_TEST(t_runtime_new_epipe)
{
    cio_runtime *rt;
    int p[2];

    ck_assert_int_eq(cio_runtime_new(&rt, NULL), 0);
    ck_assert_int_eq(pipe2(p, 0), 0);
    epipe_fds[0] = (intptr_t)p[0];
    epipe_fds[1] = (intptr_t)p[1];
    /* The reading (server) end goes: the writer's pipe is closing. */
    ck_assert_int_eq(close(p[0]), 0);
    ck_assert_int_eq(cio_driver_attach(cio_runtime_driver(rt), epipe_fds[1]),
                     0);
    ck_assert_int_eq(cio_block_on(rt, epipe_body, NULL), CIO_EPIPE);
    ck_assert_int_eq(close(p[1]), 0);
    cio_runtime_free(rt);
}
END_TEST
#else
START_TEST(t_runtime_new_epipe)
{
    struct sigaction sa;
    cio_runtime *rt;

    /* Start from the default action, as a fresh program does. */
    signal(SIGPIPE, SIG_DFL);
    ck_assert_int_eq(cio_runtime_new(&rt, NULL), 0);
    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    ck_assert_ptr_eq((void *)sa.sa_handler, (void *)SIG_IGN);
    ck_assert_int_eq(pipe(epipe_fds), 0);
    ck_assert_int_eq(close(epipe_fds[0]), 0);
    ck_assert_int_eq(cio_driver_attach(cio_runtime_driver(rt), epipe_fds[1]),
                     0);
    /* The write fails with EPIPE instead of killing the process. */
    ck_assert_int_eq(cio_block_on(rt, epipe_body, NULL), CIO_EPIPE);
    ck_assert_int_eq(close(epipe_fds[1]), 0);
    cio_runtime_free(rt);
}
END_TEST
#endif

/* ---- a post chain that runs into the shutdown ---- */

static cio_runtime *chain_rt;
static long chain_runs;
static int chain_last;

static void
chain_post(void *arg)
{
    (void)arg;
    chain_runs++;
    /* Accepted while free finishes the tasks; refused once it has. */
    chain_last = cio_runtime_post(chain_rt, chain_post, NULL);
}

static int
chain_sleeper(void *arg)
{
    (void)arg;
    return cio_sleep(3600 * 1000 * MS);
}

static int
chain_start(void *arg)
{
    (void)arg;
    /* A task still parked when free starts: free cancels it first. */
    return cio_spawn(NULL, chain_sleeper, NULL);
}

START_TEST(t_post_shutdown)
{
    ck_assert_int_eq(cio_runtime_new(&chain_rt, NULL), 0);
    chain_runs = 0;
    chain_last = 1;
    ck_assert_int_eq(cio_runtime_post(chain_rt, chain_post, NULL), 0);
    ck_assert_int_eq(cio_block_on(chain_rt, chain_start, NULL), 0);
    cio_runtime_free(chain_rt);
    /* The chain ran until free closed the queue, and then stopped. */
    ck_assert_int_ge(chain_runs, 1);
    ck_assert_int_eq(chain_last, CIO_ESHUTDOWN);
}
END_TEST

/* ---- fixed buffers: at most 16384 ---- */

#ifdef _WIN32
static const char *const rt_backends[] = {"iocp"};
#else
static const char *const rt_backends[] = {"epoll", "uring"};
#endif
#define RT_NBACKENDS ((int)(sizeof rt_backends / sizeof rt_backends[0]))

START_TEST(t_register_too_many)
{
    const char *const *names = rt_backends;
    cio_config *cfg;
    cio_driver *drv;
    cio_iovec *iov = calloc(16385, sizeof *iov);
    int r;

    ck_assert_ptr_nonnull(iov);
    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", names[_i]), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    r = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    if (r < 0) {
        printf("# %s not loadable here (%s): not run\n", names[_i],
               cio_errname(r));
        free(iov);
        return;
    }
    /* Empty slots ({NULL, 0}) are fine; one slot too many is not. */
    ck_assert_int_eq(cio_driver_register_buffers(drv, iov, 16385), CIO_EINVAL);
    ck_assert_int_eq(cio_driver_unregister_buffers(drv), CIO_ENXIO);
    ck_assert_int_eq(cio_driver_register_buffers(drv, iov, 16384), 0);
    ck_assert_int_eq(cio_driver_unregister_buffers(drv), 0);
    cio_driver_close(drv);
    free(iov);
}
END_TEST

/* ---- cio_read_exact cancelled half way ---- */

typedef struct exact_args {
    cio_stream *r;
    size_t done;
    char buf[10];
} exact_args;

static int
exact_reader(void *arg)
{
    exact_args *a = arg;

    return cio_read_exact(a->r, a->buf, sizeof a->buf, &a->done);
}

static int
exact_body(void *arg)
{
    exact_args a;
    cio_stream *w;
    cio_task *t;

    (void)arg;
    memset(&a, 0, sizeof a);
    ck_assert_int_eq(cio_pipe(&a.r, &w), 0);
    ck_assert_int_eq(cio_spawn(&t, exact_reader, &a), 0);
    ck_assert_int_eq(cio_stream_write(w, "abc", 3), 3);
    /* Let the reader take the three bytes (then it waits for more). */
    for (;;) {
#ifdef _WIN32
        DWORD pending = 0;
        ck_assert(PeekNamedPipe((HANDLE)cio_stream_fd(a.r), NULL, 0, NULL,
                                &pending, NULL));
#else
        int pending = 0;
        ck_assert_int_eq(ioctl((int)cio_stream_fd(a.r), FIONREAD, &pending), 0);
#endif
        if (pending == 0)
            break;
        ck_assert_int_eq(cio_sleep(MS), 0);
    }
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    ck_assert_uint_eq(a.done, 3);
    ck_assert_int_eq(memcmp(a.buf, "abc", 3), 0);
    ck_assert_int_eq(cio_stream_close(w), 0);
    ck_assert_int_eq(cio_stream_close(a.r), 0);
    return 0;
}

START_TEST(t_read_exact_cancel)
{
    int fds = cio_test_count_fds();

    ck_assert_int_eq(cio_block_on(NULL, exact_body, NULL), 0);
    ck_assert_int_eq(cio_test_count_fds(), fds);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("err_rt");
    TCase *tc = tcase_create("errors");

    tcase_add_test(tc, t_runtime_new_epipe);
    tcase_add_test(tc, t_post_shutdown);
    tcase_add_loop_test(tc, t_register_too_many, 0, RT_NBACKENDS);
    tcase_add_test(tc, t_read_exact_cancel);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
