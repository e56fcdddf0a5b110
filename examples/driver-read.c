/* SPDX-License-Identifier: MIT */
/*
 * driver-read PATH - the low-level driver API in one page: open the file,
 * push one read_at, poll for its completion, print what was read.
 *
 * The backend comes from the usual lookup (COMPIO_BACKEND, COMPIO_CONFIG,
 * compio.ini, probing). On epoll the read runs on the blocking pool; on
 * io_uring the kernel does it; the code is the same.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <compio.h>

int
main(int argc, char **argv)
{
    cio_driver *drv;
    cio_entry entry;
    cio_op op;
    char buf[4096];
    int fd, n, rc;

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

    fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(argv[1]);
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
    close(fd);
    cio_driver_close(drv);
    return rc < 0 ? 1 : 0;
}
