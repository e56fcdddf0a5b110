/* SPDX-License-Identifier: MIT */
/*
 * compio/net.h - sockets for tasks: addresses, DNS, TCP, UDP and Unix
 * domain sockets (stream and datagram), IPv4 and IPv6 throughout.
 *
 *     static int client(void *arg) {              // runs as a task
 *         cio_tcp_stream *s;
 *         int r = cio_tcp_connect_host(&s, "localhost", 8080);
 *         if (r < 0)
 *             return r;                           // e.g. CIO_ECONNREFUSED
 *         r = (int)cio_tcp_write(s, "ping", 4);   // may be short
 *         cio_tcp_close(s);
 *         return r < 0 ? r : 0;
 *     }
 *
 * The calls are made from tasks of a runtime and read like blocking
 * code: each one is one op (or a few) awaited on the current runtime,
 * whatever backend is loaded. Rules shared by every call below:
 *
 * - The return is >= 0 on success and a negative errno on failure
 *   (CIO_ECONNRESET, ...). Outside a task, calls that wait return
 *   CIO_EPERM.
 * - cio_cancel of the calling task makes a waiting call return
 *   CIO_ECANCELED, once the backend has released the op; a call that
 *   completed first keeps its result (a connection accepted just before
 *   the cancel is returned, not leaked).
 * - The task's deadline (cio_deadline_set) bounds every call: when it
 *   passes, the call returns CIO_ETIMEDOUT. This is how "connect with a
 *   timeout" or "read with a timeout" is spelled; cio_tcp_connect_timeout
 *   is a shorthand.
 * - Sockets are created close-on-exec and attached to the runtime that
 *   created them; use each object from tasks of that runtime only.
 * - Socket options are plain setsockopt(2) calls and work from any
 *   thread. Every object exposes its descriptor for options not
 *   wrapped here.
 * - Objects are allocated by the call that makes them and freed by
 *   their close, which always releases the descriptor and the memory,
 *   also when it returns an error or runs in a cancelled task. As with
 *   close(2), do not close an object another task is waiting on:
 *   cancel (and join) that task first.
 *
 * Streams (TCP, Unix) are also cio_streams (compio/stream.h), so the
 * generic helpers of compio/io.h (read_exact, write_all, buffered
 * readers, ...) work on them through cio_tcp_stream_io() and
 * cio_unix_stream_io(). cio_stream_close() on that view closes the
 * whole object.
 *
 * Windows (Winsock on the iocp backend; tested under wine): the same
 * files and calls. Sockets are made overlapped and not inherited
 * (WSASocketW on the pool) and attached to the runtime's port; Winsock
 * is started once per process on first use; errors are mapped to the
 * same CIO_E* values. The differences:
 * - Binding: see CIO_BIND_REUSEPORT (no SO_REUSEPORT; TCP listeners do
 *   not set SO_REUSEADDR, which means port sharing there).
 * - UDP: an ICMP port unreachable, which Windows reports as a reset of
 *   the next receive, is CIO_ECONNREFUSED as on POSIX (wine reports
 *   none).
 * - Unix sockets (AF_UNIX, Windows 10 1803 and later; not under wine
 *   8): paths only. Abstract names are CIO_ENOTSUP everywhere but
 *   Linux; cio_unix_stream_pair, cio_unix_datagram_pair and
 *   cio_unix_peer_cred are CIO_ENOTSUP.
 * - cio_sockaddr_parse takes Unix paths starting with '/' or '.' only,
 *   as everywhere; build others with cio_sockaddr_unix.
 */
#ifndef COMPIO_NET_H
#define COMPIO_NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#endif

#include "platform.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

/**
 * A socket address by value: IPv4, IPv6 or Unix (a path, or on Linux an
 * abstract name). Plain data: copy it, compare it with
 * cio_sockaddr_equal, keep it on the stack. An all-zero value is the
 * empty address (family 0, len 0).
 */
typedef struct cio_sockaddr {
    /** The address; which member is valid depends on u.sa.sa_family. */
    union {
        struct sockaddr sa;         /**< Generic view (family). */
        struct sockaddr_in in4;     /**< AF_INET. */
        struct sockaddr_in6 in6;    /**< AF_INET6. */
        struct sockaddr_un un;      /**< AF_UNIX. */
        struct sockaddr_storage ss; /**< Size and alignment for any. */
    } u;
    /**
     * Bytes of u in use, as the socket calls take and give it. For
     * Unix addresses it counts the path (abstract names: the leading
     * NUL and the name, whose bytes all count).
     */
    uint32_t len;
} cio_sockaddr;

