/* SPDX-License-Identifier: MIT */
/*
 * tcp_server.c - one runtime per worker thread (cio_dispatcher), each
 * with its own listener on the same port (SO_REUSEPORT, so the kernel
 * spreads connections over them), its own accept loop and one task per
 * connection. See tcp_server.h.
 *
 * Start-up runs in two rounds of dispatches from the main thread. The
 * first sets each worker up in turn and waits for it: worker 0 binds
 * first, so with --port 0 the others bind the port it was given; each
 * also listens for SIGINT and SIGTERM on its runtime (every listener
 * sees every delivery; the signals stay blocked until all listen).
 * Then the address is printed and the second round starts each
 * worker's serving task without waiting. The main thread then sits in
 * cio_dispatcher_free until all of those returned.
 *
 * A serving task runs the accept loop and a task per signal, and waits
 * on an event that a signal sets. It then cancels the accept loop,
 * cancels every connection task that is running (one spawned but not
 * started yet sees the stop flag and only closes its socket), waits
 * until the last one is gone and frees what it made.
 */
#define _GNU_SOURCE 1
#include "tcp_server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>
#include <compio/signal.h>

typedef struct server server;
typedef struct worker worker;

/* One accepted connection, on its worker's list while its task lives. */
typedef struct conn {
    struct conn *prev, *next;
    worker *w;
    cio_task *task; /* Valid while on the list. */
    cio_tcp_stream *s;
    int started; /* The task is running (cancel is safe). */
} conn;

struct worker {
    server *srv;
    unsigned index;
    cio_tcp_listener *l;
    cio_signal_listener *sig[2];
    int up; /* Set up; the serving task has to clean up. */
    char backend[32];
    cio_event stop;    /* Set by a signal. */
    cio_event drained; /* Set when the last connection is gone. */
    conn *conns;
    unsigned long nconns;
    unsigned long accepted; /* Connections taken, for the last message. */
    int stopping;
    int signo; /* The signal that stopped us. */
};

struct server {
    const tcp_server_opts *o;
    cio_sockaddr addr; /* The port becomes worker 0's choice. */
    worker *w;
    int failed;            /* Some worker could not start: stop at once. */
#ifndef _WIN32
    sigset_t stop_signals; /* SIGINT and SIGTERM. */
#endif
};

void
tcp_server_opts_init(tcp_server_opts *o, const char *prog)
{
    memset(o, 0, sizeof *o);
    o->prog = prog;
    o->host = "127.0.0.1";
    o->threads = 1;
}

/* A decimal in [lo, hi] from @s into *@v; -1 if it is not one. */
static int
parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *v)
{
    char *end;

    errno = 0;
    *v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || *v < lo ||
        *v > hi)
        return -1;
    return 0;
}

int
tcp_server_opt(tcp_server_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    unsigned long v;

    if (strcmp(a, "--pin") == 0) {
        o->pin = 1;
        return 1;
    }
    if (*i + 1 >= argc)
        return 0;
    if (strcmp(a, "--host") == 0) {
        o->host = argv[++*i];
    } else if (strcmp(a, "--backend") == 0) {
        o->backend = argv[++*i];
    } else if (strcmp(a, "--port") == 0) {
        if (parse_uint(argv[++*i], 0, 65535, &v) < 0)
            return -1;
        o->port = (unsigned)v;
    } else if (strcmp(a, "--threads") == 0) {
        if (parse_uint(argv[++*i], 1, 1024, &v) < 0)
            return -1;
        o->threads = (unsigned)v;
    } else {
        return 0;
    }
    return 1;
}

/* ---- connections ---- */

static int
conn_task(void *arg)
{
    conn *c = arg;
    worker *w = c->w;

    c->started = 1;
    if (!w->stopping)
        w->srv->o->handle(c->s, w->srv->o->ctx);
    cio_tcp_close(c->s);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (--w->nconns == 0 && w->stopping)
        cio_event_set(&w->drained);
    free(c);
    return 0;
}

/* Start a task for @s; on failure the connection is dropped. */
static void
conn_start(worker *w, cio_tcp_stream *s)
{
    conn *c = calloc(1, sizeof *c);

    if (c == NULL) {
        cio_tcp_close(s);
        return;
    }
    c->w = w;
    c->s = s;
    if (cio_spawn(&c->task, conn_task, c) < 0) {
        cio_tcp_close(s);
        free(c);
        return;
    }
    c->next = w->conns;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    cio_detach(c->task);
}

