/* SPDX-License-Identifier: MIT */
/*
 * cio_faulty_io.c - where the faults happen: submit, the completions
 * the inner module delivers, the queue of held-back completions, wait
 * and notify.
 *
 * At submit, in this order, each only for the ops it is honest for:
 *  - enomem: any op; submit() refuses it, so the core completes it with
 *    CIO_ENOMEM (the inner module never sees it).
 *  - ecanceled: any op but CLOSE (a "cancelled" close would leak the
 *    descriptor it did not close); completes inline, nothing done.
 *  - econnreset: data ops on stream sockets; inline, nothing done.
 *  - eintr, eagain: data ops (read/write, the vector and _at forms,
 *    recv/send, recvmsg/sendmsg) without op flags; inline, nothing done,
 *    so a retry is always safe.
 *  - short: READ/WRITE/RECV/SEND and the _AT forms with len >= 2 get a
 *    shorter len, the vector forms fewer buffers, on regular files,
 *    pipes and stream sockets only (a datagram must never be cut, and
 *    an eventfd or signalfd refuses a short buffer). The IO really runs
 *    on the shortened op, so the bytes that moved are the right ones;
 *    the caller's length is put back before the completion goes up.
 * Ops with op flags (multishot, buffer select, fixed files) only get
 * enomem, ecanceled and delays: cutting them or failing one completion
 * of a multishot stream would break what the inner module still holds.
 *
 * At completion: delay holds a completion back until a later wait (and
 * every later completion of the same op behind it, so that one op's
 * completions keep their order); held completions come out in random
 * order, which reorders completions across ops. TIMEOUT ops are one
 * ordering group: the facade promises that timeouts complete in
 * deadline order, so they are held and released in the order they
 * completed. A wait that would
 * otherwise return nothing although it was allowed to block lets the
 * inner module run once more and then hands over what it held: the
 * driver facade promises that poll(-1) returns only with a completion
 * or after a notify.
 *
 * notify: late_notify keeps the wake-up from the inner module and lets
 * the waiting loop notice it late_notify_us later: while that kind is
 * configured, wait() sleeps in slices of at most late_notify_us and
 * looks at the pending late wake-up between them.
 */
#include <string.h>

#include "cio_faulty_int.h"

static int
is_rw(unsigned opcode)
{
    return opcode == CIO_OP_READ || opcode == CIO_OP_WRITE ||
           opcode == CIO_OP_READ_AT || opcode == CIO_OP_WRITE_AT ||
           opcode == CIO_OP_RECV || opcode == CIO_OP_SEND;
}

static int
is_vec(unsigned opcode)
{
    return opcode == CIO_OP_READV || opcode == CIO_OP_WRITEV ||
           opcode == CIO_OP_READV_AT || opcode == CIO_OP_WRITEV_AT;
}

static int
is_data(const cio_op *op)
{
    return op->opflags == 0 &&
           (is_rw(op->opcode) || is_vec(op->opcode) ||
            op->opcode == CIO_OP_RECVMSG || op->opcode == CIO_OP_SENDMSG);
}

static int
rule_on(const faulty *f, int kind)
{
    const faulty_rule *r = &f->rule[kind];
    return r->rate > 0 || r->nth != 0 || r->every != 0;
}

/* A random value in [lo, hi]. */
static uint32_t
pick(faulty *f, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(faulty_rand(f) % ((uint64_t)hi - lo + 1));
}

/*
 * Cut @op short if it is eligible and the rule fires. A vector op keeps
 * a prefix of its buffers that holds at least one byte and not all of
 * them, else a read would return 0 and look like end of file.
 */
static void
maybe_shorten(faulty *f, cio_op *op, int kind)
{
    faulty_opriv *p = faulty_priv(op);

    if (kind != FD_FILE && kind != FD_PIPE && kind != FD_STREAM)
        return;
    if (is_rw(op->opcode)) {
        if (op->a.rw.len < 2 || !faulty_fire(f, FK_SHORT))
            return;
        p->orig = op->a.rw.len;
        p->flags |= FOP_SHORT_LEN;
        op->a.rw.len = pick(f, 1, op->a.rw.len - 1);
    } else if (is_vec(op->opcode)) {
        uint64_t total = 0, pre = 0;
        uint32_t i, kmin = 0, kmax = 0;
        for (i = 0; i < op->a.vec.iovcnt; i++)
            total += op->a.vec.iov[i].len;
        for (i = 0; i + 1 < op->a.vec.iovcnt; i++) {
            pre += op->a.vec.iov[i].len;
            if (pre > 0 && kmin == 0)
                kmin = i + 1;
            if (pre > 0 && pre < total)
                kmax = i + 1;
        }
        if (kmin == 0 || kmax < kmin || !faulty_fire(f, FK_SHORT))
            return;
        p->orig = op->a.vec.iovcnt;
        p->flags |= FOP_SHORT_VEC;
        op->a.vec.iovcnt = pick(f, kmin, kmax);
    }
}

