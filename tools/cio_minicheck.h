/* SPDX-License-Identifier: MIT */
/*
 * cio_minicheck.h - the part of Check's API that the backend conformance
 * suites use (START_TEST, ck_assert_*, suites, test cases, a runner),
 * implemented in cio_minicheck.c, so that the installed compio-conformance
 * runs the very same suite sources as "make check" without Check.
 *
 * Why not link the tool with Check: Check is a test-time dependency. It
 * is absent from machines that only install compio, Debian ships it as a
 * static library only (libcheck.a, no runtime package), so the installed
 * tool would need Check at build time and "--disable-unit-tests" would
 * have to drop an installed program; and linking Check's LGPL code into
 * an installed binary statically puts relinking obligations on everyone
 * who ships it. The suites use a small, stable subset of Check, which
 * this file reimplements with Check's semantics: every test runs in its
 * own forked child (CK_FORK=no runs them in-process, for debuggers),
 * with a timeout (tcase_set_timeout, CK_DEFAULT_TIMEOUT,
 * CK_TIMEOUT_MULTIPLIER); a failed assertion ends the test with the file,
 * the line and the message. The in-tree programs keep using real Check;
 * tests/cio_test.h picks this header when CIO_TEST_MINICHECK is defined.
 *
 * Results are printed as TAP ("ok 3 - suite:case:test") or as a
 * summary, chosen with cio_ck_set_output().
 */
#ifndef CIO_MINICHECK_H
#define CIO_MINICHECK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CIO_CK_NORETURN __attribute__((noreturn))
#define CIO_CK_UNUSED __attribute__((unused))
#else
#define CIO_CK_NORETURN
#define CIO_CK_UNUSED
#endif

/** One test function, as START_TEST declares it (Check's TTest). */
typedef struct TTest {
    const char *name;   /**< The test's name. */
    void (*fn)(int _i); /**< Its body; _i is the loop index. */
    const char *file;   /**< Where it is defined. */
    int line;           /**< (for messages). */
} TTest;

/** A named group of test cases. */
typedef struct Suite Suite;
/** A named group of tests sharing a timeout and fixtures. */
typedef struct TCase TCase;
/** Runs suites and counts failures. */
typedef struct SRunner SRunner;
/** A fixture function (setup or teardown). */
typedef void (*SFun)(void);

/** Check's verbosity values; only CK_NORMAL and CK_VERBOSE differ. */
enum print_output { CK_SILENT, CK_MINIMAL, CK_NORMAL, CK_VERBOSE, CK_ENV };

/** Begin a test: START_TEST(name) { ... } END_TEST */
#define START_TEST(__testname)                                                 \
    static void __testname##_fn(int _i CIO_CK_UNUSED);                         \
    static const TTest __testname##_ttest = {#__testname, __testname##_fn,     \
                                             __FILE__, __LINE__};              \
    static const TTest *__testname = &__testname##_ttest;                      \
    static void __testname##_fn(int _i CIO_CK_UNUSED)
/** End a test (nothing to do; kept for Check compatibility). */
#define END_TEST

/** Make a suite called @name. */
Suite *suite_create(const char *name);
/** Add @tc to @s; the suite owns it from now on. */
void suite_add_tcase(Suite *s, TCase *tc);
/** Make a test case called @name (default timeout: 4 s, as in Check). */
TCase *tcase_create(const char *name);
/** Seconds each test of @tc may run before it counts as failed. */
void tcase_set_timeout(TCase *tc, double timeout);
/** Run @setup before and @teardown after each test, in its process. */
void tcase_add_checked_fixture(TCase *tc, SFun setup, SFun teardown);
/** Add @tf, run for _i in [@start, @end). */
void cio_ck_add_test(TCase *tc, const TTest *tf, int start, int end);
/** Add one test. */
#define tcase_add_test(tc, tf) cio_ck_add_test((tc), (tf), 0, 1)
/** Add a loop test, run for each _i in [start, end). */
#define tcase_add_loop_test(tc, tf, s, e) cio_ck_add_test((tc), (tf), (s), (e))

/** A runner for @s (may be NULL; add more with srunner_add_suite). */
SRunner *srunner_create(Suite *s);
/** Add another suite to @sr. */
void srunner_add_suite(SRunner *sr, Suite *s);
/** Run every selected test of every suite, printing as configured. */
void srunner_run_all(SRunner *sr, enum print_output mode);
/** Tests that failed (assertion, crash, timeout) in the last run. */
int srunner_ntests_failed(SRunner *sr);
/** Tests that ran in the last run. */
int srunner_ntests_run(SRunner *sr);
/** Free @sr and its suites. */
void srunner_free(SRunner *sr);

/* ---- minicheck's own knobs (no Check equivalent) ---- */

/** Output styles of srunner_run_all. */
enum cio_ck_output {
    CIO_CK_TAP = 0,    /**< "ok N - suite:case:test", plan first. */
    CIO_CK_SUMMARY = 1 /**< "PASS  test  0.01 s", then totals. */
};
/** Choose the output style (default: TAP). */
void cio_ck_set_output(enum cio_ck_output out);
/** Run only the tests named in the comma-separated @names (NULL: all). */
void cio_ck_select(const char *names);
/**
 * The names given to cio_ck_select that match no test of @sr, comma-
 * separated, or NULL when all match. Valid until the next call.
 */
