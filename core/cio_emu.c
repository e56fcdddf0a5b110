/* SPDX-License-Identifier: MIT */
/*
 * cio_emu.c - op flags (CIO_OPF_*) and the "beyond compio" opcodes on
 * every backend: what the backend does itself goes to it unchanged;
 * the rest is emulated here on top of ordinary ops, with the same
 * completions, so application code does not depend on the backend.
 *
 * An emulated op never reaches the backend. The driver keeps it (state
 * EMU) and pushes a shadow instead, an op of its own that goes down the
 * usual routes (backend or pool). The caller's op fields are never
 * rewritten: the shadow carries whatever differs. When the shadow
 * completes, the kind of emulation decides what the caller sees:
 *
 *   PLAIN   the shadow's result, as is. Used to translate a fixed-file
 *           index into the registered descriptor, and READ_FIXED/
 *           WRITE_FIXED into READ_AT/WRITE_AT after checking the buffer
 *           against the registered table.
 *   MULTI   multishot by re-arming: each success becomes a completion
 *           with CIO_CF_MORE and the shadow is started again; an error
 *           (or end of stream) is the final completion.
 *   BUFSEL  buffer selection: the shadow is a POLL_ADD for input; when
 *           it fires, the driver takes a free buffer and recv(2)s into
 *           it without blocking. So a buffer is taken only when data is
 *           there, as the kernel does, and an empty pool means
 *           CIO_ENOBUFS. Multishot loops a few times per readiness.
 *   ZC      SEND_ZC as SEND: the send's result with CIO_CF_MORE, then a
 *           CIO_CF_NOTIF completion (the buffer is free at once, as the
 *           data was copied).
 *
 * Re-arming is never done from inside a completion (a backend that
 * completes inline would recurse, once per connection in an accept
 * backlog): the shadow waits on the re-arm list, which cio_driver_poll
 * empties before it waits.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

#include "cio_driver_int.h"
#include "cio_sys.h"

enum {
    CIO__EMU_PLAIN = 0,
    CIO__EMU_MULTI = 1,
    CIO__EMU_BUFSEL = 2,
    CIO__EMU_ZC = 3
};

/* recv(2)s per readiness for an emulated multishot RECV. */
#define CIO__BUFSEL_BURST 16

/* ---- shadows ---- */

static cio__shadow *
cio__shadow_get(cio_driver *drv)
{
    cio__shadow *sh = drv->shadow_free;
    if (sh != NULL) {
        drv->shadow_free = sh->next;
        return sh;
    }
    sh = calloc(1, sizeof(*sh));
    if (sh == NULL)
        return NULL;
    sh->all = drv->shadow_all;
    drv->shadow_all = sh;
    return sh;
}

static void
cio__shadow_put(cio_driver *drv, cio__shadow *sh)
{
    sh->op.link.owner = NULL;
    sh->op.link.state = 0;
    sh->user = NULL;
    sh->next = drv->shadow_free;
    drv->shadow_free = sh;
}

void
cio__emu_free_all(cio_driver *drv)
{
    while (drv->shadow_all != NULL) {
        cio__shadow *sh = drv->shadow_all;
        drv->shadow_all = sh->all;
        free(sh);
    }
    drv->shadow_free = NULL;
}

/* ---- completing the caller's op ---- */

/* The caller's op of @sh is done with @result: the shadow goes back. */
static void
cio__emu_final(cio_driver *drv, cio__shadow *sh, int32_t result,
               uint32_t cflags)
{
    cio_op *op = sh->user;
    cio__shadow_put(drv, sh);
    cio__active_del(op);
    op->result = result;
    op->cflags = cflags;
    cio__ready_put(drv, op);
}

/* Start @sh again from cio_driver_poll (see the top comment). */
static void
cio__emu_later(cio_driver *drv, cio__shadow *sh)
{
    sh->op.link.state = CIO__ST_REARM | CIO__ST_SHADOW;
    sh->next = NULL;
    if (drv->rearm_tail != NULL)
        drv->rearm_tail->next = sh;
    else
        drv->rearm_head = sh;
    drv->rearm_tail = sh;
}

