/* SPDX-License-Identifier: MIT */
/*
 * cio_iocp_err.c - the one table that turns Windows error codes into
 * the CIO_E* values POSIX backends return, so that an application sees
 * the same error for the same event on every backend.
 *
 * Three sources of codes meet here. A call that fails at once leaves a
 * Win32 code (GetLastError) or a Winsock code (WSAGetLastError, the
 * 10000 range). A completion packet carries the NTSTATUS of the IO in
 * OVERLAPPED.Internal, which iocp__ntstatus_win32() first turns into
 * its Win32 code (RtlNtStatusToDosError, with the statuses that matter
 * most pinned here so that a wine or Windows quirk cannot move them).
 * The table below then covers Win32 and Winsock codes together; the
 * two ranges do not overlap.
 *
 * A few codes are not errors for some ops: end of file on a read
 * (ERROR_HANDLE_EOF, ERROR_BROKEN_PIPE) is 0 bytes, and a datagram or
 * message larger than the buffer (ERROR_MORE_DATA, WSAEMSGSIZE) is a
 * short read. That is decided per op in cio_iocp_submit.c
 * (iocp__finish), which says so next to each case.
 *
 * This file is pure (no state, no handles), so tests/iocp compiles it
 * into its error-table test as it is.
 */
#include "cio_iocp_int.h"

#include <winternl.h>

/* NTSTATUS values not every SDK defines (ntstatus.h clashes with
 * windows.h, so the few needed are spelled out). */
#define IOCP_STATUS_SUCCESS 0x00000000L
#define IOCP_STATUS_HANDLES_CLOSED ((LONG)0x8000000AL)
#define IOCP_STATUS_BUFFER_OVERFLOW ((LONG)0x80000005L)
#define IOCP_STATUS_END_OF_FILE ((LONG)0xC0000011L)
#define IOCP_STATUS_CANCELLED ((LONG)0xC0000120L)
#define IOCP_STATUS_PIPE_BROKEN ((LONG)0xC000014BL)
#define IOCP_STATUS_CONNECTION_RESET ((LONG)0xC000020DL)
#define IOCP_STATUS_CONNECTION_REFUSED ((LONG)0xC0000236L)
#define IOCP_STATUS_CONNECTION_ABORTED ((LONG)0xC0000241L)
#define IOCP_STATUS_LOCAL_DISCONNECT ((LONG)0xC000013BL)
#define IOCP_STATUS_REMOTE_DISCONNECT ((LONG)0xC000013CL)
#define IOCP_STATUS_INVALID_HANDLE ((LONG)0xC0000008L)

/* Win32 codes that older headers may lack. */
#ifndef ERROR_HANDLES_CLOSED
#define ERROR_HANDLES_CLOSED 676L
#endif

/*
 * The table: X(Windows code, CIO_E* value). Sorted by code so a reader
 * can find one; looked up linearly, since errors are the slow path.
 */
