/* SPDX-License-Identifier: MIT */
/*
 * cio_iocp.c - the Windows I/O completion port backend module
 * (cio_iocp.dll): a completion driver in which Windows performs socket,
 * pipe and file IO itself. One completion port per driver.
 *
 * Life of an op. submit() (cio_iocp_submit.c) issues the overlapped
 * call with the OVERLAPPED inside op->priv. The kernel owns that
 * OVERLAPPED, and whatever buffers the call names, until the packet for
 * it is dequeued; the op is kept on the "held" list meanwhile. wait()
 * dequeues packets with GetQueuedCompletionStatusEx, as many per call
 * as the batch (the "entries" the core configured) or the caller's
 * wait_batch() array allows, turns each OVERLAPPED back into its op,
 * computes the result from the NTSTATUS in OVERLAPPED.Internal (one
 * error table, cio_iocp_err.c) and delivers it. Calls that finish at
 * once on a handle that skips the port on success complete inline.
 *
 * Handles. attach() (cio_iocp_handle.c) associates a handle with the
 * port; an op on a handle never attached attaches it first. Handles
 * must be opened for overlapped IO (FILE_FLAG_OVERLAPPED; socket() and
 * WSASocket with WSA_FLAG_OVERLAPPED sockets are); those that are not,
 * and consoles, are served by the core's pool instead. Descriptors are
 * HANDLE/SOCKET values in cio_fd; results that are descriptors (ACCEPT)
 * fit in the int32 result because Windows handles have 32 significant
 * bits.
 *
 * Timers. TIMEOUT ops sit in a heap (cio_iocp_timer.c); the nearest
 * deadline is the timeout of the wait, rounded up to the millisecond so
 * that no timer and no wait(timeout) ends early.
 *
 * Cancel. CancelIoEx(handle, &ov) asks the kernel to stop that one
 * call; the aborted call still produces its packet (ERROR_OPERATION_
 * ABORTED -> CIO_ECANCELED), which is the op's completion. A call that
 * already finished is not found by CancelIoEx, and its packet is the
 * completion: either way cancel() returns 0 and the op completes once.
 * A TIMEOUT is taken out of the heap and completes inline.
 *
 * notify() posts one packet with the key IOCP_KEY_NOTIFY, but only
 * when the owner may be blocked in the port and no such packet is
 * queued yet (the same Dekker handshake as the io_uring module; see
 * iocp_wait). Closing a port does not wake a waiter under wine, so
 * nothing relies on that: the owner thread closes its own port.
 *
 * Teardown. The core cancels every op and drains before destroy(); if
 * an op is still held all the same, destroy() cancels it and drains the
 * port itself, and leaks (rather than frees) anything the kernel might
 * still write.
 *
 * Module knobs ([module.iocp]): skip_mode = yes|no (default yes): set
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on attached handles.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cio_iocp_int.h"

_Static_assert(sizeof(iocp_opriv) <= CIO_OP_PRIV_MAX,
               "iocp_opriv does not fit in cio_op.priv");
_Static_assert(offsetof(iocp_opriv, u.ov) == 0,
               "the OVERLAPPED must start the op's private area");

/* Entries fetched per GQCSEx at most, whatever the configuration. */
#define IOCP_BATCH_MAX 1024u
/* How long destroy() waits for stray ops to drain, in ms. */
#define IOCP_DRAIN_MS 5000u

/* ---- delivery ---- */

void
iocp__deliver(iocp_state *st, cio_op *op, int32_t result)
{
    if (st->out != NULL) {
        cio_completion *c = &st->out[st->nout++];
        c->op = op;
        c->result = result;
        c->cflags = 0;
        return;
    }
    st->api->complete(st->host, op, result, 0);
}

/* One dequeued packet of an op: its result, delivered. */
static void
iocp_packet(iocp_state *st, OVERLAPPED *ov)
{
    iocp_opriv *p = (iocp_opriv *)(void *)ov;
    cio_op *op = iocp__op_of(p);
    DWORD code = iocp__ntstatus_win32((LONG)ov->Internal);
    DWORD bytes = (DWORD)ov->InternalHigh;
    iocp__unhold(st, op);
    iocp__deliver(st, op, iocp__finish(st, op, code, bytes));
}

