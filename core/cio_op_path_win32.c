/* SPDX-License-Identifier: MIT */
/*
 * cio_op_path_win32.c - the path ops of the Windows op table (OPENAT,
 * STATX, UNLINKAT, RENAMEAT, MKDIRAT, SYMLINKAT, LINKAT), each a W call
 * run by the pool with the POSIX call's meaning and -errno results.
 *
 * Paths are UTF-8 and become UTF-16. A relative path is taken relative
 * to the directory fd: CIO_AT_FDCWD is the working directory, and a
 * directory handle (an OPENAT of a directory, or any handle opened with
 * FILE_FLAG_BACKUP_SEMANTICS) stands for the directory it names: its
 * path is looked up (GetFinalPathNameByHandleW) and the relative path
 * joined to it, so a directory renamed after it was opened is followed,
 * as with a POSIX dirfd. The flags are the CIO_AT_* of compio/op.h.
 *
 * Windows answers some POSIX cases with other codes; where the path
 * tells which, the POSIX one is given: a prefix that is a file is
 * CIO_ENOTDIR, writing to a directory CIO_EISDIR, unlinking one
 * CIO_EISDIR, a rename between a file and a directory CIO_EISDIR or
 * CIO_ENOTDIR, a directory over an empty one replaces it.
 */
#include "config.h"

#include <winsock2.h>
#include <windows.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cio_internal.h"
#include "cio_op_win32.h"
#include "cio_sys.h"
#include "compio/fs.h"

#ifndef SYMBOLIC_LINK_FLAG_DIRECTORY
#define SYMBOLIC_LINK_FLAG_DIRECTORY 0x1
#endif
#ifndef SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
#define SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE 0x2
#endif

/* 100 ns intervals from 1601-01-01 to 1970-01-01. */
#define CIO__FT_EPOCH 116444736000000000LL

/* The open flags an OPENAT understands; the rest are ignored, as msvcrt's
 * _O_BINARY and _O_NOINHERIT are meaningless for a handle. */
#define CIO__O_KNOWN (O_ACCMODE | O_APPEND | O_CREAT | O_EXCL | O_TRUNC)

static int
cio__slash(wchar_t c)
{
    return c == L'/' || c == L'\\';
}

static int
cio__absolute(const char *p)
{
    return p[0] == '/' || p[0] == '\\' ||
           (((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':');
}

/* @s (UTF-8) as UTF-16 at index @at of *@out, which grows to hold it. */
static int
cio__utf16(const char *s, size_t at, wchar_t **out)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w;

    if (n <= 0)
        return CIO_EINVAL;
    w = realloc(*out, (at + (size_t)n) * sizeof *w);
    if (w == NULL)
        return CIO_ENOMEM;
    *out = w;
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w + at, n);
    return 0;
}

/*
 * The path of directory handle @dirfd as a plain Win32 path (no \\?\
 * prefix, so that "." and ".." in what is joined to it still resolve),
 * malloc'ed in *@out with its length in *@len. 0 or -errno.
 */
