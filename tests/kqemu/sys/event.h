/* SPDX-License-Identifier: MIT */
/*
 * tests/kqemu/sys/event.h - the kevent(2) interface of kqemu, compio's
 * in-tree userspace emulation of FreeBSD's kqueue, for tests only. It is
 * written from the FreeBSD 12.2 kevent(2) manual page (Debian package
 * freebsd-manpages) and copies no operating system's header.
 *
 * The header comes in "personalities" that mimic how the real systems'
 * headers differ, so that the kqueue module compiled against each of
 * them proves it depends on names and not on one system's layout:
 *
 *   (default)                 FreeBSD-like: short filter (negative
 *                             EVFILT_* values), u_short flags, u_int
 *                             fflags, int64_t data, void *udata,
 *                             uint64_t ext[4], int counts in kevent().
 *   KQEMU_PERSONALITY_NETBSD  NetBSD-like: uint32_t filter, flags and
 *                             fflags, unsigned EVFILT_* values, size_t
 *                             counts; timer units are an enumeration
 *                             inside a mask (NOTE_MSECONDS is 0).
 *   KQEMU_PERSONALITY_MACOS   macOS-like: int16_t filter, intptr_t data,
 *                             no ext, NOTE_ABSOLUTE, no NOTE_MSECONDS
 *                             (milliseconds are the default).
 *   KQEMU_PERSONALITY_OPENBSD old-OpenBSD-like: no EV_RECEIPT, no
 *                             EV_DISPATCH, no EVFILT_USER, no timer unit
 *                             flags at all (milliseconds only).
 *
 * Feature switches remove one thing from any personality:
 * KQEMU_NO_USER (no EVFILT_USER), KQEMU_NO_DISPATCH (no EV_DISPATCH),
 * KQEMU_NO_RECEIPT (no EV_RECEIPT), KQEMU_NO_TIMER_UNITS (no NOTE_*SECONDS).
 *
 * Every numeric constant is scrambled: it matches no real system, and
 * the personalities disagree with each other, so code that hard-codes a
 * number, or tests "filter < 0", either fails to build (-Werror with
 * -Wextra's -Wtype-limits on an unsigned filter) or fails at run time
 * against kqemu.
 */
#ifndef KQEMU_SYS_EVENT_H
#define KQEMU_SYS_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KQEMU_PERSONALITY_OPENBSD)
#ifndef KQEMU_NO_USER
#define KQEMU_NO_USER 1
#endif
#ifndef KQEMU_NO_DISPATCH
#define KQEMU_NO_DISPATCH 1
#endif
#ifndef KQEMU_NO_RECEIPT
#define KQEMU_NO_RECEIPT 1
#endif
#ifndef KQEMU_NO_TIMER_UNITS
#define KQEMU_NO_TIMER_UNITS 1
#endif
#endif

/* ---- struct kevent and the count type of kevent() ---- */

#if defined(KQEMU_PERSONALITY_NETBSD)

struct kevent {
    uintptr_t ident;
    uint32_t filter;
    uint32_t flags;
    uint32_t fflags;
    int64_t data;
#ifdef KQEMU_UDATA_INTPTR
    intptr_t udata; /* older NetBSD */
#else
    void *udata;
#endif
    uint64_t ext[4];
};
typedef size_t kqemu_count_t;

#define EVFILT_READ 4U
#define EVFILT_WRITE 9U
#define EVFILT_TIMER 2U
#ifndef KQEMU_NO_USER
#define EVFILT_USER 6U
#endif

#define EV_ADD 0x00010000U
#define EV_DELETE 0x00000002U
#define EV_ENABLE 0x00040000U
#define EV_DISABLE 0x00000008U
#define EV_ONESHOT 0x00100000U
#define EV_CLEAR 0x00000020U
#ifndef KQEMU_NO_RECEIPT
#define EV_RECEIPT 0x00200000U
#endif
#ifndef KQEMU_NO_DISPATCH
#define EV_DISPATCH 0x00000080U
#endif
#define EV_EOF 0x01000000U
#define EV_ERROR 0x00000004U

