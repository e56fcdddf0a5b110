/* SPDX-License-Identifier: MIT */
/*
 * check_io_bufreader.c - the buffered reader: set-up, reads through and
 * around the buffer, fill/consume, peek (with the buffer compacted),
 * read_exact, what it keeps after an error, and its stream face.
 */
#include <string.h>

#include "check_io.h"

static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123";

START_TEST(test_bufreader_setup)
{
    unsigned char buf[8];
    cio_bufreader r, *rp = NULL;
    test_mem m;

    test_mem_init(&m, alpha, 30);
    ck_assert_int_eq(cio_bufreader_init(NULL, &m.io, buf, 8), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_init(&r, NULL, buf, 8), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, NULL, 8), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, 0), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_new(&rp, NULL, 0), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_new(NULL, &m.io, 0), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_new(&rp, &m.io, 0), 0);
    ck_assert_uint_eq(rp->cap, CIO_IO_DEFAULT_BUF);
    ck_assert_ptr_eq(cio_bufreader_io(rp), &rp->io);
    ck_assert_uint_eq(cio_bufreader_buffered(rp), 0);
    cio_bufreader_free(rp);
    cio_bufreader_free(NULL);
    ck_assert_ptr_null(cio_bufreader_io(NULL));
    ck_assert_uint_eq(cio_bufreader_buffered(NULL), 0);
    ck_assert_int_eq(cio_bufreader_read(NULL, buf, 1), CIO_EINVAL);
    ck_assert_uint_eq(m.reads, 0);
}
END_TEST

START_TEST(test_bufreader_read)
{
    unsigned char buf[8];
    char out[64];
    size_t got = 0;
    cio_bufreader r;
    test_mem m;
    int64_t n;

    test_mem_init(&m, alpha, 30);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    /* Small reads are served from one read of the stream. */
    ck_assert_int_eq(cio_bufreader_read(&r, out, 3), 3);
    ck_assert_uint_eq(m.reads, 1);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), 5);
    ck_assert_int_eq(cio_bufreader_read(&r, out + 3, 3), 3);
    ck_assert_uint_eq(m.reads, 1);
    /* What is buffered comes back alone, without another read. */
    ck_assert_int_eq(cio_bufreader_read(&r, out + 6, 20), 2);
    ck_assert_uint_eq(m.reads, 1);
    ck_assert_int_eq(cio_bufreader_read(&r, out + 8, 0), 0);
    got = 8;
    /* Empty buffer and a large request: straight into the caller's. */
    ck_assert_int_eq(cio_bufreader_read(&r, out + got, 10), 10);
    ck_assert_uint_eq(m.reads, 2);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), 0);
    got += 10;
    while ((n = cio_bufreader_read(&r, out + got, 5)) > 0)
        got += (size_t)n;
    ck_assert_int_eq(n, 0);
    ck_assert_uint_eq(got, 30);
    ck_assert_mem_eq(out, alpha, 30);
}
END_TEST

START_TEST(test_bufreader_short_reads)
{
    unsigned char buf[8];
    char out[64];
    size_t got = 0;
    cio_bufreader r;
    test_mem m;
    int64_t n;

    /* One byte per read of the stream still gives every byte once. */
    test_mem_init(&m, alpha, 30);
    m.read_max = 1;
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    while ((n = cio_bufreader_read(&r, out + got, 3)) > 0) {
        ck_assert_int_eq(n, 1);
        got += (size_t)n;
    }
    ck_assert_int_eq(n, 0);
    ck_assert_uint_eq(got, 30);
    ck_assert_mem_eq(out, alpha, 30);
}
END_TEST

START_TEST(test_bufreader_fill_consume)
{
    unsigned char buf[8];
    const void *data = NULL;
    cio_bufreader r;
    test_mem m;

    test_mem_init(&m, alpha, 12);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufreader_fill(&r, &data), 8);
    ck_assert_mem_eq(data, "abcdefgh", 8);
    cio_bufreader_consume(&r, 3);
    /* Buffered bytes: no read. */
    ck_assert_int_eq(cio_bufreader_fill(&r, &data), 5);
    ck_assert_mem_eq(data, "defgh", 5);
    ck_assert_uint_eq(m.reads, 1);
    /* Consuming more than there is takes just what there is. */
    cio_bufreader_consume(&r, 100);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), 0);
    ck_assert_int_eq(cio_bufreader_fill(&r, &data), 4);
    ck_assert_mem_eq(data, "ijkl", 4);
    cio_bufreader_consume(&r, 4);
    ck_assert_int_eq(cio_bufreader_fill(&r, &data), 0);
    ck_assert_int_eq(cio_bufreader_fill(&r, NULL), CIO_EINVAL);
    cio_bufreader_consume(NULL, 1);
}
END_TEST

