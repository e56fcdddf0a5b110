/* SPDX-License-Identifier: MIT */
/*
 * cio_uring_prep.c - one cio_op to one SQE. Every opcode the module
 * takes maps to exactly one SQE whose user_data is the op's address, so
 * its CQE's res (bytes, a new fd, or -errno) is the op's result as it
 * stands, with two exceptions: POLL_ADD's event mask is mapped back to
 * CIO_POLL_* bits, and nothing else is rewritten.
 *
 * The flags the core's blocking implementations add are added here too,
 * so an op gives the same result whether the kernel or the pool ran it:
 * O_CLOEXEC for OPENAT, SOCK_CLOEXEC for SOCKET and ACCEPT, MSG_NOSIGNAL
 * for SEND, SEND_ZC and SENDMSG.
 *
 * Op flags (only those op_flags() claimed reach us): CIO_OPF_FIXED_FILE
 * sets IOSQE_FIXED_FILE (fd is then the index), CIO_OPF_MULTISHOT picks
 * the multishot form of ACCEPT and RECV, CIO_OPF_BUFFER_SELECT sets
 * IOSQE_BUFFER_SELECT with the pool's buffer group. The liburing
 * helpers reset sqe->flags, so the SQE flags go on last.
 *
 * The backend's submit() and submit_batch() live here too, so that the
 * opcode switch is inlined into both: no call per op on either path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "cio_uring_int.h"

_Static_assert(sizeof(uring_opriv) <= CIO_OP_PRIV_MAX,
               "uring_opriv must fit in op->priv");

/*
 * Byte counts above INT32_MAX cannot be reported in a 32-bit result.
 * READ and WRITE (and their _AT forms) need no clamp: the kernel cuts
 * every read and write to MAX_RW_COUNT (INT_MAX rounded down to a page)
 * when it imports the buffer, as pread/pwrite do on the pool.
 */
static unsigned
uring_len(uint32_t len)
{
    return len > INT32_MAX ? (unsigned)INT32_MAX : len;
}

/* CIO_AT_FDCWD is -100 like Linux's AT_FDCWD; say so rather than assume. */
static int
uring_dirfd(cio_fd fd)
{
    return fd == CIO_AT_FDCWD ? AT_FDCWD : (int)fd;
}

/* CIO_POLL_* request bits to poll(2) bits. */
static unsigned
uring_poll_mask(uint32_t events)
{
    unsigned m = 0;
    if (events & CIO_POLL_IN)
        m |= POLLIN;
    if (events & CIO_POLL_PRI)
        m |= POLLPRI;
    if (events & CIO_POLL_OUT)
        m |= POLLOUT;
    if (events & CIO_POLL_ERR)
        m |= POLLERR;
    if (events & CIO_POLL_HUP)
        m |= POLLHUP;
    return m;
}

/* A POLL_ADD CQE's res (revents, or -errno) as a cio result. */
int32_t
uring__poll_result(int32_t res)
{
    int32_t r = 0;
    if (res < 0)
        return res;
    if (res & POLLIN)
        r |= (int32_t)CIO_POLL_IN;
    if (res & POLLPRI)
        r |= (int32_t)CIO_POLL_PRI;
    if (res & POLLOUT)
        r |= (int32_t)CIO_POLL_OUT;
    if (res & POLLERR)
        r |= (int32_t)CIO_POLL_ERR;
    if (res & POLLHUP)
        r |= (int32_t)CIO_POLL_HUP;
    return r;
}

/* "Use and advance the file position": offset -1 (IORING_FEAT_RW_CUR_POS). */
#define URING_CUR_POS ((uint64_t)-1)

/*
 * RECV with CIO_OPF_BUFFER_SELECT: the kernel picks a buffer of the
 * pool's ring. A single shot reads at most one buffer; multishot wants
 * a length of 0 (kernels before 6.10 refuse anything else) and fills
 * one buffer per CQE.
 */
