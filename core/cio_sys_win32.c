/* SPDX-License-Identifier: MIT */
/*
 * cio_sys_win32.c - cio_sys.h on Windows: SOCKETs and HANDLEs as
 * descriptors, VirtualAlloc, waitable sleeps, QueryPerformanceCounter,
 * and the translation of Win32 and Winsock error codes into the CIO_E*
 * values the rest of compio speaks.
 */
#include "config.h"

#include <winsock2.h>
#include <windows.h>

#include "compio/error.h"
#include "cio_sys.h"

/*
 * Win32 and Winsock codes in one table, searched linearly: it is only
 * consulted on failure. The choices follow what a POSIX program would
 * see for the same situation (a missing DLL is ENOENT, a closed pipe's
 * other end EPIPE, an aborted overlapped operation ECANCELED).
 */
static const struct {
    unsigned long code;
    int err;
} cio__win32_errors[] = {
    {ERROR_FILE_NOT_FOUND, CIO_ENOENT},
    {ERROR_PATH_NOT_FOUND, CIO_ENOENT},
    {ERROR_TOO_MANY_OPEN_FILES, CIO_EMFILE},
    {ERROR_ACCESS_DENIED, CIO_EACCES},
    {ERROR_INVALID_HANDLE, CIO_EBADF},
    {ERROR_NOT_ENOUGH_MEMORY, CIO_ENOMEM},
    {ERROR_INVALID_DATA, CIO_EINVAL},
    {ERROR_OUTOFMEMORY, CIO_ENOMEM},
    {ERROR_INVALID_DRIVE, CIO_ENOENT},
    {ERROR_NOT_SAME_DEVICE, CIO_EXDEV},
    {ERROR_SHARING_VIOLATION, CIO_EBUSY},
    {ERROR_LOCK_VIOLATION, CIO_EBUSY},
    {ERROR_HANDLE_DISK_FULL, CIO_ENOSPC},
    {ERROR_NOT_SUPPORTED, CIO_ENOTSUP},
    {ERROR_NETNAME_DELETED, CIO_ECONNRESET},
    {ERROR_FILE_EXISTS, CIO_EEXIST},
    {ERROR_INVALID_PARAMETER, CIO_EINVAL},
    {ERROR_BROKEN_PIPE, CIO_EPIPE},
    {ERROR_DISK_FULL, CIO_ENOSPC},
    {ERROR_INSUFFICIENT_BUFFER, CIO_ENOBUFS},
    {ERROR_INVALID_NAME, CIO_ENOENT},
    {ERROR_MOD_NOT_FOUND, CIO_ENOENT},
    {ERROR_PROC_NOT_FOUND, CIO_ENOSYS},
    {ERROR_NEGATIVE_SEEK, CIO_EINVAL},
    {ERROR_DIR_NOT_EMPTY, CIO_ENOTEMPTY},
    {ERROR_BAD_PATHNAME, CIO_ENOENT},
    {ERROR_BUSY, CIO_EBUSY},
    {ERROR_ALREADY_EXISTS, CIO_EEXIST},
    {ERROR_BAD_EXE_FORMAT, CIO_ENOEXEC},
    {ERROR_FILENAME_EXCED_RANGE, CIO_ENAMETOOLONG},
    {ERROR_PIPE_BUSY, CIO_EBUSY},
    {ERROR_NO_DATA, CIO_EPIPE},
    {ERROR_PIPE_NOT_CONNECTED, CIO_EPIPE},
    {ERROR_MORE_DATA, CIO_EMSGSIZE},
    {WAIT_TIMEOUT, CIO_ETIMEDOUT},
    {ERROR_DIRECTORY, CIO_ENOTDIR},
    {ERROR_OPERATION_ABORTED, CIO_ECANCELED},
    {ERROR_IO_INCOMPLETE, CIO_EAGAIN},
    {ERROR_IO_PENDING, CIO_EAGAIN},
    {ERROR_NOACCESS, CIO_EFAULT},
    {ERROR_INVALID_FLAGS, CIO_EINVAL},
    {ERROR_NOT_FOUND, CIO_ENOENT},
    {ERROR_CONNECTION_REFUSED, CIO_ECONNREFUSED},
    {ERROR_NETWORK_UNREACHABLE, CIO_ENETUNREACH},
    {ERROR_HOST_UNREACHABLE, CIO_EHOSTUNREACH},
    {ERROR_PORT_UNREACHABLE, CIO_ECONNREFUSED},
    {ERROR_CONNECTION_ABORTED, CIO_ECONNABORTED},
    {ERROR_PRIVILEGE_NOT_HELD, CIO_EPERM},
    {ERROR_TIMEOUT, CIO_ETIMEDOUT},
    {ERROR_CANT_RESOLVE_FILENAME, CIO_ELOOP},
    {WSAEINTR, CIO_EINTR},
    {WSAEBADF, CIO_EBADF},
    {WSAEACCES, CIO_EACCES},
    {WSAEFAULT, CIO_EFAULT},
    {WSAEINVAL, CIO_EINVAL},
    {WSAEMFILE, CIO_EMFILE},
    {WSAEWOULDBLOCK, CIO_EAGAIN},
    {WSAEINPROGRESS, CIO_EINPROGRESS},
    {WSAEALREADY, CIO_EALREADY},
    {WSAENOTSOCK, CIO_ENOTSOCK},
    {WSAEDESTADDRREQ, CIO_EDESTADDRREQ},
    {WSAEMSGSIZE, CIO_EMSGSIZE},
    {WSAEPROTOTYPE, CIO_EPROTOTYPE},
    {WSAENOPROTOOPT, CIO_ENOPROTOOPT},
    {WSAEPROTONOSUPPORT, CIO_EPROTONOSUPPORT},
    {WSAESOCKTNOSUPPORT, CIO_EPROTONOSUPPORT},
    {WSAEOPNOTSUPP, CIO_ENOTSUP},
    {WSAEPFNOSUPPORT, CIO_EAFNOSUPPORT},
    {WSAEAFNOSUPPORT, CIO_EAFNOSUPPORT},
    {WSAEADDRINUSE, CIO_EADDRINUSE},
    {WSAEADDRNOTAVAIL, CIO_EADDRNOTAVAIL},
    {WSAENETDOWN, CIO_ENETDOWN},
    {WSAENETUNREACH, CIO_ENETUNREACH},
    {WSAENETRESET, CIO_ECONNRESET},
    {WSAECONNABORTED, CIO_ECONNABORTED},
    {WSAECONNRESET, CIO_ECONNRESET},
    {WSAENOBUFS, CIO_ENOBUFS},
    {WSAEISCONN, CIO_EISCONN},
    {WSAENOTCONN, CIO_ENOTCONN},
    {WSAESHUTDOWN, CIO_ESHUTDOWN},
    {WSAETIMEDOUT, CIO_ETIMEDOUT},
    {WSAECONNREFUSED, CIO_ECONNREFUSED},
    {WSAELOOP, CIO_ELOOP},
    {WSAENAMETOOLONG, CIO_ENAMETOOLONG},
    {WSAEHOSTUNREACH, CIO_EHOSTUNREACH},
    {WSAENOTEMPTY, CIO_ENOTEMPTY},
    {WSANOTINITIALISED, CIO_ENETDOWN},
};

