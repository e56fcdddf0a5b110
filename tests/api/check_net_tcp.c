/* SPDX-License-Identifier: MIT */
/*
 * check_net_tcp.c - TCP on each backend, IPv4 and IPv6 on loopback:
 * echo between two tasks of one runtime, connect by host name, refused
 * and in-use errors, a peer's reset, end of stream after shutdown, a
 * multi-MiB write against a slow reader, cancel of tasks blocked in
 * accept and read, deadlines on connect and read, socket options read
 * back, and adopting a descriptor. The runner checks every case for
 * leaked descriptors.
 */
#ifndef _WIN32
#include <netinet/tcp.h>
#endif
#include <stdlib.h>

#include "check_net.h"

/* Case parameters: which family. */
typedef struct tcase_arg {
    int family;
} tcase_arg;

/* A listener on the loopback address of @family, port chosen. */
static cio_tcp_listener *
listen_lo(int family, cio_sockaddr *bound, const cio_bind_opts *opts)
{
    cio_tcp_listener *l;
    cio_sockaddr a;

    ck_assert_int_eq(cio_sockaddr_loopback(&a, family, 0), 0);
    ck_assert_int_eq(cio_tcp_listen(&l, &a, opts), 0);
    ck_assert_int_eq(cio_tcp_listener_local_addr(l, bound), 0);
    ck_assert_int_eq(cio_sockaddr_family(bound), family);
    ck_assert_int_gt(cio_sockaddr_port(bound), 0);
    return l;
}

/* ---- echo ---- */

typedef struct echo_srv {
    cio_tcp_listener *l;
    cio_sockaddr peer;
    int64_t echoed;
} echo_srv;

/* Accept one connection and echo it until end of stream. */
static int
echo_server(void *arg)
{
    echo_srv *es = arg;
    cio_tcp_stream *s;
    char buf[4096];
    int64_t n;

    ck_assert_int_eq(cio_tcp_accept(es->l, &s, &es->peer), 0);
    for (;;) {
        n = cio_tcp_read(s, buf, sizeof buf);
        ck_assert_int_ge(n, 0);
        if (n == 0)
            break;
        ck_assert_int_eq(
            net_write_all(cio_tcp_stream_io(s), buf, (size_t)n, NULL), 0);
        es->echoed += n;
    }
    ck_assert_int_eq(cio_tcp_shutdown(s, CIO_SHUT_WR), 0);
    ck_assert_int_eq(cio_tcp_close(s), 0);
    return 0;
}

static int
echo_main(void *arg)
{
    const tcase_arg *ta = arg;
    cio_sockaddr bound, local, peer;
    static char out[10000], want[5 + sizeof out], back[sizeof want];
    cio_tcp_stream *c;
    cio_task *srv;
    echo_srv es;
    cio_iovec iov[3];
    int64_t n, got;
    size_t i;

    memset(&es, 0, sizeof es);
    es.l = listen_lo(ta->family, &bound, NULL);
    ck_assert_int_eq(cio_spawn(&srv, echo_server, &es), 0);

    ck_assert_int_eq(cio_tcp_connect(&c, &bound), 0);
    ck_assert_int_eq(cio_tcp_peer_addr(c, &peer), 0);
    ck_assert_msg(cio_sockaddr_equal(&peer, &bound), "peer %s", net_str(&peer));
    ck_assert_int_eq(cio_tcp_local_addr(c, &local), 0);
    ck_assert_int_eq(cio_sockaddr_family(&local), ta->family);

    for (i = 0; i < sizeof out; i++)
        out[i] = (char)(i * 7 + 3);
    memcpy(want, "hello", 5);
    memcpy(want + 5, out, sizeof out);
    /* Plain, vectored and stream-view writes. */
    ck_assert_int_eq(cio_tcp_write(c, "hello", 5), 5);
    iov[0].base = out;
    iov[0].len = 100;
    iov[1].base = out + 100;
    iov[1].len = 0;
    iov[2].base = out + 100;
    iov[2].len = 900;
    ck_assert_int_eq(cio_tcp_writev(c, iov, 3), 1000);
    ck_assert_int_eq(net_write_all(cio_tcp_stream_io(c), out + 1000,
                                   sizeof out - 1000, NULL),
                     0);
    ck_assert_int_eq(cio_tcp_shutdown(c, CIO_SHUT_WR), 0);
    /* Back: a vectored read first, then the rest to end of stream. */
    ck_assert_int_eq(net_read_exact(cio_tcp_stream_io(c), back, 5), 0);
    iov[0].base = back + 5;
    iov[0].len = 10;
    iov[1].base = back + 15;
    iov[1].len = 90;
    got = cio_tcp_readv(c, iov, 2);
    ck_assert_int_gt(got, 0);
    got += 5;
    n = net_read_to_end(cio_tcp_stream_io(c), back + got,
                        sizeof back - (size_t)got);
    ck_assert_int_ge(n, 0);
    ck_assert_int_eq(got + n, (int64_t)sizeof want);
    ck_assert_int_eq(memcmp(back, want, sizeof want), 0);
    /* At the end, reads keep saying so. */
    ck_assert_int_eq(cio_tcp_read(c, back, 1), 0);

    ck_assert_int_eq(cio_join(srv), 0);
    ck_assert_int_eq(es.echoed, (int64_t)sizeof want);
    ck_assert_msg(cio_sockaddr_equal(&es.peer, &local),
                  "accept's peer %s is not the client", net_str(&es.peer));
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_listener_close(es.l), 0);
    return 0;
}