static int
uring_prep_recv_select(uring_state *st, struct io_uring_sqe *sqe, cio_op *op)
{
    const uring_bufring *ring = st->api->bufpool_handle(op->a.bsel.pool);
    if (ring == NULL)
        return CIO_EINVAL;
    if (op->opflags & CIO_OPF_MULTISHOT)
        io_uring_prep_recv_multishot(sqe, op->fd, NULL, 0, (int)op->flags);
    else
        io_uring_prep_recv(sqe, op->fd, NULL, ring->size, (int)op->flags);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = ring->bgid;
    return 0;
}

/* Store @v at @p, which may be unaligned for the compiler's rules. */
static inline void
uring_st64(void *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

/* Store @v at @p, as uring_st64. */
static inline void
uring_st32(void *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

/*
 * The SQE of a plain read, write or NOP (IORING_OP_@kop on @fd, @len
 * bytes at @addr, file offset @off, @rw_flags), user_data aside (the
 * caller's): the same SQE as liburing's prep helpers make field by
 * field, in six stores on little-endian machines, where
 * uring_prep has cleared the last three words already.
 */
static inline __attribute__((always_inline)) void
uring_sqe_rw(struct io_uring_sqe *sqe, unsigned kop, int fd, uint64_t addr,
             uint32_t len, uint64_t off, uint32_t rw_flags)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    char *p = (char *)sqe;
    /*
     * opcode, flags, ioprio | fd | off | addr | len | rw_flags: the
     * 32-bit halves stored apart, which costs no more than joining
     * what comes from the op into a register (a shift and an or).
     */
    uring_st32(p, kop);
    uring_st32(p + 4, (uint32_t)fd);
    uring_st64(p + 8, off);
    uring_st64(p + 16, addr);
    uring_st32(p + 24, len);
    uring_st32(p + 28, rw_flags);
#else
    io_uring_prep_rw((int)kop, sqe, fd, (const void *)(uintptr_t)addr, len,
                     off);
    sqe->rw_flags = (__kernel_rwf_t)rw_flags;
#endif
}

/*
 * uring_sqe_rw for a NOP: all constants, so four 64-bit stores (two
 * 32-bit constants are not joined into one by every compiler).
 */
static inline __attribute__((always_inline)) void
uring_sqe_nop(struct io_uring_sqe *sqe)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    char *p = (char *)sqe;
    uring_st64(p, (uint64_t)IORING_OP_NOP | (uint64_t)UINT32_MAX << 32);
    uring_st64(p + 8, 0);
    uring_st64(p + 16, 0);
    uring_st64(p + 24, 0);
#else
    uring_sqe_rw(sqe, IORING_OP_NOP, -1, 0, 0, 0, 0);
#endif
}

/*
 * Fill @sqe for @op, whose opcode and op flags are @opcode and @opflags
 * (passed in, so that the batch's common case can pass what it knows).
 * Returns 0, or CIO_EINVAL for an opcode the module does not take
 * (supports() said no, so this means a caller bug), or CIO_EFAULT for
 * a fixed buffer index beyond the SQE's 16 bits.
 */