static int
accept_task(void *arg)
{
    worker *w = arg;
    cio_tcp_stream *s;
    int r, warned = 0;

    for (;;) {
        r = cio_tcp_accept(w->l, &s, NULL);
        if (r == 0 && cio_cancelled()) {
            cio_tcp_close(s);
            break;
        }
        if (r == 0) {
            w->accepted++;
            conn_start(w, s);
            continue;
        }
        if (r == CIO_ECANCELED || cio_cancelled())
            break;
        if (r == CIO_ECONNABORTED || r == CIO_EINTR)
            continue;
        /* Out of descriptors or memory: back off instead of spinning. */
        if (!warned++)
            fprintf(stderr, "%s: accept: %s (backing off)\n", w->srv->o->prog,
                    cio_strerror(r));
        if (cio_sleep(100 * CIO_NS_PER_MS) == CIO_ECANCELED)
            break;
    }
    return 0;
}

/* ---- signals ---- */

static int
signal_task(void *arg)
{
    cio_signal_listener *l = arg;
    worker *w = cio_task_get_data(cio_current());

    if (cio_signal_wait(l) > 0) {
        if (w->signo == 0)
            w->signo = cio_signal_number(l);
        cio_event_set(&w->stop);
    }
    return 0;
}

/* ---- a worker's two dispatched tasks ---- */

static int
worker_setup(void *arg)
{
    worker *w = arg;
    server *srv = w->srv;
    cio_bind_opts bo = {0};
    cio_sockaddr local;
    const char *be;
    int r;

    cio_event_init(&w->stop);
    cio_event_init(&w->drained);
    if (srv->o->threads > 1)
        bo.flags = CIO_BIND_REUSEPORT;
    r = cio_tcp_listen(&w->l, &srv->addr, &bo);
    if (r < 0)
        return r;
    if (w->index == 0 && cio_tcp_listener_local_addr(w->l, &local) == 0)
        srv->addr = local;
    /* Without signals the server still works; it just dies on one. */
    if (cio_signal_listen(&w->sig[0], SIGINT) < 0 ||
        cio_signal_listen(&w->sig[1], SIGTERM) < 0)
        fprintf(stderr, "%s: cannot listen for signals\n", srv->o->prog);
    be = cio_driver_backend(cio_runtime_driver(cio_runtime_current()));
    snprintf(w->backend, sizeof w->backend, "%s", be != NULL ? be : "?");
    w->up = 1;
    return 0;
}

static void
worker_cleanup(worker *w)
{
    cio_tcp_listener_close(w->l);
    cio_signal_unlisten(w->sig[0]);
    cio_signal_unlisten(w->sig[1]);
}

static int
worker_serve(void *arg)
{
    worker *w = arg;
    cio_task *acc = NULL, *sig[2] = {NULL, NULL};
    conn *c, *next;
    int i;

    if (w->srv->failed) {
        worker_cleanup(w);
        return 0;
    }
#ifndef _WIN32
    /* Every worker listens by now: let the signals in (see the run). */
    pthread_sigmask(SIG_UNBLOCK, &w->srv->stop_signals, NULL);
#endif
    for (i = 0; i < 2; i++) {
        if (w->sig[i] == NULL ||
            cio_spawn(&sig[i], signal_task, w->sig[i]) < 0) {
            sig[i] = NULL;
            continue;
        }
        cio_task_set_data(sig[i], w);
    }
    if (cio_spawn(&acc, accept_task, w) < 0) {
        fprintf(stderr, "%s: worker %u: no accept task\n", w->srv->o->prog,
                w->index);
        acc = NULL;
    } else {
        cio_event_wait(&w->stop);
    }

    /* Stop accepting, then stop every connection and wait for them. */
    if (acc != NULL) {
        cio_cancel(acc);
        cio_join(acc);
    }
    for (i = 0; i < 2; i++) {
        if (sig[i] != NULL) {
            cio_cancel(sig[i]);
            cio_join(sig[i]);
        }
    }
    w->stopping = 1;
    for (c = w->conns; c != NULL; c = next) {
        next = c->next;
        if (c->started)
            cio_cancel(c->task);
    }
    while (w->nconns > 0)
        cio_event_wait(&w->drained);
    worker_cleanup(w);
    return 0;
}

