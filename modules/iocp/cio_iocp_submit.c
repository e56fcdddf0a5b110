/* SPDX-License-Identifier: MIT */
/*
 * cio_iocp_submit.c - how each opcode becomes an overlapped call, and
 * how its completion becomes a result.
 *
 *   READ, WRITE (+V, _AT)   ReadFile/WriteFile on files and pipes, with
 *                           the 64-bit offset in Offset/OffsetHigh;
 *                           WSARecv/WSASend on sockets (vectored ones
 *                           with a WSABUF array). Vectored IO on a file
 *                           or pipe goes through one bounce buffer, so
 *                           it is one call, as readv(2) is.
 *   RECV, SEND              WSARecv/WSASend.
 *   RECVMSG, SENDMSG        On Windows op->a.msg.msg points to a
 *                           WSAMSG, the native msghdr. Datagrams:
 *                           WSARecvMsg (loaded like AcceptEx; control
 *                           data and dwFlags filled, MSG_TRUNC for a cut
 *                           datagram), else WSARecvFrom; WSASendTo, or
 *                           WSASendMsg when there is control data.
 *                           Streams: WSARecv/WSASend on the buffers
 *                           (namelen and Control.len come back 0).
 *   ACCEPT                  AcceptEx on a listening socket (the new
 *                           socket is made, associated with the port,
 *                           given SO_UPDATE_ACCEPT_CONTEXT; the peer
 *                           address comes from GetAcceptExSockaddrs);
 *                           ConnectNamedPipe on a named-pipe server
 *                           handle, whose result is that handle.
 *   CONNECT                 ConnectEx (binding an unbound socket to the
 *                           wildcard address first, as ConnectEx
 *                           requires), then SO_UPDATE_CONNECT_CONTEXT;
 *                           a plain connect() for datagram sockets.
 *   SHUTDOWN                shutdown(), inline: it never blocks.
 *   POLL_ADD                a stream socket that is ready now completes
 *                           inline (WSAPoll with timeout 0); one that is
 *                           not is waited for with a zero-byte WSARecv
 *                           (POLL_IN). Other cases go to the core's pool.
 *   TIMEOUT                 the heap in cio_iocp_timer.c.
 *   NOP                     completes inline.
 * Everything else (fsync, open, stat, close, socket, rename...) has no
 * overlapped form: supports() says no and the core runs it on its pool.
 *
 * A call that returns ERROR_IO_PENDING completes through the port. A
 * call that succeeds at once completes inline when its handle skips the
 * port on success (cio_iocp_handle.c), else its packet is still queued
 * and awaited. A call that fails at once queues no packet and completes
 * inline, except for ERROR_MORE_DATA/WSAEMSGSIZE: those come from NT
 * warning statuses (STATUS_BUFFER_OVERFLOW), for which Windows still
 * queues a packet and wine does not, so iocp__sync_warning looks for
 * the packet before completing the op inline.
 */
#include <limits.h>
#include <string.h>

#include "cio_iocp_int.h"

/* The most one call moves, as on Linux (results are int32). */
#define IOCP_MAX_RW 0x7ffff000u
/* Largest bounce buffer for vectored IO on files and pipes. */
#define IOCP_BOUNCE_MAX (4u << 20)
/* Flags a caller may pass to WSARecv/WSASend. */
#define IOCP_MSG_FLAGS (MSG_OOB | MSG_PEEK | MSG_DONTROUTE | MSG_WAITALL)
/* AcceptEx needs 16 bytes more than the address, per address. */
#define IOCP_ACCEPT_ADDR ((DWORD)sizeof(SOCKADDR_STORAGE) + 16u)

static DWORD
iocp_len(uint32_t len)
{
    return len > IOCP_MAX_RW ? IOCP_MAX_RW : len;
}

static int
iocp_is_sock(int kind)
{
    return kind == IOCP_KIND_STREAM || kind == IOCP_KIND_DGRAM;
}

static SOCKET
iocp_sock(const cio_op *op)
{
    return (SOCKET)(uintptr_t)op->fd;
}