static inline __attribute__((always_inline)) int
uring_prep(uring_state *st, struct io_uring_sqe *sqe, cio_op *op,
           unsigned opcode, unsigned opflags, int clean)
{
    uring_opriv *priv;
    int r;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /*
     * buf_index, personality, file_index | addr3 | pad: zero for every
     * opcode that uring_sqe_rw fills (the liburing helpers the others
     * use write them again), unless @clean says every SQE of the ring
     * has them zero already (st->sqe_clean).
     */
    _Static_assert(offsetof(struct io_uring_sqe, user_data) == 32 &&
                       sizeof(struct io_uring_sqe) == 64,
                   "the SQE layout of the kernel's uapi");
    if (!clean) {
        uring_st64((char *)sqe + 40, 0);
        uring_st64((char *)sqe + 48, 0);
        uring_st64((char *)sqe + 56, 0);
    }
#else
    (void)clean;
#endif
    /*
     * The positioned read and write (the commonest ops of file IO) and
     * NOP (a wake-up, and the round trip the driver benchmark measures)
     * each with one test (two instructions), ahead of the switch's jump
     * table (a bounds test and an indirect jump through a relative
     * table: six, and a jump back). Every other opcode pays the three
     * tests, next to the liburing helper that fills its SQE.
     */
    if (opcode == CIO_OP_READ_AT) {
        uring_sqe_rw(sqe, IORING_OP_READ, op->fd,
                     (uint64_t)(uintptr_t)op->a.rw.buf, op->a.rw.len,
                     op->a.rw.offset, 0);
        goto plain;
    }
    if (opcode == CIO_OP_WRITE_AT) {
        uring_sqe_rw(sqe, IORING_OP_WRITE, op->fd,
                     (uint64_t)(uintptr_t)op->a.rw.buf, op->a.rw.len,
                     op->a.rw.offset, 0);
        goto plain;
    }
    if (opcode == CIO_OP_NOP) {
        uring_sqe_nop(sqe);
        goto plain;
    }
    switch (opcode) {
    case CIO_OP_READ:
        uring_sqe_rw(sqe, IORING_OP_READ, op->fd,
                     (uint64_t)(uintptr_t)op->a.rw.buf, op->a.rw.len,
                     URING_CUR_POS, 0);
        goto plain;
    case CIO_OP_WRITE:
        uring_sqe_rw(sqe, IORING_OP_WRITE, op->fd,
                     (uint64_t)(uintptr_t)op->a.rw.buf, op->a.rw.len,
                     URING_CUR_POS, 0);
        goto plain;
    case CIO_OP_READV:
    case CIO_OP_READV_AT:
        /* cio_iovec is laid out as struct iovec on POSIX systems. */
        io_uring_prep_readv(sqe, op->fd, (const struct iovec *)op->a.vec.iov,
                            op->a.vec.iovcnt,
                            opcode == CIO_OP_READV ? URING_CUR_POS
                                                       : op->a.vec.offset);
        break;
    case CIO_OP_WRITEV:
    case CIO_OP_WRITEV_AT:
        io_uring_prep_writev(sqe, op->fd, (const struct iovec *)op->a.vec.iov,
                             op->a.vec.iovcnt,
                             opcode == CIO_OP_WRITEV ? URING_CUR_POS
                                                         : op->a.vec.offset);
        break;
    case CIO_OP_FSYNC:
        io_uring_prep_fsync(sqe, op->fd, 0);
        break;
    case CIO_OP_FDATASYNC:
        io_uring_prep_fsync(sqe, op->fd, IORING_FSYNC_DATASYNC);
        break;
    case CIO_OP_OPENAT:
        io_uring_prep_openat(sqe, uring_dirfd(op->fd), op->a.path.path,
                             (int)op->flags | O_CLOEXEC,
                             (mode_t)op->a.path.mode);
        break;
    case CIO_OP_CLOSE:
        io_uring_prep_close(sqe, op->fd);
        break;
    case CIO_OP_STATX:
        io_uring_prep_statx(sqe, uring_dirfd(op->fd), op->a.path.path,
                            (int)op->flags, op->a.path.mask,
                            (struct statx *)op->a.path.statxbuf);
        break;
    case CIO_OP_FTRUNCATE:
        /*
         * No helper in liburing 2.3: the kernel's layout is fd and off
         * (the new length), every other field zero.
         */
        memset(sqe, 0, sizeof(*sqe));
        sqe->opcode = (uint8_t)URING_OP_FTRUNCATE;
        sqe->fd = op->fd;
        sqe->off = op->a.truncate.length;
        break;
    case CIO_OP_UNLINKAT:
        io_uring_prep_unlinkat(sqe, uring_dirfd(op->fd), op->a.path.path,
                               (int)op->flags);
        break;
    case CIO_OP_RENAMEAT:
        io_uring_prep_renameat(sqe, uring_dirfd(op->fd), op->a.rename.oldpath,
                               uring_dirfd(op->a.rename.newdirfd),
                               op->a.rename.newpath, op->flags);
        break;
    case CIO_OP_MKDIRAT:
        io_uring_prep_mkdirat(sqe, uring_dirfd(op->fd), op->a.path.path,
                              (mode_t)op->a.path.mode);
        break;
    case CIO_OP_SYMLINKAT:
        io_uring_prep_symlinkat(sqe, op->a.rename.oldpath,
                                uring_dirfd(op->a.rename.newdirfd),
                                op->a.rename.newpath);
        break;
    case CIO_OP_LINKAT:
        io_uring_prep_linkat(sqe, uring_dirfd(op->fd), op->a.rename.oldpath,
                             uring_dirfd(op->a.rename.newdirfd),
                             op->a.rename.newpath, (int)op->flags);
        break;
    case CIO_OP_SOCKET:
        io_uring_prep_socket(sqe, op->a.socket.domain,
                             op->a.socket.type | (int)op->flags |
                                 SOCK_CLOEXEC,
                             op->a.socket.protocol, 0);
        break;
    case CIO_OP_ACCEPT:
        /* socklen_t is a 32-bit unsigned on Linux, as is *addrlen. */
        if (opflags & CIO_OPF_MULTISHOT)
            io_uring_prep_multishot_accept(sqe, op->fd, op->a.addr.addr,
                                           (socklen_t *)op->a.addr.addrlen,
                                           (int)op->flags | SOCK_CLOEXEC);
        else
            io_uring_prep_accept(sqe, op->fd, op->a.addr.addr,
                                 (socklen_t *)op->a.addr.addrlen,
                                 (int)op->flags | SOCK_CLOEXEC);
        break;
    case CIO_OP_CONNECT:
        io_uring_prep_connect(sqe, op->fd, op->a.addr.addr,
                              (socklen_t)op->a.addr.len);
        break;
    case CIO_OP_RECV:
        if (opflags & CIO_OPF_BUFFER_SELECT) {
            r = uring_prep_recv_select(st, sqe, op);
            if (r < 0)
                return r;
            break;
        }
        io_uring_prep_recv(sqe, op->fd, op->a.rw.buf, uring_len(op->a.rw.len),
                           (int)op->flags);
        break;
    case CIO_OP_SEND:
        io_uring_prep_send(sqe, op->fd, op->a.rw.buf, uring_len(op->a.rw.len),
                           (int)op->flags | MSG_NOSIGNAL);
        break;
    case CIO_OP_RECVMSG:
        io_uring_prep_recvmsg(sqe, op->fd, op->a.msg.msg, op->flags);
        break;
    case CIO_OP_SENDMSG:
        io_uring_prep_sendmsg(sqe, op->fd, op->a.msg.msg,
                              op->flags | MSG_NOSIGNAL);
        break;
    case CIO_OP_SHUTDOWN:
        io_uring_prep_shutdown(sqe, op->fd, (int)op->flags);
        break;
    case CIO_OP_POLL_ADD:
        /* Marked for the reap, which maps its revents (URING_UD_POLL). */
        io_uring_prep_poll_add(sqe, op->fd, uring_poll_mask(op->flags));
        uring_sqe_dirty(st);
        if (opflags & CIO_OPF_FIXED_FILE)
            sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)op | URING_UD_POLL);
        return 0;
    case CIO_OP_SPLICE:
        io_uring_prep_splice(sqe, op->fd, op->a.splice.off_in,
                             op->a.splice.fd_out, op->a.splice.off_out,
                             uring_len(op->a.splice.len), op->flags);
        break;
    case CIO_OP_TIMEOUT:
        /*
         * A pure timer (count 0): it completes with -ETIME when the
         * delay elapses, whatever else completes meanwhile. The kernel
         * copies the timespec when it takes the SQE; it lives in
         * op->priv, which stays ours until the completion, so its
         * lifetime is never a question.
         */
        priv = (uring_opriv *)(void *)op->priv.u64;
        priv->ts.tv_sec = (int64_t)(op->a.timeout.ns / 1000000000u);
        priv->ts.tv_nsec = (long long)(op->a.timeout.ns % 1000000000u);
        io_uring_prep_timeout(sqe, &priv->ts, 0, 0);
        break;
    case CIO_OP_READ_FIXED:
    case CIO_OP_WRITE_FIXED:
        /* The SQE has 16 bits for it; a larger index names no buffer. */
        if (op->a.fixed.index > UINT16_MAX)
            return CIO_EFAULT;
        if (opcode == CIO_OP_WRITE_FIXED) {
            io_uring_prep_write_fixed(
                sqe, op->fd, op->a.fixed.buf, uring_len(op->a.fixed.len),
                op->a.fixed.offset, (int)op->a.fixed.index);
            break;
        }
        io_uring_prep_read_fixed(sqe, op->fd, op->a.fixed.buf,
                                 uring_len(op->a.fixed.len), op->a.fixed.offset,
                                 (int)op->a.fixed.index);
        break;
    case CIO_OP_SEND_ZC:
        io_uring_prep_send_zc(sqe, op->fd, op->a.rw.buf,
                              uring_len(op->a.rw.len),
                              (int)op->flags | MSG_NOSIGNAL, 0);
        break;
    default:
        return CIO_EINVAL;
    }
    /* A liburing helper filled it: its last words may not be zero. */
    uring_sqe_dirty(st);
