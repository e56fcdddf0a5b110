/* SPDX-License-Identifier: MIT */
/*
 * check_faulty.c - the fault-injecting wrapper module (modules/faulty)
 * on the driver facade: one test per kind of fault, each proving from
 * the module's own counters (its "stats" file) that the fault was
 * injected, so that none can pass vacuously, and asserting what the
 * facade promises under it: exactly one completion per op, the right
 * result, the caller's op left as it was, no descriptor leaked, correct
 * data. Then the loader's error paths for a wrapper: inner unset,
 * missing, itself, failing its probe, and a bad fault setting.
 *
 * One source, one program per inner backend (FAULTY_INNER); a program
 * whose inner backend cannot run here skips (exit 77).
 *
 * On Windows (inner = iocp, under wine in this tree) the same cases run
 * over tests/cio_test_win32.h: the stream socket pair is a loopback TCP
 * pair, the pipe an overlapped named pipe, the file an overlapped one,
 * and the datagram pair two connected loopback UDP sockets. Every fault
 * kind has a Windows meaning (the module injects them above the
 * backend), so no case is left out there.
 */
#ifdef _WIN32
#include "cio_test_win32.h"
#else
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <compio.h>

#include "cio_test.h"
#endif
#include "cio_test_driver.h"

#ifndef FAULTY_INNER
#define FAULTY_INNER "epoll"
#endif

/* What the loader's messages call a module file. */
#ifdef _WIN32
#define DSO ".dll"
#else
#define DSO ".so"
#endif

/*
 * A connected datagram pair: AF_UNIX on POSIX, two loopback UDP
 * sockets connected to each other on Windows (no socketpair there).
 */
static int
dgram_pair(int sv[2])
{
#ifdef _WIN32
    struct sockaddr_in a[2];
    int len = sizeof(a[0]);
    SOCKET s[2] = {INVALID_SOCKET, INVALID_SOCKET};

    for (int i = 0; i < 2; i++) {
        s[i] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        memset(&a[i], 0, sizeof(a[i]));
        a[i].sin_family = AF_INET;
        a[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(a[i]);
        if (s[i] == INVALID_SOCKET ||
            bind(s[i], (struct sockaddr *)&a[i], sizeof(a[i])) != 0 ||
            getsockname(s[i], (struct sockaddr *)&a[i], &len) != 0)
            goto fail;
    }
    if (connect(s[0], (struct sockaddr *)&a[1], sizeof(a[1])) != 0 ||
        connect(s[1], (struct sockaddr *)&a[0], sizeof(a[0])) != 0)
        goto fail;
    sv[0] = (int)(intptr_t)s[0];
    sv[1] = (int)(intptr_t)s[1];
    return 0;
fail:
    for (int i = 0; i < 2; i++)
        if (s[i] != INVALID_SOCKET)
            closesocket(s[i]);
    return -1;
#else
    return socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv);
#endif
}

static char tmpdir[256];
static char stats[320];

/* A config for faulty around FAULTY_INNER with @kv ("key=value;..."). */
static cio_config *
make_config(const char *kv)
{
    cio_config *cfg = NULL;
    char buf[512], *save = NULL, *item;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", "faulty"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    ck_assert_int_eq(
        cio_config_set(cfg, "module.faulty", "inner", FAULTY_INNER), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "seed", "7"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "stats", stats), 0);
    snprintf(buf, sizeof(buf), "%s", kv);
    for (item = strtok_r(buf, ";", &save); item != NULL;
         item = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(item, '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        ck_assert_int_eq(cio_config_set(cfg, "module.faulty", item, eq + 1), 0);
    }
    return cfg;
}

static cio_driver *
open_faulty(const char *kv)
{
    cio_config *cfg = make_config(kv);
    cio_driver *drv = NULL;
    int r;

    unlink(stats);
    r = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    ck_assert_msg(r == 0, "open faulty(%s): %s: %s", FAULTY_INNER,
                  cio_errname(r), cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "faulty");
    return drv;
}