/** Room for any cio_sockaddr_format output, NUL included. */
#define CIO_SOCKADDR_STRLEN 128

/**
 * Parse @s into @a. Accepted forms, no DNS:
 *   "127.0.0.1:80"          IPv4 and a port (both required)
 *   "[::1]:80"              IPv6 in brackets and a port
 *   "[fe80::1%eth0]:80"     with a scope (an interface name or index)
 *   "/run/x.sock", "./x"    a Unix path (starts with '/' or '.')
 *   "@name"                 a Linux abstract Unix name (the rest of @s)
 * Ports are decimal, 0..65535. 0, or CIO_EINVAL (malformed, including
 * trailing text and an IPv6 address without brackets),
 * CIO_ENAMETOOLONG (Unix path or name too long), CIO_ENXIO (unknown
 * interface in a scope), CIO_ENOTSUP (abstract name off Linux). @a is
 * left empty on failure.
 */
CIO_EXTERN int cio_sockaddr_parse(cio_sockaddr *a, const char *s);

/**
 * An IP address from its text and a port: @ip is IPv4 ("10.0.0.1") or
 * IPv6 without brackets ("::1", "fe80::1%2"). 0, CIO_EINVAL or
 * CIO_ENXIO (unknown scope interface).
 */
CIO_EXTERN int cio_sockaddr_ip(cio_sockaddr *a, const char *ip, uint16_t port);

/**
 * The wildcard address of @family (AF_INET: 0.0.0.0, AF_INET6: ::) with
 * @port. 0 or CIO_EAFNOSUPPORT.
 */
CIO_EXTERN int cio_sockaddr_any(cio_sockaddr *a, int family, uint16_t port);

/**
 * The loopback address of @family (127.0.0.1 or ::1) with @port. 0 or
 * CIO_EAFNOSUPPORT.
 */
CIO_EXTERN int cio_sockaddr_loopback(cio_sockaddr *a, int family,
                                     uint16_t port);

/**
 * A Unix address. A @path starting with '@' is a Linux abstract name
 * (the rest of the string; spell a file named "@x" as "./@x"); anything
 * else is a filesystem path. 0, CIO_EINVAL (empty), CIO_ENAMETOOLONG,
 * CIO_ENOTSUP (abstract name off Linux).
 */
CIO_EXTERN int cio_sockaddr_unix(cio_sockaddr *a, const char *path);

/**
 * A Linux abstract Unix address from @len raw bytes of @name (NULs
 * allowed; the leading NUL of the kernel's encoding is added here).
 * 0, CIO_EINVAL (@len 0), CIO_ENAMETOOLONG, or CIO_ENOTSUP off Linux.
 */
CIO_EXTERN int cio_sockaddr_abstract(cio_sockaddr *a, const void *name,
                                     size_t len);

/**
 * Copy a system address of @len bytes (as accept(2) or getsockname(2)
 * return it) into @a. 0, or CIO_EINVAL (NULL, @len too large) /
 * CIO_EAFNOSUPPORT (not IPv4, IPv6 or Unix, or too short for its
 * family).
 */
CIO_EXTERN int cio_sockaddr_from(cio_sockaddr *a, const struct sockaddr *sa,
                                 size_t len);

/**
 * Write @a as text into @buf (@size bytes, CIO_SOCKADDR_STRLEN is always
 * enough), in the forms cio_sockaddr_parse reads back: "1.2.3.4:80",
 * "[::1]:80", "[fe80::1%2]:80" (numeric scope), "/path", "@name". An
 * unnamed Unix socket gives "" and abstract names show NUL bytes as
 * '@' (the one lossy case). Returns the length written (without the
 * NUL), or CIO_EAFNOSUPPORT (empty or unknown family) or CIO_ENOSPC
 * (@buf too small; it then holds "").
 */
CIO_EXTERN int cio_sockaddr_format(const cio_sockaddr *a, char *buf,
                                   size_t size);

/** The family: AF_INET, AF_INET6, AF_UNIX, or 0 for the empty address. */
CIO_EXTERN int cio_sockaddr_family(const cio_sockaddr *a);

/** The port (0..65535), or CIO_EAFNOSUPPORT for a non-IP address. */
CIO_EXTERN int cio_sockaddr_port(const cio_sockaddr *a);

/** Set the port of an IP address. 0 or CIO_EAFNOSUPPORT. */
CIO_EXTERN int cio_sockaddr_set_port(cio_sockaddr *a, uint16_t port);

/**
 * Non-zero when @a and @b are the same address: family, address, port
 * (and IPv6 scope), or the same Unix path or abstract name.
 */
