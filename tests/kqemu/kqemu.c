/* SPDX-License-Identifier: MIT */
/*
 * kqemu.c - a userspace emulation of FreeBSD kevent(2) semantics on
 * Linux, for testing compio's kqueue module where no BSD kernel exists.
 *
 * It is written from the FreeBSD 12.2 kevent(2) manual page (Debian's
 * freebsd-manpages, `man 2freebsd kevent`). Every rule below quotes the
 * sentence it implements ("kevent(2): ..."). Where the page is silent,
 * the rule names the FreeBSD kernel function that our study notes
 * (shared/notes/kqueue.md) describe, and says so. It is not libkqueue and
 * copies no code; where it knowingly differs from FreeBSD it says "not
 * emulated" or "approximation".
 *
 * How it works. kqueue() returns an AF_UNIX datagram socket connected to
 * itself: a real descriptor with its own inode (so a closed or reused kq
 * number is detected with fstat) that another thread can write to, to
 * wake a kevent() blocked in ppoll(). Knotes live in a hash table keyed
 * by (ident, filter). Nothing is registered with the Linux kernel:
 * READ/WRITE readiness is evaluated with poll() on the knote's descriptor
 * when events are collected, which mirrors kevent(2)'s "The filter is
 * also run when the user attempts to retrieve the kevent from the kqueue.
 * If the filter indicates that the condition that triggered the event no
 * longer holds, the kevent is removed from the kqueue and is not
 * returned." Timers are computed from CLOCK_MONOTONIC; the wait is a
 * ppoll() on the enabled descriptors, bounded by the nearest timer.
 *
 * The header personality (tests/kqemu/sys/event.h) decides field widths,
 * signedness and constants; this file uses only the names, with the
 * field types taken with __typeof__, so it builds under each of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kqemu.h"
#include "sys/event.h"

typedef __typeof__(((struct kevent *)0)->filter) kqe_filter_t;
typedef __typeof__(((struct kevent *)0)->flags) kqe_flags_t;
typedef __typeof__(((struct kevent *)0)->fflags) kqe_fflags_t;
typedef __typeof__(((struct kevent *)0)->data) kqe_data_t;

#ifndef EV_RECEIPT
#define KQE_RECEIPT 0
#else
#define KQE_RECEIPT EV_RECEIPT
#endif
#ifdef NOTE_FFLAGSMASK
#define KQE_FFLAGSMASK NOTE_FFLAGSMASK
#else
#define KQE_FFLAGSMASK 0
#endif
#ifndef EV_DISPATCH
#define KQE_DISPATCH 0
#else
#define KQE_DISPATCH EV_DISPATCH
#endif

/* Flags a knote keeps from the change that added it. */
#define KQE_STORED (EV_ONESHOT | EV_CLEAR | KQE_DISPATCH | KQE_RECEIPT)

/*
 * kevent(2) BUGS: "The timeout value is limited to 24 hours; longer
 * timeouts will be silently reinterpreted as 24 hours."
 */
#define KQE_MAX_WAIT_NS (24ull * 3600u * 1000000000u)

enum kqe_type { KQE_READ, KQE_WRITE, KQE_TIMER, KQE_USER, KQE_BAD };

/* What an fd knote's descriptor was when it was added. */
enum kqe_fdkind { KQE_FD_OTHER, KQE_FD_SOCK, KQE_FD_PIPE, KQE_FD_VNODE };

typedef struct kqe_knote {
    struct kqe_knote *hnext;       /* Hash chain. */
    struct kqe_knote *next, *prev; /* All knotes, in add order. */
    struct kevent kev;             /* As added; flags = stored. */
    int type;                      /* enum kqe_type. */
    int enabled;
    /* fd knotes */
    dev_t dev;
    ino_t ino;
    int fdkind;
    int cleared;        /* EV_CLEAR: delivered, not seen unready since. */
    int64_t clear_data; /* EV_CLEAR: data at that delivery. */
    /* timers */
    uint64_t period_ns;
    uint64_t next_ns;
    uint64_t count;
    /* user */
    int triggered;
    /* protocol counters */
    uint64_t last_call;
    uint64_t streak;
    int touched;
} kqe_knote;

typedef struct kqe_kq {
    int fd;
    dev_t dev;
    ino_t ino;
    pid_t pid;
    int refs; /* Registry's reference plus calls in progress. */
    pthread_mutex_t mu;
    kqe_knote **buckets;
    unsigned nbuckets;
    unsigned count;
    kqe_knote *head, *tail;
    uint64_t ncalls; /* kevent() calls on this queue. */
    /* (ident, filter) of fd knotes removed because their fd closed. */
    struct {
        uintptr_t ident;
        kqe_filter_t filter;
    } closed[64];
    unsigned nclosed;
    /* Changelist signature of the last call that returned EINTR. */
    uint64_t eintr_sig;
    int eintr_last;
} kqe_kq;

