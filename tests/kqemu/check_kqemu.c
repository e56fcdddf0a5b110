/* SPDX-License-Identifier: MIT */
/*
 * check_kqemu.c - kqemu's own suite: each test checks one rule of the
 * FreeBSD 12.2 kevent(2) manual page (Debian freebsd-manpages), quoted
 * above it, or a FreeBSD kernel behaviour the study notes describe
 * (shared/notes/kqueue.md, named as such), plus the fault injection and
 * the call trace that the kqueue module's tests rely on. This proves the
 * emulation follows our reading of the page; it cannot prove that
 * reading right (no BSD kernel is reachable here).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cio_test.h"
#include "kqemu.h"
#include "sys/event.h"

static struct kevent
kv(uintptr_t ident, int filter, unsigned flags, unsigned fflags, int64_t data,
   void *udata)
{
    struct kevent k;
    memset(&k, 0, sizeof(k));
    k.ident = ident;
    k.filter = (short)filter;
    k.flags = (unsigned short)flags;
    k.fflags = fflags;
    k.data = data;
    k.udata = udata;
    return k;
}

static const struct timespec ts0 = {0, 0};

/* Apply @nch changes, collect up to @nev events, wait at most @ms. */
static int
kq_call(int kq, const struct kevent *ch, int nch, struct kevent *ev, int nev,
        int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    return kevent(kq, ch, nch, ev, nev, ms < 0 ? NULL : &ts);
}

/* One change with no room for events; 0 or -errno. */
static int
kq_change(int kq, struct kevent c)
{
    return kevent(kq, &c, 1, NULL, 0, &ts0) < 0 ? -errno : 0;
}

static uint64_t
ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int fds_before;

static void
setup(void)
{
    kqemu_reset();
    fds_before = cio_test_count_fds();
}

static void
teardown(void)
{
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}

static void
spair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/*
 * "The kqueue() system call creates a new kernel event queue and returns
 * a descriptor." / "[EBADF] The specified descriptor is invalid."
 */
START_TEST(t_kqueue_descriptor)
{
    struct kevent ev;
    struct stat sb;
    int kq = kqueue(), p[2];
    ck_assert_int_ge(kq, 0);
    ck_assert_int_eq(fstat(kq, &sb), 0);
    ck_assert_int_eq(kq_call(kq, NULL, 0, &ev, 1, 0), 0);
    close(kq);
    ck_assert_int_eq(kq_call(kq, NULL, 0, &ev, 1, 0), -1);
    ck_assert_int_eq(errno, EBADF);
    /* The number reused by another file is still not a kqueue. */
    kq = kqueue();
    close(kq);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert(p[0] == kq || p[1] == kq);
    ck_assert_int_eq(kq_call(kq, NULL, 0, &ev, 1, 0), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(kq_call(-1, NULL, 0, &ev, 1, 0), -1);
    ck_assert_int_eq(errno, EBADF);
    close(p[0]);
    close(p[1]);
}
END_TEST

/*
 * "A kevent is identified by the (ident, filter) pair; there may only be
 * one unique kevent per kqueue." / EV_ADD: "Re-adding an existing event
 * will modify the parameters of the original event, and not result in a
 * duplicate entry."
 */
START_TEST(t_unique_knote)
{
    struct kevent ch[2], ev[4];
    int kq = kqueue(), sv[2], a, b;
    spair(sv);
    ch[0] = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, &a);
    ch[1] = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, &b);
    ck_assert_int_eq(kq_call(kq, ch, 2, ev, 4, 0), 0);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 4, 0), 1);
    ck_assert_ptr_eq(ev[0].udata, &b);
    /* READ and WRITE on one fd are two knotes. */
    ch[0] = kv(sv[0], EVFILT_WRITE, EV_ADD, 0, 0, &a);
    ck_assert_int_eq(kq_call(kq, ch, 1, ev, 4, 0), 2);
    ck_assert(ev[0].filter != ev[1].filter);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * EVFILT_READ: "returns whenever there is data available to read" ...
 * "On return, data contains the number of bytes of protocol data
 * available to read." Without EV_CLEAR the condition is reported for as
 * long as it holds.
 */