START_TEST(test_echo)
{
    tcase_arg ta = {net_family_of(_i)};

    NET_NEED_FAMILY(ta.family);
    cio_test_api_run(net_backend_of(_i), echo_main, &ta);
}
END_TEST

/* ---- connect by name ---- */

static int
accept_one(void *arg)
{
    cio_tcp_listener *l = arg;
    cio_tcp_stream *s;
    int r = cio_tcp_accept(l, &s, NULL);

    if (r == 0) {
        ck_assert_int_eq(cio_tcp_write(s, "x", 1), 1);
        cio_tcp_close(s);
    }
    return r;
}

static int
host_main(void *arg)
{
    cio_sockaddr bound;
    cio_tcp_listener *l;
    cio_tcp_stream *c;
    cio_task *t;
    char ch;

    (void)arg;
    /* "localhost" may also name ::1 here: refused there, then 127.0.0.1. */
    l = listen_lo(AF_INET, &bound, NULL);
    ck_assert_int_eq(cio_spawn(&t, accept_one, l), 0);
    ck_assert_int_eq(cio_tcp_connect_host(&c, "localhost",
                                          (uint16_t)cio_sockaddr_port(&bound)),
                     0);
    ck_assert_int_eq(cio_tcp_read(c, &ch, 1), 1);
    ck_assert_int_eq(ch, 'x');
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    /* Numeric hosts go the same way; a closed port is refused. */
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    ck_assert_int_eq(cio_tcp_connect_host(&c, "127.0.0.1",
                                          (uint16_t)cio_sockaddr_port(&bound)),
                     CIO_ECONNREFUSED);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(cio_tcp_connect_host(&c, "no-such-host.invalid", 80) < 0,
                     1);
    ck_assert_int_eq(cio_tcp_connect_host(&c, NULL, 80), CIO_EINVAL);
    return 0;
}

START_TEST(test_connect_host)
{
    cio_test_api_run(_i, host_main, NULL);
}
END_TEST

/* ---- refused, in use ---- */

static int
errors_main(void *arg)
{
    const tcase_arg *ta = arg;
    cio_bind_opts o;
    cio_sockaddr bound, a;
    cio_tcp_listener *l, *l2;
    cio_tcp_stream *c;

    /* A port nobody listens on: refused. */
    l = listen_lo(ta->family, &bound, NULL);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    c = (cio_tcp_stream *)&a;
    ck_assert_int_eq(cio_tcp_connect(&c, &bound), CIO_ECONNREFUSED);
    ck_assert_ptr_null(c);

    /* Bound twice: in use, even with SO_REUSEADDR (the default). */
    l = listen_lo(ta->family, &bound, NULL);
    l2 = (cio_tcp_listener *)&a;
    ck_assert_int_eq(cio_tcp_listen(&l2, &bound, NULL), CIO_EADDRINUSE);
    ck_assert_ptr_null(l2);
    memset(&o, 0, sizeof o);
    o.flags = CIO_BIND_NO_REUSEADDR;
    ck_assert_int_eq(cio_tcp_listen(&l2, &bound, &o), CIO_EADDRINUSE);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);

    /* Both with SO_REUSEPORT: allowed (Windows has none: see net.h). */
    o.flags = CIO_BIND_REUSEPORT;