/* ---- process-wide state: registry, faults, trace, counters ---- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static kqe_kq **g_reg; /* Indexed by kq descriptor. */
static int g_nreg;
/* Queues orphaned by fork() in a child: kept reachable, never used. */
static kqe_kq **g_orphans;
static size_t g_norphans;

static struct {
    unsigned fail_nth;
    int fail_err;
    unsigned eintr_nth, eintr_every;
    unsigned short_max;
    unsigned spurious_every;
    unsigned stale_every;
    int eof_fd, eof_write, eof_err;
    uint64_t waitcalls; /* Calls that reached the event scan. */
} g_fault = {.eof_fd = -1};

static kqemu_stats g_stats;
static uint64_t g_callseq;

#define KQE_TRACE_MAX 65536u
static kqemu_rec *g_trace;
static unsigned g_ntrace;
static int g_tracing;

static void
kqe_trace(uint64_t call, int kq, int kind, const struct kevent *kev,
          int64_t result, int64_t nevents)
{
    kqemu_rec *r;
    if (!g_tracing || g_ntrace >= KQE_TRACE_MAX)
        return;
    if (g_trace == NULL) {
        g_trace = calloc(KQE_TRACE_MAX, sizeof(*g_trace));
        if (g_trace == NULL)
            return;
    }
    r = &g_trace[g_ntrace++];
    memset(r, 0, sizeof(*r));
    r->call = call;
    r->kq = kq;
    r->kind = kind;
    r->result = result;
    r->nevents = nevents;
    if (kev != NULL) {
        r->ident = (uint64_t)kev->ident;
        r->filter = (int64_t)kev->filter;
        r->flags = (uint64_t)kev->flags;
        r->fflags = (uint64_t)kev->fflags;
        r->data = (int64_t)kev->data;
    }
}

static uint64_t
kqe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned
kqe_env_num(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    size_t n = strlen(key);
    if (p == NULL || p[n] != '=')
        return 0;
    return (unsigned)strtoul(p + n + 1, NULL, 10);
}

/*
 * kevent(2): "The queue is not inherited by a child created with
 * fork(2)." Linux does copy the descriptor, so in the child we close it,
 * which frees the number as a BSD child would have it.
 */
static void
kqe_atfork_prepare(void)
{
    pthread_mutex_lock(&g_mu);
}

static void
kqe_atfork_parent(void)
{
    pthread_mutex_unlock(&g_mu);
}

static void
kqe_atfork_child(void)
{
    for (int i = 0; i < g_nreg; i++) {
        kqe_kq *kq = g_reg[i];
        kqe_kq **o;
        struct stat sb;
        if (kq == NULL)
            continue;
        /*
         * Only a queue whose descriptor is still open: a closed one's
         * number may belong to something else by now.
         */
        if (fstat(kq->fd, &sb) == 0 && sb.st_dev == kq->dev &&
            sb.st_ino == kq->ino)
            close(kq->fd);
        g_reg[i] = NULL;
        /* Another thread may have held its lock: never touch it again. */
        o = realloc(g_orphans, (g_norphans + 1) * sizeof(*o));
        if (o != NULL) {
            g_orphans = o;
            g_orphans[g_norphans++] = kq;
        }
    }
    pthread_mutex_unlock(&g_mu);
}

static void
kqe_init(void)
{
    const char *f = getenv("KQEMU_FAULTS");
    pthread_atfork(kqe_atfork_prepare, kqe_atfork_parent, kqe_atfork_child);
    if (f != NULL) {
        g_fault.spurious_every = kqe_env_num(f, "spurious");
        g_fault.short_max = kqe_env_num(f, "short");
        g_fault.eintr_every = kqe_env_num(f, "eintr");
        g_fault.eintr_nth = g_fault.eintr_every;
        g_fault.stale_every = kqe_env_num(f, "stale");
    }
}

/* ---- test controls (kqemu.h) ---- */

void
kqemu_reset(void)
{
    pthread_once(&g_once, kqe_init);
    pthread_mutex_lock(&g_mu);
    memset(&g_fault, 0, sizeof(g_fault));
    g_fault.eof_fd = -1;
    {
        uint64_t knotes = g_stats.knotes;
        memset(&g_stats, 0, sizeof(g_stats));
        g_stats.knotes = knotes;
    }
    g_ntrace = 0;
    g_tracing = 0;
    pthread_mutex_unlock(&g_mu);
}

