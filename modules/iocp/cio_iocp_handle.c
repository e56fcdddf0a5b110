/* SPDX-License-Identifier: MIT */
/*
 * cio_iocp_handle.c - attach() and the table of attached handles.
 *
 * A handle must be associated with the driver's completion port before
 * its first overlapped call, or its completions go nowhere. attach()
 * associates it (CreateIoCompletionPort), learns its kind once (disk
 * file, named pipe, stream or datagram socket) and asks Windows not to
 * queue a packet when an overlapped call succeeds at once
 * (SetFileCompletionNotificationModes with
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS): such a call then completes
 * inline, without a trip through the port. Whether that mode is on is
 * per handle and decides how a synchronous success is treated (inline,
 * or wait for the packet), so the table remembers it.
 *
 * The mode is only asked for where it is safe: on sockets whose
 * provider hands out real kernel handles (XP1_IFS_HANDLES; a layered
 * service provider that is not IFS may complete without telling the
 * I/O manager), and on files and pipes. "skip_mode = no" in
 * [module.iocp] turns it off everywhere.
 *
 * Handles opened for synchronous IO (no FILE_FLAG_OVERLAPPED, or a
 * socket made without WSA_FLAG_OVERLAPPED) and consoles cannot be
 * driven by a port: they are remembered as "pooled", and their ops go
 * to the core's thread pool (host->pool_submit). Datagram sockets get
 * SIO_UDP_CONNRESET off, so that, as on POSIX, an ICMP "port
 * unreachable" does not turn up as an error of a later receive.
 *
 * The table is keyed by the handle value (open addressing, linear
 * probing, never shrunk). Windows reuses handle values after
 * CloseHandle/closesocket, so an entry may outlive its handle; attach()
 * therefore always tries the association again: success means a new
 * object under an old value (the entry is refreshed), ERROR_INVALID_
 * PARAMETER means it is already associated (ours when in the table; a
 * duplicate of one of ours otherwise). An op on a handle that was never
 * attached attaches it first.
 */
#include "cio_iocp_int.h"

#include <winternl.h>

