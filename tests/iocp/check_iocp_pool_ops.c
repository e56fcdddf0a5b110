/* SPDX-License-Identifier: MIT */
/*
 * check_iocp_pool_ops.c - the ops the iocp module hands to the core's
 * pool, through a driver: the path ops (OPENAT, STATX, UNLINKAT,
 * RENAMEAT, MKDIRAT, LINKAT, SYMLINKAT) relative to the working
 * directory and to a directory handle, with UTF-8 names; RECVMSG and
 * SENDMSG on the pool (the "nullbe" test module pools every op) and on
 * iocp; POLL_ADD on a datagram socket, which iocp pools; SPLICE, which
 * has no Windows form. Every op has its error path checked too.
 *
 * A Windows program; in this tree it runs under wine. Symbolic links
 * need developer mode or a privilege on Windows and wine 8 has no
 * CreateSymbolicLinkW: SYMLINKAT may answer CIO_EPERM or CIO_ENOSYS,
 * and what follows a successful one is then not asserted.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>

#include "cio_test.h"

/* A driver of @backend ("iocp", "nullbe") and nothing else. */
static cio_driver *
open_driver(const char *backend)
{
    cio_config *cfg;
    cio_driver *drv = NULL;
    int r;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", backend), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    r = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    ck_assert_msg(r == 0, "cio_driver_open(%s): %s (%s)", backend,
                  cio_strerror(r), cio_error_detail());
    return drv;
}

/* Push @op on @drv and wait (10 s at most) for its completion. */
static int32_t
run(cio_driver *drv, cio_op *op)
{
    ULONGLONG end = GetTickCount64() + 10000;
    cio_entry e;
    int n;

    op->user_data = 0x5eed;
    ck_assert_int_eq(cio_driver_push(drv, op), 0);
    for (;;) {
        ck_assert_msg(GetTickCount64() < end, "%s did not complete",
                      cio_opcode_name(op->opcode));
        n = cio_driver_poll(drv, 100, &e, 1);
        ck_assert_int_ge(n, 0);
        if (n == 1)
            break;
    }
    ck_assert_ptr_eq(e.op, op);
    ck_assert_uint_eq(e.user_data, 0x5eed);
    return e.result;
}

/*
 * OPENAT through @drv; a new handle is attached to the driver, as every
 * handle must be before its first op on Windows (compio/driver.h).
 */
static int32_t
open_at(cio_driver *drv, cio_fd dirfd, const char *path, uint32_t flags,
        uint32_t mode)
{
    cio_op op;
    int32_t fd;

    cio_op_openat(&op, dirfd, path, flags, mode);
    fd = run(drv, &op);
    if (fd >= 0)
        ck_assert_int_eq(cio_driver_attach(drv, (cio_fd)fd), 0);
    return fd;
}

/* A fresh directory in the temporary one, its UTF-8 name (non-ASCII). */
static char tmpdir[MAX_PATH * 3];

static void
make_tmpdir(cio_driver *drv)
{
    wchar_t wt[MAX_PATH];
    char t[MAX_PATH * 3];
    static unsigned seq;
    cio_op op;

    ck_assert_uint_gt(GetTempPathW(MAX_PATH, wt), 0);
    ck_assert_int_gt(
        WideCharToMultiByte(CP_UTF8, 0, wt, -1, t, sizeof(t), NULL, NULL), 0);
    /* "é" and "ж" in UTF-8: the op must convert, not pass bytes. */
    snprintf(tmpdir, sizeof(tmpdir), "%scio-\xc3\xa9\xd0\xb6-%lu-%u", t,
             (unsigned long)GetCurrentProcessId(), seq++);
    cio_op_mkdirat(&op, CIO_AT_FDCWD, tmpdir, 0755);
    ck_assert_int_eq(run(drv, &op), 0);
}

/* @name inside tmpdir (a static buffer per slot). */
static const char *
in_tmp(int slot, const char *name)
{
    static char buf[6][MAX_PATH * 3 + 64];
    snprintf(buf[slot], sizeof(buf[slot]), "%s\\%s", tmpdir, name);
    return buf[slot];
}