/* ---- main thread ---- */

int
tcp_server_run(const tcp_server_opts *o)
{
    cio_dispatcher_opts dopts = {0};
    cio_dispatcher *d = NULL;
    cio_config *cfg = NULL;
    cio_runtime *probe;
    server srv = {0};
    char addr[CIO_SOCKADDR_STRLEN];
    unsigned long total = 0;
    unsigned i;
    int r, signo = 0;

    srv.o = o;
    if (cio_sockaddr_ip(&srv.addr, o->host, (uint16_t)o->port) < 0) {
        fprintf(stderr, "%s: bad address '%s'\n", o->prog, o->host);
        return 1;
    }
    /* --backend NAME: that backend or nothing (no fallback). */
    if (o->backend != NULL &&
        (cio_config_new(&cfg) < 0 ||
         cio_config_set(cfg, "runtime", "backend", o->backend) < 0 ||
         cio_config_set(cfg, "runtime", "fallback", "no") < 0)) {
        fprintf(stderr, "%s: bad backend '%s'\n", o->prog, o->backend);
        cio_config_free(cfg);
        return 1;
    }
    /*
     * Open one runtime here first: a worker's failure reaches us only as
     * an errno, while this thread can show cio_error_detail().
     */
    r = cio_runtime_new(&probe, cfg);
    if (r < 0) {
        fprintf(stderr, "%s: no runtime: %s\n%s\n", o->prog, cio_strerror(r),
                cio_error_detail());
        cio_config_free(cfg);
        return 1;
    }
    cio_runtime_free(probe);

#ifndef _WIN32
    /* A peer that goes away must not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    /*
     * Hold SIGINT and SIGTERM back (the workers inherit the mask) until
     * every worker listens for them, so none can come when only some do
     * and stop only those. Each serving task lets them in on its thread;
     * this thread keeps them blocked. Windows has neither SIGPIPE nor
     * signal masks: its console events come on a thread of their own.
     */
    sigemptyset(&srv.stop_signals);
    sigaddset(&srv.stop_signals, SIGINT);
    sigaddset(&srv.stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &srv.stop_signals, NULL);
#endif
    dopts.threads = o->threads;
    dopts.pin = o->pin;
    dopts.cfg = cfg;
    r = cio_dispatcher_new(&d, &dopts);
    cio_config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "%s: cannot start %u workers: %s\n", o->prog,
                o->threads, cio_strerror(r));
        return 1;
    }
    srv.w = calloc(o->threads, sizeof *srv.w);
    if (srv.w == NULL) {
        cio_dispatcher_free(d);
        return 1;
    }
    for (i = 0; i < o->threads; i++) {
        srv.w[i].srv = &srv;
        srv.w[i].index = i;
        r = cio_dispatch(d, (int)i, worker_setup, &srv.w[i]);
        if (r < 0) {
            cio_sockaddr_format(&srv.addr, addr, sizeof addr);
            fprintf(stderr, "%s: worker %u: listen on %s: %s\n", o->prog, i,
                    addr, cio_strerror(r));
            srv.failed = 1;
            break;
        }
    }
    if (!srv.failed) {
        cio_sockaddr_format(&srv.addr, addr, sizeof addr);
        printf("listening on %s (backend %s, %u thread%s)\n", addr,
               srv.w[0].backend, o->threads, o->threads == 1 ? "" : "s");
        fflush(stdout);
    }
    for (i = 0; i < o->threads; i++)
        if (srv.w[i].up &&
            cio_dispatch_detached(d, (int)i, worker_serve, &srv.w[i]) < 0)
            srv.failed = 1; /* Cannot happen before the free; be safe. */
    cio_dispatcher_free(d);
    if (srv.failed) {
        free(srv.w);
        return 1;
    }
    for (i = 0; i < o->threads; i++) {
        total += srv.w[i].accepted;
        if (srv.w[i].signo != 0)
            signo = srv.w[i].signo;
    }
    fprintf(stderr, "%s: stopped by %s after %lu connections (", o->prog,
            signo == SIGINT ? "SIGINT" : "SIGTERM", total);
    for (i = 0; i < o->threads; i++)
        fprintf(stderr, "%s%lu", i > 0 ? ", " : "", srv.w[i].accepted);
    fprintf(stderr, " per worker)\n");
    free(srv.w);
    return 0;
}
