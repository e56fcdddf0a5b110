/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_path_win32.c - the path functions on Windows, each one W call
 * on the pool: DeleteFileW, RemoveDirectoryW, MoveFileExW,
 * CreateDirectoryW, CreateHardLinkW. mkdir_all is the shared one of
 * cio_fs_path.c. Symbolic links are not offered: creating one needs a
 * privilege or developer mode, and wine cannot read them back.
 */
#include "config.h"

#include <stdlib.h>

#include "cio_fs_win32.h"

enum { P_UNLINK, P_RMDIR, P_RENAME, P_MKDIR, P_LINK };

typedef struct path_req {
    int what;
    const wchar_t *a, *b;
    uint32_t mode;
} path_req;

static int
is_dir(const wchar_t *p)
{
    DWORD attr = GetFileAttributesW(p);
    return attr != INVALID_FILE_ATTRIBUTES &&
           (attr & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

/*
 * MoveFileExW never replaces a directory. Give the POSIX answers for a
 * target in the way: a directory over an empty one replaces it, over a
 * full one is CIO_ENOTEMPTY, over a file CIO_ENOTDIR; a file over a
 * directory is CIO_EISDIR.
 */
static int64_t
rename_error(const wchar_t *from, const wchar_t *to, DWORD err)
{
    DWORD fa = GetFileAttributesW(from), ta = GetFileAttributesW(to);

    if (fa == INVALID_FILE_ATTRIBUTES || ta == INVALID_FILE_ATTRIBUTES)
        return cio__fs_path_error(fa == INVALID_FILE_ATTRIBUTES ? from : to,
                                  err);
    if (!(fa & FILE_ATTRIBUTE_DIRECTORY))
        return (ta & FILE_ATTRIBUTE_DIRECTORY) ? CIO_EISDIR
                                               : cio__sys_win32_error(err);
    if (!(ta & FILE_ATTRIBUTE_DIRECTORY))
        return CIO_ENOTDIR;
    if (!RemoveDirectoryW(to))
        return GetLastError() == ERROR_DIR_NOT_EMPTY
                   ? CIO_ENOTEMPTY
                   : cio__sys_win32_error(err);
    if (MoveFileExW(from, to, 0))
        return 0;
    return cio__fs_lasterr();
}

static int64_t
path_run(void *arg)
{
    path_req *q = arg;
    DWORD attr;

    switch (q->what) {
    case P_UNLINK:
        if (is_dir(q->a))
            return CIO_EISDIR;
        /* POSIX unlinks a read-only file; Windows wants the bit off. */
        attr = GetFileAttributesW(q->a);
        if (attr != INVALID_FILE_ATTRIBUTES &&
            (attr & FILE_ATTRIBUTE_READONLY))
            SetFileAttributesW(q->a, attr & ~(DWORD)FILE_ATTRIBUTE_READONLY);
        if (DeleteFileW(q->a))
            return 0;
        break;
    case P_RMDIR:
        if (RemoveDirectoryW(q->a))
            return 0;
        if (GetLastError() == ERROR_DIRECTORY ||
            (GetLastError() == ERROR_ACCESS_DENIED && !is_dir(q->a) &&
             GetFileAttributesW(q->a) != INVALID_FILE_ATTRIBUTES))
            return CIO_ENOTDIR;
        break;
    case P_RENAME: {
        /* Checked first: wine lets a directory replace a file. */
        DWORD fa = GetFileAttributesW(q->a), ta = GetFileAttributesW(q->b);
        if (fa != INVALID_FILE_ATTRIBUTES && ta != INVALID_FILE_ATTRIBUTES &&
            (fa & FILE_ATTRIBUTE_DIRECTORY) != (ta & FILE_ATTRIBUTE_DIRECTORY))
            return (fa & FILE_ATTRIBUTE_DIRECTORY) ? CIO_ENOTDIR : CIO_EISDIR;
    }
        if (MoveFileExW(q->a, q->b, MOVEFILE_REPLACE_EXISTING))
            return 0;
        return rename_error(q->a, q->b, GetLastError());
    case P_MKDIR:
        (void)q->mode; /* No permission bits on Windows. */
        if (CreateDirectoryW(q->a, NULL))
            return 0;
        break;
    case P_LINK:
        if (CreateHardLinkW(q->b, q->a, NULL))
            return 0;
        break;
    default:
        return CIO_EINVAL;
    }
    return cio__fs_path_error(q->a, GetLastError());
}

static int
path_op(int what, const char *a, const char *b, uint32_t mode)
{
    path_req q;
    wchar_t *wa = NULL, *wb = NULL;
    int64_t r;

    if (a == NULL || ((what == P_RENAME || what == P_LINK) && b == NULL))
        return CIO_EINVAL;
    if ((r = cio__fs_wpath(a, &wa)) < 0)
        return (int)r;
    if (b != NULL && (r = cio__fs_wpath(b, &wb)) < 0) {
        free(wa);
        return (int)r;
    }
    q.what = what;
    q.a = wa;
    q.b = wb;
    q.mode = mode;
    r = cio__fs_blocking(path_run, &q);
    free(wa);
    free(wb);
    return (int)r;
}

int
cio_fs_unlink(const char *path)
{
    return path_op(P_UNLINK, path, NULL, 0);
}

int
cio_fs_rmdir(const char *path)
{
    return path_op(P_RMDIR, path, NULL, 0);
}

int
cio_fs_rename(const char *from, const char *to)
{
    if (from == NULL || to == NULL)
        return CIO_EINVAL;
    return path_op(P_RENAME, from, to, 0);
}

int
cio_fs_mkdir(const char *path, uint32_t mode)
{
    return path_op(P_MKDIR, path, NULL, mode);
}

int
cio_fs_link(const char *oldpath, const char *newpath)
{
    if (oldpath == NULL || newpath == NULL)
        return CIO_EINVAL;
    return path_op(P_LINK, oldpath, newpath, 0);
}

int
cio_fs_symlink(const char *target, const char *linkpath)
{
    if (target == NULL || linkpath == NULL)
        return CIO_EINVAL;
    return CIO_ENOTSUP;
}

int64_t
cio_fs_readlink(const char *path, char *buf, size_t len)
{
    if (path == NULL || (buf == NULL && len != 0))
        return CIO_EINVAL;
    return CIO_ENOTSUP;
}
