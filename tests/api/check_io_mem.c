/* SPDX-License-Identifier: MIT */
/*
 * check_io_mem.c - the scripted in-memory stream of check_io.h, and a
 * test that it misbehaves exactly as scripted (the other cases rely on
 * that).
 */
#include <stdlib.h>
#include <string.h>

#include "check_io.h"

/* How much the next read may return: the script, then read_max, cut at
 * a pending error so that it fires at exactly its offset. */
static size_t
mem_read_limit(test_mem *m, size_t len)
{
    size_t call = m->reads;

    if (call < m->read_script_n && m->read_script[call] < len)
        len = m->read_script[call];
    else if (call >= m->read_script_n && m->read_max != 0 && m->read_max < len)
        len = m->read_max;
    if (m->read_err != 0 && m->read_err_at > m->in_pos &&
        m->read_err_at - m->in_pos < len)
        len = m->read_err_at - m->in_pos;
    return len;
}

static int64_t
mem_read(cio_stream *s, void *buf, size_t len)
{
    test_mem *m = (test_mem *)s;
    size_t n;

    len = mem_read_limit(m, len);
    m->reads++;
    if (m->read_err != 0 && m->read_err_at == m->in_pos) {
        int e = m->read_err;

        m->read_err = 0;
        return e;
    }
    n = m->in_len - m->in_pos;
    if (n > len)
        n = len;
    memcpy(buf, m->in + m->in_pos, n);
    m->in_pos += n;
    if (m->read_overreport && n > 0)
        return (int64_t)n + 1;
    return (int64_t)n;
}

/* Append @len bytes (already limited) to the collected output. */
static void
mem_append(test_mem *m, const void *p, size_t len)
{
    if (m->out_len + len > m->out_cap) {
        size_t cap = m->out_cap ? m->out_cap : 64;

        while (cap < m->out_len + len)
            cap *= 2;
        m->out = realloc(m->out, cap);
        ck_assert_ptr_nonnull(m->out);
        m->out_cap = cap;
    }
    memcpy(m->out + m->out_len, p, len);
    m->out_len += len;
}

/* The write limit, as mem_read_limit. -errno when the error fires. */
static int64_t
mem_write_limit(test_mem *m, size_t len)
{
    if (m->write_err != 0 && m->write_err_at == m->out_len) {
        int e = m->write_err;

        m->write_err = 0;
        return e;
    }
    if (m->write_max != 0 && m->write_max < len)
        len = m->write_max;
    if (m->write_err != 0 && m->write_err_at > m->out_len &&
        m->write_err_at - m->out_len < len)
        len = m->write_err_at - m->out_len;
    return m->write_zero ? 0 : (int64_t)len;
}

static int64_t
mem_write(cio_stream *s, const void *buf, size_t len)
{
    test_mem *m = (test_mem *)s;
    int64_t n;

    m->writes++;
    ck_assert_uint_gt(len, 0); /* the helpers never write nothing */
    n = mem_write_limit(m, len);
    if (n > 0)
        mem_append(m, buf, (size_t)n);
    return n;
}

static int64_t
mem_writev(cio_stream *s, const cio_iovec *iov, unsigned cnt)
{
    test_mem *m = (test_mem *)s;
    size_t total = 0, left;
    int64_t n;
    unsigned i;

    m->writes++;
    m->writevs++;
    for (i = 0; i < cnt; i++)
        total += iov[i].len;
    ck_assert_uint_gt(total, 0);
    n = mem_write_limit(m, total);
    if (n <= 0)
        return n;
    left = (size_t)n;
    for (i = 0; i < cnt && left > 0; i++) {
        size_t k = iov[i].len < left ? iov[i].len : left;

        mem_append(m, iov[i].base, k);
        left -= k;
    }
    return n;
}

static int
mem_shutdown(cio_stream *s)
{
    ((test_mem *)s)->shutdowns++;
    return 0;
}

static int
mem_close(cio_stream *s)
{
    test_mem *m = (test_mem *)s;

    m->closes++;
    return m->close_result;
}

static cio_fd
mem_fd(const cio_stream *s)
{
    return ((const test_mem *)s)->fd;
}

static const cio_stream_ops mem_ops = {
    .read = mem_read,
    .write = mem_write,
    .writev = mem_writev,
    .shutdown = mem_shutdown,
    .close = mem_close,
    .fd = mem_fd,
};

static const cio_stream_ops mem_plain_ops = {
    .read = mem_read,
    .write = mem_write,
    .shutdown = mem_shutdown,
    .close = mem_close,
    .fd = mem_fd,
};

void
test_mem_init(test_mem *m, const void *in, size_t len)
{
    memset(m, 0, sizeof *m);
    m->io.ops = &mem_ops;
    m->in = in;
    m->in_len = len;
    m->fd = CIO_INVALID_FD;
}

void
test_mem_init_plain(test_mem *m, const void *in, size_t len)
{
    test_mem_init(m, in, len);
    m->io.ops = &mem_plain_ops;
}

void
test_mem_fini(test_mem *m)
{
    free(m->out);
    m->out = NULL;
}

cio_stream *
test_mem_io(test_mem *m)
{
    return &m->io;
}

void
test_mem_assert_out(const test_mem *m, const void *p, size_t len)
{
    ck_assert_uint_eq(m->out_len, len);
    if (len != 0)
        ck_assert_mem_eq(m->out, p, len);
}

void
test_pattern(void *buf, size_t len, uint32_t seed)
{
    unsigned char *p = buf;
    uint32_t x = seed * 2654435761u + 1;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
}

/* ---- the fixture itself ---- */

START_TEST(test_mem_script)
{
    static const size_t script[] = {1, 2};
    test_mem m;
    char buf[16];

    test_mem_init(&m, "abcdefghij", 10);
    m.read_script = script;
    m.read_script_n = 2;
    m.read_max = 3;
    m.read_err = CIO_ECONNRESET;
    m.read_err_at = 8;
    ck_assert_int_eq(cio_stream_read(&m.io, buf, sizeof buf), 1);
    ck_assert_int_eq(cio_stream_read(&m.io, buf, sizeof buf), 2);
    ck_assert_mem_eq(buf, "bc", 2);
    ck_assert_int_eq(cio_stream_read(&m.io, buf, sizeof buf), 3);
    /* Cut at the error offset, then the error, once. */
    ck_assert_int_eq(cio_stream_read(&m.io, buf, sizeof buf), 2);
    ck_assert_int_eq(cio_stream_read(&m.io, buf, sizeof buf), CIO_ECONNRESET);
    ck_assert_int_eq(cio_stream_read(&m.io, buf, sizeof buf), 2);
    ck_assert_mem_eq(buf, "ij", 2);
    ck_assert_int_eq(cio_stream_read(&m.io, buf, sizeof buf), 0);
    ck_assert_uint_eq(m.reads, 7);

    m.write_max = 4;
    m.write_err = CIO_EPIPE;
    m.write_err_at = 6;
    ck_assert_int_eq(cio_stream_write(&m.io, "0123456789", 10), 4);
    ck_assert_int_eq(cio_stream_write(&m.io, "456789", 6), 2);
    ck_assert_int_eq(cio_stream_write(&m.io, "6789", 4), CIO_EPIPE);
    ck_assert_int_eq(cio_stream_write(&m.io, "6789", 4), 4);
    test_mem_assert_out(&m, "0123456789", 10);
    test_mem_fini(&m);
}
END_TEST

TCase *
check_io_mem_tcase(void)
{
    TCase *tc = tcase_create("mem");

    tcase_add_test(tc, test_mem_script);
    return tc;
}