plain:
    if (opflags & CIO_OPF_FIXED_FILE)
        sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)op);
    return 0;
}

/*
 * Fill @sqe for @op; on a refusal the SQE (taken already) becomes a
 * harmless NOP whose CQE is dropped. @track is st->track.
 */
static inline __attribute__((always_inline)) int
uring_fill(uring_state *st, struct io_uring_sqe *sqe, cio_op *op, int track)
{
    int r = uring_prep(st, sqe, op, op->opcode, op->opflags, 0);
    if (__builtin_expect(r < 0, 0)) {
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, URING_TAG_IGNORE);
        return r;
    }
    if (track)
        uring_hold(st, op);
    return 0;
}

/*
 * The backend's submit(): one SQE for @op. The SQE comes from the
 * inline fetch (uring_sqe_next) and is filled by the inline switch
 * above; only a full SQ (uring__get_sqe flushes it) and a disabled ring
 * take a call.
 */
int
uring__submit(void *state, cio_op *op)
{
    uring_state *st = state;
    struct io_uring_sqe *sqe;
    int r;

    if (__builtin_expect(!st->enabled, 0) && (r = uring__enable(st)) < 0)
        return r;
    sqe = uring_sqe_next(st);
    if (__builtin_expect(sqe == NULL, 0) &&
        (sqe = uring__get_sqe(st, &r)) == NULL)
        return r;
    return uring_fill(st, sqe, op, st->track);
}

