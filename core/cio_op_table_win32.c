/* SPDX-License-Identifier: MIT */
/*
 * cio_op_table_win32.c - the op vtable on Windows (cio_op_table.c is
 * the POSIX one; the names are the same on every platform, which
 * tests/unit/check_op_table checks on both).
 *
 * Windows has no readiness backend (IOCP completes operations itself),
 * so no opcode has a non-blocking attempt or a readiness wait here;
 * every entry has the blocking implementation the thread pool runs for
 * an opcode the loaded module does not support. Files and pipes go
 * through ReadFile/WriteFile, sockets through Winsock (WSARecvMsg,
 * WSASendMsg, WSAPoll), the path ops through the W calls of
 * cio_op_path_win32.c. SPLICE has no Windows form: it answers
 * CIO_ENOSYS, never something that only looks like success, and
 * cio__op_unsupported() says so, for cio_driver_supports().
 *
 * Descriptors may have been opened for overlapped IO and associated
 * with the module's completion port: the synchronous forms below then
 * pass an OVERLAPPED of their own with an event whose low bit is set,
 * which tells Windows not to queue a completion packet for them.
 */
#include "config.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include <limits.h>
#include <string.h>

#include "cio_internal.h"
#include "cio_op_win32.h"
#include "cio_sys.h"

/* The largest count one call moves (the int32 result). */
#define CIO__MAX_RW 0x7ffff000u

static DWORD
cio__len(uint32_t len)
{
    return len > CIO__MAX_RW ? CIO__MAX_RW : len;
}

static int32_t
cio__last_error(void)
{
    return (int32_t)cio__sys_win32_error(GetLastError());
}

static int32_t
cio__wsa_error(void)
{
    return (int32_t)cio__sys_win32_error((unsigned long)WSAGetLastError());
}

/*
 * One synchronous ReadFile/WriteFile of @len bytes at @off (-1: the
 * current file position, for pipes and consoles). End of file and a
 * closed pipe are a 0-byte read, as read(2) reports them.
 */
static int32_t
cio__rw(cio_fd fd, int write, void *buf, uint32_t len, int64_t off)
{
    OVERLAPPED ov;
    HANDLE ev;
    DWORD n = 0, err;
    BOOL ok;

    if (fd == CIO_INVALID_FD)
        return CIO_EBADF;
    ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (ev == NULL)
        return cio__last_error();
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = (HANDLE)((uintptr_t)ev | 1);
    if (off >= 0) {
        ov.Offset = (DWORD)((uint64_t)off & 0xffffffffu);
        ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
    } else {
        /*
         * The current position: FILE_USE_FILE_POINTER_POSITION (all
         * ones but the lowest bit; all ones would mean "append" to a
         * write). Pipes and consoles ignore the offset anyway.
         */
        ov.Offset = 0xfffffffeu;
        ov.OffsetHigh = 0xffffffffu;
    }
    if (write)
        ok = WriteFile((HANDLE)fd, buf, cio__len(len), NULL, &ov);
    else
        ok = ReadFile((HANDLE)fd, buf, cio__len(len), NULL, &ov);
    err = ok ? 0 : GetLastError();
    if (ok || err == ERROR_IO_PENDING) {
        ok = GetOverlappedResult((HANDLE)fd, &ov, &n, TRUE);
        err = ok ? 0 : GetLastError();
    }
    CloseHandle(ev);
    if (ok)
        return (int32_t)n;
    if (!write && (err == ERROR_HANDLE_EOF || err == ERROR_BROKEN_PIPE))
        return 0;
    return (int32_t)cio__sys_win32_error(err);
}

/* ---- NOP ---- */

static int32_t
cio__nop(cio_op *op)
{
    (void)op;
    return 0;
}

/* ---- file and pipe IO ---- */

static int32_t
cio__read(cio_op *op)
{
    return cio__rw(op->fd, 0, op->a.rw.buf, op->a.rw.len, -1);
}

static int32_t
cio__write(cio_op *op)
{
    return cio__rw(op->fd, 1, op->a.rw.buf, op->a.rw.len, -1);
}

