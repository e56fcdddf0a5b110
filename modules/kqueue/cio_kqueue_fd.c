/* SPDX-License-Identifier: MIT */
/*
 * cio_kqueue_fd.c - the per-fd half of the kqueue module: the fd table,
 * the read/write/POLL_ADD waiter queues, building the READ/WRITE changes
 * of the changelist, acting on their events and EV_ERROR entries, submit
 * and cancel. The design is explained at the top of cio_kqueue.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cio_kqueue_int.h"

_Static_assert(sizeof(kq_opriv) <= CIO_OP_PRIV_MAX,
               "kq_opriv must fit in op->priv");

/* The POLL_ADD bits a caller may ask for. */
#define KQ_POLL_MASK (CIO_POLL_IN | CIO_POLL_PRI | CIO_POLL_OUT)

static kq_filter_t
kq_filter_of(int k)
{
    return k == KQ_R ? (kq_filter_t)EVFILT_READ : (kq_filter_t)EVFILT_WRITE;
}

/* ---- queues ---- */

static void
kq_q_push(kq_queue *q, cio_op *op)
{
    kq_opriv *p = kq__priv(op);
    p->next = NULL;
    p->prev = q->tail;
    if (q->tail)
        kq__priv(q->tail)->next = op;
    else
        q->head = op;
    q->tail = op;
}

static void
kq_q_unlink(kq_queue *q, cio_op *op)
{
    kq_opriv *p = kq__priv(op);
    if (p->prev)
        kq__priv(p->prev)->next = p->next;
    else
        q->head = p->next;
    if (p->next)
        kq__priv(p->next)->prev = p->prev;
    else
        q->tail = p->prev;
    p->next = p->prev = NULL;
}

/* Is @op linked in @q? cancel() must not trust priv of a foreign op. */
static int
kq_q_holds(const kq_queue *q, cio_op *op)
{
    for (cio_op *it = q->head; it != NULL; it = kq__priv(it)->next)
        if (it == op)
            return 1;
    return 0;
}

static kq_queue *
kq_queue_of(kq_fdent *e, int where)
{
    switch (where) {
    case KQ_AT_READQ:
        return &e->rq;
    case KQ_AT_WRITEQ:
        return &e->wq;
    default:
        return &e->pq;
    }
}

/* ---- the fd table ---- */

kq_fdent *
kq__fdent_get(kq_state *st, int fd)
{
    if ((unsigned)fd >= st->nfds) {
        unsigned n = st->nfds ? st->nfds : 64;
        kq_fdent *t;
        while (n <= (unsigned)fd)
            n *= 2;
        t = st->api->realloc(st->fds, (size_t)n * sizeof(*t));
        if (t == NULL)
            return NULL;
        memset(t + st->nfds, 0, (size_t)(n - st->nfds) * sizeof(*t));
        st->fds = t;
        st->nfds = n;
    }
    return &st->fds[fd];
}

/* Does a waiter of @e need filter @k armed? */
static int
kq_need(const kq_fdent *e, int k)
{
    if (k == KQ_R ? e->rq.head != NULL : e->wq.head != NULL)
        return 1;
    for (cio_op *op = e->pq.head; op != NULL; op = kq__priv(op)->next) {
        uint32_t want = op->flags & KQ_POLL_MASK;
        if (k == KQ_R ? (want & (CIO_POLL_IN | CIO_POLL_PRI)) != 0
                      : (want & CIO_POLL_OUT) != 0)
            return 1;
    }
    return 0;
}

/*
 * Ask that the next flush check that filter @k's knote still exists
 * (EV_ENABLE answers ENOENT once a close() removed it). Waiters queued
 * before @seq are the ones a failed check declares stale.
 */
static void
kq_probe(kq_fdent *e, int k, uint64_t seq)
{
    if (!e->probe[k] || seq < e->probe_seq[k])
        e->probe_seq[k] = seq;
    e->probe[k] = 1;
}

static void
kq_enqueue(kq_state *st, int fd, kq_fdent *e, cio_op *op, int where)
{
    kq_opriv *p = kq__priv(op);
    p->where = (uint8_t)where;
    p->seq = st->seq++;
    kq_q_push(kq_queue_of(e, where), op);
    e->nwait++;
    if (st->nwait++ == 0 && st->sweep_ns)
        st->next_sweep = st->api->now_ns() + st->sweep_ns;
    /*
     * A new waiter always checks its knotes, even when armed: that is
     * how a descriptor closed and reused under older waiters is found
     * before they could read the new file's data.
     */
    for (int k = KQ_R; k <= KQ_W; k++)
        if (e->reg[k] && kq_need(e, k))
            kq_probe(e, k, p->seq);
    kq__mark_dirty(st, fd);
}

