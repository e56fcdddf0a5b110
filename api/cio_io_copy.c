/* SPDX-License-Identifier: MIT */
/*
 * cio_io_copy.c - copy a stream into another through a buffer of our
 * own. Kept to plain read/write_all so it works on any pair of streams;
 * a splice path for descriptor pairs can come later without changing
 * the call.
 */
#include "config.h"

#include <stdlib.h>

#include "compio/io.h"

/* Big enough that a socket or pipe moves a good batch per call, small
 * enough not to matter per copy. On the heap: a task's stack is small. */
#define COPY_BUF (64u * 1024u)

int64_t
cio_copy(cio_stream *dst, cio_stream *src, uint64_t limit, uint64_t *copied)
{
    unsigned char *buf = NULL;
    uint64_t total = 0;
    int64_t r = 0;

    if (dst == NULL || src == NULL) {
        r = CIO_EINVAL;
        goto out;
    }
    if (limit == 0)
        goto out;
    buf = malloc(COPY_BUF);
    if (buf == NULL) {
        r = CIO_ENOMEM;
        goto out;
    }
    while (total < limit) {
        size_t want =
            limit - total < COPY_BUF ? (size_t)(limit - total) : COPY_BUF;
        size_t put = 0;
        int64_t n = cio_stream_read(src, buf, want);
        int w;

        if (n <= 0) {
            r = n;
            break;
        }
        if ((uint64_t)n > want) {
            r = CIO_EIO;
            break;
        }
        w = cio_write_all(dst, buf, (size_t)n, &put);
        total += put;
        if (w < 0) {
            r = w;
            break;
        }
    }
    free(buf);
out:
    if (copied != NULL)
        *copied = total;
    return r < 0 ? r : (int64_t)total;
}