int
cio__sys_win32_error(unsigned long code)
{
    size_t i;

    for (i = 0; i < sizeof(cio__win32_errors) / sizeof(cio__win32_errors[0]);
         i++)
        if (cio__win32_errors[i].code == code)
            return cio__win32_errors[i].err;
    return CIO_EIO;
}

/*
 * A cio_fd is a SOCKET or a HANDLE and nothing says which: closesocket
 * answers WSAENOTSOCK for anything that is not a socket (without
 * touching it), and then it is a HANDLE. Winsock may not be started in
 * this process yet, in which case the descriptor cannot be a socket.
 */
int
cio__sys_close(cio_fd fd)
{
    int err;

    if (fd == CIO_INVALID_FD)
        return CIO_EBADF;
    if (closesocket((SOCKET)fd) == 0)
        return 0;
    err = WSAGetLastError();
    if (err != WSAENOTSOCK && err != WSANOTINITIALISED)
        return cio__sys_win32_error((unsigned long)err);
    if (!CloseHandle((HANDLE)fd))
        return cio__sys_win32_error(GetLastError());
    return 0;
}

/*
 * A socket is duplicated through Winsock (WSADuplicateSocket, then a
 * socket made from that protocol info), which Winsock then knows as a
 * socket; a DuplicateHandle copy of a socket is refused by send and
 * recv (WSAENOTSOCK, seen under wine). Anything else is a HANDLE for
 * DuplicateHandle. Either duplicate is not inheritable, the
 * counterpart of F_DUPFD_CLOEXEC.
 */
