/* SPDX-License-Identifier: MIT */
/*
 * cio_test_win32.h - the thin Windows layer under the backend suites
 * (tests/conformance/check_conformance.c, check_beyond.c): the POSIX
 * calls and types those suites use, made of their Windows equivalents,
 * so that the same test bodies run on the IOCP backend (under wine in
 * this tree). Included instead of the POSIX headers, before cio_test.h.
 *
 * What stands in for what:
 *  - descriptors are ints holding a SOCKET or a HANDLE (Windows gives
 *    both 32 significant bits); close(), read() and write() tell them
 *    apart (getsockopt SO_TYPE);
 *  - socketpair(AF_UNIX, SOCK_STREAM) is a connected loopback TCP pair
 *    (Windows has no socketpair);
 *  - pipe2() is an overlapped named pipe pair: [0] the reading server
 *    end, [1] the writing client end (anonymous pipes cannot do
 *    overlapped IO, so IOCP could not drive them);
 *  - open() is CreateFile with FILE_FLAG_OVERLAPPED, lseek() moves the
 *    file pointer, which the IOCP module uses for READ without offset;
 *  - struct msghdr and struct iovec have the layout of WSAMSG and
 *    WSABUF, which is what the IOCP module reads for RECVMSG/SENDMSG
 *    (cio_iocp_submit.c), with the POSIX member names;
 *  - getrlimit(RLIMIT_NOFILE) reports no limit worth the name: Windows
 *    has none per process;
 *  - flags with no Windows meaning (SOCK_CLOEXEC, O_CLOEXEC,
 *    MSG_DONTWAIT, MSG_NOSIGNAL) are 0.
 * A test whose subject does not exist on Windows is registered with
 * cio_test_skip_case() instead, which reports it as a TAP SKIP with the
 * reason. And a failed assertion inside a task reaches Check as a
 * failure rather than a crash (see "failed assertions inside tasks").
 *
 * With CIO_TEST_WIN32_CATCH_ONLY defined, only that last part is
 * included (tests/api/cio_test_api.h does so, for suites that keep
 * their POSIX-looking calls to themselves).
 */
#ifndef CIO_TEST_WIN32_H
#define CIO_TEST_WIN32_H

#ifndef CIO_TEST_WIN32_CATCH_ONLY

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
#include <winternl.h>

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <compio.h>

#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
/* A bit Winsock does not use: cio_win_send/recv strip it and go
 * non-blocking for that one call. */
#ifndef MSG_DONTWAIT
#define MSG_DONTWAIT 0x10000000
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif
#ifndef SHUT_RD
#define SHUT_RD SD_RECEIVE
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH
#endif

/* WSABUF's layout with POSIX names. */
struct iovec {
    unsigned long iov_len;
    void *iov_base;
};

/* WSAMSG's layout with POSIX names. */
struct msghdr {
    void *msg_name;
    int msg_namelen;
    struct iovec *msg_iov;
    unsigned long msg_iovlen;
    WSABUF msg_control_buf; /* WSAMSG.Control. */
    unsigned long msg_flags;
};

_Static_assert(sizeof(struct iovec) == sizeof(WSABUF) &&
                   offsetof(struct iovec, iov_base) == offsetof(WSABUF, buf),
               "struct iovec is not a WSABUF");
_Static_assert(sizeof(struct msghdr) == sizeof(WSAMSG) &&
                   offsetof(struct msghdr, msg_iov) ==
                       offsetof(WSAMSG, lpBuffers) &&
                   offsetof(struct msghdr, msg_flags) ==
                       offsetof(WSAMSG, dwFlags),
               "struct msghdr is not a WSAMSG");

/* ---- descriptors ---- */

/* Winsock for the whole program, before main. */
__attribute__((constructor)) static void
cio_win_wsa_up(void)
{
    WSADATA wd;
    WSAStartup(MAKEWORD(2, 2), &wd);
}

