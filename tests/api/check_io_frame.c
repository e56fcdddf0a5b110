/* SPDX-License-Identifier: MIT */
/*
 * check_io_frame.c - length-prefixed frames: the bytes on the wire for
 * each header size and byte order, round trips through short IO, the
 * limits, clean end versus a frame cut short, and resuming a frame read
 * or written after an error.
 */
#include <stdlib.h>
#include <string.h>

#include "check_io.h"

START_TEST(test_frame_opts)
{
    cio_frame_opts bad_size = {3, 0, 0}, bad_flags = {4, 2, 0};
    cio_frame_reader fr;
    cio_frame_writer fw;
    test_mem m;

    test_mem_init(&m, NULL, 0);
    ck_assert_int_eq(cio_frame_reader_init(&fr, &m.io, &bad_size), CIO_EINVAL);
    ck_assert_int_eq(cio_frame_reader_init(&fr, &m.io, &bad_flags), CIO_EINVAL);
    ck_assert_int_eq(cio_frame_reader_init(&fr, NULL, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_frame_writer_init(&fw, &m.io, &bad_size), CIO_EINVAL);
    ck_assert_int_eq(cio_frame_writer_init(NULL, &m.io, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_frame_reader_init(&fr, &m.io, NULL), 0);
    ck_assert_uint_eq(fr.header_size, 4);
    ck_assert_uint_eq(fr.max_frame, CIO_FRAME_DEFAULT_MAX);
    cio_frame_reader_destroy(&fr);
    cio_frame_reader_destroy(NULL);
}
END_TEST

/* The header's bytes, exactly, for every size and both orders. */
START_TEST(test_frame_wire)
{
    static const struct {
        unsigned size, flags;
        size_t len;
        unsigned char hdr[8];
    } cases[] = {
        {1, 0, 0xab, {0xab}},
        {2, 0, 0x0102, {0x01, 0x02}},
        {2, CIO_FRAME_LITTLE_ENDIAN, 0x0102, {0x02, 0x01}},
        {4, 0, 0x010203, {0x00, 0x01, 0x02, 0x03}},
        {4, CIO_FRAME_LITTLE_ENDIAN, 0x010203, {0x03, 0x02, 0x01, 0x00}},
        {8, 0, 0x0102, {0, 0, 0, 0, 0, 0, 0x01, 0x02}},
        {8, CIO_FRAME_LITTLE_ENDIAN, 0x0102, {0x02, 0x01, 0, 0, 0, 0, 0, 0}},
    };
    unsigned char *payload;
    const void *frame = NULL;
    size_t i, len = 0;

    payload = malloc(0x010203);
    ck_assert_ptr_nonnull(payload);
    test_pattern(payload, 0x010203, 5);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cio_frame_opts o = {cases[i].size, cases[i].flags, 0};
        cio_frame_writer fw;
        cio_frame_reader fr;
        test_mem out, in;

        test_mem_init(&out, NULL, 0);
        ck_assert_int_eq(cio_frame_writer_init(&fw, &out.io, &o), 0);
        ck_assert_int_eq(cio_frame_write(&fw, payload, cases[i].len), 0);
        ck_assert_uint_eq(out.out_len, cases[i].size + cases[i].len);
        ck_assert_mem_eq(out.out, cases[i].hdr, cases[i].size);
        ck_assert_mem_eq(out.out + cases[i].size, payload, cases[i].len);
        /* And back. */
        test_mem_init(&in, out.out, out.out_len);
        ck_assert_int_eq(cio_frame_reader_init(&fr, &in.io, &o), 0);
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 1);
        ck_assert_uint_eq(len, cases[i].len);
        ck_assert_mem_eq(frame, payload, len);
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 0);
        cio_frame_reader_destroy(&fr);
        test_mem_fini(&out);
    }
    free(payload);
}
END_TEST

/* Many frames, empty ones included, through one-byte reads and writes
 * (_i == 1) or in bulk (_i == 0); the reader over a bufreader too. */
