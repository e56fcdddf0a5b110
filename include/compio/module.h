/* SPDX-License-Identifier: MIT */
/*
 * compio/module.h - the backend module ABI. The only header a module
 * author needs; it includes nothing but standard C headers and compio's
 * own self-contained op.h and error.h.
 *
 * A module is a shared object cio_<name>.so (cio_<name>.dll) that exports
 * exactly one symbol, the const descriptor cio_backend_<name>. The module
 * calls libcompio only through the cio_host_api table it is handed, never
 * by symbol, so it links against nothing of ours.
 *
 * Module obligations:
 *  - No global mutable state: everything hangs off the state pointer
 *    returned by create(); two drivers of the same module coexist.
 *  - No exit(), no abort(), no signal handlers, no errno side channel:
 *    functions return 0, a count, or a negative errno.
 *  - Ops stay owned by the caller. The module may use op->priv (up to
 *    op_priv_size bytes) and must deliver exactly one final completion
 *    per submitted op through host->complete(), also after cancel, also
 *    at destroy time (the driver cancels and drains before destroy()).
 *    From 1.2 it may deliver completions with CIO_CF_MORE before the
 *    final one, for the op flags it claimed through op_flags().
 *  - From 1.2 an op may carry CIO_OPF_* bits in op->opflags. The core
 *    hands a module only ops whose bits the module claimed for that
 *    opcode (op_flags()) and emulates the rest itself, so a module that
 *    claims none never sees one.
 *  - The module never writes op->result, op->cflags or op->link: results
 *    go through host->complete(), and the core's attempt functions keep
 *    their own scratch state in op->result between retries (CONNECT).
 *  - probe() has no side effects beyond creating and closing what it
 *    needs to learn whether the backend works.
 *
 * Versioning: the host refuses a module whose abi_major differs from its
 * own or whose abi_minor is newer. Structures only grow at the end; the
 * host reads a field only when the module's struct size covers it, and
 * gives the module a host API whose size field says what it may call.
 *
 * ABI changelog (one line per bump):
 *   1.0  first version: descriptor, backend ops, host API.
 *   1.1  opcodes CIO_OP_SYMLINKAT and CIO_OP_LINKAT appended. A 1.0
 *        module is never asked for them natively (its supports() sees
 *        an opcode past its own count), so the core runs them on the
 *        pool.
 *   1.2  "beyond compio". Appended: opcodes READ_FIXED, WRITE_FIXED,
 *        SEND_ZC; cio_op.reserved0 became opflags (CIO_OPF_MULTISHOT,
 *        _FIXED_FILE, _BUFFER_SELECT); completion flags CIO_CF_* with
 *        CIO_CF_MORE meaning "not the last completion" (honoured only
 *        from modules of ABI >= 1.2: for older ones the core clears it);
 *        backend ops op_flags, bufpool_create/_recycle/_destroy,
 *        files_register/_update/_unregister, buffers_register/
 *        _unregister; host API member bufpool_handle; capability bits
 *        CIO_CAP_MULTISHOT, CIO_CAP_BUFFER_RING, CIO_CAP_FIXED_FILES,
 *        CIO_CAP_FIXED_BUFFERS, CIO_CAP_SEND_ZC. A 1.0 or 1.1 module has
 *        none of these members, claims no op flag and no new opcode:
 *        the core emulates all of it on top of the module's ordinary
 *        ops (see README.md "Beyond compio").
 *   1.3  batches across the module boundary. Appended: backend ops
 *        submit_batch (many ops per call), wait_batch (completions
 *        written into an array, cio_completion, instead of one
 *        host->complete call each) and cancel_all (with it the core
 *        keeps no list of the ops the module holds). All optional: for
 *        a module without them (every 1.0-1.2 module) the core calls
 *        submit, wait and cancel as before.
 *   1.4  wrapping modules. Appended host API members module_open,
 *        module_close and config_get_module: a module may load another
 *        module through the loader (search path, every loader check,
 *        the other module's probe) and drive it as the core would,
 *        handing it a host API table and host pointer of its own (see
 *        "Wrapping another module" below). A 1.0-1.3 module never sees
 *        the new members (it does not read past its own size).
 *
 * Wrapping another module (1.4). A wrapper (a fault injector, a tracer,
 * a recorder) is an ordinary module whose driver is another module's
 * driver plus something. It calls api->module_open() in probe() and in
 * create() (the only times the configuration is at hand), with the
 * inner module's name or absolute path; it probes the inner module in
 * its own probe() and closes it again before returning. In create() it
 * makes the inner driver with the inner descriptor's ops->create,
 * passing NOT the host API and host it was given but its own: a
 * cio_host_api whose members forward to the real ones, except those it
 * intercepts (complete, at least), and any pointer as cio_host (the
 * inner module only hands it back). The rules that follow from it:
 *  - The inner module's ops pass through the wrapper, which must keep
 *    every promise of this header towards the core: one final
 *    completion per op, CIO_CF_MORE only for what it claimed, and so on.
 *  - An op the inner module hands to host->pool_submit completes
 *    through the core directly, never through the wrapper's complete;
 *    a wrapper that keeps state per op must intercept pool_submit too,
 *    undo whatever it changed in the op, and forget it.
 *  - op->priv is shared: the inner module uses its first op_priv_size
 *    bytes, so a wrapper keeps its own per-op state at the end of the
 *    reserve and declares op_priv_size = CIO_OP_PRIV_MAX.
 *  - config_get in the inner table should answer from the inner
 *    module's own [module.<inner>] section (config_get_module).
 *  - The optional 1.2 and 1.3 members may be forwarded or left NULL
 *    (then the core emulates them above the wrapper); a wrapper that
 *    forwards op_flags must forward the matching bufpool and files
 *    members, and must deliver every CIO_CF_MORE completion of an op
 *    in order and before its final one.
 *  - module_close() only after the inner driver is destroyed.
 * Why this shape: module_open goes through the loader rather than
 * handing out a dlopen, so a wrapper gets the search path, the
 * ownership checks, the ABI checks and the probe exactly as a backend
 * named in the ini would, and cannot be used to load what the loader
 * would refuse. It works only while the configuration is at hand
 * (probe, create), as config_get does, so the core keeps no copy of
 * the configuration for drivers. config_get_module reads only module
 * sections: a module never parses [runtime], and the wrapper needs
 * nothing else to hand its inner module its own settings. Cycles
 * (a wraps b wraps a) end in CIO_ELOOP at the nesting limit instead of
 * overflowing the stack, since each probe loads the next module.
 */
