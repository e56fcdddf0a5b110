/* SPDX-License-Identifier: MIT */
/*
 * cio_pool.c - the process-wide blocking thread pool that runs the ops a
 * backend does not perform itself (file IO on epoll, BLOCKING, ...).
 *
 * Shape: one FIFO job queue and one lock for the whole process. Threads
 * are created on demand, only when the queued jobs outnumber the idle
 * threads, up to the configured maximum, and leave after 5 s without
 * work, so an idle process holds no pool threads. A finished op goes to
 * the sink of the driver that submitted it, and the sink's wake hook
 * (the backend's notify) makes that driver's poll return.
 *
 * One lock, also for the sinks: it keeps fork handling simple (the
 * prepare handler takes it, so no thread holds it half-way through an
 * update at fork time) and pool traffic is never the hot path.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "cio_pool.h"

/*
 * The clock of the idle timeout. winpthreads (Windows) measures a timed
 * wait's deadline on the wall clock whatever the condattr says, so the
 * deadline is taken from that clock there.
 */
#ifdef _WIN32
#define CIO__POOL_CLOCK CLOCK_REALTIME
#else
#define CIO__POOL_CLOCK CLOCK_MONOTONIC
#endif

/* Seconds an idle thread waits for work before it exits. */
#define CIO__POOL_IDLE_SEC 5
/* Thread limit when no driver has configured one. */
#define CIO__POOL_DEFAULT_MAX 256u

/* A pool thread's record, on its own stack, for cancel to see. */
typedef struct cio__worker {
    cio_op *cur; /* The op it runs, or NULL. */
    struct cio__worker *next;
    struct cio__worker *prev;
} cio__worker;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;   /* A job was queued. */
    cio_op *qhead, *qtail; /* The queue, through link.next. */
    unsigned qlen;         /* Jobs in the queue. */
    unsigned nthreads;     /* Threads alive. */
    unsigned nidle;        /* Of those, waiting for work. */
    unsigned max;          /* Limit on nthreads. */
    cio__worker *workers;  /* Every live thread's record. */
} cio__pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .max = CIO__POOL_DEFAULT_MAX,
};

static pthread_once_t cio__pool_once = PTHREAD_ONCE_INIT;
/* Set once a driver has configured the pool. Pool lock. */
static int cio__pool_configured;

static void
cio__pool_cond_init(void)
{
    pthread_condattr_t attr;
    /*
     * The idle timeout runs on the monotonic clock, so a wall-clock jump
     * neither kills every thread nor keeps them forever.
     */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CIO__POOL_CLOCK);
    pthread_cond_init(&cio__pool.work, &attr);
    pthread_condattr_destroy(&attr);
}

#ifndef _WIN32 /* Windows has no fork. */
/*
 * Fork: only the forking thread exists in the child. The prepare
 * handler takes the lock so the state is consistent at fork time; the
 * child then forgets the threads it no longer has. Jobs still queued
 * stay queued and get a thread at the next submit; jobs that were
 * running belong to threads that do not exist in the child and never
 * complete there.
 */
static void
cio__pool_prepare(void)
{
    pthread_mutex_lock(&cio__pool.lock);
}

static void
cio__pool_parent(void)
{
    pthread_mutex_unlock(&cio__pool.lock);
}

static void
cio__pool_child(void)
{
    pthread_mutex_init(&cio__pool.lock, NULL);
    cio__pool_cond_init();
    cio__pool.nthreads = 0;
    cio__pool.nidle = 0;
    cio__pool.workers = NULL;
}
#endif

static void
cio__pool_init(void)
{
    cio__pool_cond_init();
#ifndef _WIN32
    pthread_atfork(cio__pool_prepare, cio__pool_parent, cio__pool_child);
#endif
}

void
cio__pool_configure(unsigned max_threads)
{
    pthread_once(&cio__pool_once, cio__pool_init);
    pthread_mutex_lock(&cio__pool.lock);
    /*
     * The first configuration replaces the built-in default; after that
     * the largest value asked for wins, so one driver cannot starve
     * another by asking for fewer threads.
     */
    if (max_threads == 0)
        max_threads = CIO__POOL_DEFAULT_MAX;
    if (!cio__pool_configured || max_threads > cio__pool.max)
        cio__pool.max = max_threads;
    cio__pool_configured = 1;
    pthread_mutex_unlock(&cio__pool.lock);
}

