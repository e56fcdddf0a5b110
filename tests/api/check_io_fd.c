/* SPDX-License-Identifier: MIT */
/*
 * check_io_fd.c - the helpers over real descriptors on each backend
 * (epoll and uring, iocp on Windows; one that cannot load is reported
 * and not run):
 * lines arriving in pieces, a task blocked in read_line cancelled, a
 * deadline cutting read_line, frame_read and write_all (each resumed
 * afterwards without a byte lost or repeated), framed messages across
 * a socket, and a multi-MiB copy from a pipe into a socket.
 *
 * The stream under the helpers is a minimal one of our own: READ/WRITE
 * ops for pipes, RECV/SEND for sockets, each awaited with
 * cio_submit_wait, so cancel and deadlines reach the helpers exactly as
 * they would through the library's own streams.
 *
 * On Windows (iocp) the same cases run over cio_test_win32.h's stand-ins:
 * the socket pair is a loopback TCP pair, the pipe an overlapped named
 * pipe (IOCP cannot drive an anonymous one).
 */
#ifdef _WIN32
#include "cio_test_win32.h"
#define pipe(p) pipe2((p), 0)
#else
#include <sys/socket.h>
#include <unistd.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "check_io.h"
#include "cio_test_api.h"

#define MS CIO_NS_PER_MS

typedef struct fd_stream {
    cio_stream io;
    cio_fd fd;
    int sock; /* RECV/SEND rather than READ/WRITE */
} fd_stream;

/* One op is at most 4 GiB - 1; a stream call may be short anyway. */
static uint32_t
op_len(size_t len)
{
    return len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
}

static int64_t
fd_read(cio_stream *s, void *buf, size_t len)
{
    fd_stream *f = (fd_stream *)s;
    cio_op op;

    if (f->sock)
        cio_op_recv(&op, f->fd, buf, op_len(len), 0);
    else
        cio_op_read(&op, f->fd, buf, op_len(len));
    return cio_submit_wait(&op);
}

static int64_t
fd_write(cio_stream *s, const void *buf, size_t len)
{
    fd_stream *f = (fd_stream *)s;
    cio_op op;

    if (f->sock)
        cio_op_send(&op, f->fd, buf, op_len(len), 0);
    else
        cio_op_write(&op, f->fd, buf, op_len(len));
    return cio_submit_wait(&op);
}

/* Test plumbing: plain syscalls are enough for the ends of a stream. */
static int
fd_shutdown(cio_stream *s)
{
    fd_stream *f = (fd_stream *)s;

    if (!f->sock) {
        close(f->fd);
        f->fd = CIO_INVALID_FD;
        return 0;
    }
    return shutdown(f->fd, SHUT_WR) == 0 ? 0 : CIO_EIO;
}

static int
fd_close(cio_stream *s)
{
    fd_stream *f = (fd_stream *)s;

    if (f->fd != CIO_INVALID_FD)
        close(f->fd);
    f->fd = CIO_INVALID_FD;
    return 0;
}

static cio_fd
fd_fd(const cio_stream *s)
{
    return ((const fd_stream *)s)->fd;
}

static const cio_stream_ops fd_ops = {
    .read = fd_read,
    .write = fd_write,
    .shutdown = fd_shutdown,
    .close = fd_close,
    .fd = fd_fd,
};

static void
fd_wrap(fd_stream *f, cio_fd fd, int sock)
{
    f->io.ops = &fd_ops;
    f->fd = fd;
    f->sock = sock;
    ck_assert_int_eq(
        cio_driver_attach(cio_runtime_driver(cio_runtime_current()), fd), 0);
}

static void
fd_socketpair(fd_stream *a, fd_stream *b)
{
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    fd_wrap(a, sv[0], 1);
    fd_wrap(b, sv[1], 1);
}

static void
fd_pipe(fd_stream *r, fd_stream *w)
{
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    fd_wrap(r, p[0], 0);
    fd_wrap(w, p[1], 0);
}

/* ---- lines arriving in pieces ---- */

