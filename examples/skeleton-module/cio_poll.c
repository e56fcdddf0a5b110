/* SPDX-License-Identifier: MIT */
/*
 * cio_poll.c - a compio backend module built out of tree: a portable
 * readiness driver on poll(2), for any POSIX system. It is both a useful
 * backend (where neither io_uring, epoll nor kqueue exist) and the
 * skeleton to start a module of your own from. It includes only
 * <compio/module.h> and system headers, and calls compio only through
 * the host API table it is handed: it links against nothing of compio.
 *
 *     make                      # pkg-config compio-module does the rest
 *     compio-conformance --backend "$PWD/cio_poll.so"
 *     make install              # into $(pkg-config --variable=moduledir)
 *
 * How an op runs (the pattern every readiness backend follows):
 *
 *  - submit() tries the syscall at once through the core's op table
 *    (api->op_desc(opcode)->attempt). Most ops finish right there and
 *    are completed with api->complete() before submit returns.
 *  - An attempt that answers CIO_EAGAIN queues the op on its descriptor:
 *    one FIFO of read waiters, one of write waiters and one of POLL_ADD
 *    waiters per fd, linked through op->priv, so waiting allocates
 *    nothing but the (rarely grown) fd table. A new op never overtakes
 *    an older waiter of the same direction.
 *  - wait() polls every descriptor that has waiters, plus a self-pipe
 *    that notify() writes to, and retries the waiters of each ready
 *    descriptor in FIFO order until one says CIO_EAGAIN again.
 *  - TIMEOUT ops sit in a list sorted by deadline; the nearest one bounds
 *    poll's timeout, rounded up to the millisecond so nothing ends early.
 *  - Regular files are always "ready" to poll(2) but may still block on
 *    the disk: their READ/WRITE go to the core's thread pool
 *    (api->pool_submit), and supports() says no to the file-only opcodes
 *    (READ_AT, OPENAT, FSYNC, ...), which the core therefore pools too.
 *  - The "beyond compio" features of module ABI 1.2 (multishot, buffer
 *    pools, registered files and buffers, SEND_ZC) are left to the core,
 *    which emulates them on top of the ops above: the descriptor leaves
 *    those members NULL.
 *
 * Closing a descriptor while ops wait on it is a user error (cancel
 * first), but it must not hang or corrupt: a closed fd comes back from
 * poll as POLLNVAL and its waiters complete with CIO_EBADF; a number
 * that was closed and reused for another file is noticed when a new op
 * arrives for it (the file's identity changed), and the old waiters get
 * CIO_EBADF instead of the new file's data.
 *
 * Rules this file keeps, as every module must (see compio-module(7)):
 * no global mutable state (everything hangs off the state create()
 * returns); no exit(), abort(), signal handlers or errno side channel;
 * exactly one completion per submitted op, also after cancel; never
 * write op->result, op->cflags or op->link; probe() leaves nothing
 * behind; notify() is safe from any thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <compio/module.h>

/* Where an op held by the module is (poll_opriv.where). */
enum poll_where {
    POLL_AT_NONE = 0, /* Not held by the module. */
    POLL_AT_READ,     /* In its fd's read-waiter queue. */
    POLL_AT_WRITE,    /* In its fd's write-waiter queue. */
    POLL_AT_POLL,     /* A POLL_ADD in its fd's poller queue. */
    POLL_AT_TIMER     /* A TIMEOUT in the timer list. */
};

/* The module's per-op state, laid over op->priv (op_priv_size bytes). */
typedef struct poll_opriv {
    cio_op *next; /* Queue links: doubly linked for O(1) removal. */
    cio_op *prev;
    uint64_t deadline; /* TIMEOUT: absolute, on the host's clock. */
    uint8_t where;     /* enum poll_where. */
} poll_opriv;

_Static_assert(sizeof(poll_opriv) <= CIO_OP_PRIV_MAX,
               "poll_opriv must fit in op->priv");

/* A FIFO of ops. */
typedef struct poll_queue {
    cio_op *head;
    cio_op *tail;
} poll_queue;

/* What the module knows about a descriptor number. */
enum poll_kind {
    POLL_KIND_UNKNOWN = 0, /* Not looked at yet (or forgotten). */
    POLL_KIND_POLLABLE,    /* Socket, pipe, tty...: O_NONBLOCK set. */
    POLL_KIND_FILE         /* Regular file, block device: the pool. */
};

