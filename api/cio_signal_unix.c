/* SPDX-License-Identifier: MIT */
/*
 * cio_signal_unix.c - process-wide signal delivery fanned out to
 * listeners on any runtime.
 *
 * Why a handler, a self-pipe and a watcher thread (and not signalfd or
 * posts from the handler):
 *
 * - A signal is process-wide but runtimes are per thread, and several
 *   may listen to the same signal. Something has to fan one delivery
 *   out to all of them.
 * - A handler may only do async-signal-safe things: no locks, no
 *   malloc, no cio_runtime_post. Ours bumps a lock-free per-signal
 *   counter and writes one byte to a non-blocking self-pipe, nothing
 *   else. If the pipe is full the byte is dropped but the count is not:
 *   the watcher is already due to wake and reads the counters.
 * - signalfd needs the signal blocked in every thread of the process,
 *   including threads the application made before us; that is
 *   intrusive and silently breaks code that expects its handlers to run.
 *   The handler leaves the application's signal masks alone.
 * - The watcher thread blocks every signal (so it never runs the
 *   handler itself), reads the self-pipe, and under the registry lock
 *   adds each counter to the eventfd of every listener of that signal.
 *   The lock is what makes unlisten safe: once a listener is off the
 *   list, nobody writes to its descriptor, so closing it cannot make a
 *   write land on a reused descriptor number.
 * - A listener's eventfd is both the count (eventfd sums writes; a read
 *   returns the sum and resets it, which is exactly "deliveries since
 *   the last wait") and the thing a task waits on: a READ op, which
 *   honours cancel and deadlines in the runtime for free, on every
 *   backend. A cancelled read consumed nothing, so nothing is lost.
 *   Where eventfd is missing a pipe stands in (one byte per delivery,
 *   saturating at what one write and one read move).
 *
 * The thread and the self-pipe live only while some listener exists:
 * the last unlisten stops and joins the thread and closes the pipe, so
 * a program (or a test counting descriptors) that stops listening gets
 * everything back. The handler may still be running on another thread
 * at that moment (a signal that came just before the old disposition
 * was restored), so it announces itself in a counter and the teardown
 * waits for that counter to drop before the pipe's number is released.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_EVENTFD
#include <sys/eventfd.h>
#endif

#include "cio_api_internal.h"
#include "compio/signal.h"

#if defined(NSIG)
#define SIG_MAX NSIG
#elif defined(_NSIG)
#define SIG_MAX _NSIG
#else
#define SIG_MAX 65
#endif

struct cio_signal_listener {
    cio_signal_listener *next; /* In the registry list of its signal. */
    int signo;
    cio_fd rfd; /* What a wait reads: the eventfd or a pipe's read end. */
    cio_fd wfd; /* What the watcher writes: the same eventfd, or the
                   pipe's write end. */
};

/*
 * "life" serialises listen and unlisten, including starting and joining
 * the watcher; "reg" guards the lists, which the watcher walks. Order:
 * life before reg. The watcher takes only reg, so unlisten may join it
 * while holding life.
 */
static pthread_mutex_t life = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t reg = PTHREAD_MUTEX_INITIALIZER;

static struct {
    cio_signal_listener *list[SIG_MAX]; /* under reg */
    struct sigaction saved[SIG_MAX];    /* under life */
    unsigned nlisten;                   /* under life */
    int running;                        /* under life */
    int stop;                           /* under reg */
    int pipe_r;                         /* the watcher's end */
    pthread_t thread;
} sg;

/* Touched by the handler: lock-free atomics only. */
static atomic_uint pending[SIG_MAX];
static atomic_int pipe_w = -1;
static atomic_int in_handler;

