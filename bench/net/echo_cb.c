/* SPDX-License-Identifier: MIT */
/*
 * echo_cb [--port P] [--buffer B] [--pool N] [--backend NAME]
 *         [--mode auto|poll|multishot] - an echo server written against
 * compio's low-level API with callbacks (cio_submit_cb), no task per
 * connection: the rows "compio-cb-*" of bench/net/run-net.sh, beside
 * examples/echo-server.
 *
 * Why it exists: a task per connection (examples/echo-server) keeps a
 * touched stack page and its own read buffer while the connection is
 * idle, about 8 KB of RSS; libuv's idle connection is its ~270 B
 * handle. Here an idle connection is a small struct (struct conn) with
 * one op in flight that holds no buffer, plus the runtime's record of
 * that op. Two ways, one per --mode:
 *
 * poll (every backend): the op is a CIO_OP_POLL_ADD for input. When
 * the socket is readable the connection borrows a slot of the loop's
 * buffer, receives into it (MSG_DONTWAIT, so a recv never parks
 * holding the slot), sends the bytes back, and returns the slot once
 * the whole echo is sent; a short send keeps the slot until the rest
 * has gone. The loop's buffer is split into --pool slots of --buffer
 * bytes rather than being a single one because completions are
 * asynchronous: two connections whose recvs are in flight in the same
 * loop turn must not share memory. Slots are reused last-freed first,
 * so only as many are ever touched as were busy at once. A connection
 * that finds none free waits in line, with no op in flight. One op per
 * connection is in flight at a time, so the echo stays in order.
 *
 * multishot (io_uring, when the kernel does it): the op is a multishot
 * RECV that picks from a provided-buffer pool (cio_bufpool, a kernel
 * buffer ring) only when data arrives. Each arrival is sent back from
 * its pool buffer by a send op taken from a loop-wide free list, in
 * order; the buffer goes back to the pool when its send is done. When
 * the pool runs dry the recv ends with CIO_ENOBUFS and the connection
 * waits in line to re-arm it as buffers come back.
 *
 * auto (the default) is multishot where the backend does both multishot
 * RECV and buffer pools natively, else poll: the driver emulates them
 * elsewhere, with a shadow op per connection that would cost memory.
 *
 * The IO is done by the runtime's driver on whichever backend it loaded
 * (--backend NAME, else the usual lookup: COMPIO_CONFIG, COMPIO_BACKEND,
 * probing); only TCP_NODELAY is set by hand, as the peers in
 * bench/peers/ do. Like them, it serves on 127.0.0.1 and its first line
 * on stdout is "listening on 127.0.0.1:PORT (...)", which run-net.sh
 * waits for; that line also gives sizeof(struct conn). SIGINT or SIGTERM
 * stops it (exit 0).
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <compio.h>
#include <compio/net.h>
#include <compio/signal.h>

/* No slot held (poll mode). */
#define SLOT_NONE UINT32_MAX

/* conn.flags in multishot mode. */
#define CONN_RX 0x1u      /* The multishot recv is in flight. */
#define CONN_CLOSING 0x2u /* No more recvs: close once sends are done. */
#define CONN_LINED 0x4u   /* In the line to re-arm the recv. */

enum { MODE_AUTO, MODE_POLL, MODE_MULTISHOT };

typedef struct wreq wreq;

/*
 * One connection. Nothing else is allocated for it while it is idle:
 * the op below (a POLL_ADD or the multishot RECV) and the runtime's
 * callback record for it.
 */
typedef struct conn {
    cio_op op;         /* The one op in flight (poll: at a time). */
    struct conn *next; /* In the line for a slot or a re-arm. */
    cio_fd fd;         /* The socket. */
    union {
        uint32_t slot;  /* poll: borrowed slot, or SLOT_NONE. */
        uint32_t flags; /* multishot: CONN_*. */
    } s;
    union {
        struct {
            uint32_t off; /* Bytes of the slot already sent back. */
            uint32_t len; /* Bytes received into the slot. */
        } p;              /* poll */
        wreq *sendq;      /* multishot: sends in order, head in flight. */
    } u;
} conn;

