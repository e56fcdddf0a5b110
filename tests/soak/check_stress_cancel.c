/* SPDX-License-Identifier: MIT */
/*
 * check_stress_cancel.c - many ops through the runtime with random
 * cancels, on every backend that loads (uring, epoll, kqueue
 * (emulated); iocp on Windows). $CIO_SOAK_OPS ops per backend (20,000
 * by default, 2,000 on Windows; scripts/soak.sh runs 1,000,000),
 * $CIO_SOAK_SEED picks the victims. On Windows the pairs are loopback
 * TCP and the idle pipe a socket (soak.h).
 *
 * Task side: LANES unix stream pairs; on each, a writer task sends a
 * numbered byte stream in random-sized writes mixed with nops and short
 * sleeps, and a reader task reads and checks it. A canceller task
 * cancels writers and readers at random; a cancelled one returns and its
 * lane's supervisor starts a fresh one, which goes on where the stream
 * stands. Every byte a write reported written must arrive once, in
 * order: an op whose real result was lost in a cancel race, or that
 * completed twice, breaks the stream.
 *
 * Callback side: nops, timeouts and polls on a pipe that is never
 * readable, pushed with cio_submit_cb and cancelled at random with
 * cio_driver_cancel. Each callback must run exactly once, the poll only
 * with CIO_ECANCELED.
 *
 * At the end: ops started == ops completed, each id completed once,
 * bytes written == bytes read, the driver has nothing in flight, and
 * the process has the fds it had before.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <string.h>

#include "soak.h"

#define LANES 16
#define CB_INFLIGHT 64
#define MS 1000000ull

typedef struct lane {
    int fd[2];
    uint64_t wseq; /* Next stream byte the writer sends. */
    uint64_t rseq; /* Next stream byte the reader expects. */
    cio_task *h[2];
    int done[2];
    int errors;
} lane;

typedef struct cbslot {
    cio_op op;
    uint32_t id;
    int busy;
    int kind;
} cbslot;

static struct {
    long target;
    uint64_t rng;
    uint8_t *seen; /* Completions per op id. */
    long started;
    long completed;
    long canceled;
    long cancels_sent;
    long dup;
    long bad;
    uint64_t bytes_written;
    uint64_t bytes_read;
    int finishing;
    lane lanes[LANES];
    cbslot cbs[CB_INFLIGHT];
    int idle_pipe[2];
    long cb_live;
} st;

/* A new op id, or -1 when the target is reached. */
static long
op_begin(void)
{
    if (st.started >= st.target)
        return -1;
    return st.started++;
}

static void
op_end(long id, int32_t r)
{
    if (st.seen[id]++ != 0)
        st.dup++;
    st.completed++;
    if (r == CIO_ECANCELED)
        st.canceled++;
}

static uint8_t
stream_byte(uint64_t seq)
{
    return (uint8_t)(seq * 7 + (seq >> 8));
}

static int
writer(void *arg)
{
    lane *l = arg;
    uint8_t buf[512];
    cio_op op;
    long id;
    int32_t r;
    uint32_t i, n;

    while (!cio_cancelled() && (id = op_begin()) >= 0) {
        switch (soak_below(&st.rng, 8)) {
        case 0:
            cio_op_nop(&op);
            r = cio_submit_wait(&op);
            op_end(id, r);
            if (r != 0 && r != CIO_ECANCELED)
                st.bad++;
            break;
        case 1:
            r = cio_sleep(soak_below(&st.rng, 50) * 1000);
            op_end(id, r);
            if (r != 0 && r != CIO_ECANCELED)
                st.bad++;
            break;
        default:
            n = 1 + (uint32_t)soak_below(&st.rng, sizeof buf);
            for (i = 0; i < n; i++)
                buf[i] = stream_byte(l->wseq + i);
            cio_op_write(&op, l->fd[0], buf, n);
            r = cio_submit_wait(&op);
            op_end(id, r);
            if (r > 0) {
                l->wseq += (uint64_t)r;
                st.bytes_written += (uint64_t)r;
            } else if (r != CIO_ECANCELED) {
                st.bad++;
            }
            break;
        }
    }
    return 0;
}

