/* SPDX-License-Identifier: MIT */
/*
 * check_faulty_api.c - the high-level API's promises under the faults
 * the fault-injecting module makes (short reads and writes, CIO_EINTR
 * and CIO_EAGAIN on data ops, delayed and reordered completions, late
 * notifies), on a runtime whose backend is faulty around FAULTY_INNER:
 *  - the data calls of descriptor streams, files and sockets restart an
 *    op that completed with CIO_EINTR or CIO_EAGAIN (nothing moved);
 *  - cio_read_exact, cio_write_all, cio_file_read_exact_at and
 *    cio_file_write_all_at loop over short counts;
 *  - a datagram is never cut and arrives whole;
 * and every byte arrives intact, no descriptor leaks. Each test reads
 * the module's counters afterwards and fails if the faults it relies on
 * were never injected.
 *
 * On Windows (inner = iocp, under wine in this tree) the same cases run
 * with tests/cio_test_win32.h: its handle count for the leak check, and
 * its catcher, which turns a failed assertion inside a task into a
 * Check failure. cio_pipe is a named pipe there. Left out on Windows:
 * CIO_EAGAIN on the pipe (t_pipe injects only CIO_EINTR there). IOCP
 * never completes an overlapped pipe op with "would block", and the
 * readiness wait the stream makes before it goes again (POLL_ADD) has
 * no named-pipe meaning: it completes with CIO_ENOTSUP.
 */
#ifdef _WIN32
#include "cio_test_win32.h"
#else
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <compio.h>

#include "cio_test.h"
#endif

#ifndef FAULTY_INNER
#define FAULTY_INNER "epoll"
#endif

static char tmpdir[256];
static char stats[320];
/* The eagain rule of the next run(). */
static const char *eagain_rate = "0.1";

/* Sum of counter @key over the drivers in the stats file. */
static long long
stat_sum(const char *key)
{
    char line[1024], pat[64];
    long long sum = 0;
    FILE *fp = fopen(stats, "r");

    ck_assert_ptr_nonnull(fp);
    snprintf(pat, sizeof(pat), " %s=", key);
    while (fgets(line, sizeof(line), fp) != NULL) {
        char *p = strstr(line, pat);
        ck_assert_ptr_nonnull(p);
        sum += strtoll(p + strlen(pat), NULL, 10);
    }
    fclose(fp);
    return sum;
}

/* Run @fn as the main task on faulty around FAULTY_INNER. */
static void
run(cio_task_fn fn)
{
    cio_config *cfg = NULL;
    cio_runtime *rt = NULL;
    int fds0 = cio_test_count_fds(), r;

    unlink(stats);
    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", "faulty"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    ck_assert_int_eq(
        cio_config_set(cfg, "module.faulty", "inner", FAULTY_INNER), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "seed", "11"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "stats", stats), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "short", "0.3"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "eintr", "0.1"), 0);
    ck_assert_int_eq(
        cio_config_set(cfg, "module.faulty", "eagain", eagain_rate), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "delay", "0.2"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "module.faulty", "late_notify", "%2"),
                     0);
    ck_assert_int_eq(
        cio_config_set(cfg, "module.faulty", "late_notify_us", "1000"), 0);
    r = cio_runtime_new(&rt, cfg);
    cio_config_free(cfg);
    ck_assert_msg(r == 0, "runtime on faulty(%s): %s: %s", FAULTY_INNER,
                  cio_errname(r), cio_error_detail());
    r = cio_block_on(rt, fn, NULL);
    cio_runtime_free(rt);
    ck_assert_msg(r == 0, "task: %d (%s)", r, r < 0 ? cio_errname(r) : "-");
    ck_assert_int_eq(cio_test_count_fds(), fds0);
    ck_assert_int_eq(stat_sum("violations"), 0);
    ck_assert_int_eq(stat_sum("held_left"), 0);
}

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 131u + seed) ^ (i >> 9));
}

/* ---- files ---- */

enum { FILE_LEN = 1024 * 1024 + 77 };

