/* SPDX-License-Identifier: MIT */
/*
 * check_errors.c - error names and messages come from CIO_ERRNO_MAP for
 * every entry, unknown codes get the documented fallbacks, and the
 * detail text is per thread.
 */
#include "config.h"

#include <pthread.h>

#include "cio_internal.h"
#include "cio_test.h"

START_TEST(every_name_and_message)
{
#define CHECK_ROW(name_, fallback_, msg_)                                      \
    ck_assert_str_eq(cio_errname(CIO_##name_), #name_);                        \
    ck_assert_str_eq(cio_strerror(CIO_##name_), msg_);                         \
    ck_assert_int_lt(CIO_##name_, 0);
    CIO_ERRNO_MAP(CHECK_ROW)
#undef CHECK_ROW
}
END_TEST

START_TEST(values_are_negative_errno)
{
    /* Where the platform has the errno, the CIO_ value is its negation. */
    ck_assert_int_eq(CIO_ENOENT, -ENOENT);
    ck_assert_int_eq(CIO_ECANCELED, -ECANCELED);
    ck_assert_int_eq(CIO_EAGAIN, -EAGAIN);
#ifdef ETIME
    ck_assert_int_eq(CIO_ETIME, -ETIME);
#endif
#ifdef ELIBBAD
    ck_assert_int_eq(CIO_ELIBBAD, -ELIBBAD);
#endif
    ck_assert_str_eq(cio_errname(-ECONNRESET), "ECONNRESET");
    ck_assert_str_eq(cio_strerror(-EPIPE), "broken pipe");
}
END_TEST

START_TEST(unknown_codes)
{
    static const int bad[] = {-99999, -1234567, INT_MIN, 1, EINVAL, INT_MAX};
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_str_eq(cio_errname(bad[i]), "UNKNOWN");
        ck_assert_str_eq(cio_strerror(bad[i]), "unknown error");
    }
    /* Zero is not an error; it still gets a (non-NULL) text. */
    ck_assert_ptr_nonnull(cio_strerror(0));
    ck_assert_ptr_nonnull(cio_errname(0));
    ck_assert_str_ne(cio_errname(0), "UNKNOWN");
}
END_TEST

START_TEST(names_are_unique)
{
    /* No two entries share a value, so each code has one name. */
    static const int codes[] = {
#define CODE(name_, fallback_, msg_) CIO_##name_,
        CIO_ERRNO_MAP(CODE)
#undef CODE
    };
    size_t n = sizeof(codes) / sizeof(codes[0]), i, j;
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            ck_assert_int_ne(codes[i], codes[j]);
}
END_TEST

static void *
detail_thread(void *arg)
{
    char *seen = arg;
    /* A new thread starts with no detail, whatever main has set. */
    strcpy(seen, cio_error_detail());
    cio__set_detail("thread says %d", 7);
    strcat(seen, "|");
    strcat(seen, cio_error_detail());
    return NULL;
}

START_TEST(detail_per_thread)
{
    pthread_t t;
    char seen[256] = "";

    ck_assert_str_eq(cio_error_detail(), "");
    cio__set_detail("file %s line %d", "x.ini", 3);
    ck_assert_str_eq(cio_error_detail(), "file x.ini line 3");

    ck_assert_int_eq(pthread_create(&t, NULL, detail_thread, seen), 0);
    pthread_join(t, NULL);
    ck_assert_str_eq(seen, "|thread says 7");
    /* The other thread's text did not leak into this one. */
    ck_assert_str_eq(cio_error_detail(), "file x.ini line 3");

    cio__clear_detail();
    ck_assert_str_eq(cio_error_detail(), "");
}
END_TEST

START_TEST(detail_truncates)
{
    char big[4096];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cio__set_detail("%s", big);
    ck_assert_uint_gt(strlen(cio_error_detail()), 100);
    ck_assert_uint_lt(strlen(cio_error_detail()), sizeof(big) - 1);
}
END_TEST

static Suite *
errors_suite(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_name_and_message);
    tcase_add_test(tc, values_are_negative_errno);
    tcase_add_test(tc, unknown_codes);
    tcase_add_test(tc, names_are_unique);
    tcase_add_test(tc, detail_per_thread);
    tcase_add_test(tc, detail_truncates);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return cio_test_run(errors_suite());
}
