/* SPDX-License-Identifier: MIT */
/*
 * check_kqueue_module.c - the kqueue module on kqueue (emulated): the
 * module's sources and kqemu linked into this program, driven through a
 * mock host API, with kqemu's fault injection and call trace. It checks
 * what the conformance suite cannot see: the kevent protocol the module
 * speaks (batched changes, never more changes than eventlist room, no
 * EV_RECEIPT, no EV_DELETE for a closed descriptor, no idle WRITE
 * filter left firing, no changelist resent after EINTR) and how it
 * survives injected faults (a failing change, EINTR, short eventlists,
 * spurious and stale events, EV_EOF with ECONNRESET). Built twice: with
 * kqemu's FreeBSD-like personality and with the minimal NetBSD-like one
 * (no EVFILT_USER, no EV_DISPATCH, no timer units).
 */
#define _GNU_SOURCE
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
#include "kqemu.h"
#include "sys/event.h"

#ifndef CIO_KQ_MODNAME
#define CIO_KQ_MODNAME kqueue_emu
#endif
#define STR_(x) #x
#define STR(x) STR_(x)
#define DESC_(n) cio_backend_##n
#define DESC(n) DESC_(n)
extern const cio_backend_module DESC(CIO_KQ_MODNAME);
#define MOD (&DESC(CIO_KQ_MODNAME))

/* ---- the mock host ---- */

#define MAXDONE 64

struct cio_host {
    const char *cfg_sweep;
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
    return strcmp(key, "sweep_ms") == 0 ? h->cfg_sweep : NULL;
}

