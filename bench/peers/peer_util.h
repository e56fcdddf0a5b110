/* SPDX-License-Identifier: MIT */
/*
 * peer_util.h - what the benchmark peers (bench/peers/echo_*.c) share:
 * their flags, the listening socket and the "listening on" line that
 * bench/net/run-net.sh waits for. Every peer takes
 *
 *     --port P      0 (the default) picks a free port
 *     --buffer B    bytes read at a time per connection (16384, the
 *                   same as examples/echo-server)
 *     --threads N   N event loops, one per thread, each with its own
 *                   SO_REUSEPORT listener (peers that support it)
 *
 * and serves on 127.0.0.1 until it is killed. Header-only so that each
 * peer builds with one gcc command.
 */
#ifndef PEER_UTIL_H
#define PEER_UTIL_H

#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct peer_opts {
    unsigned port;
    size_t buffer;
    unsigned threads;
} peer_opts;

static inline void
peer_die(const char *what)
{
    perror(what);
    exit(1);
}

static inline void
peer_parse(peer_opts *o, int argc, char **argv)
{
    int i;

    o->port = 0;
    o->buffer = 16384;
    o->threads = 1;
    for (i = 1; i + 1 < argc; i += 2) {
        unsigned long v = strtoul(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--port") == 0 && v < 65536)
            o->port = (unsigned)v;
        else if (strcmp(argv[i], "--buffer") == 0 && v > 0)
            o->buffer = v;
        else if (strcmp(argv[i], "--threads") == 0 && v > 0 && v < 256)
            o->threads = (unsigned)v;
        else
            goto bad;
    }
    if (i == argc)
        return;
bad:
    fprintf(stderr, "usage: %s [--port P] [--buffer B] [--threads N]\n",
            argv[0]);
    exit(2);
}

/*
 * A listening TCP socket on 127.0.0.1:@port (SO_REUSEPORT when
 * @reuseport), non-blocking when @nonblock. Returns the fd; the port it
 * got goes to *@got.
 */
static inline int
peer_listen(unsigned port, int reuseport, int nonblock, unsigned *got)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);

    if (fd < 0)
        peer_die("socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        peer_die("bind");
    if (listen(fd, 4096) < 0)
        peer_die("listen");
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        peer_die("getsockname");
    *got = ntohs(a.sin_port);
    return fd;
}

/* Replies are small and immediate: do not let Nagle hold them. */
static inline void
peer_nodelay(int fd)
{
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static inline void
peer_announce(const char *name, unsigned port, unsigned threads)
{
    signal(SIGPIPE, SIG_IGN);
    printf("listening on 127.0.0.1:%u (%s, %u thread%s)\n", port, name,
           threads, threads == 1 ? "" : "s");
    fflush(stdout);
}

#endif /* PEER_UTIL_H */
