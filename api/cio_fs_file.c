/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_file.c - cio_file: open (flags or options), positional and
 * vectored IO with their looping forms, sync, set_len, close, and the
 * file's stream view. Each call is one op awaited by the calling task.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cio_api_internal.h"
#include "compio/fs.h"
#ifdef _WIN32
#include "cio_fs_win32.h"
#endif

struct cio_file {
    cio_fd fd;
    cio__fdstream view; /* The stream view; never owns fd. */
};

/* Most buffers a looping vectored call takes (IOV_MAX on Linux). */
#define FS_IOV_MAX 1024u
/* Iovec copies up to this many live on the task's stack. */
#define FS_IOV_STACK 16u

static uint32_t
clamp_len(size_t len)
{
    return (uint32_t)(len > CIO__API_MAX_IO ? CIO__API_MAX_IO : len);
}

/* ---- open ---- */

#define CIO__O_KNOWN                                                           \
    (CIO_O_WRONLY | CIO_O_RDWR | CIO_O_APPEND | CIO_O_CREAT | CIO_O_EXCL |     \
     CIO_O_TRUNC)

/* CIO_O_* to O_*; -1 for a bad combination. */
static int
map_flags(unsigned flags)
{
    int o;

    if ((flags & ~CIO__O_KNOWN) != 0)
        return -1;
    switch (flags & (CIO_O_WRONLY | CIO_O_RDWR)) {
    case CIO_O_RDONLY:
        /* Linux would truncate a file opened read-only: refuse. */
        if (flags & CIO_O_TRUNC)
            return -1;
        o = O_RDONLY;
        break;
    case CIO_O_WRONLY:
        o = O_WRONLY;
        break;
    case CIO_O_RDWR:
        o = O_RDWR;
        break;
    default:
        return -1;
    }
    if (flags & CIO_O_APPEND)
        o |= O_APPEND;
    if (flags & CIO_O_CREAT)
        o |= O_CREAT;
    if (flags & CIO_O_EXCL)
        o |= O_CREAT | O_EXCL;
    if (flags & CIO_O_TRUNC)
        o |= O_TRUNC;
    return o;
}

/* Attach @fd and wrap it; on failure @fd stays the caller's. */
static int
file_wrap(cio_file **out, cio_fd fd)
{
    cio_file *f;
    int r;

    r = cio__api_attach(fd);
    if (r < 0)
        return r;
    f = malloc(sizeof *f);
    if (f == NULL)
        return CIO_ENOMEM;
    f->fd = fd;
    cio__fdstream_init(&f->view, fd, CIO__FD_FILE, 0);
    *out = f;
    return 0;
}

/* Open with system flags @oflags; the backend adds O_CLOEXEC. */
static int
open_sys(cio_file **out, const char *path, int oflags, uint32_t mode)
{
    cio_op op;
    int32_t fd;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (path == NULL)
        return CIO_EINVAL;
#ifdef _WIN32
    /* CreateFileW on the pool (cio_fs_file_win32.c). */
    {
        cio_fd h;
        (void)op;
        r = cio__fs_open_handle(path, oflags, mode, &h);
        if (r < 0)
            return r;
        r = file_wrap(out, h);
        if (r < 0)
            cio__api_close(h);
        return r;
    }
#endif
    cio_op_openat(&op, CIO_AT_FDCWD, path, (uint32_t)oflags, mode);
    fd = cio_submit_wait(&op);
    if (fd < 0)
        return fd;
    r = file_wrap(out, fd);
    if (r < 0)
        cio__api_close(fd);
    return r;
}

int
cio_file_open(cio_file **out, const char *path, unsigned flags, uint32_t mode)
{
    int o = map_flags(flags);

    if (o < 0) {
        if (out != NULL)
            *out = NULL;
        return CIO_EINVAL;
    }
    return open_sys(out, path, o, mode);
}

void
cio_open_options_init(cio_open_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = 0666;
}