/* Per-fd state, in a table indexed by the fd number. */
typedef struct poll_fdent {
    poll_queue q[3]; /* Read, write and POLL_ADD waiters. */
    unsigned nwait;  /* Ops in the three queues. */
    int slot;        /* Index in poll_state.active, or -1. */
    uint8_t kind;    /* enum poll_kind. */
    uint8_t have_id; /* dev/ino below are valid. */
    dev_t dev;       /* The file the waiters wait on: a number that */
    ino_t ino;       /* names another file now was closed and reused. */
} poll_fdent;

/* One driver. Everything hangs off this: no global mutable state. */
typedef struct poll_state {
    const cio_host_api *api;
    cio_host *host;
    poll_fdent *fds; /* Indexed by fd; nfds entries. */
    unsigned nfds;
    int *active; /* Fd numbers with waiters, dense. */
    unsigned nactive;
    unsigned active_cap;
    struct pollfd *pfds; /* Scratch for poll(): 1 + nactive entries. */
    unsigned pfds_cap;
    poll_queue timers;  /* TIMEOUT ops, sorted by deadline. */
    int wake[2];        /* Self-pipe: notify() writes, wait() polls. */
    atomic_int pending; /* A wake byte is in the pipe (or on its way). */
} poll_state;

static poll_opriv *
priv_of(cio_op *op)
{
    return (poll_opriv *)(void *)op->priv.u64;
}

/* ---- queues ---- */

static void
q_push(poll_queue *q, cio_op *op)
{
    poll_opriv *p = priv_of(op);

    p->next = NULL;
    p->prev = q->tail;
    if (q->tail != NULL)
        priv_of(q->tail)->next = op;
    else
        q->head = op;
    q->tail = op;
}

static void
q_unlink(poll_queue *q, cio_op *op)
{
    poll_opriv *p = priv_of(op);

    if (p->prev != NULL)
        priv_of(p->prev)->next = p->next;
    else
        q->head = p->next;
    if (p->next != NULL)
        priv_of(p->next)->prev = p->prev;
    else
        q->tail = p->prev;
    p->next = p->prev = NULL;
}

/*
 * True when @op is linked in @q. cancel() cannot trust op->priv of an op
 * the module may never have held, so it looks; queues are short.
 */
static int
q_holds(const poll_queue *q, cio_op *op)
{
    for (cio_op *it = q->head; it != NULL; it = priv_of(it)->next)
        if (it == op)
            return 1;
    return 0;
}

/* ---- the fd table and the active list ---- */

static poll_fdent *
fdent_get(poll_state *st, int fd)
{
    if ((unsigned)fd >= st->nfds) {
        unsigned n = st->nfds ? st->nfds : 64;
        poll_fdent *t;

        while (n <= (unsigned)fd)
            n *= 2;
        t = st->api->realloc(st->fds, (size_t)n * sizeof(*t));
        if (t == NULL)
            return NULL;
        memset(t + st->nfds, 0, (size_t)(n - st->nfds) * sizeof(*t));
        for (unsigned i = st->nfds; i < n; i++)
            t[i].slot = -1;
        st->fds = t;
        st->nfds = n;
    }
    return &st->fds[fd];
}

/* Put @fd on the list that wait() polls. 0 or CIO_ENOMEM. */
static int
active_add(poll_state *st, int fd, poll_fdent *e)
{
    if (e->slot >= 0)
        return 0;
    if (st->nactive == st->active_cap) {
        unsigned cap = st->active_cap ? st->active_cap * 2 : 64;
        int *a = st->api->realloc(st->active, cap * sizeof(*a));

        if (a == NULL)
            return CIO_ENOMEM;
        st->active = a;
        st->active_cap = cap;
    }
    e->slot = (int)st->nactive;
    st->active[st->nactive++] = fd;
    return 0;
}

static void
active_remove(poll_state *st, poll_fdent *e)
{
    int last;

    if (e->slot < 0)
        return;
    last = st->active[--st->nactive];
    st->active[e->slot] = last;
    st->fds[last].slot = e->slot;
    e->slot = -1;
}

/* ---- completing ---- */

static void forget_fd(poll_state *st, int fd);

