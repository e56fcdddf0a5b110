/* SPDX-License-Identifier: MIT */
/*
 * cio_epoll_int.h - state shared by the files of the epoll module:
 * cio_epoll.c (descriptor, kernel objects, wait loop, notify),
 * cio_epoll_fd.c (fd table, waiter queues, submit, cancel) and
 * cio_epoll_timer.c (the timeout heap). Never installed. The cross-file
 * names carry the epoll__ prefix and stay hidden: the module is built with
 * -fvisibility=hidden and exports only cio_backend_epoll.
 */
#ifndef CIO_EPOLL_INT_H
#define CIO_EPOLL_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <compio/module.h>

/* Where an op held by the module currently is (epoll_opriv.where). */
enum epoll_where {
    EPOLL_AT_NONE = 0, /* Not held: never submitted, completed or pooled. */
    EPOLL_AT_READQ,    /* In its fd's read-waiter queue. */
    EPOLL_AT_WRITEQ,   /* In its fd's write-waiter queue. */
    EPOLL_AT_POLLQ,    /* A POLL_ADD in its fd's poller queue. */
    EPOLL_AT_HEAP      /* In the timer heap: a TIMEOUT, or a CONNECT
                          waiting for its next timed retry. */
};

/*
 * The module's per-op state, overlaid on op->priv (declared as
 * op_priv_size, checked against CIO_OP_PRIV_MAX at compile time).
 */
typedef struct epoll_opriv {
    cio_op *next; /* Queue links: doubly linked for O(1) cancel. */
    cio_op *prev;
    uint64_t deadline; /* TIMEOUT: absolute, host->now_ns() clock. */
    uint32_t heap_idx; /* TIMEOUT: slot in the heap. */
    uint8_t where;     /* enum epoll_where. */
    uint8_t tries;     /* CONNECT on a full backlog: timed retries so far. */
} epoll_opriv;

/* One FIFO of waiting ops. */
typedef struct epoll_queue {
    cio_op *head;
    cio_op *tail;
} epoll_queue;

/* What the module learnt about an fd, cached in its table entry. */
enum epoll_kind {
    EPOLL_KIND_UNKNOWN = 0, /* Not looked at since it was (re)seen. */
    EPOLL_KIND_POLLABLE,    /* Socket, pipe, tty...: O_NONBLOCK is set. */
    EPOLL_KIND_POOLED       /* Regular file or block device: the pool. */
};

/*
 * Readiness hints (epoll_fdent.unready): the last try in that direction
 * found the fd not ready, and epoll has not reported it ready since.
 * A new op in a hinted direction waits without a first try.
 */
#define EPOLL_UNREADY_READ 1u
#define EPOLL_UNREADY_WRITE 2u

/* How hints are used ([module.epoll] hints = ..., see cio_epoll.c). */
enum epoll_hints {
    EPOLL_HINTS_ADAPTIVE = 0, /* "adaptive": skip while skipping pays. */
    EPOLL_HINTS_ALWAYS,       /* "always": a hinted op never tries. */
    EPOLL_HINTS_EAGAIN,       /* "eagain": hints from an EAGAIN only. */
    EPOLL_HINTS_OFF           /* "off": no hints; every op tries. */
};

/*
 * The adaptive policy's estimate, per direction, of how often a try
 * made despite a hint succeeds, in 1/EPOLL_ODDS_ONE: a moving average
 * with weight 1/2^EPOLL_ODDS_SHIFT. Hinted ops try while it is at least
 * EPOLL_ODDS_ONE/2, and otherwise one in EPOLL_PROBE_EVERY still tries,
 * to notice when the odds change.
 */
#define EPOLL_ODDS_ONE 256u
#define EPOLL_ODDS_SHIFT 4
#define EPOLL_PROBE_EVERY 32u