/* ---- held list ---- */

void
iocp__hold(iocp_state *st, cio_op *op)
{
    iocp_opriv *p = iocp__priv(op);
    p->where = IOCP_AT_KERNEL;
    p->next = &st->held;
    p->prev = st->held.prev;
    st->held.prev->next = p;
    st->held.prev = p;
    st->nheld++;
}

void
iocp__unhold(iocp_state *st, cio_op *op)
{
    iocp_opriv *p = iocp__priv(op);
    p->prev->next = p->next;
    p->next->prev = p->prev;
    p->next = p->prev = NULL;
    p->where = IOCP_AT_NONE;
    st->nheld--;
}

/* ---- results ---- */

static int
iocp_is_read(unsigned opcode)
{
    switch (opcode) {
    case CIO_OP_READ:
    case CIO_OP_READ_AT:
    case CIO_OP_READV:
    case CIO_OP_READV_AT:
    case CIO_OP_RECV:
    case CIO_OP_RECVMSG:
        return 1;
    default:
        return 0;
    }
}

/* Copy @n bytes of the bounce buffer out to READV's iovecs. */
static void
iocp_scatter(const cio_op *op, const char *src, size_t n)
{
    for (uint32_t i = 0; i < op->a.vec.iovcnt && n > 0; i++) {
        size_t k = op->a.vec.iov[i].len < n ? op->a.vec.iov[i].len : n;
        memcpy(op->a.vec.iov[i].base, src, k);
        src += k;
        n -= k;
    }
}

/* ACCEPT succeeded on a socket: make the new one usable, fill addr. */
static int32_t
iocp_accept_done(iocp_state *st, cio_op *op)
{
    iocp_opriv *p = iocp__priv(op);
    SOCKET ls = iocp_sock(op), as = (SOCKET)p->aux;
    struct sockaddr *local = NULL, *remote = NULL;
    int llen = 0, rlen = 0, r;

    if (setsockopt(as, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&ls,
                   sizeof(ls)) != 0) {
        r = iocp__err_wsa();
        closesocket(as);
        return r;
    }
    st->accept_addrs(p->extra, 0, IOCP_ACCEPT_ADDR, IOCP_ACCEPT_ADDR, &local,
                     &llen, &remote, &rlen);
    if (op->a.addr.addr != NULL && op->a.addr.addrlen != NULL &&
        remote != NULL) {
        uint32_t room = *op->a.addr.addrlen;
        memcpy(op->a.addr.addr, remote,
               (uint32_t)rlen < room ? (uint32_t)rlen : room);
        *op->a.addr.addrlen = (uint32_t)rlen;
    }
    r = iocp__attach(st, (cio_fd)as);
    if (r < 0) {
        closesocket(as);
        return r;
    }
    /* Handles use 32 significant bits on 64-bit Windows. */
    return (int32_t)(intptr_t)as;
}

/*
 * The result of @op, whose call ended with Win32/Winsock @code (0 for
 * success) after moving @bytes. Finishes the op's own business (bounce
 * buffers, the accepted socket, the emulated file position) and frees
 * what submit allocated.
 */
