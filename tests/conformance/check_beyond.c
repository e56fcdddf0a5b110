/* SPDX-License-Identifier: MIT */
/*
 * check_beyond.c - the "beyond compio" features through the public
 * driver API, the same code on every backend: multishot ACCEPT of 1,000
 * loopback connections, multishot RECV from a small buffer pool (data
 * integrity, CIO_ENOBUFS when it runs dry, recovery after release and
 * re-arm), registered files and buffers, SEND_ZC of 64 MiB with every
 * byte checked, cancel of multishot ops, bad op flags, and closing a
 * driver with all of it in flight.
 *
 * One source, one program per backend (CIO_TEST_BACKEND), plus a uring
 * program with every native feature switched off (CIO_TEST_EMULATE), so
 * the emulation also runs on a completion backend. Each program knows
 * which path must run (CIO_TEST_NATIVE) and asserts it, so a silent
 * fallback fails the test instead of passing on the slow path.
 * compio-conformance builds this file too (see cio_suite.h), where that
 * expectation comes from the module or from --expect.
 */
#define _GNU_SOURCE
#ifdef _WIN32
/* The POSIX calls below, made of Windows ones (runs the IOCP backend). */
#include "cio_test_win32.h"
#else
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <compio.h>

#include "cio_test.h"
#include "cio_test_driver.h"
#include "cio_suite.h"

#ifndef CIO_TEST_BACKEND
#define CIO_TEST_BACKEND "epoll"
#endif
/* 1 when the backend must do the features itself. */
#ifndef CIO_TEST_NATIVE
#define CIO_TEST_NATIVE 0
#endif

static const char *backend = CIO_TEST_BACKEND;

/* ---- helpers ---- */

static cio_driver *
open_driver(void)
{
    cio_config *cfg = NULL;
    cio_driver *drv = NULL;
    int r;
    ck_assert_int_eq(cio_suite_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", backend), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
#ifdef CIO_TEST_EMULATE
    ck_assert_int_eq(cio_config_set(cfg, "module.uring", "disable_opflags",
                                    "multishot, buffer_select, fixed_file"),
                     0);
    ck_assert_int_eq(cio_config_set(cfg, "module.uring", "disable_ops",
                                    "read_fixed, write_fixed, send_zc"),
                     0);
#endif
    r = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    ck_assert_msg(r == 0, "cio_driver_open(%s): %s: %s", backend,
                  cio_errname(r), cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), cio_suite_name(backend));
    return drv;
}

/* The path every feature must take on this program's backend. */
static int
want_support(void)
{
    return CIO_TEST_NATIVE ? CIO_SUPPORT_NATIVE : CIO_SUPPORT_EMULATED;
}

static int fds_before;
#define BEGIN() (fds_before = cio_test_count_fds())
#define END() end_fds()

/* Compare the descriptor count with BEGIN's; name what is left over. */
static void
end_fds(void)
{
    int now = cio_test_count_fds();
    if (now != fds_before) {
        char link[64], target[256];
        for (int fd = 0; fd < 4096; fd++) {
            ssize_t n;
            snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
            n = readlink(link, target, sizeof(target) - 1);
            if (n > 0) {
                target[n] = '\0';
                printf("# fd %d -> %s\n", fd, target);
            }
        }
        fflush(stdout);
    }
    ck_assert_int_eq(now, fds_before);
}

/* Raise RLIMIT_NOFILE towards @want; fails the test below @need. */
static void
want_fds(rlim_t want, rlim_t need)
{
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    ck_assert_msg(rl.rlim_cur >= need, "RLIMIT_NOFILE %llu < %llu",
                  (unsigned long long)rl.rlim_cur, (unsigned long long)need);
}

/* Poll once (up to @ms), asserting no error; returns the count. */
static int
poll_some(cio_driver *drv, cio_entry *e, int max, int ms)
{
    int n = cio_driver_poll(drv, ms, e, max);
    ck_assert_msg(n >= 0, "poll: %s", cio_errname(n));
    return n;
}

/* A TCP listener on 127.0.0.1 with a deep backlog. */
static int
listener(struct sockaddr_in *sin)
{
    socklen_t len = sizeof(*sin);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)sin, len), 0);
    ck_assert_int_eq(listen(fd, 1024), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)sin, &len), 0);
    return fd;
}

/* A connected loopback TCP pair, made without the driver. */
static void
tcp_pair(int *srv, int *cli)
{
    struct sockaddr_in sin;
    int lfd = listener(&sin);
    *cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(*cli, 0);
    ck_assert_int_eq(connect(*cli, (struct sockaddr *)&sin, sizeof(sin)), 0);
    *srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(*srv, 0);
    close(lfd);
}

/* Byte @i of the test stream: position-dependent, so loss shows. */
static uint8_t
stream_byte(uint64_t i)
{
    uint64_t x = i * 0x9e3779b97f4a7c15ull;
    return (uint8_t)(x >> 56 ^ x >> 29 ^ i);
}

/* ---- features ---- */

