/* SPDX-License-Identifier: MIT */
/*
 * check_enomem.c - every call documented to return CIO_ENOMEM does, and
 * nothing worse happens, when an allocation fails.
 *
 * This program defines malloc, calloc and realloc itself (glibc lets a
 * program interpose them; libcompio, libc and the test all get these),
 * forwarding to glibc's own allocator unless a failure is armed. For
 * each call under test, allocation failure k (k = 0, 1, 2, ...: the
 * k-th allocation from arming, on any thread) is injected in turn until
 * a run completes without reaching it. Every run must return 0 or
 * CIO_ENOMEM (never another error, a crash or a hang), at least one
 * must return CIO_ENOMEM, and the object must work normally once
 * allocations succeed again. Built without sanitizers and run outside
 * valgrind only: both replace malloc themselves.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cio_test_api.h"
#include "compio/io.h"
#include "compio/net.h"
#include "compio/process.h"
#include "compio/signal.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ENOMEM_NO_INTERPOSE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||     \
    __has_feature(memory_sanitizer)
#define ENOMEM_NO_INTERPOSE 1
#endif
#endif

#if !defined(ENOMEM_NO_INTERPOSE) && defined(__GLIBC__)
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);

/* Allocations left before the injected failure; < 0: disarmed. */
static _Atomic long countdown = -1;
static _Atomic long injected;

static int
should_fail(void)
{
    long v = atomic_load(&countdown);

    while (v >= 0) {
        if (atomic_compare_exchange_weak(&countdown, &v, v - 1)) {
            if (v == 0) {
                atomic_fetch_add(&injected, 1);
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

/* Default visibility: the build hides symbols unless told otherwise. */
#define ENOMEM_EXPORT __attribute__((visibility("default")))

ENOMEM_EXPORT void *
malloc(size_t n)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(n);
}

ENOMEM_EXPORT void *
calloc(size_t n, size_t m)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, m);
}

ENOMEM_EXPORT void *
realloc(void *p, size_t n)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n);
}
#define HAVE_INTERPOSE 1

static void
arm(long k)
{
    atomic_store(&injected, 0);
    atomic_store(&countdown, k);
}

/* Disarm; non-zero if the failure was injected. */
static int
disarm(void)
{
    atomic_store(&countdown, -1);
    return atomic_load(&injected) != 0;
}
#endif

#ifdef HAVE_INTERPOSE

/*
 * One attempt: set up (allocations succeed), call the function under
 * test with failure @k armed, disarm, check and clean up. Returns 1
 * when the failure was injected (try k + 1), 0 when the run got past
 * every allocation, and counts the CIO_ENOMEM results.
 */
typedef int (*attempt_fn)(long k, int *enomem);

static void
sweep(const char *name, attempt_fn fn)
{
    int enomem = 0;
    long k;

    for (k = 0; k < 5000; k++)
        if (!fn(k, &enomem))
            break;
    ck_assert_msg(k < 5000, "%s: no run got past its allocations", name);
    ck_assert_msg(enomem > 0, "%s: never returned CIO_ENOMEM (%ld runs)", name,
                  k + 1);
    printf("# %s: %ld allocation failures injected, %d gave CIO_ENOMEM\n", name,
           k, enomem);
}

/*
 * The result must be 0 or @want (CIO_ENOMEM), or CIO_EAGAIN: an op that
 * goes to the blocking pool when the pool cannot start its first thread
 * (pthread_create failed for lack of memory) completes with CIO_EAGAIN,
 * by design (core/cio_pool.c), and so does a thread a call starts
 * itself (cio_signal_listen: "or the -errno of pthread_create").
 */
static int
check(const char *name, long k, int r, int want, int *enomem)
{
    int hit = disarm();

    ck_assert_msg(r == 0 || r == want || (hit && r == CIO_EAGAIN),
                  "%s: failure %ld injected: %d (%s)", name, k, r,
                  cio_errname(r));
    if (r == want)
        (*enomem)++;
    ck_assert_msg(hit || r == 0, "%s: CIO_ENOMEM without a failure", name);
    return hit;
}