/* uring_fill out of line: what the batch's common case does not take. */
static __attribute__((noinline)) int
uring_fill_slow(uring_state *st, struct io_uring_sqe *sqe, cio_op *op)
{
    return uring_fill(st, sqe, op, 0);
}

/*
 * Fill @sqe for @op, a 0 or -errno as uring_fill. An op without op
 * flags (the common case) takes the switch on its opcode alone, with
 * @clean (uring_sqe_clean) as its run found it: opcode and opflags are
 * read together, and with op flags the key is no opcode, which the
 * switch refuses with the one range test it makes anyway; what it
 * refuses goes the general way.
 */
static inline __attribute__((always_inline)) int
uring_fill_one(uring_state *st, struct io_uring_sqe *sqe, cio_op *op,
               int clean)
{
    unsigned key = op->opcode | (unsigned)op->opflags << 8;
    if (__builtin_expect(uring_prep(st, sqe, op, key, 0, clean) == 0, 1))
        return 0;
    return uring_fill_slow(st, sqe, op);
}

/*
 * Fill the @n SQEs from @sqe on for @ops (the SQ has room for them and
 * they do not wrap). Returns how many were filled: @n, or fewer with
 * *@err when an op was refused (its SQE became a dropped NOP and is
 * counted).
 */
static inline __attribute__((always_inline)) unsigned
uring_fill_run(uring_state *st, struct io_uring_sqe *sqe, cio_op *const *ops,
               unsigned n, int *err, int clean)
{
    struct io_uring_sqe *end = sqe + n, *first = sqe;
    int r;

    /* Four at a time: the loop's step and test count a quarter. */
    for (; end - sqe >= 4; sqe += 4, ops += 4) {
        if ((r = uring_fill_one(st, sqe, ops[0], clean)) < 0)
            goto refused;
        if ((r = uring_fill_one(st, sqe + 1, ops[1], clean)) < 0) {
            sqe += 1;
            goto refused;
        }
        if ((r = uring_fill_one(st, sqe + 2, ops[2], clean)) < 0) {
            sqe += 2;
            goto refused;
        }
        if ((r = uring_fill_one(st, sqe + 3, ops[3], clean)) < 0) {
            sqe += 3;
            goto refused;
        }
    }
    for (; sqe < end; sqe++, ops++)
        if ((r = uring_fill_one(st, sqe, *ops, clean)) < 0)
            goto refused;
    return n;
refused:
    *err = r;
    return (unsigned)(sqe - first) + 1;
}

