/* SPDX-License-Identifier: MIT */
/*
 * check_op_table.c - the op vtable: every opcode has a name and a
 * blocking implementation, the non-blocking attempts say EAGAIN when
 * they would block and do the work when they can, and the blocking
 * forms do real work against pipes, sockets and a temporary directory.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <ctype.h>
#include <errno.h>
#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>

#include <fcntl.h>
#include <stdio.h>

#include "compio/fs.h"
#else
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#endif
#include <time.h>

#include "cio_internal.h"
#include "cio_test.h"

static int32_t
attempt(cio_op *op)
{
    const cio_op_desc *d = cio__op_desc(op->opcode);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(d->attempt);
    return d->attempt(op);
}

static int32_t
blocking(cio_op *op)
{
    const cio_op_desc *d = cio__op_desc(op->opcode);
    ck_assert_ptr_nonnull(d);
    return d->blocking(op);
}

START_TEST(every_opcode_described)
{
    unsigned i, j;
    for (i = 0; i < CIO_OP__COUNT; i++) {
        const cio_op_desc *d = cio__op_desc(i);
        const char *c;
        ck_assert_ptr_nonnull(d);
        ck_assert_ptr_nonnull(d->name);
        ck_assert_ptr_nonnull(d->blocking);
        ck_assert_str_eq(cio_opcode_name(i), d->name);
        ck_assert(d->wait == CIO_WAIT_NONE || d->wait == CIO_WAIT_READ ||
                  d->wait == CIO_WAIT_WRITE);
        /* A readiness wait makes sense only with an attempt to retry. */
        if (d->wait != CIO_WAIT_NONE)
            ck_assert_ptr_nonnull(d->attempt);
        for (c = d->name; *c; c++)
            ck_assert(islower((unsigned char)*c) || *c == '_');
        for (j = 0; j < i; j++)
            ck_assert_str_ne(cio__op_desc(j)->name, d->name);
    }
    ck_assert_ptr_null(cio__op_desc(CIO_OP__COUNT));
    ck_assert_ptr_null(cio__op_desc(1000));
    ck_assert_str_eq(cio_opcode_name(CIO_OP__COUNT), "unknown");
    ck_assert_str_eq(cio_opcode_name(~0u), "unknown");
}
END_TEST

START_TEST(names_and_kinds)
{
    ck_assert_str_eq(cio_opcode_name(CIO_OP_NOP), "nop");
    ck_assert_str_eq(cio_opcode_name(CIO_OP_READ_AT), "read_at");
    ck_assert_str_eq(cio_opcode_name(CIO_OP_WRITEV_AT), "writev_at");
    ck_assert_str_eq(cio_opcode_name(CIO_OP_POLL_ADD), "poll_add");
    ck_assert_str_eq(cio_opcode_name(CIO_OP_ASYNC_CANCEL), "async_cancel");
    ck_assert_str_eq(cio_opcode_name(CIO_OP_BLOCKING), "blocking");
    ck_assert_str_eq(cio_opcode_name(CIO_OP_SEND_ZC), "send_zc");
#ifdef _WIN32
    /* No readiness backend on Windows: no attempts, no readiness waits. */
    for (unsigned i = 1; i < CIO_OP__COUNT; i++) {
        ck_assert_ptr_null(cio__op_desc(i)->attempt);
        ck_assert_int_eq(cio__op_desc(i)->wait, CIO_WAIT_NONE);
    }
#else
    /* File ops have no non-blocking form: they go to the pool. */
    ck_assert_ptr_null(cio__op_desc(CIO_OP_READ_AT)->attempt);
    ck_assert_ptr_null(cio__op_desc(CIO_OP_FSYNC)->attempt);
    ck_assert_ptr_null(cio__op_desc(CIO_OP_OPENAT)->attempt);
    ck_assert_ptr_null(cio__op_desc(CIO_OP_STATX)->attempt);
    ck_assert_int_eq(cio__op_desc(CIO_OP_RECV)->wait, CIO_WAIT_READ);
    ck_assert_int_eq(cio__op_desc(CIO_OP_SEND)->wait, CIO_WAIT_WRITE);
    ck_assert_int_eq(cio__op_desc(CIO_OP_ACCEPT)->wait, CIO_WAIT_READ);
    ck_assert_int_eq(cio__op_desc(CIO_OP_CONNECT)->wait, CIO_WAIT_WRITE);
    ck_assert_int_eq(cio__op_desc(CIO_OP_READ)->wait, CIO_WAIT_READ);
    ck_assert_int_eq(cio__op_desc(CIO_OP_WRITEV)->wait, CIO_WAIT_WRITE);
#endif
}
END_TEST