START_TEST(t_features)
{
    cio_driver *drv;
    BEGIN();
    drv = open_driver();
    for (unsigned f = 0; f < CIO_FEATURE__COUNT; f++)
        ck_assert_msg(cio_driver_feature(drv, f) == want_support(), "%s: %d",
                      cio_feature_name(f), cio_driver_feature(drv, f));
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_SEND_ZC),
                     CIO_TEST_NATIVE ? CIO_SUPPORT_NATIVE
                                     : CIO_SUPPORT_EMULATED);
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_READ_FIXED),
                     CIO_TEST_NATIVE ? CIO_SUPPORT_NATIVE
                                     : CIO_SUPPORT_EMULATED);
    cio_driver_close(drv);
    END();
}
END_TEST

/* ---- multishot accept ---- */

enum { NCONN = 1000 };
static int port_owner[65536];

START_TEST(t_multishot_accept_1000)
{
    static int cli[NCONN], acc[NCONN];
    struct sockaddr_in sin;
    cio_driver *drv;
    cio_op op;
    cio_entry e[64];
    int lfd, nacc = 0, nconn = 0, final = 0;
    uint64_t end;

    want_fds(4 * NCONN, 2 * NCONN + 64);
    BEGIN();
    drv = open_driver();
    memset(port_owner, 0xff, sizeof(port_owner));
    lfd = listener(&sin);
    ck_assert_int_eq(cio_driver_attach(drv, lfd), 0);
    cio_op_accept_multishot(&op, lfd, 0);
    cio_test_push(drv, &op, 7);

    end = cio_test_now_ms() + 60000;
    while (nacc < NCONN) {
        int n;
        ck_assert_msg(cio_test_now_ms() < end, "%d of %d accepted", nacc,
                      NCONN);
        /* Connect in steps, so the accept queue never overflows. */
        for (int k = 0; k < 50 && nconn < NCONN && nconn - nacc < 500; k++) {
            struct sockaddr_in me;
            socklen_t ml = sizeof(me);
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            ck_assert_int_ge(fd, 0);
            ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
                             0);
            ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &ml), 0);
            port_owner[ntohs(me.sin_port)] = nconn;
            cli[nconn++] = fd;
        }
        n = poll_some(drv, e, 64, nconn > nacc ? 100 : 0);
        for (int i = 0; i < n; i++) {
            struct sockaddr_in peer;
            socklen_t pl = sizeof(peer);
            int owner;
            ck_assert_ptr_eq(e[i].op, &op);
            ck_assert_uint_eq(e[i].user_data, 7);
            ck_assert_msg(e[i].result >= 0, "accept: %s",
                          cio_errname(e[i].result));
            ck_assert_msg(cio_entry_more(&e[i]), "multishot ended early");
            ck_assert_int_lt(nacc, NCONN);
            /* A valid, close-on-exec descriptor of one of our clients. */
            ck_assert_int_ne(fcntl(e[i].result, F_GETFD) & FD_CLOEXEC, 0);
            ck_assert_int_eq(
                getpeername(e[i].result, (struct sockaddr *)&peer, &pl), 0);
            owner = port_owner[ntohs(peer.sin_port)];
            ck_assert_int_ge(owner, 0);
            port_owner[ntohs(peer.sin_port)] = -2; /* Seen once only. */
            acc[nacc++] = e[i].result;
        }
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), 1);
    /* Cancel ends it with one completion without MORE. */
    ck_assert_int_eq(cio_driver_cancel(drv, &op), 0);
    end = cio_test_now_ms() + 10000;
    while (!final) {
        int n;
        ck_assert(cio_test_now_ms() < end);
        n = poll_some(drv, e, 64, 1000);
        for (int i = 0; i < n; i++) {
            ck_assert_ptr_eq(e[i].op, &op);
            ck_assert_msg(!cio_entry_more(&e[i]),
                          "a completion with MORE after the last client");
            ck_assert_int_eq(e[i].result, CIO_ECANCELED);
            final = 1;
        }
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    for (int i = 0; i < NCONN; i++) {
        close(acc[i]);
        close(cli[i]);
    }
    close(lfd);
    cio_driver_close(drv);
    END();
}
END_TEST

/* ---- multishot recv from a pool ---- */

enum { POOL_N = 8, POOL_SIZE = 4096 };

typedef struct recv_state {
    cio_driver *drv;
    cio_bufpool *pool;
    cio_op op;
    int srv, cli;
    uint64_t sent, got;
    int ended; /* The op's final completion arrived. */
    int32_t end_result;
    int hold;         /* Keep buffers instead of releasing them. */
    int held[POOL_N]; /* Held buffer ids, in arrival order. */
    int32_t held_len[POOL_N];
    int nheld;
} recv_state;

/* Check @len bytes of @buf against the stream at rs->got. */
static void
check_stream(recv_state *rs, const uint8_t *buf, int32_t len)
{
    for (int32_t i = 0; i < len; i++)
        ck_assert_msg(buf[i] == stream_byte(rs->got + (uint64_t)i),
                      "byte %llu differs",
                      (unsigned long long)(rs->got + (uint64_t)i));
    rs->got += (uint64_t)len;
}