/* Deliver @op's result; the module lets go of the op here. */
static void
finish(poll_state *st, cio_op *op, int32_t res)
{
    priv_of(op)->where = POLL_AT_NONE;
    /* A descriptor number ACCEPT just returned names a new file. */
    if (op->opcode == CIO_OP_ACCEPT && res >= 0)
        forget_fd(st, res);
    st->api->complete(st->host, op, res, 0);
}

static void
dequeue(poll_state *st, poll_fdent *e, cio_op *op)
{
    q_unlink(&e->q[priv_of(op)->where - POLL_AT_READ], op);
    priv_of(op)->where = POLL_AT_NONE;
    if (--e->nwait == 0) {
        active_remove(st, e);
        e->have_id = 0;
    }
}

/* Complete every waiter of @e with @err; returns how many. */
static unsigned
fail_all(poll_state *st, poll_fdent *e, int32_t err)
{
    unsigned n = 0;

    for (int i = 0; i < 3; i++) {
        cio_op *op;
        while ((op = e->q[i].head) != NULL) {
            dequeue(st, e, op);
            finish(st, op, err);
            n++;
        }
    }
    return n;
}

/* @fd was closed (and maybe reused): drop what we knew about it. */
static void
forget_fd(poll_state *st, int fd)
{
    poll_fdent *e;

    if (fd < 0 || (unsigned)fd >= st->nfds)
        return;
    e = &st->fds[fd];
    if (e->nwait)
        fail_all(st, e, CIO_EBADF);
    e->kind = POLL_KIND_UNKNOWN;
    e->have_id = 0;
}

/* ---- descriptors ---- */

/*
 * Look at @fd once: regular files and block devices go to the pool,
 * anything else is made non-blocking (this changes the open file
 * description, shared with dups, as libuv does). POLL_KIND_* or -errno.
 */
static int
classify(poll_fdent *e, int fd)
{
    struct stat sb;
    int fl;

    if (e->kind != POLL_KIND_UNKNOWN)
        return e->kind;
    if (fstat(fd, &sb) < 0)
        return -errno;
    if (S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode) || S_ISDIR(sb.st_mode)) {
        e->kind = POLL_KIND_FILE;
        return e->kind;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    e->kind = POLL_KIND_POLLABLE;
    return e->kind;
}

/* Opcodes whose syscall has no per-call "don't block" flag. */
static int
needs_nonblock(unsigned opcode)
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

/* Opcodes the pool can run when the fd is a regular file. */
static int
poolable(unsigned opcode)
{
    return opcode == CIO_OP_READ || opcode == CIO_OP_WRITE ||
           opcode == CIO_OP_READV || opcode == CIO_OP_WRITEV;
}

/*
 * Before queueing another op on @fd: is it still the file the waiters
 * wait on? If the number was closed and reused, they get CIO_EBADF.
 * Returns the number of completions, or -errno when @fd is not open.
 */
static int
check_identity(poll_state *st, poll_fdent *e, int fd)
{
    struct stat sb;
    unsigned n = 0;

    if (fstat(fd, &sb) < 0) {
        int err = -errno;
        forget_fd(st, fd);
        return err;
    }
    if (e->nwait && e->have_id &&
        (sb.st_dev != e->dev || sb.st_ino != e->ino)) {
        n = fail_all(st, e, CIO_EBADF);
        e->kind = POLL_KIND_UNKNOWN;
    }
    e->dev = sb.st_dev;
    e->ino = sb.st_ino;
    e->have_id = 1;
    return (int)n;
}

/* Queue @op on @fd as a waiter of kind @where. 0 or -errno. */
static int
enqueue(poll_state *st, poll_fdent *e, int fd, cio_op *op, int where)
{
    int r = check_identity(st, e, fd);

    if (r < 0)
        return r;
    r = active_add(st, fd, e);
    if (r < 0)
        return r;
    priv_of(op)->where = (uint8_t)where;
    q_push(&e->q[where - POLL_AT_READ], op);
    e->nwait++;
    return 0;
}

/* ---- timers ---- */