/* Is @fd a socket? (Winsock's own errors on other handles vary.) */
static inline int
cio_win_is_sock(int fd)
{
    int type = 0, len = sizeof(type);
    return getsockopt((SOCKET)(intptr_t)fd, SOL_SOCKET, SO_TYPE, (char *)&type,
                      &len) == 0;
}

static inline int
cio_win_close(int fd)
{
    if (cio_win_is_sock(fd))
        return closesocket((SOCKET)(intptr_t)fd) == 0 ? 0 : -1;
    return CloseHandle((HANDLE)(intptr_t)fd) ? 0 : -1;
}
/* Function-like, as read and write: struct members of those names (a
 * cio_stream_ops, say) stay what they are. */
#define close(fd) cio_win_close(fd)

/*
 * write(2) on a socket (send) or a handle. A handle opened overlapped
 * needs an OVERLAPPED; its event's low bit set keeps the completion out
 * of any port the handle is associated with.
 */
static inline int
cio_win_write(int fd, const void *buf, size_t len)
{
    OVERLAPPED ov;
    DWORD n = 0;
    int r;
    if (cio_win_is_sock(fd))
        return send((SOCKET)(intptr_t)fd, buf, (int)len, 0);
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
    ov.hEvent = (HANDLE)((uintptr_t)ov.hEvent | 1);
    if (!WriteFile((HANDLE)(intptr_t)fd, buf, (DWORD)len, NULL, &ov) &&
        GetLastError() != ERROR_IO_PENDING)
        r = -1;
    else if (!GetOverlappedResult((HANDLE)(intptr_t)fd, &ov, &n, TRUE))
        r = -1;
    else
        r = (int)n;
    CloseHandle((HANDLE)((uintptr_t)ov.hEvent & ~(uintptr_t)1));
    return r;
}
#define write(fd, buf, len) cio_win_write((fd), (buf), (len))

/* read(2) on a socket (recv) or a handle, as cio_win_write. */
static inline int
cio_win_read(int fd, void *buf, size_t len)
{
    OVERLAPPED ov;
    DWORD n = 0;
    int r;
    if (cio_win_is_sock(fd))
        return recv((SOCKET)(intptr_t)fd, buf, (int)len, 0);
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
    ov.hEvent = (HANDLE)((uintptr_t)ov.hEvent | 1);
    if (!ReadFile((HANDLE)(intptr_t)fd, buf, (DWORD)len, NULL, &ov) &&
        GetLastError() != ERROR_IO_PENDING)
        r = GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
    else if (!GetOverlappedResult((HANDLE)(intptr_t)fd, &ov, &n, TRUE))
        r = GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
    else
        r = (int)n;
    CloseHandle((HANDLE)((uintptr_t)ov.hEvent & ~(uintptr_t)1));
    return r;
}
#define read(fd, buf, len) cio_win_read((fd), (buf), (len))

/*
 * send(2)/recv(2) with MSG_DONTWAIT: the socket is non-blocking for
 * that one call, and WSAEWOULDBLOCK is errno EAGAIN.
 */
static inline int
cio_win_sockio(int send_, int fd, void *buf, size_t len, int flags)
{
    SOCKET s = (SOCKET)(intptr_t)fd;
    u_long on = 1, off = 0;
    int nb = (flags & MSG_DONTWAIT) != 0, r, err;
    flags &= ~MSG_DONTWAIT;
    if (nb && ioctlsocket(s, FIONBIO, &on) != 0)
        nb = 0;
    r = send_ ? send(s, buf, (int)len, flags) : recv(s, buf, (int)len, flags);
    err = WSAGetLastError();
    if (nb)
        ioctlsocket(s, FIONBIO, &off);
    if (r < 0)
        errno = err == WSAEWOULDBLOCK ? EAGAIN : EIO;
    WSASetLastError(err);
    return r;
}
#define send(fd, buf, len, flags)                                              \
    cio_win_sockio(1, (int)(fd), (void *)(buf), (len), (flags))