int32_t
iocp__finish(iocp_state *st, cio_op *op, DWORD code, DWORD bytes)
{
    iocp_opriv *p = iocp__priv(op);
    int32_t r;
    int read = iocp_is_read(op->opcode);

    if (code != 0 && read &&
        (code == ERROR_HANDLE_EOF || code == ERROR_BROKEN_PIPE)) {
        /* End of file, or the writer of a pipe went away: 0 bytes. */
        code = 0;
        bytes = 0;
    } else if (code != 0 && read &&
               (code == ERROR_MORE_DATA || code == WSAEMSGSIZE)) {
        /* A datagram or message cut to the buffer: a short read. */
        if (op->opcode == CIO_OP_RECVMSG)
            ((WSAMSG *)(void *)op->a.msg.msg)->dwFlags |= MSG_TRUNC;
        code = 0;
    } else if (code == ERROR_OPERATION_ABORTED && bytes > 0 &&
               op->opcode != CIO_OP_ACCEPT && op->opcode != CIO_OP_CONNECT) {
        /*
         * Cancelled after moving some bytes (a send the peer's window
         * held up, seen under wine): they have moved all the same, so
         * the result is that short transfer. CIO_ECANCELED would make
         * a caller send them again.
         */
        code = 0;
    }
    r = code != 0 ? iocp__err_win32(code)
                  : (int32_t)(bytes > INT32_MAX ? INT32_MAX : bytes);

    switch (op->opcode) {
    case CIO_OP_ACCEPT:
        if (p->kind == IOCP_KIND_PIPE) {
            r = code == 0 || code == ERROR_PIPE_CONNECTED
                    ? (int32_t)(intptr_t)op->fd
                    : r;
            break;
        }
        if (r >= 0)
            r = iocp_accept_done(st, op);
        else
            closesocket((SOCKET)p->aux);
        break;
    case CIO_OP_CONNECT:
        if (r >= 0 && setsockopt(iocp_sock(op), SOL_SOCKET,
                                 SO_UPDATE_CONNECT_CONTEXT, NULL, 0) != 0)
            r = iocp__err_wsa();
        if (r > 0)
            r = 0;
        break;
    case CIO_OP_POLL_ADD: {
        WSAPOLLFD pfd;
        uint32_t want = op->flags | CIO_POLL_ERR | CIO_POLL_HUP, ev = 0;
        if (r == CIO_ECANCELED)
            break;
        pfd.fd = iocp_sock(op);
        pfd.events = POLLRDNORM;
        pfd.revents = 0;
        if (WSAPoll(&pfd, 1, 0) > 0) {
            if (pfd.revents & (POLLRDNORM | POLLRDBAND))
                ev |= CIO_POLL_IN;
            if (pfd.revents & POLLERR)
                ev |= CIO_POLL_ERR;
            if (pfd.revents & POLLHUP)
                ev |= CIO_POLL_HUP;
        }
        if (r < 0)
            ev |= CIO_POLL_ERR | CIO_POLL_HUP;
        ev &= want;
        r = (int32_t)(ev ? ev : CIO_POLL_IN);
        break;
    }
    case CIO_OP_RECVMSG: {
        WSAMSG *m = (WSAMSG *)(void *)op->a.msg.msg;
        /* Only WSARecvMsg fills control data. */
        if (p->kind != IOCP_KIND_DGRAM || st->recv_msg == NULL)
            m->Control.len = 0;
        if (r >= 0 && p->kind == IOCP_KIND_STREAM)
            m->namelen = 0;
        break;
    }
    case CIO_OP_READ:
    case CIO_OP_WRITE:
    case CIO_OP_READV:
    case CIO_OP_WRITEV:
        /* A file's position, which overlapped IO does not move. */
        if (p->kind == IOCP_KIND_FILE && r > 0) {
            LARGE_INTEGER to;
            to.QuadPart = (LONGLONG)(p->aux + (uint64_t)r);
            SetFilePointerEx((HANDLE)op->fd, to, NULL, FILE_BEGIN);
        }
        if (p->bounce && r > 0 && op->opcode == CIO_OP_READV)
            iocp_scatter(op, p->extra, (size_t)r);
        break;
    case CIO_OP_READV_AT:
        if (p->bounce && r > 0)
            iocp_scatter(op, p->extra, (size_t)r);
        break;
    default:
        break;
    }
    if (p->extra != NULL) {
        st->api->free(p->extra);
        p->extra = NULL;
    }
    return r;
}

/*
 * Account for an overlapped call on @op that returned @ok (error @err
 * otherwise) having moved @bytes if it finished at once. Always 0: the
 * op is either held (a packet will come) or completed inline.
 */
