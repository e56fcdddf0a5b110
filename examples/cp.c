/* SPDX-License-Identifier: MIT */
/*
 * cp [--backend NAME] [--jobs N] [--chunk BYTES] [-v] SRC DST - copy a
 * regular file with several reads and writes in flight at once.
 *
 * A few tasks share one cursor: each takes the next chunk, reads it
 * with read_exact_at and writes it with write_all_at at the same
 * offset, so up to N reads or writes are outstanding at any time. On
 * io_uring the kernel runs them side by side; on epoll they spread
 * over the blocking pool's threads. The tasks share one thread, so the
 * cursor needs no lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>
#include <compio/fs.h>

typedef struct copy {
    const char *src_path, *dst_path;
    cio_file *src, *dst;
    uint64_t size;    /* Bytes to copy. */
    uint64_t next;    /* The next chunk's offset (the shared cursor). */
    size_t chunk;     /* Bytes per read/write. */
    unsigned jobs;    /* Worker tasks. */
    int err;          /* The first error; the others stop on it. */
    const char *what; /* Which file it concerns. */
} copy;

static void
fail(copy *c, int err, const char *what)
{
    if (c->err == 0) {
        c->err = err;
        c->what = what;
    }
}

/* One worker: claim a chunk, read it, write it, repeat. */
static int
worker(void *arg)
{
    copy *c = arg;
    char *buf = malloc(c->chunk);
    uint64_t off;
    size_t n;
    int r;

    if (buf == NULL) {
        fail(c, CIO_ENOMEM, "buffer");
        return 0;
    }
    while (c->err == 0 && c->next < c->size) {
        off = c->next;
        n = c->size - off < c->chunk ? (size_t)(c->size - off) : c->chunk;
        c->next += n;
        r = cio_file_read_exact_at(c->src, buf, n, off, NULL);
        if (r < 0) {
            fail(c, r, c->src_path);
            break;
        }
        r = cio_file_write_all_at(c->dst, buf, n, off, NULL);
        if (r < 0) {
            fail(c, r, c->dst_path);
            break;
        }
    }
    free(buf);
    return 0;
}

static int
copy_main(void *arg)
{
    copy *c = arg;
    cio_task *t[64];
    cio_stat st;
    unsigned i, n = 0;
    int r;

    r = cio_file_open(&c->src, c->src_path, CIO_O_RDONLY, 0);
    if (r < 0) {
        fail(c, r, c->src_path);
        return 0;
    }
    r = cio_file_stat(c->src, &st);
    if (r == 0 && st.type != CIO_FT_REGULAR)
        r = CIO_EINVAL;
    if (r < 0) {
        fail(c, r, c->src_path);
        goto out;
    }
    c->size = st.size;
    r = cio_file_open(&c->dst, c->dst_path,
                      CIO_O_WRONLY | CIO_O_CREAT | CIO_O_TRUNC, st.mode);
    if (r < 0) {
        fail(c, r, c->dst_path);
        goto out;
    }
    for (i = 0; i < c->jobs; i++) {
        r = cio_spawn(&t[n], worker, c);
        if (r < 0) {
            fail(c, r, "spawn");
            break;
        }
        n++;
    }
    for (i = 0; i < n; i++)
        cio_join(t[i]);
    r = cio_file_close(c->dst);
    if (r < 0)
        fail(c, r, c->dst_path);
out:
    cio_file_close(c->src);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: cp [--backend NAME] [--jobs N] [--chunk BYTES] "
                    "[-v] SRC DST\n");
    return 2;
}

int
main(int argc, char **argv)
{
    copy c = {0};
    const char *backend = NULL;
    cio_config *cfg = NULL;
    cio_runtime *rt;
    int i, r, verbose = 0;

    c.jobs = 4;
    c.chunk = 256 * 1024;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
            backend = argv[++i];
        else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
            c.jobs = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc)
            c.chunk = (size_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else
            return usage();
    }
    if (argc - i != 2 || c.jobs < 1 || c.jobs > 64 || c.chunk < 1)
        return usage();
    c.src_path = argv[i];
    c.dst_path = argv[i + 1];

    /* --backend NAME: that backend or nothing (no fallback). */
    if (backend != NULL &&
        (cio_config_new(&cfg) < 0 ||
         cio_config_set(cfg, "runtime", "backend", backend) < 0 ||
         cio_config_set(cfg, "runtime", "fallback", "no") < 0)) {
        fprintf(stderr, "cp: bad backend '%s'\n", backend);
        cio_config_free(cfg);
        return 2;
    }
    r = cio_runtime_new(&rt, cfg);
    cio_config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "cp: no runtime: %s\n%s\n", cio_strerror(r),
                cio_error_detail());
        return 1;
    }
    r = cio_block_on(rt, copy_main, &c);
    if (r == 0 && c.err == 0 && verbose)
        fprintf(stderr, "cp: %llu bytes on %s, %u tasks x %zu bytes\n",
                (unsigned long long)c.size,
                cio_driver_backend(cio_runtime_driver(rt)), c.jobs, c.chunk);
    cio_runtime_free(rt);
    if (r < 0 || c.err < 0) {
        fprintf(stderr, "cp: %s: %s\n", r < 0 ? "runtime" : c.what,
                cio_strerror(r < 0 ? r : c.err));
        return 1;
    }
    return 0;
}