static void
timer_add(poll_state *st, cio_op *op)
{
    poll_opriv *p = priv_of(op);
    cio_op *after = st->timers.tail;

    /* From the back: deadlines mostly arrive in order. */
    while (after != NULL && priv_of(after)->deadline > p->deadline)
        after = priv_of(after)->prev;
    p->where = POLL_AT_TIMER;
    if (after == NULL) {
        p->prev = NULL;
        p->next = st->timers.head;
        if (st->timers.head != NULL)
            priv_of(st->timers.head)->prev = op;
        else
            st->timers.tail = op;
        st->timers.head = op;
        return;
    }
    p->prev = after;
    p->next = priv_of(after)->next;
    if (p->next != NULL)
        priv_of(p->next)->prev = op;
    else
        st->timers.tail = op;
    priv_of(after)->next = op;
}

/* Complete every TIMEOUT due at @now with CIO_ETIME. */
static unsigned
timers_expire(poll_state *st, uint64_t now)
{
    unsigned n = 0;
    cio_op *op;

    while ((op = st->timers.head) != NULL && priv_of(op)->deadline <= now) {
        q_unlink(&st->timers, op);
        finish(st, op, CIO_ETIME);
        n++;
    }
    return n;
}

/* ---- poll bits ---- */

/* CIO_POLL_* to poll(2) bits (equal on Linux and the BSDs, but say so). */
static short
to_poll(uint32_t cio)
{
    short ev = 0;

    if (cio & CIO_POLL_IN)
        ev |= POLLIN;
    if (cio & CIO_POLL_PRI)
        ev |= POLLPRI;
    if (cio & CIO_POLL_OUT)
        ev |= POLLOUT;
    return ev;
}

static int32_t
to_cio(short ev)
{
    int32_t r = 0;

    if (ev & POLLIN)
        r |= CIO_POLL_IN;
    if (ev & POLLPRI)
        r |= CIO_POLL_PRI;
    if (ev & POLLOUT)
        r |= CIO_POLL_OUT;
    if (ev & POLLERR)
        r |= CIO_POLL_ERR;
    if (ev & POLLHUP)
        r |= CIO_POLL_HUP;
    return r;
}

/* The poll(2) interest of @e's waiters. */
static short
interest(const poll_fdent *e)
{
    short ev = 0;

    if (e->q[0].head != NULL)
        ev |= POLLIN;
    if (e->q[1].head != NULL)
        ev |= POLLOUT;
    for (cio_op *op = e->q[2].head; op != NULL; op = priv_of(op)->next)
        ev |= to_poll(op->flags);
    return ev;
}

/* ---- running waiters ---- */

/* Retry the waiters of queue @qi of @e in FIFO order until one blocks. */
static unsigned
run_queue(poll_state *st, poll_fdent *e, int qi)
{
    unsigned n = 0;
    cio_op *op;

    while ((op = e->q[qi].head) != NULL) {
        int32_t r = st->api->op_desc(op->opcode)->attempt(op);

        if (r == CIO_EAGAIN)
            break;
        dequeue(st, e, op);
        finish(st, op, r);
        n++;
    }
    return n;
}

/* poll(2) reported @rev on @fd. Returns the completions delivered. */
static unsigned
on_event(poll_state *st, int fd, short rev)
{
    poll_fdent *e = &st->fds[fd];
    unsigned n = 0;
    cio_op *op;

    if (rev & POLLNVAL) {
        /* Closed under its waiters: a user error, reported as EBADF. */
        n = fail_all(st, e, CIO_EBADF);
        e->kind = POLL_KIND_UNKNOWN;
        return n;
    }
    if (rev & (POLLIN | POLLPRI | POLLERR | POLLHUP))
        n += run_queue(st, e, 0);
    if (rev & (POLLOUT | POLLERR | POLLHUP))
        n += run_queue(st, e, 1);
    op = e->q[2].head;
    while (op != NULL) {
        cio_op *next = priv_of(op)->next;
        int32_t got =
            to_cio(rev) & (int32_t)(op->flags | CIO_POLL_ERR | CIO_POLL_HUP);

        if (got != 0) {
            dequeue(st, e, op);
            finish(st, op, got);
            n++;
        }
        op = next;
    }
    return n;
}

/* ---- submit and cancel ---- */