#ifndef COMPIO_MODULE_H
#define COMPIO_MODULE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "op.h"
#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** "CIOM": is this a compio module at all. */
#define CIO_MODULE_MAGIC 0x43494f4du
/** Bumped on an incompatible change; the loader requires equality. */
#define CIO_MODULE_ABI_MAJOR 1
/** Bumped on an append; the loader requires module minor <= host minor. */
#define CIO_MODULE_ABI_MINOR 4

/** True when building against a module ABI of at least major.minor. */
#define CIO_MODULE_ABI_AT_LEAST(major, minor)                                 \
    (CIO_MODULE_ABI_MAJOR > (major) ||                                        \
     (CIO_MODULE_ABI_MAJOR == (major) && CIO_MODULE_ABI_MINOR >= (minor)))

/* Capability bits a module declares (a configuration may require them). */
/** Completion-based: the kernel performs the IO (uring, iocp). */
#define CIO_CAP_COMPLETION (1u << 0)
/** Readiness-based: try the syscall, wait on EAGAIN (epoll, kqueue). */
#define CIO_CAP_READINESS (1u << 1)
/** Regular-file IO is asynchronous in the kernel, not pooled (uring). */
#define CIO_CAP_FILE_ASYNC (1u << 2)
/** cancel() can stop an op that the kernel already started (uring). */
#define CIO_CAP_CANCEL_INFLIGHT (1u << 3)
/** notify() is safe from any thread (required of every module). */
#define CIO_CAP_NOTIFY (1u << 4)
/** Multishot ACCEPT/RECV in the backend (1.2; uring on Linux >= 6.0). */
#define CIO_CAP_MULTISHOT (1u << 5)
/** Provided-buffer pools in the backend (1.2; uring buffer rings). */
#define CIO_CAP_BUFFER_RING (1u << 6)
/** Registered files in the backend (1.2). */
#define CIO_CAP_FIXED_FILES (1u << 7)
/** Registered buffers, READ_FIXED/WRITE_FIXED in the backend (1.2). */
#define CIO_CAP_FIXED_BUFFERS (1u << 8)
/** Zero-copy send in the backend (1.2). */
#define CIO_CAP_SEND_ZC (1u << 9)