/* Does a short read mean the fd was drained (epoll_fdent.drains)? */
enum epoll_drains {
    EPOLL_DRAINS_UNKNOWN = 0, /* Not asked since the number was (re)seen. */
    EPOLL_DRAINS_YES,         /* Stream socket or pipe. */
    EPOLL_DRAINS_NO           /* Datagrams, records, ttys...: it may not. */
};

/* Per-fd state, in a table indexed by the fd number. */
typedef struct epoll_fdent {
    epoll_queue rq;     /* Read waiters (RECV, READ, ACCEPT...). */
    epoll_queue wq;     /* Write waiters (SEND, WRITE, CONNECT...). */
    epoll_queue pq;     /* POLL_ADD waiters. */
    uint32_t armed;     /* EPOLLIN/OUT/PRI armed and not yet fired. */
    uint32_t nwait;     /* Ops in the three queues. */
    uint8_t registered; /* We did EPOLL_CTL_ADD for this number. */
    uint8_t kind;       /* enum epoll_kind. */
    uint8_t unready;    /* EPOLL_UNREADY_* hints, see cio_epoll_fd.c. */
    uint8_t drains;     /* enum epoll_drains. */
} epoll_fdent;

/* One driver. Everything hangs off this: no global mutable state. */
typedef struct epoll_state {
    const cio_host_api *api;
    cio_host *host;
    int epfd;         /* The epoll instance. */
    int evfd;         /* eventfd for notify(), in the epoll set. */
    unsigned batch;   /* Events fetched per epoll_wait. */
    void *events;     /* struct epoll_event[batch]. */
    epoll_fdent *fds; /* Indexed by fd; nfds entries. */
    unsigned nfds;
    unsigned nwait; /* Ops waiting on fds, all entries together. */
    /*
     * Completions delivered since the last wait() returned (by submit
     * or cancel, inline), and whether the last wait() skipped
     * epoll_wait: see the fast path at the top of epoll_run.
     */
    unsigned inline_done;
    uint8_t skipped;
    uint8_t hints;    /* enum epoll_hints. */
    uint16_t odds[2]; /* Adaptive hints: read [0] and write [1] odds. */
    uint8_t probe[2]; /* Hinted ops skipped since the last probe. */
    cio_op **heap;    /* TIMEOUT ops, min-heap on deadline. */
    unsigned heap_len;
    unsigned heap_cap;
    uint64_t sweep_ns;   /* Interval between liveness sweeps. */
    uint64_t next_sweep; /* now_ns() time of the next sweep. */
    /*
     * notify() protocol, see epoll_notify: "pending" says a wake-up was
     * asked for, "sleeping" says the loop thread may be in epoll_wait.
     */
    atomic_int pending;
    atomic_int sleeping;
} epoll_state;

/* Get the module's state inside an op. */
static inline epoll_opriv *
epoll__priv(cio_op *op)
{
    return (epoll_opriv *)(void *)op->priv.u64;
}

/* Per-fd machinery (cio_epoll_fd.c). */
epoll_fdent *epoll__fdent_get(epoll_state *st, int fd);
void epoll__fdent_reset(epoll_fdent *e);
int epoll__classify(epoll_fdent *e, int fd);
int epoll__submit(void *state, cio_op *op);
int epoll__cancel(void *state, cio_op *op);
unsigned epoll__on_event(epoll_state *st, int fd, uint32_t events);
unsigned epoll__sweep(epoll_state *st);
unsigned epoll__settle(epoll_state *st, int fd, cio_op *fresh);

/* Timer heap (cio_epoll_timer.c). */
int epoll__timer_add(epoll_state *st, cio_op *op);
void epoll__timer_remove(epoll_state *st, cio_op *op);
unsigned epoll__timer_expire(epoll_state *st, uint64_t now);
uint64_t epoll__timer_next(const epoll_state *st);
/* Cio_epoll_fd.c: the timed retry of a CONNECT the heap let go. */
unsigned epoll__connect_retry(epoll_state *st, cio_op *op);

#endif /* CIO_EPOLL_INT_H */