static void
on_signal(int signo)
{
    int saved_errno = errno;
    char b = 0;
    int fd;

    atomic_fetch_add(&in_handler, 1);
    if (signo > 0 && signo < SIG_MAX)
        atomic_fetch_add(&pending[signo], 1);
    fd = atomic_load(&pipe_w);
    if (fd >= 0 && write(fd, &b, 1) < 0) {
        /* Full (the watcher will wake anyway) or closing: the count is
         * what matters. */
    }
    atomic_fetch_sub(&in_handler, 1);
    errno = saved_errno;
}

/* ---- a listener's counter: an eventfd, or a pipe where there is none */

static int
notify_open(cio_signal_listener *l)
{
#ifdef HAVE_EVENTFD
    int fd = eventfd(0, EFD_CLOEXEC);

    if (fd < 0)
        return -errno;
    l->rfd = l->wfd = fd;
#else
    int p[2];

    if (pipe(p) < 0)
        return -errno;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    l->rfd = p[0];
    l->wfd = p[1];
#endif
    return 0;
}

/* The watcher, under reg: add @n deliveries to @l. */
static void
notify_post(cio_signal_listener *l, unsigned n)
{
#ifdef HAVE_EVENTFD
    uint64_t v = n;

    /* Fails only if the sum would pass 2^64 - 2: not in this universe. */
    while (write(l->wfd, &v, sizeof v) < 0 && errno == EINTR)
        ;
#else
    char bytes[256];
    size_t len = n < sizeof bytes ? n : sizeof bytes;

    memset(bytes, 0, len);
    while (write(l->wfd, bytes, len) < 0 && errno == EINTR)
        ;
#endif
}

static void
notify_close(cio_signal_listener *l)
{
    if (l->wfd != l->rfd && l->wfd != CIO_INVALID_FD)
        close(l->wfd);
    if (l->rfd != CIO_INVALID_FD)
        cio__api_close(l->rfd);
    l->rfd = l->wfd = CIO_INVALID_FD;
}

int64_t
cio_signal_wait(cio_signal_listener *l)
{
#ifdef HAVE_EVENTFD
    uint64_t v = 0;
#else
    char v[256];
#endif
    cio_op op;
    int32_t r;

    if (l == NULL)
        return CIO_EINVAL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    cio_op_read(&op, l->rfd, &v, sizeof v);
    r = cio_submit_wait(&op);
    if (r < 0)
        return r;
#ifdef HAVE_EVENTFD
    if (r != (int32_t)sizeof v || v == 0)
        return CIO_EIO;
    return v > INT64_MAX ? INT64_MAX : (int64_t)v;
#else
    return r > 0 ? r : CIO_EIO;
#endif
}

int
cio_signal_number(const cio_signal_listener *l)
{
    return l != NULL ? l->signo : CIO_EINVAL;
}

/* ---- the watcher ---- */

