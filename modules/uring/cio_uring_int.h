/* SPDX-License-Identifier: MIT */
/*
 * cio_uring_int.h - state shared by the files of the io_uring module:
 * cio_uring.c (descriptor, probe, create/destroy, cancel, wait, notify),
 * cio_uring_prep.c (opcode -> SQE, submit and submit_batch),
 * cio_uring_setup.c (the [module.uring] knobs, ring set-up with flag
 * fallback, the per-op probe), cio_uring_bufring.c (provided-buffer
 * rings) and cio_uring_register.c (registered files and buffers). Never
 * installed.
 * Cross-file names carry the uring__ prefix and stay hidden: the module
 * is built with -fvisibility=hidden and exports only cio_backend_uring.
 */
#ifndef CIO_URING_INT_H
#define CIO_URING_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <liburing.h>

#include <compio/module.h>

/*
 * valgrind (3.19, Debian 12) does not treat io_uring_enter as a call
 * that may block: a thread waiting in it keeps valgrind's global lock,
 * so the pool thread whose completion would wake it never runs and the
 * process hangs (liburing issue 657). Under valgrind the module waits
 * in poll(2) instead and leaves DEFER_TASKRUN off by default
 * (cio_uring.c uring_block, cio_uring_setup.c). Header-only macros, so
 * no link dependency; modules see no config.h.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define URING_UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef URING_UNDER_VALGRIND
#define URING_UNDER_VALGRIND() 0
#endif

/*
 * user_data of SQEs. An op is submitted with its own address as
 * user_data; a cio_op holds 64-bit members, so its address is a
 * non-zero multiple of 8, and the low three bits (URING_UD_MASK) are
 * free to mark what the reap must not pass on as it stands: a POLL_ADD
 * op (its address | URING_UD_POLL), whose revents are mapped to
 * CIO_POLL_* bits, and the internal SQEs, whose user_data is a small
 * tag. So one test of those bits per CQE finds everything unusual.
 * Every SQE gets one of these values: none has user_data 0, which
 * would pass as an op.
 */
#define URING_UD_MASK 7u
#define URING_UD_POLL 4u    /* A POLL_ADD op: its address | this. */
#define URING_TAG_NOTIFY 1u /* The POLL_ADD on the notify eventfd. */
#define URING_TAG_IGNORE 2u /* An ASYNC_CANCEL's own CQE: dropped. */
#define URING_TAG_MAX 7u    /* Values <= this are never op pointers. */

/* The user_data that @op's SQE carries. */
static inline uint64_t
uring_ud(const cio_op *op)
{
    return (uint64_t)(uintptr_t)op |
           (op->opcode == CIO_OP_POLL_ADD ? URING_UD_POLL : 0u);
}

/*
 * IORING_OP_FTRUNCATE (Linux 6.9) is an enum member, invisible to the
 * preprocessor, and newer than liburing 2.3's headers: use its number
 * from the kernel's uapi. The per-op probe decides whether it is used.
 */
#define URING_OP_FTRUNCATE 55u

/* What the [module.uring] section asked for, after validation. */
typedef struct uring_knobs {
    unsigned entries;    /* SQ size. */
    unsigned cq_entries; /* CQ size, 0 for the kernel's 2 * entries. */
    unsigned sq_idle_ms; /* SQPOLL idle time before the thread sleeps. */
    unsigned sq_cpu;     /* SQPOLL CPU when sq_aff. */
    unsigned flags;      /* IORING_SETUP_* wanted. */
    /* Opcodes forced to the pool by disable_ops, one bit per cio op. */
    uint64_t disabled;
    /* CIO_OPF_* bits left to the core by disable_opflags. */
    uint32_t disabled_opflags;
    /* cancel_any = no: cancel_all() cancels op by op (debugging). */
    int no_cancel_any;
    /* Running under valgrind and adapting to it (the valgrind knob). */
    int vg;
    /* notify_multishot = no: one-shot notify polls (debugging). */
    int no_notify_multi;
} uring_knobs;

