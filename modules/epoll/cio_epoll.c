/* SPDX-License-Identifier: MIT */
/*
 * cio_epoll.c - the epoll backend module: a readiness driver for
 * sockets, pipes and ttys. File IO is not pollable, so the core runs it
 * on its thread pool (supports() says no, or the op is handed over with
 * host->pool_submit when a READ/WRITE turns out to target a regular
 * file).
 *
 * How an op runs. submit() tries the syscall at once through the core's
 * op table (api->op_desc(opcode)->attempt); only when that answers
 * CIO_EAGAIN is the op queued on its descriptor: each fd has a FIFO of
 * read waiters, one of write waiters and one of POLL_ADD waiters, linked
 * through op->priv, so waiting allocates nothing but the (rarely grown)
 * fd table. When epoll reports the fd, the waiters of the ready direction
 * are retried in FIFO order until one says CIO_EAGAIN again. A new op
 * never overtakes a waiter of the same direction: it queues behind it.
 *
 * Readiness hints: no first try that would only say EAGAIN. Each fd
 * entry keeps, per direction, a hint that the fd is not ready: set when
 * a try in that direction answers EAGAIN, when a READ/RECV comes back
 * shorter than its buffer on a stream socket or a pipe (it took all
 * there was; not for datagram or record sockets, where a read is one
 * message, nor ttys), or when a WRITE/SEND is short (no room left);
 * cleared when epoll reports the direction ready. While it is set a new
 * READ/RECV/ACCEPT/WRITE/SEND (and vector forms) is queued without the
 * try. Skipping is always safe: the op waits for readiness, and arming a
 * fd that is ready already reports it at once, so a wrong hint costs a
 * turn of the loop, never a lost wake-up; reuse detection (below) is
 * untouched, since a queued op still does its EPOLL_CTL_MOD. CONNECT is
 * always tried (its first try starts the connection). The hints, and
 * whether a short read drains the fd (asked once per descriptor life
 * with getsockopt(SO_TYPE), inherited by accepted sockets from their
 * listener), are dropped whenever the number is seen in a new role:
 * attach(), an ACCEPT returning it, or the registration found gone.
 *
 * A hint says the fd was drained, not that it still is when the next op
 * comes. On a loaded server (hundreds of connections, long loop turns)
 * the peer's next request is usually there by then, and waiting for it
 * costs an EPOLL_CTL_MOD and a turn where a try costs one recv: with
 * hints always obeyed, compio-epoll made 3.1 syscalls per request at
 * 500 connections against 2.06 for the raw epoll peer of bench/net. So
 * by default ([module.epoll] hints = adaptive) a hinted op still tries
 * while such tries have mostly succeeded of late (a moving average per
 * direction, over the tries made despite a hint), and while they have
 * not, one hinted op in 32 tries anyway as a probe; a probe that
 * succeeds turns trying back on at once. hints = always obeys every
 * hint (the old policy), eagain takes hints from EAGAIN only, off
 * makes none. Counts for each are in bench/net/ANALYSIS.md.
 *
 * wait(0) right after submit or cancel completed ops inline does not
 * call epoll_wait: see epoll_run.
 *
 * What this bought (examples/echo-server, 64 B echo, 2000 requests per
 * connection, syscalls per request counted with perf stat on the
 * syscall tracepoints; the raw epoll peer of bench/ makes 3.0 at one
 * connection and 2.06-2.33 at 50): at 1 connection 6.0 before (2
 * epoll_wait, 1 epoll_ctl, 2 recvfrom of which one EAGAIN, 1 sendto),
 * 5.0 without the zero-timeout epoll_wait, 4.0 with the hints too (1
 * each of epoll_wait, epoll_ctl, recvfrom, sendto); at 50 connections
 * 3.3-3.9 before, 3.06 after (the epoll_ctl stays at 1.0, the EAGAIN
 * recvfrom is gone). User-space instructions per request (callgrind,
 * with a client that pauses between rounds so that the server waits for
 * every request, as it does outside valgrind): 2422 before, 2257 after
 * at 1 connection, 1404 and 1408 at 50. Without the pauses valgrind
 * slows the server so much that the next request is always there
 * already, the old first try nearly always succeeded and the count rose
 * (1237-1260 to 1513 at 50 connections); outside valgrind that try
 * found nothing 63-100 % of the time.
 *
 * EPOLLONESHOT, not EPOLLET. Edge-triggered registration costs no
 * epoll_ctl per wait in the steady state, but it needs the module to
 * know when a descriptor number stops meaning the file it registered:
 * the core pools CLOSE and users call close(2) directly, and an fd number
 * reused for a new socket would then keep the old "registered" state and
 * its ops would never wake. It also wakes the loop for EPOLLOUT edges
 * nobody waits for. With one-shot registration every op that has to
 * wait does one EPOLL_CTL_MOD (ENOENT tells us the
 * registration vanished, and we EPOLL_CTL_ADD again), so reuse is
 * detected for free, the interest mask is exactly what the waiters need
 * and there are no spurious wake-ups. The price is one syscall per op
 * that actually waits (ops that complete on the first try cost none),
 * and one per fired event that leaves waiters behind (re-arm). With the
 * hints above, that EPOLL_CTL_MOD is the one syscall per request left
 * over a raw level-triggered epoll server. It stays: a registration kept
 * armed across waits (level-triggered or EPOLLET, disarmed lazily) would
 * skip the only syscall that notices a number closed with close(2) and
 * reused while no op waited on it. epoll drops the old registration with
 * the old file, nothing tells the module, and the new file's ops would
 * sleep until the sweep, which could then not tell them from ops on the
 * dead file. No syscall-free check exists (a close is invisible to us),
 * and any check costs what the EPOLL_CTL_MOD costs.
 *
 * Closing a descriptor with ops pending is a user error, as in libuv:
 * cancel them first (cio_driver_cancel), then close. It never hangs or
 * crashes, though. epoll silently drops a registration when the last
 * reference to the file goes away, so while ops wait the module
 * re-validates the registrations of fds with waiters every "sweep_ms"
 * (default 1000; [module.epoll] sweep_ms = N, 0 disables) with an
 * EPOLL_CTL_MOD; a vanished one (ENOENT or EBADF) completes its waiters
 * with CIO_EBADF. The same happens at once when the number is seen in a
 * new role (a fresh submit on it finds the registration gone, or an
 * ACCEPT returns it). EPOLLHUP/EPOLLERR wake every waiter of the fd, and
 * their retried syscall reports what happened (0 at EOF, -ECONNRESET,
 * -EPIPE, the SO_ERROR of a failed connect).
 *
 * attach(fd) and the first READ/WRITE/READV/WRITEV/ACCEPT/CONNECT on an
 * unattached fd set O_NONBLOCK on it: this changes the file status flags
 * of the open file description, which dups and other processes share (as
 * libuv does). The check is cached per fd number and dropped when the
 * number is found reused; an fd number closed behind the driver's back
 * and reused for a blocking descriptor should be attach()ed again.
 * RECV/SEND/RECVMSG/SENDMSG never block anyway (MSG_DONTWAIT).
 *
 * TIMEOUT ops live in a min-heap (cio_epoll_timer.c) whose nearest
 * deadline bounds epoll_wait's timeout, rounded up to the millisecond so
 * that neither a TIMEOUT nor wait(timeout) ever ends early.
 *
 * notify() writes an eventfd that sits in the epoll set, but only when
 * the loop thread may be inside epoll_wait: see the seq_cst handshake in
 * epoll_poll. Otherwise it just leaves a "pending" flag that makes the
 * next wait() return at once.
 *
 * The "beyond compio" features of module ABI 1.2 (multishot, buffer
 * pools, registered files and buffers, SEND_ZC) have no epoll form, so
 * this module claims none of them (no op_flags, no registration
 * members): the core emulates them on top of the ops above
 * (core/cio_emu.c), with the same completions the io_uring module gives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cio_epoll_int.h"

/* epoll_event.data of the notify eventfd; fds use their number. */
#define EPOLL_NOTIFY_TAG UINT64_MAX
/* Default interval of the registration sweep (see the top comment). */
#define EPOLL_SWEEP_MS_DEFAULT 1000u

