/* SPDX-License-Identifier: MIT */
/*
 * cio_kqueue.c - the kqueue backend module: a readiness driver for BSD
 * and macOS, the kqueue sibling of modules/epoll. File IO is not
 * pollable, so the core runs it on its thread pool.
 *
 * Where it was tested. No BSD or macOS kernel is reachable from the
 * project's machines, so this file has only ever run against kqemu, the
 * in-tree emulation of FreeBSD's kevent(2) semantics in tests/kqemu,
 * built into the test-only modules cio_kqueue_emu and cio_kqueue_emu_min
 * from this same source, and has been compiled against header
 * "personalities" that mimic FreeBSD, NetBSD, macOS and old OpenBSD
 * layouts (modules/kqueue/README.md says exactly what that proves).
 *
 * How an op runs: as on epoll. submit() tries the syscall at once
 * through the core's op table; on CIO_EAGAIN the op joins its fd's FIFO
 * of read, write or POLL_ADD waiters (linked through op->priv), and the
 * fd is put on a dirty list. Nothing is sent to the kernel there: the
 * changes are built from the dirty list at the next wait() (or flush())
 * and go to the kernel in the same kevent() call that collects events,
 * so waiting costs no syscall of its own. When a knote fires, the
 * waiters of its direction are retried in FIFO order until one says
 * CIO_EAGAIN again.
 *
 * Knotes. READ and WRITE on one descriptor are separate knotes ("A
 * kevent is identified by the (ident, filter) pair"), each with its own
 * state here (kq_fdent.reg/on): a filter is armed only while an op
 * waits for that direction. They are added with EV_DISPATCH ("Disable
 * the event source immediately after delivery of an event"), level
 * triggered, and re-armed with EV_ENABLE while waiters remain; where
 * EV_DISPATCH does not exist, EV_ONESHOT and a fresh EV_ADD each time.
 * So an idle WRITE filter fires at most once and is never left enabled.
 *
 * Closed descriptors. kevent(2): "Calling close() on a file descriptor
 * will remove any kevents that reference the descriptor." The module
 * never sends EV_DELETE for a descriptor (close() does that), and a
 * CLOSE op forgets the number's state before the pool closes it. To
 * learn that a descriptor was closed behind its back (the user called
 * close(2) with ops waiting, as epoll's module also tolerates), every
 * new waiter re-enables its knote with EV_ENABLE rather than EV_ADD:
 * ENOENT then says the knote is gone, the older waiters complete with
 * CIO_EBADF (they were on a file that no longer exists, and must not
 * read the new file's data), and the new one is added afresh. Every
 * "sweep_ms" (default 1000; [module.kqueue] sweep_ms = N, 0 disables)
 * the knotes of fds with waiters are checked the same way.
 *
 * The changelist. Changes are applied in order and "If an error occurs
 * while processing an element of the changelist and there is enough
 * room in the eventlist, then the event will be placed in the eventlist
 * with EV_ERROR set in flags and the system error in data. Otherwise,
 * -1 will be returned" - and then the rest of the batch is not applied.
 * So a call never carries more changes than its eventlist has slots,
 * EV_RECEIPT is never used (with no room it stops the batch), errors
 * are read from EV_ERROR entries (flags & EV_ERROR, data = errno, never
 * readiness), and a call that returned error entries is followed by
 * another one to collect the events it did not scan for (FreeBSD
 * returns the error entries alone). Each change is idempotent (EV_ADD
 * is add-or-modify, EV_ENABLE and timer re-adds too), and "When kevent()
 * call fails with EINTR error, all changes in the changelist have been
 * applied", so changes are never sent twice after EINTR.
 *
 * Events are hints: the retried syscall decides. EV_EOF with data
 * pending lets the reads drain it before they see 0 or the error; only
 * when a filter reports EV_EOF with an error in fflags and the syscall
 * still would block is that error delivered.
 *
 * TIMEOUT ops are EVFILT_TIMER knotes (cio_kqueue_timer.c), with units
 * chosen by name. notify() triggers an EVFILT_USER knote, or where the
 * header or the kernel has none, writes a pipe whose read end is a READ
 * knote. Both only when the loop thread may be asleep: the pending/
 * sleeping handshake is the epoll module's.
 *
 * fork. kevent(2): "The queue is not inherited by a child created with
 * fork(2)." fork_child() (and wait() itself, when kevent() answers
 * EBADF in a new process) makes a new kqueue and adds again what the
 * waiting ops need; the old descriptor number is never closed in the
 * child, where it is not ours.
 *
 * The "beyond compio" features of module ABI 1.2 have no kqueue form:
 * the module claims none of them and the core emulates them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cio_kqueue_int.h"

/* The module's name: "kqueue", or a test build's (kqueue_emu...). */
#ifndef CIO_KQ_MODNAME
#define CIO_KQ_MODNAME kqueue
#endif
#define KQ_STR_(x) #x
#define KQ_STR(x) KQ_STR_(x)
#define KQ_MODULE(name) CIO_BACKEND_MODULE(name)

