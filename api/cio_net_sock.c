/* SPDX-License-Identifier: MIT */
/*
 * cio_net_sock.c - the socket helpers every net file uses: create (the
 * SOCKET op, so the backend adds close-on-exec), bind and listen with
 * the cio_bind_opts, connect and accept as awaited ops, datagrams
 * through RECVMSG/SENDMSG with the msghdr on the task's stack, names
 * and int socket options, and the stream table of TCP/Unix streams.
 *
 * bind(2), listen(2), getsockname(2) and setsockopt(2) never block, so
 * they are plain calls on the runtime thread, not ops.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#include "cio_net_internal.h"

#define UN_OFF offsetof(struct sockaddr_un, sun_path)

#ifdef _WIN32
static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;
static int wsa_err;

static BOOL CALLBACK
wsa_start(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    WSADATA wd;
    int r = WSAStartup(MAKEWORD(2, 2), &wd);

    (void)once;
    (void)param;
    (void)ctx;
    /* Never matched by a WSACleanup: sockets may outlive any runtime. */
    wsa_err = r != 0 ? cio__sys_win32_error((unsigned long)r) : 0;
    return TRUE;
}

int
cio__net_startup(void)
{
    InitOnceExecuteOnce(&wsa_once, wsa_start, NULL, NULL);
    return wsa_err;
}
#endif

static uint32_t
clamp_len(size_t len)
{
    return (uint32_t)(len > CIO__API_MAX_IO ? CIO__API_MAX_IO : len);
}

int
cio__net_check_addr(const cio_sockaddr *a, int families)
{
    if (a == NULL || a->len < sizeof(a->u.sa.sa_family) || a->len > sizeof a->u)
        return CIO_EINVAL;
    switch (a->u.sa.sa_family) {
    case AF_INET:
        if (!(families & CIO__NET_IP))
            return CIO_EAFNOSUPPORT;
        return a->len >= sizeof(struct sockaddr_in) ? 0 : CIO_EINVAL;
    case AF_INET6:
        if (!(families & CIO__NET_IP))
            return CIO_EAFNOSUPPORT;
        return a->len >= sizeof(struct sockaddr_in6) ? 0 : CIO_EINVAL;
    case AF_UNIX:
        if (!(families & CIO__NET_UNIX))
            return CIO_EAFNOSUPPORT;
        return a->len > UN_OFF ? 0 : CIO_EINVAL;
    default:
        return CIO_EAFNOSUPPORT;
    }
}

int
cio__net_socket(int family, int type, cio_fd *out)
{
    cio_op op;
    int32_t r;

    *out = CIO_INVALID_FD;
    if (cio_current() == NULL)
        return CIO_EPERM;
    if ((r = cio__net_startup()) < 0)
        return r;
    cio_op_socket(&op, family, type, 0);
    r = cio_submit_wait(&op);
    if (r < 0)
        return r;
    /* The op may have won a race with a cancel: the fd is ours now. */
    if (cio_cancelled()) {
        cio__api_close((cio_fd)r);
        return CIO_ECANCELED;
    }
    {
        int a = cio__api_attach((cio_fd)r);
        if (a < 0) {
            cio__api_close((cio_fd)r);
            return a;
        }
    }
    *out = (cio_fd)r;
    return 0;
}

int
cio__net_setint(cio_fd fd, int level, int opt, int value)
{
    if (setsockopt(CIO__SOCK(fd), level, opt, (const void *)&value,
                   sizeof value) < 0)
        return CIO__NET_ERR();
    return 0;
}

int
cio__net_getint(cio_fd fd, int level, int opt)
{
    int v = 0;
    socklen_t len = sizeof v;

    if (getsockopt(CIO__SOCK(fd), level, opt, (void *)&v, &len) < 0)
        return CIO__NET_ERR();
    /* Some options are a byte on some systems (IP_MULTICAST_TTL). */
    if (len == 1)
        v = *(unsigned char *)&v;
    return v < 0 ? CIO_ERANGE : v;
}

