/* SPDX-License-Identifier: MIT */
/*
 * cio_sys_unix.c - cio_sys.h on POSIX systems: file descriptors, mmap,
 * nanosleep, the monotonic clock and MSG_DONTWAIT.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cio_sys.h"

int
cio__sys_close(cio_fd fd)
{
    /* Linux and the BSDs free the descriptor even when close fails. */
    return close((int)fd) == 0 ? 0 : -errno;
}

int
cio__sys_dup(cio_fd fd, cio_fd *out)
{
    int d = fd < 0 ? -1 : fcntl((int)fd, F_DUPFD_CLOEXEC, 0);

    if (d < 0) {
        *out = CIO_INVALID_FD;
        return fd < 0 ? -EBADF : -errno;
    }
    *out = d;
    return 0;
}

size_t
cio__sys_page_size(void)
{
    long page = sysconf(_SC_PAGESIZE);

    return page > 0 ? (size_t)page : 4096;
}

void *
cio__sys_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

void
cio__sys_unmap(void *p, size_t bytes)
{
    if (p != NULL)
        munmap(p, bytes);
}

void
cio__sys_sleep_ns(uint64_t ns)
{
    struct timespec ts, rem;

    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    while (nanosleep(&ts, &rem) < 0 && errno == EINTR)
        ts = rem;
}

uint64_t
cio__sys_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t
cio__sys_recv_nowait(cio_fd fd, void *buf, size_t len, int flags)
{
    ssize_t n = recv((int)fd, buf, len, flags | MSG_DONTWAIT);

    if (n >= 0)
        return n;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}
