/* SPDX-License-Identifier: MIT */
/*
 * cio_net_internal.h - what the net files (TCP, UDP, Unix, DNS) share:
 * the object layouts and the socket helpers of cio_net_sock.c, each one
 * op awaited by the calling task or one plain syscall. Not installed.
 */
#ifndef CIO_NET_INTERNAL_H
#define CIO_NET_INTERNAL_H

#include "cio_api_internal.h"
#include "compio/net.h"

#ifdef _WIN32
#include "cio_sys.h"

/*
 * Winsock spells a few POSIX names differently: the shutdown directions
 * (same values), and the socket of a call is a SOCKET, not an int.
 */
#ifndef SHUT_RD
#define SHUT_RD SD_RECEIVE
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH
#endif
#define CIO__SOCK(fd) ((SOCKET)(fd))
/* The -errno of the calling thread's last failed Winsock call. */
#define CIO__NET_ERR() cio__sys_win32_error((unsigned long)WSAGetLastError())

/*
 * Start Winsock once per process (WSAStartup 2.2), before the first
 * socket or resolver call; the backend may have done so too, which is
 * fine (Winsock counts). 0 or -errno.
 */
int cio__net_startup(void);
#else
#define CIO__SOCK(fd) (fd)
#define CIO__NET_ERR() (-errno)
#define cio__net_startup() 0
#endif

/* Streams are descriptor streams: the cio_stream view comes first. */
struct cio_tcp_stream {
    cio__fdstream fs;
};

struct cio_unix_stream {
    cio__fdstream fs;
};

struct cio_tcp_listener {
    cio_fd fd;
};

struct cio_unix_listener {
    cio_fd fd;
};

struct cio_udp_socket {
    cio_fd fd;
    int family; /* AF_INET or AF_INET6: picks the IP-level options. */
};

struct cio_unix_datagram {
    cio_fd fd;
};

/*
 * The stream table of TCP and Unix streams: the descriptor stream's
 * calls, with a close that also frees the object (its first member is
 * the cio__fdstream, so the pointers are the same).
 */
extern const cio_stream_ops cio__net_stream_ops;

/*
 * A heap stream object of @size bytes (a struct starting with a
 * cio__fdstream) over the connected socket @fd, which it owns. On
 * failure @fd is closed. 0 or CIO_ENOMEM.
 */
int cio__net_stream_new(void **out, size_t size, cio_fd fd);

/* Close a stream object made by cio__net_stream_new and free it. */
int cio__net_stream_close(cio__fdstream *s);

/*
 * What TCP and Unix streams share (their objects differ only in type):
 * accept a connection on listener @lfd, or connect a new socket of a
 * family in @families to @addr, into a stream object of @size bytes.
 * *@out is NULL on failure. 0 or -errno.
 */
int cio__net_accept_stream(cio_fd lfd, void **out, size_t size,
                           cio_sockaddr *peer);
int cio__net_connect_stream(int families, const cio_sockaddr *addr, void **out,
                            size_t size);

/* Close a listener's socket and free the object. NULL is fine. */
int cio__net_listener_close(void *listener, cio_fd fd);

/*
 * 0 when @a is a usable address of a family in @families (a mask of
 * CIO__NET_IP and CIO__NET_UNIX), else CIO_EINVAL (NULL, empty, bad
 * length) or CIO_EAFNOSUPPORT.
 */
#define CIO__NET_IP 1
#define CIO__NET_UNIX 2
int cio__net_check_addr(const cio_sockaddr *a, int families);

/*
 * A new socket (SOCKET op, close-on-exec) attached to the current
 * runtime. 0 or -errno.
 */
int cio__net_socket(int family, int type, cio_fd *out);

/*
 * A socket of @type bound to @a with @opts applied (@reuse_default:
 * whether SO_REUSEADDR is on unless CIO_BIND_NO_REUSEADDR), and with
 * @listen listening with the options' backlog. The descriptor is closed
 * on failure. 0 or -errno.
 */
int cio__net_bind(int type, const cio_sockaddr *a, const cio_bind_opts *opts,
                  int reuse_default, int listen, cio_fd *out);

/*
 * A socket of @type connected to @a (CONNECT op). Closed on failure.
 * 0 or -errno.
 */
int cio__net_connect(int type, const cio_sockaddr *a, cio_fd *out);

/*
 * Accept on @lfd (ACCEPT op): the new descriptor, attached, in *@out and
 * the peer in @peer (may be NULL). 0 or -errno.
 */
int cio__net_accept(cio_fd lfd, cio_fd *out, cio_sockaddr *peer);

/* connect(2) as an op on an existing socket; NULL @a dissolves. */
int cio__net_connect_fd(cio_fd fd, const cio_sockaddr *a);

/* getsockname (@peer 0) or getpeername (@peer 1). 0 or -errno. */
int cio__net_name(cio_fd fd, cio_sockaddr *out, int peer);

/* setsockopt with an int. 0 or -errno. */
int cio__net_setint(cio_fd fd, int level, int opt, int value);

/* getsockopt of an int: the value (>= 0) or -errno. */
int cio__net_getint(cio_fd fd, int level, int opt);

/* SHUTDOWN op. 0 or -errno. */
int cio__net_shutdown(cio_fd fd, int how);

/* One datagram out (SENDMSG op); @to NULL: the connected peer. */
int64_t cio__net_send_to(cio_fd fd, const void *buf, size_t len,
                         const cio_sockaddr *to);

/* One datagram in (RECVMSG op); the sender into @from (may be NULL). */
int64_t cio__net_recv_from(cio_fd fd, void *buf, size_t len,
                           cio_sockaddr *from);

/*
 * Make @a's length honest after the kernel wrote @len bytes of address
 * (a Unix name is cut at its first NUL for paths). Used by accept,
 * recvmsg and getsockname.
 */
void cio__net_fix_len(cio_sockaddr *a, size_t len);

/*
 * Unix paths with CIO_BIND_UNLINK: remove a socket file at @a's path if
 * nobody serves it (a connect of @type is refused). 0 or -errno.
 */
int cio__unix_unlink_stale(const cio_sockaddr *a, int type);

/* socketpair(2) of @type, both ends attached. 0 or -errno. */
int cio__unix_pair(int type, cio_fd fds[2]);

#endif /* CIO_NET_INTERNAL_H */