/* Close @drv and return counter @key of its stats line. */
static long long
close_stat(cio_driver *drv, const char *key)
{
    char line[1024], pat[64], *p;
    long long v = -1, viol = -1, left = -1;
    FILE *fp;

    cio_driver_close(drv);
    fp = fopen(stats, "r");
    ck_assert_msg(fp != NULL, "no stats file %s", stats);
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
    fclose(fp);
    snprintf(pat, sizeof(pat), " %s=", key);
    p = strstr(line, pat);
    ck_assert_msg(p != NULL, "no %s in: %s", key, line);
    v = strtoll(p + strlen(pat), NULL, 10);
    p = strstr(line, " violations=");
    viol = strtoll(p + 12, NULL, 10);
    p = strstr(line, " held_left=");
    left = strtoll(p + 11, NULL, 10);
    /* Whatever the test: no completion for an op it did not hold. */
    ck_assert_msg(viol == 0, "violations: %s", line);
    ck_assert_msg(left == 0, "completions left held: %s", line);
    return v;
}

static int fds_before;
#define BEGIN() (fds_before = cio_test_count_fds())
#define END() ck_assert_int_eq(cio_test_count_fds(), fds_before)

/* Reap one completion, which must be @op's. */
static int32_t
reap_one(cio_driver *drv, cio_op *op)
{
    cio_entry e;
    cio_test_reap(drv, &e, 1, 10000);
    ck_assert_ptr_eq(e.op, op);
    ck_assert_int_eq(e.result, op->result);
    return e.result;
}

/* Nothing more may complete: a second completion would show here. */
static void
expect_none(cio_driver *drv)
{
    cio_entry e;
    ck_assert_int_eq(cio_driver_poll(drv, 20, &e, 1), 0);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
}

/*
 * An error fault completes the first data op with @err and does
 * nothing: the bytes in the pipe are all there for the second read.
 */
static void
error_fault(const char *kind, int32_t err, int sock)
{
    char cfg[64], buf[64] = {0};
    cio_driver *drv;
    cio_op op;
    int sv[2];

    BEGIN();
    snprintf(cfg, sizeof(cfg), "%s=#1", kind);
    drv = open_faulty(cfg);
    if (sock)
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                         0);
    else
        ck_assert_int_eq(pipe2(sv, O_CLOEXEC), 0);
    ck_assert_int_eq(write(sv[1], "hello", 5), 5);
    if (sock)
        cio_op_recv(&op, sv[0], buf, sizeof(buf), 0);
    else
        cio_op_read(&op, sv[0], buf, sizeof(buf));
    cio_test_push(drv, &op, 1);
    ck_assert_int_eq(reap_one(drv, &op), err);
    ck_assert_uint_eq(op.a.rw.len, sizeof(buf));
    /* Nothing was consumed: the retry gets every byte. */
    if (sock)
        cio_op_recv(&op, sv[0], buf, sizeof(buf), 0);
    else
        cio_op_read(&op, sv[0], buf, sizeof(buf));
    cio_test_push(drv, &op, 2);
    ck_assert_int_eq(reap_one(drv, &op), 5);
    ck_assert_mem_eq(buf, "hello", 5);
    expect_none(drv);
    ck_assert_int_eq(close_stat(drv, kind), 1);
    close(sv[0]);
    close(sv[1]);
    END();
}

START_TEST(t_eintr)
{
    error_fault("eintr", CIO_EINTR, 0);
}
END_TEST

START_TEST(t_eagain)
{
    error_fault("eagain", CIO_EAGAIN, 0);
}
END_TEST

START_TEST(t_econnreset)
{
    error_fault("econnreset", CIO_ECONNRESET, 1);
}
END_TEST

START_TEST(t_ecanceled)
{
    error_fault("ecanceled", CIO_ECANCELED, 0);
}
END_TEST

/* A reset is only for stream sockets: a pipe read never gets one. */
START_TEST(t_econnreset_not_pipe)
{
    char buf[8];
    cio_driver *drv;
    cio_op op;
    int p[2];

    BEGIN();
    drv = open_faulty("econnreset=%1");
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(write(p[1], "abc", 3), 3);
    cio_op_read(&op, p[0], buf, sizeof(buf));
    cio_test_push(drv, &op, 1);
    ck_assert_int_eq(reap_one(drv, &op), 3);
    ck_assert_int_eq(close_stat(drv, "econnreset"), 0);
    close(p[0]);
    close(p[1]);
    END();
}
END_TEST

