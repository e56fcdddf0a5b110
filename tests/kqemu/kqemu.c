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
#include "kqemu_int.h"

/* ---- process-wide state: registry, faults, trace, counters ---- */

pthread_mutex_t kqe__mu = PTHREAD_MUTEX_INITIALIZER;
pthread_once_t kqe__once = PTHREAD_ONCE_INIT;
static kqe_kq **g_reg; /* Indexed by kq descriptor. */
static int g_nreg;
/* Queues orphaned by fork() in a child: kept reachable, never used. */
static kqe_kq **g_orphans;
static size_t g_norphans;

kqe_faults kqe__fault = {.eof_fd = -1};

kqemu_stats kqe__stats;
uint64_t kqe__callseq;

#define KQE_TRACE_MAX 65536u
static kqemu_rec *g_trace;
static unsigned g_ntrace;
static int g_tracing;

void
kqe__trace(uint64_t call, int kq, int kind, const struct kevent *kev,
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

uint64_t
kqe__now(void)
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
    pthread_mutex_lock(&kqe__mu);
}

static void
kqe_atfork_parent(void)
{
    pthread_mutex_unlock(&kqe__mu);
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
    pthread_mutex_unlock(&kqe__mu);
}

void
kqe__init(void)
{
    const char *f = getenv("KQEMU_FAULTS");
    pthread_atfork(kqe_atfork_prepare, kqe_atfork_parent, kqe_atfork_child);
    if (f != NULL) {
        kqe__fault.spurious_every = kqe_env_num(f, "spurious");
        kqe__fault.short_max = kqe_env_num(f, "short");
        kqe__fault.eintr_every = kqe_env_num(f, "eintr");
        kqe__fault.eintr_nth = kqe__fault.eintr_every;
        kqe__fault.stale_every = kqe_env_num(f, "stale");
    }
}

/* ---- test controls (kqemu.h) ---- */

void
kqemu_reset(void)
{
    pthread_once(&kqe__once, kqe__init);
    pthread_mutex_lock(&kqe__mu);
    memset(&kqe__fault, 0, sizeof(kqe__fault));
    kqe__fault.eof_fd = -1;
    {
        uint64_t knotes = kqe__stats.knotes;
        memset(&kqe__stats, 0, sizeof(kqe__stats));
        kqe__stats.knotes = knotes;
    }
    g_ntrace = 0;
    g_tracing = 0;
    pthread_mutex_unlock(&kqe__mu);
}

void
kqemu_get_stats(kqemu_stats *out)
{
    pthread_mutex_lock(&kqe__mu);
    *out = kqe__stats;
    pthread_mutex_unlock(&kqe__mu);
}

void
kqemu_fault_fail_change(unsigned nth, int err)
{
    pthread_mutex_lock(&kqe__mu);
    kqe__fault.fail_nth = nth;
    kqe__fault.fail_err = err;
    pthread_mutex_unlock(&kqe__mu);
}

void
kqemu_fault_eintr(unsigned nth, unsigned every)
{
    pthread_mutex_lock(&kqe__mu);
    kqe__fault.eintr_nth = nth;
    kqe__fault.eintr_every = every;
    pthread_mutex_unlock(&kqe__mu);
}

void
kqemu_fault_short(unsigned max)
{
    pthread_mutex_lock(&kqe__mu);
    kqe__fault.short_max = max;
    pthread_mutex_unlock(&kqe__mu);
}

void
kqemu_fault_spurious(unsigned every)
{
    pthread_mutex_lock(&kqe__mu);
    kqe__fault.spurious_every = every;
    pthread_mutex_unlock(&kqe__mu);
}

void
kqemu_fault_stale(unsigned every)
{
    pthread_mutex_lock(&kqe__mu);
    kqe__fault.stale_every = every;
    pthread_mutex_unlock(&kqe__mu);
}

void
kqemu_fault_eof(int fd, int write, int err)
{
    pthread_mutex_lock(&kqe__mu);
    kqe__fault.eof_fd = fd;
    kqe__fault.eof_write = write;
    kqe__fault.eof_err = err;
    pthread_mutex_unlock(&kqe__mu);
}

void
kqemu_trace_start(void)
{
    pthread_mutex_lock(&kqe__mu);
    g_ntrace = 0;
    g_tracing = 1;
    pthread_mutex_unlock(&kqe__mu);
}

unsigned
kqemu_trace_len(void)
{
    unsigned n;
    pthread_mutex_lock(&kqe__mu);
    n = g_ntrace;
    pthread_mutex_unlock(&kqe__mu);
    return n;
}

int
kqemu_trace_get(unsigned i, kqemu_rec *out)
{
    int r = -1;
    pthread_mutex_lock(&kqe__mu);
    if (i < g_ntrace) {
        *out = g_trace[i];
        r = 0;
    }
    pthread_mutex_unlock(&kqe__mu);
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
    pthread_mutex_lock(&kqe__mu);
    kqe__stats.knotes -= kq->count;
    pthread_mutex_unlock(&kqe__mu);
    free(kq->buckets);
    pthread_mutex_destroy(&kq->mu);
    free(kq);
}

/* Drop a reference; kqe__mu held. Returns the object to free, or NULL. */
static kqe_kq *
kqe_unref_locked(kqe_kq *kq)
{
    return --kq->refs == 0 ? kq : NULL;
}

void
kqe__unref(kqe_kq *kq)
{
    kqe_kq *dead;
    pthread_mutex_lock(&kqe__mu);
    dead = kqe_unref_locked(kq);
    pthread_mutex_unlock(&kqe__mu);
    if (dead != NULL)
        kqe_free(dead);
}

/*
 * The queue behind descriptor @fd, with a reference, or NULL. A queue
 * whose descriptor was closed (fstat fails or names another inode) is
 * forgotten here: kevent(2) "[EBADF] The specified descriptor is
 * invalid."
 */
kqe_kq *
kqe__lookup(int fd)
{
    kqe_kq *kq = NULL, *dead = NULL;
    struct stat sb;
    pthread_mutex_lock(&kqe__mu);
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
    pthread_mutex_unlock(&kqe__mu);
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

    pthread_once(&kqe__once, kqe__init);
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
    pthread_mutex_lock(&kqe__mu);
    if (fd >= g_nreg) {
        int n = g_nreg ? g_nreg : 64;
        kqe_kq **r;
        while (n <= fd)
            n *= 2;
        r = realloc(g_reg, (size_t)n * sizeof(*r));
        if (r == NULL) {
            pthread_mutex_unlock(&kqe__mu);
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
    pthread_mutex_unlock(&kqe__mu);
    if (old != NULL)
        kqe_free(old);
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