static int32_t
statx_of(cio_driver *drv, cio_fd dirfd, const char *path, uint32_t flags,
         cio_stat *st)
{
    cio_op op;

    memset(st, 0xa5, sizeof(*st));
    cio_op_statx(&op, dirfd, path, flags, 0, st);
    return run(drv, &op);
}

/* ---- OPENAT, STATX, MKDIRAT relative to the working directory ---- */

START_TEST(t_open_stat)
{
    cio_driver *drv = open_driver("iocp");
    const char *f = NULL;
    char buf[16];
    cio_stat st;
    cio_op op;
    int32_t fd;

    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_OPENAT),
                     CIO_SUPPORT_POOLED);
    make_tmpdir(drv);
    f = in_tmp(0, "f\xc3\xa9.txt");
    fd = open_at(drv, CIO_AT_FDCWD, f, O_CREAT | O_RDWR | O_EXCL, 0644);
    ck_assert_int_ge(fd, 0);
    /* The handle is overlapped: the module's own WRITE_AT takes it. */
    cio_op_write_at(&op, (cio_fd)fd, "hello", 5, 0);
    ck_assert_int_eq(run(drv, &op), 5);
    ck_assert_int_eq(statx_of(drv, (cio_fd)fd, "", CIO_AT_EMPTY_PATH, &st), 0);
    ck_assert_int_eq(st.type, CIO_FT_REGULAR);
    ck_assert_uint_eq(st.size, 5);
    ck_assert_uint_eq(st.mode, 0666);
    ck_assert_uint_eq(st.nlink, 1);
    ck_assert(st.valid & CIO_STAT_BTIME);
    ck_assert_int_gt(st.mtime.sec, 1500000000);
    ck_assert_uint_lt(st.mtime.nsec, 1000000000u);
    cio_op_close(&op, (cio_fd)fd);
    ck_assert_int_eq(run(drv, &op), 0);

    /* By path; read back through a read-only open. */
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, f, 0, &st), 0);
    ck_assert_uint_eq(st.size, 5);
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, tmpdir, 0, &st), 0);
    ck_assert_int_eq(st.type, CIO_FT_DIR);
    fd = open_at(drv, CIO_AT_FDCWD, f, O_RDONLY, 0);
    ck_assert_int_ge(fd, 0);
    cio_op_read_at(&op, (cio_fd)fd, buf, sizeof(buf), 0);
    ck_assert_int_eq(run(drv, &op), 5);
    ck_assert(memcmp(buf, "hello", 5) == 0);
    cio_op_close(&op, (cio_fd)fd);
    ck_assert_int_eq(run(drv, &op), 0);
    /* O_TRUNC empties it. */
    fd = open_at(drv, CIO_AT_FDCWD, f, O_WRONLY | O_TRUNC, 0);
    ck_assert_int_ge(fd, 0);
    cio_op_close(&op, (cio_fd)fd);
    ck_assert_int_eq(run(drv, &op), 0);
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, f, 0, &st), 0);
    ck_assert_uint_eq(st.size, 0);

    /* The error paths. */
    cio_op_openat(&op, CIO_AT_FDCWD, in_tmp(1, "missing"), O_RDONLY, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOENT);
    cio_op_openat(&op, CIO_AT_FDCWD, f, O_CREAT | O_EXCL | O_WRONLY, 0644);
    ck_assert_int_eq(run(drv, &op), CIO_EEXIST);
    cio_op_openat(&op, CIO_AT_FDCWD, tmpdir, O_WRONLY, 0);
    ck_assert_int_eq(run(drv, &op), CIO_EISDIR);
    cio_op_openat(&op, CIO_AT_FDCWD, in_tmp(1, "f\xc3\xa9.txt\\x"), O_RDONLY,
                  0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOTDIR);
    cio_op_openat(&op, CIO_AT_FDCWD, "", O_RDONLY, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOENT);
    cio_op_openat(&op, CIO_AT_FDCWD, "bad\xff", O_RDONLY, 0);
    ck_assert_int_eq(run(drv, &op), CIO_EINVAL);
    cio_op_openat(&op, CIO_AT_FDCWD, f, O_ACCMODE, 0);
    ck_assert_int_eq(run(drv, &op), CIO_EINVAL);
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, in_tmp(1, "missing"), 0, &st),
                     CIO_ENOENT);
    cio_op_statx(&op, CIO_AT_FDCWD, f, 0, 0, NULL);
    ck_assert_int_eq(run(drv, &op), CIO_EFAULT);
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, f, 0x4000, &st), CIO_EINVAL);
    cio_op_mkdirat(&op, CIO_AT_FDCWD, tmpdir, 0755);
    ck_assert_int_eq(run(drv, &op), CIO_EEXIST);
    cio_op_mkdirat(&op, CIO_AT_FDCWD, in_tmp(1, "no\\such"), 0755);
    ck_assert_int_eq(run(drv, &op), CIO_ENOENT);

    cio_op_unlinkat(&op, CIO_AT_FDCWD, f, 0);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, tmpdir, CIO_AT_REMOVEDIR);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_driver_close(drv);
}
END_TEST

