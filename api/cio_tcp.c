/* SPDX-License-Identifier: MIT */
/*
 * cio_tcp.c - TCP listeners and streams: listen, accept, connect (to an
 * address, with a timeout, or to a host name trying each address), the
 * stream calls (a descriptor stream underneath) and the TCP socket
 * options.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

#include "cio_net_internal.h"

/* ---- listener ---- */

int
cio_tcp_listen(cio_tcp_listener **out, const cio_sockaddr *addr,
               const cio_bind_opts *opts)
{
    cio_tcp_listener *l;
    cio_fd fd;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    r = cio__net_check_addr(addr, CIO__NET_IP);
    if (r < 0)
        return r;
    l = malloc(sizeof *l);
    if (l == NULL)
        return CIO_ENOMEM;
    r = cio__net_bind(SOCK_STREAM, addr, opts, 1, 1, &fd);
    if (r < 0) {
        free(l);
        return r;
    }
    l->fd = fd;
    *out = l;
    return 0;
}

int
cio_tcp_accept(cio_tcp_listener *l, cio_tcp_stream **out, cio_sockaddr *peer)
{
    void *s;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (l == NULL) {
        if (peer != NULL)
            memset(peer, 0, sizeof *peer);
        return CIO_EINVAL;
    }
    r = cio__net_accept_stream(l->fd, &s, sizeof(cio_tcp_stream), peer);
    *out = s;
    return r;
}

int
cio_tcp_listener_local_addr(const cio_tcp_listener *l, cio_sockaddr *out)
{
    if (l == NULL)
        return CIO_EINVAL;
    return cio__net_name(l->fd, out, 0);
}

cio_fd
cio_tcp_listener_fd(const cio_tcp_listener *l)
{
    return l != NULL ? l->fd : CIO_INVALID_FD;
}

int
cio_tcp_listener_close(cio_tcp_listener *l)
{
    return cio__net_listener_close(l, l != NULL ? l->fd : CIO_INVALID_FD);
}

/* ---- connect ---- */

int
cio_tcp_connect(cio_tcp_stream **out, const cio_sockaddr *addr)
{
    void *s;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    r = cio__net_connect_stream(CIO__NET_IP, addr, &s, sizeof(cio_tcp_stream));
    *out = s;
    return r;
}

int
cio_tcp_connect_timeout(cio_tcp_stream **out, const cio_sockaddr *addr,
                        uint64_t timeout_ns)
{
    uint64_t prev, now, d;
    int r;

    if (cio_current() == NULL) {
        if (out != NULL)
            *out = NULL;
        return CIO_EPERM;
    }
    now = cio_now();
    d = now + timeout_ns < now ? UINT64_MAX : now + timeout_ns;
    prev = cio_deadline();
    if (prev != 0 && prev < d)
        d = prev;
    cio_deadline_set(d);
    r = cio_tcp_connect(out, addr);
    cio_deadline_set(prev);
    return r;
}

int
cio_tcp_connect_host(cio_tcp_stream **out, const char *host, uint16_t port)
{
    cio_resolve_hints hints;
    cio_addrinfo *list, *ai;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (host == NULL)
        return CIO_EINVAL;
    memset(&hints, 0, sizeof hints);
    hints.socktype = SOCK_STREAM;
    r = cio_resolve_port(host, port, &hints, &list);
    if (r < 0)
        return r;
    r = CIO_ENOENT;
    for (ai = list; ai != NULL; ai = ai->next) {
        r = cio_tcp_connect(out, &ai->addr);
        if (r == 0 || r == CIO_ECANCELED || r == CIO_ETIMEDOUT)
            break;
    }
    cio_addrinfo_free(list);
    return r;
}