/* submit() refuses: the core completes the op with -ENOMEM, once. */
START_TEST(t_enomem)
{
    char buf[8];
    cio_driver *drv;
    cio_op op;
    int p[2];

    BEGIN();
    drv = open_faulty("enomem=#1");
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(write(p[1], "abc", 3), 3);
    cio_op_read(&op, p[0], buf, sizeof(buf));
    op.user_data = 1;
    /* The push may report it or deliver it as a completion. */
    if (cio_driver_push(drv, &op) == 0)
        ck_assert_int_eq(reap_one(drv, &op), CIO_ENOMEM);
    cio_op_read(&op, p[0], buf, sizeof(buf));
    cio_test_push(drv, &op, 2);
    ck_assert_int_eq(reap_one(drv, &op), 3);
    expect_none(drv);
    ck_assert_int_eq(close_stat(drv, "enomem"), 1);
    close(p[0]);
    close(p[1]);
    END();
}
END_TEST

/*
 * Short IO: every eligible op moves fewer bytes than asked, the bytes
 * it moved are the right ones, and the caller's length is intact. A
 * loop like write_all gets everything across.
 */
START_TEST(t_short_rw)
{
    unsigned char out[4096], in[4096];
    size_t put = 0, got = 0;
    cio_driver *drv;
    cio_op op;
    int sv[2], shorts = 0;

    BEGIN();
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (unsigned char)(i * 7 + 3);
    drv = open_faulty("short=%1");
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    while (put < sizeof(out)) {
        int32_t r;
        cio_op_write(&op, sv[1], out + put, (uint32_t)(sizeof(out) - put));
        cio_test_push(drv, &op, 1);
        r = reap_one(drv, &op);
        ck_assert_int_gt(r, 0);
        ck_assert_uint_eq(op.a.rw.len, sizeof(out) - put);
        if ((size_t)r < sizeof(out) - put)
            shorts++;
        else
            ck_assert_uint_eq(sizeof(out) - put, 1); /* len 1: not cut. */
        put += (size_t)r;
    }
    while (got < sizeof(in)) {
        int32_t r;
        cio_op_recv(&op, sv[0], in + got, (uint32_t)(sizeof(in) - got), 0);
        cio_test_push(drv, &op, 2);
        r = reap_one(drv, &op);
        ck_assert_int_gt(r, 0);
        got += (size_t)r;
    }
    ck_assert_mem_eq(in, out, sizeof(out));
    ck_assert_int_gt(shorts, 0);
    expect_none(drv);
    ck_assert_int_gt(close_stat(drv, "short"), 1);
    close(sv[0]);
    close(sv[1]);
    END();
}
END_TEST

/* A vector op keeps a prefix of its buffers; iovcnt is given back. */
START_TEST(t_short_vec)
{
    char a[4] = "abcd", b[4] = "efgh", c[4] = "ijkl", in[16] = {0};
    cio_iovec iov[3] = {{a, 4}, {b, 4}, {c, 4}};
    cio_driver *drv;
    cio_op op;
    int32_t r;
    int p[2];

    BEGIN();
    drv = open_faulty("short=%1");
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    cio_op_vec(&op, CIO_OP_WRITEV, p[1], iov, 3, 0);
    cio_test_push(drv, &op, 1);
    r = reap_one(drv, &op);
    ck_assert_msg(r == 4 || r == 8, "writev moved %d", (int)r);
    ck_assert_uint_eq(op.a.vec.iovcnt, 3);
    ck_assert_int_eq(read(p[0], in, sizeof(in)), r);
    ck_assert_mem_eq(in, "abcdefgh", (size_t)r);
    ck_assert_int_eq(close_stat(drv, "short"), 1);
    close(p[0]);
    close(p[1]);
    END();
}
END_TEST

/* A datagram is never cut: that would lose its tail. */
START_TEST(t_short_not_dgram)
{
    char out[100], in[128];
    cio_driver *drv;
    cio_op op;
    int sv[2];

    BEGIN();
    memset(out, 'x', sizeof(out));
    drv = open_faulty("short=%1");
    ck_assert_int_eq(dgram_pair(sv), 0);
    cio_op_send(&op, sv[1], out, sizeof(out), 0);
    cio_test_push(drv, &op, 1);
    ck_assert_int_eq(reap_one(drv, &op), (int)sizeof(out));
    cio_op_recv(&op, sv[0], in, sizeof(in), 0);
    cio_test_push(drv, &op, 2);
    ck_assert_int_eq(reap_one(drv, &op), (int)sizeof(out));
    ck_assert_int_eq(close_stat(drv, "short"), 0);
    close(sv[0]);
    close(sv[1]);
    END();
}
END_TEST

