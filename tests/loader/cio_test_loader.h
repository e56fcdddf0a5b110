/* SPDX-License-Identifier: MIT */
/*
 * cio_test_loader.h - what the loader suites share (check_loader and
 * check_loader_win32): where the fixture modules are, the per-case
 * setup, and small helpers to copy a module, open a driver on a backend
 * name or path, and read the error detail. Header-only, like cio_test.h.
 */
#ifndef CIO_TEST_LOADER_H
#define CIO_TEST_LOADER_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <compio.h>

#include "cio_test.h"

/*
 * What differs on Windows: modules are .dll, and the CRT must copy
 * module files in binary mode.
 */
#ifdef _WIN32
#define SO ".dll"
#else
#define SO ".so"
#define O_BINARY 0
#endif

static char fixdir[PATH_MAX];  /* fixture modules */
static char autodir[PATH_MAX]; /* auto/: refused uring, working epoll */

static inline void
setup(void)
{
    cio_test_buildpath(fixdir, sizeof(fixdir), "loader/fixtures/.libs");
    cio_test_buildpath(autodir, sizeof(autodir), "loader/fixtures/auto/.libs");
    setenv("COMPIO_MODULE_PATH", fixdir, 1);
    unsetenv("COMPIO_BACKEND");
    unsetenv("COMPIO_CONFIG");
}

static inline void
assert_detail_has(const char *needle)
{
    const char *d = cio_error_detail();

    ck_assert_msg(strstr(d, needle) != NULL, "detail '%s' lacks '%s'", d,
                  needle);
}

/* Copy @src to @dst, at most @max bytes (0: all). */
static inline void
copy_file(const char *src, const char *dst, size_t max)
{
    char buf[8192];
    size_t total = 0;
    ssize_t n;
    int in = open(src, O_RDONLY | O_BINARY), out;

    ck_assert_msg(in >= 0, "open %s", src);
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_BINARY, 0755);
    ck_assert_msg(out >= 0, "create %s", dst);
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        if (max != 0 && total + (size_t)n > max)
            n = (ssize_t)(max - total);
        ck_assert_int_eq(write(out, buf, (size_t)n), n);
        total += (size_t)n;
        if (max != 0 && total >= max)
            break;
    }
    close(in);
    close(out);
}

static inline void
path_in(char *buf, size_t len, const char *dir, const char *file)
{
    size_t n = strlen(dir);

    ck_assert_uint_lt(n + strlen(file) + 1, len);
    memcpy(buf, dir, n);
    buf[n] = '/';
    strcpy(buf + n + 1, file);
}

static inline cio_config *
config_for(const char *backend, const char *fallback)
{
    cio_config *cfg = NULL;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    if (backend != NULL)
        ck_assert_msg(cio_config_set(cfg, "runtime", "backend", backend) == 0,
                      "%s", cio_error_detail());
    if (fallback != NULL)
        ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", fallback),
                         0);
    return cfg;
}

/* Open a driver on @backend; returns the code, closes any driver. */
static inline int
try_open(const char *backend, const char *fallback)
{
    cio_config *cfg = config_for(backend, fallback);
    cio_driver *drv = NULL;
    int rc = cio_driver_open(&drv, cfg);

    cio_config_free(cfg);
    if (rc == 0) {
        ck_assert_ptr_nonnull(drv);
        cio_driver_close(drv);
    } else {
        ck_assert_ptr_null(drv);
    }
    return rc;
}

#endif /* CIO_TEST_LOADER_H */