/* READ, WRITE, RECV, SEND, ACCEPT, CONNECT...: try, else wait. */
static int
submit_io(poll_state *st, cio_op *op)
{
    const cio_op_desc *d = st->api->op_desc(op->opcode);
    poll_fdent *e;
    int where, r;

    if (d == NULL || d->attempt == NULL)
        return st->api->pool_submit(st->host, op);
    if (op->fd < 0) {
        finish(st, op, CIO_EBADF);
        return 0;
    }
    e = fdent_get(st, (int)op->fd);
    if (e == NULL)
        return CIO_ENOMEM;
    if (needs_nonblock(op->opcode)) {
        int k = classify(e, (int)op->fd);

        if (k < 0) {
            finish(st, op, k);
            return 0;
        }
        if (k == POLL_KIND_FILE && poolable(op->opcode))
            return st->api->pool_submit(st->host, op);
    }
    where = d->wait == CIO_WAIT_WRITE ? POLL_AT_WRITE : POLL_AT_READ;
    /* FIFO: never overtake an op already waiting for this direction. */
    if (e->q[where - POLL_AT_READ].head == NULL) {
        int32_t res = d->attempt(op);

        if (res != CIO_EAGAIN) {
            finish(st, op, res);
            return 0;
        }
    }
    r = enqueue(st, e, (int)op->fd, op, where);
    if (r < 0)
        finish(st, op, r);
    return 0;
}

static int
poll_submit(void *state, cio_op *op)
{
    poll_state *st = state;
    poll_opriv *p = priv_of(op);
    const cio_op_desc *d;
    poll_fdent *e;
    int r;

    memset(p, 0, sizeof(*p));
    switch (op->opcode) {
    case CIO_OP_NOP:
        finish(st, op, 0);
        return 0;
    case CIO_OP_TIMEOUT: {
        uint64_t now = st->api->now_ns(), ns = op->a.timeout.ns;

        p->deadline = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
        timer_add(st, op);
        return 0;
    }
    case CIO_OP_POLL_ADD:
        /* No first try: the next poll(2) in wait() reports it. */
        if (op->fd < 0) {
            finish(st, op, CIO_EBADF);
            return 0;
        }
        e = fdent_get(st, (int)op->fd);
        if (e == NULL)
            return CIO_ENOMEM;
        r = enqueue(st, e, (int)op->fd, op, POLL_AT_POLL);
        if (r < 0)
            finish(st, op, r);
        return 0;
    case CIO_OP_SHUTDOWN:
        /* Never blocks: done right here. */
        d = st->api->op_desc(op->opcode);
        finish(st, op, d->attempt != NULL ? d->attempt(op) : d->blocking(op));
        return 0;
    default:
        return submit_io(st, op);
    }
}

static int
poll_cancel(void *state, cio_op *op)
{
    poll_state *st = state;
    poll_opriv *p = priv_of(op);
    poll_fdent *e;

    switch (p->where) {
    case POLL_AT_READ:
    case POLL_AT_WRITE:
    case POLL_AT_POLL:
        if (op->fd < 0 || (unsigned)op->fd >= st->nfds)
            return CIO_ENOENT;
        e = &st->fds[op->fd];
        if (!q_holds(&e->q[p->where - POLL_AT_READ], op))
            return CIO_ENOENT;
        dequeue(st, e, op);
        finish(st, op, CIO_ECANCELED);
        return 0;
    case POLL_AT_TIMER:
        if (!q_holds(&st->timers, op))
            return CIO_ENOENT;
        q_unlink(&st->timers, op);
        finish(st, op, CIO_ECANCELED);
        return 0;
    default:
        return CIO_ENOENT;
    }
}

/* ---- the wake-up pipe ---- */

static int
nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

static void
wake_close(poll_state *st)
{
    if (st->wake[0] >= 0)
        close(st->wake[0]);
    if (st->wake[1] >= 0)
        close(st->wake[1]);
    st->wake[0] = st->wake[1] = -1;
}

static int
wake_open(poll_state *st)
{
    int r;

    if (pipe(st->wake) < 0) {
        r = -errno;
        st->wake[0] = st->wake[1] = -1;
        st->api->set_reason(st->host, "pipe: %s", strerror(-r));
        return r;
    }
    r = nonblock_cloexec(st->wake[0]);
    if (r == 0)
        r = nonblock_cloexec(st->wake[1]);
    if (r < 0) {
        st->api->set_reason(st->host, "fcntl: %s", strerror(-r));
        wake_close(st);
    }
    return r;
}