START_TEST(test_bufreader_peek)
{
    unsigned char buf[8];
    const void *data = NULL;
    char out[16];
    cio_bufreader r;
    test_mem m;

    test_mem_init(&m, alpha, 12);
    m.read_max = 1;
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufreader_peek(&r, 5, &data), 5);
    ck_assert_mem_eq(data, "abcde", 5);
    ck_assert_uint_eq(m.reads, 5);
    /* Peeking consumes nothing. */
    ck_assert_int_eq(cio_bufreader_read(&r, out, 3), 3);
    ck_assert_mem_eq(out, "abc", 3);
    /* More comes into the room after the buffered bytes ... */
    m.read_max = 0;
    ck_assert_int_eq(cio_bufreader_peek(&r, 5, &data), 5);
    ck_assert_mem_eq(data, "defgh", 5);
    cio_bufreader_consume(&r, 2);
    /* ... and when the back is full they move to the front first. */
    ck_assert_int_eq(cio_bufreader_peek(&r, 5, &data), 7);
    ck_assert_mem_eq(data, "fghijkl", 7);
    ck_assert_ptr_eq(data, buf);
    /* Fewer than asked only at the end of the stream. */
    ck_assert_int_eq(cio_bufreader_peek(&r, 8, &data), 7);
    cio_bufreader_consume(&r, 7);
    ck_assert_int_eq(cio_bufreader_peek(&r, 1, &data), 0);
    ck_assert_int_eq(cio_bufreader_peek(&r, 9, &data), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_peek(&r, 0, &data), 0);
}
END_TEST

/* An error while filling keeps what was buffered; the retry goes on. */
START_TEST(test_bufreader_error_keeps_state)
{
    static const int errs[] = {CIO_ECONNRESET, CIO_ECANCELED, CIO_ETIMEDOUT};
    unsigned char buf[8];
    const void *data = NULL;
    char out[32];
    size_t done = 0;
    cio_bufreader r;
    test_mem m;

    test_mem_init(&m, alpha, 30);
    m.read_max = 2;
    m.read_err = errs[_i];
    m.read_err_at = 3;
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufreader_peek(&r, 5, &data), errs[_i]);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), 3);
    ck_assert_int_eq(cio_bufreader_peek(&r, 5, &data), 5);
    ck_assert_mem_eq(data, "abcde", 5);

    /* read_exact through the buffer: the count tells what was taken. */
    m.read_err = errs[_i];
    m.read_err_at = 11;
    ck_assert_int_eq(cio_bufreader_read_exact(&r, out, 20, &done), errs[_i]);
    ck_assert_uint_eq(done, 11);
    ck_assert_int_eq(cio_bufreader_read_exact(&r, out + 11, 19, &done), 0);
    ck_assert_mem_eq(out, alpha, 30);
    ck_assert_int_eq(cio_bufreader_read_exact(&r, out, 1, &done), CIO_ENODATA);
    ck_assert_uint_eq(done, 0);
    ck_assert_int_eq(cio_bufreader_read_exact(NULL, out, 1, &done), CIO_EINVAL);

    /* A stream that claims more than it was asked is refused. */
    test_mem_init(&m, alpha, 30);
    m.read_overreport = 1;
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufreader_read(&r, out, 2), CIO_EIO);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), 0);
}
END_TEST

START_TEST(test_bufreader_stream)
{
    unsigned char buf[8];
    cio_bufreader r, *rp = NULL;
    cio_stream *s;
    char out[32];
    test_mem m;

    test_mem_init(&m, alpha, 30);
    m.fd = 42;
    m.close_result = CIO_EIO;
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    s = cio_bufreader_io(&r);
    ck_assert_int_eq(cio_stream_read(s, out, 4), 4);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), 4);
    /* The generic helpers work through it. */
    ck_assert_int_eq(cio_read_exact(s, out + 4, 10, NULL), 0);
    ck_assert_mem_eq(out, alpha, 14);
    {
        cio_iovec v = {out, 3};
        ck_assert_int_eq(cio_stream_readv(s, &v, 1), 2);
    }
    /* Writes, shutdown and fd are the stream's under it. */
    ck_assert_int_eq(cio_stream_write(s, "ping", 4), 4);
    {
        cio_iovec v[2] = {{(void *)"ab", 2}, {(void *)"cd", 2}};
        ck_assert_int_eq(cio_stream_writev(s, v, 2), 4);
    }
    test_mem_assert_out(&m, "pingabcd", 8);
    ck_assert_int_eq(cio_stream_shutdown(s), 0);
    ck_assert_uint_eq(m.shutdowns, 1);
    ck_assert_int_eq(cio_stream_fd(s), 42);
    /* Close closes the stream under it and reports its result. */
    ck_assert_int_eq(cio_stream_close(s), CIO_EIO);
    ck_assert_uint_eq(m.closes, 1);

    /* A reader from _new is freed by close (ASan would see a leak). */
    m.close_result = 0;
    ck_assert_int_eq(cio_bufreader_new(&rp, &m.io, 16), 0);
    ck_assert_int_eq(cio_stream_close(cio_bufreader_io(rp)), 0);
    ck_assert_uint_eq(m.closes, 2);
    test_mem_fini(&m);
}
END_TEST

TCase *
check_io_bufreader_tcase(void)
{
    TCase *tc = tcase_create("bufreader");

    tcase_add_test(tc, test_bufreader_setup);
    tcase_add_test(tc, test_bufreader_read);
    tcase_add_test(tc, test_bufreader_short_reads);
    tcase_add_test(tc, test_bufreader_fill_consume);
    tcase_add_test(tc, test_bufreader_peek);
    tcase_add_loop_test(tc, test_bufreader_error_keeps_state, 0, 3);
    tcase_add_test(tc, test_bufreader_stream);
    return tc;
}