static int32_t
cio__read_at(cio_op *op)
{
    if (op->a.rw.offset > INT64_MAX)
        return CIO_EINVAL;
    return cio__rw(op->fd, 0, op->a.rw.buf, op->a.rw.len,
                   (int64_t)op->a.rw.offset);
}

static int32_t
cio__write_at(cio_op *op)
{
    if (op->a.rw.offset > INT64_MAX)
        return CIO_EINVAL;
    return cio__rw(op->fd, 1, op->a.rw.buf, op->a.rw.len,
                   (int64_t)op->a.rw.offset);
}

/*
 * Vectored forms, one buffer at a time: a short transfer ends the
 * operation, as it ends readv(2) and writev(2). Not atomic against
 * other writers, which Windows cannot offer for arbitrary buffers.
 */
static int32_t
cio__rwv(cio_op *op, int write, int positional)
{
    uint64_t off = op->a.vec.offset, total = 0;
    uint32_t i;

    if (op->a.vec.iovcnt > 0 && op->a.vec.iov == NULL)
        return CIO_EFAULT;
    if (positional && off > INT64_MAX)
        return CIO_EINVAL;
    for (i = 0; i < op->a.vec.iovcnt && total < CIO__MAX_RW; i++) {
        const cio_iovec *v = &op->a.vec.iov[i];
        uint64_t room = CIO__MAX_RW - total;
        uint32_t want = (uint32_t)(v->len < room ? v->len : room);
        int32_t r;
        if (want == 0)
            continue;
        r = cio__rw(op->fd, write, v->base, want,
                    positional ? (int64_t)(off + total) : -1);
        if (r < 0)
            return total > 0 ? (int32_t)total : r;
        total += (uint64_t)r;
        if ((uint32_t)r < want)
            break;
    }
    return (int32_t)total;
}

static int32_t
cio__readv(cio_op *op)
{
    return cio__rwv(op, 0, 0);
}

static int32_t
cio__writev(cio_op *op)
{
    return cio__rwv(op, 1, 0);
}

static int32_t
cio__readv_at(cio_op *op)
{
    return cio__rwv(op, 0, 1);
}

static int32_t
cio__writev_at(cio_op *op)
{
    return cio__rwv(op, 1, 1);
}

/* FlushFileBuffers is the only flush Windows has: data and metadata. */
static int32_t
cio__fsync(cio_op *op)
{
    return FlushFileBuffers((HANDLE)op->fd) ? 0 : cio__last_error();
}

static int32_t
cio__close(cio_op *op)
{
    return (int32_t)cio__sys_close(op->fd);
}

static int32_t
cio__ftruncate(cio_op *op)
{
    FILE_END_OF_FILE_INFO info;

    if (op->a.truncate.length > INT64_MAX)
        return CIO_EINVAL;
    info.EndOfFile.QuadPart = (LONGLONG)op->a.truncate.length;
    return SetFileInformationByHandle((HANDLE)op->fd, FileEndOfFileInfo,
                                      &info, sizeof(info))
               ? 0
               : cio__last_error();
}

/* ---- sockets ---- */

/* Socket handles are small; one that does not fit the result is refused. */
static int32_t
cio__sock_result(SOCKET s)
{
    if (s == INVALID_SOCKET)
        return cio__wsa_error();
    if ((uint64_t)s > (uint64_t)INT32_MAX) {
        closesocket(s);
        return CIO_EMFILE;
    }
    return (int32_t)s;
}

/*
 * Overlapped-capable (so the module's port can take it) and not
 * inherited by child processes, the SOCK_CLOEXEC of Windows.
 */