/* A send of one pool buffer (multishot mode); exists while it runs. */
struct wreq {
    cio_op op;
    conn *c;
    wreq *next; /* In c's send queue, or on the free list. */
    uint32_t bid, off, len;
};

/* The one loop (one thread, one runtime). */
typedef struct loop {
    cio_runtime *rt;
    cio_driver *drv;
    int mode;          /* MODE_POLL or MODE_MULTISHOT once chosen. */
    uint32_t cap;      /* Bytes per slot or pool buffer (--buffer). */
    uint32_t nslots;   /* Slots or pool buffers (--pool). */
    uint32_t busy;     /* Slots or pool buffers held now. */
    uint32_t busy_hwm; /* Most held at once. */
    char *buf;         /* poll: nslots * cap bytes, touched as used. */
    uint32_t *free;    /* poll: stack of free slots, last freed on top. */
    uint32_t nfree;    /* poll: entries in free. */
    cio_bufpool *pool; /* multishot: the provided buffers. */
    wreq *wfree;       /* multishot: spare send requests. */
    conn *line_head;   /* Connections waiting for a slot or buffer. */
    conn *line_tail;
    unsigned port;
    const char *backend; /* --backend, or NULL. */
    cio_tcp_listener *lis;
    cio_op acc;         /* The multishot accept. */
    cio_op backoff;     /* A pause before accepting again. */
    cio_event acc_done; /* Set when acc gave its last completion. */
    cio_event stop;     /* Set by SIGINT or SIGTERM. */
    int stopping;
    int warned;
    unsigned long accepted;
    unsigned long live;
} loop;

static loop L;

static void poll_arm(conn *c);
static void poll_read(conn *c);
static void ms_arm(conn *c);

/* ---- the line: connections waiting for memory, first come first ---- */

static void
line_push(conn *c)
{
    c->next = NULL;
    if (L.line_tail != NULL)
        L.line_tail->next = c;
    else
        L.line_head = c;
    L.line_tail = c;
}

static conn *
line_pop(void)
{
    conn *c = L.line_head;

    if (c == NULL || L.stopping)
        return NULL;
    L.line_head = c->next;
    if (L.line_head == NULL)
        L.line_tail = NULL;
    c->next = NULL;
    return c;
}

/* Take @c out of the line (multishot: its sends failed meanwhile). */
static void
line_remove(conn *c)
{
    conn **pp, *prev = NULL;

    for (pp = &L.line_head; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            if (L.line_tail == c)
                L.line_tail = prev;
            c->next = NULL;
            return;
        }
    }
}

static void
busy_inc(void)
{
    if (++L.busy > L.busy_hwm)
        L.busy_hwm = L.busy;
}

/* ---- closing (both modes) ---- */

static void
on_closed(cio_op *op, int32_t result, void *arg)
{
    (void)op;
    (void)result;
    L.live--;
    free(arg);
}

/*
 * Close through the driver; @c has no op in flight. Once the runtime is
 * shutting down it takes no new op (CIO_ESHUTDOWN); the descriptor is
 * then left for the exit that follows.
 */
static void
conn_close(conn *c)
{
    cio_op_close(&c->op, c->fd);
    if (cio_submit_cb(L.rt, &c->op, on_closed, c) < 0)
        on_closed(&c->op, 0, c);
}

/* ---- poll mode: POLL_ADD, recv into a slot, send, POLL_ADD ---- */

static char *
slot_mem(uint32_t slot)
{
    return L.buf + (size_t)slot * L.cap;
}

/*
 * Give @c's slot back and hand it to the first connection in line.
 * That one only submits a recv here; its completion comes in a later
 * turn, so this never recurses.
 */
static void
slot_put(conn *c)
{
    conn *w;

    if (c->s.slot == SLOT_NONE)
        return;
    L.free[L.nfree++] = c->s.slot;
    c->s.slot = SLOT_NONE;
    L.busy--;
    if ((w = line_pop()) != NULL)
        poll_read(w);
}

static void
poll_close(conn *c)
{
    slot_put(c);
    conn_close(c);
}

static void
poll_submit(conn *c, cio_op_cb cb)
{
    if (cio_submit_cb(L.rt, &c->op, cb, c) < 0)
        poll_close(c);
}

