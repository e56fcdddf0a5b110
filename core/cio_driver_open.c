/* SPDX-License-Identifier: MIT */
/*
 * cio_driver_open.c - the driver facade's cold half: cio_driver_open
 * (load the backend, route each opcode to the module, the pool or the
 * emulation), cio_driver_close (cancel, drain, unload) and the queries.
 * The hot half, push/cancel/poll, is cio_driver.c; both work on the
 * struct cio_driver of cio_driver_int.h.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cio_driver_int.h"
#include "cio_facade.h"
#include "cio_sys.h"

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
    while (drv->rec_blocks != NULL) {
        cio__rec *blk = drv->rec_blocks;
        drv->rec_blocks = blk[0].next;
        free(blk);
    }
    cio__emu_free_all(drv);
    if (drv->mod != NULL)
        cio__loader_release(drv->mod);
    free(drv);
}

void
cio__route_set(cio_driver *drv, unsigned opcode, uint8_t route)
{
    drv->route[opcode] = route;
    drv->fast[opcode] = route == CIO__ROUTE_MODULE &&
                        drv->submit_batch != NULL && !drv->track;
}

/*
 * Ask the backend once per opcode now, so push is a table lookup.
 * ASYNC_CANCEL is always the facade's: it must find ops wherever they
 * are, in the backend or in the pool. The 1.2 opcodes a backend lacks
 * are emulated with their 1.0 counterparts rather than pooled, so that
 * SEND_ZC on a readiness backend is a readiness send.
 */
static void
cio__driver_routes(cio_driver *drv)
{
    unsigned i;
    int has_flags = CIO__HAS_OP(drv->ops, op_flags);

    for (i = 0; i < CIO_OP__COUNT; i++) {
        int native = drv->ops->supports(drv->state, i) != 0;
        drv->route[i] = native ? CIO__ROUTE_MODULE : CIO__ROUTE_POOL;
        drv->native_flags[i] =
            native && has_flags
                ? (uint8_t)(drv->ops->op_flags(drv->state, i) & CIO_OPF__ALL)
                : 0;
    }
    drv->route[CIO_OP_ASYNC_CANCEL] = CIO__ROUTE_FACADE;
    /* Fixed buffers need the registration calls as well as the opcodes. */
    if (!CIO__HAS_OP(drv->ops, buffers_register) ||
        !CIO__HAS_OP(drv->ops, buffers_unregister)) {
        drv->route[CIO_OP_READ_FIXED] = CIO__ROUTE_POOL;
        drv->route[CIO_OP_WRITE_FIXED] = CIO__ROUTE_POOL;
    }
    if (drv->route[CIO_OP_READ_FIXED] != CIO__ROUTE_MODULE)
        drv->route[CIO_OP_READ_FIXED] = CIO__ROUTE_EMU;
    if (drv->route[CIO_OP_WRITE_FIXED] != CIO__ROUTE_MODULE)
        drv->route[CIO_OP_WRITE_FIXED] = CIO__ROUTE_EMU;
    if (drv->route[CIO_OP_SEND_ZC] != CIO__ROUTE_MODULE)
        drv->route[CIO_OP_SEND_ZC] = CIO__ROUTE_EMU;
    /* Claims the module cannot back with its vtable are not honoured. */
    if (!CIO__HAS_OP(drv->ops, bufpool_create))
        drv->native_flags[CIO_OP_RECV] &=
            (uint8_t) ~(CIO_OPF_BUFFER_SELECT | CIO_OPF_MULTISHOT);
    if (!CIO__HAS_OP(drv->ops, files_register) ||
        !CIO__HAS_OP(drv->ops, files_update) ||
        !CIO__HAS_OP(drv->ops, files_unregister))
        for (i = 0; i < CIO_OP__COUNT; i++)
            drv->native_flags[i] &= (uint8_t)~CIO_OPF_FIXED_FILE;
}

