/* SPDX-License-Identifier: MIT */
/*
 * cio_fdstream.c - the descriptor-backed stream, and attach/close for
 * the API files. Each call is one op awaited by the calling task, so it
 * honours cancel and deadlines like every other op.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#include "cio_api_internal.h"
#ifdef _WIN32
#include "cio_sys.h"
#endif

int
cio__api_attach(cio_fd fd)
{
    cio_runtime *rt = cio_runtime_current();

    if (rt == NULL)
        return CIO_EPERM;
    return cio_driver_attach(cio_runtime_driver(rt), fd);
}

int
cio__api_close(cio_fd fd)
{
    cio_op op;
    int32_t r;

    if (fd == CIO_INVALID_FD)
        return CIO_EBADF;
    if (cio_current() != NULL && !cio_cancelled()) {
        cio_op_close(&op, fd);
        r = cio_submit_wait(&op);
        /*
         * Only a close that never reached the kernel can be retried:
         * CIO_ECANCELED (a cancel that arrived before the op started) or
         * CIO_ETIMEDOUT (a deadline that passed first). Any other result
         * means the descriptor is gone, whatever the error says.
         */
        if (r != CIO_ECANCELED && r != CIO_ETIMEDOUT)
            return r;
    }
#ifdef _WIN32
    /* closesocket or CloseHandle, whichever @fd is. */
    return cio__sys_close(fd);
#else
    return close(fd) == 0 ? 0 : -errno;
#endif
}

static size_t
clamp(size_t len)
{
    return len > CIO__API_MAX_IO ? CIO__API_MAX_IO : len;
}

/* Does @opcode move data from the descriptor (else towards it)? */
static int
op_reads(unsigned opcode)
{
    switch (opcode) {
    case CIO_OP_READ:
    case CIO_OP_READ_AT:
    case CIO_OP_READV:
    case CIO_OP_READV_AT:
    case CIO_OP_READ_FIXED:
    case CIO_OP_RECV:
    case CIO_OP_RECVMSG:
        return 1;
    default:
        return 0;
    }
}

/*
 * What a data call (a read or write of a stream or file) does after its
 * op completed with @r, CIO_EINTR or CIO_EAGAIN. Both mean that nothing
 * moved (a read or write interrupted after some bytes reports those
 * bytes instead), so going again is always safe; and a stream call
 * reads like a blocking read(2) under SA_RESTART, where neither reaches
 * the caller. A backend may deliver them: io_uring passes the kernel's
 * result through (CIO_EAGAIN for a descriptor the caller made
 * O_NONBLOCK), and the fault-injecting module (modules/faulty) injects
 * both. After CIO_EAGAIN the call first waits for the descriptor to be
 * ready in its direction, so that a non-blocking descriptor costs a
 * wait, not a spin. Cancel and deadlines still end the call
 * (CIO_ECANCELED, CIO_ETIMEDOUT are not retried). Returns 0 when the
 * op should go again, else the call's result.
 */
static int32_t
restart_wait(const cio_op *op, int32_t r)
{
    cio_op ready;

    if (r == CIO_EAGAIN) {
        cio_op_poll_add(&ready, op->fd,
                        op_reads(op->opcode) ? CIO_POLL_IN : CIO_POLL_OUT);
        r = cio_submit_wait(&ready);
        if (r < 0 && r != CIO_EINTR)
            return r;
    }
    return 0;
}

/* Does @r ask for the op to go again (see restart_wait)? */
#define RESTART(r) ((r) == CIO_EINTR || (r) == CIO_EAGAIN)

/*
 * Await @op, again while it completes with CIO_EINTR or CIO_EAGAIN (see
 * restart_wait).
 */