START_TEST(test_frame_roundtrip)
{
    static const size_t sizes[] = {0, 1, 5, 0, 300, 70000, 2};
    unsigned char *payload = malloc(70000), rbuf[64];
    const void *frame = NULL;
    cio_frame_writer fw;
    cio_frame_reader fr;
    cio_bufreader br;
    test_mem out, in;
    size_t i, len = 0;
    int pass;

    ck_assert_ptr_nonnull(payload);
    test_pattern(payload, 70000, 6);
    test_mem_init(&out, NULL, 0);
    out.write_max = _i ? 1 : 0;
    ck_assert_int_eq(cio_frame_writer_init(&fw, &out.io, NULL), 0);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        ck_assert_int_eq(cio_frame_write(&fw, payload, sizes[i]), 0);
    for (pass = 0; pass < 2; pass++) {
        test_mem_init(&in, out.out, out.out_len);
        in.read_max = _i ? 1 : 0;
        if (pass == 0) {
            ck_assert_int_eq(cio_frame_reader_init(&fr, &in.io, NULL), 0);
        } else {
            ck_assert_int_eq(cio_bufreader_init(&br, &in.io, rbuf, sizeof rbuf),
                             0);
            ck_assert_int_eq(
                cio_frame_reader_init(&fr, cio_bufreader_io(&br), NULL), 0);
        }
        for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 1);
            ck_assert_ptr_nonnull(frame);
            ck_assert_uint_eq(len, sizes[i]);
            if (len != 0)
                ck_assert_mem_eq(frame, payload, len);
        }
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 0);
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 0);
        /* Over a bufreader the small frames cost few reads. */
        if (pass == 1 && !_i)
            ck_assert_uint_lt(in.reads, 10);
        cio_frame_reader_destroy(&fr);
    }
    ck_assert_int_eq(cio_frame_read(&fr, NULL, &len), CIO_EINVAL);
    test_mem_fini(&out);
    free(payload);
}
END_TEST

START_TEST(test_frame_max)
{
    static const unsigned char big[] = {0, 0, 0, 100, 'x'};
    cio_frame_opts o = {4, 0, 50};
    cio_frame_opts one = {1, 0, 0};
    unsigned char payload[300] = {0};
    const void *frame = NULL;
    cio_frame_writer fw;
    cio_frame_reader fr;
    size_t len = 0;
    test_mem m;

    /* A header over the limit: refused before any payload is read, and
     * the reader stays refusing (it is out of step). */
    test_mem_init(&m, big, sizeof big);
    ck_assert_int_eq(cio_frame_reader_init(&fr, &m.io, &o), 0);
    ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), CIO_EMSGSIZE);
    ck_assert_uint_eq(m.in_pos, 4);
    ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), CIO_EMSGSIZE);
    ck_assert_uint_eq(m.in_pos, 4);
    cio_frame_reader_destroy(&fr);

    /* The writer checks the limit and what the header can carry. */
    test_mem_init(&m, NULL, 0);
    ck_assert_int_eq(cio_frame_writer_init(&fw, &m.io, &o), 0);
    ck_assert_int_eq(cio_frame_write(&fw, payload, 51), CIO_EMSGSIZE);
    ck_assert_int_eq(cio_frame_write(&fw, payload, 50), 0);
    ck_assert_int_eq(cio_frame_writer_init(&fw, &m.io, &one), 0);
    ck_assert_uint_eq(fw.max_frame, 255);
    ck_assert_int_eq(cio_frame_write(&fw, payload, 256), CIO_EMSGSIZE);
    ck_assert_int_eq(cio_frame_write(&fw, payload, 255), 0);
    ck_assert_int_eq(cio_frame_write(&fw, NULL, 1), CIO_EINVAL);
    ck_assert_int_eq(cio_frame_write(&fw, NULL, 0), 0);
    ck_assert_uint_eq(m.out_len, 4 + 50 + 1 + 255 + 1);
    test_mem_fini(&m);
}
END_TEST

