/* SPDX-License-Identifier: MIT */
/*
 * cio_uring.c - the io_uring backend module: a completion driver in
 * which the kernel performs every op it has an opcode for, files
 * included. What the kernel lacks (per-op probe at create time, see
 * cio_uring_setup.c) is reported unsupported and runs on the core's
 * pool, as does BLOCKING.
 *
 * Batching. submit() only fills an SQE (user_data = the op's address);
 * no syscall, unless the SQ is full, when it hands the SQ to the kernel
 * with io_uring_submit and goes on; submit_batch() (module ABI 1.3)
 * fills one SQE per op of the core's batch, taking SQ room once per
 * batch (cio_uring_prep.c). wait() submits and waits in one
 * io_uring_enter, then walks the CQ in place (uring_reap, which also
 * has the kernel flush its overflow list when the ring is empty) and
 * delivers through host->complete; wait_batch() (1.3) does the same
 * but writes the completions straight into the caller's entries and
 * leaves in the CQ what does not fit. With IORING_FEAT_NODROP a full CQ
 * loses nothing: the kernel keeps the extra CQEs and enter may answer
 * EBUSY, which means "reap first", and we do.
 *
 * cancel_all() (1.3) lets the core close a driver without a list of
 * the ops in flight: one IORING_ASYNC_CANCEL_ANY (Linux 5.19); on older
 * kernels the module keeps that list itself, through op->priv.
 *
 * Internal SQEs carry small tag values as user_data (cio_uring_int.h):
 * URING_TAG_IGNORE for the ASYNC_CANCEL that cancel() issues (its own
 * CQE is dropped; the target's CQE, usually -ECANCELED, is the op's
 * completion) and URING_TAG_NOTIFY for the poll on the notify eventfd.
 *
 * notify() from another thread never touches the ring (a single-issuer
 * ring refuses other submitters): it writes an eventfd that the owner
 * keeps a POLL_ADD on (multishot where the kernel has it, else re-armed
 * after each shot), and only when the owner may be asleep in the kernel;
 * see the handshake in uring_wait. A multishot poll is never emptied
 * (uring_on_notify): a wake-up costs notify()'s write and the owner's
 * enter, no read(2).
 *
 * Beyond compio (module ABI 1.2): the kernel does multishot ACCEPT and
 * RECV (one SQE, many CQEs with IORING_CQE_F_MORE, passed through as
 * CIO_CF_MORE: the values are the same), buffer selection from
 * provided-buffer rings (cio_uring_bufring.c), fixed files and
 * registered buffers (cio_uring_register.c) and SEND_ZC (a result CQE
 * with F_MORE, then a notification CQE with F_NOTIF). op_flags() says
 * which CIO_OPF_* bits the kernel handles; the core emulates the rest.
 *
 * fork_child is not implemented: the ring's mappings are shared with a
 * forked child, so a child must not use (or close) its parent's driver.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cio_uring_int.h"


/*
 * Block until a completion or @tsp passes. Normally one enter that
 * submits and waits. Under valgrind (st->vg, cio_uring_int.h): submit,
 * poll(2) the ring fd, which turns readable when a CQE is posted (the
 * ring runs without DEFER_TASKRUN there, whose deferred work would not
 * wake a poller), then reap with a non-blocking GETEVENTS enter.
 */
static int
uring_block(uring_state *st, struct __kernel_timespec *tsp)
{
    struct io_uring *ring = &st->ring;
    struct io_uring_cqe *cqe = NULL;
    struct pollfd pfd;
    int ms = -1, r;

    /*
     * Without a timeout, the plain submit-and-wait: one enter, where
     * the timeout variant also peeks at the CQ around it, which the
     * reap after this does anyway. Its count of submissions means
     * nothing to the caller (>= 0: success).
     */
    if (!st->vg && tsp == NULL)
        return io_uring_submit_and_wait(ring, 1);
    if (!st->vg)
        return io_uring_submit_and_wait_timeout(ring, &cqe, 1, tsp, NULL);
    r = io_uring_submit(ring);
    if (r < 0)
        return r;
    if (tsp != NULL) {
        uint64_t ns = (uint64_t)tsp->tv_sec * 1000000000u +
                      (uint64_t)tsp->tv_nsec;
        /* Rounded up: a poll that ends early would spin. */
        ms = ns / 1000000u >= INT_MAX ? INT_MAX
                                      : (int)((ns + 999999u) / 1000000u);
    }
    pfd.fd = ring->ring_fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    r = poll(&pfd, 1, ms);
    if (r < 0)
        return -errno;
    r = io_uring_submit_and_get_events(ring);
    return r < 0 ? r : 0;
}