static void
kq_dequeue(kq_state *st, kq_fdent *e, cio_op *op)
{
    kq_q_unlink(kq_queue_of(e, kq__priv(op)->where), op);
    kq__priv(op)->where = KQ_AT_NONE;
    e->nwait--;
    st->nwait--;
}

/* ---- completing ---- */

static void kq_forget_fd(kq_state *st, int fd);

static void
kq_finish(kq_state *st, cio_op *op, int32_t res)
{
    kq__priv(op)->where = KQ_AT_NONE;
    /* A new descriptor number: whatever we knew about it is stale. */
    if (op->opcode == CIO_OP_ACCEPT && res >= 0)
        kq_forget_fd(st, res);
    st->api->complete(st->host, op, res, 0);
}

/* Complete the waiters of @e queued before @seq with @err. */
static unsigned
kq_fail_older(kq_state *st, kq_fdent *e, int32_t err, uint64_t seq)
{
    kq_queue *qs[3] = {&e->rq, &e->wq, &e->pq};
    unsigned n = 0;
    for (int i = 0; i < 3; i++) {
        cio_op *op = qs[i]->head;
        while (op != NULL) {
            cio_op *next = kq__priv(op)->next;
            if (kq__priv(op)->seq < seq) {
                kq_dequeue(st, e, op);
                kq_finish(st, op, err);
                n++;
            }
            op = next;
        }
    }
    return n;
}

/* The kernel has no knote for @e any more (close() removed them). */
static void
kq_lost(kq_fdent *e)
{
    for (int k = KQ_R; k <= KQ_W; k++) {
        e->reg[k] = 0;
        e->on[k] = 0;
        e->probe[k] = 0;
    }
    e->kind = KQ_KIND_UNKNOWN;
}

/*
 * @fd now names a new file (an ACCEPT returned it, or it is being
 * closed): ops still waiting under that number were on a descriptor that
 * was closed under them, and its knotes went with it.
 */
static void
kq_forget_fd(kq_state *st, int fd)
{
    kq_fdent *e;
    if ((unsigned)fd >= st->nfds)
        return;
    e = &st->fds[fd];
    if (e->nwait)
        kq_fail_older(st, e, CIO_EBADF, UINT64_MAX);
    kq_lost(e);
}

/* ---- descriptor checks ---- */

/*
 * Classify @fd once: a regular file, directory or block device goes to
 * the pool (kevent's vnode READ filter tells the offset to EOF, not
 * readiness); anything else is made non-blocking. KQ_KIND_* or -errno.
 */
int
kq__classify(kq_fdent *e, int fd)
{
    struct stat sb;
    int fl;
    if (e->kind != KQ_KIND_UNKNOWN)
        return e->kind;
    if (fstat(fd, &sb) < 0)
        return -errno;
    if (S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode) || S_ISDIR(sb.st_mode)) {
        e->kind = KQ_KIND_POOLED;
        return e->kind;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    e->kind = KQ_KIND_POLLABLE;
    return e->kind;
}

/* Opcodes whose syscall has no per-call non-blocking flag. */
static int
kq_needs_nonblock(unsigned opcode)
{
    switch (opcode) {
    case CIO_OP_READ:
    case CIO_OP_WRITE:
    case CIO_OP_READV:
    case CIO_OP_WRITEV:
    case CIO_OP_ACCEPT:
    case CIO_OP_CONNECT:
        return 1;
    default:
        return 0;
    }
}

/* Opcodes that the pool can take over when the fd is not pollable. */
static int
kq_poolable(unsigned opcode)
{
    return opcode == CIO_OP_READ || opcode == CIO_OP_WRITE ||
           opcode == CIO_OP_READV || opcode == CIO_OP_WRITEV;
}

/* One non-blocking try of @op through the core's op table. */
static int32_t
kq_try(kq_state *st, cio_op *op)
{
    return st->api->op_desc(op->opcode)->attempt(op);
}

/* ---- building changes ---- */

/*
 * Write into @out (room for 2) the changes @fd needs and return how
 * many. A filter with waiters is added when we know of no knote (EV_ADD
 * with EV_ENABLE, which works whether or not one exists: "Re-adding an
 * existing event will modify the parameters of the original event, and
 * not result in a duplicate entry"), and re-enabled (EV_ENABLE) when it
 * fired since or must be checked. A filter nobody waits for is left
 * alone: EV_DISPATCH (or EV_ONESHOT) disarms it at its next delivery, so
 * an idle WRITE filter costs at most one wake-up, never a busy loop, and
 * no EV_DELETE is ever needed (close() removes knotes by itself).
 */
