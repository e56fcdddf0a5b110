/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_file_win32.c - the Windows halves of cio_file: UTF-8 paths,
 * the open (CreateFileW with FILE_FLAG_OVERLAPPED, so the IOCP backend
 * takes the handle's reads and writes), and stat by handle or path
 * (GetFileInformationByHandle). Positional IO, sync, set_len and the
 * stream view are the shared ops of cio_fs_file.c.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cio_fs_win32.h"
#include "cio_op_win32.h"

int
cio__fs_lasterr(void)
{
    return cio__sys_win32_error(GetLastError());
}

int
cio__fs_wpath(const char *path, wchar_t **out)
{
    int n;
    wchar_t *w;

    *out = NULL;
    if (path == NULL)
        return CIO_EINVAL;
    if (path[0] == '\0')
        return CIO_ENOENT;
    n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
    if (n <= 0)
        return CIO_EINVAL;
    w = malloc((size_t)n * sizeof *w);
    if (w == NULL)
        return CIO_ENOMEM;
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
    *out = w;
    return 0;
}

int64_t
cio__fs_blocking(int64_t (*fn)(void *), void *arg)
{
    cio_op op;

    if (cio_current() == NULL)
        return CIO_EPERM;
    cio_op_blocking(&op, fn, arg);
    return cio_submit_wait(&op);
}

/* ---- open ---- */

typedef struct open_req {
    const wchar_t *path;
    int oflags;
    uint32_t mode;
    HANDLE h;
} open_req;

/*
 * Opening a directory for writing, or a path whose parent is a file,
 * reads as access denied or path not found on Windows: give the
 * POSIX answer where the path tells which.
 */
int
cio__fs_path_error(const wchar_t *path, DWORD err)
{
    wchar_t *p;
    size_t n;
    DWORD attr;

    if (err != ERROR_PATH_NOT_FOUND && err != ERROR_FILE_NOT_FOUND &&
        err != ERROR_DIRECTORY)
        return cio__sys_win32_error(err);
    /* Does a proper prefix of the path name something not a directory? */
    n = wcslen(path);
    p = malloc((n + 1) * sizeof *p);
    if (p == NULL)
        return cio__sys_win32_error(err);
    memcpy(p, path, (n + 1) * sizeof *p);
    while (n > 0) {
        while (n > 0 && p[n - 1] != L'/' && p[n - 1] != L'\\')
            n--;
        while (n > 0 && (p[n - 1] == L'/' || p[n - 1] == L'\\'))
            n--;
        if (n == 0)
            break;
        p[n] = 0;
        attr = GetFileAttributesW(p);
        if (attr != INVALID_FILE_ATTRIBUTES) {
            free(p);
            return (attr & FILE_ATTRIBUTE_DIRECTORY) ? CIO_ENOENT
                                                     : CIO_ENOTDIR;
        }
    }
    free(p);
    return cio__sys_win32_error(err);
}

static int
open_error(const wchar_t *path, DWORD err)
{
    DWORD attr;

    if (err == ERROR_ACCESS_DENIED) {
        attr = GetFileAttributesW(path);
        if (attr != INVALID_FILE_ATTRIBUTES &&
            (attr & FILE_ATTRIBUTE_DIRECTORY))
            return CIO_EISDIR;
    }
    return cio__fs_path_error(path, err);
}

static int64_t
open_run(void *arg)
{
    open_req *q = arg;
    DWORD access, disp, attrs = FILE_ATTRIBUTE_NORMAL;
    int acc = q->oflags & O_ACCMODE;

    access = acc == O_WRONLY ? GENERIC_WRITE
             : acc == O_RDWR ? GENERIC_READ | GENERIC_WRITE
                             : GENERIC_READ;
    if (q->oflags & O_APPEND) {
        /*
         * Append-only data access: Windows then puts every write at
         * the end, whatever offset it names, as O_APPEND does.
         */
        access &= ~(DWORD)GENERIC_WRITE;
        access |= FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA |
                  READ_CONTROL | SYNCHRONIZE;
    }
    if ((q->oflags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        disp = CREATE_NEW;
    else if ((q->oflags & (O_CREAT | O_TRUNC)) == (O_CREAT | O_TRUNC))
        disp = CREATE_ALWAYS;
    else if (q->oflags & O_CREAT)
        disp = OPEN_ALWAYS;
    else if (q->oflags & O_TRUNC)
        disp = TRUNCATE_EXISTING;
    else
        disp = OPEN_EXISTING;
    if (!(q->mode & 0200))
        attrs = FILE_ATTRIBUTE_READONLY;
    /* Sharing everything: others may read, write, rename and delete
     * the file while it is open, as on POSIX. */
    q->h = CreateFileW(q->path, access,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                       NULL, disp, attrs | FILE_FLAG_OVERLAPPED, NULL);
    if (q->h == INVALID_HANDLE_VALUE)
        return open_error(q->path, GetLastError());
    return 0;
}

int
cio__fs_open_handle(const char *path, int oflags, uint32_t mode, cio_fd *out)
{
    open_req q;
    wchar_t *w;
    int64_t r;

    *out = CIO_INVALID_FD;
    r = cio__fs_wpath(path, &w);
    if (r < 0)
        return (int)r;
    q.path = w;
    q.oflags = oflags;
    q.mode = mode;
    q.h = INVALID_HANDLE_VALUE;
    r = cio__fs_blocking(open_run, &q);
    /* An open that won the race with a cancel: do not leak it. */
    if (r < 0 && q.h != INVALID_HANDLE_VALUE)
        CloseHandle(q.h);
    free(w);
    if (r < 0)
        return (int)r;
    *out = (cio_fd)q.h;
    return 0;
}

/* ---- stat ---- */

/* Fill @st from handle @h: the STATX op's code (core/). 0 or -errno. */
static int
stat_handle(HANDLE h, cio_stat *st)
{
    return (int)cio__win_stat_handle(h, st);
}

typedef struct stat_req {
    HANDLE h;
    const wchar_t *path;
    int nofollow;
    cio_stat *st;
} stat_req;

static int64_t
stat_run(void *arg)
{
    stat_req *q = arg;
    HANDLE h = q->h;
    int r;

    if (q->path != NULL) {
        /* Backup semantics: directories open too. */
        h = CreateFileW(q->path, FILE_READ_ATTRIBUTES,
                        FILE_SHARE_READ | FILE_SHARE_WRITE |
                            FILE_SHARE_DELETE,
                        NULL, OPEN_EXISTING,
                        FILE_FLAG_BACKUP_SEMANTICS |
                            (q->nofollow ? FILE_FLAG_OPEN_REPARSE_POINT : 0),
                        NULL);
        if (h == INVALID_HANDLE_VALUE)
            return cio__fs_path_error(q->path, GetLastError());
    }
    r = stat_handle(h, q->st);
    if (q->path != NULL)
        CloseHandle(h);
    return r;
}

static int
do_stat(HANDLE h, const char *path, int nofollow, cio_stat *st)
{
    stat_req q;
    wchar_t *w = NULL;
    int64_t r;

    if (st == NULL)
        return CIO_EINVAL;
    if (path != NULL && (r = cio__fs_wpath(path, &w)) < 0)
        return (int)r;
    q.h = h;
    q.path = w;
    q.nofollow = nofollow;
    q.st = st;
    r = cio__fs_blocking(stat_run, &q);
    free(w);
    if (r < 0)
        memset(st, 0, sizeof *st);
    return (int)r;
}

int
cio_file_stat(cio_file *f, cio_stat *st)
{
    if (f == NULL)
        return CIO_EINVAL;
    return do_stat((HANDLE)cio_file_fd(f), NULL, 0, st);
}

int
cio_fs_stat(const char *path, cio_stat *st)
{
    if (path == NULL)
        return CIO_EINVAL;
    return do_stat(NULL, path, 0, st);
}

int
cio_fs_lstat(const char *path, cio_stat *st)
{
    if (path == NULL)
        return CIO_EINVAL;
    return do_stat(NULL, path, 1, st);
}