/* Ident of the EVFILT_USER knote of notify(). */
#define KQ_USER_IDENT 1u
/* Default interval of the knote liveness check. */
#define KQ_SWEEP_MS_DEFAULT 1000u
/* kevent(2) BUGS: "The timeout value is limited to 24 hours". */
#define KQ_MAX_WAIT_NS (86400ull * 1000000000u)
/* Passes in a row that only handled EV_ERROR entries. */
#define KQ_MAX_ERROR_PASSES 16

/*
 * kevent()'s count parameters are int on FreeBSD, macOS and OpenBSD and
 * size_t on NetBSD: convert to whichever this system's prototype has.
 */
/* clang-format off */
#define KQ_N(n)                                                               \
    _Generic(&kevent,                                                         \
        int (*)(int, const struct kevent *, int, struct kevent *, int,       \
                const struct timespec *): (int)(n),                           \
        default: (size_t)(n))
/* clang-format on */

/* ---- the dirty list ---- */

int
kq__mark_dirty(kq_state *st, int fd)
{
    kq_fdent *e = &st->fds[fd];
    if (e->dirty)
        return 0;
    if (st->ndirty == st->dirty_cap) {
        unsigned cap = st->dirty_cap ? st->dirty_cap * 2 : 64;
        int *d = st->api->realloc(st->dirty, cap * sizeof(*d));
        if (d == NULL)
            return CIO_ENOMEM;
        st->dirty = d;
        st->dirty_cap = cap;
    }
    st->dirty[st->ndirty++] = fd;
    e->dirty = 1;
    return 0;
}

/* Changes not yet built into a changelist. */
static int
kq_more(const kq_state *st)
{
    return st->ndirty > 0 || st->ntdirty > 0;
}

/* Build the next changelist, at most one eventlist's worth. */
static int
kq_build(kq_state *st)
{
    int room = (int)st->batch;
    int n = kq__timer_build(st, st->changes, room);
    unsigned i = 0;
    while (i < st->ndirty && room - n >= 2) {
        int fd = st->dirty[i++];
        if (st->fds[fd].dirty)
            n += kq__fd_build(st, fd, st->changes + n, room - n);
    }
    if (i > 0 && i < st->ndirty)
        memmove(st->dirty, st->dirty + i,
                (st->ndirty - i) * sizeof(*st->dirty));
    st->ndirty -= i;
    return n;
}

/* Forget what the kernel holds; the next flushes add it all again. */
static void
kq_resync(kq_state *st)
{
    kq__fd_forget_kernel(st);
    kq__timer_forget_kernel(st);
}

/* ---- kernel objects ---- */

static void
kq_close_wake(kq_state *st)
{
    if (st->wake_rd >= 0)
        close(st->wake_rd);
    if (st->wake_wr >= 0)
        close(st->wake_wr);
    st->wake_rd = st->wake_wr = -1;
}

static int
kq_cloexec_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

/*
 * The notify channel: an EVFILT_USER knote (EV_CLEAR, so a trigger is
 * reported once), or, without EVFILT_USER in the header or the kernel,
 * a non-blocking pipe whose read end is a READ knote.
 */
