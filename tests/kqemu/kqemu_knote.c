/* SPDX-License-Identifier: MIT */
/*
 * kqemu_knote.c - the kevent(2) emulation's knote table (a hash on
 * (ident, filter)), the filters' rules for what a change may set, and
 * applying one change of a changelist (kqe__register). See kqemu.c.
 */
#define _GNU_SOURCE
#include "kqemu_int.h"

/* ---- knote table ---- */

static int
kqe_type_of(kqe_filter_t f)
{
    if (f == EVFILT_READ)
        return KQE_READ;
    if (f == EVFILT_WRITE)
        return KQE_WRITE;
    if (f == EVFILT_TIMER)
        return KQE_TIMER;
#ifdef EVFILT_USER
    if (f == EVFILT_USER)
        return KQE_USER;
#endif
    return KQE_BAD;
}

static unsigned
kqe_hash(const kqe_kq *kq, uintptr_t ident, kqe_filter_t filter)
{
    uint64_t h = (uint64_t)ident * 0x9e3779b97f4a7c15ull;
    int64_t f = (int64_t)filter;
    h ^= (uint64_t)f;
    h += 0x632be59bd9b4e019ull;
    h ^= h >> 29;
    return (unsigned)(h % kq->nbuckets);
}

static kqe_knote *
kqe_find(kqe_kq *kq, uintptr_t ident, kqe_filter_t filter)
{
    kqe_knote *kn = kq->buckets[kqe_hash(kq, ident, filter)];
    for (; kn != NULL; kn = kn->hnext)
        if (kn->kev.ident == ident && kn->kev.filter == filter)
            return kn;
    return NULL;
}

static int
kqe_insert(kqe_kq *kq, kqe_knote *kn)
{
    unsigned h;
    if (kq->count + 1 > kq->nbuckets * 2) {
        unsigned nb = kq->nbuckets * 4;
        kqe_knote **b = calloc(nb, sizeof(*b));
        if (b == NULL)
            return ENOMEM;
        free(kq->buckets);
        kq->buckets = b;
        kq->nbuckets = nb;
        for (kqe_knote *it = kq->head; it != NULL; it = it->next) {
            h = kqe_hash(kq, it->kev.ident, it->kev.filter);
            it->hnext = b[h];
            b[h] = it;
        }
    }
    h = kqe_hash(kq, kn->kev.ident, kn->kev.filter);
    kn->hnext = kq->buckets[h];
    kq->buckets[h] = kn;
    kn->prev = kq->tail;
    kn->next = NULL;
    if (kq->tail)
        kq->tail->next = kn;
    else
        kq->head = kn;
    kq->tail = kn;
    kq->count++;
    pthread_mutex_lock(&kqe__mu);
    kqe__stats.knotes++;
    pthread_mutex_unlock(&kqe__mu);
    return 0;
}

void
kqe__remove(kqe_kq *kq, kqe_knote *kn)
{
    kqe_knote **pp = &kq->buckets[kqe_hash(kq, kn->kev.ident, kn->kev.filter)];
    while (*pp != kn)
        pp = &(*pp)->hnext;
    *pp = kn->hnext;
    if (kn->prev)
        kn->prev->next = kn->next;
    else
        kq->head = kn->next;
    if (kn->next)
        kn->next->prev = kn->prev;
    else
        kq->tail = kn->prev;
    kq->count--;
    free(kn);
    pthread_mutex_lock(&kqe__mu);
    kqe__stats.knotes--;
    pthread_mutex_unlock(&kqe__mu);
}

static void
kqe_note_closed(kqe_kq *kq, uintptr_t ident, kqe_filter_t filter)
{
    unsigned i = kq->nclosed++ % 64u;
    kq->closed[i].ident = ident;
    kq->closed[i].filter = filter;
}

static int
kqe_was_closed(const kqe_kq *kq, uintptr_t ident, kqe_filter_t filter)
{
    unsigned n = kq->nclosed < 64u ? kq->nclosed : 64u;
    for (unsigned i = 0; i < n; i++)
        if (kq->closed[i].ident == ident && kq->closed[i].filter == filter)
            return 1;
    return 0;
}