static void
mock_complete(cio_host *h, cio_op *op, int32_t result, uint32_t cflags)
{
    (void)cflags;
    ck_assert_int_lt(h->ndone, MAXDONE);
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

static int32_t
a_recv(cio_op *op)
{
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
a_poll(cio_op *op)
{
    struct pollfd p = {op->fd, (short)op->flags, 0};
    int r = poll(&p, 1, 0);
    if (r < 0)
        return -errno;
    return r == 0 ? CIO_EAGAIN : (int32_t)p.revents;
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
    [CIO_OP_POLL_ADD] = {"poll_add", CIO_WAIT_READ, a_poll, a_never},
    [CIO_OP_CLOSE] = {"close", CIO_WAIT_NONE, NULL, a_never},
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

static const cio_backend_ops *ops;
static int fds_before;

static void *
create(struct cio_host *h, unsigned entries)
{
    void *st = NULL;
    ck_assert_int_eq(ops->create(&api, h, entries, &st), 0);
    ck_assert_ptr_nonnull(st);
    return st;
}

static void
setup(void)
{
    ops = MOD->ops;
    kqemu_reset();
    fds_before = cio_test_count_fds();
}

static void
teardown(void)
{
    kqemu_stats s;
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
    /* Protocol properties, whatever the test did. */
    kqemu_get_stats(&s);
    ck_assert_uint_eq(s.receipt_no_room, 0);
    ck_assert_uint_eq(s.delete_after_close, 0);
    ck_assert_uint_eq(s.changes_without_room, 0);
    ck_assert_uint_eq(s.resubmit_after_eintr, 0);
    ck_assert_uint_eq(s.timer_zero, 0);
    ck_assert_uint_le(s.write_streak_max, 1);
}

static void
spair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static uint64_t
ms_since(uint64_t t0)
{
    return (mock_now_ns() - t0) / 1000000u;
}

/* wait() until @h has @n completions, at most @ms. */
static void
wait_done(void *st, struct cio_host *h, int n, int ms)
{
    uint64_t t0 = mock_now_ns();
    while (h->ndone < n) {
        ck_assert_msg(ms_since(t0) < (uint64_t)ms, "%d of %d after %d ms",
                      h->ndone, n, ms);
        ck_assert_int_ge(ops->wait(st, 50000000), 0);
    }
}

/* Count trace lines of @kind matching @ident and @filter (-1: any). */
static unsigned
trace_count(int kind, int64_t ident, int64_t filter, uint64_t flag)
{
    unsigned n = 0;
    kqemu_rec r;
    for (unsigned i = 0; kqemu_trace_get(i, &r) == 0; i++)
        if (r.kind == kind && (ident < 0 || (int64_t)r.ident == ident) &&
            (filter == -1 || r.filter == filter) &&
            (flag == 0 || (r.flags & flag)))
            n++;
    return n;
}

/* ---- tests ---- */

START_TEST(t_descriptor)
{
    struct cio_host h = {0};
    ck_assert_uint_eq(MOD->magic, CIO_MODULE_MAGIC);
    ck_assert_str_eq(MOD->name, STR(CIO_KQ_MODNAME));
    ck_assert_uint_le(MOD->op_priv_size, CIO_OP_PRIV_MAX);
    ck_assert_uint_eq(MOD->caps, CIO_CAP_READINESS | CIO_CAP_NOTIFY);
    ck_assert_int_eq(MOD->probe(&api, &h), 0);
    ck_assert(ops->create && ops->destroy && ops->supports && ops->submit &&
              ops->cancel && ops->wait && ops->notify && ops->fork_child);
}
END_TEST

/*
 * Waiting costs no syscall of its own: submits only queue changes, and
 * the first wait sends them with the event collection, never more than
 * the eventlist has room for (entries = 8 here: 20 fds need 3 calls).
 */
START_TEST(t_batched_changes)
{
    struct cio_host h = {0};
    void *st = create(&h, 8);
    cio_op op[20];
    char buf[20];
    int sv[20][2];
    kqemu_stats s0, s1;
    kqemu_get_stats(&s0);
    for (int i = 0; i < 20; i++) {
        spair(sv[i]);
        cio_op_recv(&op[i], sv[i][0], &buf[i], 1, 0);
        ck_assert_int_eq(ops->submit(st, &op[i]), 0);
    }
    kqemu_get_stats(&s1);
    ck_assert_uint_eq(s1.calls, s0.calls);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    kqemu_get_stats(&s1);
    ck_assert_uint_eq(s1.changes - s0.changes, 20);
    ck_assert_uint_le(s1.calls - s0.calls, 4);
    ck_assert_uint_eq(s1.changes_without_room, 0);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(write(sv[i][1], "x", 1), 1);
    wait_done(st, &h, 20, 5000);
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(op[i].result, 1);
        close(sv[i][0]);
        close(sv[i][1]);
    }
    ops->destroy(st);
}
END_TEST

/* Readiness waiters are retried in FIFO order. */
START_TEST(t_fifo)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op a, b;
    char ba, bb;
    int sv[2];
    spair(sv);
    cio_op_recv(&a, sv[0], &ba, 1, 0);
    cio_op_recv(&b, sv[0], &bb, 1, 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(ops->submit(st, &b), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    ck_assert_int_eq(write(sv[1], "pq", 2), 2);
    wait_done(st, &h, 2, 5000);
    ck_assert_ptr_eq(h.done[0], &a);
    ck_assert_int_eq(ba, 'p');
    ck_assert_int_eq(bb, 'q');
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/*
 * An idle WRITE filter must not keep firing: a SEND that waited for room
 * is cancelled, the buffer drains, and further waits see the WRITE knote
 * at most once (teardown checks write_streak_max <= 1).
 */
START_TEST(t_write_not_left_enabled)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    static char big[1 << 16];
    char sink[1 << 16];
    cio_op wr;
    int sv[2], sz = 4096;
    spair(sv);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    while (send(sv[0], big, sizeof(big), MSG_DONTWAIT) > 0)
        ;
    cio_op_send(&wr, sv[0], big, sizeof(big), 0);
    ck_assert_int_eq(ops->submit(st, &wr), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    ck_assert_int_eq(ops->cancel(st, &wr), 0);
    ck_assert_int_eq(h.res[0], CIO_ECANCELED);
    while (recv(sv[1], sink, sizeof(sink), MSG_DONTWAIT) > 0)
        ;
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(ops->wait(st, 0), 0);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/*
 * EV_EOF with ECONNRESET in fflags while data is pending: the data is
 * read first ("It is possible for EOF to be returned ... while there is
 * still data pending in the socket buffer").
 */
START_TEST(t_eof_data_first)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op rd;
    char buf[8];
    int sv[2];
    spair(sv);
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &rd), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    kqemu_fault_eof(sv[0], 0, ECONNRESET);
    ck_assert_int_eq(write(sv[1], "abc", 3), 3);
    wait_done(st, &h, 1, 5000);
    ck_assert_int_eq(h.res[0], 3);
    ck_assert_mem_eq(buf, "abc", 3);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/* EV_EOF with an error and nothing to read: the error is the result. */
START_TEST(t_eof_error)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op rd;
    char buf[8];
    int sv[2];
    spair(sv);
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &rd), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    kqemu_fault_eof(sv[0], 0, ECONNRESET);
    wait_done(st, &h, 1, 5000);
    ck_assert_int_eq(h.res[0], CIO_ECONNRESET);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/*
 * A change that fails comes back as an EV_ERROR entry (data = errno, not
 * readiness): EPERM fails the waiting op with it; EINVAL (kevent cannot
 * watch this descriptor) hands a READ to the pool.
 */
START_TEST(t_failed_change)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op rd, rd2;
    char buf[8];
    int sv[2], p[2];
    spair(sv);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &rd), 0);
    kqemu_fault_fail_change(1, EPERM);
    wait_done(st, &h, 1, 5000);
    ck_assert_int_eq(h.res[0], CIO_EPERM);
    cio_op_read(&rd2, p[0], buf, sizeof(buf));
    ck_assert_int_eq(ops->submit(st, &rd2), 0);
    kqemu_fault_fail_change(1, EINVAL);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    ck_assert_int_eq(h.npooled, 1);
    ck_assert_ptr_eq(h.pooled[0], &rd2);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
    ops->destroy(st);
}
END_TEST