static void
on_poll_send(cio_op *op, int32_t result, void *arg)
{
    conn *c = arg;

    (void)op;
    if (result <= 0) {
        poll_close(c);
        return;
    }
    c->u.p.off += (uint32_t)result;
    if (c->u.p.off < c->u.p.len) {
        /* Short: the rest goes from the same slot, kept until then. */
        cio_op_send(&c->op, c->fd, slot_mem(c->s.slot) + c->u.p.off,
                    c->u.p.len - c->u.p.off, 0);
        poll_submit(c, on_poll_send);
        return;
    }
    slot_put(c);
    poll_arm(c);
}

static void
on_poll_recv(cio_op *op, int32_t result, void *arg)
{
    conn *c = arg;

    (void)op;
    if (result == CIO_EAGAIN) {
        /* Nothing after all: wait again, without the slot. */
        slot_put(c);
        poll_arm(c);
        return;
    }
    if (result <= 0) {
        poll_close(c);
        return;
    }
    c->u.p.off = 0;
    c->u.p.len = (uint32_t)result;
    cio_op_send(&c->op, c->fd, slot_mem(c->s.slot), c->u.p.len, 0);
    poll_submit(c, on_poll_send);
}

/* Borrow a slot and receive into it, or get in line for one. */
static void
poll_read(conn *c)
{
    if (L.nfree == 0) {
        line_push(c);
        return;
    }
    c->s.slot = L.free[--L.nfree];
    busy_inc();
    cio_op_recv(&c->op, c->fd, slot_mem(c->s.slot), L.cap, MSG_DONTWAIT);
    poll_submit(c, on_poll_recv);
}

static void
on_poll(cio_op *op, int32_t result, void *arg)
{
    conn *c = arg;

    (void)op;
    /* CIO_ECANCELED at shutdown, or an error on the socket. */
    if (result < 0) {
        poll_close(c);
        return;
    }
    /* Readable, or hung up / in error: the recv says which. */
    poll_read(c);
}

/* Wait for input, holding nothing but the op. */
static void
poll_arm(conn *c)
{
    cio_op_poll_add(&c->op, c->fd, CIO_POLL_IN);
    poll_submit(c, on_poll);
}

/* ---- multishot mode: one RECV from the pool, a send per arrival ---- */

/* Close @c once its recv has ended and its sends are done. */
static void
ms_maybe_close(conn *c)
{
    if (!(c->s.flags & CONN_RX) && c->u.sendq == NULL)
        conn_close(c);
}

/*
 * While the pool has a free buffer, let the first in line re-arm its
 * recv. That one was refused a buffer for data or an end of stream
 * waiting in its socket, so its recv takes the buffer and gives it
 * back later, which calls this again; or it ends without one (another
 * connection took it: back in line, behind a holder that will call
 * this; or an error), and on_ms_recv calls this again.
 */
static void
line_kick(void)
{
    conn *w;

    if (L.busy < L.nslots && (w = line_pop()) != NULL) {
        w->s.flags &= ~CONN_LINED;
        ms_arm(w);
    }
}

/* Give a pool buffer back. */
static void
ms_release(uint32_t bid)
{
    (void)cio_bufpool_release(L.pool, bid);
    L.busy--;
    line_kick();
}

static void ms_send_start(wreq *w);

/* Drop @c's queued sends (after a send error) and stop its recv. */
static void
ms_fail(conn *c)
{
    wreq *w, *next;

    /* Out of the line first: a release below may kick the line. */
    c->s.flags |= CONN_CLOSING;
    if (c->s.flags & CONN_LINED) {
        line_remove(c);
        c->s.flags &= ~CONN_LINED;
    }
    w = c->u.sendq;
    c->u.sendq = NULL;
    for (; w != NULL; w = next) {
        next = w->next;
        ms_release(w->bid);
        w->next = L.wfree;
        L.wfree = w;
    }
    if (c->s.flags & CONN_RX)
        (void)cio_driver_cancel(L.drv, &c->op);
    ms_maybe_close(c);
}

