/* SPDX-License-Identifier: MIT */
/*
 * compio/op.h - one struct for every operation.
 *
 * A cio_op describes a single IO request: what to do (opcode), on what
 * (fd), with which buffers and arguments, and, once completed, the result
 * (bytes or a negative errno). It carries a fixed private reserve that
 * the backend and the driver use while the op is in flight, so an op can
 * live on a task's stack and submitting it never allocates.
 *
 * Lifetime rule (the one rule of a completion API): after cio_driver_push
 * succeeds, the op and every buffer it points to belong to the driver
 * until its final completion has been delivered by cio_driver_poll, also
 * after cio_driver_cancel, also when the driver is closed. Most ops have
 * exactly one completion. A multishot op (CIO_OPF_MULTISHOT) and
 * CIO_OP_SEND_ZC may have several: every completion but the last carries
 * CIO_CF_MORE (below), and the op stays the driver's until the
 * completion without it.
 *
 * Self-contained: only standard C headers. Socket and stat structures
 * are passed as pointers to incomplete types, so this header does not
 * pull in <sys/socket.h>.
 */
#ifndef COMPIO_OP_H
#define COMPIO_OP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;
struct msghdr;

/**
 * A pool of equal-sized buffers that RECV picks from when the data
 * arrives (CIO_OPF_BUFFER_SELECT). Made by cio_bufpool_new() in
 * compio/driver.h; opaque.
 */
typedef struct cio_bufpool cio_bufpool;

/**
 * The opcodes. Values are part of the module ABI: append only.
 */
typedef enum cio_opcode {
    CIO_OP_NOP = 0,      /**< Completes with 0; measures the round trip. */
    CIO_OP_READ,         /**< read(2) at the current position. */
    CIO_OP_WRITE,        /**< write(2) at the current position. */
    CIO_OP_READ_AT,      /**< pread(2). */
    CIO_OP_WRITE_AT,     /**< pwrite(2). */
    CIO_OP_READV,        /**< readv(2). */
    CIO_OP_WRITEV,       /**< writev(2). */
    CIO_OP_READV_AT,     /**< preadv(2). */
    CIO_OP_WRITEV_AT,    /**< pwritev(2). */
    CIO_OP_FSYNC,        /**< fsync(2). */
    CIO_OP_FDATASYNC,    /**< fdatasync(2). */
    CIO_OP_OPENAT,       /**< openat(2); the result is the new fd. */
    CIO_OP_CLOSE,        /**< close(2). */
    CIO_OP_STATX,        /**< statx(2) on Linux; see cio_op_statx(). */
    CIO_OP_FTRUNCATE,    /**< ftruncate(2). */
    CIO_OP_UNLINKAT,     /**< unlinkat(2). */
    CIO_OP_RENAMEAT,     /**< renameat2(2) / renameat(2). */
    CIO_OP_MKDIRAT,      /**< mkdirat(2). */
    CIO_OP_SOCKET,       /**< socket(2); the result is the new fd. */
    CIO_OP_ACCEPT,       /**< accept4(2); the result is the new fd. */
    CIO_OP_CONNECT,      /**< connect(2). */
    CIO_OP_RECV,         /**< recv(2). */
    CIO_OP_SEND,         /**< send(2). */
    CIO_OP_RECVMSG,      /**< recvmsg(2); also recvfrom. */
    CIO_OP_SENDMSG,      /**< sendmsg(2); also sendto. */
    CIO_OP_SHUTDOWN,     /**< shutdown(2). */
    CIO_OP_POLL_ADD,     /**< One-shot readiness; result is CIO_POLL_*. */
    CIO_OP_SPLICE,       /**< splice(2) (Linux). */
    CIO_OP_TIMEOUT,      /**< Completes with CIO_ETIME after a delay. */
    CIO_OP_ASYNC_CANCEL, /**< Cancels another op in flight. */
    CIO_OP_BLOCKING,     /**< Runs a user function on the thread pool. */
    CIO_OP_SYMLINKAT,    /**< symlinkat(2) (module ABI 1.1). */
    CIO_OP_LINKAT,       /**< linkat(2) (module ABI 1.1). */
    CIO_OP_READ_FIXED,   /**< pread(2) into a registered buffer (1.2). */
    CIO_OP_WRITE_FIXED,  /**< pwrite(2) from a registered buffer (1.2). */
    CIO_OP_SEND_ZC,      /**< Zero-copy send, two completions (1.2). */
    CIO_OP__COUNT        /**< Number of opcodes; not an opcode. */
} cio_opcode;