CIO_EXTERN int cio_sockaddr_equal(const cio_sockaddr *a, const cio_sockaddr *b);

/* ------------------------------------------------------------------ */
/* DNS                                                                 */
/* ------------------------------------------------------------------ */

/** What cio_resolve looks for; zero-initialise, then set what you need. */
typedef struct cio_resolve_hints {
    int family;   /**< AF_UNSPEC (0), AF_INET or AF_INET6. */
    int socktype; /**< SOCK_STREAM, SOCK_DGRAM, or 0 for every type. */
    int protocol; /**< IPPROTO_*, or 0. */
    int flags;    /**< AI_* flags for getaddrinfo (AI_PASSIVE, ...). */
} cio_resolve_hints;

/** One resolved address; a list in getaddrinfo's order. */
typedef struct cio_addrinfo {
    struct cio_addrinfo *next; /**< The next entry, NULL at the end. */
    int family;                /**< AF_INET or AF_INET6. */
    int socktype;              /**< SOCK_STREAM, SOCK_DGRAM, ... */
    int protocol;              /**< IPPROTO_TCP, IPPROTO_UDP, ... */
    cio_sockaddr addr;         /**< The address, with the port set. */
} cio_addrinfo;

/**
 * Resolve @host (a name or numeric address; NULL: the loopback or, with
 * AI_PASSIVE, the wildcard address) and @service (a port number or
 * service name; NULL: port 0) with getaddrinfo(3). @hints NULL means
 * {AF_UNSPEC, SOCK_STREAM, 0, 0}. On success *@out is the list (free it
 * with cio_addrinfo_free) and the return its length, > 0.
 *
 * A numeric host with a numeric (or no) service is converted at once.
 * Anything else runs getaddrinfo on the blocking pool, cancellable from
 * the caller's view: a cancel or an expired deadline returns
 * CIO_ECANCELED or CIO_ETIMEDOUT at once, while the lookup finishes in
 * the background and its result is freed there (a task of the runtime
 * owns it, so cio_runtime_free waits for it and nothing leaks).
 *
 * getaddrinfo errors become negative errnos:
 *   EAI_NONAME, EAI_NODATA, EAI_ADDRFAMILY  CIO_ENOENT   (no such host,
 *                                           or no address of that family)
 *   EAI_AGAIN                               CIO_EAGAIN   (try again)
 *   EAI_FAIL                                CIO_EIO      (the resolver
 *                                                         failed for good)
 *   EAI_SERVICE                             CIO_EPROTONOSUPPORT (service
 *                                           unknown for the socket type)
 *   EAI_FAMILY                              CIO_EAFNOSUPPORT
 *   EAI_SOCKTYPE                            CIO_EPROTOTYPE
 *   EAI_BADFLAGS                            CIO_EINVAL
 *   EAI_MEMORY                              CIO_ENOMEM
 *   EAI_SYSTEM                              -errno of the failed call
 *   anything else                           CIO_EIO
 * Also CIO_EINVAL (@out NULL, or both @host and @service NULL),
 * CIO_ENOMEM, CIO_EPERM (not in a task).
 */
CIO_EXTERN int cio_resolve(const char *host, const char *service,
                           const cio_resolve_hints *hints, cio_addrinfo **out);

/** cio_resolve with a numeric @port instead of a service. */
CIO_EXTERN int cio_resolve_port(const char *host, uint16_t port,
                                const cio_resolve_hints *hints,
                                cio_addrinfo **out);

/** Free a list from cio_resolve. NULL is fine. */
CIO_EXTERN void cio_addrinfo_free(cio_addrinfo *list);

/* ------------------------------------------------------------------ */
/* Binding and listening options (TCP, UDP, Unix)                      */
/* ------------------------------------------------------------------ */

/** Set SO_REUSEADDR (UDP and Unix datagram: off unless asked for). */
#define CIO_BIND_REUSEADDR 0x01u
/** Do not set SO_REUSEADDR (TCP listeners set it by default). */
#define CIO_BIND_NO_REUSEADDR 0x02u
/**
 * Set SO_REUSEPORT (CIO_ENOTSUP where the system lacks it).
 *
 * Windows: there is no SO_REUSEPORT (CIO_ENOTSUP). SO_REUSEADDR there
 * lets another socket bind a port in use, and a port in TIME_WAIT can
 * be bound again without it, so only CIO_BIND_REUSEADDR sets it: TCP
 * listeners do not by default (CIO_BIND_NO_REUSEADDR changes nothing).
 */