static void
on_ms_send(cio_op *op, int32_t result, void *arg)
{
    wreq *w = arg;
    conn *c = w->c;

    (void)op;
    if (result <= 0) {
        /* The head of the queue is w: ms_fail releases it too. */
        ms_fail(c);
        return;
    }
    w->off += (uint32_t)result;
    if (w->off < w->len) {
        ms_send_start(w);
        return;
    }
    c->u.sendq = w->next;
    ms_release(w->bid);
    w->next = L.wfree;
    L.wfree = w;
    if (c->u.sendq != NULL)
        ms_send_start(c->u.sendq);
    else if (c->s.flags & CONN_CLOSING)
        ms_maybe_close(c);
}

static void
ms_send_start(wreq *w)
{
    char *p = cio_bufpool_buf(L.pool, w->bid);

    cio_op_send(&w->op, w->c->fd, p + w->off, w->len - w->off, 0);
    if (cio_submit_cb(L.rt, &w->op, on_ms_send, w) < 0)
        on_ms_send(&w->op, CIO_ESHUTDOWN, w);
}

/* Queue the @len bytes that arrived in buffer @bid for sending back. */
static void
ms_echo(conn *c, uint32_t bid, uint32_t len)
{
    wreq *w = L.wfree, **tail;

    busy_inc();
    /* A send failed and the recv is being cancelled: drop the data. */
    if (c->s.flags & CONN_CLOSING) {
        ms_release(bid);
        return;
    }
    if (w != NULL)
        L.wfree = w->next;
    else if ((w = malloc(sizeof *w)) == NULL) {
        ms_release(bid);
        ms_fail(c);
        return;
    }
    w->c = c;
    w->next = NULL;
    w->bid = bid;
    w->off = 0;
    w->len = len;
    for (tail = &c->u.sendq; *tail != NULL; tail = &(*tail)->next)
        ;
    *tail = w;
    if (c->u.sendq == w)
        ms_send_start(w);
}

static void
on_ms_recv(const cio_entry *e, void *arg)
{
    conn *c = arg;
    int bid = cio_entry_bid(e);

    if (e->result > 0 && bid >= 0)
        ms_echo(c, (uint32_t)bid, (uint32_t)e->result);
    else if (bid >= 0)
        (void)cio_bufpool_release(L.pool, (unsigned)bid);
    if (cio_entry_more(e))
        return;
    /* The recv has ended; the op is ours again. */
    c->s.flags &= ~CONN_RX;
    if (c->s.flags & CONN_CLOSING) {
        ms_maybe_close(c);
    } else if (e->result == CIO_ENOBUFS && L.busy == L.nslots) {
        /*
         * The pool is dry; the data waits in the socket, and this
         * connection in line until a buffer comes back.
         */
        c->s.flags |= CONN_LINED;
        line_push(c);
    } else if (e->result == CIO_ENOBUFS) {
        /*
         * The pool ran dry when the kernel looked, but buffers came
         * back since (their sends completed earlier in this batch,
         * when the line was empty): try again now, or nobody would
         * wake this connection.
         */
        ms_arm(c);
    } else if (e->result > 0) {
        ms_arm(c);
    } else {
        /* End of stream, an error, or the shutdown's cancel. */
        c->s.flags |= CONN_CLOSING;
        ms_maybe_close(c);
        line_kick();
    }
}

static void
ms_arm(conn *c)
{
    cio_op_recv_multishot(&c->op, c->fd, L.pool, 0);
    if (cio_submit_entry_cb(L.rt, &c->op, on_ms_recv, c) < 0) {
        c->s.flags |= CONN_CLOSING;
        ms_maybe_close(c);
        return;
    }
    c->s.flags |= CONN_RX;
}

/* ---- accepting ---- */

static void
conn_new(cio_fd fd)
{
    int one = 1;
    conn *c = malloc(sizeof *c);

    if (c == NULL) {
        /* As the peers do, no recovery from this; say so at least. */
        fprintf(stderr, "echo_cb: out of memory, fd %d left open\n", (int)fd);
        return;
    }
    c->next = NULL;
    c->fd = fd;
    L.live++;
    if (L.mode == MODE_POLL) {
        c->s.slot = SLOT_NONE;
        c->u.p.off = c->u.p.len = 0;
    } else {
        c->s.flags = 0;
        c->u.sendq = NULL;
    }
    if (cio_driver_attach(L.drv, fd) < 0) {
        conn_close(c);
        return;
    }
    /* Replies are small and immediate: do not let Nagle hold them. */
    (void)setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (L.mode == MODE_POLL)
        poll_arm(c);
    else
        ms_arm(c);
}

