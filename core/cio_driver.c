/* SPDX-License-Identifier: MIT */
/*
 * cio_driver.c - the driver facade: one loaded backend instance plus its
 * link to the blocking pool, behind cio_driver_*.
 *
 * Where an op is (op->link.state, with op->link.owner = the driver):
 *   MODULE  the backend holds it; it is on the circular "active" list
 *           through link.next/prev, so close can cancel it;
 *   POOL    the pool holds it (and link.next/prev, see cio_pool.h);
 *   READY   completed, on the FIFO ready list through link.next, until
 *           cio_driver_poll hands it back.
 * Delivery clears owner and state, so the op may be pushed again.
 *
 * The push/complete/poll path takes no lock, makes no syscall and never
 * allocates: the pool is looked at through one relaxed atomic load.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cio_facade.h"
#include "cio_internal.h"
#include "cio_pool.h"

enum {
    CIO__ST_IDLE = 0,
    CIO__ST_MODULE = 1,
    CIO__ST_POOL = 2,
    CIO__ST_READY = 3
};

/* How the facade carries out an opcode (cached at open). */
enum {
    CIO__ROUTE_POOL = 0,   /* Blocking implementation on the pool. */
    CIO__ROUTE_MODULE = 1, /* The backend's submit. */
    CIO__ROUTE_FACADE = 2  /* Done here (ASYNC_CANCEL). */
};

/* A copied [module.<name>] value (see cio__driver_config_get). */
typedef struct cio__memo {
    struct cio__memo *next;
    char *key;
    char *value; /* NULL: the key is unset. */
} cio__memo;

struct cio_driver {
    /* Hot: touched on every push and poll. */
    int (*submit)(void *state, cio_op *op); /* ops->submit, one load less. */
    int (*wait)(void *state, int64_t timeout_ns); /* ops->wait. */
    void *state;
    unsigned inflight;
    unsigned nready;
    cio_op *ready_head;
    cio_op *ready_tail;
    uint8_t route[CIO_OP__COUNT];
    cio__pool_sink sink;
    /* Sentinel of the circular list of ops the module holds. */
    cio_op active;
    /* Cold. */
    const cio_backend_ops *ops;
    cio_host host;
    cio__module *mod;
    cio__memo *memo;
};

/* An optional member of the backend vtable, if the module has it. */
#define CIO__HAS_OP(ops_, m_)                                                  \
    ((ops_)->size >= offsetof(cio_backend_ops, m_) + sizeof((ops_)->m_) &&     \
     (ops_)->m_ != NULL)

/* ---- lists ---- */

static void
cio__active_add(cio_driver *drv, cio_op *op)
{
    cio_op *tail = drv->active.link.prev;
    op->link.next = &drv->active;
    op->link.prev = tail;
    tail->link.next = op;
    drv->active.link.prev = op;
}

static void
cio__active_del(cio_op *op)
{
    op->link.prev->link.next = op->link.next;
    op->link.next->link.prev = op->link.prev;
    op->link.next = NULL;
    op->link.prev = NULL;
}

/* @op is complete with its result set: queue it for delivery. */
static void
cio__ready_put(cio_driver *drv, cio_op *op)
{
    op->link.state = CIO__ST_READY;
    op->link.next = NULL;
    if (drv->ready_tail != NULL)
        drv->ready_tail->link.next = op;
    else
        drv->ready_head = op;
    drv->ready_tail = op;
    drv->nready++;
}

static void
cio__ready_fail(cio_driver *drv, cio_op *op, int32_t result)
{
    op->result = result;
    cio__ready_put(drv, op);
}

/* Move what the pool finished for us to the ready list. */
static void
cio__drain_sink(cio_driver *drv)
{
    cio_op *op = cio__pool_sink_take(&drv->sink);
    while (op != NULL) {
        cio_op *next = op->link.next;
        op->link.prev = NULL;
        cio__ready_put(drv, op);
        op = next;
    }
}

/* Hand back @op: the caller owns it again. */
static void
cio__release_op(cio_driver *drv, cio_op *op)
{
    op->link.next = NULL;
    op->link.owner = NULL;
    op->link.state = CIO__ST_IDLE;
    drv->inflight--;
}