static int32_t
cio__socket(cio_op *op)
{
    return cio__sock_result(WSASocketW(
        op->a.socket.domain, op->a.socket.type, op->a.socket.protocol, NULL,
        0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
}

static int32_t
cio__accept(cio_op *op)
{
    int len = op->a.addr.addrlen != NULL ? (int)*op->a.addr.addrlen : 0;
    SOCKET s = accept((SOCKET)op->fd,
                      op->a.addr.addrlen != NULL ? op->a.addr.addr : NULL,
                      op->a.addr.addrlen != NULL ? &len : NULL);

    if (s != INVALID_SOCKET && op->a.addr.addrlen != NULL)
        *op->a.addr.addrlen = (uint32_t)len;
    return cio__sock_result(s);
}

static int32_t
cio__connect(cio_op *op)
{
    if (connect((SOCKET)op->fd, op->a.addr.addr, (int)op->a.addr.len) != 0)
        return cio__wsa_error();
    return 0;
}

static int32_t
cio__recv(cio_op *op)
{
    int n = recv((SOCKET)op->fd, op->a.rw.buf, (int)cio__len(op->a.rw.len),
                 (int)op->flags);

    return n >= 0 ? n : cio__wsa_error();
}

static int32_t
cio__send(cio_op *op)
{
    int n = send((SOCKET)op->fd, op->a.rw.buf, (int)cio__len(op->a.rw.len),
                 (int)op->flags);

    return n >= 0 ? n : cio__wsa_error();
}

/*
 * The message ops take a WSAMSG (compio/op.h). A stream socket has no
 * addresses or control data to carry: its buffers go to WSARecv and
 * WSASend, as the iocp module does. A datagram socket receives with
 * WSARecvMsg, an extension loaded once per process through WSAIoctl,
 * or with WSARecvFrom where that is missing (no control data then).
 */
static LPFN_WSARECVMSG cio__recvmsg_fn;
static INIT_ONCE cio__recvmsg_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK
cio__recvmsg_load(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    GUID g = WSAID_WSARECVMSG;
    SOCKET s = (SOCKET)(uintptr_t)param;
    DWORD n;

    (void)once;
    (void)ctx;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof(g),
                 &cio__recvmsg_fn, sizeof(cio__recvmsg_fn), &n, NULL,
                 NULL) != 0)
        cio__recvmsg_fn = NULL;
    return TRUE;
}

/* SOCK_STREAM, SOCK_DGRAM... of socket @s, or -errno (CIO_ENOTSOCK). */
static int
cio__sock_type(SOCKET s)
{
    int type = 0, len = sizeof(type);

    if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        return cio__wsa_error();
    return type;
}

static int32_t
cio__recvmsg(cio_op *op)
{
    WSAMSG *m = (WSAMSG *)(void *)op->a.msg.msg;
    SOCKET s = (SOCKET)op->fd;
    DWORD n = 0, fl = op->flags;
    int type, r, err;

    if (m == NULL)
        return CIO_EFAULT;
    type = cio__sock_type(s);
    if (type < 0)
        return type;
    if (type == SOCK_STREAM) {
        r = WSARecv(s, m->lpBuffers, m->dwBufferCount, &n, &fl, NULL, NULL);
        m->namelen = 0;
        m->Control.len = 0;
        m->dwFlags = 0;
    } else {
        InitOnceExecuteOnce(&cio__recvmsg_once, cio__recvmsg_load,
                            (PVOID)(uintptr_t)s, NULL);
        if (cio__recvmsg_fn != NULL) {
            m->dwFlags = op->flags;
            r = cio__recvmsg_fn(s, m, &n, NULL, NULL);
        } else {
            r = WSARecvFrom(s, m->lpBuffers, m->dwBufferCount, &n, &fl,
                            m->name, m->name != NULL ? &m->namelen : NULL,
                            NULL, NULL);
            m->Control.len = 0;
            m->dwFlags = 0;
        }
    }
    if (r == 0)
        return (int32_t)(n > INT32_MAX ? INT32_MAX : n);
    err = WSAGetLastError();
    if (err == WSAEMSGSIZE && type != SOCK_STREAM) {
        /*
         * A datagram cut to the buffers, which it filled: a short read
         * with MSG_TRUNC (the count is not reported with this error).
         */
        uint64_t total = 0;
        for (DWORD i = 0; i < m->dwBufferCount; i++)
            total += m->lpBuffers[i].len;
        m->dwFlags |= MSG_TRUNC;
        return (int32_t)(total > INT32_MAX ? INT32_MAX : total);
    }
    return (int32_t)cio__sys_win32_error((unsigned long)err);
}

