/* SPDX-License-Identifier: MIT */
/*
 * echo-server [--host ADDR] [--port P] [--threads N] [--pin]
 *             [--backend NAME] [--buffer BYTES] - send back every byte
 * received, on every connection, until the peer closes.
 *
 * Each connection is a task that reads into its own buffer and writes
 * it back with cio_write_all; the code reads like blocking code while
 * one thread serves thousands of connections. --threads N runs N
 * runtimes (one per thread, --pin: one per core), each accepting on its
 * own SO_REUSEPORT listener. --port 0 (the default) picks a free port;
 * the first line on stdout says which:
 *
 *     listening on 127.0.0.1:40123 (backend uring, 1 thread)
 *
 * SIGINT or SIGTERM stops it cleanly (exit 0). examples/echo-client is
 * the matching load generator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>
#include <compio/net.h>

#include "tcp_server.h"

static int
echo(cio_tcp_stream *s, void *arg)
{
    size_t cap = *(const size_t *)arg;
    char *buf = malloc(cap);
    int64_t n;

    if (buf == NULL)
        return CIO_ENOMEM;
    /* Replies are small and immediate: do not let Nagle hold them. */
    cio_tcp_set_nodelay(s, 1);
    for (;;) {
        n = cio_tcp_read(s, buf, cap);
        if (n <= 0)
            break;
        if (cio_write_all(cio_tcp_stream_io(s), buf, (size_t)n, NULL) < 0)
            break;
    }
    free(buf);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr,
            "usage: echo-server " TCP_SERVER_USAGE " [--buffer BYTES]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    tcp_server_opts o;
    size_t cap = 16 * 1024;
    int i, r;

    tcp_server_opts_init(&o, "echo-server");
    for (i = 1; i < argc; i++) {
        r = tcp_server_opt(&o, argc, argv, &i);
        if (r > 0)
            continue;
        if (r == 0 && strcmp(argv[i], "--buffer") == 0 && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || v < 1 || v > (1ul << 30))
                return usage();
            cap = v;
            continue;
        }
        return usage();
    }
    o.handle = echo;
    o.ctx = &cap;
    return tcp_server_run(&o);
}