static void
kqe_forget_closed(kqe_kq *kq, uintptr_t ident, kqe_filter_t filter)
{
    unsigned n = kq->nclosed < 64u ? kq->nclosed : 64u;
    for (unsigned i = 0; i < n; i++)
        if (kq->closed[i].ident == ident && kq->closed[i].filter == filter)
            kq->closed[i].ident = UINTPTR_MAX;
}

/*
 * kevent(2): "Calling close() on a file descriptor will remove any
 * kevents that reference the descriptor." and, under EV_DELETE, "Events
 * which are attached to file descriptors are automatically deleted on
 * the last close of the descriptor." Linux tells us nothing when a
 * descriptor closes, so at every call each fd knote's descriptor is
 * checked: gone, or now naming another inode (the number was reused),
 * means it was closed, and the knote goes. Approximation: a close()
 * that is not the last one (a dup survives) also removes it here, and a
 * number closed and reused for the same file is not noticed.
 */
void
kqe__reap_closed(kqe_kq *kq)
{
    kqe_knote *kn = kq->head;
    while (kn != NULL) {
        kqe_knote *next = kn->next;
        struct stat sb;
        if ((kn->type == KQE_READ || kn->type == KQE_WRITE) &&
            (fstat((int)kn->kev.ident, &sb) < 0 || sb.st_dev != kn->dev ||
             sb.st_ino != kn->ino)) {
            kqe_note_closed(kq, kn->kev.ident, kn->kev.filter);
            kqe__remove(kq, kn);
            pthread_mutex_lock(&kqe__mu);
            kqe__stats.closed_drops++;
            pthread_mutex_unlock(&kqe__mu);
        }
        kn = next;
    }
}

#ifdef EVFILT_USER
/* Wake a kevent() of @kq blocked in ppoll (another thread). */
static void
kqe_wake(kqe_kq *kq)
{
    char c = 1;
    (void)send(kq->fd, &c, 1, MSG_DONTWAIT);
}
#endif