/* ---- kernel objects ---- */

static void
epoll_close_kernel(epoll_state *st)
{
    if (st->epfd >= 0)
        close(st->epfd);
    if (st->evfd >= 0)
        close(st->evfd);
    st->epfd = st->evfd = -1;
}

/* Make the epoll fd and the notify eventfd. 0 or -errno. */
static int
epoll_open_kernel(epoll_state *st)
{
    struct epoll_event ev;
    st->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (st->epfd < 0) {
        int err = errno;
        st->api->set_reason(st->host, "epoll_create1: %s", strerror(err));
        return -err;
    }
    st->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (st->evfd < 0) {
        int err = errno;
        st->api->set_reason(st->host, "eventfd: %s", strerror(err));
        epoll_close_kernel(st);
        return -err;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u64 = EPOLL_NOTIFY_TAG;
    if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->evfd, &ev) < 0) {
        int err = errno;
        st->api->set_reason(st->host, "epoll_ctl(eventfd): %s", strerror(err));
        epoll_close_kernel(st);
        return -err;
    }
    return 0;
}

/* ---- the driver vtable ---- */

static void
epoll_destroy(void *state)
{
    epoll_state *st = state;
    const cio_host_api *api;
    if (st == NULL)
        return;
    api = st->api;
    epoll_close_kernel(st);
    api->free(st->events);
    api->free(st->fds);
    api->free(st->heap);
    api->free(st);
}