/*
 * A regular file, READ at the file position: uring reads it natively (a
 * short read really runs), epoll takes the op and hands it to the pool
 * (host->pool_submit), which completes it past the wrapper: the
 * wrapper must undo the shortening first, so that read is whole.
 */
START_TEST(t_short_file)
{
    char path[300], out[1000], in[1000];
    long long pooled;
    cio_driver *drv;
    cio_op op;
    int32_t r;
    int fd;

    BEGIN();
    snprintf(path, sizeof(path), "%s/file", tmpdir);
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (char)('a' + i % 26);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, out, sizeof(out)), (int)sizeof(out));
    drv = open_faulty("short=%1");
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    cio_op_read(&op, fd, in, sizeof(in));
    cio_test_push(drv, &op, 1);
    r = reap_one(drv, &op);
    ck_assert_int_gt(r, 0);
    ck_assert_int_le(r, (int)sizeof(in));
    ck_assert_uint_eq(op.a.rw.len, sizeof(in));
    ck_assert_mem_eq(in, out, (size_t)r);
    cio_driver_close(drv);
    {
        /* Re-open to read the counters of that one driver. */
        FILE *fp = fopen(stats, "r");
        char line[1024], *p;
        ck_assert_ptr_nonnull(fp);
        ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
        fclose(fp);
        p = strstr(line, " pooled=");
        pooled = strtoll(p + 8, NULL, 10);
        ck_assert_ptr_nonnull(strstr(line, " violations=0"));
        if (pooled > 0)
            ck_assert_int_eq(r, (int)sizeof(in)); /* The pool read it all. */
        else
            ck_assert_int_lt(r, (int)sizeof(in)); /* Native and cut. */
    }
    close(fd);
    unlink(path);
    END();
}
END_TEST

/*
 * Delays: every completion is held to a later wait and the held ones
 * come out in random order, yet each op completes exactly once.
 */
START_TEST(t_delay_reorder)
{
    enum { N = 16 };
    int pipes[N][2], seen[N] = {0}, inorder = 1, got = 0;
    char bufs[N][4];
    cio_op ops[N];
    cio_entry e[N];
    cio_driver *drv;

    BEGIN();
    drv = open_faulty("delay=%1");
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(pipe2(pipes[i], O_CLOEXEC), 0);
        ck_assert_int_eq(write(pipes[i][1], "z", 1), 1);
        cio_op_read(&ops[i], pipes[i][0], bufs[i], sizeof(bufs[i]));
        cio_test_push(drv, &ops[i], (uint64_t)i);
    }
    while (got < N) {
        int n = cio_driver_poll(drv, 10000, e, N);
        ck_assert_int_gt(n, 0);
        for (int k = 0; k < n; k++) {
            int i = (int)e[k].user_data;
            ck_assert_int_eq(e[k].result, 1);
            ck_assert_int_eq(seen[i]++, 0);
            if (i != got + k)
                inorder = 0;
        }
        got += n;
    }
    ck_assert_int_eq(inorder, 0);
    expect_none(drv);
    ck_assert_int_ge(close_stat(drv, "delay"), N);
    for (int i = 0; i < N; i++) {
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
    END();
}
END_TEST

/* Cancelling an op whose completion is held: it still arrives, once. */
START_TEST(t_cancel_held)
{
    char buf[4];
    cio_driver *drv;
    cio_op op;
    int p[2], r;

    BEGIN();
    drv = open_faulty("delay=%1");
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(write(p[1], "q", 1), 1);
    cio_op_read(&op, p[0], buf, sizeof(buf));
    cio_test_push(drv, &op, 1);
    /*
     * epoll completed the read inside submit and the wrapper holds it;
     * uring has not even started it. Either way the cancel is asked
     * before any wait.
     */
    r = cio_driver_cancel(drv, &op);
    ck_assert_msg(r == 0 || r == CIO_EALREADY, "cancel: %s", cio_errname(r));
    r = reap_one(drv, &op);
    ck_assert_msg(r == 1 || r == CIO_ECANCELED, "result %d", r);
    expect_none(drv);
    ck_assert_int_ge(close_stat(drv, "delay"), 1);
    close(p[0]);
    close(p[1]);
    END();
}
END_TEST