#define CIO_BIND_REUSEPORT 0x04u
/** IPv6 only: set IPV6_V6ONLY (no IPv4-mapped peers). */
#define CIO_BIND_V6ONLY 0x08u
/** IPv6 only: clear IPV6_V6ONLY (accept IPv4 too on "::"). */
#define CIO_BIND_DUALSTACK 0x10u
/**
 * Unix paths: if a socket file at the path has no listener (a connect
 * to it is refused), remove it before binding. A live socket, or a file
 * that is not a socket, is left alone and the bind fails with
 * CIO_EADDRINUSE.
 */
#define CIO_BIND_UNLINK 0x20u

/** Options of a bind; zero-initialised (or NULL) gives the defaults. */
typedef struct cio_bind_opts {
    int backlog;    /**< Listeners: the listen(2) backlog; 0: SOMAXCONN. */
    unsigned flags; /**< CIO_BIND_* bits. */
} cio_bind_opts;

/** shutdown(2) directions for the *_shutdown calls. */
#define CIO_SHUT_RD 0
/** See CIO_SHUT_RD. */
#define CIO_SHUT_WR 1
/** See CIO_SHUT_RD. */
#define CIO_SHUT_RDWR 2

/* ------------------------------------------------------------------ */
/* TCP                                                                 */
/* ------------------------------------------------------------------ */

/** A listening TCP socket. */
typedef struct cio_tcp_listener cio_tcp_listener;
/** A connected TCP socket; also a cio_stream (cio_tcp_stream_io). */
typedef struct cio_tcp_stream cio_tcp_stream;

/**
 * Bind a TCP socket to @addr (IPv4 or IPv6; port 0 picks a free port,
 * see cio_tcp_listener_local_addr) and listen. @opts NULL: defaults
 * (SO_REUSEADDR on, backlog SOMAXCONN). 0, or CIO_EADDRINUSE,
 * CIO_EACCES, CIO_EADDRNOTAVAIL, CIO_EAFNOSUPPORT, CIO_EINVAL,
 * CIO_ENOTSUP, CIO_ENOMEM, CIO_EMFILE, CIO_ECANCELED, CIO_ETIMEDOUT...
 */
CIO_EXTERN int cio_tcp_listen(cio_tcp_listener **out, const cio_sockaddr *addr,
                              const cio_bind_opts *opts);

/**
 * Wait for a connection on @l. *@out is the new stream and @peer (may
 * be NULL) its address. 0, or CIO_ECANCELED, CIO_ETIMEDOUT,
 * CIO_ECONNABORTED (the peer left before the accept), CIO_EMFILE,
 * CIO_ENOMEM...
 */
CIO_EXTERN int cio_tcp_accept(cio_tcp_listener *l, cio_tcp_stream **out,
                              cio_sockaddr *peer);

/** The address @l is bound to (with the chosen port). 0 or -errno. */
CIO_EXTERN int cio_tcp_listener_local_addr(const cio_tcp_listener *l,
                                           cio_sockaddr *out);

/** The listening descriptor (for extra socket options). */
CIO_EXTERN cio_fd cio_tcp_listener_fd(const cio_tcp_listener *l);

/** Close and free @l. 0 or -errno (freed either way). NULL is fine. */
CIO_EXTERN int cio_tcp_listener_close(cio_tcp_listener *l);

/**
 * Connect to @addr (IPv4 or IPv6). 0, or CIO_ECONNREFUSED,
 * CIO_ENETUNREACH, CIO_EHOSTUNREACH, CIO_ETIMEDOUT (the kernel's or the
 * task's deadline), CIO_ECANCELED, CIO_EAFNOSUPPORT, CIO_EINVAL...
 */
CIO_EXTERN int cio_tcp_connect(cio_tcp_stream **out, const cio_sockaddr *addr);

/**
 * cio_tcp_connect bounded by @timeout_ns from now (and by the task's
 * deadline if that comes first): CIO_ETIMEDOUT when it passes.
 */
CIO_EXTERN int cio_tcp_connect_timeout(cio_tcp_stream **out,
                                       const cio_sockaddr *addr,
                                       uint64_t timeout_ns);

/**
 * Resolve @host (cio_resolve, SOCK_STREAM, any family) and connect to
 * each address in turn until one answers. 0, the resolver's error, or
 * the last address's connect error; CIO_ECANCELED and CIO_ETIMEDOUT stop
 * at once.
 */
CIO_EXTERN int cio_tcp_connect_host(cio_tcp_stream **out, const char *host,
                                    uint16_t port);