#define IOCP_ERROR_MAP(X)                                                      \
    X(ERROR_INVALID_FUNCTION, CIO_EINVAL)                                      \
    X(ERROR_FILE_NOT_FOUND, CIO_ENOENT)                                        \
    X(ERROR_PATH_NOT_FOUND, CIO_ENOENT)                                        \
    X(ERROR_TOO_MANY_OPEN_FILES, CIO_EMFILE)                                   \
    X(ERROR_ACCESS_DENIED, CIO_EACCES)                                         \
    X(ERROR_INVALID_HANDLE, CIO_EBADF)                                         \
    X(ERROR_NOT_ENOUGH_MEMORY, CIO_ENOMEM)                                     \
    X(ERROR_OUTOFMEMORY, CIO_ENOMEM)                                           \
    X(ERROR_INVALID_DRIVE, CIO_ENOENT)                                         \
    X(ERROR_NOT_SAME_DEVICE, CIO_EXDEV)                                        \
    X(ERROR_WRITE_PROTECT, CIO_EACCES)                                         \
    X(ERROR_BAD_COMMAND, CIO_EINVAL)                                           \
    X(ERROR_CRC, CIO_EIO)                                                      \
    X(ERROR_BAD_LENGTH, CIO_EINVAL)                                            \
    X(ERROR_WRITE_FAULT, CIO_EIO)                                              \
    X(ERROR_READ_FAULT, CIO_EIO)                                               \
    X(ERROR_GEN_FAILURE, CIO_EIO)                                              \
    X(ERROR_SHARING_VIOLATION, CIO_EBUSY)                                      \
    X(ERROR_LOCK_VIOLATION, CIO_EBUSY)                                         \
    X(ERROR_HANDLE_EOF, CIO_EIO) /* Reads: 0 bytes (iocp__finish). */          \
    X(ERROR_HANDLE_DISK_FULL, CIO_ENOSPC)                                      \
    X(ERROR_NOT_SUPPORTED, CIO_ENOTSUP)                                        \
    X(ERROR_NETNAME_DELETED, CIO_ECONNRESET)                                   \
    X(ERROR_FILE_EXISTS, CIO_EEXIST)                                           \
    X(ERROR_INVALID_PARAMETER, CIO_EINVAL)                                     \
    X(ERROR_BROKEN_PIPE, CIO_EPIPE) /* Reads: 0 bytes (iocp__finish). */       \
    X(ERROR_BUFFER_OVERFLOW, CIO_ENAMETOOLONG)                                 \
    X(ERROR_DISK_FULL, CIO_ENOSPC)                                             \
    X(ERROR_CALL_NOT_IMPLEMENTED, CIO_ENOSYS)                                  \
    X(ERROR_SEM_TIMEOUT, CIO_ETIMEDOUT)                                        \
    X(ERROR_INSUFFICIENT_BUFFER, CIO_ENOBUFS)                                  \
    X(ERROR_INVALID_NAME, CIO_ENOENT)                                          \
    X(ERROR_MOD_NOT_FOUND, CIO_ENOENT)                                         \
    X(ERROR_NEGATIVE_SEEK, CIO_EINVAL)                                         \
    X(ERROR_DIR_NOT_EMPTY, CIO_ENOTEMPTY)                                      \
    X(ERROR_BUSY, CIO_EBUSY)                                                   \
    X(ERROR_ALREADY_EXISTS, CIO_EEXIST)                                        \
    X(ERROR_BAD_EXE_FORMAT, CIO_ENOEXEC)                                       \
    X(ERROR_ENVVAR_NOT_FOUND, CIO_ENOENT)                                      \
    X(ERROR_FILENAME_EXCED_RANGE, CIO_ENAMETOOLONG)                            \
    X(ERROR_BAD_PIPE, CIO_EPIPE)                                               \
    X(ERROR_PIPE_BUSY, CIO_EBUSY)                                              \
    X(ERROR_NO_DATA, CIO_EPIPE)                                                \
    X(ERROR_PIPE_NOT_CONNECTED, CIO_EPIPE)                                     \
    X(ERROR_MORE_DATA, CIO_EMSGSIZE) /* Receives: short (iocp__finish). */     \
    X(ERROR_DIRECTORY, CIO_ENOTDIR)                                            \
    X(ERROR_PIPE_LISTENING, CIO_ENOTCONN)                                      \
    X(ERROR_HANDLES_CLOSED, CIO_ECANCELED) /* wine: closesocket. */            \
    X(740L /* ERROR_ELEVATION_REQUIRED */, CIO_EACCES)                         \
    X(ERROR_OPERATION_ABORTED, CIO_ECANCELED)                                  \
    X(ERROR_IO_INCOMPLETE, CIO_EINPROGRESS)                                    \
    X(ERROR_IO_PENDING, CIO_EINPROGRESS)                                       \
    X(ERROR_NOACCESS, CIO_EFAULT)                                              \
    X(ERROR_INVALID_FLAGS, CIO_EINVAL)                                         \
    X(ERROR_NOT_FOUND, CIO_ENOENT)                                             \
    X(ERROR_CONNECTION_REFUSED, CIO_ECONNREFUSED)                              \
    X(ERROR_GRACEFUL_DISCONNECT, CIO_EPIPE)                                    \
    X(ERROR_ADDRESS_ALREADY_ASSOCIATED, CIO_EADDRINUSE)                        \
    X(ERROR_CONNECTION_INVALID, CIO_ENOTCONN)                                  \
    X(ERROR_CONNECTION_ACTIVE, CIO_EISCONN)                                    \
    X(ERROR_NETWORK_UNREACHABLE, CIO_ENETUNREACH)                              \
    X(ERROR_HOST_UNREACHABLE, CIO_EHOSTUNREACH)                                \
    X(ERROR_PROTOCOL_UNREACHABLE, CIO_ENETUNREACH)                             \
    X(ERROR_PORT_UNREACHABLE, CIO_ECONNREFUSED)                                \
    X(ERROR_REQUEST_ABORTED, CIO_ECANCELED)                                    \
    X(ERROR_CONNECTION_ABORTED, CIO_ECONNABORTED)                              \
    X(ERROR_PRIVILEGE_NOT_HELD, CIO_EPERM)                                     \
    X(ERROR_TIMEOUT, CIO_ETIMEDOUT)                                            \
    X(ERROR_INVALID_USER_BUFFER, CIO_EFAULT)                                   \
    X(ERROR_NOT_ENOUGH_QUOTA, CIO_ENOMEM)                                      \
    X(ERROR_CANT_ACCESS_FILE, CIO_EACCES)                                      \
    X(ERROR_CANT_RESOLVE_FILENAME, CIO_ELOOP)                                  \
    X(WSAEINTR, CIO_EINTR)                                                     \
    X(WSAEBADF, CIO_EBADF)                                                     \
    X(WSAEACCES, CIO_EACCES)                                                   \
    X(WSAEFAULT, CIO_EFAULT)                                                   \
    X(WSAEINVAL, CIO_EINVAL)                                                   \
    X(WSAEMFILE, CIO_EMFILE)                                                   \
    X(WSAEWOULDBLOCK, CIO_EAGAIN)                                              \
    X(WSAEINPROGRESS, CIO_EINPROGRESS)                                         \
    X(WSAEALREADY, CIO_EALREADY)                                               \
    X(WSAENOTSOCK, CIO_ENOTSOCK)                                               \
    X(WSAEDESTADDRREQ, CIO_EDESTADDRREQ)                                       \
    X(WSAEMSGSIZE, CIO_EMSGSIZE) /* Receives: short (iocp__finish). */         \
    X(WSAEPROTOTYPE, CIO_EPROTOTYPE)                                           \
    X(WSAENOPROTOOPT, CIO_ENOPROTOOPT)                                         \
    X(WSAEPROTONOSUPPORT, CIO_EPROTONOSUPPORT)                                 \
    X(WSAESOCKTNOSUPPORT, CIO_ENOTSUP)                                         \
    X(WSAEOPNOTSUPP, CIO_ENOTSUP)                                              \
    X(WSAEPFNOSUPPORT, CIO_EAFNOSUPPORT)                                       \
    X(WSAEAFNOSUPPORT, CIO_EAFNOSUPPORT)                                       \
    X(WSAEADDRINUSE, CIO_EADDRINUSE)                                           \
    X(WSAEADDRNOTAVAIL, CIO_EADDRNOTAVAIL)                                     \
    X(WSAENETDOWN, CIO_ENETDOWN)                                               \
    X(WSAENETUNREACH, CIO_ENETUNREACH)                                         \
    X(WSAENETRESET, CIO_ECONNRESET)                                            \
    X(WSAECONNABORTED, CIO_ECONNABORTED)                                       \
    X(WSAECONNRESET, CIO_ECONNRESET)                                           \
    X(WSAENOBUFS, CIO_ENOBUFS)                                                 \
    X(WSAEISCONN, CIO_EISCONN)                                                 \
    X(WSAENOTCONN, CIO_ENOTCONN)                                               \
    X(WSAESHUTDOWN, CIO_EPIPE) /* As send(2) after SHUT_WR on Linux. */        \
    X(WSAETIMEDOUT, CIO_ETIMEDOUT)                                             \
    X(WSAECONNREFUSED, CIO_ECONNREFUSED)                                       \
    X(WSAELOOP, CIO_ELOOP)                                                     \
    X(WSAENAMETOOLONG, CIO_ENAMETOOLONG)                                       \
    X(WSAEHOSTDOWN, CIO_EHOSTUNREACH)                                          \
    X(WSAEHOSTUNREACH, CIO_EHOSTUNREACH)                                       \
    X(WSAENOTEMPTY, CIO_ENOTEMPTY)                                             \
    X(WSANOTINITIALISED, CIO_EINVAL)                                           \
    X(WSAEDISCON, CIO_EPIPE)                                                   \
    X(WSAECANCELLED, CIO_ECANCELED)                                            \
    X(WSAEPROVIDERFAILEDINIT, CIO_EIO)                                         \
    X(WSATYPE_NOT_FOUND, CIO_ENOTSUP)

