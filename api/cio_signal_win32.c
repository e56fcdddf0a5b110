/* SPDX-License-Identifier: MIT */
/*
 * cio_signal_win32.c - compio/signal.h on Windows. Two sources deliver:
 * console control events (SetConsoleCtrlHandler, while some listener of
 * SIGINT or SIGBREAK exists: CTRL_C_EVENT is SIGINT, CTRL_BREAK_EVENT
 * SIGBREAK) and the C runtime's signal()/raise() for SIGINT, SIGBREAK
 * and SIGTERM. Either runs on some thread (the console's handler thread,
 * or the raising one) and does what the Unix watcher does: bump each
 * listener's count and write a wake-up byte into the listener's own
 * pipe, whose read end is an overlapped named pipe attached to the
 * listener's runtime. A wait is one read op there, so it honours cancel
 * and deadlines; the count, not the bytes, says how many arrived.
 */
#include "config.h"

#include <winsock2.h> /* Before windows.h, which compio.h may pull in. */
#include <windows.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cio_api_internal.h"
#include "cio_sys.h"
#include "compio/runtime.h"
#include "compio/signal.h"

#ifndef SIGBREAK
#define SIGBREAK 21
#endif
#define SIG_MAX 32

struct cio_signal_listener {
    cio_signal_listener *next; /* In the registry list of its signal. */
    int signo;
    HANDLE rd;           /* Overlapped read end, attached: the waits. */
    HANDLE wr;           /* Non-blocking write end: the deliveries. */
    volatile LONG count; /* Deliveries not yet reported. */
};

/*
 * One lock for the registry and the dispositions. A delivery from
 * raise() on a thread that holds it cannot happen: listen and unlisten
 * call nothing that raises.
 */
static INIT_ONCE lock_once = INIT_ONCE_STATIC_INIT;
static CRITICAL_SECTION lock;
static cio_signal_listener *list[SIG_MAX];
static void (*saved[SIG_MAX])(int);
static int console_on;

static BOOL CALLBACK
lock_init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once;
    (void)param;
    (void)ctx;
    InitializeCriticalSection(&lock);
    return TRUE;
}

static void
lock_take(void)
{
    InitOnceExecuteOnce(&lock_once, lock_init, NULL, NULL);
    EnterCriticalSection(&lock);
}

/* Count one delivery of @signo for every listener. Any thread. */
static int
deliver(int signo)
{
    cio_signal_listener *l;
    int any = 0;
    char b = 0;
    DWORD n;

    lock_take();
    for (l = list[signo]; l != NULL; l = l->next) {
        InterlockedIncrement(&l->count);
        /* Full (64 KiB of unread wake-ups): the count still says it. */
        (void)WriteFile(l->wr, &b, 1, &n, NULL);
        any = 1;
    }
    LeaveCriticalSection(&lock);
    return any;
}

/* The C runtime's handler; it resets to SIG_DFL before calling. */
static void
crt_handler(int signo)
{
    signal(signo, crt_handler);
    if (signo > 0 && signo < SIG_MAX)
        deliver(signo);
}

static BOOL WINAPI
console_handler(DWORD ev)
{
    if (ev == CTRL_C_EVENT)
        return deliver(SIGINT) ? TRUE : FALSE;
    if (ev == CTRL_BREAK_EVENT)
        return deliver(SIGBREAK) ? TRUE : FALSE;
    return FALSE; /* Close, logoff, shutdown: the next handler. */
}

/* Both ends of the listener's pipe. 0 or -errno. */
static int
notify_open(cio_signal_listener *l)
{
    static volatile LONG seq;
    DWORD mode = PIPE_READMODE_BYTE | PIPE_NOWAIT;
    wchar_t name[96];

    _snwprintf(name, sizeof name / sizeof name[0],
               L"\\\\.\\pipe\\compio-sig-%lu-%ld", GetCurrentProcessId(),
               (long)InterlockedIncrement(&seq));
    name[sizeof name / sizeof name[0] - 1] = 0;
    l->rd = CreateNamedPipeW(name,
                             PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED |
                                 FILE_FLAG_FIRST_PIPE_INSTANCE,
                             PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                                 PIPE_REJECT_REMOTE_CLIENTS,
                             1, 0, 65536, 0, NULL);
    if (l->rd == INVALID_HANDLE_VALUE)
        return cio__sys_win32_error(GetLastError());
    l->wr = CreateFileW(name, GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0, NULL,
                        OPEN_EXISTING, 0, NULL);
    if (l->wr == INVALID_HANDLE_VALUE) {
        int e = cio__sys_win32_error(GetLastError());
        CloseHandle(l->rd);
        l->rd = INVALID_HANDLE_VALUE;
        return e;
    }
    /* A delivery never blocks on a full pipe. */
    SetNamedPipeHandleState(l->wr, &mode, NULL, NULL);
    return 0;
}

