/* SPDX-License-Identifier: MIT */
/*
 * cio_io_bufwriter.c - the buffered writer: small writes gather in a
 * buffer, large ones go straight through, and a failed flush keeps
 * what did not go out at the front of the buffer, in order.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "compio/io.h"

static const cio_stream_ops bufwriter_ops;

int
cio_bufwriter_init(cio_bufwriter *w, cio_stream *inner, void *buf, size_t cap)
{
    if (w == NULL || inner == NULL || buf == NULL || cap == 0)
        return CIO_EINVAL;
    w->io.ops = &bufwriter_ops;
    w->inner = inner;
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->owned = 0;
    return 0;
}

int
cio_bufwriter_new(cio_bufwriter **out, cio_stream *inner, size_t cap)
{
    cio_bufwriter *w;

    if (out == NULL || inner == NULL)
        return CIO_EINVAL;
    if (cap == 0)
        cap = CIO_IO_DEFAULT_BUF;
    if (cap > SIZE_MAX - sizeof *w)
        return CIO_ENOMEM;
    w = malloc(sizeof *w + cap);
    if (w == NULL)
        return CIO_ENOMEM;
    cio_bufwriter_init(w, inner, (unsigned char *)(w + 1), cap);
    w->owned = 1;
    *out = w;
    return 0;
}

void
cio_bufwriter_free(cio_bufwriter *w)
{
    if (w != NULL && w->owned)
        free(w);
}

cio_stream *
cio_bufwriter_io(cio_bufwriter *w)
{
    return w != NULL ? &w->io : NULL;
}

size_t
cio_bufwriter_buffered(const cio_bufwriter *w)
{
    return w != NULL ? w->len : 0;
}

int
cio_bufwriter_flush(cio_bufwriter *w)
{
    size_t put = 0;
    int r;

    if (w == NULL)
        return CIO_EINVAL;
    if (w->len == 0)
        return 0;
    r = cio_write_all(w->inner, w->buf, w->len, &put);
    /* Keep the unwritten tail, moved to the front for the retry. */
    if (put < w->len)
        memmove(w->buf, w->buf + put, w->len - put);
    w->len -= put;
    return r;
}

int64_t
cio_bufwriter_write(cio_bufwriter *w, const void *buf, size_t len)
{
    int r;

    if (w == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    if (len == 0)
        return 0;
    if (len > w->cap - w->len) {
        r = cio_bufwriter_flush(w);
        if (r < 0)
            return r;
    }
    /* Copying a write the size of the buffer would only add a copy. */
    if (len >= w->cap)
        return cio_stream_write(w->inner, buf, len);
    memcpy(w->buf + w->len, buf, len);
    w->len += len;
    return (int64_t)len;
}

/* ---- as a stream ---- */

static int64_t
bufwriter_stream_write(cio_stream *s, const void *buf, size_t len)
{
    return cio_bufwriter_write((cio_bufwriter *)s, buf, len);
}

/* Gather a vector into the buffer while it fits, so header + payload
 * pairs (framing) cost one write of the stream, not two. */
static int64_t
bufwriter_stream_writev(cio_stream *s, const cio_iovec *iov, unsigned n)
{
    cio_bufwriter *w = (cio_bufwriter *)s;
    size_t total = 0;
    unsigned i;

    for (i = 0; i < n; i++) {
        if (iov[i].len > w->cap - w->len - total)
            break;
        total += iov[i].len;
    }
    if (i < n) {
        /* Not all of it fits: one buffer at a time, as write does. */
        for (i = 0; i < n && iov[i].len == 0; i++)
            ;
        return i < n ? cio_bufwriter_write(w, iov[i].base, iov[i].len) : 0;
    }
    for (i = 0; i < n; i++) {
        if (iov[i].len != 0)
            memcpy(w->buf + w->len, iov[i].base, iov[i].len);
        w->len += iov[i].len;
    }
    return (int64_t)total;
}

/* Reads bypass the buffer: a writer on a socket still listens. */
static int64_t
bufwriter_stream_read(cio_stream *s, void *buf, size_t len)
{
    return cio_stream_read(((cio_bufwriter *)s)->inner, buf, len);
}

static int64_t
bufwriter_stream_readv(cio_stream *s, const cio_iovec *iov, unsigned n)
{
    return cio_stream_readv(((cio_bufwriter *)s)->inner, iov, n);
}

static int
bufwriter_stream_shutdown(cio_stream *s)
{
    cio_bufwriter *w = (cio_bufwriter *)s;
    int r = cio_bufwriter_flush(w);

    return r < 0 ? r : cio_stream_shutdown(w->inner);
}

/* The stream is closed even when the flush fails: close must release
 * the descriptor; the flush's error is the one reported. */
static int
bufwriter_stream_close(cio_stream *s)
{
    cio_bufwriter *w = (cio_bufwriter *)s;
    int r = cio_bufwriter_flush(w);
    int c = cio_stream_close(w->inner);

    cio_bufwriter_free(w);
    return r < 0 ? r : c;
}

static cio_fd
bufwriter_stream_fd(const cio_stream *s)
{
    return cio_stream_fd(((const cio_bufwriter *)s)->inner);
}

static const cio_stream_ops bufwriter_ops = {
    .read = bufwriter_stream_read,
    .write = bufwriter_stream_write,
    .readv = bufwriter_stream_readv,
    .writev = bufwriter_stream_writev,
    .shutdown = bufwriter_stream_shutdown,
    .close = bufwriter_stream_close,
    .fd = bufwriter_stream_fd,
};