void
kqemu_get_stats(kqemu_stats *out)
{
    pthread_mutex_lock(&g_mu);
    *out = g_stats;
    pthread_mutex_unlock(&g_mu);
}

void
kqemu_fault_fail_change(unsigned nth, int err)
{
    pthread_mutex_lock(&g_mu);
    g_fault.fail_nth = nth;
    g_fault.fail_err = err;
    pthread_mutex_unlock(&g_mu);
}

void
kqemu_fault_eintr(unsigned nth, unsigned every)
{
    pthread_mutex_lock(&g_mu);
    g_fault.eintr_nth = nth;
    g_fault.eintr_every = every;
    pthread_mutex_unlock(&g_mu);
}

void
kqemu_fault_short(unsigned max)
{
    pthread_mutex_lock(&g_mu);
    g_fault.short_max = max;
    pthread_mutex_unlock(&g_mu);
}

void
kqemu_fault_spurious(unsigned every)
{
    pthread_mutex_lock(&g_mu);
    g_fault.spurious_every = every;
    pthread_mutex_unlock(&g_mu);
}

void
kqemu_fault_stale(unsigned every)
{
    pthread_mutex_lock(&g_mu);
    g_fault.stale_every = every;
    pthread_mutex_unlock(&g_mu);
}

void
kqemu_fault_eof(int fd, int write, int err)
{
    pthread_mutex_lock(&g_mu);
    g_fault.eof_fd = fd;
    g_fault.eof_write = write;
    g_fault.eof_err = err;
    pthread_mutex_unlock(&g_mu);
}

void
kqemu_trace_start(void)
{
    pthread_mutex_lock(&g_mu);
    g_ntrace = 0;
    g_tracing = 1;
    pthread_mutex_unlock(&g_mu);
}

unsigned
kqemu_trace_len(void)
{
    unsigned n;
    pthread_mutex_lock(&g_mu);
    n = g_ntrace;
    pthread_mutex_unlock(&g_mu);
    return n;
}

int
kqemu_trace_get(unsigned i, kqemu_rec *out)
{
    int r = -1;
    pthread_mutex_lock(&g_mu);
    if (i < g_ntrace) {
        *out = g_trace[i];
        r = 0;
    }
    pthread_mutex_unlock(&g_mu);
    return r;
}

/* ---- the queue object ---- */

static void
kqe_free(kqe_kq *kq)
{
    kqe_knote *kn = kq->head;
    while (kn != NULL) {
        kqe_knote *next = kn->next;
        free(kn);
        kn = next;
    }
    pthread_mutex_lock(&g_mu);
    g_stats.knotes -= kq->count;
    pthread_mutex_unlock(&g_mu);
    free(kq->buckets);
    pthread_mutex_destroy(&kq->mu);
    free(kq);
}

/* Drop a reference; g_mu held. Returns the object to free, or NULL. */
static kqe_kq *
kqe_unref_locked(kqe_kq *kq)
{
    return --kq->refs == 0 ? kq : NULL;
}

static void
kqe_unref(kqe_kq *kq)
{
    kqe_kq *dead;
    pthread_mutex_lock(&g_mu);
    dead = kqe_unref_locked(kq);
    pthread_mutex_unlock(&g_mu);
    if (dead != NULL)
        kqe_free(dead);
}

/*
 * The queue behind descriptor @fd, with a reference, or NULL. A queue
 * whose descriptor was closed (fstat fails or names another inode) is
 * forgotten here: kevent(2) "[EBADF] The specified descriptor is
 * invalid."
 */
static kqe_kq *
kqe_lookup(int fd)
{
    kqe_kq *kq = NULL, *dead = NULL;
    struct stat sb;
    pthread_mutex_lock(&g_mu);
    if (fd >= 0 && fd < g_nreg && g_reg[fd] != NULL) {
        kq = g_reg[fd];
        if (kq->pid != getpid() || fstat(fd, &sb) < 0 || sb.st_dev != kq->dev ||
            sb.st_ino != kq->ino) {
            g_reg[fd] = NULL;
            dead = kqe_unref_locked(kq);
            kq = NULL;
        } else {
            kq->refs++;
        }
    }
    pthread_mutex_unlock(&g_mu);
    if (dead != NULL)
        kqe_free(dead);
    return kq;
}

