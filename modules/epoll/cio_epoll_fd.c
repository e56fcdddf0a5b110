/* SPDX-License-Identifier: MIT */
/*
 * cio_epoll_fd.c - the per-fd half of the epoll module: the fd table,
 * the read/write/POLL_ADD waiter queues, one-shot arming, retrying
 * waiters when epoll reports their fd, submit and cancel. The design
 * (one-shot vs edge-triggered, closed descriptors) is explained at the
 * top of cio_epoll.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cio_epoll_int.h"

_Static_assert(sizeof(epoll_opriv) <= CIO_OP_PRIV_MAX,
               "epoll_opriv must fit in op->priv");
_Static_assert(CIO_POLL_IN == EPOLLIN && CIO_POLL_PRI == EPOLLPRI &&
                   CIO_POLL_OUT == EPOLLOUT && CIO_POLL_ERR == EPOLLERR &&
                   CIO_POLL_HUP == EPOLLHUP,
               "CIO_POLL_* bits are the epoll bits");

/* The POLL_ADD bits a caller may ask for. */
#define EPOLL_POLL_MASK (EPOLLIN | EPOLLPRI | EPOLLOUT)

/* ---- queues ---- */

static void
epoll_q_push(epoll_queue *q, cio_op *op)
{
    epoll_opriv *p = epoll__priv(op);
    p->next = NULL;
    p->prev = q->tail;
    if (q->tail)
        epoll__priv(q->tail)->next = op;
    else
        q->head = op;
    q->tail = op;
}

static void
epoll_q_unlink(epoll_queue *q, cio_op *op)
{
    epoll_opriv *p = epoll__priv(op);
    if (p->prev)
        epoll__priv(p->prev)->next = p->next;
    else
        q->head = p->next;
    if (p->next)
        epoll__priv(p->next)->prev = p->prev;
    else
        q->tail = p->prev;
    p->next = p->prev = NULL;
}

/*
 * True when @op really is linked in @q. cancel() must not trust priv (an
 * op we never held may carry anything there), so it walks the queue; an
 * fd rarely has more than a waiter or two per direction.
 */
static int
epoll_q_holds(const epoll_queue *q, cio_op *op)
{
    for (cio_op *it = q->head; it != NULL; it = epoll__priv(it)->next)
        if (it == op)
            return 1;
    return 0;
}

static epoll_queue *
epoll_queue_of(epoll_fdent *e, int where)
{
    switch (where) {
    case EPOLL_AT_READQ:
        return &e->rq;
    case EPOLL_AT_WRITEQ:
        return &e->wq;
    default:
        return &e->pq;
    }
}

/* ---- the fd table ---- */