/** Readiness bits for CIO_OP_POLL_ADD (equal to POLLIN/POLLOUT/...). */
#define CIO_POLL_IN 0x001u
#define CIO_POLL_PRI 0x002u
#define CIO_POLL_OUT 0x004u
#define CIO_POLL_ERR 0x008u
#define CIO_POLL_HUP 0x010u

/*
 * Op flags (cio_op.opflags, module ABI 1.2): how compio carries out an
 * op, as opposed to cio_op.flags, which go to the syscall. Every backend
 * honours them; the ones it cannot do itself are emulated by the driver
 * (cio_driver_feature() says which), so the caller's code is the same
 * on every backend.
 */
/**
 * Keep the op armed: ACCEPT completes once per connection, RECV once per
 * arrival of data (RECV also needs CIO_OPF_BUFFER_SELECT). Every
 * completion but the last carries CIO_CF_MORE. The op ends with a
 * completion without CIO_CF_MORE: an error (CIO_ECANCELED after
 * cio_driver_cancel, CIO_ENOBUFS when the pool ran dry), or 0 for RECV
 * at end of stream.
 */
#define CIO_OPF_MULTISHOT 0x01u
/**
 * cio_op.fd is an index into the driver's registered-file table
 * (cio_driver_register_files), not a descriptor. CIO_EBADF for an index
 * out of range or an empty slot.
 */
#define CIO_OPF_FIXED_FILE 0x02u
/**
 * RECV only: no caller buffer; the driver picks a free buffer of the
 * pool in a.bsel when data arrives. The completion carries CIO_CF_BUFFER
 * and the buffer id (cio_entry_bid()); the caller owns that buffer until
 * cio_bufpool_release(). CIO_ENOBUFS when the pool has no free buffer
 * (io_uring may say so as soon as the op starts, the emulation when data
 * arrives); the data stays in the socket.
 */
#define CIO_OPF_BUFFER_SELECT 0x04u
/** Every op flag this header defines. */
#define CIO_OPF__ALL 0x07u

/*
 * Completion flags (cio_entry.flags, cio_op.cflags). The values are
 * io_uring's IORING_CQE_F_*, so that backend passes them through.
 */
/** The completion names a pool buffer: its id is in the upper 16 bits. */
#define CIO_CF_BUFFER 0x0001u
/** More completions follow for this op; the driver still owns it. */
#define CIO_CF_MORE 0x0002u
/** RECV: the socket had more data when this completion was made. */
#define CIO_CF_SOCK_NONEMPTY 0x0004u
/** SEND_ZC's second completion: the send buffer may be reused. */
#define CIO_CF_NOTIF 0x0008u
/** Shift of the buffer id in the flags (with CIO_CF_BUFFER). */
#define CIO_CF_BUFFER_SHIFT 16

/** Directory fd meaning "relative to the working directory". */
#define CIO_AT_FDCWD (-100)

#if defined(_WIN32)
/*
 * The AT_* flags of the path ops on Windows, which has none of its own
 * (elsewhere the platform's AT_* go in op->flags). Values as Linux's.
 */
/** STATX: do not follow a final symbolic link (reparse point). */
#define CIO_AT_SYMLINK_NOFOLLOW 0x100
/** UNLINKAT: remove a directory (RemoveDirectoryW). */
#define CIO_AT_REMOVEDIR 0x200
/** LINKAT: accepted; Windows hard-links the target of a link anyway. */
#define CIO_AT_SYMLINK_FOLLOW 0x400
/** STATX: an empty path stats the directory fd itself. */
#define CIO_AT_EMPTY_PATH 0x1000
#endif

/**
 * Bytes of per-op storage reserved for the driver and the backend. A
 * module declares how much it needs (op_priv_size in the descriptor); the
 * loader refuses one that needs more.
 */
#define CIO_OP_PRIV_MAX 128

/** Signature of a CIO_OP_BLOCKING function; its return is the result. */
typedef int64_t (*cio_blocking_fn)(void *arg);

/**
 * The arguments of an op; which member is used depends on the opcode.
 */