/**
 * Adopt @fd, a connected TCP socket, as a stream: it is attached to the
 * current runtime and closed by cio_tcp_close. 0 or -errno (@fd is then
 * not taken).
 */
CIO_EXTERN int cio_tcp_stream_from_fd(cio_tcp_stream **out, cio_fd fd);

/** Read at most @len bytes: > 0, 0 at end of stream, or -errno. */
CIO_EXTERN int64_t cio_tcp_read(cio_tcp_stream *s, void *buf, size_t len);
/**
 * Write at most @len bytes: > 0 (may be short: loop, or use
 * compio/io.h's write_all), or -errno (CIO_EPIPE, CIO_ECONNRESET...).
 */
CIO_EXTERN int64_t cio_tcp_write(cio_tcp_stream *s, const void *buf,
                                 size_t len);
/** Vectored read, one call (may be short). */
CIO_EXTERN int64_t cio_tcp_readv(cio_tcp_stream *s, const cio_iovec *iov,
                                 unsigned n);
/** Vectored write, one call (may be short). */
CIO_EXTERN int64_t cio_tcp_writev(cio_tcp_stream *s, const cio_iovec *iov,
                                  unsigned n);

/** Shut down @how (CIO_SHUT_RD, _WR or _RDWR). 0 or -errno. */
CIO_EXTERN int cio_tcp_shutdown(cio_tcp_stream *s, int how);

/** Close and free @s. 0 or -errno (freed either way). NULL is fine. */
CIO_EXTERN int cio_tcp_close(cio_tcp_stream *s);

/** The cio_stream view of @s; closing it closes @s. */
CIO_EXTERN cio_stream *cio_tcp_stream_io(cio_tcp_stream *s);

/** The descriptor (for extra socket options). */
CIO_EXTERN cio_fd cio_tcp_stream_fd(const cio_tcp_stream *s);

/** The peer's address. 0, CIO_ENOTCONN, or -errno. */
CIO_EXTERN int cio_tcp_peer_addr(const cio_tcp_stream *s, cio_sockaddr *out);

/** The local address. 0 or -errno. */
CIO_EXTERN int cio_tcp_local_addr(const cio_tcp_stream *s, cio_sockaddr *out);

/** TCP_NODELAY on (non-zero) or off. 0 or -errno. */
CIO_EXTERN int cio_tcp_set_nodelay(cio_tcp_stream *s, int on);
/** TCP_NODELAY: 1, 0, or -errno. */
CIO_EXTERN int cio_tcp_nodelay(const cio_tcp_stream *s);

/**
 * SO_KEEPALIVE on or off. With @on, non-zero @idle_s, @interval_s and
 * @count also set TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT where the
 * system has them (0 keeps the system default). 0 or -errno.
 */
CIO_EXTERN int cio_tcp_set_keepalive(cio_tcp_stream *s, int on, unsigned idle_s,
                                     unsigned interval_s, unsigned count);
/** SO_KEEPALIVE: 1, 0, or -errno. */
CIO_EXTERN int cio_tcp_keepalive(const cio_tcp_stream *s);

/**
 * SO_LINGER: @on with @seconds makes close wait up to that long for
 * unsent data (the close op waits, not the task's thread); @on with 0
 * makes close reset the connection (the peer reads CIO_ECONNRESET).
 * 0 or -errno.
 */
CIO_EXTERN int cio_tcp_set_linger(cio_tcp_stream *s, int on, unsigned seconds);
/**
 * SO_LINGER: the seconds (>= 0) when on, CIO_ENOENT when off, or
 * -errno.
 */
CIO_EXTERN int cio_tcp_linger(const cio_tcp_stream *s);

/** Time to live of outgoing packets (IP_TTL / IPV6_UNICAST_HOPS). */
CIO_EXTERN int cio_tcp_set_ttl(cio_tcp_stream *s, int ttl);
/** The TTL (hop limit), or -errno. */
CIO_EXTERN int cio_tcp_ttl(const cio_tcp_stream *s);

/** SO_SNDBUF (the kernel may round or double it). 0 or -errno. */
CIO_EXTERN int cio_tcp_set_send_buffer(cio_tcp_stream *s, int bytes);
/** SO_SNDBUF as the kernel reports it, or -errno. */
CIO_EXTERN int cio_tcp_send_buffer(const cio_tcp_stream *s);
/** SO_RCVBUF. 0 or -errno. */
CIO_EXTERN int cio_tcp_set_recv_buffer(cio_tcp_stream *s, int bytes);
/** SO_RCVBUF as the kernel reports it, or -errno. */
CIO_EXTERN int cio_tcp_recv_buffer(const cio_tcp_stream *s);