/* Handle completions of the multishot recv for up to @ms. */
static void
recv_poll(recv_state *rs, int ms)
{
    cio_entry e[16];
    int n = poll_some(rs->drv, e, 16, ms);
    for (int i = 0; i < n; i++) {
        int bid = cio_entry_bid(&e[i]);
        ck_assert_ptr_eq(e[i].op, &rs->op);
        ck_assert(!rs->ended);
        if (!cio_entry_more(&e[i])) {
            rs->ended = 1;
            rs->end_result = e[i].result;
            ck_assert_int_lt(bid, 0);
            continue;
        }
        ck_assert_msg(e[i].result > 0, "recv: %s", cio_errname(e[i].result));
        ck_assert_int_le(e[i].result, POOL_SIZE);
        ck_assert_int_ge(bid, 0);
        ck_assert_int_lt(bid, POOL_N);
        if (rs->hold) {
            ck_assert_int_lt(rs->nheld, POOL_N);
            rs->held[rs->nheld] = bid;
            rs->held_len[rs->nheld++] = e[i].result;
            continue;
        }
        check_stream(rs, cio_bufpool_buf(rs->pool, (unsigned)bid), e[i].result);
        ck_assert_int_eq(cio_bufpool_release(rs->pool, (unsigned)bid), 0);
    }
}

/* Send up to @len more bytes of the stream without blocking. */
static void
recv_feed(recv_state *rs, size_t len)
{
    uint8_t chunk[8192];
    ssize_t w;
    if (len > sizeof(chunk))
        len = sizeof(chunk);
    for (size_t i = 0; i < len; i++)
        chunk[i] = stream_byte(rs->sent + i);
    w = send(rs->cli, chunk, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0)
        ck_assert_int_eq(errno, EAGAIN);
    else
        rs->sent += (uint64_t)w;
}

START_TEST(t_multishot_recv_pool)
{
    recv_state rs;
    uint64_t end, target;
    BEGIN();
    memset(&rs, 0, sizeof(rs));
    rs.drv = open_driver();
    ck_assert_int_eq(cio_bufpool_new(rs.drv, &rs.pool, POOL_N, POOL_SIZE), 0);
    ck_assert_int_eq(cio_bufpool_support(rs.pool), want_support());
    ck_assert_uint_eq(cio_bufpool_available(rs.pool), POOL_N);
    tcp_pair(&rs.srv, &rs.cli);
    ck_assert_int_eq(cio_driver_attach(rs.drv, rs.srv), 0);
    cio_op_recv_multishot(&rs.op, rs.srv, rs.pool, 0);
    cio_test_push(rs.drv, &rs.op, 21);

    /* 1. A stream of 1 MiB through 8 buffers of 4 KiB: every byte. */
    target = 1u << 20;
    end = cio_test_now_ms() + 60000;
    while (rs.got < target) {
        ck_assert_msg(cio_test_now_ms() < end, "1: sent %llu got %llu",
                      (unsigned long long)rs.sent, (unsigned long long)rs.got);
        if (rs.sent < target)
            recv_feed(&rs, (size_t)(target - rs.sent));
        recv_poll(&rs, rs.sent > rs.got ? 100 : 0);
        ck_assert_msg(!rs.ended, "1: ended with %s",
                      cio_errname(rs.end_result));
    }
    ck_assert_uint_eq(cio_bufpool_available(rs.pool), POOL_N);

    /*
     * 2. Hold every buffer: once all are held, the next data ends the
     * op with ENOBUFS (and stays in the socket).
     */
    rs.hold = 1;
    end = cio_test_now_ms() + 20000;
    while (!rs.ended) {
        ck_assert_msg(cio_test_now_ms() < end, "2: held %d", rs.nheld);
        recv_feed(&rs, 1000);
        recv_poll(&rs, 100);
    }
    ck_assert_int_eq(rs.end_result, CIO_ENOBUFS);
    ck_assert_int_eq(rs.nheld, POOL_N);
    ck_assert_uint_eq(cio_bufpool_available(rs.pool), 0);
    ck_assert_uint_eq(cio_driver_inflight(rs.drv), 0);

    /* 3. Release (checking what they hold), re-arm: nothing was lost. */
    for (int i = 0; i < rs.nheld; i++) {
        check_stream(&rs, cio_bufpool_buf(rs.pool, (unsigned)rs.held[i]),
                     rs.held_len[i]);
        ck_assert_int_eq(cio_bufpool_release(rs.pool, (unsigned)rs.held[i]), 0);
        /* A second release of the same buffer is refused. */
        ck_assert_int_eq(cio_bufpool_release(rs.pool, (unsigned)rs.held[i]),
                         CIO_EINVAL);
    }
    rs.hold = 0;
    rs.nheld = 0;
    rs.ended = 0;
    cio_test_push(rs.drv, &rs.op, 22);
    target = rs.sent + (256u << 10);
    end = cio_test_now_ms() + 60000;
    while (rs.got < target) {
        ck_assert_msg(cio_test_now_ms() < end, "3: sent %llu got %llu",
                      (unsigned long long)rs.sent, (unsigned long long)rs.got);
        if (rs.sent < target)
            recv_feed(&rs, (size_t)(target - rs.sent));
        recv_poll(&rs, rs.sent > rs.got ? 100 : 0);
        ck_assert_msg(!rs.ended, "3: ended with %s",
                      cio_errname(rs.end_result));
    }

    /* 4. End of stream ends the op with 0. */
    ck_assert_int_eq(shutdown(rs.cli, SHUT_WR), 0);
    end = cio_test_now_ms() + 10000;
    while (!rs.ended) {
        ck_assert_msg(cio_test_now_ms() < end, "4: no end of stream");
        recv_poll(&rs, 100);
    }
    ck_assert_int_eq(rs.end_result, 0);
    ck_assert_uint_eq(rs.got, rs.sent);
    ck_assert_int_eq(cio_bufpool_free(rs.pool), 0);
    close(rs.srv);
    close(rs.cli);
    cio_driver_close(rs.drv);
    END();
}
END_TEST