static int32_t
cio__sendmsg(cio_op *op)
{
    WSAMSG *m = (WSAMSG *)(void *)op->a.msg.msg;
    SOCKET s = (SOCKET)op->fd;
    DWORD n = 0;
    int r;

    if (m == NULL)
        return CIO_EFAULT;
    if (m->Control.len > 0 || m->name != NULL)
        r = WSASendMsg(s, m, op->flags, &n, NULL, NULL);
    else
        r = WSASend(s, m->lpBuffers, m->dwBufferCount, &n, op->flags, NULL,
                    NULL);
    if (r != 0)
        return cio__wsa_error();
    return (int32_t)(n > INT32_MAX ? INT32_MAX : n);
}

/*
 * POLL_ADD: WSAPoll until a wanted bit (or ERR/HUP) is there, blocking
 * the pool thread as poll(2) does in the POSIX table. A regular file
 * is always ready, as poll(2) has it; pipes and consoles have no
 * readiness on Windows (CIO_ENOTSUP).
 */
static int32_t
cio__poll_add(cio_op *op)
{
    WSAPOLLFD pfd;
    uint32_t want = op->flags & (CIO_POLL_IN | CIO_POLL_PRI | CIO_POLL_OUT);
    uint32_t ev;
    int type;

    if (op->fd == CIO_INVALID_FD)
        return CIO_EBADF;
    type = cio__sock_type((SOCKET)op->fd);
    if (type == CIO_ENOTSOCK) {
        DWORD ft = GetFileType((HANDLE)op->fd);
        if (ft == FILE_TYPE_DISK)
            return (int32_t)(want & (CIO_POLL_IN | CIO_POLL_OUT));
        if (ft == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR)
            return CIO_EBADF;
        return CIO_ENOTSUP;
    }
    if (type < 0)
        return type;
    for (;;) {
        pfd.fd = (SOCKET)op->fd;
        pfd.events = 0;
        if (want & CIO_POLL_IN)
            pfd.events |= POLLRDNORM;
        if (want & CIO_POLL_PRI)
            pfd.events |= POLLRDBAND;
        if (want & CIO_POLL_OUT)
            pfd.events |= POLLWRNORM;
        pfd.revents = 0;
        if (WSAPoll(&pfd, 1, -1) < 0)
            return cio__wsa_error();
        if (pfd.revents & POLLNVAL)
            return CIO_EBADF;
        ev = 0;
        if (pfd.revents & POLLRDNORM)
            ev |= CIO_POLL_IN;
        if (pfd.revents & POLLRDBAND)
            ev |= CIO_POLL_PRI;
        if (pfd.revents & POLLWRNORM)
            ev |= CIO_POLL_OUT;
        if (pfd.revents & POLLERR)
            ev |= CIO_POLL_ERR;
        if (pfd.revents & POLLHUP)
            ev |= CIO_POLL_HUP;
        ev &= want | CIO_POLL_ERR | CIO_POLL_HUP;
        if (ev != 0)
            return (int32_t)ev;
    }
}

/* SD_RECEIVE, SD_SEND and SD_BOTH have the values of SHUT_RD/WR/RDWR. */
static int32_t
cio__shutdown(cio_op *op)
{
    return shutdown((SOCKET)op->fd, (int)op->flags) == 0 ? 0
                                                         : cio__wsa_error();
}

/* ---- TIMEOUT, ASYNC_CANCEL, BLOCKING ---- */

static int32_t
cio__timeout(cio_op *op)
{
    cio__sys_sleep_ns(op->a.timeout.ns);
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
    /* Saturate as cio_op_table.c does: see the comment there. */
    if (r > INT32_MAX)
        return INT32_MAX;
    if (r < INT32_MIN)
        return CIO_ERANGE;
    return (int32_t)r;
}

/* ---- no Windows form ---- */

/* SPLICE: Windows has no pipe-to-pipe move in the kernel. */
static int32_t
cio__enosys(cio_op *op)
{
    (void)op;
    return CIO_ENOSYS;
}

int
cio__op_unsupported(unsigned opcode)
{
    return opcode == CIO_OP_SPLICE;
}

