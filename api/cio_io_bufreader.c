/* SPDX-License-Identifier: MIT */
/*
 * cio_io_bufreader.c - the buffered reader: its life cycle, reads
 * through the buffer, the fill/consume/peek primitives, and its face as
 * a cio_stream. Line and delimiter reading builds on peek_until in
 * cio_io_line.c.
 *
 * The buffer holds [pos, end); bytes leave it only through consume, so
 * a stream error in the middle of a call never loses a byte: the state
 * is either advanced by what the call returned, or not at all.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "compio/io.h"

static const cio_stream_ops bufreader_ops;

int
cio_bufreader_init(cio_bufreader *r, cio_stream *inner, void *buf, size_t cap)
{
    if (r == NULL || inner == NULL || buf == NULL || cap == 0)
        return CIO_EINVAL;
    r->io.ops = &bufreader_ops;
    r->inner = inner;
    r->buf = buf;
    r->cap = cap;
    r->pos = 0;
    r->end = 0;
    r->owned = 0;
    return 0;
}

int
cio_bufreader_new(cio_bufreader **out, cio_stream *inner, size_t cap)
{
    cio_bufreader *r;

    if (out == NULL || inner == NULL)
        return CIO_EINVAL;
    if (cap == 0)
        cap = CIO_IO_DEFAULT_BUF;
    /* One allocation: the buffer follows the struct. */
    if (cap > SIZE_MAX - sizeof *r)
        return CIO_ENOMEM;
    r = malloc(sizeof *r + cap);
    if (r == NULL)
        return CIO_ENOMEM;
    cio_bufreader_init(r, inner, (unsigned char *)(r + 1), cap);
    r->owned = 1;
    *out = r;
    return 0;
}

void
cio_bufreader_free(cio_bufreader *r)
{
    if (r != NULL && r->owned)
        free(r);
}

cio_stream *
cio_bufreader_io(cio_bufreader *r)
{
    return r != NULL ? &r->io : NULL;
}

size_t
cio_bufreader_buffered(const cio_bufreader *r)
{
    return r != NULL ? r->end - r->pos : 0;
}

/*
 * One read of the stream into the free space after the buffered bytes,
 * moving them to the front first if that is where the room is. Bytes
 * added, 0 at end of stream, or -errno (state untouched). The caller
 * makes sure the buffer is not full.
 */
static int64_t
bufreader_fill_more(cio_bufreader *r)
{
    int64_t n;

    if (r->pos == r->end) {
        r->pos = 0;
        r->end = 0;
    } else if (r->end == r->cap) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    n = cio_stream_read(r->inner, r->buf + r->end, r->cap - r->end);
    if (n > 0) {
        if ((uint64_t)n > r->cap - r->end)
            return CIO_EIO;
        r->end += (size_t)n;
    }
    return n;
}

int64_t
cio_bufreader_read(cio_bufreader *r, void *buf, size_t len)
{
    size_t n;

    if (r == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    if (len == 0)
        return 0;
    if (r->pos == r->end) {
        int64_t got;

        /* Nothing to gain from staging a large read in the buffer. */
        if (len >= r->cap)
            return cio_stream_read(r->inner, buf, len);
        got = bufreader_fill_more(r);
        if (got <= 0)
            return got;
    }
    n = r->end - r->pos;
    if (n > len)
        n = len;
    memcpy(buf, r->buf + r->pos, n);
    r->pos += n;
    return (int64_t)n;
}

int
cio_bufreader_read_exact(cio_bufreader *r, void *buf, size_t len, size_t *done)
{
    if (r == NULL) {
        if (done != NULL)
            *done = 0;
        return CIO_EINVAL;
    }
    return cio_read_exact(&r->io, buf, len, done);
}

int64_t
cio_bufreader_fill(cio_bufreader *r, const void **data)
{
    if (r == NULL || data == NULL)
        return CIO_EINVAL;
    if (r->pos == r->end) {
        int64_t n = bufreader_fill_more(r);

        if (n <= 0)
            return n;
    }
    *data = r->buf + r->pos;
    return (int64_t)(r->end - r->pos);
}

void
cio_bufreader_consume(cio_bufreader *r, size_t n)
{
    if (r == NULL)
        return;
    if (n > r->end - r->pos)
        n = r->end - r->pos;
    r->pos += n;
}

int64_t
cio_bufreader_peek(cio_bufreader *r, size_t n, const void **data)
{
    if (r == NULL || data == NULL || n > r->cap)
        return CIO_EINVAL;
    while (r->end - r->pos < n) {
        int64_t got = bufreader_fill_more(r);

        if (got < 0)
            return got;
        if (got == 0)
            break;
    }
    *data = r->buf + r->pos;
    return (int64_t)(r->end - r->pos);
}

int64_t
cio_bufreader_peek_until(cio_bufreader *r, int delim, size_t max,
                         const void **data)
{
    size_t scanned = 0;

    if (r == NULL || data == NULL || max == 0)
        return CIO_EINVAL;
    for (;;) {
        size_t avail = r->end - r->pos;
        const unsigned char *hit;
        int64_t got;

        /* Only the new bytes need looking at. */
        hit = memchr(r->buf + r->pos + scanned, (unsigned char)delim,
                     avail - scanned);
        if (hit != NULL) {
            size_t len = (size_t)(hit - (r->buf + r->pos)) + 1;

            if (len > max)
                return CIO_EMSGSIZE;
            *data = r->buf + r->pos;
            return (int64_t)len;
        }
        scanned = avail;
        /* Without a delimiter the line is longer than what we hold; an
         * end of stream right here would still make a line of exactly
         * @max, hence ">" and not ">=". A full buffer cannot grow. */
        if (avail > max || avail == r->cap)
            return CIO_EMSGSIZE;
        got = bufreader_fill_more(r);
        if (got < 0)
            return got;
        if (got == 0) {
            /* The last line has no delimiter; it is still a line. */
            *data = r->buf + r->pos;
            return (int64_t)avail;
        }
    }
}

/* ---- as a stream ---- */

static int64_t
bufreader_stream_read(cio_stream *s, void *buf, size_t len)
{
    return cio_bufreader_read((cio_bufreader *)s, buf, len);
}

/* Writes bypass the buffer: a reader on a socket still talks back. */
static int64_t
bufreader_stream_write(cio_stream *s, const void *buf, size_t len)
{
    return cio_stream_write(((cio_bufreader *)s)->inner, buf, len);
}

static int64_t
bufreader_stream_writev(cio_stream *s, const cio_iovec *iov, unsigned n)
{
    return cio_stream_writev(((cio_bufreader *)s)->inner, iov, n);
}

static int
bufreader_stream_shutdown(cio_stream *s)
{
    return cio_stream_shutdown(((cio_bufreader *)s)->inner);
}

static int
bufreader_stream_close(cio_stream *s)
{
    cio_bufreader *r = (cio_bufreader *)s;
    int rc = cio_stream_close(r->inner);

    cio_bufreader_free(r);
    return rc;
}

static cio_fd
bufreader_stream_fd(const cio_stream *s)
{
    return cio_stream_fd(((const cio_bufreader *)s)->inner);
}

static const cio_stream_ops bufreader_ops = {
    .read = bufreader_stream_read,
    .write = bufreader_stream_write,
    .readv = NULL,
    .writev = bufreader_stream_writev,
    .shutdown = bufreader_stream_shutdown,
    .close = bufreader_stream_close,
    .fd = bufreader_stream_fd,
};