/*
 * EINTR: "all changes in the changelist have been applied", so they are
 * not sent again (teardown checks resubmit_after_eintr == 0); the wait
 * goes on until its timeout or an event.
 */
START_TEST(t_eintr)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op rd;
    char buf[8];
    int sv[2];
    uint64_t t0;
    spair(sv);
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &rd), 0);
    kqemu_fault_eintr(1, 1);
    t0 = mock_now_ns();
    ck_assert_int_eq(ops->wait(st, 60000000), 0);
    ck_assert_uint_ge(ms_since(t0), 60);
    kqemu_fault_eintr(0, 0);
    ck_assert_int_eq(write(sv[1], "z", 1), 1);
    wait_done(st, &h, 1, 5000);
    ck_assert_int_eq(h.res[0], 1);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/*
 * Short eventlists, spurious wake-ups and stale events: nothing
 * completes early or wrongly, and everything completes.
 */
START_TEST(t_chaos)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op rd[6];
    char buf[6];
    int sv[6][2];
    kqemu_fault_short(1);
    kqemu_fault_spurious(2);
    kqemu_fault_stale(3);
    for (int i = 0; i < 6; i++) {
        spair(sv[i]);
        cio_op_recv(&rd[i], sv[i][0], &buf[i], 1, 0);
        ck_assert_int_eq(ops->submit(st, &rd[i]), 0);
    }
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(ops->wait(st, 0), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(write(sv[i][1], "k", 1), 1);
    wait_done(st, &h, 6, 5000);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(rd[i].result, 1);
        ck_assert_int_eq(buf[i], 'k');
        close(sv[i][0]);
        close(sv[i][1]);
    }
    ops->destroy(st);
}
END_TEST

/*
 * close() under a waiter and the number reused: the new op's EV_ENABLE
 * finds no knote (ENOENT), the stale op completes with CIO_EBADF without
 * touching the new file, the new one is added afresh. No EV_DELETE.
 */
START_TEST(t_close_reuse)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op old, nw;
    char ob = 0x55, nb = 0;
    int sv[2], sv2[2], fd;
    spair(sv);
    fd = sv[0];
    kqemu_trace_start();
    cio_op_recv(&old, fd, &ob, 1, 0);
    ck_assert_int_eq(ops->submit(st, &old), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    close(sv[0]);
    close(sv[1]);
    spair(sv2);
    if (sv2[0] != fd) {
        ck_assert_int_eq(dup3(sv2[0], fd, O_CLOEXEC), fd);
        close(sv2[0]);
        sv2[0] = fd;
    }
    cio_op_recv(&nw, fd, &nb, 1, 0);
    ck_assert_int_eq(ops->submit(st, &nw), 0);
    ck_assert_int_eq(write(sv2[1], "n", 1), 1);
    wait_done(st, &h, 2, 5000);
    ck_assert_ptr_eq(h.done[0], &old);
    ck_assert_int_eq(h.res[0], CIO_EBADF);
    ck_assert_int_eq(ob, 0x55);
    ck_assert_int_eq(nw.result, 1);
    ck_assert_int_eq(nb, 'n');
    ck_assert_uint_ge(trace_count(KQEMU_REC_CHANGE, fd, EVFILT_READ, EV_ENABLE),
                      1);
    ck_assert_uint_eq(trace_count(KQEMU_REC_CHANGE, -1, -1, EV_DELETE), 0);
    close(sv2[0]);
    close(sv2[1]);
    ops->destroy(st);
}
END_TEST