/** Log levels for host->log. */
enum cio_log_level {
    CIO_LOG_ERROR = 0, /**< Something failed that the user must know. */
    CIO_LOG_WARN = 1,  /**< A degraded mode: a flag dropped, a fallback. */
    CIO_LOG_INFO = 2,  /**< Set-up facts worth one line. */
    CIO_LOG_DEBUG = 3  /**< Per-event detail; off by default. */
};

/** Readiness an opcode waits for on a readiness backend. */
enum cio_op_wait {
    CIO_WAIT_NONE = 0,  /**< Not a readiness op (pool or immediate). */
    CIO_WAIT_READ = 1,  /**< Wait until readable, then retry. */
    CIO_WAIT_WRITE = 2  /**< Wait until writable, then retry. */
};

/**
 * The core's description of one opcode (the "op vtable"). Readiness
 * modules use it to run ops without knowing each syscall; completion
 * modules usually map opcodes to their own submissions instead.
 */
typedef struct cio_op_desc {
    /** Lower-case name, e.g. "read_at". */
    const char *name;
    /** The readiness to wait for on EAGAIN (enum cio_op_wait). */
    int wait;
    /**
     * Non-blocking attempt: performs the syscall once without blocking
     * and returns its result, or CIO_EAGAIN when it would block (the
     * module waits for readiness and calls it again). NULL when the
     * opcode has no non-blocking form (file ops): use the pool.
     */
    int32_t (*attempt)(cio_op *op);
    /** Blocking implementation, run on the pool. Never NULL. */
    int32_t (*blocking)(cio_op *op);
} cio_op_desc;

/**
 * One completion as wait_batch() (1.3) hands it over: the same layout
 * as cio_entry in compio/driver.h, so that the core can let the module
 * write straight into the caller's array. The module fills op, result
 * and cflags; user_data is the core's to fill.
 */
typedef struct cio_completion {
    /** The op, as submit() or submit_batch() received it. */
    cio_op *op;
    /** Not the module's: the core sets it to op->user_data. */
    uint64_t user_data;
    /** As host->complete's result: bytes, a new fd, or -errno. */
    int32_t result;
    /** As host->complete's cflags: CIO_CF_* bits. */
    uint32_t cflags;
} cio_completion;

/** One driver's link to the core; opaque to the module. */
typedef struct cio_host cio_host;

/** The module descriptor (defined below; module_open hands one out). */
typedef struct cio_backend_module cio_backend_module;

/**
 * The host API: everything a module may call in the core. Passed to
 * probe() and create(). Append-only: check size before using a member
 * added after 1.0.
 */