/* ---- called by the host API (cio_host.c) ---- */

void
cio__driver_complete(cio_driver *drv, cio_op *op, int32_t result,
                     uint32_t cflags)
{
    if (op == NULL || op->link.owner != drv ||
        op->link.state != CIO__ST_MODULE) {
        /* A module bug; ignoring it keeps the lists intact. */
        cio__log(CIO_LOG_ERROR,
                 "%s: complete() on an op the backend does not hold",
                 drv->host.module_name);
        return;
    }
    cio__active_del(op);
    op->result = result;
    op->cflags = cflags;
    cio__ready_put(drv, op);
}

int
cio__driver_pool_submit(cio_driver *drv, cio_op *op)
{
    int r;
    if (op->link.owner != drv || op->link.state != CIO__ST_MODULE)
        return CIO_EINVAL;
    cio__active_del(op);
    op->link.state = CIO__ST_POOL;
    r = cio__pool_submit(&drv->sink, op);
    if (r < 0) {
        op->link.state = CIO__ST_MODULE;
        cio__active_add(drv, op);
    }
    return r;
}

const char *
cio__driver_config_get(cio_driver *drv, const char *key)
{
    cio__memo *m;
    const char *v;

    for (m = drv->memo; m != NULL; m = m->next)
        if (strcmp(m->key, key) == 0)
            return m->value;
    /* The configuration is only at hand while cio_driver_open runs. */
    if (drv->host.cfg == NULL)
        return NULL;
    v = cio__config_module_get(drv->host.cfg, drv->host.module_name, key);
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->key = strdup(key);
    m->value = v != NULL ? strdup(v) : NULL;
    if (m->key == NULL || (v != NULL && m->value == NULL)) {
        free(m->key);
        free(m->value);
        free(m);
        return NULL;
    }
    m->next = drv->memo;
    drv->memo = m;
    return m->value;
}

/* The pool's wake hook: the backend's thread-safe notify. */
static void
cio__driver_wake(void *arg)
{
    cio_driver *drv = arg;
    drv->ops->notify(drv->state);
}

/* ---- open / close ---- */

static void
cio__driver_free(cio_driver *drv)
{
    while (drv->memo != NULL) {
        cio__memo *m = drv->memo;
        drv->memo = m->next;
        free(m->key);
        free(m->value);
        free(m);
    }
    if (drv->mod != NULL)
        cio__loader_release(drv->mod);
    free(drv);
}

int
cio_driver_open(cio_driver **out, const cio_config *cfg)
{
    cio_config *own = NULL;
    cio_driver *drv;
    const cio_backend_module *desc;
    unsigned i;
    int r;

    cio__clear_detail();
    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (cfg == NULL) {
        r = cio__config_default(&own);
        if (r < 0)
            return r;
        cfg = own;
    }
    drv = calloc(1, sizeof(*drv));
    if (drv == NULL) {
        cio_config_free(own);
        return CIO_ENOMEM;
    }
    r = cio__loader_acquire(cfg, &drv->mod);
    if (r < 0) {
        cio__driver_free(drv);
        cio_config_free(own);
        return r;
    }

    desc = drv->mod->desc;
    drv->ops = desc->ops;
    drv->submit = desc->ops->submit;
    drv->wait = desc->ops->wait;
    drv->active.link.next = &drv->active;
    drv->active.link.prev = &drv->active;
    cio__host_init(&drv->host, drv, cfg, desc->name);
    cio__pool_sink_init(&drv->sink, cio__driver_wake, drv);
    cio__pool_configure(cio__config_threadpool_max(cfg));

    r = drv->ops->create(&cio__host_api, &drv->host, cio__config_entries(cfg),
                         &drv->state);
    /* From here on config_get answers from the copies it made. */
    drv->host.cfg = NULL;
    cio_config_free(own);
    if (r < 0) {
        cio__set_detail("backend '%s' failed to start: %s", desc->name,
                        drv->host.reason[0] != '\0' ? drv->host.reason
                                                    : cio_strerror(r));
        cio__driver_free(drv);
        return r;
    }

    /*
     * Ask the backend once per opcode now, so push is a table lookup.
     * ASYNC_CANCEL is always the facade's: it must find ops wherever
     * they are, in the backend or in the pool.
     */
    for (i = 0; i < CIO_OP__COUNT; i++)
        drv->route[i] = drv->ops->supports(drv->state, i) ? CIO__ROUTE_MODULE
                                                          : CIO__ROUTE_POOL;
    drv->route[CIO_OP_ASYNC_CANCEL] = CIO__ROUTE_FACADE;

    *out = drv;
    return 0;
}

