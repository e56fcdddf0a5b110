/* SPDX-License-Identifier: MIT */
/*
 * check_epoll_module.c - the epoll module on its own: dlopen the built
 * cio_epoll.so and drive it through a mock host API written here, without
 * libcompio. This is what the host-API design buys: a module is testable
 * (and its contract checkable) in isolation, including things the driver
 * facade hides, such as which ops go to the pool and that a cancelled op
 * is completed exactly once and never touched afterwards.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <compio/module.h>

#include "cio_test.h"

/* ---- the mock host ---- */

#define MAXDONE 256

/* One driver's host: what the module told us. */
struct cio_host {
    const char *cfg_sweep; /* [module.epoll] sweep_ms, or NULL. */
    const char *cfg_hints; /* [module.epoll] hints, or NULL. */
    char reason[256];
    int ndone;
    cio_op *done[MAXDONE];
    int32_t res[MAXDONE];
    int npooled;
    cio_op *pooled[MAXDONE];
};

static void
mock_log(cio_host *h, int level, const char *fmt, ...)
{
    (void)h;
    (void)level;
    (void)fmt;
}

static void
mock_set_reason(cio_host *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->reason, sizeof(h->reason), fmt, ap);
    va_end(ap);
}

static const char *
mock_config_get(cio_host *h, const char *key)
{
    if (strcmp(key, "hints") == 0)
        return h->cfg_hints;
    return strcmp(key, "sweep_ms") == 0 ? h->cfg_sweep : NULL;
}

static void
mock_complete(cio_host *h, cio_op *op, int32_t result, uint32_t cflags)
{
    (void)cflags;
    ck_assert_int_lt(h->ndone, MAXDONE);
    /* Exactly once: an op must not be completed twice. */
    for (int i = 0; i < h->ndone; i++)
        ck_assert_ptr_ne(h->done[i], op);
    op->result = result;
    h->done[h->ndone] = op;
    h->res[h->ndone++] = result;
}

static int
mock_pool_submit(cio_host *h, cio_op *op)
{
    ck_assert_int_lt(h->npooled, MAXDONE);
    h->pooled[h->npooled++] = op;
    return 0;
}

static int32_t
ret(ssize_t r)
{
    return r < 0 ? -errno : (int32_t)r;
}

static int32_t
a_read(cio_op *op)
{
    return ret(read(op->fd, op->a.rw.buf, op->a.rw.len));
}

static int32_t
a_write(cio_op *op)
{
    return ret(write(op->fd, op->a.rw.buf, op->a.rw.len));
}

/* RECV attempts the module made (the readiness hint tests count them). */
static int nrecv;

static int32_t
a_recv(cio_op *op)
{
    nrecv++;
    return ret(recv(op->fd, op->a.rw.buf, op->a.rw.len,
                    (int)op->flags | MSG_DONTWAIT));
}

static int32_t
a_send(cio_op *op)
{
    return ret(send(op->fd, op->a.rw.buf, op->a.rw.len,
                    (int)op->flags | MSG_DONTWAIT | MSG_NOSIGNAL));
}

static int32_t
a_shutdown(cio_op *op)
{
    return ret(shutdown(op->fd, (int)op->flags));
}

static int32_t
a_never(cio_op *op)
{
    (void)op;
    return CIO_ENOSYS;
}

static const cio_op_desc descs[CIO_OP__COUNT] = {
    [CIO_OP_NOP] = {"nop", CIO_WAIT_NONE, a_never, a_never},
    [CIO_OP_READ] = {"read", CIO_WAIT_READ, a_read, a_never},
    [CIO_OP_WRITE] = {"write", CIO_WAIT_WRITE, a_write, a_never},
    [CIO_OP_RECV] = {"recv", CIO_WAIT_READ, a_recv, a_never},
    [CIO_OP_SEND] = {"send", CIO_WAIT_WRITE, a_send, a_never},
    [CIO_OP_SHUTDOWN] = {"shutdown", CIO_WAIT_NONE, a_shutdown, a_shutdown},
    [CIO_OP_POLL_ADD] = {"poll_add", CIO_WAIT_READ, a_never, a_never},
};