/* A provided-buffer ring: one cio_bufpool registered with the kernel. */
typedef struct uring_bufring {
    struct io_uring_buf_ring *br; /* Shared with the kernel. */
    size_t ring_bytes;            /* Its mapping. */
    unsigned mask;                /* Ring entries - 1 (a power of two). */
    uint16_t bgid;                /* The buffer group ops name. */
    unsigned char *base;          /* Buffer i at base + i * size. */
    uint32_t size;
    struct uring_bufring *next;   /* The driver's rings. */
} uring_bufring;

/* A link of the module's own list of the ops it holds (see "track"). */
typedef struct uring_link {
    struct uring_link *next;
    struct uring_link *prev;
} uring_link;

/* One driver. Everything hangs off this: no global mutable state. */
typedef struct uring_state {
    struct io_uring ring;
    const cio_host_api *api;
    cio_host *host;
    unsigned flags;    /* IORING_SETUP_* the ring really has. */
    unsigned features; /* IORING_FEAT_* the kernel reported. */
    int enabled;       /* R_DISABLED ring enabled by its first user. */
    int evfd;          /* eventfd written by notify(). */
    int notify_armed;  /* A POLL_ADD on evfd is queued or in the kernel. */
    int notify_multi;  /* Try multishot poll for evfd (Linux 5.13). */
    int woke;          /* The notify poll fired since the last wait(). */
    /*
     * Under valgrind, adapted to it (URING_UNDER_VALGRIND, the valgrind
     * knob): decided once, since the check is a client request that
     * costs instructions on every reap.
     */
    int vg;
    /*
     * cancel_all() without IORING_ASYNC_CANCEL_ANY (Linux < 5.19, or
     * the cancel_any = no knob): the module keeps every op it holds on
     * the circular list "held" (through op->priv), to cancel them one
     * by one. With CANCEL_ANY one SQE does it and nothing is kept.
     */
    int track;
    uring_link held;
    /*
     * While wait_batch() runs: completions go to out[nout..out_max)
     * instead of host->complete (out is NULL otherwise).
     */
    cio_completion *out;
    unsigned nout;
    unsigned out_max;
    /*
     * The last three words of every SQE in the ring (buf_index,
     * personality, file_index; addr3; pad) are zero, so that the plain
     * read, write and NOP of the batch's common case need not write
     * them (cio_uring_prep.c). SQEs are written in ring order, so it
     * holds once a full lap of SQEs has been written with them zero
     * since the last SQE that may have left them non-zero (filled by a
     * liburing helper): that one sets sqe_clean to 0 and sqe_dirty_pos
     * to a tail past it, and uring_sqe_clean() sets sqe_clean again
     * when sqe_tail is a lap beyond sqe_dirty_pos. Starts unset.
     */
    int sqe_clean;
    unsigned sqe_dirty_pos;
    uint8_t native[CIO_OP__COUNT]; /* supports() answers. */
    uint8_t opflags[CIO_OP__COUNT]; /* op_flags() answers. */
    uring_bufring *rings; /* Registered buffer rings. */
    /*
     * notify() protocol, see uring_wait: "pending" says a wake-up was
     * asked for, "sleeping" says the owner may be blocked in the kernel.
     */
    atomic_int pending;
    atomic_int sleeping;
} uring_state;

/*
 * The module's per-op state, overlaid on op->priv: the TIMEOUT's
 * relative delay, which the kernel reads when the SQE is submitted, and
 * the op's place on the held list when the module tracks its ops.
 */
typedef struct uring_opriv {
    struct __kernel_timespec ts;
    uring_link link;
} uring_opriv;

/* The op whose held-list link is @l. */
#define URING_OP_OF(l)                                                         \
    ((cio_op *)(void *)((char *)(l) - offsetof(uring_opriv, link) -           \
                        offsetof(cio_op, priv)))

/* The module's part of @op->priv. */
static inline uring_opriv *
uring_priv(cio_op *op)
{
    void *p = op->priv.u64;
    return p;
}

