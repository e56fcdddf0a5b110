/* SPDX-License-Identifier: MIT */
/*
 * cio_io_line.c - delimiter and text-line reading on a buffered reader.
 *
 * Both copying calls find the whole line in the reader's buffer first
 * (cio_bufreader_peek_until) and consume it only once it is copied out,
 * so a line cut short by an error or refused as too long stays unread:
 * the next call sees it whole.
 */
#include "config.h"

#include <string.h>

#include "compio/io.h"

int64_t
cio_bufreader_read_until(cio_bufreader *r, int delim, void *buf, size_t cap)
{
    const void *data;
    int64_t n;

    if (buf == NULL || cap == 0)
        return CIO_EINVAL;
    n = cio_bufreader_peek_until(r, delim, cap, &data);
    if (n <= 0)
        return n;
    memcpy(buf, data, (size_t)n);
    cio_bufreader_consume(r, (size_t)n);
    return n;
}

/* Length of @p[0..n) without its line ending: "\n", or "\r\n". */
static size_t
line_content(const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '\n') {
        n--;
        if (n > 0 && p[n - 1] == '\r')
            n--;
    }
    return n;
}

int
cio_bufreader_read_line(cio_bufreader *r, char *line, size_t cap, size_t *len,
                        unsigned flags)
{
    int keep = (flags & CIO_LINE_KEEP_NEWLINE) != 0;
    const void *data;
    size_t raw_max, keep_len;
    int64_t n;

    if (len != NULL)
        *len = 0;
    if (line == NULL || cap == 0 || (flags & ~CIO_LINE_KEEP_NEWLINE) != 0)
        return CIO_EINVAL;
    line[0] = '\0';
    /* The raw line may carry two bytes ("\r\n") we do not store. */
    raw_max = cap - 1;
    if (!keep)
        raw_max = raw_max <= SIZE_MAX - 2 ? raw_max + 2 : SIZE_MAX;
    if (raw_max == 0) {
        /* Only the end of stream can be returned in one byte. */
        n = cio_bufreader_peek(r, 1, &data);
        return n <= 0 ? (int)n : CIO_EMSGSIZE;
    }
    n = cio_bufreader_peek_until(r, '\n', raw_max, &data);
    if (n <= 0)
        return (int)n;
    keep_len = keep ? (size_t)n : line_content(data, (size_t)n);
    if (keep_len > cap - 1)
        return CIO_EMSGSIZE;
    memcpy(line, data, keep_len);
    line[keep_len] = '\0';
    cio_bufreader_consume(r, (size_t)n);
    if (len != NULL)
        *len = keep_len;
    return 1;
}

int64_t
cio_bufreader_skip_until(cio_bufreader *r, int delim)
{
    int64_t total = 0;

    for (;;) {
        const void *data;
        const char *hit;
        int64_t n = cio_bufreader_fill(r, &data);

        if (n <= 0)
            return n < 0 ? n : total;
        hit = memchr(data, (unsigned char)delim, (size_t)n);
        if (hit != NULL)
            n = hit - (const char *)data + 1;
        cio_bufreader_consume(r, (size_t)n);
        total += n;
        if (hit != NULL)
            return total;
    }
}
