/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_dir_win32.c - reading a directory on Windows: FindFirstFileW
 * and FindNextFileW on the pool, a batch of entries per trip, names
 * turned into UTF-8 there. "." and ".." are skipped, as on POSIX;
 * Windows gives no inode number here (ino is 0).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cio_fs_win32.h"

#define DIR_BATCH 128
#define DIR_NAMES 32768
/* A UTF-16 name of MAX_PATH units is at most this many UTF-8 bytes. */
#define DIR_NAME_MAX (3 * MAX_PATH + 1)

typedef struct dir_ent {
    uint32_t name; /* Offset into names. */
    uint8_t type;  /* cio_file_type. */
} dir_ent;

struct cio_dir {
    wchar_t *pattern; /* path\*, until the first batch. */
    HANDLE find;      /* INVALID_HANDLE_VALUE before the first batch. */
    WIN32_FIND_DATAW cur; /* Found, not yet in a batch (have_cur). */
    int have_cur;
    int eof;
    unsigned n, next;
    dir_ent ents[DIR_BATCH];
    char names[DIR_NAMES];
};

static int
is_dot(const wchar_t *n)
{
    return n[0] == L'.' && (n[1] == 0 || (n[1] == L'.' && n[2] == 0));
}

/* Add d->cur to the batch: 1, or 0 when the names are full. */
static int
batch_add(cio_dir *d, size_t *used)
{
    const WIN32_FIND_DATAW *f = &d->cur;
    dir_ent *de;
    int len;

    if (DIR_NAMES - *used < DIR_NAME_MAX)
        return 0;
    len = WideCharToMultiByte(CP_UTF8, 0, f->cFileName, -1,
                              d->names + *used, (int)(DIR_NAMES - *used),
                              NULL, NULL);
    if (len <= 0)
        return 1; /* Not representable: skipped. */
    de = &d->ents[d->n++];
    de->name = (uint32_t)*used;
    if (f->dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
        de->type = CIO_FT_SYMLINK;
    else if (f->dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        de->type = CIO_FT_DIR;
    else
        de->type = CIO_FT_REGULAR;
    *used += (size_t)len;
    return 1;
}

/* On a pool thread: refill the batch. The count, or -errno. */
static int64_t
dir_fill(void *arg)
{
    cio_dir *d = arg;
    size_t used = 0;

    d->n = 0;
    d->next = 0;
    if (d->find == INVALID_HANDLE_VALUE) {
        d->find = FindFirstFileW(d->pattern, &d->cur);
        if (d->find == INVALID_HANDLE_VALUE) {
            DWORD e = GetLastError();
            if (e == ERROR_FILE_NOT_FOUND || e == ERROR_NO_MORE_FILES) {
                d->eof = 1; /* Empty (a drive root has no "."). */
                return 0;
            }
            return cio__sys_win32_error(e);
        }
        d->have_cur = 1;
    }
    while (d->n < DIR_BATCH) {
        if (!d->have_cur) {
            if (!FindNextFileW(d->find, &d->cur)) {
                if (GetLastError() != ERROR_NO_MORE_FILES)
                    return cio__fs_lasterr();
                d->eof = 1;
                break;
            }
            d->have_cur = 1;
        }
        if (is_dot(d->cur.cFileName)) {
            d->have_cur = 0;
            continue;
        }
        if (!batch_add(d, &used))
            break; /* d->cur waits for the next batch. */
        d->have_cur = 0;
    }
    return (int64_t)d->n;
}

/* Is @path an existing directory? 0, or -errno. On the pool. */
static int64_t
dir_check(void *arg)
{
    DWORD attr = GetFileAttributesW((const wchar_t *)arg);

    if (attr == INVALID_FILE_ATTRIBUTES)
        return cio__fs_lasterr();
    return (attr & FILE_ATTRIBUTE_DIRECTORY) ? 0 : CIO_ENOTDIR;
}

int
cio_dir_open(cio_dir **out, const char *path)
{
    cio_dir *d;
    wchar_t *w;
    size_t n;
    int64_t r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if ((r = cio__fs_wpath(path, &w)) < 0)
        return (int)r;
    r = cio__fs_blocking(dir_check, w);
    if (r < 0) {
        free(w);
        return (int)r;
    }
    d = calloc(1, sizeof *d);
    n = wcslen(w);
    if (d == NULL || (d->pattern = malloc((n + 3) * sizeof(wchar_t))) == NULL) {
        free(d);
        free(w);
        return CIO_ENOMEM;
    }
    memcpy(d->pattern, w, n * sizeof(wchar_t));
    if (n > 0 && w[n - 1] != L'\\' && w[n - 1] != L'/')
        d->pattern[n++] = L'\\';
    d->pattern[n++] = L'*';
    d->pattern[n] = 0;
    free(w);
    d->find = INVALID_HANDLE_VALUE;
    *out = d;
    return 0;
}

int
cio_dir_next(cio_dir *d, cio_dir_entry *e)
{
    int64_t r;
    dir_ent *de;

    if (d == NULL || e == NULL)
        return CIO_EINVAL;
    if (d->next == d->n) {
        if (d->eof)
            return 0;
        r = cio__fs_blocking(dir_fill, d);
        if (r < 0)
            return (int)r;
        if (d->n == 0)
            return 0;
    }
    de = &d->ents[d->next++];
    e->name = d->names + de->name;
    e->type = (cio_file_type)de->type;
    e->ino = 0;
    return 1;
}

int
cio_dir_close(cio_dir *d)
{
    int r = 0;

    if (d == NULL)
        return 0;
    /* FindClose does not block. */
    if (d->find != INVALID_HANDLE_VALUE && !FindClose(d->find))
        r = cio__fs_lasterr();
    free(d->pattern);
    free(d);
    return r;
}
