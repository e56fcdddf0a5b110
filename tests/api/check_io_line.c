/* SPDX-License-Identifier: MIT */
/*
 * check_io_line.c - read_until, peek_until, read_line and skip_until:
 * delimiters across reads, the last line without one, CRLF, lines too
 * long for the caller's buffer or the reader's, and the line that an
 * error or a refusal leaves unread.
 */
#include <string.h>

#include "check_io.h"

/* _i: 0 = the stream hands out everything at once, 1 = one byte per
 * read; every result must be the same. */
static void
mem_over(test_mem *m, const char *text, int one_byte)
{
    test_mem_init(m, text, strlen(text));
    m->read_max = one_byte ? 1 : 0;
}

START_TEST(test_read_until)
{
    unsigned char buf[16];
    char out[16];
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "a,bb,,ccc", _i);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufreader_read_until(&r, ',', out, sizeof out), 2);
    ck_assert_mem_eq(out, "a,", 2);
    ck_assert_int_eq(cio_bufreader_read_until(&r, ',', out, sizeof out), 3);
    ck_assert_mem_eq(out, "bb,", 3);
    ck_assert_int_eq(cio_bufreader_read_until(&r, ',', out, sizeof out), 1);
    /* The last piece has no delimiter; then the end. */
    ck_assert_int_eq(cio_bufreader_read_until(&r, ',', out, sizeof out), 3);
    ck_assert_mem_eq(out, "ccc", 3);
    ck_assert_int_eq(cio_bufreader_read_until(&r, ',', out, sizeof out), 0);
    ck_assert_int_eq(cio_bufreader_read_until(&r, ',', out, sizeof out), 0);
    ck_assert_int_eq(cio_bufreader_read_until(&r, ',', NULL, 4), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_read_until(&r, ',', out, 0), CIO_EINVAL);
}
END_TEST

START_TEST(test_read_until_binary)
{
    static const unsigned char data[] = {1, 0, 2, 3, 0, 0xff, 0};
    unsigned char buf[4], out[8];
    cio_bufreader r;
    test_mem m;

    /* A NUL or 0xff delimiter works like any byte. */
    test_mem_init(&m, data, sizeof data);
    m.read_max = _i ? 1 : 0;
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufreader_read_until(&r, 0, out, sizeof out), 2);
    ck_assert_int_eq(cio_bufreader_read_until(&r, 0, out, sizeof out), 3);
    ck_assert_mem_eq(out, "\2\3\0", 3);
    ck_assert_int_eq(cio_bufreader_read_until(&r, 0xff, out, sizeof out), 1);
    ck_assert_int_eq(out[0], 0xff);
    ck_assert_int_eq(cio_bufreader_read_until(&r, 0, out, sizeof out), 1);
    ck_assert_int_eq(cio_bufreader_read_until(&r, 0, out, sizeof out), 0);
}
END_TEST

START_TEST(test_read_until_too_long)
{
    unsigned char buf[8];
    char out[32];
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "abcdef;0123456789abc;x;", _i);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    /* Too long for the caller: refused, nothing consumed ... */
    ck_assert_int_eq(cio_bufreader_read_until(&r, ';', out, 4), CIO_EMSGSIZE);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), (_i ? 5 : 8));
    /* ... so a larger buffer gets the same line whole. */
    ck_assert_int_eq(cio_bufreader_read_until(&r, ';', out, 7), 7);
    ck_assert_mem_eq(out, "abcdef;", 7);
    /* Longer than the reader's own buffer: refused whatever the caller
     * offers; skip_until drops it. */
    ck_assert_int_eq(cio_bufreader_read_until(&r, ';', out, sizeof out),
                     CIO_EMSGSIZE);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), 8);
    ck_assert_int_eq(cio_bufreader_skip_until(&r, ';'), 14);
    ck_assert_int_eq(cio_bufreader_read_until(&r, ';', out, sizeof out), 2);
    ck_assert_mem_eq(out, "x;", 2);
    ck_assert_int_eq(cio_bufreader_skip_until(&r, ';'), 0);
}
END_TEST

