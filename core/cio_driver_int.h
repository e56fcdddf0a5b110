/* SPDX-License-Identifier: MIT */
/*
 * cio_driver_int.h - the driver facade's state, shared by the files that
 * make it up: cio_driver.c (open/close, push, cancel, poll), cio_emu.c
 * (op flags and the emulation of what the backend lacks), cio_bufpool.c
 * (provided-buffer pools), cio_register.c (registered files and
 * buffers) and cio_feature.c (what is native). Internal, never
 * installed.
 *
 * Where an op is: op->link.state, low byte (CIO__ST_*), with
 * op->link.owner = the driver:
 *   MODULE  the backend holds it, or will once the pending batch is
 *           handed over (drv->pend, for a module with submit_batch);
 *           on the circular "active" list only when drv->track (a
 *           module without cancel_all, which close must cancel op by
 *           op);
 *   POOL    the pool holds it (and link.next/prev, see cio_pool.h);
 *   READY   finally completed, on the FIFO ready list, until polled;
 *   EMU     a caller's op the driver emulates (cio_emu.c): on the active
 *           list, its work done by a shadow op; op->priv.ptr[0] is the
 *           shadow (the backend never sees this op, so priv is ours);
 *   REARM   a shadow waiting on the re-arm list to be started again.
 * CIO__ST_SHADOW marks the driver's own shadow ops (never delivered).
 * op->link.reserved holds CIO__OPX_* bookkeeping for ops with op flags.
 * A caller's op without an owner is idle whatever state and reserved
 * say: the common completion (cio__take_batch) clears only the owner,
 * and every push sets both before anything reads them.
 *
 * Completions with CIO_CF_MORE cannot use the op's own link (the op may
 * complete again before it is polled): each becomes a cio__rec on a
 * second FIFO, delivered before the ready ops. Per op that keeps order,
 * since an op's final completion is always queued after its records.
 *
 * With a module that has wait_batch (ABI 1.3) most completions never
 * touch either FIFO: cio_driver_poll first empties the FIFOs into the
 * caller's entries, then lets the module write its completions right
 * behind them and finishes each in place (cio__take_batch). Only what
 * the driver itself makes (emulation, the pool, inline failures) and
 * what the module hands to host->complete outside wait_batch goes
 * through the FIFOs, always ahead of what a later wait_batch writes.
 */
#ifndef CIO_DRIVER_INT_H
#define CIO_DRIVER_INT_H

#include "cio_internal.h"
#include "cio_pool.h"

enum {
    CIO__ST_IDLE = 0,
    CIO__ST_MODULE = 1,
    CIO__ST_POOL = 2,
    CIO__ST_READY = 3,
    CIO__ST_EMU = 4,
    CIO__ST_REARM = 5
};
#define CIO__ST_MASK 0xffu
#define CIO__ST_SHADOW 0x100u

/* op->link.reserved of a caller's op (cio_emu.c). */
#define CIO__OPX_CANCEL 0x1u   /* Cancel asked (emulated op). */
#define CIO__OPX_FILE 0x2u     /* Holds a translated fixed file. */
#define CIO__OPX_POOL 0x4u     /* Counted in its pool's users. */
#define CIO__OPX_ZC_RETRY 0x8u /* Native SEND_ZC refused: resend plain. */

/* How the facade carries out an opcode (cached at open). */
enum {
    CIO__ROUTE_POOL = 0,   /* Blocking implementation on the pool. */
    CIO__ROUTE_MODULE = 1, /* The backend's submit. */
    CIO__ROUTE_FACADE = 2, /* Done here (ASYNC_CANCEL). */
    CIO__ROUTE_EMU = 3     /* Emulated with another opcode (cio_emu.c). */
};

/* A completion with CIO_CF_MORE waiting to be polled. */
typedef struct cio__rec {
    struct cio__rec *next;
    cio_op *op;
    int32_t result;
    uint32_t cflags;
} cio__rec;

/*
 * A shadow: the op the driver pushes to the backend (or the pool) to do
 * the work of an emulated caller's op. op is first, so a cio_op pointer
 * with CIO__ST_SHADOW is the shadow itself.
 */