static int
file_body(void *arg)
{
    unsigned char *out = malloc(FILE_LEN), *in = malloc(FILE_LEN);
    char path[300];
    uint64_t off = 0;
    cio_file *f = NULL;
    size_t done = 0;

    (void)arg;
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(in);
    fill(out, FILE_LEN, 1);
    snprintf(path, sizeof(path), "%s/f", tmpdir);
    ck_assert_int_eq(
        cio_file_open(&f, path, CIO_O_RDWR | CIO_O_CREAT | CIO_O_TRUNC, 0600),
        0);
    /* Many small calls, so that many ops meet the faults. */
    for (size_t at = 0; at < FILE_LEN; at += 4096) {
        size_t n = FILE_LEN - at < 4096 ? FILE_LEN - at : 4096;
        ck_assert_int_eq(cio_file_write_all_at(f, out + at, n, at, &done), 0);
        ck_assert_uint_eq(done, n);
    }
    ck_assert_int_eq(cio_file_read_exact_at(f, in, FILE_LEN, 0, &done), 0);
    ck_assert_uint_eq(done, FILE_LEN);
    ck_assert_mem_eq(in, out, FILE_LEN);
    /* A plain read loop to end of file: never an error. */
    memset(in, 0, FILE_LEN);
    for (;;) {
        int64_t r = cio_file_read_at(f, in + off, 8192, off);
        ck_assert_int_ge(r, 0);
        if (r == 0)
            break;
        off += (uint64_t)r;
    }
    ck_assert_uint_eq(off, FILE_LEN);
    ck_assert_mem_eq(in, out, FILE_LEN);
    ck_assert_int_eq(cio_file_close(f), 0);
    unlink(path);
    free(out);
    free(in);
    return 0;
}

START_TEST(t_file)
{
    run(file_body);
    if (strcmp(FAULTY_INNER, "epoll") == 0) {
        /* epoll has no file ops: the core pools them, past the module. */
        printf("# epoll: file IO runs on the core's pool: no faults\n");
        return;
    }
    ck_assert_int_gt(stat_sum("short"), 0);
    ck_assert_int_gt(stat_sum("eintr") + stat_sum("eagain"), 0);
    ck_assert_int_gt(stat_sum("delay"), 0);
}
END_TEST

/* ---- a pipe: a writer task and a reader ---- */

enum { PIPE_LEN = 512 * 1024 };

static unsigned char pipe_out[PIPE_LEN], pipe_in[PIPE_LEN];

static int
pipe_writer(void *arg)
{
    cio_stream *w = arg;
    size_t done = 0;
    int r;

    for (size_t at = 0; at < PIPE_LEN; at += 1000) {
        size_t n = PIPE_LEN - at < 1000 ? PIPE_LEN - at : 1000;
        r = cio_write_all(w, pipe_out + at, n, &done);
        if (r < 0 || done != n)
            return r < 0 ? r : CIO_EIO;
    }
    return cio_stream_close(w);
}

static int
pipe_body(void *arg)
{
    cio_stream *r = NULL, *w = NULL;
    cio_task *t;
    size_t done = 0;
    char extra;

    (void)arg;
    fill(pipe_out, PIPE_LEN, 2);
    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    ck_assert_int_eq(cio_spawn(&t, pipe_writer, w), 0);
    ck_assert_int_eq(cio_read_exact(r, pipe_in, PIPE_LEN, &done), 0);
    ck_assert_uint_eq(done, PIPE_LEN);
    ck_assert_mem_eq(pipe_in, pipe_out, PIPE_LEN);
    ck_assert_int_eq(cio_join(t), 0);
    /* End of stream is 0, never an error. */
    ck_assert_int_eq(cio_stream_read(r, &extra, 1), 0);
    ck_assert_int_eq(cio_stream_close(r), 0);
    return 0;
}

START_TEST(t_pipe)
{
#ifdef _WIN32
    eagain_rate = "0"; /* No Windows meaning on a pipe: see the top. */
#endif
    run(pipe_body);
    eagain_rate = "0.1";
    ck_assert_int_gt(stat_sum("delay"), 0);
    ck_assert_int_gt(stat_sum("short"), 0);
    ck_assert_int_gt(stat_sum("eintr") + stat_sum("eagain"), 0);
}
END_TEST

/* ---- TCP: an echo task, a client writing and reading back ---- */

enum { TCP_LEN = 1024 * 1024 };

static unsigned char tcp_out[TCP_LEN], tcp_in[TCP_LEN];

static int
echo_task(void *arg)
{
    cio_tcp_listener *l = arg;
    cio_tcp_stream *s = NULL;
    char buf[3000];
    int r;

    r = cio_tcp_accept(l, &s, NULL);
    if (r < 0)
        return r;
    for (;;) {
        int64_t n = cio_tcp_read(s, buf, sizeof(buf));
        if (n <= 0) {
            r = (int)n;
            break;
        }
        r = cio_write_all(cio_tcp_stream_io(s), buf, (size_t)n, NULL);
        if (r < 0)
            break;
    }
    cio_tcp_close(s);
    return r;
}

static int
tcp_reader(void *arg)
{
    cio_tcp_stream *c = arg;
    size_t done = 0;
    int r = cio_read_exact(cio_tcp_stream_io(c), tcp_in, TCP_LEN, &done);
    return r < 0 ? r : done == TCP_LEN ? 0 : CIO_EIO;
}