#ifdef _WIN32
    ck_assert_int_eq(cio_tcp_listen(&l2, &bound, &o), CIO_ENOTSUP);
    ck_assert_ptr_null(l2);
#else
    l = listen_lo(ta->family, &bound, &o);
    ck_assert_int_eq(cio_tcp_listen(&l2, &bound, &o), 0);
    ck_assert_int_eq(cio_tcp_listener_close(l2), 0);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
#endif

    /* Bad arguments. */
    ck_assert_int_eq(cio_tcp_listen(&l, NULL, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_sockaddr_unix(&a, "/tmp/x"), 0);
    ck_assert_int_eq(cio_tcp_listen(&l, &a, NULL), CIO_EAFNOSUPPORT);
    ck_assert_int_eq(cio_tcp_connect(&c, &a), CIO_EAFNOSUPPORT);
    o.flags = CIO_BIND_V6ONLY | CIO_BIND_DUALSTACK;
    ck_assert_int_eq(cio_sockaddr_loopback(&a, ta->family, 0), 0);
    ck_assert_int_eq(cio_tcp_listen(&l, &a, &o), CIO_EINVAL);
    o.flags = 0;
    o.backlog = -1;
    ck_assert_int_eq(cio_tcp_listen(&l, &a, &o), CIO_EINVAL);
    ck_assert_int_eq(cio_tcp_accept(NULL, &c, NULL), CIO_EINVAL);
    return 0;
}

START_TEST(test_errors)
{
    tcase_arg ta = {net_family_of(_i)};

    NET_NEED_FAMILY(ta.family);
    cio_test_api_run(net_backend_of(_i), errors_main, &ta);
}
END_TEST

/* ---- reset, end of stream ---- */

static int
reset_server(void *arg)
{
    cio_tcp_listener *l = arg;
    cio_tcp_stream *s;
    char buf[4];

    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), 0);
    /* Wait for the client's byte, so it is reading when we reset. */
    ck_assert_int_eq(cio_tcp_read(s, buf, 1), 1);
    ck_assert_int_eq(cio_tcp_set_linger(s, 1, 0), 0);
    ck_assert_int_eq(cio_tcp_linger(s), 0);
    ck_assert_int_eq(cio_tcp_close(s), 0);
    return 0;
}

static int
eof_server(void *arg)
{
    cio_tcp_listener *l = arg;
    cio_tcp_stream *s;
    char buf[8];

    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), 0);
    ck_assert_int_eq(cio_tcp_write(s, "bye", 3), 3);
    ck_assert_int_eq(cio_tcp_shutdown(s, CIO_SHUT_WR), 0);
    /* Half-closed: we still read what the client sends. */
    ck_assert_int_eq(net_read_exact(cio_tcp_stream_io(s), buf, 4), 0);
    ck_assert_int_eq(memcmp(buf, "more", 4), 0);
    ck_assert_int_eq(cio_tcp_read(s, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_tcp_close(s), 0);
    return 0;
}