static int
epoll_open(const cio_host_api *api, cio_host *host, unsigned entries,
           void **state)
{
    epoll_state *st = api->calloc(1, sizeof(*st));
    const char *sweep, *hints;
    int r;
    if (st == NULL)
        return CIO_ENOMEM;
    st->api = api;
    st->host = host;
    st->epfd = st->evfd = -1;
    st->batch = entries == 0 ? 256 : entries > 65536 ? 65536 : entries;
    atomic_init(&st->pending, 0);
    atomic_init(&st->sleeping, 0);
    st->sweep_ns = (uint64_t)EPOLL_SWEEP_MS_DEFAULT * 1000000u;
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
    hints = api->config_get(host, "hints");
    if (hints != NULL) {
        if (strcmp(hints, "adaptive") == 0)
            st->hints = EPOLL_HINTS_ADAPTIVE;
        else if (strcmp(hints, "always") == 0)
            st->hints = EPOLL_HINTS_ALWAYS;
        else if (strcmp(hints, "eagain") == 0)
            st->hints = EPOLL_HINTS_EAGAIN;
        else if (strcmp(hints, "off") == 0)
            st->hints = EPOLL_HINTS_OFF;
        else {
            api->set_reason(host,
                            "hints = '%s': want adaptive, always, eagain "
                            "or off",
                            hints);
            api->free(st);
            return CIO_EINVAL;
        }
    }
    st->events = api->calloc(st->batch, sizeof(struct epoll_event));
    if (st->events == NULL) {
        api->free(st);
        return CIO_ENOMEM;
    }
    r = epoll_open_kernel(st);
    if (r < 0) {
        epoll_destroy(st);
        return r;
    }
    *state = st;
    return 0;
}

static int
epoll_supports(void *state, unsigned opcode)
{
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
        return 0;
    }
}

/*
 * Make @fd non-blocking (this changes the flags of the open file
 * description, shared with its dups) and cache what it is. Regular files
 * are left alone: their IO goes to the pool.
 */
static int
epoll_attach(void *state, cio_fd fd)
{
    epoll_state *st = state;
    epoll_fdent *e;
    int r;
    if (fd < 0)
        return CIO_EBADF;
    e = epoll__fdent_get(st, fd);
    if (e == NULL)
        return CIO_ENOMEM;
    epoll__fdent_reset(e);
    if (e->nwait == 0)
        e->armed = 0;
    r = epoll__classify(e, fd);
    return r < 0 ? r : 0;
}

static int
epoll_flush(void *state)
{
    /* Submissions are syscalls made in submit(): nothing is queued. */
    return 0;
}

/* Empty the notify eventfd so that it is not reported again. */
static void
epoll_drain_notify(epoll_state *st)
{
    uint64_t v;
    while (read(st->evfd, &v, sizeof(v)) < 0 && errno == EINTR)
        ;
}