static int
send_pieces(void *arg)
{
    static const char *const pieces[] = {
        "GET / HT", "TP/1.1\r", "\nHost:", " x\r\n", "\r", "\n"};
    fd_stream *a = arg;
    size_t i;

    for (i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        ck_assert_int_eq(cio_sleep(2 * MS), 0);
        ck_assert_int_eq(
            cio_write_all(&a->io, pieces[i], strlen(pieces[i]), NULL), 0);
    }
    return cio_stream_shutdown(&a->io);
}

static int
lines_body(void *arg)
{
    unsigned char buf[256];
    char line[64];
    cio_bufreader br;
    fd_stream a, b;
    cio_task *t;
    size_t len;

    (void)arg;
    fd_socketpair(&a, &b);
    ck_assert_int_eq(cio_bufreader_init(&br, &b.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_spawn(&t, send_pieces, &a), 0);
    ck_assert_int_eq(cio_bufreader_read_line(&br, line, sizeof line, &len, 0),
                     1);
    ck_assert_str_eq(line, "GET / HTTP/1.1");
    ck_assert_int_eq(cio_bufreader_read_line(&br, line, sizeof line, &len, 0),
                     1);
    ck_assert_str_eq(line, "Host: x");
    ck_assert_int_eq(cio_bufreader_read_line(&br, line, sizeof line, &len, 0),
                     1);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(cio_bufreader_read_line(&br, line, sizeof line, &len, 0),
                     0);
    ck_assert_int_eq(cio_join(t), 0);
    cio_stream_close(&a.io);
    /* Closing the reader closes the socket under it. */
    ck_assert_int_eq(cio_stream_close(cio_bufreader_io(&br)), 0);
    ck_assert_int_eq(b.fd, CIO_INVALID_FD);
    return 0;
}

START_TEST(test_fd_lines)
{
    cio_test_api_run(_i, lines_body, NULL);
}
END_TEST

/* ---- cancel of a task blocked in read_line ---- */

struct blocked {
    cio_bufreader br;
    char line[64];
};

static int
blocked_read_line(void *arg)
{
    struct blocked *bl = arg;

    return cio_bufreader_read_line(&bl->br, bl->line, sizeof bl->line, NULL, 0);
}

static int
cancel_body(void *arg)
{
    cio_driver *drv = cio_runtime_driver(cio_runtime_current());
    unsigned char buf[128];
    struct blocked bl;
    fd_stream a, b;
    cio_task *t;
    int i;

    (void)arg;
    fd_socketpair(&a, &b);
    ck_assert_int_eq(cio_bufreader_init(&bl.br, &b.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_spawn(&t, blocked_read_line, &bl), 0);
    ck_assert_int_eq(cio_write_all(&a.io, "partial", 7, NULL), 0);
    /* Wait (on a loaded machine, a while) until the task has the first
     * half of a line and waits for the rest. */
    for (i = 0; i < 5000 && cio_bufreader_buffered(&bl.br) < 7; i++)
        ck_assert_int_eq(cio_sleep(MS), 0);
    ck_assert_uint_eq(cio_bufreader_buffered(&bl.br), 7);
    ck_assert_uint_eq(cio_driver_inflight(drv), 1);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    /* Nothing of the line was lost: the rest completes it. */
    ck_assert_uint_eq(cio_bufreader_buffered(&bl.br), 7);
    ck_assert_int_eq(cio_write_all(&a.io, " line\n", 6, NULL), 0);
    ck_assert_int_eq(
        cio_bufreader_read_line(&bl.br, bl.line, sizeof bl.line, NULL, 0), 1);
    ck_assert_str_eq(bl.line, "partial line");
    cio_stream_close(&a.io);
    cio_stream_close(&b.io);
    return 0;
}

START_TEST(test_fd_cancel)
{
    cio_test_api_run(_i, cancel_body, NULL);
}
END_TEST

/* ---- deadlines ---- */

/* Drain @arg's socket into a heap copy (returned through the struct). */
struct drain {
    fd_stream *s;
    unsigned char *got;
    size_t len;
};

static int
drain_task(void *arg)
{
    struct drain *d = arg;

    return cio_read_exact(&d->s->io, d->got, d->len, NULL);
}

static int
deadline_body(void *arg)
{
    static const unsigned char frame_head[] = {0, 0, 0, 6, 'f', 'r'};
    const size_t big = 2u << 20;
    unsigned char buf[128], *data;
    const void *frame = NULL;
    cio_frame_reader fr;
    struct drain d;
    cio_bufreader br;
    fd_stream a, b;
    uint64_t t0, prev;
    size_t len = 0, done = 0, more = 0;
    char line[32];
    cio_task *t;

    (void)arg;
    fd_socketpair(&a, &b);
    ck_assert_int_eq(cio_bufreader_init(&br, &b.io, buf, sizeof buf), 0);

    /* read_line: cut at the deadline, the partial line kept. */
    ck_assert_int_eq(cio_write_all(&a.io, "abc", 3, NULL), 0);
    t0 = cio_now();
    prev = cio_deadline_set(t0 + 30 * MS);
    ck_assert_int_eq(cio_bufreader_read_line(&br, line, sizeof line, &len, 0),
                     CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    ck_assert_uint_ge(cio_now() - t0, 30 * MS);
    ck_assert_uint_eq(cio_bufreader_buffered(&br), 3);
    ck_assert_int_eq(cio_write_all(&a.io, "def\n", 4, NULL), 0);
    ck_assert_int_eq(cio_bufreader_read_line(&br, line, sizeof line, &len, 0),
                     1);
    ck_assert_str_eq(line, "abcdef");

    /* frame_read: cut inside the payload, resumed. */
    ck_assert_int_eq(cio_frame_reader_init(&fr, &b.io, NULL), 0);
    ck_assert_int_eq(cio_write_all(&a.io, frame_head, sizeof frame_head, NULL),
                     0);
    prev = cio_deadline_set(cio_now() + 20 * MS);
    ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    ck_assert_int_eq(cio_write_all(&a.io, "ame", 3, NULL), 0);
    ck_assert_int_eq(cio_write_all(&a.io, "!", 1, NULL), 0);
    ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 1);
    ck_assert_uint_eq(len, 6);
    ck_assert_mem_eq(frame, "frame!", 6);
    cio_frame_reader_destroy(&fr);

    /* write_all into a socket nobody reads: cut when it fills up; the
     * count is exact, so carrying on from it delivers every byte once. */
#ifdef _WIN32
    {
        /* Loopback TCP (under wine, Linux's, autotuned) would take all
         * of it; small buffers fill up as an AF_UNIX pair's do. */
        int sz = 4096;
        ck_assert_int_eq(setsockopt(a.fd, SOL_SOCKET, SO_SNDBUF, &sz,
                                    sizeof(sz)),
                         0);
        ck_assert_int_eq(setsockopt(b.fd, SOL_SOCKET, SO_RCVBUF, &sz,
                                    sizeof(sz)),
                         0);
    }
#endif
    data = malloc(big);
    d.got = malloc(big);
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_nonnull(d.got);
    test_pattern(data, big, 7);
    prev = cio_deadline_set(cio_now() + 30 * MS);
    ck_assert_int_eq(cio_write_all(&a.io, data, big, &done), CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    ck_assert_uint_gt(done, 0);
    ck_assert_uint_lt(done, big);
    d.s = &b;
    d.len = big;
    ck_assert_int_eq(cio_spawn(&t, drain_task, &d), 0);
    ck_assert_int_eq(cio_write_all(&a.io, data + done, big - done, &more), 0);
    ck_assert_uint_eq(done + more, big);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_int_eq(memcmp(d.got, data, big), 0);
    free(data);
    free(d.got);
    cio_stream_close(&a.io);
    cio_stream_close(&b.io);
    return 0;
}

START_TEST(test_fd_deadline)
{
    cio_test_api_run(_i, deadline_body, NULL);
}
END_TEST

/* ---- frames across a socket ---- */

#define NFRAMES 200

static size_t
frame_size(int i)
{
    return (size_t)((i * 7919) % 5000);
}

static int
frame_sender(void *arg)
{
    fd_stream *a = arg;
    unsigned char *data = malloc(5000);
    cio_frame_writer fw;
    cio_bufwriter *w;
    int i, r = 0;

    ck_assert_ptr_nonnull(data);
    test_pattern(data, 5000, 8);
    ck_assert_int_eq(cio_bufwriter_new(&w, &a->io, 4096), 0);
    ck_assert_int_eq(cio_frame_writer_init(&fw, cio_bufwriter_io(w), NULL), 0);
    for (i = 0; i < NFRAMES && r == 0; i++)
        r = cio_frame_write(&fw, data, frame_size(i));
    /* Closing the writer flushes and closes the socket. */
    if (r == 0)
        r = cio_stream_close(cio_bufwriter_io(w));
    free(data);
    return r;
}

static int
frames_body(void *arg)
{
    unsigned char buf[1024], *data = malloc(5000);
    const void *frame = NULL;
    cio_frame_reader fr;
    cio_bufreader br;
    fd_stream a, b;
    cio_task *t;
    size_t len = 0;
    int i;

    (void)arg;
    ck_assert_ptr_nonnull(data);
    test_pattern(data, 5000, 8);
    fd_socketpair(&a, &b);
    ck_assert_int_eq(cio_bufreader_init(&br, &b.io, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_frame_reader_init(&fr, cio_bufreader_io(&br), NULL),
                     0);
    ck_assert_int_eq(cio_spawn(&t, frame_sender, &a), 0);
    for (i = 0; i < NFRAMES; i++) {
        ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 1);
        ck_assert_uint_eq(len, frame_size(i));
        if (len != 0)
            ck_assert_mem_eq(frame, data, len);
    }
    ck_assert_int_eq(cio_frame_read(&fr, &frame, &len), 0);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_int_eq(a.fd, CIO_INVALID_FD);
    cio_frame_reader_destroy(&fr);
    cio_stream_close(&b.io);
    free(data);
    return 0;
}

START_TEST(test_fd_frames)
{
    cio_test_api_run(_i, frames_body, NULL);
}
END_TEST

/* ---- copy: pipe -> socket, a few MiB ---- */

#define COPY_LEN ((4u << 20) + 4321u)

struct copy_job {
    fd_stream *src, *dst;
    const unsigned char *data;
    int64_t result;
};

static int
copy_producer(void *arg)
{
    struct copy_job *j = arg;
    fd_stream *w = j->src;
    int r;

    r = cio_write_all(&w->io, j->data, COPY_LEN, NULL);
    cio_stream_close(&w->io);
    return r;
}

static int
copy_copier(void *arg)
{
    struct copy_job *j = arg;
    uint64_t copied = 0;

    j->result = cio_copy(&j->dst->io, &j->src->io, CIO_COPY_ALL, &copied);
    ck_assert_uint_eq(copied, COPY_LEN);
    return cio_stream_shutdown(&j->dst->io);
}

static int
copy_body(void *arg)
{
    unsigned char *data = malloc(COPY_LEN), *got = malloc(COPY_LEN);
    fd_stream pr, pw, sa, sb;
    struct copy_job prod, cp;
    cio_task *tp, *tc;
    char extra;

    (void)arg;
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_nonnull(got);
    test_pattern(data, COPY_LEN, 9);
    fd_pipe(&pr, &pw);
    fd_socketpair(&sa, &sb);
    prod.src = &pw;
    prod.data = data;
    cp.src = &pr;
    cp.dst = &sa;
    cp.result = -1;
    ck_assert_int_eq(cio_spawn(&tp, copy_producer, &prod), 0);
    ck_assert_int_eq(cio_spawn(&tc, copy_copier, &cp), 0);
    ck_assert_int_eq(cio_read_exact(&sb.io, got, COPY_LEN, NULL), 0);
    ck_assert_int_eq(cio_stream_read(&sb.io, &extra, 1), 0);
    ck_assert_int_eq(cio_join(tp), 0);
    ck_assert_int_eq(cio_join(tc), 0);
    ck_assert_int_eq(cp.result, COPY_LEN);
    ck_assert_int_eq(memcmp(got, data, COPY_LEN), 0);
    cio_stream_close(&pr.io);
    cio_stream_close(&sa.io);
    cio_stream_close(&sb.io);
    free(data);
    free(got);
    return 0;
}

START_TEST(test_fd_copy)
{
    cio_test_api_run(_i, copy_body, NULL);
}
END_TEST

TCase *
check_io_fd_tcase(void)
{
    TCase *tc = tcase_create("fd");

    tcase_add_loop_test(tc, test_fd_lines, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_fd_cancel, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_fd_deadline, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_fd_frames, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_fd_copy, 0, CIO_TEST_NBACKENDS);
    return tc;
}
