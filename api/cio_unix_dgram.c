/* SPDX-License-Identifier: MIT */
/*
 * cio_unix_dgram.c - Unix domain datagram sockets: bind (path or Linux
 * abstract name), open unbound, socketpair, connect, and datagrams
 * through SENDMSG/RECVMSG ops.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdlib.h>
#ifndef _WIN32
#include <sys/socket.h>
#endif

#include "cio_net_internal.h"

static int
dgram_new(cio_unix_datagram **out, cio_fd fd)
{
    cio_unix_datagram *d = malloc(sizeof *d);

    if (d == NULL) {
        cio__api_close(fd);
        return CIO_ENOMEM;
    }
    d->fd = fd;
    *out = d;
    return 0;
}

int
cio_unix_datagram_bind(cio_unix_datagram **out, const cio_sockaddr *addr,
                       const cio_bind_opts *opts)
{
    cio_fd fd;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    r = cio__net_check_addr(addr, CIO__NET_UNIX);
    if (r < 0)
        return r;
    if (cio_current() == NULL)
        return CIO_EPERM;
    if (opts != NULL && (opts->flags & CIO_BIND_UNLINK) &&
        (r = cio__unix_unlink_stale(addr, SOCK_DGRAM)) < 0)
        return r;
    r = cio__net_bind(SOCK_DGRAM, addr, opts, 0, 0, &fd);
    if (r < 0)
        return r;
    return dgram_new(out, fd);
}

int
cio_unix_datagram_open(cio_unix_datagram **out)
{
    cio_fd fd;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    r = cio__net_socket(AF_UNIX, SOCK_DGRAM, &fd);
    if (r < 0)
        return r;
    return dgram_new(out, fd);
}

int
cio_unix_datagram_pair(cio_unix_datagram **a, cio_unix_datagram **b)
{
    cio_fd fds[2];
    int r;

    if (a == NULL || b == NULL)
        return CIO_EINVAL;
    *a = *b = NULL;
    r = cio__unix_pair(SOCK_DGRAM, fds);
    if (r < 0)
        return r;
    r = dgram_new(a, fds[0]);
    if (r < 0) {
        cio__api_close(fds[1]);
        return r;
    }
    r = dgram_new(b, fds[1]);
    if (r < 0) {
        cio_unix_datagram_close(*a);
        *a = NULL;
        return r;
    }
    return 0;
}

int
cio_unix_datagram_connect(cio_unix_datagram *d, const cio_sockaddr *addr)
{
    int r;

    if (d == NULL)
        return CIO_EINVAL;
    if (addr != NULL && (r = cio__net_check_addr(addr, CIO__NET_UNIX)) < 0)
        return r;
    return cio__net_connect_fd(d->fd, addr);
}

int64_t
cio_unix_datagram_send_to(cio_unix_datagram *d, const void *buf, size_t len,
                          const cio_sockaddr *to)
{
    int r;

    if (d == NULL)
        return CIO_EINVAL;
    r = cio__net_check_addr(to, CIO__NET_UNIX);
    if (r < 0)
        return r;
    return cio__net_send_to(d->fd, buf, len, to);
}

int64_t
cio_unix_datagram_recv_from(cio_unix_datagram *d, void *buf, size_t len,
                            cio_sockaddr *from)
{
    if (d == NULL)
        return CIO_EINVAL;
    return cio__net_recv_from(d->fd, buf, len, from);
}

int64_t
cio_unix_datagram_send(cio_unix_datagram *d, const void *buf, size_t len)
{
    if (d == NULL)
        return CIO_EINVAL;
    return cio__net_send_to(d->fd, buf, len, NULL);
}

int64_t
cio_unix_datagram_recv(cio_unix_datagram *d, void *buf, size_t len)
{
    if (d == NULL)
        return CIO_EINVAL;
    return cio__net_recv_from(d->fd, buf, len, NULL);
}

int
cio_unix_datagram_close(cio_unix_datagram *d)
{
    int r;

    if (d == NULL)
        return 0;
    r = cio__api_close(d->fd);
    free(d);
    return r;
}

cio_fd
cio_unix_datagram_fd(const cio_unix_datagram *d)
{
    return d != NULL ? d->fd : CIO_INVALID_FD;
}

int
cio_unix_datagram_local_addr(const cio_unix_datagram *d, cio_sockaddr *out)
{
    if (d == NULL)
        return CIO_EINVAL;
    return cio__net_name(d->fd, out, 0);
}

int
cio_unix_datagram_peer_addr(const cio_unix_datagram *d, cio_sockaddr *out)
{
    if (d == NULL)
        return CIO_EINVAL;
    return cio__net_name(d->fd, out, 1);
}
