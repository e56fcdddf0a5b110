/* SPDX-License-Identifier: MIT */
/*
 * check_fs.h - what the compio/fs.h suites share: a scratch directory
 * per case, paths in it, and the test cases each file contributes.
 */
#ifndef CHECK_FS_H
#define CHECK_FS_H

#define _GNU_SOURCE 1
#ifdef _WIN32
#include <winsock2.h> /* Before the windows.h of cio_test.h. */
#endif
#include <errno.h>
#include <fcntl.h>
#ifndef _WIN32
#include <ftw.h>
#endif
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cio_test_api.h"
#include "compio.h"
#include "compio/fs.h"

/* Plain-syscall files in the helpers: binary mode on Windows. */
#ifdef _WIN32
#define FS_O_BINARY O_BINARY
#else
#define FS_O_BINARY 0
#endif

/*
 * The mode stat reports for a regular file created with @m: Windows
 * keeps only a read-only bit (see fs.h).
 */
#ifdef _WIN32
#define FS_MODE(m) (((m) & 0200) ? 0666u : 0444u)
#else
#define FS_MODE(m) (m)
#endif

/* msvcrt's mkdir takes no mode. */
#ifdef _WIN32
#define mkdir(p, m) _mkdir(p)
#endif

/* Milliseconds in nanoseconds. */
#define FS_MS UINT64_C(1000000)

/* The scratch directory of the running case (made by fs_tmp_begin). */
extern char fs_dir[PATH_MAX];

/* Make a fresh scratch directory; remove it (and all in it) at end. */
void fs_tmp_begin(void);
void fs_tmp_end(void);

/*
 * fs_dir/@name in one of a few rotating static buffers, so several can
 * be used in one expression.
 */
const char *fs_path(const char *name);

/* Write @len bytes of @data to fs_path(@name) with plain syscalls. */
void fs_put(const char *name, const void *data, size_t len);

/* A pattern byte for offset @i (not periodic at powers of two). */
static inline unsigned char
fs_pat(uint64_t i)
{
    return (unsigned char)((i * 131u + (i >> 9) * 7u + 1u) & 0xffu);
}

/* The backend of the running case (set by fs_run), for messages. */
extern const char *fs_backend;

/* Run @body on backend @i inside a fresh scratch directory. */
void fs_run(int i, cio_task_fn body, void *arg);

TCase *check_fs_file_tcase(void);
TCase *check_fs_path_tcase(void);
TCase *check_fs_dir_tcase(void);
TCase *check_fs_pipe_tcase(void);
TCase *check_fs_stdio_tcase(void);

#endif /* CHECK_FS_H */