/* BUFSEL: the POLL_ADD shadow reported @res; read what is there. */
static void
cio__emu_bufsel(cio_driver *drv, cio__shadow *sh, int32_t res)
{
    cio_op *op = sh->user;
    cio_bufpool *pool = op->a.bsel.pool;
    int multi = (op->opflags & CIO_OPF_MULTISHOT) != 0;

    if (res < 0) {
        cio__emu_final(drv, sh, res, 0);
        return;
    }
    if (op->link.reserved & CIO__OPX_CANCEL) {
        cio__emu_final(drv, sh, CIO_ECANCELED, 0);
        return;
    }
    for (int i = 0; i < CIO__BUFSEL_BURST; i++) {
        int bid = cio__bufpool_take(pool);
        int64_t n;
        uint32_t cflags;
        if (bid < 0) {
            cio__emu_final(drv, sh, CIO_ENOBUFS, 0);
            return;
        }
        n = cio__sys_recv_nowait(sh->op.fd,
                                 cio_bufpool_buf(pool, (unsigned)bid),
                                 pool->size, (int)op->flags);
        if (n <= 0) {
            cio__bufpool_untake(pool, bid);
            if (n == CIO_EAGAIN || n == CIO_EINTR)
                cio__emu_later(drv, sh);
            else
                cio__emu_final(drv, sh, (int32_t)n, 0);
            return;
        }
        cflags = CIO_CF_BUFFER | ((uint32_t)bid << CIO_CF_BUFFER_SHIFT);
        if (!multi) {
            cio__emu_final(drv, sh, (int32_t)n, cflags);
            return;
        }
        cio__rec_put(drv, op, (int32_t)n, cflags);
    }
    /* The burst is spent; readiness (still there or not) decides next. */
    cio__emu_later(drv, sh);
}

void
cio__emu_done(cio_driver *drv, cio__shadow *sh)
{
    cio_op *op = sh->user;
    int32_t res = sh->op.result;
    uint32_t cflags = sh->op.cflags & ~CIO_CF_MORE;

    sh->op.link.state = CIO__ST_SHADOW;
    switch (sh->kind) {
    case CIO__EMU_ZC:
        /* The data was copied: the buffer is free as soon as it is sent. */
        cio__rec_put(drv, op, res, cflags);
        cio__emu_final(drv, sh, 0, CIO_CF_NOTIF);
        return;
    case CIO__EMU_MULTI:
        /* ACCEPT's 0 is a descriptor; RECV's 0 is the end of the stream. */
        if (res > 0 || (res == 0 && op->opcode == CIO_OP_ACCEPT)) {
            cio__rec_put(drv, op, res, cflags);
            if (op->link.reserved & CIO__OPX_CANCEL)
                cio__emu_final(drv, sh, CIO_ECANCELED, 0);
            else
                cio__emu_later(drv, sh);
            return;
        }
        cio__emu_final(drv, sh, res, cflags);
        return;
    case CIO__EMU_BUFSEL:
        cio__emu_bufsel(drv, sh, res);
        return;
    default:
        cio__emu_final(drv, sh, res, cflags);
        return;
    }
}

int
cio__emu_rearm(cio_driver *drv, unsigned room)
{
    /*
     * A shadow that completes at once comes back to the list: go round
     * again while there is room for its completions, but not forever.
     */
    for (unsigned round = 0; round <= room + 8; round++) {
        cio__shadow *list = drv->rearm_head;
        if (list == NULL || drv->nready + drv->nrec >= room)
            break;
        drv->rearm_head = drv->rearm_tail = NULL;
        while (list != NULL) {
            cio__shadow *sh = list;
            list = sh->next;
            sh->next = NULL;
            sh->op.result = 0;
            sh->op.cflags = 0;
            sh->op.link.state = CIO__ST_SHADOW;
            cio__start(drv, &sh->op);
        }
    }
    return drv->rearm_head != NULL;
}

