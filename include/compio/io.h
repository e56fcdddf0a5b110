/* SPDX-License-Identifier: MIT */
/*
 * compio/io.h - generic helpers over any cio_stream: exact reads and
 * complete writes, copy between streams, a buffered reader (lines,
 * delimiters, peek), a buffered writer, and length-prefixed framing.
 *
 *     cio_bufreader *in;
 *     cio_bufreader_new(&in, cio_tcp_stream_io(conn), 0);
 *     char line[512];
 *     size_t n;
 *     while ((r = cio_bufreader_read_line(in, line, sizeof line, &n, 0)) > 0)
 *         cio_write_all(out, line, n, NULL);
 *
 * Every call is made from a task and reads like blocking code. None
 * takes a timeout: they inherit cancel and deadlines from the stream
 * calls they make, so a cio_cancel of the task ends a blocked helper
 * with CIO_ECANCELED and a deadline (cio_deadline_set) with
 * CIO_ETIMEDOUT. Each object documents what it keeps after such an
 * error, so a call cut short by a deadline can simply be made again.
 * A call satisfied from a buffer does not touch the stream and so does
 * not fail for a cancelled task.
 *
 * Return values: int64_t calls give a byte count (>= 0) or -errno; int
 * calls give 0 (or 1, where documented) or -errno. Codes specific to
 * these helpers:
 *   CIO_ENODATA  the stream ended before the call had all it needs (a
 *                short read_exact, a frame cut short);
 *   CIO_EMSGSIZE a line or frame is longer than the limit;
 *   CIO_EIO      the stream broke its contract (a write of 0 bytes, a
 *                read or write reporting more bytes than asked for).
 *
 * The objects are plain structs so they can live on a task's stack or
 * inside the caller's own struct; their members are internal.
 */
#ifndef COMPIO_IO_H
#define COMPIO_IO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "platform.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Buffer size of cio_bufreader_new/cio_bufwriter_new when given 0. */
#define CIO_IO_DEFAULT_BUF 8192u

/* ---- exact transfers ---- */

/**
 * Read exactly @len bytes into @buf, looping over short reads.
 *
 * Returns 0 when all @len bytes arrived; CIO_ENODATA when the stream
 * ended first; another -errno from the stream (CIO_ECANCELED,
 * CIO_ETIMEDOUT, CIO_ECONNRESET, ...); CIO_EIO if a read reported more
 * bytes than asked for. Whatever the outcome, *@done (when not NULL)
 * is the number of bytes stored at the start of @buf, so a caller can
 * use or resume a partial read.
 */
CIO_EXTERN int cio_read_exact(cio_stream *s, void *buf, size_t len,
                              size_t *done);

/**
 * Write all @len bytes of @buf, looping over short writes.
 *
 * Returns 0 when all were written; the stream's -errno (CIO_EPIPE,
 * CIO_ECANCELED, ...) otherwise; CIO_EIO if a write wrote nothing or
 * reported more than asked for. *@done (when not NULL) is the number
 * of leading bytes written, also on failure.
 */
CIO_EXTERN int cio_write_all(cio_stream *s, const void *buf, size_t len,
                             size_t *done);

/**
 * Write every byte of the @n buffers of @iov in order, looping over
 * short writes (the array itself is not modified). Returns and *@done
 * as cio_write_all, counted over the whole vector.
 */
CIO_EXTERN int cio_writev_all(cio_stream *s, const cio_iovec *iov, unsigned n,
                              size_t *done);

/* ---- copy ---- */

/** cio_copy's @limit for "until the end of @src". */
#define CIO_COPY_ALL UINT64_MAX

/**
 * Copy from @src to @dst until @src ends or @limit bytes were copied,
 * through a 64 KiB buffer of its own.
 *
 * Returns the bytes copied (>= 0), or -errno from either stream (or
 * CIO_ENOMEM for the buffer, CIO_EIO as cio_write_all). *@copied (when
 * not NULL) is the number of bytes written to @dst, also on failure;
 * bytes read from @src but not yet written when an error happened are
 * lost. @dst is not flushed, shut down or closed.
 *
 * The copy always passes through user space; between a pipe and a
 * socket the uring backend could later splice instead.
 */
CIO_EXTERN int64_t cio_copy(cio_stream *dst, cio_stream *src, uint64_t limit,
                            uint64_t *copied);

/* ---- buffered reader ---- */

/**
 * A read buffer in front of a stream. It is itself a stream
 * (cio_bufreader_io): reads come from the buffer, writes and shutdown
 * go straight to the stream under it, and closing it closes that
 * stream too.
 *
 * After any error (cancel, deadline, reset, a line too long) the bytes
 * already buffered stay buffered and nothing is consumed that the call
 * did not return, so the next call sees the stream exactly where the
 * failed call started.
 */
