/* SPDX-License-Identifier: MIT */
/*
 * echo_uring_ms - the raw liburing echo peer with every trick that
 * applies to echo: one multishot accept, one multishot recv per
 * connection picking buffers from a provided buffer ring, and a send
 * straight from that buffer, which returns to the ring when the send
 * is done. A connection keeps one send in flight and queues what else
 * arrived, so the echo stays in order. SINGLE_ISSUER|DEFER_TASKRUN when
 * the kernel takes it. --threads N: N rings, SO_REUSEPORT listeners.
 */
#include "peer_util.h"

#include <liburing.h>
#include <pthread.h>
#include <sys/mman.h>

enum { OP_ACCEPT, OP_RECV, OP_SEND };

#define NBUFS 1024 /* A power of two. */
#define BGID 0

typedef struct pend {
    unsigned short bid;
    unsigned len, off;
} pend;

typedef struct conn {
    int fd;
    int eof;       /* The multishot recv has ended for good. */
    int sending;   /* A send is in flight (for q[head]). */
    unsigned head, count, cap;
    pend *q;
} conn;

typedef struct loop {
    int lfd;
    size_t cap;
    struct io_uring ring;
    struct io_uring_buf_ring *br;
    char *bufs;
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
arm_accept(loop *l)
{
    struct io_uring_sqe *s = sqe_get(&l->ring);

    io_uring_prep_multishot_accept(s, l->lfd, NULL, NULL, 0);
    io_uring_sqe_set_data64(s, TAG(NULL, OP_ACCEPT));
}

static void
arm_recv(loop *l, conn *c)
{
    struct io_uring_sqe *s = sqe_get(&l->ring);

    io_uring_prep_recv_multishot(s, c->fd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = BGID;
    io_uring_sqe_set_data64(s, TAG(c, OP_RECV));
}

static void
arm_send(loop *l, conn *c)
{
    struct io_uring_sqe *s = sqe_get(&l->ring);
    pend *p = &c->q[c->head];

    io_uring_prep_send(s, c->fd, l->bufs + (size_t)p->bid * l->cap + p->off,
                       p->len - p->off, 0);
    io_uring_sqe_set_data64(s, TAG(c, OP_SEND));
    c->sending = 1;
}

static void
buf_give(loop *l, unsigned bid)
{
    io_uring_buf_ring_add(l->br, l->bufs + (size_t)bid * l->cap,
                          (unsigned)l->cap, (unsigned short)bid,
                          io_uring_buf_ring_mask(NBUFS), 0);
    io_uring_buf_ring_advance(l->br, 1);
}

static void
conn_maybe_free(conn *c)
{
    if (c->eof && !c->sending && c->count == 0) {
        close(c->fd);
        free(c->q);
        free(c);
    }
}

static void
conn_push(conn *c, unsigned bid, unsigned len)
{
    if (c->count == c->cap) {
        unsigned i, ncap = c->cap * 2;
        pend *nq = malloc(ncap * sizeof *nq);
        for (i = 0; i < c->count; i++)
            nq[i] = c->q[(c->head + i) % c->cap];
        free(c->q);
        c->q = nq;
        c->head = 0;
        c->cap = ncap;
    }
    c->q[(c->head + c->count) % c->cap] =
        (pend){.bid = (unsigned short)bid, .len = len, .off = 0};
    c->count++;
}

static void
loop_setup(loop *l)
{
    struct io_uring_params p;
    struct io_uring_buf_reg reg;
    unsigned i;

    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(1024, &l->ring, &p) < 0) {
        memset(&p, 0, sizeof p);
        if (io_uring_queue_init_params(1024, &l->ring, &p) < 0)
            peer_die("io_uring_queue_init");
    }
    l->br = mmap(NULL, NBUFS * sizeof(struct io_uring_buf),
                 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    l->bufs = malloc(NBUFS * l->cap);
    if (l->br == MAP_FAILED || l->bufs == NULL)
        peer_die("buffers");
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)l->br;
    reg.ring_entries = NBUFS;
    reg.bgid = BGID;
    errno = -io_uring_register_buf_ring(&l->ring, &reg, 0);
    if (errno != 0)
        peer_die("io_uring_register_buf_ring");
    io_uring_buf_ring_init(l->br);
    for (i = 0; i < NBUFS; i++)
        buf_give(l, i);
}

static void *
loop_run(void *arg)
{
    loop *l = arg;
    struct io_uring_cqe *cqe;
    unsigned head, seen;

    loop_setup(l);
    arm_accept(l);
    for (;;) {
        io_uring_submit_and_wait(&l->ring, 1);
        seen = 0;
        io_uring_for_each_cqe(&l->ring, head, cqe)
        {
            uint64_t u = cqe->user_data;
            conn *c = PTR(u);
            int res = cqe->res;
            unsigned flags = cqe->flags;

            seen++;
            switch (OP(u)) {
            case OP_ACCEPT:
                if (res >= 0) {
                    c = calloc(1, sizeof *c);
                    c->fd = res;
                    c->cap = 4;
                    c->q = malloc(c->cap * sizeof *c->q);
                    peer_nodelay(res);
                    arm_recv(l, c);
                }
                if (!(flags & IORING_CQE_F_MORE))
                    arm_accept(l);
                break;
            case OP_RECV:
                if (res > 0) {
                    conn_push(c, flags >> IORING_CQE_BUFFER_SHIFT,
                              (unsigned)res);
                    if (!c->sending)
                        arm_send(l, c);
                } else if (flags & IORING_CQE_F_BUFFER) {
                    buf_give(l, flags >> IORING_CQE_BUFFER_SHIFT);
                }
                if (!(flags & IORING_CQE_F_MORE)) {
                    /* Out of buffers only pauses it; EOF or an error ends. */
                    if (res > 0 || res == -ENOBUFS)
                        arm_recv(l, c);
                    else {
                        c->eof = 1;
                        conn_maybe_free(c);
                    }
                }
                break;
            case OP_SEND: {
                pend *p = &c->q[c->head];
                c->sending = 0;
                if (res < 0) {
                    /* Drop the rest; the recv ends when the peer does. */
                    while (c->count > 0) {
                        buf_give(l, c->q[c->head].bid);
                        c->head = (c->head + 1) % c->cap;
                        c->count--;
                    }
                    shutdown(c->fd, SHUT_RDWR);
                    conn_maybe_free(c);
                    break;
                }
                p->off += (unsigned)res;
                if (p->off < p->len) {
                    arm_send(l, c);
                    break;
                }
                buf_give(l, p->bid);
                c->head = (c->head + 1) % c->cap;
                c->count--;
                if (c->count > 0)
                    arm_send(l, c);
                else
                    conn_maybe_free(c);
                break;
            }
            }
        }
        io_uring_cq_advance(&l->ring, seen);
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
    peer_announce("uring multishot + buffer ring", port, o.threads);
    for (i = 1; i < o.threads; i++)
        pthread_create(&t, NULL, loop_run, &l[i]);
    loop_run(&l[0]);
    return 0;
}
