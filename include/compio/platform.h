/* SPDX-License-Identifier: MIT */
/*
 * compio/platform.h - the few platform facts every public header needs:
 * symbol export, the native descriptor type and the iovec layout.
 *
 * Self-contained: includes only standard C headers, so it is safe to use
 * from out-of-tree backend modules.
 */
#ifndef COMPIO_PLATFORM_H
#define COMPIO_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/*
 * CIO_EXTERN marks a symbol exported by libcompio. The library is built
 * with -fvisibility=hidden, so anything without it stays private.
 */
#if defined(_WIN32)
#if defined(CIO_BUILDING_LIBRARY)
#define CIO_EXTERN __declspec(dllexport)
#elif defined(CIO_STATIC)
#define CIO_EXTERN
#else
#define CIO_EXTERN __declspec(dllimport)
#endif
#define CIO_MODULE_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define CIO_EXTERN __attribute__((visibility("default")))
#define CIO_MODULE_EXPORT __attribute__((visibility("default")))
#else
#define CIO_EXTERN
#define CIO_MODULE_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A native descriptor: a file descriptor on POSIX, a HANDLE or SOCKET
 * (both pointer-sized) on Windows.
 */
#if defined(_WIN32)
typedef intptr_t cio_fd;
#define CIO_INVALID_FD ((cio_fd)-1)
#else
typedef int cio_fd;
#define CIO_INVALID_FD (-1)
#endif

/*
 * One buffer of a vectored operation. On POSIX the layout equals
 * struct iovec (checked at compile time in core), so the pool and the
 * readiness backends hand the array straight to readv(2)/writev(2).
 */
typedef struct cio_iovec {
    void *base; /**< Start of the buffer. */
    size_t len; /**< Its length in bytes. */
} cio_iovec;

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_PLATFORM_H */