/* Rust's OpenOptions rules: access mode, then creation mode. */
static int
options_flags(const cio_open_options *o)
{
    int wr = o->write || o->append;
    int f;

    if (o->read && wr)
        f = O_RDWR;
    else if (o->read)
        f = O_RDONLY;
    else if (wr)
        f = O_WRONLY;
    else
        return -1;
    if (o->append)
        f |= O_APPEND;
    if (!wr && (o->truncate || o->create || o->create_new))
        return -1;
    if (o->append && o->truncate && !o->create_new)
        return -1;
    if (o->create_new)
        f |= O_CREAT | O_EXCL;
    else {
        if (o->create)
            f |= O_CREAT;
        if (o->truncate)
            f |= O_TRUNC;
    }
    return f | (o->custom_flags & ~O_ACCMODE);
}

int
cio_file_open_with(cio_file **out, const char *path, const cio_open_options *o)
{
    int f = o != NULL ? options_flags(o) : -1;

    if (f < 0) {
        if (out != NULL)
            *out = NULL;
        return CIO_EINVAL;
    }
    return open_sys(out, path, f, o->mode);
}

int
cio_file_from_fd(cio_file **out, cio_fd fd)
{
    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (fd == CIO_INVALID_FD)
        return CIO_EBADF;
    return file_wrap(out, fd);
}

int
cio_file_close(cio_file *f)
{
    int r;

    if (f == NULL)
        return 0;
    r = cio__api_close(f->fd);
    free(f);
    return r;
}

cio_fd
cio_file_fd(const cio_file *f)
{
    return f != NULL ? f->fd : CIO_INVALID_FD;
}

/*
 * Windows answers IO the handle was not opened for with access denied;
 * POSIX says EBADF (the descriptor is not open for that direction).
 */
static int64_t
win_denied(int64_t r)
{
#ifdef _WIN32
    if (r == CIO_EACCES)
        return CIO_EBADF;
#endif
    return r;
}

/* ---- positional IO ---- */

