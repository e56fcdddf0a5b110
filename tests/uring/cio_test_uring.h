/* SPDX-License-Identifier: MIT */
/*
 * cio_test_uring.h - what the io_uring suites (check_uring.c: set-up,
 * per-op fallback, seccomp, knobs; check_uring_ops.c: SQ and CQ limits,
 * notify, cancel, teardown, batches; check_uring_beyond.c: the beyond
 * features' uring-only paths) share: opening a uring driver with
 * [module.uring] knobs, running one op, raising the descriptor limit,
 * and a main that SKIPs when io_uring cannot run here.
 */
#ifndef CIO_TEST_URING_H
#define CIO_TEST_URING_H

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <compio.h>

#include "cio_test.h"
#include "cio_test_driver.h"

/*
 * Open a uring driver (fallback = no) with [module.uring] settings
 * given as "key", "value", ..., NULL. Returns cio_driver_open's result.
 */
static inline int
open_uring(cio_driver **drv, ...)
{
    cio_config *cfg = NULL;
    const char *k;
    va_list ap;
    int r;
    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", "uring"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    va_start(ap, drv);
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        ck_assert_int_eq(cio_config_set(cfg, "module.uring", k, v), 0);
    }
    va_end(ap);
    *drv = NULL;
    r = cio_driver_open(drv, cfg);
    cio_config_free(cfg);
    return r;
}

/*
 * For the tests that run twice (tcase_add_loop_test): on round 1 the
 * last knob is cancel_any = no; on round 0 the NULL key ends the list.
 */
#define CANCEL_KNOB(i) ((i) ? "cancel_any" : NULL), "no"

static inline cio_driver *
must_open(cio_driver **pdrv, int r)
{
    cio_driver *drv = *pdrv;
    ck_assert_msg(r == 0, "cio_driver_open(uring): %s: %s", cio_errname(r),
                  cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "uring");
    return drv;
}

static inline int32_t
run1(cio_driver *drv, cio_op *op)
{
    cio_entry e;
    cio_test_push(drv, op, 99);
    cio_test_reap(drv, &e, 1, 10000);
    ck_assert_ptr_eq(e.op, op);
    return e.result;
}

/* Raise RLIMIT_NOFILE towards @want; returns the soft limit reached. */
static inline rlim_t
want_fds(rlim_t want)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

/*
 * The programs' main: SKIP (exit 77) with the reason when io_uring cannot
 * run here, else run @s.
 */
static inline int
cio_test_uring_main(Suite *(*make)(void))
{
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    int usable;
    if (cio_config_new(&cfg) < 0 ||
        cio_config_set(cfg, "runtime", "backend", "uring") < 0 ||
        cio_config_set(cfg, "runtime", "fallback", "no") < 0 ||
        cio_backend_scan(cfg, &list) < 0) {
        fprintf(stderr, "cannot scan for the uring backend\n");
        return EXIT_FAILURE;
    }
    cio_config_free(cfg);
    usable = list->chosen != NULL && strcmp(list->chosen, "uring") == 0;
    if (!usable) {
        char why[512];
        snprintf(why, sizeof(why), "%s",
                 list->chosen_why ? list->chosen_why : "unavailable");
        for (char *c = why; *c; c++)
            if (*c == '\n')
                *c = ' ';
        cio_backend_list_free(list);
        cio_test_skip_all("uring unavailable: %s", why);
    }
    cio_backend_list_free(list);
    return cio_test_run(make());
}

#endif /* CIO_TEST_URING_H */
