/* SPDX-License-Identifier: MIT */
/*
 * compio/driver.h - the low-level driver API: push ops, poll completions.
 *
 *     cio_driver *drv;
 *     cio_driver_open(&drv, NULL);          // config from env/ini/probe
 *     cio_driver_attach(drv, fd);           // needed by IOCP, cheap elsewhere
 *     cio_op op;
 *     cio_op_read_at(&op, fd, buf, len, 0);
 *     cio_driver_push(drv, &op);
 *     cio_entry e[8];
 *     int n = cio_driver_poll(drv, -1, e, 8);
 *
 * A driver belongs to one thread. Only cio_driver_notify may be called
 * from other threads.
 *
 * An opcode the loaded backend does not perform natively is run on the
 * blocking thread pool, transparently: the caller sees the same
 * completion either way (cio_driver_supports tells which).
 */
#ifndef COMPIO_DRIVER_H
#define COMPIO_DRIVER_H

#include "config.h"
#include "error.h"
#include "op.h"
#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A driver: one loaded backend instance plus its pool link. */
typedef struct cio_driver cio_driver;

/** One delivered completion. */
typedef struct cio_entry {
    cio_op *op;         /**< The completed op; the caller owns it again. */
    uint64_t user_data; /**< op->user_data. */
    int32_t result;     /**< op->result: bytes, fd, or negative errno. */
    uint32_t flags;     /**< op->cflags. */
} cio_entry;

/** How an opcode is carried out by a driver. */
enum cio_support {
    CIO_SUPPORT_POOLED = 1, /**< On the blocking thread pool. */
    CIO_SUPPORT_NATIVE = 2  /**< By the backend itself. */
};

/**
 * Open a driver. @cfg NULL means the default lookup (COMPIO_CONFIG,
 * system compio.ini, COMPIO_BACKEND). The backend is chosen as the
 * configuration says and loaded as a module; on failure the return is the
 * loader's error (CIO_ENOENT: no module file, CIO_ELIBBAD: dlopen failed,
 * ...) and cio_error_detail() explains it.
 */
CIO_EXTERN int cio_driver_open(cio_driver **out, const cio_config *cfg);

/**
 * Close a driver. Ops still in flight are cancelled and drained first, so
 * when this returns the backend no longer touches any op or buffer;
 * their completions are discarded. NULL is fine.
 */
CIO_EXTERN void cio_driver_close(cio_driver *drv);

/** The name of the backend in use ("uring", "epoll", ...). */
CIO_EXTERN const char *cio_driver_backend(const cio_driver *drv);

/**
 * CIO_SUPPORT_NATIVE or CIO_SUPPORT_POOLED for @opcode; CIO_EINVAL for
 * an unknown opcode.
 */
CIO_EXTERN int cio_driver_supports(const cio_driver *drv, unsigned opcode);

/**
 * Prepare @fd for this driver. Required before the first op on a handle
 * on Windows; on epoll it makes the fd non-blocking. 0 or -errno.
 */
CIO_EXTERN int cio_driver_attach(cio_driver *drv, cio_fd fd);

/**
 * Start @op. 0 when accepted: exactly one completion will be delivered
 * by cio_driver_poll. CIO_EINVAL for a bad opcode, CIO_EBUSY when @op is
 * already in flight. Ops that cannot start complete with the error; they
 * are not refused here.
 */
CIO_EXTERN int cio_driver_push(cio_driver *drv, cio_op *op);

/**
 * Ask that @op stop. 0 when requested (the op still completes, usually
 * with CIO_ECANCELED), CIO_ENOENT when it is not in flight on @drv,
 * CIO_EALREADY when it is running and cannot be interrupted.
 */
CIO_EXTERN int cio_driver_cancel(cio_driver *drv, cio_op *op);

/**
 * Hand queued submissions to the kernel now, without waiting. Optional:
 * cio_driver_poll flushes first anyway. 0 or -errno.
 */
CIO_EXTERN int cio_driver_flush(cio_driver *drv);

/**
 * Deliver up to @max completions into @entries, waiting at most
 * @timeout_ms (-1 forever, 0 not at all) when none is ready. Returns the
 * number delivered, 0 on timeout or cio_driver_notify, or -errno.
 */
CIO_EXTERN int cio_driver_poll(cio_driver *drv, int timeout_ms,
                               cio_entry *entries, int max);

/** Same as cio_driver_poll with a timeout in nanoseconds (-1: forever). */
CIO_EXTERN int cio_driver_poll_ns(cio_driver *drv, int64_t timeout_ns,
                                  cio_entry *entries, int max);

/**
 * Wake a cio_driver_poll in progress on another thread, or make the next
 * one return at once. Safe from any thread. 0 or -errno.
 */
CIO_EXTERN int cio_driver_notify(cio_driver *drv);

/** Number of ops pushed and not yet delivered. */
CIO_EXTERN unsigned cio_driver_inflight(const cio_driver *drv);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_DRIVER_H */