static const cio_op_desc *
mock_op_desc(unsigned opcode)
{
    return opcode < CIO_OP__COUNT ? &descs[opcode] : NULL;
}

static uint64_t
mock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const cio_host_api api = {
    .size = sizeof(cio_host_api),
    .abi_major = CIO_MODULE_ABI_MAJOR,
    .abi_minor = CIO_MODULE_ABI_MINOR,
    .alloc = malloc,
    .calloc = calloc,
    .realloc = realloc,
    .free = free,
    .log = mock_log,
    .set_reason = mock_set_reason,
    .config_get = mock_config_get,
    .complete = mock_complete,
    .pool_submit = mock_pool_submit,
    .op_desc = mock_op_desc,
    .now_ns = mock_now_ns,
};

/* ---- loading ---- */

static void *dso;
static const cio_backend_module *mod;
static const cio_backend_ops *ops;

static void
load(void)
{
    char path[PATH_MAX];
    cio_test_buildpath(path, sizeof(path),
                       "../modules/epoll/.libs/cio_epoll.so");
    dso = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(dso != NULL, "dlopen %s: %s", path, dlerror());
    mod = dlsym(dso, "cio_backend_epoll");
    ck_assert_ptr_nonnull(mod);
    ops = mod->ops;
}

static void
unload(void)
{
    /* Kept loaded for sanitizer stack traces, as the core does. */
    if (getenv("COMPIO_NO_DLCLOSE") == NULL)
        dlclose(dso);
}

static int fds_before;

static void *
create(struct cio_host *h)
{
    void *st = NULL;
    ck_assert_int_eq(ops->create(&api, h, 8, &st), 0);
    ck_assert_ptr_nonnull(st);
    return st;
}

static void
setup(void)
{
    fds_before = cio_test_count_fds();
    load();
}

static void
teardown(void)
{
    unload();
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}

static uint64_t
ms_since(uint64_t t0)
{
    return (mock_now_ns() - t0) / 1000000u;
}

/* ---- tests ---- */

START_TEST(t_descriptor)
{
    struct cio_host h = {0};
    ck_assert_uint_eq(mod->magic, CIO_MODULE_MAGIC);
    ck_assert_uint_eq(mod->abi_major, CIO_MODULE_ABI_MAJOR);
    ck_assert_uint_le(mod->abi_minor, CIO_MODULE_ABI_MINOR);
    ck_assert_uint_eq(mod->struct_size, sizeof(cio_backend_module));
    ck_assert_str_eq(mod->name, "epoll");
    ck_assert_uint_gt(mod->op_priv_size, 0);
    ck_assert_uint_le(mod->op_priv_size, CIO_OP_PRIV_MAX);
    ck_assert_uint_eq(mod->caps, CIO_CAP_READINESS | CIO_CAP_NOTIFY);
    ck_assert_uint_eq(ops->size, sizeof(cio_backend_ops));
    ck_assert(ops->create && ops->destroy && ops->supports && ops->submit &&
              ops->cancel && ops->wait && ops->notify);
    ck_assert_int_eq(mod->probe(&api, &h), 0);
    /* The only exported symbol is the descriptor. */
    ck_assert_ptr_null(dlsym(dso, "epoll__submit"));
}
END_TEST

START_TEST(t_supports)
{
    struct cio_host h = {0};
    void *st = create(&h);
    static const unsigned native[] = {
        CIO_OP_NOP,      CIO_OP_READ,    CIO_OP_WRITE,   CIO_OP_READV,
        CIO_OP_WRITEV,   CIO_OP_ACCEPT,  CIO_OP_CONNECT, CIO_OP_RECV,
        CIO_OP_SEND,     CIO_OP_RECVMSG, CIO_OP_SENDMSG, CIO_OP_SHUTDOWN,
        CIO_OP_POLL_ADD, CIO_OP_TIMEOUT};
    static const unsigned pooled[] = {
        CIO_OP_READ_AT, CIO_OP_WRITE_AT, CIO_OP_FSYNC,
        CIO_OP_OPENAT,  CIO_OP_CLOSE,    CIO_OP_STATX,
        CIO_OP_SOCKET,  CIO_OP_BLOCKING, CIO_OP_ASYNC_CANCEL};
    for (size_t i = 0; i < sizeof(native) / sizeof(native[0]); i++)
        ck_assert_int_ne(ops->supports(st, native[i]), 0);
    for (size_t i = 0; i < sizeof(pooled) / sizeof(pooled[0]); i++)
        ck_assert_int_eq(ops->supports(st, pooled[i]), 0);
    ops->destroy(st);
}
END_TEST

