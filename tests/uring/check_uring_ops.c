/* SPDX-License-Identifier: MIT */
/*
 * check_uring_ops.c - the io_uring backend's ring under load, beyond the
 * conformance suite: the SQ-full and CQ-overflow paths, notify from
 * another thread, closing a driver with thousands of ops in flight,
 * cancels of ops not yet submitted, running or blocked in a kernel
 * worker, and the batch paths of module ABI 1.3 (completions that do
 * not fit in the caller's entries stay in the CQ, in order). The tests
 * that close drivers with ops in flight run twice: with
 * IORING_ASYNC_CANCEL_ANY and, through the cancel_any = no knob, with
 * the module's own list of its ops, as on kernels before 5.19.
 *
 * Every test goes through the public driver API only. The program SKIPs
 * (exit 77) when io_uring cannot run here.
 */
#define _GNU_SOURCE
#include "cio_test_uring.h"

/* ---- SQ full and CQ overflow ---- */

#define FLOOD_NOPS 5000
#define FLOOD_READS 2000
#define FLOOD_POLLS 1000
#define FLOOD_TOTAL (FLOOD_NOPS + FLOOD_READS + FLOOD_POLLS)

START_TEST(t_sq_full_cq_overflow)
{
    char dir[PATH_MAX], path[PATH_MAX + 8];
    unsigned char data[256], *rbuf;
    cio_driver *drv;
    cio_op *ops;
    cio_entry *e;
    unsigned char *seen;
    int fd, sv[2], got = 0, fds0 = cio_test_count_fds();

    drv = must_open(&drv, open_uring(&drv, "entries", "4", "cq_entries", "8",
                                     CANCEL_KNOB(_i), NULL));
    ops = calloc(FLOOD_TOTAL, sizeof(*ops));
    e = calloc(FLOOD_TOTAL, sizeof(*e));
    seen = calloc(FLOOD_TOTAL, 1);
    rbuf = calloc(FLOOD_READS, 1);
    ck_assert(ops && e && seen && rbuf);
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/f", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    for (int i = 0; i < 256; i++)
        data[i] = (unsigned char)i;
    ck_assert_int_eq(write(fd, data, sizeof(data)), (int)sizeof(data));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);

    /*
     * 8,000 ops into a 4-entry SQ without a poll in between: submit has
     * to flush the SQ itself. The 1,000 POLL_ADDs wait in the kernel
     * until one write makes them all complete at once into an 8-entry
     * CQ: the kernel's overflow list has to give every CQE back.
     */
    for (int k = 0; k < FLOOD_TOTAL; k++) {
        if (k < FLOOD_NOPS)
            cio_op_nop(&ops[k]);
        else if (k < FLOOD_NOPS + FLOOD_READS)
            cio_op_read_at(&ops[k], fd, &rbuf[k - FLOOD_NOPS], 1,
                           (uint64_t)(k % 256));
        else
            cio_op_poll_add(&ops[k], sv[0], CIO_POLL_IN);
        cio_test_push(drv, &ops[k], (uint64_t)k);
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), FLOOD_TOTAL);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    /* Let every POLL_ADD complete before the first poll. */
    usleep(100000);
    cio_test_reap(drv, e, FLOOD_TOTAL, 60000);
    for (int i = 0; i < FLOOD_TOTAL; i++) {
        uint64_t k = e[i].user_data;
        ck_assert_uint_lt(k, FLOOD_TOTAL);
        ck_assert_ptr_eq(e[i].op, &ops[k]);
        ck_assert_msg(!seen[k], "op %llu delivered twice",
                      (unsigned long long)k);
        seen[k] = 1;
        got++;
        if (k < FLOOD_NOPS)
            ck_assert_int_eq(e[i].result, 0);
        else if (k < FLOOD_NOPS + FLOOD_READS) {
            ck_assert_int_eq(e[i].result, 1);
            ck_assert_uint_eq(rbuf[k - FLOOD_NOPS], (unsigned)(k % 256));
        } else
            ck_assert_int_eq(e[i].result & CIO_POLL_IN, CIO_POLL_IN);
    }
    ck_assert_int_eq(got, FLOOD_TOTAL);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    /* Nothing more, ever: no duplicate, no stray internal CQE. */
    ck_assert_int_eq(cio_driver_poll(drv, 50, e, 1), 0);
    cio_driver_close(drv);
    close(fd);
    close(sv[0]);
    close(sv[1]);
    unlink(path);
    rmdir(dir);
    free(ops);
    free(e);
    free(seen);
    free(rbuf);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- notify from another thread ---- */

