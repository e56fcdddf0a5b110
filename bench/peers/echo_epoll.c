/* SPDX-License-Identifier: MIT */
/*
 * echo_epoll - the raw epoll echo peer: level-triggered epoll, one
 * read buffer per loop, write back at once; only a short write keeps
 * bytes (copied) and waits for EPOLLOUT, with reading paused so the
 * echo stays in order. --threads N: N loops, SO_REUSEPORT listeners.
 */
#include "peer_util.h"

#include <pthread.h>
#include <sys/epoll.h>

typedef struct conn {
    int fd;
    char *pend; /* Bytes a short write left, or NULL. */
    size_t off, len;
} conn;

typedef struct loop {
    int lfd;
    size_t cap;
} loop;

static void
conn_close(int ep, conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->pend);
    free(c);
}

/* Write what is pending; 1 when all of it went, 0 if not yet, -1 error. */
static int
conn_flush(conn *c)
{
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->pend + c->off, c->len - c->off);
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        c->off += (size_t)n;
    }
    free(c->pend);
    c->pend = NULL;
    return 1;
}

static void *
loop_run(void *arg)
{
    loop *l = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    char *buf = malloc(l->cap);
    struct epoll_event ev, evs[256];
    int i, n;

    if (ep < 0 || buf == NULL)
        peer_die("epoll_create1");
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, l->lfd, &ev);
    for (;;) {
        n = epoll_wait(ep, evs, 256, -1);
        for (i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            ssize_t r, w;

            if (c == NULL) {
                int fd;
                while ((fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK)) >=
                       0) {
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    peer_nodelay(fd);
                    ev.events = EPOLLIN;
                    ev.data.ptr = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            if (c->pend != NULL) {
                int f = conn_flush(c);
                if (f < 0) {
                    conn_close(ep, c);
                } else if (f > 0) {
                    ev.events = EPOLLIN;
                    ev.data.ptr = c;
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
                continue;
            }
            r = read(c->fd, buf, l->cap);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                conn_close(ep, c);
                continue;
            }
            w = write(c->fd, buf, (size_t)r);
            if (w == r)
                continue;
            if (w < 0 && errno != EAGAIN) {
                conn_close(ep, c);
                continue;
            }
            if (w < 0)
                w = 0;
            c->len = (size_t)(r - w);
            c->off = 0;
            c->pend = malloc(c->len);
            memcpy(c->pend, buf + w, c->len);
            ev.events = EPOLLOUT;
            ev.data.ptr = c;
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    peer_opts o;
    loop *l;
    pthread_t t;
    unsigned i, port;

    peer_parse(&o, argc, argv);
    l = calloc(o.threads, sizeof *l);
    port = o.port;
    for (i = 0; i < o.threads; i++) {
        l[i].lfd = peer_listen(port, o.threads > 1, 1, &port);
        l[i].cap = o.buffer;
    }
    peer_announce("epoll", port, o.threads);
    for (i = 1; i < o.threads; i++)
        pthread_create(&t, NULL, loop_run, &l[i]);
    loop_run(&l[0]);
    return 0;
}
