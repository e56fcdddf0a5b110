/* SPDX-License-Identifier: MIT */
/*
 * cio_op_table.c - the "op vtable": for every opcode its name, the
 * readiness it waits for, a non-blocking attempt (for readiness
 * backends) and a blocking implementation (for the thread pool).
 *
 * Every function returns bytes, a new fd, or a negative errno, never
 * touching errno on the caller's behalf. Lengths are uint32 but results
 * are int32, so a length is clamped to 0x7ffff000 bytes, the most Linux
 * moves in one call anyway.
 *
 * Attempts for read/write/readv/writev assume a non-blocking fd (what
 * cio_driver_attach gives on a readiness backend); the socket attempts
 * pass MSG_DONTWAIT and work on any fd. Blocking implementations work on
 * either kind of fd: on CIO_EAGAIN they poll(2) the fd and try again.
 */
#define _GNU_SOURCE 1
#define _FILE_OFFSET_BITS 64
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cio_internal.h"

/* The public iovec is handed straight to readv(2) and friends. */
_Static_assert(sizeof(cio_iovec) == sizeof(struct iovec),
               "cio_iovec size differs from struct iovec");
_Static_assert(offsetof(cio_iovec, base) == offsetof(struct iovec, iov_base),
               "cio_iovec.base offset differs from iov_base");
_Static_assert(offsetof(cio_iovec, len) == offsetof(struct iovec, iov_len),
               "cio_iovec.len offset differs from iov_len");
/* READ_FIXED/WRITE_FIXED run the READ_AT/WRITE_AT code on their args. */
_Static_assert(offsetof(cio_op_args, fixed.buf) ==
                       offsetof(cio_op_args, rw.buf) &&
                   offsetof(cio_op_args, fixed.len) ==
                       offsetof(cio_op_args, rw.len) &&
                   offsetof(cio_op_args, fixed.offset) ==
                       offsetof(cio_op_args, rw.offset),
               "cio_op_args.fixed does not overlay rw");
/* Address lengths are uint32_t in the op and socklen_t in the syscall. */
_Static_assert(sizeof(socklen_t) == sizeof(uint32_t),
               "socklen_t is not 32 bits");
/* POLL_ADD passes the CIO_POLL_* bits to poll(2) unchanged. */
_Static_assert(CIO_POLL_IN == POLLIN && CIO_POLL_PRI == POLLPRI &&
                   CIO_POLL_OUT == POLLOUT && CIO_POLL_ERR == POLLERR &&
                   CIO_POLL_HUP == POLLHUP,
               "CIO_POLL_* differ from POLL*");

/* The largest count one call moves (Linux MAX_RW_COUNT). */
#define CIO__MAX_RW 0x7ffff000u

static size_t
cio__len(uint32_t len)
{
    return len > CIO__MAX_RW ? CIO__MAX_RW : len;
}

/* A syscall's ssize_t return as an op result. */
static int32_t
cio__ret(ssize_t r)
{
    if (r < 0)
        return (int32_t)-errno;
    return r > INT32_MAX ? INT32_MAX : (int32_t)r;
}

static int
cio__dirfd(cio_fd fd)
{
    return fd == CIO_AT_FDCWD ? AT_FDCWD : (int)fd;
}

/* An offset as off_t, or -1 when it does not fit (the op gets -EINVAL). */
static off_t
cio__off(uint64_t off)
{
    return off > (uint64_t)INT64_MAX ? (off_t)-1 : (off_t)off;
}

/*
 * Wait, without a timeout, until @fd shows @events. For the blocking
 * forms on a non-blocking fd. EINTR just loops back to the caller's
 * retry.
 */
static int32_t
cio__pollwait(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, -1);
    if (r < 0 && errno != EINTR)
        return (int32_t)-errno;
    if (r > 0 && (p.revents & POLLNVAL))
        return CIO_EBADF;
    return 0;
}

/*
 * Run @attempt until it stops saying EAGAIN/EINTR, polling @fd for
 * @events in between: the blocking form of every readiness op.
 */
static int32_t
cio__block(cio_op *op, int32_t (*attempt)(cio_op *), short events)
{
    for (;;) {
        int32_t r = attempt(op);
        if (r != CIO_EAGAIN && r != CIO_EINTR)
            return r;
        if (r == CIO_EAGAIN) {
            r = cio__pollwait((int)op->fd, events);
            if (r < 0)
                return r;
        }
    }
}