typedef struct cio__shadow {
    cio_op op;
    cio_op *user;             /* The caller's op. */
    struct cio__shadow *next; /* Free list or re-arm list. */
    struct cio__shadow *all;  /* Every shadow made, for the final free. */
    int kind;                 /* CIO__EMU_* (cio_emu.c). */
} cio__shadow;

/* A copied [module.<name>] value (see cio__driver_config_get). */
typedef struct cio__memo {
    struct cio__memo *next;
    char *key;
    char *value; /* NULL: the key is unset. */
} cio__memo;

/* The registered-file table (cio_register.c). */
typedef struct cio__files {
    unsigned n;        /* Slots; 0: none registered. */
    int native;        /* The backend holds the table. */
    cio_fd *fds;       /* Emulated: our own dups (-1: empty). */
    unsigned inflight; /* Emulated ops running on a dup. */
    cio_fd *grave;     /* Dups replaced while ops ran on them. */
    unsigned ngrave;
    unsigned capgrave;
} cio__files;

/* The registered buffers (cio_register.c). */
typedef struct cio__bufs {
    unsigned n;     /* 0: none registered. */
    int native;     /* The backend holds them. */
    cio_iovec *iov; /* Emulated: a copy of the table, for checks. */
} cio__bufs;

struct cio_bufpool {
    cio_driver *drv;
    cio_bufpool *next;   /* The driver's list of pools. */
    unsigned char *base; /* count * size bytes, page-aligned. */
    size_t bytes;        /* Mapped length. */
    uint32_t count;
    uint32_t size;
    void *handle;   /* The backend's (native pool), else NULL. */
    uint8_t *held;  /* Per buffer: 1 while the caller holds it. */
    uint16_t *free; /* Userspace pool: stack of free buffer ids. */
    uint32_t nfree;
    uint32_t nheld;
    unsigned users; /* Ops in flight that pick from this pool. */
};

/* Ops collected for one submit_batch call. */
#define CIO__PEND_MAX 64

struct cio_driver {
    /* Hot: touched on every push and poll. */
    void *state;
    int (*submit)(void *state, cio_op *op); /* ops->submit, one load less. */
    int (*wait)(void *state, int64_t timeout_ns); /* ops->wait. */
    /* ops->wait_batch (1.3) or NULL. */
    int (*wait_batch)(void *state, int64_t timeout_ns, cio_completion *out,
                      unsigned max);
    /* ops->submit_batch (1.3) or NULL. */
    unsigned (*submit_batch)(void *state, cio_op *const *ops, unsigned n,
                             int *err);
    /*
     * Collect MODULE ops in pend (the module has submit_batch); zero
     * while a batch is being handed over, so that an op started from
     * inside it (a completion the module delivers inline) goes straight
     * to submit().
     */
    int batch;
    /* MODULE ops are on the active list (the module has no cancel_all). */
    int track;
    size_t npend; /* size_t: push indexes pend with it. */
    /*
     * Caller's ops in flight, but for those push's common case put in
     * pend: npend - npend_counted of the ops in pend (the others are
     * counted already, or shadows, which never are) join the count when
     * the batch is handed over.
     */
    unsigned inflight;
    unsigned npend_counted;
    unsigned nready;
    cio_op *ready_head;
    cio_op *ready_tail;
    unsigned nrec;
    cio__rec *rec_head;
    cio__rec *rec_tail;
    cio__shadow *rearm_head;
    cio__shadow *rearm_tail;
    uint8_t route[CIO_OP__COUNT];
    /*
     * Per opcode: push may take the short way (route MODULE, a module
     * with submit_batch, no list to keep), for an op without op flags.
     * Indexed by any uint8_t, so that an opcode out of range is simply
     * not fast (the slow way refuses it).
     */
    uint8_t fast[256];
    uint8_t native_flags[CIO_OP__COUNT]; /* CIO_OPF_* the backend does. */
    int more_ok; /* The module may complete with CIO_CF_MORE (ABI 1.2). */
    cio__pool_sink sink;
    /* Pushed MODULE ops not yet handed to submit_batch. */
    cio_op *pend[CIO__PEND_MAX];
    /*
     * Sentinel of the circular list of EMU ops, and of MODULE ops too
     * when track is set.
     */
    cio_op active;
    /* Cold. */
    const cio_backend_ops *ops;
    cio_host host;
    cio__module *mod;
    cio__memo *memo;
    cio__rec *rec_free;
    void *rec_blocks; /* Blocks of records, chained through their first. */
    cio__shadow *shadow_free;
    cio__shadow *shadow_all;
    cio_bufpool *pools;
    cio__files files;
    cio__bufs bufs;
};