START_TEST(trivial_ops)
{
    cio_op op;
    cio_op_nop(&op);
    ck_assert_int_eq(blocking(&op), 0);
    ck_assert_int_eq(attempt(&op), 0);
    cio_op_async_cancel(&op, &op);
    ck_assert_int_eq(blocking(&op), CIO_ENOSYS);
    cio_op_timeout(&op, 1000000);
    ck_assert_int_eq(blocking(&op), CIO_ETIME);
    /* Only what the platform has no form of is unsupported. */
    ck_assert_int_eq(cio__op_unsupported(CIO_OP_READ), 0);
    ck_assert_int_eq(cio__op_unsupported(CIO_OP_OPENAT), 0);
#ifdef __linux__
    ck_assert_int_eq(cio__op_unsupported(CIO_OP_SPLICE), 0);
#else
    ck_assert_int_ne(cio__op_unsupported(CIO_OP_SPLICE), 0);
#endif
}
END_TEST

static int64_t
ret_arg(void *arg)
{
    return *(int64_t *)arg;
}

START_TEST(blocking_clamps)
{
    static const int64_t in[] = {0,  1234,    INT32_MAX, 1LL << 40, INT64_MAX,
                                 -5, CIO_EIO, INT32_MIN, INT64_MIN};
    static const int32_t out[] = {0,  1234,    INT32_MAX, INT32_MAX, INT32_MAX,
                                  -5, CIO_EIO, INT32_MIN, CIO_ERANGE};
    size_t i;
    cio_op op;
    for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        int64_t v = in[i];
        cio_op_blocking(&op, ret_arg, &v);
        ck_assert_int_eq(blocking(&op), out[i]);
    }
    cio_op_blocking(&op, NULL, NULL);
    ck_assert_int_eq(blocking(&op), CIO_EINVAL);
}
END_TEST

#ifndef _WIN32
START_TEST(pipe_attempts)
{
    int p[2];
    char buf[64];
    cio_op op;
    cio_iovec iov[2];
    int32_t r;

    ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);

    cio_op_read(&op, p[0], buf, sizeof(buf));
    ck_assert_int_eq(attempt(&op), CIO_EAGAIN);
    cio_op_poll_add(&op, p[0], CIO_POLL_IN);
    ck_assert_int_eq(attempt(&op), CIO_EAGAIN);

    cio_op_write(&op, p[1], "hello", 5);
    ck_assert_int_eq(attempt(&op), 5);

    cio_op_poll_add(&op, p[0], CIO_POLL_IN);
    ck_assert_int_eq(attempt(&op) & CIO_POLL_IN, CIO_POLL_IN);
    cio_op_read(&op, p[0], buf, sizeof(buf));
    ck_assert_int_eq(attempt(&op), 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);

    iov[0].base = "ab";
    iov[0].len = 2;
    iov[1].base = "cde";
    iov[1].len = 3;
    cio_op_vec(&op, CIO_OP_WRITEV, p[1], iov, 2, 0);
    ck_assert_int_eq(attempt(&op), 5);
    iov[0].base = buf;
    iov[0].len = 1;
    iov[1].base = buf + 10;
    iov[1].len = 10;
    cio_op_vec(&op, CIO_OP_READV, p[0], iov, 2, 0);
    ck_assert_int_eq(attempt(&op), 5);
    ck_assert_int_eq(buf[0], 'a');
    ck_assert_int_eq(memcmp(buf + 10, "bcde", 4), 0);

    /* Fill the pipe: the write attempt reports EAGAIN, never blocks. */
    memset(buf, 'x', sizeof(buf));
    do {
        cio_op_write(&op, p[1], buf, sizeof(buf));
        r = attempt(&op);
    } while (r > 0);
    ck_assert_int_eq(r, CIO_EAGAIN);
    cio_op_poll_add(&op, p[1], CIO_POLL_OUT);
    ck_assert_int_eq(attempt(&op), CIO_EAGAIN);

    /* Readers gone: EPIPE as a result, and no SIGPIPE kills us. */
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    cio_op_write(&op, p[1], buf, 1);
    ck_assert_int_eq(attempt(&op), CIO_EPIPE);
    close(p[1]);

    cio_op_read(&op, p[0], buf, 1);
    ck_assert_int_eq(attempt(&op), CIO_EBADF);
    cio_op_poll_add(&op, p[0], CIO_POLL_IN);
    ck_assert_int_eq(attempt(&op), CIO_EBADF);
}
END_TEST