/*
 * An op failed by the wrapper itself (never seen by the inner module),
 * its completion held: a cancel must not reach the inner module, and
 * the op completes once with the injected error.
 */
START_TEST(t_cancel_injected)
{
    char buf[4];
    cio_driver *drv;
    cio_op op;
    int p[2];

    BEGIN();
    drv = open_faulty("eintr=#1;delay=%1");
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    cio_op_read(&op, p[0], buf, sizeof(buf));
    cio_test_push(drv, &op, 1);
    ck_assert_int_eq(cio_driver_cancel(drv, &op), 0);
    ck_assert_int_eq(reap_one(drv, &op), CIO_EINTR);
    expect_none(drv);
    ck_assert_int_eq(close_stat(drv, "eintr"), 1);
    close(p[0]);
    close(p[1]);
    END();
}
END_TEST

/* Close with completions held: they are drained, nothing leaks. */
START_TEST(t_close_held)
{
    char buf[8][4];
    int p[8][2];
    cio_op ops[8];
    cio_driver *drv;

    BEGIN();
    drv = open_faulty("delay=%1");
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(pipe2(p[i], O_CLOEXEC), 0);
        ck_assert_int_eq(write(p[i][1], "w", 1), 1);
        cio_op_read(&ops[i], p[i][0], buf[i], sizeof(buf[i]));
        cio_test_push(drv, &ops[i], (uint64_t)i);
    }
    ck_assert_int_ge(close_stat(drv, "delay"), 8);
    for (int i = 0; i < 8; i++) {
        close(p[i][0]);
        close(p[i][1]);
    }
    END();
}
END_TEST

static void *
notify_soon(void *arg)
{
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(cio_driver_notify(arg), 0);
    return NULL;
}

/*
 * A late notify still wakes: a poll that would block forever returns
 * (late), both for a notify before the poll and one from another thread
 * during it.
 */
START_TEST(t_late_notify)
{
    cio_driver *drv;
    cio_entry e;
    pthread_t th;

    BEGIN();
    drv = open_faulty("late_notify=%1;late_notify_us=30000");
    ck_assert_int_eq(cio_driver_notify(drv), 0);
    ck_assert_int_eq(cio_driver_poll(drv, -1, &e, 1), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, notify_soon, drv), 0);
    ck_assert_int_eq(cio_driver_poll(drv, -1, &e, 1), 0);
    pthread_join(th, NULL);
    ck_assert_int_ge(close_stat(drv, "late_notify"), 2);
    END();
}
END_TEST

/*
 * Everything at once on one stream, over many ops: bytes arrive intact
 * and in order when the writer and reader loop over short counts and
 * retry EINTR/EAGAIN, and each op completes exactly once.
 */
START_TEST(t_mixed_stream)
{
    enum { LEN = 256 * 1024 };
    unsigned char *out = malloc(LEN), *in = malloc(LEN);
    size_t put = 0, got = 0;
    cio_op wop, rop;
    int sv[2], wbusy = 0, rbusy = 0;
    cio_driver *drv;

    BEGIN();
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(in);
    for (size_t i = 0; i < LEN; i++)
        out[i] = (unsigned char)(i ^ (i >> 8));
    drv = open_faulty("short=0.5;eintr=0.1;eagain=0.1;delay=0.3;"
                      "late_notify=0.5;late_notify_us=1000");
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    while (got < LEN) {
        cio_entry e[2];
        int n;
        if (!wbusy && put < LEN) {
            uint32_t len = LEN - put > 65536 ? 65536 : (uint32_t)(LEN - put);
            cio_op_send(&wop, sv[1], out + put, len, 0);
            cio_test_push(drv, &wop, 1);
            wbusy = 1;
        }
        if (!rbusy) {
            cio_op_recv(&rop, sv[0], in + got, (uint32_t)(LEN - got), 0);
            cio_test_push(drv, &rop, 2);
            rbusy = 1;
        }
        n = cio_driver_poll(drv, 10000, e, 2);
        ck_assert_int_gt(n, 0);
        for (int k = 0; k < n; k++) {
            int32_t r = e[k].result;
            if (r == CIO_EINTR || r == CIO_EAGAIN)
                r = 0; /* Nothing happened: go again. */
            ck_assert_msg(r >= 0, "op %llu: %s",
                          (unsigned long long)e[k].user_data, cio_errname(r));
            if (e[k].user_data == 1) {
                ck_assert_int_eq(wbusy, 1);
                wbusy = 0;
                put += (size_t)r;
            } else {
                ck_assert_int_eq(rbusy, 1);
                rbusy = 0;
                got += (size_t)r;
            }
        }
    }
    ck_assert_mem_eq(in, out, LEN);
    if (wbusy) {
        cio_entry e;
        cio_test_reap(drv, &e, 1, 10000);
    }
    expect_none(drv);
    ck_assert_int_gt(close_stat(drv, "short"), 0);
    close(sv[0]);
    close(sv[1]);
    free(out);
    free(in);
    END();
}
END_TEST