static void accept_arm(void);

static void
on_backoff(cio_op *op, int32_t result, void *arg)
{
    (void)op;
    (void)arg;
    if (result == CIO_ECANCELED || L.stopping) {
        cio_event_set(&L.acc_done);
        return;
    }
    accept_arm();
}

static void
on_accept(const cio_entry *e, void *arg)
{
    (void)arg;
    /* One that slips in while stopping is cancelled with the rest. */
    if (e->result >= 0) {
        L.accepted++;
        conn_new((cio_fd)e->result);
    }
    if (cio_entry_more(e))
        return;
    /* The last completion: the op is ours again. */
    if (L.stopping || e->result == CIO_ECANCELED) {
        cio_event_set(&L.acc_done);
        return;
    }
    if (e->result >= 0 || e->result == CIO_ECONNABORTED ||
        e->result == CIO_EINTR) {
        accept_arm();
        return;
    }
    /* Out of descriptors or memory: back off instead of spinning. */
    if (!L.warned++)
        fprintf(stderr, "echo_cb: accept: %s (backing off)\n",
                cio_strerror(e->result));
    cio_op_timeout(&L.backoff, 100 * CIO_NS_PER_MS);
    if (cio_submit_cb(L.rt, &L.backoff, on_backoff, NULL) < 0)
        cio_event_set(&L.acc_done);
}

static void
accept_arm(void)
{
    cio_op_accept_multishot(&L.acc, cio_tcp_listener_fd(L.lis), 0);
    if (cio_submit_entry_cb(L.rt, &L.acc, on_accept, NULL) < 0) {
        fprintf(stderr, "echo_cb: cannot accept\n");
        cio_event_set(&L.acc_done);
    }
}

/* ---- the tasks: two signal waiters and the one that sets up ---- */

static int
signal_task(void *arg)
{
    if (cio_signal_wait(arg) > 0)
        cio_event_set(&L.stop);
    return 0;
}

/* Pick the mode and make its buffers. 0 or -errno. */
static int
buffers_init(void)
{
    uint32_t i;

    if (L.mode == MODE_AUTO)
        L.mode = cio_driver_feature(L.drv, CIO_FEATURE_MULTISHOT_RECV) ==
                             CIO_SUPPORT_NATIVE &&
                         cio_driver_feature(L.drv, CIO_FEATURE_BUFFER_POOL) ==
                             CIO_SUPPORT_NATIVE
                     ? MODE_MULTISHOT
                     : MODE_POLL;
    if (L.mode == MODE_MULTISHOT)
        return cio_bufpool_new(L.drv, &L.pool, L.nslots, L.cap);
    /* Reserved, not touched: pages become RSS as slots are first used. */
    L.buf = malloc((size_t)L.nslots * L.cap);
    L.free = malloc(L.nslots * sizeof *L.free);
    if (L.buf == NULL || L.free == NULL)
        return CIO_ENOMEM;
    /* Slot 0 on top: the first ones used are at the start. */
    for (i = 0; i < L.nslots; i++)
        L.free[i] = L.nslots - 1 - i;
    L.nfree = L.nslots;
    return 0;
}

/*
 * Listen, start accepting, wait for a signal, stop accepting. The
 * connections' ops are cancelled afterwards by cio_runtime_free, which
 * runs their callbacks with CIO_ECANCELED.
 */