int32_t
cio__api_await_restart(cio_op *op)
{
    /*
     * Only the arguments are copied (32 bytes, not the whole op): a
     * push resets what a completion wrote (result, flags, the link) and
     * nothing changes the op's header, but a backend may use the
     * arguments as scratch.
     */
    const cio_op_args args = op->a;
    int32_t r;

    for (;;) {
        r = cio_submit_wait(op);
        if (!RESTART(r))
            return r;
        r = restart_wait(op, r);
        if (r < 0)
            return r;
        op->a = args;
    }
}

/* The op of a read of @n bytes into @buf from @s's descriptor. */
static inline void
fdstream_read_op(const cio__fdstream *s, cio_op *op, void *buf, uint32_t n)
{
    switch (s->kind) {
    case CIO__FD_SOCKET:
        cio_op_recv(op, s->fd, buf, n, 0);
        break;
    case CIO__FD_FILE:
        cio_op_read_at(op, s->fd, buf, n, s->pos);
        break;
    default:
        cio_op_read(op, s->fd, buf, n);
        break;
    }
}

/* The op of a write of @n bytes from @buf to @s's descriptor. */
static inline void
fdstream_write_op(const cio__fdstream *s, cio_op *op, const void *buf,
                  uint32_t n)
{
    switch (s->kind) {
    case CIO__FD_SOCKET:
        cio_op_send(op, s->fd, buf, n, 0);
        break;
    case CIO__FD_FILE:
        cio_op_write_at(op, s->fd, buf, n, s->pos);
        break;
    default:
        cio_op_write(op, s->fd, buf, n);
        break;
    }
}

/*
 * The restart loop of a read or write whose op completed with @r,
 * CIO_EINTR or CIO_EAGAIN: the op is built again from the call's own
 * arguments rather than from a copy kept of them, so the first go (and
 * nearly every op completes at the first go) copies nothing and makes
 * no call but cio_submit_wait. Kept out of line for the same reason.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int32_t
fdstream_again(cio__fdstream *s, int write, const void *buf, uint32_t n,
               int32_t r)
{
    cio_op op;

    do {
        if (write)
            fdstream_write_op(s, &op, buf, n);
        else
            fdstream_read_op(s, &op, (void *)buf, n);
        r = restart_wait(&op, r);
        if (r < 0)
            return r;
        r = cio_submit_wait(&op);
    } while (RESTART(r));
    return r;
}

int64_t
cio__fdstream_read(cio_stream *base, void *buf, size_t len)
{
    cio__fdstream *s = (cio__fdstream *)base;
    uint32_t n = (uint32_t)clamp(len);
    cio_op op;
    int32_t r;

    /* A closed stream (Windows would take -1 for a pseudo-handle). */
    if (s->fd == CIO_INVALID_FD)
        return CIO_EBADF;
    fdstream_read_op(s, &op, buf, n);
    r = cio_submit_wait(&op);
    if (RESTART(r))
        r = fdstream_again(s, 0, buf, n, r);
    if (r > 0 && s->kind == CIO__FD_FILE)
        s->pos += (uint64_t)r;
    return r;
}

int64_t
cio__fdstream_write(cio_stream *base, const void *buf, size_t len)
{
    cio__fdstream *s = (cio__fdstream *)base;
    uint32_t n = (uint32_t)clamp(len);
    cio_op op;
    int32_t r;

    /* A closed stream (Windows would take -1 for a pseudo-handle). */
    if (s->fd == CIO_INVALID_FD)
        return CIO_EBADF;
    fdstream_write_op(s, &op, buf, n);
    r = cio_submit_wait(&op);
    if (RESTART(r))
        r = fdstream_again(s, 1, buf, n, r);
    if (r > 0 && s->kind == CIO__FD_FILE)
        s->pos += (uint64_t)r;
    return r;
}

/*
 * Vectored: one op. A socket writes with SENDMSG, which adds
 * MSG_NOSIGNAL, so a peer that went away gives CIO_EPIPE even when the
 * program handles SIGPIPE itself; pipes and files take readv/writev.
 */