typedef struct iocp_errmap {
    DWORD code;
    int32_t err;
} iocp_errmap;

#define IOCP_ERR_ENTRY(code, err) {(DWORD)(code), (err)},
static const iocp_errmap iocp_errors[] = {IOCP_ERROR_MAP(IOCP_ERR_ENTRY)};
#undef IOCP_ERR_ENTRY

/*
 * The CIO_E* value for Win32 or Winsock @code; 0 for ERROR_SUCCESS and
 * CIO_EIO for a code the table does not know (never 0: a failure must
 * stay a failure).
 */
int32_t
iocp__err_win32(DWORD code)
{
    if (code == ERROR_SUCCESS)
        return 0;
    for (size_t i = 0; i < sizeof(iocp_errors) / sizeof(iocp_errors[0]); i++)
        if (iocp_errors[i].code == code)
            return iocp_errors[i].err;
    return CIO_EIO;
}

/*
 * The Win32 code of NTSTATUS @status, as GetOverlappedResult would set
 * it. The statuses the module's results depend on are pinned here;
 * RtlNtStatusToDosError does the rest.
 */
DWORD
iocp__ntstatus_win32(LONG status)
{
    switch (status) {
    case IOCP_STATUS_SUCCESS:
        return ERROR_SUCCESS;
    case IOCP_STATUS_HANDLES_CLOSED:
        return ERROR_HANDLES_CLOSED;
    case IOCP_STATUS_BUFFER_OVERFLOW:
        return ERROR_MORE_DATA;
    case IOCP_STATUS_END_OF_FILE:
        return ERROR_HANDLE_EOF;
    case IOCP_STATUS_CANCELLED:
        return ERROR_OPERATION_ABORTED;
    case IOCP_STATUS_PIPE_BROKEN:
        return ERROR_BROKEN_PIPE;
    case IOCP_STATUS_CONNECTION_RESET:
    case IOCP_STATUS_LOCAL_DISCONNECT:
    case IOCP_STATUS_REMOTE_DISCONNECT:
        return ERROR_NETNAME_DELETED;
    case IOCP_STATUS_CONNECTION_REFUSED:
        return ERROR_CONNECTION_REFUSED;
    case IOCP_STATUS_CONNECTION_ABORTED:
        return ERROR_CONNECTION_ABORTED;
    case IOCP_STATUS_INVALID_HANDLE:
        return ERROR_INVALID_HANDLE;
    default:
        return RtlNtStatusToDosError((NTSTATUS)status);
    }
}

/* GetLastError() as a CIO_E* value. */
int32_t
iocp__err_last(void)
{
    return iocp__err_win32(GetLastError());
}

/* WSAGetLastError() as a CIO_E* value. */
int32_t
iocp__err_wsa(void)
{
    return iocp__err_win32((DWORD)WSAGetLastError());
}
