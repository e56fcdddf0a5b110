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
#ifndef _WIN32
#include <fcntl.h>
#endif

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

#ifdef _WIN32
/*
 * The few POSIX calls the suites use that mingw's C library lacks, in
 * the forms the suites use them. The CRT's environment is shared with
 * libcompio-0.dll (both use msvcrt.dll), so getenv there sees these.
 */
#include <direct.h>
#include <fcntl.h>
#include <io.h>
#include <windows.h>

/* Not inherited by child processes: the CRT's counterpart. */
#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif

/*
 * A CRT pipe (binary, 64 KiB). The CRT has no non-blocking pipes, so
 * the flag is refused rather than ignored: a test that needs EAGAIN
 * from a pipe is POSIX-only.
 */
static inline int
cio_test_pipe(int p[2])
{
    return _pipe(p, 65536, _O_BINARY | _O_NOINHERIT);
}

/** The cio_fd (a HANDLE, as intptr_t) of CRT descriptor @fd. */
static inline intptr_t
cio_test_fd(int fd)
{
    return (intptr_t)_get_osfhandle(fd);
}

static inline int
setenv(const char *name, const char *value, int overwrite)
{
    if (!overwrite && getenv(name) != NULL)
        return 0;
    return _putenv_s(name, value) == 0 ? 0 : -1;
}

static inline int
unsetenv(const char *name)
{
    /* An empty value removes the variable. */
    return _putenv_s(name, "") == 0 ? 0 : -1;
}

/** A fresh directory under %TEMP%; path written to @buf. */
static inline const char *
cio_test_mkdtemp(char *buf, size_t len)
{
    const char *tmp = getenv("TEMP");
    snprintf(buf, len, "%s\\cio-test-XXXXXX", tmp ? tmp : ".");
    if (_mktemp_s(buf, strlen(buf) + 1) != 0 || _mkdir(buf) != 0)
        return NULL;
    return buf;
}
#else
/** A close-on-exec pipe. */
static inline int
cio_test_pipe(int p[2])
{
    if (pipe(p) < 0)
        return -1;
    (void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/** The cio_fd of descriptor @fd: the same number on POSIX. */
static inline int
cio_test_fd(int fd)
{
    return fd;
}

/** A fresh directory under $TMPDIR (or /tmp); path written to @buf. */
static inline const char *
cio_test_mkdtemp(char *buf, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, len, "%s/cio-test-XXXXXX", tmp ? tmp : "/tmp");
    return mkdtemp(buf);
}
#endif

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

/*
 * Non-zero when a Windows program runs under wine (its ntdll exports
 * wine_get_version). A few sizes are smaller there, with a note, where
 * wine itself gives out long before Windows would.
 */
static inline int
cio_test_under_wine(void)
{
#ifdef _WIN32
    HMODULE nt = GetModuleHandleA("ntdll.dll");
    return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
#else
    return 0;
#endif
}

#endif /* CIO_TEST_H */