int64_t
cio_file_read_at(cio_file *f, void *buf, size_t len, uint64_t off)
{
    cio_op op;

    if (f == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    cio_op_read_at(&op, f->fd, buf, clamp_len(len), off);
    return win_denied(cio__api_await_restart(&op));
}

int64_t
cio_file_write_at(cio_file *f, const void *buf, size_t len, uint64_t off)
{
    cio_op op;

    if (f == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    cio_op_write_at(&op, f->fd, buf, clamp_len(len), off);
    return win_denied(cio__api_await_restart(&op));
}

int
cio_file_read_exact_at(cio_file *f, void *buf, size_t len, uint64_t off,
                       size_t *done)
{
    size_t n = 0;
    int64_t r = 0;

    if (done != NULL)
        *done = 0;
    if (f == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    while (n < len) {
        r = cio_file_read_at(f, (char *)buf + n, len - n, off + n);
        if (r == CIO_EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    if (done != NULL)
        *done = n;
    if (n == len)
        return 0;
    return r < 0 ? (int)r : CIO_ENODATA;
}

int
cio_file_write_all_at(cio_file *f, const void *buf, size_t len, uint64_t off,
                      size_t *done)
{
    size_t n = 0;
    int64_t r = 0;

    if (done != NULL)
        *done = 0;
    if (f == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    while (n < len) {
        r = cio_file_write_at(f, (const char *)buf + n, len - n, off + n);
        if (r == CIO_EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    if (done != NULL)
        *done = n;
    if (n == len)
        return 0;
    return r < 0 ? (int)r : CIO_EIO;
}

static int64_t
file_vec(cio_file *f, cio_opcode code, const cio_iovec *iov, unsigned n,
         uint64_t off)
{
    cio_op op;

    if (f == NULL || (iov == NULL && n != 0))
        return CIO_EINVAL;
    cio_op_vec(&op, code, f->fd, iov, n, off);
    return win_denied(cio__api_await_restart(&op));
}

int64_t
cio_file_readv_at(cio_file *f, const cio_iovec *iov, unsigned n, uint64_t off)
{
    return file_vec(f, CIO_OP_READV_AT, iov, n, off);
}

int64_t
cio_file_writev_at(cio_file *f, const cio_iovec *iov, unsigned n, uint64_t off)
{
    return file_vec(f, CIO_OP_WRITEV_AT, iov, n, off);
}

/*
 * Loop a vectored op until every buffer is done, on a copy of @iov that
 * is advanced past what each call moved; *@done gets the total.
 */
static int
file_vec_all(cio_file *f, cio_opcode code, const cio_iovec *iov, unsigned n,
             uint64_t off, size_t *done)
{
    cio_iovec stack[FS_IOV_STACK], *v = stack;
    size_t total = 0, left;
    unsigned i = 0;
    int64_t r = 0;

    if (done != NULL)
        *done = 0;
    if (f == NULL || (iov == NULL && n != 0) || n > FS_IOV_MAX)
        return CIO_EINVAL;
    if (n > FS_IOV_STACK && (v = malloc(n * sizeof *v)) == NULL)
        return CIO_ENOMEM;
    if (n > 0)
        memcpy(v, iov, n * sizeof *v);
    for (;;) {
        while (i < n && v[i].len == 0)
            i++;
        if (i == n) {
            r = 0;
            break;
        }
        r = file_vec(f, code, v + i, n - i, off + total);
        if (r == CIO_EINTR)
            continue;
        if (r < 0)
            break;
        if (r == 0) {
            r = code == CIO_OP_READV_AT ? CIO_ENODATA : CIO_EIO;
            break;
        }
        total += (size_t)r;
        for (left = (size_t)r; left > 0 && i < n; i++) {
            if (left < v[i].len) {
                v[i].base = (char *)v[i].base + left;
                v[i].len -= left;
                break;
            }
            left -= v[i].len;
        }
    }
    if (v != stack)
        free(v);
    if (done != NULL)
        *done = total;
    return (int)r;
}

int
cio_file_readv_exact_at(cio_file *f, const cio_iovec *iov, unsigned n,
                        uint64_t off, size_t *done)
{
    return file_vec_all(f, CIO_OP_READV_AT, iov, n, off, done);
}

int
cio_file_writev_all_at(cio_file *f, const cio_iovec *iov, unsigned n,
                       uint64_t off, size_t *done)
{
    return file_vec_all(f, CIO_OP_WRITEV_AT, iov, n, off, done);
}

/* ---- durability and length ---- */

static int
file_sync(cio_file *f, int datasync)
{
    cio_op op;

    if (f == NULL)
        return CIO_EINVAL;
    cio_op_fsync(&op, f->fd, datasync);
    return cio_submit_wait(&op);
}

int
cio_file_sync_all(cio_file *f)
{
    return file_sync(f, 0);
}

int
cio_file_sync_data(cio_file *f)
{
    return file_sync(f, 1);
}

int
cio_file_set_len(cio_file *f, uint64_t len)
{
    cio_op op;

    if (f == NULL)
        return CIO_EINVAL;
    if (len > (uint64_t)INT64_MAX)
        return CIO_EINVAL;
    cio_op_ftruncate(&op, f->fd, len);
    return cio_submit_wait(&op);
}

/* ---- stream view ---- */

cio_stream *
cio_file_stream(cio_file *f, uint64_t pos)
{
    if (f == NULL)
        return NULL;
    /*
     * The shared fdstream ops do what the view needs: FILE kind reads
     * and writes at the cursor, and close of a non-owning stream only
     * forgets the descriptor.
     */
    cio__fdstream_init(&f->view, f->fd, CIO__FD_FILE, 0);
    f->view.pos = pos;
    return &f->view.base;
}