/*
 * A CLOSE op: waiters on the number complete with CIO_EBADF at once, the
 * close runs on the pool, and no change for the number follows.
 */
START_TEST(t_close_op)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op rd, cl;
    char buf[4];
    int sv[2];
    unsigned before;
    spair(sv);
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &rd), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    kqemu_trace_start();
    cio_op_close(&cl, sv[0]);
    ck_assert_int_eq(ops->submit(st, &cl), 0);
    ck_assert_int_eq(h.ndone, 1);
    ck_assert_int_eq(h.res[0], CIO_EBADF);
    ck_assert_ptr_eq(h.pooled[0], &cl);
    close(sv[0]); /* What the pool would do. */
    before = trace_count(KQEMU_REC_CHANGE, sv[0], -1, 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    ck_assert_uint_eq(trace_count(KQEMU_REC_CHANGE, sv[0], -1, 0), before);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/* close() behind the module's back, number not reused: the sweep. */
START_TEST(t_sweep)
{
    struct cio_host h = {.cfg_sweep = "50"};
    void *st = create(&h, 16);
    cio_op rd;
    char buf[4];
    int sv[2];
    spair(sv);
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    ck_assert_int_eq(ops->submit(st, &rd), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    close(sv[0]);
    close(sv[1]);
    wait_done(st, &h, 1, 3000);
    ck_assert_int_eq(h.res[0], CIO_EBADF);
    ops->destroy(st);
}
END_TEST

START_TEST(t_bad_config)
{
    struct cio_host h = {.cfg_sweep = "soon"};
    void *st = NULL;
    ck_assert_int_eq(ops->create(&api, &h, 8, &st), CIO_EINVAL);
    ck_assert_ptr_nonnull(strstr(h.reason, "sweep_ms"));
}
END_TEST

/*
 * TIMEOUT as EVFILT_TIMER: never early, a zero timeout never arms a
 * zero timer (teardown), a cancelled one is deleted at the next flush,
 * and a long one is armed for at most a day.
 */
START_TEST(t_timers)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op a, z, lng;
    kqemu_rec r;
    uint64_t t0 = mock_now_ns();
    int found = 0;
    kqemu_trace_start();
    cio_op_timeout(&a, 30000000u);
    cio_op_timeout(&z, 0);
    cio_op_timeout(&lng, 3ull * 86400u * 1000000000u);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(ops->submit(st, &z), 0);
    ck_assert_int_eq(ops->submit(st, &lng), 0);
    wait_done(st, &h, 2, 5000);
    ck_assert_ptr_eq(h.done[0], &z);
    ck_assert_ptr_eq(h.done[1], &a);
    ck_assert_int_eq(a.result, CIO_ETIME);
    ck_assert_uint_ge(ms_since(t0), 30);
    for (unsigned i = 0; kqemu_trace_get(i, &r) == 0; i++) {
        if (r.kind != KQEMU_REC_CHANGE || r.filter != EVFILT_TIMER)
            continue;
        ck_assert_int_gt(r.data, 0);
        ck_assert_int_le(r.data, 86400ll * 1000000000ll);
        found++;
    }
    ck_assert_int_eq(found, 3);
    ck_assert_int_eq(ops->cancel(st, &lng), 0);
    ck_assert_int_eq(lng.result, CIO_ECANCELED);
    ck_assert_int_eq(ops->cancel(st, &lng), CIO_ENOENT);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    ck_assert_uint_eq(
        trace_count(KQEMU_REC_CHANGE, -1, EVFILT_TIMER, EV_DELETE), 1);
    ops->destroy(st);
}
END_TEST

static void *
notify_later(void *arg)
{
    usleep(80000);
    ck_assert_int_eq(ops->notify(arg), 0);
    return NULL;
}

/* notify() from another thread wakes wait(-1) (EVFILT_USER or a pipe). */
START_TEST(t_notify)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    pthread_t th;
    uint64_t t0 = mock_now_ns();
    ck_assert_int_eq(pthread_create(&th, NULL, notify_later, st), 0);
    ck_assert_int_eq(ops->wait(st, -1), 0);
    ck_assert_uint_ge(ms_since(t0), 70);
    pthread_join(th, NULL);
    ck_assert_int_eq(ops->notify(st), 0);
    t0 = mock_now_ns();
    /* An hour's limit, not waited for (the bound only tells a hang). */
    ck_assert_int_eq(ops->wait(st, 3600000000000), 0);
    ck_assert_uint_lt(ms_since(t0), 60000);
    ops->destroy(st);
}
END_TEST