/* ---- a directory handle as dirfd ---- */

START_TEST(t_dirfd)
{
    cio_driver *drv = open_driver("iocp");
    char buf[8];
    cio_stat st;
    cio_op op;
    int32_t dfd, fd;

    make_tmpdir(drv);
    dfd = open_at(drv, CIO_AT_FDCWD, tmpdir, O_RDONLY, 0);
    ck_assert_int_ge(dfd, 0);
    ck_assert_int_eq(statx_of(drv, (cio_fd)dfd, "", CIO_AT_EMPTY_PATH, &st), 0);
    ck_assert_int_eq(st.type, CIO_FT_DIR);

    cio_op_mkdirat(&op, (cio_fd)dfd, "sub", 0755);
    ck_assert_int_eq(run(drv, &op), 0);
    fd = open_at(drv, (cio_fd)dfd, "sub/x", O_CREAT | O_WRONLY, 0644);
    ck_assert_int_ge(fd, 0);
    cio_op_write_at(&op, (cio_fd)fd, "abc", 3, 0);
    ck_assert_int_eq(run(drv, &op), 3);
    cio_op_close(&op, (cio_fd)fd);
    ck_assert_int_eq(run(drv, &op), 0);
    /* ".." resolves against the directory's path. */
    ck_assert_int_eq(statx_of(drv, (cio_fd)dfd, "sub/../sub/x", 0, &st), 0);
    ck_assert_uint_eq(st.size, 3);
    /* The same file by its absolute name: the dirfd is not used. */
    ck_assert_int_eq(statx_of(drv, (cio_fd)dfd, in_tmp(0, "sub\\x"), 0, &st),
                     0);
    ck_assert_uint_eq(st.size, 3);

    /* renameat and linkat across two directory fds. */
    cio_op_renameat(&op, (cio_fd)dfd, "sub/x", CIO_AT_FDCWD, in_tmp(0, "y"), 0);
    ck_assert_int_eq(run(drv, &op), 0);
    fd = open_at(drv, (cio_fd)dfd, "y", O_RDONLY, 0);
    ck_assert_int_ge(fd, 0);
    cio_op_read_at(&op, (cio_fd)fd, buf, sizeof(buf), 0);
    ck_assert_int_eq(run(drv, &op), 3);
    ck_assert(memcmp(buf, "abc", 3) == 0);

    /* A file is no directory fd; an invalid handle is CIO_EBADF. */
    cio_op_openat(&op, (cio_fd)fd, "z", O_RDONLY, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOTDIR);
    cio_op_mkdirat(&op, CIO_INVALID_FD, "z", 0755);
    ck_assert_int_eq(run(drv, &op), CIO_EBADF);
    cio_op_close(&op, (cio_fd)fd);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, (cio_fd)dfd, "y", 0);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, (cio_fd)dfd, "sub", CIO_AT_REMOVEDIR);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_close(&op, (cio_fd)dfd);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, tmpdir, CIO_AT_REMOVEDIR);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_driver_close(drv);
}
END_TEST