/* ---- NOP ---- */

static int32_t
cio__nop(cio_op *op)
{
    (void)op;
    return 0;
}

/* ---- READ / WRITE / READV / WRITEV (current position) ---- */

static int32_t
cio__read_try(cio_op *op)
{
    return cio__ret(read((int)op->fd, op->a.rw.buf, cio__len(op->a.rw.len)));
}

static int32_t
cio__write_try(cio_op *op)
{
    return cio__ret(write((int)op->fd, op->a.rw.buf, cio__len(op->a.rw.len)));
}

static int32_t
cio__readv_try(cio_op *op)
{
    if (op->a.vec.iovcnt > INT_MAX)
        return CIO_EINVAL;
    return cio__ret(readv((int)op->fd, (const struct iovec *)op->a.vec.iov,
                          (int)op->a.vec.iovcnt));
}

static int32_t
cio__writev_try(cio_op *op)
{
    if (op->a.vec.iovcnt > INT_MAX)
        return CIO_EINVAL;
    return cio__ret(writev((int)op->fd, (const struct iovec *)op->a.vec.iov,
                           (int)op->a.vec.iovcnt));
}

static int32_t
cio__read_block(cio_op *op)
{
    return cio__block(op, cio__read_try, POLLIN);
}

static int32_t
cio__write_block(cio_op *op)
{
    return cio__block(op, cio__write_try, POLLOUT);
}

static int32_t
cio__readv_block(cio_op *op)
{
    return cio__block(op, cio__readv_try, POLLIN);
}

static int32_t
cio__writev_block(cio_op *op)
{
    return cio__block(op, cio__writev_try, POLLOUT);
}

/* ---- file ops: blocking only ---- */

static int32_t
cio__read_at(cio_op *op)
{
    off_t off = cio__off(op->a.rw.offset);
    ssize_t r;
    if (off < 0)
        return CIO_EINVAL;
    do
        r = pread((int)op->fd, op->a.rw.buf, cio__len(op->a.rw.len), off);
    while (r < 0 && errno == EINTR);
    return cio__ret(r);
}

static int32_t
cio__write_at(cio_op *op)
{
    off_t off = cio__off(op->a.rw.offset);
    ssize_t r;
    if (off < 0)
        return CIO_EINVAL;
    do
        r = pwrite((int)op->fd, op->a.rw.buf, cio__len(op->a.rw.len), off);
    while (r < 0 && errno == EINTR);
    return cio__ret(r);
}

static int32_t
cio__readv_at(cio_op *op)
{
    off_t off = cio__off(op->a.vec.offset);
    ssize_t r;
    if (off < 0 || op->a.vec.iovcnt > INT_MAX)
        return CIO_EINVAL;
    do
        r = preadv((int)op->fd, (const struct iovec *)op->a.vec.iov,
                   (int)op->a.vec.iovcnt, off);
    while (r < 0 && errno == EINTR);
    return cio__ret(r);
}

static int32_t
cio__writev_at(cio_op *op)
{
    off_t off = cio__off(op->a.vec.offset);
    ssize_t r;
    if (off < 0 || op->a.vec.iovcnt > INT_MAX)
        return CIO_EINVAL;
    do
        r = pwritev((int)op->fd, (const struct iovec *)op->a.vec.iov,
                    (int)op->a.vec.iovcnt, off);
    while (r < 0 && errno == EINTR);
    return cio__ret(r);
}

static int32_t
cio__fsync(cio_op *op)
{
    return cio__ret(fsync((int)op->fd));
}

static int32_t
cio__fdatasync(cio_op *op)
{
    return cio__ret(fdatasync((int)op->fd));
}

static int32_t
cio__openat(cio_op *op)
{
    int r;
    /* No fd of ours may leak into a child the application spawns. */
    do
        r = openat(cio__dirfd(op->fd), op->a.path.path,
                   (int)op->flags | O_CLOEXEC, (mode_t)op->a.path.mode);
    while (r < 0 && errno == EINTR);
    return cio__ret(r);
}

static int32_t
cio__close(cio_op *op)
{
    int r = close((int)op->fd);
#ifdef __linux__
    /*
     * On Linux the descriptor is gone even when close reports EINTR;
     * returning the error would invite a retry that closes someone
     * else's fd.
     */
    if (r < 0 && errno == EINTR)
        return 0;
#endif
    return cio__ret(r);
}

