/* SPDX-License-Identifier: MIT */
/*
 * cio_driver.c - the driver facade: one loaded backend instance plus its
 * link to the blocking pool, behind cio_driver_*: push, cancel, poll and
 * the lists they share (open, close and the queries are in
 * cio_driver_open.c). The op states and the two completion FIFOs are described
 * in cio_driver_int.h; op flags and emulation live in cio_emu.c.
 *
 * The push/complete/poll path of an op without op flags takes no lock,
 * makes no syscall and never allocates: the pool is looked at through
 * one relaxed atomic load, and op flags cost one test of a byte.
 *
 * With a module of ABI 1.3 that has all three batch members, an op
 * costs no call across the module boundary of its own: push adds it to
 * drv->pend, which goes to submit_batch in one call; wait_batch writes
 * completions into the caller's entries, which cio__take_batch finishes
 * in place; and with cancel_all the ops the module holds are on no list
 * (close asks the module to cancel them all).
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cio_driver_int.h"
#include "cio_facade.h"
#include "cio_sys.h"

#if defined(__GNUC__)
#define CIO__NOINLINE __attribute__((noinline))
#define CIO__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CIO__NOINLINE
#define CIO__UNLIKELY(x) (x)
#endif

/* Records are allocated this many at a time and never given back. */
#define CIO__REC_BLOCK 64

/* Copied as one 8-byte unit on the hot path. */
_Static_assert(offsetof(cio_op_link, reserved) ==
                   offsetof(cio_op_link, state) + 4,
               "state and reserved must be adjacent");
_Static_assert(offsetof(cio_op, cflags) == offsetof(cio_op, result) + 4 &&
                   offsetof(cio_entry, flags) ==
                       offsetof(cio_entry, result) + 4,
               "result and flags must be adjacent");

/* The caller's entries double as the module's completion array. */
_Static_assert(
    sizeof(cio_entry) == sizeof(cio_completion) &&
        offsetof(cio_entry, op) == offsetof(cio_completion, op) &&
        offsetof(cio_entry, user_data) == offsetof(cio_completion, user_data) &&
        offsetof(cio_entry, result) == offsetof(cio_completion, result) &&
        offsetof(cio_entry, flags) == offsetof(cio_completion, cflags),
    "cio_entry and cio_completion must have one layout");

/* ---- lists ---- */

void
cio__active_add(cio_driver *drv, cio_op *op)
{
    cio_op *tail = drv->active.link.prev;
    op->link.next = &drv->active;
    op->link.prev = tail;
    tail->link.next = op;
    drv->active.link.prev = op;
}

void
cio__active_del(cio_op *op)
{
    op->link.prev->link.next = op->link.next;
    op->link.next->link.prev = op->link.prev;
    op->link.next = NULL;
    op->link.prev = NULL;
}

/* @op enters MODULE state: on the active list if MODULE ops are kept. */
static inline void
cio__module_add(cio_driver *drv, cio_op *op)
{
    if (drv->track)
        cio__active_add(drv, op);
}

/* @op leaves MODULE state. */
static inline void
cio__module_del(cio_driver *drv, cio_op *op)
{
    if (drv->track)
        cio__active_del(op);
}

void
cio__ready_put(cio_driver *drv, cio_op *op)
{
    /* A shadow's completion is the emulation's to act on, never polled. */
    if (op->link.state & CIO__ST_SHADOW) {
        cio__emu_done(drv, (cio__shadow *)op);
        return;
    }
    if (op->link.reserved != 0)
        cio__op_settle(drv, op);
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
    op->cflags = 0;
    cio__ready_put(drv, op);
}

/* A record from the free list, allocating a block when it is empty. */
static cio__rec *
cio__rec_get(cio_driver *drv)
{
    cio__rec *r = drv->rec_free;
    if (r == NULL) {
        /* Slot 0 of a block only chains the blocks for the final free. */
        cio__rec *blk = malloc(CIO__REC_BLOCK * sizeof(*blk));
        if (blk == NULL)
            return NULL;
        blk[0].next = drv->rec_blocks;
        drv->rec_blocks = blk;
        for (unsigned i = 1; i < CIO__REC_BLOCK; i++) {
            blk[i].next = drv->rec_free;
            drv->rec_free = &blk[i];
        }
        r = drv->rec_free;
    }
    drv->rec_free = r->next;
    return r;
}