/* Milliseconds until @deadline, rounded up so we never wake early. */
static int
epoll_ms_until(uint64_t deadline, uint64_t now)
{
    uint64_t ms;
    if (deadline == UINT64_MAX)
        return -1;
    if (deadline <= now)
        return 0;
    ms = (deadline - now + 999999u) / 1000000u;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* The body of wait(): expire timers, epoll_wait, run what is ready. */
static int
epoll_poll(epoll_state *st, int64_t timeout_ns)
{
    const cio_host_api *api = st->api;
    struct epoll_event *evs = st->events;
    uint64_t now = api->now_ns();
    uint64_t until = timeout_ns < 0 || (uint64_t)timeout_ns > UINT64_MAX - now
                         ? UINT64_MAX
                         : now + (uint64_t)timeout_ns;
    unsigned n = 0;
    int woke = 0;
    for (;;) {
        uint64_t deadline = until;
        int ms, got, err;
        n += epoll__timer_expire(st, now);
        if (epoll__timer_next(st) < deadline)
            deadline = epoll__timer_next(st);
        if (st->nwait && st->sweep_ns && st->next_sweep < deadline)
            deadline = st->next_sweep;
        ms = (n || woke) ? 0 : epoll_ms_until(deadline, now);
        /*
         * notify() protocol (a Dekker handshake, all seq_cst): we store
         * sleeping = 1 and then read-and-clear pending; notify() stores
         * pending = 1 and then reads sleeping. Sequential consistency
         * forbids both reads missing the other's store, so either we see
         * the request here and do not block, or notify() sees us asleep
         * and writes the eventfd. A notify() that finds us awake skips
         * the write; the pending flag makes this or the next wait()
         * return at once.
         */
        if (ms != 0) {
            atomic_store(&st->sleeping, 1);
            if (atomic_exchange(&st->pending, 0)) {
                atomic_store(&st->sleeping, 0);
                woke = 1;
                ms = 0;
            }
        }
        got = epoll_wait(st->epfd, evs, (int)st->batch, ms);
        err = errno;
        atomic_store(&st->sleeping, 0);
        if (got < 0 && err != EINTR)
            return n ? (int)n : -err;
        for (int i = 0; i < got; i++) {
            if (evs[i].data.u64 == EPOLL_NOTIFY_TAG) {
                epoll_drain_notify(st);
                woke = 1;
            } else {
                n += epoll__on_event(st, (int)evs[i].data.u64, evs[i].events);
            }
        }
        if (atomic_exchange(&st->pending, 0))
            woke = 1;
        now = api->now_ns();
        n += epoll__timer_expire(st, now);
        if (st->nwait && st->sweep_ns && now >= st->next_sweep) {
            n += epoll__sweep(st);
            st->next_sweep = now + st->sweep_ns;
        }
        if (n || woke || timeout_ns == 0 || now >= until)
            return n > INT_MAX ? INT_MAX : (int)n;
        /* Early wake-up (EINTR, sweep, a re-arm): wait for the rest. */
    }
}

/*
 * wait(). A zero timeout right after submit or cancel completed ops
 * inline skips epoll_wait: the core asks for a zero timeout exactly when
 * it has completions to hand out already (cio_driver_poll_ns), so the
 * caller gets work either way, and the syscall would mostly find nothing
 * (at one connection, the echo server's request costs one epoll_wait
 * instead of two). Only every other wait() may skip, so ops that keep
 * completing inline cannot starve the fds that wait for readiness:
 * those are looked at no later than the next call. Timers and the sweep
 * run as usual, and a pending notify() is consumed, since this wait()
 * returns at once as it asked.
 */
static int
epoll_run(void *state, int64_t timeout_ns)
{
    epoll_state *st = state;
    int r;
    if (timeout_ns == 0 && st->inline_done != 0 && !st->skipped) {
        uint64_t now = st->api->now_ns();
        unsigned n = epoll__timer_expire(st, now);
        if (st->nwait && st->sweep_ns && now >= st->next_sweep) {
            n += epoll__sweep(st);
            st->next_sweep = now + st->sweep_ns;
        }
        (void)atomic_exchange(&st->pending, 0);
        st->skipped = 1;
        st->inline_done = 0;
        return n > INT_MAX ? INT_MAX : (int)n;
    }
    st->skipped = 0;
    r = epoll_poll(st, timeout_ns);
    st->inline_done = 0;
    return r;
}

/*
 * Wake the loop thread; safe from any thread (see the protocol in
 * epoll_poll). A full eventfd counter (EAGAIN) is already a wake-up.
 */
static int
epoll_notify(void *state)
{
    epoll_state *st = state;
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

/*
 * In the child after fork(): the epoll instance is shared with the
 * parent, so make new kernel objects and register again every fd that
 * has waiters.
 */
static int
epoll_fork_child(void *state)
{
    epoll_state *st = state;
    int r;
    epoll_close_kernel(st);
    r = epoll_open_kernel(st);
    if (r < 0)
        return r;
    atomic_store(&st->pending, 0);
    atomic_store(&st->sleeping, 0);
    for (unsigned fd = 0; fd < st->nfds; fd++) {
        st->fds[fd].registered = 0;
        st->fds[fd].armed = 0;
        st->fds[fd].unready = 0;
        if (st->fds[fd].nwait)
            epoll__settle(st, (int)fd, NULL);
    }
    return 0;
}

/* Can epoll work here: create an instance and an eventfd, then close. */
static int
epoll_probe(const cio_host_api *api, cio_host *host)
{
    int ep, ev, err;
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        err = errno;
        api->set_reason(host, "epoll_create1: %s", strerror(err));
        return -err;
    }
    ev = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ev < 0) {
        err = errno;
        close(ep);
        api->set_reason(host, "eventfd: %s", strerror(err));
        return -err;
    }
    close(ev);
    close(ep);
    return 0;
}

static const cio_backend_ops epoll_ops = {
    .size = sizeof(cio_backend_ops),
    .create = epoll_open,
    .destroy = epoll_destroy,
    .supports = epoll_supports,
    .attach = epoll_attach,
    .submit = epoll__submit,
    .cancel = epoll__cancel,
    .flush = epoll_flush,
    .wait = epoll_run,
    .notify = epoll_notify,
    .fork_child = epoll_fork_child,
};

CIO_BACKEND_MODULE(epoll) = {
    CIO_BACKEND_HEADER,
    .op_priv_size = (uint32_t)sizeof(epoll_opriv),
    .name = "epoll",
    .version = "1.0.0",
    .description = "Linux epoll readiness driver; file IO on the pool",
    .caps = CIO_CAP_READINESS | CIO_CAP_NOTIFY,
    .probe = epoll_probe,
    .ops = &epoll_ops,
};