/* An optional member of the backend vtable, if the module has it. */
#define CIO__HAS_OP(ops_, m_)                                                  \
    ((ops_)->size >= offsetof(cio_backend_ops, m_) + sizeof((ops_)->m_) &&     \
     (ops_)->m_ != NULL)

/* ---- cio_driver.c ---- */

void cio__active_add(cio_driver *drv, cio_op *op);
void cio__active_del(cio_op *op);
/* @op (a caller's or a shadow) is finally complete with its result set. */
void cio__ready_put(cio_driver *drv, cio_op *op);
/* Queue a completion with CIO_CF_MORE of @op (still in flight). */
void cio__rec_put(cio_driver *drv, cio_op *op, int32_t result, uint32_t cflags);
/*
 * Route @opcode along @route (CIO__ROUTE_*) from now on. Every change of
 * drv->route after open goes through here, which keeps drv->fast in
 * step.
 */
void cio__route_set(cio_driver *drv, unsigned opcode, uint8_t route);
/* Start @op (result/cflags/owner set) along its opcode's route. */
void cio__start(cio_driver *drv, cio_op *op);
/* Hand the pending batch (drv->pend) to the module's submit_batch. */
void cio__flush_pend(cio_driver *drv);
/* Move what the pool finished for this driver to its ready list. */
void cio__drain_sink(cio_driver *drv);
/* Hand back @op: the caller owns it again (no completion delivered). */
void cio__release_op(cio_driver *drv, cio_op *op);
/* Cancel @op wherever the driver holds it (cio_driver_cancel's body). */
int cio__cancel(cio_driver *drv, cio_op *op);

/* ---- cio_emu.c ---- */

/* Push @op, which has op flags or an emulated opcode. */
void cio__xpush(cio_driver *drv, cio_op *op);
/* Shadow @sh completed with op.result/op.cflags set. */
void cio__emu_done(cio_driver *drv, cio__shadow *sh);
/*
 * The backend refused SEND_ZC on @op's socket (no zero-copy there) and
 * is done with it: send it again as an emulated SEND_ZC.
 */
void cio__emu_zc_resend(cio_driver *drv, cio_op *op);
/* Cancel the emulated caller's op @op. */
int cio__emu_cancel(cio_driver *drv, cio_op *op);
/*
 * Start the shadows waiting to be re-armed, again while they complete
 * at once, until @room completions are queued. Returns non-zero when
 * some are still waiting.
 */
int cio__emu_rearm(cio_driver *drv, unsigned room);
/* Caller's @op, with op flags, completes finally: drop its holds. */
void cio__op_settle(cio_driver *drv, cio_op *op);
/* Free every shadow (at close, when none is in use). */
void cio__emu_free_all(cio_driver *drv);

/* ---- cio_bufpool.c ---- */

/* Take a free buffer of a userspace pool: its id, or -1 when none. */
int cio__bufpool_take(cio_bufpool *pool);
/* Put back a buffer taken with cio__bufpool_take and not delivered. */
void cio__bufpool_untake(cio_bufpool *pool, int bid);
/* A completion hands buffer @bid to the caller. */
void cio__bufpool_deliver(cio_bufpool *pool, unsigned bid);
/* Free every pool of @drv (at close, nothing in flight). */
void cio__bufpool_close_all(cio_driver *drv);
/* host->bufpool_handle: the backend's handle of @pool, or NULL. */
void *cio__bufpool_handle(const cio_bufpool *pool);

/* ---- cio_register.c ---- */

/* The dup registered at fixed-file index @idx, or CIO_EBADF. */
int cio__files_lookup(cio_driver *drv, cio_fd idx, cio_fd *out);
/* An emulated fixed-file op finished: close replaced dups when idle. */
void cio__files_done(cio_driver *drv);
/* READ_FIXED/WRITE_FIXED check against the emulated table: 0 or EFAULT. */
int cio__bufs_check(cio_driver *drv, const cio_op *op);
/* Release the tables (at close). */
void cio__register_close(cio_driver *drv);

#endif /* CIO_DRIVER_INT_H */
