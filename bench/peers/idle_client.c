/* SPDX-License-Identifier: MIT */
/*
 * idle_client PORT N - open N TCP connections to an echo server on
 * 127.0.0.1:PORT, make one 1-byte round trip on each (so the server
 * has accepted it and run its per-connection code), print "ready N"
 * and hold them open until stdin reaches end of file. For the idle
 * memory benchmark in bench/net/run-net.sh, which reads the server's
 * RSS before and after.
 */
#include "peer_util.h"

int
main(int argc, char **argv)
{
    struct sockaddr_in a;
    unsigned long n, i;
    int *fd;
    char c;

    if (argc != 3)
        return 2;
    n = strtoul(argv[2], NULL, 10);
    fd = calloc(n, sizeof *fd);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)strtoul(argv[1], NULL, 10));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < n; i++) {
        fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fd[i] < 0 || connect(fd[i], (struct sockaddr *)&a, sizeof a) < 0)
            peer_die("connect");
        peer_nodelay(fd[i]);
        if (write(fd[i], "x", 1) != 1)
            peer_die("write");
    }
    for (i = 0; i < n; i++)
        if (read(fd[i], &c, 1) != 1 || c != 'x') {
            fprintf(stderr, "idle_client: conn %lu: no echo\n", i);
            return 1;
        }
    printf("ready %lu\n", n);
    fflush(stdout);
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}