int
cio__sys_dup(cio_fd fd, cio_fd *out)
{
    HANDLE self = GetCurrentProcess(), h;
    WSAPROTOCOL_INFOW info;
    int type, len = sizeof(type);

    *out = CIO_INVALID_FD;
    if (fd == CIO_INVALID_FD)
        return CIO_EBADF;
    if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_TYPE, (char *)&type, &len) ==
        0) {
        SOCKET s;
        if (WSADuplicateSocketW((SOCKET)fd, GetCurrentProcessId(), &info) != 0)
            return cio__sys_win32_error((unsigned long)WSAGetLastError());
        s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                       FROM_PROTOCOL_INFO, &info, 0,
                       WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == INVALID_SOCKET)
            return cio__sys_win32_error((unsigned long)WSAGetLastError());
        *out = (cio_fd)s;
        return 0;
    }
    if (!DuplicateHandle(self, (HANDLE)fd, self, &h, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return cio__sys_win32_error(GetLastError());
    *out = (cio_fd)h;
    return 0;
}

size_t
cio__sys_page_size(void)
{
    SYSTEM_INFO si;

    GetSystemInfo(&si);
    return si.dwPageSize > 0 ? (size_t)si.dwPageSize : 4096;
}

void *
cio__sys_map(size_t bytes)
{
    /* Committed pages come zeroed, as anonymous mmap's do. */
    return VirtualAlloc(NULL, bytes, MEM_RESERVE | MEM_COMMIT,
                        PAGE_READWRITE);
}

void
cio__sys_unmap(void *p, size_t bytes)
{
    (void)bytes;
    if (p != NULL)
        VirtualFree(p, 0, MEM_RELEASE);
}

/*
 * Sleep() counts in milliseconds: round up, so the sleep is never
 * shorter than asked, and sleep in slices below INFINITE.
 */
void
cio__sys_sleep_ns(uint64_t ns)
{
    uint64_t ms = (ns + 999999u) / 1000000u;

    while (ms > 0) {
        DWORD slice = ms > 0x7fffffffu ? 0x7fffffffu : (DWORD)ms;
        Sleep(slice);
        ms -= slice;
    }
}

uint64_t
cio__sys_now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER c;

    /* A benign race: every thread computes the same constant. */
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    return (uint64_t)(c.QuadPart / freq.QuadPart) * 1000000000u +
           (uint64_t)(c.QuadPart % freq.QuadPart) * 1000000000u /
               (uint64_t)freq.QuadPart;
}

/*
 * Winsock has no MSG_DONTWAIT: ask WSAPoll whether a recv would return
 * at once (data, end of stream or an error all count) and only then
 * call it, so a blocking socket is never waited on either.
 */
int64_t
cio__sys_recv_nowait(cio_fd fd, void *buf, size_t len, int flags)
{
    WSAPOLLFD p;
    int n;

    p.fd = (SOCKET)fd;
    p.events = POLLRDNORM;
    p.revents = 0;
    n = WSAPoll(&p, 1, 0);
    if (n < 0)
        return cio__sys_win32_error((unsigned long)WSAGetLastError());
    if (n == 0)
        return CIO_EAGAIN;
    if (p.revents & POLLNVAL)
        return CIO_EBADF;
    if (len > INT_MAX)
        len = INT_MAX;
    n = recv((SOCKET)fd, buf, (int)len, flags);
    if (n >= 0)
        return n;
    return cio__sys_win32_error((unsigned long)WSAGetLastError());
}