/* Deliver nothing: give every ready op back without telling anyone. */
static void
cio__discard_ready(cio_driver *drv)
{
    while (drv->ready_head != NULL) {
        cio_op *op = drv->ready_head;
        drv->ready_head = op->link.next;
        cio__release_op(drv, op);
    }
    drv->ready_tail = NULL;
    drv->nready = 0;
}

void
cio_driver_close(cio_driver *drv)
{
    cio_op pending;
    uint64_t start, warned = 0;

    if (drv == NULL)
        return;

    /*
     * Cancel what the backend holds. The list moves to a local sentinel
     * first and each op goes back before its cancel, so a cancel that
     * completes ops inline (this one or others) unlinks them safely.
     */
    if (drv->active.link.next != &drv->active) {
        pending.link.next = drv->active.link.next;
        pending.link.prev = drv->active.link.prev;
        pending.link.next->link.prev = &pending;
        pending.link.prev->link.next = &pending;
        drv->active.link.next = &drv->active;
        drv->active.link.prev = &drv->active;
        while (pending.link.next != &pending) {
            cio_op *op = pending.link.next;
            cio__active_del(op);
            cio__active_add(drv, op);
            drv->ops->cancel(drv->state, op);
        }
    }
    /* Jobs the pool has not started end now; running ones are awaited. */
    cio__pool_cancel_sink(&drv->sink);

    start = cio__host_api.now_ns();
    for (;;) {
        uint64_t waited_s;
        int r;
        cio__drain_sink(drv);
        cio__discard_ready(drv);
        if (drv->inflight == 0)
            break;
        r = drv->ops->wait(drv->state, 1000000000);
        if (r < 0) {
            /* Keep trying: returning would leave ops in the backend. */
            struct timespec ts = {0, 10000000};
            cio__log(CIO_LOG_ERROR, "%s: wait failed during close: %s",
                     drv->host.module_name, cio_strerror(r));
            nanosleep(&ts, NULL);
        }
        /*
         * Measured, not counted: a completion backend returns from each
         * wait as soon as anything completes.
         */
        waited_s = (cio__host_api.now_ns() - start) / 1000000000u;
        if (waited_s >= warned + 10) {
            warned = waited_s;
            cio__log(CIO_LOG_WARN,
                     "%s: close still waits for %u op(s) in flight",
                     drv->host.module_name, drv->inflight);
        }
    }

    /*
     * Nothing is in flight, and the pool calls the sink's wake only
     * under its lock, which the last drain took: no thread still sees
     * this driver.
     */
    drv->ops->destroy(drv->state);
    cio__driver_free(drv);
}

/* ---- queries ---- */

const char *
cio_driver_backend(const cio_driver *drv)
{
    return drv != NULL ? drv->mod->desc->name : NULL;
}

int
cio_driver_supports(const cio_driver *drv, unsigned opcode)
{
    if (drv == NULL || opcode >= CIO_OP__COUNT)
        return CIO_EINVAL;
    return drv->route[opcode] == CIO__ROUTE_POOL ? CIO_SUPPORT_POOLED
                                                 : CIO_SUPPORT_NATIVE;
}

unsigned
cio_driver_inflight(const cio_driver *drv)
{
    return drv != NULL ? drv->inflight : 0;
}

int
cio_driver_attach(cio_driver *drv, cio_fd fd)
{
    if (drv == NULL)
        return CIO_EINVAL;
    if (!CIO__HAS_OP(drv->ops, attach))
        return 0;
    return drv->ops->attach(drv->state, fd);
}