static void *
watcher_main(void *arg)
{
    char buf[64];
    ssize_t n;
    int sig;

    (void)arg;
    for (;;) {
        n = read(sg.pipe_r, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        pthread_mutex_lock(&reg);
        if (sg.stop || n <= 0) {
            pthread_mutex_unlock(&reg);
            break;
        }
        for (sig = 1; sig < SIG_MAX; sig++) {
            unsigned c = atomic_exchange(&pending[sig], 0);
            cio_signal_listener *l;

            if (c == 0)
                continue;
            for (l = sg.list[sig]; l != NULL; l = l->next)
                notify_post(l, c);
        }
        pthread_mutex_unlock(&reg);
    }
    return NULL;
}

/* Under life: make the self-pipe and start the watcher. 0 or -errno. */
static int
watcher_start(void)
{
    sigset_t all, old;
    int p[2], r;

#ifdef HAVE_PIPE2
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
#else
    if (pipe(p) < 0)
        return -errno;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
#endif
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    sg.pipe_r = p[0];
    sg.stop = 0;
    atomic_store(&pipe_w, p[1]);
    /* The thread inherits this mask: it never runs the handler. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r = pthread_create(&sg.thread, NULL, watcher_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        atomic_store(&pipe_w, -1);
        close(p[0]);
        close(p[1]);
        return -r;
    }
    sg.running = 1;
    return 0;
}

/* Under life, with no listener left (so no handler installed). */
static void
watcher_stop(void)
{
    char b = 1;
    int w = atomic_load(&pipe_w);

    pthread_mutex_lock(&reg);
    sg.stop = 1;
    pthread_mutex_unlock(&reg);
    while (write(w, &b, 1) < 0 && errno == EINTR)
        ;
    pthread_join(sg.thread, NULL);
    /* A handler that started before the disposition went back may still
     * hold the number: wait for it before the number can be reused. */
    atomic_store(&pipe_w, -1);
    while (atomic_load(&in_handler) != 0)
        sched_yield();
    close(w);
    close(sg.pipe_r);
    sg.pipe_r = -1;
    sg.running = 0;
}

/* ---- listen / unlisten ---- */

/* Signals that cannot be caught, or whose handler must not return. */
static int
forbidden(int signo)
{
    return signo == SIGKILL || signo == SIGSTOP || signo == SIGSEGV ||
           signo == SIGBUS || signo == SIGFPE || signo == SIGILL;
}

/* Under life and reg: take @l off its list; non-zero if it was last. */
static int
list_remove(cio_signal_listener *l)
{
    cio_signal_listener **pp = &sg.list[l->signo];

    while (*pp != NULL && *pp != l)
        pp = &(*pp)->next;
    if (*pp == l)
        *pp = l->next;
    l->next = NULL;
    return sg.list[l->signo] == NULL;
}

int
cio_signal_listen(cio_signal_listener **out, int signo)
{
    cio_signal_listener *l;
    struct sigaction sa;
    int first, r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (signo <= 0 || signo >= SIG_MAX || forbidden(signo))
        return CIO_EINVAL;
    if (cio_runtime_current() == NULL)
        return CIO_EPERM;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return CIO_ENOMEM;
    l->signo = signo;
    l->rfd = l->wfd = CIO_INVALID_FD;
    r = notify_open(l);
    if (r == 0)
        r = cio__api_attach(l->rfd);
    if (r < 0)
        goto fail;

    pthread_mutex_lock(&life);
    if (!sg.running) {
        r = watcher_start();
        if (r < 0) {
            pthread_mutex_unlock(&life);
            goto fail;
        }
    }
    /* On the list before the handler is in, so no delivery misses it. */
    pthread_mutex_lock(&reg);
    first = sg.list[signo] == NULL;
    if (first)
        atomic_store(&pending[signo], 0);
    l->next = sg.list[signo];
    sg.list[signo] = l;
    pthread_mutex_unlock(&reg);
    if (first) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigfillset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART | SA_ONSTACK;
        if (sigaction(signo, &sa, &sg.saved[signo]) < 0) {
            r = -errno;
            pthread_mutex_lock(&reg);
            list_remove(l);
            pthread_mutex_unlock(&reg);
            if (sg.nlisten == 0)
                watcher_stop();
            pthread_mutex_unlock(&life);
            goto fail;
        }
    }
    sg.nlisten++;
    pthread_mutex_unlock(&life);
    *out = l;
    return 0;

fail:
    notify_close(l);
    free(l);
    return r;
}

int
cio_signal_unlisten(cio_signal_listener *l)
{
    int last, r = 0;

    if (l == NULL)
        return 0;
    pthread_mutex_lock(&life);
    pthread_mutex_lock(&reg);
    last = list_remove(l);
    pthread_mutex_unlock(&reg);
    if (last && sigaction(l->signo, &sg.saved[l->signo], NULL) < 0)
        r = -errno;
    if (--sg.nlisten == 0)
        watcher_stop();
    pthread_mutex_unlock(&life);
    /* Off the list: the watcher no longer writes to it. */
    notify_close(l);
    free(l);
    return r;
}