typedef struct cio_bufreader {
    cio_stream io;      /**< The stream interface; keep first. */
    cio_stream *inner;  /**< Internal: the stream read from. */
    unsigned char *buf; /**< Internal: the buffer. */
    size_t cap;         /**< Internal: its size. */
    size_t pos;         /**< Internal: first unread byte. */
    size_t end;         /**< Internal: end of the buffered bytes. */
    int owned;          /**< Internal: made by cio_bufreader_new. */
} cio_bufreader;

/**
 * Initialise @r on caller storage, reading from @inner through @buf of
 * @cap bytes (both owned by the caller and kept valid while @r is
 * used). 0, or CIO_EINVAL for a NULL argument or @cap 0.
 */
CIO_EXTERN int cio_bufreader_init(cio_bufreader *r, cio_stream *inner,
                                  void *buf, size_t cap);

/**
 * Allocate a reader over @inner with a buffer of @cap bytes (0:
 * CIO_IO_DEFAULT_BUF). 0, CIO_EINVAL, or CIO_ENOMEM.
 */
CIO_EXTERN int cio_bufreader_new(cio_bufreader **out, cio_stream *inner,
                                 size_t cap);

/**
 * Release a reader made by cio_bufreader_new (on one made by
 * cio_bufreader_init it does nothing). The stream under it stays open
 * and still belongs to the caller; buffered bytes are dropped. NULL is
 * fine. To close both, use cio_stream_close(cio_bufreader_io(r)).
 */
CIO_EXTERN void cio_bufreader_free(cio_bufreader *r);

/** @r as a stream, for the generic helpers and cio_stream_close. */
CIO_EXTERN cio_stream *cio_bufreader_io(cio_bufreader *r);

/** Number of bytes buffered and not yet consumed (never blocks). */
CIO_EXTERN size_t cio_bufreader_buffered(const cio_bufreader *r);

/**
 * Read at most @len bytes: from the buffer if it holds any, else with
 * one read of the stream (straight into @buf when @len is at least the
 * buffer's size). > 0 bytes, 0 at end of stream, or -errno.
 */
CIO_EXTERN int64_t cio_bufreader_read(cio_bufreader *r, void *buf, size_t len);

/**
 * Read exactly @len bytes through the buffer. As cio_read_exact: 0,
 * CIO_ENODATA at an early end, or -errno; *@done the bytes stored. The
 * stored bytes are consumed even on failure.
 */
CIO_EXTERN int cio_bufreader_read_exact(cio_bufreader *r, void *buf, size_t len,
                                        size_t *done);

/**
 * The buffered bytes, reading once from the stream if there are none
 * (fill_buf). *@data points at them until the next call on @r. Returns
 * their number (> 0), 0 at end of stream, or -errno. Pair with
 * cio_bufreader_consume.
 */
CIO_EXTERN int64_t cio_bufreader_fill(cio_bufreader *r, const void **data);

/**
 * Mark @n buffered bytes as read. More than cio_bufreader_buffered()
 * consumes just what there is.
 */
CIO_EXTERN void cio_bufreader_consume(cio_bufreader *r, size_t n);

/**
 * Make at least @n bytes available without consuming them, reading as
 * often as needed. *@data points at the buffered bytes until the next
 * call on @r. Returns how many are buffered: >= @n, or fewer only when
 * the stream ended; -errno on failure (what arrived stays buffered);
 * CIO_EINVAL when @n exceeds the buffer's size.
 */
CIO_EXTERN int64_t cio_bufreader_peek(cio_bufreader *r, size_t n,
                                      const void **data);

/**
 * Find the next @delim without consuming anything (zero-copy
 * read_until). *@data points at the buffered line until the next call
 * on @r; consume it with cio_bufreader_consume.
 *
 * Returns the line's length including @delim; a last line without
 * @delim when the stream ends (> 0); 0 at end of stream; -errno. A line
 * longer than @max bytes (delimiter included) or than the buffer gives
 * CIO_EMSGSIZE as soon as that is known, with the line left unread.
 */
CIO_EXTERN int64_t cio_bufreader_peek_until(cio_bufreader *r, int delim,
                                            size_t max, const void **data);

/**
 * Copy the next line ending in @delim, delimiter included, into @buf of
 * @cap bytes, and consume it. As cio_bufreader_peek_until with @max =
 * @cap: the length (> 0), 0 at end of stream, CIO_EMSGSIZE (nothing
 * consumed) or -errno. No NUL is added.
 */
CIO_EXTERN int64_t cio_bufreader_read_until(cio_bufreader *r, int delim,
                                            void *buf, size_t cap);