START_TEST(test_peek_until)
{
    unsigned char buf[8];
    const void *data = NULL;
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "abc\nabcd\nxy", _i);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    /* Zero-copy: the line stays until consumed. */
    ck_assert_int_eq(cio_bufreader_peek_until(&r, '\n', 4, &data), 4);
    ck_assert_mem_eq(data, "abc\n", 4);
    ck_assert_int_eq(cio_bufreader_peek_until(&r, '\n', 4, &data), 4);
    cio_bufreader_consume(&r, 4);
    ck_assert_int_eq(cio_bufreader_peek_until(&r, '\n', 4, &data),
                     CIO_EMSGSIZE);
    ck_assert_int_eq(cio_bufreader_peek_until(&r, '\n', 5, &data), 5);
    cio_bufreader_consume(&r, 5);
    /* A last line of exactly @max is still a line. */
    ck_assert_int_eq(cio_bufreader_peek_until(&r, '\n', 2, &data), 2);
    ck_assert_mem_eq(data, "xy", 2);
    ck_assert_int_eq(cio_bufreader_peek_until(&r, '\n', 1, &data),
                     CIO_EMSGSIZE);
    ck_assert_int_eq(cio_bufreader_peek_until(&r, '\n', 0, &data), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_peek_until(&r, '\n', 4, NULL), CIO_EINVAL);
}
END_TEST

/* A line refused as too long is known to be so early: the reader does
 * not wait for its end. */
START_TEST(test_too_long_early)
{
    unsigned char buf[64];
    char line[4];
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "abcdefghijklmnopqrstuvwxyz\n", 1);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    /* Room for 3 bytes + "\r\n": known too long at the 6th byte. */
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, NULL, 0),
                     CIO_EMSGSIZE);
    ck_assert_uint_eq(m.in_pos, 6);
    ck_assert_str_eq(line, "");
}
END_TEST

START_TEST(test_read_line)
{
    static const char *const want[] = {"one",      "two", "",
                                       "three\rx", "\r",  "last"};
    unsigned char buf[16];
    char line[16];
    size_t len = 99, i;
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "one\ntwo\r\n\r\nthree\rx\n\r\r\nlast", _i);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        ck_assert_int_eq(
            cio_bufreader_read_line(&r, line, sizeof line, &len, 0), 1);
        ck_assert_str_eq(line, want[i]);
        ck_assert_uint_eq(len, strlen(want[i]));
    }
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len, 0),
                     0);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(line, "");
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, NULL, 0),
                     0);
}
END_TEST

START_TEST(test_read_line_keep)
{
    static const char *const want[] = {"one\n", "two\r\n", "\r\n", "x\r", ""};
    unsigned char buf[16];
    char line[16];
    size_t len = 99, i;
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "one\ntwo\r\n\r\nx\r", _i);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len,
                                                 CIO_LINE_KEEP_NEWLINE),
                         1);
        ck_assert_str_eq(line, want[i]);
        ck_assert_uint_eq(len, strlen(want[i]));
    }
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len,
                                             CIO_LINE_KEEP_NEWLINE),
                     0);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len, 2),
                     CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, 0, &len, 0), CIO_EINVAL);
    ck_assert_int_eq(cio_bufreader_read_line(&r, NULL, 4, &len, 0), CIO_EINVAL);
}
END_TEST

/* The limits, byte for byte: the caller's @cap (NUL included) and the
 * reader's buffer (line ending included). */
START_TEST(test_read_line_limits)
{
    unsigned char buf[8];
    char line[32];
    size_t len = 0;
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "abc\nabc\r\nabcd\n1234567\n123456\r\n12345678\nz\n", _i);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    /* cap 4 holds 3 characters, whatever the ending. */
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, 4, &len, 0), 1);
    ck_assert_str_eq(line, "abc");
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, 4, &len, 0), 1);
    ck_assert_str_eq(line, "abc");
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, 4, &len, 0),
                     CIO_EMSGSIZE);
    ck_assert_uint_eq(len, 0);
    /* Kept whole: with its newline it needs 6 bytes. */
    ck_assert_int_eq(
        cio_bufreader_read_line(&r, line, 5, &len, CIO_LINE_KEEP_NEWLINE),
        CIO_EMSGSIZE);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, 5, &len, 0), 1);
    ck_assert_str_eq(line, "abcd");
    /* The reader's 8 bytes hold "1234567\n" and "123456\r\n" ... */
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len, 0),
                     1);
    ck_assert_str_eq(line, "1234567");
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len, 0),
                     1);
    ck_assert_str_eq(line, "123456");
    /* ... but not "12345678\n". */
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len, 0),
                     CIO_EMSGSIZE);
    ck_assert_int_eq(cio_bufreader_skip_until(&r, '\n'), 9);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len, 0),
                     1);
    ck_assert_str_eq(line, "z");
}
END_TEST