int
cio__emu_cancel(cio_driver *drv, cio_op *op)
{
    cio__shadow *sh = op->priv.ptr[0];
    cio__shadow **pp;
    int r;

    op->link.reserved |= CIO__OPX_CANCEL;
    switch (sh->op.link.state & CIO__ST_MASK) {
    case CIO__ST_REARM:
        for (pp = &drv->rearm_head; *pp != sh; pp = &(*pp)->next)
            ;
        *pp = sh->next;
        if (drv->rearm_tail == sh) {
            drv->rearm_tail = NULL;
            for (cio__shadow *it = drv->rearm_head; it != NULL; it = it->next)
                drv->rearm_tail = it;
        }
        cio__emu_final(drv, sh, CIO_ECANCELED, 0);
        return 0;
    case CIO__ST_MODULE:
    case CIO__ST_POOL:
        r = cio__cancel(drv, &sh->op);
        /*
         * A re-armed op ends at its shadow's next completion whatever
         * the shadow's cancel said (it may be running on the pool, or
         * done and not yet collected): the mark is what cancels it.
         */
        if ((sh->kind == CIO__EMU_MULTI || sh->kind == CIO__EMU_BUFSEL) &&
            (r == CIO_ENOENT || r == CIO_EALREADY))
            return 0;
        return r;
    default:
        return CIO_ENOENT;
    }
}

/* ---- push ---- */

/* Opcodes whose fd may be a registered-file index. */
static int
cio__fixed_file_ok(unsigned opcode)
{
    switch (opcode) {
    case CIO_OP_READ:
    case CIO_OP_WRITE:
    case CIO_OP_READ_AT:
    case CIO_OP_WRITE_AT:
    case CIO_OP_READV:
    case CIO_OP_WRITEV:
    case CIO_OP_READV_AT:
    case CIO_OP_WRITEV_AT:
    case CIO_OP_FSYNC:
    case CIO_OP_FDATASYNC:
    case CIO_OP_ACCEPT:
    case CIO_OP_CONNECT:
    case CIO_OP_RECV:
    case CIO_OP_SEND:
    case CIO_OP_RECVMSG:
    case CIO_OP_SENDMSG:
    case CIO_OP_SHUTDOWN:
    case CIO_OP_POLL_ADD:
    case CIO_OP_READ_FIXED:
    case CIO_OP_WRITE_FIXED:
    case CIO_OP_SEND_ZC:
        return 1;
    default:
        return 0;
    }
}

/* Are @op's flags valid? 0 or CIO_EINVAL, the same on every backend. */
static int
cio__xcheck(cio_driver *drv, const cio_op *op)
{
    unsigned f = op->opflags;

    if (f & ~CIO_OPF__ALL)
        return CIO_EINVAL;
    if (f & CIO_OPF_MULTISHOT) {
        if (op->opcode != CIO_OP_ACCEPT && op->opcode != CIO_OP_RECV)
            return CIO_EINVAL;
        /* As io_uring: multishot RECV needs pool buffers, not WAITALL. */
        if (op->opcode == CIO_OP_RECV &&
            (!(f & CIO_OPF_BUFFER_SELECT) || (op->flags & MSG_WAITALL)))
            return CIO_EINVAL;
    }
    if (f & CIO_OPF_BUFFER_SELECT) {
        if (op->opcode != CIO_OP_RECV || op->a.bsel.pool == NULL ||
            op->a.bsel.pool->drv != drv)
            return CIO_EINVAL;
    }
    if ((f & CIO_OPF_FIXED_FILE) && !cio__fixed_file_ok(op->opcode))
        return CIO_EINVAL;
    return 0;
}

static void
cio__xfail(cio_driver *drv, cio_op *op, int32_t result)
{
    op->result = result;
    op->cflags = 0;
    cio__ready_put(drv, op);
}

/*
 * Build the shadow of @op, whose op flags @emu the backend cannot do.
 * 0 with the shadow started, or -errno (nothing started).
 */
