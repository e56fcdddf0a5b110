/* SPDX-License-Identifier: MIT */
/*
 * check_fs_stdio.c - cio_stdin/cio_stdout/cio_stderr over redirected
 * descriptors: pipes, regular files (read and written at the shared
 * offset, which advances), and a terminal (a pseudo-terminal pair).
 * In every case the flags of descriptors 0..2 (shared with the shell
 * and other processes) must come out as they went in: in particular
 * epoll's O_NONBLOCK must not leak onto them (a socket, which cannot be
 * reopened, is dup'ed and made blocking again at close).
 */
#ifndef _WIN32 /* Redirected descriptors, ttys, sockets: POSIX only. */
#include "check_fs.h"

#ifndef _WIN32
#include <sys/socket.h>
#endif

/* Saved 0, 1 and 2, to put back after a case. */
static int saved[3];

static void
redirect(int std, int fd)
{
    fflush(stdout);
    fflush(stderr);
    saved[std] = dup(std);
    ck_assert_int_ge(saved[std], 0);
    ck_assert_int_eq(dup2(fd, std), std);
    close(fd);
}

static void
restore(int std)
{
    fflush(std == 1 ? stdout : stderr);
    ck_assert_int_eq(dup2(saved[std], std), std);
    close(saved[std]);
}

/* ---- pipes ---- */

/*
 * While a stream is open and has been used (so epoll attached it), the
 * flags of descriptor @std are still those of @fl: the non-blocking
 * mode is private to the stream's own open file description.
 */
static void
assert_flags_kept(int std, const int *fl)
{
    int now = fcntl(std, F_GETFL);

    ck_assert_msg(now == fl[std],
                  "%s: descriptor %d's flags changed while in use: %#x -> "
                  "%#x",
                  fs_backend, std, fl[std], now);
}

static int
pipes_main(void *arg)
{
    const int *fl = arg;
    cio_stream *in, *out, *err;
    char buf[32];

    ck_assert_int_eq(cio_stdin(&in), 0);
    ck_assert_int_eq(cio_stdout(&out), 0);
    ck_assert_int_eq(cio_stderr(&err), 0);
    ck_assert_int_gt(cio_stream_fd(in), 2);
    ck_assert_int_ne(fcntl(cio_stream_fd(in), F_GETFD) & FD_CLOEXEC, 0);
    ck_assert_int_eq(cio_stream_read(in, buf, sizeof buf), 6);
    ck_assert_int_eq(memcmp(buf, "input!", 6), 0);
    ck_assert_int_eq(cio_stream_write(out, "output!", 7), 7);
    ck_assert_int_eq(cio_stream_write(err, "error!", 6), 6);
    assert_flags_kept(0, fl);
    assert_flags_kept(1, fl);
    assert_flags_kept(2, fl);
    /* Another stream over the same stdin: each call makes its own. */
    {
        cio_stream *in2;

        ck_assert_int_eq(cio_stdin(&in2), 0);
        ck_assert_int_ne(cio_stream_fd(in2), cio_stream_fd(in));
        ck_assert_int_eq(cio_stream_close(in2), 0);
    }
    ck_assert_int_eq(cio_stream_shutdown(out), CIO_ENOTSUP);
    ck_assert_int_eq(cio_stream_close(in), 0);
    ck_assert_int_eq(cio_stream_close(out), 0);
    ck_assert_int_eq(cio_stream_close(err), 0);
    /* Descriptors 0..2 stay open. */
    ck_assert_int_ge(fcntl(0, F_GETFL), 0);
    ck_assert_int_ge(fcntl(1, F_GETFL), 0);
    ck_assert_int_eq(cio_stdin(NULL), CIO_EINVAL);
    return 0;
}

START_TEST(t_pipes)
{
    int pin[2], pout[2], perr[2], fl[3], i;
    char buf[32];

    ck_assert_int_eq(pipe(pin), 0);
    ck_assert_int_eq(pipe(pout), 0);
    ck_assert_int_eq(pipe(perr), 0);
    ck_assert_int_eq(write(pin[1], "input!", 6), 6);
    redirect(0, pin[0]);
    redirect(1, pout[1]);
    redirect(2, perr[1]);
    for (i = 0; i < 3; i++)
        fl[i] = fcntl(i, F_GETFL);
    fs_backend = cio_test_backends[_i];
    cio_test_api_run(_i, pipes_main, fl);
    for (i = 0; i < 3; i++)
        ck_assert_msg(fcntl(i, F_GETFL) == fl[i],
                      "descriptor %d's flags changed: %#x -> %#x", i, fl[i],
                      fcntl(i, F_GETFL));
    restore(0);
    restore(1);
    restore(2);
    ck_assert_int_eq(read(pout[0], buf, sizeof buf), 7);
    ck_assert_int_eq(memcmp(buf, "output!", 7), 0);
    ck_assert_int_eq(read(perr[0], buf, sizeof buf), 6);
    ck_assert_int_eq(memcmp(buf, "error!", 6), 0);
    close(pin[1]);
    close(pout[0]);
    close(perr[0]);
}
END_TEST

/* ---- regular files ---- */