/* Apply @o's socket options to @fd before its bind. 0 or -errno. */
static int
bind_options(cio_fd fd, int family, const cio_bind_opts *o, int reuse_default)
{
    unsigned f = o != NULL ? o->flags : 0;
    int reuse = reuse_default;
    int r;

    if ((f & CIO_BIND_REUSEADDR) && (f & CIO_BIND_NO_REUSEADDR))
        return CIO_EINVAL;
    if ((f & CIO_BIND_V6ONLY) && (f & CIO_BIND_DUALSTACK))
        return CIO_EINVAL;
    if (f & CIO_BIND_REUSEADDR)
        reuse = 1;
    if (f & CIO_BIND_NO_REUSEADDR)
        reuse = 0;
    if (family == AF_UNIX)
        reuse = 0; /* Meaningless for Unix sockets. */
#ifdef _WIN32
    /*
     * Windows' SO_REUSEADDR lets another socket bind a port in use, and
     * a port in TIME_WAIT can be bound again without it: so it is set
     * only when asked for, never by default. Windows has no
     * SO_REUSEPORT (sharing there has no load balancing).
     */
    if (f & CIO_BIND_REUSEPORT)
        return CIO_ENOTSUP;
    reuse = (f & CIO_BIND_REUSEADDR) != 0 && family != AF_UNIX;
#endif
    if (reuse && (r = cio__net_setint(fd, SOL_SOCKET, SO_REUSEADDR, 1)) < 0)
        return r;
    if (f & CIO_BIND_REUSEPORT) {
#ifdef SO_REUSEPORT
        if ((r = cio__net_setint(fd, SOL_SOCKET, SO_REUSEPORT, 1)) < 0)
            return r;
#else
        return CIO_ENOTSUP;
#endif
    }
    if (family == AF_INET6 && (f & (CIO_BIND_V6ONLY | CIO_BIND_DUALSTACK))) {
        r = cio__net_setint(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                            (f & CIO_BIND_V6ONLY) ? 1 : 0);
        if (r < 0)
            return r;
    }
    return 0;
}

int
cio__net_bind(int type, const cio_sockaddr *a, const cio_bind_opts *opts,
              int reuse_default, int listen_too, cio_fd *out)
{
    int backlog = opts != NULL ? opts->backlog : 0;
    int family = a->u.sa.sa_family;
    cio_fd fd;
    int r;

    *out = CIO_INVALID_FD;
    if (backlog < 0)
        return CIO_EINVAL;
    if (backlog == 0)
        backlog = SOMAXCONN;
    r = cio__net_socket(family, type, &fd);
    if (r < 0)
        return r;
    r = bind_options(fd, family, opts, reuse_default);
    if (r == 0 && bind(CIO__SOCK(fd), &a->u.sa, (socklen_t)a->len) < 0)
        r = CIO__NET_ERR();
    if (r == 0 && listen_too && listen(CIO__SOCK(fd), backlog) < 0)
        r = CIO__NET_ERR();
    if (r < 0) {
        cio__api_close(fd);
        return r;
    }
    *out = fd;
    return 0;
}

int
cio__net_connect_fd(cio_fd fd, const cio_sockaddr *a)
{
    struct sockaddr unspec;
    cio_op op;

    if (a == NULL) {
        memset(&unspec, 0, sizeof unspec);
        unspec.sa_family = AF_UNSPEC;
        cio_op_connect(&op, fd, &unspec, sizeof unspec);
    } else {
        cio_op_connect(&op, fd, &a->u.sa, a->len);
    }
    return cio_submit_wait(&op);
}

int
cio__net_connect(int type, const cio_sockaddr *a, cio_fd *out)
{
    cio_fd fd;
    int r;

    *out = CIO_INVALID_FD;
    r = cio__net_socket(a->u.sa.sa_family, type, &fd);
    if (r < 0)
        return r;
    r = cio__net_connect_fd(fd, a);
    if (r < 0) {
        cio__api_close(fd);
        return r;
    }
    *out = fd;
    return 0;
}