unsigned
cio__pool_threads(void)
{
    unsigned n;
    pthread_mutex_lock(&cio__pool.lock);
    n = cio__pool.nthreads;
    pthread_mutex_unlock(&cio__pool.lock);
    return n;
}

void
cio__pool_sink_init(cio__pool_sink *sink, void (*wake)(void *), void *arg)
{
    sink->head = NULL;
    sink->tail = NULL;
    atomic_init(&sink->ready, 0);
    sink->wake = wake;
    sink->wake_arg = arg;
}

static cio__pool_sink *
cio__sink_of(cio_op *op)
{
    return (cio__pool_sink *)(void *)op->link.prev;
}

/* Append @op to its sink; the lock is held. */
static void
cio__sink_put(cio__pool_sink *sink, cio_op *op)
{
    op->link.next = NULL;
    if (sink->tail != NULL)
        sink->tail->link.next = op;
    else
        sink->head = op;
    sink->tail = op;
    atomic_store_explicit(&sink->ready, 1, memory_order_relaxed);
}

cio_op *
cio__pool_sink_take(cio__pool_sink *sink)
{
    cio_op *list;
    pthread_mutex_lock(&cio__pool.lock);
    list = sink->head;
    sink->head = NULL;
    sink->tail = NULL;
    atomic_store_explicit(&sink->ready, 0, memory_order_relaxed);
    pthread_mutex_unlock(&cio__pool.lock);
    return list;
}

static cio_op *
cio__pool_dequeue(void)
{
    cio_op *op = cio__pool.qhead;
    cio__pool.qhead = op->link.next;
    if (cio__pool.qhead == NULL)
        cio__pool.qtail = NULL;
    cio__pool.qlen--;
    op->link.next = NULL;
    return op;
}

static void *
cio__pool_main(void *unused)
{
    cio__worker self = {0};
    struct timespec deadline;
    (void)unused;

    pthread_mutex_lock(&cio__pool.lock);
    self.next = cio__pool.workers;
    if (self.next != NULL)
        self.next->prev = &self;
    cio__pool.workers = &self;

    for (;;) {
        cio_op *op;
        cio__pool_sink *sink;
        int32_t r;
        int was_empty;

        if (cio__pool.qhead == NULL) {
            clock_gettime(CIO__POOL_CLOCK, &deadline);
            deadline.tv_sec += CIO__POOL_IDLE_SEC;
            cio__pool.nidle++;
            while (cio__pool.qhead == NULL) {
                if (pthread_cond_timedwait(&cio__pool.work, &cio__pool.lock,
                                           &deadline) == ETIMEDOUT)
                    break;
            }
            cio__pool.nidle--;
            if (cio__pool.qhead == NULL)
                break;
        }

        op = cio__pool_dequeue();
        self.cur = op;
        pthread_mutex_unlock(&cio__pool.lock);

        r = cio__op_desc(op->opcode)->blocking(op);

        pthread_mutex_lock(&cio__pool.lock);
        self.cur = NULL;
        op->result = r;
        sink = cio__sink_of(op);
        was_empty = sink->head == NULL;
        cio__sink_put(sink, op);
        if (was_empty && sink->wake != NULL)
            sink->wake(sink->wake_arg);
    }

    if (self.prev != NULL)
        self.prev->next = self.next;
    else
        cio__pool.workers = self.next;
    if (self.next != NULL)
        self.next->prev = self.prev;
    cio__pool.nthreads--;
    pthread_mutex_unlock(&cio__pool.lock);
    return NULL;
}