START_TEST(test_frame_huge_header)
{
    static const unsigned char huge[] = {0x80, 0, 0, 0, 0, 0, 0, 1};
    cio_frame_opts o = {8, 0, 0};
    const void *frame = NULL;
    cio_frame_reader fr;
    size_t len = 0;
    test_mem m;

    /* A 2^63 length never reaches an allocation. */
    test_mem_init(&m, huge, sizeof huge);
    ck_assert_int_eq(cio_frame_reader_init(&fr, &m.io, &o), 0);
    ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), CIO_EMSGSIZE);
    ck_assert_ptr_null(fr.buf);
    cio_frame_reader_destroy(&fr);
}
END_TEST

/* The end of the stream: between frames it is clean (0), inside a
 * header or a payload it is a truncated frame (CIO_ENODATA), again and
 * again. */
START_TEST(test_frame_truncated)
{
    static const unsigned char wire[] = {0, 0, 0, 3,   'a', 'b', 'c', 0,
                                         0, 0, 4, 'w', 'x', 'y', 'z'};
    /* Cut points: after a whole frame, inside the second header, inside
     * its payload. */
    static const struct {
        size_t cut;
        int second;
    } cuts[] = {{7, 0}, {9, CIO_ENODATA}, {13, CIO_ENODATA}};
    const void *frame = NULL;
    cio_frame_reader fr;
    size_t len = 0, i;
    test_mem m;

    for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        test_mem_init(&m, wire, cuts[i].cut);
        m.read_max = _i ? 1 : 0;
        ck_assert_int_eq(cio_frame_reader_init(&fr, &m.io, NULL), 0);
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 1);
        ck_assert_uint_eq(len, 3);
        ck_assert_mem_eq(frame, "abc", 3);
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), cuts[i].second);
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), cuts[i].second);
        cio_frame_reader_destroy(&fr);
    }
    /* An empty stream is a clean end. */
    test_mem_init(&m, wire, 0);
    ck_assert_int_eq(cio_frame_reader_init(&fr, &m.io, NULL), 0);
    ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 0);
}
END_TEST

/* An error inside a header or a payload: the next read resumes the same
 * frame, whichever error it was. */
START_TEST(test_frame_read_resume)
{
    static const unsigned char wire[] = {0,   0, 0, 5, 'h', 'e', 'l', 'l',
                                         'o', 0, 0, 0, 2,   'o', 'k'};
    static const int errs[] = {CIO_ECONNRESET, CIO_ECANCELED, CIO_ETIMEDOUT};
    static const size_t at[] = {2, 6, 11};
    const void *frame = NULL;
    cio_frame_reader fr;
    size_t len = 0, i;
    test_mem m;

    for (i = 0; i < sizeof at / sizeof at[0]; i++) {
        test_mem_init(&m, wire, sizeof wire);
        m.read_err = errs[_i];
        m.read_err_at = at[i];
        ck_assert_int_eq(cio_frame_reader_init(&fr, &m.io, NULL), 0);
        if (at[i] < 9) {
            ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), errs[_i]);
        }
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 1);
        ck_assert_uint_eq(len, 5);
        ck_assert_mem_eq(frame, "hello", 5);
        if (at[i] >= 9) {
            ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), errs[_i]);
        }
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 1);
        ck_assert_uint_eq(len, 2);
        ck_assert_mem_eq(frame, "ok", 2);
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 0);
        cio_frame_reader_destroy(&fr);
    }
}
END_TEST

/* A write cut inside the header or the payload is finished by calling
 * again with the same frame; the wire shows each frame once. */