START_TEST(test_read_line_cap1)
{
    unsigned char buf[8];
    char line[1];
    size_t len = 99;
    cio_bufreader r;
    test_mem m;

    /* One byte holds only the NUL: empty lines fit, others do not. */
    mem_over(&m, "\r\n\nx\n", _i);
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, 1, &len, 0), 1);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(
        cio_bufreader_read_line(&r, line, 1, &len, CIO_LINE_KEEP_NEWLINE),
        CIO_EMSGSIZE);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, 1, &len, 0), 1);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, 1, &len, 0),
                     CIO_EMSGSIZE);
    cio_bufreader_consume(&r, 2);
    ck_assert_int_eq(
        cio_bufreader_read_line(&r, line, 1, &len, CIO_LINE_KEEP_NEWLINE), 0);
}
END_TEST

/* An error in the middle of a line leaves the part received buffered:
 * the next call returns the whole line, as if nothing had happened. */
START_TEST(test_read_line_error_resume)
{
    static const int errs[] = {CIO_ECONNRESET, CIO_ECANCELED, CIO_ETIMEDOUT};
    unsigned char buf[32];
    char line[32];
    size_t len = 99;
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "hello world\nbye\n", 1);
    m.read_err = errs[_i];
    m.read_err_at = 5;
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len, 0),
                     errs[_i]);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(cio_bufreader_buffered(&r), 5);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, &len, 0),
                     1);
    ck_assert_str_eq(line, "hello world");
    /* The same for read_until. */
    m.read_err = errs[_i];
    m.read_err_at = 14;
    ck_assert_int_eq(cio_bufreader_read_until(&r, '\n', line, sizeof line),
                     errs[_i]);
    ck_assert_int_eq(cio_bufreader_read_until(&r, '\n', line, sizeof line), 4);
    ck_assert_mem_eq(line, "bye\n", 4);
}
END_TEST

START_TEST(test_skip_until_error)
{
    unsigned char buf[4];
    char line[8];
    cio_bufreader r;
    test_mem m;

    mem_over(&m, "0123456789\nok\n", 0);
    m.read_err = CIO_ECONNRESET;
    m.read_err_at = 6;
    ck_assert_int_eq(cio_bufreader_init(&r, &m.io, buf, sizeof buf), 0);
    /* What was skipped before the error stays skipped. */
    ck_assert_int_eq(cio_bufreader_skip_until(&r, '\n'), CIO_ECONNRESET);
    ck_assert_int_eq(cio_bufreader_skip_until(&r, '\n'), 5);
    ck_assert_int_eq(cio_bufreader_read_line(&r, line, sizeof line, NULL, 0),
                     1);
    ck_assert_str_eq(line, "ok");
}
END_TEST

TCase *
check_io_line_tcase(void)
{
    TCase *tc = tcase_create("line");

    tcase_add_loop_test(tc, test_read_until, 0, 2);
    tcase_add_loop_test(tc, test_read_until_binary, 0, 2);
    tcase_add_loop_test(tc, test_read_until_too_long, 0, 2);
    tcase_add_loop_test(tc, test_peek_until, 0, 2);
    tcase_add_test(tc, test_too_long_early);
    tcase_add_loop_test(tc, test_read_line, 0, 2);
    tcase_add_loop_test(tc, test_read_line_keep, 0, 2);
    tcase_add_loop_test(tc, test_read_line_limits, 0, 2);
    tcase_add_loop_test(tc, test_read_line_cap1, 0, 2);
    tcase_add_loop_test(tc, test_read_line_error_resume, 0, 3);
    tcase_add_test(tc, test_skip_until_error);
    return tc;
}
