/* SPDX-License-Identifier: MIT */
/*
 * check_io_exact.c - cio_read_exact, cio_write_all, cio_writev_all:
 * short transfers, early end, errors with the partial count, resuming
 * after an error, and broken streams.
 */
#include <string.h>

#include "check_io.h"

START_TEST(test_read_exact_short_reads)
{
    test_mem m;
    char buf[32];
    size_t done = 99;

    test_mem_init(&m, "the quick brown fox", 19);
    m.read_max = 1;
    ck_assert_int_eq(cio_read_exact(&m.io, buf, 19, &done), 0);
    ck_assert_uint_eq(done, 19);
    ck_assert_mem_eq(buf, "the quick brown fox", 19);
    ck_assert_uint_eq(m.reads, 19);
    /* Nothing asked, nothing read, done reset. */
    ck_assert_int_eq(cio_read_exact(&m.io, buf, 0, &done), 0);
    ck_assert_uint_eq(done, 0);
    ck_assert_uint_eq(m.reads, 19);
    /* done is optional. */
    test_mem_init(&m, "xyz", 3);
    ck_assert_int_eq(cio_read_exact(&m.io, buf, 3, NULL), 0);
}
END_TEST

START_TEST(test_read_exact_eof)
{
    test_mem m;
    char buf[32];
    size_t done = 99;

    test_mem_init(&m, "12345", 5);
    m.read_max = 2;
    ck_assert_int_eq(cio_read_exact(&m.io, buf, 8, &done), CIO_ENODATA);
    ck_assert_uint_eq(done, 5);
    ck_assert_mem_eq(buf, "12345", 5);
    /* At the end already: nothing at all. */
    ck_assert_int_eq(cio_read_exact(&m.io, buf, 1, &done), CIO_ENODATA);
    ck_assert_uint_eq(done, 0);
    ck_assert_int_ne(CIO_ENODATA, 0);
}
END_TEST

START_TEST(test_read_exact_error_resume)
{
    test_mem m;
    char buf[32];
    size_t done = 99, more = 99;

    test_mem_init(&m, "abcdefgh", 8);
    m.read_max = 2;
    m.read_err = CIO_ECONNRESET;
    m.read_err_at = 3;
    ck_assert_int_eq(cio_read_exact(&m.io, buf, 8, &done), CIO_ECONNRESET);
    ck_assert_uint_eq(done, 3);
    /* The count says where to carry on; nothing was lost. */
    ck_assert_int_eq(cio_read_exact(&m.io, buf + done, 8 - done, &more), 0);
    ck_assert_uint_eq(more, 5);
    ck_assert_mem_eq(buf, "abcdefgh", 8);
}
END_TEST

START_TEST(test_read_exact_broken)
{
    test_mem m;
    char buf[8];
    size_t done = 99;

    test_mem_init(&m, "abcdefgh", 8);
    m.read_overreport = 1;
    ck_assert_int_eq(cio_read_exact(&m.io, buf, 4, &done), CIO_EIO);
    ck_assert_uint_le(done, 4);
    ck_assert_int_eq(cio_read_exact(NULL, buf, 4, &done), CIO_EINVAL);
    ck_assert_uint_eq(done, 0);
}
END_TEST

START_TEST(test_write_all)
{
    static const char msg[] = "hello, completion world";
    size_t len = sizeof msg - 1, done = 99;
    test_mem m;

    test_mem_init(&m, NULL, 0);
    m.write_max = 1;
    ck_assert_int_eq(cio_write_all(&m.io, msg, len, &done), 0);
    ck_assert_uint_eq(done, len);
    ck_assert_uint_eq(m.writes, len);
    test_mem_assert_out(&m, msg, len);
    ck_assert_int_eq(cio_write_all(&m.io, msg, 0, &done), 0);
    ck_assert_uint_eq(done, 0);
    ck_assert_uint_eq(m.writes, len);
    test_mem_fini(&m);
}
END_TEST