static int
iocp_issued(iocp_state *st, cio_op *op, int skip, BOOL ok, DWORD err,
            DWORD bytes)
{
    if (ok) {
        if (skip) {
            iocp__deliver(st, op, iocp__finish(st, op, 0, bytes));
            return 0;
        }
        iocp__hold(st, op); /* Its packet is queued all the same. */
        return 0;
    }
    if (err == ERROR_IO_PENDING) {
        iocp__hold(st, op);
        return 0;
    }
    if (err == ERROR_MORE_DATA || err == WSAEMSGSIZE) {
        iocp__sync_warning(st, op, err);
        return 0;
    }
    iocp__deliver(st, op, iocp__finish(st, op, err, 0));
    return 0;
}

/* ---- preparing calls ---- */

/* Point the OVERLAPPED at @off. */
static void
iocp_at(iocp_opriv *p, uint64_t off)
{
    p->u.ov.Offset = (DWORD)off;
    p->u.ov.OffsetHigh = (DWORD)(off >> 32);
}

/*
 * Fill @op's WSABUF array from @iov (@n buffers): the inline ones, or
 * an allocated array. NULL with *@err when out of memory.
 */
static WSABUF *
iocp_wsabufs(iocp_state *st, cio_op *op, const cio_iovec *iov, uint32_t n,
             int *err)
{
    iocp_opriv *p = iocp__priv(op);
    WSABUF *b = p->bufs;
    if (n > IOCP_INLINE_BUFS) {
        b = st->api->alloc((size_t)n * sizeof(*b));
        if (b == NULL) {
            *err = CIO_ENOMEM;
            return NULL;
        }
        p->extra = b;
    }
    for (uint32_t i = 0; i < n; i++) {
        b[i].buf = iov[i].base;
        b[i].len = (ULONG)(iov[i].len > IOCP_MAX_RW ? IOCP_MAX_RW : iov[i].len);
    }
    return b;
}

/* Socket receive into @n buffers. */
static int
iocp_sock_recv(iocp_state *st, cio_op *op, int skip, WSABUF *b, DWORD n,
               DWORD flags)
{
    iocp_opriv *p = iocp__priv(op);
    DWORD bytes = 0;
    int r;
    p->wflags = flags & IOCP_MSG_FLAGS;
    r = WSARecv(iocp_sock(op), b, n, &bytes, &p->wflags, &p->u.ov, NULL);
    return iocp_issued(st, op, skip, r == 0, r == 0 ? 0 : WSAGetLastError(),
                       bytes);
}

/* Socket send from @n buffers. */
static int
iocp_sock_send(iocp_state *st, cio_op *op, int skip, WSABUF *b, DWORD n,
               DWORD flags)
{
    iocp_opriv *p = iocp__priv(op);
    DWORD bytes = 0;
    int r = WSASend(iocp_sock(op), b, n, &bytes, flags & IOCP_MSG_FLAGS,
                    &p->u.ov, NULL);
    return iocp_issued(st, op, skip, r == 0, r == 0 ? 0 : WSAGetLastError(),
                       bytes);
}

/* ReadFile/WriteFile of @len bytes at @buf; the offset is set. */
static int
iocp_file_rw(iocp_state *st, cio_op *op, int skip, int write, void *buf,
             DWORD len)
{
    iocp_opriv *p = iocp__priv(op);
    DWORD bytes = 0;
    BOOL ok = write ? WriteFile((HANDLE)op->fd, buf, len, &bytes, &p->u.ov)
                    : ReadFile((HANDLE)op->fd, buf, len, &bytes, &p->u.ov);
    return iocp_issued(st, op, skip, ok, ok ? 0 : GetLastError(), bytes);
}

/*
 * READ/WRITE/READV/WRITEV and their _AT forms. @vec: the vectored
 * form. @at: the op carries an offset; otherwise a file's current
 * position is used and moved on completion (overlapped IO ignores it).
 */
