/* SPDX-License-Identifier: MIT */
/*
 * cio_stream.c - dispatch through a stream's ops table, with the
 * defaults the header promises for entries a type leaves NULL.
 */
#include "config.h"

#include "compio/error.h"
#include "compio/stream.h"

int64_t
cio_stream_read(cio_stream *s, void *buf, size_t len)
{
    if (s == NULL || s->ops == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    return s->ops->read != NULL ? s->ops->read(s, buf, len) : CIO_ENOTSUP;
}

int64_t
cio_stream_write(cio_stream *s, const void *buf, size_t len)
{
    if (s == NULL || s->ops == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    return s->ops->write != NULL ? s->ops->write(s, buf, len) : CIO_ENOTSUP;
}

/* Without a native vectored call, one call on the first non-empty buffer
 * keeps the "may be short" contract without looping. */
static const cio_iovec *
first_nonempty(const cio_iovec *iov, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++)
        if (iov[i].len != 0)
            return &iov[i];
    return NULL;
}

int64_t
cio_stream_readv(cio_stream *s, const cio_iovec *iov, unsigned n)
{
    const cio_iovec *v;

    if (s == NULL || s->ops == NULL || (iov == NULL && n != 0))
        return CIO_EINVAL;
    if (s->ops->readv != NULL)
        return s->ops->readv(s, iov, n);
    v = first_nonempty(iov, n);
    return v != NULL ? cio_stream_read(s, v->base, v->len) : 0;
}

int64_t
cio_stream_writev(cio_stream *s, const cio_iovec *iov, unsigned n)
{
    const cio_iovec *v;

    if (s == NULL || s->ops == NULL || (iov == NULL && n != 0))
        return CIO_EINVAL;
    if (s->ops->writev != NULL)
        return s->ops->writev(s, iov, n);
    v = first_nonempty(iov, n);
    return v != NULL ? cio_stream_write(s, v->base, v->len) : 0;
}

int
cio_stream_shutdown(cio_stream *s)
{
    if (s == NULL || s->ops == NULL)
        return CIO_EINVAL;
    return s->ops->shutdown != NULL ? s->ops->shutdown(s) : CIO_ENOTSUP;
}

int
cio_stream_close(cio_stream *s)
{
    if (s == NULL)
        return 0;
    if (s->ops == NULL || s->ops->close == NULL)
        return CIO_EINVAL;
    return s->ops->close(s);
}

cio_fd
cio_stream_fd(const cio_stream *s)
{
    if (s == NULL || s->ops == NULL || s->ops->fd == NULL)
        return CIO_INVALID_FD;
    return s->ops->fd(s);
}