#define NOTE_LOWAT 0x00000400U
#ifndef KQEMU_NO_TIMER_UNITS
/* An enumeration inside NOTE_TIMER_UNITMASK, as in newer NetBSD. */
#define NOTE_TIMER_UNITMASK 0x00000300U
#define NOTE_MSECONDS 0x00000000U
#define NOTE_SECONDS 0x00000100U
#define NOTE_USECONDS 0x00000300U
#define NOTE_NSECONDS 0x00000200U
#define NOTE_ABSTIME 0x00010000U
#endif
#ifndef KQEMU_NO_USER
#define NOTE_FFNOP 0x00000000U
#define NOTE_FFAND 0x40000000U
#define NOTE_FFOR 0x80000000U
#define NOTE_FFCOPY 0xc0000000U
#define NOTE_FFCTRLMASK 0xc0000000U
#define NOTE_FFLAGSMASK 0x00ffffffU
#define NOTE_TRIGGER 0x04000000U
#endif

#else /* FreeBSD-like, macOS-like and OpenBSD-like share the narrow types */

struct kevent {
    uintptr_t ident;
#if defined(KQEMU_PERSONALITY_MACOS)
    int16_t filter;
    uint16_t flags;
    uint32_t fflags;
    intptr_t data;
    void *udata;
#elif defined(KQEMU_PERSONALITY_OPENBSD)
    short filter;
    unsigned short flags;
    unsigned int fflags;
    int64_t data;
    void *udata;
#else
    short filter;
    unsigned short flags;
    unsigned int fflags;
    int64_t data;
    void *udata;
    uint64_t ext[4];
#endif
};
typedef int kqemu_count_t;

#if defined(KQEMU_PERSONALITY_MACOS)
#define EVFILT_READ (-6)
#define EVFILT_WRITE (-9)
#define EVFILT_TIMER (-4)
#ifndef KQEMU_NO_USER
#define EVFILT_USER (-13)
#endif
#else
#define EVFILT_READ (-7)
#define EVFILT_WRITE (-3)
#define EVFILT_TIMER (-11)
#ifndef KQEMU_NO_USER
#define EVFILT_USER (-5)
#endif
#endif

#define EV_ADD 0x0200
#define EV_DELETE 0x0010
#define EV_ENABLE 0x0800
#define EV_DISABLE 0x0001
#define EV_ONESHOT 0x0100
#define EV_CLEAR 0x2000
#ifndef KQEMU_NO_RECEIPT
#define EV_RECEIPT 0x0004
#endif
#ifndef KQEMU_NO_DISPATCH
#define EV_DISPATCH 0x1000
#endif
#define EV_EOF 0x0040
#define EV_ERROR 0x0400

#define NOTE_LOWAT 0x0010
#ifndef KQEMU_NO_TIMER_UNITS
#if defined(KQEMU_PERSONALITY_MACOS)
/* No NOTE_MSECONDS: milliseconds are what no unit flag means. */
#define NOTE_SECONDS 0x0080
#define NOTE_USECONDS 0x0004
#define NOTE_NSECONDS 0x0200
#define NOTE_ABSOLUTE 0x0040
#else
#define NOTE_SECONDS 0x0040
#define NOTE_MSECONDS 0x0100
#define NOTE_USECONDS 0x0008
#define NOTE_NSECONDS 0x20000
#define NOTE_ABSTIME 0x0400
#endif
#endif
#ifndef KQEMU_NO_USER
#define NOTE_FFNOP 0x00000000u
#define NOTE_FFAND 0x80000000u
#define NOTE_FFOR 0x40000000u
#define NOTE_FFCOPY 0xc0000000u
#define NOTE_FFCTRLMASK 0xc0000000u
#define NOTE_FFLAGSMASK 0x00ffffffu
#define NOTE_TRIGGER 0x02000000u
#endif

#endif /* personalities */

/** Fill in a struct kevent (the kevent(2) EV_SET macro). */
#define EV_SET(kevp, a, b, c, d, e, f)                                         \
    do {                                                                       \
        struct kevent *kqemu_kevp_ = (kevp);                                   \
        kqemu_kevp_->ident = (a);                                              \
        kqemu_kevp_->filter = (b);                                             \
        kqemu_kevp_->flags = (c);                                              \
        kqemu_kevp_->fflags = (d);                                             \
        kqemu_kevp_->data = (e);                                               \
        kqemu_kevp_->udata = (f);                                              \
    } while (0)

/** kqueue(2): a new event queue, as a real descriptor; -1 and errno. */
int kqueue(void);

/**
 * kevent(2): apply @nchanges changes, then return up to @nevents
 * events, waiting at most @timeout (NULL: forever). The count type is
 * int or size_t depending on the personality, as on the real systems.
 */
int kevent(int kq, const struct kevent *changelist, kqemu_count_t nchanges,
           struct kevent *eventlist, kqemu_count_t nevents,
           const struct timespec *timeout);

#ifdef __cplusplus
}
#endif

#endif /* KQEMU_SYS_EVENT_H */
