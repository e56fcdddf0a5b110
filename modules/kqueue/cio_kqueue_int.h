/* SPDX-License-Identifier: MIT */
/*
 * cio_kqueue_int.h - state shared by the files of the kqueue module:
 * cio_kqueue.c (descriptor, kernel objects, the changelist flush and the
 * wait loop, notify, fork), cio_kqueue_fd.c (fd table, waiter queues,
 * submit, cancel, events and errors of READ/WRITE knotes) and
 * cio_kqueue_timer.c (TIMEOUT ops as EVFILT_TIMER knotes). Never
 * installed. Cross-file names carry the kq__ prefix and stay hidden.
 *
 * Portability rules (the header personalities in tests/kqemu check
 * them): struct kevent's field types differ between systems (filter is
 * short on FreeBSD and macOS, uint32_t on NetBSD; flags u_short or
 * uint32_t; data int64_t or intptr_t), so every value stored into a
 * kevent goes through the kq_*_t types below, taken from the struct
 * itself; EVFILT_*, EV_* and NOTE_* are used by name only, never by
 * value or sign; optional features are tested with #ifdef.
 */
#ifndef CIO_KQUEUE_INT_H
#define CIO_KQUEUE_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include <time.h>

#include <sys/event.h>

#include <compio/module.h>

/* The field types of this system's struct kevent. */
typedef __typeof__(((struct kevent *)0)->filter) kq_filter_t;
typedef __typeof__(((struct kevent *)0)->flags) kq_flags_t;
typedef __typeof__(((struct kevent *)0)->fflags) kq_fflags_t;
typedef __typeof__(((struct kevent *)0)->data) kq_data_t;

/*
 * How a READ/WRITE knote is re-armed after it fired. With EV_DISPATCH
 * (FreeBSD 8+, macOS, NetBSD 10) the knote stays and is disabled after
 * delivery; EV_ENABLE re-arms it, and its ENOENT tells that a close()
 * removed it (the descriptor was closed, perhaps reused). Without it,
 * EV_ONESHOT deletes the knote after delivery and each wait adds it
 * again.
 */
#ifdef EV_DISPATCH
#define KQ_ARM_FLAG EV_DISPATCH
#define KQ_HAVE_DISPATCH 1
#else
#define KQ_ARM_FLAG EV_ONESHOT
#define KQ_HAVE_DISPATCH 0
#endif

/* Filter slots of an fd entry. */
enum { KQ_R = 0, KQ_W = 1 };

/* Where an op held by the module currently is (kq_opriv.where). */
enum kq_where {
    KQ_AT_NONE = 0, /* Not held: never submitted, completed or pooled. */
    KQ_AT_READQ,    /* In its fd's read-waiter queue. */
    KQ_AT_WRITEQ,   /* In its fd's write-waiter queue. */
    KQ_AT_POLLQ,    /* A POLL_ADD in its fd's poller queue. */
    KQ_AT_TIMER     /* A TIMEOUT owning a timer slot. */
};

/* The module's per-op state, overlaid on op->priv. */
typedef struct kq_opriv {
    cio_op *next; /* Queue links: doubly linked for O(1) cancel. */
    cio_op *prev;
    uint64_t seq;      /* Fd waiters: enqueue order (stale detection). */
    uint64_t deadline; /* TIMEOUT: absolute, host->now_ns() clock. */
    uint32_t slot;     /* TIMEOUT: its timer slot (the knote's ident). */
    uint8_t where;     /* enum kq_where. */
} kq_opriv;

typedef struct kq_queue {
    cio_op *head;
    cio_op *tail;
} kq_queue;

/* What the module learnt about an fd, cached in its table entry. */
enum kq_kind {
    KQ_KIND_UNKNOWN = 0, /* Not looked at since it was (re)seen. */
    KQ_KIND_POLLABLE,    /* Socket, pipe, tty...: O_NONBLOCK is set. */
    KQ_KIND_POOLED       /* Regular file, directory, or refused by kevent. */
};

/* What the last flush sent for a filter of an fd (kq_fdent.sent). */
enum { KQ_SENT_NONE = 0, KQ_SENT_ADD, KQ_SENT_ENABLE };