/* Create @path with @len bytes of 'x'. */
static void
put_file(cio_driver *drv, const char *path, uint32_t len)
{
    static const char x[16] = "xxxxxxxxxxxxxxxx";
    cio_op op;
    int32_t fd;

    fd = open_at(drv, CIO_AT_FDCWD, path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    ck_assert_int_ge(fd, 0);
    if (len > 0) {
        cio_op_write_at(&op, (cio_fd)fd, x, len, 0);
        ck_assert_int_eq(run(drv, &op), (int32_t)len);
    }
    cio_op_close(&op, (cio_fd)fd);
    ck_assert_int_eq(run(drv, &op), 0);
}

/* ---- RENAMEAT, LINKAT, UNLINKAT, SYMLINKAT ---- */

START_TEST(t_rename_link_unlink)
{
    cio_driver *drv = open_driver("iocp");
    const char *a, *b, *d, *d2;
    cio_stat st;
    cio_op op;
    int32_t r;

    make_tmpdir(drv);
    a = in_tmp(0, "a");
    b = in_tmp(1, "b");
    d = in_tmp(2, "d");
    d2 = in_tmp(3, "d2");
    put_file(drv, a, 7);
    put_file(drv, b, 2);
    cio_op_mkdirat(&op, CIO_AT_FDCWD, d, 0755);
    ck_assert_int_eq(run(drv, &op), 0);

    /* A file replaces a file. */
    cio_op_renameat(&op, CIO_AT_FDCWD, a, CIO_AT_FDCWD, b, 0);
    ck_assert_int_eq(run(drv, &op), 0);
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, b, 0, &st), 0);
    ck_assert_uint_eq(st.size, 7);
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, a, 0, &st), CIO_ENOENT);
    /* The error paths. */
    cio_op_renameat(&op, CIO_AT_FDCWD, a, CIO_AT_FDCWD, b, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOENT);
    cio_op_renameat(&op, CIO_AT_FDCWD, b, CIO_AT_FDCWD, d, 0);
    ck_assert_int_eq(run(drv, &op), CIO_EISDIR);
    cio_op_renameat(&op, CIO_AT_FDCWD, d, CIO_AT_FDCWD, b, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOTDIR);
    cio_op_renameat(&op, CIO_AT_FDCWD, b, CIO_AT_FDCWD, a, 1);
    ck_assert_int_eq(run(drv, &op), CIO_EINVAL);
    /* A directory replaces an empty one, not a full one. */
    cio_op_mkdirat(&op, CIO_AT_FDCWD, d2, 0755);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_renameat(&op, CIO_AT_FDCWD, d2, CIO_AT_FDCWD, d, 0);
    ck_assert_int_eq(run(drv, &op), 0);
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, d2, 0, &st), CIO_ENOENT);
    cio_op_mkdirat(&op, CIO_AT_FDCWD, d2, 0755);
    ck_assert_int_eq(run(drv, &op), 0);
    put_file(drv, in_tmp(4, "d\\inner"), 1);
    cio_op_renameat(&op, CIO_AT_FDCWD, d2, CIO_AT_FDCWD, d, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOTEMPTY);

    /* Hard links. */
    cio_op_linkat(&op, CIO_AT_FDCWD, b, CIO_AT_FDCWD, a, 0);
    ck_assert_int_eq(run(drv, &op), 0);
    ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, a, 0, &st), 0);
    ck_assert_uint_eq(st.size, 7);
    ck_assert_uint_eq(st.nlink, 2);
    cio_op_linkat(&op, CIO_AT_FDCWD, b, CIO_AT_FDCWD, a, 0);
    ck_assert_int_eq(run(drv, &op), CIO_EEXIST);
    cio_op_linkat(&op, CIO_AT_FDCWD, in_tmp(4, "nope"), CIO_AT_FDCWD,
                  in_tmp(5, "nope2"), 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOENT);
    cio_op_linkat(&op, CIO_AT_FDCWD, d, CIO_AT_FDCWD, in_tmp(5, "dl"), 0);
    ck_assert_int_eq(run(drv, &op), CIO_EPERM);
    cio_op_linkat(&op, CIO_AT_FDCWD, b, CIO_AT_FDCWD, in_tmp(5, "l2"), 0x1);
    ck_assert_int_eq(run(drv, &op), CIO_EINVAL);

    /* Symbolic links, where Windows (or wine) makes them. */
    cio_op_symlinkat(&op, "b", CIO_AT_FDCWD, in_tmp(5, "s"));
    r = run(drv, &op);
    ck_assert_msg(r == 0 || r == CIO_EPERM || r == CIO_ENOSYS, "symlinkat: %s",
                  cio_errname(r));
    if (r == 0) {
        ck_assert_int_eq(statx_of(drv, CIO_AT_FDCWD, in_tmp(5, "s"),
                                  CIO_AT_SYMLINK_NOFOLLOW, &st),
                         0);
        ck_assert_int_eq(st.type, CIO_FT_SYMLINK);
        cio_op_symlinkat(&op, "b", CIO_AT_FDCWD, in_tmp(5, "s"));
        ck_assert_int_eq(run(drv, &op), CIO_EEXIST);
        cio_op_unlinkat(&op, CIO_AT_FDCWD, in_tmp(5, "s"), 0);
        ck_assert_int_eq(run(drv, &op), 0);
    }
    cio_op_symlinkat(&op, NULL, CIO_AT_FDCWD, in_tmp(5, "s"));
    ck_assert_int_eq(run(drv, &op), CIO_EFAULT);
    cio_op_symlinkat(&op, "", CIO_AT_FDCWD, in_tmp(5, "s"));
    ck_assert_int_eq(run(drv, &op), CIO_ENOENT);
    cio_op_symlinkat(&op, "b", CIO_AT_FDCWD, "");
    ck_assert_int_eq(run(drv, &op), CIO_ENOENT);

    /* unlinkat: files, directories, and the POSIX answers. */
    cio_op_unlinkat(&op, CIO_AT_FDCWD, d, 0);
    ck_assert_int_eq(run(drv, &op), CIO_EISDIR);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, a, CIO_AT_REMOVEDIR);
    ck_assert_int_eq(run(drv, &op), CIO_ENOTDIR);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, d, CIO_AT_REMOVEDIR);
    ck_assert_int_eq(run(drv, &op), CIO_ENOTEMPTY);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, a, 0x1);
    ck_assert_int_eq(run(drv, &op), CIO_EINVAL);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, a, 0);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, a, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOENT);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, b, 0);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, in_tmp(4, "d\\inner"), 0);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, d, CIO_AT_REMOVEDIR);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, d2, CIO_AT_REMOVEDIR);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, tmpdir, CIO_AT_REMOVEDIR);
    ck_assert_int_eq(run(drv, &op), 0);
    cio_driver_close(drv);
}
END_TEST