/* CQE flags go to the core unchanged: they are the CIO_CF_* values. */
_Static_assert(offsetof(struct io_uring_cqe, flags) ==
                       offsetof(struct io_uring_cqe, res) + 4 &&
                   offsetof(cio_completion, cflags) ==
                       offsetof(cio_completion, result) + 4,
               "res/flags and result/cflags are copied as one 8-byte unit");
_Static_assert(CIO_CF_BUFFER == IORING_CQE_F_BUFFER &&
                   CIO_CF_MORE == IORING_CQE_F_MORE &&
                   CIO_CF_SOCK_NONEMPTY == IORING_CQE_F_SOCK_NONEMPTY &&
                   CIO_CF_NOTIF == IORING_CQE_F_NOTIF &&
                   CIO_CF_BUFFER_SHIFT == IORING_CQE_BUFFER_SHIFT,
               "CIO_CF_* differ from IORING_CQE_F_*");

/* Tries when the kernel answers EBUSY/EAGAIN to a submission. */
#define URING_BUSY_TRIES 1000

/* ---- completions ---- */

/*
 * The notify poll fired (or ended): note it. A multishot poll posts a
 * CQE for every wake-up that eventfd_write() raises, readable counter or
 * not (io_uring's multishot poll is edge-triggered), so the eventfd is
 * not emptied while it lasts: that would be a read(2) per wake-up. The
 * counter only grows by one per write that found the owner asleep; it
 * would take 2^64 - 2 of them to fill it. A poll that ended (one-shot,
 * or a multishot one the kernel stopped or cancel_all() cancelled) is
 * emptied with read(2), so that the next one does not fire at once.
 */
static void
uring_on_notify(uring_state *st, int32_t res, uint32_t flags)
{
    uint64_t v;
    if (!(flags & IORING_CQE_F_MORE)) {
        st->notify_armed = 0;
        while (read(st->evfd, &v, sizeof(v)) < 0 && errno == EINTR)
            ;
    }
    if (res == -EINVAL && st->notify_multi) {
        /* No multishot poll (Linux < 5.13): re-arm one shot each time. */
        st->notify_multi = 0;
        return;
    }
    if (res > 0)
        st->woke = 1;
}

/*
 * -EINTR means cancelled. io_uring runs an op that must block (a
 * connect to a unix listener whose backlog is full, say) on a kernel
 * worker thread, and the only thing that interrupts such a worker is a
 * cancel (ours, or the ring's teardown): user signals are not delivered
 * to it. The op then completes with -EINTR where every other backend
 * says CIO_ECANCELED, and a caller would take EINTR for "retry". Both
 * reap paths of uring_reap report it as CIO_ECANCELED
 * (tests/uring/check_uring.c, t_cancel_blocking_worker).
 */

/*
 * Whether uring_reap would find anything: CQEs in the ring, or waiting
 * elsewhere (overflow, task work). Inline, so that a wait that finds
 * the ring empty (its submissions not made yet) makes no call.
 */
