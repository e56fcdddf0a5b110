/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_dir.c - reading a directory. No backend has an op for it, so
 * the directory is opened with an OPENAT op (O_DIRECTORY) and its
 * entries are read on the blocking pool in batches: one BLOCKING op
 * fills up to DIR_BATCH entries with readdir(3), and cio_dir_next hands
 * them out one by one without another op. Entries whose d_type the file
 * system leaves unknown are stat'ed in the same batch.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cio_api_internal.h"
#include "compio/fs.h"

#define DIR_BATCH 128
#define DIR_NAMES 16384

typedef struct dir_ent {
    uint32_t name; /* Offset into names. */
    uint8_t type;  /* cio_file_type. */
    uint64_t ino;
} dir_ent;

struct cio_dir {
    cio_fd fd;              /* Until fdopendir took it over. */
    DIR *dir;               /* Made on the pool by the first batch. */
    struct dirent *pending; /* Read but did not fit the last batch. */
    int eof;
    unsigned n, next; /* Entries in the batch, the next one. */
    dir_ent ents[DIR_BATCH];
    char names[DIR_NAMES];
};

static cio_file_type
type_of_dt(unsigned char t)
{
    switch (t) {
    case DT_REG:
        return CIO_FT_REGULAR;
    case DT_DIR:
        return CIO_FT_DIR;
    case DT_LNK:
        return CIO_FT_SYMLINK;
    case DT_FIFO:
        return CIO_FT_FIFO;
    case DT_SOCK:
        return CIO_FT_SOCKET;
    case DT_CHR:
        return CIO_FT_CHAR;
    case DT_BLK:
        return CIO_FT_BLOCK;
    default:
        return CIO_FT_UNKNOWN;
    }
}

static cio_file_type
type_of_mode(mode_t m)
{
    if (S_ISREG(m))
        return CIO_FT_REGULAR;
    if (S_ISDIR(m))
        return CIO_FT_DIR;
    if (S_ISLNK(m))
        return CIO_FT_SYMLINK;
    if (S_ISFIFO(m))
        return CIO_FT_FIFO;
    if (S_ISSOCK(m))
        return CIO_FT_SOCKET;
    if (S_ISCHR(m))
        return CIO_FT_CHAR;
    if (S_ISBLK(m))
        return CIO_FT_BLOCK;
    return CIO_FT_UNKNOWN;
}

/* Add @e to the batch: 1, or 0 when its name does not fit. */
static int
batch_add(cio_dir *d, size_t *used, const struct dirent *e)
{
    size_t len = strlen(e->d_name);
    dir_ent *de = &d->ents[d->n];
    struct stat st;

    if (*used + len + 1 > sizeof d->names)
        return 0;
    memcpy(d->names + *used, e->d_name, len + 1);
    de->name = (uint32_t)*used;
    de->ino = (uint64_t)e->d_ino;
    de->type = (uint8_t)type_of_dt(e->d_type);
    if (de->type == CIO_FT_UNKNOWN &&
        fstatat(dirfd(d->dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        de->type = (uint8_t)type_of_mode(st.st_mode);
    *used += len + 1;
    d->n++;
    return 1;
}

/* On a pool thread: refill the batch. The count, or -errno. */
static int64_t
dir_fill(void *arg)
{
    cio_dir *d = arg;
    struct dirent *e;
    size_t used = 0;

    d->n = 0;
    d->next = 0;
    if (d->dir == NULL) {
        d->dir = fdopendir((int)d->fd);
        if (d->dir == NULL)
            return -errno;
        d->fd = CIO_INVALID_FD;
    }
    if (d->pending != NULL) {
        /* The batch is empty, so it fits (a name is at most NAME_MAX). */
        (void)batch_add(d, &used, d->pending);
        d->pending = NULL;
    }
    while (d->n < DIR_BATCH) {
        errno = 0;
        e = readdir(d->dir);
        if (e == NULL) {
            if (errno != 0)
                return -errno;
            d->eof = 1;
            break;
        }
        if (e->d_name[0] == '.' &&
            (e->d_name[1] == '\0' ||
             (e->d_name[1] == '.' && e->d_name[2] == '\0')))
            continue;
        if (!batch_add(d, &used, e)) {
            /* Valid until the next readdir on this stream: ours. */
            d->pending = e;
            break;
        }
    }
    return (int64_t)d->n;
}

int
cio_dir_open(cio_dir **out, const char *path)
{
    cio_dir *d;
    cio_op op;
    int32_t fd;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (path == NULL)
        return CIO_EINVAL;
    d = calloc(1, sizeof *d);
    if (d == NULL)
        return CIO_ENOMEM;
    cio_op_openat(&op, CIO_AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0);
    fd = cio_submit_wait(&op);
    if (fd < 0) {
        free(d);
        return fd;
    }
    r = cio__api_attach(fd);
    if (r < 0) {
        cio__api_close(fd);
        free(d);
        return r;
    }
    d->fd = fd;
    *out = d;
    return 0;
}

int
cio_dir_next(cio_dir *d, cio_dir_entry *e)
{
    cio_op op;
    int32_t r;
    dir_ent *de;

    if (d == NULL || e == NULL)
        return CIO_EINVAL;
    if (d->next == d->n) {
        if (d->eof)
            return 0;
        /*
         * A batch cancelled before it ran changed nothing; one that ran
         * reports its real count, so the state always matches.
         */
        cio_op_blocking(&op, dir_fill, d);
        r = cio_submit_wait(&op);
        if (r < 0)
            return r;
        if (d->n == 0)
            return 0;
    }
    de = &d->ents[d->next++];
    e->name = d->names + de->name;
    e->type = (cio_file_type)de->type;
    e->ino = de->ino;
    return 1;
}

int
cio_dir_close(cio_dir *d)
{
    int r = 0;

    if (d == NULL)
        return 0;
    /*
     * closedir(3) closes the descriptor fdopendir took over; that close
     * is a plain syscall on a directory, which does not block.
     */
    if (d->dir != NULL)
        r = closedir(d->dir) == 0 ? 0 : -errno;
    else
        r = cio__api_close(d->fd);
    free(d);
    return r;
}