START_TEST(t_recv_pool_single)
{
    cio_driver *drv, *other;
    cio_bufpool *pool, *foreign;
    cio_op op;
    cio_entry e;
    int sv[2], bid;
    BEGIN();
    drv = open_driver();
    other = open_driver();
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 0, 64), CIO_EINVAL);
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 4, 0), CIO_EINVAL);
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 40000, 64), CIO_EINVAL);
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 4, 64), 0);
    ck_assert_int_eq(cio_bufpool_new(other, &foreign, 4, 64), 0);
    ck_assert_uint_eq(cio_bufpool_count(pool), 4);
    ck_assert_uint_eq(cio_bufpool_size(pool), 64);
    ck_assert_ptr_null(cio_bufpool_buf(pool, 4));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(cio_driver_attach(drv, sv[0]), 0);

    /* A single shot takes one buffer, at most its size. */
    cio_op_recv_pool(&op, sv[0], pool, 0);
    cio_test_push(drv, &op, 1);
    /* In flight, the pool cannot go. */
    ck_assert_int_eq(cio_bufpool_free(pool), CIO_EBUSY);
    ck_assert_int_eq(send(sv[1],
                          "0123456789abcdef0123456789abcdef"
                          "0123456789abcdef0123456789abcdefXYZ",
                          67, 0),
                     67);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 64);
    ck_assert(!cio_entry_more(&e));
    bid = cio_entry_bid(&e);
    ck_assert_int_ge(bid, 0);
    ck_assert_int_eq(op.result, 64);
    ck_assert_uint_eq(op.cflags, e.flags);
    ck_assert_mem_eq(cio_bufpool_buf(pool, (unsigned)bid), "0123456789", 10);
    ck_assert_uint_eq(cio_bufpool_available(pool), 3);
    /* Only a delivered buffer can be released, and only once. */
    ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)(bid + 1) % 4),
                     CIO_EINVAL);
    ck_assert_int_eq(cio_bufpool_release(pool, 99), CIO_EINVAL);
    ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)bid), 0);
    ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)bid), CIO_EINVAL);
    /* The rest of the data comes next. */
    cio_op_recv_pool(&op, sv[0], pool, 0);
    cio_test_push(drv, &op, 2);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 3);
    ck_assert_mem_eq(cio_bufpool_buf(pool, (unsigned)cio_entry_bid(&e)), "XYZ",
                     3);
    ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)cio_entry_bid(&e)), 0);

    /* A pool of another driver is refused. */
    cio_op_recv_pool(&op, sv[0], foreign, 0);
    cio_test_push(drv, &op, 3);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EINVAL);

    ck_assert_int_eq(cio_bufpool_free(pool), 0);
    ck_assert_int_eq(cio_bufpool_free(NULL), 0);
    close(sv[0]);
    close(sv[1]);
    /* "foreign" is freed by its driver's close. */
    cio_driver_close(other);
    cio_driver_close(drv);
    END();
}
END_TEST

/* ---- op flag validation ---- */

START_TEST(t_bad_opflags)
{
    cio_driver *drv;
    cio_bufpool *pool;
    cio_op op;
    cio_entry e;
    char buf[8];
    int sv[2];
    BEGIN();
    drv = open_driver();
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 2, 64), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);

    cio_op_read(&op, sv[0], buf, sizeof(buf));
    op.opflags = CIO_OPF_MULTISHOT; /* Not for READ. */
    cio_test_push(drv, &op, 1);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EINVAL);

    cio_op_recv(&op, sv[0], buf, sizeof(buf), 0);
    op.opflags = CIO_OPF_MULTISHOT; /* RECV needs a pool for it. */
    cio_test_push(drv, &op, 2);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EINVAL);

    cio_op_recv_multishot(&op, sv[0], pool, MSG_WAITALL);
    cio_test_push(drv, &op, 3);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EINVAL);

    cio_op_send(&op, sv[0], buf, sizeof(buf), 0);
    op.opflags = CIO_OPF_BUFFER_SELECT; /* SEND has no buffer to pick. */
    cio_test_push(drv, &op, 4);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EINVAL);

    cio_op_nop(&op);
    op.opflags = 0x80; /* Unknown. */
    cio_test_push(drv, &op, 5);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EINVAL);

    cio_op_openat(&op, CIO_AT_FDCWD, "/", 0, 0);
    op.opflags = CIO_OPF_FIXED_FILE; /* fd is a directory, not IO. */
    cio_test_push(drv, &op, 6);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EINVAL);

    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
    END();
}
END_TEST