static int64_t
fdstream_vec(cio__fdstream *s, int write, const cio_iovec *iov, unsigned n)
{
    cio_opcode code;
    cio_op op;
    int32_t r;

    if (s->fd == CIO_INVALID_FD)
        return CIO_EBADF;
#ifndef _WIN32
    if (write && s->kind == CIO__FD_SOCKET) {
        struct msghdr msg;

        memset(&msg, 0, sizeof msg);
        /* cio_iovec has struct iovec's layout (checked in core). */
        msg.msg_iov = (struct iovec *)(void *)iov;
        msg.msg_iovlen = n;
        cio_op_sendmsg(&op, s->fd, &msg, 0);
        return cio__api_await_restart(&op);
    }
#endif
    if (s->kind == CIO__FD_FILE)
        code = write ? CIO_OP_WRITEV_AT : CIO_OP_READV_AT;
    else
        code = write ? CIO_OP_WRITEV : CIO_OP_READV;
    cio_op_vec(&op, code, s->fd, iov, n, s->pos);
    r = cio__api_await_restart(&op);
    if (r > 0 && s->kind == CIO__FD_FILE)
        s->pos += (uint64_t)r;
    return r;
}

int64_t
cio__fdstream_readv(cio_stream *base, const cio_iovec *iov, unsigned n)
{
    return fdstream_vec((cio__fdstream *)base, 0, iov, n);
}

int64_t
cio__fdstream_writev(cio_stream *base, const cio_iovec *iov, unsigned n)
{
    return fdstream_vec((cio__fdstream *)base, 1, iov, n);
}

int
cio__fdstream_shutdown(cio_stream *base)
{
    cio__fdstream *s = (cio__fdstream *)base;
    cio_op op;

    if (s->kind != CIO__FD_SOCKET)
        return CIO_ENOTSUP;
#ifdef SHUT_WR
    cio_op_shutdown(&op, s->fd, SHUT_WR);
#else
    cio_op_shutdown(&op, s->fd, 1);
#endif
    return cio_submit_wait(&op);
}

int
cio__fdstream_close_fd(cio_stream *base)
{
    cio__fdstream *s = (cio__fdstream *)base;
    cio_fd fd = s->fd;

    s->fd = CIO_INVALID_FD;
    if (!s->owned || fd == CIO_INVALID_FD)
        return 0;
    return cio__api_close(fd);
}

cio_fd
cio__fdstream_fd(const cio_stream *base)
{
    return ((const cio__fdstream *)base)->fd;
}

const cio_stream_ops cio__fdstream_ops = {
    .read = cio__fdstream_read,
    .write = cio__fdstream_write,
    .readv = cio__fdstream_readv,
    .writev = cio__fdstream_writev,
    .shutdown = cio__fdstream_shutdown,
    .close = cio__fdstream_close_fd,
    .fd = cio__fdstream_fd,
};

void
cio__fdstream_init(cio__fdstream *s, cio_fd fd, int kind, int owned)
{
    s->base.ops = &cio__fdstream_ops;
    s->fd = fd;
    s->kind = (uint8_t)kind;
    s->owned = (uint8_t)(owned != 0);
    s->pos = 0;
}

static int
fdstream_close_free(cio_stream *base)
{
    int r = cio__fdstream_close_fd(base);

    free(base);
    return r;
}

static const cio_stream_ops fdstream_heap_ops = {
    .read = cio__fdstream_read,
    .write = cio__fdstream_write,
    .readv = cio__fdstream_readv,
    .writev = cio__fdstream_writev,
    .shutdown = cio__fdstream_shutdown,
    .close = fdstream_close_free,
    .fd = cio__fdstream_fd,
};

int
cio__fdstream_new(cio_stream **out, cio_fd fd, int kind, int owned)
{
    cio__fdstream *s;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    s = malloc(sizeof *s);
    if (s == NULL)
        return CIO_ENOMEM;
    cio__fdstream_init(s, fd, kind, owned);
    s->base.ops = &fdstream_heap_ops;
    *out = &s->base;
    return 0;
}