/** cio_bufreader_read_line flag: keep the line's "\n" or "\r\n". */
#define CIO_LINE_KEEP_NEWLINE 1u

/**
 * Read the next text line into @line (@cap bytes, NUL-terminated) and
 * consume it; *@len (when not NULL) is its length without the NUL.
 *
 * A line ends at "\n". Without CIO_LINE_KEEP_NEWLINE the "\n" is
 * removed, with one "\r" right before it (so "a\r\n" and "a\n" both give
 * "a"); any other "\r" is kept, and a lone "\r" does not end a line.
 * With the flag the line is stored as received. A last line without
 * "\n" when the stream ends is returned as it is.
 *
 * Returns 1 for a line (maybe empty), 0 at end of stream (*@len 0), or
 * -errno. CIO_EMSGSIZE when the stored line would not fit in @cap - 1
 * bytes or the whole line (with its "\r\n") not in the reader's buffer;
 * the line is then left unread (cio_bufreader_skip_until drops it).
 * CIO_EINVAL when @cap is 0.
 */
CIO_EXTERN int cio_bufreader_read_line(cio_bufreader *r, char *line, size_t cap,
                                       size_t *len, unsigned flags);

/**
 * Discard everything up to and including the next @delim, however long
 * (for instance a line refused with CIO_EMSGSIZE). Returns the bytes
 * discarded, 0 at end of stream, or -errno (what was discarded before
 * the error stays discarded).
 */
CIO_EXTERN int64_t cio_bufreader_skip_until(cio_bufreader *r, int delim);

/* ---- buffered writer ---- */

/**
 * A write buffer in front of a stream: small writes collect in the
 * buffer and go out in one write when it fills or on flush. It is
 * itself a stream (cio_bufwriter_io): reads go straight to the stream
 * under it; shutdown and close flush first; close also closes that
 * stream.
 *
 * After a failed flush (cancel, deadline, a broken pipe) the bytes not
 * written stay buffered, in order, and the next flush or write retries
 * them; the bytes that did go out are gone from the buffer.
 */
typedef struct cio_bufwriter {
    cio_stream io;      /**< The stream interface; keep first. */
    cio_stream *inner;  /**< Internal: the stream written to. */
    unsigned char *buf; /**< Internal: the buffer. */
    size_t cap;         /**< Internal: its size. */
    size_t len;         /**< Internal: bytes buffered. */
    int owned;          /**< Internal: made by cio_bufwriter_new. */
} cio_bufwriter;

/**
 * Initialise @w on caller storage, writing to @inner through @buf of
 * @cap bytes (both owned by the caller). 0, or CIO_EINVAL.
 */
CIO_EXTERN int cio_bufwriter_init(cio_bufwriter *w, cio_stream *inner,
                                  void *buf, size_t cap);

/**
 * Allocate a writer over @inner with a buffer of @cap bytes (0:
 * CIO_IO_DEFAULT_BUF). 0, CIO_EINVAL, or CIO_ENOMEM.
 */
CIO_EXTERN int cio_bufwriter_new(cio_bufwriter **out, cio_stream *inner,
                                 size_t cap);

/**
 * Release a writer made by cio_bufwriter_new (nothing for one made by
 * cio_bufwriter_init) WITHOUT flushing: buffered bytes are dropped, the
 * stream under it stays open. NULL is fine. Flush first, or use
 * cio_stream_close(cio_bufwriter_io(w)) to flush and close both.
 */
CIO_EXTERN void cio_bufwriter_free(cio_bufwriter *w);

/** @w as a stream, for the generic helpers and cio_stream_close. */
CIO_EXTERN cio_stream *cio_bufwriter_io(cio_bufwriter *w);

/** Number of bytes buffered and not yet written (never blocks). */
CIO_EXTERN size_t cio_bufwriter_buffered(const cio_bufwriter *w);

/**
 * Write @len bytes: into the buffer when they fit after what it holds;
 * otherwise the buffer is flushed first, and then @len bytes at least
 * as large as the buffer go straight to the stream in one write (which
 * may be short) while smaller ones are buffered.
 *
 * Returns the bytes taken (> 0; @len unless a direct write was short),
 * 0 for @len 0, or -errno when the flush or the direct write failed
 * (then none of @buf was taken). Loop with cio_write_all on
 * cio_bufwriter_io(w) to write everything.
 */
CIO_EXTERN int64_t cio_bufwriter_write(cio_bufwriter *w, const void *buf,
                                       size_t len);

/**
 * Write out everything buffered. 0, or -errno with the unwritten bytes
 * kept (see cio_bufwriter).
 */
CIO_EXTERN int cio_bufwriter_flush(cio_bufwriter *w);

/* ---- length-prefixed frames ---- */

