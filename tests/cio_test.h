/* SPDX-License-Identifier: MIT */
/*
 * cio_test.h - small helpers shared by the Check suites. Header-only so
 * each test program stays one file plus this.
 */
#ifndef CIO_TEST_H
#define CIO_TEST_H

/*
 * compio-conformance builds the backend suites without Check, on a
 * Check-compatible subset (tools/cio_minicheck.h); everything else, and
 * "make check" itself, uses Check.
 */
#ifdef CIO_TEST_MINICHECK
#include "cio_minicheck.h"
#else
#include <check.h>
#endif
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** Exit code the automake drivers read as SKIP. */
#define CIO_TEST_SKIP 77

/**
 * Skip the whole program: a TAP "skip all" plan (counted as SKIP by the
 * TAP driver) and exit 77 (counted as SKIP when run by hand or by the
 * plain driver).
 */
static inline void
cio_test_skip_all(const char *fmt, ...)
{
    va_list ap;
    printf("1..0 # SKIP ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    exit(CIO_TEST_SKIP);
}

/** Run @s and return the process exit code (0 only if all passed). */
static inline int
cio_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/** $CIO_TEST_SRCDIR/@rel (the tests/ source dir) into @buf. */
static inline const char *
cio_test_srcpath(char *buf, size_t len, const char *rel)
{
    const char *dir = getenv("CIO_TEST_SRCDIR");
    snprintf(buf, len, "%s/%s", dir ? dir : ".", rel);
    return buf;
}

/** $CIO_TEST_BUILDDIR/@rel (the tests/ build dir) into @buf. */
static inline const char *
cio_test_buildpath(char *buf, size_t len, const char *rel)
{
    const char *dir = getenv("CIO_TEST_BUILDDIR");
    snprintf(buf, len, "%s/%s", dir ? dir : ".", rel);
    return buf;
}

/**
 * Number of open file descriptors of this process, for leak checks
 * around a test (count before, count after, compare).
 */
static inline int
cio_test_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

/** A fresh directory under $TMPDIR (or /tmp); path written to @buf. */
static inline const char *
cio_test_mkdtemp(char *buf, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, len, "%s/cio-test-XXXXXX", tmp ? tmp : "/tmp");
    return mkdtemp(buf);
}

/*
 * Non-zero under valgrind. Some cases check kernel behaviour that
 * valgrind emulates differently (it checks a syscall's whole buffer
 * length, and runs exec itself): they print a note and skip that part.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CIO_TEST_HAVE_VALGRIND_H 1
#endif
#endif
static inline int
cio_test_under_valgrind(void)
{
#ifdef CIO_TEST_HAVE_VALGRIND_H
    return RUNNING_ON_VALGRIND != 0;
#else
    return 0;
#endif
}

#endif /* CIO_TEST_H */
