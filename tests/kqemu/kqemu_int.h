/* SPDX-License-Identifier: MIT */
/*
 * kqemu_int.h - what the files of the kevent(2) emulation share: the
 * queue and knote types, the process-wide state (kqemu.c) and the calls
 * between the knote table (kqemu_knote.c) and event collection
 * (kqemu_kevent.c). Internal to tests/kqemu; see kqemu.c for how the
 * emulation works and what it follows.
 */
#ifndef KQEMU_INT_H
#define KQEMU_INT_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kqemu.h"
#include "sys/event.h"


typedef __typeof__(((struct kevent *)0)->filter) kqe_filter_t;
typedef __typeof__(((struct kevent *)0)->flags) kqe_flags_t;
typedef __typeof__(((struct kevent *)0)->fflags) kqe_fflags_t;
typedef __typeof__(((struct kevent *)0)->data) kqe_data_t;

#ifndef EV_RECEIPT
#define KQE_RECEIPT 0
#else
#define KQE_RECEIPT EV_RECEIPT
#endif
#ifdef NOTE_FFLAGSMASK
#define KQE_FFLAGSMASK NOTE_FFLAGSMASK
#else
#define KQE_FFLAGSMASK 0
#endif
#ifndef EV_DISPATCH
#define KQE_DISPATCH 0
#else
#define KQE_DISPATCH EV_DISPATCH
#endif

/* Flags a knote keeps from the change that added it. */
#define KQE_STORED (EV_ONESHOT | EV_CLEAR | KQE_DISPATCH | KQE_RECEIPT)

/*
 * kevent(2) BUGS: "The timeout value is limited to 24 hours; longer
 * timeouts will be silently reinterpreted as 24 hours."
 */
#define KQE_MAX_WAIT_NS (24ull * 3600u * 1000000000u)

enum kqe_type { KQE_READ, KQE_WRITE, KQE_TIMER, KQE_USER, KQE_BAD };

/* What an fd knote's descriptor was when it was added. */
enum kqe_fdkind { KQE_FD_OTHER, KQE_FD_SOCK, KQE_FD_PIPE, KQE_FD_VNODE };

typedef struct kqe_knote {
    struct kqe_knote *hnext;       /* Hash chain. */
    struct kqe_knote *next, *prev; /* All knotes, in add order. */
    struct kevent kev;             /* As added; flags = stored. */
    int type;                      /* enum kqe_type. */
    int enabled;
    /* fd knotes */
    dev_t dev;
    ino_t ino;
    int fdkind;
    int cleared;        /* EV_CLEAR: delivered, not seen unready since. */
    int64_t clear_data; /* EV_CLEAR: data at that delivery. */
    /* timers */
    uint64_t period_ns;
    uint64_t next_ns;
    uint64_t count;
    /* user */
    int triggered;
    /* protocol counters */
    uint64_t last_call;
    uint64_t streak;
    int touched;
} kqe_knote;

typedef struct kqe_kq {
    int fd;
    dev_t dev;
    ino_t ino;
    pid_t pid;
    int refs; /* Registry's reference plus calls in progress. */
    pthread_mutex_t mu;
    kqe_knote **buckets;
    unsigned nbuckets;
    unsigned count;
    kqe_knote *head, *tail;
    uint64_t ncalls; /* kevent() calls on this queue. */
    /* (ident, filter) of fd knotes removed because their fd closed. */
    struct {
        uintptr_t ident;
        kqe_filter_t filter;
    } closed[64];
    unsigned nclosed;
    /* Changelist signature of the last call that returned EINTR. */
    uint64_t eintr_sig;
    int eintr_last;
} kqe_kq;


/* Injected faults (kqemu.h's kqemu_fault_*, or KQEMU_FAULTS). */
typedef struct kqe_faults {
    unsigned fail_nth;
    int fail_err;
    unsigned eintr_nth, eintr_every;
    unsigned short_max;
    unsigned spurious_every;
    unsigned stale_every;
    int eof_fd, eof_write, eof_err;
    uint64_t waitcalls; /* Calls that reached the event scan. */
} kqe_faults;

/* ---- kqemu.c: process-wide state ---- */

/* Guards the registry, the faults, the counters and the trace. */
extern pthread_mutex_t kqe__mu;
extern pthread_once_t kqe__once;
extern kqe_faults kqe__fault;
extern kqemu_stats kqe__stats;
/* Sequence number of kevent() calls, for the trace. */
extern uint64_t kqe__callseq;

/* Set up at first use: fork handlers and KQEMU_FAULTS. */
void kqe__init(void);
/* Record one change or event of call @call, when tracing. */
void kqe__trace(uint64_t call, int kq, int kind, const struct kevent *kev,
                int64_t result, int64_t nevents);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t kqe__now(void);
/* The queue behind descriptor @fd, referenced, or NULL (EBADF). */
kqe_kq *kqe__lookup(int fd);
/* Drop a reference kqe__lookup took. */
void kqe__unref(kqe_kq *kq);

/* ---- kqemu_knote.c: the knote table and the filters ---- */

/* Apply change @c to @kq: 0 or an errno value for its EV_ERROR. */
int kqe__register(kqe_kq *kq, const struct kevent *c);
/* Unlink and free knote @kn. */
void kqe__remove(kqe_kq *kq, kqe_knote *kn);
/* Drop fd knotes whose descriptor was closed (or reused) meanwhile. */
void kqe__reap_closed(kqe_kq *kq);
/* Consume the wake-up datagrams another thread sent to @kq. */
void kqe__drain_wake(kqe_kq *kq);

#endif /* KQEMU_INT_H */