int
cio__net_accept(cio_fd lfd, cio_fd *out, cio_sockaddr *peer)
{
    cio_sockaddr tmp;
    uint32_t len;
    cio_op op;
    int32_t r;
    int a;

    *out = CIO_INVALID_FD;
    if (peer == NULL)
        peer = &tmp;
    memset(peer, 0, sizeof *peer);
    len = sizeof peer->u;
    cio_op_accept(&op, lfd, &peer->u.sa, &len, 0);
    r = cio_submit_wait(&op);
    if (r < 0) {
        memset(peer, 0, sizeof *peer);
        return r;
    }
    /*
     * A connection that won the race with a cancel is handed over, not
     * dropped: the caller owns it and its later calls see the cancel.
     */
    cio__net_fix_len(peer, len);
    a = cio__api_attach((cio_fd)r);
    if (a < 0) {
        cio__api_close((cio_fd)r);
        memset(peer, 0, sizeof *peer);
        return a;
    }
    *out = (cio_fd)r;
    return 0;
}

int
cio__net_name(cio_fd fd, cio_sockaddr *out, int peer)
{
    socklen_t len;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    memset(out, 0, sizeof *out);
    len = sizeof out->u;
    if (peer)
        r = getpeername(CIO__SOCK(fd), &out->u.sa, &len);
    else
        r = getsockname(CIO__SOCK(fd), &out->u.sa, &len);
    if (r < 0) {
        r = CIO__NET_ERR();
        memset(out, 0, sizeof *out);
        return r;
    }
    cio__net_fix_len(out, len);
    return 0;
}

int
cio__net_shutdown(cio_fd fd, int how)
{
    cio_op op;

    if (how != CIO_SHUT_RD && how != CIO_SHUT_WR && how != CIO_SHUT_RDWR)
        return CIO_EINVAL;
    cio_op_shutdown(&op, fd,
                    how == CIO_SHUT_RD   ? SHUT_RD
                    : how == CIO_SHUT_WR ? SHUT_WR
                                         : SHUT_RDWR);
    return cio_submit_wait(&op);
}

#ifdef _WIN32
/*
 * Windows: the SENDMSG/RECVMSG ops take a WSAMSG (the IOCP module turns
 * them into WSASendTo/WSARecvFrom); a cut datagram is a short read, as
 * on POSIX without MSG_TRUNC.
 */
int64_t
cio__net_send_to(cio_fd fd, const void *buf, size_t len, const cio_sockaddr *to)
{
    WSAMSG msg;
    WSABUF b;
    cio_op op;
    int32_t r;

    if (buf == NULL && len != 0)
        return CIO_EINVAL;
    memset(&msg, 0, sizeof msg);
    b.buf = (char *)buf;
    b.len = clamp_len(len);
    msg.lpBuffers = &b;
    msg.dwBufferCount = 1;
    if (to != NULL) {
        msg.name = (struct sockaddr *)&to->u;
        msg.namelen = (int)to->len;
    }
    cio_op_sendmsg(&op, fd, (const struct msghdr *)(void *)&msg, 0);
    r = cio__api_await_restart(&op);
    /*
     * No destination on an unconnected socket: Winsock (or wine) says
     * WSAEINVAL or WSAENOTCONN where POSIX says EDESTADDRREQ.
     */
    if (to == NULL && (r == CIO_EINVAL || r == CIO_ENOTCONN)) {
        cio_sockaddr peer;
        if (cio__net_name(fd, &peer, 1) == CIO_ENOTCONN)
            r = CIO_EDESTADDRREQ;
    }
    return r;
}