static int
cio__dir_path(cio_fd dirfd, wchar_t **out, size_t *len)
{
    BY_HANDLE_FILE_INFORMATION fi;
    DWORD n, m;
    wchar_t *w;
    size_t skip = 0;

    if (dirfd == CIO_INVALID_FD)
        return CIO_EBADF;
    if (!GetFileInformationByHandle((HANDLE)dirfd, &fi))
        return CIO_EBADF;
    if (!(fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return CIO_ENOTDIR;
    n = GetFinalPathNameByHandleW((HANDLE)dirfd, NULL, 0, VOLUME_NAME_DOS);
    if (n == 0)
        return (int)cio__sys_win32_error(GetLastError());
    w = malloc(((size_t)n + 1) * sizeof *w);
    if (w == NULL)
        return CIO_ENOMEM;
    m = GetFinalPathNameByHandleW((HANDLE)dirfd, w, n + 1, VOLUME_NAME_DOS);
    if (m == 0 || m > n) {
        free(w);
        return m == 0 ? (int)cio__sys_win32_error(GetLastError()) : CIO_EIO;
    }
    if (wcsncmp(w, L"\\\\?\\UNC\\", 8) == 0) {
        /* \\?\UNC\server\share becomes \\server\share. */
        skip = 6;
        w[6] = L'\\';
    } else if (wcsncmp(w, L"\\\\?\\", 4) == 0) {
        skip = 4;
    }
    memmove(w, w + skip, ((size_t)m - skip + 1) * sizeof *w);
    *out = w;
    *len = (size_t)m - skip;
    return 0;
}

int
cio__win_path_at(cio_fd dirfd, const char *path, wchar_t **out)
{
    wchar_t *w = NULL;
    size_t n = 0;
    int r;

    *out = NULL;
    if (path == NULL)
        return CIO_EFAULT;
    if (path[0] == '\0')
        return CIO_ENOENT;
    if (dirfd != CIO_AT_FDCWD && !cio__absolute(path)) {
        r = cio__dir_path(dirfd, &w, &n);
        if (r < 0)
            return r;
        if (n > 0 && !cio__slash(w[n - 1]))
            w[n++] = L'\\'; /* The terminator's place: cio__utf16 grows it. */
    }
    r = cio__utf16(path, n, &w);
    if (r < 0) {
        free(w);
        return r;
    }
    *out = w;
    return 0;
}

int
cio__win_path_error(const wchar_t *path, unsigned long err)
{
    wchar_t *p;
    size_t n;
    DWORD attr;

    if (err != ERROR_PATH_NOT_FOUND && err != ERROR_FILE_NOT_FOUND &&
        err != ERROR_DIRECTORY && err != ERROR_INVALID_NAME)
        return cio__sys_win32_error(err);
    /* A proper prefix that names something other than a directory? */
    n = wcslen(path);
    p = malloc((n + 1) * sizeof *p);
    if (p == NULL)
        return cio__sys_win32_error(err);
    memcpy(p, path, (n + 1) * sizeof *p);
    for (;;) {
        while (n > 0 && !cio__slash(p[n - 1]))
            n--;
        while (n > 0 && cio__slash(p[n - 1]))
            n--;
        if (n == 0)
            break;
        p[n] = 0;
        attr = GetFileAttributesW(p);
        if (attr != INVALID_FILE_ATTRIBUTES) {
            free(p);
            return (attr & FILE_ATTRIBUTE_DIRECTORY) ? CIO_ENOENT : CIO_ENOTDIR;
        }
    }
    free(p);
    return cio__sys_win32_error(err);
}

static int
cio__is_dir(const wchar_t *p)
{
    DWORD attr = GetFileAttributesW(p);
    return attr != INVALID_FILE_ATTRIBUTES &&
           (attr & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

/* ---- OPENAT ---- */

int32_t
cio__win_openat(cio_op *op)
{
    int fl = (int)op->flags, acc = fl & O_ACCMODE;
    DWORD access, disp, attrs = FILE_ATTRIBUTE_NORMAL;
    wchar_t *w;
    HANDLE h;
    DWORD err;
    int r;

    if (acc == O_ACCMODE)
        return CIO_EINVAL;
    r = cio__win_path_at(op->fd, op->a.path.path, &w);
    if (r < 0)
        return r;
    access = acc == O_WRONLY ? GENERIC_WRITE
             : acc == O_RDWR ? GENERIC_READ | GENERIC_WRITE
                             : GENERIC_READ;
    if (fl & O_APPEND) {
        /* Append-only data access: every write lands at the end. */
        access &= ~(DWORD)GENERIC_WRITE;
        access |= FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA |
                  READ_CONTROL | SYNCHRONIZE;
    }
    if ((fl & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        disp = CREATE_NEW;
    else if ((fl & (O_CREAT | O_TRUNC)) == (O_CREAT | O_TRUNC))
        disp = CREATE_ALWAYS;
    else if (fl & O_CREAT)
        disp = OPEN_ALWAYS;
    else if (fl & O_TRUNC)
        disp = TRUNCATE_EXISTING;
    else
        disp = OPEN_EXISTING;
    if (!(op->a.path.mode & 0200))
        attrs = FILE_ATTRIBUTE_READONLY;
    /*
     * A read-only open may name a directory (the handle then serves as
     * a dirfd), which needs backup semantics; with write access that
     * flag would let a directory open, where POSIX says EISDIR.
     */
    if (access == GENERIC_READ && disp == OPEN_EXISTING)
        attrs |= FILE_FLAG_BACKUP_SEMANTICS;
    /* Shared for everything, as files are on POSIX. */
    h = CreateFileW(w, access,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, disp, attrs | FILE_FLAG_OVERLAPPED, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        err = GetLastError();
        r = err == ERROR_ACCESS_DENIED && cio__is_dir(w)
                ? CIO_EISDIR
                : cio__win_path_error(w, err);
        free(w);
        return r;
    }
    free(w);
    if ((uintptr_t)h > (uintptr_t)INT32_MAX) {
        CloseHandle(h);
        return CIO_EMFILE;
    }
    return (int32_t)(intptr_t)h;
}

/* ---- STATX ---- */

static cio_timespec
cio__ts(LONGLONG t100)
{
    int64_t t = (int64_t)t100 - CIO__FT_EPOCH;
    int64_t sec = t / 10000000, rem = t % 10000000;
    cio_timespec ts;

    if (rem < 0) {
        rem += 10000000;
        sec--;
    }
    ts.sec = sec;
    ts.nsec = (uint32_t)(rem * 100);
    return ts;
}

/* Fill @st from @h (opened with at least FILE_READ_ATTRIBUTES). */
int32_t
cio__win_stat_handle(void *h, cio_stat *st)
{
    BY_HANDLE_FILE_INFORMATION fi;
    FILE_BASIC_INFO bi;
    FILE_STANDARD_INFO si;
    DWORD ft = GetFileType(h);

    memset(st, 0, sizeof *st);
    if (ft == FILE_TYPE_PIPE || ft == FILE_TYPE_CHAR) {
        st->type = ft == FILE_TYPE_PIPE ? CIO_FT_FIFO : CIO_FT_CHAR;
        st->mode = 0666;
        st->nlink = 1;
        st->blksize = 4096;
        return 0;
    }
    if (!GetFileInformationByHandle(h, &fi))
        return cio__sys_win32_error(GetLastError());
    if (fi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
        st->type = CIO_FT_SYMLINK;
    else if (fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        st->type = CIO_FT_DIR;
    else
        st->type = CIO_FT_REGULAR;
    /* One read-only bit on Windows; the POSIX bits are made from it. */
    st->mode = (fi.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0444 : 0666;
    if (st->type == CIO_FT_DIR)
        st->mode |= 0111;
    st->nlink = fi.nNumberOfLinks;
    st->blksize = 4096;
    st->size = ((uint64_t)fi.nFileSizeHigh << 32) | fi.nFileSizeLow;
    st->blocks = (st->size + 511) / 512;
    st->ino = ((uint64_t)fi.nFileIndexHigh << 32) | fi.nFileIndexLow;
    st->dev = fi.dwVolumeSerialNumber;
    st->valid = CIO_STAT_BTIME;
    /* The Ex classes add the change time and the allocated size. */
    if (GetFileInformationByHandleEx(h, FileBasicInfo, &bi, sizeof(bi))) {
        st->atime = cio__ts(bi.LastAccessTime.QuadPart);
        st->mtime = cio__ts(bi.LastWriteTime.QuadPart);
        st->ctime =
            cio__ts(bi.ChangeTime.QuadPart != 0 ? bi.ChangeTime.QuadPart
                                                : bi.LastWriteTime.QuadPart);
        st->btime = cio__ts(bi.CreationTime.QuadPart);
    } else {
        ULARGE_INTEGER u;
        u.LowPart = fi.ftLastAccessTime.dwLowDateTime;
        u.HighPart = fi.ftLastAccessTime.dwHighDateTime;
        st->atime = cio__ts((LONGLONG)u.QuadPart);
        u.LowPart = fi.ftLastWriteTime.dwLowDateTime;
        u.HighPart = fi.ftLastWriteTime.dwHighDateTime;
        st->mtime = cio__ts((LONGLONG)u.QuadPart);
        st->ctime = st->mtime;
        u.LowPart = fi.ftCreationTime.dwLowDateTime;
        u.HighPart = fi.ftCreationTime.dwHighDateTime;
        st->btime = cio__ts((LONGLONG)u.QuadPart);
    }
    if (GetFileInformationByHandleEx(h, FileStandardInfo, &si, sizeof(si)) &&
        si.AllocationSize.QuadPart >= 0)
        st->blocks = ((uint64_t)si.AllocationSize.QuadPart + 511) / 512;
    return 0;
}

int32_t
cio__win_statx(cio_op *op)
{
    cio_stat *st = op->a.path.statxbuf;
    const char *path = op->a.path.path;
    DWORD flags = FILE_FLAG_BACKUP_SEMANTICS;
    wchar_t *w;
    HANDLE h;
    int32_t r;

    if (st == NULL)
        return CIO_EFAULT;
    if (op->flags & ~(uint32_t)(CIO_AT_EMPTY_PATH | CIO_AT_SYMLINK_NOFOLLOW))
        return CIO_EINVAL;
    if ((path == NULL || path[0] == '\0') && (op->flags & CIO_AT_EMPTY_PATH)) {
        /* The directory fd itself, or the working directory. */
        if (op->fd != CIO_AT_FDCWD)
            return op->fd == CIO_INVALID_FD
                       ? CIO_EBADF
                       : cio__win_stat_handle((HANDLE)op->fd, st);
        path = ".";
    }
    r = cio__win_path_at(op->fd, path, &w);
    if (r < 0)
        return r;
    if (op->flags & CIO_AT_SYMLINK_NOFOLLOW)
        flags |= FILE_FLAG_OPEN_REPARSE_POINT;
    h = CreateFileW(w, FILE_READ_ATTRIBUTES,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, flags, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        r = cio__win_path_error(w, GetLastError());
        free(w);
        return r;
    }
    free(w);
    r = cio__win_stat_handle(h, st);
    CloseHandle(h);
    return r;
}

/* ---- UNLINKAT, MKDIRAT ---- */

int32_t
cio__win_unlinkat(cio_op *op)
{
    wchar_t *w;
    DWORD attr, err = 0;
    int32_t r;

    if (op->flags & ~(uint32_t)CIO_AT_REMOVEDIR)
        return CIO_EINVAL;
    r = cio__win_path_at(op->fd, op->a.path.path, &w);
    if (r < 0)
        return r;
    attr = GetFileAttributesW(w);
    if (op->flags & CIO_AT_REMOVEDIR) {
        if (attr != INVALID_FILE_ATTRIBUTES &&
            !(attr & FILE_ATTRIBUTE_DIRECTORY))
            r = CIO_ENOTDIR;
        else if (!RemoveDirectoryW(w))
            err = GetLastError();
    } else if (attr != INVALID_FILE_ATTRIBUTES &&
               (attr & FILE_ATTRIBUTE_DIRECTORY)) {
        r = CIO_EISDIR;
    } else {
        /* POSIX unlinks a read-only file; Windows wants the bit off. */
        if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_READONLY))
            SetFileAttributesW(w, attr & ~(DWORD)FILE_ATTRIBUTE_READONLY);
        if (!DeleteFileW(w))
            err = GetLastError();
    }
    if (err != 0)
        r = cio__win_path_error(w, err);
    free(w);
    return r;
}

int32_t
cio__win_mkdirat(cio_op *op)
{
    wchar_t *w;
    int32_t r = cio__win_path_at(op->fd, op->a.path.path, &w);

    if (r < 0)
        return r;
    /* No permission bits on Windows: the mode is not used. */
    if (!CreateDirectoryW(w, NULL))
        r = cio__win_path_error(w, GetLastError());
    free(w);
    return r;
}

/* ---- RENAMEAT, LINKAT, SYMLINKAT ---- */

/* Both paths of a RENAMEAT or LINKAT. 0 or -errno (nothing to free). */
static int32_t
cio__two_paths(cio_op *op, wchar_t **from, wchar_t **to)
{
    int32_t r = cio__win_path_at(op->fd, op->a.rename.oldpath, from);

    if (r < 0)
        return r;
    r = cio__win_path_at(op->a.rename.newdirfd, op->a.rename.newpath, to);
    if (r < 0) {
        free(*from);
        *from = NULL;
    }
    return r;
}

static int32_t
cio__rename(const wchar_t *from, const wchar_t *to)
{
    DWORD fa = GetFileAttributesW(from), ta = GetFileAttributesW(to);

    /* Checked first: MoveFileExW never replaces a directory, and wine
     * lets a directory replace a file. */
    if (fa != INVALID_FILE_ATTRIBUTES && ta != INVALID_FILE_ATTRIBUTES) {
        int fdir = (fa & FILE_ATTRIBUTE_DIRECTORY) != 0;
        int tdir = (ta & FILE_ATTRIBUTE_DIRECTORY) != 0;
        if (fdir != tdir)
            return fdir ? CIO_ENOTDIR : CIO_EISDIR;
        if (fdir && wcscmp(from, to) != 0 && !RemoveDirectoryW(to))
            return GetLastError() == ERROR_DIR_NOT_EMPTY
                       ? CIO_ENOTEMPTY
                       : cio__sys_win32_error(GetLastError());
    }
    if (MoveFileExW(from, to, MOVEFILE_REPLACE_EXISTING))
        return 0;
    return cio__win_path_error(fa == INVALID_FILE_ATTRIBUTES ? from : to,
                               GetLastError());
}

int32_t
cio__win_renameat(cio_op *op)
{
    wchar_t *from, *to;
    int32_t r;

    /* renameat2's flags (RENAME_NOREPLACE...) are Linux's. */
    if (op->flags != 0)
        return CIO_EINVAL;
    r = cio__two_paths(op, &from, &to);
    if (r < 0)
        return r;
    r = cio__rename(from, to);
    free(from);
    free(to);
    return r;
}

int32_t
cio__win_linkat(cio_op *op)
{
    wchar_t *from, *to;
    DWORD err;
    int32_t r;

    if (op->flags & ~(uint32_t)CIO_AT_SYMLINK_FOLLOW)
        return CIO_EINVAL;
    r = cio__two_paths(op, &from, &to);
    if (r < 0)
        return r;
    if (cio__is_dir(from)) {
        r = CIO_EPERM; /* No hard links to directories, as on POSIX. */
    } else if (!CreateHardLinkW(to, from, NULL)) {
        err = GetLastError();
        r = err == ERROR_ALREADY_EXISTS || err == ERROR_FILE_EXISTS
                ? CIO_EEXIST
                : cio__win_path_error(
                      GetFileAttributesW(from) == INVALID_FILE_ATTRIBUTES ? from
                                                                          : to,
                      err);
    }
    free(from);
    free(to);
    return r;
}

/*
 * SYMLINKAT: CreateSymbolicLinkW, unprivileged where Windows allows it
 * (developer mode), else it needs a privilege: CIO_EPERM, what POSIX
 * says for a file system without symbolic links. The target text gets
 * backslashes, which relative Windows links need; a link to a directory
 * must be made as one, so the target is looked at (relative to the
 * link's directory).
 */
int32_t
cio__win_symlinkat(cio_op *op)
{
    const char *target = op->a.rename.oldpath;
    wchar_t *link = NULL, *wt = NULL, *abs = NULL;
    DWORD flags = SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE, err;
    size_t i, n;
    int32_t r;

    if (target == NULL)
        return CIO_EFAULT;
    if (target[0] == '\0')
        return CIO_ENOENT;
    r = cio__win_path_at(op->a.rename.newdirfd, op->a.rename.newpath, &link);
    if (r < 0)
        return r;
    r = cio__utf16(target, 0, &wt);
    if (r < 0)
        goto out;
    for (i = 0; wt[i] != 0; i++)
        if (wt[i] == L'/')
            wt[i] = L'\\';
    if (cio__absolute(target)) {
        if (cio__is_dir(wt))
            flags |= SYMBOLIC_LINK_FLAG_DIRECTORY;
    } else {
        /* The target as seen from the link's directory. */
        n = wcslen(link);
        while (n > 0 && !cio__slash(link[n - 1]))
            n--;
        abs = malloc((n + wcslen(wt) + 1) * sizeof *abs);
        if (abs == NULL) {
            r = CIO_ENOMEM;
            goto out;
        }
        memcpy(abs, link, n * sizeof *abs);
        wcscpy(abs + n, wt);
        if (cio__is_dir(abs))
            flags |= SYMBOLIC_LINK_FLAG_DIRECTORY;
    }
    if (GetFileAttributesW(link) != INVALID_FILE_ATTRIBUTES) {
        r = CIO_EEXIST;
        goto out;
    }
    if (!CreateSymbolicLinkW(link, wt, flags)) {
        err = GetLastError();
        /* Before Windows 10 1703 the unprivileged flag is refused. */
        if (err == ERROR_INVALID_PARAMETER &&
            CreateSymbolicLinkW(
                link, wt,
                flags & ~(DWORD)SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE))
            goto made;
        if (err == ERROR_INVALID_PARAMETER)
            err = GetLastError();
        r = err == ERROR_CALL_NOT_IMPLEMENTED ? CIO_ENOSYS
            : err == ERROR_PRIVILEGE_NOT_HELD ? CIO_EPERM
                                              : cio__win_path_error(link, err);
        goto out;
    }
made:
    /*
     * Wine 8's CreateSymbolicLinkW is a stub that reports success and
     * makes nothing: a link that is not there was not made.
     */
    if (GetFileAttributesW(link) == INVALID_FILE_ATTRIBUTES)
        r = CIO_ENOSYS;
out:
    free(abs);
    free(wt);
    free(link);
    return r;
}