int
cio_tcp_stream_from_fd(cio_tcp_stream **out, cio_fd fd)
{
    cio__fdstream *s;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (fd == CIO_INVALID_FD)
        return CIO_EBADF;
    r = cio__api_attach(fd);
    if (r < 0)
        return r;
    s = calloc(1, sizeof(cio_tcp_stream));
    if (s == NULL)
        return CIO_ENOMEM;
    cio__fdstream_init(s, fd, CIO__FD_SOCKET, 1);
    s->base.ops = &cio__net_stream_ops;
    *out = (cio_tcp_stream *)s;
    return 0;
}

/* ---- stream calls ---- */

/*
 * A TCP stream's table is always cio__net_stream_ops, whose read and
 * write are the descriptor stream's: call them straight, with the
 * checks cio_stream_read/write would make, rather than through the
 * table (one call and one indirect jump less per request, issue 10).
 */
int64_t
cio_tcp_read(cio_tcp_stream *s, void *buf, size_t len)
{
    if (s == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    return cio__fdstream_read(&s->fs.base, buf, len);
}

int64_t
cio_tcp_write(cio_tcp_stream *s, const void *buf, size_t len)
{
    if (s == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    return cio__fdstream_write(&s->fs.base, buf, len);
}

int64_t
cio_tcp_readv(cio_tcp_stream *s, const cio_iovec *iov, unsigned n)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio_stream_readv(&s->fs.base, iov, n);
}

int64_t
cio_tcp_writev(cio_tcp_stream *s, const cio_iovec *iov, unsigned n)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio_stream_writev(&s->fs.base, iov, n);
}

int
cio_tcp_shutdown(cio_tcp_stream *s, int how)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio__net_shutdown(s->fs.fd, how);
}

int
cio_tcp_close(cio_tcp_stream *s)
{
    return cio__net_stream_close(s != NULL ? &s->fs : NULL);
}

cio_stream *
cio_tcp_stream_io(cio_tcp_stream *s)
{
    return s != NULL ? &s->fs.base : NULL;
}

cio_fd
cio_tcp_stream_fd(const cio_tcp_stream *s)
{
    return s != NULL ? s->fs.fd : CIO_INVALID_FD;
}

int
cio_tcp_peer_addr(const cio_tcp_stream *s, cio_sockaddr *out)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio__net_name(s->fs.fd, out, 1);
}

int
cio_tcp_local_addr(const cio_tcp_stream *s, cio_sockaddr *out)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio__net_name(s->fs.fd, out, 0);
}

/* ---- options ---- */

#define CHECK(s)                                                               \
    do {                                                                       \
        if ((s) == NULL)                                                       \
            return CIO_EINVAL;                                                 \
    } while (0)

int
cio_tcp_set_nodelay(cio_tcp_stream *s, int on)
{
    CHECK(s);
    return cio__net_setint(s->fs.fd, IPPROTO_TCP, TCP_NODELAY, on != 0);
}

int
cio_tcp_nodelay(const cio_tcp_stream *s)
{
    int r;

    CHECK(s);
    r = cio__net_getint(s->fs.fd, IPPROTO_TCP, TCP_NODELAY);
    return r > 0 ? 1 : r;
}

int
cio_tcp_set_keepalive(cio_tcp_stream *s, int on, unsigned idle_s,
                      unsigned interval_s, unsigned count)
{
    int r;

    CHECK(s);
    if (idle_s > INT32_MAX || interval_s > INT32_MAX || count > INT32_MAX)
        return CIO_EINVAL;
    r = cio__net_setint(s->fs.fd, SOL_SOCKET, SO_KEEPALIVE, on != 0);
    if (r < 0 || !on)
        return r;
#ifdef TCP_KEEPIDLE
    if (idle_s != 0 && (r = cio__net_setint(s->fs.fd, IPPROTO_TCP, TCP_KEEPIDLE,
                                            (int)idle_s)) < 0)
        return r;
#endif
#ifdef TCP_KEEPINTVL
    if (interval_s != 0 &&
        (r = cio__net_setint(s->fs.fd, IPPROTO_TCP, TCP_KEEPINTVL,
                             (int)interval_s)) < 0)
        return r;
#endif
#ifdef TCP_KEEPCNT
    if (count != 0 && (r = cio__net_setint(s->fs.fd, IPPROTO_TCP, TCP_KEEPCNT,
                                           (int)count)) < 0)
        return r;
#endif
    return 0;
}