static int
a_chan_new(long k, int *enomem)
{
    cio_chan *ch = NULL;
    int r, hit;

    arm(k);
    r = cio_chan_new(&ch, 4, sizeof(int), CIO_CHAN_SHARED);
    hit = check("cio_chan_new", k, r, CIO_ENOMEM, enomem);
    if (r == 0) {
        int v = 7, got = 0;
        ck_assert_int_eq(cio_chan_try_send(ch, &v), 0);
        ck_assert_int_eq(cio_chan_try_recv(ch, &got), 0);
        ck_assert_int_eq(got, 7);
        cio_chan_free(ch);
    }
    return hit;
}

static int
a_bufio_new(long k, int *enomem)
{
    cio_stream *r, *w;
    cio_bufreader *br = NULL;
    cio_bufwriter *bw = NULL;
    int r1, r2, hit;
    char b[4];

    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    arm(k);
    r1 = cio_bufreader_new(&br, r, 0);
    r2 = r1 == 0 ? cio_bufwriter_new(&bw, w, 0) : 0;
    hit = check("cio_bufreader_new/cio_bufwriter_new", k, r1 != 0 ? r1 : r2,
                CIO_ENOMEM, enomem);
    if (r1 == 0 && r2 == 0) {
        ck_assert_int_eq(cio_bufwriter_write(bw, "abc", 3), 3);
        ck_assert_int_eq(cio_bufwriter_flush(bw), 0);
        ck_assert_int_eq(cio_bufreader_read_exact(br, b, 3, NULL), 0);
        ck_assert_int_eq(memcmp(b, "abc", 3), 0);
    }
    cio_bufwriter_free(bw);
    cio_bufreader_free(br);
    ck_assert_int_eq(cio_stream_close(r), 0);
    ck_assert_int_eq(cio_stream_close(w), 0);
    return hit;
}

static int
a_copy(long k, int *enomem)
{
    cio_stream *r1, *w1, *r2, *w2;
    uint64_t copied = 0;
    int64_t n;
    int hit;
    char b[8];

    ck_assert_int_eq(cio_pipe(&r1, &w1), 0);
    ck_assert_int_eq(cio_pipe(&r2, &w2), 0);
    ck_assert_int_eq(cio_stream_write(w1, "hello", 5), 5);
    ck_assert_int_eq(cio_stream_close(w1), 0);
    arm(k);
    n = cio_copy(w2, r1, CIO_COPY_ALL, &copied);
    hit = check("cio_copy", k, n < 0 ? (int)n : 0, CIO_ENOMEM, enomem);
    if (n >= 0) {
        ck_assert_int_eq(n, 5);
        ck_assert_int_eq(cio_stream_read(r2, b, sizeof b), 5);
    }
    ck_assert_int_eq(cio_stream_close(r1), 0);
    ck_assert_int_eq(cio_stream_close(r2), 0);
    ck_assert_int_eq(cio_stream_close(w2), 0);
    return hit;
}

static int
a_frame_read(long k, int *enomem)
{
    static const unsigned char wire[] = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
    cio_stream *r, *w;
    cio_frame_reader fr;
    const void *frame;
    size_t len;
    int x, hit;

    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    ck_assert_int_eq(cio_stream_write(w, wire, sizeof wire), sizeof wire);
    ck_assert_int_eq(cio_frame_reader_init(&fr, r, NULL), 0);
    arm(k);
    x = cio_frame_read(&fr, &frame, &len);
    hit = check("cio_frame_read", k, x == 1 ? 0 : x, CIO_ENOMEM, enomem);
    /* After CIO_ENOMEM the next call carries on with the same frame. */
    if (x != 1)
        x = cio_frame_read(&fr, &frame, &len);
    ck_assert_int_eq(x, 1);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(frame, "hello", 5), 0);
    cio_frame_reader_destroy(&fr);
    ck_assert_int_eq(cio_stream_close(r), 0);
    ck_assert_int_eq(cio_stream_close(w), 0);
    return hit;
}