/** cio_frame_opts flag: the length is little-endian (default big). */
#define CIO_FRAME_LITTLE_ENDIAN 1u

/** The largest frame accepted when cio_frame_opts.max_frame is 0. */
#define CIO_FRAME_DEFAULT_MAX (UINT64_C(8) << 20)

/**
 * How frames look on the wire: a header holding the payload's length
 * (not counting the header), then the payload. NULL options (or a
 * zeroed struct) mean a 4-byte big-endian length and frames of at most
 * CIO_FRAME_DEFAULT_MAX bytes.
 */
typedef struct cio_frame_opts {
    unsigned header_size; /**< 1, 2, 4 or 8 bytes; 0 means 4. */
    unsigned flags;       /**< CIO_FRAME_LITTLE_ENDIAN or 0. */
    uint64_t max_frame;   /**< Largest payload; 0: the default. */
} cio_frame_opts;

/**
 * Reads frames from a stream into a buffer of its own, grown to the
 * largest frame read. For small frames put a cio_bufreader under it, or
 * every frame costs two reads of the stream.
 *
 * After an error (cancel, deadline, reset, CIO_ENOMEM) the reader keeps
 * the header and payload bytes it has, and the next cio_frame_read
 * carries on with the same frame.
 */
typedef struct cio_frame_reader {
    cio_stream *inner;    /**< Internal: the stream read from. */
    unsigned header_size; /**< Internal. */
    unsigned flags;       /**< Internal. */
    uint64_t max_frame;   /**< Internal: effective limit. */
    unsigned char hdr[8]; /**< Internal: header bytes received. */
    unsigned hdr_got;     /**< Internal: how many. */
    int state;            /**< Internal: header, payload, oversized. */
    size_t len;           /**< Internal: payload length. */
    size_t got;           /**< Internal: payload bytes received. */
    unsigned char *buf;   /**< Internal: payload buffer. */
    size_t buf_cap;       /**< Internal: its size. */
} cio_frame_reader;

/**
 * Initialise @fr to read frames shaped by @opts (copied; NULL for the
 * defaults) from @inner. Allocates nothing yet. 0, or CIO_EINVAL for a
 * header size other than 0, 1, 2, 4 or 8, or unknown flags.
 */
CIO_EXTERN int cio_frame_reader_init(cio_frame_reader *fr, cio_stream *inner,
                                     const cio_frame_opts *opts);

/** Free @fr's buffer. The stream stays open. */
CIO_EXTERN void cio_frame_reader_destroy(cio_frame_reader *fr);

/**
 * Read the next frame. On 1, *@frame points at its payload (never NULL,
 * valid until the next call on @fr) and *@len is its length (0 is a
 * valid frame).
 *
 * Returns 1 for a frame; 0 when the stream ended cleanly between
 * frames; CIO_ENODATA when it ended inside a header or a payload (a
 * truncated frame; again on later calls); CIO_EMSGSIZE when a header
 * announces more than the limit (the reader is then out of step with
 * the stream and keeps returning CIO_EMSGSIZE: close it); CIO_ENOMEM;
 * or the stream's -errno, after which a new call resumes the frame.
 */
CIO_EXTERN int cio_frame_read(cio_frame_reader *fr, const void **frame,
                              size_t *len);

/**
 * Writes frames to a stream: header and payload in one vectored write
 * where the stream allows. On a cio_bufwriter, flush when a batch of
 * frames is done.
 */
typedef struct cio_frame_writer {
    cio_stream *inner;    /**< Internal: the stream written to. */
    unsigned header_size; /**< Internal. */
    unsigned flags;       /**< Internal. */
    uint64_t max_frame;   /**< Internal: effective limit. */
    unsigned char hdr[8]; /**< Internal: header of the current frame. */
    size_t len;           /**< Internal: its payload length. */
    size_t sent;          /**< Internal: bytes of it written. */
    int busy;             /**< Internal: a frame is partly written. */
} cio_frame_writer;

/** Initialise @fw as cio_frame_reader_init; 0 or CIO_EINVAL. */
CIO_EXTERN int cio_frame_writer_init(cio_frame_writer *fw, cio_stream *inner,
                                     const cio_frame_opts *opts);

/**
 * Write one frame of @len payload bytes. 0 once all of it (header and
 * payload) was written; CIO_EMSGSIZE (nothing written) when @len is
 * over the limit or does not fit the header; or the stream's -errno.
 *
 * After a stream error the frame is partly written and the stream would
 * be out of step: call again with the same @data and @len to send the
 * rest (a different @len gives CIO_EINVAL), or give up on the stream.
 */
CIO_EXTERN int cio_frame_write(cio_frame_writer *fw, const void *data,
                               size_t len);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_IO_H */