int
kq__fd_build(kq_state *st, int fd, struct kevent *out, int room)
{
    kq_fdent *e = &st->fds[fd];
    int n = 0;
    (void)room;
    e->dirty = 0;
    for (int k = KQ_R; k <= KQ_W; k++) {
        e->sent[k] = KQ_SENT_NONE;
        if (!kq_need(e, k)) {
            e->probe[k] = 0;
            continue;
        }
        if (!e->reg[k]) {
            kq__set(&out[n++], (uintptr_t)fd, kq_filter_of(k),
                    EV_ADD | EV_ENABLE | KQ_ARM_FLAG, 0, 0);
            e->sent[k] = KQ_SENT_ADD;
        } else if (!e->on[k] || e->probe[k]) {
            kq__set(&out[n++], (uintptr_t)fd, kq_filter_of(k), EV_ENABLE, 0, 0);
            e->sent[k] = KQ_SENT_ENABLE;
        } else {
            continue;
        }
        e->sent_seq[k] = e->probe[k] ? e->probe_seq[k] : 0;
        e->probe[k] = 0;
        e->reg[k] = 1;
        e->on[k] = 1;
    }
    return n;
}

/* Forget every knote (a new kqueue after fork, or a lost batch). */
void
kq__fd_forget_kernel(kq_state *st)
{
    for (unsigned fd = 0; fd < st->nfds; fd++) {
        kq_fdent *e = &st->fds[fd];
        for (int k = KQ_R; k <= KQ_W; k++) {
            e->reg[k] = e->on[k] = e->probe[k] = 0;
            e->sent[k] = KQ_SENT_NONE;
        }
        if (e->nwait)
            kq__mark_dirty(st, (int)fd);
    }
}

/*
 * Check, with an EV_ENABLE each, that the knotes of every fd with
 * waiters still exist: a descriptor closed with ops waiting on it loses
 * its knotes silently, and the answer ENOENT (or EBADF) completes those
 * ops with CIO_EBADF instead of leaving them waiting forever.
 */
void
kq__sweep(kq_state *st)
{
    for (unsigned fd = 0; fd < st->nfds; fd++) {
        kq_fdent *e = &st->fds[fd];
        if (e->nwait == 0)
            continue;
        for (int k = KQ_R; k <= KQ_W; k++)
            if (e->reg[k] && kq_need(e, k))
                kq_probe(e, k, UINT64_MAX);
        kq__mark_dirty(st, (int)fd);
    }
}

/* ---- events ---- */

/* Retry the waiters of @q in FIFO order until one would block. */
static unsigned
kq_run_queue(kq_state *st, kq_fdent *e, kq_queue *q, int eof_err)
{
    unsigned n = 0;
    cio_op *op;
    while ((op = q->head) != NULL) {
        int32_t r = kq_try(st, op);
        if (r == CIO_EAGAIN) {
            /*
             * The syscall decides, the event is only a hint: pending
             * data is read before an EOF is acted on. But when the
             * filter reported EOF with an error in fflags and the
             * syscall still says "would block", trust the error rather
             * than wait for an event that will not come.
             */
            if (eof_err == 0)
                break;
            r = -eof_err;
            eof_err = 0;
        }
        kq_dequeue(st, e, op);
        kq_finish(st, op, r);
        n++;
    }
    return n;
}

/*
 * A READ or WRITE knote fired. kevent(2), EV_EOF on sockets: "returns
 * the socket error (if any) in fflags. It is possible for EOF to be
 * returned (indicating the connection is gone) while there is still
 * data pending in the socket buffer." So the waiters are retried: their
 * syscalls drain the data first and then report 0 or the error.
 */
unsigned
kq__fd_event(kq_state *st, const struct kevent *ev)
{
    int fd = (int)ev->ident;
    int k = ev->filter == EVFILT_READ ? KQ_R : KQ_W;
    int eof_err = 0;
    unsigned n = 0;
    kq_fdent *e;
    cio_op *op;
    if (fd < 0 || (unsigned)fd >= st->nfds)
        return 0;
    e = &st->fds[fd];
    /* Delivered: EV_DISPATCH disabled it, EV_ONESHOT deleted it. */
    e->on[k] = 0;
    if (!KQ_HAVE_DISPATCH)
        e->reg[k] = 0;
    if ((ev->flags & EV_EOF) && ev->fflags != 0 && ev->fflags < 4096u)
        eof_err = (int)ev->fflags;
    n += kq_run_queue(st, e, k == KQ_R ? &e->rq : &e->wq, eof_err);
    op = e->pq.head;
    while (op != NULL) {
        cio_op *next = kq__priv(op)->next;
        int32_t r = kq_try(st, op);
        if (r != CIO_EAGAIN) {
            kq_dequeue(st, e, op);
            kq_finish(st, op, r);
            n++;
        }
        op = next;
    }
    if (e->nwait)
        kq__mark_dirty(st, fd);
    return n;
}