/* ---- registered files ---- */

START_TEST(t_fixed_files)
{
    char dir[PATH_MAX], path[PATH_MAX + 8], buf[32];
    cio_driver *drv;
    cio_op op;
    cio_entry e;
    cio_fd table[3];
    int file, p[2], sv[2];
    BEGIN();
    drv = open_driver();
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/f", dir);
    file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(file, 0);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(cio_driver_attach(drv, p[1]), 0);
    ck_assert_int_eq(cio_driver_attach(drv, sv[0]), 0);

    /* Without a table an index names nothing. */
    cio_op_write_at(&op, 0, "x", 1, 0);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 1);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EBADF);
    ck_assert_int_eq(cio_driver_update_files(drv, 0, table, 1), CIO_ENXIO);
    ck_assert_int_eq(cio_driver_unregister_files(drv), CIO_ENXIO);

    table[0] = file;
    table[1] = CIO_INVALID_FD;
    table[2] = sv[0];
    ck_assert_int_eq(cio_driver_register_files(drv, table, 0), CIO_EINVAL);
    ck_assert_int_eq(cio_driver_register_files(drv, table, 3), 0);
    ck_assert_int_eq(cio_driver_register_files(drv, table, 3), CIO_EBUSY);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_FIXED_FILES),
                     want_support());
    /* The table holds its own reference: our descriptor may go. */
    close(file);

    cio_op_write_at(&op, 0, "registered", 10, 0);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 2);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 10);
    memset(buf, 0, sizeof(buf));
    cio_op_read_at(&op, 0, buf, sizeof(buf), 0);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 3);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 10);
    ck_assert_mem_eq(buf, "registered", 10);

    /* A socket by index, both ways. */
    cio_op_send(&op, 2, "ping", 4, 0);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 4);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 4);
    ck_assert_int_eq(recv(sv[1], buf, sizeof(buf), 0), 4);
    ck_assert_int_eq(send(sv[1], "pong", 4, 0), 4);
    memset(buf, 0, sizeof(buf));
    cio_op_recv(&op, 2, buf, sizeof(buf), 0);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 5);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 4);
    ck_assert_mem_eq(buf, "pong", 4);

    /* An empty slot and an index past the end: EBADF. */
    cio_op_write(&op, 1, "x", 1);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 6);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EBADF);
    cio_op_write(&op, 99, "x", 1);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 7);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EBADF);

    /* Update: slot 1 becomes the pipe's write end. */
    table[1] = p[1]; /* A cio_fd: wider than int on Windows. */
    ck_assert_int_eq(cio_driver_update_files(drv, 1, &table[1], 1), 1);
    ck_assert_int_eq(cio_driver_update_files(drv, 3, &table[1], 1), CIO_EINVAL);
    table[0] = 12345; /* Not open. */
    ck_assert_int_eq(cio_driver_update_files(drv, 0, table, 1), CIO_EBADF);
    cio_op_write(&op, 1, "piped", 5);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 8);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 5);
    memset(buf, 0, sizeof(buf));
    ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 5);
    ck_assert_mem_eq(buf, "piped", 5);

    /* An op in flight on a slot keeps its file across unregister. */
    memset(buf, 0, sizeof(buf));
    cio_op_recv(&op, 2, buf, sizeof(buf), 0);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 9);
    ck_assert_int_eq(poll_some(drv, &e, 1, 30), 0);
    ck_assert_int_eq(cio_driver_unregister_files(drv), 0);
    ck_assert_int_eq(cio_driver_unregister_files(drv), CIO_ENXIO);
    ck_assert_int_eq(send(sv[1], "late", 4, 0), 4);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 4);
    ck_assert_mem_eq(buf, "late", 4);
    /* And after it, an index is EBADF again. */
    cio_op_recv(&op, 2, buf, sizeof(buf), 0);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 10);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EBADF);

    /* A bad descriptor is refused at registration. */
    table[0] = 12345;
    ck_assert_int_eq(cio_driver_register_files(drv, table, 1), CIO_EBADF);

    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    unlink(path);
    rmdir(dir);
    cio_driver_close(drv);
    END();
}
END_TEST

/* ---- registered buffers ---- */

