/* SPDX-License-Identifier: MIT */
/*
 * kqemu_kevent.c - the kevent(2) emulation's kevent() itself: the
 * changelist, then evaluating each enabled knote (poll() for fd
 * filters, CLOCK_MONOTONIC for timers), collecting events and blocking
 * until one is due. See kqemu.c.
 */
#define _GNU_SOURCE
#include "kqemu_int.h"

static int64_t
kqe_nread(int fd)
{
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) < 0)
        return -1;
    return n;
}

/* Space left in @fd's write buffer, at least 1 when it is writable. */
static int64_t
kqe_nwrite(const kqe_knote *kn)
{
    int fd = (int)kn->kev.ident;
    int64_t room = 1;
    if (kn->fdkind == KQE_FD_SOCK) {
        int sz = 0, q = 0;
        socklen_t len = sizeof(sz);
        if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, &len) == 0 &&
            ioctl(fd, SIOCOUTQ, &q) == 0)
            room = (int64_t)sz - q;
    } else if (kn->fdkind == KQE_FD_PIPE) {
        int sz = fcntl(fd, F_GETPIPE_SZ);
        int64_t q = kqe_nread(fd);
        if (sz > 0 && q >= 0)
            room = (int64_t)sz - q;
    }
    return room > 0 ? room : 1;
}

/*
 * Evaluate an fd knote from poll() bits @rev. Fills @ev and returns 1
 * when the filter reports its condition.
 *
 * EVFILT_READ, kevent(2): "returns whenever there is data available to
 * read"; sockets: "Sockets which have previously been passed to listen()
 * return when there is an incoming connection pending. data contains the
 * size of the listen backlog." (approximation: data is 1, Linux does not
 * tell the backlog), "On return, data contains the number of bytes of
 * protocol data available to read." and "If the read direction of the
 * socket has shutdown, then the filter also sets EV_EOF in flags, and
 * returns the socket error (if any) in fflags. It is possible for EOF to
 * be returned (indicating the connection is gone) while there is still
 * data pending in the socket buffer." (approximation: fflags stays 0,
 * as Linux has no way to read a socket's pending error without clearing
 * it; the fault kqemu_fault_eof() puts one there); pipes: "When the last
 * writer disconnects, the filter will set EV_EOF in flags."; vnodes:
 * "Returns when the file pointer is not at the end of file. data
 * contains the offset from current position to end of file, and may be
 * negative."
 *
 * EVFILT_WRITE, kevent(2): "returns whenever it is possible to write to
 * the descriptor. For sockets, pipes and fifos, data will contain the
 * amount of space remaining in the write buffer. The filter will set
 * EV_EOF when the reader disconnects".
 */
static int
kqe_eval_fd(kqe_knote *kn, short rev, struct kevent *ev)
{
    int fd = (int)kn->kev.ident;
    int ready = 0, eof = 0;
    int64_t data = 0;
    if (kn->type == KQE_READ) {
        if (kn->fdkind == KQE_FD_VNODE) {
            struct stat sb;
            off_t pos = lseek(fd, 0, SEEK_CUR);
            if (fstat(fd, &sb) == 0 && pos >= 0)
                data = (int64_t)sb.st_size - (int64_t)pos;
            ready = data != 0;
        } else {
            int listening = 0;
            socklen_t len = sizeof(listening);
            ready = (rev & (POLLIN | POLLHUP | POLLERR | POLLRDHUP)) != 0;
            eof = (rev & (POLLHUP | POLLRDHUP)) != 0 ||
                  (kn->fdkind == KQE_FD_SOCK && (rev & POLLERR));
            if (kn->fdkind == KQE_FD_SOCK &&
                getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ==
                    0 &&
                listening) {
                data = ready ? 1 : 0;
                eof = 0;
            } else {
                data = kqe_nread(fd);
                if (data < 0)
                    data = 0;
            }
        }
    } else {
        ready = (rev & (POLLOUT | POLLERR | POLLHUP)) != 0;
        eof = (rev & (POLLHUP | POLLERR)) != 0;
        data = ready ? kqe_nwrite(kn) : 0;
    }
    if (!ready) {
        kn->cleared = 0;
        return 0;
    }
    /*
     * EV_CLEAR: "After the event is retrieved by the user, its state is
     * reset." For descriptors (a state, not a count) we report again
     * only after the condition was seen false, or when data grew, since
     * the last retrieval (approximation: we sample at each call).
     */
    if ((kn->kev.flags & EV_CLEAR) && kn->cleared && data <= kn->clear_data)
        return 0;
    *ev = kn->kev;
    ev->flags = kn->kev.flags;
    if (eof)
        ev->flags |= EV_EOF;
    ev->fflags = 0;
    ev->data = (kqe_data_t)data;
    kn->clear_data = data;
    return 1;
}

