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
 *
 * Beyond compio (see README.md "Beyond compio"): multishot ACCEPT and
 * RECV, provided-buffer pools, registered files, registered buffers
 * (READ_FIXED/WRITE_FIXED) and zero-copy send (SEND_ZC). On io_uring
 * the kernel does them; elsewhere the driver emulates each with the
 * same completions (single-shot ops re-armed, a userspace buffer pool,
 * a descriptor table, plain read/write/send), so application code does
 * not change with the backend. cio_driver_feature() tells which.
 *
 * Completions and ownership. An op has one completion, except a
 * multishot op and SEND_ZC, whose completions all carry CIO_CF_MORE but
 * the last. The op belongs to the driver until that last completion is
 * delivered: do not push, reuse or free it while CIO_CF_MORE was seen
 * and the final one was not. A CIO_CF_MORE entry carries its own result
 * and flags; op->result and op->cflags are written for the final
 * completion only.
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
    cio_op *op;         /**< The op; the caller owns it again unless
                             flags has CIO_CF_MORE. */
    uint64_t user_data; /**< op->user_data. */
    int32_t result;     /**< Bytes, fd, or negative errno. */
    uint32_t flags;     /**< CIO_CF_* bits. */
} cio_entry;

/** Non-zero when @e is not the op's last completion. */
static inline int
cio_entry_more(const cio_entry *e)
{
    return (e->flags & CIO_CF_MORE) != 0;
}

/**
 * The pool buffer id @e carries, or -1 when it carries none (no
 * CIO_CF_BUFFER). The buffer is the caller's until cio_bufpool_release.
 */
static inline int
cio_entry_bid(const cio_entry *e)
{
    return (e->flags & CIO_CF_BUFFER) ? (int)(e->flags >> CIO_CF_BUFFER_SHIFT)
                                      : -1;
}

/** How an opcode or a feature is carried out by a driver. */
enum cio_support {
    /** Not on this platform: the op completes with CIO_ENOSYS. */
    CIO_SUPPORT_NONE = 0,
    CIO_SUPPORT_POOLED = 1,  /**< On the blocking thread pool. */
    CIO_SUPPORT_NATIVE = 2,  /**< By the backend itself. */
    CIO_SUPPORT_EMULATED = 3 /**< By the driver on top of other ops. */
};