static inline int
uring_cq_pending(const uring_state *st)
{
    const struct io_uring_cq *cq = &st->ring.cq;
    return *cq->khead != __atomic_load_n(cq->ktail, __ATOMIC_ACQUIRE) ||
           (IO_URING_READ_ONCE(*st->ring.sq.kflags) &
            (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0;
}

/*
 * wait_batch's reap of one CQE @c into @o: returns @o + 1, or @o for an
 * internal CQE, which is acted on here.
 */
static inline __attribute__((always_inline)) cio_completion *
uring_reap_cqe(uring_state *st, const struct io_uring_cqe *c, cio_completion *o)
{
    uint64_t ud = c->user_data;
    /* res and flags, then result and cflags: adjacent in both. */
    memcpy(&o->result, &c->res, 8);
    o->op = (cio_op *)(uintptr_t)ud;
    if (__builtin_expect((ud & URING_UD_MASK) != 0, 0)) {
        if (ud <= URING_TAG_MAX) {
            if (ud == URING_TAG_NOTIFY)
                uring_on_notify(st, c->res, c->flags);
            return o;
        }
        o->op = (cio_op *)(uintptr_t)(ud & ~(uint64_t)URING_UD_MASK);
        o->result = uring__poll_result(o->result);
    }
    if (__builtin_expect(o->result == -EINTR, 0))
        o->result = CIO_ECANCELED; /* See above uring_reap. */
    return o + 1;
}

/*
 * Deliver every CQE in the ring: into st->out while wait_batch() runs
 * (until it is full; the rest stay in the ring), else one by one
 * through host->complete. The CQ is walked in place, as liburing's
 * peek_batch_cqe would, and like it, an empty ring whose kernel side
 * says CQEs are waiting elsewhere (overflow, task work) gets one
 * GETEVENTS enter to bring them in. Returns the number of ops'
 * completions delivered (internal CQEs are not counted).
 */
static unsigned
uring_reap(uring_state *st)
{
    struct io_uring_cq *cq = &st->ring.cq;
    unsigned mask = cq->ring_mask, total = 0;
    unsigned head = *cq->khead;
    unsigned tail = __atomic_load_n(cq->ktail, __ATOMIC_ACQUIRE);

    if (head == tail) {
        if (!(IO_URING_READ_ONCE(*st->ring.sq.kflags) &
              (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)))
            return 0;
        io_uring_get_events(&st->ring);
        head = *cq->khead;
        tail = __atomic_load_n(cq->ktail, __ATOMIC_ACQUIRE);
    }
    if (st->out != NULL) {
        const struct io_uring_cqe *cqes = cq->cqes;
        cio_completion *o = st->out + st->nout, *start = o;
        unsigned room = st->out_max - st->nout, end;
        /*
         * At most @room CQEs are looked at, internal ones included (they
         * are rare: the next reap takes what they left behind). The ring
         * is walked in at most two runs of adjacent CQEs (it wraps), so
         * that a CQE costs a pointer step, not an index computation.
         */
        end = head + (tail - head < room ? tail - head : room);
        while (head != end) {
            const struct io_uring_cqe *c = &cqes[head & mask], *cend;
            unsigned run = mask + 1 - (head & mask);
            if (run > end - head)
                run = end - head;
            head += run;
            cend = c + run;
            /* Four at a time: the loop's step and test count a quarter. */
            for (; cend - c >= 4; c += 4) {
                o = uring_reap_cqe(st, c, o);
                o = uring_reap_cqe(st, c + 1, o);
                o = uring_reap_cqe(st, c + 2, o);
                o = uring_reap_cqe(st, c + 3, o);
            }
            for (; c < cend; c++)
                o = uring_reap_cqe(st, c, o);
        }
        io_uring_smp_store_release(cq->khead, end);
        total = (unsigned)(o - start);
        if (__builtin_expect(st->vg, 0))
            for (o = start; o < start + total; o++)
                uring__vg_defined(st, o->op, o->result, o->cflags);
        if (st->track)
            for (o = start; o < start + total; o++)
                if (!(o->cflags & IORING_CQE_F_MORE))
                    uring_unhold(o->op);
        st->nout += total;
        return total;
    }
    /*
     * One at a time, the head moved on before the call: the core may
     * call back into the module, which may reap. Then the ring is
     * looked at again, as the callee may have consumed some of it.
     */
    while (head != tail) {
        const struct io_uring_cqe *cqe = &cq->cqes[head & mask];
        uint64_t ud = cqe->user_data;
        int32_t res = cqe->res;
        uint32_t flags = cqe->flags;
        cio_op *op;
        io_uring_smp_store_release(cq->khead, head + 1);
        if (ud <= URING_TAG_MAX) {
            if (ud == URING_TAG_NOTIFY)
                uring_on_notify(st, res, flags);
        } else {
            op = (cio_op *)(uintptr_t)(ud & ~(uint64_t)URING_UD_MASK);
            if (ud & URING_UD_POLL)
                res = uring__poll_result(res);
            if (__builtin_expect(res == -EINTR, 0))
                res = CIO_ECANCELED; /* -EINTR: see above uring_reap. */
            if (st->track && !(flags & IORING_CQE_F_MORE))
                uring_unhold(op);
            if (__builtin_expect(st->vg, 0))
                uring__vg_defined(st, op, res, flags);
            st->api->complete(st->host, op, res, flags);
            total++;
        }
        head = *cq->khead;
        tail = __atomic_load_n(cq->ktail, __ATOMIC_ACQUIRE);
    }
    return total;
}

/* ---- submission ---- */

/*
 * Enable a ring set up with IORING_SETUP_R_DISABLED: the calling thread
 * becomes its single issuer. 0 or -errno.
 */
int
uring__enable(uring_state *st)
{
    int r;
    if (!(st->flags & IORING_SETUP_R_DISABLED)) {
        st->enabled = 1;
        return 0;
    }
    /*
     * liburing 2.3 declares io_uring_enable_rings but its shared library
     * does not export it: make the register call ourselves.
     */
    r = io_uring_register((unsigned)st->ring.ring_fd,
                          IORING_REGISTER_ENABLE_RINGS, NULL, 0);
    if (r < 0) {
        st->api->log(st->host, CIO_LOG_ERROR,
                     "IORING_REGISTER_ENABLE_RINGS: %s", strerror(-r));
        return r;
    }
    st->enabled = 1;
    return 0;
}

/*
 * Hand the SQ to the kernel. EBUSY (CQ overflow backlog) and EAGAIN (no
 * memory for requests right now) are answered by reaping, which makes
 * room, then trying again. 0 or -errno.
 */
static int
uring_submit_sq(uring_state *st)
{
    for (int tries = 0;; tries++) {
        int r = io_uring_submit(&st->ring);
        if (r >= 0)
            return 0;
        if (r == -EINTR)
            continue;
        if ((r != -EBUSY && r != -EAGAIN) || tries >= URING_BUSY_TRIES)
            return r;
        /* Reaping makes no room while wait_batch's array is full. */
        if (st->out != NULL && st->nout == st->out_max)
            return r;
        uring_reap(st);
    }
}

/*
 * A free SQE; when the SQ is full, submit what is queued and take one
 * from the emptied ring. NULL with *@err set when the kernel will not
 * take submissions.
 */
struct io_uring_sqe *
uring__get_sqe(uring_state *st, int *err)
{
    for (int tries = 0;; tries++) {
        struct io_uring_sqe *sqe = uring_sqe_next(st);
        int r;
        if (sqe != NULL)
            return sqe;
        if (tries >= URING_BUSY_TRIES) {
            *err = CIO_EAGAIN;
            return NULL;
        }
        r = uring_submit_sq(st);
        if (r < 0) {
            *err = r;
            return NULL;
        }
        /* An SQPOLL thread empties the SQ on its own time. */
        if (st->flags & IORING_SETUP_SQPOLL)
            io_uring_sqring_wait(&st->ring);
    }
}

/*
 * Queue an IORING_OP_ASYNC_CANCEL for @op. The target still completes
 * on its own: -ECANCELED, or its real result if it raced the cancel.
 * The cancel's own CQE is dropped (and not even posted on success when
 * the kernel has IOSQE_CQE_SKIP_SUCCESS).
 */
static int
uring_cancel(void *state, cio_op *op)
{
    uring_state *st = state;
    struct io_uring_sqe *sqe;
    int r;
    if ((uintptr_t)op <= URING_TAG_MAX)
        return CIO_ENOENT;
    if (!st->enabled && (r = uring__enable(st)) < 0)
        return r;
    sqe = uring__get_sqe(st, &r);
    if (sqe == NULL)
        return r;
    io_uring_prep_cancel64(sqe, uring_ud(op), 0);
    io_uring_sqe_set_data64(sqe, URING_TAG_IGNORE);
    uring_sqe_dirty(st);
    if (st->features & IORING_FEAT_CQE_SKIP)
        io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
    return 0;
}

/*
 * cancel_all() (ABI 1.3): one IORING_ASYNC_CANCEL_ANY | _ALL where the
 * kernel has it (Linux 5.19); it cancels the notify poll too, which the
 * next wait() arms again. Without it, a cancel() for each op on the
 * held list, which moves to a local sentinel first and each op back
 * before its cancel, so that a reap inside (a full SQ) unlinks safely.
 */
static int
uring_cancel_all(void *state)
{
    uring_state *st = state;
    struct io_uring_sqe *sqe;
    uring_link pending;
    int r, err = 0;

    if (!st->enabled)
        return 0; /* Never used: nothing to cancel. */
    if (!st->track) {
        sqe = uring__get_sqe(st, &r);
        if (sqe == NULL)
            return r;
        io_uring_prep_cancel64(
            sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, URING_TAG_IGNORE);
        uring_sqe_dirty(st);
        return 0;
    }
    if (st->held.next == &st->held)
        return 0;
    pending.next = st->held.next;
    pending.prev = st->held.prev;
    pending.next->prev = &pending;
    pending.prev->next = &pending;
    st->held.next = st->held.prev = &st->held;
    while (pending.next != &pending) {
        cio_op *op = URING_OP_OF(pending.next);
        uring_unhold(op);
        uring_hold(st, op);
        r = uring_cancel(st, op);
        if (r < 0)
            err = r;
    }
    return err;
}

static int
uring_flush(void *state)
{
    uring_state *st = state;
    int r;
    if (!st->enabled && (r = uring__enable(st)) < 0)
        return r;
    return uring_submit_sq(st);
}

/* ---- wait and notify ---- */

/* Queue the POLL_ADD on the notify eventfd. 0 or -errno. */
static int
uring_arm_notify(uring_state *st)
{
    struct io_uring_sqe *sqe;
    int r;
    sqe = uring__get_sqe(st, &r);
    if (sqe == NULL)
        return r;
    if (st->notify_multi)
        io_uring_prep_poll_multishot(sqe, st->evfd, POLLIN);
    else
        io_uring_prep_poll_add(sqe, st->evfd, POLLIN);
    io_uring_sqe_set_data64(sqe, URING_TAG_NOTIFY);
    uring_sqe_dirty(st);
    st->notify_armed = 1;
    return 0;
}

/* Errors of io_uring_enter that only mean "look again". */
static int
uring_transient(int r)
{
    return r == -ETIME || r == -EINTR || r == -EBUSY || r == -EAGAIN;
}

static int uring_wait(void *state, int64_t timeout_ns);

/*
 * wait_batch() (ABI 1.3): wait() with st->out set, so the reaps write
 * into @out; what does not fit stays in the CQ.
 */
static int
uring_wait_batch(void *state, int64_t timeout_ns, cio_completion *out,
                 unsigned max)
{
    uring_state *st = state;
    int r;

    st->out = out;
    st->out_max = max;
    st->nout = 0;
    r = uring_wait(state, timeout_ns);
    st->out = NULL;
    return r;
}

static int
uring_wait(void *state, int64_t timeout_ns)
{
    uring_state *st = state;
    const cio_host_api *api = st->api;
    uint64_t now = 0, until = UINT64_MAX;
    unsigned n = 0;
    int r;

    if (!st->enabled && (r = uring__enable(st)) < 0)
        return r;
    if (timeout_ns > 0) {
        now = api->now_ns();
        if ((uint64_t)timeout_ns < UINT64_MAX - now)
            until = now + (uint64_t)timeout_ns;
    }
    for (;;) {
        int block;
        if (uring_cq_pending(st))
            n += uring_reap(st);
        if (!st->notify_armed && (r = uring_arm_notify(st)) < 0)
            return n ? (int)n : r;
        block = n == 0 && !st->woke && timeout_ns != 0;
        /*
         * notify() protocol (a Dekker handshake, all seq_cst): we store
         * sleeping = 1 and then read-and-clear pending; notify() stores
         * pending = 1 and then reads sleeping. Sequential consistency
         * forbids both reads missing the other's store, so either we
         * see the request here and do not block, or notify() sees us
         * asleep and writes the eventfd, whose poll (queued above and
         * submitted by the same enter that waits) then completes. A
         * notify() that finds us awake skips the write; the pending flag
         * makes this or the next wait() return at once. Only these two
         * need sequential consistency: clearing sleeping after the wait
         * may be seen late (notify() then writes the eventfd once too
         * often, which is harmless), and the look at pending after the
         * wait is a plain load first, so that the usual case (no notify)
         * costs no locked instruction; a request it misses is seen by
         * the exchange above at the next wait, which then does not
         * block.
         */
        if (block) {
            atomic_store(&st->sleeping, 1);
            if (atomic_exchange(&st->pending, 0)) {
                atomic_store(&st->sleeping, 0);
                st->woke = 1;
                block = 0;
            }
        }
        if (block) {
            struct __kernel_timespec ts, *tsp = NULL;
            if (until != UINT64_MAX) {
                uint64_t left = until > now ? until - now : 0;
                ts.tv_sec = (int64_t)(left / 1000000000u);
                ts.tv_nsec = (long long)(left % 1000000000u);
                tsp = &ts;
            }
            r = uring_block(st, tsp);
            atomic_store_explicit(&st->sleeping, 0, memory_order_release);
        } else if (n != 0 && io_uring_sq_ready(&st->ring) == 0) {
            r = 0; /* Completions in hand, nothing to submit. */
        } else {
            /* GETEVENTS runs deferred task work (DEFER_TASKRUN). */
            r = io_uring_submit_and_get_events(&st->ring);
        }
        if (r < 0 && !uring_transient(r)) {
            n += uring_reap(st);
            return n ? (int)n : r;
        }
        n += uring_reap(st);
        if (atomic_load_explicit(&st->pending, memory_order_relaxed) &&
            atomic_exchange(&st->pending, 0))
            st->woke = 1;
        if (n || st->woke || timeout_ns == 0)
            break;
        if (until != UINT64_MAX) {
            now = api->now_ns();
            if (now >= until)
                break;
        }
        /* Early return (EINTR, an internal CQE): wait for the rest. */
    }
    st->woke = 0;
    return n > INT_MAX ? INT_MAX : (int)n;
}

/*
 * Wake the owner; safe from any thread (see the protocol in uring_wait).
 * A full eventfd counter (EAGAIN) is already a wake-up.
 */
static int
uring_notify(void *state)
{
    uring_state *st = state;
    uint64_t one = 1;
    atomic_store(&st->pending, 1);
    if (!atomic_load(&st->sleeping))
        return 0;
    while (write(st->evfd, &one, sizeof(one)) < 0) {
        if (errno == EAGAIN)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

/* ---- create / destroy ---- */

static void
uring_destroy(void *state)
{
    uring_state *st = state;
    if (st == NULL)
        return;
    /* Exiting the ring cancels the internal notify poll with it. */
    if (st->ring.ring_fd >= 0)
        io_uring_queue_exit(&st->ring);
    uring__bufring_free_all(st);
    if (st->evfd >= 0)
        close(st->evfd);
    st->api->free(st);
}

static int
uring_create(const cio_host_api *api, cio_host *host, unsigned entries,
             void **state)
{
    uring_state *st;
    uring_knobs k;
    int r;

    r = uring__knobs_read(api, host, entries, &k);
    if (r < 0)
        return r;
    st = api->calloc(1, sizeof(*st));
    if (st == NULL)
        return CIO_ENOMEM;
    st->api = api;
    st->host = host;
    st->ring.ring_fd = -1;
    st->notify_multi = !k.no_notify_multi;
    st->vg = k.vg;
    st->held.next = st->held.prev = &st->held;
    atomic_init(&st->pending, 0);
    atomic_init(&st->sleeping, 0);
    st->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (st->evfd < 0) {
        r = -errno;
        api->set_reason(host, "eventfd: %s", strerror(-r));
        uring_destroy(st);
        return r;
    }
    r = uring__ring_init(st, &k);
    if (r < 0) {
        st->ring.ring_fd = -1;
        uring_destroy(st);
        return r;
    }
    r = uring__probe_ops(st, &k);
    if (r < 0) {
        uring_destroy(st);
        return r;
    }
    *state = st;
    return 0;
}

static int
uring_supports(void *state, unsigned opcode)
{
    const uring_state *st = state;
    return opcode < CIO_OP__COUNT && st->native[opcode];
}

static uint32_t
uring_op_flags(void *state, unsigned opcode)
{
    const uring_state *st = state;
    return opcode < CIO_OP__COUNT ? st->opflags[opcode] : 0;
}

/* ---- probe ---- */

/* Say in words why io_uring_setup failed with @err. */
static void
uring_explain(const cio_host_api *api, cio_host *host, int err)
{
    char buf[16] = "";
    FILE *f;
    struct rlimit rl;

    switch (err) {
    case ENOSYS:
        api->set_reason(host, "io_uring_setup: %s (kernel too old or built "
                              "without CONFIG_IO_URING)",
                        strerror(err));
        return;
    case EPERM:
        f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
        if (f != NULL) {
            if (fgets(buf, sizeof(buf), f) == NULL)
                buf[0] = '\0';
            fclose(f);
        }
        if (buf[0] == '2')
            api->set_reason(host, "io_uring_setup: %s (disabled by the "
                                  "sysctl kernel.io_uring_disabled = 2)",
                            strerror(err));
        else if (buf[0] == '1')
            api->set_reason(host, "io_uring_setup: %s (kernel."
                                  "io_uring_disabled = 1 and this process is "
                                  "not in kernel.io_uring_group)",
                            strerror(err));
        else
            api->set_reason(host, "io_uring_setup: %s (blocked by seccomp or "
                                  "a security module; "
                                  "kernel.io_uring_disabled = %c)",
                            strerror(err), buf[0] ? buf[0] : '?');
        return;
    case ENOMEM:
        if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
            api->set_reason(host, "io_uring_setup: %s (locked-memory limit "
                                  "RLIMIT_MEMLOCK is %llu KiB; raise it with "
                                  "ulimit -l)",
                            strerror(err),
                            (unsigned long long)rl.rlim_cur / 1024u);
        else
            api->set_reason(host, "io_uring_setup: %s", strerror(err));
        return;
    default:
        api->set_reason(host, "io_uring_setup: %s", strerror(err));
        return;
    }
}

/*
 * Can io_uring work here? Set up a two-entry ring, check what the module
 * relies on, and tear it down again: nothing is left behind.
 */
static int
uring_probe(const cio_host_api *api, cio_host *host)
{
    struct io_uring ring;
    struct io_uring_params p;
    struct io_uring_probe *pr;
    int r;

    memset(&p, 0, sizeof(p));
    r = io_uring_queue_init_params(2, &ring, &p);
    if (r < 0) {
        uring_explain(api, host, -r);
        return r;
    }
    /*
     * wait() needs a timeout on io_uring_enter itself (EXT_ARG, 5.11)
     * and NODROP (5.5) so that a full CQ loses nothing.
     */
    r = 0;
    if (!(p.features & IORING_FEAT_EXT_ARG) ||
        !(p.features & IORING_FEAT_NODROP)) {
        api->set_reason(host, "io_uring: the kernel lacks IORING_FEAT_EXT_ARG "
                              "or IORING_FEAT_NODROP (Linux < 5.11)");
        r = CIO_ENOSYS;
    } else if ((pr = io_uring_get_probe_ring(&ring)) == NULL) {
        api->set_reason(host, "io_uring: the kernel has no "
                              "IORING_REGISTER_PROBE (Linux < 5.6)");
        r = CIO_ENOSYS;
    } else {
        if (!io_uring_opcode_supported(pr, IORING_OP_ASYNC_CANCEL) ||
            !io_uring_opcode_supported(pr, IORING_OP_POLL_ADD)) {
            api->set_reason(host, "io_uring: the kernel lacks ASYNC_CANCEL "
                                  "or POLL_ADD");
            r = CIO_ENOSYS;
        }
        io_uring_free_probe(pr);
    }
    io_uring_queue_exit(&ring);
    return r;
}

static const cio_backend_ops uring_ops = {
    .size = sizeof(cio_backend_ops),
    .create = uring_create,
    .destroy = uring_destroy,
    .supports = uring_supports,
    .attach = NULL,
    .submit = uring__submit,
    .cancel = uring_cancel,
    .flush = uring_flush,
    .wait = uring_wait,
    .notify = uring_notify,
    .fork_child = NULL,
    .op_flags = uring_op_flags,
    .bufpool_create = uring__bufring_create,
    .bufpool_recycle = uring__bufring_recycle,
    .bufpool_destroy = uring__bufring_destroy,
    .files_register = uring__files_register,
    .files_update = uring__files_update,
    .files_unregister = uring__files_unregister,
    .buffers_register = uring__buffers_register,
    .buffers_unregister = uring__buffers_unregister,
    .submit_batch = uring__submit_batch,
    .wait_batch = uring_wait_batch,
    .cancel_all = uring_cancel_all,
};

CIO_BACKEND_MODULE(uring) = {
    CIO_BACKEND_HEADER,
    .op_priv_size = (uint32_t)sizeof(uring_opriv),
    .name = "uring",
    .version = "1.3.0",
    .description = "Linux io_uring completion driver; files and sockets "
                   "in the kernel",
    .caps = CIO_CAP_COMPLETION | CIO_CAP_FILE_ASYNC | CIO_CAP_CANCEL_INFLIGHT |
            CIO_CAP_NOTIFY | CIO_CAP_MULTISHOT | CIO_CAP_BUFFER_RING |
            CIO_CAP_FIXED_FILES | CIO_CAP_FIXED_BUFFERS | CIO_CAP_SEND_ZC,
    .probe = uring_probe,
    .ops = &uring_ops,
};