#define recv(fd, buf, len, flags)                                              \
    cio_win_sockio(0, (int)(fd), (buf), (len), (flags))

/* accept4(2): Winsock's accept (its sockets are not inherited anyway). */
#define accept4(fd, addr, len, flags)                                          \
    ((int)(intptr_t)accept((SOCKET)(intptr_t)(fd), (addr), (len)))

/* fcntl(F_GETFD): FD_CLOEXEC when the handle is not inheritable. */
#define F_GETFD 1
#define FD_CLOEXEC 1
static inline int
cio_win_fcntl(int fd, int cmd)
{
    DWORD flags;
    if (cmd != F_GETFD || !GetHandleInformation((HANDLE)(intptr_t)fd, &flags))
        return -1;
    return (flags & HANDLE_FLAG_INHERIT) ? 0 : FD_CLOEXEC;
}
#define fcntl cio_win_fcntl

/* No /proc here: the leak report's descriptor names are not shown. */
#define readlink(path, buf, len) ((void)(path), (void)(buf), (void)(len), -1)

/*
 * posix_memalign(3) from _aligned_malloc, whose blocks free() must not
 * see: free() is routed through a small list of them.
 */
static void *cio_win_aligned[16];

static inline int
cio_win_posix_memalign(void **p, size_t align, size_t size)
{
    for (int i = 0; i < 16; i++) {
        if (cio_win_aligned[i] == NULL) {
            *p = cio_win_aligned[i] = _aligned_malloc(size, align);
            return *p ? 0 : ENOMEM;
        }
    }
    return ENOMEM;
}
#define posix_memalign cio_win_posix_memalign

static inline void
cio_win_free(void *p)
{
    for (int i = 0; p != NULL && i < 16; i++) {
        if (cio_win_aligned[i] == p) {
            cio_win_aligned[i] = NULL;
            _aligned_free(p);
            return;
        }
    }
    free(p);
}

