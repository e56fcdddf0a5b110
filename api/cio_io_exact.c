/* SPDX-License-Identifier: MIT */
/*
 * cio_io_exact.c - read_exact and write_all: loop over the short reads
 * and writes a stream is allowed to return, and always report how far
 * they got so a caller can resume.
 */
#include "config.h"

#include "compio/io.h"

int
cio_read_exact(cio_stream *s, void *buf, size_t len, size_t *done)
{
    unsigned char *p = buf;
    size_t got = 0;
    int r = 0;

    while (got < len) {
        int64_t n = cio_stream_read(s, p + got, len - got);

        if (n < 0) {
            r = (int)n;
            break;
        }
        if (n == 0) {
            r = CIO_ENODATA;
            break;
        }
        /* Trusting an overlong count would walk past @buf. */
        if ((uint64_t)n > len - got) {
            r = CIO_EIO;
            break;
        }
        got += (size_t)n;
    }
    if (done != NULL)
        *done = got;
    return r;
}

/* cio_write_all after its first write returned @n, not all of @len. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int
write_all_rest(cio_stream *s, const unsigned char *p, size_t len, size_t *done,
               int64_t n)
{
    size_t put = 0;
    int r = 0;

    for (;;) {
        if (n < 0) {
            r = (int)n;
            break;
        }
        /* A stream that takes nothing would have us spin for ever. */
        if (n == 0 || (uint64_t)n > len - put) {
            r = CIO_EIO;
            break;
        }
        put += (size_t)n;
        if (put == len)
            break;
        n = cio_stream_write(s, p + put, len - put);
    }
    if (done != NULL)
        *done = put;
    return r;
}

int
cio_write_all(cio_stream *s, const void *buf, size_t len, size_t *done)
{
    int64_t n;

    if (len == 0) {
        if (done != NULL)
            *done = 0;
        return 0;
    }
    /*
     * Nearly every write takes all of it at once: that one returns here,
     * and only a short write pays for the loop (issue 10).
     */
    n = cio_stream_write(s, buf, len);
    if (n > 0 && (uint64_t)n == len) {
        if (done != NULL)
            *done = len;
        return 0;
    }
    return write_all_rest(s, buf, len, done, n);
}

/* How many buffers one writev call gets at most; the caller's array is
 * const, so each call is handed a window copied from where we are. */
#define WINDOW 16

int
cio_writev_all(cio_stream *s, const cio_iovec *iov, unsigned n, size_t *done)
{
    cio_iovec win[WINDOW];
    size_t put = 0, off = 0;
    unsigned i = 0;
    int r = 0;

    if (iov == NULL && n != 0) {
        r = CIO_EINVAL;
        goto out;
    }
    for (;;) {
        unsigned k = 0, j;
        size_t want = 0;
        int64_t w;

        /* Skip what is fully written (and empty buffers). */
        while (i < n && off == iov[i].len) {
            i++;
            off = 0;
        }
        if (i == n)
            break;
        for (j = i; j < n && k < WINDOW; j++) {
            size_t skip = j == i ? off : 0;

            if (iov[j].len == skip)
                continue;
            win[k].base = (unsigned char *)iov[j].base + skip;
            win[k].len = iov[j].len - skip;
            want += win[k].len;
            k++;
        }
        w = cio_stream_writev(s, win, k);
        if (w < 0) {
            r = (int)w;
            break;
        }
        if (w == 0 || (uint64_t)w > want) {
            r = CIO_EIO;
            break;
        }
        put += (size_t)w;
        /* Advance the cursor over the bytes that went out. */
        while (w > 0) {
            size_t left = iov[i].len - off;
            size_t step = (uint64_t)w < left ? (size_t)w : left;

            off += step;
            w -= (int64_t)step;
            if (off == iov[i].len) {
                i++;
                off = 0;
            }
        }
    }
out:
    if (done != NULL)
        *done = put;
    return r;
}