typedef union cio_op_args {
    /** READ, WRITE, READ_AT, WRITE_AT, RECV, SEND, SEND_ZC. */
    struct {
        void *buf;       /**< Buffer to fill or drain. */
        uint32_t len;    /**< Its length (ops move at most 2^31-1). */
        uint64_t offset; /**< File offset (the _AT forms only). */
    } rw;
    /**
     * READ_FIXED, WRITE_FIXED: as rw (same offsets), plus the index of
     * the registered buffer (cio_driver_register_buffers) that contains
     * [buf, buf + len).
     */
    struct {
        void *buf;       /**< Inside registered buffer @index. */
        uint32_t len;    /**< Bytes to move. */
        uint32_t index;  /**< Registered-buffer index. */
        uint64_t offset; /**< File offset. */
    } fixed;
    /** RECV with CIO_OPF_BUFFER_SELECT (instead of rw). */
    struct {
        cio_bufpool *pool; /**< Where the buffer comes from. */
        uint32_t reserved; /**< Keep zero. */
    } bsel;
    /** READV, WRITEV, READV_AT, WRITEV_AT. */
    struct {
        const cio_iovec *iov; /**< The buffers. */
        uint32_t iovcnt;      /**< How many. */
        uint64_t offset;      /**< File offset (the _AT forms only). */
    } vec;
    /** RECVMSG, SENDMSG. */
    struct {
        /**
         * Caller's msghdr, valid until completion. On Windows the
         * pointer is to a WSAMSG (winsock2.h), which the iocp backend
         * hands to WSARecvMsg/WSASendMsg; struct msghdr is only its
         * name here.
         */
        struct msghdr *msg;
    } msg;
    /** OPENAT, UNLINKAT, MKDIRAT, STATX (fd is the directory fd). */
    struct {
        const char *path; /**< Path, relative to fd unless absolute. */
        uint32_t mode;    /**< Mode for OPENAT with O_CREAT, MKDIRAT. */
        uint32_t mask;    /**< STATX: which fields are wanted. */
        void *statxbuf;   /**< STATX: a struct statx to fill. */
    } path;
    /**
     * RENAMEAT and LINKAT (fd is the old directory fd); SYMLINKAT (fd is
     * the directory of newpath, oldpath is the link's target text).
     */
    struct {
        const char *oldpath; /**< Source, relative to fd. */
        const char *newpath; /**< Target, relative to newdirfd. */
        cio_fd newdirfd;     /**< Target directory fd. */
    } rename;
    /** FTRUNCATE. */
    struct {
        uint64_t length; /**< New file length. */
    } truncate;
    /** SOCKET. */
    struct {
        int domain;   /**< AF_INET, AF_INET6, AF_UNIX ... */
        int type;     /**< SOCK_STREAM, SOCK_DGRAM ... */
        int protocol; /**< Usually 0. */
    } socket;
    /** ACCEPT, CONNECT. */
    struct {
        struct sockaddr *addr; /**< ACCEPT: filled; CONNECT: the peer. */
        uint32_t *addrlen;     /**< ACCEPT: in/out length, may be NULL. */
        uint32_t len;          /**< CONNECT: length of addr. */
    } addr;
    /** SPLICE (fd is the input). */
    struct {
        int64_t off_in;  /**< Input offset, -1 for the current one. */
        cio_fd fd_out;   /**< Output descriptor. */
        int64_t off_out; /**< Output offset, -1 for the current one. */
        uint32_t len;    /**< Bytes to move. */
    } splice;
    /** TIMEOUT. */
    struct {
        uint64_t ns; /**< Relative delay in nanoseconds. */
    } timeout;
    /** ASYNC_CANCEL. */
    struct {
        struct cio_op *target; /**< The op to cancel. */
    } cancel;
    /** BLOCKING. */
    struct {
        cio_blocking_fn fn; /**< Runs on a pool thread. */
        void *arg;          /**< Its argument. */
    } blocking;
} cio_op_args;

/**
 * Driver bookkeeping inside each op. Owned by libcompio while the op is
 * in flight; a module must not touch it.
 */