static int32_t
cio__statx(cio_op *op)
{
#ifdef HAVE_STATX
    const char *path = op->a.path.path ? op->a.path.path : "";
    return cio__ret(statx(cio__dirfd(op->fd), path, (int)op->flags,
                          op->a.path.mask,
                          (struct statx *)op->a.path.statxbuf));
#else
    (void)op;
    return CIO_ENOSYS;
#endif
}

static int32_t
cio__ftruncate(cio_op *op)
{
    off_t len = cio__off(op->a.truncate.length);
    int r;
    if (len < 0)
        return CIO_EINVAL;
    do
        r = ftruncate((int)op->fd, len);
    while (r < 0 && errno == EINTR);
    return cio__ret(r);
}

static int32_t
cio__unlinkat(cio_op *op)
{
    return cio__ret(
        unlinkat(cio__dirfd(op->fd), op->a.path.path, (int)op->flags));
}

static int32_t
cio__renameat(cio_op *op)
{
    int olddir = cio__dirfd(op->fd);
    int newdir = cio__dirfd(op->a.rename.newdirfd);

    if (op->flags == 0)
        return cio__ret(renameat(olddir, op->a.rename.oldpath, newdir,
                                 op->a.rename.newpath));
#if defined(__linux__) && defined(SYS_renameat2)
    /*
     * The raw syscall rather than glibc's renameat2(), which older
     * libcs lack; the kernel answers EINVAL/ENOSYS for what it lacks.
     */
    return cio__ret(syscall(SYS_renameat2, olddir, op->a.rename.oldpath, newdir,
                            op->a.rename.newpath, (unsigned)op->flags));
#else
    return CIO_EINVAL;
#endif
}

static int32_t
cio__mkdirat(cio_op *op)
{
    return cio__ret(
        mkdirat(cio__dirfd(op->fd), op->a.path.path, (mode_t)op->a.path.mode));
}

static int32_t
cio__symlinkat(cio_op *op)
{
    return cio__ret(symlinkat(op->a.rename.oldpath,
                              cio__dirfd(op->a.rename.newdirfd),
                              op->a.rename.newpath));
}

static int32_t
cio__linkat(cio_op *op)
{
    return cio__ret(linkat(cio__dirfd(op->fd), op->a.rename.oldpath,
                           cio__dirfd(op->a.rename.newdirfd),
                           op->a.rename.newpath, (int)op->flags));
}

/* ---- sockets ---- */

static int32_t
cio__socket(cio_op *op)
{
    return cio__ret(socket(op->a.socket.domain,
                           op->a.socket.type | (int)op->flags | SOCK_CLOEXEC,
                           op->a.socket.protocol));
}

static int32_t
cio__accept_flags(cio_op *op, int flags)
{
    return cio__ret(accept4((int)op->fd, op->a.addr.addr,
                            (socklen_t *)op->a.addr.addrlen,
                            (int)op->flags | flags));
}