int
cio_driver_flush(cio_driver *drv)
{
    if (drv == NULL)
        return CIO_EINVAL;
    if (!CIO__HAS_OP(drv->ops, flush))
        return 0;
    return drv->ops->flush(drv->state);
}

int
cio_driver_notify(cio_driver *drv)
{
    if (drv == NULL)
        return CIO_EINVAL;
    return drv->ops->notify(drv->state);
}

/* ---- push / cancel / poll ---- */

int
cio_driver_cancel(cio_driver *drv, cio_op *op)
{
    int r;

    if (drv == NULL || op == NULL)
        return CIO_EINVAL;
    if (op->link.owner != drv)
        return CIO_ENOENT;
    switch (op->link.state) {
    case CIO__ST_MODULE:
        return drv->ops->cancel(drv->state, op);
    case CIO__ST_POOL:
        r = cio__pool_cancel(&drv->sink, op);
        if (r == 0) {
            op->link.prev = NULL;
            cio__ready_fail(drv, op, CIO_ECANCELED);
        }
        return r;
    default:
        /* Already complete, waiting to be delivered. */
        return CIO_ENOENT;
    }
}

int
cio_driver_push(cio_driver *drv, cio_op *op)
{
    int r;

    if (drv == NULL || op == NULL || op->opcode >= CIO_OP__COUNT)
        return CIO_EINVAL;
    if (op->link.owner != NULL)
        return CIO_EBUSY;
    op->link.owner = drv;
    /* result doubles as scratch for the connect attempt: start clean. */
    op->result = 0;
    op->cflags = 0;
    drv->inflight++;

    switch (drv->route[op->opcode]) {
    case CIO__ROUTE_MODULE:
        op->link.state = CIO__ST_MODULE;
        cio__active_add(drv, op);
        r = drv->submit(drv->state, op);
        /*
         * A refusal means the backend will not complete the op: do it
         * here, so the caller still gets exactly one completion.
         */
        if (r < 0 && op->link.state == CIO__ST_MODULE) {
            cio__active_del(op);
            cio__ready_fail(drv, op, r);
        }
        return 0;
    case CIO__ROUTE_POOL:
        op->link.state = CIO__ST_POOL;
        r = cio__pool_submit(&drv->sink, op);
        if (r < 0)
            cio__ready_fail(drv, op, r);
        return 0;
    default:
        /*
         * ASYNC_CANCEL: cancel the target now and complete with the
         * answer. A target completed inline by its cancel is queued
         * before this op, as with io_uring.
         */
        r = op->a.cancel.target != NULL
                ? cio_driver_cancel(drv, op->a.cancel.target)
                : CIO_EINVAL;
        cio__ready_fail(drv, op, r);
        return 0;
    }
}

int
cio_driver_poll_ns(cio_driver *drv, int64_t timeout_ns, cio_entry *entries,
                   int max)
{
    int n = 0;

    if (drv == NULL || entries == NULL || max <= 0)
        return CIO_EINVAL;
    if (cio__pool_sink_ready(&drv->sink))
        cio__drain_sink(drv);
    /*
     * Let the backend flush and reap unless enough is already ready;
     * never block while something is.
     */
    if (drv->nready < (unsigned)max) {
        int r = drv->wait(drv->state, drv->ready_head != NULL ? 0 : timeout_ns);
        if (cio__pool_sink_ready(&drv->sink))
            cio__drain_sink(drv);
        if (r < 0 && drv->ready_head == NULL)
            return r;
    }
    while (n < max && drv->ready_head != NULL) {
        cio_op *op = drv->ready_head;
        drv->ready_head = op->link.next;
        entries[n].op = op;
        entries[n].user_data = op->user_data;
        entries[n].result = op->result;
        entries[n].flags = op->cflags;
        cio__release_op(drv, op);
        n++;
    }
    if (drv->ready_head == NULL)
        drv->ready_tail = NULL;
    drv->nready -= (unsigned)n;
    return n;
}

int
cio_driver_poll(cio_driver *drv, int timeout_ms, cio_entry *entries, int max)
{
    int64_t ns = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000;
    return cio_driver_poll_ns(drv, ns, entries, max);
}
