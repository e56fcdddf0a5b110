/* SPDX-License-Identifier: MIT */
/*
 * cio_udp.c - UDP sockets: bind or open, connect, datagrams through
 * SENDMSG/RECVMSG ops, and the broadcast, multicast, TTL and buffer
 * options (IPv4 or IPv6 by the socket's family).
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include "cio_net_internal.h"

static int
udp_new(cio_udp_socket **out, cio_fd fd, int family)
{
    cio_udp_socket *u = malloc(sizeof *u);

    if (u == NULL) {
        cio__api_close(fd);
        return CIO_ENOMEM;
    }
    u->fd = fd;
    u->family = family;
    *out = u;
    return 0;
}

int
cio_udp_bind(cio_udp_socket **out, const cio_sockaddr *addr,
             const cio_bind_opts *opts)
{
    cio_fd fd;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    r = cio__net_check_addr(addr, CIO__NET_IP);
    if (r < 0)
        return r;
    r = cio__net_bind(SOCK_DGRAM, addr, opts, 0, 0, &fd);
    if (r < 0)
        return r;
    return udp_new(out, fd, addr->u.sa.sa_family);
}

int
cio_udp_open(cio_udp_socket **out, int family)
{
    cio_fd fd;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (family != AF_INET && family != AF_INET6)
        return CIO_EAFNOSUPPORT;
    r = cio__net_socket(family, SOCK_DGRAM, &fd);
    if (r < 0)
        return r;
    return udp_new(out, fd, family);
}

int
cio_udp_connect(cio_udp_socket *u, const cio_sockaddr *addr)
{
    int r;

    if (u == NULL)
        return CIO_EINVAL;
    if (addr != NULL && (r = cio__net_check_addr(addr, CIO__NET_IP)) < 0)
        return r;
    return cio__net_connect_fd(u->fd, addr);
}

int64_t
cio_udp_send_to(cio_udp_socket *u, const void *buf, size_t len,
                const cio_sockaddr *to)
{
    int r;

    if (u == NULL)
        return CIO_EINVAL;
    r = cio__net_check_addr(to, CIO__NET_IP);
    if (r < 0)
        return r;
    return cio__net_send_to(u->fd, buf, len, to);
}

int64_t
cio_udp_recv_from(cio_udp_socket *u, void *buf, size_t len, cio_sockaddr *from)
{
    if (u == NULL)
        return CIO_EINVAL;
    return cio__net_recv_from(u->fd, buf, len, from);
}

int64_t
cio_udp_send(cio_udp_socket *u, const void *buf, size_t len)
{
    if (u == NULL)
        return CIO_EINVAL;
    return cio__net_send_to(u->fd, buf, len, NULL);
}

int64_t
cio_udp_recv(cio_udp_socket *u, void *buf, size_t len)
{
    if (u == NULL)
        return CIO_EINVAL;
    return cio__net_recv_from(u->fd, buf, len, NULL);
}

int
cio_udp_close(cio_udp_socket *u)
{
    int r;

    if (u == NULL)
        return 0;
    r = cio__api_close(u->fd);
    free(u);
    return r;
}

cio_fd
cio_udp_fd(const cio_udp_socket *u)
{
    return u != NULL ? u->fd : CIO_INVALID_FD;
}

int
cio_udp_local_addr(const cio_udp_socket *u, cio_sockaddr *out)
{
    if (u == NULL)
        return CIO_EINVAL;
    return cio__net_name(u->fd, out, 0);
}

int
cio_udp_peer_addr(const cio_udp_socket *u, cio_sockaddr *out)
{
    if (u == NULL)
        return CIO_EINVAL;
    return cio__net_name(u->fd, out, 1);
}

/* ---- options ---- */

#define CHECK(u)                                                               \
    do {                                                                       \
        if ((u) == NULL)                                                       \
            return CIO_EINVAL;                                                 \
    } while (0)

int
cio_udp_set_broadcast(cio_udp_socket *u, int on)
{
    CHECK(u);
    return cio__net_setint(u->fd, SOL_SOCKET, SO_BROADCAST, on != 0);
}

int
cio_udp_broadcast(const cio_udp_socket *u)
{
    int r;

    CHECK(u);
    r = cio__net_getint(u->fd, SOL_SOCKET, SO_BROADCAST);
    return r > 0 ? 1 : r;
}