typedef struct cio_host_api {
    /** sizeof(cio_host_api) in the core that loaded the module. */
    size_t size;
    /** The core's CIO_MODULE_ABI_MAJOR. */
    uint16_t abi_major;
    /** The core's CIO_MODULE_ABI_MINOR. */
    uint16_t abi_minor;

    /** Allocate @size bytes; NULL when out of memory. */
    void *(*alloc)(size_t size);
    /** Allocate zeroed memory for @n objects of @size bytes. */
    void *(*calloc)(size_t n, size_t size);
    /** Resize an allocation from alloc/calloc. */
    void *(*realloc)(void *ptr, size_t size);
    /** Free memory from alloc/calloc/realloc; NULL is fine. */
    void (*free)(void *ptr);

    /**
     * Log a line about this driver (prefixed with the module name). The
     * core decides what reaches the user (COMPIO_LOG=debug|info|...).
     */
    void (*log)(cio_host *host, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /**
     * Explain why probe() or create() failed, in words for a user:
     * "io_uring_setup: Operation not permitted (seccomp?)". The loader
     * shows it with the error; the last call wins.
     */
    void (*set_reason)(cio_host *host, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;
    /**
     * The value of @key in this module's [module.<name>] ini section, or
     * NULL. The string lives as long as the host.
     */
    const char *(*config_get)(cio_host *host, const char *key);

    /**
     * Deliver the completion of @op: @result (bytes or -errno) and
     * CIO_CF_* @cflags. Call exactly once per submitted op without
     * CIO_CF_MORE (the final completion), from the thread that runs
     * wait() (also from within submit/cancel/wait). From 1.2, for an op
     * whose op flags the module claimed (multishot) or SEND_ZC, call it
     * with CIO_CF_MORE any number of times before: the op stays the
     * module's until the final one.
     */
    void (*complete)(cio_host *host, cio_op *op, int32_t result,
                     uint32_t cflags);
    /**
     * Run @op's blocking implementation on the core's thread pool; its
     * completion arrives through the same path as the module's own and
     * the module must not complete it itself. For ops a module takes but
     * cannot do natively in a given case (a regular file on epoll).
     * 0 or -errno (then the op is still the module's to complete).
     */
    int (*pool_submit)(cio_host *host, cio_op *op);
    /** The core's description of @opcode, or NULL if out of range. */
    const cio_op_desc *(*op_desc)(unsigned opcode);
    /** Monotonic clock in nanoseconds. */
    uint64_t (*now_ns)(void);

    /* ---- 1.2 ---- */

    /**
     * The handle the module's bufpool_create() returned for @pool (the
     * pool a BUFFER_SELECT op names in op->a.bsel.pool), or NULL when
     * the pool is not the module's (a userspace pool; the core never
     * hands the module such an op).
     */
    void *(*bufpool_handle)(const cio_bufpool *pool);

    /* ---- 1.4: wrapping another module ---- */

    /**
     * Load the module @name_or_path (a name looked up on the search
     * path, COMPIO_MODULE_PATH > ini module_path > the compiled-in
     * directory, or an absolute path to cio_<name>.so) with every check
     * the loader makes for a backend, then run its probe() with its own
     * [module.<name>] settings. On success *@mod is its descriptor and
     * *@handle the reference to give module_close(); the module stays
     * loaded until then. Only from probe() and create(): elsewhere
     * CIO_EINVAL. CIO_ELOOP when @name_or_path is the calling module
     * itself or wrappers nest deeper than CIO_MODULE_WRAP_MAX; otherwise
     * the loader's error (CIO_ENOENT, CIO_EPROTO, the probe's error...).
     * On failure the reason is set as by set_reason.
     */
    int (*module_open)(cio_host *host, const char *name_or_path,
                       const cio_backend_module **mod, void **handle);
    /**
     * Drop a reference module_open() gave; the module may be unloaded.
     * No driver of it may be left. NULL is fine.
     */
    void (*module_close)(void *handle);
    /**
     * As config_get, but from [module.<@module>]: the settings of a
     * module this one wraps. The string lives as long as the host; after
     * create() returns only keys already asked for are answered (as for
     * config_get, the configuration is gone by then).
     */
    const char *(*config_get_module)(cio_host *host, const char *module,
                                     const char *key);
} cio_host_api;

/** How deep module_open() lets wrappers nest (wrapper of a wrapper...). */
#define CIO_MODULE_WRAP_MAX 4

/**
 * The driver vtable. A module's per-driver state is the void pointer
 * create() returns. Required members are marked; the loader refuses a
 * module whose required member is NULL.
 */
typedef struct cio_backend_ops {
    /** sizeof(cio_backend_ops) when the module was built. */
    size_t size;
    /**
     * Required. Make a driver: set *@state. @entries is the configured
     * queue/batch size. The host pointer stays valid until destroy().
     * 0 or -errno (explained with host->set_reason).
     */
    int (*create)(const cio_host_api *api, cio_host *host,
                  unsigned entries, void **state);
    /**
     * Required. Free the driver. Called only when no op is in flight:
     * the core cancels and drains every op first.
     */
    void (*destroy)(void *state);
    /**
     * Required. Non-zero when the module performs @opcode itself; zero
     * sends that opcode to the core's pool. Answer from what create()
     * learnt (an io_uring probe), not from a guess.
     */
    int (*supports)(void *state, unsigned opcode);
    /**
     * Optional. Prepare @fd for use with this driver (IOCP associates
     * it with the port; epoll makes it non-blocking). 0 or -errno.
     */
    int (*attach)(void *state, cio_fd fd);
    /**
     * Required. Start @op (an opcode supports() accepted). Either queue
     * it and return 0, or complete it right away through host->complete
     * and return 0. A negative return means the op was not taken and
     * will not complete; the core then completes it with that error.
     */
    int (*submit)(void *state, cio_op *op);
    /**
     * Required. Ask that @op stop. 0 when the request was made (the op
     * still completes, usually with CIO_ECANCELED, maybe inline), or
     * CIO_ENOENT when the module no longer holds it, or CIO_EALREADY
     * when it is running and cannot be stopped.
     */
    int (*cancel)(void *state, cio_op *op);
    /**
     * Optional. Hand queued submissions to the kernel without waiting.
     * wait() must flush by itself; this is for callers that want the
     * IO started before they do something else.
     */
    int (*flush)(void *state);
    /**
     * Required. Flush submissions, then wait at most @timeout_ns (-1:
     * forever, 0: do not block) for completions and deliver them through
     * host->complete. Returns early when notify() is called. Returns the
     * number delivered (0 on timeout or wake-up) or -errno; CIO_EINTR is
     * handled inside and never returned.
     */
    int (*wait)(void *state, int64_t timeout_ns);
    /**
     * Required. Wake a wait() in progress or make the next one return at
     * once. Safe from any thread and from a signal handler's thread.
     */
    int (*notify)(void *state);
    /**
     * Optional. Called in the child after fork() to rebuild kernel
     * objects that do not survive it. 0 or -errno.
     */
    int (*fork_child)(void *state);

    /* ---- 1.2: all optional; NULL makes the core emulate ---- */

    /**
     * The CIO_OPF_* bits the module carries out itself for @opcode (an
     * opcode supports() accepted). The core asks once per opcode after
     * create(). Claiming CIO_OPF_MULTISHOT commits the module to
     * completing with CIO_CF_MORE until a final completion;
     * CIO_OPF_BUFFER_SELECT needs bufpool_create; CIO_OPF_FIXED_FILE
     * needs files_register.
     */
    uint32_t (*op_flags)(void *state, unsigned opcode);
    /**
     * Make a provided-buffer pool of @count buffers of @size bytes at
     * @base (buffer i at @base + i * @size, all free) that BUFFER_SELECT
     * ops naming @pool pick from. On success *@handle is what
     * host->bufpool_handle(pool) returns. 0 or -errno; on failure the
     * core keeps the pool in userspace and emulates.
     */
    int (*bufpool_create)(void *state, const cio_bufpool *pool, void *base,
                          uint32_t count, uint32_t size, void **handle);
    /** Make buffer @bid of pool @handle available again. */
    void (*bufpool_recycle)(void *state, void *handle, uint16_t bid);
    /** Forget pool @handle; no op that picks from it is in flight. */
    void (*bufpool_destroy)(void *state, void *handle);
    /**
     * Register @n descriptors (-1: empty slot) as the fixed-file table.
     * 0 or -errno; CIO_ENOMEM and CIO_ENOTSUP make the core emulate.
     */
    int (*files_register)(void *state, const cio_fd *fds, unsigned n);
    /** Replace slots @off.. with @fds; the count updated or -errno. */
    int (*files_update)(void *state, unsigned off, const cio_fd *fds,
                        unsigned n);
    /** Drop the fixed-file table. 0 or -errno. */
    int (*files_unregister)(void *state);
    /**
     * Register @n buffers for READ_FIXED/WRITE_FIXED. 0 or -errno;
     * CIO_ENOMEM and CIO_ENOTSUP make the core emulate.
     */
    int (*buffers_register)(void *state, const cio_iovec *iov, unsigned n);
    /** Drop the registered buffers. 0 or -errno. */
    int (*buffers_unregister)(void *state);

    /* ---- 1.3: all optional; NULL makes the core use the 1.0 calls ---- */

    /**
     * Start @n ops in order, each exactly as submit() would. Returns
     * how many were taken; when that is less than @n, ops[ret] was
     * refused with *@err (a negative errno; the op will not complete,
     * as when submit() returns an error) and the ops after it were not
     * looked at. With it the core collects pushed ops and hands them
     * over in one call before it waits, flushes or cancels, so a
     * module must not assume that submit order is push time.
     */
    unsigned (*submit_batch)(void *state, cio_op *const *ops, unsigned n,
                             int *err);
    /**
     * As wait(), but a completion is written to the next element of
     * @out (at most @max of them, @max >= 1) instead of being handed to
     * host->complete; the return is how many were written (0 on
     * timeout or wake-up) or -errno. Completions that do not fit stay
     * with the module for the next call. While it runs the module
     * delivers through @out only; outside it (in submit, cancel,
     * flush) it may still call host->complete, and the core delivers
     * those before anything a later wait_batch() writes, so the
     * completions of one op stay in order.
     */
    int (*wait_batch)(void *state, int64_t timeout_ns, cio_completion *out,
                      unsigned max);
    /**
     * Ask that every op the module holds stop, as cancel() would for
     * each: every op still completes (usually with CIO_ECANCELED).
     * Called only by cio_driver_close, before it drains. A module that
     * has it lets the core skip keeping a list of the ops the module
     * holds; it must then be able to reach all of them itself. 0 or
     * -errno.
     */
    int (*cancel_all)(void *state);
} cio_backend_ops;

/**
 * The descriptor, exported as cio_backend_<name>. Use designated
 * initialisers so that fields added later are zero.
 */
struct cio_backend_module {
    /** CIO_MODULE_MAGIC. */
    uint32_t magic;
    /** CIO_MODULE_ABI_MAJOR at build time. */
    uint16_t abi_major;
    /** CIO_MODULE_ABI_MINOR at build time. */
    uint16_t abi_minor;
    /** sizeof(cio_backend_module) at build time. */
    uint32_t struct_size;
    /** Bytes of op->priv the module uses (<= CIO_OP_PRIV_MAX). */
    uint32_t op_priv_size;
    /** Backend name: [a-z0-9_]+, equal to the file stem after "cio_". */
    const char *name;
    /** The module's own version, for logs and compio-info. */
    const char *version;
    /** One line describing the backend. */
    const char *description;
    /** CIO_CAP_* bits. */
    uint64_t caps;
    /**
     * Required. Can this backend work here? 0, or -errno with the
     * reason given through api->set_reason. Must leave nothing behind.
     */
    int (*probe)(const cio_host_api *api, cio_host *host);
    /** Required. The driver vtable. */
    const cio_backend_ops *ops;
};

/** Name of the symbol a module called @name must export. */
#define CIO_BACKEND_SYMBOL_PREFIX "cio_backend_"

/**
 * Declare the descriptor of module @name_:
 *     CIO_BACKEND_MODULE(epoll) = { .magic = CIO_MODULE_MAGIC, ... };
 */
#define CIO_BACKEND_MODULE(name_)                                             \
    CIO_MODULE_EXPORT extern const cio_backend_module cio_backend_##name_;    \
    CIO_MODULE_EXPORT const cio_backend_module cio_backend_##name_

/** Fills the fixed header fields of a descriptor. */
#define CIO_BACKEND_HEADER                                                    \
    .magic = CIO_MODULE_MAGIC, .abi_major = CIO_MODULE_ABI_MAJOR,             \
    .abi_minor = CIO_MODULE_ABI_MINOR,                                        \
    .struct_size = (uint32_t)sizeof(cio_backend_module)

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_MODULE_H */