static int
iocp_rw(iocp_state *st, cio_op *op, const iocp_handle *e, int write, int vec,
        int at)
{
    iocp_opriv *p = iocp__priv(op);
    void *buf = op->a.rw.buf;
    DWORD len = iocp_len(op->a.rw.len);
    uint64_t off = vec ? op->a.vec.offset : op->a.rw.offset;
    int err = 0;

    if (iocp_is_sock(e->kind)) {
        WSABUF one, *b = &p->bufs[0];
        DWORD n = 1;
        if (at)
            return CIO_ESPIPE;
        if (vec) {
            b = iocp_wsabufs(st, op, op->a.vec.iov, op->a.vec.iovcnt, &err);
            if (b == NULL)
                return err;
            n = op->a.vec.iovcnt;
        } else {
            one.buf = buf;
            one.len = len;
            p->bufs[0] = one;
        }
        return write ? iocp_sock_send(st, op, e->skip, b, n, 0)
                     : iocp_sock_recv(st, op, e->skip, b, n, 0);
    }
    if (at && e->kind != IOCP_KIND_FILE)
        return CIO_ESPIPE;
    if (e->kind == IOCP_KIND_FILE) {
        if (!at) {
            LARGE_INTEGER zero, pos;
            zero.QuadPart = 0;
            if (!SetFilePointerEx((HANDLE)op->fd, zero, &pos, FILE_CURRENT))
                return iocp__err_last();
            off = (uint64_t)pos.QuadPart;
            p->aux = (uintptr_t)off;
        }
        iocp_at(p, off);
    }
    if (vec) {
        const cio_iovec *iov = op->a.vec.iov;
        uint32_t n = op->a.vec.iovcnt;
        size_t total = 0;
        if (n == 1) {
            buf = iov[0].base;
            len = iov[0].len > IOCP_MAX_RW ? IOCP_MAX_RW : (DWORD)iov[0].len;
        } else {
            char *bb;
            for (uint32_t i = 0; i < n && total < IOCP_BOUNCE_MAX; i++)
                total += iov[i].len;
            if (total > IOCP_BOUNCE_MAX)
                total = IOCP_BOUNCE_MAX;
            bb = st->api->alloc(total ? total : 1);
            if (bb == NULL)
                return CIO_ENOMEM;
            p->extra = bb;
            p->bounce = 1;
            if (write) {
                size_t at_ = 0;
                for (uint32_t i = 0; i < n && at_ < total; i++) {
                    size_t k =
                        iov[i].len < total - at_ ? iov[i].len : total - at_;
                    memcpy(bb + at_, iov[i].base, k);
                    at_ += k;
                }
            }
            buf = bb;
            len = (DWORD)total;
        }
    }
    return iocp_file_rw(st, op, e->skip, write, buf, len);
}

static int
iocp_msg(iocp_state *st, cio_op *op, const iocp_handle *e, int send)
{
    iocp_opriv *p = iocp__priv(op);
    WSAMSG *m = (WSAMSG *)(void *)op->a.msg.msg;
    DWORD bytes = 0;
    int r;

    if (!iocp_is_sock(e->kind))
        return CIO_ENOTSOCK;
    if (m == NULL)
        return CIO_EFAULT;
    if (e->kind == IOCP_KIND_STREAM || (send && m->name == NULL))
        return send ? iocp_sock_send(st, op, e->skip, m->lpBuffers,
                                     m->dwBufferCount, op->flags)
                    : iocp_sock_recv(st, op, e->skip, m->lpBuffers,
                                     m->dwBufferCount, op->flags);
    if (send && m->Control.len > 0) {
        /* Control data (IP_PKTINFO...) needs the msg form. */
        r = WSASendMsg(iocp_sock(op), m, op->flags & IOCP_MSG_FLAGS, &bytes,
                       &p->u.ov, NULL);
    } else if (send) {
        r = WSASendTo(iocp_sock(op), m->lpBuffers, m->dwBufferCount, &bytes,
                      op->flags & IOCP_MSG_FLAGS, m->name, m->namelen, &p->u.ov,
                      NULL);
    } else if (st->recv_msg != NULL) {
        /* The caller's WSAMSG stays valid until completion: it is the
         * one the kernel fills (namelen, Control.len, dwFlags). */
        m->dwFlags = op->flags & IOCP_MSG_FLAGS;
        r = st->recv_msg(iocp_sock(op), m, &bytes, &p->u.ov, NULL);
    } else {
        p->wflags = op->flags & IOCP_MSG_FLAGS;
        m->dwFlags = 0;
        /* namelen lives in the caller's WSAMSG until completion. */
        r = WSARecvFrom(iocp_sock(op), m->lpBuffers, m->dwBufferCount, &bytes,
                        &p->wflags, m->name, m->name ? &m->namelen : NULL,
                        &p->u.ov, NULL);
    }
    return iocp_issued(st, op, e->skip, r == 0, r == 0 ? 0 : WSAGetLastError(),
                       bytes);
}