START_TEST(t_fixed_buffers)
{
    enum { BSZ = 64 * 1024 };
    char dir[PATH_MAX], path[PATH_MAX + 8];
    cio_driver *drv;
    cio_iovec iov[3];
    cio_op op;
    cio_entry e;
    uint8_t *a, *b;
    int fd;
    BEGIN();
    drv = open_driver();
    ck_assert_int_eq(posix_memalign((void **)&a, 4096, BSZ), 0);
    ck_assert_int_eq(posix_memalign((void **)&b, 4096, BSZ), 0);
    for (int i = 0; i < BSZ; i++)
        a[i] = stream_byte((uint64_t)i);
    memset(b, 0, BSZ);
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/f", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);

    /* Nothing registered: EFAULT, as the kernel says. */
    cio_op_read_fixed(&op, fd, b, 16, 0, 0);
    cio_test_push(drv, &op, 1);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EFAULT);
    ck_assert_int_eq(cio_driver_unregister_buffers(drv), CIO_ENXIO);

    iov[0].base = NULL;
    iov[0].len = 10;
    ck_assert_int_eq(cio_driver_register_buffers(drv, iov, 1), CIO_EFAULT);
    iov[0].base = a;
    iov[0].len = BSZ;
    iov[1].base = NULL; /* An empty slot. */
    iov[1].len = 0;
    iov[2].base = b;
    iov[2].len = BSZ;
    ck_assert_int_eq(cio_driver_register_buffers(drv, iov, 3), 0);
    ck_assert_int_eq(cio_driver_register_buffers(drv, iov, 3), CIO_EBUSY);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_FIXED_BUFFERS),
                     want_support());

    cio_op_write_fixed(&op, fd, a, BSZ, 0, 0);
    cio_test_push(drv, &op, 2);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, BSZ);
    /* Part of a buffer, at an offset, into the other buffer. */
    cio_op_read_fixed(&op, fd, b + 100, 1000, 5000, 2);
    cio_test_push(drv, &op, 3);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 1000);
    ck_assert_mem_eq(b + 100, a + 5000, 1000);
    cio_op_read_fixed(&op, fd, b, BSZ, 0, 2);
    cio_test_push(drv, &op, 4);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, BSZ);
    ck_assert_mem_eq(b, a, BSZ);

    /* Wrong index, empty slot, outside the buffer: EFAULT. */
    cio_op_read_fixed(&op, fd, b, 16, 0, 7);
    cio_test_push(drv, &op, 5);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EFAULT);
    cio_op_read_fixed(&op, fd, b, 16, 0, 1);
    cio_test_push(drv, &op, 6);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EFAULT);
    cio_op_read_fixed(&op, fd, b + BSZ - 8, 16, 0, 2);
    cio_test_push(drv, &op, 7);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EFAULT);
    cio_op_write_fixed(&op, fd, b, 16, 0, 0); /* b is not buffer 0. */
    cio_test_push(drv, &op, 8);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EFAULT);

    ck_assert_int_eq(cio_driver_unregister_buffers(drv), 0);
    ck_assert_int_eq(cio_driver_unregister_buffers(drv), CIO_ENXIO);
    cio_op_read_fixed(&op, fd, b, 16, 0, 0);
    cio_test_push(drv, &op, 9);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EFAULT);

    close(fd);
    unlink(path);
    rmdir(dir);
    free(a);
    free(b);
    cio_driver_close(drv);
    END();
}
END_TEST

/* ---- SEND_ZC ---- */

/* FNV-1a, 64 bits, continued from @h over @len bytes. */
static uint64_t
fnv1a(uint64_t h, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

START_TEST(t_send_zc_64m)
{
    enum { TOTAL = 64 << 20, CHUNK = 4 << 20, RBUF = 256 << 10 };
    uint8_t *src, *rbuf;
    uint64_t want_sum, got_sum = 0xcbf29ce484222325ull, end;
    size_t sent = 0, got = 0, zc_off = 0;
    int srv, cli, zc_busy = 0, zc_result = 0, nsends = 0, nnotif = 0;
    cio_driver *drv;
    cio_op zc, rd;
    cio_entry e[8];
    BEGIN();
    drv = open_driver();
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_SEND_ZC),
                     want_support());
    src = malloc(TOTAL);
    rbuf = malloc(RBUF);
    ck_assert_ptr_nonnull(src);
    ck_assert_ptr_nonnull(rbuf);
    for (size_t i = 0; i < TOTAL; i++)
        src[i] = stream_byte(i);
    want_sum = fnv1a(0xcbf29ce484222325ull, src, TOTAL);
    tcp_pair(&srv, &cli);
    ck_assert_int_eq(cio_driver_attach(drv, srv), 0);
    ck_assert_int_eq(cio_driver_attach(drv, cli), 0);

    cio_op_recv(&rd, srv, rbuf, RBUF, 0);
    cio_test_push(drv, &rd, 1);
    end = cio_test_now_ms() + 120000;
    while (got < TOTAL || zc_busy) {
        int n;
        ck_assert_msg(cio_test_now_ms() < end, "sent %zu got %zu", sent, got);
        if (!zc_busy && sent < TOTAL) {
            size_t len = TOTAL - sent < CHUNK ? TOTAL - sent : CHUNK;
            zc_off = sent;
            cio_op_send_zc(&zc, cli, src + zc_off, (uint32_t)len, 0);
            cio_test_push(drv, &zc, 2);
            zc_busy = 1;
            zc_result = 0;
            nsends++;
        }
        n = poll_some(drv, e, 8, 1000);
        for (int i = 0; i < n; i++) {
            if (e[i].op == &rd) {
                ck_assert_msg(e[i].result > 0, "recv: %s",
                              cio_errname(e[i].result));
                ck_assert_mem_eq(rbuf, src + got, (size_t)e[i].result);
                got_sum = fnv1a(got_sum, rbuf, (size_t)e[i].result);
                got += (size_t)e[i].result;
                if (got < TOTAL)
                    cio_test_push(drv, &rd, 1);
                continue;
            }
            ck_assert_ptr_eq(e[i].op, &zc);
            if (cio_entry_more(&e[i])) {
                /* First: the byte count; exactly once, before NOTIF. */
                ck_assert(!zc_result);
                ck_assert(!(e[i].flags & CIO_CF_NOTIF));
                ck_assert_msg(e[i].result > 0, "send_zc: %s",
                              cio_errname(e[i].result));
                ck_assert_int_le(e[i].result, CHUNK);
                zc_result = 1;
                sent = zc_off + (size_t)e[i].result;
            } else {
                /* Then: the buffer is ours again. */
                ck_assert(zc_result);
                ck_assert(e[i].flags & CIO_CF_NOTIF);
                ck_assert_int_eq(e[i].result, 0);
                zc_busy = 0;
                nnotif++;
            }
        }
    }
    ck_assert_uint_eq(sent, TOTAL);
    ck_assert_uint_eq(got, TOTAL);
    ck_assert_int_eq(nnotif, nsends);
    ck_assert_msg(got_sum == want_sum, "checksum %016llx, want %016llx",
                  (unsigned long long)got_sum, (unsigned long long)want_sum);
    printf("# send_zc: %d sends of up to %d MiB, %s\n", nsends, CHUNK >> 20,
           CIO_TEST_NATIVE ? "native" : "emulated");
    close(srv);
    close(cli);
    free(src);
    free(rbuf);
    cio_driver_close(drv);
    END();
}
END_TEST

