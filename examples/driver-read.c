/* SPDX-License-Identifier: MIT */
/*
 * driver-read PATH - the low-level driver API in one page: open the file,
 * push one read_at, poll for its completion, print what was read.
 *
 * The backend comes from the usual lookup (COMPIO_BACKEND, COMPIO_CONFIG,
 * compio.ini, probing). On epoll the read runs on the blocking pool; on
 * io_uring the kernel does it; the code is the same. On Windows a
 * cio_fd is a HANDLE, opened for overlapped IO so that IOCP can do the
 * read.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include <compio.h>
#ifdef _WIN32
#include <windows.h> /* After compio.h, which brings in winsock2.h. */
#endif

/* Open @path for reading; the descriptor (a HANDLE on Windows) or -1. */
static cio_fd
open_read(const char *path)
{
#ifdef _WIN32
    HANDLE h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL,
                           OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);

    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "%s: cannot open (Windows error %lu)\n", path,
                (unsigned long)GetLastError());
        return -1;
    }
    return (cio_fd)h;
#else
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        perror(path);
    return fd;
#endif
}

static void
close_fd(cio_fd fd)
{
#ifdef _WIN32
    CloseHandle((HANDLE)fd);
#else
    close(fd);
#endif
}

int
main(int argc, char **argv)
{
    cio_driver *drv;
    cio_entry entry;
    cio_op op;
    char buf[4096];
    cio_fd fd;
    int n, rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH\n", argv[0]);
        return 2;
    }

    rc = cio_driver_open(&drv, NULL);
    if (rc < 0) {
        fprintf(stderr, "driver-read: cannot open a driver: %s\n%s\n",
                cio_strerror(rc), cio_error_detail());
        return 1;
    }

    fd = open_read(argv[1]);
    if (fd == -1) {
        cio_driver_close(drv);
        return 1;
    }
    rc = cio_driver_attach(drv, fd);
    if (rc < 0) {
        fprintf(stderr, "driver-read: attach: %s\n", cio_strerror(rc));
        goto out;
    }

    cio_op_read_at(&op, fd, buf, sizeof buf, 0);
    op.user_data = 42;
    rc = cio_driver_push(drv, &op);
    if (rc < 0) {
        fprintf(stderr, "driver-read: push: %s\n", cio_strerror(rc));
        goto out;
    }

    /* Wait as long as it takes: the read completes or fails. */
    do {
        n = cio_driver_poll(drv, -1, &entry, 1);
    } while (n == 0);
    if (n < 0) {
        rc = n;
        fprintf(stderr, "driver-read: poll: %s\n", cio_strerror(rc));
        goto out;
    }

    rc = entry.result;
    if (rc < 0) {
        fprintf(stderr, "driver-read: read_at: %s (%s)\n", cio_strerror(rc),
                cio_errname(rc));
        goto out;
    }
    printf("backend %s read %d bytes (user_data %llu):\n",
           cio_driver_backend(drv), rc,
           (unsigned long long)entry.user_data);
    fwrite(buf, 1, (size_t)rc, stdout);
    if (rc > 0 && buf[rc - 1] != '\n')
        putchar('\n');
    rc = 0;

out:
    close_fd(fd);
    cio_driver_close(drv);
    return rc < 0 ? 1 : 0;
}