/* ---- sockets ---- */

/* A UDP socket bound to 127.0.0.1:0 (overlapped, as compio makes them). */
static SOCKET
udp_socket(struct sockaddr_in *sa)
{
    int len = sizeof(*sa);
    SOCKET s = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);

    ck_assert(s != INVALID_SOCKET);
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)sa, sizeof(*sa)), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)sa, &len), 0);
    return s;
}

/* A connected TCP pair over loopback. */
static void
tcp_pair(SOCKET *c, SOCKET *a)
{
    struct sockaddr_in sa;
    int len = sizeof(sa);
    SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);

    ck_assert(l != INVALID_SOCKET);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                    WSA_FLAG_OVERLAPPED);
    ck_assert(*c != INVALID_SOCKET);
    ck_assert_int_eq(connect(*c, (struct sockaddr *)&sa, sizeof(sa)), 0);
    *a = accept(l, NULL, NULL);
    ck_assert(*a != INVALID_SOCKET);
    closesocket(l);
}

/* RECVMSG and SENDMSG on datagram and stream sockets, on @backend. */
static void
msg_ops(const char *backend)
{
    cio_driver *drv = open_driver(backend);
    struct sockaddr_in sa1, sa2, from;
    SOCKET s1, s2, c, a;
    char out[] = "datagram!", in[32];
    WSABUF ob[2], ib;
    WSAMSG m;
    cio_op op;
    wchar_t path[MAX_PATH], dir[MAX_PATH];
    HANDLE h;

    s1 = udp_socket(&sa1);
    s2 = udp_socket(&sa2);
    /* sendmsg to an address, in two pieces. */
    ob[0].buf = out;
    ob[0].len = 4;
    ob[1].buf = out + 4;
    ob[1].len = 5;
    memset(&m, 0, sizeof(m));
    m.name = (struct sockaddr *)&sa2;
    m.namelen = sizeof(sa2);
    m.lpBuffers = ob;
    m.dwBufferCount = 2;
    cio_op_sendmsg(&op, (cio_fd)s1, (struct msghdr *)&m, 0);
    ck_assert_int_eq(run(drv, &op), 9);
    /* recvmsg fills the sender's address. */
    ib.buf = in;
    ib.len = sizeof(in);
    memset(&m, 0, sizeof(m));
    memset(&from, 0, sizeof(from));
    m.name = (struct sockaddr *)&from;
    m.namelen = sizeof(from);
    m.lpBuffers = &ib;
    m.dwBufferCount = 1;
    cio_op_recvmsg(&op, (cio_fd)s2, (struct msghdr *)&m, 0);
    ck_assert_int_eq(run(drv, &op), 9);
    ck_assert(memcmp(in, "datagram!", 9) == 0);
    ck_assert_int_eq(m.namelen, (int)sizeof(from));
    ck_assert_uint_eq(from.sin_port, sa1.sin_port);
    ck_assert_uint_eq(m.dwFlags & MSG_TRUNC, 0);
    /* A datagram larger than the buffer: short, with MSG_TRUNC. */
    ck_assert_int_eq(
        sendto(s1, out, 9, 0, (struct sockaddr *)&sa2, sizeof(sa2)), 9);
    ib.len = 4;
    m.namelen = sizeof(from);
    cio_op_recvmsg(&op, (cio_fd)s2, (struct msghdr *)&m, 0);
    ck_assert_int_eq(run(drv, &op), 4);
    ck_assert(m.dwFlags & MSG_TRUNC);
    ck_assert(memcmp(in, "data", 4) == 0);

    /* Streams: the buffers, no address. */
    tcp_pair(&c, &a);
    memset(&m, 0, sizeof(m));
    m.lpBuffers = ob;
    m.dwBufferCount = 2;
    cio_op_sendmsg(&op, (cio_fd)c, (struct msghdr *)&m, 0);
    ck_assert_int_eq(run(drv, &op), 9);
    ib.len = 9;
    memset(&m, 0, sizeof(m));
    m.name = (struct sockaddr *)&from;
    m.namelen = sizeof(from);
    m.lpBuffers = &ib;
    m.dwBufferCount = 1;
    cio_op_recvmsg(&op, (cio_fd)a, (struct msghdr *)&m, MSG_WAITALL);
    ck_assert_int_eq(run(drv, &op), 9);
    ck_assert(memcmp(in, "datagram!", 9) == 0);
    ck_assert_int_eq(m.namelen, 0);

    /* The error paths: no msghdr, not a socket. */
    cio_op_recvmsg(&op, (cio_fd)a, NULL, 0);
    ck_assert_int_eq(run(drv, &op), CIO_EFAULT);
    cio_op_sendmsg(&op, (cio_fd)a, NULL, 0);
    ck_assert_int_eq(run(drv, &op), CIO_EFAULT);
    ck_assert_uint_gt(GetTempPathW(MAX_PATH, dir), 0);
    ck_assert_uint_ne(GetTempFileNameW(dir, L"cio", 0, path), 0);
    h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                    FILE_FLAG_OVERLAPPED | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    ck_assert(h != INVALID_HANDLE_VALUE);
    memset(&m, 0, sizeof(m));
    m.lpBuffers = &ib;
    m.dwBufferCount = 1;
    cio_op_recvmsg(&op, (cio_fd)h, (struct msghdr *)&m, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOTSOCK);
    cio_op_sendmsg(&op, (cio_fd)h, (struct msghdr *)&m, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOTSOCK);
    CloseHandle(h);
    closesocket(c);
    closesocket(a);
    closesocket(s1);
    closesocket(s2);
    cio_driver_close(drv);
}