/* ---- cancel ---- */

START_TEST(t_cancel_multishot)
{
    struct sockaddr_in sin;
    cio_driver *drv;
    cio_bufpool *pool;
    cio_op acc, rcv, can;
    cio_entry e[4];
    int lfd, sv[2], n, bid;
    BEGIN();
    drv = open_driver();

    /* Multishot ACCEPT with nothing to accept: one final ECANCELED. */
    lfd = listener(&sin);
    ck_assert_int_eq(cio_driver_attach(drv, lfd), 0);
    cio_op_accept_multishot(&acc, lfd, 0);
    cio_test_push(drv, &acc, 1);
    ck_assert_int_eq(poll_some(drv, e, 4, 30), 0);
    ck_assert_int_eq(cio_driver_cancel(drv, &acc), 0);
    cio_test_reap(drv, e, 1, 5000);
    ck_assert_ptr_eq(e[0].op, &acc);
    ck_assert_int_eq(e[0].result, CIO_ECANCELED);
    ck_assert(!cio_entry_more(&e[0]));
    ck_assert_int_eq(cio_driver_cancel(drv, &acc), CIO_ENOENT);

    /* The same through an ASYNC_CANCEL op. */
    cio_test_push(drv, &acc, 2);
    ck_assert_int_eq(poll_some(drv, e, 4, 20), 0);
    cio_op_async_cancel(&can, &acc);
    cio_test_push(drv, &can, 3);
    cio_test_reap(drv, e, 2, 5000);
    ck_assert(e[0].op == &can ? e[1].op == &acc : e[0].op == &acc);
    ck_assert_int_eq(can.result, 0);
    ck_assert_int_eq(acc.result, CIO_ECANCELED);

    /* Multishot RECV after a completion: cancel ends it. */
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 4, 256), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(cio_driver_attach(drv, sv[0]), 0);
    cio_op_recv_multishot(&rcv, sv[0], pool, 0);
    cio_test_push(drv, &rcv, 4);
    ck_assert_int_eq(send(sv[1], "abc", 3, 0), 3);
    cio_test_reap(drv, e, 1, 5000);
    ck_assert_int_eq(e[0].result, 3);
    ck_assert(cio_entry_more(&e[0]));
    bid = cio_entry_bid(&e[0]);
    ck_assert_mem_eq(cio_bufpool_buf(pool, (unsigned)bid), "abc", 3);
    ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)bid), 0);
    ck_assert_uint_eq(cio_driver_inflight(drv), 1);
    ck_assert_int_eq(cio_driver_cancel(drv, &rcv), 0);
    n = 0;
    do {
        cio_test_reap(drv, e, 1, 5000);
        n++;
    } while (cio_entry_more(&e[0]));
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(e[0].result, CIO_ECANCELED);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    ck_assert_int_eq(cio_bufpool_free(pool), 0);

    close(sv[0]);
    close(sv[1]);
    close(lfd);
    cio_driver_close(drv);
    END();
}
END_TEST

/* ---- teardown ---- */

