/* SPDX-License-Identifier: MIT */
/*
 * echo_libuv - the libuv echo peer: uv_read_start into the loop's one
 * read buffer, uv_try_write the bytes straight back; only a short write
 * copies the rest into a uv_write request, with reading paused until it
 * is done so the echo stays in order. --threads N: N loops, each on its
 * own thread with its own SO_REUSEPORT listener (uv_tcp_open).
 */
#include "peer_util.h"

#include <pthread.h>
#include <uv.h>

typedef struct loop {
    int lfd;
    size_t cap;
    char *buf;
    uv_loop_t uv;
    uv_tcp_t server;
} loop;

typedef struct wreq {
    uv_write_t req;
    uv_buf_t b;
} wreq;

static void
on_close(uv_handle_t *h)
{
    free(h);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    loop *l = h->loop->data;

    (void)hint;
    *b = uv_buf_init(l->buf, (unsigned)l->cap);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void
on_write(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    uv_stream_t *s = req->handle;

    free(w->b.base);
    free(w);
    if (status < 0) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    uv_read_start(s, on_alloc, on_read);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    uv_buf_t rest;
    wreq *w;
    int done;

    if (n < 0) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (n == 0)
        return;
    rest = uv_buf_init(b->base, (unsigned)n);
    done = uv_try_write(s, &rest, 1);
    if (done == n)
        return;
    if (done < 0 && done != UV_EAGAIN) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (done < 0)
        done = 0;
    w = malloc(sizeof *w);
    w->b = uv_buf_init(malloc((size_t)(n - done)), (unsigned)(n - done));
    memcpy(w->b.base, b->base + done, (size_t)(n - done));
    uv_read_stop(s);
    uv_write(&w->req, s, &w->b, 1, on_write);
}

static void
on_conn(uv_stream_t *server, int status)
{
    uv_tcp_t *c;

    if (status < 0)
        return;
    c = malloc(sizeof *c);
    uv_tcp_init(server->loop, c);
    if (uv_accept(server, (uv_stream_t *)c) < 0) {
        uv_close((uv_handle_t *)c, on_close);
        return;
    }
    uv_tcp_nodelay(c, 1);
    uv_read_start((uv_stream_t *)c, on_alloc, on_read);
}

static void *
loop_run(void *arg)
{
    loop *l = arg;

    l->buf = malloc(l->cap);
    uv_loop_init(&l->uv);
    l->uv.data = l;
    uv_tcp_init(&l->uv, &l->server);
    if (uv_tcp_open(&l->server, l->lfd) < 0 ||
        uv_listen((uv_stream_t *)&l->server, 4096, on_conn) < 0)
        peer_die("uv_listen");
    uv_run(&l->uv, UV_RUN_DEFAULT);
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
    peer_announce("libuv", port, o.threads);
    for (i = 1; i < o.threads; i++)
        pthread_create(&t, NULL, loop_run, &l[i]);
    loop_run(&l[0]);
    return 0;
}