int
cio_driver_open(cio_driver **out, const cio_config *cfg)
{
    cio_config *own = NULL;
    cio_driver *drv;
    const cio_backend_module *desc;
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
    /* The 1.3 batch members, each used on its own when present. */
    if (CIO__HAS_OP(desc->ops, submit_batch))
        drv->submit_batch = desc->ops->submit_batch;
    if (CIO__HAS_OP(desc->ops, wait_batch))
        drv->wait_batch = desc->ops->wait_batch;
    drv->batch = drv->submit_batch != NULL;
    drv->track = !CIO__HAS_OP(desc->ops, cancel_all);
    drv->more_ok = desc->abi_major == 1 && desc->abi_minor >= 2;
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
    cio__driver_routes(drv);
    for (unsigned i = 0; i < CIO_OP__COUNT; i++)
        cio__route_set(drv, i, drv->route[i]);
    *out = drv;
    return 0;
}

/*
 * A completion nobody will see. If it made a descriptor, nobody can
 * learn it either: close it rather than leak it.
 */
static void
cio__discard_result(const cio_op *op, int32_t result)
{
    if (result >= 0 &&
        (op->opcode == CIO_OP_ACCEPT || op->opcode == CIO_OP_OPENAT ||
         op->opcode == CIO_OP_SOCKET))
        (void)cio__sys_close((cio_fd)result);
}

/* Deliver nothing: give every ready op back without telling anyone. */
static void
cio__discard_ready(cio_driver *drv)
{
    while (drv->rec_head != NULL) {
        cio__rec *r = drv->rec_head;
        drv->rec_head = r->next;
        cio__discard_result(r->op, r->result);
        r->next = drv->rec_free;
        drv->rec_free = r;
    }
    drv->rec_tail = NULL;
    drv->nrec = 0;
    while (drv->ready_head != NULL) {
        cio_op *op = drv->ready_head;
        drv->ready_head = op->link.next;
        cio__discard_result(op, op->result);
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
     * Emulated ops are marked cancelled before any shadow is, so that a
     * multishot does not re-arm after its shadow's cancel. Without the
     * list of MODULE ops (!track) the module cancels them all at once;
     * the list then holds only emulated ops.
     */
    if (drv->npend != 0)
        cio__flush_pend(drv);
    /* What starts from here on (a SEND_ZC sent again) goes straight in. */
    drv->batch = 0;
    for (cio_op *op = drv->active.link.next; op != &drv->active;
         op = op->link.next)
        if ((op->link.state & CIO__ST_MASK) == CIO__ST_EMU)
            op->link.reserved |= CIO__OPX_CANCEL;
    if (!drv->track) {
        int r = drv->ops->cancel_all(drv->state);
        if (r < 0)
            cio__log(CIO_LOG_ERROR, "%s: cancel_all failed during close: %s",
                     drv->host.module_name, cio_strerror(r));
    }
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
            if ((op->link.state & CIO__ST_MASK) == CIO__ST_EMU)
                cio__emu_cancel(drv, op);
            else
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
            cio__log(CIO_LOG_ERROR, "%s: wait failed during close: %s",
                     drv->host.module_name, cio_strerror(r));
            cio__sys_sleep_ns(10000000);
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
     * this driver. Pools and tables go before the backend that may hold
     * their kernel side.
     */
    cio__bufpool_close_all(drv);
    cio__register_close(drv);
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
    switch (drv->route[opcode]) {
    case CIO__ROUTE_POOL:
        /* The pool has nothing but CIO_ENOSYS for it on this platform. */
        return cio__op_unsupported(opcode) ? CIO_SUPPORT_NONE
                                           : CIO_SUPPORT_POOLED;
    case CIO__ROUTE_EMU:
        return CIO_SUPPORT_EMULATED;
    default:
        return CIO_SUPPORT_NATIVE;
    }
}

unsigned
cio_driver_inflight(const cio_driver *drv)
{
    if (drv == NULL)
        return 0;
    return drv->inflight + (unsigned)drv->npend - drv->npend_counted;
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
    if (drv->npend != 0)
        cio__flush_pend(drv);
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