/* ------------------------------------------------------------------ */
/* UDP                                                                 */
/* ------------------------------------------------------------------ */

/** A UDP socket (IPv4 or IPv6). */
typedef struct cio_udp_socket cio_udp_socket;

/**
 * A UDP socket bound to @addr (port 0 picks one). @opts NULL: no
 * SO_REUSEADDR (set CIO_BIND_REUSEADDR to share a multicast port).
 * 0 or -errno (CIO_EADDRINUSE, CIO_EADDRNOTAVAIL, CIO_EAFNOSUPPORT...).
 */
CIO_EXTERN int cio_udp_bind(cio_udp_socket **out, const cio_sockaddr *addr,
                            const cio_bind_opts *opts);

/**
 * An unbound UDP socket of @family (AF_INET or AF_INET6); the first send
 * binds it to a free port. 0 or -errno.
 */
CIO_EXTERN int cio_udp_open(cio_udp_socket **out, int family);

/**
 * Set the default peer: send/recv then use it and only its datagrams
 * are received. @addr NULL dissolves the association (on Linux a socket
 * that was bound to port 0 then loses its port too, and gets a new one
 * with its next send). 0 or -errno.
 */
CIO_EXTERN int cio_udp_connect(cio_udp_socket *u, const cio_sockaddr *addr);

/**
 * Send one datagram of @len bytes to @to: @len, or -errno
 * (CIO_EMSGSIZE, CIO_ECONNREFUSED from an earlier ICMP error,
 * CIO_EACCES for a broadcast without cio_udp_set_broadcast...).
 */
CIO_EXTERN int64_t cio_udp_send_to(cio_udp_socket *u, const void *buf,
                                   size_t len, const cio_sockaddr *to);

/**
 * Wait for one datagram: its length (the part that fit in @len; the
 * rest is dropped), with the sender in @from (may be NULL), or -errno.
 */
CIO_EXTERN int64_t cio_udp_recv_from(cio_udp_socket *u, void *buf, size_t len,
                                     cio_sockaddr *from);

/** Send to the connected peer. As cio_udp_send_to. */
CIO_EXTERN int64_t cio_udp_send(cio_udp_socket *u, const void *buf, size_t len);

/** Receive from the connected peer. As cio_udp_recv_from. */
CIO_EXTERN int64_t cio_udp_recv(cio_udp_socket *u, void *buf, size_t len);

/** Close and free @u. 0 or -errno (freed either way). NULL is fine. */
CIO_EXTERN int cio_udp_close(cio_udp_socket *u);

/** The descriptor (for extra socket options). */
CIO_EXTERN cio_fd cio_udp_fd(const cio_udp_socket *u);

/** The local address. 0 or -errno. */
CIO_EXTERN int cio_udp_local_addr(const cio_udp_socket *u, cio_sockaddr *out);

/** The connected peer's address. 0, CIO_ENOTCONN, or -errno. */
CIO_EXTERN int cio_udp_peer_addr(const cio_udp_socket *u, cio_sockaddr *out);

/** SO_BROADCAST on or off (IPv4). 0 or -errno. */
CIO_EXTERN int cio_udp_set_broadcast(cio_udp_socket *u, int on);
/** SO_BROADCAST: 1, 0, or -errno. */
CIO_EXTERN int cio_udp_broadcast(const cio_udp_socket *u);

/**
 * Join the multicast @group (an IPv4 or IPv6 address of the socket's
 * family; the port is ignored) on the interface of index @ifindex (0:
 * let the system choose; see if_nametoindex(3)). 0, or -errno
 * (CIO_EINVAL for a non-multicast group, CIO_EADDRINUSE when already
 * joined, the system's ENODEV for an unknown interface...).
 */
CIO_EXTERN int cio_udp_join_multicast(cio_udp_socket *u,
                                      const cio_sockaddr *group,
                                      unsigned ifindex);
/** Leave a group joined with cio_udp_join_multicast. 0 or -errno. */
CIO_EXTERN int cio_udp_leave_multicast(cio_udp_socket *u,
                                       const cio_sockaddr *group,
                                       unsigned ifindex);
/**
 * The interface outgoing multicast leaves by (IP_MULTICAST_IF /
 * IPV6_MULTICAST_IF), by index; 0 restores the default. 0 or -errno.
 */
