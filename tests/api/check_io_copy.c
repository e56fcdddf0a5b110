/* SPDX-License-Identifier: MIT */
/*
 * check_io_copy.c - cio_copy between in-memory streams: more than one
 * buffer's worth through short reads and writes, limits, and errors on
 * either side with the count of what got through.
 */
#include <stdlib.h>
#include <string.h>

#include "check_io.h"

#define BIG (200u * 1024u + 17u)

START_TEST(test_copy_all)
{
    unsigned char *data = malloc(BIG);
    test_mem src, dst;
    uint64_t copied = 99;

    ck_assert_ptr_nonnull(data);
    test_pattern(data, BIG, 1);
    test_mem_init(&src, data, BIG);
    test_mem_init(&dst, NULL, 0);
    src.read_max = 1000;
    dst.write_max = 777;
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, CIO_COPY_ALL, &copied), BIG);
    ck_assert_uint_eq(copied, BIG);
    test_mem_assert_out(&dst, data, BIG);
    ck_assert_uint_eq(dst.shutdowns + dst.closes, 0);
    test_mem_fini(&dst);

    /* An empty source copies nothing, successfully. */
    test_mem_init(&src, data, 0);
    test_mem_init(&dst, NULL, 0);
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, CIO_COPY_ALL, NULL), 0);
    ck_assert_uint_eq(dst.writes, 0);
    test_mem_fini(&dst);
    free(data);
}
END_TEST

START_TEST(test_copy_limit)
{
    unsigned char data[5000];
    test_mem src, dst;
    uint64_t copied = 99;

    test_pattern(data, sizeof data, 2);
    test_mem_init(&src, data, sizeof data);
    test_mem_init(&dst, NULL, 0);
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, 0, &copied), 0);
    ck_assert_uint_eq(copied, 0);
    ck_assert_uint_eq(src.reads, 0);
    /* Exactly the limit, and not one byte more read from the source. */
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, 1000, &copied), 1000);
    ck_assert_uint_eq(copied, 1000);
    ck_assert_uint_eq(src.in_pos, 1000);
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, CIO_COPY_ALL, &copied), 4000);
    test_mem_assert_out(&dst, data, sizeof data);
    /* A limit past the end stops at the end. */
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, 10, &copied), 0);
    test_mem_fini(&dst);
    ck_assert_int_eq(cio_copy(NULL, &src.io, 10, &copied), CIO_EINVAL);
    ck_assert_uint_eq(copied, 0);
}
END_TEST

START_TEST(test_copy_errors)
{
    unsigned char data[3000];
    test_mem src, dst;
    uint64_t copied = 99;

    test_pattern(data, sizeof data, 3);
    /* The source fails after 1234 bytes: they all reached @dst. */
    test_mem_init(&src, data, sizeof data);
    test_mem_init(&dst, NULL, 0);
    src.read_max = 500;
    src.read_err = CIO_ECONNRESET;
    src.read_err_at = 1234;
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, CIO_COPY_ALL, &copied),
                     CIO_ECONNRESET);
    ck_assert_uint_eq(copied, 1234);
    test_mem_assert_out(&dst, data, 1234);
    test_mem_fini(&dst);

    /* The destination fails at 2000: the count is what it took. */
    test_mem_init(&src, data, sizeof data);
    test_mem_init(&dst, NULL, 0);
    dst.write_max = 300;
    dst.write_err = CIO_EPIPE;
    dst.write_err_at = 2000;
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, CIO_COPY_ALL, &copied),
                     CIO_EPIPE);
    ck_assert_uint_eq(copied, 2000);
    test_mem_assert_out(&dst, data, 2000);
    test_mem_fini(&dst);

    /* A broken source. */
    test_mem_init(&src, data, sizeof data);
    test_mem_init(&dst, NULL, 0);
    src.read_overreport = 1;
    src.read_max = 100;
    ck_assert_int_eq(cio_copy(&dst.io, &src.io, 50, &copied), CIO_EIO);
    test_mem_fini(&dst);
}
END_TEST

TCase *
check_io_copy_tcase(void)
{
    TCase *tc = tcase_create("copy");

    tcase_add_test(tc, test_copy_all);
    tcase_add_test(tc, test_copy_limit);
    tcase_add_test(tc, test_copy_errors);
    return tc;
}