static void *
write_later(void *arg)
{
    int fd = *(int *)arg;
    struct timespec ts = {0, 30000000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(write(fd, "late", 4), 4);
    return NULL;
}

START_TEST(blocking_read_on_nonblocking_pipe)
{
    int p[2];
    char buf[16];
    cio_op op;
    pthread_t t;

    ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, write_later, &p[1]), 0);
    /* The blocking form waits out EAGAIN instead of returning it. */
    cio_op_read(&op, p[0], buf, sizeof(buf));
    ck_assert_int_eq(blocking(&op), 4);
    ck_assert_int_eq(memcmp(buf, "late", 4), 0);
    pthread_join(t, NULL);

    ck_assert_int_eq(pthread_create(&t, NULL, write_later, &p[1]), 0);
    cio_op_poll_add(&op, p[0], CIO_POLL_IN);
    ck_assert_int_eq(blocking(&op) & CIO_POLL_IN, CIO_POLL_IN);
    pthread_join(t, NULL);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(socket_attempts)
{
    int sv[2];
    char buf[32];
    cio_op op;
    struct msghdr mh;
    struct iovec iov;

    /* A blocking socketpair: MSG_DONTWAIT alone keeps attempts short. */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cio_op_recv(&op, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(attempt(&op), CIO_EAGAIN);
    cio_op_send(&op, sv[1], "ping", 4, 0);
    ck_assert_int_eq(attempt(&op), 4);
    cio_op_recv(&op, sv[0], buf, sizeof(buf), MSG_PEEK);
    ck_assert_int_eq(attempt(&op), 4);
    cio_op_recv(&op, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(attempt(&op), 4);
    ck_assert_int_eq(memcmp(buf, "ping", 4), 0);

    memset(&mh, 0, sizeof(mh));
    iov.iov_base = "pong";
    iov.iov_len = 4;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    cio_op_sendmsg(&op, sv[0], &mh, 0);
    ck_assert_int_eq(attempt(&op), 4);
    iov.iov_base = buf;
    iov.iov_len = sizeof(buf);
    cio_op_recvmsg(&op, sv[1], &mh, 0);
    ck_assert_int_eq(attempt(&op), 4);
    ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
    cio_op_recvmsg(&op, sv[1], &mh, 0);
    ck_assert_int_eq(attempt(&op), CIO_EAGAIN);

    /* Blocking forms. */
    cio_op_send(&op, sv[1], "abc", 3, 0);
    ck_assert_int_eq(blocking(&op), 3);
    cio_op_recv(&op, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(blocking(&op), 3);

    cio_op_shutdown(&op, sv[1], SHUT_WR);
    ck_assert_int_eq(attempt(&op), 0);
    cio_op_recv(&op, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(attempt(&op), 0); /* EOF */
    cio_op_shutdown(&op, sv[1], 12345);
    ck_assert_int_eq(blocking(&op), CIO_EINVAL);

    /* Peer closed: EPIPE without a SIGPIPE (MSG_NOSIGNAL is added). */
    close(sv[0]);
    cio_op_send(&op, sv[1], "x", 1, 0);
    ck_assert_int_eq(attempt(&op), CIO_EPIPE);
    close(sv[1]);
}
END_TEST

static int
fd_flags(int fd, int *fl)
{
    *fl = fcntl(fd, F_GETFL);
    return fcntl(fd, F_GETFD);
}

START_TEST(tcp_connect_accept)
{
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    uint32_t plen;
    struct sockaddr_in peer;
    int lfd, cfd, afd, fdfl, fl;
    int32_t r;
    cio_op op;
    struct pollfd p;

    cio_op_socket(&op, AF_INET, SOCK_STREAM, 0);
    lfd = blocking(&op);
    if (lfd == CIO_EAFNOSUPPORT)
        return; /* No IPv4 here; the unix test covers the logic. */
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_ne(fd_flags(lfd, &fl) & FD_CLOEXEC, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(lfd, 8), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&addr, &alen), 0);
    ck_assert_int_eq(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);

    cio_op_accept(&op, lfd, NULL, NULL, 0);
    ck_assert_int_eq(attempt(&op), CIO_EAGAIN);

    cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(cfd, 0);
    cio_op_connect(&op, cfd, (struct sockaddr *)&addr, sizeof(addr));
    r = attempt(&op);
    while (r == CIO_EAGAIN) {
        /* In progress: the op remembers it, and the retry collects. */
        ck_assert_int_eq(op.result, CIO_EINPROGRESS);
        p.fd = cfd;
        p.events = POLLOUT;
        ck_assert_int_eq(poll(&p, 1, 10000), 1);
        r = attempt(&op);
    }
    ck_assert_int_eq(r, 0);

    plen = sizeof(peer);
    cio_op_accept(&op, lfd, (struct sockaddr *)&peer, &plen, 0);
    afd = attempt(&op);
    ck_assert_int_ge(afd, 0);
    ck_assert_uint_eq(plen, sizeof(peer));
    ck_assert_int_eq(peer.sin_family, AF_INET);
    /* Attempt-accepted sockets are close-on-exec and non-blocking. */
    fdfl = fd_flags(afd, &fl);
    ck_assert_int_ne(fdfl & FD_CLOEXEC, 0);
    ck_assert_int_ne(fl & O_NONBLOCK, 0);

    /*
     * A fresh connect op on the connected socket: Linux may first
     * confirm the finished connection (0), then says EISCONN.
     */
    cio_op_connect(&op, cfd, (struct sockaddr *)&addr, sizeof(addr));
    r = attempt(&op);
    ck_assert(r == 0 || r == CIO_EISCONN);
    cio_op_connect(&op, cfd, (struct sockaddr *)&addr, sizeof(addr));
    ck_assert_int_eq(attempt(&op), CIO_EISCONN);
    close(afd);
    close(cfd);

    /* Refused: reported now or by the retry, never as success. */
    close(lfd);
    cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    cio_op_connect(&op, cfd, (struct sockaddr *)&addr, sizeof(addr));
    r = attempt(&op);
    while (r == CIO_EAGAIN) {
        p.fd = cfd;
        p.events = POLLOUT;
        ck_assert_int_eq(poll(&p, 1, 10000), 1);
        r = attempt(&op);
    }
    ck_assert_int_eq(r, CIO_ECONNREFUSED);
    close(cfd);

    /* Blocking form on a non-blocking socket, also refused. */
    cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    cio_op_connect(&op, cfd, (struct sockaddr *)&addr, sizeof(addr));
    ck_assert_int_eq(blocking(&op), CIO_ECONNREFUSED);
    close(cfd);
}
END_TEST

static void *
connect_later(void *arg)
{
    struct sockaddr_un *sun = arg;
    struct timespec ts = {0, 30000000};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    nanosleep(&ts, NULL);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)sun, sizeof(*sun)), 0);
    return (void *)(intptr_t)fd;
}