static int32_t
cio__accept_try(cio_op *op)
{
    /*
     * The new socket goes straight to a readiness backend, which wants
     * it non-blocking anyway.
     */
    return cio__accept_flags(op, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

static int32_t
cio__accept_plain(cio_op *op)
{
    return cio__accept_flags(op, SOCK_CLOEXEC);
}

static int32_t
cio__accept_block(cio_op *op)
{
    return cio__block(op, cio__accept_plain, POLLIN);
}

/*
 * CONNECT is the one op whose attempt needs memory between calls: the
 * first call starts the connection with connect(2); a later call, made
 * when the socket turned writable, must not call connect(2) again (on a
 * failed attempt that would start a new connection on some systems) but
 * collect the outcome with SO_ERROR.
 *
 * The attempt signature is fixed by the module ABI and the op's link and
 * priv areas belong to the driver and the backend, so the marker lives
 * in op->result: it is an output only once the op completes, the driver
 * facade zeroes it at push, and cio_op_connect() zeroes it too. While
 * the connection is in progress it holds CIO_EINPROGRESS, a value the
 * attempt never returns as a final result (completion overwrites it).
 * Backends need do nothing: they call the same attempt again on
 * writability, spurious wake-ups included.
 */
static int32_t
cio__connect_collect(cio_op *op)
{
    int err = 0;
    socklen_t len = sizeof(err);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);

    if (getsockopt((int)op->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return (int32_t)-errno;
    if (err != 0)
        return -err;
    /* No error yet: connected, or still in progress (a spurious wake). */
    if (getpeername((int)op->fd, (struct sockaddr *)&peer, &plen) == 0)
        return 0;
    if (errno == ENOTCONN)
        return CIO_EAGAIN;
    return (int32_t)-errno;
}

static int32_t
cio__connect_try(cio_op *op)
{
    int r;

    if (op->result == CIO_EINPROGRESS)
        return cio__connect_collect(op);
    r = connect((int)op->fd, op->a.addr.addr, (socklen_t)op->a.addr.len);
    if (r == 0)
        return 0;
    /*
     * An interrupted connect(2) goes on in the background (POSIX), so
     * EINTR is one more way of saying "in progress".
     */
    if (errno == EINPROGRESS || errno == EALREADY || errno == EINTR) {
        op->result = CIO_EINPROGRESS;
        return CIO_EAGAIN;
    }
    return (int32_t)-errno;
}

static int32_t
cio__connect_block(cio_op *op)
{
    return cio__block(op, cio__connect_try, POLLOUT);
}

static int32_t
cio__recv_try(cio_op *op)
{
    return cio__ret(recv((int)op->fd, op->a.rw.buf, cio__len(op->a.rw.len),
                         (int)op->flags | MSG_DONTWAIT));
}

static int32_t
cio__send_try(cio_op *op)
{
    return cio__ret(send((int)op->fd, op->a.rw.buf, cio__len(op->a.rw.len),
                         (int)op->flags | MSG_DONTWAIT | MSG_NOSIGNAL));
}

static int32_t
cio__recvmsg_try(cio_op *op)
{
    return cio__ret(
        recvmsg((int)op->fd, op->a.msg.msg, (int)op->flags | MSG_DONTWAIT));
}

static int32_t
cio__sendmsg_try(cio_op *op)
{
    return cio__ret(sendmsg((int)op->fd, op->a.msg.msg,
                            (int)op->flags | MSG_DONTWAIT | MSG_NOSIGNAL));
}

static int32_t
cio__recv_block(cio_op *op)
{
    return cio__block(op, cio__recv_try, POLLIN);
}

static int32_t
cio__send_block(cio_op *op)
{
    return cio__block(op, cio__send_try, POLLOUT);
}

static int32_t
cio__recvmsg_block(cio_op *op)
{
    return cio__block(op, cio__recvmsg_try, POLLIN);
}

static int32_t
cio__sendmsg_block(cio_op *op)
{
    return cio__block(op, cio__sendmsg_try, POLLOUT);
}

static int32_t
cio__shutdown(cio_op *op)
{
    return cio__ret(shutdown((int)op->fd, (int)op->flags));
}

/* ---- POLL_ADD ---- */

static int32_t
cio__poll_once(cio_op *op, int timeout_ms)
{
    struct pollfd p = {.fd = (int)op->fd, .events = (short)op->flags};
    int r;

    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return (int32_t)-errno;
    if (r == 0)
        return CIO_EAGAIN;
    if (p.revents & POLLNVAL)
        return CIO_EBADF;
    return (int32_t)(p.revents & (op->flags | POLLERR | POLLHUP));
}

static int32_t
cio__poll_try(cio_op *op)
{
    return cio__poll_once(op, 0);
}

static int32_t
cio__poll_block(cio_op *op)
{
    return cio__poll_once(op, -1);
}

/* ---- SPLICE ---- */

#ifdef __linux__
static int32_t
cio__splice_flags(cio_op *op, unsigned extra)
{
    loff_t in = op->a.splice.off_in, out = op->a.splice.off_out;
    return cio__ret(splice((int)op->fd, in < 0 ? NULL : &in,
                           (int)op->a.splice.fd_out, out < 0 ? NULL : &out,
                           cio__len(op->a.splice.len), op->flags | extra));
}

static int32_t
cio__splice_try(cio_op *op)
{
    return cio__splice_flags(op, SPLICE_F_NONBLOCK);
}

static int32_t
cio__splice_block(cio_op *op)
{
    /*
     * Either end may be non-blocking, so EAGAIN can mean an empty input
     * or a full output: wait for both, then try again.
     */
    for (;;) {
        int32_t r = cio__splice_flags(op, 0);
        if (r != CIO_EAGAIN && r != CIO_EINTR)
            return r;
        if (r == CIO_EAGAIN) {
            r = cio__pollwait((int)op->fd, POLLIN);
            if (r == 0)
                r = cio__pollwait((int)op->a.splice.fd_out, POLLOUT);
            if (r < 0)
                return r;
        }
    }
}
#else
#define cio__splice_try NULL

static int32_t
cio__splice_block(cio_op *op)
{
    (void)op;
    return CIO_ENOSYS;
}
#endif

/* ---- TIMEOUT, ASYNC_CANCEL, BLOCKING ---- */

static int32_t
cio__timeout(cio_op *op)
{
    struct timespec ts, rem;
    ts.tv_sec = (time_t)(op->a.timeout.ns / 1000000000u);
    ts.tv_nsec = (long)(op->a.timeout.ns % 1000000000u);
    while (nanosleep(&ts, &rem) < 0 && errno == EINTR)
        ts = rem;
    return CIO_ETIME;
}

static int32_t
cio__async_cancel(cio_op *op)
{
    /* The driver facade carries out ASYNC_CANCEL itself, never the pool. */
    (void)op;
    return CIO_ENOSYS;
}

static int32_t
cio__blocking(cio_op *op)
{
    int64_t r;
    if (op->a.blocking.fn == NULL)
        return CIO_EINVAL;
    r = op->a.blocking.fn(op->a.blocking.arg);
    /*
     * The result field is 32 bits: a large count saturates, and a
     * negative value too large to be an errno becomes ERANGE rather
     * than wrapping into something that looks like success.
     */
    if (r > INT32_MAX)
        return INT32_MAX;
    if (r < INT32_MIN)
        return CIO_ERANGE;
    return (int32_t)r;
}

/* ---- the table ---- */

#define CIO__DESC(code_, name_, wait_, attempt_, blocking_)                    \
    [code_] = {.name = name_,                                                  \
               .wait = wait_,                                                  \
               .attempt = attempt_,                                            \
               .blocking = blocking_}

static const cio_op_desc cio__op_table[CIO_OP__COUNT] = {
    CIO__DESC(CIO_OP_NOP, "nop", CIO_WAIT_NONE, cio__nop, cio__nop),
    CIO__DESC(CIO_OP_READ, "read", CIO_WAIT_READ, cio__read_try,
              cio__read_block),
    CIO__DESC(CIO_OP_WRITE, "write", CIO_WAIT_WRITE, cio__write_try,
              cio__write_block),
    CIO__DESC(CIO_OP_READ_AT, "read_at", CIO_WAIT_NONE, NULL, cio__read_at),
    CIO__DESC(CIO_OP_WRITE_AT, "write_at", CIO_WAIT_NONE, NULL, cio__write_at),
    CIO__DESC(CIO_OP_READV, "readv", CIO_WAIT_READ, cio__readv_try,
              cio__readv_block),
    CIO__DESC(CIO_OP_WRITEV, "writev", CIO_WAIT_WRITE, cio__writev_try,
              cio__writev_block),
    CIO__DESC(CIO_OP_READV_AT, "readv_at", CIO_WAIT_NONE, NULL, cio__readv_at),
    CIO__DESC(CIO_OP_WRITEV_AT, "writev_at", CIO_WAIT_NONE, NULL,
              cio__writev_at),
    CIO__DESC(CIO_OP_FSYNC, "fsync", CIO_WAIT_NONE, NULL, cio__fsync),
    CIO__DESC(CIO_OP_FDATASYNC, "fdatasync", CIO_WAIT_NONE, NULL,
              cio__fdatasync),
    CIO__DESC(CIO_OP_OPENAT, "openat", CIO_WAIT_NONE, NULL, cio__openat),
    CIO__DESC(CIO_OP_CLOSE, "close", CIO_WAIT_NONE, NULL, cio__close),
    CIO__DESC(CIO_OP_STATX, "statx", CIO_WAIT_NONE, NULL, cio__statx),
    CIO__DESC(CIO_OP_FTRUNCATE, "ftruncate", CIO_WAIT_NONE, NULL,
              cio__ftruncate),
    CIO__DESC(CIO_OP_UNLINKAT, "unlinkat", CIO_WAIT_NONE, NULL, cio__unlinkat),
    CIO__DESC(CIO_OP_RENAMEAT, "renameat", CIO_WAIT_NONE, NULL, cio__renameat),
    CIO__DESC(CIO_OP_MKDIRAT, "mkdirat", CIO_WAIT_NONE, NULL, cio__mkdirat),
    CIO__DESC(CIO_OP_SOCKET, "socket", CIO_WAIT_NONE, NULL, cio__socket),
    CIO__DESC(CIO_OP_ACCEPT, "accept", CIO_WAIT_READ, cio__accept_try,
              cio__accept_block),
    CIO__DESC(CIO_OP_CONNECT, "connect", CIO_WAIT_WRITE, cio__connect_try,
              cio__connect_block),
    CIO__DESC(CIO_OP_RECV, "recv", CIO_WAIT_READ, cio__recv_try,
              cio__recv_block),
    CIO__DESC(CIO_OP_SEND, "send", CIO_WAIT_WRITE, cio__send_try,
              cio__send_block),
    CIO__DESC(CIO_OP_RECVMSG, "recvmsg", CIO_WAIT_READ, cio__recvmsg_try,
              cio__recvmsg_block),
    CIO__DESC(CIO_OP_SENDMSG, "sendmsg", CIO_WAIT_WRITE, cio__sendmsg_try,
              cio__sendmsg_block),
    /* shutdown(2) never blocks: its attempt is final. */
    CIO__DESC(CIO_OP_SHUTDOWN, "shutdown", CIO_WAIT_NONE, cio__shutdown,
              cio__shutdown),
    /*
     * POLL_ADD waits for the CIO_POLL_* bits in op->flags, which may ask
     * for writability: a readiness backend registers those bits, not
     * this wait field, which only says "a readiness op".
     */
    CIO__DESC(CIO_OP_POLL_ADD, "poll_add", CIO_WAIT_READ, cio__poll_try,
              cio__poll_block),
    /* The input decides most of the time; a full output pipe also EAGAINs. */
    CIO__DESC(CIO_OP_SPLICE, "splice", CIO_WAIT_READ, cio__splice_try,
              cio__splice_block),
    CIO__DESC(CIO_OP_TIMEOUT, "timeout", CIO_WAIT_NONE, NULL, cio__timeout),
    CIO__DESC(CIO_OP_ASYNC_CANCEL, "async_cancel", CIO_WAIT_NONE, NULL,
              cio__async_cancel),
    CIO__DESC(CIO_OP_BLOCKING, "blocking", CIO_WAIT_NONE, NULL, cio__blocking),
    CIO__DESC(CIO_OP_SYMLINKAT, "symlinkat", CIO_WAIT_NONE, NULL,
              cio__symlinkat),
    CIO__DESC(CIO_OP_LINKAT, "linkat", CIO_WAIT_NONE, NULL, cio__linkat),
    /*
     * The 1.2 opcodes, for modules that run any op from this table. The
     * driver itself emulates them for a backend without them (cio_emu.c):
     * a checked READ_AT/WRITE_AT, a SEND with two completions.
     */
    CIO__DESC(CIO_OP_READ_FIXED, "read_fixed", CIO_WAIT_NONE, NULL,
              cio__read_at),
    CIO__DESC(CIO_OP_WRITE_FIXED, "write_fixed", CIO_WAIT_NONE, NULL,
              cio__write_at),
    CIO__DESC(CIO_OP_SEND_ZC, "send_zc", CIO_WAIT_WRITE, cio__send_try,
              cio__send_block),
};

const cio_op_desc *
cio__op_desc(unsigned opcode)
{
    return opcode < CIO_OP__COUNT ? &cio__op_table[opcode] : NULL;
}

int
cio__op_unsupported(unsigned opcode)
{
#if !defined(__linux__)
    if (opcode == CIO_OP_SPLICE)
        return 1;
#endif
#ifndef HAVE_STATX
    if (opcode == CIO_OP_STATX)
        return 1;
#endif
    (void)opcode;
    return 0;
}

const char *
cio_opcode_name(unsigned opcode)
{
    const cio_op_desc *d = cio__op_desc(opcode);
    return d != NULL && d->name != NULL ? d->name : "unknown";
}