static int
reset_eof_main(void *arg)
{
    const tcase_arg *ta = arg;
    cio_sockaddr bound;
    cio_tcp_listener *l;
    cio_tcp_stream *c;
    cio_task *t;
    char buf[8];
    int64_t r;

    l = listen_lo(ta->family, &bound, NULL);

    /* The peer resets: our blocked read fails with ECONNRESET. */
    ck_assert_int_eq(cio_spawn(&t, reset_server, l), 0);
    ck_assert_int_eq(cio_tcp_connect(&c, &bound), 0);
    ck_assert_int_eq(cio_tcp_write(c, "?", 1), 1);
    r = cio_tcp_read(c, buf, sizeof buf);
#ifdef _WIN32
    /*
     * Under wine 8 a receive pending when the peer closes abortively
     * sometimes completes with 0 bytes (seen once, in a CI run)
     * rather than WSAECONNRESET; Windows itself is not tested here.
     */
    if (r == 0)
        printf("# read after reset: 0 (EOF) under wine\n");
    else
#endif
    ck_assert_msg(r == CIO_ECONNRESET, "read after reset: %lld (%s)",
                  (long long)r, cio_errname((int)r));
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_int_eq(cio_tcp_close(c), 0);

    /* The peer shuts its side: data, then 0, then 0 again. */
    ck_assert_int_eq(cio_spawn(&t, eof_server, l), 0);
    ck_assert_int_eq(cio_tcp_connect(&c, &bound), 0);
    ck_assert_int_eq(net_read_exact(cio_tcp_stream_io(c), buf, 3), 0);
    ck_assert_int_eq(memcmp(buf, "bye", 3), 0);
    ck_assert_int_eq(cio_tcp_read(c, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_tcp_read(c, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_tcp_write(c, "more", 4), 4);
    ck_assert_int_eq(cio_tcp_shutdown(c, CIO_SHUT_WR), 0);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_int_eq(cio_tcp_shutdown(c, 7), CIO_EINVAL);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return 0;
}

START_TEST(test_reset_eof)
{
    tcase_arg ta = {net_family_of(_i)};

    NET_NEED_FAMILY(ta.family);
    cio_test_api_run(net_backend_of(_i), reset_eof_main, &ta);
}
END_TEST

/* ---- a large write against a slow reader ---- */

#define BIG (6u << 20)

typedef struct big_arg {
    cio_tcp_listener *l;
    unsigned char *buf;
    unsigned calls;
} big_arg;

static int
slow_reader(void *arg)
{
    big_arg *ba = arg;
    cio_tcp_stream *s;
    size_t got = 0;
    int64_t n;
    unsigned reads = 0;

    ck_assert_int_eq(cio_tcp_accept(ba->l, &s, NULL), 0);
    ck_assert_int_eq(cio_tcp_set_recv_buffer(s, 64 * 1024), 0);
    /* Dawdle at the start so the writer's buffers fill up. */
    ck_assert_int_eq(cio_sleep(50 * MS), 0);
    while (got < BIG) {
        n = cio_tcp_read(s, ba->buf + got, 256 * 1024);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
        if (++reads % 8 == 0)
            ck_assert_int_eq(cio_sleep(1 * MS), 0);
    }
    ck_assert_int_eq(cio_tcp_read(s, ba->buf, 1), 0);
    ck_assert_int_eq(cio_tcp_close(s), 0);
    return 0;
}

static int
big_main(void *arg)
{
    const tcase_arg *ta = arg;
    unsigned char *out;
    cio_sockaddr bound;
    cio_tcp_stream *c;
    cio_task *t;
    big_arg ba;
    size_t i;

    out = malloc(BIG);
    ba.buf = malloc(BIG + 256 * 1024);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(ba.buf);
    for (i = 0; i < BIG; i++)
        out[i] = (unsigned char)((i >> 12) ^ i);
    ba.l = listen_lo(ta->family, &bound, NULL);
    ba.calls = 0;
    ck_assert_int_eq(cio_spawn(&t, slow_reader, &ba), 0);
    ck_assert_int_eq(cio_tcp_connect(&c, &bound), 0);
    ck_assert_int_eq(cio_tcp_set_send_buffer(c, 64 * 1024), 0);
    ck_assert_int_eq(net_write_all(cio_tcp_stream_io(c), out, BIG, &ba.calls),
                     0);
    ck_assert_int_eq(cio_tcp_shutdown(c, CIO_SHUT_WR), 0);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_int_eq(memcmp(out, ba.buf, BIG), 0);
    printf("# %s: %u MiB in %u write call(s)\n", cio_test_backend_name,
           BIG >> 20, ba.calls);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_listener_close(ba.l), 0);
    free(out);
    free(ba.buf);
    return 0;
}

START_TEST(test_big_write)
{
    tcase_arg ta = {net_family_of(_i)};

    NET_NEED_FAMILY(ta.family);
    cio_test_api_run(net_backend_of(_i), big_main, &ta);
}
END_TEST

/* ---- cancel while blocked ---- */

static int
blocked_accept(void *arg)
{
    cio_tcp_stream *s = (cio_tcp_stream *)arg;
    cio_sockaddr peer;
    int r;

    r = cio_tcp_accept(arg, &s, &peer);
    if (r == 0)
        cio_tcp_close(s);
    else
        ck_assert_int_eq(cio_sockaddr_family(&peer), 0);
    return r;
}

static int
blocked_read(void *arg)
{
    char buf[16];

    return (int)cio_tcp_read(arg, buf, sizeof buf);
}

static int
cancel_main(void *arg)
{
    const tcase_arg *ta = arg;
    cio_tcp_stream *c, *s;
    cio_sockaddr bound;
    cio_tcp_listener *l;
    cio_task *t;
    char ch;

    l = listen_lo(ta->family, &bound, NULL);
    /* Blocked in accept. */
    ck_assert_int_eq(cio_spawn(&t, blocked_accept, l), 0);
    ck_assert_int_eq(cio_sleep(10 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    /* The listener still works afterwards. */
    ck_assert_int_eq(cio_tcp_connect(&c, &bound), 0);
    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), 0);

    /* Blocked in read. */
    ck_assert_int_eq(cio_spawn(&t, blocked_read, s), 0);
    ck_assert_int_eq(cio_sleep(10 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    /* The stream is still usable. */
    ck_assert_int_eq(cio_tcp_write(c, "k", 1), 1);
    ck_assert_int_eq(cio_tcp_read(s, &ch, 1), 1);
    ck_assert_int_eq(ch, 'k');
    ck_assert_int_eq(cio_tcp_close(s), 0);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return 0;
}

START_TEST(test_cancel)
{
    tcase_arg ta = {net_family_of(_i)};

    NET_NEED_FAMILY(ta.family);
    cio_test_api_run(net_backend_of(_i), cancel_main, &ta);
}
END_TEST

/* Closing in a cancelled task still releases everything. */
static int closer_started;

static int
cancelled_closer(void *arg)
{
    cio_tcp_listener *l = arg;
    cio_tcp_stream *s = NULL;

    closer_started = 1;
    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), CIO_ECANCELED);
    ck_assert_ptr_null(s);
    ck_assert(cio_cancelled());
    /* Calls that wait fail at once now; close does not leak. */
    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), CIO_ECANCELED);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return 0;
}