/* Regular files go to the pool; POLL_ADD reports poll(2) bits. */
START_TEST(t_file_pool_and_poll)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    char path[] = "/tmp/cio-kq-XXXXXX", buf[4];
    cio_op rd, pa;
    int f = mkstemp(path), sv[2];
    ck_assert_int_ge(f, 0);
    unlink(path);
    cio_op_read(&rd, f, buf, sizeof(buf));
    ck_assert_int_eq(ops->submit(st, &rd), 0);
    ck_assert_int_eq(h.npooled, 1);
    spair(sv);
    cio_op_poll_add(&pa, sv[0], CIO_POLL_IN);
    ck_assert_int_eq(ops->submit(st, &pa), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    wait_done(st, &h, 1, 5000);
    ck_assert_int_ne(pa.result & CIO_POLL_IN, 0);
    close(f);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}
END_TEST

/*
 * fork: "The queue is not inherited by a child created with fork(2)."
 * The child rebuilds (fork_child, or wait() on its own when kevent
 * answers EBADF) and never closes the old number, which kqemu freed in
 * the child and which something else may hold by then.
 */
static void
fork_case(int explicit_call)
{
    struct cio_host h = {0};
    void *st = create(&h, 16);
    cio_op a;
    char buf[2];
    int sv[2], status;
    pid_t pid;
    spair(sv);
    cio_op_recv(&a, sv[0], buf, 1, 0);
    ck_assert_int_eq(ops->submit(st, &a), 0);
    ck_assert_int_eq(ops->wait(st, 0), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int other = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int ok = other >= 0 && (!explicit_call || ops->fork_child(st) == 0) &&
                 write(sv[1], "c", 1) == 1;
        for (int i = 0; ok && i < 40 && h.ndone == 0; i++)
            ok = ops->wait(st, 50000000) >= 0;
        ok = ok && h.ndone == 1 && h.res[0] == 1 && buf[0] == 'c';
        ops->destroy(st);
        ok = ok && fcntl(other, F_GETFD) >= 0;
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The parent's driver is unharmed: its op still waits. */
    ck_assert_int_eq(ops->wait(st, 0), 0);
    ck_assert_int_eq(ops->cancel(st, &a), 0);
    ck_assert_int_eq(h.res[0], CIO_ECANCELED);
    close(sv[0]);
    close(sv[1]);
    ops->destroy(st);
}

START_TEST(t_fork_child)
{
    fork_case(1);
}
END_TEST

START_TEST(t_fork_detected)
{
    fork_case(0);
}
END_TEST

static Suite *
module_suite(void)
{
    Suite *s = suite_create(STR(CIO_KQ_MODNAME));
    TCase *tc = tcase_create("kqueue (emulated)");
    tcase_add_checked_fixture(tc, setup, teardown);
    /* The harness's default (tests/include.am): room for slow runs. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_descriptor);
    tcase_add_test(tc, t_batched_changes);
    tcase_add_test(tc, t_fifo);
    tcase_add_test(tc, t_write_not_left_enabled);
    tcase_add_test(tc, t_eof_data_first);
    tcase_add_test(tc, t_eof_error);
    tcase_add_test(tc, t_failed_change);
    tcase_add_test(tc, t_eintr);
    tcase_add_test(tc, t_chaos);
    tcase_add_test(tc, t_close_reuse);
    tcase_add_test(tc, t_close_op);
    tcase_add_test(tc, t_sweep);
    tcase_add_test(tc, t_bad_config);
    tcase_add_test(tc, t_timers);
    tcase_add_test(tc, t_notify);
    tcase_add_test(tc, t_file_pool_and_poll);
    tcase_add_test(tc, t_fork_child);
    tcase_add_test(tc, t_fork_detected);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return cio_test_run(module_suite());
}