/*
 * The SQEs of submit_batch(): as many as the SQ has room for are taken
 * at once, one read of the kernel's head for the lot, in runs of
 * adjacent SQEs (at most two: the ring wraps), each filled by a loop
 * that keeps what it needs in registers; a full SQ is flushed
 * (uring__get_sqe) and the rest go on. Returns how many ops were taken,
 * as submit_batch() does. Inlined into submit_batch(): one call less.
 */
static inline __attribute__((always_inline)) unsigned
uring_fill_batch(uring_state *st, cio_op *const *ops, unsigned n, int *err)
{
    struct io_uring_sq *sq = &st->ring.sq;
    unsigned i = 0;

    while (i < n) {
        unsigned tail = sq->sqe_tail, mask = sq->ring_mask, run, done;
        unsigned room = sq->ring_entries -
                        (tail - __atomic_load_n(sq->khead, __ATOMIC_ACQUIRE));
        struct io_uring_sqe *sqe = &sq->sqes[tail & mask];
        int r = 0;
        if (__builtin_expect(room == 0, 0)) {
            sqe = uring__get_sqe(st, &r);
            if (sqe == NULL || (r = uring_fill(st, sqe, ops[i], 0)) < 0) {
                *err = r;
                return i;
            }
            i++;
            continue;
        }
        /* Up to the end of the batch, of the room, of the ring. */
        run = mask + 1 - (tail & mask);
        if (run > room)
            run = room;
        if (run > n - i)
            run = n - i;
        /*
         * A loop of its own for a ring whose SQEs are all clean (checked
         * once per run: the run writes each SQE once).
         */
        if (uring_sqe_clean(st))
            done = uring_fill_run(st, sqe, ops + i, run, &r, 1);
        else
            done = uring_fill_run(st, sqe, ops + i, run, &r, 0);
        sq->sqe_tail = tail + done;
        if (__builtin_expect(r < 0, 0)) {
            /* The refused op's SQE is taken; the op is not. */
            *err = r;
            return i + done - 1;
        }
        i += done;
    }
    return n;
}

/*
 * The backend's submit_batch() (ABI 1.3). When the module keeps its own
 * list of ops (old kernels, see st->track) each op goes through
 * submit(), which lists it before anything can reap its completion;
 * that keeps the loop above free of the test.
 */
unsigned
uring__submit_batch(void *state, cio_op *const *ops, unsigned n, int *err)
{
    uring_state *st = state;
    int r;

    if (__builtin_expect(st->track, 0)) {
        for (unsigned i = 0; i < n; i++)
            if ((r = uring__submit(st, ops[i])) < 0) {
                *err = r;
                return i;
            }
        return n;
    }
    if (__builtin_expect(!st->enabled, 0) && (r = uring__enable(st)) < 0) {
        *err = r;
        return 0;
    }
    return uring_fill_batch(st, ops, n, err);
}