/* Apply the fault kqemu_fault_eof() to @kn's event. kqe__mu not held. */
static int
kqe_eof_fault(kqe_knote *kn, struct kevent *ev, int have)
{
    int hit = 0, err = 0;
    pthread_mutex_lock(&kqe__mu);
    if (kqe__fault.eof_fd >= 0 && (uintptr_t)kqe__fault.eof_fd == kn->kev.ident &&
        (kqe__fault.eof_write != 0) == (kn->type == KQE_WRITE)) {
        hit = 1;
        err = kqe__fault.eof_err;
        kqe__fault.eof_fd = -1;
    }
    pthread_mutex_unlock(&kqe__mu);
    if (!hit)
        return have;
    if (!have) {
        *ev = kn->kev;
        ev->data = 0;
    }
    ev->flags |= EV_EOF;
    ev->fflags = (kqe_fflags_t)err;
    return 1;
}

/*
 * After delivery. EV_ONESHOT: "After the user retrieves the event from
 * the kqueue, it is deleted." EV_CLEAR: "After the event is retrieved by
 * the user, its state is reset." EV_DISPATCH: "Disable the event source
 * immediately after delivery of an event." Timer: "On return, data
 * contains the number of times the timeout has expired since the last
 * call to kevent()." User: "On return, fflags contains the users defined
 * flags in the lower 24 bits."
 */
static void
kqe_delivered(kqe_kq *kq, kqe_knote *kn)
{
    if (kn->type == KQE_WRITE) {
        kn->streak = (!kn->touched && kn->last_call + 1 == kq->ncalls)
                         ? kn->streak + 1
                         : 1;
        kn->last_call = kq->ncalls;
        pthread_mutex_lock(&kqe__mu);
        if (kn->streak > kqe__stats.write_streak_max)
            kqe__stats.write_streak_max = kn->streak;
        pthread_mutex_unlock(&kqe__mu);
    }
    kn->touched = 0;
    if (kn->kev.flags & EV_ONESHOT) {
        kqe__remove(kq, kn);
        return;
    }
    if (kn->kev.flags & EV_CLEAR) {
        kn->cleared = 1;
        kn->count = 0;
        if (kn->type == KQE_USER) {
            kn->triggered = 0;
            kn->kev.fflags = 0;
        }
    }
    if (kn->kev.flags & KQE_DISPATCH)
        kn->enabled = 0;
}

/* Move @kn's timer forward to @now, counting expirations. */
static void
kqe_timer_advance(kqe_knote *kn, uint64_t now)
{
    uint64_t k;
    if (kn->next_ns > now)
        return;
    if (kn->kev.flags & EV_ONESHOT) {
        kn->count = 1;
        kn->next_ns = UINT64_MAX;
        return;
    }
    k = 1 + (now - kn->next_ns) / kn->period_ns;
    kn->count += k;
    kn->next_ns = k > (UINT64_MAX - kn->next_ns) / kn->period_ns
                      ? UINT64_MAX
                      : kn->next_ns + k * kn->period_ns;
}

/*
 * Collect up to @max events into @out. For READ/WRITE one poll() with a
 * zero timeout evaluates every enabled fd knote, so a condition that no
 * longer holds is not returned.
 */