static int
files_main(void *arg)
{
    cio_stream *in, *out;
    char buf[32];

    (void)arg;
    ck_assert_int_eq(cio_stdin(&in), 0);
    ck_assert_int_eq(cio_stdout(&out), 0);
    /* From the offset the "shell" left, to the end. */
    ck_assert_int_eq(cio_stream_read(in, buf, 4), 4);
    ck_assert_int_eq(memcmp(buf, "3456", 4), 0);
    ck_assert_int_eq(cio_stream_read(in, buf, sizeof buf), 3);
    ck_assert_int_eq(memcmp(buf, "789", 3), 0);
    ck_assert_int_eq(cio_stream_read(in, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_stream_write(out, "cd", 2), 2);
    ck_assert_int_eq(cio_stream_write(out, "ef", 2), 2);
    ck_assert_int_eq(cio_stream_close(in), 0);
    ck_assert_int_eq(cio_stream_close(out), 0);
    return 0;
}

START_TEST(t_files)
{
    int fd;
    char buf[32];

    fs_tmp_begin();
    fs_put("in", "0123456789", 10);
    fd = open(fs_path("in"), O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(lseek(fd, 3, SEEK_SET), 3);
    redirect(0, fd);
    fd = open(fs_path("out"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "AB", 2), 2);
    redirect(1, fd);
    cio_test_api_run(_i, files_main, NULL);
    /* The offsets are shared and advanced, as a shell expects. */
    ck_assert_int_eq(lseek(0, 0, SEEK_CUR), 10);
    ck_assert_int_eq(lseek(1, 0, SEEK_CUR), 6);
    restore(0);
    restore(1);
    fd = open(fs_path("out"), O_RDONLY);
    ck_assert_int_eq(read(fd, buf, sizeof buf), 6);
    ck_assert_int_eq(memcmp(buf, "ABcdef", 6), 0);
    close(fd);
    fs_tmp_end();
}
END_TEST

/* ---- a terminal ---- */

static int
tty_main(void *arg)
{
    const int *fl = arg;
    cio_stream *in;
    char buf[32];
    uint64_t prev;

    ck_assert_int_eq(cio_stdin(&in), 0);
    ck_assert_int_eq(cio_stream_read(in, buf, sizeof buf), 3);
    ck_assert_int_eq(memcmp(buf, "hi\n", 3), 0);
    assert_flags_kept(0, fl);
    /* Nothing more typed: a deadline ends the wait. */
    prev = cio_deadline_set(cio_now() + 30 * FS_MS);
    ck_assert_int_eq(cio_stream_read(in, buf, sizeof buf), CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    ck_assert_int_eq(cio_stream_close(in), 0);
    return 0;
}

START_TEST(t_tty)
{
    int m, s, fl[3];

    m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname(m) == NULL) {
        printf("# no pseudo-terminal here (%s): tty case not run\n",
               strerror(errno));
        if (m >= 0)
            close(m);
        return;
    }
    s = open(ptsname(m), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(s, 0);
    ck_assert_int_eq(write(m, "hi\n", 3), 3);
    redirect(0, s);
    fl[0] = fcntl(0, F_GETFL);
    fs_backend = cio_test_backends[_i];
    cio_test_api_run(_i, tty_main, fl);
    ck_assert_msg(fcntl(0, F_GETFL) == fl[0],
                  "the terminal's flags changed: %#x -> %#x", fl[0],
                  fcntl(0, F_GETFL));
    restore(0);
    close(m);
}
END_TEST

/* ---- a socket: cannot be reopened, so dup'ed and put back ---- */

static int
socket_main(void *arg)
{
    cio_stream *in;
    char buf[8];

    (void)arg;
    ck_assert_int_eq(cio_stdin(&in), 0);
    ck_assert_int_eq(cio_stream_read(in, buf, sizeof buf), 4);
    ck_assert_int_eq(memcmp(buf, "sock", 4), 0);
    ck_assert_int_eq(cio_stream_close(in), 0);
    return 0;
}

START_TEST(t_socket)
{
    int sv[2], fl;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], "sock", 4), 4);
    redirect(0, sv[0]);
    fl = fcntl(0, F_GETFL);
    ck_assert_int_eq(fl & O_NONBLOCK, 0);
    cio_test_api_run(_i, socket_main, NULL);
    /* Blocking again once the stream is closed. */
    ck_assert_int_eq(fcntl(0, F_GETFL), fl);
    restore(0);
    close(sv[1]);
}
END_TEST

/* ---- a closed descriptor 0 ---- */

static int
closed_main(void *arg)
{
    cio_stream *in = (cio_stream *)1;

    (void)arg;
    /* Closed here, where nothing of the runtime can take number 0. */
    ck_assert_int_eq(close(0), 0);
    ck_assert_int_eq(cio_stdin(&in), CIO_EBADF);
    ck_assert_ptr_null(in);
    ck_assert_int_eq(open("/dev/null", O_RDONLY), 0);
    return 0;
}

START_TEST(t_closed)
{
    int fd = open("/dev/null", O_RDONLY);

    ck_assert_int_ge(fd, 0);
    redirect(0, fd);
    cio_test_api_run(_i, closed_main, NULL);
    restore(0);
}
END_TEST

TCase *
check_fs_stdio_tcase(void)
{
    TCase *tc = tcase_create("stdio");

    tcase_add_loop_test(tc, t_pipes, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_files, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_tty, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_socket, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_closed, 0, CIO_TEST_NBACKENDS);
    return tc;
}
#endif /* !_WIN32 */
