/* SPDX-License-Identifier: MIT */
/*
 * cio_test_api.h - run a test body as a task on each backend of the
 * platform: epoll and uring on Linux, iocp on Windows.
 *
 *     static int body(void *arg) { ... ck_assert...; return 0; }
 *     START_TEST(t_x) { cio_test_api_run(_i, body, NULL); } END_TEST
 *     ...
 *     tcase_add_loop_test(tc, t_x, 0, CIO_TEST_NBACKENDS);
 *
 * A backend that cannot load here is reported and the case passes
 * without running; a program where none loads skips as a whole (the
 * suites' main() should call cio_test_api_require_one()).
 */
#ifndef CIO_TEST_API_H
#define CIO_TEST_API_H

#include <stdio.h>

#include "cio_test.h"
#include "compio.h"

#ifdef _WIN32
/* Windows has one backend: IOCP (modules/iocp), run under wine in CI. */
static const char *const cio_test_backends[] = {"iocp"};
#define CIO_TEST_NBACKENDS 1
#else
static const char *const cio_test_backends[] = {"epoll", "uring"};
#define CIO_TEST_NBACKENDS 2
#endif

/*
 * What the leak check counts: open descriptors on POSIX, the process's
 * handles on Windows (sockets, files, events and threads alike).
 */
#ifdef _WIN32
/*
 * Check runs without fork on Windows and leaves a failed assertion by
 * longjmp, which from a task's fiber crashed the program under wine:
 * tests/cio_test_win32.h catches such failures in the task and hands
 * them to Check from the thread's own stack.
 */
#ifndef CIO_TEST_WIN32_CATCH_ONLY
#define CIO_TEST_WIN32_CATCH_ONLY
#endif
#include "cio_test_win32.h"

static inline int
cio_test_api_count(void)
{
    DWORD n = 0;

    if (!GetProcessHandleCount(GetCurrentProcess(), &n))
        return -1;
    return (int)n;
}
#else
#define cio_test_api_count cio_test_count_fds
#endif

/* The backend the current case runs on (for messages and asserts). */
static const char *cio_test_backend_name;

/*
 * Under fault injection (tests/faulty/api.sh): CIO_TEST_FAULTY names an
 * ini with a [module.faulty] section, and backend @i runs wrapped in the
 * "faulty" module instead of directly. NULL otherwise.
 */
static inline const char *
cio_test_api_faulty(void)
{
    const char *ini = getenv("CIO_TEST_FAULTY");
    return ini != NULL && ini[0] != '\0' ? ini : NULL;
}

/*
 * A runtime on backend @i, or NULL (with *@err) when it cannot load.
 * No ck_assert here: main() calls it too, outside any test case.
 */
static inline cio_runtime *
cio_test_api_try_runtime(int i, int *err)
{
    const char *faulty = cio_test_api_faulty();
    cio_config *cfg;
    cio_runtime *rt = NULL;
    int r;

    r = cio_config_new(&cfg);
    if (r == 0 && faulty != NULL) {
        r = cio_config_load(cfg, faulty);
        if (r == 0)
            r = cio_config_set(cfg, "module.faulty", "inner",
                               cio_test_backends[i]);
    }
    if (r == 0)
        r = cio_config_set(cfg, "runtime", "backend",
                           faulty != NULL ? "faulty" : cio_test_backends[i]);
    if (r == 0)
        r = cio_config_set(cfg, "runtime", "fallback", "no");
    if (r == 0)
        r = cio_runtime_new(&rt, cfg);
    cio_config_free(cfg);
    *err = r;
    return r < 0 ? NULL : rt;
}

/* A runtime on backend @i, or NULL when it cannot load here. */
static inline cio_runtime *
cio_test_api_runtime(int i)
{
    int r;
    cio_runtime *rt = cio_test_api_try_runtime(i, &r);

    if (rt == NULL) {
        printf("# %s backend not loadable here (%s): not run\n",
               cio_test_backends[i], cio_errname(r));
        return NULL;
    }
    ck_assert_str_eq(cio_driver_backend(cio_runtime_driver(rt)),
                     cio_test_api_faulty() != NULL ? "faulty"
                                                   : cio_test_backends[i]);
    return rt;
}

/* Run @fn(@arg) as the main task on backend @i; assert it returned 0
 * and that no descriptor leaked. */
static inline void
cio_test_api_run(int i, cio_task_fn fn, void *arg)
{
    cio_runtime *rt;
    int fds0 = cio_test_api_count();
    int r;

    rt = cio_test_api_runtime(i);
    if (rt == NULL)
        return;
    cio_test_backend_name = cio_test_backends[i];
    r = cio_block_on(rt, fn, arg);
    cio_runtime_free(rt);
    ck_assert_msg(r == 0, "%s: task returned %d (%s)", cio_test_backends[i],
                  r, r < 0 ? cio_errname(r) : "-");
    ck_assert_msg(cio_test_api_count() == fds0,
                  "%s: descriptors leaked (%d before, %d after)",
                  cio_test_backends[i], fds0, cio_test_api_count());
}

/* Skip the whole program (exit 77) when no backend loads at all. */
static inline void
cio_test_api_require_one(void)
{
    int i;

    for (i = 0; i < CIO_TEST_NBACKENDS; i++) {
        int r;
        cio_runtime *rt = cio_test_api_try_runtime(i, &r);
        if (rt != NULL) {
            cio_runtime_free(rt);
            return;
        }
    }
    cio_test_skip_all("no backend loads here");
}

#endif /* CIO_TEST_API_H */