static int
kqe_collect(kqe_kq *kq, struct kevent *out, int max)
{
    struct pollfd *pfd = NULL;
    kqe_knote **fdk = NULL;
    unsigned nfd = 0, i = 0;
    uint64_t now = kqe__now();
    int n = 0;
    for (kqe_knote *kn = kq->head; kn != NULL; kn = kn->next)
        if (kn->enabled && (kn->type == KQE_READ || kn->type == KQE_WRITE))
            nfd++;
    if (nfd > 0) {
        pfd = calloc(nfd, sizeof(*pfd));
        fdk = calloc(nfd, sizeof(*fdk));
        if (pfd == NULL || fdk == NULL) {
            free(pfd);
            free(fdk);
            return -ENOMEM;
        }
        for (kqe_knote *kn = kq->head; kn != NULL; kn = kn->next) {
            if (!kn->enabled || (kn->type != KQE_READ && kn->type != KQE_WRITE))
                continue;
            pfd[i].fd = (int)kn->kev.ident;
            pfd[i].events =
                kn->type == KQE_READ ? (POLLIN | POLLRDHUP) : POLLOUT;
            fdk[i++] = kn;
        }
        if (poll(pfd, nfd, 0) < 0) {
            for (i = 0; i < nfd; i++)
                pfd[i].revents = 0;
        }
    }
    /* Walk in add order; fd knotes take their poll result in turn. */
    i = 0;
    for (kqe_knote *kn = kq->head, *next; kn != NULL && n < max; kn = next) {
        struct kevent ev;
        int have = 0;
        next = kn->next;
        if (!kn->enabled)
            continue;
        memset(&ev, 0, sizeof(ev));
        switch (kn->type) {
        case KQE_READ:
        case KQE_WRITE:
            while (i < nfd && fdk[i] != kn)
                i++;
            if (i < nfd && !(pfd[i].revents & POLLNVAL))
                have = kqe_eval_fd(kn, pfd[i].revents, &ev);
            have = kqe_eof_fault(kn, &ev, have);
            break;
        case KQE_TIMER:
            kqe_timer_advance(kn, now);
            if (kn->count > 0) {
                ev = kn->kev;
                ev.data = (kqe_data_t)kn->count;
                have = 1;
            }
            break;
        case KQE_USER:
            if (kn->triggered) {
                ev = kn->kev;
                ev.fflags = kn->kev.fflags & KQE_FFLAGSMASK;
                have = 1;
            }
            break;
        default:
            break;
        }
        if (!have)
            continue;
        out[n++] = ev;
        kqe_delivered(kq, kn);
    }
    free(pfd);
    free(fdk);
    return n;
}

/*
 * Fault: report one enabled READ/WRITE knote that is not ready (a stale
 * event, as a backend sees when the condition went away in a race).
 */
static int
kqe_stale(kqe_kq *kq, struct kevent *out)
{
    for (kqe_knote *kn = kq->head; kn != NULL; kn = kn->next) {
        if (kn->enabled && (kn->type == KQE_READ || kn->type == KQE_WRITE)) {
            *out = kn->kev;
            out->data = 0;
            kqe_delivered(kq, kn);
            return 1;
        }
    }
    return 0;
}

/* Earliest deadline of an enabled timer, or UINT64_MAX. */
static uint64_t
kqe_next_timer(const kqe_kq *kq)
{
    uint64_t t = UINT64_MAX;
    for (const kqe_knote *kn = kq->head; kn != NULL; kn = kn->next)
        if (kn->enabled && kn->type == KQE_TIMER && kn->next_ns < t)
            t = kn->next_ns;
    return t;
}

/*
 * Block until a descriptor of an enabled READ/WRITE knote, or the wake
 * socket, is ready, or @until passes. kq->mu is released meanwhile.
 */
static void
kqe_block(kqe_kq *kq, uint64_t until)
{
    struct pollfd *pfd;
    unsigned nfd = 1, i = 1;
    uint64_t now = kqe__now(), t = kqe_next_timer(kq);
    struct timespec ts, *tsp = NULL;
    int suppressed = 0;
    if (t > until)
        t = until;
    for (kqe_knote *kn = kq->head; kn != NULL; kn = kn->next)
        if (kn->enabled && (kn->type == KQE_READ || kn->type == KQE_WRITE))
            nfd++;
    pfd = calloc(nfd, sizeof(*pfd));
    if (pfd == NULL)
        return;
    pfd[0].fd = kq->fd;
    pfd[0].events = POLLIN;
    for (kqe_knote *kn = kq->head; kn != NULL; kn = kn->next) {
        if (!kn->enabled || (kn->type != KQE_READ && kn->type != KQE_WRITE))
            continue;
        /* An EV_CLEAR knote already reported would wake us at once. */
        if ((kn->kev.flags & EV_CLEAR) && kn->cleared) {
            suppressed = 1;
            continue;
        }
        pfd[i].fd = (int)kn->kev.ident;
        pfd[i].events = kn->type == KQE_READ ? (POLLIN | POLLRDHUP) : POLLOUT;
        i++;
    }
    nfd = i;
    if (suppressed && (t == UINT64_MAX || t - now > 10000000u))
        t = now + 10000000u; /* Look again for data growth in 10 ms. */
    if (t != UINT64_MAX) {
        uint64_t d = t > now ? t - now : 0;
        ts.tv_sec = (time_t)(d / 1000000000u);
        ts.tv_nsec = (long)(d % 1000000000u);
        tsp = &ts;
    }
    pthread_mutex_unlock(&kq->mu);
    (void)ppoll(pfd, nfd, tsp, NULL);
    pthread_mutex_lock(&kq->mu);
    if (pfd[0].revents & POLLIN)
        kqe__drain_wake(kq);
    free(pfd);
}