typedef struct notifier {
    cio_driver *drv;
    atomic_int round;
    int rounds;
} notifier;

static void *
notify_rounds(void *arg)
{
    notifier *nt = arg;
    for (int i = 1; i <= nt->rounds; i++) {
        struct timespec ts = {0, 2000000};
        while (atomic_load(&nt->round) < i)
            sched_yield();
        /* Give the owner time to block in the kernel, usually. */
        nanosleep(&ts, NULL);
        ck_assert_int_eq(cio_driver_notify(nt->drv), 0);
    }
    return NULL;
}

START_TEST(t_notify_thread)
{
    notifier nt;
    pthread_t th;
    cio_entry e;
    cio_op rd;
    char buf[4];
    int sv[2], fds0 = cio_test_count_fds();
    uint64_t t0;

    /* Round 1: the one-shot poll of kernels before 5.13, re-armed and
     * emptied after every wake-up. */
    nt.drv = must_open(&nt.drv,
                       _i ? open_uring(&nt.drv, "notify_multishot", "no", NULL)
                          : open_uring(&nt.drv, NULL));
    atomic_init(&nt.round, 0);
    nt.rounds = 200;
    /* An op stays pending all along: wake-ups must not complete it. */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    cio_test_push(nt.drv, &rd, 1);
    ck_assert_int_eq(pthread_create(&th, NULL, notify_rounds, &nt), 0);
    t0 = cio_test_now_ms();
    for (int i = 1; i <= nt.rounds; i++) {
        atomic_store(&nt.round, i);
        /* Forever, unless the notify wakes us. */
        ck_assert_int_eq(cio_driver_poll(nt.drv, -1, &e, 1), 0);
    }
    pthread_join(th, NULL);
    ck_assert_uint_lt(cio_test_now_ms() - t0, 60000);
    ck_assert_uint_eq(cio_driver_inflight(nt.drv), 1);
    ck_assert_int_eq(write(sv[1], "ok", 2), 2);
    cio_test_reap(nt.drv, &e, 1, 10000);
    ck_assert_ptr_eq(e.op, &rd);
    ck_assert_int_eq(e.result, 2);
    cio_driver_close(nt.drv);
    close(sv[0]);
    close(sv[1]);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* A notify from the pool's threads: BLOCKING ops complete promptly. */
static int64_t
ret_arg(void *arg)
{
    return (int64_t)(intptr_t)arg;
}

START_TEST(t_pool_wakes_ring)
{
    cio_driver *drv;
    cio_op ops[64];
    cio_entry e[64];
    uint64_t t0;
    drv = must_open(&drv, open_uring(&drv, NULL));
    t0 = cio_test_now_ms();
    for (int i = 0; i < 64; i++) {
        cio_op_blocking(&ops[i], ret_arg, (void *)(intptr_t)i);
        cio_test_push(drv, &ops[i], (uint64_t)i);
    }
    cio_test_reap(drv, e, 64, 60000);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(e[i].result, (int32_t)e[i].user_data);
    /* Without the pool's wake the reap's poll would sleep it all. */
    ck_assert_uint_lt(cio_test_now_ms() - t0, 60000);
    cio_driver_close(drv);
}
END_TEST

/* ---- teardown with thousands of ops in flight ---- */

START_TEST(t_teardown_thousands)
{
    enum { NRECV = 2000, NTIMER = 1000, NPOLL = 1000, NNOP = 500 };
    enum { TOTAL = NRECV + NTIMER + NPOLL + NNOP };
    int npairs = NRECV / 2, fds0;
    int(*pairs)[2];
    cio_driver *drv;
    cio_op *ops;
    char *bufs;
    int p[2], k = 0;
    uint64_t t0;

    if (want_fds(2 * (rlim_t)npairs + 64) < 2 * (rlim_t)npairs + 64)
        npairs = 200; /* Few descriptors: two recvs per pair, fewer pairs. */
    fds0 = cio_test_count_fds();
    drv = must_open(&drv, open_uring(&drv, "entries", "64", CANCEL_KNOB(_i),
                                    NULL));
    ops = calloc(TOTAL, sizeof(*ops));
    bufs = calloc(TOTAL, 1);
    pairs = calloc((size_t)npairs, sizeof(*pairs));
    ck_assert(ops && bufs && pairs);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    for (int i = 0; i < npairs; i++) {
        ck_assert_int_eq(
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pairs[i]), 0);
        for (int j = 0; j < NRECV / npairs; j++, k++) {
            cio_op_recv(&ops[k], pairs[i][0], &bufs[k], 1, 0);
            cio_test_push(drv, &ops[k], (uint64_t)k);
        }
    }
    for (int i = 0; i < NTIMER; i++, k++) {
        cio_op_timeout(&ops[k], 3600ull * 1000000000u);
        cio_test_push(drv, &ops[k], (uint64_t)k);
    }
    for (int i = 0; i < NPOLL; i++, k++) {
        cio_op_poll_add(&ops[k], p[0], CIO_POLL_IN);
        cio_test_push(drv, &ops[k], (uint64_t)k);
    }
    /* Let the kernel take them all, then queue more it has not seen. */
    ck_assert_int_eq(cio_driver_poll(drv, 10, (cio_entry[1]){{0}}, 1), 0);
    for (int i = 0; i < NNOP; i++, k++) {
        cio_op_nop(&ops[k]);
        cio_test_push(drv, &ops[k], (uint64_t)k);
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), (unsigned)k);
    t0 = cio_test_now_ms();
    cio_driver_close(drv);
    /* Not the timers' hour: far above any delay of a slow run. */
    ck_assert_uint_lt(cio_test_now_ms() - t0, 60000);
    /* No op touched a buffer: nothing was ever sent. */
    for (int i = 0; i < k; i++)
        ck_assert_int_eq(bufs[i], 0);
    for (int i = 0; i < npairs; i++) {
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
    close(p[0]);
    close(p[1]);
    free(ops);
    free(bufs);
    free(pairs);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- cancel paths specific to a completion backend ---- */

START_TEST(t_cancel_unsubmitted_and_running)
{
    cio_driver *drv;
    cio_op rd, nop, tm;
    cio_entry e[3];
    char buf[8];
    int sv[2];
    drv = must_open(&drv, open_uring(&drv, CANCEL_KNOB(_i), NULL));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    /* Cancelled while its SQE still sits in the SQ: never reaches data. */
    memset(buf, 0xAA, sizeof(buf));
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    cio_test_push(drv, &rd, 1);
    ck_assert_int_eq(cio_driver_cancel(drv, &rd), 0);
    cio_test_reap(drv, e, 1, 5000);
    ck_assert_ptr_eq(e[0].op, &rd);
    ck_assert_int_eq(e[0].result, CIO_ECANCELED);
    /* A cancel racing a completion: exactly one completion, its own. */
    cio_op_nop(&nop);
    cio_test_push(drv, &nop, 2);
    ck_assert_int_eq(cio_driver_cancel(drv, &nop), 0);
    cio_op_timeout(&tm, 1000000u);
    cio_test_push(drv, &tm, 3);
    cio_test_reap(drv, e, 2, 5000);
    ck_assert_int_eq(nop.result, 0);
    ck_assert_int_eq(tm.result, CIO_ETIME);
    ck_assert_int_eq(cio_driver_poll(drv, 50, e, 3), 0);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
}
END_TEST

/*
 * POLL_ADD ops carry a marked user_data in the ring (their address |
 * a low bit, so that the reap maps their revents with one test per
 * CQE): in a batch among other ops their completions still name the op
 * and the caller's user_data, and a cancel, which the kernel matches by
 * user_data, still finds them.
 */
START_TEST(t_poll_add_marked)
{
    cio_driver *drv;
    cio_op n1, pa, n2, pi;
    cio_entry e[4];
    int sv[2], i, seen = 0;
    drv = must_open(&drv, open_uring(&drv, CANCEL_KNOB(_i), NULL));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    /* One batch: NOP, POLL_ADD (writable at once), NOP. */
    cio_op_nop(&n1);
    cio_op_poll_add(&pa, sv[0], CIO_POLL_OUT);
    cio_op_nop(&n2);
    cio_test_push(drv, &n1, 10);
    cio_test_push(drv, &pa, 11);
    cio_test_push(drv, &n2, 12);
    cio_test_reap(drv, e, 3, 5000);
    for (i = 0; i < 3; i++) {
        if (e[i].op == &pa) {
            ck_assert_uint_eq(e[i].user_data, 11);
            ck_assert_int_eq(e[i].result & CIO_POLL_OUT, CIO_POLL_OUT);
            ck_assert_int_eq(pa.result, e[i].result);
            seen |= 2;
        } else if (e[i].op == &n1) {
            ck_assert_uint_eq(e[i].user_data, 10);
            ck_assert_int_eq(e[i].result, 0);
            seen |= 1;
        } else {
            ck_assert_ptr_eq(e[i].op, &n2);
            ck_assert_uint_eq(e[i].user_data, 12);
            seen |= 4;
        }
    }
    ck_assert_int_eq(seen, 7);
    /* Pending in the kernel (nothing to read), then cancelled. */
    cio_op_poll_add(&pi, sv[0], CIO_POLL_IN);
    cio_test_push(drv, &pi, 13);
    ck_assert_int_eq(cio_driver_poll(drv, 30, e, 4), 0);
    ck_assert_int_eq(cio_driver_cancel(drv, &pi), 0);
    cio_test_reap(drv, e, 1, 5000);
    ck_assert_ptr_eq(e[0].op, &pi);
    ck_assert_uint_eq(e[0].user_data, 13);
    ck_assert_int_eq(e[0].result, CIO_ECANCELED);
    /* Pending again, then ended by the driver's close (no hang). */
    cio_op_poll_add(&pi, sv[0], CIO_POLL_IN);
    cio_test_push(drv, &pi, 14);
    ck_assert_int_eq(cio_driver_poll(drv, 30, e, 4), 0);
    cio_driver_close(drv);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/*
 * An op io_uring runs on a kernel worker because it must block (a
 * connect to a unix listener whose backlog is full) and that a cancel
 * interrupts: the kernel completes it with -EINTR. The module reports
 * the cancel as every backend does, CIO_ECANCELED (or the op's own
 * result had it finished first), never CIO_EINTR, which callers take
 * for "retry".
 */
START_TEST(t_cancel_blocking_worker)
{
    struct sockaddr_un sa;
    cio_driver *drv;
    cio_entry e;
    cio_op op;
    int lfd, cfd, fill[64], nfill = 0, fds0 = cio_test_count_fds();

    drv = must_open(&drv, open_uring(&drv, CANCEL_KNOB(_i), NULL));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    /* An abstract name: nothing to clean up on the file system. */
    snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "cio-uring-bl-%ld",
             (long)getpid());
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(lfd, 0), 0);
    /* Fill the backlog: non-blocking connects until one would block. */
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_lt(nfill, 64);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            ck_assert_int_eq(errno, EAGAIN);
            close(fd);
            break;
        }
        fill[nfill++] = fd;
    }
    /* A blocking socket: its connect waits on a kernel worker. */
    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(cfd, 0);
    cio_op_connect(&op, cfd, (struct sockaddr *)&sa, sizeof(sa));
    cio_test_push(drv, &op, 1);
    /* Let it reach the worker (nothing can complete it meanwhile). */
    ck_assert_int_eq(cio_driver_poll(drv, 100, &e, 1), 0);
    ck_assert_int_eq(cio_driver_cancel(drv, &op), 0);
    cio_test_reap(drv, &e, 1, 60000);
    ck_assert_ptr_eq(e.op, &op);
    ck_assert_msg(e.result == CIO_ECANCELED || e.result == 0,
                  "cancelled blocking connect: %s", cio_errname(e.result));
    ck_assert_int_eq(cio_driver_poll(drv, 50, &e, 1), 0);
    close(cfd);
    while (nfill > 0)
        close(fill[--nfill]);
    close(lfd);
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- batches (module ABI 1.3) ---- */