/*
 * kevent cannot watch this descriptor (EINVAL, ENODEV, ENOTSUP: a
 * device on macOS, a vnode's WRITE filter). Hand READ/WRITE waiters to
 * the pool, answer POLL_ADD as poll(2) does for such files (ready),
 * fail the rest with @err.
 */
static unsigned
kq_unpollable(kq_state *st, kq_fdent *e, int32_t err)
{
    kq_queue *qs[3] = {&e->rq, &e->wq, &e->pq};
    unsigned n = 0;
    e->kind = KQ_KIND_POOLED;
    for (int i = 0; i < 3; i++) {
        cio_op *op;
        while ((op = qs[i]->head) != NULL) {
            int32_t r = err;
            kq_dequeue(st, e, op);
            if (kq_poolable(op->opcode)) {
                r = st->api->pool_submit(st->host, op);
                if (r == 0)
                    continue;
            } else if (op->opcode == CIO_OP_POLL_ADD) {
                r = (int32_t)(op->flags & (CIO_POLL_IN | CIO_POLL_OUT));
            }
            kq_finish(st, op, r);
            n++;
        }
    }
    return n;
}

/* Complete the waiters that need filter @k with @err. */
static unsigned
kq_fail_filter(kq_state *st, kq_fdent *e, int k, int32_t err)
{
    unsigned n = 0;
    kq_queue *q = k == KQ_R ? &e->rq : &e->wq;
    cio_op *op;
    while ((op = q->head) != NULL) {
        kq_dequeue(st, e, op);
        kq_finish(st, op, err);
        n++;
    }
    op = e->pq.head;
    while (op != NULL) {
        cio_op *next = kq__priv(op)->next;
        uint32_t want = op->flags & KQ_POLL_MASK;
        if (k == KQ_R ? (want & CIO_POLL_OUT) == 0
                      : (want & (CIO_POLL_IN | CIO_POLL_PRI)) == 0) {
            kq_dequeue(st, e, op);
            kq_finish(st, op, err);
            n++;
        }
        op = next;
    }
    return n;
}

/*
 * An EV_ERROR entry for our change to (@fd, filter @k), @err an errno.
 * ENOENT for an EV_ENABLE: a close() removed the knote (kevent(2):
 * "Calling close() on a file descriptor will remove any kevents that
 * reference the descriptor"), so every knote of the fd is gone and the
 * waiters queued before the check are stale; the rest are armed anew.
 * EBADF: the descriptor is not open; all its waiters are stale.
 */
unsigned
kq__fd_error(kq_state *st, int fd, int k, int err)
{
    unsigned n = 0;
    kq_fdent *e;
    int sent;
    if (fd < 0 || (unsigned)fd >= st->nfds)
        return 0;
    e = &st->fds[fd];
    sent = e->sent[k];
    e->sent[k] = KQ_SENT_NONE;
    if (err == ENOENT && sent == KQ_SENT_ENABLE) {
        uint64_t stale = e->sent_seq[k];
        kq_lost(e);
        n += kq_fail_older(st, e, CIO_EBADF, stale);
    } else if (err == EBADF) {
        kq_lost(e);
        n += kq_fail_older(st, e, CIO_EBADF, UINT64_MAX);
    } else if (sent == KQ_SENT_ADD &&
               (err == EINVAL || err == ENODEV || err == ENOTSUP
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
                || err == EOPNOTSUPP
#endif
                )) {
        e->reg[k] = e->on[k] = 0;
        n += kq_unpollable(st, e, -err);
    } else {
        e->reg[k] = e->on[k] = 0;
        n += kq_fail_filter(st, e, k, -err);
    }
    if (e->nwait)
        kq__mark_dirty(st, fd);
    return n;
}

/* ---- submit and cancel ---- */