/* ---- the loader's error paths for a wrapper ---- */

static int
open_err(const char *inner, const char *kv, const char *want)
{
    cio_config *cfg = NULL;
    cio_driver *drv = NULL;
    int r;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", "faulty"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    if (inner != NULL)
        ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "inner", inner),
                         0);
    if (kv != NULL) {
        char buf[128];
        char *eq;
        snprintf(buf, sizeof(buf), "%s", kv);
        eq = strchr(buf, '=');
        *eq = '\0';
        ck_assert_int_eq(cio_config_set(cfg, "module.faulty", buf, eq + 1), 0);
    }
    r = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    ck_assert_msg(r < 0, "faulty opened with inner = %s", inner);
    ck_assert_ptr_null(drv);
    ck_assert_msg(strstr(cio_error_detail(), want) != NULL,
                  "detail lacks '%s': %s", want, cio_error_detail());
    return r;
}

START_TEST(t_inner_unset)
{
    BEGIN();
    ck_assert_int_eq(open_err(NULL, NULL, "inner is not set"), CIO_EINVAL);
    END();
}
END_TEST

START_TEST(t_inner_missing)
{
    BEGIN();
    ck_assert_int_eq(open_err("nosuch", NULL, "cio_nosuch" DSO " not found"),
                     CIO_ENOENT);
    END();
}
END_TEST

START_TEST(t_inner_self)
{
    BEGIN();
    ck_assert_int_eq(open_err("faulty", NULL, "cannot wrap itself"), CIO_ELOOP);
    END();
}
END_TEST

/* faulty around faulty by path: the same module, the same answer. */
START_TEST(t_inner_self_path)
{
    char path[512];
    cio_test_buildpath(path, sizeof(path),
                       "../modules/faulty/.libs/cio_faulty" DSO);
    BEGIN();
    ck_assert_int_eq(open_err(path, NULL, "cannot wrap itself"), CIO_ELOOP);
    END();
}
END_TEST

/*
 * a wraps b wraps a: faulty's inner module is the relay fixture, whose
 * inner module is faulty again. Each probe loads the next module, so
 * the loader must stop the chain at its nesting limit with CIO_ELOOP,
 * close every level it opened (no fd, no mapping left: ASan and the fd
 * count see it), and leave the loader usable: the next open works.
 */
START_TEST(t_inner_cycle)
{
    char path[512];
    cio_config *cfg = NULL;
    cio_driver *drv = NULL;
    int r;

    cio_test_buildpath(path, sizeof(path),
                       "loader/fixtures/.libs/cio_relay" DSO);
    if (access(path, R_OK) != 0) {
        printf("# %s not built: not run\n", path);
        return;
    }
    BEGIN();
    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", "faulty"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "inner", path), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.relay", "inner", "faulty"),
                     0);
    r = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    ck_assert_int_eq(r, CIO_ELOOP);
    ck_assert_ptr_null(drv);
    ck_assert_msg(strstr(cio_error_detail(), "nest deeper than") != NULL,
                  "detail: %s", cio_error_detail());
    /* Every level was unwound: the loader opens a wrapper again. */
    drv = open_faulty("");
    cio_driver_close(drv);
    unlink(stats);
    END();
}
END_TEST