START_TEST(t_bad_config)
{
    struct cio_host h = {.cfg_sweep = "soon"};
    void *st = NULL;
    ck_assert_int_eq(ops->create(&api, &h, 8, &st), CIO_EINVAL);
    ck_assert_ptr_nonnull(strstr(h.reason, "sweep_ms"));
    h.cfg_sweep = NULL;
    h.cfg_hints = "sometimes";
    ck_assert_int_eq(ops->create(&api, &h, 8, &st), CIO_EINVAL);
    ck_assert_ptr_nonnull(strstr(h.reason, "hints"));
}
END_TEST

START_TEST(t_attach_nonblock)
{
    struct cio_host h = {0};
    void *st = create(&h);
    int p[2];
    char path[] = "/tmp/cio-epoll-XXXXXX";
    int f = mkstemp(path);
    ck_assert_int_ge(f, 0);
    unlink(path);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
    ck_assert_int_eq(ops->attach(st, p[0]), 0);
    ck_assert_int_ne(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
    /* A regular file is left alone: its IO goes to the pool. */
    ck_assert_int_eq(ops->attach(st, f), 0);
    ck_assert_int_eq(fcntl(f, F_GETFL) & O_NONBLOCK, 0);
    ck_assert_int_eq(ops->attach(st, -1), CIO_EBADF);
    close(p[0]);
    close(p[1]);
    close(f);
    ops->destroy(st);
}
END_TEST

START_TEST(t_recv_wait_fifo)
{
    struct cio_host h = {0};
    void *st = create(&h);
    cio_op a, b, c;
    char ba[1], bb[1];
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_recv(&a, sv[0], ba, 1, 0);
    cio_op_recv(&b, sv[0], bb, 1, 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(ops->submit(st, &b), 0);
    ck_assert_int_eq(h.ndone, 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    ck_assert_int_eq(write(sv[1], "xy", 2), 2);
    ck_assert_int_eq(ops->wait(st, -1), 2);
    ck_assert_int_eq(h.ndone, 2);
    ck_assert_ptr_eq(h.done[0], &a);
    ck_assert_ptr_eq(h.done[1], &b);
    ck_assert_int_eq(ba[0], 'x');
    ck_assert_int_eq(bb[0], 'y');
    /* Data already there: completes inside submit. */
    ck_assert_int_eq(write(sv[1], "z", 1), 1);
    cio_op_recv(&c, sv[0], ba, 1, 0);
    ck_assert_int_eq(ops->submit(st, &c), 0);
    ck_assert_int_eq(h.ndone, 3);
    ck_assert_int_eq(h.res[2], 1);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

START_TEST(t_cancel)
{
    struct cio_host h = {0};
    void *st = create(&h);
    cio_op a, junk, t;
    char buf[4];
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    memset(buf, 0x55, sizeof(buf));
    cio_op_recv(&a, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(ops->cancel(st, &a), 0);
    ck_assert_int_eq(h.ndone, 1);
    ck_assert_int_eq(h.res[0], CIO_ECANCELED);
    ck_assert_int_eq(ops->cancel(st, &a), CIO_ENOENT);
    /* The cancelled recv is gone: later data does not reach buf. */
    ck_assert_int_eq(write(sv[1], "abc", 3), 3);
    ck_assert_int_eq(ops->wait(st, 30000000), 0);
    for (size_t i = 0; i < sizeof(buf); i++)
        ck_assert_uint_eq((unsigned char)buf[i], 0x55);
    /* An op the module never saw, with garbage in priv: ENOENT. */
    cio_op_recv(&junk, sv[0], buf, 1, 0);
    memset(&junk.priv, 0xff, sizeof(junk.priv));
    ck_assert_int_eq(ops->cancel(st, &junk), CIO_ENOENT);
    memset(&junk.priv, 0x01, sizeof(junk.priv));
    ck_assert_int_eq(ops->cancel(st, &junk), CIO_ENOENT);
    /* A TIMEOUT. */
    cio_op_timeout(&t, 10ull * 1000000000u);
    ck_assert_int_eq(ops->submit(st, &t), 0);
    ck_assert_int_eq(ops->cancel(st, &t), 0);
    ck_assert_int_eq(h.res[h.ndone - 1], CIO_ECANCELED);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

START_TEST(t_regular_file_pooled)
{
    struct cio_host h = {0};
    void *st = create(&h);
    char path[] = "/tmp/cio-epoll-XXXXXX", buf[4];
    cio_op op;
    int f = mkstemp(path);
    ck_assert_int_ge(f, 0);
    unlink(path);
    /* Unattached regular file: handed to the pool, not completed. */
    cio_op_read(&op, f, buf, sizeof(buf));
    ck_assert_int_eq(ops->submit(st, &op), 0);
    ck_assert_int_eq(h.npooled, 1);
    ck_assert_ptr_eq(h.pooled[0], &op);
    ck_assert_int_eq(h.ndone, 0);
    ck_assert_int_eq(ops->cancel(st, &op), CIO_ENOENT);
    close(f);
    ops->destroy(st);
}
END_TEST

START_TEST(t_closed_fd_sweep)
{
    struct cio_host h = {.cfg_sweep = "50"};
    void *st = create(&h);
    cio_op a;
    char buf[4];
    int sv[2];
    uint64_t t0;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_recv(&a, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    close(sv[0]);
    close(sv[1]);
    t0 = mock_now_ns();
    /* Forever, but the sweep notices the registration is gone. */
    ck_assert_int_eq(ops->wait(st, -1), 1);
    ck_assert_int_eq(h.res[0], CIO_EBADF);
    /* Nothing else ends the wait: the bound only tells a hang. */
    ck_assert_uint_lt(ms_since(t0), 60000);
    ops->destroy(st);
}
END_TEST

START_TEST(t_timeout_never_early)
{
    struct cio_host h = {0};
    void *st = create(&h);
    cio_op t;
    uint64_t t0 = mock_now_ns();
    cio_op_timeout(&t, 20500000u);
    ck_assert_int_eq(ops->submit(st, &t), 0);
    while (h.ndone == 0)
        ck_assert_int_ge(ops->wait(st, -1), 0);
    ck_assert_int_eq(h.res[0], CIO_ETIME);
    ck_assert_uint_ge(mock_now_ns() - t0, 20500000u);
    /* wait() itself never returns before its timeout either. */
    t0 = mock_now_ns();
    ck_assert_int_eq(ops->wait(st, 1500000), 0);
    ck_assert_uint_ge(mock_now_ns() - t0, 1500000u);
    ops->destroy(st);
}
END_TEST

struct waker {
    void *st;
    int delay_ms;
};

static void *
wake_later(void *arg)
{
    struct waker *w = arg;
    struct timespec ts = {0, (long)w->delay_ms * 1000000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(ops->notify(w->st), 0);
    return NULL;
}

START_TEST(t_notify_two_drivers)
{
    struct cio_host h1 = {0}, h2 = {0};
    void *s1 = create(&h1), *s2 = create(&h2);
    struct waker w = {s1, 50};
    pthread_t th;
    uint64_t t0 = mock_now_ns();
    cio_op a, b;
    char ba[1], bb[1];
    int sv[2];
    ck_assert_int_eq(pthread_create(&th, NULL, wake_later, &w), 0);
    ck_assert_int_eq(ops->wait(s1, -1), 0);
    ck_assert_uint_ge(ms_since(t0), 45);
    pthread_join(th, NULL);
    /* A notify of one driver does not wake the other. */
    ck_assert_int_eq(ops->notify(s1), 0);
    t0 = mock_now_ns();
    ck_assert_int_eq(ops->wait(s2, 30000000), 0);
    ck_assert_uint_ge(ms_since(t0), 29);
    ck_assert_int_eq(ops->wait(s1, 5000000000), 0);
    /* Both drivers watch the same fd; each completes only its op. */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_recv(&a, sv[0], ba, 1, 0);
    cio_op_recv(&b, sv[0], bb, 1, 0);
    ck_assert_int_eq(ops->submit(s1, &a), 0);
    ck_assert_int_eq(ops->submit(s2, &b), 0);
    ck_assert_int_eq(write(sv[1], "pq", 2), 2);
    ck_assert_int_eq(ops->wait(s1, -1), 1);
    ck_assert_int_eq(ops->wait(s2, -1), 1);
    ck_assert_ptr_eq(h1.done[0], &a);
    ck_assert_ptr_eq(h2.done[0], &b);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(s1);
    ops->destroy(s2);
}
END_TEST

START_TEST(t_fork_child)
{
    struct cio_host h = {0};
    void *st = create(&h);
    cio_op a;
    char buf[2];
    int sv[2], status;
    pid_t pid;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_recv(&a, sv[0], buf, 1, 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* The child rebuilds its kernel objects; the op still waits. */
        int ok = ops->fork_child(st) == 0 && write(sv[1], "c", 1) == 1 &&
                 ops->wait(st, 2000000000) == 1 && h.res[0] == 1 &&
                 buf[0] == 'c';
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The parent's driver is unharmed: its op is still pending. */
    ck_assert_int_eq(ops->cancel(st, &a), 0);
    ck_assert_int_eq(h.res[0], CIO_ECANCELED);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/* Wait (2 s at most per call, 5 calls) until @h saw @n completions. */
static void
wait_done(void *st, struct cio_host *h, int n)
{
    for (int i = 0; i < 5 && h->ndone < n; i++)
        ck_assert_int_ge(ops->wait(st, 2000000000), 0);
    ck_assert_int_eq(h->ndone, n);
}

/*
 * A read shorter than its buffer drains a stream socket: the next read
 * waits for epoll without a first try, and still gets the data that
 * came meanwhile. A datagram socket gets no such hint: one message per
 * read says nothing about the next.
 */
START_TEST(t_hint_short_read)
{
    struct cio_host h = {0};
    void *st = create(&h);
    cio_op a, b, c, d;
    char buf[8];
    int sv[2], dg[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], "ab", 2), 2);
    cio_op_recv(&a, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(h.ndone, 1);
    ck_assert_int_eq(h.res[0], 2);
    ck_assert_int_eq(write(sv[1], "cd", 2), 2);
    cio_op_recv(&b, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &b), 0);
    ck_assert_int_eq(h.ndone, 1); /* Waits: no first try. */
    wait_done(st, &h, 2);
    ck_assert_ptr_eq(h.done[1], &b);
    ck_assert_int_eq(h.res[1], 2);
    ck_assert_int_eq(memcmp(buf, "cd", 2), 0);
    /* Datagrams: each recv is tried at once. */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg), 0);
    ck_assert_int_eq(write(dg[1], "x", 1), 1);
    ck_assert_int_eq(write(dg[1], "yz", 2), 2);
    cio_op_recv(&c, dg[0], buf, sizeof(buf), 0);
    cio_op_recv(&d, dg[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &c), 0);
    ck_assert_int_eq(ops->submit(st, &d), 0);
    ck_assert_int_eq(h.ndone, 4);
    ck_assert_int_eq(h.res[2], 1);
    ck_assert_int_eq(h.res[3], 2);
    close(sv[0]);
    close(sv[1]);
    close(dg[0]);
    close(dg[1]);
    ops->destroy(st);
}
END_TEST

/*
 * Submit a RECV of up to 8 bytes on @fd after writing one byte to @peer
 * (none when @peer < 0). Returns 1 when it completed inline, 0 when it
 * waited (then it is completed here, with a byte written if none was);
 * *@tried says whether submit made a first attempt.
 */
static int
recv_one(void *st, struct cio_host *h, int fd, int peer, int *tried)
{
    static char buf[8];
    cio_op *op = malloc(sizeof(*op));
    int n = h->ndone, before = nrecv, inline_done;
    ck_assert_ptr_nonnull(op);
    if (peer >= 0)
        ck_assert_int_eq(write(peer, "x", 1), 1);
    cio_op_recv(op, fd, buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, op), 0);
    *tried = nrecv != before;
    inline_done = h->ndone == n + 1;
    if (!inline_done) {
        ck_assert_int_eq(h->ndone, n);
        if (peer < 0)
            return 0;
        wait_done(st, h, n + 1);
    }
    ck_assert_ptr_eq(h->done[n], op);
    ck_assert_int_eq(h->res[n], 1);
    return inline_done;
}

/*
 * The default ("adaptive") policy: a hinted read waits without a try,
 * except one in 32 that probes; a probe that finds data turns trying
 * back on (the peer keeps up with us: waiting would only cost an
 * epoll_ctl and a turn), and tries that keep failing turn it off again.
 * Every op completes with its data whatever the policy guessed.
 */
START_TEST(t_hint_adaptive)
{
    struct cio_host h = {0};
    void *st = create(&h);
    int sv[2], k, tried;
    char buf[8];
    cio_op a;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], "ab", 2), 2);
    cio_op_recv(&a, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(h.res[0], 2); /* Short: the read hint is set. */
    /* Data is always there, but 31 hinted reads wait untried. */
    for (k = 0; k < 31; k++) {
        ck_assert_int_eq(recv_one(st, &h, sv[0], sv[1], &tried), 0);
        ck_assert_int_eq(tried, 0);
    }
    /* The 32nd probes, finds data, and trying is on from now. */
    for (k = 0; k < 8; k++) {
        ck_assert_int_eq(recv_one(st, &h, sv[0], sv[1], &tried), 1);
        ck_assert_int_eq(tried, 1);
    }
    /* Now no data: tries fail until the policy gives up trying. */
    for (k = 0; k < 16; k++) {
        ck_assert_int_eq(recv_one(st, &h, sv[0], -1, &tried), 0);
        ck_assert_int_eq(write(sv[1], "x", 1), 1);
        wait_done(st, &h, h.ndone + 1);
        ck_assert_int_eq(h.res[h.ndone - 1], 1);
        if (!tried)
            break;
    }
    ck_assert_int_lt(k, 16);
    ck_assert_int_ge(k, 1);
    for (k = 0; k < h.ndone; k++)
        if (h.done[k] != &a)
            free(h.done[k]);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/* "always": a hinted read never tries; "off": every read tries. */
START_TEST(t_hint_policies)
{
    struct cio_host h = {.cfg_hints = "always"};
    void *st = create(&h);
    int sv[2], k, tried;
    char buf[8];
    cio_op a;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], "ab", 2), 2);
    cio_op_recv(&a, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    for (k = 0; k < 40; k++) {
        ck_assert_int_eq(recv_one(st, &h, sv[0], sv[1], &tried), 0);
        ck_assert_int_eq(tried, 0);
    }
    for (k = 1; k < h.ndone; k++)
        free(h.done[k]);
    ops->destroy(st);
    memset(&h, 0, sizeof(h));
    h.cfg_hints = "off";
    st = create(&h);
    ck_assert_int_eq(write(sv[1], "ab", 2), 2);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(h.res[0], 2);
    for (k = 0; k < 8; k++) {
        ck_assert_int_eq(recv_one(st, &h, sv[0], sv[1], &tried), 1);
        ck_assert_int_eq(tried, 1);
    }
    for (k = 1; k < h.ndone; k++)
        free(h.done[k]);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/*
 * Put a new stream socketpair's reading end at descriptor number @num
 * (which must be free); the other end goes to *@peer.
 */
static void
pair_at(int num, int *peer)
{
    int nv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, nv), 0);
    if (nv[0] != num) {
        ck_assert_int_eq(dup2(nv[0], num), num);
        close(nv[0]);
    }
    *peer = nv[1];
}

/*
 * Readiness hints belong to a file, not to a number: a descriptor
 * closed while "drained" and its number reused for a new socket (behind
 * the module's back, with the old registration gone or, through a
 * surviving dup, still there) gets its reads and writes completed.
 */
START_TEST(t_hint_fd_reuse)
{
    struct cio_host h = {0};
    void *st = create(&h);
    cio_op a, b, c, w[32], x;
    char buf[8], big[65536];
    int sv[2], num, peer, keep, n, k;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    num = sv[0];
    /* Registered, fired, then a short read: read hint set. */
    cio_op_recv(&a, num, buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(write(sv[1], "a", 1), 1);
    wait_done(st, &h, 1);
    ck_assert_int_eq(h.res[0], 1);
    /* Closed for good (registration dropped), number reused. */
    close(sv[0]);
    close(sv[1]);
    pair_at(num, &peer);
    ck_assert_int_eq(write(peer, "hello", 5), 5);
    cio_op_recv(&b, num, buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &b), 0);
    wait_done(st, &h, 2);
    ck_assert_int_eq(h.res[1], 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    /* The hint is set again (short read); now the old file survives. */
    keep = dup(num);
    ck_assert_int_ge(keep, 0);
    close(num);
    close(peer);
    pair_at(num, &peer);
    ck_assert_int_eq(write(peer, "again", 5), 5);
    cio_op_recv(&c, num, buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &c), 0);
    wait_done(st, &h, 3);
    ck_assert_int_eq(h.res[2], 5);
    ck_assert_int_eq(memcmp(buf, "again", 5), 0);
    close(keep);
    /* Write side: fill the socket until a send has to wait. */
    memset(big, 'w', sizeof(big));
    n = h.ndone;
    for (k = 0;; k++) {
        ck_assert_int_lt(k, 32);
        cio_op_send(&w[k], num, big, sizeof(big), 0);
        ck_assert_int_eq(ops->submit(st, &w[k]), 0);
        if (h.ndone == n)
            break;
        ck_assert_int_gt(h.res[n], 0);
        n = h.ndone;
    }
    ck_assert_int_eq(ops->cancel(st, &w[k]), 0);
    ck_assert_int_eq(h.res[n], CIO_ECANCELED);
    close(num);
    close(peer);
    pair_at(num, &peer);
    cio_op_send(&x, num, "s", 1, 0);
    ck_assert_int_eq(ops->submit(st, &x), 0);
    wait_done(st, &h, n + 2);
    ck_assert_int_eq(h.res[n + 1], 1);
    ck_assert_int_eq(read(peer, buf, sizeof(buf)), 1);
    close(num);
    close(peer);
    ops->destroy(st);
}
END_TEST

/*
 * wait(0) right after inline completions may skip epoll_wait, but never
 * twice in a row: a waiter whose fd is ready completes by the second
 * wait(0), however many ops keep completing inline.
 */
START_TEST(t_wait_zero_fair)
{
    struct cio_host h = {0};
    void *st = create(&h);
    cio_op a, nop[4];
    char buf[4];
    int sv[2], i;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_recv(&a, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(write(sv[1], "r", 1), 1);
    for (i = 0; i < 4 && a.result != 1; i++) {
        cio_op_nop(&nop[i]);
        ck_assert_int_eq(ops->submit(st, &nop[i]), 0);
        ck_assert_int_ge(ops->wait(st, 0), 0);
    }
    ck_assert_int_le(i, 2);
    ck_assert_int_eq(a.result, 1);
    ck_assert_int_eq(buf[0], 'r');
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

static Suite *
module_suite(void)
{
    Suite *s = suite_create("epoll_module");
    TCase *tc = tcase_create("mock_host");
    tcase_add_checked_fixture(tc, setup, teardown);
    /* The harness's default (tests/include.am): room for slow runs. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_descriptor);
    tcase_add_test(tc, t_supports);
    tcase_add_test(tc, t_bad_config);
    tcase_add_test(tc, t_attach_nonblock);
    tcase_add_test(tc, t_recv_wait_fifo);
    tcase_add_test(tc, t_cancel);
    tcase_add_test(tc, t_regular_file_pooled);
    tcase_add_test(tc, t_closed_fd_sweep);
    tcase_add_test(tc, t_timeout_never_early);
    tcase_add_test(tc, t_notify_two_drivers);
    tcase_add_test(tc, t_fork_child);
    tcase_add_test(tc, t_hint_short_read);
    tcase_add_test(tc, t_hint_fd_reuse);
    tcase_add_test(tc, t_hint_adaptive);
    tcase_add_test(tc, t_hint_policies);
    tcase_add_test(tc, t_wait_zero_fair);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return cio_test_run(module_suite());
}