typedef struct cio_op_link {
    struct cio_op *next;  /**< In-flight and ready lists. */
    struct cio_op *prev;  /**< In-flight list. */
    void *owner;          /**< The driver that holds the op. */
    uint32_t state;       /**< Where the op is (internal). */
    uint32_t reserved;    /**< Internal (op-flag bookkeeping, 1.2). */
} cio_op_link;

/**
 * One operation. Fill it with a cio_op_*() initialiser, set user_data,
 * push it. Fields marked "in" are read by the driver; "out" are written at
 * completion.
 */
typedef struct cio_op {
    uint8_t opcode;     /**< in: a cio_opcode. */
    uint8_t opflags;    /**< in: CIO_OPF_* bits (module ABI 1.2; was
                             reserved0, zero before). */
    uint16_t reserved1; /**< Keep zero. */
    uint32_t flags;     /**< in: the syscall's flags (open flags, MSG_*,
                             shutdown how, CIO_POLL_* mask, ...). */
    cio_fd fd;          /**< in: the descriptor (or directory fd). */
    uint64_t user_data; /**< in: returned untouched in the completion. */
    int32_t result;     /**< out: bytes, a new fd, or a negative errno
                             (of the final completion). */
    uint32_t cflags;    /**< out: CIO_CF_* of the final completion. */
    cio_op_args a;      /**< in: opcode-specific arguments. */
    cio_op_link link;   /**< Driver-private. */
    /**
     * Backend-private reserve, pointer-aligned. While the driver
     * emulates an op for a backend (op flags it lacks) the backend never
     * sees the op and the driver uses this space instead.
     */
    union {
        uint64_t u64[CIO_OP_PRIV_MAX / 8];
        void *ptr[CIO_OP_PRIV_MAX / sizeof(void *)];
    } priv;
} cio_op;

/* Initialisers. Each clears the op, so a reused op starts clean. */

/**
 * Prepare @op as @code on @fd with everything else zero (priv aside).
 * Two clears rather than one: compilers inline each as a few vector
 * stores, where one 96-byte memset becomes a string instruction that
 * costs more than the rest of a push.
 */
static inline void
cio_op_init(cio_op *op, cio_opcode code, cio_fd fd)
{
    memset(op, 0, offsetof(cio_op, link));
    memset(&op->link, 0, sizeof(op->link));
    op->opcode = (uint8_t)code;
    op->fd = fd;
}

/** NOP: completes with 0. */
static inline void
cio_op_nop(cio_op *op)
{
    cio_op_init(op, CIO_OP_NOP, CIO_INVALID_FD);
}

/** Read up to @len bytes from @fd's current position (pipes, ttys). */
static inline void
cio_op_read(cio_op *op, cio_fd fd, void *buf, uint32_t len)
{
    cio_op_init(op, CIO_OP_READ, fd);
    op->a.rw.buf = buf;
    op->a.rw.len = len;
}

/** Write up to @len bytes at @fd's current position. */
static inline void
cio_op_write(cio_op *op, cio_fd fd, const void *buf, uint32_t len)
{
    cio_op_init(op, CIO_OP_WRITE, fd);
    op->a.rw.buf = (void *)buf;
    op->a.rw.len = len;
}

/** Read up to @len bytes at file offset @off. */
static inline void
cio_op_read_at(cio_op *op, cio_fd fd, void *buf, uint32_t len, uint64_t off)
{
    cio_op_init(op, CIO_OP_READ_AT, fd);
    op->a.rw.buf = buf;
    op->a.rw.len = len;
    op->a.rw.offset = off;
}

/** Write up to @len bytes at file offset @off. */
static inline void
cio_op_write_at(cio_op *op, cio_fd fd, const void *buf, uint32_t len,
                uint64_t off)
{
    cio_op_init(op, CIO_OP_WRITE_AT, fd);
    op->a.rw.buf = (void *)buf;
    op->a.rw.len = len;
    op->a.rw.offset = off;
}

/** Vectored read/write; @code is one of READV, WRITEV, READV_AT, WRITEV_AT. */
static inline void
cio_op_vec(cio_op *op, cio_opcode code, cio_fd fd, const cio_iovec *iov,
           uint32_t iovcnt, uint64_t off)
{
    cio_op_init(op, code, fd);
    op->a.vec.iov = iov;
    op->a.vec.iovcnt = iovcnt;
    op->a.vec.offset = off;
}