static void
wake_drain(poll_state *st)
{
    char buf[64];

    /* Clear the flag first: a notify() from now on writes a new byte. */
    atomic_store(&st->pending, 0);
    while (read(st->wake[0], buf, sizeof(buf)) > 0)
        ;
}

/*
 * Wake the loop thread; safe from any thread. Only the first notify()
 * since the last wake-up writes: the byte stays in the pipe until a
 * wait() sees it, so a notify() before the wait() makes it return at
 * once. A full pipe (EAGAIN) is a wake-up already.
 */
static int
poll_notify(void *state)
{
    poll_state *st = state;
    char one = 1;

    if (atomic_exchange(&st->pending, 1))
        return 0;
    while (write(st->wake[1], &one, 1) < 0) {
        if (errno == EAGAIN)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

/* ---- the wait loop ---- */

/* Milliseconds until @deadline, rounded up so we never wake early. */
static int
ms_until(uint64_t deadline, uint64_t now)
{
    uint64_t ms;

    if (deadline == UINT64_MAX)
        return -1;
    if (deadline <= now)
        return 0;
    ms = (deadline - now + 999999u) / 1000000u;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* The pollfd array: the wake pipe, then every active fd. 0 or -ENOMEM. */
static int
build_pfds(poll_state *st)
{
    unsigned need = st->nactive + 1;

    if (need > st->pfds_cap) {
        unsigned cap = st->pfds_cap ? st->pfds_cap : 64;
        struct pollfd *p;

        while (cap < need)
            cap *= 2;
        p = st->api->realloc(st->pfds, cap * sizeof(*p));
        if (p == NULL)
            return CIO_ENOMEM;
        st->pfds = p;
        st->pfds_cap = cap;
    }
    st->pfds[0].fd = st->wake[0];
    st->pfds[0].events = POLLIN;
    st->pfds[0].revents = 0;
    for (unsigned i = 0; i < st->nactive; i++) {
        int fd = st->active[i];

        st->pfds[i + 1].fd = fd;
        st->pfds[i + 1].events = interest(&st->fds[fd]);
        st->pfds[i + 1].revents = 0;
    }
    return 0;
}

static int
poll_wait(void *state, int64_t timeout_ns)
{
    poll_state *st = state;
    const cio_host_api *api = st->api;
    uint64_t now = api->now_ns();
    uint64_t until = timeout_ns < 0 || (uint64_t)timeout_ns > UINT64_MAX - now
                         ? UINT64_MAX
                         : now + (uint64_t)timeout_ns;
    unsigned n = 0;
    int woke = 0;

    for (;;) {
        uint64_t deadline = until;
        unsigned count;
        int ms, got, r;

        n += timers_expire(st, now);
        if (st->timers.head != NULL &&
            priv_of(st->timers.head)->deadline < deadline)
            deadline = priv_of(st->timers.head)->deadline;
        ms = n ? 0 : ms_until(deadline, now);
        r = build_pfds(st);
        if (r < 0)
            return n ? (int)n : r;
        count = st->nactive + 1;
        got = poll(st->pfds, (nfds_t)count, ms);
        if (got < 0 && errno != EINTR)
            return n ? (int)n : -errno;
        if (got > 0) {
            if (st->pfds[0].revents != 0) {
                wake_drain(st);
                woke = 1;
            }
            /*
             * Completing an op may change the active list (an fd with no
             * waiters left is removed), so go by the snapshot in pfds
             * and look each fd up again.
             */
            for (unsigned i = 1; i < count; i++) {
                int fd = st->pfds[i].fd;

                if (st->pfds[i].revents == 0 || st->fds[fd].nwait == 0)
                    continue;
                n += on_event(st, fd, st->pfds[i].revents);
            }
        }
        now = api->now_ns();
        n += timers_expire(st, now);
        if (n || woke || timeout_ns == 0 || now >= until)
            return n > INT_MAX ? INT_MAX : (int)n;
        /* Early return of poll (EINTR, a spurious wake-up): go on. */
    }
}

/* ---- the driver vtable ---- */

static void
poll_destroy(void *state)
{
    poll_state *st = state;
    const cio_host_api *api;

    if (st == NULL)
        return;
    api = st->api;
    wake_close(st);
    api->free(st->fds);
    api->free(st->active);
    api->free(st->pfds);
    api->free(st);
}

static int
poll_create(const cio_host_api *api, cio_host *host, unsigned entries,
            void **state)
{
    poll_state *st = api->calloc(1, sizeof(*st));
    int r;

    (void)entries; /* poll(2) has no queue to size. */
    if (st == NULL)
        return CIO_ENOMEM;
    st->api = api;
    st->host = host;
    atomic_init(&st->pending, 0);
    /*
     * Settings of a [module.poll] section arrive as strings through
     * api->config_get(host, "key"); this module has none.
     */
    r = wake_open(st);
    if (r < 0) {
        poll_destroy(st);
        return r;
    }
    api->log(host, CIO_LOG_DEBUG, "poll(2) driver ready");
    *state = st;
    return 0;
}

static int
poll_supports(void *state, unsigned opcode)
{
    (void)state;
    switch (opcode) {
    case CIO_OP_NOP:
    case CIO_OP_READ:
    case CIO_OP_WRITE:
    case CIO_OP_READV:
    case CIO_OP_WRITEV:
    case CIO_OP_ACCEPT:
    case CIO_OP_CONNECT:
    case CIO_OP_RECV:
    case CIO_OP_SEND:
    case CIO_OP_RECVMSG:
    case CIO_OP_SENDMSG:
    case CIO_OP_SHUTDOWN:
    case CIO_OP_POLL_ADD:
    case CIO_OP_TIMEOUT:
        return 1;
    default:
        /* Everything else (file ops, OPENAT, CLOSE...) runs on the pool. */
        return 0;
    }
}

/* Make @fd non-blocking now and learn what it is. */
static int
poll_attach(void *state, cio_fd fd)
{
    poll_state *st = state;
    poll_fdent *e;
    int r;

    if (fd < 0)
        return CIO_EBADF;
    e = fdent_get(st, (int)fd);
    if (e == NULL)
        return CIO_ENOMEM;
    e->kind = POLL_KIND_UNKNOWN;
    r = classify(e, (int)fd);
    return r < 0 ? r : 0;
}

static int
poll_flush(void *state)
{
    (void)state;
    /* Submissions are syscalls made in submit(): nothing is queued. */
    return 0;
}

/* In the child after fork(): the pipe is shared with the parent. */
static int
poll_fork_child(void *state)
{
    poll_state *st = state;

    wake_close(st);
    atomic_store(&st->pending, 0);
    return wake_open(st);
}

/*
 * Can this backend work here? poll(2) on a pipe, then close it again:
 * a probe must leave nothing behind.
 */
static int
poll_probe(const cio_host_api *api, cio_host *host)
{
    struct pollfd pfd;
    int p[2], r;

    if (pipe(p) < 0) {
        r = -errno;
        api->set_reason(host, "pipe: %s", strerror(errno));
        return r;
    }
    pfd.fd = p[0];
    pfd.events = POLLIN;
    pfd.revents = 0;
    r = poll(&pfd, 1, 0) < 0 ? -errno : 0;
    if (r < 0)
        api->set_reason(host, "poll: %s", strerror(-r));
    close(p[0]);
    close(p[1]);
    return r;
}

static const cio_backend_ops poll_ops = {
    .size = sizeof(cio_backend_ops),
    .create = poll_create,
    .destroy = poll_destroy,
    .supports = poll_supports,
    .attach = poll_attach,
    .submit = poll_submit,
    .cancel = poll_cancel,
    .flush = poll_flush,
    .wait = poll_wait,
    .notify = poll_notify,
    .fork_child = poll_fork_child,
    /* The 1.2 members stay NULL: the core emulates those features. */
};

/*
 * The one exported symbol. The name ("poll") must match the file name
 * (cio_poll.so): that is what users write in compio.ini.
 */
CIO_BACKEND_MODULE(poll) = {
    CIO_BACKEND_HEADER,
    .op_priv_size = (uint32_t)sizeof(poll_opriv),
    .name = "poll",
    .version = "1.0.0",
    .description = "portable poll(2) readiness driver (out-of-tree example)",
    .caps = CIO_CAP_READINESS | CIO_CAP_NOTIFY,
    .probe = poll_probe,
    .ops = &poll_ops,
};