CIO_EXTERN int cio_udp_set_multicast_if(cio_udp_socket *u, unsigned ifindex);
/** Multicast TTL / hop limit (0..255). 0 or -errno. */
CIO_EXTERN int cio_udp_set_multicast_ttl(cio_udp_socket *u, int ttl);
/** Multicast TTL / hop limit, or -errno. */
CIO_EXTERN int cio_udp_multicast_ttl(const cio_udp_socket *u);
/** Whether our own multicast is looped back to us. 0 or -errno. */
CIO_EXTERN int cio_udp_set_multicast_loop(cio_udp_socket *u, int on);
/** Multicast loop: 1, 0, or -errno. */
CIO_EXTERN int cio_udp_multicast_loop(const cio_udp_socket *u);
/** Unicast TTL / hop limit. 0 or -errno. */
CIO_EXTERN int cio_udp_set_ttl(cio_udp_socket *u, int ttl);
/** Unicast TTL / hop limit, or -errno. */
CIO_EXTERN int cio_udp_ttl(const cio_udp_socket *u);
/** SO_SNDBUF. 0 or -errno. */
CIO_EXTERN int cio_udp_set_send_buffer(cio_udp_socket *u, int bytes);
/** SO_SNDBUF as the kernel reports it, or -errno. */
CIO_EXTERN int cio_udp_send_buffer(const cio_udp_socket *u);
/** SO_RCVBUF. 0 or -errno. */
CIO_EXTERN int cio_udp_set_recv_buffer(cio_udp_socket *u, int bytes);
/** SO_RCVBUF as the kernel reports it, or -errno. */
CIO_EXTERN int cio_udp_recv_buffer(const cio_udp_socket *u);

/* ------------------------------------------------------------------ */
/* Unix domain sockets                                                 */
/* ------------------------------------------------------------------ */

/** A listening Unix stream socket. */
typedef struct cio_unix_listener cio_unix_listener;
/** A connected Unix stream socket; also a cio_stream. */
typedef struct cio_unix_stream cio_unix_stream;
/** A Unix datagram socket. */
typedef struct cio_unix_datagram cio_unix_datagram;

/** Credentials of a Unix socket's peer, as of its connect. */
typedef struct cio_unix_cred {
    int64_t pid;  /**< Its process id, or -1 where the system won't say. */
    uint32_t uid; /**< Its effective user id. */
    uint32_t gid; /**< Its effective group id. */
} cio_unix_cred;

/**
 * Bind a Unix stream socket to @addr (a path or an abstract name, see
 * cio_sockaddr_unix) and listen. @opts: backlog, CIO_BIND_UNLINK.
 * Closing the listener does not remove a path's socket file. 0, or
 * CIO_EADDRINUSE, CIO_EACCES, CIO_ENOENT (no such directory),
 * CIO_EINVAL... (A path too long for sun_path is refused earlier, by
 * cio_sockaddr_unix and cio_sockaddr_parse.)
 */
CIO_EXTERN int cio_unix_listen(cio_unix_listener **out,
                               const cio_sockaddr *addr,
                               const cio_bind_opts *opts);

/**
 * Wait for a connection on @l; @peer (may be NULL) gets the client's
 * address (usually unnamed). As cio_tcp_accept.
 */
CIO_EXTERN int cio_unix_accept(cio_unix_listener *l, cio_unix_stream **out,
                               cio_sockaddr *peer);

/** The address @l is bound to. 0 or -errno. */
CIO_EXTERN int cio_unix_listener_local_addr(const cio_unix_listener *l,
                                            cio_sockaddr *out);

/** The listening descriptor. */
CIO_EXTERN cio_fd cio_unix_listener_fd(const cio_unix_listener *l);

/** Close and free @l. 0 or -errno (freed either way). NULL is fine. */
CIO_EXTERN int cio_unix_listener_close(cio_unix_listener *l);

/**
 * Connect to the Unix stream socket at @addr. 0, or CIO_ENOENT (no such
 * path), CIO_ECONNREFUSED (nobody listens), CIO_EACCES, CIO_ECANCELED,
 * CIO_ETIMEDOUT... While the listener's backlog is full the call waits
 * for room, like a blocking connect(2), until cancel or a deadline ends
 * it. (An unconnected Unix socket polls writable all along, so the
 * epoll backend retries such a connect on a timer, 1 to 64 ms apart.)
 */
CIO_EXTERN int cio_unix_connect(cio_unix_stream **out,
                                const cio_sockaddr *addr);

/** A connected pair of Unix streams (socketpair(2)). 0 or -errno. */
CIO_EXTERN int cio_unix_stream_pair(cio_unix_stream **a, cio_unix_stream **b);