/* The entry of @fd, growing the table; NULL when out of memory. */
epoll_fdent *
epoll__fdent_get(epoll_state *st, int fd)
{
    if ((unsigned)fd >= st->nfds) {
        unsigned n = st->nfds ? st->nfds : 64;
        epoll_fdent *t;
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

/* Queue @op as a waiter of @e; where is one of the EPOLL_AT_*Q. */
static void
epoll_enqueue(epoll_state *st, epoll_fdent *e, cio_op *op, int where)
{
    epoll__priv(op)->where = (uint8_t)where;
    epoll_q_push(epoll_queue_of(e, where), op);
    e->nwait++;
    /* The sweep clock starts when the first op starts waiting. */
    if (st->nwait++ == 0 && st->sweep_ns)
        st->next_sweep = st->api->now_ns() + st->sweep_ns;
}

static void
epoll_dequeue(epoll_state *st, epoll_fdent *e, cio_op *op)
{
    epoll_q_unlink(epoll_queue_of(e, epoll__priv(op)->where), op);
    epoll__priv(op)->where = EPOLL_AT_NONE;
    e->nwait--;
    st->nwait--;
}

/* ---- completing ---- */

static void epoll_forget_fd(epoll_state *st, int fd);
static int epoll_drains(epoll_fdent *e, int fd);

/* Deliver @op's result; the module lets go of it here. */
static void
epoll_finish(epoll_state *st, cio_op *op, int32_t res)
{
    epoll__priv(op)->where = EPOLL_AT_NONE;
    st->inline_done++;
    /*
     * A new descriptor number: whatever we knew about it is stale. An
     * accepted socket has its listener's type, so it inherits whether a
     * short read drains it (one getsockopt per listener, not per
     * connection). The table is never grown here: callers hold entries.
     */
    if (op->opcode == CIO_OP_ACCEPT && res >= 0) {
        epoll_forget_fd(st, res);
        if ((unsigned)res < st->nfds && (unsigned)op->fd < st->nfds)
            st->fds[res].drains =
                (uint8_t)epoll_drains(&st->fds[op->fd], op->fd);
    }
    st->api->complete(st->host, op, res, 0);
}

/* Complete every waiter of @e but @keep with @err; returns how many. */
static unsigned
epoll_fail_all(epoll_state *st, epoll_fdent *e, int32_t err, cio_op *keep)
{
    epoll_queue *qs[3] = {&e->rq, &e->wq, &e->pq};
    unsigned n = 0;
    for (int i = 0; i < 3; i++) {
        cio_op *op = qs[i]->head;
        while (op != NULL) {
            cio_op *next = epoll__priv(op)->next;
            if (op != keep) {
                epoll_dequeue(st, e, op);
                epoll_finish(st, op, err);
                n++;
            }
            op = next;
        }
    }
    return n;
}

/*
 * @fd now names a new file (an ACCEPT returned it): ops still waiting
 * under that number were on a descriptor that was closed under them.
 */
static void
epoll_forget_fd(epoll_state *st, int fd)
{
    epoll_fdent *e;
    if ((unsigned)fd >= st->nfds)
        return;
    e = &st->fds[fd];
    if (e->nwait)
        epoll_fail_all(st, e, CIO_EBADF, NULL);
    epoll__fdent_reset(e);
    e->armed = 0;
}

/*
 * The number of @e may name a new file now: drop what was learnt about
 * the old one (kind, readiness hints, drains). Registration state is
 * the caller's business.
 */
void
epoll__fdent_reset(epoll_fdent *e)
{
    e->kind = EPOLL_KIND_UNKNOWN;
    e->unready = 0;
    e->drains = EPOLL_DRAINS_UNKNOWN;
}

/* ---- descriptor checks ---- */

/*
 * Classify @fd once: a regular file or block device goes to the pool;
 * anything else is made non-blocking. EPOLL_KIND_* or -errno.
 */
int
epoll__classify(epoll_fdent *e, int fd)
{
    struct stat sb;
    int fl;
    if (e->kind != EPOLL_KIND_UNKNOWN)
        return e->kind;
    if (fstat(fd, &sb) < 0)
        return -errno;
    if (S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode) || S_ISDIR(sb.st_mode)) {
        e->kind = EPOLL_KIND_POOLED;
        return e->kind;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    e->kind = EPOLL_KIND_POLLABLE;
    return e->kind;
}

/* Opcodes whose syscall has no per-call non-blocking flag. */
static int
epoll_needs_nonblock(unsigned opcode)
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
epoll_poolable(unsigned opcode)
{
    return opcode == CIO_OP_READ || opcode == CIO_OP_WRITE ||
           opcode == CIO_OP_READV || opcode == CIO_OP_WRITEV;
}

/* ---- attempts and readiness hints ---- */

/*
 * Whether a read shorter than asked means that @fd had nothing more to
 * give: true for stream sockets and pipes, where a read takes all there
 * is up to its length; not for datagram and record sockets (one message
 * per read, more may be queued) or ttys (a line at a time). Asked once
 * per descriptor life; anything unexpected counts as "no", which only
 * costs the hint.
 */
static int
epoll_drains(epoll_fdent *e, int fd)
{
    int type = 0;
    socklen_t len = sizeof(type);
    struct stat sb;
    if (e->drains != EPOLL_DRAINS_UNKNOWN)
        return e->drains;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
        e->drains = type == SOCK_STREAM ? EPOLL_DRAINS_YES : EPOLL_DRAINS_NO;
    else if (errno == ENOTSOCK && fstat(fd, &sb) == 0 && S_ISFIFO(sb.st_mode))
        e->drains = EPOLL_DRAINS_YES;
    else
        e->drains = EPOLL_DRAINS_NO;
    return e->drains;
}

/* The hint bit of the queue an op waits in. */
static uint8_t
epoll_dir_bit(int where)
{
    return where == EPOLL_AT_WRITEQ ? EPOLL_UNREADY_WRITE : EPOLL_UNREADY_READ;
}

/*
 * Ops that may wait without a first try when their direction is hinted
 * unready. Not CONNECT: its first try is what starts the connection.
 */
static int
epoll_may_skip(unsigned opcode)
{
    switch (opcode) {
    case CIO_OP_READ:
    case CIO_OP_READV:
    case CIO_OP_RECV:
    case CIO_OP_RECVMSG:
    case CIO_OP_ACCEPT:
    case CIO_OP_WRITE:
    case CIO_OP_WRITEV:
    case CIO_OP_SEND:
    case CIO_OP_SENDMSG:
        return 1;
    default:
        return 0;
    }
}

/*
 * Should @opcode, about to start in queue @where of @e with nothing
 * queued before it, wait without a first try? Only when its direction
 * is hinted unready, and (adaptive policy) while such tries have mostly
 * failed of late: a hint says the fd was drained, not that it still is
 * by the time the next op comes. A loaded server (hundreds of
 * connections, the loop's turn long) finds the peer's next request
 * there already, and waiting for it would cost an EPOLL_CTL_MOD and a
 * loop turn where a try costs one read. A try that fails costs the
 * read on top of the wait, so trying pays when it succeeds more than
 * half the time. While ops skip, one in EPOLL_PROBE_EVERY tries anyway
 * to keep the estimate current (at one connection: 1/32 syscall per
 * request).
 */
static int
epoll_skip_try(epoll_state *st, const epoll_fdent *e, unsigned opcode,
               int where)
{
    int d = where == EPOLL_AT_WRITEQ;
    if (!(e->unready & epoll_dir_bit(where)) || !epoll_may_skip(opcode))
        return 0;
    if (st->hints != EPOLL_HINTS_ADAPTIVE)
        return 1;
    if (st->odds[d] >= EPOLL_ODDS_ONE / 2)
        return 0;
    if (++st->probe[d] < EPOLL_PROBE_EVERY)
        return 1;
    st->probe[d] = 0;
    return 0;
}

/* A try made despite a hint in direction @where did (not) succeed. */
static void
epoll_odds(epoll_state *st, int where, int ok)
{
    int d = where == EPOLL_AT_WRITEQ;
    st->odds[d] = (uint16_t)(st->odds[d] - (st->odds[d] >> EPOLL_ODDS_SHIFT) +
                             (ok ? EPOLL_ODDS_ONE >> EPOLL_ODDS_SHIFT : 0));
    /*
     * While ops skip, only probes teach anything, one in 32: a probe
     * that succeeds turns trying back on at once, rather than after the
     * dozen probes the average would need. Two failures in a row turn
     * it off again.
     */
    if (ok && st->odds[d] < EPOLL_ODDS_ONE / 2)
        st->odds[d] = EPOLL_ODDS_ONE / 2 + (EPOLL_ODDS_ONE >> EPOLL_ODDS_SHIFT);
}

/*
 * Learn from a try of @op (in queue @where of @e, fd @fd) that answered
 * @r: CIO_EAGAIN, a read that drained the fd (shorter than its buffer
 * on a stream socket or pipe; not an EOF, not a MSG_PEEK) or a short
 * write (no room left) set the direction's hint. Epoll reporting the
 * direction ready clears it (epoll__on_event). A full read or write
 * made despite the hint (epoll_skip_try) leaves it set: it is the
 * adaptive policy's evidence, and only epoll knows the fd is ready.
 * hints = eagain learns from EAGAIN only, off from nothing.
 */
static void
epoll_learn(const epoll_state *st, epoll_fdent *e, int fd, const cio_op *op,
            int where, int32_t r)
{
    uint8_t bit = epoll_dir_bit(where);
    if (st->hints == EPOLL_HINTS_OFF)
        return;
    if (r == CIO_EAGAIN) {
        e->unready |= bit;
        return;
    }
    if (st->hints == EPOLL_HINTS_EAGAIN)
        return;
    switch (op->opcode) {
    case CIO_OP_RECV:
        if (op->flags & MSG_PEEK)
            return;
        /* Fall through. */
    case CIO_OP_READ:
        if (r > 0 && (uint32_t)r < op->a.rw.len &&
            epoll_drains(e, fd) == EPOLL_DRAINS_YES)
            e->unready |= bit;
        return;
    case CIO_OP_WRITE:
    case CIO_OP_SEND:
        if (r >= 0 && (uint32_t)r < op->a.rw.len)
            e->unready |= bit;
        return;
    default:
        return;
    }
}

/*
 * One non-blocking try of @op: its result or CIO_EAGAIN. CONNECT needs
 * nothing special: the core's attempt remembers (in op->result) that the
 * connection is in progress and collects SO_ERROR when called again.
 */
static int32_t
epoll_try(epoll_state *st, cio_op *op)
{
    return st->api->op_desc(op->opcode)->attempt(op);
}

/* ---- CONNECT to a full unix backlog ---- */

/*
 * connect(2) on a non-blocking unix stream socket whose listener's
 * backlog is full fails with EAGAIN, and nothing tells a poller when
 * room comes: the connecting socket polls writable all along, so
 * waiting for EPOLLOUT would spin (connect, arm, wake, connect...).
 * io_uring blocks such a connect on a kernel worker; to keep the op's
 * meaning (it completes when the listener takes it, or is cancelled) at
 * no such cost, it is retried on a timer instead: 1 ms, doubling up to
 * 64 ms between tries. libuv and mio report EAGAIN to the caller there.
 * The op waits in the timer heap (EPOLL_AT_HEAP), so cancel and the
 * loop's timeout work for it as for a TIMEOUT.
 */
#define EPOLL_CONNECT_RETRY_MAX_SHIFT 6

/* Did @op's try end in "the backlog is full" rather than in progress? */
static int
epoll_connect_full(const cio_op *op, int32_t r)
{
    return op->opcode == CIO_OP_CONNECT && r == CIO_EAGAIN &&
           op->result != CIO_EINPROGRESS;
}

/* Put @op (in no queue) in the heap for its next try. 0 or -ENOMEM. */
static int
epoll_connect_later(epoll_state *st, cio_op *op)
{
    epoll_opriv *p = epoll__priv(op);
    unsigned shift = p->tries < EPOLL_CONNECT_RETRY_MAX_SHIFT
                         ? p->tries
                         : EPOLL_CONNECT_RETRY_MAX_SHIFT;

    if (p->tries < UINT8_MAX)
        p->tries++;
    p->deadline = st->api->now_ns() + (1000000ull << shift);
    return epoll__timer_add(st, op);
}

/*
 * The heap let @op go: try the connect again. Still full: back to the
 * heap; in progress (a listener on another kind of socket, or the
 * number reused): wait for writability as usual; else it is done.
 * Returns the completions delivered (0 or 1).
 */
unsigned
epoll__connect_retry(epoll_state *st, cio_op *op)
{
    epoll_fdent *e;
    int32_t r = epoll_try(st, op);
    int rc;

    if (epoll_connect_full(op, r)) {
        rc = epoll_connect_later(st, op);
        if (rc == 0)
            return 0;
        r = rc;
    } else if (r == CIO_EAGAIN) {
        e = epoll__fdent_get(st, op->fd);
        if (e != NULL) {
            epoll_enqueue(st, e, op, EPOLL_AT_WRITEQ);
            return epoll__settle(st, op->fd, op);
        }
        r = CIO_ENOMEM;
    }
    epoll_finish(st, op, r);
    return 1;
}

/* ---- registration ---- */

/* The epoll interest the waiters of @e need (0: none). */
static uint32_t
epoll_want(const epoll_fdent *e)
{
    uint32_t w = 0;
    if (e->rq.head)
        w |= EPOLLIN | EPOLLRDHUP;
    if (e->wq.head)
        w |= EPOLLOUT;
    for (cio_op *op = e->pq.head; op; op = epoll__priv(op)->next)
        w |= op->flags & EPOLL_POLL_MASK;
    return w;
}

/*
 * Arm @fd (one-shot) for what its waiters need. 0 when armed, 1 when the
 * registration we had vanished (the file was closed; nothing is armed
 * and registered is cleared), or -errno from epoll_ctl.
 */
static int
epoll_arm(epoll_state *st, int fd, epoll_fdent *e)
{
    struct epoll_event ev;
    uint32_t want = epoll_want(e);
    if (want == 0 || (e->armed && (want & ~e->armed) == 0))
        return 0;
    memset(&ev, 0, sizeof(ev));
    ev.events = want | EPOLLONESHOT;
    ev.data.u64 = (uint64_t)fd;
    if (e->registered) {
        if (epoll_ctl(st->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) {
            e->armed = want;
            return 0;
        }
        if (errno != ENOENT && errno != EBADF)
            return -errno;
        e->registered = 0;
        e->armed = 0;
        return 1;
    }
    if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        /* Registered by an earlier life of this table (fork_child). */
        if (errno != EEXIST || epoll_ctl(st->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
            return -errno;
    }
    e->registered = 1;
    e->armed = want;
    return 0;
}

/*
 * epoll cannot watch @fd (EPERM: a regular file or /dev/null). Hand
 * READ/WRITE waiters to the pool, answer POLL_ADD as poll(2) does for
 * such files (always ready), fail the rest.
 */
static unsigned
epoll_unpollable(epoll_state *st, epoll_fdent *e)
{
    epoll_queue *qs[3] = {&e->rq, &e->wq, &e->pq};
    unsigned n = 0;
    e->kind = EPOLL_KIND_POOLED;
    for (int i = 0; i < 3; i++) {
        cio_op *op;
        while ((op = qs[i]->head) != NULL) {
            int32_t r = CIO_EPERM;
            epoll_dequeue(st, e, op);
            if (epoll_poolable(op->opcode)) {
                r = st->api->pool_submit(st->host, op);
                if (r == 0)
                    continue;
            } else if (op->opcode == CIO_OP_POLL_ADD) {
                r = (int32_t)(op->flags & (EPOLLIN | EPOLLOUT));
            }
            epoll_finish(st, op, r);
            n++;
        }
    }
    return n;
}

/*
 * Re-arm @fd after its queues changed. @fresh is an op submit just
 * queued: if the registration vanished, the waiters queued before it
 * were on a closed descriptor and get CIO_EBADF, while @fresh (meant for
 * whatever the number names now) is registered anew. Returns the number
 * of completions delivered.
 */
unsigned
epoll__settle(epoll_state *st, int fd, cio_op *fresh)
{
    epoll_fdent *e = &st->fds[fd];
    unsigned n = 0;
    int r;
    /*
     * A new waiter always re-arms, even when its direction is armed
     * already: the EPOLL_CTL_MOD is what tells us that the number was
     * closed and reused under older waiters, which would otherwise hide
     * the new op behind a dead registration.
     */
    if (fresh != NULL)
        e->armed = 0;
    r = epoll_arm(st, fd, e);
    if (r == 1) {
        n += epoll_fail_all(st, e, CIO_EBADF, fresh);
        epoll__fdent_reset(e);
        r = epoll_arm(st, fd, e);
    }
    if (r == CIO_EPERM)
        n += epoll_unpollable(st, e);
    else if (r < 0)
        n += epoll_fail_all(st, e, r, NULL);
    return n;
}

/* ---- running waiters ---- */

/*
 * Retry the waiters of @q (queue @where of fd @fd) in FIFO order until
 * one would block, or one drained the fd (the next would only find
 * EAGAIN).
 */
static unsigned
epoll_run_queue(epoll_state *st, int fd, epoll_fdent *e, int where)
{
    epoll_queue *q = epoll_queue_of(e, where);
    uint8_t bit = epoll_dir_bit(where);
    unsigned n = 0;
    cio_op *op;
    while ((op = q->head) != NULL) {
        int32_t r = epoll_try(st, op);
        if (epoll_connect_full(op, r)) {
            /* Queued behind a writer, then found the backlog full. */
            epoll_dequeue(st, e, op);
            if (epoll_connect_later(st, op) < 0) {
                epoll_finish(st, op, CIO_ENOMEM);
                n++;
            }
            continue;
        }
        epoll_learn(st, e, fd, op, where, r);
        if (r == CIO_EAGAIN)
            break;
        epoll_dequeue(st, e, op);
        epoll_finish(st, op, r);
        n++;
        if (e->unready & bit)
            break;
    }
    return n;
}

/* epoll reported @events on @fd: run its waiters, then re-arm. */
unsigned
epoll__on_event(epoll_state *st, int fd, uint32_t events)
{
    epoll_fdent *e;
    unsigned n = 0;
    cio_op *op;
    if ((unsigned)fd >= st->nfds)
        return 0;
    e = &st->fds[fd];
    e->armed = 0; /* One-shot: it fired, nothing is armed now. */
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
        e->unready &= (uint8_t)~EPOLL_UNREADY_READ;
        n += epoll_run_queue(st, fd, e, EPOLL_AT_READQ);
    }
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
        e->unready &= (uint8_t)~EPOLL_UNREADY_WRITE;
        n += epoll_run_queue(st, fd, e, EPOLL_AT_WRITEQ);
    }
    op = e->pq.head;
    while (op != NULL) {
        cio_op *next = epoll__priv(op)->next;
        uint32_t got =
            events & ((op->flags & EPOLL_POLL_MASK) | EPOLLERR | EPOLLHUP);
        if (got) {
            epoll_dequeue(st, e, op);
            epoll_finish(st, op, (int32_t)got);
            n++;
        }
        op = next;
    }
    if (e->nwait)
        n += epoll__settle(st, fd, NULL);
    return n;
}

/*
 * Re-validate the registration of every fd with waiters (see the top
 * comment): EPOLL_CTL_MOD fails with ENOENT or EBADF once the file the
 * ops wait on is gone.
 */
unsigned
epoll__sweep(epoll_state *st)
{
    unsigned n = 0;
    for (unsigned fd = 0; fd < st->nfds && st->nwait; fd++) {
        epoll_fdent *e = &st->fds[fd];
        if (e->nwait == 0)
            continue;
        e->armed = 0; /* Force the EPOLL_CTL_MOD. */
        n += epoll__settle(st, (int)fd, NULL);
    }
    return n;
}

/* ---- submit and cancel ---- */

/* READ, WRITE, RECV, SEND, ACCEPT, CONNECT...: try, else wait. */
static int
epoll_submit_io(epoll_state *st, cio_op *op)
{
    const cio_op_desc *d = st->api->op_desc(op->opcode);
    epoll_fdent *e;
    epoll_queue *q;
    int where;
    int32_t r;
    if (d == NULL || d->attempt == NULL)
        return st->api->pool_submit(st->host, op);
    if (op->fd < 0) {
        epoll_finish(st, op, CIO_EBADF);
        return 0;
    }
    e = epoll__fdent_get(st, op->fd);
    if (e == NULL)
        return CIO_ENOMEM;
    if (epoll_needs_nonblock(op->opcode)) {
        int k = epoll__classify(e, op->fd);
        if (k < 0) {
            epoll_finish(st, op, k);
            return 0;
        }
        if (k == EPOLL_KIND_POOLED && epoll_poolable(op->opcode))
            return st->api->pool_submit(st->host, op);
    }
    where = d->wait == CIO_WAIT_WRITE ? EPOLL_AT_WRITEQ : EPOLL_AT_READQ;
    q = epoll_queue_of(e, where);
    /*
     * FIFO: never overtake an op already waiting for this direction.
     * No first try either when the last one in this direction found the
     * fd unready, epoll has not said otherwise since, and such tries have
     * mostly failed of late (epoll_skip_try): waiting is always safe
     * (arming a ready fd reports it at once).
     */
    if (q->head == NULL && !epoll_skip_try(st, e, op->opcode, where)) {
        int hinted = (e->unready & epoll_dir_bit(where)) != 0;
        r = epoll_try(st, op);
        if (epoll_connect_full(op, r))
            return epoll_connect_later(st, op);
        if (hinted)
            epoll_odds(st, where, r != CIO_EAGAIN);
        epoll_learn(st, e, op->fd, op, where, r);
        if (r != CIO_EAGAIN) {
            epoll_finish(st, op, r);
            return 0;
        }
    }
    epoll_enqueue(st, e, op, where);
    epoll__settle(st, op->fd, op);
    return 0;
}

/*
 * POLL_ADD: no separate poll(2) first; arming the fd reports a readiness
 * that already holds as an event right away, so a ready fd costs the
 * same one epoll_ctl and an unready one does not pay a useless poll.
 */
static int
epoll_submit_poll(epoll_state *st, cio_op *op)
{
    epoll_fdent *e;
    if (op->fd < 0) {
        epoll_finish(st, op, CIO_EBADF);
        return 0;
    }
    e = epoll__fdent_get(st, op->fd);
    if (e == NULL)
        return CIO_ENOMEM;
    epoll_enqueue(st, e, op, EPOLL_AT_POLLQ);
    epoll__settle(st, op->fd, op);
    return 0;
}

int
epoll__submit(void *state, cio_op *op)
{
    epoll_state *st = state;
    epoll_opriv *p = epoll__priv(op);
    const cio_op_desc *d;
    memset(p, 0, sizeof(*p));
    switch (op->opcode) {
    case CIO_OP_NOP:
        epoll_finish(st, op, 0);
        return 0;
    case CIO_OP_TIMEOUT: {
        uint64_t now = st->api->now_ns();
        uint64_t ns = op->a.timeout.ns;
        p->deadline = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
        return epoll__timer_add(st, op);
    }
    case CIO_OP_POLL_ADD:
        return epoll_submit_poll(st, op);
    case CIO_OP_SHUTDOWN:
        /* Never blocks: done right here. */
        d = st->api->op_desc(op->opcode);
        epoll_finish(st, op, d->attempt ? d->attempt(op) : d->blocking(op));
        return 0;
    default:
        return epoll_submit_io(st, op);
    }
}

int
epoll__cancel(void *state, cio_op *op)
{
    epoll_state *st = state;
    epoll_opriv *p = epoll__priv(op);
    epoll_fdent *e;
    switch (p->where) {
    case EPOLL_AT_READQ:
    case EPOLL_AT_WRITEQ:
    case EPOLL_AT_POLLQ:
        if (op->fd < 0 || (unsigned)op->fd >= st->nfds)
            return CIO_ENOENT;
        e = &st->fds[op->fd];
        if (!epoll_q_holds(epoll_queue_of(e, p->where), op))
            return CIO_ENOENT;
        /*
         * The fd stays armed for the old mask; a wake-up nobody needs
         * may follow, and re-arming then narrows it. Cheaper than an
         * epoll_ctl per cancel.
         */
        epoll_dequeue(st, e, op);
        epoll_finish(st, op, CIO_ECANCELED);
        return 0;
    case EPOLL_AT_HEAP:
        if (p->heap_idx >= st->heap_len || st->heap[p->heap_idx] != op)
            return CIO_ENOENT;
        epoll__timer_remove(st, op);
        epoll_finish(st, op, CIO_ECANCELED);
        return 0;
    default:
        return CIO_ENOENT;
    }
}