START_TEST(unix_blocking_accept)
{
    char dir[80]; /* A socket path must fit in sun_path. */
    struct sockaddr_un sun;
    int lfd, afd, fl;
    void *cfd;
    pthread_t t;
    cio_op op;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    ck_assert_int_eq(listen(lfd, 4), 0);

    /* The blocking accept waits out EAGAIN on a non-blocking listener. */
    ck_assert_int_eq(pthread_create(&t, NULL, connect_later, &sun), 0);
    cio_op_accept(&op, lfd, NULL, NULL, 0);
    afd = blocking(&op);
    ck_assert_int_ge(afd, 0);
    ck_assert_int_ne(fd_flags(afd, &fl) & FD_CLOEXEC, 0);
    /* No SOCK_NONBLOCK asked, none given. */
    ck_assert_int_eq(fl & O_NONBLOCK, 0);
    pthread_join(t, &cfd);
    close((int)(intptr_t)cfd);
    close(afd);
    close(lfd);
    unlink(sun.sun_path);
    rmdir(dir);
}
END_TEST

START_TEST(splice_attempt)
{
    int a[2], b[2];
    char buf[8];
    cio_op op;

    ck_assert_int_eq(pipe2(a, O_NONBLOCK | O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(b, O_NONBLOCK | O_CLOEXEC), 0);
    cio_op_splice(&op, a[0], -1, b[1], -1, 100, 0);
    ck_assert_int_eq(attempt(&op), CIO_EAGAIN);
    ck_assert_int_eq(write(a[1], "spl", 3), 3);
    ck_assert_int_eq(attempt(&op), 3);
    ck_assert_int_eq(read(b[0], buf, sizeof(buf)), 3);
    ck_assert_int_eq(memcmp(buf, "spl", 3), 0);
    ck_assert_int_eq(write(a[1], "ice", 3), 3);
    ck_assert_int_eq(blocking(&op), 3);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}
END_TEST

START_TEST(file_ops)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    char buf[64];
    cio_op op;
    cio_iovec iov[2];
    struct stat st;
    int dfd, fd;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    cio_op_openat(&op, CIO_AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0);
    dfd = blocking(&op);
    ck_assert_int_ge(dfd, 0);
    ck_assert_int_ne(fcntl(dfd, F_GETFD) & FD_CLOEXEC, 0);

    cio_op_openat(&op, dfd, "missing", O_RDONLY, 0);
    ck_assert_int_eq(blocking(&op), CIO_ENOENT);
    cio_op_openat(&op, dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0600);
    fd = blocking(&op);
    ck_assert_int_ge(fd, 0);
    /* Close-on-exec is added even though the caller did not ask. */
    ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    cio_op_openat(&op, dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0600);
    ck_assert_int_eq(blocking(&op), CIO_EEXIST);

    cio_op_write_at(&op, fd, "hello world", 11, 0);
    ck_assert_int_eq(blocking(&op), 11);
    cio_op_read_at(&op, fd, buf, 5, 6);
    ck_assert_int_eq(blocking(&op), 5);
    ck_assert_int_eq(memcmp(buf, "world", 5), 0);
    /* A huge length is clamped, not refused: the read gives what is. */
    {
        /*
         * On the heap: from a stack address, 2 GiB would run past the
         * end of the address space and the kernel would say EFAULT.
         */
        char *heap = malloc(16);
        cio_op_read_at(&op, fd, heap, UINT32_MAX, 0);
        /* valgrind checks all 4 GiB the call may write, not the 11 it
         * does: nothing to learn there. */
        if (!cio_test_under_valgrind())
            ck_assert_int_eq(blocking(&op), 11);
        else
            printf("# under valgrind: huge read length not checked\n");
        free(heap);
    }
    cio_op_read_at(&op, fd, buf, 5, (uint64_t)INT64_MAX + 1);
    ck_assert_int_eq(blocking(&op), CIO_EINVAL);

    iov[0].base = "AB";
    iov[0].len = 2;
    iov[1].base = "CD";
    iov[1].len = 2;
    cio_op_vec(&op, CIO_OP_WRITEV_AT, fd, iov, 2, 11);
    ck_assert_int_eq(blocking(&op), 4);
    memset(buf, 0, sizeof(buf));
    iov[0].base = buf;
    iov[0].len = 3;
    iov[1].base = buf + 3;
    iov[1].len = 20;
    cio_op_vec(&op, CIO_OP_READV_AT, fd, iov, 2, 9);
    ck_assert_int_eq(blocking(&op), 6);
    ck_assert_str_eq(buf, "ldABCD");

    cio_op_fsync(&op, fd, 0);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_fsync(&op, fd, 1);
    ck_assert_int_eq(op.opcode, CIO_OP_FDATASYNC);
    ck_assert_int_eq(blocking(&op), 0);

    cio_op_ftruncate(&op, fd, 3);
    ck_assert_int_eq(blocking(&op), 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(st.st_size, 3);
    cio_op_ftruncate(&op, fd, UINT64_MAX);
    ck_assert_int_eq(blocking(&op), CIO_EINVAL);

    cio_op_close(&op, fd);
    ck_assert_int_eq(blocking(&op), 0);
    ck_assert_int_eq(blocking(&op), CIO_EBADF);

    cio_op_mkdirat(&op, dfd, "sub", 0700);
    ck_assert_int_eq(blocking(&op), 0);
    ck_assert_int_eq(blocking(&op), CIO_EEXIST);

    cio_op_renameat(&op, dfd, "f", dfd, "sub/g", 0);
    ck_assert_int_eq(blocking(&op), 0);
    snprintf(path, sizeof(path), "%s/sub/g", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 3);
    cio_op_renameat(&op, dfd, "f", dfd, "h", 0);
    ck_assert_int_eq(blocking(&op), CIO_ENOENT);

#ifdef RENAME_NOREPLACE
    {
        /* renameat2 flags: NOREPLACE refuses an existing target. */
        int r;
        cio_op_openat(&op, dfd, "k", O_WRONLY | O_CREAT, 0600);
        fd = blocking(&op);
        ck_assert_int_ge(fd, 0);
        close(fd);
        cio_op_renameat(&op, dfd, "k", dfd, "sub/g", RENAME_NOREPLACE);
        r = blocking(&op);
        /* Some file systems lack the flag (EINVAL); never a rename. */
        ck_assert(r == CIO_EEXIST || r == CIO_EINVAL);
        cio_op_renameat(&op, dfd, "k", dfd, "k2", RENAME_NOREPLACE);
        r = blocking(&op);
        ck_assert(r == 0 || r == CIO_EINVAL);
        cio_op_unlinkat(&op, dfd, r == 0 ? "k2" : "k", 0);
        ck_assert_int_eq(blocking(&op), 0);
    }
#endif

    cio_op_unlinkat(&op, dfd, "sub", 0);
    ck_assert_int_eq(blocking(&op), CIO_EISDIR);
    cio_op_unlinkat(&op, dfd, "sub/g", 0);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_unlinkat(&op, dfd, "sub", AT_REMOVEDIR);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_unlinkat(&op, dfd, "sub", AT_REMOVEDIR);
    ck_assert_int_eq(blocking(&op), CIO_ENOENT);

    close(dfd);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(statx_op)
{
    char dir[PATH_MAX];
    cio_op op;
    int dfd, fd;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fd = openat(dfd, "s", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_eq(write(fd, "12345", 5), 5);
#ifdef HAVE_STATX
    {
        struct statx sx;
        memset(&sx, 0, sizeof(sx));
        cio_op_statx(&op, dfd, "s", 0, STATX_SIZE | STATX_MODE, &sx);
        ck_assert_int_eq(blocking(&op), 0);
        ck_assert_uint_eq(sx.stx_size, 5);
        ck_assert(S_ISREG(sx.stx_mode));
        /* An empty path with AT_EMPTY_PATH stats the fd itself. */
        memset(&sx, 0, sizeof(sx));
        cio_op_statx(&op, fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx);
        ck_assert_int_eq(blocking(&op), 0);
        ck_assert_uint_eq(sx.stx_size, 5);
        cio_op_statx(&op, dfd, "nope", 0, STATX_SIZE, &sx);
        ck_assert_int_eq(blocking(&op), CIO_ENOENT);
    }
#else
    cio_op_statx(&op, dfd, "s", 0, 0, NULL);
    ck_assert_int_eq(blocking(&op), CIO_ENOSYS);
#endif
    close(fd);
    unlinkat(dfd, "s", 0);
    close(dfd);
    rmdir(dir);
}
END_TEST

#else /* _WIN32 */

/* A new file in the temporary directory, opened for overlapped IO. */
static HANDLE
win_temp_file(wchar_t *path, size_t len, DWORD flags)
{
    wchar_t dir[MAX_PATH];
    HANDLE h;
    ck_assert_uint_gt(GetTempPathW(MAX_PATH, dir), 0);
    ck_assert_uint_ne(GetTempFileNameW(dir, L"cio", 0, path), 0);
    (void)len;
    h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                    CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL | flags, NULL);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    return h;
}

/*
 * The pool's file ops on Windows, on a handle opened both for overlapped
 * and for synchronous IO: positional and vectored transfers, a hole read
 * as zeros, end of file, truncate, flush, close, and a closed handle.
 */
static void
win_file_ops(DWORD flags)
{
    wchar_t path[MAX_PATH];
    HANDLE h = win_temp_file(path, MAX_PATH, flags);
    cio_fd fd = (cio_fd)h;
    char buf[64], a[4] = "abcd", b[3] = "xyz";
    cio_iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    cio_iovec riov[2] = {{buf, 2}, {buf + 2, 10}};
    cio_op op;

    cio_op_write_at(&op, fd, "hello", 5, 10);
    ck_assert_int_eq(blocking(&op), 5);
    memset(buf, 'q', sizeof(buf));
    cio_op_read_at(&op, fd, buf, sizeof(buf), 0);
    ck_assert_int_eq(blocking(&op), 15);
    ck_assert_int_eq(buf[0], 0);
    ck_assert_int_eq(buf[9], 0);
    ck_assert(memcmp(buf + 10, "hello", 5) == 0);
    cio_op_read_at(&op, fd, buf, sizeof(buf), 100);
    ck_assert_int_eq(blocking(&op), 0);

    cio_op_vec(&op, CIO_OP_WRITEV_AT, fd, iov, 2, 1);
    ck_assert_int_eq(blocking(&op), 7);
    cio_op_vec(&op, CIO_OP_READV_AT, fd, riov, 2, 0);
    ck_assert_int_eq(blocking(&op), 12);
    ck_assert(memcmp(buf, "\0abcdxyz\0\0he", 12) == 0);

    cio_op_ftruncate(&op, fd, 3);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_read_at(&op, fd, buf, sizeof(buf), 0);
    ck_assert_int_eq(blocking(&op), 3);
    cio_op_fsync(&op, fd, 0);
    ck_assert_int_eq(blocking(&op), 0);

    cio_op_close(&op, fd);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_read_at(&op, fd, buf, sizeof(buf), 0);
    ck_assert_int_eq(blocking(&op), CIO_EBADF);
    ck_assert(DeleteFileW(path));
}

START_TEST(win_file_ops_overlapped)
{
    win_file_ops(FILE_FLAG_OVERLAPPED);
}
END_TEST

START_TEST(win_file_ops_sync)
{
    win_file_ops(0);
}
END_TEST

/* Pipes read and write at the current position; a closed writer is EOF. */
START_TEST(win_pipe_rw)
{
    HANDLE r, w;
    char buf[16];
    cio_op op;

    ck_assert(CreatePipe(&r, &w, NULL, 0));
    cio_op_write(&op, (cio_fd)w, "ping", 4);
    ck_assert_int_eq(blocking(&op), 4);
    cio_op_read(&op, (cio_fd)r, buf, sizeof(buf));
    ck_assert_int_eq(blocking(&op), 4);
    ck_assert(memcmp(buf, "ping", 4) == 0);
    ck_assert(CloseHandle(w));
    cio_op_read(&op, (cio_fd)r, buf, sizeof(buf));
    ck_assert_int_eq(blocking(&op), 0);
    ck_assert(CloseHandle(r));
}
END_TEST

/*
 * The path ops have Windows forms (tests/iocp/check_iocp_pool_ops runs
 * them through a driver); here, their first answers straight from the
 * table. SPLICE has none: CIO_ENOSYS, and the table says so.
 */
START_TEST(win_path_and_unsupported)
{
    wchar_t dir[MAX_PATH];
    char path[MAX_PATH * 3], name[MAX_PATH * 3 + 32];
    cio_stat st;
    cio_op op;
    int32_t fd;

    ck_assert_uint_gt(GetTempPathW(MAX_PATH, dir), 0);
    ck_assert_int_gt(WideCharToMultiByte(CP_UTF8, 0, dir, -1, path,
                                         sizeof(path), NULL, NULL),
                     0);
    snprintf(name, sizeof(name), "%scio-optable-%lu", path,
             (unsigned long)GetCurrentProcessId());
    cio_op_openat(&op, CIO_AT_FDCWD, name, 0, 0);
    ck_assert_int_eq(blocking(&op), CIO_ENOENT);
    cio_op_openat(&op, CIO_AT_FDCWD, name, O_CREAT | O_RDWR, 0644);
    fd = blocking(&op);
    ck_assert_int_ge(fd, 0);
    cio_op_write_at(&op, (cio_fd)fd, "abc", 3, 0);
    ck_assert_int_eq(blocking(&op), 3);
    cio_op_statx(&op, (cio_fd)fd, "", CIO_AT_EMPTY_PATH, 0, &st);
    ck_assert_int_eq(blocking(&op), 0);
    ck_assert_uint_eq(st.size, 3);
    ck_assert_int_eq(st.type, CIO_FT_REGULAR);
    cio_op_close(&op, (cio_fd)fd);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, name, 0);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, name, 0);
    ck_assert_int_eq(blocking(&op), CIO_ENOENT);
    cio_op_poll_add(&op, CIO_INVALID_FD, CIO_POLL_IN);
    ck_assert_int_eq(blocking(&op), CIO_EBADF);

    cio_op_splice(&op, 0, -1, 0, -1, 1, 0);
    ck_assert_int_eq(blocking(&op), CIO_ENOSYS);
    for (unsigned i = 0; i < CIO_OP__COUNT; i++)
        ck_assert_int_eq(cio__op_unsupported(i), i == CIO_OP_SPLICE);
}
END_TEST