START_TEST(test_write_all_error_resume)
{
    static const char msg[] = "0123456789";
    size_t done = 99, more = 99;
    test_mem m;

    test_mem_init(&m, NULL, 0);
    m.write_max = 3;
    m.write_err = CIO_EPIPE;
    m.write_err_at = 5;
    ck_assert_int_eq(cio_write_all(&m.io, msg, 10, &done), CIO_EPIPE);
    ck_assert_uint_eq(done, 5);
    test_mem_assert_out(&m, msg, 5);
    ck_assert_int_eq(cio_write_all(&m.io, msg + done, 10 - done, &more), 0);
    ck_assert_uint_eq(more, 5);
    test_mem_assert_out(&m, msg, 10);
    /* A stream that takes nothing must not spin. */
    m.write_zero = 1;
    ck_assert_int_eq(cio_write_all(&m.io, msg, 10, &done), CIO_EIO);
    ck_assert_uint_eq(done, 0);
    test_mem_fini(&m);
}
END_TEST

/* 40 pieces, some empty: 30 non-empty, two windows of the
 * implementation. */
static unsigned
make_vector(cio_iovec *iov, char *expect, size_t *total)
{
    static char data[40][8];
    unsigned i;

    *total = 0;
    for (i = 0; i < 40; i++) {
        size_t len = (i % 4 == 1) ? 0 : (i % 7) + 1;

        memset(data[i], 'a' + (int)i, sizeof data[i]);
        iov[i].base = data[i];
        iov[i].len = len;
        memcpy(expect + *total, data[i], len);
        *total += len;
    }
    return 40;
}

START_TEST(test_writev_all)
{
    cio_iovec iov[40];
    char expect[400];
    size_t total, done = 99;
    unsigned n = make_vector(iov, expect, &total);
    test_mem m;

    /* _i == 0: native writev; 1: the interface's one-buffer default. */
    if (_i == 0)
        test_mem_init(&m, NULL, 0);
    else
        test_mem_init_plain(&m, NULL, 0);
    m.write_max = 3;
    ck_assert_int_eq(cio_writev_all(&m.io, iov, n, &done), 0);
    ck_assert_uint_eq(done, total);
    test_mem_assert_out(&m, expect, total);
    ck_assert_uint_eq(m.writevs, _i == 0 ? m.writes : 0);
    /* The caller's array is left alone. */
    ck_assert_uint_eq(iov[0].len, 1);
    ck_assert_uint_eq(iov[2].len, 3);
    test_mem_fini(&m);

    /* Unlimited writes: all in a few calls, windows of the vector. */
    test_mem_init(&m, NULL, 0);
    ck_assert_int_eq(cio_writev_all(&m.io, iov, n, &done), 0);
    test_mem_assert_out(&m, expect, total);
    ck_assert_uint_eq(m.writes, 2);
    test_mem_fini(&m);

    /* Nothing to write at all. */
    test_mem_init(&m, NULL, 0);
    ck_assert_int_eq(cio_writev_all(&m.io, iov, 0, &done), 0);
    ck_assert_uint_eq(done, 0);
    ck_assert_int_eq(cio_writev_all(&m.io, iov + 1, 1, &done), 0);
    ck_assert_uint_eq(m.writes, 0);
    ck_assert_int_eq(cio_writev_all(&m.io, NULL, 2, &done), CIO_EINVAL);
    test_mem_fini(&m);
}
END_TEST

START_TEST(test_writev_all_error)
{
    cio_iovec iov[40];
    char expect[400];
    size_t total, done = 99;
    unsigned n = make_vector(iov, expect, &total);
    test_mem m;

    test_mem_init(&m, NULL, 0);
    m.write_max = 4;
    m.write_err = CIO_ECONNRESET;
    m.write_err_at = 11;
    ck_assert_int_eq(cio_writev_all(&m.io, iov, n, &done), CIO_ECONNRESET);
    ck_assert_uint_eq(done, 11);
    test_mem_assert_out(&m, expect, 11);
    m.write_zero = 1;
    ck_assert_int_eq(cio_writev_all(&m.io, iov, n, &done), CIO_EIO);
    ck_assert_uint_eq(done, 0);
    test_mem_fini(&m);
}
END_TEST

TCase *
check_io_exact_tcase(void)
{
    TCase *tc = tcase_create("exact");

    tcase_add_test(tc, test_read_exact_short_reads);
    tcase_add_test(tc, test_read_exact_eof);
    tcase_add_test(tc, test_read_exact_error_resume);
    tcase_add_test(tc, test_read_exact_broken);
    tcase_add_test(tc, test_write_all);
    tcase_add_test(tc, test_write_all_error_resume);
    tcase_add_loop_test(tc, test_writev_all, 0, 2);
    tcase_add_test(tc, test_writev_all_error);
    return tc;
}