static int
kq_open_notify(kq_state *st)
{
    struct kevent kev;
    int p[2], r;
#ifdef EVFILT_USER
    kq__set(&kev, KQ_USER_IDENT, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0);
    if (kevent(st->kq, &kev, KQ_N(1), NULL, KQ_N(0), NULL) == 0) {
        st->use_user = 1;
        return 0;
    }
    st->api->log(st->host, CIO_LOG_INFO,
                 "EVFILT_USER refused (%s): notify uses a pipe",
                 strerror(errno));
#endif
    st->use_user = 0;
    if (pipe(p) < 0) {
        r = -errno;
        st->api->set_reason(st->host, "pipe: %s", strerror(-r));
        return r;
    }
    st->wake_rd = p[0];
    st->wake_wr = p[1];
    r = kq_cloexec_nonblock(p[0]);
    if (r == 0)
        r = kq_cloexec_nonblock(p[1]);
    if (r == 0) {
        kq__set(&kev, (uintptr_t)p[0], EVFILT_READ, EV_ADD, 0, 0);
        if (kevent(st->kq, &kev, KQ_N(1), NULL, KQ_N(0), NULL) < 0)
            r = -errno;
    }
    if (r < 0) {
        st->api->set_reason(st->host, "notify pipe: %s", strerror(-r));
        kq_close_wake(st);
    }
    return r;
}

/* A new kqueue and notify channel. 0 or -errno. */
static int
kq_open_kernel(kq_state *st)
{
    int r;
    st->kq = kqueue();
    if (st->kq < 0) {
        r = -errno;
        st->api->set_reason(st->host, "kqueue: %s", strerror(-r));
        return r;
    }
    st->pid = getpid();
    if (fcntl(st->kq, F_SETFD, FD_CLOEXEC) < 0) {
        r = -errno;
        st->api->set_reason(st->host, "kqueue: FD_CLOEXEC: %s", strerror(-r));
        return r;
    }
    return kq_open_notify(st);
}

/*
 * In a child after fork(): the kqueue was not inherited, so its number
 * is not ours to close. The notify pipe was inherited and is shared
 * with the parent: ours to close.
 */
static int
kq_rebuild(kq_state *st)
{
    int r;
    st->kq = -1;
    kq_close_wake(st);
    r = kq_open_kernel(st);
    if (r < 0)
        return r;
    atomic_store(&st->pending, 0);
    atomic_store(&st->sleeping, 0);
    kq_resync(st);
    return 0;
}

/* ---- the driver vtable ---- */

static void
kq_destroy(void *state)
{
    kq_state *st = state;
    const cio_host_api *api;
    if (st == NULL)
        return;
    api = st->api;
    if (st->kq >= 0 && st->pid == getpid())
        close(st->kq);
    kq_close_wake(st);
    api->free(st->events);
    api->free(st->changes);
    api->free(st->fds);
    api->free(st->dirty);
    api->free(st->slots);
    api->free(st->tdirty);
    api->free(st);
}

static int
kq_create(const cio_host_api *api, cio_host *host, unsigned entries,
          void **state)
{
    kq_state *st = api->calloc(1, sizeof(*st));
    const char *sweep;
    int r;
    if (st == NULL)
        return CIO_ENOMEM;
    st->api = api;
    st->host = host;
    st->kq = st->wake_rd = st->wake_wr = -1;
    st->free_slot = UINT32_MAX;
    st->batch = entries == 0 ? 256 : entries > 65536 ? 65536 : entries;
    if (st->batch < 8)
        st->batch = 8;
    atomic_init(&st->pending, 0);
    atomic_init(&st->sleeping, 0);
    st->sweep_ns = (uint64_t)KQ_SWEEP_MS_DEFAULT * 1000000u;
    sweep = api->config_get(host, "sweep_ms");
    if (sweep != NULL) {
        char *end;
        unsigned long ms = strtoul(sweep, &end, 10);
        if (*sweep == '\0' || *end != '\0' || ms > 3600000ul) {
            api->set_reason(host, "sweep_ms = '%s': want 0..3600000", sweep);
            api->free(st);
            return CIO_EINVAL;
        }
        st->sweep_ns = (uint64_t)ms * 1000000u;
    }
    st->events = api->calloc(st->batch, sizeof(struct kevent));
    st->changes = api->calloc(st->batch, sizeof(struct kevent));
    if (st->events == NULL || st->changes == NULL) {
        kq_destroy(st);
        return CIO_ENOMEM;
    }
    r = kq_open_kernel(st);
    if (r < 0) {
        kq_destroy(st);
        return r;
    }
    *state = st;
    return 0;
}

