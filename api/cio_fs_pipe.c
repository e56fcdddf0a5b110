/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_pipe.c - anonymous pipes and the process's stdin, stdout and
 * stderr as streams. Both are descriptor streams (CIO__FD_PIPE: read
 * and write at the current position) with a table of their own: a
 * pipe's write end shuts down by closing, and a stdio stream that had
 * to share its open file description puts back the blocking mode it
 * found.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cio_api_internal.h"
#include "compio/fs.h"

typedef struct fs_pipe {
    cio__fdstream s; /* First: the cio_stream. */
    uint8_t writer;  /* A write end: shutdown closes it. */
    uint8_t restore; /* Clear O_NONBLOCK again at close. */
} fs_pipe;

static int
pipe_shutdown(cio_stream *base)
{
    fs_pipe *p = (fs_pipe *)base;

    if (!p->writer)
        return CIO_ENOTSUP;
    /* Closing the write end is how a reader learns of the end. */
    return cio__fdstream_close_fd(base);
}

static int
pipe_close(cio_stream *base)
{
    fs_pipe *p = (fs_pipe *)base;
    int fl, r;

    /*
     * A dup shares the file status flags with the descriptor it came
     * from: hand it back as blocking as it was.
     */
    if (p->restore && p->s.fd != CIO_INVALID_FD &&
        (fl = fcntl((int)p->s.fd, F_GETFL)) >= 0 && (fl & O_NONBLOCK))
        (void)fcntl((int)p->s.fd, F_SETFL, fl & ~O_NONBLOCK);
    r = cio__fdstream_close_fd(base);
    free(p);
    return r;
}

static const cio_stream_ops pipe_ops = {
    .read = cio__fdstream_read,
    .write = cio__fdstream_write,
    .readv = cio__fdstream_readv,
    .writev = cio__fdstream_writev,
    .shutdown = pipe_shutdown,
    .close = pipe_close,
    .fd = cio__fdstream_fd,
};

/* Attach @fd and wrap it; on failure @fd stays the caller's. */
static int
pipe_new(cio_stream **out, cio_fd fd, int writer, int restore)
{
    fs_pipe *p;
    int r;

    r = cio__api_attach(fd);
    if (r < 0)
        return r;
    p = malloc(sizeof *p);
    if (p == NULL)
        return CIO_ENOMEM;
    cio__fdstream_init(&p->s, fd, CIO__FD_PIPE, 1);
    p->s.base.ops = &pipe_ops;
    p->writer = (uint8_t)(writer != 0);
    p->restore = (uint8_t)(restore != 0);
    *out = &p->s.base;
    return 0;
}

static int
make_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
#else
    if (pipe(fds) < 0)
        return -errno;
    (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

int
cio_pipe(cio_stream **r, cio_stream **w)
{
    int fds[2];
    int e;

    if (r == NULL || w == NULL)
        return CIO_EINVAL;
    *r = *w = NULL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    e = make_pipe(fds);
    if (e < 0)
        return e;
    e = pipe_new(r, fds[0], 0, 0);
    if (e < 0) {
        cio__api_close(fds[0]);
        cio__api_close(fds[1]);
        return e;
    }
    e = pipe_new(w, fds[1], 1, 0);
    if (e < 0) {
        cio__api_close(fds[1]);
        cio_stream_close(*r);
        *r = NULL;
    }
    return e;
}

/*
 * A descriptor of our own for standard descriptor @std. Regular files
 * and block devices are dup'ed: they never go non-blocking, and the
 * dup shares (and advances) the offset the shell set up. Anything else
 * is reopened through /proc, which makes a new open file description
 * whose flags are ours alone; O_NONBLOCK keeps the open of a FIFO from
 * waiting for the other side and is dropped right after. A socket (or a
 * system without /proc) cannot be reopened: dup it, and ask for the
 * blocking mode to be put back at close (*@restore).
 */
static int
stdio_fd(int std, int *restore)
{
    char path[32];
    struct stat st;
    int acc = std == 0 ? O_RDONLY : O_WRONLY;
    int fd, fl;

    *restore = 0;
    if (fstat(std, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", std);
        fd = open(path, acc | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd >= 0) {
            fl = fcntl(fd, F_GETFL);
            if (fl >= 0)
                (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
            return fd;
        }
        fl = fcntl(std, F_GETFL);
        *restore = fl >= 0 && !(fl & O_NONBLOCK);
    }
    fd = fcntl(std, F_DUPFD_CLOEXEC, 3);
    return fd >= 0 ? fd : -errno;
}

static int
stdio_open(cio_stream **out, int std)
{
    int restore, fd, r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    fd = stdio_fd(std, &restore);
    if (fd < 0)
        return fd;
    r = pipe_new(out, fd, 0, restore);
    if (r < 0)
        close(fd);
    return r;
}

int
cio_stdin(cio_stream **out)
{
    return stdio_open(out, 0);
}

int
cio_stdout(cio_stream **out)
{
    return stdio_open(out, 1);
}

int
cio_stderr(cio_stream **out)
{
    return stdio_open(out, 2);
}