START_TEST(t_close_with_multishot_in_flight)
{
    struct sockaddr_in sin;
    cio_driver *drv;
    cio_bufpool *pool;
    cio_op acc, rcv, rd;
    cio_entry e[8];
    cio_iovec iov;
    static char fixed[4096], plain[64];
    int lfd, sv[2], cli[3];
    BEGIN();
    drv = open_driver();
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 16, 1024), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(cio_driver_attach(drv, sv[0]), 0);
    {
        cio_fd fds[2] = {sv[0], sv[1]}; /* cio_fd is wider on Windows. */
        ck_assert_int_eq(cio_driver_register_files(drv, fds, 2), 0);
    }
    iov.base = fixed;
    iov.len = sizeof(fixed);
    ck_assert_int_eq(cio_driver_register_buffers(drv, &iov, 1), 0);
    lfd = listener(&sin);
    ck_assert_int_eq(cio_driver_attach(drv, lfd), 0);

    cio_op_accept_multishot(&acc, lfd, 0);
    cio_test_push(drv, &acc, 1);
    cio_op_recv_multishot(&rcv, sv[0], pool, 0);
    cio_test_push(drv, &rcv, 2);
    /* A plain op on a registered file, waiting too. */
    cio_op_recv(&rd, 1, plain, sizeof(plain), 0);
    rd.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &rd, 3);
    /* Buffers held by us and data and connections never polled. */
    ck_assert_int_eq(send(sv[1], "held", 4, 0), 4);
    for (int i = 0; i < 3; i++) {
        cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(cli[i], (struct sockaddr *)&sin, sizeof(sin)),
                         0);
    }
    /*
     * Take one completion (a buffer we keep, or a connection, which is
     * ours to close), leave the others undelivered.
     */
    if (poll_some(drv, e, 1, 200) == 1 && e[0].op == &acc && e[0].result >= 0)
        close(e[0].result);
    ck_assert_int_eq(send(sv[1], "more", 4, 0), 4);
    ck_assert_uint_eq(cio_driver_inflight(drv), 3);
    /*
     * Close with everything in flight: accepted descriptors nobody saw
     * are closed, the pool and the tables go; ASan sees no leak and the
     * descriptor count is back where it was.
     */
    cio_driver_close(drv);
    for (int i = 0; i < 3; i++)
        close(cli[i]);
    close(lfd);
    close(sv[0]);
    close(sv[1]);
    END();
}
END_TEST

/* ---- main ---- */

#ifdef CIO_SUITE_EMBEDDED
static Suite *beyond_suite(void);

/* compio-conformance: the suite without this program's main. */
Suite *
cio_suite_beyond(const char *be)
{
    backend = be;
    return beyond_suite();
}
#endif

static Suite *
beyond_suite(void)
{
    Suite *s = suite_create("beyond");
    TCase *tc = tcase_create(cio_suite_name(backend));
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, t_features);
    tcase_add_test(tc, t_multishot_accept_1000);
    tcase_add_test(tc, t_multishot_recv_pool);
    tcase_add_test(tc, t_recv_pool_single);
    tcase_add_test(tc, t_bad_opflags);
    tcase_add_test(tc, t_fixed_files);
    tcase_add_test(tc, t_fixed_buffers);
    tcase_add_test(tc, t_send_zc_64m);
    tcase_add_test(tc, t_cancel_multishot);
    tcase_add_test(tc, t_close_with_multishot_in_flight);
    suite_add_tcase(s, tc);
    return s;
}

#ifndef CIO_SUITE_EMBEDDED
int
main(int argc, char **argv)
{
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    int r;
    if (argc > 1)
        backend = argv[1];
    /* A backend that cannot run here is a SKIP, as in the conformance suite. */
    if (cio_config_new(&cfg) < 0 ||
        cio_config_set(cfg, "runtime", "backend", backend) < 0 ||
        cio_config_set(cfg, "runtime", "fallback", "no") < 0) {
        fprintf(stderr, "cannot build a config for '%s'\n", backend);
        return EXIT_FAILURE;
    }
    r = cio_backend_scan(cfg, &list);
    cio_config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "cio_backend_scan: %s\n", cio_strerror(r));
        return EXIT_FAILURE;
    }
    if (list->chosen == NULL || strcmp(list->chosen, backend) != 0) {
        int st = list->chosen_status;
        /*
         * As in the conformance suite: a module that is there but
         * broken fails the run; only a missing module or a failed probe
         * (no such kernel feature here) is a SKIP.
         */
        if (st == CIO_ELIBBAD || st == CIO_ENOEXEC || st == CIO_EBADMSG ||
            st == CIO_EPROTONOSUPPORT || st == CIO_EPROTO ||
            st == CIO_EMSGSIZE || st == CIO_E2BIG || st == CIO_ENXIO ||
            st == CIO_EFAULT) {
            fprintf(stderr, "backend %s is broken: %s\n", backend,
                    cio_errname(st));
            cio_backend_list_free(list);
            return EXIT_FAILURE;
        }
        cio_backend_list_free(list);
        cio_test_skip_all("backend %s unavailable: %s", backend,
                          cio_errname(st));
    }
    cio_backend_list_free(list);
    return cio_test_run(beyond_suite());
}
#endif /* !CIO_SUITE_EMBEDDED */
