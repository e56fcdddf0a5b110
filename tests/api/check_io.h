/* SPDX-License-Identifier: MIT */
/*
 * check_io.h - shared by the check_io program: the scripted in-memory
 * stream every helper is tested against, and one test case per helper
 * family (each in its own check_io_*.c).
 */
#ifndef CHECK_IO_H
#define CHECK_IO_H

#include <stddef.h>
#include <stdint.h>

#include "cio_test.h"
#include "compio.h"
#include "compio/io.h"

/*
 * A stream over memory whose every misbehaviour is scripted: reads
 * yield @in in pieces no larger than read_max (or than the next entry
 * of read_script), then end of stream; writes append to @out in pieces
 * no larger than write_max. An injected error fires once when the
 * stream reaches the given offset (reads and writes are cut there so it
 * fires exactly at that byte), then the stream carries on: this is how
 * the tests check that a retry after an error resumes correctly.
 */
typedef struct test_mem {
    cio_stream io;
    /* Read side. */
    const unsigned char *in;   /* what reads yield */
    size_t in_len;             /* end of stream after this many bytes */
    size_t in_pos;             /* bytes read so far */
    size_t read_max;           /* per-call limit, 0 = none */
    const size_t *read_script; /* per-call limits first, then read_max */
    size_t read_script_n;
    int read_err;        /* one-shot error ... */
    size_t read_err_at;  /* ... at this offset */
    int read_overreport; /* a broken stream: claims one byte more */
    unsigned reads;      /* read calls made */
    /* Write side. */
    unsigned char *out; /* what was written (malloc'd) */
    size_t out_len;
    size_t out_cap;
    size_t write_max;    /* per-call limit, 0 = none */
    int write_err;       /* one-shot error ... */
    size_t write_err_at; /* ... at this offset */
    int write_zero;      /* a broken stream: writes take nothing */
    unsigned writes;     /* write calls */
    unsigned writevs;    /* of which vectored */
    /* The rest of the interface. */
    unsigned shutdowns;
    unsigned closes;
    int close_result;
    cio_fd fd;
} test_mem;

/* Initialise over the @len bytes at @in (kept by reference). */
void test_mem_init(test_mem *m, const void *in, size_t len);
/* Same, as a stream without a native writev (the default applies). */
void test_mem_init_plain(test_mem *m, const void *in, size_t len);
/* Free what the writes collected. */
void test_mem_fini(test_mem *m);
/* @m as a stream. */
cio_stream *test_mem_io(test_mem *m);
/* Assert that exactly @len bytes equal to @p were written. */
void test_mem_assert_out(const test_mem *m, const void *p, size_t len);

/* A deterministic pseudo-random pattern (content checks). */
void test_pattern(void *buf, size_t len, uint32_t seed);

TCase *check_io_mem_tcase(void);
TCase *check_io_exact_tcase(void);
TCase *check_io_copy_tcase(void);
TCase *check_io_bufreader_tcase(void);
TCase *check_io_line_tcase(void);
TCase *check_io_bufwriter_tcase(void);
TCase *check_io_frame_tcase(void);
TCase *check_io_fd_tcase(void);

#endif /* CHECK_IO_H */