/*
 * A call on @op failed at once with a warning status (ERROR_MORE_DATA,
 * WSAEMSGSIZE: a datagram or message cut to the buffer). Windows queues
 * a packet for warnings even then, and does so before the call returns;
 * wine 8 queues none. So look: dequeue what the port holds now, without
 * waiting, and deliver it all (host->complete may be called from
 * submit). If @op's packet was among them it is delivered; if not, none
 * is coming and @op completes here with @code.
 */
void
iocp__sync_warning(iocp_state *st, cio_op *op, DWORD code)
{
    iocp_opriv *p = iocp__priv(op);
    ULONG got;
    int seen = 0;

    iocp__hold(st, op);
    do {
        got = 0;
        if (!GetQueuedCompletionStatusEx(st->port, st->entries, st->batch, &got,
                                         0, FALSE))
            break;
        for (ULONG i = 0; i < got; i++) {
            OVERLAPPED_ENTRY *e = &st->entries[i];
            if (e->lpCompletionKey == IOCP_KEY_NOTIFY) {
                /* Not ours to consume: the next wait() returns at once. */
                atomic_store(&st->posted, 0);
                atomic_store(&st->pending, 1);
                continue;
            }
            if (e->lpOverlapped == NULL)
                continue;
            if (e->lpOverlapped == &p->u.ov)
                seen = 1;
            iocp_packet(st, e->lpOverlapped);
        }
    } while (got == st->batch);
    if (!seen) {
        iocp__unhold(st, op);
        iocp__deliver(st, op,
                      iocp__finish(st, op, code, (DWORD)p->u.ov.InternalHigh));
    }
}

/* ---- cancel ---- */

static int
iocp_cancel(void *state, cio_op *op)
{
    iocp_state *st = state;
    iocp_opriv *p = iocp__priv(op);

    switch (p->where) {
    case IOCP_AT_HEAP:
        iocp__timer_remove(st, op);
        iocp__deliver(st, op, CIO_ECANCELED);
        return 0;
    case IOCP_AT_KERNEL:
        /*
         * FALSE with ERROR_NOT_FOUND: the call already finished and its
         * packet is queued. Another failure (the handle was closed)
         * aborted the call already. Wine returns TRUE even when nothing
         * was pending. In every case the packet completes the op.
         */
        CancelIoEx((HANDLE)op->fd, &p->u.ov);
        return 0;
    default:
        return CIO_ENOENT;
    }
}

/* cancel_all (ABI 1.3): every held call and every TIMEOUT. */
static int
iocp_cancel_all(void *state)
{
    iocp_state *st = state;
    for (iocp_opriv *p = st->held.next; p != &st->held; p = p->next)
        CancelIoEx((HANDLE)iocp__op_of(p)->fd, &p->u.ov);
    while (st->heap_len > 0) {
        cio_op *op = st->heap[st->heap_len - 1];
        iocp__timer_remove(st, op);
        iocp__deliver(st, op, CIO_ECANCELED);
    }
    return 0;
}

/* ---- wait and notify ---- */

/* Milliseconds to wait for @ns, rounded up; INFINITE for UINT64_MAX. */
static DWORD
iocp_ms(uint64_t ns)
{
    uint64_t ms;
    if (ns == UINT64_MAX)
        return INFINITE;
    ms = ns / 1000000u + (ns % 1000000u != 0);
    return ms >= INFINITE ? INFINITE - 1 : (DWORD)ms;
}