static int
cancel_close_main(void *arg)
{
    cio_sockaddr bound;
    cio_tcp_listener *l;
    cio_task *t;
    int k;

    (void)arg;
    l = listen_lo(AF_INET, &bound, NULL);
    closer_started = 0;
    ck_assert_int_eq(cio_spawn(&t, cancelled_closer, l), 0);
    /*
     * Until it waits in accept: a task cancelled before it ever ran
     * would not run at all (and not close the listener). One short
     * sleep may return without parking (its deadline already passed
     * when it looks: valgrind, a loaded machine), so loop.
     */
    for (k = 0; k < 60000 && !closer_started; k++)
        ck_assert_int_eq(cio_sleep(1 * MS), 0);
    ck_assert(closer_started);
    ck_assert_int_eq(cio_sleep(5 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), 0);
    return 0;
}

START_TEST(test_cancel_close)
{
    cio_test_api_run(_i, cancel_close_main, NULL);
}
END_TEST

/* ---- deadlines ---- */

static int
deadline_main(void *arg)
{
    const tcase_arg *ta = arg;
    cio_tcp_stream *c, *s, *fill[16];
    cio_sockaddr bound;
    cio_bind_opts o;
    cio_tcp_listener *l;
    uint64_t t0, prev, el;
    int nfill = 0, timeouts = 0, r = 0;
    char ch;

    /* A read with a deadline. */
    l = listen_lo(ta->family, &bound, NULL);
    ck_assert_int_eq(cio_tcp_connect(&c, &bound), 0);
    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), 0);
    t0 = cio_now();
    prev = cio_deadline_set(t0 + 50 * MS);
    ck_assert_int_eq(cio_tcp_read(s, &ch, 1), CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    el = cio_now() - t0;
    ck_assert_uint_ge(el, 50 * MS);
    /* Nothing else ends the read: the bound only guards a hang. */
    ck_assert_uint_lt(el, 60000 * MS);
    /* Nothing was lost: the stream goes on. */
    ck_assert_int_eq(cio_tcp_write(c, "z", 1), 1);
    ck_assert_int_eq(cio_tcp_read(s, &ch, 1), 1);
    ck_assert_int_eq(ch, 'z');
    cio_tcp_close(s);
    cio_tcp_close(c);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);

    /*
     * A connect with a deadline: a listener with a backlog of 1 that
     * never accepts stops answering handshakes once its queue is full,
     * so a later connect hangs until the deadline.
     */
    memset(&o, 0, sizeof o);
    o.backlog = 1;
    l = listen_lo(ta->family, &bound, &o);
    /*
     * A timeout counts as "full" only three times in a row: a connect
     * the queue had room for can still time out when this thread is
     * held up for 100 ms (valgrind, a loaded machine), and the check
     * below needs a queue that really is full.
     */
    while (nfill < 16 && timeouts < 3) {
        t0 = cio_now();
        r = cio_tcp_connect_timeout(&fill[nfill], &bound, 100 * MS);
        if (r == CIO_ETIMEDOUT) {
            timeouts++;
            continue;
        }
        if (r < 0)
            break;
        timeouts = 0;
        nfill++;
    }
    if (r == CIO_ETIMEDOUT) {
        el = cio_now() - t0;
        ck_assert_uint_ge(el, 100 * MS);
        ck_assert_uint_lt(el, 60000 * MS);
        /*
         * The task's own deadline bounds the shorthand too: an hour's
         * timeout, ended by the 30 ms deadline (the bound is far from
         * both).
         */
        t0 = cio_now();
        prev = cio_deadline_set(t0 + 30 * MS);
        ck_assert_int_eq(
            cio_tcp_connect_timeout(&c, &bound, 3600 * CIO_NS_PER_SEC),
            CIO_ETIMEDOUT);
        ck_assert_uint_lt(cio_now() - t0, 60000 * MS);
        ck_assert_int_eq(cio_deadline(), t0 + 30 * MS);
        cio_deadline_set(prev);
        ck_assert_ptr_null(c);
    } else {
        printf("# %s: a full backlog does not stall connects here (%s): "
               "connect deadline not checked\n",
               cio_test_backend_name, r < 0 ? cio_errname(r) : "ok");
    }
    while (nfill > 0)
        cio_tcp_close(fill[--nfill]);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return 0;
}