/* Join (@join non-zero) or leave @group on @ifindex. */
static int
membership(cio_udp_socket *u, const cio_sockaddr *group, unsigned ifindex,
           int join)
{
    int r;

    CHECK(u);
    r = cio__net_check_addr(group, CIO__NET_IP);
    if (r < 0)
        return r;
    if (group->u.sa.sa_family != u->family)
        return CIO_EAFNOSUPPORT;
    if (u->family == AF_INET) {
#ifdef __linux__
        struct ip_mreqn m;

        memset(&m, 0, sizeof m);
        m.imr_multiaddr = group->u.in4.sin_addr;
        m.imr_ifindex = (int)ifindex;
#else
        struct ip_mreq m;

        if (ifindex != 0)
            return CIO_ENOTSUP;
        memset(&m, 0, sizeof m);
        m.imr_multiaddr = group->u.in4.sin_addr;
        m.imr_interface.s_addr = htonl(INADDR_ANY);
#endif
        if (setsockopt(CIO__SOCK(u->fd), IPPROTO_IP,
                       join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
                       (const void *)&m, sizeof m) < 0)
            return CIO__NET_ERR();
    } else {
        struct ipv6_mreq m;

        memset(&m, 0, sizeof m);
        m.ipv6mr_multiaddr = group->u.in6.sin6_addr;
        m.ipv6mr_interface = ifindex;
        if (setsockopt(CIO__SOCK(u->fd), IPPROTO_IPV6,
                       join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP,
                       (const void *)&m, sizeof m) < 0)
            return CIO__NET_ERR();
    }
    return 0;
}

int
cio_udp_join_multicast(cio_udp_socket *u, const cio_sockaddr *group,
                       unsigned ifindex)
{
    return membership(u, group, ifindex, 1);
}

int
cio_udp_leave_multicast(cio_udp_socket *u, const cio_sockaddr *group,
                        unsigned ifindex)
{
    return membership(u, group, ifindex, 0);
}

int
cio_udp_set_multicast_if(cio_udp_socket *u, unsigned ifindex)
{
    CHECK(u);
    if (u->family == AF_INET) {
#ifdef __linux__
        struct ip_mreqn m;

        memset(&m, 0, sizeof m);
        m.imr_ifindex = (int)ifindex;
        if (setsockopt(u->fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) < 0)
            return -errno;
        return 0;
#else
        return CIO_ENOTSUP;
#endif
    }
    if (ifindex > INT32_MAX)
        return CIO_EINVAL;
    return cio__net_setint(u->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
                           (int)ifindex);
}

int
cio_udp_set_multicast_ttl(cio_udp_socket *u, int ttl)
{
    CHECK(u);
    if (ttl < 0 || ttl > 255)
        return CIO_EINVAL;
    if (u->family == AF_INET)
        return cio__net_setint(u->fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl);
    return cio__net_setint(u->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl);
}

int
cio_udp_multicast_ttl(const cio_udp_socket *u)
{
    CHECK(u);
    if (u->family == AF_INET)
        return cio__net_getint(u->fd, IPPROTO_IP, IP_MULTICAST_TTL);
    return cio__net_getint(u->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS);
}

int
cio_udp_set_multicast_loop(cio_udp_socket *u, int on)
{
    CHECK(u);
    if (u->family == AF_INET)
        return cio__net_setint(u->fd, IPPROTO_IP, IP_MULTICAST_LOOP, on != 0);
    return cio__net_setint(u->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on != 0);
}

int
cio_udp_multicast_loop(const cio_udp_socket *u)
{
    int r;

    CHECK(u);
    if (u->family == AF_INET)
        r = cio__net_getint(u->fd, IPPROTO_IP, IP_MULTICAST_LOOP);
    else
        r = cio__net_getint(u->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP);
    return r > 0 ? 1 : r;
}

int
cio_udp_set_ttl(cio_udp_socket *u, int ttl)
{
    CHECK(u);
    if (ttl < 1 || ttl > 255)
        return CIO_EINVAL;
    if (u->family == AF_INET)
        return cio__net_setint(u->fd, IPPROTO_IP, IP_TTL, ttl);
    return cio__net_setint(u->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
}

int
cio_udp_ttl(const cio_udp_socket *u)
{
    CHECK(u);
    if (u->family == AF_INET)
        return cio__net_getint(u->fd, IPPROTO_IP, IP_TTL);
    return cio__net_getint(u->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
}

int
cio_udp_set_send_buffer(cio_udp_socket *u, int bytes)
{
    CHECK(u);
    if (bytes <= 0)
        return CIO_EINVAL;
    return cio__net_setint(u->fd, SOL_SOCKET, SO_SNDBUF, bytes);
}

int
cio_udp_send_buffer(const cio_udp_socket *u)
{
    CHECK(u);
    return cio__net_getint(u->fd, SOL_SOCKET, SO_SNDBUF);
}

int
cio_udp_set_recv_buffer(cio_udp_socket *u, int bytes)
{
    CHECK(u);
    if (bytes <= 0)
        return CIO_EINVAL;
    return cio__net_setint(u->fd, SOL_SOCKET, SO_RCVBUF, bytes);
}

int
cio_udp_recv_buffer(const cio_udp_socket *u)
{
    CHECK(u);
    return cio__net_getint(u->fd, SOL_SOCKET, SO_RCVBUF);
}