int64_t
cio__net_recv_from(cio_fd fd, void *buf, size_t len, cio_sockaddr *from)
{
    WSAMSG msg;
    WSABUF b;
    cio_op op;
    int32_t r;

    if (buf == NULL && len != 0)
        return CIO_EINVAL;
    memset(&msg, 0, sizeof msg);
    b.buf = buf;
    b.len = clamp_len(len);
    msg.lpBuffers = &b;
    msg.dwBufferCount = 1;
    if (from != NULL) {
        memset(from, 0, sizeof *from);
        msg.name = &from->u.sa;
        msg.namelen = (int)sizeof from->u;
    }
    cio_op_recvmsg(&op, fd, (struct msghdr *)(void *)&msg, 0);
    r = cio__api_await_restart(&op);
    /*
     * Windows reports a datagram's ICMP port unreachable as a reset of
     * the next receive: the ECONNREFUSED of POSIX.
     */
    if (r == CIO_ECONNRESET)
        r = CIO_ECONNREFUSED;
    if (from != NULL) {
        if (r < 0)
            memset(from, 0, sizeof *from);
        else
            cio__net_fix_len(from, (size_t)msg.namelen);
    }
    return r;
}
#else
int64_t
cio__net_send_to(cio_fd fd, const void *buf, size_t len, const cio_sockaddr *to)
{
    struct msghdr msg;
    struct iovec iov;
    cio_op op;

    if (buf == NULL && len != 0)
        return CIO_EINVAL;
    memset(&msg, 0, sizeof msg);
    iov.iov_base = (void *)buf;
    iov.iov_len = clamp_len(len);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (to != NULL) {
        msg.msg_name = (void *)&to->u;
        msg.msg_namelen = (socklen_t)to->len;
    }
    cio_op_sendmsg(&op, fd, &msg, 0);
    return cio__api_await_restart(&op);
}

int64_t
cio__net_recv_from(cio_fd fd, void *buf, size_t len, cio_sockaddr *from)
{
    struct msghdr msg;
    struct iovec iov;
    cio_op op;
    int32_t r;

    if (buf == NULL && len != 0)
        return CIO_EINVAL;
    memset(&msg, 0, sizeof msg);
    iov.iov_base = buf;
    iov.iov_len = clamp_len(len);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (from != NULL) {
        memset(from, 0, sizeof *from);
        msg.msg_name = &from->u;
        msg.msg_namelen = sizeof from->u;
    }
    cio_op_recvmsg(&op, fd, &msg, 0);
    r = cio__api_await_restart(&op);
    if (from != NULL) {
        if (r < 0)
            memset(from, 0, sizeof *from);
        else
            cio__net_fix_len(from, msg.msg_namelen);
    }
    return r;
}
#endif

/* ---- the stream objects of TCP and Unix ---- */

int
cio__net_stream_close(cio__fdstream *s)
{
    int r;

    if (s == NULL)
        return 0;
    r = cio__fdstream_close_fd(&s->base);
    free(s);
    return r;
}

static int
net_stream_close(cio_stream *s)
{
    return cio__net_stream_close((cio__fdstream *)s);
}

const cio_stream_ops cio__net_stream_ops = {
    .read = cio__fdstream_read,
    .write = cio__fdstream_write,
    .readv = cio__fdstream_readv,
    .writev = cio__fdstream_writev,
    .shutdown = cio__fdstream_shutdown,
    .close = net_stream_close,
    .fd = cio__fdstream_fd,
};

int
cio__net_stream_new(void **out, size_t size, cio_fd fd)
{
    cio__fdstream *s;

    *out = NULL;
    s = calloc(1, size);
    if (s == NULL) {
        cio__api_close(fd);
        return CIO_ENOMEM;
    }
    cio__fdstream_init(s, fd, CIO__FD_SOCKET, 1);
    s->base.ops = &cio__net_stream_ops;
    *out = s;
    return 0;
}

int
cio__net_accept_stream(cio_fd lfd, void **out, size_t size, cio_sockaddr *peer)
{
    cio_fd fd;
    int r;

    *out = NULL;
    r = cio__net_accept(lfd, &fd, peer);
    if (r < 0)
        return r;
    return cio__net_stream_new(out, size, fd);
}

int
cio__net_connect_stream(int families, const cio_sockaddr *addr, void **out,
                        size_t size)
{
    cio_fd fd;
    int r;

    *out = NULL;
    r = cio__net_check_addr(addr, families);
    if (r < 0)
        return r;
    r = cio__net_connect(SOCK_STREAM, addr, &fd);
    if (r < 0)
        return r;
    return cio__net_stream_new(out, size, fd);
}

int
cio__net_listener_close(void *listener, cio_fd fd)
{
    int r;

    if (listener == NULL)
        return 0;
    r = cio__api_close(fd);
    free(listener);
    return r;
}