/* Give the caller back the length (or buffer count) it asked for. */
static void
unshorten(cio_op *op)
{
    faulty_opriv *p = faulty_priv(op);

    if (p->flags & FOP_SHORT_LEN)
        op->a.rw.len = p->orig;
    else if (p->flags & FOP_SHORT_VEC)
        op->a.vec.iovcnt = p->orig;
    p->flags &= (uint8_t)~FOP_SHORT;
}

/* Hand one completion to the core. */
static void
deliver(faulty *f, cio_op *op, int32_t result, uint32_t cflags)
{
    faulty_opriv *p = faulty_priv(op);

    if (cflags & CIO_CF_MORE) {
        f->mores++;
    } else {
        /* Before complete(): from there on the op is the caller's. */
        p->live = 0;
        f->finals++;
    }
    f->delivered++;
    f->api->complete(f->host, op, result, cflags);
}

static void release_held(faulty *f);

static void
hold(faulty *f, cio_op *op, int32_t result, uint32_t cflags)
{
    faulty_held *h;

    /*
     * The op's count of held completions is 16 bits: at its limit (a
     * multishot op, one huge batch) let everything held go first; the
     * order of each op's completions is kept either way.
     */
    if (faulty_priv(op)->held == UINT16_MAX)
        release_held(f);
    h = f->held_free;

    if (h != NULL)
        f->held_free = h->next;
    else if ((h = f->api->alloc(sizeof(*h))) == NULL) {
        /* No memory for the delay: deliver now, order is intact. */
        deliver(f, op, result, cflags);
        return;
    }
    h->next = NULL;
    h->op = op;
    h->result = result;
    h->cflags = cflags;
    if (f->held_tail != NULL)
        f->held_tail->next = h;
    else
        f->held = h;
    f->held_tail = h;
    f->nheld++;
    if (op->opcode == CIO_OP_TIMEOUT)
        f->nheld_timeout++;
    faulty_priv(op)->held++;
}

/* Records that must keep their order: the same op, or two TIMEOUTs. */
static int
same_group(const cio_op *a, const cio_op *b)
{
    return a == b ||
           (a->opcode == CIO_OP_TIMEOUT && b->opcode == CIO_OP_TIMEOUT);
}

/*
 * Deliver everything held so far in random order, an op's own
 * completions always in the order they came: pick a random record,
 * then deliver the earliest record of that op.
 */
static void
release_held(faulty *f)
{
    faulty_held *list = f->held, **pp, *h;
    unsigned n = f->nheld;

    f->held = f->held_tail = NULL;
    f->nheld = 0;
    f->nheld_timeout = 0;
    while (n > 0) {
        unsigned j = (unsigned)(faulty_rand(f) % n);
        cio_op *op;

        for (h = list; j > 0; j--)
            h = h->next;
        for (pp = &list; !same_group((*pp)->op, h->op); pp = &(*pp)->next)
            ;
        h = *pp;
        op = h->op;
        *pp = h->next;
        n--;
        faulty_priv(op)->held--;
        deliver(f, op, h->result, h->cflags);
        h->next = f->held_free;
        f->held_free = h;
    }
}

void
faulty_drop_held(faulty *f)
{
    faulty_held *h;

    release_held(f);
    while ((h = f->held_free) != NULL) {
        f->held_free = h->next;
        f->api->free(h);
    }
}

/* The inner module's host->complete: every completion passes here. */
void
faulty_icomplete(cio_host *hp, cio_op *op, int32_t result, uint32_t cflags)
{
    faulty *f = (faulty *)(void *)hp;
    faulty_opriv *p = faulty_priv(op);

    if (p->live != FAULTY_LIVE) {
        /* Not ours to complete (twice, or never submitted): say so. */
        f->violations++;
        f->api->log(f->host, CIO_LOG_ERROR,
                    "%s completed op %p (%s) that it does not hold "
                    "(result %d)",
                    f->iname, (void *)op,
                    f->api->op_desc(op->opcode) != NULL
                        ? f->api->op_desc(op->opcode)->name
                        : "?",
                    (int)result);
        return;
    }
    if (!(cflags & CIO_CF_MORE)) {
        unshorten(op);
        p->flags |= FOP_INNER_DONE;
    }
    if (p->held > 0 || (op->opcode == CIO_OP_TIMEOUT && f->nheld_timeout > 0) ||
        faulty_fire(f, FK_DELAY))
        hold(f, op, result, cflags);
    else
        deliver(f, op, result, cflags);
}

/*
 * The inner module's host->pool_submit: the pool completes the op
 * through the core, past us, so undo what we changed and let go of it.
 */