static int
reader(void *arg)
{
    lane *l = arg;
    uint8_t buf[700];
    cio_op op;
    long id;
    int32_t r, i;

    for (;;) {
        if (cio_cancelled())
            return 0;
        /* Past the target the reader still drains what was written. */
        id = op_begin();
        if (id < 0 && l->rseq == l->wseq && l->done[0])
            return 1;
        cio_op_read(&op, l->fd[1], buf,
                    1 + (uint32_t)soak_below(&st.rng, sizeof buf));
        r = cio_submit_wait(&op);
        if (id >= 0)
            op_end(id, r);
        if (r > 0) {
            for (i = 0; i < r; i++)
                if (buf[i] != stream_byte(l->rseq + (uint64_t)i))
                    l->errors++;
            l->rseq += (uint64_t)r;
            st.bytes_read += (uint64_t)r;
        } else if (r != CIO_ECANCELED) {
            st.bad++;
            return 1;
        }
    }
}

typedef struct role {
    lane *l;
    int which;
} role;

/* Keep one writer (or reader) alive on a lane until its work is done. */
static int
supervisor(void *arg)
{
    role *ro = arg;
    lane *l = ro->l;
    int r;

    for (;;) {
        ck_assert_int_eq(
            cio_spawn(&l->h[ro->which], ro->which == 0 ? writer : reader, l),
            0);
        r = cio_join(l->h[ro->which]);
        l->h[ro->which] = NULL;
        if (ro->which == 0 && st.started >= st.target)
            break;
        if (ro->which == 1 && r == 1)
            break;
    }
    l->done[ro->which] = 1;
    return 0;
}

static int
canceller(void *arg)
{
    int k, n;

    (void)arg;
    while (!st.finishing) {
        n = 1 + (int)soak_below(&st.rng, 16);
        for (k = 0; k < n; k++)
            cio_yield();
        lane *l = &st.lanes[soak_below(&st.rng, LANES)];
        int which = (int)soak_below(&st.rng, 2);
        if (l->h[which] != NULL && cio_cancel(l->h[which]) == 0)
            st.cancels_sent++;
    }
    return 0;
}

static void cb_push(cbslot *s);

static void
on_cb(cio_op *op, int32_t result, void *arg)
{
    cbslot *s = arg;

    (void)op;
    op_end(s->id, result);
    switch (s->kind) {
    case 0: /* nop */
        if (result != 0 && result != CIO_ECANCELED)
            st.bad++;
        break;
    case 1: /* timeout: fires (CIO_ETIME) or is cancelled */
        if (result != CIO_ETIME && result != CIO_ECANCELED)
            st.bad++;
        break;
    default: /* poll on a pipe nobody writes: only a cancel ends it */
        if (result != CIO_ECANCELED)
            st.bad++;
        break;
    }
    s->busy = 0;
    st.cb_live--;
    cb_push(s);
}

static void
cb_push(cbslot *s)
{
    long id;

    if (st.finishing || (id = op_begin()) < 0)
        return;
    s->id = (uint32_t)id;
    s->kind = (int)soak_below(&st.rng, 3);
    if (s->kind == 0)
        cio_op_nop(&s->op);
    else if (s->kind == 1)
        cio_op_timeout(&s->op, soak_below(&st.rng, 200) * 1000);
    else
        cio_op_poll_add(&s->op, st.idle_pipe[0], CIO_POLL_IN);
    s->busy = 1;
    st.cb_live++;
    if (cio_submit_cb(cio_runtime_current(), &s->op, on_cb, s) != 0) {
        st.bad++;
        s->busy = 0;
        st.cb_live--;
        op_end(id, 0);
    }
}

/* Cancel callback ops at random until the run ends. */
static int
cb_canceller(void *arg)
{
    cio_driver *drv = cio_runtime_driver(cio_runtime_current());
    int i;

    (void)arg;
    for (i = 0; i < CB_INFLIGHT; i++)
        cb_push(&st.cbs[i]);
    while (!st.finishing) {
        cbslot *s = &st.cbs[soak_below(&st.rng, CB_INFLIGHT)];
        if (s->busy && cio_driver_cancel(drv, &s->op) == 0)
            st.cancels_sent++;
        cio_sleep(soak_below(&st.rng, 20) * 1000);
    }
    /* The polls never end by themselves: cancel what is left. */
    while (st.cb_live > 0) {
        for (i = 0; i < CB_INFLIGHT; i++)
            if (st.cbs[i].busy)
                cio_driver_cancel(drv, &st.cbs[i].op);
        cio_sleep(MS);
    }
    return 0;
}

