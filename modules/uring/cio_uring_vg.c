/* SPDX-License-Identifier: MIT */
/*
 * cio_uring_vg.c - tell valgrind what the kernel wrote.
 *
 * io_uring fills read buffers, msghdrs, statx structs and accept
 * addresses from the kernel side, asynchronously: memcheck never sees a
 * system call write them, so a program that reads them afterwards looks
 * as if it read uninitialised memory (a stack buffer, a malloc'd one).
 * Under valgrind only (one cheap check per reap), each completion marks
 * what its op received as defined, exactly the bytes the result says.
 * Header-only client requests: no link dependency on valgrind.
 */
#define _GNU_SOURCE /* struct statx */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "cio_uring_int.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define URING_VG_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#endif
#endif
#ifndef URING_VG_DEFINED
#define URING_VG_DEFINED(p, n) ((void)(p), (void)(n))
#endif

/* The first @n bytes spread over @iov. */
static void
vg_iov(const struct iovec *iov, size_t cnt, size_t n)
{
    for (size_t i = 0; i < cnt && n > 0; i++) {
        size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;
        URING_VG_DEFINED(iov[i].iov_base, k);
        n -= k;
    }
}

void
uring__vg_defined(uring_state *st, const cio_op *op, int32_t res,
                  uint32_t cflags)
{
    if (res < 0)
        return;
    switch (op->opcode) {
    case CIO_OP_READ:
    case CIO_OP_READ_AT:
    case CIO_OP_RECV:
        if (cflags & CIO_CF_BUFFER) {
            /* A provided buffer: the pool's, at the id the CQE names. */
            const uring_bufring *ring =
                st->api->bufpool_handle(op->a.bsel.pool);
            unsigned bid = cflags >> CIO_CF_BUFFER_SHIFT;
            if (ring != NULL)
                URING_VG_DEFINED(ring->base + (size_t)bid * ring->size,
                                 (size_t)res);
        } else if (op->a.rw.buf != NULL) {
            URING_VG_DEFINED(op->a.rw.buf, (size_t)res);
        }
        break;
    case CIO_OP_READ_FIXED:
        URING_VG_DEFINED(op->a.fixed.buf, (size_t)res);
        break;
    case CIO_OP_READV:
    case CIO_OP_READV_AT:
        /* cio_iovec has struct iovec's layout (checked in core). */
        vg_iov((const struct iovec *)(const void *)op->a.vec.iov,
               op->a.vec.iovcnt, (size_t)res);
        break;
    case CIO_OP_RECVMSG: {
        struct msghdr *m = op->a.msg.msg;
        /* The kernel also rewrites the lengths and flags it returns. */
        URING_VG_DEFINED(&m->msg_namelen, sizeof m->msg_namelen);
        URING_VG_DEFINED(&m->msg_controllen, sizeof m->msg_controllen);
        URING_VG_DEFINED(&m->msg_flags, sizeof m->msg_flags);
        if (m->msg_name != NULL)
            URING_VG_DEFINED(m->msg_name, m->msg_namelen);
        if (m->msg_control != NULL)
            URING_VG_DEFINED(m->msg_control, m->msg_controllen);
        vg_iov(m->msg_iov, m->msg_iovlen, (size_t)res);
        break;
    }
    case CIO_OP_STATX:
        URING_VG_DEFINED(op->a.path.statxbuf, sizeof(struct statx));
        break;
    case CIO_OP_ACCEPT:
        if (op->a.addr.addrlen != NULL) {
            URING_VG_DEFINED(op->a.addr.addrlen, sizeof(uint32_t));
            if (op->a.addr.addr != NULL)
                URING_VG_DEFINED(op->a.addr.addr, *op->a.addr.addrlen);
        }
        break;
    default:
        break;
    }
}
