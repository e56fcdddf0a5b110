/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_stat.c - file metadata: a STATX op (native on io_uring, pooled
 * elsewhere) converted into the portable cio_stat; where statx is
 * missing (no libc wrapper, an old kernel's ENOSYS, a seccomp filter's
 * EPERM) fstat/fstatat run on the pool instead.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif

#include "cio_api_internal.h"
#include "compio/fs.h"

static cio_file_type
type_of(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return CIO_FT_REGULAR;
    case S_IFDIR:
        return CIO_FT_DIR;
    case S_IFLNK:
        return CIO_FT_SYMLINK;
    case S_IFIFO:
        return CIO_FT_FIFO;
    case S_IFSOCK:
        return CIO_FT_SOCKET;
    case S_IFCHR:
        return CIO_FT_CHAR;
    case S_IFBLK:
        return CIO_FT_BLOCK;
    default:
        return CIO_FT_UNKNOWN;
    }
}

#ifdef HAVE_STATX
static cio_timespec
ts_statx(const struct statx_timestamp *t)
{
    cio_timespec r = {t->tv_sec, t->tv_nsec};
    return r;
}

static void
from_statx(cio_stat *st, const struct statx *x)
{
    memset(st, 0, sizeof *st);
    st->type = type_of(x->stx_mode);
    st->mode = x->stx_mode & 07777u;
    st->nlink = x->stx_nlink;
    st->uid = x->stx_uid;
    st->gid = x->stx_gid;
    st->blksize = x->stx_blksize;
    st->size = x->stx_size;
    st->blocks = x->stx_blocks;
    st->ino = x->stx_ino;
    st->dev = makedev(x->stx_dev_major, x->stx_dev_minor);
    st->rdev = makedev(x->stx_rdev_major, x->stx_rdev_minor);
    st->atime = ts_statx(&x->stx_atime);
    st->mtime = ts_statx(&x->stx_mtime);
    st->ctime = ts_statx(&x->stx_ctime);
    if (x->stx_mask & STATX_BTIME) {
        st->btime = ts_statx(&x->stx_btime);
        st->valid |= CIO_STAT_BTIME;
    }
}
#endif

#ifdef __APPLE__
#define ST_TIME(s, w) ((s)->st_##w##timespec)
#else
#define ST_TIME(s, w) ((s)->st_##w##tim)
#endif

static cio_timespec
ts_stat(struct timespec t)
{
    cio_timespec r = {(int64_t)t.tv_sec, (uint32_t)t.tv_nsec};
    return r;
}

static void
from_stat(cio_stat *st, const struct stat *s)
{
    memset(st, 0, sizeof *st);
    st->type = type_of((uint32_t)s->st_mode);
    st->mode = (uint32_t)s->st_mode & 07777u;
    st->nlink = (uint32_t)s->st_nlink;
    st->uid = (uint32_t)s->st_uid;
    st->gid = (uint32_t)s->st_gid;
    st->blksize = (uint32_t)s->st_blksize;
    st->size = (uint64_t)s->st_size;
    st->blocks = (uint64_t)s->st_blocks;
    st->ino = (uint64_t)s->st_ino;
    st->dev = (uint64_t)s->st_dev;
    st->rdev = (uint64_t)s->st_rdev;
    st->atime = ts_stat(ST_TIME(s, a));
    st->mtime = ts_stat(ST_TIME(s, m));
    st->ctime = ts_stat(ST_TIME(s, c));
}

/* The pool fallback: fstat (path NULL) or fstatat. */
typedef struct stat_call {
    int fd;
    const char *path;
    int flags;
    struct stat st;
} stat_call;

static int64_t
stat_blocking(void *arg)
{
    stat_call *c = arg;
    int r;

    if (c->path == NULL)
        r = fstat(c->fd, &c->st);
    else
        r = fstatat(c->fd, c->path, &c->st, c->flags);
    return r == 0 ? 0 : -errno;
}

/*
 * Stat @path relative to @fd (path NULL: @fd itself), following a
 * final symlink unless @nofollow.
 */
static int
do_stat(cio_fd fd, const char *path, int nofollow, cio_stat *st)
{
    stat_call c;
    cio_op op;
    int32_t r;

    if (st == NULL)
        return CIO_EINVAL;
#ifdef HAVE_STATX
    {
        struct statx x;
        uint32_t flags = path == NULL ? AT_EMPTY_PATH : 0;

        if (nofollow)
            flags |= AT_SYMLINK_NOFOLLOW;
        cio_op_statx(&op, fd, path != NULL ? path : "", flags,
                     STATX_BASIC_STATS | STATX_BTIME, &x);
        r = cio_submit_wait(&op);
        if (r == 0) {
            from_statx(st, &x);
            return 0;
        }
        if (r != CIO_ENOSYS && r != CIO_EPERM)
            return r;
    }
#endif
    c.fd = fd == CIO_AT_FDCWD ? AT_FDCWD : (int)fd;
    c.path = path;
    c.flags = nofollow ? AT_SYMLINK_NOFOLLOW : 0;
    cio_op_blocking(&op, stat_blocking, &c);
    r = cio_submit_wait(&op);
    if (r == 0)
        from_stat(st, &c.st);
    return r;
}

int
cio_file_stat(cio_file *f, cio_stat *st)
{
    if (f == NULL)
        return CIO_EINVAL;
    return do_stat(cio_file_fd(f), NULL, 0, st);
}

int
cio_fs_stat(const char *path, cio_stat *st)
{
    if (path == NULL)
        return CIO_EINVAL;
    return do_stat(CIO_AT_FDCWD, path, 0, st);
}

int
cio_fs_lstat(const char *path, cio_stat *st)
{
    if (path == NULL)
        return CIO_EINVAL;
    return do_stat(CIO_AT_FDCWD, path, 1, st);
}