/* Datagrams left by kqe_wake are consumed, so ppoll blocks again. */
void
kqe__drain_wake(kqe_kq *kq)
{
    char buf[64];
    while (recv(kq->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ;
}

/* ---- filters ---- */

/*
 * EVFILT_TIMER units. kevent(2): "NOTE_SECONDS data is in seconds.
 * NOTE_MSECONDS data is in milliseconds. NOTE_USECONDS data is in
 * microseconds. NOTE_NSECONDS data is in nanoseconds." and "If fflags
 * is not set, the default is milliseconds." Nanoseconds per unit, or 0
 * for fflags we refuse: unknown bits and more than one unit (FreeBSD's
 * filt_timervalidate answers EINVAL, per the study notes), and
 * NOTE_ABSTIME/NOTE_ABSOLUTE, which is not emulated.
 */
static uint64_t
kqe_timer_unit(kqe_fflags_t ff)
{
#if defined(NOTE_TIMER_UNITMASK)
    kqe_fflags_t unit = ff & NOTE_TIMER_UNITMASK;
    if ((ff & ~(kqe_fflags_t)NOTE_TIMER_UNITMASK) != 0)
        return 0;
    if (unit == NOTE_MSECONDS)
        return 1000000u;
    if (unit == NOTE_SECONDS)
        return 1000000000u;
    if (unit == NOTE_USECONDS)
        return 1000u;
    if (unit == NOTE_NSECONDS)
        return 1u;
    return 0;
#else
    uint64_t ns = 1000000u;
    int units = 0;
#ifdef NOTE_SECONDS
    if (ff & NOTE_SECONDS) {
        ns = 1000000000u;
        units++;
        ff &= (kqe_fflags_t) ~(kqe_fflags_t)NOTE_SECONDS;
    }
#endif
#ifdef NOTE_MSECONDS
    if (ff & NOTE_MSECONDS) {
        ns = 1000000u;
        units++;
        ff &= (kqe_fflags_t) ~(kqe_fflags_t)NOTE_MSECONDS;
    }
#endif
#ifdef NOTE_USECONDS
    if (ff & NOTE_USECONDS) {
        ns = 1000u;
        units++;
        ff &= (kqe_fflags_t) ~(kqe_fflags_t)NOTE_USECONDS;
    }
#endif
#ifdef NOTE_NSECONDS
    if (ff & NOTE_NSECONDS) {
        ns = 1u;
        units++;
        ff &= (kqe_fflags_t) ~(kqe_fflags_t)NOTE_NSECONDS;
    }
#endif
    if (ff != 0 || units > 1)
        return 0;
    return ns;
#endif
}

/*
 * (Re)start a timer. kevent(2): "When adding a timer, data specifies ...
 * the timeout period. The timer will be periodic unless EV_ONESHOT ...
 * is specified." and "If an existing timer is re-added, the existing
 * timer will be effectively canceled (throwing away any undelivered
 * record of previous timer expiration) and re-started using the new
 * parameters contained in data and fflags." A period of 0 is taken as
 * the smallest one (FreeBSD coerces it, per the study notes); the
 * counter timer_zero records that it happened, since NetBSD refuses it.
 */
static int
kqe_timer_set(kqe_knote *kn, const struct kevent *c)
{
    uint64_t unit = kqe_timer_unit(c->fflags);
    uint64_t n;
    if (c->data < 0 || unit == 0)
        return EINVAL;
    if (c->data == 0) {
        pthread_mutex_lock(&kqe__mu);
        kqe__stats.timer_zero++;
        pthread_mutex_unlock(&kqe__mu);
    }
    n = c->data == 0 ? 1u : (uint64_t)c->data;
    kn->period_ns = n > UINT64_MAX / unit ? UINT64_MAX : n * unit;
    kn->next_ns = kqe__now();
    kn->next_ns = kn->period_ns > UINT64_MAX - kn->next_ns
                      ? UINT64_MAX
                      : kn->next_ns + kn->period_ns;
    kn->count = 0;
    kn->kev.fflags = c->fflags;
    kn->kev.data = c->data;
    return 0;
}

#ifdef EVFILT_USER
/*
 * EVFILT_USER. kevent(2): "The lower 24 bits of the fflags may be used
 * for user defined flags and manipulated using the following:
 * NOTE_FFNOP Ignore the input fflags. NOTE_FFAND Bitwise AND fflags.
 * NOTE_FFOR Bitwise OR fflags. NOTE_FFCOPY Copy fflags." and
 * "NOTE_TRIGGER Cause the event to be triggered."
 */
static void
kqe_user_touch(kqe_kq *kq, kqe_knote *kn, kqe_fflags_t ff)
{
    kqe_fflags_t ctl = ff & NOTE_FFCTRLMASK;
    kqe_fflags_t val = ff & NOTE_FFLAGSMASK;
    kqe_fflags_t cur = kn->kev.fflags & NOTE_FFLAGSMASK;
    if (ctl == NOTE_FFAND)
        cur &= val;
    else if (ctl == NOTE_FFOR)
        cur |= val;
    else if (ctl == NOTE_FFCOPY)
        cur = val;
    kn->kev.fflags = cur;
    if (ff & NOTE_TRIGGER) {
        kn->triggered = 1;
        kqe_wake(kq);
    }
}
#endif

/* What kind of descriptor @fd is; -1 when it is not open. */
static int
kqe_fd_check(uintptr_t ident, kqe_knote *kn)
{
    struct stat sb;
    if (ident > (uintptr_t)INT_MAX || fstat((int)ident, &sb) < 0)
        return -1;
    kn->dev = sb.st_dev;
    kn->ino = sb.st_ino;
    if (S_ISSOCK(sb.st_mode))
        kn->fdkind = KQE_FD_SOCK;
    else if (S_ISFIFO(sb.st_mode))
        kn->fdkind = KQE_FD_PIPE;
    else if (S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode))
        kn->fdkind = KQE_FD_VNODE;
    else
        kn->fdkind = KQE_FD_OTHER;
    return 0;
}

/*
 * Apply one change. 0 or an errno. Rules, from kevent(2):
 *  - "A kevent is identified by the (ident, filter) pair; there may only
 *    be one unique kevent per kqueue."
 *  - EV_ADD: "Re-adding an existing event will modify the parameters of
 *    the original event, and not result in a duplicate entry. Adding an
 *    event automatically enables it, unless overridden by the EV_DISABLE
 *    flag." We read "adding" as creating the knote: re-adding a disabled
 *    knote leaves it disabled unless EV_ENABLE is given too (FreeBSD's
 *    kqueue_register acts on EV_ENABLE/EV_DISABLE only, per our reading
 *    of it). A backend that passes EV_ENABLE works under both readings.
 *  - EV_DELETE: "Removes the event from the kqueue."
 *  - "[ENOENT] The event could not be found to be modified or deleted."
 *  - "[EINVAL] The specified time limit or filter is invalid."
 *  - "[EBADF] The specified descriptor is invalid." (an fd filter whose
 *    ident is not an open descriptor)
 *  - A stored knote keeps EV_ONESHOT, EV_CLEAR, EV_DISPATCH and
 *    EV_RECEIPT; FreeBSD's kqueue_register strips the action flags
 *    (study notes, table A2.5 row 5).
 */
int
kqe__register(kqe_kq *kq, const struct kevent *c)
{
    int type = kqe_type_of(c->filter);
    kqe_knote *kn;
    int fdtype = type == KQE_READ || type == KQE_WRITE;
    if (type == KQE_BAD)
        return EINVAL;
    if (fdtype &&
        (c->ident > (uintptr_t)INT_MAX || fcntl((int)c->ident, F_GETFD) < 0)) {
        if ((c->flags & EV_DELETE) && kqe_was_closed(kq, c->ident, c->filter)) {
            pthread_mutex_lock(&kqe__mu);
            kqe__stats.delete_after_close++;
            pthread_mutex_unlock(&kqe__mu);
        }
        return EBADF;
    }
    kn = kqe_find(kq, c->ident, c->filter);
    if (kn == NULL) {
        int r;
        if (c->flags & EV_DELETE) {
            if (fdtype && kqe_was_closed(kq, c->ident, c->filter)) {
                pthread_mutex_lock(&kqe__mu);
                kqe__stats.delete_after_close++;
                pthread_mutex_unlock(&kqe__mu);
            }
            return ENOENT;
        }
        if (!(c->flags & EV_ADD))
            return ENOENT;
        kn = calloc(1, sizeof(*kn));
        if (kn == NULL)
            return ENOMEM;
        kn->kev = *c;
        kn->kev.flags = c->flags & (kqe_flags_t)KQE_STORED;
        kn->type = type;
        kn->enabled = !(c->flags & EV_DISABLE);
        kn->touched = 1;
        r = 0;
        switch (type) {
        case KQE_READ:
        case KQE_WRITE:
            /* NOTE_LOWAT (a per-knote low water mark) is not emulated. */
            if (c->fflags & NOTE_LOWAT)
                r = EINVAL;
            else if (kqe_fd_check(c->ident, kn) < 0)
                r = EBADF;
            /* EVFILT_WRITE: "this filter is not supported for vnodes". */
            else if (type == KQE_WRITE && kn->fdkind == KQE_FD_VNODE)
                r = EINVAL;
            break;
        case KQE_TIMER:
            /* "this filter automatically sets the EV_CLEAR flag". */
            kn->kev.flags |= EV_CLEAR;
            r = kqe_timer_set(kn, c);
            break;
#ifdef EVFILT_USER
        case KQE_USER:
            kn->kev.fflags = 0;
            kn->kev.data = 0;
            kqe_user_touch(kq, kn, c->fflags);
            break;
#endif
        default:
            break;
        }
        if (r == 0)
            r = kqe_insert(kq, kn);
        if (r != 0) {
            free(kn);
            return r;
        }
        if (fdtype)
            kqe_forget_closed(kq, c->ident, c->filter);
        return 0;
    }
    kn->touched = 1;
    if (c->flags & EV_DELETE) {
        kqe__remove(kq, kn);
        return 0;
    }
    if (c->flags & EV_ADD) {
        int r = 0;
        kn->kev.udata = c->udata;
        if (type == KQE_TIMER)
            r = kqe_timer_set(kn, c);
        if (r != 0)
            return r;
    }
#ifdef EVFILT_USER
    if (type == KQE_USER)
        kqe_user_touch(kq, kn, c->fflags);
#endif
    /*
     * EV_ENABLE: "Permit kevent() to return the event if it is
     * triggered." EV_DISABLE: "Disable the event so kevent() will not
     * return it. The filter itself is not disabled." (a timer keeps
     * counting, a user event stays triggered).
     */
    if (c->flags & EV_ENABLE)
        kn->enabled = 1;
    else if (c->flags & EV_DISABLE)
        kn->enabled = 0;
    return 0;
}

/* Bytes readable on @fd (FIONREAD), or -1. */