static int
serve(void *arg)
{
    static const int signo[2] = {SIGINT, SIGTERM};
    cio_signal_listener *sig[2] = {NULL, NULL};
    cio_task *st[2] = {NULL, NULL};
    cio_sockaddr addr;
    int i, r;

    (void)arg;
    L.drv = cio_runtime_driver(L.rt);
    cio_event_init(&L.acc_done);
    cio_event_init(&L.stop);
    r = buffers_init();
    if (r < 0) {
        fprintf(stderr, "echo_cb: buffers: %s\n", cio_strerror(r));
        return 1;
    }
    r = cio_sockaddr_loopback(&addr, AF_INET, (uint16_t)L.port);
    if (r == 0)
        r = cio_tcp_listen(&L.lis, &addr, NULL);
    if (r == 0)
        r = cio_tcp_listener_local_addr(L.lis, &addr);
    if (r < 0) {
        fprintf(stderr, "echo_cb: listen: %s\n", cio_strerror(r));
        return 1;
    }
    /* Without signals the server still works; it just dies on one. */
    for (i = 0; i < 2; i++)
        if (cio_signal_listen(&sig[i], signo[i]) < 0 ||
            cio_spawn(&st[i], signal_task, sig[i]) < 0)
            fprintf(stderr, "echo_cb: cannot listen for signals\n");
    accept_arm();
    printf("listening on 127.0.0.1:%d (compio-cb, backend %s, mode %s, "
           "1 thread, %zu B per connection, %u x %u B loop buffer)\n",
           cio_sockaddr_port(&addr), cio_driver_backend(L.drv),
           L.mode == MODE_POLL ? "poll" : "multishot", sizeof(conn), L.nslots,
           L.cap);
    fflush(stdout);
    cio_event_wait(&L.stop);
    L.stopping = 1;
    (void)cio_driver_cancel(L.drv, &L.acc);
    (void)cio_driver_cancel(L.drv, &L.backoff);
    cio_event_wait(&L.acc_done);
    cio_tcp_listener_close(L.lis);
    for (i = 0; i < 2; i++) {
        if (st[i] != NULL) {
            cio_cancel(st[i]);
            cio_join(st[i]);
        }
        cio_signal_unlisten(sig[i]);
    }
    fprintf(stderr,
            "echo_cb: %lu connections accepted, %lu open, "
            "%u of %u buffers busy at most\n",
            L.accepted, L.live, L.busy_hwm, L.nslots);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: echo_cb [--port P] [--buffer B] [--pool N] "
                    "[--backend NAME] [--mode auto|poll|multishot]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    cio_config *cfg = NULL;
    unsigned long v;
    char *end;
    int r;

    L.cap = 16384;
    L.nslots = 64;
    L.mode = MODE_AUTO;
    for (int a = 1; a < argc; a += 2) {
        const char *val;

        if (a + 1 >= argc)
            return usage();
        val = argv[a + 1];
        if (strcmp(argv[a], "--backend") == 0) {
            L.backend = val;
            continue;
        }
        if (strcmp(argv[a], "--mode") == 0) {
            if (strcmp(val, "auto") == 0)
                L.mode = MODE_AUTO;
            else if (strcmp(val, "poll") == 0)
                L.mode = MODE_POLL;
            else if (strcmp(val, "multishot") == 0)
                L.mode = MODE_MULTISHOT;
            else
                return usage();
            continue;
        }
        errno = 0;
        v = strtoul(val, &end, 10);
        if (errno != 0 || *end != '\0' || val[0] == '-' || end == val)
            return usage();
        if (strcmp(argv[a], "--port") == 0 && v < 65536)
            L.port = (unsigned)v;
        else if (strcmp(argv[a], "--buffer") == 0 && v > 0 && v <= (1ul << 30))
            L.cap = (uint32_t)v;
        else if (strcmp(argv[a], "--pool") == 0 && v > 0 && v <= 32768)
            L.nslots = (uint32_t)v;
        else
            return usage();
    }
    /* --backend NAME: that backend or nothing (no fallback). */
    if (L.backend != NULL &&
        (cio_config_new(&cfg) < 0 || cio_config_load_default(cfg) < 0 ||
         cio_config_set(cfg, "runtime", "backend", L.backend) < 0 ||
         cio_config_set(cfg, "runtime", "fallback", "no") < 0)) {
        fprintf(stderr, "echo_cb: bad backend '%s'\n", L.backend);
        cio_config_free(cfg);
        return 1;
    }
    r = cio_runtime_new(&L.rt, cfg);
    cio_config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "echo_cb: runtime: %s (%s)\n", cio_strerror(r),
                cio_error_detail());
        return 1;
    }
    r = cio_block_on(L.rt, serve, NULL);
    cio_runtime_free(L.rt);
    free(L.buf);
    free(L.free);
    return r < 0 ? 1 : r;
}
