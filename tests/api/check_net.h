/* SPDX-License-Identifier: MIT */
/*
 * check_net.h - what the net suites share: exact-length stream loops
 * (local ones: compio/io.h has the real read_exact/write_all), an IPv6
 * probe, and a runtime with a one-thread pool.
 */
#ifndef CHECK_NET_H
#define CHECK_NET_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <netioapi.h>
#else
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "cio_test_api.h"
#include "compio/net.h"

#define MS CIO_NS_PER_MS

/*
 * Plain socket calls in the suites: SOCKET on Windows, where socket()
 * is not inherited by default anyway (no SOCK_CLOEXEC there).
 */
#ifdef _WIN32
#define NET_SOCK(fd) ((SOCKET)(fd))
#define NET_SOCK_CLOEXEC 0
#else
#define NET_SOCK(fd) (fd)
#define NET_SOCK_CLOEXEC SOCK_CLOEXEC
#endif

/* Families for loop tests: case _i runs backend _i % NB on family _i / NB. */
static const int net_families[] = {AF_INET, AF_INET6};
#define NET_NFAMILIES 2
#define NET_LOOPS (CIO_TEST_NBACKENDS * NET_NFAMILIES)

static inline int
net_family_of(int i)
{
    return net_families[i / CIO_TEST_NBACKENDS];
}

static inline int
net_backend_of(int i)
{
    return i % CIO_TEST_NBACKENDS;
}

/* Can this host bind ::1? (Plain syscalls, outside any runtime.) */
#ifdef _WIN32
static inline int
net_have_ipv6(void)
{
    struct sockaddr_in6 a;
    WSADATA wd;
    SOCKET fd;
    int ok;

    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        return 0;
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd == INVALID_SOCKET) {
        WSACleanup();
        return 0;
    }
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    closesocket(fd);
    WSACleanup();
    return ok;
}
#else
static inline int
net_have_ipv6(void)
{
    struct sockaddr_in6 a;
    int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}
#endif

/* Skip (pass with a note) an IPv6 case where ::1 cannot be bound. */
#define NET_NEED_FAMILY(fam)                                                   \
    do {                                                                       \
        if ((fam) == AF_INET6 && !net_have_ipv6()) {                           \
            printf("# ::1 unavailable here: IPv6 case not run\n");             \
            return;                                                            \
        }                                                                      \
    } while (0)

/* Read exactly @n bytes: 0, CIO_EPIPE at an early end, or -errno. */
static inline int64_t
net_read_exact(cio_stream *s, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        int64_t r = cio_stream_read(s, (char *)buf + got, n - got);
        if (r < 0)
            return r;
        if (r == 0)
            return CIO_EPIPE;
        got += (size_t)r;
    }
    return 0;
}

/* Write all @n bytes; *@calls counts the write calls (may be NULL). */
static inline int64_t
net_write_all(cio_stream *s, const void *buf, size_t n, unsigned *calls)
{
    size_t done = 0;

    while (done < n) {
        int64_t r = cio_stream_write(s, (const char *)buf + done, n - done);
        if (calls != NULL)
            (*calls)++;
        if (r < 0)
            return r;
        done += (size_t)r;
    }
    return 0;
}

/* Read until end of stream; returns the bytes read or -errno. */
static inline int64_t
net_read_to_end(cio_stream *s, void *buf, size_t cap)
{
    size_t got = 0;

    for (;;) {
        int64_t r = cio_stream_read(s, (char *)buf + got, cap - got);
        if (r < 0)
            return r;
        if (r == 0)
            return (int64_t)got;
        got += (size_t)r;
        if (got == cap)
            return (int64_t)got;
    }
}

/* Format @a into a static buffer, for messages. */
static inline const char *
net_str(const cio_sockaddr *a)
{
    static char buf[CIO_SOCKADDR_STRLEN];

    if (cio_sockaddr_format(a, buf, sizeof buf) < 0)
        snprintf(buf, sizeof buf, "(unprintable)");
    return buf;
}

/* A runtime on backend @i whose blocking pool has one thread, or NULL. */
static inline cio_runtime *
net_runtime_pool1(int i)
{
    cio_config *cfg;
    cio_runtime *rt = NULL;
    int r;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(
        cio_config_set(cfg, "runtime", "backend", cio_test_backends[i]), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "threadpool_max", "1"), 0);
    r = cio_runtime_new(&rt, cfg);
    cio_config_free(cfg);
    if (r < 0) {
        printf("# %s backend not loadable here (%s): not run\n",
               cio_test_backends[i], cio_errname(r));
        return NULL;
    }
    return rt;
}

/*
 * Skip the program (exit 77) when no backend loads. Not
 * cio_test_api_require_one: that one asserts from main(), outside a
 * running test, which Check refuses.
 */
static inline void
net_require_backend(void)
{
    int i;

    for (i = 0; i < CIO_TEST_NBACKENDS; i++) {
        cio_config *cfg;
        cio_runtime *rt = NULL;

        if (cio_config_new(&cfg) < 0)
            continue;
        cio_config_set(cfg, "runtime", "backend", cio_test_backends[i]);
        cio_config_set(cfg, "runtime", "fallback", "no");
        if (cio_runtime_new(&rt, cfg) == 0) {
            cio_runtime_free(rt);
            cio_config_free(cfg);
            return;
        }
        cio_config_free(cfg);
    }
    cio_test_skip_all("no backend loads here");
}

#endif /* CHECK_NET_H */
