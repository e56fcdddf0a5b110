/* SPDX-License-Identifier: MIT */
/*
 * cio_faulty_int.h - the fault-injecting wrapper module's state, shared
 * by cio_faulty.c (descriptor, probe, create/destroy, the inner host
 * API table, the forwarded optional members), cio_faulty_rule.c (the
 * configuration of faults, the PRNG, the counters), cio_faulty_io.c
 * (submit, completion interception, held completions, wait, notify) and
 * cio_faulty_sys.c (what differs between POSIX and Windows: the kind of
 * a descriptor, the process id, absolute paths).
 */
#ifndef CIO_FAULTY_INT_H
#define CIO_FAULTY_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <compio/module.h>

/* The kinds of fault, in the order the counters are printed. */
enum faulty_kind {
    FK_ENOMEM = 0,  /* submit() refuses the op with CIO_ENOMEM. */
    FK_EINTR,       /* The op completes with CIO_EINTR, nothing done. */
    FK_EAGAIN,      /* The op completes with CIO_EAGAIN, nothing done. */
    FK_ECONNRESET,  /* A socket op completes with CIO_ECONNRESET. */
    FK_ECANCELED,   /* The op completes with CIO_ECANCELED, nothing done. */
    FK_SHORT,       /* The IO really runs, on fewer bytes or buffers. */
    FK_DELAY,       /* A completion is held back to a later wait. */
    FK_LATE_NOTIFY, /* notify() reaches the waiter late_notify_us late. */
    FK__COUNT
};

/* When a kind fires: by rate, exactly on the Nth op, or every Nth. */
typedef struct faulty_rule {
    double rate;    /* Probability per eligible op, 0..1. */
    uint64_t nth;   /* Fire on the nth eligible op only (1-based); 0 off. */
    uint64_t every; /* Fire on every every-th eligible op; 0 off. */
    uint64_t seen;  /* Eligible ops so far. */
} faulty_rule;

/* A completion held back for a later wait. */
typedef struct faulty_held {
    struct faulty_held *next;
    cio_op *op;
    int32_t result;
    uint32_t cflags;
} faulty_held;

/*
 * Per-op state at the end of op->priv (the inner module owns the start):
 * FAULTY_OPRIV_OFF.. is ours, so the inner may use at most that much.
 * Eight bytes, no more: the iocp module uses 120 of the 128 (its
 * OVERLAPPED and three inline WSABUFs), and faulty must fit beside it.
 */
typedef struct faulty_opriv {
    uint32_t orig;  /* Length or iovcnt before a short-IO fault. */
    uint16_t held;  /* Completions of this op in the held queue. */
    uint8_t live;   /* FAULTY_LIVE while submitted and not finished. */
    uint8_t flags;  /* FOP_*. */
} faulty_opriv;

_Static_assert(sizeof(faulty_opriv) == 8, "faulty_opriv must stay 8 bytes");

/* faulty_opriv.flags */
#define FOP_SHORT_LEN 0x01u  /* rw.len was cut (orig holds it). */
#define FOP_SHORT_VEC 0x02u  /* vec.iovcnt was cut (orig holds it). */
#define FOP_AT_INNER 0x04u   /* The inner module took the op. */
#define FOP_INNER_DONE 0x08u /* ... and delivered its final completion. */
#define FOP_SHORT (FOP_SHORT_LEN | FOP_SHORT_VEC)

#define FAULTY_OPRIV_OFF (CIO_OP_PRIV_MAX - sizeof(faulty_opriv))
/*
 * One byte: a second completion of a finished op (live is 0 again) is
 * always caught, a completion of an op never submitted to us (whatever
 * its priv held) all but one time in 256.
 */
#define FAULTY_LIVE 0xa7u

static inline faulty_opriv *
faulty_priv(cio_op *op)
{
    return (faulty_opriv *)(void *)((unsigned char *)&op->priv +
                                    FAULTY_OPRIV_OFF);
}

/* One driver: the inner module's driver plus the faults. */
typedef struct faulty {
    /* The real host, as the core gave it to create(). */
    const cio_host_api *api;
    cio_host *host;
    /* What the inner module sees instead: ours, forwarding. */
    cio_host_api iapi;
    /* The inner module and its driver. */
    const cio_backend_module *imod;
    const cio_backend_ops *iops;
    void *ihandle;
    void *istate;
    char iname[64];

    /* Faults. */
    uint64_t seed;
    uint64_t rng;
    faulty_rule rule[FK__COUNT];
    uint64_t late_ns; /* How late a late notify arrives. */
    char stats[512];  /* Append the counters here at destroy, or "". */

    /* Counters (the loop thread only, but for late notify). */
    uint64_t injected[FK__COUNT];
    uint64_t ops;        /* Ops submitted to us. */
    uint64_t finals;     /* Final completions delivered. */
    uint64_t mores;      /* CIO_CF_MORE completions delivered. */
    uint64_t pooled;     /* Ops the inner module sent to the pool. */
    uint64_t violations; /* A completion for an op we did not hold. */
    uint64_t delivered;  /* All completions handed to the core. */

    /* Completions held back: the queue, and the count per wait. */
    faulty_held *held;
    faulty_held *held_tail;
    unsigned nheld;
    unsigned nheld_timeout; /* Of those, completions of TIMEOUT ops. */
    faulty_held *held_free;

    /* Late notify: notify() may run on any thread. */
    _Atomic uint64_t notify_seq;
    _Atomic uint64_t late_due; /* now_ns when the late wake is due; 0 none. */
    _Atomic uint64_t late_count;
    /* A notify went to the inner module: the wait it ends is over. */
    _Atomic int woken;
} faulty;

/* What the descriptor of an op is, for the faults that care. */
enum faulty_fd_kind {
    FD_OTHER = 0, /* Unknown, a device, an eventfd: never cut or reset. */
    FD_FILE,      /* A regular file. */
    FD_PIPE,      /* A byte-stream pipe. */
    FD_STREAM,    /* A stream socket. */
    FD_DGRAM      /* A datagram socket (or a message-mode pipe). */
};

/* cio_faulty_sys.c: the platform's part. */
int faulty_fd_kind(cio_fd fd);
uint64_t faulty_pid(void);
int faulty_path_absolute(const char *path);

/* cio_faulty_rule.c */
int faulty_config(faulty *f);
int faulty_fire(faulty *f, int kind);
int faulty_fire_notify(faulty *f);
uint64_t faulty_rand(faulty *f);
void faulty_report(faulty *f);
extern const char *const faulty_kind_names[FK__COUNT];

/* cio_faulty_io.c */
int faulty_submit(void *state, cio_op *op);
int faulty_cancel(void *state, cio_op *op);
int faulty_wait(void *state, int64_t timeout_ns);
int faulty_notify(void *state);
void faulty_icomplete(cio_host *h, cio_op *op, int32_t result, uint32_t cflags);
int faulty_ipool_submit(cio_host *h, cio_op *op);
void faulty_drop_held(faulty *f);

#endif /* CIO_FAULTY_INT_H */