void
cio__rec_put(cio_driver *drv, cio_op *op, int32_t result, uint32_t cflags)
{
    cio__rec *r = cio__rec_get(drv);
    if ((cflags & CIO_CF_BUFFER) && (op->link.reserved & CIO__OPX_POOL))
        cio__bufpool_deliver(op->a.bsel.pool,
                             (unsigned)(cflags >> CIO_CF_BUFFER_SHIFT));
    if (r == NULL) {
        /*
         * Out of memory with nowhere to report it: the result is lost.
         * A descriptor in it would leak, so close that at least.
         */
        cio__log(CIO_LOG_ERROR,
                 "%s: out of memory: a %s completion "
                 "(result %d) is lost",
                 drv->host.module_name, cio_opcode_name(op->opcode),
                 (int)result);
        if (op->opcode == CIO_OP_ACCEPT && result >= 0)
            (void)cio__sys_close((cio_fd)result);
        return;
    }
    r->next = NULL;
    r->op = op;
    r->result = result;
    r->cflags = cflags | CIO_CF_MORE;
    if (drv->rec_tail != NULL)
        drv->rec_tail->next = r;
    else
        drv->rec_head = r;
    drv->rec_tail = r;
    drv->nrec++;
}

/* Move what the pool finished for us to the ready list. */
void
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

/*
 * Set @op's link.state to @state and link.reserved to 0, in one 8-byte
 * store: the two are adjacent (cio_op_link).
 */
static inline void
cio__link_set(cio_op *op, uint32_t state)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint64_t w = (uint64_t)state << 32;
#else
    uint64_t w = state;
#endif
    memcpy(&op->link.state, &w, 8);
}

/* Hand back @op: the caller owns it again. */
void
cio__release_op(cio_driver *drv, cio_op *op)
{
    op->link.next = NULL;
    op->link.owner = NULL;
    op->link.state = CIO__ST_IDLE;
    op->link.reserved = 0;
    drv->inflight--;
}

/* ---- called by the host API (cio_host.c) ---- */

void
cio__driver_complete(cio_driver *drv, cio_op *op, int32_t result,
                     uint32_t cflags)
{
    if (op == NULL || op->link.owner != drv ||
        (op->link.state & CIO__ST_MASK) != CIO__ST_MODULE) {
        /* A module bug; ignoring it keeps the lists intact. */
        cio__log(CIO_LOG_ERROR,
                 "%s: complete() on an op the backend does not hold",
                 drv->host.module_name);
        return;
    }
    if (cflags & CIO_CF_MORE) {
        /*
         * Not the last completion: the op stays the backend's. Only a
         * 1.2 module means this; before, the bit meant nothing, and
         * shadows are single-shot by construction.
         */
        if (drv->more_ok && !(op->link.state & CIO__ST_SHADOW)) {
            /*
             * Zero-copy refused on this socket (AF_UNIX: EOPNOTSUPP,
             * which is ENOTSUP on Linux): keep quiet until the kernel's
             * notification, then send plainly.
             */
            if (op->opcode == CIO_OP_SEND_ZC && result == CIO_ENOTSUP) {
                op->link.reserved |= CIO__OPX_ZC_RETRY;
                return;
            }
            cio__rec_put(drv, op, result, cflags);
            return;
        }
        cflags &= ~CIO_CF_MORE;
    }
    cio__module_del(drv, op);
    if (op->link.reserved & CIO__OPX_ZC_RETRY) {
        op->link.reserved &= ~CIO__OPX_ZC_RETRY;
        cio__emu_zc_resend(drv, op);
        return;
    }
    op->result = result;
    op->cflags = cflags;
    cio__ready_put(drv, op);
}

