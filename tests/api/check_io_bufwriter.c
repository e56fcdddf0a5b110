/* SPDX-License-Identifier: MIT */
/*
 * check_io_bufwriter.c - the buffered writer: gathering, flushing when
 * full, large writes straight through (and short), what a failed flush
 * keeps, and its stream face (vector gathering, reads through, shutdown
 * and close flushing first).
 */
#include <string.h>

#include "check_io.h"

START_TEST(test_bufwriter_setup)
{
    unsigned char buf[8];
    cio_bufwriter w, *wp = NULL;
    test_mem m;

    test_mem_init(&m, NULL, 0);
    ck_assert_int_eq(cio_bufwriter_init(NULL, &m.io, buf, 8), CIO_EINVAL);
    ck_assert_int_eq(cio_bufwriter_init(&w, NULL, buf, 8), CIO_EINVAL);
    ck_assert_int_eq(cio_bufwriter_init(&w, &m.io, NULL, 8), CIO_EINVAL);
    ck_assert_int_eq(cio_bufwriter_init(&w, &m.io, buf, 0), CIO_EINVAL);
    ck_assert_int_eq(cio_bufwriter_new(&wp, NULL, 0), CIO_EINVAL);
    ck_assert_int_eq(cio_bufwriter_new(&wp, &m.io, 0), 0);
    ck_assert_uint_eq(wp->cap, CIO_IO_DEFAULT_BUF);
    ck_assert_ptr_eq(cio_bufwriter_io(wp), &wp->io);
    /* free drops what is buffered, without writing. */
    ck_assert_int_eq(cio_bufwriter_write(wp, "abc", 3), 3);
    cio_bufwriter_free(wp);
    cio_bufwriter_free(NULL);
    ck_assert_uint_eq(m.writes, 0);
    ck_assert_ptr_null(cio_bufwriter_io(NULL));
    ck_assert_uint_eq(cio_bufwriter_buffered(NULL), 0);
    ck_assert_int_eq(cio_bufwriter_flush(NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_bufwriter_write(NULL, "a", 1), CIO_EINVAL);
    test_mem_fini(&m);
}
END_TEST

START_TEST(test_bufwriter_gather)
{
    unsigned char buf[16];
    cio_bufwriter w;
    test_mem m;
    int i;

    test_mem_init(&m, NULL, 0);
    ck_assert_int_eq(cio_bufwriter_init(&w, &m.io, buf, sizeof buf), 0);
    for (i = 0; i < 5; i++)
        ck_assert_int_eq(cio_bufwriter_write(&w, "abc", 3), 3);
    ck_assert_int_eq(cio_bufwriter_write(&w, "", 0), 0);
    ck_assert_uint_eq(m.writes, 0);
    ck_assert_uint_eq(cio_bufwriter_buffered(&w), 15);
    /* The next one does not fit: what was buffered goes out first. */
    ck_assert_int_eq(cio_bufwriter_write(&w, "XY", 2), 2);
    ck_assert_uint_eq(m.writes, 1);
    test_mem_assert_out(&m, "abcabcabcabcabc", 15);
    ck_assert_uint_eq(cio_bufwriter_buffered(&w), 2);
    ck_assert_int_eq(cio_bufwriter_flush(&w), 0);
    ck_assert_int_eq(cio_bufwriter_flush(&w), 0);
    ck_assert_uint_eq(m.writes, 2);
    test_mem_assert_out(&m, "abcabcabcabcabcXY", 17);
    test_mem_fini(&m);
}
END_TEST

START_TEST(test_bufwriter_large)
{
    unsigned char buf[8], data[40];
    size_t done = 0;
    cio_bufwriter w;
    test_mem m;

    test_pattern(data, sizeof data, 4);
    test_mem_init(&m, NULL, 0);
    ck_assert_int_eq(cio_bufwriter_init(&w, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufwriter_write(&w, data, 3), 3);
    /* Flush, then one direct write without a copy. */
    ck_assert_int_eq(cio_bufwriter_write(&w, data + 3, 20), 20);
    ck_assert_uint_eq(m.writes, 2);
    ck_assert_uint_eq(cio_bufwriter_buffered(&w), 0);
    /* A short direct write is reported as such... */
    m.write_max = 7;
    ck_assert_int_eq(cio_bufwriter_write(&w, data + 23, 8), 7);
    /* ...and write_all on the writer's stream finishes the job. */
    ck_assert_int_eq(cio_write_all(cio_bufwriter_io(&w), data + 30, 10, &done),
                     0);
    ck_assert_uint_eq(done, 10);
    ck_assert_int_eq(cio_bufwriter_flush(&w), 0);
    /* The caller carried on at data + 30 after the short write: the
     * output is contiguous. */
    test_mem_assert_out(&m, data, 40);
    ck_assert_uint_eq(m.writes, 5);
    test_mem_fini(&m);
}
END_TEST

/* A flush cut by an error keeps the unwritten bytes, in order, and the
 * next flush (or write) sends them. */
START_TEST(test_bufwriter_flush_error)
{
    static const int errs[] = {CIO_EPIPE, CIO_ECANCELED, CIO_ETIMEDOUT};
    unsigned char buf[16];
    cio_bufwriter w;
    test_mem m;

    test_mem_init(&m, NULL, 0);
    m.write_max = 3;
    m.write_err = errs[_i];
    m.write_err_at = 4;
    ck_assert_int_eq(cio_bufwriter_init(&w, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufwriter_write(&w, "0123456789", 10), 10);
    ck_assert_int_eq(cio_bufwriter_flush(&w), errs[_i]);
    test_mem_assert_out(&m, "0123", 4);
    ck_assert_uint_eq(cio_bufwriter_buffered(&w), 6);
    ck_assert_int_eq(cio_bufwriter_flush(&w), 0);
    test_mem_assert_out(&m, "0123456789", 10);

    /* A write that needs a flush which fails takes nothing. */
    m.write_err = errs[_i];
    m.write_err_at = 12;
    ck_assert_int_eq(cio_bufwriter_write(&w, "abcdefghij", 10), 10);
    ck_assert_int_eq(cio_bufwriter_write(&w, "KLMNOPQ", 7), errs[_i]);
    ck_assert_uint_eq(cio_bufwriter_buffered(&w), 8);
    ck_assert_int_eq(cio_bufwriter_write(&w, "KLMNOPQ", 7), 7);
    ck_assert_int_eq(cio_bufwriter_flush(&w), 0);
    test_mem_assert_out(&m, "0123456789abcdefghijKLMNOPQ", 27);
    test_mem_fini(&m);
}
END_TEST

START_TEST(test_bufwriter_stream)
{
    unsigned char buf[16];
    cio_bufwriter w, *wp = NULL;
    cio_iovec v[3] = {
        {(void *)"hdr:", 4}, {(void *)"", 0}, {(void *)"body", 4}};
    cio_stream *s;
    char in[8];
    test_mem m;

    test_mem_init(&m, "reply", 5);
    m.fd = 7;
    ck_assert_int_eq(cio_bufwriter_init(&w, &m.io, buf, sizeof buf), 0);
    s = cio_bufwriter_io(&w);
    /* A vector that fits is gathered whole, without a write. */
    ck_assert_int_eq(cio_stream_writev(s, v, 3), 8);
    ck_assert_uint_eq(m.writes, 0);
    ck_assert_int_eq(cio_writev_all(s, v, 3, NULL), 0);
    ck_assert_uint_eq(cio_bufwriter_buffered(&w), 16);
    /* One that does not goes buffer by buffer (after a flush). */
    ck_assert_int_eq(cio_stream_writev(s, v + 1, 2), 4);
    ck_assert_uint_eq(m.writes, 1);
    ck_assert_int_eq(cio_stream_writev(s, v + 1, 1), 0);
    /* Reads, fd: the stream's under it. */
    ck_assert_int_eq(cio_stream_read(s, in, sizeof in), 5);
    ck_assert_mem_eq(in, "reply", 5);
    {
        cio_iovec r = {in, sizeof in};
        ck_assert_int_eq(cio_stream_readv(s, &r, 1), 0);
    }
    ck_assert_int_eq(cio_stream_fd(s), 7);
    /* Shutdown flushes first. */
    ck_assert_int_eq(cio_stream_shutdown(s), 0);
    ck_assert_uint_eq(m.shutdowns, 1);
    test_mem_assert_out(&m, "hdr:bodyhdr:bodybody", 20);
    /* Close flushes, closes under it, and reports a flush error even
     * though it closed. */
    ck_assert_int_eq(cio_bufwriter_write(&w, "tail", 4), 4);
    m.write_err = CIO_ECONNRESET;
    m.write_err_at = m.out_len;
    ck_assert_int_eq(cio_stream_close(s), CIO_ECONNRESET);
    ck_assert_uint_eq(m.closes, 1);

    /* A writer from _new: close writes, closes and frees. */
    ck_assert_int_eq(cio_bufwriter_new(&wp, &m.io, 0), 0);
    ck_assert_int_eq(cio_bufwriter_write(wp, "end", 3), 3);
    ck_assert_int_eq(cio_stream_close(cio_bufwriter_io(wp)), 0);
    ck_assert_uint_eq(m.closes, 2);
    test_mem_assert_out(&m, "hdr:bodyhdr:bodybodyend", 23);
    test_mem_fini(&m);
}
END_TEST

TCase *
check_io_bufwriter_tcase(void)
{
    TCase *tc = tcase_create("bufwriter");

    tcase_add_test(tc, test_bufwriter_setup);
    tcase_add_test(tc, test_bufwriter_gather);
    tcase_add_test(tc, test_bufwriter_large);
    tcase_add_loop_test(tc, test_bufwriter_flush_error, 0, 3);
    tcase_add_test(tc, test_bufwriter_stream);
    return tc;
}
