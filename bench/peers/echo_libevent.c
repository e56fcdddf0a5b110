/* SPDX-License-Identifier: MIT */
/*
 * echo_libevent - the libevent echo peer: a persistent EV_READ event
 * per connection on its raw socket (bufferevents would add a copy),
 * read into the loop's one buffer and write straight back; only a short
 * write copies the rest and swaps the read event for a write event
 * until it is sent, so the echo stays in order. --threads N: N event
 * bases, each on its own thread with its own SO_REUSEPORT listener.
 */
#include "peer_util.h"

#include <event2/event.h>
#include <pthread.h>

typedef struct loop {
    int lfd;
    size_t cap;
    char *buf;
    struct event_base *base;
} loop;

typedef struct conn {
    loop *l;
    int fd;
    struct event *rd, *wr;
    char *pend;
    size_t off, len;
} conn;

static void
conn_close(conn *c)
{
    event_free(c->rd);
    event_free(c->wr);
    close(c->fd);
    free(c->pend);
    free(c);
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;

    (void)what;
    while (c->off < c->len) {
        ssize_t n = write(fd, c->pend + c->off, c->len - c->off);
        if (n < 0) {
            if (errno == EAGAIN)
                return;
            conn_close(c);
            return;
        }
        c->off += (size_t)n;
    }
    free(c->pend);
    c->pend = NULL;
    event_del(c->wr);
    event_add(c->rd, NULL);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    loop *l = c->l;
    ssize_t r, w;

    (void)what;
    r = read(fd, l->buf, l->cap);
    if (r <= 0) {
        if (r < 0 && errno == EAGAIN)
            return;
        conn_close(c);
        return;
    }
    w = write(fd, l->buf, (size_t)r);
    if (w == r)
        return;
    if (w < 0 && errno != EAGAIN) {
        conn_close(c);
        return;
    }
    if (w < 0)
        w = 0;
    c->len = (size_t)(r - w);
    c->off = 0;
    c->pend = malloc(c->len);
    memcpy(c->pend, l->buf + w, c->len);
    event_del(c->rd);
    event_add(c->wr, NULL);
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
    loop *l = arg;
    int fd;

    (void)what;
    while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        conn *c = calloc(1, sizeof *c);
        c->l = l;
        c->fd = fd;
        peer_nodelay(fd);
        c->rd = event_new(l->base, fd, EV_READ | EV_PERSIST, on_read, c);
        c->wr = event_new(l->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
        event_add(c->rd, NULL);
    }
}

static void *
loop_run(void *arg)
{
    loop *l = arg;
    struct event *ev;

    l->buf = malloc(l->cap);
    l->base = event_base_new();
    if (l->base == NULL)
        peer_die("event_base_new");
    ev = event_new(l->base, l->lfd, EV_READ | EV_PERSIST, on_accept, l);
    event_add(ev, NULL);
    event_base_dispatch(l->base);
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
    peer_announce("libevent", port, o.threads);
    for (i = 1; i < o.threads; i++)
        pthread_create(&t, NULL, loop_run, &l[i]);
    loop_run(&l[0]);
    return 0;
}
