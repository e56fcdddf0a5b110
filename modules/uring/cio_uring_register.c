/* SPDX-License-Identifier: MIT */
/*
 * cio_uring_register.c - registered files (IORING_REGISTER_FILES) and
 * registered buffers (IORING_REGISTER_BUFFERS) for the core's
 * cio_driver_register_files/_buffers. The core keeps count of what is
 * registered and emulates when we fail with CIO_ENOMEM (pinned buffers
 * count against RLIMIT_MEMLOCK); other errors are the caller's.
 *
 * A single-issuer ring starts disabled and is enabled by its first user
 * (cio_uring.c); registering counts as a use, so the thread that
 * registers is the one the driver belongs to, as with submit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/uio.h>

#include "cio_uring_int.h"

/* The tables go to the kernel as they are. */
_Static_assert(sizeof(cio_fd) == sizeof(int), "cio_fd is not an int");
_Static_assert(sizeof(cio_iovec) == sizeof(struct iovec),
               "cio_iovec is not a struct iovec");

int
uring__files_register(void *state, const cio_fd *fds, unsigned n)
{
    uring_state *st = state;
    int r;
    if (!st->enabled && (r = uring__enable(st)) < 0)
        return r;
    return io_uring_register_files(&st->ring, fds, n);
}

int
uring__files_update(void *state, unsigned off, const cio_fd *fds, unsigned n)
{
    uring_state *st = state;
    return io_uring_register_files_update(&st->ring, off, fds, n);
}

int
uring__files_unregister(void *state)
{
    uring_state *st = state;
    return io_uring_unregister_files(&st->ring);
}

int
uring__buffers_register(void *state, const cio_iovec *iov, unsigned n)
{
    uring_state *st = state;
    int r;
    if (!st->enabled && (r = uring__enable(st)) < 0)
        return r;
    return io_uring_register_buffers(&st->ring, (const struct iovec *)iov, n);
}

int
uring__buffers_unregister(void *state)
{
    uring_state *st = state;
    return io_uring_unregister_buffers(&st->ring);
}