START_TEST(t_msg_pool)
{
    msg_ops("nullbe");
}
END_TEST

START_TEST(t_msg_iocp)
{
    msg_ops("iocp");
}
END_TEST

/* POLL_ADD on a datagram socket (iocp pools it, as nullbe does). */
static void
poll_ops(const char *backend)
{
    cio_driver *drv = open_driver(backend);
    struct sockaddr_in sa1, sa2;
    SOCKET s1 = udp_socket(&sa1), s2 = udp_socket(&sa2);
    cio_entry e;
    cio_op op;
    int n;

    /* Writable at once; not readable until a datagram arrives. */
    cio_op_poll_add(&op, (cio_fd)s2, CIO_POLL_OUT);
    ck_assert_int_eq(run(drv, &op), CIO_POLL_OUT);
    cio_op_poll_add(&op, (cio_fd)s2, CIO_POLL_IN);
    op.user_data = 7;
    ck_assert_int_eq(cio_driver_push(drv, &op), 0);
    ck_assert_int_eq(cio_driver_poll(drv, 50, &e, 1), 0);
    ck_assert_int_eq(
        sendto(s1, "x", 1, 0, (struct sockaddr *)&sa2, sizeof(sa2)), 1);
    n = 0;
    for (int i = 0; i < 100 && n == 0; i++)
        n = cio_driver_poll(drv, 100, &e, 1);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(e.result, CIO_POLL_IN);
    /* The datagram is still there: readiness consumed nothing. */
    cio_op_poll_add(&op, (cio_fd)s2, CIO_POLL_IN | CIO_POLL_OUT);
    n = run(drv, &op);
    ck_assert_int_eq(n, CIO_POLL_IN | CIO_POLL_OUT);

    /* The error path: a handle that is no socket and no file. */
    closesocket(s1);
    closesocket(s2);
    cio_op_poll_add(&op, (cio_fd)s1, CIO_POLL_IN);
    n = run(drv, &op);
    /* The pool's answer; iocp may refuse the handle before the pool. */
    if (strcmp(backend, "nullbe") == 0)
        ck_assert_int_eq(n, CIO_EBADF);
    else
        ck_assert_msg(n == CIO_EBADF || n == CIO_ENOTSOCK, "poll_add: %s",
                      cio_errname(n));
    cio_driver_close(drv);
}

