/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_pipe_win32.c - pipes and stdio on Windows. A pipe is a named
 * pipe of a unique name with both ends overlapped, so the IOCP backend
 * reads and writes it like any attached handle. Standard handles are
 * whatever the parent gave (consoles, synchronous pipes, files), which
 * cannot be associated with a port: a stdio stream does each read and
 * write as a BLOCKING op on the pool, on a duplicate of the handle.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cio_fs_win32.h"

#define PIPE_BUF_SIZE 65536

typedef struct fs_pipe {
    cio__fdstream s; /* First: the cio_stream. */
    uint8_t writer;  /* A write end: shutdown closes it. */
} fs_pipe;

static int
pipe_shutdown(cio_stream *base)
{
    if (!((fs_pipe *)base)->writer)
        return CIO_ENOTSUP;
    /* Closing the write end is how a reader learns of the end. */
    return cio__fdstream_close_fd(base);
}

static int
pipe_close(cio_stream *base)
{
    int r = cio__fdstream_close_fd(base);

    free(base);
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

/* Attach @h and wrap it; on failure @h stays the caller's. */
static int
pipe_new(cio_stream **out, HANDLE h, int writer)
{
    fs_pipe *p;
    int r = cio__api_attach((cio_fd)h);

    if (r < 0)
        return r;
    p = malloc(sizeof *p);
    if (p == NULL)
        return CIO_ENOMEM;
    cio__fdstream_init(&p->s, (cio_fd)h, CIO__FD_PIPE, 1);
    p->s.base.ops = &pipe_ops;
    p->writer = (uint8_t)(writer != 0);
    *out = &p->s.base;
    return 0;
}

/* Both ends of a new pipe, overlapped and not inherited. 0 or -errno. */
static int
make_pipe(HANDLE *rd, HANDLE *wr)
{
    static volatile LONG seq;
    wchar_t name[96];

    _snwprintf(name, sizeof name / sizeof name[0],
               L"\\\\.\\pipe\\compio-%lu-%ld", GetCurrentProcessId(),
               (long)InterlockedIncrement(&seq));
    name[sizeof name / sizeof name[0] - 1] = 0;
    *rd = CreateNamedPipeW(name,
                           PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED |
                               FILE_FLAG_FIRST_PIPE_INSTANCE,
                           PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                               PIPE_REJECT_REMOTE_CLIENTS,
                           1, PIPE_BUF_SIZE, PIPE_BUF_SIZE, 0, NULL);
    if (*rd == INVALID_HANDLE_VALUE)
        return cio__fs_lasterr();
    /* The server is waiting (no ConnectNamedPipe needed): the client's
     * open connects it at once. */
    *wr = CreateFileW(name, GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0, NULL,
                      OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    if (*wr == INVALID_HANDLE_VALUE) {
        int e = cio__fs_lasterr();
        CloseHandle(*rd);
        return e;
    }
    return 0;
}

int
cio_pipe(cio_stream **r, cio_stream **w)
{
    HANDLE rd, wr;
    int e;

    if (r == NULL || w == NULL)
        return CIO_EINVAL;
    *r = *w = NULL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    e = make_pipe(&rd, &wr);
    if (e < 0)
        return e;
    e = pipe_new(r, rd, 0);
    if (e < 0) {
        CloseHandle(rd);
        CloseHandle(wr);
        return e;
    }
    e = pipe_new(w, wr, 1);
    if (e < 0) {
        CloseHandle(wr);
        cio_stream_close(*r);
        *r = NULL;
    }
    return e;
}

/* ---- stdio ---- */

typedef struct std_stream {
    cio_stream base; /* First. */
    HANDLE h;
} std_stream;

typedef struct std_req {
    HANDLE h;
    void *buf;
    DWORD len;
    int write;
} std_req;

/*
 * One ReadFile/WriteFile with an OVERLAPPED of our own and an event,
 * waited for here: right for synchronous and overlapped handles alike.
 * End of file and a closed pipe read as 0 bytes.
 */
static int64_t
std_run(void *arg)
{
    std_req *q = arg;
    OVERLAPPED ov;
    DWORD n = 0, err = 0;
    BOOL ok;

    memset(&ov, 0, sizeof ov);
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (ov.hEvent == NULL)
        return cio__fs_lasterr();
    /* The current position, for files (all ones but the lowest bit). */
    ov.Offset = 0xfffffffeu;
    ov.OffsetHigh = 0xffffffffu;
    ok = q->write ? WriteFile(q->h, q->buf, q->len, NULL, &ov)
                  : ReadFile(q->h, q->buf, q->len, NULL, &ov);
    if (!ok)
        err = GetLastError();
    if (ok || err == ERROR_IO_PENDING) {
        ok = GetOverlappedResult(q->h, &ov, &n, TRUE);
        err = ok ? 0 : GetLastError();
    }
    CloseHandle(ov.hEvent);
    if (ok)
        return (int64_t)n;
    if (!q->write && (err == ERROR_HANDLE_EOF || err == ERROR_BROKEN_PIPE))
        return 0;
    return cio__sys_win32_error(err);
}

static int64_t
std_io(cio_stream *base, void *buf, size_t len, int write)
{
    std_req q;

    q.h = ((std_stream *)base)->h;
    q.buf = buf;
    q.len = (DWORD)(len > CIO__API_MAX_IO ? CIO__API_MAX_IO : len);
    q.write = write;
    return cio__fs_blocking(std_run, &q);
}

static int64_t
std_read(cio_stream *base, void *buf, size_t len)
{
    return std_io(base, buf, len, 0);
}

static int64_t
std_write(cio_stream *base, const void *buf, size_t len)
{
    return std_io(base, (void *)buf, len, 1);
}

static int
std_close(cio_stream *base)
{
    std_stream *s = (std_stream *)base;
    int r = CloseHandle(s->h) ? 0 : cio__fs_lasterr();

    free(s);
    return r;
}

static cio_fd
std_fd(const cio_stream *base)
{
    return (cio_fd)((const std_stream *)base)->h;
}

/* No readv/writev/shutdown: cio_stream's generic fallbacks apply. */
static const cio_stream_ops std_ops = {
    .read = std_read,
    .write = std_write,
    .close = std_close,
    .fd = std_fd,
};

static int
stdio_open(cio_stream **out, DWORD which)
{
    HANDLE self = GetCurrentProcess(), h = GetStdHandle(which), dup;
    std_stream *s;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    if (h == INVALID_HANDLE_VALUE)
        return cio__fs_lasterr();
    if (h == NULL)
        return CIO_EBADF; /* No such standard handle (a GUI process). */
    if (!DuplicateHandle(self, h, self, &dup, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return cio__fs_lasterr();
    s = malloc(sizeof *s);
    if (s == NULL) {
        CloseHandle(dup);
        return CIO_ENOMEM;
    }
    s->base.ops = &std_ops;
    s->h = dup;
    *out = &s->base;
    return 0;
}

int
cio_stdin(cio_stream **out)
{
    return stdio_open(out, STD_INPUT_HANDLE);
}

int
cio_stdout(cio_stream **out)
{
    return stdio_open(out, STD_OUTPUT_HANDLE);
}

int
cio_stderr(cio_stream **out)
{
    return stdio_open(out, STD_ERROR_HANDLE);
}
