/* SPDX-License-Identifier: MIT */
/*
 * check_process.h - what the compio/process.h suites share: reading a
 * stream to its end, writing all of a buffer, and the "no child left"
 * check every test body ends with.
 */
#ifndef CHECK_PROCESS_H
#define CHECK_PROCESS_H

#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "cio_test_api.h"
#include "compio/process.h"

#define MS CIO_NS_PER_MS

/* Read @s to its end; a malloc'd, NUL-terminated buffer. */
static inline char *
proc_read_all(cio_stream *s, size_t *lenp)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap + 1);
    int64_t n;

    ck_assert_ptr_nonnull(buf);
    for (;;) {
        if (cap == len) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            ck_assert_ptr_nonnull(buf);
        }
        n = cio_stream_read(s, buf + len, cap - len);
        ck_assert_msg(n >= 0, "read: %s", cio_errname((int)n));
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (lenp != NULL)
        *lenp = len;
    return buf;
}

/* Write all @len bytes of @buf to @s. */
static inline void
proc_write_all(cio_stream *s, const char *buf, size_t len)
{
    while (len > 0) {
        int64_t n = cio_stream_write(s, buf, len);

        ck_assert_msg(n > 0, "write: %s", cio_errname((int)n));
        buf += n;
        len -= (size_t)n;
    }
}

/* No child of this process is left: not running, not a zombie. */
static inline void
proc_assert_no_children(void)
{
    pid_t p = waitpid(-1, NULL, WNOHANG);

    ck_assert_msg(p == -1 && errno == ECHILD,
                  "a child is left behind (waitpid: %d)", (int)p);
}

/* A command for @prog with the NULL-terminated arguments that follow. */
static inline cio_command *
proc_cmd(const char *prog, const char *const *args)
{
    cio_command *cmd;

    ck_assert_int_eq(cio_command_new(&cmd, prog), 0);
    if (args != NULL)
        ck_assert_int_eq(cio_command_args(cmd, args), 0);
    return cmd;
}

/* The wait-path suites (check_process_wait.c), added to @tc. */
void proc_add_wait_tests(TCase *tc);

#endif /* CHECK_PROCESS_H */