/* READ, WRITE, RECV, SEND, ACCEPT, CONNECT...: try, else wait. */
static int
kq_submit_io(kq_state *st, cio_op *op)
{
    const cio_op_desc *d = st->api->op_desc(op->opcode);
    kq_fdent *e;
    kq_queue *q;
    int where;
    int32_t r;
    if (d == NULL || d->attempt == NULL)
        return st->api->pool_submit(st->host, op);
    if (op->fd < 0) {
        kq_finish(st, op, CIO_EBADF);
        return 0;
    }
    e = kq__fdent_get(st, op->fd);
    if (e == NULL)
        return CIO_ENOMEM;
    if (kq_needs_nonblock(op->opcode)) {
        int kind = kq__classify(e, op->fd);
        if (kind < 0) {
            kq_finish(st, op, kind);
            return 0;
        }
        if (kind == KQ_KIND_POOLED && kq_poolable(op->opcode))
            return st->api->pool_submit(st->host, op);
    }
    where = d->wait == CIO_WAIT_WRITE ? KQ_AT_WRITEQ : KQ_AT_READQ;
    q = kq_queue_of(e, where);
    /* FIFO: never overtake an op already waiting for this direction. */
    if (q->head == NULL) {
        r = kq_try(st, op);
        if (r != CIO_EAGAIN) {
            kq_finish(st, op, r);
            return 0;
        }
    }
    if (kq__mark_dirty(st, op->fd) < 0)
        return CIO_ENOMEM;
    kq_enqueue(st, op->fd, e, op, where);
    return 0;
}

/* POLL_ADD: poll(2) once; if nothing is ready, wait on the filters. */
static int
kq_submit_poll(kq_state *st, cio_op *op)
{
    kq_fdent *e;
    int32_t r;
    if (op->fd < 0) {
        kq_finish(st, op, CIO_EBADF);
        return 0;
    }
    e = kq__fdent_get(st, op->fd);
    if (e == NULL)
        return CIO_ENOMEM;
    r = kq_try(st, op);
    if (r != CIO_EAGAIN || (op->flags & KQ_POLL_MASK) == 0) {
        kq_finish(st, op, r == CIO_EAGAIN ? 0 : r);
        return 0;
    }
    if (kq__mark_dirty(st, op->fd) < 0)
        return CIO_ENOMEM;
    kq_enqueue(st, op->fd, e, op, KQ_AT_POLLQ);
    return 0;
}

/*
 * CLOSE: the module does not close (close(2) may block: the pool does),
 * but it knows the number's knotes and waiters are going away. Its
 * waiters complete with CIO_EBADF now, nothing queued for the number is
 * sent after the close, and no EV_DELETE is ever issued for it.
 */
static int
kq_submit_close(kq_state *st, cio_op *op)
{
    if (op->fd >= 0)
        kq_forget_fd(st, op->fd);
    return st->api->pool_submit(st->host, op);
}

int
kq__submit(void *state, cio_op *op)
{
    kq_state *st = state;
    kq_opriv *p = kq__priv(op);
    const cio_op_desc *d;
    memset(p, 0, sizeof(*p));
    switch (op->opcode) {
    case CIO_OP_NOP:
        kq_finish(st, op, 0);
        return 0;
    case CIO_OP_TIMEOUT:
        return kq__timer_add(st, op);
    case CIO_OP_POLL_ADD:
        return kq_submit_poll(st, op);
    case CIO_OP_CLOSE:
        return kq_submit_close(st, op);
    case CIO_OP_SHUTDOWN:
        /* Never blocks: done right here. */
        d = st->api->op_desc(op->opcode);
        kq_finish(st, op, d->attempt ? d->attempt(op) : d->blocking(op));
        return 0;
    default:
        return kq_submit_io(st, op);
    }
}

int
kq__cancel(void *state, cio_op *op)
{
    kq_state *st = state;
    kq_opriv *p = kq__priv(op);
    kq_fdent *e;
    switch (p->where) {
    case KQ_AT_READQ:
    case KQ_AT_WRITEQ:
    case KQ_AT_POLLQ:
        if (op->fd < 0 || (unsigned)op->fd >= st->nfds)
            return CIO_ENOENT;
        e = &st->fds[op->fd];
        if (!kq_q_holds(kq_queue_of(e, p->where), op))
            return CIO_ENOENT;
        /*
         * The knote stays armed: it fires at most once more and is
         * disarmed then (EV_DISPATCH/EV_ONESHOT). Cheaper than a change,
         * and no change is left queued for a descriptor that the caller
         * may close right after cancelling.
         */
        kq_dequeue(st, e, op);
        kq_finish(st, op, CIO_ECANCELED);
        return 0;
    case KQ_AT_TIMER:
        return kq__timer_cancel(st, op);
    default:
        return CIO_ENOENT;
    }
}