/* Put @op on the held list (st->track). */
static inline void
uring_hold(uring_state *st, cio_op *op)
{
    uring_link *l = &uring_priv(op)->link;
    l->next = &st->held;
    l->prev = st->held.prev;
    st->held.prev->next = l;
    st->held.prev = l;
}

/* Take @op off the held list. */
static inline void
uring_unhold(cio_op *op)
{
    uring_link *l = &uring_priv(op)->link;
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->next = l->prev = NULL;
}

/* Enable an R_DISABLED ring from its first user (cio_uring.c). */
int uring__enable(uring_state *st);

/* Knobs and ring set-up (cio_uring_setup.c). */
int uring__knobs_read(const cio_host_api *api, cio_host *host,
                      unsigned entries, uring_knobs *k);
int uring__ring_init(uring_state *st, const uring_knobs *k);
int uring__probe_ops(uring_state *st, const uring_knobs *k);
unsigned uring__kernel_opcode(unsigned opcode);

/*
 * A free SQE, or NULL when the SQ is full: liburing's io_uring_get_sqe
 * without the tests that never apply here (the ring has no SQE128).
 * The acquire load of the kernel's head is what SQPOLL needs; elsewhere
 * it is a plain load on every architecture that matters.
 */
static inline struct io_uring_sqe *
uring_sqe_next(uring_state *st)
{
    struct io_uring_sq *sq = &st->ring.sq;
    unsigned tail = sq->sqe_tail;
    if (tail - __atomic_load_n(sq->khead, __ATOMIC_ACQUIRE) >= sq->ring_entries)
        return NULL;
    sq->sqe_tail = tail + 1;
    return &sq->sqes[tail & sq->ring_mask];
}

/*
 * An SQE was (or is being) filled whose last three words may not be
 * zero. sqe_tail may still be at the start of the batch being filled,
 * whose SQEs all lie within one lap of it: a tail a lap on is past the
 * SQE for sure.
 */
static inline void
uring_sqe_dirty(uring_state *st)
{
    st->sqe_clean = 0;
    st->sqe_dirty_pos = st->ring.sq.sqe_tail + st->ring.sq.ring_entries;
}

/* Whether every SQE has its last three words zero (st->sqe_clean). */
static inline int
uring_sqe_clean(uring_state *st)
{
    if (!st->sqe_clean && (int)(st->ring.sq.sqe_tail - st->sqe_dirty_pos) >=
                              (int)st->ring.sq.ring_entries)
        st->sqe_clean = 1;
    return st->sqe_clean;
}

/* A free SQE, flushing a full SQ first; NULL with *@err (cio_uring.c). */
struct io_uring_sqe *uring__get_sqe(uring_state *st, int *err);

/* SQE preparation and the backend's submits (cio_uring_prep.c). */
int uring__submit(void *state, cio_op *op);
unsigned uring__submit_batch(void *state, cio_op *const *ops, unsigned n,
                             int *err);
int32_t uring__poll_result(int32_t res);

/* Provided-buffer rings (cio_uring_bufring.c): the backend ops. */
int uring__bufring_create(void *state, const cio_bufpool *pool, void *base,
                          uint32_t count, uint32_t size, void **handle);
void uring__bufring_recycle(void *state, void *handle, uint16_t bid);
void uring__bufring_destroy(void *state, void *handle);
/* Unmap what is left at destroy time (the ring exit drops the rest). */
void uring__bufring_free_all(uring_state *st);

/* Registered files and buffers (cio_uring_register.c): backend ops. */
int uring__files_register(void *state, const cio_fd *fds, unsigned n);
int uring__files_update(void *state, unsigned off, const cio_fd *fds,
                        unsigned n);
int uring__files_unregister(void *state);
int uring__buffers_register(void *state, const cio_iovec *iov, unsigned n);
int uring__buffers_unregister(void *state);

/* cio_uring_vg.c: under valgrind, mark what a completion's op received
 * from the kernel as defined. */
void uring__vg_defined(uring_state *st, const cio_op *op, int32_t res,
                       uint32_t cflags);

#endif /* CIO_URING_INT_H */
