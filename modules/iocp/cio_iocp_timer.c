/* SPDX-License-Identifier: MIT */
/*
 * cio_iocp_timer.c - TIMEOUT ops of the IOCP module: a binary min-heap
 * on the absolute deadline. IOCP has no timer object that fits (wine
 * lacks the wait-completion packets of Windows 8, and waitable timers
 * cost a thread or an APC each), so the nearest deadline is simply the
 * timeout of the next GetQueuedCompletionStatusEx (cio_iocp.c); expiry
 * happens on the owner thread and needs no lock.
 *
 * Timers with equal deadlines fire in no promised order (the heap is
 * not stable); distinct deadlines fire in deadline order, also when
 * several are due by the time the loop looks.
 */
#include "cio_iocp_int.h"

/* Does @a fire before @b? */
static int
iocp_before(cio_op *a, cio_op *b)
{
    return iocp__priv(a)->u.t.deadline < iocp__priv(b)->u.t.deadline;
}

static void
iocp_heap_set(iocp_state *st, unsigned i, cio_op *op)
{
    st->heap[i] = op;
    iocp__priv(op)->u.t.heap_idx = i;
}

static void
iocp_sift_up(iocp_state *st, unsigned i)
{
    cio_op *op = st->heap[i];
    while (i > 0) {
        unsigned parent = (i - 1) / 2;
        if (!iocp_before(op, st->heap[parent]))
            break;
        iocp_heap_set(st, i, st->heap[parent]);
        i = parent;
    }
    iocp_heap_set(st, i, op);
}

static void
iocp_sift_down(iocp_state *st, unsigned i)
{
    cio_op *op = st->heap[i];
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        cio_op *best = op;
        if (l < st->heap_len && iocp_before(st->heap[l], best)) {
            m = l;
            best = st->heap[l];
        }
        if (r < st->heap_len && iocp_before(st->heap[r], best))
            m = r;
        if (m == i)
            break;
        iocp_heap_set(st, i, st->heap[m]);
        i = m;
    }
    iocp_heap_set(st, i, op);
}

/* Queue TIMEOUT @op; its deadline is now + op->a.timeout.ns. */
int
iocp__timer_add(iocp_state *st, cio_op *op)
{
    iocp_opriv *p = iocp__priv(op);
    uint64_t now = st->api->now_ns();
    if (st->heap_len == st->heap_cap) {
        unsigned cap = st->heap_cap ? st->heap_cap * 2 : 16;
        cio_op **h = st->api->realloc(st->heap, cap * sizeof(*h));
        if (h == NULL)
            return CIO_ENOMEM;
        st->heap = h;
        st->heap_cap = cap;
    }
    p->u.t.deadline = op->a.timeout.ns > UINT64_MAX - now
                          ? UINT64_MAX
                          : now + op->a.timeout.ns;
    p->where = IOCP_AT_HEAP;
    st->heap[st->heap_len] = op;
    iocp_sift_up(st, st->heap_len++);
    return 0;
}

/* Take @op (in the heap) out. */
void
iocp__timer_remove(iocp_state *st, cio_op *op)
{
    unsigned i = iocp__priv(op)->u.t.heap_idx;
    cio_op *last = st->heap[--st->heap_len];
    iocp__priv(op)->where = IOCP_AT_NONE;
    if (i == st->heap_len)
        return;
    iocp_heap_set(st, i, last);
    if (i > 0 && iocp_before(last, st->heap[(i - 1) / 2]))
        iocp_sift_up(st, i);
    else
        iocp_sift_down(st, i);
}

/*
 * Deliver every TIMEOUT due at @now (CIO_ETIME), earliest first; while
 * wait_batch() runs, no more than fit in its array. Returns how many.
 */
unsigned
iocp__timer_expire(iocp_state *st, uint64_t now)
{
    unsigned n = 0;
    while (st->heap_len > 0 && iocp__priv(st->heap[0])->u.t.deadline <= now) {
        cio_op *op = st->heap[0];
        if (st->out != NULL && st->nout >= st->out_max)
            break;
        iocp__timer_remove(st, op);
        iocp__deliver(st, op, CIO_ETIME);
        n++;
    }
    return n;
}

/* The nearest deadline, or UINT64_MAX when no TIMEOUT is queued. */
uint64_t
iocp__timer_next(const iocp_state *st)
{
    return st->heap_len ? iocp__priv(st->heap[0])->u.t.deadline : UINT64_MAX;
}