static void
notify_close(cio_signal_listener *l)
{
    if (l->wr != INVALID_HANDLE_VALUE)
        CloseHandle(l->wr);
    if (l->rd != INVALID_HANDLE_VALUE)
        cio__api_close((cio_fd)l->rd);
    l->rd = l->wr = INVALID_HANDLE_VALUE;
}

int64_t
cio_signal_wait(cio_signal_listener *l)
{
    char buf[256];
    cio_op op;
    int32_t r;
    LONG n;

    if (l == NULL)
        return CIO_EINVAL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    for (;;) {
        /* Counted before this wait (the wake-up bytes may still come). */
        n = InterlockedExchange(&l->count, 0);
        if (n > 0)
            return n;
        cio_op_read(&op, (cio_fd)l->rd, buf, sizeof buf);
        r = cio_submit_wait(&op);
        if (r < 0)
            return r;
        if (r == 0)
            return CIO_EIO;
    }
}

int
cio_signal_number(const cio_signal_listener *l)
{
    return l != NULL ? l->signo : CIO_EINVAL;
}

/* The C runtime's catchable signals whose handler may return. */
static int
supported(int signo)
{
    return signo == SIGINT || signo == SIGBREAK || signo == SIGTERM;
}

static int
is_console(int signo)
{
    return signo == SIGINT || signo == SIGBREAK;
}

/* Under lock: take @l off its list; non-zero if it was last. */
static int
list_remove(cio_signal_listener *l)
{
    cio_signal_listener **pp = &list[l->signo];

    while (*pp != NULL && *pp != l)
        pp = &(*pp)->next;
    if (*pp == l)
        *pp = l->next;
    l->next = NULL;
    return list[l->signo] == NULL;
}

/* Under lock: keep the console routine in while SIGINT/SIGBREAK have
 * listeners. */
static void
console_update(void)
{
    int want = list[SIGINT] != NULL || list[SIGBREAK] != NULL;

    if (want && !console_on)
        console_on = SetConsoleCtrlHandler(console_handler, TRUE) != 0;
    else if (!want && console_on) {
        SetConsoleCtrlHandler(console_handler, FALSE);
        console_on = 0;
    }
}

int
cio_signal_listen(cio_signal_listener **out, int signo)
{
    cio_signal_listener *l;
    void (*prev)(int);
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (signo <= 0 || signo >= SIG_MAX || !supported(signo))
        return CIO_EINVAL;
    if (cio_runtime_current() == NULL)
        return CIO_EPERM;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return CIO_ENOMEM;
    l->signo = signo;
    l->rd = l->wr = INVALID_HANDLE_VALUE;
    r = notify_open(l);
    if (r == 0)
        r = cio__api_attach((cio_fd)l->rd);
    if (r < 0) {
        notify_close(l);
        free(l);
        return r;
    }
    lock_take();
    /* On the list before the handler is in, so no delivery misses it. */
    l->next = list[signo];
    list[signo] = l;
    if (l->next == NULL) {
        prev = signal(signo, crt_handler);
        if (prev == SIG_ERR) {
            r = CIO_EINVAL;
            list_remove(l);
            LeaveCriticalSection(&lock);
            notify_close(l);
            free(l);
            return r;
        }
        saved[signo] = prev;
    }
    if (is_console(signo))
        console_update();
    LeaveCriticalSection(&lock);
    *out = l;
    return 0;
}

int
cio_signal_unlisten(cio_signal_listener *l)
{
    int r = 0;

    if (l == NULL)
        return 0;
    lock_take();
    if (list_remove(l) && signal(l->signo, saved[l->signo]) == SIG_ERR)
        r = CIO_EINVAL;
    if (is_console(l->signo))
        console_update();
    LeaveCriticalSection(&lock);
    /* Off the list: no delivery writes to it any more. */
    notify_close(l);
    free(l);
    return r;
}