static int
kq_supports(void *state, unsigned opcode)
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
    case CIO_OP_CLOSE: /* Seen, to forget the number; run on the pool. */
        return 1;
    default:
        return 0;
    }
}

/*
 * Make @fd non-blocking and cache what it is. An attached fd with no
 * waiters is taken as a new file: its knotes are added afresh.
 */
static int
kq_attach(void *state, cio_fd fd)
{
    kq_state *st = state;
    kq_fdent *e;
    int r;
    if (fd < 0)
        return CIO_EBADF;
    e = kq__fdent_get(st, fd);
    if (e == NULL)
        return CIO_ENOMEM;
    e->kind = KQ_KIND_UNKNOWN;
    if (e->nwait == 0)
        for (int k = KQ_R; k <= KQ_W; k++)
            e->reg[k] = e->on[k] = e->probe[k] = 0;
    r = kq__classify(e, fd);
    return r < 0 ? r : 0;
}

static void
kq_drain_wake(kq_state *st)
{
    char buf[64];
    while (read(st->wake_rd, buf, sizeof(buf)) > 0)
        ;
}

/* One returned entry. Completions delivered, or 0. */
static unsigned
kq_dispatch(kq_state *st, const struct kevent *ev, int *woke)
{
    int rw = ev->filter == EVFILT_READ || ev->filter == EVFILT_WRITE;
    if (ev->flags & EV_ERROR) {
        /* data is an errno here, never a byte count. */
        int err = (int)ev->data;
        if (err == 0)
            return 0;
        if (rw && st->wake_rd >= 0 && ev->ident == (uintptr_t)st->wake_rd)
            return 0;
        if (rw)
            return kq__fd_error(st, (int)ev->ident,
                                ev->filter == EVFILT_READ ? KQ_R : KQ_W, err);
        if (ev->filter == EVFILT_TIMER)
            return kq__timer_error(st, ev->ident, err);
        return 0;
    }
    if (rw) {
        if (st->wake_rd >= 0 && ev->ident == (uintptr_t)st->wake_rd &&
            ev->filter == EVFILT_READ) {
            kq_drain_wake(st);
            *woke = 1;
            return 0;
        }
        return kq__fd_event(st, ev);
    }
    if (ev->filter == EVFILT_TIMER)
        return kq__timer_event(st, ev);
#ifdef EVFILT_USER
    if (ev->filter == EVFILT_USER)
        *woke = 1;
#endif
    return 0;
}