/* Per-fd state, in a table indexed by the fd number. */
typedef struct kq_fdent {
    kq_queue rq; /* Read waiters (RECV, READ, ACCEPT...). */
    kq_queue wq; /* Write waiters (SEND, WRITE, CONNECT...). */
    kq_queue pq; /* POLL_ADD waiters. */
    uint32_t nwait;
    uint8_t kind;     /* enum kq_kind. */
    uint8_t dirty;    /* On the dirty list: its arming is reconsidered. */
    uint8_t reg[2];   /* A knote exists, as far as we know. */
    uint8_t on[2];    /* It is enabled and has not fired since. */
    uint8_t probe[2]; /* Send EV_ENABLE even if on: is it still there? */
    uint8_t sent[2];  /* KQ_SENT_*: what the flush in progress sent. */
    /* Waiters older than this are stale if the probe finds no knote. */
    uint64_t probe_seq[2];
    uint64_t sent_seq[2]; /* probe_seq as it was when sent. */
} kq_fdent;

/* A timer slot: the ident of one EVFILT_TIMER knote. */
enum { KQ_TS_FREE = 0, KQ_TS_LIVE, KQ_TS_DYING };

typedef struct kq_tslot {
    cio_op *op; /* KQ_TS_LIVE: the TIMEOUT op. */
    uint32_t next_free;
    uint8_t state;     /* KQ_TS_*. */
    uint8_t in_kernel; /* A knote was added and has not fired. */
    uint8_t dirty;     /* On the timer dirty list. */
} kq_tslot;

/* One driver. Everything hangs off this: no global mutable state. */
typedef struct kq_state {
    const cio_host_api *api;
    cio_host *host;
    int kq;         /* The kqueue descriptor. */
    pid_t pid;      /* The process that made it (fork detection). */
    int use_user;   /* Notify with EVFILT_USER, else the pipe. */
    int wake_rd;    /* Pipe fallback of notify: read end, or -1. */
    int wake_wr;    /* ... and write end. */
    unsigned batch; /* Eventlist size, and the most changes per call. */
    struct kevent *events;
    struct kevent *changes;
    kq_fdent *fds; /* Indexed by fd; nfds entries. */
    unsigned nfds;
    unsigned nwait; /* Ops waiting on fds, all entries together. */
    uint64_t seq;   /* Enqueue counter for kq_opriv.seq. */
    int *dirty;     /* Fds whose arming must be reconsidered. */
    unsigned ndirty, dirty_cap;
    kq_tslot *slots; /* Timer slots, the EVFILT_TIMER idents. */
    uint32_t nslots;
    uint32_t free_slot; /* Head of the free list, or UINT32_MAX. */
    uint32_t *tdirty;   /* Slots with a change to send. */
    uint32_t ntdirty, tdirty_cap;
    uint32_t ntimers;  /* Live TIMEOUT ops. */
    uint64_t sweep_ns; /* Interval between liveness probes. */
    uint64_t next_sweep;
    /* notify() protocol, as in the epoll module (see kq_run). */
    atomic_int pending;
    atomic_int sleeping;
} kq_state;

static inline kq_opriv *
kq__priv(cio_op *op)
{
    return (kq_opriv *)(void *)op->priv.u64;
}

/* Fill @kev; each value converted to the field's own type. */
static inline void
kq__set(struct kevent *kev, uintptr_t ident, kq_filter_t filter,
        kq_flags_t flags, kq_fflags_t fflags, kq_data_t data)
{
    *kev = (struct kevent){0};
    kev->ident = ident;
    kev->filter = filter;
    kev->flags = flags;
    kev->fflags = fflags;
    kev->data = data;
}

/* cio_kqueue.c */
int kq__mark_dirty(kq_state *st, int fd);
int kq__sync_changes(kq_state *st);

/* cio_kqueue_fd.c */
kq_fdent *kq__fdent_get(kq_state *st, int fd);
int kq__classify(kq_fdent *e, int fd);
int kq__submit(void *state, cio_op *op);
int kq__cancel(void *state, cio_op *op);
unsigned kq__fd_event(kq_state *st, const struct kevent *ev);
unsigned kq__fd_error(kq_state *st, int fd, int k, int err);
int kq__fd_build(kq_state *st, int fd, struct kevent *out, int room);
void kq__sweep(kq_state *st);
void kq__fd_forget_kernel(kq_state *st);

/* cio_kqueue_timer.c */
int kq__timer_add(kq_state *st, cio_op *op);
int kq__timer_cancel(kq_state *st, cio_op *op);
unsigned kq__timer_event(kq_state *st, const struct kevent *ev);
void kq__timer_order(kq_state *st, struct kevent *ev, int n);
unsigned kq__timer_error(kq_state *st, uintptr_t ident, int err);
int kq__timer_build(kq_state *st, struct kevent *out, int room);
void kq__timer_forget_kernel(kq_state *st);

#endif /* CIO_KQUEUE_INT_H */