static int
stress_main(void *arg)
{
    role roles[LANES][2];
    cio_task *sup[LANES][2], *canc, *cbc;
    int i, j;

    (void)arg;
    ck_assert_int_eq(cio_spawn(&canc, canceller, NULL), 0);
    ck_assert_int_eq(cio_spawn(&cbc, cb_canceller, NULL), 0);
    for (i = 0; i < LANES; i++)
        for (j = 0; j < 2; j++) {
            roles[i][j].l = &st.lanes[i];
            roles[i][j].which = j;
            ck_assert_int_eq(cio_spawn(&sup[i][j], supervisor, &roles[i][j]),
                             0);
        }
    for (i = 0; i < LANES; i++) {
        ck_assert_int_eq(cio_join(sup[i][0]), 0);
        /* The writer is done: unpark a reader that waits for nothing. */
        while (!st.lanes[i].done[1]) {
            lane *l = &st.lanes[i];
            if (l->rseq == l->wseq && l->h[1] != NULL)
                cio_cancel(l->h[1]);
            cio_sleep(MS / 10);
        }
        ck_assert_int_eq(cio_join(sup[i][1]), 0);
    }
    st.finishing = 1;
    ck_assert_int_eq(cio_join(canc), 0);
    ck_assert_int_eq(cio_join(cbc), 0);
    return 0;
}

START_TEST(test_cancel_storm)
{
    const char *backend = soak_backends[_i];
    int fds_before = cio_test_count_fds();
    cio_runtime *rt = soak_runtime(backend);
    long i, once = 0;

    if (rt == NULL)
        return;
    memset(&st, 0, sizeof st);
    st.target = soak_env_long("CIO_SOAK_OPS", SOAK_DEFAULT(20000, 2000));
    st.rng = soak_seed() + (uint64_t)_i;
    st.seen = calloc((size_t)st.target, 1);
    ck_assert_ptr_nonnull(st.seen);
    ck_assert_int_eq(soak_idle_pair(st.idle_pipe), 0);
    ck_assert_int_eq(cio_driver_attach(cio_runtime_driver(rt), st.idle_pipe[0]),
                     0);
    for (i = 0; i < LANES; i++) {
        lane *l = &st.lanes[i];
        ck_assert_int_eq(socketpair(AF_UNIX,
                                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                    0, l->fd),
                         0);
        ck_assert_int_eq(cio_driver_attach(cio_runtime_driver(rt), l->fd[0]),
                         0);
        ck_assert_int_eq(cio_driver_attach(cio_runtime_driver(rt), l->fd[1]),
                         0);
    }
    ck_assert_int_eq(cio_block_on(rt, stress_main, NULL), 0);
    ck_assert_uint_eq(cio_driver_inflight(cio_runtime_driver(rt)), 0);
    cio_runtime_free(rt);

    for (i = 0; i < st.started; i++)
        once += st.seen[i] == 1;
    printf("# %s: %ld ops (%ld cancelled, %ld cancel requests), "
           "%llu bytes each way, seed %llu\n",
           backend, st.completed, st.canceled, st.cancels_sent,
           (unsigned long long)st.bytes_written,
           (unsigned long long)soak_seed());
    ck_assert_int_eq(st.dup, 0);
    ck_assert_int_eq(st.bad, 0);
    ck_assert_int_eq(st.started, st.target);
    ck_assert_int_eq(st.completed, st.started);
    ck_assert_int_eq(once, st.started);
    ck_assert_uint_eq(st.bytes_written, st.bytes_read);
    ck_assert_int_gt(st.cancels_sent, 0);
    for (i = 0; i < LANES; i++) {
        ck_assert_int_eq(st.lanes[i].errors, 0);
        ck_assert_uint_eq(st.lanes[i].rseq, st.lanes[i].wseq);
        close(st.lanes[i].fd[0]);
        close(st.lanes[i].fd[1]);
    }
    close(st.idle_pipe[0]);
    close(st.idle_pipe[1]);
    free(st.seen);
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("stress_cancel");
    TCase *tc = tcase_create("cancel");

    tcase_add_loop_test(tc, test_cancel_storm, 0, SOAK_NBACKENDS);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
