/* SPDX-License-Identifier: MIT */
/*
 * read-file [PATH] - the C form of compio's
 * `block_on(async { file.read_at(buf, 0).await })`: open a file (this
 * README by default), read up to 4 KiB at offset 0, print it.
 *
 * The read is one op awaited by a task: io_uring does it in the kernel,
 * epoll on its thread pool; COMPIO_BACKEND=epoll|uring picks one.
 */
#include <stdio.h>

#include <compio.h>
#include <compio/fs.h>

static int
main_task(void *arg)
{
    const char *path = arg;
    char buf[4096];
    cio_file *f;
    int64_t n;
    int r;

    r = cio_file_open(&f, path, CIO_O_RDONLY, 0);
    if (r < 0) {
        fprintf(stderr, "read-file: %s: %s\n", path, cio_strerror(r));
        return 1;
    }
    n = cio_file_read_at(f, buf, sizeof buf, 0);
    cio_file_close(f);
    if (n < 0) {
        fprintf(stderr, "read-file: %s: %s\n", path, cio_strerror((int)n));
        return 1;
    }
    fwrite(buf, 1, (size_t)n, stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    int r = cio_block_on(NULL, main_task, argc > 1 ? argv[1] : "README.md");

    if (r < 0)
        fprintf(stderr, "read-file: no runtime: %s\n%s\n", cio_strerror(r),
                cio_error_detail());
    return r == 0 ? 0 : 1;
}
