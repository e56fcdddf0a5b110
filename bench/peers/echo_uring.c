/* SPDX-License-Identifier: MIT */
/*
 * echo_uring - the raw liburing echo peer, single-shot: one accept in
 * flight, per connection one recv into its own buffer, then one send
 * of what came (a short send is sent on from where it stopped), then
 * the next recv. Completions are reaped in bulk, one io_uring_enter per
 * loop turn; the ring is SINGLE_ISSUER|DEFER_TASKRUN when the kernel
 * takes it. --threads N: N rings, SO_REUSEPORT listeners.
 */
#include "peer_util.h"

#include <liburing.h>
#include <pthread.h>

enum { OP_ACCEPT, OP_RECV, OP_SEND };

typedef struct conn {
    int fd;
    size_t off, len; /* Send progress. */
    char buf[];
} conn;

typedef struct loop {
    int lfd;
    size_t cap;
} loop;

#define TAG(p, op) ((uint64_t)(uintptr_t)(p) | (op))
#define PTR(u) ((conn *)(uintptr_t)((u) & ~(uint64_t)3))
#define OP(u) ((int)((u)&3))

static struct io_uring_sqe *
sqe_get(struct io_uring *r)
{
    struct io_uring_sqe *s = io_uring_get_sqe(r);

    if (s == NULL) {
        io_uring_submit(r);
        s = io_uring_get_sqe(r);
    }
    return s;
}

static void
arm_accept(struct io_uring *r, int lfd)
{
    struct io_uring_sqe *s = sqe_get(r);

    io_uring_prep_accept(s, lfd, NULL, NULL, 0);
    io_uring_sqe_set_data64(s, TAG(NULL, OP_ACCEPT));
}

static void
arm_recv(struct io_uring *r, conn *c, size_t cap)
{
    struct io_uring_sqe *s = sqe_get(r);

    io_uring_prep_recv(s, c->fd, c->buf, cap, 0);
    io_uring_sqe_set_data64(s, TAG(c, OP_RECV));
}

static void
arm_send(struct io_uring *r, conn *c)
{
    struct io_uring_sqe *s = sqe_get(r);

    io_uring_prep_send(s, c->fd, c->buf + c->off, c->len - c->off, 0);
    io_uring_sqe_set_data64(s, TAG(c, OP_SEND));
}

static void
ring_init(struct io_uring *r)
{
    struct io_uring_params p;

    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(1024, r, &p) == 0)
        return;
    memset(&p, 0, sizeof p);
    if (io_uring_queue_init_params(1024, r, &p) < 0)
        peer_die("io_uring_queue_init");
}

static void *
loop_run(void *arg)
{
    loop *l = arg;
    struct io_uring ring;
    struct io_uring_cqe *cqe;
    unsigned head, seen;

    ring_init(&ring);
    arm_accept(&ring, l->lfd);
    for (;;) {
        io_uring_submit_and_wait(&ring, 1);
        seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe)
        {
            uint64_t u = cqe->user_data;
            conn *c = PTR(u);
            int res = cqe->res;

            seen++;
            switch (OP(u)) {
            case OP_ACCEPT:
                if (res >= 0) {
                    c = malloc(sizeof *c + l->cap);
                    c->fd = res;
                    peer_nodelay(res);
                    arm_recv(&ring, c, l->cap);
                }
                arm_accept(&ring, l->lfd);
                break;
            case OP_RECV:
                if (res <= 0) {
                    close(c->fd);
                    free(c);
                    break;
                }
                c->off = 0;
                c->len = (size_t)res;
                arm_send(&ring, c);
                break;
            case OP_SEND:
                if (res < 0) {
                    close(c->fd);
                    free(c);
                    break;
                }
                c->off += (size_t)res;
                if (c->off < c->len)
                    arm_send(&ring, c);
                else
                    arm_recv(&ring, c, l->cap);
                break;
            }
        }
        io_uring_cq_advance(&ring, seen);
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
        l[i].lfd = peer_listen(port, o.threads > 1, 0, &port);
        l[i].cap = o.buffer;
    }
    peer_announce("uring single-shot", port, o.threads);
    for (i = 1; i < o.threads; i++)
        pthread_create(&t, NULL, loop_run, &l[i]);
    loop_run(&l[0]);
    return 0;
}