/* Sockets through Winsock: a TCP pair over loopback, send, recv, EOF. */
START_TEST(win_socket_ops)
{
    WSADATA wd;
    struct sockaddr_in sa;
    int len = sizeof(sa);
    int32_t l, c, a;
    char buf[16];
    cio_op op;

    ck_assert_int_eq(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    cio_op_socket(&op, AF_INET, SOCK_STREAM, 0);
    l = blocking(&op);
    ck_assert_int_ge(l, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind((SOCKET)l, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen((SOCKET)l, 1), 0);
    ck_assert_int_eq(getsockname((SOCKET)l, (struct sockaddr *)&sa, &len), 0);

    cio_op_socket(&op, AF_INET, SOCK_STREAM, 0);
    c = blocking(&op);
    ck_assert_int_ge(c, 0);
    cio_op_connect(&op, (cio_fd)c, (struct sockaddr *)&sa, sizeof(sa));
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_accept(&op, (cio_fd)l, NULL, NULL, 0);
    a = blocking(&op);
    ck_assert_int_ge(a, 0);

    cio_op_send(&op, (cio_fd)c, "hi there", 8, 0);
    ck_assert_int_eq(blocking(&op), 8);
    cio_op_recv(&op, (cio_fd)a, buf, sizeof(buf), MSG_WAITALL);
    op.a.rw.len = 8;
    ck_assert_int_eq(blocking(&op), 8);
    ck_assert(memcmp(buf, "hi there", 8) == 0);
    cio_op_shutdown(&op, (cio_fd)c, SD_SEND);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_recv(&op, (cio_fd)a, buf, sizeof(buf), 0);
    ck_assert_int_eq(blocking(&op), 0);

    cio_op_close(&op, (cio_fd)c);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_close(&op, (cio_fd)a);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_close(&op, (cio_fd)l);
    ck_assert_int_eq(blocking(&op), 0);
    cio_op_send(&op, (cio_fd)c, "x", 1, 0);
    ck_assert_int_lt(blocking(&op), 0);
    WSACleanup();
}
END_TEST
#endif /* _WIN32 */

static Suite *
op_table_suite(void)
{
    Suite *s = suite_create("op_table");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_opcode_described);
    tcase_add_test(tc, names_and_kinds);
    tcase_add_test(tc, trivial_ops);
    tcase_add_test(tc, blocking_clamps);
#ifdef _WIN32
    tcase_add_test(tc, win_file_ops_overlapped);
    tcase_add_test(tc, win_file_ops_sync);
    tcase_add_test(tc, win_pipe_rw);
    tcase_add_test(tc, win_path_and_unsupported);
    tcase_add_test(tc, win_socket_ops);
#else
    tcase_add_test(tc, pipe_attempts);
    tcase_add_test(tc, blocking_read_on_nonblocking_pipe);
    tcase_add_test(tc, socket_attempts);
    tcase_add_test(tc, tcp_connect_accept);
    tcase_add_test(tc, unix_blocking_accept);
    tcase_add_test(tc, splice_attempt);
    tcase_add_test(tc, file_ops);
    tcase_add_test(tc, statx_op);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return cio_test_run(op_table_suite());
}