static uint64_t
kqe_sig(const struct kevent *c, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        uint64_t v[4] = {(uint64_t)c[i].ident, (uint64_t)(int64_t)c[i].filter,
                         (uint64_t)c[i].flags, (uint64_t)c[i].data};
        for (int j = 0; j < 4; j++)
            h = (h ^ v[j]) * 1099511628211ull;
    }
    return h;
}

/* A count argument as an int, or -1 when negative or too large. */
static int
kqe_count(kqemu_count_t n)
{
    if ((intmax_t)n < 0 || (uintmax_t)n > (uintmax_t)INT_MAX)
        return -1;
    return (int)n;
}

int
kevent(int kqfd, const struct kevent *changelist, kqemu_count_t nchanges_,
       struct kevent *eventlist, kqemu_count_t nevents_,
       const struct timespec *timeout)
{
    int nchanges = kqe_count(nchanges_), nevents = kqe_count(nevents_);
    int nerr = 0, room, n = 0, err = 0, ret;
    uint64_t call, until = UINT64_MAX;
    kqe_kq *kq;

    pthread_once(&kqe__once, kqe__init);
    if (nchanges < 0 || nevents < 0) {
        errno = EINVAL;
        return -1;
    }
    if ((nchanges > 0 && changelist == NULL) ||
        (nevents > 0 && eventlist == NULL)) {
        errno = EFAULT;
        return -1;
    }
    /* "[EINVAL] The specified time limit or filter is invalid." */
    if (timeout != NULL && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                            timeout->tv_nsec >= 1000000000L)) {
        errno = EINVAL;
        return -1;
    }
    kq = kqe__lookup(kqfd);
    if (kq == NULL) {
        errno = EBADF;
        return -1;
    }
    pthread_mutex_lock(&kqe__mu);
    call = ++kqe__callseq;
    kqe__stats.calls++;
    if (nevents > 0 && nchanges > nevents)
        kqe__stats.changes_without_room++;
    kqe__trace(call, kqfd, KQEMU_REC_CALL, NULL, 0, nevents);
    pthread_mutex_unlock(&kqe__mu);

    pthread_mutex_lock(&kq->mu);
    kq->ncalls++;
    if (kq->eintr_last && nchanges > 0 &&
        kqe_sig(changelist, nchanges) == kq->eintr_sig) {
        pthread_mutex_lock(&kqe__mu);
        kqe__stats.resubmit_after_eintr++;
        pthread_mutex_unlock(&kqe__mu);
    }
    kq->eintr_last = 0;
    kqe__reap_closed(kq);

    /*
     * "All changes contained in the changelist are applied before any
     * pending events are read from the queue." and "If an error occurs
     * while processing an element of the changelist and there is enough
     * room in the eventlist, then the event will be placed in the
     * eventlist with EV_ERROR set in flags and the system error in data.
     * Otherwise, -1 will be returned, and errno will be set". EV_RECEIPT:
     * "it forces EV_ERROR to always be returned. When a filter is
     * successfully added the data field will be zero. Note that if this
     * flag is encountered and there is no remaining space in eventlist to
     * hold the EV_ERROR event, then subsequent changes will not get
     * processed." An error entry is the change with flags replaced by
     * EV_ERROR (so it carries the change's udata), as FreeBSD's
     * kern_kevent_fp does (study notes).
     */
    room = nevents;
    for (int i = 0; i < nchanges; i++) {
        struct kevent c = changelist[i];
        int e;
        pthread_mutex_lock(&kqe__mu);
        kqe__trace(call, kqfd, KQEMU_REC_CHANGE, &c, 0, 0);
        kqe__stats.changes++;
        if ((c.flags & KQE_RECEIPT) && nevents == 0)
            kqe__stats.receipt_no_room++;
        e = 0;
        if (kqe__fault.fail_nth > 0 && --kqe__fault.fail_nth == 0)
            e = kqe__fault.fail_err;
        pthread_mutex_unlock(&kqe__mu);
        if (e == 0)
            e = kqe__register(kq, &c);
        if (e != 0 || (c.flags & KQE_RECEIPT)) {
            if (room == 0) {
                /* No room: processing stops here. */
                err = e;
                goto out_changes;
            }
            c.flags = EV_ERROR;
            c.data = e;
            eventlist[nerr++] = c;
            room--;
            pthread_mutex_lock(&kqe__mu);
            kqe__stats.events++;
            if (e != 0)
                kqe__stats.errors++;
            kqe__trace(call, kqfd, KQEMU_REC_EVENT, &c, 0, 0);
            pthread_mutex_unlock(&kqe__mu);
        }
    }
    /*
     * FreeBSD's kern_kevent_fp returns the error/receipt entries at once
     * when there are any, without scanning for events (study notes,
     * table A2.5 rows 1-3).
     */
    if (nerr > 0) {
        ret = nerr;
        goto out;
    }
    /* "When nevents is zero, kevent() will return immediately even if
     * there is a timeout specified unlike select(2)." */
    if (nevents == 0) {
        ret = 0;
        goto out;
    }
    {
        int eintr = 0, spurious = 0, stale = 0;
        unsigned cap;
        pthread_mutex_lock(&kqe__mu);
        kqe__fault.waitcalls++;
        if (kqe__fault.eintr_nth > 0 && --kqe__fault.eintr_nth == 0) {
            eintr = 1;
            kqe__fault.eintr_nth = kqe__fault.eintr_every;
        }
        if (kqe__fault.spurious_every > 0 &&
            kqe__fault.waitcalls % kqe__fault.spurious_every == 0)
            spurious = 1;
        if (kqe__fault.stale_every > 0 &&
            kqe__fault.waitcalls % kqe__fault.stale_every == 0)
            stale = 1;
        cap = kqe__fault.short_max;
        pthread_mutex_unlock(&kqe__mu);
        /* "When kevent() call fails with EINTR error, all changes in
         * the changelist have been applied." */
        if (eintr) {
            kq->eintr_last = nchanges > 0;
            kq->eintr_sig = kqe_sig(changelist, nchanges);
            err = EINTR;
            ret = -1;
            goto out;
        }
        if (cap > 0 && (unsigned)nevents > cap)
            nevents = (int)cap;
        /* "If timeout is a NULL pointer, kevent() waits indefinitely." */
        if (timeout != NULL) {
            uint64_t d = (uint64_t)timeout->tv_sec * 1000000000u +
                         (uint64_t)timeout->tv_nsec;
            if (d > KQE_MAX_WAIT_NS)
                d = KQE_MAX_WAIT_NS;
            until = kqe__now() + d;
        }
        for (;;) {
            n = kqe_collect(kq, eventlist, nevents);
            if (n != 0 || spurious)
                break;
            if (stale) {
                n = kqe_stale(kq, eventlist);
                if (n > 0)
                    break;
            }
            /* "If the time limit expires, then kevent() returns 0." */
            if (kqe__now() >= until)
                break;
            kqe_block(kq, until);
            kqe__reap_closed(kq);
        }
        if (n < 0) {
            err = -n;
            ret = -1;
            goto out;
        }
        ret = n;
        pthread_mutex_lock(&kqe__mu);
        kqe__stats.events += (uint64_t)n;
        for (int i = 0; i < n; i++)
            kqe__trace(call, kqfd, KQEMU_REC_EVENT, &eventlist[i], 0, 0);
        pthread_mutex_unlock(&kqe__mu);
    }
    goto out;
out_changes:
    ret = err != 0 ? -1 : nerr;
out:
    pthread_mutex_unlock(&kq->mu);
    pthread_mutex_lock(&kqe__mu);
    kqe__trace(call, kqfd, KQEMU_REC_RETURN, NULL, ret < 0 ? -err : ret, 0);
    pthread_mutex_unlock(&kqe__mu);
    kqe__unref(kq);
    if (ret < 0)
        errno = err;
    return ret;
}