static int
a_file_from_fd(long k, int *enomem)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cio_file *f = NULL;
    int r, hit;

    ck_assert_int_ge(fd, 0);
    arm(k);
    r = cio_file_from_fd(&f, fd);
    hit = check("cio_file_from_fd", k, r, CIO_ENOMEM, enomem);
    if (r == 0)
        ck_assert_int_eq(cio_file_close(f), 0);
    else
        ck_assert_int_eq(close(fd), 0); /* Still the caller's. */
    return hit;
}

static int
a_resolve(long k, int *enomem)
{
    cio_addrinfo *ai = NULL;
    int r, hit;

    arm(k);
    r = cio_resolve("127.0.0.1", "80", NULL, &ai);
    /* Success is the number of addresses. */
    hit = check("cio_resolve", k, r > 0 ? 0 : r, CIO_ENOMEM, enomem);
    if (r > 0) {
        ck_assert_ptr_nonnull(ai);
        cio_addrinfo_free(ai);
    }
    return hit;
}

static int
a_signal_listen(long k, int *enomem)
{
    cio_signal_listener *l = NULL;
    int r, hit;

    arm(k);
    r = cio_signal_listen(&l, SIGUSR1);
    hit = check("cio_signal_listen", k, r, CIO_ENOMEM, enomem);
    if (r == 0)
        ck_assert_int_eq(cio_signal_unlisten(l), 0);
    return hit;
}

static int
a_tcp_listen(long k, int *enomem)
{
    cio_tcp_listener *l = NULL;
    cio_sockaddr a;
    int r, hit;

    ck_assert_int_eq(cio_sockaddr_loopback(&a, AF_INET, 0), 0);
    arm(k);
    r = cio_tcp_listen(&l, &a, NULL);
    hit = check("cio_tcp_listen", k, r, CIO_ENOMEM, enomem);
    if (r == 0)
        ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return hit;
}

static int
a_tcp_accept(long k, int *enomem)
{
    cio_tcp_listener *l;
    cio_tcp_stream *c, *s = NULL;
    cio_sockaddr a;
    int r, hit;

    ck_assert_int_eq(cio_sockaddr_loopback(&a, AF_INET, 0), 0);
    ck_assert_int_eq(cio_tcp_listen(&l, &a, NULL), 0);
    ck_assert_int_eq(cio_tcp_listener_local_addr(l, &a), 0);
    ck_assert_int_eq(cio_tcp_connect(&c, &a), 0);
    arm(k);
    r = cio_tcp_accept(l, &s, NULL);
    hit = check("cio_tcp_accept", k, r, CIO_ENOMEM, enomem);
    if (r == 0)
        ck_assert_int_eq(cio_tcp_close(s), 0);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    return hit;
}

static int
a_command(long k, int *enomem)
{
    cio_command *cmd = NULL;
    int r, hit;

    arm(k);
    r = cio_command_new(&cmd, "/bin/echo");
    if (r == 0)
        r = cio_command_arg(cmd, "hi");
    if (r == 0)
        r = cio_command_env(cmd, "CIO_ENOMEM_TEST", "1");
    if (r == 0)
        r = cio_command_cwd(cmd, "/");
    hit = check("cio_command_new/arg/env/cwd", k, r, CIO_ENOMEM, enomem);
    cio_command_free(cmd);
    return hit;
}

static int
a_spawn_child(long k, int *enomem)
{
    cio_command *cmd;
    cio_child *child = NULL;
    int r, hit;

    ck_assert_int_eq(cio_command_new(&cmd, "/bin/true"), 0);
    arm(k);
    r = cio_command_spawn(cmd, &child);
    hit = check("cio_command_spawn", k, r, CIO_ENOMEM, enomem);
    if (r == 0) {
        ck_assert_int_eq(cio_child_wait(child, NULL), 0);
        cio_child_free(child);
    }
    cio_command_free(cmd);
    return hit;
}