int
cio__driver_pool_submit(cio_driver *drv, cio_op *op)
{
    uint32_t shadow;
    int r;
    if (op->link.owner != drv ||
        (op->link.state & CIO__ST_MASK) != CIO__ST_MODULE)
        return CIO_EINVAL;
    shadow = op->link.state & CIO__ST_SHADOW;
    cio__module_del(drv, op);
    op->link.state = CIO__ST_POOL | shadow;
    r = cio__pool_submit(&drv->sink, op);
    if (r < 0) {
        op->link.state = CIO__ST_MODULE | shadow;
        cio__module_add(drv, op);
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

/* ---- push / cancel / poll ---- */

int
cio__cancel(cio_driver *drv, cio_op *op)
{
    int r;

    switch (op->link.state & CIO__ST_MASK) {
    case CIO__ST_MODULE:
        /* The module must have the op before it can look for it. */
        if (drv->npend != 0)
            cio__flush_pend(drv);
        return drv->ops->cancel(drv->state, op);
    case CIO__ST_POOL:
        r = cio__pool_cancel(&drv->sink, op);
        if (r == 0) {
            op->link.prev = NULL;
            cio__ready_fail(drv, op, CIO_ECANCELED);
        }
        return r;
    case CIO__ST_EMU:
        return cio__emu_cancel(drv, op);
    default:
        /* Already complete, waiting to be delivered. */
        return CIO_ENOENT;
    }
}

int
cio_driver_cancel(cio_driver *drv, cio_op *op)
{
    if (drv == NULL || op == NULL)
        return CIO_EINVAL;
    if (op->link.owner != drv || (op->link.state & CIO__ST_SHADOW))
        return CIO_ENOENT;
    return cio__cancel(drv, op);
}

/*
 * The module refused @op with @r: it will not complete it, so complete
 * it here and there is still exactly one final completion. (A module
 * that handed the op to the pool before refusing it no longer holds
 * it: the pool completes it.)
 */
static void
cio__module_refused(cio_driver *drv, cio_op *op, int r)
{
    if ((op->link.state & CIO__ST_MASK) == CIO__ST_MODULE) {
        cio__module_del(drv, op);
        cio__ready_fail(drv, op, r);
    }
}

/*
 * The module's submit_batch took only @k of the @n ops in drv->pend
 * (refusing the next with @err): complete that one here and hand over
 * the rest.
 */
static CIO__NOINLINE void
cio__flush_rest(cio_driver *drv, unsigned n, unsigned k, int err)
{
    cio_op **pend = drv->pend;
    unsigned i = k; /* More than @n is a module bug: trust no more. */

    while (i < n) {
        cio__module_refused(drv, pend[i], err < 0 ? err : CIO_EINVAL);
        if (++i < n) {
            err = CIO_EINVAL;
            k = drv->submit_batch(drv->state, pend + i, n - i, &err);
            i += k > n - i ? n - i : k;
        }
    }
}

void
cio__flush_pend(cio_driver *drv)
{
    cio_op **pend = drv->pend;
    unsigned n = (unsigned)drv->npend, k;
    int err = CIO_EINVAL;

    /*
     * The module may complete an op inline, and a completion may start
     * another op (a refused SEND_ZC sent again): with batch off that
     * one goes straight to submit(), never into the array being handed
     * over.
     */
    /* The ops push put in the batch without counting them. */
    drv->inflight += n - drv->npend_counted;
    drv->npend = 0;
    drv->npend_counted = 0;
    drv->batch = 0;
    if (n == 1) {
        /* One op (a task's round trip): submit() costs less. */
        int r = drv->submit(drv->state, pend[0]);
        if (r < 0)
            cio__module_refused(drv, pend[0], r);
    } else if (n != 0) {
        k = drv->submit_batch(drv->state, pend, n, &err);
        if (CIO__UNLIKELY(k != n))
            cio__flush_rest(drv, n, k, err);
    }
    drv->batch = 1;
}

/* cio__flush_pend, returning 0. */
static CIO__NOINLINE int
cio__flush_pend_0(cio_driver *drv)
{
    cio__flush_pend(drv);
    return 0;
}

/*
 * Start @op in the module: into the pending batch, or to submit() for a
 * module without submit_batch.
 */
static inline void
cio__module_start(cio_driver *drv, cio_op *op, uint32_t shadow)
{
    int r;

    op->link.state = CIO__ST_MODULE | shadow;
    cio__module_add(drv, op);
    if (drv->batch) {
        /* Counted in drv->inflight already (or never: a shadow). */
        drv->npend_counted++;
        drv->pend[drv->npend++] = op;
        if (drv->npend == CIO__PEND_MAX)
            cio__flush_pend(drv);
        return;
    }
    r = drv->submit(drv->state, op);
    if (r < 0)
        cio__module_refused(drv, op, r);
}

/* Start @op along @route. */
static inline void
cio__route_op(cio_driver *drv, cio_op *op, unsigned route)
{
    uint32_t shadow = op->link.state & CIO__ST_SHADOW;
    int r;

    switch (route) {
    case CIO__ROUTE_MODULE:
        cio__module_start(drv, op, shadow);
        return;
    case CIO__ROUTE_POOL:
        op->link.state = CIO__ST_POOL | shadow;
        r = cio__pool_submit(&drv->sink, op);
        if (r < 0)
            cio__ready_fail(drv, op, r);
        return;
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
        return;
    }
}

void
cio__start(cio_driver *drv, cio_op *op)
{
    cio__route_op(drv, op, drv->route[op->opcode]);
}

/*
 * Push's way for everything but the common case (see cio_driver_push).
 * Never inlined, like cio__flush_pend_0: push's common case then needs
 * no stack frame.
 */
static CIO__NOINLINE int
cio__push_slow(cio_driver *drv, cio_op *op)
{
    unsigned route;

    if (drv == NULL || op == NULL)
        return CIO_EINVAL;
    if (op->link.owner != NULL)
        return CIO_EBUSY;
    if (op->opcode >= CIO_OP__COUNT)
        return CIO_EINVAL;
    route = drv->route[op->opcode];
    op->link.owner = drv;
    op->link.reserved = 0;
    /* result doubles as scratch for the connect attempt: start clean. */
    op->result = 0;
    op->cflags = 0;
    drv->inflight++;
    if (op->opflags == 0 && route == CIO__ROUTE_MODULE) {
        cio__module_start(drv, op, 0);
        return 0;
    }
    op->link.state = CIO__ST_IDLE;
    if (op->opflags != 0 || route == CIO__ROUTE_EMU)
        cio__xpush(drv, op);
    else
        cio__route_op(drv, op, route);
    return 0;
}

int
cio_driver_push(cio_driver *drv, cio_op *op)
{
    size_t n;

    /* One exit for everything else, so that this way ends in "return 0". */
    if (CIO__UNLIKELY(drv == NULL || op == NULL || op->link.owner != NULL ||
                      op->opflags != 0 || !drv->fast[op->opcode]))
        return cio__push_slow(drv, op);
    /*
     * The common case, cio__module_start inlined by hand: into the
     * pending batch, with no call unless the batch is full. (Push never
     * runs while a batch is handed over, so drv->batch is set here.)
     * Three stores and no count: the op joins drv->inflight when the
     * batch is handed over (cio__flush_pend), and its result is not
     * reset, since the final completion always writes it (the slow way
     * resets it: emulated CONNECT uses it as scratch).
     */
    op->link.owner = drv;
    cio__link_set(op, CIO__ST_MODULE);
    n = drv->npend;
    drv->npend = n + 1;
    drv->pend[n] = op;
    if (CIO__UNLIKELY(n == CIO__PEND_MAX - 1))
        return cio__flush_pend_0(drv); /* A tail call: push needs no frame. */
    return 0;
}

/*
 * cio__take_batch's way for all but a plain final completion: @c, one
 * completion wait_batch wrote, is finished as cio__driver_complete
 * would. Returns 1 when it is for the caller: then *@out (which may be
 * @c itself) is filled and, for a final completion, the op released
 * (a record, CIO_CF_MORE, is counted in *@more); 0 when it went elsewhere (a
 * shadow's goes to the emulation, a refused SEND_ZC is sent again) or was a
 * module bug.
 */
static int
cio__take_one(cio_driver *drv, const cio_entry *c, cio_entry *out,
              unsigned *more)
{
    cio_op *op = c->op;
    int32_t res = c->result;
    uint32_t cf = c->flags;

    if (op == NULL || op->link.owner != drv ||
        (op->link.state & CIO__ST_MASK) != CIO__ST_MODULE) {
        cio__log(CIO_LOG_ERROR,
                 "%s: wait_batch() returned an op the backend does not hold",
                 drv->host.module_name);
        return 0;
    }
    if (cf & CIO_CF_MORE) {
        /* As in cio__driver_complete, but the record goes out now. */
        if (drv->more_ok && !(op->link.state & CIO__ST_SHADOW)) {
            if (op->opcode == CIO_OP_SEND_ZC && res == CIO_ENOTSUP) {
                op->link.reserved |= CIO__OPX_ZC_RETRY;
                return 0;
            }
            if ((cf & CIO_CF_BUFFER) && (op->link.reserved & CIO__OPX_POOL))
                cio__bufpool_deliver(op->a.bsel.pool,
                                     (unsigned)(cf >> CIO_CF_BUFFER_SHIFT));
            out->op = op;
            out->user_data = op->user_data;
            out->result = res;
            out->flags = cf;
            (*more)++;
            return 1;
        }
        cf &= ~CIO_CF_MORE;
    }
    cio__module_del(drv, op);
    op->result = res;
    op->cflags = cf;
    if (op->link.reserved & CIO__OPX_ZC_RETRY) {
        op->link.reserved &= ~CIO__OPX_ZC_RETRY;
        cio__emu_zc_resend(drv, op);
        return 0;
    }
    if (op->link.state & CIO__ST_SHADOW) {
        cio__emu_done(drv, (cio__shadow *)op);
        return 0;
    }
    if (op->link.reserved != 0)
        cio__op_settle(drv, op);
    op->link.owner = NULL;
    op->link.state = CIO__ST_IDLE;
    op->link.reserved = 0;
    out->op = op;
    out->user_data = op->user_data;
    out->result = res;
    out->flags = cf;
    return 1;
}

/*
 * Finish in place the @n completions wait_batch wrote to @e: those for
 * the caller are compacted to the front with user_data filled in, and
 * their ops released; the rest go their usual way (cio__take_one).
 * Returns how many are for the caller.
 */
/*
 * Is @c a plain final completion of a plain op (the common case)? Only
 * asked when the driver keeps no list of MODULE ops (!drv->track).
 */
static inline int
cio__take_plain(const cio_driver *drv, const cio_op *op, const cio_entry *c)
{
    return op != NULL && op->link.owner == drv &&
           op->link.state == CIO__ST_MODULE && op->link.reserved == 0 &&
           !(c->flags & CIO_CF_MORE);
}

/* Finish plain @c of @op: released, result and flags written back. */
static inline void
cio__take_release(cio_op *op, const cio_entry *c)
{
    uint64_t rf;
    /* result and flags are adjacent in the entry and the op. */
    memcpy(&rf, &c->result, 8);
    memcpy(&op->result, &rf, 8);
    /*
     * The caller's again. state and reserved are left as they are: an
     * op without an owner is nobody's, whatever they say, and push sets
     * both before anything reads them.
     */
    op->link.owner = NULL;
}

/*
 * If @r is a plain completion, finish it where it is (user_data filled
 * in) and return 1; else 0, untouched.
 */
static inline int
cio__take_in_place(cio_driver *drv, cio_entry *r)
{
    cio_op *op = r->op;
    if (!cio__take_plain(drv, op, r))
        return 0;
    cio__take_release(op, r);
    r->user_data = op->user_data;
    return 1;
}

static unsigned
cio__take_batch(cio_driver *drv, cio_entry *e, unsigned n)
{
    cio_entry *r = e, *end = e + n, *w;
    unsigned more = 0, kept;
    /* In a local: the stores through op could alias it for the compiler. */
    int track = drv->track;

    /*
     * While nothing was dropped, a plain completion stays where the
     * module wrote it and only gets its user_data.
     */
    if (!track) {
        /*
         * Four at a time while four are left, so that the loop's own
         * step and test count a quarter per completion; each is checked
         * and finished before the next is looked at, as one at a time.
         */
        cio_entry *end4 = n >= 4 ? end - 3 : e;
        size_t k;
        for (; r < end4; r += 4) {
            if (!cio__take_in_place(drv, r)) {
                k = 0;
                goto stop;
            }
            if (!cio__take_in_place(drv, r + 1)) {
                k = 1;
                goto stop;
            }
            if (!cio__take_in_place(drv, r + 2)) {
                k = 2;
                goto stop;
            }
            if (!cio__take_in_place(drv, r + 3)) {
                k = 3;
                goto stop;
            }
        }
        for (k = 0; r < end; r++)
            if (!cio__take_in_place(drv, r))
                break;
    stop:
        r += k;
    }
    /* From the first other one on, compacted behind what was kept. */
    for (w = r; r < end; r++) {
        cio_op *op = r->op;
        if (!track && cio__take_plain(drv, op, r)) {
            cio__take_release(op, r);
            w->op = op;
            w->user_data = op->user_data;
            w->result = r->result;
            w->flags = r->flags;
            w++;
            continue;
        }
        w += cio__take_one(drv, r, w, &more);
    }
    kept = (unsigned)(w - e);
    drv->inflight -= kept - more;
    return kept;
}

/*
 * Deliver what the FIFOs hold into @entries (at most @max): records
 * first, since an op's final completion follows its records.
 */
static int
cio__deliver_lists(cio_driver *drv, cio_entry *entries, int max)
{
    int n = 0;

    while (n < max && drv->rec_head != NULL) {
        cio__rec *r = drv->rec_head;
        drv->rec_head = r->next;
        entries[n].op = r->op;
        entries[n].user_data = r->op->user_data;
        entries[n].result = r->result;
        entries[n].flags = r->cflags;
        r->next = drv->rec_free;
        drv->rec_free = r;
        drv->nrec--;
        n++;
    }
    if (drv->rec_head == NULL)
        drv->rec_tail = NULL;
    while (n < max && drv->ready_head != NULL) {
        cio_op *op = drv->ready_head;
        drv->ready_head = op->link.next;
        entries[n].op = op;
        entries[n].user_data = op->user_data;
        entries[n].result = op->result;
        entries[n].flags = op->cflags;
        cio__release_op(drv, op);
        drv->nready--;
        n++;
    }
    if (drv->ready_head == NULL)
        drv->ready_tail = NULL;
    return n;
}

int
cio_driver_poll_ns(cio_driver *drv, int64_t timeout_ns, cio_entry *entries,
                   int max)
{
    int n = 0, r;

    if (drv == NULL || entries == NULL || max <= 0)
        return CIO_EINVAL;
    if (cio__pool_sink_ready(&drv->sink))
        cio__drain_sink(drv);
    if (drv->rearm_head != NULL)
        cio__emu_rearm(drv, (unsigned)max);
    if (drv->npend != 0)
        cio__flush_pend(drv);
    /*
     * What is queued goes first; then, if there is room, the backend
     * flushes and reaps. It never blocks when something is delivered
     * already or shadows wait to be started again.
     */
    if (drv->rec_head != NULL || drv->ready_head != NULL) {
        n = cio__deliver_lists(drv, entries, max);
        if (n == max)
            return n;
    }
    if (drv->rearm_head != NULL)
        timeout_ns = 0;
    if (n != 0)
        timeout_ns = 0;
    if (drv->wait_batch != NULL) {
        r = drv->wait_batch(drv->state, timeout_ns,
                            (cio_completion *)(void *)(entries + n),
                            (unsigned)(max - n));
        if (r > max - n)
            r = max - n; /* A module bug; trust no more than was asked. */
        if (r > 0)
            n += (int)cio__take_batch(drv, entries + n, (unsigned)r);
    } else {
        r = drv->wait(drv->state, timeout_ns);
    }
    if (cio__pool_sink_ready(&drv->sink))
        cio__drain_sink(drv);
    if (n < max && (drv->rec_head != NULL || drv->ready_head != NULL))
        n += cio__deliver_lists(drv, entries + n, max - n);
    if (r < 0 && n == 0)
        return r;
    return n;
}

int
cio_driver_poll(cio_driver *drv, int timeout_ms, cio_entry *entries, int max)
{
    int64_t ns = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000;
    return cio_driver_poll_ns(drv, ns, entries, max);
}
