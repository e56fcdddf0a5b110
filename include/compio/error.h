/* SPDX-License-Identifier: MIT */
/*
 * compio/error.h - the one error currency: every int-returning call gives
 * >= 0 on success and a negative errno on failure, and a completion's
 * result is bytes or a negative errno (an io_uring CQE's res passes
 * through unchanged).
 *
 * CIO_E<NAME> equals -E<NAME> where the platform has that errno. Where it
 * does not (Windows lacks ELIBBAD, for instance) the value is a fixed
 * negative number outside every platform's errno range, so the same name
 * means the same thing on every backend.
 */
#ifndef COMPIO_ERROR_H
#define COMPIO_ERROR_H

#include <errno.h>

#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The list every name and message comes from: X(NAME, fallback, message).
 * The loader uses a distinct code for each check it makes, so a caller
 * can tell "no such file" from "not a compio module" without parsing
 * the message.
 */
#define CIO_ERRNO_MAP(X)                                                      \
    X(EPERM, -4001, "operation not permitted")                                \
    X(ENOENT, -4002, "no such file or directory")                             \
    X(ESRCH, -4003, "no such process")                                        \
    X(EINTR, -4004, "interrupted system call")                                \
    X(EIO, -4005, "i/o error")                                                \
    X(ENXIO, -4006, "no such device or address")                              \
    X(E2BIG, -4007, "argument list too long")                                 \
    X(ENOEXEC, -4008, "exec format error")                                    \
    X(EBADF, -4009, "bad file descriptor")                                    \
    X(ECHILD, -4010, "no child processes")                                    \
    X(EAGAIN, -4011, "resource temporarily unavailable")                      \
    X(ENOMEM, -4012, "not enough memory")                                     \
    X(EACCES, -4013, "permission denied")                                     \
    X(EFAULT, -4014, "bad address")                                           \
    X(EBUSY, -4016, "resource busy or locked")                                \
    X(EEXIST, -4017, "file already exists")                                   \
    X(EXDEV, -4018, "cross-device link not permitted")                        \
    X(ENOTDIR, -4020, "not a directory")                                      \
    X(EISDIR, -4021, "illegal operation on a directory")                      \
    X(EINVAL, -4022, "invalid argument")                                      \
    X(EMFILE, -4024, "too many open files")                                   \
    X(ENOSPC, -4028, "no space left on device")                               \
    X(ESPIPE, -4029, "invalid seek")                                          \
    X(EPIPE, -4032, "broken pipe")                                            \
    X(ERANGE, -4034, "result too large")                                      \
    X(ENAMETOOLONG, -4036, "name too long")                                   \
    X(ENOSYS, -4038, "function not implemented")                              \
    X(ENOTEMPTY, -4039, "directory not empty")                                \
    X(ELOOP, -4040, "too many symbolic links encountered")                    \
    X(ENODATA, -4061, "no data available")                                    \
    X(EBADMSG, -4074, "bad message")                                          \
    X(EOVERFLOW, -4075, "value too large for defined data type")              \
    X(EILSEQ, -4084, "illegal byte sequence")                                 \
    X(ENOTSOCK, -4088, "socket operation on non-socket")                      \
    X(EDESTADDRREQ, -4089, "destination address required")                   \
    X(EMSGSIZE, -4090, "message too long")                                    \
    X(EPROTOTYPE, -4091, "protocol wrong type for socket")                    \
    X(ENOPROTOOPT, -4092, "protocol not available")                           \
    X(EPROTONOSUPPORT, -4093, "protocol not supported")                       \
    X(ENOTSUP, -4095, "operation not supported")                              \
    X(EAFNOSUPPORT, -4097, "address family not supported")                    \
    X(EADDRINUSE, -4098, "address already in use")                            \
    X(EADDRNOTAVAIL, -4099, "address not available")                          \
    X(ENETDOWN, -4100, "network is down")                                     \
    X(ENETUNREACH, -4101, "network is unreachable")                           \
    X(ECONNABORTED, -4103, "software caused connection abort")                \
    X(ECONNRESET, -4104, "connection reset by peer")                          \
    X(ENOBUFS, -4105, "no buffer space available")                            \
    X(EISCONN, -4106, "socket is already connected")                          \
    X(ENOTCONN, -4107, "socket is not connected")                             \
    X(ESHUTDOWN, -4108, "cannot send after transport endpoint shutdown")      \
    X(ETIMEDOUT, -4110, "connection timed out")                               \
    X(ECONNREFUSED, -4111, "connection refused")                              \
    X(EHOSTUNREACH, -4113, "host is unreachable")                             \
    X(EALREADY, -4114, "operation already in progress")                       \
    X(EINPROGRESS, -4115, "operation in progress")                            \
    X(ECANCELED, -4125, "operation canceled")                                 \
    X(EPROTO, -4171, "protocol error")                                        \
    X(ETIME, -4162, "timer expired")                                          \
    X(ELIBBAD, -4180, "accessing a corrupted shared library")