const char *cio_ck_unmatched(SRunner *sr);
/** Print every test as suite:case:test instead of running it. */
void cio_ck_list(SRunner *sr);

/* ---- assertions ---- */

/** Fail the running test: file, line, message. Never returns. */
void cio_ck_failed(const char *file, int line, const char *expr,
                   const char *fmt, ...) CIO_CK_NORETURN;

/** Fail the test unless @expr holds. */
#define ck_assert(expr)                                                        \
    ((expr) ? (void)0                                                          \
            : cio_ck_failed(__FILE__, __LINE__,                                \
                            "Assertion '" #expr "' failed", NULL))
/** Fail with a printf-style message unless @expr holds. */
#define ck_assert_msg(expr, ...)                                               \
    ((expr) ? (void)0                                                          \
            : cio_ck_failed(__FILE__, __LINE__,                                \
                            "Assertion '" #expr "' failed", __VA_ARGS__))
/** Fail the test unconditionally. */
#define ck_abort_msg(...)                                                      \
    cio_ck_failed(__FILE__, __LINE__, "Failed", __VA_ARGS__)

#define CIO_CK_CMP(X, OP, Y, T, FMT)                                           \
    do {                                                                       \
        T cio_ck_x = (T)(X);                                                   \
        T cio_ck_y = (T)(Y);                                                   \
        ck_assert_msg(cio_ck_x OP cio_ck_y,                                    \
                      "Assertion '%s' failed: %s == " FMT ", %s == " FMT,      \
                      #X " " #OP " " #Y, #X, cio_ck_x, #Y, cio_ck_y);          \
    } while (0)

#define ck_assert_int_eq(X, Y) CIO_CK_CMP(X, ==, Y, intmax_t, "%jd")
#define ck_assert_int_ne(X, Y) CIO_CK_CMP(X, !=, Y, intmax_t, "%jd")
#define ck_assert_int_lt(X, Y) CIO_CK_CMP(X, <, Y, intmax_t, "%jd")
#define ck_assert_int_le(X, Y) CIO_CK_CMP(X, <=, Y, intmax_t, "%jd")
#define ck_assert_int_gt(X, Y) CIO_CK_CMP(X, >, Y, intmax_t, "%jd")
#define ck_assert_int_ge(X, Y) CIO_CK_CMP(X, >=, Y, intmax_t, "%jd")
#define ck_assert_uint_eq(X, Y) CIO_CK_CMP(X, ==, Y, uintmax_t, "%ju")
#define ck_assert_uint_ne(X, Y) CIO_CK_CMP(X, !=, Y, uintmax_t, "%ju")
#define ck_assert_uint_lt(X, Y) CIO_CK_CMP(X, <, Y, uintmax_t, "%ju")
#define ck_assert_uint_le(X, Y) CIO_CK_CMP(X, <=, Y, uintmax_t, "%ju")
#define ck_assert_uint_gt(X, Y) CIO_CK_CMP(X, >, Y, uintmax_t, "%ju")
#define ck_assert_uint_ge(X, Y) CIO_CK_CMP(X, >=, Y, uintmax_t, "%ju")

#define CIO_CK_PTR(X, OP, Y)                                                   \
    do {                                                                       \
        const void *cio_ck_x = (const void *)(X);                              \
        const void *cio_ck_y = (const void *)(Y);                              \
        ck_assert_msg(cio_ck_x OP cio_ck_y,                                    \
                      "Assertion '%s' failed: %s == %p, %s == %p",             \
                      #X " " #OP " " #Y, #X, cio_ck_x, #Y, cio_ck_y);          \
    } while (0)

#define ck_assert_ptr_eq(X, Y) CIO_CK_PTR(X, ==, Y)
#define ck_assert_ptr_ne(X, Y) CIO_CK_PTR(X, !=, Y)
#define ck_assert_ptr_null(X) CIO_CK_PTR(X, ==, NULL)
#define ck_assert_ptr_nonnull(X) CIO_CK_PTR(X, !=, NULL)

#define CIO_CK_STR(X, OP, Y)                                                   \
    do {                                                                       \
        const char *cio_ck_x = (X);                                            \
        const char *cio_ck_y = (Y);                                            \
        ck_assert_msg(cio_ck_x != NULL && cio_ck_y != NULL &&                  \
                          strcmp(cio_ck_x, cio_ck_y) OP 0,                     \
                      "Assertion '%s' failed: %s == \"%s\", %s == \"%s\"",     \
                      #X " " #OP " " #Y, #X, cio_ck_x ? cio_ck_x : "(null)",   \
                      #Y, cio_ck_y ? cio_ck_y : "(null)");                     \
    } while (0)

#define ck_assert_str_eq(X, Y) CIO_CK_STR(X, ==, Y)
#define ck_assert_str_ne(X, Y) CIO_CK_STR(X, !=, Y)

/** Fail unless the @L bytes at @X and @Y are equal; shows both. */
#define ck_assert_mem_eq(X, Y, L)                                              \
    cio_ck_mem_eq(__FILE__, __LINE__, #X, #Y, (X), (Y), (size_t)(L))
void cio_ck_mem_eq(const char *file, int line, const char *xs, const char *ys,
                   const void *x, const void *y, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CIO_MINICHECK_H */
