/* SPDX-License-Identifier: MIT */
/*
 * cio_op_win32.h - what the Windows op table (cio_op_table_win32.c)
 * takes from its path half (cio_op_path_win32.c). Not installed.
 */
#ifndef CIO_OP_WIN32_H
#define CIO_OP_WIN32_H

#include <stdint.h>
#include <wchar.h>

#include "compio/fs.h"
#include "compio/op.h"

/**
 * UTF-8 @path relative to directory fd @dirfd (CIO_AT_FDCWD or a
 * directory handle) as a malloc'ed UTF-16 path in *@out. 0, or
 * CIO_EFAULT (NULL), CIO_ENOENT (empty), CIO_EINVAL (not UTF-8),
 * CIO_EBADF / CIO_ENOTDIR (@dirfd), CIO_ENOMEM.
 */
int cio__win_path_at(cio_fd dirfd, const char *path, wchar_t **out);

/**
 * The CIO_E* of Win32 error @err of a call on @path: a missing file
 * under a prefix that is not a directory is CIO_ENOTDIR, as on POSIX.
 */
int cio__win_path_error(const wchar_t *path, unsigned long err);

/**
 * Fill @st from the HANDLE @h (opened with at least
 * FILE_READ_ATTRIBUTES): STATX's work, also the fs API's stat. 0 or
 * -errno.
 */
int32_t cio__win_stat_handle(void *h, cio_stat *st);

/** The pool forms of the path ops (see cio_op_path_win32.c). */
int32_t cio__win_openat(cio_op *op);
/** STATX: fills the cio_stat at op->a.path.statxbuf. */
int32_t cio__win_statx(cio_op *op);
/** UNLINKAT (CIO_AT_REMOVEDIR: a directory). */
int32_t cio__win_unlinkat(cio_op *op);
/** RENAMEAT (flags must be 0). */
int32_t cio__win_renameat(cio_op *op);
/** MKDIRAT. */
int32_t cio__win_mkdirat(cio_op *op);
/** SYMLINKAT. */
int32_t cio__win_symlinkat(cio_op *op);
/** LINKAT. */
int32_t cio__win_linkat(cio_op *op);

#endif /* CIO_OP_WIN32_H */
