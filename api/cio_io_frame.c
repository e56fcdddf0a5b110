/* SPDX-License-Identifier: MIT */
/*
 * cio_io_frame.c - length-prefixed frames: a header holding the payload
 * length (1, 2, 4 or 8 bytes, big- or little-endian), then the payload.
 *
 * Reader and writer are small state machines rather than one-shot
 * calls, so that a read or write cut short by cancel or a deadline can
 * be resumed without losing step with the stream.
 */
#include "config.h"

#include <stdlib.h>

#include "compio/io.h"

/* Where a reader is in the current frame. */
enum {
    FRAME_HEADER,   /* collecting header bytes */
    FRAME_PAYLOAD,  /* length known, collecting the payload */
    FRAME_OVERSIZED /* a header announced too much: out of step */
};

/* Check @opts and work out the effective limit: the configured one,
 * capped by what the header can express and what size_t can hold. */
static int
frame_opts_resolve(const cio_frame_opts *opts, unsigned *header_size,
                   unsigned *flags, uint64_t *max_frame)
{
    static const cio_frame_opts defaults = {0, 0, 0};
    uint64_t max, header_max;

    if (opts == NULL)
        opts = &defaults;
    if ((opts->flags & ~CIO_FRAME_LITTLE_ENDIAN) != 0)
        return CIO_EINVAL;
    *header_size = opts->header_size != 0 ? opts->header_size : 4;
    switch (*header_size) {
    case 1:
    case 2:
    case 4:
        header_max = (UINT64_C(1) << (8 * *header_size)) - 1;
        break;
    case 8:
        header_max = UINT64_MAX;
        break;
    default:
        return CIO_EINVAL;
    }
    max = opts->max_frame != 0 ? opts->max_frame : CIO_FRAME_DEFAULT_MAX;
    if (max > header_max)
        max = header_max;
    if (max > SIZE_MAX)
        max = SIZE_MAX;
    *flags = opts->flags;
    *max_frame = max;
    return 0;
}

static uint64_t
frame_decode(const unsigned char *p, unsigned size, unsigned flags)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        unsigned k = (flags & CIO_FRAME_LITTLE_ENDIAN) ? size - 1 - i : i;
        v = (v << 8) | p[k];
    }
    return v;
}

static void
frame_encode(unsigned char *p, unsigned size, unsigned flags, uint64_t v)
{
    unsigned i;

    for (i = 0; i < size; i++) {
        unsigned k = (flags & CIO_FRAME_LITTLE_ENDIAN) ? i : size - 1 - i;
        p[k] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

/* ---- reader ---- */

int
cio_frame_reader_init(cio_frame_reader *fr, cio_stream *inner,
                      const cio_frame_opts *opts)
{
    int r;

    if (fr == NULL || inner == NULL)
        return CIO_EINVAL;
    r = frame_opts_resolve(opts, &fr->header_size, &fr->flags, &fr->max_frame);
    if (r < 0)
        return r;
    fr->inner = inner;
    fr->hdr_got = 0;
    fr->state = FRAME_HEADER;
    fr->len = 0;
    fr->got = 0;
    fr->buf = NULL;
    fr->buf_cap = 0;
    return 0;
}

void
cio_frame_reader_destroy(cio_frame_reader *fr)
{
    if (fr == NULL)
        return;
    free(fr->buf);
    fr->buf = NULL;
    fr->buf_cap = 0;
}

/* Room for a payload of @len; the buffer only grows, by doubling, so a
 * stream of similar frames settles on one allocation. */
static int
frame_reserve(cio_frame_reader *fr, size_t len)
{
    size_t cap = fr->buf_cap != 0 ? fr->buf_cap : 256;
    unsigned char *p;

    if (len <= fr->buf_cap)
        return 0;
    while (cap < len)
        cap = cap <= SIZE_MAX / 2 ? cap * 2 : len;
    p = realloc(fr->buf, cap);
    if (p == NULL)
        return CIO_ENOMEM;
    fr->buf = p;
    fr->buf_cap = cap;
    return 0;
}

int
cio_frame_read(cio_frame_reader *fr, const void **frame, size_t *len)
{
    int64_t n;
    int r;

    if (fr == NULL || frame == NULL || len == NULL)
        return CIO_EINVAL;
    if (fr->state == FRAME_OVERSIZED)
        return CIO_EMSGSIZE;
    while (fr->state == FRAME_HEADER) {
        if (fr->hdr_got == fr->header_size) {
            uint64_t v = frame_decode(fr->hdr, fr->header_size, fr->flags);

            if (v > fr->max_frame) {
                fr->state = FRAME_OVERSIZED;
                return CIO_EMSGSIZE;
            }
            fr->len = (size_t)v;
            fr->got = 0;
            fr->state = FRAME_PAYLOAD;
            break;
        }
        n = cio_stream_read(fr->inner, fr->hdr + fr->hdr_got,
                            fr->header_size - fr->hdr_got);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return fr->hdr_got == 0 ? 0 : CIO_ENODATA;
        if ((uint64_t)n > fr->header_size - fr->hdr_got)
            return CIO_EIO;
        fr->hdr_got += (unsigned)n;
    }
    /* Reserved here, not with the header, so an ENOMEM is retried. */
    r = frame_reserve(fr, fr->len);
    if (r < 0)
        return r;
    while (fr->got < fr->len) {
        n = cio_stream_read(fr->inner, fr->buf + fr->got, fr->len - fr->got);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return CIO_ENODATA;
        if ((uint64_t)n > fr->len - fr->got)
            return CIO_EIO;
        fr->got += (size_t)n;
    }
    *frame = fr->buf != NULL ? (const void *)fr->buf : (const void *)fr->hdr;
    *len = fr->len;
    fr->state = FRAME_HEADER;
    fr->hdr_got = 0;
    return 1;
}

/* ---- writer ---- */

int
cio_frame_writer_init(cio_frame_writer *fw, cio_stream *inner,
                      const cio_frame_opts *opts)
{
    int r;

    if (fw == NULL || inner == NULL)
        return CIO_EINVAL;
    r = frame_opts_resolve(opts, &fw->header_size, &fw->flags, &fw->max_frame);
    if (r < 0)
        return r;
    fw->inner = inner;
    fw->len = 0;
    fw->sent = 0;
    fw->busy = 0;
    return 0;
}

int
cio_frame_write(cio_frame_writer *fw, const void *data, size_t len)
{
    cio_iovec iov[2];
    unsigned n = 0;
    size_t done = 0;
    int r;

    if (fw == NULL || (data == NULL && len != 0))
        return CIO_EINVAL;
    if (!fw->busy) {
        if ((uint64_t)len > fw->max_frame)
            return CIO_EMSGSIZE;
        frame_encode(fw->hdr, fw->header_size, fw->flags, len);
        fw->len = len;
        fw->sent = 0;
        fw->busy = 1;
    } else if (len != fw->len) {
        return CIO_EINVAL;
    }
    /* Whatever of header and payload has not gone out yet. */
    if (fw->sent < fw->header_size) {
        iov[n].base = fw->hdr + fw->sent;
        iov[n].len = fw->header_size - fw->sent;
        n++;
    }
    if (len != 0) {
        size_t off =
            fw->sent > fw->header_size ? fw->sent - fw->header_size : 0;

        iov[n].base = (unsigned char *)data + off;
        iov[n].len = len - off;
        n++;
    }
    r = cio_writev_all(fw->inner, iov, n, &done);
    fw->sent += done;
    if (r < 0)
        return r;
    fw->busy = 0;
    return 0;
}
