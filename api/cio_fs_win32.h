/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_win32.h - what the Windows fs files share: UTF-8 paths turned
 * into the UTF-16 ones the W calls take, a Win32 call run as a BLOCKING
 * op on the pool, and the open of a file as an overlapped handle. Not
 * installed.
 */
#ifndef CIO_FS_WIN32_H
#define CIO_FS_WIN32_H

#include <winsock2.h> /* Before windows.h, which compio.h may pull in. */
#include <windows.h>

#include "cio_api_internal.h"
#include "cio_sys.h"
#include "compio/fs.h"

/**
 * @path (UTF-8) as a malloc'ed UTF-16 string in *@out. 0, CIO_EINVAL
 * (NULL or invalid UTF-8), CIO_ENOENT (empty) or CIO_ENOMEM.
 */
int cio__fs_wpath(const char *path, wchar_t **out);

/**
 * The CIO_E* for Win32 error @err of a call on @path: a missing file
 * under a prefix that is not a directory is CIO_ENOTDIR, as on POSIX.
 */
int cio__fs_path_error(const wchar_t *path, DWORD err);

/** The CIO_E* of GetLastError(). */
int cio__fs_lasterr(void);

/**
 * Run @fn(@arg) on the pool as a BLOCKING op awaited by the calling
 * task: its result, CIO_EPERM outside a task, or the op's CIO_ECANCELED
 * / CIO_ETIMEDOUT (the pool still finishes @fn before the op is
 * released, so @arg may live on the caller's stack).
 */
int64_t cio__fs_blocking(int64_t (*fn)(void *), void *arg);

/**
 * Open @path with msvcrt O_* flags @oflags (access mode, O_APPEND,
 * O_CREAT, O_EXCL, O_TRUNC) and POSIX @mode (only the owner's write bit
 * counts: without it the file is created read-only), as an overlapped,
 * non-inherited handle. On the pool. 0 with *@out, or -errno.
 */
int cio__fs_open_handle(const char *path, int oflags, uint32_t mode,
                        cio_fd *out);

#endif /* CIO_FS_WIN32_H */