/* Start one more thread; the lock is held. 0 or -errno. */
static int
cio__pool_spawn(void)
{
    pthread_attr_t attr;
    pthread_t tid;
#ifndef _WIN32
    sigset_t all, old;
#endif
    int r;

    if (pthread_attr_init(&attr) != 0)
        return CIO_ENOMEM;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /*
     * Pool threads take no signals: the application's handlers expect
     * to run on its own threads, and a blocking syscall here should not
     * see EINTR.
     */
#ifdef _WIN32
    r = pthread_create(&tid, &attr, cio__pool_main, NULL);
#else
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r = pthread_create(&tid, &attr, cio__pool_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
#endif
    pthread_attr_destroy(&attr);
    if (r != 0)
        return -r;
    cio__pool.nthreads++;
    return 0;
}

int
cio__pool_submit(cio__pool_sink *sink, cio_op *op)
{
    int r = 0;

    if (sink == NULL || op == NULL || cio__op_desc(op->opcode) == NULL)
        return CIO_EINVAL;
    pthread_once(&cio__pool_once, cio__pool_init);

    pthread_mutex_lock(&cio__pool.lock);
    op->link.next = NULL;
    op->link.prev = (cio_op *)(void *)sink;
    if (cio__pool.qtail != NULL)
        cio__pool.qtail->link.next = op;
    else
        cio__pool.qhead = op;
    cio__pool.qtail = op;
    cio__pool.qlen++;

    if (cio__pool.qlen > cio__pool.nidle && cio__pool.nthreads < cio__pool.max)
        r = cio__pool_spawn();
    if (r < 0 && cio__pool.nthreads == 0) {
        /* Nobody will ever run it: take it back and report. */
        cio_op **pp = &cio__pool.qhead;
        cio_op *prev = NULL;
        while (*pp != op) {
            prev = *pp;
            pp = &(*pp)->link.next;
        }
        *pp = op->link.next;
        if (cio__pool.qtail == op)
            cio__pool.qtail = prev;
        cio__pool.qlen--;
        op->link.next = NULL;
        op->link.prev = NULL;
        pthread_mutex_unlock(&cio__pool.lock);
        return r == CIO_ENOMEM ? r : CIO_EAGAIN;
    }
    /*
     * A spawn that failed while other threads live is not an error: the
     * job waits for one of them.
     */
    if (cio__pool.nidle > 0)
        pthread_cond_signal(&cio__pool.work);
    pthread_mutex_unlock(&cio__pool.lock);
    return 0;
}

/* Unlink *@pp (whose predecessor is @prev) from the queue; lock held. */
static void
cio__pool_unqueue(cio_op **pp, cio_op *prev)
{
    cio_op *op = *pp;
    *pp = op->link.next;
    if (cio__pool.qtail == op)
        cio__pool.qtail = prev;
    cio__pool.qlen--;
    op->link.next = NULL;
}

int
cio__pool_cancel(cio__pool_sink *sink, cio_op *op)
{
    cio_op **pp, *prev = NULL;
    cio__worker *w;
    int r = CIO_ENOENT;

    pthread_once(&cio__pool_once, cio__pool_init);
    pthread_mutex_lock(&cio__pool.lock);
    /*
     * A linear search: cancel is rare, and keeping a per-op position
     * would need room in the op that the pool does not have.
     */
    for (pp = &cio__pool.qhead; *pp != NULL; pp = &(*pp)->link.next) {
        if (*pp == op && cio__sink_of(op) == sink) {
            cio__pool_unqueue(pp, prev);
            op->link.prev = NULL;
            r = 0;
            goto out;
        }
        prev = *pp;
    }
    for (w = cio__pool.workers; w != NULL; w = w->next) {
        if (w->cur == op) {
            r = CIO_EALREADY;
            break;
        }
    }
out:
    pthread_mutex_unlock(&cio__pool.lock);
    return r;
}

unsigned
cio__pool_cancel_sink(cio__pool_sink *sink)
{
    cio_op **pp, *prev = NULL;
    unsigned n = 0;

    pthread_once(&cio__pool_once, cio__pool_init);
    pthread_mutex_lock(&cio__pool.lock);
    pp = &cio__pool.qhead;
    while (*pp != NULL) {
        cio_op *op = *pp;
        if (cio__sink_of(op) != sink) {
            prev = op;
            pp = &op->link.next;
            continue;
        }
        cio__pool_unqueue(pp, prev);
        op->result = CIO_ECANCELED;
        cio__sink_put(sink, op);
        n++;
    }
    pthread_mutex_unlock(&cio__pool.lock);
    return n;
}