START_TEST(t_inner_probe_fails)
{
    char path[512];
    cio_test_buildpath(path, sizeof(path),
                       "loader/fixtures/.libs/cio_probefail" DSO);
    if (access(path, R_OK) != 0) {
        printf("# %s not built: not run\n", path);
        return;
    }
    BEGIN();
    ck_assert_int_eq(open_err(path, NULL, "the fixture always refuses"),
                     CIO_ENOSYS);
    END();
}
END_TEST

START_TEST(t_inner_relative)
{
    BEGIN();
    ck_assert_int_eq(open_err("mods/cio_epoll" DSO, NULL, "neither a module"),
                     CIO_EINVAL);
    END();
}
END_TEST

START_TEST(t_bad_rate)
{
    BEGIN();
    ck_assert_int_eq(open_err(FAULTY_INNER, "short=2", "short = 2"),
                     CIO_EINVAL);
    ck_assert_int_eq(open_err(FAULTY_INNER, "delay=#0", "delay = #0"),
                     CIO_EINVAL);
    ck_assert_int_eq(open_err(FAULTY_INNER, "seed=x", "seed = x"), CIO_EINVAL);
    END();
}
END_TEST

/* A scan shows faulty usable, with the inner module named. */
START_TEST(t_scan)
{
    cio_backend_list *list = NULL;
    cio_config *cfg = make_config("");
    ck_assert_int_eq(cio_backend_scan(cfg, &list), 0);
    cio_config_free(cfg);
    ck_assert_str_eq(list->chosen, "faulty");
    ck_assert_ptr_nonnull(strstr(list->chosen_why, "wrapping " FAULTY_INNER));
    cio_backend_list_free(list);
}
END_TEST

static Suite *
faulty_suite(void)
{
    Suite *s = suite_create("faulty/" FAULTY_INNER);
    TCase *tc = tcase_create("faults");

    tcase_add_test(tc, t_eintr);
    tcase_add_test(tc, t_eagain);
    tcase_add_test(tc, t_econnreset);
    tcase_add_test(tc, t_ecanceled);
    tcase_add_test(tc, t_econnreset_not_pipe);
    tcase_add_test(tc, t_enomem);
    tcase_add_test(tc, t_short_rw);
    tcase_add_test(tc, t_short_vec);
    tcase_add_test(tc, t_short_not_dgram);
    tcase_add_test(tc, t_short_file);
    tcase_add_test(tc, t_delay_reorder);
    tcase_add_test(tc, t_cancel_held);
    tcase_add_test(tc, t_cancel_injected);
    tcase_add_test(tc, t_close_held);
    tcase_add_test(tc, t_late_notify);
    tcase_add_test(tc, t_mixed_stream);
    suite_add_tcase(s, tc);
    tc = tcase_create("loader");
    tcase_add_test(tc, t_inner_unset);
    tcase_add_test(tc, t_inner_missing);
    tcase_add_test(tc, t_inner_self);
    tcase_add_test(tc, t_inner_self_path);
    tcase_add_test(tc, t_inner_cycle);
    tcase_add_test(tc, t_inner_probe_fails);
    tcase_add_test(tc, t_inner_relative);
    tcase_add_test(tc, t_bad_rate);
    tcase_add_test(tc, t_scan);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    int r;

    if (cio_test_mkdtemp(tmpdir, sizeof(tmpdir)) == NULL) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    snprintf(stats, sizeof(stats), "%s/stats", tmpdir);
    /* Skip when the inner backend itself cannot run here. */
    if (cio_config_new(&cfg) < 0 ||
        cio_config_set(cfg, "runtime", "backend", FAULTY_INNER) < 0 ||
        cio_config_set(cfg, "runtime", "fallback", "no") < 0 ||
        cio_backend_scan(cfg, &list) < 0) {
        fprintf(stderr, "cannot scan for %s\n", FAULTY_INNER);
        return EXIT_FAILURE;
    }
    cio_config_free(cfg);
    if (list->chosen == NULL || strcmp(list->chosen, FAULTY_INNER) != 0) {
        cio_backend_list_free(list);
        rmdir(tmpdir);
        cio_test_skip_all("inner backend %s unavailable", FAULTY_INNER);
    }
    cio_backend_list_free(list);
    r = cio_test_run(faulty_suite());
    unlink(stats);
    rmdir(tmpdir);
    return r;
}