static int
iocp_wait(void *state, int64_t timeout_ns)
{
    iocp_state *st = state;
    const cio_host_api *api = st->api;
    uint64_t now = api->now_ns();
    uint64_t until = UINT64_MAX;
    unsigned n = 0;
    int woke = 0;

    if (timeout_ns >= 0)
        until = (uint64_t)timeout_ns > UINT64_MAX - now
                    ? UINT64_MAX - 1
                    : now + (uint64_t)timeout_ns;
    for (;;) {
        ULONG got = 0, room = st->batch;
        uint64_t deadline;
        DWORD ms;
        BOOL ok;

        n += iocp__timer_expire(st, now);
        if (st->out != NULL) {
            if (st->nout >= st->out_max)
                break;
            if (st->out_max - st->nout < room)
                room = st->out_max - st->nout;
        }
        deadline = iocp__timer_next(st);
        if (until < deadline)
            deadline = until;
        ms = 0;
        if (n == 0 && !woke && timeout_ns != 0)
            ms = iocp_ms(deadline == UINT64_MAX ? UINT64_MAX
                         : deadline > now       ? deadline - now
                                                : 0);
        /*
         * notify() protocol (all seq_cst): we store sleeping = 1, then
         * read-and-clear pending; notify() stores pending = 1, then
         * reads sleeping. One of the two sees the other's store: either
         * we see the request and do not block, or notify() sees us
         * asleep and posts a packet. "posted" keeps that to one packet
         * while it is queued.
         */
        if (ms != 0) {
            atomic_store(&st->sleeping, 1);
            if (atomic_exchange(&st->pending, 0)) {
                atomic_store(&st->sleeping, 0);
                woke = 1;
                ms = 0;
            }
        }
        ok = GetQueuedCompletionStatusEx(st->port, st->entries, room, &got, ms,
                                         FALSE);
        if (ms != 0)
            atomic_store(&st->sleeping, 0);
        if (!ok) {
            DWORD err = GetLastError();
            got = 0;
            if (err != WAIT_TIMEOUT && err != WAIT_IO_COMPLETION)
                return n ? (int)n : iocp__err_win32(err);
        }
        for (ULONG i = 0; i < got; i++) {
            OVERLAPPED_ENTRY *e = &st->entries[i];
            if (e->lpCompletionKey == IOCP_KEY_NOTIFY) {
                atomic_store(&st->posted, 0);
                woke = 1;
                continue;
            }
            if (e->lpOverlapped == NULL)
                continue; /* Not ours; nothing else posts to the port. */
            iocp_packet(st, e->lpOverlapped);
            n++;
        }
        if (atomic_load_explicit(&st->pending, memory_order_relaxed) &&
            atomic_exchange(&st->pending, 0))
            woke = 1;
        now = api->now_ns();
        if (n != 0 || woke || timeout_ns == 0)
            break;
        if (until != UINT64_MAX && now >= until) {
            n += iocp__timer_expire(st, now);
            break;
        }
        /* A timer came due, or the wait ended early: look again. */
    }
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* wait_batch (ABI 1.3): wait() writing into @out. */
static int
iocp_wait_batch(void *state, int64_t timeout_ns, cio_completion *out,
                unsigned max)
{
    iocp_state *st = state;
    int r;
    st->out = out;
    st->out_max = max;
    st->nout = 0;
    r = iocp_wait(state, timeout_ns);
    st->out = NULL;
    return r < 0 ? r : (int)st->nout;
}

/*
 * Wake the owner; safe from any thread. Skipped when the owner is awake
 * (it sees "pending" before it blocks) or a wake-up packet is queued.
 */
static int
iocp_notify(void *state)
{
    iocp_state *st = state;
    atomic_store(&st->pending, 1);
    if (!atomic_load(&st->sleeping))
        return 0;
    if (atomic_exchange(&st->posted, 1))
        return 0;
    if (!PostQueuedCompletionStatus(st->port, 0, IOCP_KEY_NOTIFY, NULL)) {
        atomic_store(&st->posted, 0);
        return iocp__err_last();
    }
    return 0;
}

/* ---- create / destroy ---- */

/*
 * Ops still held at destroy (the core drains first, so this is a
 * safety net): cancel them and drain the port until none is left or
 * IOCP_DRAIN_MS passed. Returns how many the kernel still holds.
 */
static unsigned
iocp_drain(iocp_state *st)
{
    uint64_t end;
    /* Nothing is delivered any more: timers are dropped, calls cancelled. */
    st->heap_len = 0;
    if (st->nheld == 0)
        return 0;
    for (iocp_opriv *p = st->held.next; p != &st->held; p = p->next)
        CancelIoEx((HANDLE)iocp__op_of(p)->fd, &p->u.ov);
    end = st->api->now_ns() + (uint64_t)IOCP_DRAIN_MS * 1000000u;
    while (st->nheld > 0 && st->api->now_ns() < end) {
        ULONG got = 0;
        if (!GetQueuedCompletionStatusEx(st->port, st->entries, st->batch, &got,
                                         100, FALSE))
            continue;
        for (ULONG i = 0; i < got; i++) {
            OVERLAPPED *ov = st->entries[i].lpOverlapped;
            cio_op *op;
            if (st->entries[i].lpCompletionKey == IOCP_KEY_NOTIFY || ov == NULL)
                continue;
            op = iocp__op_of((iocp_opriv *)(void *)ov);
            iocp__unhold(st, op);
            iocp__finish(st, op, ERROR_OPERATION_ABORTED, 0);
        }
    }
    return st->nheld;
}

static void
iocp_destroy(void *state)
{
    iocp_state *st = state;
    const cio_host_api *api;
    if (st == NULL)
        return;
    api = st->api;
    if (st->port != NULL && iocp_drain(st) != 0) {
        /*
         * The kernel may still write into these ops and their buffers:
         * keep the port and the state alive rather than free them.
         */
        api->log(st->host, CIO_LOG_ERROR,
                 "%u ops still in the kernel at destroy; leaking the port",
                 st->nheld);
        return;
    }
    if (st->port != NULL)
        CloseHandle(st->port);
    iocp__handles_free(st);
    api->free(st->heap);
    api->free(st->entries);
    if (st->wsa)
        WSACleanup();
    api->free(st);
}

/* Parse a yes/no knob; -1 when it is neither. */
static int
iocp_bool(const char *v)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
        strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
        strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
        return 0;
    return -1;
}

