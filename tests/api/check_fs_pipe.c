/* SPDX-License-Identifier: MIT */
/*
 * check_fs_pipe.c - anonymous pipes: a round trip of a few MiB between
 * two tasks (the writer loops over short writes), vectored IO, shutdown
 * of the write end as EOF, cancel of a task blocked on an empty pipe
 * (CIO_ECANCELED, no descriptor leaked), a deadline on a read
 * (CIO_ETIMEDOUT), a write to a pipe nobody reads (CIO_EPIPE), and
 * descriptors the caller made O_NONBLOCK: a stream call waits for
 * readiness instead of returning CIO_EAGAIN (or spinning on it).
 */
#include "check_fs.h"

#include <signal.h>

#define PIPE_TOTAL (4u << 20)

/* Write all of @len, looping over short writes; 0 or -errno. */
static int
write_all(cio_stream *s, const unsigned char *p, size_t len, int *shorts)
{
    int64_t r;

    while (len > 0) {
        r = cio_stream_write(s, p, len);
        if (r < 0)
            return (int)r;
        ck_assert_int_gt(r, 0);
        ck_assert_uint_le((size_t)r, len);
        if ((size_t)r < len)
            (*shorts)++;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

typedef struct writer_arg {
    cio_stream *w;
    unsigned char *data;
    int shorts;
} writer_arg;

static int
writer_task(void *p)
{
    writer_arg *a = p;
    size_t off = 0, chunk = 1u << 20;

    /* Large writes: a pipe holds 64 KiB, so most calls come back short
     * (or, where the backend blocks in the kernel, whole). */
    for (off = 0; off < PIPE_TOTAL; off += chunk)
        ck_assert_int_eq(write_all(a->w, a->data + off, chunk, &a->shorts), 0);
    ck_assert_int_eq(cio_stream_shutdown(a->w), 0);
    return 0;
}

static int
roundtrip_main(void *arg)
{
    unsigned char *in = malloc(PIPE_TOTAL), *out = malloc(PIPE_TOTAL);
    cio_stream *r, *w;
    writer_arg wa;
    cio_task *t;
    size_t got = 0, i;
    int64_t n;

    (void)arg;
    for (i = 0; i < PIPE_TOTAL; i++)
        in[i] = fs_pat(i);
    ck_assert_int_eq(cio_pipe(&r, &w), 0);
#ifdef _WIN32
    {
        DWORD hf = 1;
        ck_assert(GetHandleInformation((HANDLE)cio_stream_fd(r), &hf));
        ck_assert_uint_eq(hf & HANDLE_FLAG_INHERIT, 0);
        ck_assert(GetHandleInformation((HANDLE)cio_stream_fd(w), &hf));
        ck_assert_uint_eq(hf & HANDLE_FLAG_INHERIT, 0);
    }
#else
    ck_assert_int_ne(fcntl(cio_stream_fd(r), F_GETFD) & FD_CLOEXEC, 0);
    ck_assert_int_ne(fcntl(cio_stream_fd(w), F_GETFD) & FD_CLOEXEC, 0);
#endif
    ck_assert_int_eq(cio_stream_shutdown(r), CIO_ENOTSUP);
    wa.w = w;
    wa.data = in;
    wa.shorts = 0;
    ck_assert_int_eq(cio_spawn(&t, writer_task, &wa), 0);
    /* Odd-sized reads so they never line up with the writes. */
    while ((n = cio_stream_read(r, out + got,
                                got + 70001 > PIPE_TOTAL ? PIPE_TOTAL - got
                                                         : 70001)) > 0)
        got += (size_t)n;
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_uint_eq(got, PIPE_TOTAL);
    ck_assert_int_eq(memcmp(in, out, PIPE_TOTAL), 0);
    printf("# %s: %d short writes in the pipe round trip\n", fs_backend,
           wa.shorts);
    /* The write end is closed already; closing the stream frees it. */
    ck_assert_int_eq(cio_stream_fd(w), CIO_INVALID_FD);
    ck_assert_int_eq(cio_stream_close(w), 0);
    ck_assert_int_eq(cio_stream_close(r), 0);
    free(in);
    free(out);
    return 0;
}

START_TEST(t_roundtrip)
{
    fs_run(_i, roundtrip_main, NULL);
}
END_TEST

static int
vec_main(void *arg)
{
    cio_stream *r, *w;
    cio_iovec iov[3];
    char a[3], b[4];

    (void)arg;
    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    iov[0].base = "abc";
    iov[0].len = 3;
    iov[1].base = "";
    iov[1].len = 0;
    iov[2].base = "defg";
    iov[2].len = 4;
    ck_assert_int_eq(cio_stream_writev(w, iov, 3), 7);
    iov[0].base = a;
    iov[1].base = b;
    iov[1].len = 4;
    ck_assert_int_eq(cio_stream_readv(r, iov, 2), 7);
    ck_assert_int_eq(memcmp(a, "abc", 3), 0);
    ck_assert_int_eq(memcmp(b, "defg", 4), 0);
    /* The reader closed: writing is EPIPE (SIGPIPE is ignored here). */
    ck_assert_int_eq(cio_stream_close(r), 0);
    ck_assert_int_eq(cio_stream_write(w, "x", 1), CIO_EPIPE);
    ck_assert_int_eq(cio_stream_close(w), 0);
    ck_assert_int_eq(cio_pipe(NULL, &w), CIO_EINVAL);
    return 0;
}

START_TEST(t_vec)
{
#ifdef _WIN32
    fs_run(_i, vec_main, NULL); /* No SIGPIPE on Windows. */
#else
    signal(SIGPIPE, SIG_IGN);
    fs_run(_i, vec_main, NULL);
    signal(SIGPIPE, SIG_DFL);
#endif
}
END_TEST

/* ---- cancel and deadline ---- */

static int
blocked_reader(void *p)
{
    char buf[16];

    return (int)cio_stream_read(p, buf, sizeof buf);
}

static int
cancel_main(void *arg)
{
    cio_stream *r, *w;
    cio_task *t;
    char buf[4];
    uint64_t t0;

    (void)arg;
    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    ck_assert_int_eq(cio_spawn(&t, blocked_reader, r), 0);
    ck_assert_int_eq(cio_sleep(20 * FS_MS), 0);
    t0 = cio_now();
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    /* Nothing else ends the read: the bound only guards a hang. */
    ck_assert_uint_lt(cio_now() - t0, 60000 * FS_MS);
    /* The pipe still works afterwards: nothing was consumed. */
    ck_assert_int_eq(cio_stream_write(w, "ok", 2), 2);
    ck_assert_int_eq(cio_stream_read(r, buf, sizeof buf), 2);
    ck_assert_int_eq(memcmp(buf, "ok", 2), 0);

    /* Cancel a blocked reader that owns the streams and closes them. */
    ck_assert_int_eq(cio_stream_close(r), 0);
    ck_assert_int_eq(cio_stream_close(w), 0);
    return 0;
}

START_TEST(t_cancel)
{
    fs_run(_i, cancel_main, NULL);
}
END_TEST

#ifndef _WIN32 /* O_NONBLOCK descriptors: POSIX only. */
/* After a pause, empty the pipe (reader side) or fill it (writer side). */
typedef struct nb_arg {
    cio_stream *s;
    size_t moved;
} nb_arg;

static int
nb_late_writer(void *p)
{
    nb_arg *a = p;

    ck_assert_int_eq(cio_sleep(30 * FS_MS), 0);
    ck_assert_int_eq(cio_stream_write(a->s, "hi", 2), 2);
    return 0;
}

static int
nb_late_reader(void *p)
{
    nb_arg *a = p;
    char buf[4096];
    int64_t n;

    ck_assert_int_eq(cio_sleep(30 * FS_MS), 0);
    while ((n = cio_stream_read(a->s, buf, sizeof buf)) > 0)
        a->moved += (size_t)n;
    ck_assert_int_eq(n, 0);
    return 0;
}

static int
nonblock_main(void *arg)
{
    static char fill[1u << 16];
    cio_stream *r, *w;
    cio_task *t;
    nb_arg a;
    char buf[4];
    size_t put = 0;
    int64_t n;

    (void)arg;
    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    ck_assert_int_eq(fcntl(cio_stream_fd(r), F_SETFL, O_NONBLOCK), 0);
    ck_assert_int_eq(fcntl(cio_stream_fd(w), F_SETFL, O_NONBLOCK), 0);
    /* Empty pipe: the read waits for the late writer. */
    a.s = w;
    a.moved = 0;
    ck_assert_int_eq(cio_spawn(&t, nb_late_writer, &a), 0);
    ck_assert_int_eq(cio_stream_read(r, buf, sizeof buf), 2);
    ck_assert_int_eq(memcmp(buf, "hi", 2), 0);
    ck_assert_int_eq(cio_join(t), 0);
    /* Full pipe: the write waits for the late reader to make room. */
    while ((n = write(cio_stream_fd(w), fill, sizeof fill)) > 0)
        put += (size_t)n;
    ck_assert_int_eq(errno, EAGAIN);
    a.s = r;
    ck_assert_int_eq(cio_spawn(&t, nb_late_reader, &a), 0);
    ck_assert_int_eq(cio_stream_write(w, "x", 1), 1);
    ck_assert_int_eq(cio_stream_shutdown(w), 0);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_uint_eq(a.moved, put + 1);
    ck_assert_int_eq(cio_stream_close(w), 0);
    ck_assert_int_eq(cio_stream_close(r), 0);
    return 0;
}

START_TEST(t_nonblock)
{
    fs_run(_i, nonblock_main, NULL);
}
END_TEST
#endif

/* A task that makes its own pipe, blocks, and must close on cancel. */
static int
owner_task(void *p)
{
    cio_stream *r, *w;
    char buf[4];
    int64_t n;

    (void)p;
    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    n = cio_stream_read(r, buf, sizeof buf);
    /* Cancelled: closing still releases both descriptors. */
    ck_assert_int_eq(cio_stream_close(r), 0);
    ck_assert_int_eq(cio_stream_close(w), 0);
    return (int)n;
}

static int
cancel_owner_main(void *arg)
{
    cio_task *t;

    (void)arg;
    ck_assert_int_eq(cio_spawn(&t, owner_task, NULL), 0);
    ck_assert_int_eq(cio_sleep(10 * FS_MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    return 0;
}

START_TEST(t_cancel_owner)
{
    fs_run(_i, cancel_owner_main, NULL);
}
END_TEST

static int
deadline_main(void *arg)
{
    cio_stream *r, *w;
    char buf[4];
    uint64_t t0, prev, took;

    (void)arg;
    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    t0 = cio_now();
    prev = cio_deadline_set(t0 + 50 * FS_MS);
    ck_assert_int_eq(cio_stream_read(r, buf, sizeof buf), CIO_ETIMEDOUT);
    took = cio_now() - t0;
    cio_deadline_set(prev);
    ck_assert_uint_ge(took, 50 * FS_MS);
    /* Nothing else ends the read: the bound only guards a hang. */
    ck_assert_uint_lt(took, 60000 * FS_MS);
    /* Without the deadline the pipe works again. */
    ck_assert_int_eq(cio_stream_write(w, "z", 1), 1);
    ck_assert_int_eq(cio_stream_read(r, buf, sizeof buf), 1);
    ck_assert_int_eq(cio_stream_close(r), 0);
    ck_assert_int_eq(cio_stream_close(w), 0);
    return 0;
}

START_TEST(t_deadline)
{
    fs_run(_i, deadline_main, NULL);
}
END_TEST

TCase *
check_fs_pipe_tcase(void)
{
    TCase *tc = tcase_create("pipe");

    tcase_add_loop_test(tc, t_roundtrip, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_vec, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_cancel, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_cancel_owner, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_deadline, 0, CIO_TEST_NBACKENDS);
#ifndef _WIN32
    tcase_add_loop_test(tc, t_nonblock, 0, CIO_TEST_NBACKENDS);
#endif
    return tc;
}