START_TEST(test_deadline)
{
    tcase_arg ta = {net_family_of(_i)};

    NET_NEED_FAMILY(ta.family);
    cio_test_api_run(net_backend_of(_i), deadline_main, &ta);
}
END_TEST

/* ---- options ---- */

static int
options_main(void *arg)
{
    const tcase_arg *ta = arg;
    cio_tcp_stream *c, *s;
    cio_tcp_listener *l;
    cio_sockaddr bound;
    cio_bind_opts o;
    cio_fd fd;
    int v;

    memset(&o, 0, sizeof o);
    l = listen_lo(ta->family, &bound, NULL);
    fd = cio_tcp_listener_fd(l);
    ck_assert_int_ge(fd, 0);
    /* Listener defaults: SO_REUSEADDR on (off on Windows: see net.h). */
    {
        int on = 0;
        socklen_t len = sizeof on;
        ck_assert_int_eq(getsockopt(NET_SOCK(fd), SOL_SOCKET, SO_REUSEADDR,
                                    (void *)&on, &len),
                         0);
#ifdef _WIN32
        ck_assert_int_eq(on, 0);
#else
        ck_assert_int_eq(on, 1);
#endif
    }
    ck_assert_int_eq(cio_tcp_connect(&c, &bound), 0);
    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), 0);

    ck_assert_int_eq(cio_tcp_set_nodelay(c, 1), 0);
    ck_assert_int_eq(cio_tcp_nodelay(c), 1);
    ck_assert_int_eq(cio_tcp_set_nodelay(c, 0), 0);
    ck_assert_int_eq(cio_tcp_nodelay(c), 0);

    ck_assert_int_eq(cio_tcp_keepalive(c), 0);
    ck_assert_int_eq(cio_tcp_set_keepalive(c, 1, 30, 5, 3), 0);
    ck_assert_int_eq(cio_tcp_keepalive(c), 1);
