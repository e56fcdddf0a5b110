/* SPDX-License-Identifier: MIT */
/*
 * kqemu.h - test-only controls of kqemu, the userspace kevent emulation:
 * fault injection and a call trace with protocol counters. Process-wide
 * (they apply to every kqueue of the process) and thread-safe. The
 * kqueue()/kevent() interface itself is in <sys/event.h> (tests/kqemu).
 *
 * Faults can also be set for a whole program through the environment,
 * read once at the first kqueue() call:
 *   KQEMU_FAULTS="spurious=N,short=N,eintr=N,stale=N"
 * spurious=N: every Nth waiting kevent() call returns 0 early;
 * short=N:    at most N events per call, however many are ready;
 * eintr=N:    every Nth waiting call fails with EINTR after applying
 *             its changes (as kevent(2) says it does);
 * stale=N:    every Nth waiting call also reports one enabled READ/WRITE
 *             knote as ready although it is not (a stale event).
 */
#ifndef KQEMU_H
#define KQEMU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Counters of protocol properties, since the last kqemu_reset(). */
typedef struct kqemu_stats {
    uint64_t calls;        /**< kevent() calls. */
    uint64_t changes;      /**< Changes applied (or failed). */
    uint64_t events;       /**< Events returned (EV_ERROR entries too). */
    uint64_t errors;       /**< EV_ERROR entries with data != 0. */
    uint64_t knotes;       /**< Knotes alive now, all kqueues. */
    uint64_t closed_drops; /**< Knotes dropped because their fd closed. */
    /** EV_RECEIPT in a changelist passed with nevents == 0. */
    uint64_t receipt_no_room;
    /** EV_DELETE naming an fd knote that a close() had removed. */
    uint64_t delete_after_close;
    /**
     * The longest run of consecutive kevent() calls that delivered the
     * same WRITE knote with no change to it in between: a WRITE filter
     * left enabled while nothing waits to write (a busy loop).
     */
    uint64_t write_streak_max;
    /** A call whose changelist repeats the one that just got EINTR. */
    uint64_t resubmit_after_eintr;
    /** EVFILT_TIMER added with data == 0 (NetBSD refuses it). */
    uint64_t timer_zero;
    /** Changes sent to a kqueue whose size exceeded nevents' room. */
    uint64_t changes_without_room;
} kqemu_stats;

/** Clear all faults, the trace and the counters. */
void kqemu_reset(void);
/** Copy the counters into @out. */
void kqemu_get_stats(kqemu_stats *out);

/** The @nth change from now (1 = the next) fails with @err. */
void kqemu_fault_fail_change(unsigned nth, int err);
/**
 * The @nth waiting kevent() call from now (nevents > 0) fails with
 * EINTR after applying its changes; @every > 0 repeats it every @every
 * calls after that.
 */
void kqemu_fault_eintr(unsigned nth, unsigned every);
/** At most @max events per call (0: no limit). */
void kqemu_fault_short(unsigned max);
/** Every @every-th waiting call returns 0 at once (0: off). */
void kqemu_fault_spurious(unsigned every);
/** Every @every-th waiting call reports one not-ready knote (0: off). */
void kqemu_fault_stale(unsigned every);
/**
 * The next event of the READ or WRITE knote on @fd (@write selects) is
 * reported with EV_EOF and @err in fflags, whatever the descriptor's
 * real state, and even when it is not ready.
 */
void kqemu_fault_eof(int fd, int write, int err);

/** One line of the call trace. */
typedef struct kqemu_rec {
    uint64_t call;   /**< Sequence number of the kevent() call. */
    int kq;          /**< The kqueue descriptor. */
    int kind;        /**< KQEMU_REC_*. */
    uint64_t ident;  /**< Change or event ident. */
    int64_t filter;  /**< Filter, widened. */
    uint64_t flags;  /**< Flags, widened. */
    uint64_t fflags; /**< Filter flags. */
    int64_t data;    /**< Data (an errno for an error entry). */
    int64_t result;  /**< KQEMU_REC_RETURN: the return value or -errno. */
    int64_t nevents; /**< KQEMU_REC_CALL: the nevents argument. */
} kqemu_rec;

enum {
    KQEMU_REC_CALL = 1, /**< A kevent() call began. */
    KQEMU_REC_CHANGE,   /**< One change, as given. */
    KQEMU_REC_EVENT,    /**< One entry returned (events and EV_ERROR). */
    KQEMU_REC_RETURN    /**< The call returned. */
};

/** Record the trace from now on (off by default; at most 65536 lines). */
void kqemu_trace_start(void);
/** Lines recorded. */
unsigned kqemu_trace_len(void);
/** Line @i into @out; 0, or -1 when out of range. */
int kqemu_trace_get(unsigned i, kqemu_rec *out);

#ifdef __cplusplus
}
#endif

#endif /* KQEMU_H */