static int
cio__emu_start(cio_driver *drv, cio_op *op, unsigned emu, int force_zc)
{
    cio__shadow *sh = cio__shadow_get(drv);
    cio_op *s;
    int r;

    if (sh == NULL)
        return CIO_ENOMEM;
    s = &sh->op;
    memcpy(s, op, offsetof(cio_op, link));
    memset(&s->link, 0, sizeof(s->link));
    s->user_data = 0;
    s->result = 0;
    s->cflags = 0;
    s->opflags = (uint8_t)(op->opflags & ~emu);
    s->link.owner = drv;
    s->link.state = CIO__ST_SHADOW;
    sh->user = op;
    sh->kind = CIO__EMU_PLAIN;

    if (emu & CIO_OPF_FIXED_FILE) {
        r = cio__files_lookup(drv, op->fd, &s->fd);
        if (r < 0)
            goto fail;
        op->link.reserved |= CIO__OPX_FILE;
        drv->files.inflight++;
    }
    if (emu & CIO_OPF_BUFFER_SELECT) {
        /* The driver reads the socket itself: it needs a descriptor. */
        r = CIO_ENOTSUP;
        if (s->opflags & CIO_OPF_FIXED_FILE)
            goto fail;
        sh->kind = CIO__EMU_BUFSEL;
        s->opcode = CIO_OP_POLL_ADD;
        s->flags = CIO_POLL_IN;
        s->opflags = 0;
    } else if (op->opcode == CIO_OP_SEND_ZC &&
               (force_zc || drv->route[CIO_OP_SEND_ZC] != CIO__ROUTE_MODULE)) {
        sh->kind = CIO__EMU_ZC;
        s->opcode = CIO_OP_SEND;
    } else if ((op->opcode == CIO_OP_READ_FIXED ||
                op->opcode == CIO_OP_WRITE_FIXED) &&
               drv->route[op->opcode] != CIO__ROUTE_MODULE) {
        r = cio__bufs_check(drv, op);
        if (r < 0)
            goto fail;
        s->opcode =
            op->opcode == CIO_OP_READ_FIXED ? CIO_OP_READ_AT : CIO_OP_WRITE_AT;
    } else if (op->opflags & CIO_OPF_MULTISHOT) {
        /*
         * Emulated, or native but the op needs a shadow for another
         * reason (a fixed file the driver resolves): a shadow is always
         * single-shot, its completions are never CIO_CF_MORE ones, so
         * the driver re-arms it.
         */
        sh->kind = CIO__EMU_MULTI;
        s->opflags &= (uint8_t)~CIO_OPF_MULTISHOT;
    }
    /*
     * The flags left on the shadow are ones the backend claimed, but
     * for the shadow's opcode: with a native fixed-file table an opcode
     * that runs on the pool cannot resolve an index.
     */
    r = CIO_ENOTSUP;
    if (s->opflags != 0 && (drv->route[s->opcode] != CIO__ROUTE_MODULE ||
                            (s->opflags & ~drv->native_flags[s->opcode]) != 0))
        goto fail;

    op->link.state = CIO__ST_EMU;
    op->priv.ptr[0] = sh;
    cio__active_add(drv, op);
    cio__start(drv, s);
    return 0;
fail:
    cio__shadow_put(drv, sh);
    return r;
}

void
cio__xpush(cio_driver *drv, cio_op *op)
{
    unsigned f = op->opflags, native;
    int r = cio__xcheck(drv, op);

    if (r < 0) {
        cio__xfail(drv, op, r);
        return;
    }
    native = drv->native_flags[op->opcode];
    if (f & CIO_OPF_BUFFER_SELECT) {
        cio_bufpool *pool = op->a.bsel.pool;
        pool->users++;
        op->link.reserved |= CIO__OPX_POOL;
        if (pool->handle == NULL)
            native &= ~CIO_OPF_BUFFER_SELECT;
    }
    /* Without a table in the backend an index is ours to resolve. */
    if (drv->files.n == 0 || !drv->files.native)
        native &= ~CIO_OPF_FIXED_FILE;
    if (drv->route[op->opcode] == CIO__ROUTE_MODULE && (f & ~native) == 0) {
        cio__start(drv, op);
        return;
    }
    r = cio__emu_start(drv, op, f & ~native, 0);
    if (r < 0)
        cio__xfail(drv, op, r);
}

void
cio__emu_zc_resend(cio_driver *drv, cio_op *op)
{
    int r = cio__emu_start(drv, op, 0, 1);
    if (r < 0)
        cio__xfail(drv, op, r);
}

void
cio__op_settle(cio_driver *drv, cio_op *op)
{
    uint32_t x = op->link.reserved;

    op->link.reserved = 0;
    if (x & CIO__OPX_POOL) {
        cio_bufpool *pool = op->a.bsel.pool;
        if (op->cflags & CIO_CF_BUFFER)
            cio__bufpool_deliver(pool,
                                 (unsigned)(op->cflags >> CIO_CF_BUFFER_SHIFT));
        pool->users--;
    }
    if (x & CIO__OPX_FILE) {
        drv->files.inflight--;
        cio__files_done(drv);
    }
}