#ifdef TCP_KEEPIDLE
    {
        int idle = 0, intvl = 0, cnt = 0;
        socklen_t len = sizeof idle;
        fd = cio_tcp_stream_fd(c);
        getsockopt(NET_SOCK(fd), IPPROTO_TCP, TCP_KEEPIDLE, (void *)&idle,
                   &len);
        getsockopt(NET_SOCK(fd), IPPROTO_TCP, TCP_KEEPINTVL, (void *)&intvl,
                   &len);
        getsockopt(NET_SOCK(fd), IPPROTO_TCP, TCP_KEEPCNT, (void *)&cnt,
                   &len);
        ck_assert_int_eq(idle, 30);
        ck_assert_int_eq(intvl, 5);
        ck_assert_int_eq(cnt, 3);
    }
#endif
    ck_assert_int_eq(cio_tcp_set_keepalive(c, 0, 0, 0, 0), 0);
    ck_assert_int_eq(cio_tcp_keepalive(c), 0);

    ck_assert_int_eq(cio_tcp_linger(c), CIO_ENOENT);
    ck_assert_int_eq(cio_tcp_set_linger(c, 1, 7), 0);
    ck_assert_int_eq(cio_tcp_linger(c), 7);
    ck_assert_int_eq(cio_tcp_set_linger(c, 0, 0), 0);
    ck_assert_int_eq(cio_tcp_linger(c), CIO_ENOENT);

    ck_assert_int_eq(cio_tcp_set_send_buffer(c, 100000), 0);
    v = cio_tcp_send_buffer(c);
    ck_assert_int_ge(v, 100000);
    ck_assert_int_eq(cio_tcp_set_recv_buffer(c, 100000), 0);
    v = cio_tcp_recv_buffer(c);
    ck_assert_int_ge(v, 100000);
    ck_assert_int_eq(cio_tcp_set_send_buffer(c, 0), CIO_EINVAL);

    ck_assert_int_eq(cio_tcp_set_ttl(c, 17), 0);
    ck_assert_int_eq(cio_tcp_ttl(c), 17);
    ck_assert_int_eq(cio_tcp_set_ttl(c, 0), CIO_EINVAL);

    ck_assert_int_eq(cio_tcp_set_nodelay(NULL, 1), CIO_EINVAL);
    ck_assert_int_eq(cio_tcp_close(s), 0);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_close(NULL), 0);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    ck_assert_int_eq(cio_tcp_listener_close(NULL), 0);

    /* Listener flags read back. */
    o.flags = CIO_BIND_NO_REUSEADDR;
    if (ta->family == AF_INET6)
        o.flags |= CIO_BIND_V6ONLY;
    l = listen_lo(ta->family, &bound, &o);
    fd = cio_tcp_listener_fd(l);
    {
        int on = 1;
        socklen_t len = sizeof on;
        ck_assert_int_eq(getsockopt(NET_SOCK(fd), SOL_SOCKET, SO_REUSEADDR,
                                    (void *)&on, &len),
                         0);
        ck_assert_int_eq(on, 0);
        if (ta->family == AF_INET6) {
            ck_assert_int_eq(getsockopt(NET_SOCK(fd), IPPROTO_IPV6,
                                        IPV6_V6ONLY, (void *)&on, &len),
                             0);
            ck_assert_int_eq(on, 1);
        }
    }
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return 0;
}

START_TEST(test_options)
{
    tcase_arg ta = {net_family_of(_i)};

    NET_NEED_FAMILY(ta.family);
    cio_test_api_run(net_backend_of(_i), options_main, &ta);
}
END_TEST

/* ---- dual stack, the stream view, adopting a descriptor ---- */

