/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_path.c - path functions: unlink, rmdir, rename, mkdir (and
 * mkdir -p), symlink, hard link, readlink. One op each (readlink on the
 * pool; mkdir_all one mkdir per missing component plus a stat where
 * something already exists).
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include "cio_api_internal.h"
#include "compio/fs.h"

#ifndef _WIN32 /* Windows: cio_fs_path_win32.c. */
#ifndef AT_REMOVEDIR
#define AT_REMOVEDIR 0x200
#endif

static int
unlink_flags(const char *path, uint32_t flags)
{
    cio_op op;

    if (path == NULL)
        return CIO_EINVAL;
    cio_op_unlinkat(&op, CIO_AT_FDCWD, path, flags);
    return cio_submit_wait(&op);
}

int
cio_fs_unlink(const char *path)
{
    return unlink_flags(path, 0);
}

int
cio_fs_rmdir(const char *path)
{
    return unlink_flags(path, AT_REMOVEDIR);
}

int
cio_fs_rename(const char *from, const char *to)
{
    cio_op op;

    if (from == NULL || to == NULL)
        return CIO_EINVAL;
    cio_op_renameat(&op, CIO_AT_FDCWD, from, CIO_AT_FDCWD, to, 0);
    return cio_submit_wait(&op);
}

int
cio_fs_mkdir(const char *path, uint32_t mode)
{
    cio_op op;

    if (path == NULL)
        return CIO_EINVAL;
    cio_op_mkdirat(&op, CIO_AT_FDCWD, path, mode);
    return cio_submit_wait(&op);
}

#endif

/*
 * mkdir @p; an existing directory counts as success, an existing
 * non-directory as @notdir (CIO_EEXIST for the final component,
 * CIO_ENOTDIR for a parent).
 */
static int
mkdir_one(const char *p, uint32_t mode, int notdir)
{
    cio_stat st;
    int r = cio_fs_mkdir(p, mode);

    if (r != CIO_EEXIST)
        return r;
    r = cio_fs_stat(p, &st);
    if (r == CIO_ENOENT || r == CIO_ENOTDIR || r == CIO_ELOOP)
        return notdir; /* A dangling symlink, say: not a directory. */
    if (r < 0)
        return r;
    return st.type == CIO_FT_DIR ? 0 : notdir;
}

/* Start of the component before offset @end, or 0; trailing '/'s of
 * the prefix are skipped first. */
static size_t
parent_end(const char *p, size_t end)
{
    while (end > 0 && p[end - 1] != '/')
        end--;
    while (end > 1 && p[end - 1] == '/')
        end--;
    return end;
}

int
cio_fs_mkdir_all(const char *path, uint32_t mode)
{
    size_t len, cut;
    char *p;
    int r;

    if (path == NULL || path[0] == '\0')
        return path == NULL ? CIO_EINVAL : CIO_ENOENT;
    len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    p = malloc(len + 1);
    if (p == NULL)
        return CIO_ENOMEM;
    memcpy(p, path, len);
    p[len] = '\0';

    /* Walk back to the deepest prefix that exists or can be made... */
    cut = len;
    for (;;) {
        size_t prev = cut;

        r = mkdir_one(p, mode, cut == len ? CIO_EEXIST : CIO_ENOTDIR);
        if (r != CIO_ENOENT)
            break;
        cut = parent_end(p, cut);
        if (cut == 0 || (cut == 1 && p[0] == '/'))
            goto out; /* Nothing left to make: the root or cwd is gone. */
        /* Only the current cut is a NUL; every other one is a '/'. */
        if (prev < len)
            p[prev] = '/';
        p[cut] = '\0';
    }
    /* ...then forward again, one component at a time. */
    while (r == 0 && cut < len) {
        p[cut] = '/';
        while (cut < len && p[cut] == '/')
            cut++;
        while (cut < len && p[cut] != '/')
            cut++;
        if (cut < len)
            p[cut] = '\0';
        r = mkdir_one(p, mode, cut == len ? CIO_EEXIST : CIO_ENOTDIR);
    }
out:
    free(p);
    return r;
}

#ifndef _WIN32
int
cio_fs_symlink(const char *target, const char *linkpath)
{
    cio_op op;

    if (target == NULL || linkpath == NULL)
        return CIO_EINVAL;
    cio_op_symlinkat(&op, target, CIO_AT_FDCWD, linkpath);
    return cio_submit_wait(&op);
}

int
cio_fs_link(const char *oldpath, const char *newpath)
{
    cio_op op;

    if (oldpath == NULL || newpath == NULL)
        return CIO_EINVAL;
    cio_op_linkat(&op, CIO_AT_FDCWD, oldpath, CIO_AT_FDCWD, newpath, 0);
    return cio_submit_wait(&op);
}

typedef struct readlink_call {
    const char *path;
    char *buf;
    size_t len;
} readlink_call;

static int64_t
readlink_blocking(void *arg)
{
    readlink_call *c = arg;
    ssize_t r = readlink(c->path, c->buf, c->len);

    return r >= 0 ? (int64_t)r : -errno;
}

int64_t
cio_fs_readlink(const char *path, char *buf, size_t len)
{
    readlink_call c = {path, buf, len};
    cio_op op;

    if (path == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    if (c.len > CIO__API_MAX_IO)
        c.len = CIO__API_MAX_IO;
    cio_op_blocking(&op, readlink_blocking, &c);
    return cio_submit_wait(&op);
}
#endif /* !_WIN32 */
