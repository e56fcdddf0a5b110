/* SPDX-License-Identifier: MIT */
/*
 * cio_test_driver.h - helpers for suites that drive a cio_driver
 * directly: push with a tag, reap an exact number of completions within
 * a deadline. Header-only, like cio_test.h.
 */
#ifndef CIO_TEST_DRIVER_H
#define CIO_TEST_DRIVER_H

#include <stdint.h>
#include <time.h>

#include <compio.h>

#include "cio_test.h"

/** Monotonic milliseconds. */
static inline uint64_t
cio_test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/** Push @op tagged @ud; the push itself must succeed. */
static inline void
cio_test_push(cio_driver *drv, cio_op *op, uint64_t ud)
{
    op->user_data = ud;
    ck_assert_int_eq(cio_driver_push(drv, op), 0);
}

/*
 * Reap exactly @want completions within @ms; each lands in @out in
 * arrival order. Fails on a timeout or an error return. @ms only guards
 * against a hang: it is raised to at least CIO_TEST_REAP_MIN_MS, so that
 * a slow run (valgrind, sanitizers, a loaded machine) never reads as a
 * lost completion.
 */
#define CIO_TEST_REAP_MIN_MS 60000
static inline void
cio_test_reap(cio_driver *drv, cio_entry *out, int want, int ms)
{
    uint64_t end;
    int got = 0;
    if (ms < CIO_TEST_REAP_MIN_MS)
        ms = CIO_TEST_REAP_MIN_MS;
    end = cio_test_now_ms() + (uint64_t)ms;
    while (got < want) {
        uint64_t t = cio_test_now_ms();
        int n;
        ck_assert_msg(t < end, "only %d of %d completions after %d ms", got,
                      want, ms);
        n = cio_driver_poll(drv, (int)(end - t), out + got, want - got);
        ck_assert_msg(n >= 0, "poll: %s", cio_errname(n));
        got += n;
    }
}

#endif /* CIO_TEST_DRIVER_H */