/* A connected loopback TCP pair in place of an AF_UNIX socketpair. */
static inline int
cio_win_socketpair(int domain, int type, int protocol, int sv[2])
{
    struct sockaddr_in sin;
    int len = sizeof(sin), one = 1;
    SOCKET l, a, c;
    (void)domain;
    (void)protocol;
    if ((type & ~SOCK_CLOEXEC) != SOCK_STREAM)
        return -1;
    l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (l == INVALID_SOCKET)
        return -1;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&sin, &len) != 0) {
        closesocket(l);
        return -1;
    }
    c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (c == INVALID_SOCKET ||
        connect(c, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        closesocket(l);
        if (c != INVALID_SOCKET)
            closesocket(c);
        return -1;
    }
    a = accept(l, NULL, NULL);
    closesocket(l);
    if (a == INVALID_SOCKET) {
        closesocket(c);
        return -1;
    }
    setsockopt(a, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
    sv[0] = (int)(intptr_t)a;
    sv[1] = (int)(intptr_t)c;
    return 0;
}
#define socketpair cio_win_socketpair

/* An overlapped named pipe pair: p[0] reads, p[1] writes. */
static inline int
cio_win_pipe2(int p[2], int flags)
{
    static volatile LONG seq;
    char name[96];
    HANDLE r, w;
    (void)flags;
    p[0] = p[1] = -1;
    snprintf(name, sizeof(name), "\\\\.\\pipe\\cio-test-%lu-%ld",
             (unsigned long)GetCurrentProcessId(),
             (long)InterlockedIncrement(&seq));
    r = CreateNamedPipeA(name,
                         PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED |
                             FILE_FLAG_FIRST_PIPE_INSTANCE,
                         PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1,
                         65536, 65536, 0, NULL);
    if (r == INVALID_HANDLE_VALUE)
        return -1;
    w = CreateFileA(name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                    FILE_FLAG_OVERLAPPED, NULL);
    if (w == INVALID_HANDLE_VALUE) {
        CloseHandle(r);
        return -1;
    }
    p[0] = (int)(intptr_t)r;
    p[1] = (int)(intptr_t)w;
    return 0;
}
#define pipe2 cio_win_pipe2

/* open(2) of a regular file, overlapped (IOCP needs it). */
static inline int
cio_win_open(const char *path, int flags, ...)
{
    DWORD access = 0, disp = OPEN_EXISTING;
    HANDLE h;
    switch (flags & (O_RDONLY | O_WRONLY | O_RDWR)) {
    case O_WRONLY:
        access = GENERIC_WRITE;
        break;
    case O_RDWR:
        access = GENERIC_READ | GENERIC_WRITE;
        break;
    default:
        access = GENERIC_READ;
        break;
    }
    if ((flags & O_CREAT) && (flags & O_EXCL))
        disp = CREATE_NEW;
    else if ((flags & O_CREAT) && (flags & O_TRUNC))
        disp = CREATE_ALWAYS;
    else if (flags & O_CREAT)
        disp = OPEN_ALWAYS;
    else if (flags & O_TRUNC)
        disp = TRUNCATE_EXISTING;
    h = CreateFileA(
        path, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
        NULL, disp, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OVERLAPPED, NULL);
    return h == INVALID_HANDLE_VALUE ? -1 : (int)(intptr_t)h;
}
#define open cio_win_open

static inline long long
cio_win_lseek(int fd, long long off, int whence)
{
    LARGE_INTEGER to, pos;
    DWORD how = whence == SEEK_SET   ? FILE_BEGIN
                : whence == SEEK_CUR ? FILE_CURRENT
                                     : FILE_END;
    to.QuadPart = off;
    if (!SetFilePointerEx((HANDLE)(intptr_t)fd, to, &pos, how))
        return -1;
    return pos.QuadPart;
}
#define lseek cio_win_lseek

#define unlink _unlink
#define rmdir _rmdir

/* mkdtemp(3): the X's replaced by _mktemp_s, then the directory made. */
static inline char *
cio_win_mkdtemp(char *tmpl)
{
    if (_mktemp_s(tmpl, strlen(tmpl) + 1) != 0 || _mkdir(tmpl) != 0)
        return NULL;
    return tmpl;
}
#define mkdtemp cio_win_mkdtemp

/*
 * clock_gettime: Check's static mingw build carries a compat stub of it
 * that reports 0 for every clock, and being linked first it wins over
 * winpthreads'; with it, time stands still in every timed loop. Made
 * here of QueryPerformanceCounter (monotonic) and the system time.
 */
static inline int
cio_win_clock_gettime(int clk, struct timespec *ts)
{
    if (clk == CLOCK_MONOTONIC) {
        LARGE_INTEGER f, c;
        QueryPerformanceFrequency(&f);
        QueryPerformanceCounter(&c);
        ts->tv_sec = (time_t)(c.QuadPart / f.QuadPart);
        ts->tv_nsec =
            (long)((c.QuadPart % f.QuadPart) * 1000000000ll / f.QuadPart);
    } else {
        FILETIME ft;
        ULARGE_INTEGER u;
        GetSystemTimePreciseAsFileTime(&ft);
        u.LowPart = ft.dwLowDateTime;
        u.HighPart = ft.dwHighDateTime;
        /* 100 ns ticks since 1601 to the Unix epoch. */
        u.QuadPart -= 116444736000000000ull;
        ts->tv_sec = (time_t)(u.QuadPart / 10000000u);
        ts->tv_nsec = (long)(u.QuadPart % 10000000u) * 100;
    }
    return 0;
}
#define clock_gettime cio_win_clock_gettime

/* ---- limits ---- */

#define RLIMIT_NOFILE 7
typedef unsigned long long rlim_t;
struct rlimit {
    rlim_t rlim_cur;
    rlim_t rlim_max;
};

/* Windows has no per-process descriptor limit worth the name. */
static inline int
getrlimit(int res, struct rlimit *rl)
{
    (void)res;
    rl->rlim_cur = rl->rlim_max = 1u << 24;
    return 0;
}

static inline int
setrlimit(int res, const struct rlimit *rl)
{
    (void)res;
    (void)rl;
    return 0;
}

/* setsockopt takes a char pointer on Windows. */
#define setsockopt(s, level, name, val, len)                                   \
    setsockopt((SOCKET)(intptr_t)(s), (level), (name), (const char *)(val),    \
               (int)(len))

#include "cio_test.h"

/*
 * The leak check (BEGIN/END in the suites) counts Windows handles, not
 * the host descriptors that /proc/self/fd would show of a wine process
 * (wine gives each thread three of those). Only the kinds the suites
 * make are counted: "File" (files, pipes and sockets) and "IoCompletion"
 * (ports). Threads and their events and semaphores are not: the core's
 * pool threads come and go on their own time (they linger idle for
 * seconds after a test). Handle values are handed out low first, so
 * the live ones are found by asking about each value up to 4096 past
 * the highest ever seen live (GetProcessHandleCount is no use: wine's
 * does not count sockets).
 */
static inline int
cio_win_count_handles(void)
{
    static uintptr_t top; /* The highest live value seen so far. */
    union {
        PUBLIC_OBJECT_TYPE_INFORMATION t;
        char raw[512];
    } info;
    DWORD flags;
    int n = 0;
    for (uintptr_t v = 4; v <= top + 4 * 4096; v += 4) {
        ULONG len = 0;
        const WCHAR *name;
        size_t nlen;
        if (!GetHandleInformation((HANDLE)v, &flags))
            continue;
        if (v > top)
            top = v;
        if (NtQueryObject((HANDLE)v, ObjectTypeInformation, &info, sizeof(info),
                          &len) != 0)
            continue;
        name = info.t.TypeName.Buffer;
        nlen = info.t.TypeName.Length / sizeof(WCHAR);
        if ((nlen == 4 && wcsncmp(name, L"File", 4) == 0) ||
            (nlen == 12 && wcsncmp(name, L"IoCompletion", 12) == 0))
            n++;
    }
    return n;
}
#define cio_test_count_fds cio_win_count_handles

static int64_t
cio_win_nothing(void *arg)
{
    (void)arg;
    return 0;
}

static void *
cio_win_thread_nothing(void *arg)
{
    return arg;
}

/*
 * What a Windows process sets up on first use and keeps (Winsock's and
 * winpthreads' own handles, the loaded module, the pool's wait objects)
 * would show up as a "leak" in whichever test comes first; Linux runs
 * each test in a fresh fork and never sees it. So all of it is touched
 * once before main: a thread, and a driver (the default configuration)
 * that runs a NOP and a BLOCKING op on the pool.
 */
__attribute__((constructor)) static void
cio_win_settle(void)
{
    cio_driver *drv = NULL;
    cio_op nop, blk;
    cio_entry e[2];
    pthread_t th;
    int got = 0;
    if (pthread_create(&th, NULL, cio_win_thread_nothing, NULL) == 0)
        pthread_join(th, NULL);
    if (cio_driver_open(&drv, NULL) < 0)
        return;
    cio_op_nop(&nop);
    cio_op_blocking(&blk, cio_win_nothing, NULL);
    if (cio_driver_push(drv, &nop) == 0 && cio_driver_push(drv, &blk) == 0)
        for (int i = 0; i < 100 && got < 2; i++) {
            int n = cio_driver_poll(drv, 100, e, 2);
            if (n < 0)
                break;
            got += n;
        }
    cio_driver_close(drv);
}

#define free cio_win_free
#else /* CIO_TEST_WIN32_CATCH_ONLY */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>

#include "cio_test.h"
#endif /* CIO_TEST_WIN32_CATCH_ONLY */

/* ---- failed assertions inside tasks ---- */

/*
 * Check runs without fork on Windows: a failed ck_assert leaves the
 * test by longjmp to the runner's frame on the thread's own stack. From
 * a task that frame is on another fiber's stack, and the SEH unwind
 * mingw's longjmp does cannot get there: under wine the program died
 * without a word about which assertion failed. So every task a suite
 * starts (cio_block_on, cio_spawn: both wrapped below) runs under a
 * catcher on its own fiber. A failure in a task records its message,
 * cancels the other caught tasks of its runtime (so that none waits
 * for ever for the failed one), jumps back to its own catcher (same
 * stack) and the task returns CIO_ECANCELED. When cio_block_on is back
 * on the thread's stack it frees the runtime (cancelled tasks run to
 * their end; their own failures are dropped, the first one counts) and
 * only then hands that failure to Check, which reports it with its
 * file, line and message. Outside a task (a callback the loop runs, the
 * test body itself) Check is called at once: that is the thread's own
 * stack anyway.
 *
 * The state is one per program although every file of a suite has its
 * own copy of this header (selectany: the linker keeps one), so that a
 * helper in one file may fail inside a task started from another. A
 * lock keeps it whole when runtimes run on several threads.
 */
typedef struct cio_win_catch {
    struct cio_win_catch *next;
    cio_task *task;
    cio_runtime *rt;
    void *jb[5]; /* __builtin_setjmp's buffer: no SEH unwind. */
} cio_win_catch;

typedef struct cio_win_catch_state {
    SRWLOCK lock;
    cio_win_catch *live; /* The catchers of the running tasks. */
    int failed;          /* The first failure, until Check hears of it. */
    const char *file;
    int line;
    char msg[1024];
} cio_win_catch_state;

__attribute__((selectany)) cio_win_catch_state cio_win_cs = {
    .lock = SRWLOCK_INIT};

/*
 * A task's function and argument: on the heap until a spawned task
 * starts, on cio_win_block_on's stack for the main task.
 */
typedef struct cio_win_call {
    cio_task_fn fn;
    void *arg;
    int on_heap;
} cio_win_call;

static int
cio_win_task_entry(void *p)
{
    cio_win_call c = *(cio_win_call *)p;
    cio_win_catch k, **pp;
    volatile int r = CIO_ECANCELED;
    if (c.on_heap)
        free(p);
    k.task = cio_current();
    k.rt = cio_runtime_current();
    AcquireSRWLockExclusive(&cio_win_cs.lock);
    k.next = cio_win_cs.live;
    cio_win_cs.live = &k;
    ReleaseSRWLockExclusive(&cio_win_cs.lock);
    if (__builtin_setjmp(k.jb) == 0)
        r = c.fn(c.arg);
    AcquireSRWLockExclusive(&cio_win_cs.lock);
    for (pp = &cio_win_cs.live; *pp != NULL && *pp != &k; pp = &(*pp)->next)
        ;
    if (*pp != NULL)
        *pp = k.next;
    ReleaseSRWLockExclusive(&cio_win_cs.lock);
    return r;
}

/*
 * cio_spawn under a catcher. A NULL @fn goes through as it is (the
 * API's own CIO_EINVAL). A task cancelled before it ever ran leaks its
 * cio_win_call: a few bytes.
 */
static inline int
cio_win_spawn(cio_task **out, cio_task_fn fn, void *arg)
{
    cio_win_call *c;
    int r;
    if (fn == NULL)
        return cio_spawn(out, fn, arg);
    if ((c = malloc(sizeof(*c))) == NULL)
        return CIO_ENOMEM;
    c->fn = fn;
    c->arg = arg;
    c->on_heap = 1;
    r = cio_spawn(out, cio_win_task_entry, c);
    if (r < 0)
        free(c);
    return r;
}

/* Hand the recorded failure to Check (which does not return). */
static inline void
cio_win_report(void)
{
    char msg[sizeof(cio_win_cs.msg)];
    const char *file;
    int line;
    AcquireSRWLockExclusive(&cio_win_cs.lock);
    memcpy(msg, cio_win_cs.msg, sizeof(msg));
    file = cio_win_cs.file;
    line = cio_win_cs.line;
    cio_win_cs.failed = 0;
    ReleaseSRWLockExclusive(&cio_win_cs.lock);
    (_ck_assert_failed)(file, line, "in a task", "%s", msg);
    abort(); /* Not reached: Check leaves by longjmp. */
}

/* cio_block_on with its main task under a catcher; see above. */
static inline int
cio_win_block_on(cio_runtime *rt, cio_task_fn fn, void *arg)
{
    cio_win_call c = {fn, arg, 0};
    int r;
    if (fn == NULL)
        return cio_block_on(rt, fn, arg);
    r = cio_block_on(rt, cio_win_task_entry, &c);
    if (cio_win_cs.failed && cio_current() == NULL) {
        cio_runtime_free(rt);
        cio_win_report();
    }
    return r;
}

static void
cio_win_assert_failed(const char *file, int line, const char *expr, ...)
{
    cio_task *self = cio_current(), *others[64];
    cio_win_catch *k, *mine = NULL;
    char msg[sizeof(cio_win_cs.msg)];
    const char *fmt;
    int n = 0;
    va_list ap;

    va_start(ap, expr);
    fmt = va_arg(ap, const char *);
    if (fmt != NULL)
        vsnprintf(msg, sizeof(msg), fmt, ap);
    else
        snprintf(msg, sizeof(msg), "%s", expr);
    va_end(ap);
    AcquireSRWLockExclusive(&cio_win_cs.lock);
    for (k = cio_win_cs.live; self != NULL && k != NULL; k = k->next)
        if (k->task == self)
            mine = k;
    if (mine != NULL && !cio_win_cs.failed) {
        cio_win_cs.failed = 1;
        cio_win_cs.file = file;
        cio_win_cs.line = line;
        snprintf(cio_win_cs.msg, sizeof(cio_win_cs.msg), "%s", msg);
        /* A TAP comment at once, in case the program dies after all. */
        printf("# %s:%d: %s (in a task)\n", file, line, msg);
        fflush(stdout);
    }
    for (k = cio_win_cs.live; mine != NULL && k != NULL; k = k->next)
        if (k != mine && k->rt == mine->rt && n < 64)
            others[n++] = k->task;
    ReleaseSRWLockExclusive(&cio_win_cs.lock);
    if (mine == NULL) {
        if (cio_win_cs.failed) /* A task failed first: that one counts. */
            cio_win_report();
        (_ck_assert_failed)(file, line, expr, "%s", msg);
        abort(); /* Not reached: Check leaves by longjmp. */
    }
    while (n > 0)
        cio_cancel(others[--n]);
    __builtin_longjmp(mine->jb, 1);
}

#undef _ck_assert_failed
#define _ck_assert_failed(...) cio_win_assert_failed(__VA_ARGS__)
#define cio_spawn cio_win_spawn
#define cio_block_on cio_win_block_on

#ifndef CIO_TEST_WIN32_CATCH_ONLY
/* ---- tests that do not apply on Windows ---- */

START_TEST(cio_test_skipped)
{
}
END_TEST

/*
 * Report test @t (a START_TEST name) as skipped for @reason: a TCase of
 * its own whose name carries a TAP "# SKIP" directive (Check prints the
 * TCase name in each TAP line, and the TAP driver counts such a line as
 * a SKIP with the text after SKIP as the reason). @t itself never runs.
 */
static inline void
cio_test_skip_case(Suite *s, const TTest *t, const char *reason)
{
    char *tcname = malloc(strlen(t->name) + strlen(reason) + 16);
    TCase *tc;
    sprintf(tcname, "%s # SKIP %s", t->name, reason);
    tc = tcase_create(tcname); /* Check keeps the pointer: not freed. */
    tcase_add_test(tc, cio_test_skipped);
    suite_add_tcase(s, tc);
}
#endif /* !CIO_TEST_WIN32_CATCH_ONLY */

#endif /* CIO_TEST_WIN32_H */
