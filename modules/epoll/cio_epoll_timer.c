/* SPDX-License-Identifier: MIT */
/*
 * cio_epoll_timer.c - TIMEOUT ops of the epoll module: a binary min-heap
 * on the absolute deadline whose top bounds epoll_wait's timeout. The
 * timed retries of a CONNECT to a full unix backlog wait in it too.
 *
 * Why a heap and not one timerfd per op: a timerfd costs a descriptor and
 * three syscalls (create, settime, close) per TIMEOUT, and 10,000
 * concurrent timeouts would need 10,000 descriptors. The heap costs
 * O(log n) per insert/cancel with no syscall at all; its only price is
 * epoll_wait's millisecond resolution, which we round up so that a
 * timeout never fires early.
 */
#include "cio_epoll_int.h"

static int
epoll_heap_less(cio_op *a, cio_op *b)
{
    return epoll__priv(a)->deadline < epoll__priv(b)->deadline;
}

static void
epoll_heap_set(epoll_state *st, unsigned i, cio_op *op)
{
    st->heap[i] = op;
    epoll__priv(op)->heap_idx = i;
}

static void
epoll_heap_up(epoll_state *st, unsigned i)
{
    cio_op *op = st->heap[i];
    while (i > 0) {
        unsigned parent = (i - 1) / 2;
        if (!epoll_heap_less(op, st->heap[parent]))
            break;
        epoll_heap_set(st, i, st->heap[parent]);
        i = parent;
    }
    epoll_heap_set(st, i, op);
}

static void
epoll_heap_down(epoll_state *st, unsigned i)
{
    cio_op *op = st->heap[i];
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = l;
        if (l >= st->heap_len)
            break;
        if (r < st->heap_len && epoll_heap_less(st->heap[r], st->heap[l]))
            m = r;
        if (!epoll_heap_less(st->heap[m], op))
            break;
        epoll_heap_set(st, i, st->heap[m]);
        i = m;
    }
    epoll_heap_set(st, i, op);
}

/* Insert a TIMEOUT op; its deadline is already in priv. 0 or -ENOMEM. */
int
epoll__timer_add(epoll_state *st, cio_op *op)
{
    if (st->heap_len == st->heap_cap) {
        unsigned cap = st->heap_cap ? st->heap_cap * 2 : 64;
        cio_op **h = st->api->realloc(st->heap, cap * sizeof(*h));
        if (h == NULL)
            return CIO_ENOMEM;
        st->heap = h;
        st->heap_cap = cap;
    }
    epoll__priv(op)->where = EPOLL_AT_HEAP;
    st->heap[st->heap_len] = op;
    epoll_heap_up(st, st->heap_len++);
    return 0;
}

/* Take @op (which must be in the heap) out of it. */
void
epoll__timer_remove(epoll_state *st, cio_op *op)
{
    unsigned i = epoll__priv(op)->heap_idx;
    cio_op *last = st->heap[--st->heap_len];
    epoll__priv(op)->where = EPOLL_AT_NONE;
    if (i == st->heap_len)
        return;
    epoll_heap_set(st, i, last);
    /* The moved op may belong above or below its new slot. */
    epoll_heap_up(st, i);
    epoll_heap_down(st, epoll__priv(last)->heap_idx);
}

/*
 * Complete every TIMEOUT due at @now with CIO_ETIME, and try again every
 * CONNECT whose retry is due (cio_epoll_fd.c); returns the completions.
 */
unsigned
epoll__timer_expire(epoll_state *st, uint64_t now)
{
    unsigned n = 0;
    while (st->heap_len > 0 && epoll__priv(st->heap[0])->deadline <= now) {
        cio_op *op = st->heap[0];
        epoll__timer_remove(st, op);
        if (op->opcode == CIO_OP_CONNECT) {
            n += epoll__connect_retry(st, op);
            continue;
        }
        st->api->complete(st->host, op, CIO_ETIME, 0);
        n++;
    }
    return n;
}

/* The nearest deadline, or UINT64_MAX when no TIMEOUT is pending. */
uint64_t
epoll__timer_next(const epoll_state *st)
{
    return st->heap_len ? epoll__priv(st->heap[0])->deadline : UINT64_MAX;
}