static int
a_output(long k, int *enomem)
{
    cio_command *cmd;
    char *out = NULL;
    size_t len = 0;
    int r, hit;

    ck_assert_int_eq(cio_command_new(&cmd, "/bin/echo"), 0);
    ck_assert_int_eq(cio_command_arg(cmd, "hello"), 0);
    arm(k);
    r = cio_command_output(cmd, &out, &len, NULL);
    hit = check("cio_command_output", k, r, CIO_ENOMEM, enomem);
    if (r == 0) {
        ck_assert_uint_eq(len, 6);
        ck_assert_str_eq(out, "hello\n");
        free(out);
    } else {
        ck_assert_ptr_null(out);
    }
    cio_command_free(cmd);
    return hit;
}

typedef struct sweep_case {
    const char *name;
    attempt_fn fn;
} sweep_case;

static const sweep_case cases[] = {
    {"chan_new", a_chan_new},
    {"bufio_new", a_bufio_new},
    {"copy", a_copy},
    {"frame_read", a_frame_read},
    {"file_from_fd", a_file_from_fd},
    {"resolve", a_resolve},
    {"signal_listen", a_signal_listen},
    {"tcp_listen", a_tcp_listen},
    {"tcp_accept", a_tcp_accept},
    {"command", a_command},
    {"command_spawn", a_spawn_child},
    {"command_output", a_output},
};
#define NCASES (sizeof cases / sizeof cases[0])

static int
sweep_body(void *arg)
{
    const sweep_case *c = arg;

    sweep(c->name, c->fn);
    return 0;
}

START_TEST(t_enomem)
{
    int backend = _i % CIO_TEST_NBACKENDS;
    const sweep_case *c = &cases[_i / CIO_TEST_NBACKENDS];

    cio_test_api_run(backend, sweep_body, (void *)c);
}
END_TEST

#endif /* HAVE_INTERPOSE */

#ifndef ENOMEM_NO_INTERPOSE
/* ---- cio_spawn without room for a stack ---- */

static int
spawned(void *arg)
{
    return (int)(intptr_t)arg;
}

/* The process's address space size (VmSize), in bytes, or 0. */
static unsigned long
vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long kb = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmSize: %lu", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static int
nostack_body(void *arg)
{
    cio_task *t[64];
    struct rlimit old, low;
    unsigned long vm = vm_size();
    int n = 0, r = 0, i;

    (void)arg;
    if (vm == 0) {
        printf("# no /proc/self/status: not run\n");
        return 0;
    }
    /* Stacks are mmap'd: with the address space capped near its size,
     * the next one cannot be mapped. */
    ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
    low = old;
    low.rlim_cur = vm + 64 * 1024;
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &low), 0);
    while (n < 64 && (r = cio_spawn(&t[n], spawned, (void *)(intptr_t)n)) == 0)
        n++;
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
    ck_assert_int_eq(r, CIO_ENOMEM);
    for (i = 0; i < n; i++)
        ck_assert_int_eq(cio_join(t[i]), i);
    /* With room again, tasks start. */
    ck_assert_int_eq(cio_spawn(&t[0], spawned, (void *)(intptr_t)7), 0);
    ck_assert_int_eq(cio_join(t[0]), 7);
    return 0;
}

START_TEST(t_spawn_nostack)
{
    cio_test_api_run(_i, nostack_body, NULL);
}
END_TEST
#endif

int
main(void)
{
#ifdef HAVE_INTERPOSE
    Suite *s = suite_create("enomem");
    TCase *tc = tcase_create("enomem");

    if (cio_test_under_valgrind())
        cio_test_skip_all("valgrind replaces malloc");
    cio_test_api_require_one();
    tcase_add_loop_test(tc, t_enomem, 0, (int)NCASES * CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_spawn_nostack, 0, CIO_TEST_NBACKENDS);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
#else
    cio_test_skip_all("needs glibc malloc interposition, not sanitizers");
#endif
}
