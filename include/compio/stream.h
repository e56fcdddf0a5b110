/* SPDX-License-Identifier: MIT */
/*
 * compio/stream.h - the byte-stream interface every high-level stream
 * implements: TCP and Unix stream sockets, pipes, a child's stdio, the
 * process's own stdin/stdout/stderr, a file read or written in order.
 *
 * A stream is a struct whose first member is a cio_stream, so a
 * cio_tcp_stream * converts to a cio_stream * with the accessor each
 * type offers (cio_tcp_stream_io(), cio_pipe_io(), ...). Generic code
 * (compio/io.h: read_exact, write_all, copy, buffered readers and
 * writers, framing) takes a cio_stream * and does not care what is
 * under it. A user type (a TLS session, an in-memory stream for tests)
 * becomes a stream by filling in a cio_stream_ops table.
 *
 * The calls are made from tasks and read like blocking code; like every
 * call they honour cio_cancel (CIO_ECANCELED) and the task's deadline
 * (cio_deadline_set: CIO_ETIMEDOUT).
 */
#ifndef COMPIO_STREAM_H
#define COMPIO_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_stream cio_stream;

/** What a stream does; unused entries may be NULL (CIO_ENOTSUP). */
typedef struct cio_stream_ops {
    /** Read at most @len bytes: > 0 bytes, 0 at end of stream, -errno. */
    int64_t (*read)(cio_stream *s, void *buf, size_t len);
    /** Write at most @len bytes: > 0 bytes written (may be short), -errno. */
    int64_t (*write)(cio_stream *s, const void *buf, size_t len);
    /** Vectored forms; NULL means "loop over read/write" in the helpers. */
    int64_t (*readv)(cio_stream *s, const cio_iovec *iov, unsigned n);
    /** See readv. */
    int64_t (*writev)(cio_stream *s, const cio_iovec *iov, unsigned n);
    /** No more writes (a socket's SHUT_WR, a pipe's close of the end). */
    int (*shutdown)(cio_stream *s);
    /** Release the stream (and its descriptor): 0 or -errno. */
    int (*close)(cio_stream *s);
    /** The descriptor under it, CIO_INVALID_FD if none. */
    cio_fd (*fd)(const cio_stream *s);
} cio_stream_ops;

/** The interface header; embed it first in a stream type. */
struct cio_stream {
    const cio_stream_ops *ops; /**< The type's table. */
};

/** Read at most @len bytes: > 0, 0 at end of stream, or -errno. */
CIO_EXTERN int64_t cio_stream_read(cio_stream *s, void *buf, size_t len);
/** Write at most @len bytes: > 0 (maybe short), or -errno. */
CIO_EXTERN int64_t cio_stream_write(cio_stream *s, const void *buf,
                                    size_t len);
/** Vectored read (one call; may be short). */
CIO_EXTERN int64_t cio_stream_readv(cio_stream *s, const cio_iovec *iov,
                                    unsigned n);
/** Vectored write (one call; may be short). */
CIO_EXTERN int64_t cio_stream_writev(cio_stream *s, const cio_iovec *iov,
                                     unsigned n);
/** Shut the write side. 0 or -errno. */
CIO_EXTERN int cio_stream_shutdown(cio_stream *s);
/** Close and free the stream, whatever its type. 0 or -errno. NULL ok. */
CIO_EXTERN int cio_stream_close(cio_stream *s);
/** The descriptor under @s, or CIO_INVALID_FD. */
CIO_EXTERN cio_fd cio_stream_fd(const cio_stream *s);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_STREAM_H */