int
faulty_ipool_submit(cio_host *hp, cio_op *op)
{
    faulty *f = (faulty *)(void *)hp;
    faulty_opriv *p = faulty_priv(op);
    uint32_t len = 0;
    uint8_t cut = p->flags & FOP_SHORT;
    int r;

    if (cut == FOP_SHORT_LEN)
        len = op->a.rw.len;
    else if (cut == FOP_SHORT_VEC)
        len = op->a.vec.iovcnt;
    unshorten(op);
    r = f->api->pool_submit(f->host, op);
    if (r < 0) {
        /* Still the inner module's: leave it as the module started it. */
        if (cut == FOP_SHORT_LEN)
            op->a.rw.len = len;
        else if (cut == FOP_SHORT_VEC)
            op->a.vec.iovcnt = len;
        p->flags |= cut;
        return r;
    }
    p->live = 0;
    f->pooled++;
    return 0;
}

int
faulty_submit(void *state, cio_op *op)
{
    faulty *f = state;
    faulty_opriv *p = faulty_priv(op);
    int32_t err = 0;
    int kind = FD_OTHER, data = is_data(op), r;

    f->ops++;
    memset(p, 0, sizeof(*p));
    if (faulty_fire(f, FK_ENOMEM))
        return CIO_ENOMEM;
    p->live = FAULTY_LIVE;
    if (data && (rule_on(f, FK_ECONNRESET) || rule_on(f, FK_SHORT)))
        kind = faulty_fd_kind(op->fd);
    if (op->opcode != CIO_OP_CLOSE && faulty_fire(f, FK_ECANCELED))
        err = CIO_ECANCELED;
    else if (data && kind == FD_STREAM && faulty_fire(f, FK_ECONNRESET))
        err = CIO_ECONNRESET;
    else if (data && faulty_fire(f, FK_EINTR))
        err = CIO_EINTR;
    else if (data && faulty_fire(f, FK_EAGAIN))
        err = CIO_EAGAIN;
    if (err != 0) {
        faulty_icomplete((cio_host *)(void *)f, op, err, 0);
        return 0;
    }
    if (data)
        maybe_shorten(f, op, kind);
    p->flags |= FOP_AT_INNER;
    r = f->iops->submit(f->istate, op);
    if (r < 0) {
        unshorten(op);
        p->live = 0;
        p->flags &= (uint8_t)~FOP_AT_INNER;
    }
    return r;
}

int
faulty_cancel(void *state, cio_op *op)
{
    faulty *f = state;
    faulty_opriv *p = faulty_priv(op);
    int r;

    if (p->live != FAULTY_LIVE)
        return CIO_ENOENT;
    /*
     * Completed by us (an injected error) or by the inner module, and
     * held: the inner module must not be asked about an op it never saw
     * or already let go of. The held completion still arrives.
     */
    if (!(p->flags & FOP_AT_INNER) || (p->flags & FOP_INNER_DONE))
        return p->held > 0 ? 0 : CIO_ENOENT;
    r = f->iops->cancel(f->istate, op);
    /* Its final completion is in our queue: it still arrives. */
    if (r == CIO_ENOENT && p->held > 0)
        return 0;
    return r;
}

int
faulty_wait(void *state, int64_t timeout_ns)
{
    faulty *f = state;
    uint64_t start = f->delivered;
    int slicing = rule_on(f, FK_LATE_NOTIFY);
    int r;

    /* What earlier waits held back comes first, reordered. */
    release_held(f);
    if (f->delivered != start)
        timeout_ns = 0;
    for (;;) {
        uint64_t now = f->api->now_ns(), due = atomic_load(&f->late_due);
        int64_t slice = timeout_ns;
        int sliced = 0;

        if (due != 0 && now >= due) {
            /* The late notify arrives now: this wait is woken. */
            atomic_store(&f->late_due, 0);
            timeout_ns = slice = 0;
        }
        if (slicing && (slice < 0 || (uint64_t)slice > f->late_ns)) {
            slice = (int64_t)f->late_ns;
            sliced = 1;
        }
        r = f->iops->wait(f->istate, slice);
        if (r < 0)
            return f->delivered != start ? (int)(f->delivered - start) : r;
        if (f->delivered != start || timeout_ns == 0)
            break;
        if (f->nheld > 0) {
            /* All of it was held: one more turn to overtake, then go. */
            (void)f->iops->wait(f->istate, 0);
            release_held(f);
            break;
        }
        /*
         * A notify passed on to the inner module ends this wait: the
         * elapsed time cannot tell a wake-up at the end of a slice from
         * the slice's timeout, so notify() leaves a flag.
         */
        if (atomic_exchange(&f->woken, 0) != 0 || !sliced)
            break;
        {
            uint64_t spent = f->api->now_ns() - now;
            if (timeout_ns > 0) {
                timeout_ns -= (int64_t)spent;
                if (timeout_ns <= 0)
                    break;
            }
        }
    }
    return (int)(f->delivered - start);
}

int
faulty_notify(void *state)
{
    faulty *f = state;

    if (faulty_fire_notify(f)) {
        uint64_t expect = 0;
        atomic_fetch_add(&f->late_count, 1);
        /* An earlier late wake-up still pending keeps its own time. */
        (void)atomic_compare_exchange_strong(&f->late_due, &expect,
                                             f->api->now_ns() + f->late_ns);
        return 0;
    }
    atomic_store(&f->woken, 1);
    return f->iops->notify(f->istate);
}