/** fsync(2), or fdatasync(2) when @datasync is non-zero. */
static inline void
cio_op_fsync(cio_op *op, cio_fd fd, int datasync)
{
    cio_op_init(op, datasync ? CIO_OP_FDATASYNC : CIO_OP_FSYNC, fd);
}

/**
 * openat(2): @flags are O_* flags, @mode applies with O_CREAT. On
 * Windows the flags are msvcrt's (<fcntl.h>: access mode, O_APPEND,
 * O_CREAT, O_EXCL, O_TRUNC), only @mode's owner-write bit counts, and
 * the result is an overlapped, non-inherited HANDLE (a directory opens
 * read-only, to serve as a dirfd), to be attached (cio_driver_attach)
 * before ops on it, as every handle.
 */
static inline void
cio_op_openat(cio_op *op, cio_fd dirfd, const char *path, uint32_t flags,
              uint32_t mode)
{
    cio_op_init(op, CIO_OP_OPENAT, dirfd);
    op->flags = flags;
    op->a.path.path = path;
    op->a.path.mode = mode;
}

/** close(2). */
static inline void
cio_op_close(cio_op *op, cio_fd fd)
{
    cio_op_init(op, CIO_OP_CLOSE, fd);
}

/**
 * statx(2): fills the struct statx at @statxbuf (Linux). @flags are
 * AT_* flags; an empty @path with AT_EMPTY_PATH stats @dirfd itself.
 * On Windows @statxbuf points to a cio_stat (compio/fs.h), every field
 * is filled whatever @mask asks, and @flags are CIO_AT_* flags.
 */
static inline void
cio_op_statx(cio_op *op, cio_fd dirfd, const char *path, uint32_t flags,
             uint32_t mask, void *statxbuf)
{
    cio_op_init(op, CIO_OP_STATX, dirfd);
    op->flags = flags;
    op->a.path.path = path;
    op->a.path.mask = mask;
    op->a.path.statxbuf = statxbuf;
}

/** ftruncate(2). */
static inline void
cio_op_ftruncate(cio_op *op, cio_fd fd, uint64_t length)
{
    cio_op_init(op, CIO_OP_FTRUNCATE, fd);
    op->a.truncate.length = length;
}

/** unlinkat(2); @flags may be AT_REMOVEDIR. */
static inline void
cio_op_unlinkat(cio_op *op, cio_fd dirfd, const char *path, uint32_t flags)
{
    cio_op_init(op, CIO_OP_UNLINKAT, dirfd);
    op->flags = flags;
    op->a.path.path = path;
}

/** renameat(2) (renameat2 flags in @flags where supported). */
static inline void
cio_op_renameat(cio_op *op, cio_fd olddirfd, const char *oldpath,
                cio_fd newdirfd, const char *newpath, uint32_t flags)
{
    cio_op_init(op, CIO_OP_RENAMEAT, olddirfd);
    op->flags = flags;
    op->a.rename.oldpath = oldpath;
    op->a.rename.newpath = newpath;
    op->a.rename.newdirfd = newdirfd;
}

/** mkdirat(2). */
static inline void
cio_op_mkdirat(cio_op *op, cio_fd dirfd, const char *path, uint32_t mode)
{
    cio_op_init(op, CIO_OP_MKDIRAT, dirfd);
    op->a.path.path = path;
    op->a.path.mode = mode;
}

/**
 * symlinkat(2): make @linkpath (relative to @newdirfd) a symbolic link
 * whose text is @target.
 */
static inline void
cio_op_symlinkat(cio_op *op, const char *target, cio_fd newdirfd,
                 const char *linkpath)
{
    cio_op_init(op, CIO_OP_SYMLINKAT, newdirfd);
    op->a.rename.oldpath = target;
    op->a.rename.newpath = linkpath;
    op->a.rename.newdirfd = newdirfd;
}

/** linkat(2): a hard link; @flags may be AT_SYMLINK_FOLLOW. */
static inline void
cio_op_linkat(cio_op *op, cio_fd olddirfd, const char *oldpath,
              cio_fd newdirfd, const char *newpath, uint32_t flags)
{
    cio_op_init(op, CIO_OP_LINKAT, olddirfd);
    op->flags = flags;
    op->a.rename.oldpath = oldpath;
    op->a.rename.newpath = newpath;
    op->a.rename.newdirfd = newdirfd;
}