static int
iocp_accept(iocp_state *st, cio_op *op, const iocp_handle *e)
{
    iocp_opriv *p = iocp__priv(op);
    SOCKADDR_STORAGE ss;
    int sslen = sizeof(ss);
    SOCKET as;
    DWORD bytes = 0;
    BOOL ok;

    if (e->kind == IOCP_KIND_PIPE) {
        ok = ConnectNamedPipe((HANDLE)op->fd, &p->u.ov);
        if (!ok && GetLastError() == ERROR_PIPE_CONNECTED) {
            /* The client came first: connected, and no packet. */
            iocp__deliver(st, op, iocp__finish(st, op, 0, 0));
            return 0;
        }
        return iocp_issued(st, op, e->skip, ok, ok ? 0 : GetLastError(), 0);
    }
    if (e->kind != IOCP_KIND_STREAM)
        return e->kind == IOCP_KIND_DGRAM ? CIO_ENOTSUP : CIO_ENOTSOCK;
    if (getsockname(iocp_sock(op), (struct sockaddr *)&ss, &sslen) != 0)
        return iocp__err_wsa();
    as = WSASocketW(ss.ss_family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (as == INVALID_SOCKET)
        as = WSASocketW(ss.ss_family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED);
    if (as == INVALID_SOCKET)
        return iocp__err_wsa();
    p->extra = st->api->alloc(2 * IOCP_ACCEPT_ADDR);
    if (p->extra == NULL) {
        closesocket(as);
        return CIO_ENOMEM;
    }
    p->aux = (uintptr_t)as;
    ok = st->accept_ex(iocp_sock(op), as, p->extra, 0, IOCP_ACCEPT_ADDR,
                       IOCP_ACCEPT_ADDR, &bytes, &p->u.ov);
    return iocp_issued(st, op, e->skip, ok, ok ? 0 : (DWORD)WSAGetLastError(),
                       bytes);
}

static int
iocp_connect(iocp_state *st, cio_op *op, const iocp_handle *e)
{
    iocp_opriv *p = iocp__priv(op);
    SOCKET s = iocp_sock(op);
    SOCKADDR_STORAGE ss;
    int sslen = sizeof(ss);
    BOOL ok;

    if (!iocp_is_sock(e->kind))
        return CIO_ENOTSOCK;
    if (op->a.addr.addr == NULL)
        return CIO_EFAULT;
    if (e->kind == IOCP_KIND_DGRAM) {
        if (connect(s, op->a.addr.addr, (int)op->a.addr.len) != 0)
            return iocp__err_wsa();
        iocp__deliver(st, op, 0);
        return 0;
    }
    /* ConnectEx wants a bound socket: bind to the wildcard if not. */
    if (getsockname(s, (struct sockaddr *)&ss, &sslen) != 0) {
        memset(&ss, 0, sizeof(ss));
        ss.ss_family = op->a.addr.addr->sa_family;
        sslen = ss.ss_family == AF_INET6 ? (int)sizeof(struct sockaddr_in6)
                                         : (int)sizeof(struct sockaddr_in);
        if (bind(s, (struct sockaddr *)&ss, sslen) != 0)
            return iocp__err_wsa();
    }
    ok = st->connect_ex(s, op->a.addr.addr, (int)op->a.addr.len, NULL, 0, NULL,
                        &p->u.ov);
    return iocp_issued(st, op, e->skip, ok, ok ? 0 : (DWORD)WSAGetLastError(),
                       0);
}

/* CIO_POLL_* bits of WSAPoll's @revents. */
static uint32_t
iocp_revents(SHORT revents)
{
    uint32_t ev = 0;
    if (revents & (POLLRDNORM | POLLRDBAND))
        ev |= CIO_POLL_IN;
    if (revents & POLLWRNORM)
        ev |= CIO_POLL_OUT;
    if (revents & POLLERR)
        ev |= CIO_POLL_ERR;
    if (revents & POLLHUP)
        ev |= CIO_POLL_HUP;
    return ev;
}

static int
iocp_poll_add(iocp_state *st, cio_op *op, const iocp_handle *e)
{
    iocp_opriv *p = iocp__priv(op);
    WSAPOLLFD pfd;
    uint32_t ev;

    if (!iocp_is_sock(e->kind))
        return st->api->pool_submit(st->host, op);
    pfd.fd = iocp_sock(op);
    pfd.events = 0;
    if (op->flags & CIO_POLL_IN)
        pfd.events |= POLLRDNORM;
    if (op->flags & CIO_POLL_OUT)
        pfd.events |= POLLWRNORM;
    pfd.revents = 0;
    if (WSAPoll(&pfd, 1, 0) < 0)
        return iocp__err_wsa();
    ev = iocp_revents(pfd.revents) & (op->flags | CIO_POLL_ERR | CIO_POLL_HUP);
    if (ev != 0) {
        iocp__deliver(st, op, (int32_t)ev);
        return 0;
    }
    if (e->kind != IOCP_KIND_STREAM || !(op->flags & CIO_POLL_IN))
        return st->api->pool_submit(st->host, op);
    /* A zero-byte receive completes when data (or EOF) arrives. */
    p->bufs[0].buf = NULL;
    p->bufs[0].len = 0;
    return iocp_sock_recv(st, op, e->skip, p->bufs, 1, 0);
}

int
iocp__supports(void *state, unsigned opcode)
{
    iocp_state *st = state;
    switch (opcode) {
    case CIO_OP_NOP:
    case CIO_OP_READ:
    case CIO_OP_WRITE:
    case CIO_OP_READ_AT:
    case CIO_OP_WRITE_AT:
    case CIO_OP_READV:
    case CIO_OP_WRITEV:
    case CIO_OP_READV_AT:
    case CIO_OP_WRITEV_AT:
    case CIO_OP_RECV:
    case CIO_OP_SEND:
    case CIO_OP_RECVMSG:
    case CIO_OP_SENDMSG:
    case CIO_OP_SHUTDOWN:
    case CIO_OP_POLL_ADD:
    case CIO_OP_TIMEOUT:
        return 1;
    case CIO_OP_ACCEPT:
        return st->accept_ex != NULL && st->accept_addrs != NULL;
    case CIO_OP_CONNECT:
        return st->connect_ex != NULL;
    default:
        return 0;
    }
}

int
iocp__submit(void *state, cio_op *op)
{
    iocp_state *st = state;
    iocp_opriv *p = iocp__priv(op);
    const iocp_handle *e;
    int err = 0;

    memset(p, 0, sizeof(*p));
    switch (op->opcode) {
    case CIO_OP_NOP:
        iocp__deliver(st, op, 0);
        return 0;
    case CIO_OP_TIMEOUT:
        return iocp__timer_add(st, op);
    default:
        break;
    }
    e = iocp__handle_get(st, op->fd, &err);
    if (e == NULL)
        return err;
    p->kind = e->kind;
    if (e->kind == IOCP_KIND_POOLED)
        return st->api->pool_submit(st->host, op);
    switch (op->opcode) {
    case CIO_OP_READ:
        return iocp_rw(st, op, e, 0, 0, 0);
    case CIO_OP_WRITE:
        return iocp_rw(st, op, e, 1, 0, 0);
    case CIO_OP_READ_AT:
        return iocp_rw(st, op, e, 0, 0, 1);
    case CIO_OP_WRITE_AT:
        return iocp_rw(st, op, e, 1, 0, 1);
    case CIO_OP_READV:
        return iocp_rw(st, op, e, 0, 1, 0);
    case CIO_OP_WRITEV:
        return iocp_rw(st, op, e, 1, 1, 0);
    case CIO_OP_READV_AT:
        return iocp_rw(st, op, e, 0, 1, 1);
    case CIO_OP_WRITEV_AT:
        return iocp_rw(st, op, e, 1, 1, 1);
    case CIO_OP_RECV:
    case CIO_OP_SEND:
        if (e->kind == IOCP_KIND_SOCKH && (op->flags & IOCP_MSG_FLAGS) == 0)
            return iocp_file_rw(st, op, e->skip, op->opcode == CIO_OP_SEND,
                                op->a.rw.buf, iocp_len(op->a.rw.len));
        if (!iocp_is_sock(e->kind))
            return CIO_ENOTSOCK;
        p->bufs[0].buf = op->a.rw.buf;
        p->bufs[0].len = iocp_len(op->a.rw.len);
        return op->opcode == CIO_OP_SEND
                   ? iocp_sock_send(st, op, e->skip, p->bufs, 1, op->flags)
                   : iocp_sock_recv(st, op, e->skip, p->bufs, 1, op->flags);
    case CIO_OP_RECVMSG:
        return iocp_msg(st, op, e, 0);
    case CIO_OP_SENDMSG:
        return iocp_msg(st, op, e, 1);
    case CIO_OP_ACCEPT:
        return iocp_accept(st, op, e);
    case CIO_OP_CONNECT:
        return iocp_connect(st, op, e);
    case CIO_OP_SHUTDOWN:
        if (!iocp_is_sock(e->kind))
            return CIO_ENOTSOCK;
        if (shutdown(iocp_sock(op), (int)op->flags) != 0)
            return iocp__err_wsa();
        iocp__deliver(st, op, 0);
        return 0;
    case CIO_OP_POLL_ADD:
        return iocp_poll_add(st, op, e);
    default:
        return CIO_ENOSYS;
    }
}

/* submit_batch (ABI 1.3): submit() for each, stopping at a refusal. */
unsigned
iocp__submit_batch(void *state, cio_op *const *ops, unsigned n, int *err)
{
    for (unsigned i = 0; i < n; i++) {
        int r = iocp__submit(state, ops[i]);
        if (r < 0) {
            *err = r;
            return i;
        }
    }
    return n;
}

/* Load AcceptEx, ConnectEx and GetAcceptExSockaddrs. 0 or -errno. */
int
iocp__load_extensions(iocp_state *st)
{
    GUID ga = WSAID_ACCEPTEX, gc = WSAID_CONNECTEX,
         gs = WSAID_GETACCEPTEXSOCKADDRS, gm = WSAID_WSARECVMSG;
    DWORD bytes;
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);
    int r = 0;
    if (s == INVALID_SOCKET)
        s = WSASocketW(AF_INET6, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                       WSA_FLAG_OVERLAPPED);
    if (s == INVALID_SOCKET)
        return iocp__err_wsa();
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ga, sizeof(ga),
                 &st->accept_ex, sizeof(st->accept_ex), &bytes, NULL,
                 NULL) != 0 ||
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &gc, sizeof(gc),
                 &st->connect_ex, sizeof(st->connect_ex), &bytes, NULL,
                 NULL) != 0 ||
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &gs, sizeof(gs),
                 &st->accept_addrs, sizeof(st->accept_addrs), &bytes, NULL,
                 NULL) != 0)
        r = iocp__err_wsa();
    closesocket(s);
    /* WSARecvMsg is a datagram-socket extension. */
    s = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0,
                   WSA_FLAG_OVERLAPPED);
    if (s != INVALID_SOCKET) {
        if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &gm, sizeof(gm),
                     &st->recv_msg, sizeof(st->recv_msg), &bytes, NULL,
                     NULL) != 0)
            st->recv_msg = NULL;
        closesocket(s);
    }
    return r;
}