static int
iocp_create(const cio_host_api *api, cio_host *host, unsigned entries,
            void **state)
{
    iocp_state *st;
    WSADATA wd;
    const char *v;
    int r;

    st = api->calloc(1, sizeof(*st));
    if (st == NULL)
        return CIO_ENOMEM;
    st->api = api;
    st->host = host;
    st->held.next = st->held.prev = &st->held;
    atomic_init(&st->pending, 0);
    atomic_init(&st->sleeping, 0);
    atomic_init(&st->posted, 0);
    v = api->config_get(host, "skip_mode");
    if (v != NULL) {
        int b = iocp_bool(v);
        if (b < 0) {
            api->set_reason(host, "skip_mode = '%s': want yes or no", v);
            api->free(st);
            return CIO_EINVAL;
        }
        st->no_skip = !b;
    }
    st->batch = entries == 0 ? 256 : entries;
    if (st->batch > IOCP_BATCH_MAX)
        st->batch = IOCP_BATCH_MAX;
    st->entries = api->calloc(st->batch, sizeof(*st->entries));
    if (st->entries == NULL) {
        api->free(st);
        return CIO_ENOMEM;
    }
    r = WSAStartup(MAKEWORD(2, 2), &wd);
    if (r != 0) {
        api->set_reason(host, "WSAStartup: error %d", r);
        iocp_destroy(st);
        return iocp__err_win32((DWORD)r);
    }
    st->wsa = 1;
    st->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (st->port == NULL) {
        DWORD err = GetLastError();
        api->set_reason(host, "CreateIoCompletionPort: error %lu",
                        (unsigned long)err);
        iocp_destroy(st);
        return iocp__err_win32(err);
    }
    r = iocp__load_extensions(st);
    if (r < 0) {
        /* ACCEPT and CONNECT then run on the pool (supports() says no). */
        api->log(host, CIO_LOG_WARN,
                 "AcceptEx/ConnectEx unavailable (%d): pooled", r);
        st->accept_ex = NULL;
        st->connect_ex = NULL;
        st->accept_addrs = NULL;
    }
    *state = st;
    return 0;
}

/* Can IOCP work here? Make a port and close it again. */
static int
iocp_probe(const cio_host_api *api, cio_host *host)
{
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (port == NULL) {
        DWORD err = GetLastError();
        api->set_reason(host, "CreateIoCompletionPort: error %lu",
                        (unsigned long)err);
        return iocp__err_win32(err);
    }
    CloseHandle(port);
    return 0;
}

static const cio_backend_ops iocp_ops = {
    .size = sizeof(cio_backend_ops),
    .create = iocp_create,
    .destroy = iocp_destroy,
    .supports = iocp__supports,
    .attach = iocp__attach,
    .submit = iocp__submit,
    .cancel = iocp_cancel,
    .flush = NULL,
    .wait = iocp_wait,
    .notify = iocp_notify,
    .fork_child = NULL,
    .submit_batch = iocp__submit_batch,
    .wait_batch = iocp_wait_batch,
    .cancel_all = iocp_cancel_all,
};

CIO_BACKEND_MODULE(iocp) = {
    CIO_BACKEND_HEADER,
    .op_priv_size = (uint32_t)sizeof(iocp_opriv),
    .name = "iocp",
    .version = "1.3.0",
    .description = "Windows I/O completion ports; sockets, pipes and "
                   "files overlapped in the kernel",
    .caps = CIO_CAP_COMPLETION | CIO_CAP_FILE_ASYNC | CIO_CAP_CANCEL_INFLIGHT |
            CIO_CAP_NOTIFY,
    .probe = iocp_probe,
    .ops = &iocp_ops,
};