/*
 * CIO_E<NAME>: -E<NAME> when the platform defines it, else the fallback.
 * Spelled out (not generated) so the names are greppable and usable in
 * #if.
 */
#define CIO_EPERM (-EPERM)
#define CIO_ENOENT (-ENOENT)
#define CIO_ESRCH (-ESRCH)
#define CIO_ECHILD (-ECHILD)
#define CIO_EINTR (-EINTR)
#define CIO_EIO (-EIO)
#define CIO_ENXIO (-ENXIO)
#define CIO_E2BIG (-E2BIG)
#define CIO_ENOEXEC (-ENOEXEC)
#define CIO_EBADF (-EBADF)
#define CIO_EAGAIN (-EAGAIN)
#define CIO_ENOMEM (-ENOMEM)
#define CIO_EACCES (-EACCES)
#define CIO_EFAULT (-EFAULT)
#define CIO_EBUSY (-EBUSY)
#define CIO_EEXIST (-EEXIST)
#define CIO_EXDEV (-EXDEV)
#define CIO_ENOTDIR (-ENOTDIR)
#define CIO_EISDIR (-EISDIR)
#define CIO_EINVAL (-EINVAL)
#define CIO_EMFILE (-EMFILE)
#define CIO_ENOSPC (-ENOSPC)
#define CIO_ESPIPE (-ESPIPE)
#define CIO_EPIPE (-EPIPE)
#define CIO_ERANGE (-ERANGE)
#define CIO_ENAMETOOLONG (-ENAMETOOLONG)
#define CIO_ENOSYS (-ENOSYS)
#define CIO_ENOTEMPTY (-ENOTEMPTY)
#define CIO_ELOOP (-ELOOP)
#define CIO_EBADMSG (-EBADMSG)
#define CIO_EOVERFLOW (-EOVERFLOW)
#define CIO_EILSEQ (-EILSEQ)
#define CIO_ENOTSOCK (-ENOTSOCK)
#define CIO_EDESTADDRREQ (-EDESTADDRREQ)
#define CIO_EMSGSIZE (-EMSGSIZE)
#define CIO_EPROTOTYPE (-EPROTOTYPE)
#define CIO_ENOPROTOOPT (-ENOPROTOOPT)
#define CIO_EPROTONOSUPPORT (-EPROTONOSUPPORT)
#define CIO_ENOTSUP (-ENOTSUP)
#define CIO_EAFNOSUPPORT (-EAFNOSUPPORT)
#define CIO_EADDRINUSE (-EADDRINUSE)
#define CIO_EADDRNOTAVAIL (-EADDRNOTAVAIL)
#define CIO_ENETDOWN (-ENETDOWN)
#define CIO_ENETUNREACH (-ENETUNREACH)
#define CIO_ECONNABORTED (-ECONNABORTED)
#define CIO_ECONNRESET (-ECONNRESET)
#define CIO_ENOBUFS (-ENOBUFS)
#define CIO_EISCONN (-EISCONN)
#define CIO_ENOTCONN (-ENOTCONN)
#define CIO_ETIMEDOUT (-ETIMEDOUT)
#define CIO_ECONNREFUSED (-ECONNREFUSED)
#define CIO_EHOSTUNREACH (-EHOSTUNREACH)
#define CIO_EALREADY (-EALREADY)
#define CIO_EINPROGRESS (-EINPROGRESS)
#define CIO_ECANCELED (-ECANCELED)
#define CIO_EPROTO (-EPROTO)
#ifdef ESHUTDOWN
#define CIO_ESHUTDOWN (-ESHUTDOWN)
#else
#define CIO_ESHUTDOWN (-4108)
#endif
#ifdef ETIME
#define CIO_ETIME (-ETIME)
#else
#define CIO_ETIME (-4162)
#endif
#ifdef ENODATA
#define CIO_ENODATA (-ENODATA)
#else
#define CIO_ENODATA (-4061)
#endif
#ifdef ELIBBAD
#define CIO_ELIBBAD (-ELIBBAD)
#else
#define CIO_ELIBBAD (-4180)
#endif

/**
 * A short message for a negative error code, e.g. "connection reset by
 * peer". Never NULL: unknown codes give "unknown error". The string is
 * static; do not free it.
 */
CIO_EXTERN const char *cio_strerror(int err);

/**
 * The symbolic name of a negative error code, e.g. "ECONNRESET" for
 * CIO_ECONNRESET. Unknown codes give "UNKNOWN". The string is static.
 */
CIO_EXTERN const char *cio_errname(int err);

/**
 * The explanation of the last failure of a configuration or loader call
 * (cio_config_load, cio_driver_open, ...) on the calling thread: the file,
 * line or module concerned and what to do about it. The error code is
 * always the function's return value; this is only its text. Empty when
 * there is nothing to explain. Valid until the next such call on this
 * thread.
 */
CIO_EXTERN const char *cio_error_detail(void);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_ERROR_H */