static int
tcp_body(void *arg)
{
    cio_tcp_listener *l = NULL;
    cio_tcp_stream *c = NULL;
    cio_task *srv, *rd;
    cio_sockaddr a;
    size_t done = 0;

    (void)arg;
    fill(tcp_out, TCP_LEN, 3);
    ck_assert_int_eq(cio_sockaddr_ip(&a, "127.0.0.1", 0), 0);
    ck_assert_int_eq(cio_tcp_listen(&l, &a, NULL), 0);
    ck_assert_int_eq(cio_tcp_listener_local_addr(l, &a), 0);
    ck_assert_int_eq(cio_spawn(&srv, echo_task, l), 0);
    ck_assert_int_eq(cio_tcp_connect(&c, &a), 0);
    ck_assert_int_eq(cio_spawn(&rd, tcp_reader, c), 0);
    for (size_t at = 0; at < TCP_LEN; at += 5000) {
        size_t n = TCP_LEN - at < 5000 ? TCP_LEN - at : 5000;
        ck_assert_int_eq(
            cio_write_all(cio_tcp_stream_io(c), tcp_out + at, n, &done), 0);
        ck_assert_uint_eq(done, n);
    }
    ck_assert_int_eq(cio_join(rd), 0);
    ck_assert_mem_eq(tcp_in, tcp_out, TCP_LEN);
    ck_assert_int_eq(cio_tcp_shutdown(c, CIO_SHUT_WR), 0);
    ck_assert_int_eq(cio_join(srv), 0);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return 0;
}

START_TEST(t_tcp_echo)
{
    run(tcp_body);
    ck_assert_int_gt(stat_sum("delay"), 0);
    ck_assert_int_gt(stat_sum("short"), 0);
    ck_assert_int_gt(stat_sum("eintr"), 0);
    ck_assert_int_gt(stat_sum("eagain"), 0);
}
END_TEST

/* ---- UDP: datagrams arrive whole, one per call ---- */

static int
udp_body(void *arg)
{
    cio_udp_socket *a = NULL, *b = NULL;
    cio_sockaddr sa, sb;
    unsigned char out[200], in[256];

    (void)arg;
    ck_assert_int_eq(cio_sockaddr_ip(&sa, "127.0.0.1", 0), 0);
    ck_assert_int_eq(cio_udp_bind(&a, &sa, NULL), 0);
    ck_assert_int_eq(cio_udp_bind(&b, &sa, NULL), 0);
    ck_assert_int_eq(cio_udp_local_addr(b, &sb), 0);
    for (int i = 0; i < 200; i++) {
        size_t len = 1 + (size_t)(i % 200);
        fill(out, len, (unsigned)i);
        ck_assert_int_eq(cio_udp_send_to(a, out, len, &sb), (int64_t)len);
        ck_assert_int_eq(cio_udp_recv_from(b, in, sizeof(in), NULL),
                         (int64_t)len);
        ck_assert_mem_eq(in, out, len);
    }
    ck_assert_int_eq(cio_udp_close(a), 0);
    ck_assert_int_eq(cio_udp_close(b), 0);
    return 0;
}

START_TEST(t_udp)
{
    run(udp_body);
    ck_assert_int_gt(stat_sum("delay"), 0);
    ck_assert_int_eq(stat_sum("short"), 0);
    ck_assert_int_gt(stat_sum("eintr") + stat_sum("eagain"), 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("faulty_api/" FAULTY_INNER);
    TCase *tc = tcase_create("api");
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    int r;

    if (cio_test_mkdtemp(tmpdir, sizeof(tmpdir)) == NULL) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    snprintf(stats, sizeof(stats), "%s/stats", tmpdir);
    if (cio_config_new(&cfg) < 0 ||
        cio_config_set(cfg, "runtime", "backend", FAULTY_INNER) < 0 ||
        cio_config_set(cfg, "runtime", "fallback", "no") < 0 ||
        cio_backend_scan(cfg, &list) < 0)
        return EXIT_FAILURE;
    cio_config_free(cfg);
    if (list->chosen == NULL || strcmp(list->chosen, FAULTY_INNER) != 0) {
        cio_backend_list_free(list);
        rmdir(tmpdir);
        cio_test_skip_all("inner backend %s unavailable", FAULTY_INNER);
    }
    cio_backend_list_free(list);
    tcase_add_test(tc, t_file);
    tcase_add_test(tc, t_pipe);
    tcase_add_test(tc, t_tcp_echo);
    tcase_add_test(tc, t_udp);
    suite_add_tcase(s, tc);
    r = cio_test_run(s);
    unlink(stats);
    rmdir(tmpdir);
    return r;
}