START_TEST(test_frame_write_resume)
{
    static const unsigned char want[] = {0,   0, 0, 5, 'h', 'e', 'l', 'l',
                                         'o', 0, 0, 0, 2,   'o', 'k'};
    static const size_t at[] = {2, 6, 4, 9};
    cio_frame_writer fw;
    size_t i;
    test_mem m;

    for (i = 0; i < sizeof at / sizeof at[0]; i++) {
        test_mem_init(&m, NULL, 0);
        m.write_max = _i ? 1 : 0;
        m.write_err = CIO_ETIMEDOUT;
        m.write_err_at = at[i];
        ck_assert_int_eq(cio_frame_writer_init(&fw, &m.io, NULL), 0);
        if (at[i] < 9) {
            ck_assert_int_eq(cio_frame_write(&fw, "hello", 5), CIO_ETIMEDOUT);
            ck_assert_uint_eq(m.out_len, at[i]);
            /* Only the same frame may follow. */
            ck_assert_int_eq(cio_frame_write(&fw, "ok", 2), CIO_EINVAL);
        }
        ck_assert_int_eq(cio_frame_write(&fw, "hello", 5), 0);
        if (at[i] == 9)
            ck_assert_int_eq(cio_frame_write(&fw, "ok", 2), CIO_ETIMEDOUT);
        ck_assert_int_eq(cio_frame_write(&fw, "ok", 2), 0);
        test_mem_assert_out(&m, want, sizeof want);
        test_mem_fini(&m);
    }
    /* Cut twice in one frame: the second resume starts where the
     * first one stopped, not where the frame started. */
    test_mem_init(&m, NULL, 0);
    m.write_max = _i ? 1 : 0;
    m.write_err = CIO_ECANCELED;
    m.write_err_at = 2;
    ck_assert_int_eq(cio_frame_writer_init(&fw, &m.io, NULL), 0);
    ck_assert_int_eq(cio_frame_write(&fw, "hello", 5), CIO_ECANCELED);
    m.write_err = CIO_ETIMEDOUT;
    m.write_err_at = 6;
    ck_assert_int_eq(cio_frame_write(&fw, "hello", 5), CIO_ETIMEDOUT);
    ck_assert_int_eq(cio_frame_write(&fw, "hello", 5), 0);
    ck_assert_int_eq(cio_frame_write(&fw, "ok", 2), 0);
    test_mem_assert_out(&m, want, sizeof want);
    test_mem_fini(&m);
}
END_TEST

/* Frames into a bufwriter are gathered: header and payload together. */
START_TEST(test_frame_bufwriter)
{
    static const unsigned char last[] = {0,   0,   0,   7,   '0', '1',
                                         '2', '3', '4', '5', '6'};
    unsigned char buf[64];
    cio_frame_writer fw;
    cio_bufwriter w;
    int i;
    test_mem m;

    test_mem_init(&m, NULL, 0);
    ck_assert_int_eq(cio_bufwriter_init(&w, &m.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_frame_writer_init(&fw, cio_bufwriter_io(&w), NULL), 0);
    for (i = 0; i < 5; i++)
        ck_assert_int_eq(cio_frame_write(&fw, "0123456", 7), 0);
    ck_assert_uint_eq(m.writes, 0);
    ck_assert_int_eq(cio_bufwriter_flush(&w), 0);
    ck_assert_uint_eq(m.writes, 1);
    ck_assert_uint_eq(m.out_len, 55);
    ck_assert_mem_eq(m.out + 44, last, sizeof last);
    test_mem_fini(&m);
}
END_TEST

TCase *
check_io_frame_tcase(void)
{
    TCase *tc = tcase_create("frame");

    tcase_add_test(tc, test_frame_opts);
    tcase_add_test(tc, test_frame_wire);
    tcase_add_loop_test(tc, test_frame_roundtrip, 0, 2);
    tcase_add_test(tc, test_frame_max);
    tcase_add_test(tc, test_frame_huge_header);
    tcase_add_loop_test(tc, test_frame_truncated, 0, 2);
    tcase_add_loop_test(tc, test_frame_read_resume, 0, 3);
    tcase_add_loop_test(tc, test_frame_write_resume, 0, 2);
    tcase_add_test(tc, test_frame_bufwriter);
    return tc;
}