START_TEST(t_poll_pool)
{
    poll_ops("nullbe");
}
END_TEST

START_TEST(t_poll_iocp)
{
    poll_ops("iocp");
}
END_TEST

/* ---- what Windows has no form of ---- */

START_TEST(t_splice_unsupported)
{
    cio_driver *drv = open_driver("iocp");
    HANDLE r, w;
    cio_op op;

    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_SPLICE), CIO_SUPPORT_NONE);
    /* Everything else has a form: native, pooled or emulated. */
    for (unsigned i = 0; i < CIO_OP__COUNT; i++)
        if (i != CIO_OP_SPLICE)
            ck_assert_int_gt(cio_driver_supports(drv, i), CIO_SUPPORT_NONE);
    ck_assert(CreatePipe(&r, &w, NULL, 0));
    cio_op_splice(&op, (cio_fd)r, -1, (cio_fd)w, -1, 4, 0);
    ck_assert_int_eq(run(drv, &op), CIO_ENOSYS);
    CloseHandle(r);
    CloseHandle(w);
    cio_driver_close(drv);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("iocp_pool_ops");
    TCase *tc = tcase_create("ops");
    WSADATA wd;

    if (WSAStartup(MAKEWORD(2, 2), &wd) != 0)
        cio_test_skip_all("no Winsock");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_open_stat);
    tcase_add_test(tc, t_dirfd);
    tcase_add_test(tc, t_rename_link_unlink);
    tcase_add_test(tc, t_msg_pool);
    tcase_add_test(tc, t_msg_iocp);
    tcase_add_test(tc, t_poll_pool);
    tcase_add_test(tc, t_poll_iocp);
    tcase_add_test(tc, t_splice_unsupported);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