/** socket(2); @flags may carry SOCK_CLOEXEC-style type flags. */
static inline void
cio_op_socket(cio_op *op, int domain, int type, int protocol)
{
    cio_op_init(op, CIO_OP_SOCKET, CIO_INVALID_FD);
    op->a.socket.domain = domain;
    op->a.socket.type = type;
    op->a.socket.protocol = protocol;
}

/**
 * accept4(2): @addr/@addrlen may be NULL. @flags are SOCK_* flags for the
 * new socket; the backend always adds close-on-exec.
 */
static inline void
cio_op_accept(cio_op *op, cio_fd fd, struct sockaddr *addr,
              uint32_t *addrlen, uint32_t flags)
{
    cio_op_init(op, CIO_OP_ACCEPT, fd);
    op->flags = flags;
    op->a.addr.addr = addr;
    op->a.addr.addrlen = addrlen;
}

/** connect(2). */
static inline void
cio_op_connect(cio_op *op, cio_fd fd, const struct sockaddr *addr,
               uint32_t len)
{
    cio_op_init(op, CIO_OP_CONNECT, fd);
    op->a.addr.addr = (struct sockaddr *)addr;
    op->a.addr.len = len;
}

/** recv(2) with MSG_* @flags. */
static inline void
cio_op_recv(cio_op *op, cio_fd fd, void *buf, uint32_t len, uint32_t flags)
{
    cio_op_init(op, CIO_OP_RECV, fd);
    op->flags = flags;
    op->a.rw.buf = buf;
    op->a.rw.len = len;
}

/** send(2) with MSG_* @flags (MSG_NOSIGNAL is always added). */
static inline void
cio_op_send(cio_op *op, cio_fd fd, const void *buf, uint32_t len,
            uint32_t flags)
{
    cio_op_init(op, CIO_OP_SEND, fd);
    op->flags = flags;
    op->a.rw.buf = (void *)buf;
    op->a.rw.len = len;
}

/** recvmsg(2). */
static inline void
cio_op_recvmsg(cio_op *op, cio_fd fd, struct msghdr *msg, uint32_t flags)
{
    cio_op_init(op, CIO_OP_RECVMSG, fd);
    op->flags = flags;
    op->a.msg.msg = msg;
}

/** sendmsg(2) (MSG_NOSIGNAL is always added). */
static inline void
cio_op_sendmsg(cio_op *op, cio_fd fd, const struct msghdr *msg,
               uint32_t flags)
{
    cio_op_init(op, CIO_OP_SENDMSG, fd);
    op->flags = flags;
    op->a.msg.msg = (struct msghdr *)msg;
}

/** shutdown(2); @how is SHUT_RD, SHUT_WR or SHUT_RDWR. */
static inline void
cio_op_shutdown(cio_op *op, cio_fd fd, int how)
{
    cio_op_init(op, CIO_OP_SHUTDOWN, fd);
    op->flags = (uint32_t)how;
}

/** One-shot readiness wait for the CIO_POLL_* bits in @events. */
static inline void
cio_op_poll_add(cio_op *op, cio_fd fd, uint32_t events)
{
    cio_op_init(op, CIO_OP_POLL_ADD, fd);
    op->flags = events;
}

/** splice(2) (Linux): offsets of -1 use the current position. */
static inline void
cio_op_splice(cio_op *op, cio_fd fd_in, int64_t off_in, cio_fd fd_out,
              int64_t off_out, uint32_t len, uint32_t flags)
{
    cio_op_init(op, CIO_OP_SPLICE, fd_in);
    op->flags = flags;
    op->a.splice.off_in = off_in;
    op->a.splice.fd_out = fd_out;
    op->a.splice.off_out = off_out;
    op->a.splice.len = len;
}

/** Completes with CIO_ETIME after @ns nanoseconds (or CIO_ECANCELED). */
static inline void
cio_op_timeout(cio_op *op, uint64_t ns)
{
    cio_op_init(op, CIO_OP_TIMEOUT, CIO_INVALID_FD);
    op->a.timeout.ns = ns;
}

/**
 * Cancels @target: completes with 0 if the target was found and
 * cancelled, CIO_ENOENT if it was not in flight, CIO_EALREADY if it is
 * running and cannot be stopped. The target still completes on its own.
 */
