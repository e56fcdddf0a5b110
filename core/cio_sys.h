/* SPDX-License-Identifier: MIT */
/*
 * cio_sys.h - the few operating-system services the core needs beyond
 * standard C and threads, one implementation per platform family:
 * core/cio_sys_unix.c and core/cio_sys_win32.c. Everything returns
 * -errno (CIO_E*) and never leaves errno or GetLastError() for the
 * caller to read.
 */
#ifndef CIO_SYS_H
#define CIO_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "compio/platform.h"

/**
 * Close descriptor @fd (a file descriptor; on Windows a SOCKET or a
 * HANDLE, whichever it is). 0 or -errno.
 */
int cio__sys_close(cio_fd fd);
/**
 * A second descriptor for the object @fd refers to, not inherited by
 * child processes. 0 with *@out set, or -errno (*@out is then
 * CIO_INVALID_FD).
 */
int cio__sys_dup(cio_fd fd, cio_fd *out);
/** The page size: the granule of cio__sys_map. */
size_t cio__sys_page_size(void);
/**
 * @bytes (a multiple of the page size) of zeroed, page-aligned,
 * read-write memory of its own, or NULL.
 */
void *cio__sys_map(size_t bytes);
/** Give back what cio__sys_map returned; NULL is fine. */
void cio__sys_unmap(void *p, size_t bytes);
/** Sleep for at least @ns nanoseconds (interruptions are resumed). */
void cio__sys_sleep_ns(uint64_t ns);
/** Monotonic clock in nanoseconds, for timeouts and measurements. */
uint64_t cio__sys_now_ns(void);
/**
 * Receive up to @len bytes from socket @fd with recv(2) flags @flags,
 * without blocking: bytes (0 at end of stream) or -errno, CIO_EAGAIN
 * when nothing is there yet.
 */
int64_t cio__sys_recv_nowait(cio_fd fd, void *buf, size_t len, int flags);

#if defined(_WIN32)
/**
 * The CIO_E* code for a Win32 error code (GetLastError(), also the
 * WSA* codes of Winsock); CIO_EIO for one without a better match.
 */
int cio__sys_win32_error(unsigned long code);
#endif

#endif /* CIO_SYS_H */