int
cio_tcp_keepalive(const cio_tcp_stream *s)
{
    int r;

    CHECK(s);
    r = cio__net_getint(s->fs.fd, SOL_SOCKET, SO_KEEPALIVE);
    return r > 0 ? 1 : r;
}

int
cio_tcp_set_linger(cio_tcp_stream *s, int on, unsigned seconds)
{
    struct linger lg;

    CHECK(s);
    if (seconds > INT32_MAX)
        return CIO_EINVAL;
    lg.l_onoff = on != 0;
    lg.l_linger = (int)seconds;
    if (setsockopt(CIO__SOCK(s->fs.fd), SOL_SOCKET, SO_LINGER,
                   (const void *)&lg, sizeof lg) < 0)
        return CIO__NET_ERR();
    return 0;
}

int
cio_tcp_linger(const cio_tcp_stream *s)
{
    struct linger lg;
    socklen_t len = sizeof lg;

    CHECK(s);
    memset(&lg, 0, sizeof lg);
    if (getsockopt(CIO__SOCK(s->fs.fd), SOL_SOCKET, SO_LINGER, (void *)&lg,
                   &len) < 0)
        return CIO__NET_ERR();
    if (!lg.l_onoff)
        return CIO_ENOENT;
    {
        /* l_linger is an int on POSIX, an unsigned short on Windows. */
        long v = (long)lg.l_linger;
        return v < 0 ? 0 : (int)v;
    }
}

/* IP_TTL or IPV6_UNICAST_HOPS, by the socket's own family. */
static int
ttl_level(cio_fd fd, int *level, int *opt)
{
    cio_sockaddr a;
    int r = cio__net_name(fd, &a, 0);

    if (r < 0)
        return r;
    if (a.u.sa.sa_family == AF_INET6) {
        *level = IPPROTO_IPV6;
        *opt = IPV6_UNICAST_HOPS;
    } else {
        *level = IPPROTO_IP;
        *opt = IP_TTL;
    }
    return 0;
}

int
cio_tcp_set_ttl(cio_tcp_stream *s, int ttl)
{
    int level, opt, r;

    CHECK(s);
    if (ttl < 1 || ttl > 255)
        return CIO_EINVAL;
    r = ttl_level(s->fs.fd, &level, &opt);
    return r < 0 ? r : cio__net_setint(s->fs.fd, level, opt, ttl);
}

int
cio_tcp_ttl(const cio_tcp_stream *s)
{
    int level, opt, r;

    CHECK(s);
    r = ttl_level(s->fs.fd, &level, &opt);
    return r < 0 ? r : cio__net_getint(s->fs.fd, level, opt);
}

int
cio_tcp_set_send_buffer(cio_tcp_stream *s, int bytes)
{
    CHECK(s);
    if (bytes <= 0)
        return CIO_EINVAL;
    return cio__net_setint(s->fs.fd, SOL_SOCKET, SO_SNDBUF, bytes);
}

int
cio_tcp_send_buffer(const cio_tcp_stream *s)
{
    CHECK(s);
    return cio__net_getint(s->fs.fd, SOL_SOCKET, SO_SNDBUF);
}

int
cio_tcp_set_recv_buffer(cio_tcp_stream *s, int bytes)
{
    CHECK(s);
    if (bytes <= 0)
        return CIO_EINVAL;
    return cio__net_setint(s->fs.fd, SOL_SOCKET, SO_RCVBUF, bytes);
}

int
cio_tcp_recv_buffer(const cio_tcp_stream *s)
{
    CHECK(s);
    return cio__net_getint(s->fs.fd, SOL_SOCKET, SO_RCVBUF);
}