/** The beyond-compio features cio_driver_feature() reports on. */
enum cio_feature {
    CIO_FEATURE_MULTISHOT_ACCEPT = 0, /**< ACCEPT with CIO_OPF_MULTISHOT. */
    CIO_FEATURE_MULTISHOT_RECV = 1,   /**< RECV with CIO_OPF_MULTISHOT. */
    CIO_FEATURE_BUFFER_POOL = 2,      /**< cio_bufpool, buffer select. */
    CIO_FEATURE_FIXED_FILES = 3,      /**< cio_driver_register_files. */
    CIO_FEATURE_FIXED_BUFFERS = 4,    /**< READ_FIXED, WRITE_FIXED. */
    CIO_FEATURE_SEND_ZC = 5,          /**< SEND_ZC. */
    CIO_FEATURE__COUNT = 6            /**< Not a feature. */
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
 * their completions are discarded (a discarded ACCEPT, OPENAT or SOCKET
 * completion has its new descriptor closed, since nobody can learn it).
 * Buffer pools and registered files and buffers are released. NULL is
 * fine.
 */
CIO_EXTERN void cio_driver_close(cio_driver *drv);

/** The name of the backend in use ("uring", "epoll", ...). */
CIO_EXTERN const char *cio_driver_backend(const cio_driver *drv);

/**
 * CIO_SUPPORT_NATIVE, CIO_SUPPORT_POOLED, or CIO_SUPPORT_EMULATED (an
 * opcode the driver carries out with another one: SEND_ZC as SEND,
 * READ_FIXED as READ_AT) for @opcode; CIO_SUPPORT_NONE when neither the
 * backend nor the platform can do it (SPLICE off Linux: it completes
 * with CIO_ENOSYS); CIO_EINVAL for an unknown opcode.
 */
CIO_EXTERN int cio_driver_supports(const cio_driver *drv, unsigned opcode);

/**
 * CIO_SUPPORT_NATIVE when the backend does @feature (enum cio_feature)
 * itself, CIO_SUPPORT_EMULATED when the driver emulates it; CIO_EINVAL
 * for an unknown feature. For FIXED_FILES and FIXED_BUFFERS, once a
 * table is registered the answer says how that table was registered
 * (a kernel out of locked memory makes the driver fall back).
 */
CIO_EXTERN int cio_driver_feature(const cio_driver *drv, unsigned feature);

/** The name of @feature ("multishot_accept"), or "unknown". */
CIO_EXTERN const char *cio_feature_name(unsigned feature);

/**
 * Prepare @fd for this driver. Required before the first op on a handle
 * on Windows; on epoll it makes the fd non-blocking. 0 or -errno.
 */
CIO_EXTERN int cio_driver_attach(cio_driver *drv, cio_fd fd);

/**
 * Start @op. 0 when accepted: its completion (or, for a multishot op or
 * SEND_ZC, its completions, the last without CIO_CF_MORE) will be
 * delivered by cio_driver_poll. CIO_EINVAL for a bad opcode, CIO_EBUSY
 * when @op is already in flight. Ops that cannot start complete with the
 * error; they are not refused here (bad op flags complete with
 * CIO_EINVAL).
 */
CIO_EXTERN int cio_driver_push(cio_driver *drv, cio_op *op);

/**
 * Ask that @op stop. 0 when requested (the op still completes, usually
 * with CIO_ECANCELED; a multishot op ends with a completion without
 * CIO_CF_MORE, normally CIO_ECANCELED, maybe after results that were
 * already on their way), CIO_ENOENT when it is not in flight on @drv,
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

/**
 * Number of ops pushed and not yet finally delivered (a multishot op
 * counts once until its completion without CIO_CF_MORE).
 */
CIO_EXTERN unsigned cio_driver_inflight(const cio_driver *drv);

/* ---- provided-buffer pools ---- */

/**
 * Make a pool of @count buffers of @size bytes each (count 1..32768,
 * size 1..1 GiB, count * size at most 4 GiB) for RECV with
 * CIO_OPF_BUFFER_SELECT on @drv. All buffers start free. On io_uring
 * the pool is a registered buffer ring, elsewhere (or if the kernel
 * refuses the ring) a userspace free list. 0 or -errno.
 */
CIO_EXTERN int cio_bufpool_new(cio_driver *drv, cio_bufpool **out,
                               uint32_t count, uint32_t size);

/**
 * Free @pool and its buffers. CIO_EBUSY while an op that picks from it
 * is in flight (cancel it and reap its last completion first). Buffers
 * the caller still holds become invalid. NULL is fine (0). Pools still
 * alive when their driver is closed are freed by cio_driver_close.
 */
CIO_EXTERN int cio_bufpool_free(cio_bufpool *pool);

/** The memory of buffer @bid (size cio_bufpool_size), NULL if out of range. */
CIO_EXTERN void *cio_bufpool_buf(const cio_bufpool *pool, unsigned bid);

/**
 * Give buffer @bid, delivered by a completion with CIO_CF_BUFFER, back
 * to the pool. CIO_EINVAL when @bid is out of range or not held by the
 * caller (never delivered, or already released).
 */
CIO_EXTERN int cio_bufpool_release(cio_bufpool *pool, unsigned bid);

/** Bytes per buffer. */
CIO_EXTERN uint32_t cio_bufpool_size(const cio_bufpool *pool);

/** Number of buffers. */
CIO_EXTERN uint32_t cio_bufpool_count(const cio_bufpool *pool);

/** Buffers not held by the caller (free, or being filled). */
CIO_EXTERN uint32_t cio_bufpool_available(const cio_bufpool *pool);

/**
 * CIO_SUPPORT_NATIVE when the kernel picks from @pool (an io_uring
 * buffer ring), CIO_SUPPORT_EMULATED for a userspace pool.
 */
CIO_EXTERN int cio_bufpool_support(const cio_bufpool *pool);

/* ---- registered files ---- */

/**
 * Register @n descriptors (a CIO_INVALID_FD entry is an empty slot) as
 * the table that CIO_OPF_FIXED_FILE ops index. The table holds its own
 * reference to each file: the caller may close its descriptors. One
 * table per driver: CIO_EBUSY if one is registered. 0 or -errno
 * (CIO_EBADF for a bad descriptor, CIO_EINVAL for n = 0).
 */
CIO_EXTERN int cio_driver_register_files(cio_driver *drv, const cio_fd *fds,
                                         unsigned n);

/**
 * Replace slots @off .. @off + @n - 1 with @fds (CIO_INVALID_FD empties
 * a slot). Ops in flight keep the file they started with. Returns the
 * number of slots updated, or -errno (CIO_ENXIO without a table,
 * CIO_EINVAL past its end, CIO_EBADF for a bad descriptor).
 */
CIO_EXTERN int cio_driver_update_files(cio_driver *drv, unsigned off,
                                       const cio_fd *fds, unsigned n);

/**
 * Drop the table (closing its references). Ops in flight keep their
 * files. 0, or CIO_ENXIO when none is registered.
 */
CIO_EXTERN int cio_driver_unregister_files(cio_driver *drv);

/* ---- registered buffers ---- */

/**
 * Register @n buffers for READ_FIXED/WRITE_FIXED (the memory stays the
 * caller's and must outlive the registration; on io_uring it is pinned,
 * which counts against RLIMIT_MEMLOCK; when the kernel refuses for lack
 * of locked memory the driver falls back and says so in a log line).
 * {NULL, 0} is an empty slot; at most 16384 buffers (CIO_EINVAL), each
 * up to 1 GiB. CIO_EBUSY if buffers are registered, CIO_EFAULT for a
 * NULL base with a length, a zero length, or a buffer over 1 GiB.
 */
CIO_EXTERN int cio_driver_register_buffers(cio_driver *drv,
                                           const cio_iovec *iov, unsigned n);

/**
 * Drop the registered buffers. Ops in flight finish normally. 0, or
 * CIO_ENXIO when none are registered.
 */
CIO_EXTERN int cio_driver_unregister_buffers(cio_driver *drv);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_DRIVER_H */