/* ---- the table ---- */

#define CIO__DESC(code_, name_, blocking_)                                     \
    [code_] = {.name = name_,                                                  \
               .wait = CIO_WAIT_NONE,                                          \
               .attempt = NULL,                                                \
               .blocking = blocking_}

static const cio_op_desc cio__op_table[CIO_OP__COUNT] = {
    [CIO_OP_NOP] = {.name = "nop",
                    .wait = CIO_WAIT_NONE,
                    .attempt = cio__nop,
                    .blocking = cio__nop},
    CIO__DESC(CIO_OP_READ, "read", cio__read),
    CIO__DESC(CIO_OP_WRITE, "write", cio__write),
    CIO__DESC(CIO_OP_READ_AT, "read_at", cio__read_at),
    CIO__DESC(CIO_OP_WRITE_AT, "write_at", cio__write_at),
    CIO__DESC(CIO_OP_READV, "readv", cio__readv),
    CIO__DESC(CIO_OP_WRITEV, "writev", cio__writev),
    CIO__DESC(CIO_OP_READV_AT, "readv_at", cio__readv_at),
    CIO__DESC(CIO_OP_WRITEV_AT, "writev_at", cio__writev_at),
    CIO__DESC(CIO_OP_FSYNC, "fsync", cio__fsync),
    CIO__DESC(CIO_OP_FDATASYNC, "fdatasync", cio__fsync),
    CIO__DESC(CIO_OP_OPENAT, "openat", cio__win_openat),
    CIO__DESC(CIO_OP_CLOSE, "close", cio__close),
    CIO__DESC(CIO_OP_STATX, "statx", cio__win_statx),
    CIO__DESC(CIO_OP_FTRUNCATE, "ftruncate", cio__ftruncate),
    CIO__DESC(CIO_OP_UNLINKAT, "unlinkat", cio__win_unlinkat),
    CIO__DESC(CIO_OP_RENAMEAT, "renameat", cio__win_renameat),
    CIO__DESC(CIO_OP_MKDIRAT, "mkdirat", cio__win_mkdirat),
    CIO__DESC(CIO_OP_SOCKET, "socket", cio__socket),
    CIO__DESC(CIO_OP_ACCEPT, "accept", cio__accept),
    CIO__DESC(CIO_OP_CONNECT, "connect", cio__connect),
    CIO__DESC(CIO_OP_RECV, "recv", cio__recv),
    CIO__DESC(CIO_OP_SEND, "send", cio__send),
    CIO__DESC(CIO_OP_RECVMSG, "recvmsg", cio__recvmsg),
    CIO__DESC(CIO_OP_SENDMSG, "sendmsg", cio__sendmsg),
    CIO__DESC(CIO_OP_SHUTDOWN, "shutdown", cio__shutdown),
    CIO__DESC(CIO_OP_POLL_ADD, "poll_add", cio__poll_add),
    CIO__DESC(CIO_OP_SPLICE, "splice", cio__enosys),
    CIO__DESC(CIO_OP_TIMEOUT, "timeout", cio__timeout),
    CIO__DESC(CIO_OP_ASYNC_CANCEL, "async_cancel", cio__async_cancel),
    CIO__DESC(CIO_OP_BLOCKING, "blocking", cio__blocking),
    CIO__DESC(CIO_OP_SYMLINKAT, "symlinkat", cio__win_symlinkat),
    CIO__DESC(CIO_OP_LINKAT, "linkat", cio__win_linkat),
    CIO__DESC(CIO_OP_READ_FIXED, "read_fixed", cio__read_at),
    CIO__DESC(CIO_OP_WRITE_FIXED, "write_fixed", cio__write_at),
    CIO__DESC(CIO_OP_SEND_ZC, "send_zc", cio__send),
};

const cio_op_desc *
cio__op_desc(unsigned opcode)
{
    return opcode < CIO_OP__COUNT ? &cio__op_table[opcode] : NULL;
}

const char *
cio_opcode_name(unsigned opcode)
{
    const cio_op_desc *d = cio__op_desc(opcode);
    return d != NULL && d->name != NULL ? d->name : "unknown";
}
