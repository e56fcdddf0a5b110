/* SPDX-License-Identifier: MIT */
/*
 * cio_api_internal.h - what the high-level API files share: attaching
 * and closing descriptors from tasks, and the descriptor-backed stream
 * that TCP/Unix streams, pipes, stdio and a child's pipes are made of.
 * Not installed.
 */
#ifndef CIO_API_INTERNAL_H
#define CIO_API_INTERNAL_H

#include <stdint.h>

#include "compio.h"
#include "compio/stream.h"

/* The most one op moves: op lengths are 32-bit, results int32_t. */
#define CIO__API_MAX_IO ((size_t)0x7ffff000)

/**
 * Attach @fd to the current runtime's driver (epoll makes it
 * non-blocking; IOCP associates the handle). 0, CIO_EPERM outside a
 * runtime, or -errno.
 */
int cio__api_attach(cio_fd fd);

/*
 * cio_submit_wait for a data op (read, write, their vector and _at
 * forms): again while it completes with CIO_EINTR or CIO_EAGAIN, which
 * mean nothing moved; a blocking-style call never returns them.
 */
int32_t cio__api_await_restart(cio_op *op);

/**
 * Close @fd for good: through the driver from a task, or with close(2)
 * where an op cannot be awaited (outside a task, or in a cancelled task,
 * whose ops fail at once) - a descriptor is never leaked. 0 or -errno
 * (the descriptor is released either way, as with close(2)).
 */
int cio__api_close(cio_fd fd);

/* How a descriptor-backed stream moves bytes. */
enum {
    CIO__FD_PIPE = 0,   /* read/write: pipes, ttys, character devices. */
    CIO__FD_SOCKET = 1, /* recv/send (MSG_NOSIGNAL): stream sockets. */
    CIO__FD_FILE = 2    /* read_at/write_at at its own cursor: files. */
};

/** A stream over one descriptor. */
typedef struct cio__fdstream {
    cio_stream base; /* First: a cio__fdstream * is a cio_stream *. */
    cio_fd fd;
    uint8_t kind;  /* CIO__FD_*. */
    uint8_t owned; /* close() closes fd. */
    uint64_t pos;  /* CIO__FD_FILE: the next offset. */
} cio__fdstream;

/**
 * Initialise @s over @fd (already attached). Its ops are
 * cio__fdstream_ops: close closes fd when @owned and frees nothing, so
 * the struct may be embedded; types that allocate wrap close.
 */
void cio__fdstream_init(cio__fdstream *s, cio_fd fd, int kind, int owned);

/** Allocate a stream over @fd whose close also frees it. 0 or -errno. */
int cio__fdstream_new(cio_stream **out, cio_fd fd, int kind, int owned);

/* The operations, for types that embed a cio__fdstream first and build
 * their own table around them. */
int64_t cio__fdstream_read(cio_stream *s, void *buf, size_t len);
int64_t cio__fdstream_write(cio_stream *s, const void *buf, size_t len);
int64_t cio__fdstream_readv(cio_stream *s, const cio_iovec *iov, unsigned n);
int64_t cio__fdstream_writev(cio_stream *s, const cio_iovec *iov,
                             unsigned n);
int cio__fdstream_shutdown(cio_stream *s);
int cio__fdstream_close_fd(cio_stream *s);
cio_fd cio__fdstream_fd(const cio_stream *s);

extern const cio_stream_ops cio__fdstream_ops;

#endif /* CIO_API_INTERNAL_H */