START_TEST(t_read_level)
{
    struct kevent ch, ev[2];
    char buf[8];
    int kq = kqueue(), sv[2];
    spair(sv);
    ch = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    ck_assert_int_eq(write(sv[1], "hello", 5), 5);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_uint_eq(ev[0].ident, (uintptr_t)sv[0]);
    ck_assert_int_eq(ev[0].filter, EVFILT_READ);
    ck_assert_int_eq(ev[0].data, 5);
    ck_assert_int_eq(ev[0].flags & EV_ERROR, 0);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_int_eq(read(sv[0], buf, sizeof(buf)), 5);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * "The filter is also run when the user attempts to retrieve the kevent
 * from the kqueue. If the filter indicates that the condition that
 * triggered the event no longer holds, the kevent is removed from the
 * kqueue and is not returned." And "All changes contained in the
 * changelist are applied before any pending events are read".
 */
START_TEST(t_recheck_and_order)
{
    struct kevent ch, ev[2];
    char c;
    int kq = kqueue(), sv[2];
    spair(sv);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    /* Added and reported in the same call. */
    ch = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(read(sv[0], &c, 1), 1);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/* EV_CLEAR: "After the event is retrieved by the user, its state is reset." */
START_TEST(t_clear)
{
    struct kevent ch, ev[2];
    int kq = kqueue(), sv[2];
    spair(sv);
    ch = kv(sv[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    ck_assert_int_eq(write(sv[1], "ab", 2), 2);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_int_ne(ev[0].flags & EV_CLEAR, 0);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 30), 0);
    ck_assert_int_eq(write(sv[1], "c", 1), 1);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 1000), 1);
    ck_assert_int_eq(ev[0].data, 3);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * EV_ONESHOT: "Causes the event to return only the first occurrence of
 * the filter being triggered. After the user retrieves the event from
 * the kqueue, it is deleted." / "[ENOENT] The event could not be found
 * to be modified or deleted."
 */
START_TEST(t_oneshot)
{
    struct kevent ch, ev[2];
    int kq = kqueue(), sv[2];
    spair(sv);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    ch = kv(sv[0], EVFILT_READ, EV_ADD | EV_ONESHOT, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    ck_assert_int_eq(
        kq_change(kq, kv(sv[0], EVFILT_READ, EV_DELETE, 0, 0, NULL)), -ENOENT);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * EV_DISPATCH: "Disable the event source immediately after delivery of
 * an event." / EV_ENABLE: "Permit kevent() to return the event if it is
 * triggered." / EV_DISABLE: "Disable the event so kevent() will not
 * return it."
 */
START_TEST(t_dispatch_enable_disable)
{
    struct kevent ch, ev[2];
    int kq = kqueue(), sv[2];
    spair(sv);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    ch = kv(sv[0], EVFILT_READ, EV_ADD | EV_DISPATCH, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    ch = kv(sv[0], EVFILT_READ, EV_ENABLE, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ch = kv(sv[0], EVFILT_WRITE, EV_ADD | EV_DISABLE, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    /* Re-adding a disabled knote without EV_ENABLE keeps it disabled. */
    ch = kv(sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    ch = kv(sv[0], EVFILT_WRITE, EV_ENABLE, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(ev[0].filter, EVFILT_WRITE);
    ck_assert_int_gt(ev[0].data, 0);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * "If an error occurs while processing an element of the changelist and
 * there is enough room in the eventlist, then the event will be placed
 * in the eventlist with EV_ERROR set in flags and the system error in
 * data." The entry carries the change's udata; FreeBSD replaces its
 * flags with EV_ERROR and returns the error entries without scanning for
 * events (kern_kevent_fp, study notes A2.5 rows 1-3).
 */
START_TEST(t_error_entries)
{
    struct kevent ch[2], ev[4];
    int kq = kqueue(), sv[2], tag;
    spair(sv);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    ch[0] = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ch[1] = kv(sv[0], EVFILT_WRITE, EV_DELETE, 0, 0, &tag);
    ck_assert_int_eq(kq_call(kq, ch, 2, ev, 4, 1000), 1);
    ck_assert_int_eq(ev[0].flags, EV_ERROR);
    ck_assert_int_eq(ev[0].data, ENOENT);
    ck_assert_ptr_eq(ev[0].udata, &tag);
    ck_assert_int_eq(ev[0].filter, EVFILT_WRITE);
    /* The ADD was applied: its event comes with the next call. */
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 4, 0), 1);
    ck_assert_int_eq(ev[0].filter, EVFILT_READ);
    /* "[EINVAL] The specified time limit or filter is invalid." */
    ch[0] = kv(sv[0], 99, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, ch, 1, ev, 4, 0), 1);
    ck_assert_int_eq(ev[0].data, EINVAL);
    /* "[EBADF] The specified descriptor is invalid." */
    ch[0] = kv(1000000, EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, ch, 1, ev, 4, 0), 1);
    ck_assert_int_eq(ev[0].data, EBADF);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * "Otherwise, -1 will be returned, and errno will be set": with no room
 * in the eventlist the first error ends the call and the changes after
 * it are not applied (kern_kevent_fp, study notes A4.3 row 3).
 */
START_TEST(t_error_no_room)
{
    struct kevent ch[2];
    int kq = kqueue(), sv[2];
    spair(sv);
    ch[0] = kv(sv[0], EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
    ch[1] = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kevent(kq, ch, 2, NULL, 0, &ts0), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(
        kq_change(kq, kv(sv[0], EVFILT_READ, EV_DELETE, 0, 0, NULL)), -ENOENT);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * EV_RECEIPT: "it forces EV_ERROR to always be returned. When a filter
 * is successfully added the data field will be zero. Note that if this
 * flag is encountered and there is no remaining space in eventlist to
 * hold the EV_ERROR event, then subsequent changes will not get
 * processed."
 */
START_TEST(t_receipt)
{
    struct kevent ch[2], ev[4];
    kqemu_stats s;
    int kq = kqueue(), sv[2];
    spair(sv);
    ch[0] = kv(sv[0], EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, NULL);
    ch[1] = kv(sv[0], EVFILT_WRITE, EV_ADD | EV_RECEIPT, 0, 0, NULL);
    /* WRITE is ready, yet only the two receipts come back. */
    ck_assert_int_eq(kq_call(kq, ch, 2, ev, 4, 0), 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_ne(ev[i].flags & EV_ERROR, 0);
        ck_assert_int_eq(ev[i].data, 0);
    }
    close(kq);
    kq = kqueue();
    ck_assert_int_eq(kevent(kq, ch, 2, NULL, 0, &ts0), 0);
    ck_assert_int_eq(
        kq_change(kq, kv(sv[0], EVFILT_WRITE, EV_DELETE, 0, 0, NULL)), -ENOENT);
    kqemu_get_stats(&s);
    ck_assert_uint_ge(s.receipt_no_room, 1);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * "When nevents is zero, kevent() will return immediately even if there
 * is a timeout specified" / "[EINVAL] The specified time limit ... is
 * invalid." / "If the time limit expires, then kevent() returns 0."
 */
START_TEST(t_timeouts)
{
    struct timespec bad = {0, 1000000000L}, neg = {-1, 0}, hour = {3600, 0};
    struct kevent ev;
    uint64_t t0;
    int kq = kqueue();
    t0 = ms_now();
    /* An hour's limit, not waited for (the bound only tells a hang). */
    ck_assert_int_eq(kevent(kq, NULL, 0, NULL, 0, &hour), 0);
    ck_assert_uint_lt(ms_now() - t0, 60000);
    ck_assert_int_eq(kevent(kq, NULL, 0, &ev, 1, &bad), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(kevent(kq, NULL, 0, &ev, 1, &neg), -1);
    ck_assert_int_eq(errno, EINVAL);
    t0 = ms_now();
    ck_assert_int_eq(kq_call(kq, NULL, 0, &ev, 1, 60), 0);
    ck_assert_uint_ge(ms_now() - t0, 60);
    close(kq);
}
END_TEST

/*
 * Pipes: "When the last writer disconnects, the filter will set EV_EOF
 * in flags." EVFILT_WRITE: "The filter will set EV_EOF when the reader
 * disconnects".
 */
START_TEST(t_eof_pipe)
{
    struct kevent ch, ev[2];
    int kq = kqueue(), p[2], q[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(q, O_CLOEXEC), 0);
    ch = kv(p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    close(p[1]);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_int_ne(ev[0].flags & EV_EOF, 0);
    ck_assert_int_eq(ev[0].data, 0);
    close(p[0]);
    ch = kv(q[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(ev[0].flags & EV_EOF, 0);
    ck_assert_int_gt(ev[0].data, 0);
    close(q[0]);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_int_ne(ev[0].flags & EV_EOF, 0);
    close(q[1]);
    close(kq);
}
END_TEST

/*
 * Sockets: "If the read direction of the socket has shutdown, then the
 * filter also sets EV_EOF in flags ... It is possible for EOF to be
 * returned (indicating the connection is gone) while there is still data
 * pending in the socket buffer."
 */
START_TEST(t_eof_socket_data)
{
    struct kevent ch, ev[2];
    int kq = kqueue(), sv[2];
    spair(sv);
    ck_assert_int_eq(write(sv[1], "hello", 5), 5);
    ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
    ch = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_ne(ev[0].flags & EV_EOF, 0);
    ck_assert_int_eq(ev[0].data, 5);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * "Sockets which have previously been passed to listen() return when
 * there is an incoming connection pending."
 */
START_TEST(t_listen)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    struct kevent ch, ev[2];
    int kq = kqueue(), l, c;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(l, 4), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
    ch = kv(l, EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 2000), 1);
    ck_assert_int_ge(ev[0].data, 1);
    close(c);
    close(l);
    close(kq);
}
END_TEST

/*
 * Vnodes: "Returns when the file pointer is not at the end of file. data
 * contains the offset from current position to end of file". WRITE:
 * "Note that this filter is not supported for vnodes".
 */
START_TEST(t_vnode)
{
    char path[] = "/tmp/cio-kqemu-XXXXXX";
    struct kevent ch, ev[2];
    int kq = kqueue(), f = mkstemp(path);
    ck_assert_int_ge(f, 0);
    unlink(path);
    ck_assert_int_eq(write(f, "0123456789", 10), 10);
    ck_assert_int_eq(lseek(f, 4, SEEK_SET), 4);
    ch = kv(f, EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(ev[0].data, 6);
    ck_assert_int_eq(lseek(f, 0, SEEK_END), 10);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    ch = kv(f, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(ev[0].data, EINVAL);
    close(f);
    close(kq);
}
END_TEST

/*
 * "Calling close() on a file descriptor will remove any kevents that
 * reference the descriptor." A later EV_DELETE gets EBADF (not open) or
 * ENOENT (the number reused); the trace counts it as a delete after
 * close, a protocol error of the caller.
 */
START_TEST(t_close_removes)
{
    struct kevent ch, ev[2];
    kqemu_stats s;
    int kq = kqueue(), sv[2], p[2], fd;
    spair(sv);
    fd = sv[0];
    ch = kv(fd, EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    close(fd);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    ck_assert_int_eq(kq_change(kq, kv(fd, EVFILT_READ, EV_DELETE, 0, 0, NULL)),
                     -EBADF);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    if (p[0] != fd) {
        ck_assert_int_eq(dup3(p[0], fd, O_CLOEXEC), fd);
        close(p[0]);
        p[0] = fd;
    }
    ck_assert_int_eq(kq_change(kq, kv(fd, EVFILT_READ, EV_DELETE, 0, 0, NULL)),
                     -ENOENT);
    ck_assert_int_eq(kq_change(kq, kv(fd, EVFILT_READ, EV_ENABLE, 0, 0, NULL)),
                     -ENOENT);
    kqemu_get_stats(&s);
    ck_assert_uint_ge(s.closed_drops, 1);
    ck_assert_uint_eq(s.delete_after_close, 2);
    close(p[0]);
    close(p[1]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * EVFILT_TIMER: "The timer will be periodic unless EV_ONESHOT ... is
 * specified. On return, data contains the number of times the timeout
 * has expired since the last call to kevent()." / "If fflags is not set,
 * the default is milliseconds."
 */
START_TEST(t_timer)
{
    struct kevent ch, ev[2];
    uint64_t t0;
    int kq = kqueue();
    t0 = ms_now();
    ch = kv(7, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 30, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 2000), 1);
    ck_assert_uint_ge(ms_now() - t0, 30);
    ck_assert_uint_eq(ev[0].ident, 7);
    ck_assert_int_eq(ev[0].data, 1);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 50), 0);
    ck_assert_int_eq(kq_change(kq, kv(7, EVFILT_TIMER, EV_DELETE, 0, 0, NULL)),
                     -ENOENT);
    /* Periodic, NOTE_USECONDS: expirations are counted. */
    ch = kv(7, EVFILT_TIMER, EV_ADD, NOTE_USECONDS, 10000, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    usleep(55000);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_int_ge(ev[0].data, 4);
    /* Implicit EV_CLEAR: the count starts again. */
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    ck_assert_int_eq(kq_change(kq, kv(7, EVFILT_TIMER, EV_DELETE, 0, 0, NULL)),
                     0);
    close(kq);
}
END_TEST

/*
 * "If an existing timer is re-added, the existing timer will be
 * effectively canceled (throwing away any undelivered record of previous
 * timer expiration) and re-started". Bad data or fflags: EINVAL.
 */
START_TEST(t_timer_readd_invalid)
{
    struct kevent ch, ev[2];
    int kq = kqueue();
    ch = kv(3, EVFILT_TIMER, EV_ADD, NOTE_NSECONDS, 1000000, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    usleep(20000);
    ch = kv(3, EVFILT_TIMER, EV_ADD, 0, 200, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 20), 0);
    ch = kv(4, EVFILT_TIMER, EV_ADD, 0, -1, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(ev[0].data, EINVAL);
    ch = kv(4, EVFILT_TIMER, EV_ADD, NOTE_SECONDS | NOTE_NSECONDS, 1, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(ev[0].data, EINVAL);
    ch = kv(4, EVFILT_TIMER, EV_ADD, 0x80000000u, 1, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(ev[0].data, EINVAL);
    close(kq);
}
END_TEST

/*
 * EVFILT_USER: "NOTE_TRIGGER Cause the event to be triggered." / "NOTE_FFOR
 * Bitwise OR fflags." / "NOTE_FFCOPY Copy fflags." / "On return, fflags
 * contains the users defined flags in the lower 24 bits."
 */
START_TEST(t_user)
{
    struct kevent ch, ev[2];
    int kq = kqueue();
    ch = kv(1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    ck_assert_int_eq(kq_change(kq, kv(1, EVFILT_USER, 0,
                                      NOTE_TRIGGER | NOTE_FFOR | 0x5, 0, NULL)),
                     0);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_uint_eq(ev[0].fflags, 0x5);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    ck_assert_int_eq(
        kq_change(kq, kv(1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 0x2, 0,
                         NULL)),
        0);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_uint_eq(ev[0].fflags, 0x2);
    /* Without EV_CLEAR it stays triggered. */
    ch = kv(2, EVFILT_USER, EV_ADD, NOTE_TRIGGER, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    close(kq);
}
END_TEST

static void *
trigger_later(void *arg)
{
    int kq = *(int *)arg;
    usleep(50000);
    ck_assert_int_eq(
        kq_change(kq, kv(1, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL)), 0);
    return NULL;
}

/* A trigger from another thread wakes a kevent() blocked forever. */
START_TEST(t_user_other_thread)
{
    struct kevent ch, ev[2];
    pthread_t th;
    uint64_t t0;
    int kq = kqueue();
    ch = kv(1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    t0 = ms_now();
    ck_assert_int_eq(pthread_create(&th, NULL, trigger_later, &kq), 0);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, -1), 1);
    ck_assert_uint_ge(ms_now() - t0, 45);
    pthread_join(th, NULL);
    close(kq);
}
END_TEST

/* "The queue is not inherited by a child created with fork(2)." */
START_TEST(t_fork)
{
    struct kevent ev;
    int kq = kqueue(), status;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int ok = kevent(kq, NULL, 0, &ev, 1, &ts0) == -1 && errno == EBADF &&
                 fcntl(kq, F_GETFD) == -1;
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(kq_call(kq, NULL, 0, &ev, 1, 0), 0);
    close(kq);
}
END_TEST

/* ---- fault injection ---- */

START_TEST(t_fault_fail_change)
{
    struct kevent ch[2], ev[4];
    int kq = kqueue(), sv[2];
    spair(sv);
    kqemu_fault_fail_change(2, EPERM);
    ch[0] = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ch[1] = kv(sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, ch, 2, ev, 4, 0), 1);
    ck_assert_int_eq(ev[0].filter, EVFILT_WRITE);
    ck_assert_int_eq(ev[0].data, EPERM);
    ck_assert_int_eq(
        kq_change(kq, kv(sv[0], EVFILT_WRITE, EV_DELETE, 0, 0, NULL)), -ENOENT);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/*
 * "When kevent() call fails with EINTR error, all changes in the
 * changelist have been applied." Repeating them is counted.
 */
START_TEST(t_fault_eintr)
{
    struct kevent ch, ev[2];
    kqemu_stats s;
    int kq = kqueue(), sv[2];
    spair(sv);
    kqemu_fault_eintr(1, 0);
    ch = kv(sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 1000), -1);
    ck_assert_int_eq(errno, EINTR);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    kqemu_fault_eintr(1, 0);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 1000), -1);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    kqemu_get_stats(&s);
    ck_assert_uint_eq(s.resubmit_after_eintr, 1);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

START_TEST(t_fault_short_spurious_stale)
{
    struct kevent ch[4], ev[4];
    uint64_t t0;
    int kq = kqueue(), a[2], b[2], c[2];
    spair(a);
    spair(b);
    spair(c);
    ch[0] = kv(a[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    ch[1] = kv(b[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    ch[2] = kv(c[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    kqemu_fault_short(1);
    ck_assert_int_eq(kq_call(kq, ch, 3, ev, 4, 0), 1);
    kqemu_reset();
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 4, 0), 3);
    /* Spurious: a blocking call returns 0 at once. */
    ch[0] = kv(a[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ch[1] = kv(a[0], EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
    ch[2] = kv(b[0], EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
    ch[3] = kv(c[0], EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, ch, 4, ev, 4, 0), 0);
    kqemu_fault_spurious(1);
    t0 = ms_now();
    /* An hour's limit, not waited for (the bound only tells a hang). */
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 4, 3600000), 0);
    ck_assert_uint_lt(ms_now() - t0, 60000);
    /* Stale: a knote that is not ready is reported. */
    kqemu_reset();
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 4, 0), 0);
    kqemu_fault_stale(1);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 4, 50), 1);
    ck_assert_uint_eq(ev[0].ident, (uintptr_t)a[0]);
    ck_assert_int_eq(ev[0].data, 0);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
        close(c[i]);
    }
    close(kq);
}
END_TEST

START_TEST(t_fault_eof)
{
    struct kevent ch, ev[2];
    int kq = kqueue(), sv[2];
    spair(sv);
    ch = kv(sv[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 0);
    kqemu_fault_eof(sv[0], 0, ECONNRESET);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 1);
    ck_assert_int_ne(ev[0].flags & EV_EOF, 0);
    ck_assert_uint_eq(ev[0].fflags, ECONNRESET);
    ck_assert_int_eq(kq_call(kq, NULL, 0, ev, 2, 0), 0);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

/* The WRITE busy-loop counter and the call trace. */
START_TEST(t_trace_and_streak)
{
    struct kevent ch, ev[2];
    kqemu_stats s;
    kqemu_rec r;
    unsigned calls = 0, changes = 0, events = 0, rets = 0;
    int kq = kqueue(), sv[2];
    spair(sv);
    kqemu_trace_start();
    ch = kv(sv[0], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(kq_call(kq, i == 0 ? &ch : NULL, i == 0, ev, 2, 0), 1);
    kqemu_get_stats(&s);
    ck_assert_uint_eq(s.write_streak_max, 4);
    for (unsigned i = 0; i < kqemu_trace_len(); i++) {
        ck_assert_int_eq(kqemu_trace_get(i, &r), 0);
        calls += r.kind == KQEMU_REC_CALL;
        changes += r.kind == KQEMU_REC_CHANGE;
        events += r.kind == KQEMU_REC_EVENT;
        rets += r.kind == KQEMU_REC_RETURN;
    }
    ck_assert_uint_eq(calls, 4);
    ck_assert_uint_eq(changes, 1);
    ck_assert_uint_eq(events, 4);
    ck_assert_uint_eq(rets, 4);
    /* EV_DISPATCH re-enabled for each delivery: no streak. */
    kqemu_reset();
    close(kq);
    kq = kqueue();
    ch = kv(sv[0], EVFILT_WRITE, EV_ADD | EV_DISPATCH, 0, 0, NULL);
    ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    ch = kv(sv[0], EVFILT_WRITE, EV_ENABLE, 0, 0, NULL);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(kq_call(kq, &ch, 1, ev, 2, 0), 1);
    kqemu_get_stats(&s);
    ck_assert_uint_eq(s.write_streak_max, 1);
    close(sv[0]);
    close(sv[1]);
    close(kq);
}
END_TEST

static Suite *
kqemu_suite(void)
{
    Suite *s = suite_create("kqemu");
    TCase *tc = tcase_create("kevent(2) rules");
    TCase *tf = tcase_create("faults and trace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_checked_fixture(tf, setup, teardown);
    /* The harness's default (tests/include.am): room for slow runs. */
    tcase_set_timeout(tc, 120);
    tcase_set_timeout(tf, 120);
    tcase_add_test(tc, t_kqueue_descriptor);
    tcase_add_test(tc, t_unique_knote);
    tcase_add_test(tc, t_read_level);
    tcase_add_test(tc, t_recheck_and_order);
    tcase_add_test(tc, t_clear);
    tcase_add_test(tc, t_oneshot);
    tcase_add_test(tc, t_dispatch_enable_disable);
    tcase_add_test(tc, t_error_entries);
    tcase_add_test(tc, t_error_no_room);
    tcase_add_test(tc, t_receipt);
    tcase_add_test(tc, t_timeouts);
    tcase_add_test(tc, t_eof_pipe);
    tcase_add_test(tc, t_eof_socket_data);
    tcase_add_test(tc, t_listen);
    tcase_add_test(tc, t_vnode);
    tcase_add_test(tc, t_close_removes);
    tcase_add_test(tc, t_timer);
    tcase_add_test(tc, t_timer_readd_invalid);
    tcase_add_test(tc, t_user);
    tcase_add_test(tc, t_user_other_thread);
    tcase_add_test(tc, t_fork);
    tcase_add_test(tf, t_fault_fail_change);
    tcase_add_test(tf, t_fault_eintr);
    tcase_add_test(tf, t_fault_short_spurious_stale);
    tcase_add_test(tf, t_fault_eof);
    tcase_add_test(tf, t_trace_and_streak);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tf);
    return s;
}

int
main(void)
{
    return cio_test_run(kqemu_suite());
}