static unsigned
iocp_hash(cio_fd h, unsigned mask)
{
    uint64_t v = (uint64_t)(uintptr_t)h >> 2;
    return (unsigned)((v * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

/* The slot of @h, or of the empty slot where it would go. */
static iocp_handle *
iocp_slot(iocp_state *st, cio_fd h)
{
    unsigned mask = st->nhandles - 1, i = iocp_hash(h, mask);
    while (st->handles[i].h != CIO_INVALID_FD && st->handles[i].h != h)
        i = (i + 1) & mask;
    return &st->handles[i];
}

static iocp_handle *
iocp_lookup(iocp_state *st, cio_fd h)
{
    iocp_handle *e;
    if (st->nhandles == 0)
        return NULL;
    e = iocp_slot(st, h);
    return e->h == h ? e : NULL;
}

/* Make room for one more entry (load factor at most 1/2). */
static int
iocp_grow(iocp_state *st)
{
    unsigned n = st->nhandles ? st->nhandles * 2 : 64;
    iocp_handle *old = st->handles;
    unsigned oldn = st->nhandles;
    if ((st->used + 1) * 2 <= st->nhandles)
        return 0;
    st->handles = st->api->calloc(n, sizeof(*st->handles));
    if (st->handles == NULL) {
        st->handles = old;
        return CIO_ENOMEM;
    }
    for (unsigned i = 0; i < n; i++)
        st->handles[i].h = CIO_INVALID_FD;
    st->nhandles = n;
    for (unsigned i = 0; i < oldn; i++)
        if (old[i].h != CIO_INVALID_FD)
            *iocp_slot(st, old[i].h) = old[i];
    st->api->free(old);
    return 0;
}

/*
 * The kind of socket @s: IOCP_KIND_STREAM, IOCP_KIND_DGRAM, or 0 when
 * @s is not a socket.
 */
int
iocp__sock_kind(SOCKET s)
{
    int type = 0, len = sizeof(type);
    if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        return 0;
    return type == SOCK_STREAM ? IOCP_KIND_STREAM : IOCP_KIND_DGRAM;
}

/* Does @s come from a provider that hands out kernel (IFS) handles? */
static int
iocp_sock_ifs(SOCKET s)
{
    WSAPROTOCOL_INFOW info;
    int len = sizeof(info);
    if (getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &len) != 0)
        return 0;
    return (info.dwServiceFlags1 & XP1_IFS_HANDLES) != 0;
}

static int
iocp_classify(HANDLE h)
{
    DWORD type = GetFileType(h);
    int sk;
    if (type == FILE_TYPE_DISK)
        return IOCP_KIND_FILE;
    if (type == FILE_TYPE_CHAR)
        return IOCP_KIND_OTHER;
    /* Sockets are pipes to GetFileType, or unknown behind an LSP. */
    sk = iocp__sock_kind((SOCKET)h);
    if (sk != 0)
        return sk;
    if (type != FILE_TYPE_PIPE)
        return IOCP_KIND_OTHER;
    /*
     * Not a socket to Winsock and not a named pipe: a socket under a
     * DuplicateHandle copy, which Winsock need not recognise (wine does
     * not) but ReadFile and WriteFile serve.
     */
    return GetNamedPipeInfo(h, NULL, NULL, NULL, NULL) ? IOCP_KIND_PIPE
                                                       : IOCP_KIND_SOCKH;
}

/*
 * Was @h opened for synchronous IO (no FILE_FLAG_OVERLAPPED)? Such a
 * handle cannot be driven by the port: a call on it blocks the caller
 * until done. 0 when unknown (the query is not answered).
 */
static int
iocp_is_sync(HANDLE h)
{
    IO_STATUS_BLOCK iosb;
    ULONG mode = 0;
    if (NtQueryInformationFile(h, &iosb, &mode, sizeof(mode),
                               FileModeInformation) != 0)
        return 0;
    return (mode &
            (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT)) != 0;
}

/* Remember @fd as @kind with skip mode @skip. 0 or -errno. */
static int
iocp_remember(iocp_state *st, cio_fd fd, int kind, int skip)
{
    iocp_handle *e;
    int r = iocp_grow(st);
    if (r < 0)
        return r;
    e = iocp_slot(st, fd);
    if (e->h == CIO_INVALID_FD)
        st->used++;
    e->h = fd;
    e->kind = (uint8_t)kind;
    e->skip = (uint8_t)skip;
    return 0;
}

/*
 * attach(): associate @fd with the port, learn its kind, set the skip
 * mode where safe. 0 or -errno; an already associated handle is 0 when
 * it is this driver's.
 */
int
iocp__attach(void *state, cio_fd fd)
{
    iocp_state *st = state;
    HANDLE h = (HANDLE)fd;
    int kind, skip, dup = 0;

    if (fd == CIO_INVALID_FD)
        return CIO_EBADF;
    /*
     * Synchronous handles and consoles: IO through the pool, which
     * copes with any handle. (A console is a FILE_TYPE_CHAR handle
     * that no port accepts.)
     */
    if (GetFileType(h) == FILE_TYPE_CHAR || iocp_is_sync(h))
        return iocp_remember(st, fd, IOCP_KIND_POOLED, 0);
    if (CreateIoCompletionPort(h, st->port, IOCP_KEY_OP, 0) == NULL) {
        DWORD err = GetLastError();
        if (err != ERROR_INVALID_PARAMETER)
            return iocp__err_win32(err);
        if (iocp_lookup(st, fd) != NULL)
            return 0; /* Ours already. */
        /*
         * Associated, but under another handle value: a duplicate of a
         * handle attached earlier (the core's registered-file table
         * holds DuplicateHandle copies), which shares the file object
         * and so the port and the skip mode. Windows cannot say which
         * port; one that is not ours is a caller error we cannot see.
         */
        st->api->log(st->host, CIO_LOG_DEBUG,
                     "attach %p: already associated; taken as a duplicate "
                     "of an attached handle",
                     (void *)h);
        dup = 1;
    }
    kind = iocp_classify(h);
    if (kind == IOCP_KIND_DGRAM) {
        /*
         * As on POSIX, an unconnected datagram socket does not report
         * the ICMP "port unreachable" of an earlier send as a
         * WSAECONNRESET on its next receive. Best effort.
         */
        BOOL off = FALSE;
        DWORD n;
        WSAIoctl((SOCKET)h, SIO_UDP_CONNRESET, &off, sizeof(off), NULL, 0, &n,
                 NULL, NULL);
    }
    /*
     * A duplicate shares the file object, and the mode is the object's:
     * it may be on already, so it is set again (idempotent), so that
     * the entry says for certain how a synchronous success completes.
     */
    skip = !st->no_skip && kind != IOCP_KIND_OTHER &&
           (dup || kind == IOCP_KIND_FILE || kind == IOCP_KIND_PIPE ||
            iocp_sock_ifs((SOCKET)h)) &&
           SetFileCompletionNotificationModes(
               h, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS |
                      FILE_SKIP_SET_EVENT_ON_HANDLE);
    /* On ENOMEM: associated but not remembered; the next attach retries. */
    return iocp_remember(st, fd, kind, skip);
}

/*
 * The entry of @fd, attaching it first when the driver has not seen it.
 * NULL with *@err when that fails.
 */
const iocp_handle *
iocp__handle_get(iocp_state *st, cio_fd fd, int *err)
{
    iocp_handle *e = iocp_lookup(st, fd);
    int r;
    if (e != NULL)
        return e;
    r = iocp__attach(st, fd);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    e = iocp_lookup(st, fd);
    if (e == NULL)
        *err = CIO_EINVAL; /* Associated elsewhere. */
    return e;
}

void
iocp__handles_free(iocp_state *st)
{
    st->api->free(st->handles);
    st->handles = NULL;
    st->nhandles = st->used = 0;
}