int
kqueue(void)
{
    struct sockaddr_un sa;
    socklen_t len = sizeof(sa_family_t);
    struct stat sb;
    kqe_kq *kq, *old = NULL;
    int fd, err;

    pthread_once(&g_once, kqe_init);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    /* Autobind (an abstract name), then connect to ourselves. */
    if (bind(fd, (struct sockaddr *)&sa, len) < 0)
        goto fail;
    len = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
        connect(fd, (struct sockaddr *)&sa, len) < 0 || fstat(fd, &sb) < 0)
        goto fail;
    kq = calloc(1, sizeof(*kq));
    if (kq == NULL) {
        errno = ENOMEM;
        goto fail;
    }
    kq->fd = fd;
    kq->dev = sb.st_dev;
    kq->ino = sb.st_ino;
    kq->pid = getpid();
    kq->refs = 1;
    kq->nbuckets = 64;
    kq->buckets = calloc(kq->nbuckets, sizeof(*kq->buckets));
    if (kq->buckets == NULL) {
        free(kq);
        errno = ENOMEM;
        goto fail;
    }
    pthread_mutex_init(&kq->mu, NULL);
    pthread_mutex_lock(&g_mu);
    if (fd >= g_nreg) {
        int n = g_nreg ? g_nreg : 64;
        kqe_kq **r;
        while (n <= fd)
            n *= 2;
        r = realloc(g_reg, (size_t)n * sizeof(*r));
        if (r == NULL) {
            pthread_mutex_unlock(&g_mu);
            kqe_free(kq);
            errno = ENOMEM;
            goto fail;
        }
        memset(r + g_nreg, 0, (size_t)(n - g_nreg) * sizeof(*r));
        g_reg = r;
        g_nreg = n;
    }
    /* A queue whose number this is was closed: forget it. */
    if (g_reg[fd] != NULL)
        old = kqe_unref_locked(g_reg[fd]);
    g_reg[fd] = kq;
    pthread_mutex_unlock(&g_mu);
    if (old != NULL)
        kqe_free(old);
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

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
    pthread_mutex_lock(&g_mu);
    g_stats.knotes++;
    pthread_mutex_unlock(&g_mu);
    return 0;
}