static int
misc_main(void *arg)
{
    cio_tcp_listener *l;
    cio_tcp_stream *c, *s;
    cio_sockaddr a, bound, peer;
    cio_bind_opts o;
    cio_stream *io;
    char buf[4];
    int fd;

    (void)arg;
    /* "::" with IPV6_V6ONLY off takes IPv4 clients, seen as mapped. */
    if (net_have_ipv6()) {
        memset(&o, 0, sizeof o);
        o.flags = CIO_BIND_DUALSTACK;
        ck_assert_int_eq(cio_sockaddr_any(&a, AF_INET6, 0), 0);
        ck_assert_int_eq(cio_tcp_listen(&l, &a, &o), 0);
        ck_assert_int_eq(cio_tcp_listener_local_addr(l, &bound), 0);
        ck_assert_int_eq(cio_sockaddr_loopback(
                             &a, AF_INET, (uint16_t)cio_sockaddr_port(&bound)),
                         0);
        ck_assert_int_eq(cio_tcp_connect(&c, &a), 0);
        ck_assert_int_eq(cio_tcp_accept(l, &s, &peer), 0);
        ck_assert_int_eq(cio_sockaddr_family(&peer), AF_INET6);
        ck_assert(IN6_IS_ADDR_V4MAPPED(&peer.u.in6.sin6_addr));
        /* Close through the stream view: the whole object goes. */
        io = cio_tcp_stream_io(s);
        ck_assert_int_eq(cio_stream_fd(io), cio_tcp_stream_fd(s));
        ck_assert_int_eq(cio_stream_write(io, "v", 1), 1);
        ck_assert_int_eq(cio_stream_close(io), 0);
        ck_assert_int_eq(cio_tcp_read(c, buf, sizeof buf), 1);
        ck_assert_int_eq(cio_tcp_read(c, buf, sizeof buf), 0);
        cio_tcp_close(c);
        cio_tcp_listener_close(l);
    }

    /* A socket connected by plain syscalls, adopted. */
    l = listen_lo(AF_INET, &bound, NULL);
    fd = (cio_fd)socket(AF_INET, SOCK_STREAM | NET_SOCK_CLOEXEC, 0);
    ck_assert_int_ne(fd, CIO_INVALID_FD);
    ck_assert_int_eq(connect(NET_SOCK(fd), &bound.u.sa, (int)bound.len), 0);
    ck_assert_int_eq(cio_tcp_stream_from_fd(&c, fd), 0);
    ck_assert_int_eq(cio_tcp_stream_fd(c), fd);
    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), 0);
    ck_assert_int_eq(cio_tcp_write(c, "ab", 2), 2);
    ck_assert_int_eq(net_read_exact(cio_tcp_stream_io(s), buf, 2), 0);
    ck_assert_int_eq(memcmp(buf, "ab", 2), 0);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_close(s), 0);
    ck_assert_int_eq(cio_tcp_stream_from_fd(&c, CIO_INVALID_FD), CIO_EBADF);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return 0;
}

START_TEST(test_misc)
{
    cio_test_api_run(_i, misc_main, NULL);
}
END_TEST

/* Outside a task, calls that wait refuse. */
START_TEST(test_outside_task)
{
    cio_tcp_listener *l;
    cio_tcp_stream *c;
    cio_sockaddr a;

    ck_assert_int_eq(cio_sockaddr_loopback(&a, AF_INET, 0), 0);
    ck_assert_int_eq(cio_tcp_listen(&l, &a, NULL), CIO_EPERM);
    ck_assert_int_eq(cio_tcp_connect(&c, &a), CIO_EPERM);
    ck_assert_int_eq(cio_tcp_connect_timeout(&c, &a, 1), CIO_EPERM);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("net_tcp");
    TCase *tc = tcase_create("tcp");

    net_require_backend();
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_echo, 0, NET_LOOPS);
    tcase_add_loop_test(tc, test_connect_host, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_errors, 0, NET_LOOPS);
    tcase_add_loop_test(tc, test_reset_eof, 0, NET_LOOPS);
    tcase_add_loop_test(tc, test_big_write, 0, NET_LOOPS);
    tcase_add_loop_test(tc, test_cancel, 0, NET_LOOPS);
    tcase_add_loop_test(tc, test_cancel_close, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_deadline, 0, NET_LOOPS);
    tcase_add_loop_test(tc, test_options, 0, NET_LOOPS);
    tcase_add_loop_test(tc, test_misc, 0, CIO_TEST_NBACKENDS);
    tcase_add_test(tc, test_outside_task);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