static inline void
cio_op_async_cancel(cio_op *op, cio_op *target)
{
    cio_op_init(op, CIO_OP_ASYNC_CANCEL, CIO_INVALID_FD);
    op->a.cancel.target = target;
}

/** Runs @fn(@arg) on the blocking pool; its return becomes the result. */
static inline void
cio_op_blocking(cio_op *op, cio_blocking_fn fn, void *arg)
{
    cio_op_init(op, CIO_OP_BLOCKING, CIO_INVALID_FD);
    op->a.blocking.fn = fn;
    op->a.blocking.arg = arg;
}

/**
 * READ_FIXED: read up to @len bytes at @off into @buf, which lies inside
 * registered buffer @index (cio_driver_register_buffers). CIO_EFAULT
 * when it does not, or when no such buffer is registered.
 */
static inline void
cio_op_read_fixed(cio_op *op, cio_fd fd, void *buf, uint32_t len, uint64_t off,
                  uint32_t index)
{
    cio_op_init(op, CIO_OP_READ_FIXED, fd);
    op->a.fixed.buf = buf;
    op->a.fixed.len = len;
    op->a.fixed.offset = off;
    op->a.fixed.index = index;
}

/** WRITE_FIXED: the write counterpart of cio_op_read_fixed(). */
static inline void
cio_op_write_fixed(cio_op *op, cio_fd fd, const void *buf, uint32_t len,
                   uint64_t off, uint32_t index)
{
    cio_op_init(op, CIO_OP_WRITE_FIXED, fd);
    op->a.fixed.buf = (void *)buf;
    op->a.fixed.len = len;
    op->a.fixed.offset = off;
    op->a.fixed.index = index;
}

/**
 * SEND_ZC: send(2) without copying @buf where the backend can (MSG_*
 * @flags; MSG_NOSIGNAL is always added). Two completions: the first
 * carries the byte count (or -errno) and CIO_CF_MORE; the second carries
 * CIO_CF_NOTIF, result 0, and means @buf may be reused. Until then the
 * kernel may still read @buf. Where zero-copy is not available the same
 * two completions come from a plain send, as they do when the kernel
 * refuses zero-copy for the socket (AF_UNIX): the driver then sends
 * again without it, so SEND_ZC works on every stream socket.
 */
static inline void
cio_op_send_zc(cio_op *op, cio_fd fd, const void *buf, uint32_t len,
               uint32_t flags)
{
    cio_op_init(op, CIO_OP_SEND_ZC, fd);
    op->flags = flags;
    op->a.rw.buf = (void *)buf;
    op->a.rw.len = len;
}

/**
 * Multishot ACCEPT: one completion (with CIO_CF_MORE) per accepted
 * connection, each carrying the new fd, until cancelled or an error.
 * No peer address is returned (use getpeername(2)).
 */
static inline void
cio_op_accept_multishot(cio_op *op, cio_fd fd, uint32_t flags)
{
    cio_op_accept(op, fd, NULL, NULL, flags);
    op->opflags = CIO_OPF_MULTISHOT;
}

/**
 * RECV into a buffer of @pool, picked when data arrives; at most one
 * buffer's size is read. See CIO_OPF_BUFFER_SELECT.
 */
static inline void
cio_op_recv_pool(cio_op *op, cio_fd fd, cio_bufpool *pool, uint32_t flags)
{
    cio_op_init(op, CIO_OP_RECV, fd);
    op->flags = flags;
    op->opflags = CIO_OPF_BUFFER_SELECT;
    op->a.bsel.pool = pool;
}

/**
 * Multishot RECV from @pool: one completion per arrival of data, each
 * with its own buffer, until end of stream (result 0), an error,
 * CIO_ENOBUFS (the pool ran dry: release buffers, push the op again)
 * or cancel. MSG_WAITALL is not allowed.
 */
static inline void
cio_op_recv_multishot(cio_op *op, cio_fd fd, cio_bufpool *pool, uint32_t flags)
{
    cio_op_recv_pool(op, fd, pool, flags);
    op->opflags |= CIO_OPF_MULTISHOT;
}

/**
 * The name of an opcode ("read_at"), or "unknown". Static string.
 */
CIO_EXTERN const char *cio_opcode_name(unsigned opcode);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_OP_H */