static void
kqe_remove(kqe_kq *kq, kqe_knote *kn)
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
    pthread_mutex_lock(&g_mu);
    g_stats.knotes--;
    pthread_mutex_unlock(&g_mu);
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
static void
kqe_reap_closed(kqe_kq *kq)
{
    kqe_knote *kn = kq->head;
    while (kn != NULL) {
        kqe_knote *next = kn->next;
        struct stat sb;
        if ((kn->type == KQE_READ || kn->type == KQE_WRITE) &&
            (fstat((int)kn->kev.ident, &sb) < 0 || sb.st_dev != kn->dev ||
             sb.st_ino != kn->ino)) {
            kqe_note_closed(kq, kn->kev.ident, kn->kev.filter);
            kqe_remove(kq, kn);
            pthread_mutex_lock(&g_mu);
            g_stats.closed_drops++;
            pthread_mutex_unlock(&g_mu);
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

static void
kqe_drain_wake(kqe_kq *kq)
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
        pthread_mutex_lock(&g_mu);
        g_stats.timer_zero++;
        pthread_mutex_unlock(&g_mu);
    }
    n = c->data == 0 ? 1u : (uint64_t)c->data;
    kn->period_ns = n > UINT64_MAX / unit ? UINT64_MAX : n * unit;
    kn->next_ns = kqe_now();
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
static int
kqe_register(kqe_kq *kq, const struct kevent *c)
{
    int type = kqe_type_of(c->filter);
    kqe_knote *kn;
    int fdtype = type == KQE_READ || type == KQE_WRITE;
    if (type == KQE_BAD)
        return EINVAL;
    if (fdtype &&
        (c->ident > (uintptr_t)INT_MAX || fcntl((int)c->ident, F_GETFD) < 0)) {
        if ((c->flags & EV_DELETE) && kqe_was_closed(kq, c->ident, c->filter)) {
            pthread_mutex_lock(&g_mu);
            g_stats.delete_after_close++;
            pthread_mutex_unlock(&g_mu);
        }
        return EBADF;
    }
    kn = kqe_find(kq, c->ident, c->filter);
    if (kn == NULL) {
        int r;
        if (c->flags & EV_DELETE) {
            if (fdtype && kqe_was_closed(kq, c->ident, c->filter)) {
                pthread_mutex_lock(&g_mu);
                g_stats.delete_after_close++;
                pthread_mutex_unlock(&g_mu);
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
        kqe_remove(kq, kn);
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

/* Apply the fault kqemu_fault_eof() to @kn's event. g_mu not held. */
static int
kqe_eof_fault(kqe_knote *kn, struct kevent *ev, int have)
{
    int hit = 0, err = 0;
    pthread_mutex_lock(&g_mu);
    if (g_fault.eof_fd >= 0 && (uintptr_t)g_fault.eof_fd == kn->kev.ident &&
        (g_fault.eof_write != 0) == (kn->type == KQE_WRITE)) {
        hit = 1;
        err = g_fault.eof_err;
        g_fault.eof_fd = -1;
    }
    pthread_mutex_unlock(&g_mu);
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
        pthread_mutex_lock(&g_mu);
        if (kn->streak > g_stats.write_streak_max)
            g_stats.write_streak_max = kn->streak;
        pthread_mutex_unlock(&g_mu);
    }
    kn->touched = 0;
    if (kn->kev.flags & EV_ONESHOT) {
        kqe_remove(kq, kn);
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
    uint64_t now = kqe_now();
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
    uint64_t now = kqe_now(), t = kqe_next_timer(kq);
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
        kqe_drain_wake(kq);
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

    pthread_once(&g_once, kqe_init);
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
    kq = kqe_lookup(kqfd);
    if (kq == NULL) {
        errno = EBADF;
        return -1;
    }
    pthread_mutex_lock(&g_mu);
    call = ++g_callseq;
    g_stats.calls++;
    if (nevents > 0 && nchanges > nevents)
        g_stats.changes_without_room++;
    kqe_trace(call, kqfd, KQEMU_REC_CALL, NULL, 0, nevents);
    pthread_mutex_unlock(&g_mu);

    pthread_mutex_lock(&kq->mu);
    kq->ncalls++;
    if (kq->eintr_last && nchanges > 0 &&
        kqe_sig(changelist, nchanges) == kq->eintr_sig) {
        pthread_mutex_lock(&g_mu);
        g_stats.resubmit_after_eintr++;
        pthread_mutex_unlock(&g_mu);
    }
    kq->eintr_last = 0;
    kqe_reap_closed(kq);

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
        pthread_mutex_lock(&g_mu);
        kqe_trace(call, kqfd, KQEMU_REC_CHANGE, &c, 0, 0);
        g_stats.changes++;
        if ((c.flags & KQE_RECEIPT) && nevents == 0)
            g_stats.receipt_no_room++;
        e = 0;
        if (g_fault.fail_nth > 0 && --g_fault.fail_nth == 0)
            e = g_fault.fail_err;
        pthread_mutex_unlock(&g_mu);
        if (e == 0)
            e = kqe_register(kq, &c);
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
            pthread_mutex_lock(&g_mu);
            g_stats.events++;
            if (e != 0)
                g_stats.errors++;
            kqe_trace(call, kqfd, KQEMU_REC_EVENT, &c, 0, 0);
            pthread_mutex_unlock(&g_mu);
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
        pthread_mutex_lock(&g_mu);
        g_fault.waitcalls++;
        if (g_fault.eintr_nth > 0 && --g_fault.eintr_nth == 0) {
            eintr = 1;
            g_fault.eintr_nth = g_fault.eintr_every;
        }
        if (g_fault.spurious_every > 0 &&
            g_fault.waitcalls % g_fault.spurious_every == 0)
            spurious = 1;
        if (g_fault.stale_every > 0 &&
            g_fault.waitcalls % g_fault.stale_every == 0)
            stale = 1;
        cap = g_fault.short_max;
        pthread_mutex_unlock(&g_mu);
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
            until = kqe_now() + d;
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
            if (kqe_now() >= until)
                break;
            kqe_block(kq, until);
            kqe_reap_closed(kq);
        }
        if (n < 0) {
            err = -n;
            ret = -1;
            goto out;
        }
        ret = n;
        pthread_mutex_lock(&g_mu);
        g_stats.events += (uint64_t)n;
        for (int i = 0; i < n; i++)
            kqe_trace(call, kqfd, KQEMU_REC_EVENT, &eventlist[i], 0, 0);
        pthread_mutex_unlock(&g_mu);
    }
    goto out;
out_changes:
    ret = err != 0 ? -1 : nerr;
out:
    pthread_mutex_unlock(&kq->mu);
    pthread_mutex_lock(&g_mu);
    kqe_trace(call, kqfd, KQEMU_REC_RETURN, NULL, ret < 0 ? -err : ret, 0);
    pthread_mutex_unlock(&g_mu);
    kqe_unref(kq);
    if (ret < 0)
        errno = err;
    return ret;
}