/** Read at most @len bytes: > 0, 0 at end of stream, or -errno. */
CIO_EXTERN int64_t cio_unix_read(cio_unix_stream *s, void *buf, size_t len);
/** Write at most @len bytes: > 0 (may be short), or -errno. */
CIO_EXTERN int64_t cio_unix_write(cio_unix_stream *s, const void *buf,
                                  size_t len);
/** Vectored read, one call (may be short). */
CIO_EXTERN int64_t cio_unix_readv(cio_unix_stream *s, const cio_iovec *iov,
                                  unsigned n);
/** Vectored write, one call (may be short). */
CIO_EXTERN int64_t cio_unix_writev(cio_unix_stream *s, const cio_iovec *iov,
                                   unsigned n);
/** Shut down @how (CIO_SHUT_*). 0 or -errno. */
CIO_EXTERN int cio_unix_shutdown(cio_unix_stream *s, int how);
/** Close and free @s. 0 or -errno (freed either way). NULL is fine. */
CIO_EXTERN int cio_unix_close(cio_unix_stream *s);
/** The cio_stream view of @s; closing it closes @s. */
CIO_EXTERN cio_stream *cio_unix_stream_io(cio_unix_stream *s);
/** The descriptor. */
CIO_EXTERN cio_fd cio_unix_stream_fd(const cio_unix_stream *s);
/** The peer's address (often unnamed). 0 or -errno. */
CIO_EXTERN int cio_unix_peer_addr(const cio_unix_stream *s, cio_sockaddr *out);
/** The local address. 0 or -errno. */
CIO_EXTERN int cio_unix_local_addr(const cio_unix_stream *s, cio_sockaddr *out);
/**
 * The peer's credentials (SO_PEERCRED on Linux, getpeereid elsewhere,
 * where pid is -1). 0, or CIO_ENOTSUP, or -errno.
 */
CIO_EXTERN int cio_unix_peer_cred(const cio_unix_stream *s, cio_unix_cred *out);

/**
 * A Unix datagram socket bound to @addr (a path or abstract name;
 * @opts: CIO_BIND_UNLINK). 0 or -errno.
 */
CIO_EXTERN int cio_unix_datagram_bind(cio_unix_datagram **out,
                                      const cio_sockaddr *addr,
                                      const cio_bind_opts *opts);
/**
 * An unbound Unix datagram socket: it can send; replies need an address,
 * so bind one if the peer should answer. 0 or -errno.
 */
CIO_EXTERN int cio_unix_datagram_open(cio_unix_datagram **out);
/** A connected pair of Unix datagram sockets. 0 or -errno. */
CIO_EXTERN int cio_unix_datagram_pair(cio_unix_datagram **a,
                                      cio_unix_datagram **b);
/** Set (or with @addr NULL, dissolve) the default peer. 0 or -errno. */
CIO_EXTERN int cio_unix_datagram_connect(cio_unix_datagram *d,
                                         const cio_sockaddr *addr);
/**
 * Send one datagram to @to: @len, or -errno (CIO_ENOENT, no such path;
 * CIO_ECONNREFUSED, nobody bound there; CIO_EMSGSIZE...).
 */
CIO_EXTERN int64_t cio_unix_datagram_send_to(cio_unix_datagram *d,
                                             const void *buf, size_t len,
                                             const cio_sockaddr *to);
/**
 * Wait for one datagram: its length (truncated to @len), the sender in
 * @from (may be NULL; an unbound sender gives an empty or unnamed
 * address), or -errno.
 */
CIO_EXTERN int64_t cio_unix_datagram_recv_from(cio_unix_datagram *d, void *buf,
                                               size_t len, cio_sockaddr *from);
/** Send to the connected peer. As cio_unix_datagram_send_to. */
CIO_EXTERN int64_t cio_unix_datagram_send(cio_unix_datagram *d, const void *buf,
                                          size_t len);
/** Receive from the connected peer. */
CIO_EXTERN int64_t cio_unix_datagram_recv(cio_unix_datagram *d, void *buf,
                                          size_t len);
/** Close and free @d. 0 or -errno (freed either way). NULL is fine. */
CIO_EXTERN int cio_unix_datagram_close(cio_unix_datagram *d);
/** The descriptor. */
CIO_EXTERN cio_fd cio_unix_datagram_fd(const cio_unix_datagram *d);
/** The local address. 0 or -errno. */
CIO_EXTERN int cio_unix_datagram_local_addr(const cio_unix_datagram *d,
                                            cio_sockaddr *out);
/** The connected peer's address. 0, CIO_ENOTCONN, or -errno. */
CIO_EXTERN int cio_unix_datagram_peer_addr(const cio_unix_datagram *d,
                                           cio_sockaddr *out);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_NET_H */