static void
kq_timespec(struct timespec *ts, uint64_t ns)
{
    if (ns > KQ_MAX_WAIT_NS)
        ns = KQ_MAX_WAIT_NS;
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

static int
kq_run(void *state, int64_t timeout_ns)
{
    kq_state *st = state;
    const cio_host_api *api = st->api;
    uint64_t now = api->now_ns();
    uint64_t until = timeout_ns < 0 || (uint64_t)timeout_ns > UINT64_MAX - now
                         ? UINT64_MAX
                         : now + (uint64_t)timeout_ns;
    unsigned n = 0;
    int woke = 0, again = 0, error_passes = 0;
    for (;;) {
        struct timespec ts, *tsp = &ts;
        uint64_t deadline = until;
        int nch, got, err;
        if (st->nwait && st->sweep_ns && now >= st->next_sweep) {
            kq__sweep(st);
            st->next_sweep = now + st->sweep_ns;
        }
        nch = kq_build(st);
        if (st->nwait && st->sweep_ns && st->next_sweep < deadline)
            deadline = st->next_sweep;
        if (n || woke || again || kq_more(st) || deadline <= now)
            kq_timespec(&ts, 0);
        else if (deadline == UINT64_MAX)
            tsp = NULL; /* "If timeout is a NULL pointer, kevent() waits
                           indefinitely." */
        else
            kq_timespec(&ts, deadline - now);
        /*
         * notify() protocol (a Dekker handshake, all seq_cst): we store
         * sleeping = 1, then read-and-clear pending; notify() stores
         * pending = 1, then reads sleeping. One of us sees the other.
         */
        if (tsp == NULL || ts.tv_sec != 0 || ts.tv_nsec != 0) {
            atomic_store(&st->sleeping, 1);
            if (atomic_exchange(&st->pending, 0)) {
                woke = 1;
                kq_timespec(&ts, 0);
                tsp = &ts;
            }
        }
        got = kevent(st->kq, st->changes, KQ_N(nch), st->events,
                     KQ_N(st->batch), tsp);
        err = errno;
        atomic_store(&st->sleeping, 0);
        again = 0;
        if (got < 0) {
            if (err == EBADF && getpid() != st->pid) {
                /* A child after fork(): the queue was not inherited. */
                int r = kq_rebuild(st);
                if (r < 0)
                    return n ? (int)n : r;
                again = 1;
                continue;
            }
            if (err != EINTR) {
                /* Which changes were applied is unknown: redo them all. */
                kq_resync(st);
                return n ? (int)n : -err;
            }
            /* EINTR: "all changes in the changelist have been applied". */
            got = 0;
        }
        kq__timer_order(st, st->events, got);
        for (int i = 0; i < got; i++) {
            if (st->events[i].flags & EV_ERROR)
                again = 1; /* The kernel did not scan for events. */
            n += kq_dispatch(st, &st->events[i], &woke);
        }
        if (again && ++error_passes > KQ_MAX_ERROR_PASSES)
            again = 0;
        if (atomic_exchange(&st->pending, 0))
            woke = 1;
        now = api->now_ns();
        if (again || kq_more(st))
            continue;
        if (n || woke || timeout_ns == 0 || now >= until)
            return n > INT_MAX ? INT_MAX : (int)n;
        /* Early wake-up (EINTR, a sweep, a spurious event): go on. */
    }
}

static int
kq_flush(void *state)
{
    int r = kq_run(state, 0);
    return r < 0 ? r : 0;
}

/* Wake the loop thread; safe from any thread. */
static int
kq_notify(void *state)
{
    kq_state *st = state;
    atomic_store(&st->pending, 1);
    if (!atomic_load(&st->sleeping))
        return 0;
#ifdef EVFILT_USER
    if (st->use_user) {
        struct kevent kev;
        kq__set(&kev, KQ_USER_IDENT, EVFILT_USER, 0, NOTE_TRIGGER, 0);
        if (kevent(st->kq, &kev, KQ_N(1), NULL, KQ_N(0), NULL) < 0)
            return -errno;
        return 0;
    }
#endif
    {
        char c = 1;
        while (write(st->wake_wr, &c, 1) < 0) {
            if (errno == EAGAIN)
                return 0; /* Full: a wake-up is already pending. */
            if (errno != EINTR)
                return -errno;
        }
    }
    return 0;
}

static int
kq_fork_child(void *state)
{
    kq_state *st = state;
    if (st->pid == getpid())
        return 0;
    return kq_rebuild(st);
}

/* Can kqueue work here: make one and close it. */
static int
kq_probe(const cio_host_api *api, cio_host *host)
{
    int kq = kqueue();
    if (kq < 0) {
        int err = errno;
        api->set_reason(host, "kqueue: %s", strerror(err));
        return -err;
    }
    close(kq);
    return 0;
}

static const cio_backend_ops kq_ops = {
    .size = sizeof(cio_backend_ops),
    .create = kq_create,
    .destroy = kq_destroy,
    .supports = kq_supports,
    .attach = kq_attach,
    .submit = kq__submit,
    .cancel = kq__cancel,
    .flush = kq_flush,
    .wait = kq_run,
    .notify = kq_notify,
    .fork_child = kq_fork_child,
};

KQ_MODULE(CIO_KQ_MODNAME) = {
    CIO_BACKEND_HEADER,
    .op_priv_size = (uint32_t)sizeof(kq_opriv),
    .name = KQ_STR(CIO_KQ_MODNAME),
    .version = "1.0.0",
#ifdef CIO_KQ_DESCRIPTION
    .description = CIO_KQ_DESCRIPTION,
#else
    .description = "BSD/macOS kqueue readiness driver; file IO on the pool",
#endif
    .caps = CIO_CAP_READINESS | CIO_CAP_NOTIFY,
    .probe = kq_probe,
    .ops = &kq_ops,
};