/*
 * Entries for fewer completions than the CQ holds: the rest wait in the
 * CQ, none is lost or doubled, and per op the order stands: a multishot
 * ACCEPT's CIO_CF_MORE completions all come before its final one, and
 * the op stays the driver's until then.
 */
START_TEST(t_small_entries)
{
    enum { NNOP = 100, NCONN = 5 };
    cio_driver *drv;
    cio_op nops[NNOP], pa, acc;
    cio_entry e[4];
    struct sockaddr_un sa;
    socklen_t salen;
    int sv[2], lfd, cli[NCONN], got = 0, more = 0, fin = 0, maxn = 1;
    uint64_t expect = 0;

    drv = must_open(&drv, open_uring(&drv, "entries", "128", "cq_entries",
                                    "256", CANCEL_KNOB(_i), NULL));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    for (int i = 0; i < NNOP; i++) {
        cio_op_nop(&nops[i]);
        cio_test_push(drv, &nops[i], (uint64_t)i);
    }
    /* A POLL_ADD's result is mapped to CIO_POLL_* on the batch path too. */
    cio_op_poll_add(&pa, sv[0], CIO_POLL_IN);
    cio_test_push(drv, &pa, 500);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    while (got < NNOP + 1) {
        int n = cio_driver_poll(drv, 10000, e, maxn);
        ck_assert_int_gt(n, 0);
        ck_assert_int_le(n, maxn);
        for (int j = 0; j < n; j++) {
            ck_assert_ptr_null(e[j].op->link.owner);
            if (e[j].user_data == 500) {
                ck_assert_int_eq(e[j].result & CIO_POLL_IN, CIO_POLL_IN);
                continue;
            }
            /* NOPs complete in submission order. */
            ck_assert_uint_eq(e[j].user_data, expect++);
            ck_assert_int_eq(e[j].result, 0);
        }
        got += n;
        maxn = maxn % 4 + 1;
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);

    /* Multishot ACCEPT, one entry per poll. */
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    /* Autobind: an abstract address of the kernel's choosing. */
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa_family_t)),
                     0);
    salen = sizeof(sa);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
    ck_assert_int_eq(listen(lfd, NCONN), 0);
    cio_op_accept_multishot(&acc, lfd, 0);
    cio_test_push(drv, &acc, 7);
    for (int i = 0; i < NCONN; i++) {
        cli[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(cli[i], 0);
        ck_assert_int_eq(connect(cli[i], (struct sockaddr *)&sa, salen), 0);
    }
    while (more < NCONN) {
        int n = cio_driver_poll(drv, 10000, e, 1);
        ck_assert_int_eq(n, 1);
        ck_assert_ptr_eq(e[0].op, &acc);
        ck_assert_uint_eq(e[0].user_data, 7);
        ck_assert_int_ge(e[0].result, 0);
        ck_assert(cio_entry_more(e));
        ck_assert_ptr_nonnull(acc.link.owner);
        close(e[0].result);
        more++;
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), 1);
    ck_assert_int_eq(cio_driver_cancel(drv, &acc), 0);
    while (!fin) {
        int n = cio_driver_poll(drv, 10000, e, 1);
        ck_assert_int_eq(n, 1);
        ck_assert_ptr_eq(e[0].op, &acc);
        if (cio_entry_more(e)) {
            close(e[0].result);
            continue;
        }
        ck_assert_int_eq(e[0].result, CIO_ECANCELED);
        ck_assert_int_eq(acc.result, CIO_ECANCELED);
        fin = 1;
    }
    ck_assert_ptr_null(acc.link.owner);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    ck_assert_int_eq(cio_driver_poll(drv, 20, e, 4), 0);
    for (int i = 0; i < NCONN; i++)
        close(cli[i]);
    close(lfd);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
}
END_TEST

/* ---- main ---- */

static Suite *
uring_ops_suite(void)
{
    Suite *s = suite_create("uring_ops");
    TCase *tc = tcase_create("uring_ops");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_sq_full_cq_overflow, 0, 2);
    tcase_add_loop_test(tc, t_notify_thread, 0, 2);
    tcase_add_test(tc, t_pool_wakes_ring);
    tcase_add_loop_test(tc, t_teardown_thousands, 0, 2);
    tcase_add_loop_test(tc, t_cancel_unsubmitted_and_running, 0, 2);
    tcase_add_loop_test(tc, t_poll_add_marked, 0, 2);
    tcase_add_loop_test(tc, t_cancel_blocking_worker, 0, 2);
    tcase_add_loop_test(tc, t_small_entries, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return cio_test_uring_main(uring_ops_suite);
}
