/* SPDX-License-Identifier: MIT */
/*
 * cio_chan.c - bounded channels of fixed-size items.
 *
 * Every transfer is a direct hand-off done by whoever finds the other
 * side waiting: a sender that finds a parked receiver copies its item
 * straight into the receiver's buffer; a receiver that takes an item out
 * of a full ring moves the oldest parked sender's item in behind it.
 * The woken task then only collects its result. Nobody retries, so there
 * is no barging, order is FIFO, and a cancelled waiter never swallows a
 * wake meant for someone else: it was either completed (and returns that
 * result) or it unlinks itself untouched.
 *
 * LOCAL channels are used by the tasks of one runtime and take no lock.
 * SHARED channels guard the ring and both wait queues with a mutex, and
 * wake a waiter parked on another runtime by posting to that runtime,
 * because cio__task_wake must run on the waiter's own thread.
 *
 * The post protocol. A waiter node lives on the parked task's stack, and
 * the post carries a pointer to it, so the node must outlive the post.
 * The waker completes the waiter under the lock, sets its state to
 * POSTED and posts; from then on it never touches the node again (the
 * post may already have run). The posted function runs on the waiter's
 * thread and sets "delivered" there, then wakes the task. A waiter
 * returns only after one of: delivered is set; under the lock it found
 * itself still LINKED (so nobody completed it, and it unlinks itself); or
 * under the lock it found DONE (completed, but no post is coming). A
 * waiter that is cancelled while POSTED parks, ignoring the cancel,
 * until the post arrived; it never returns with a post in flight.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cio_rt_internal.h"

/* Waiter states, read and written under the channel lock. */
enum {
    CHAN_LINKED = 0, /* Queued; nobody has completed it. */
    CHAN_DONE,       /* Completed and woken, or completed with no post. */
    CHAN_POSTED      /* Completed; a post will set delivered. */
};

typedef struct chan_waiter {
    cio__waiter base; /* Linked on senders or receivers. */
    cio_runtime *rt;  /* The waiter's runtime, for the post. */
    void *item;       /* Send: the source; recv: the destination. */
    int result;       /* 0 or CIO_EPIPE, written by the completer. */
    int state;        /* CHAN_*, under the lock. */
    int delivered;    /* Set on the waiter's own thread only. */
} chan_waiter;

struct cio_chan {
    unsigned flags;
    int closed;
    size_t capacity;
    size_t item_size;
    size_t head; /* Index of the oldest item. */
    size_t len;  /* Items in the ring. */
    unsigned char *ring;
    cio_waitq senders;
    cio_waitq receivers;
    pthread_mutex_t lock; /* SHARED only. */
};

static int
chan_shared(const cio_chan *ch)
{
    return (ch->flags & CIO_CHAN_SHARED) != 0;
}

static void
chan_lock(cio_chan *ch)
{
    if (chan_shared(ch))
        pthread_mutex_lock(&ch->lock);
}

static void
chan_unlock(cio_chan *ch)
{
    if (chan_shared(ch))
        pthread_mutex_unlock(&ch->lock);
}

/* Runs on the waiter's runtime thread: the node is still on its stack. */
static void
chan_deliver(void *arg)
{
    chan_waiter *w = arg;

    w->delivered = 1;
    cio__task_wake(w->base.task);
}

/*
 * Complete @w with @result and wake it. Called under the lock, after @w
 * was unlinked and its item copied.
 */
static void
chan_complete(cio_chan *ch, chan_waiter *w, int result)
{
    w->result = result;
    if (chan_shared(ch) && cio_runtime_current() != w->rt) {
        w->state = CHAN_POSTED;
        if (cio_runtime_post(w->rt, chan_deliver, w) != 0) {
            /*
             * The runtime refused the post (no memory, or shutting
             * down). The task stays parked until it is cancelled; it
             * then finds DONE under the lock and returns the result.
             */
            w->state = CHAN_DONE;
        }
        /* Past a successful post the node may be gone: hands off. */
        return;
    }
    w->state = CHAN_DONE;
    w->delivered = 1;
    cio__task_wake(w->base.task);
}

static chan_waiter *
chan_pop(cio_waitq *q)
{
    /* base is the first member, so the node is the waiter. */
    return (chan_waiter *)cio__waitq_pop(q);
}

static void
ring_put(cio_chan *ch, const void *item)
{
    size_t tail = (ch->head + ch->len) % ch->capacity;

    memcpy(ch->ring + tail * ch->item_size, item, ch->item_size);
    ch->len++;
}

static void
ring_take(cio_chan *ch, void *item)
{
    memcpy(item, ch->ring + ch->head * ch->item_size, ch->item_size);
    ch->head = (ch->head + 1) % ch->capacity;
    ch->len--;
}

/* The non-parking send, under the lock. 0, CIO_EAGAIN or CIO_EPIPE. */
static int
chan_send_locked(cio_chan *ch, const void *item)
{
    chan_waiter *r;

    if (ch->closed)
        return CIO_EPIPE;
    /* A parked receiver means the ring is empty: hand over directly. */
    r = chan_pop(&ch->receivers);
    if (r != NULL) {
        memcpy(r->item, item, ch->item_size);
        chan_complete(ch, r, 0);
        return 0;
    }
    if (ch->len < ch->capacity) {
        ring_put(ch, item);
        return 0;
    }
    return CIO_EAGAIN;
}

/* The non-parking receive, under the lock. 0, CIO_EAGAIN or CIO_EPIPE. */
static int
chan_recv_locked(cio_chan *ch, void *item)
{
    chan_waiter *s;

    if (ch->len > 0) {
        ring_take(ch, item);
        /* A slot is free: the oldest parked sender's item fills it. */
        s = chan_pop(&ch->senders);
        if (s != NULL) {
            ring_put(ch, s->item);
            chan_complete(ch, s, 0);
        }
        return 0;
    }
    /* Only a channel of capacity 0 has senders parked on an empty ring. */
    s = chan_pop(&ch->senders);
    if (s != NULL) {
        memcpy(item, s->item, ch->item_size);
        chan_complete(ch, s, 0);
        return 0;
    }
    return ch->closed ? CIO_EPIPE : CIO_EAGAIN;
}

/*
 * Wait, after @w was queued on @q and the lock dropped, until @w is
 * completed or the task is cancelled first. See the post protocol above.
 */
static int
chan_wait(cio_chan *ch, cio_waitq *q, chan_waiter *w)
{
    int rc;
    int posted;

    for (;;) {
        rc = cio__task_park();
        if (w->delivered)
            break;
        if (rc < 0) {
            chan_lock(ch);
            if (w->state == CHAN_LINKED) {
                cio__waitq_remove(q, &w->base);
                chan_unlock(ch);
                return CIO_ECANCELED;
            }
            posted = w->state == CHAN_POSTED;
            chan_unlock(ch);
            /* The transfer happened; wait for the post that is coming. */
            while (posted && !w->delivered)
                cio__task_park_nocancel();
            break;
        }
    }
    /*
     * Taking the lock orders the completer's writes (result, and the
     * item copied into our buffer) before our reads, whatever the post
     * queue guarantees.
     */
    chan_lock(ch);
    rc = w->result;
    chan_unlock(ch);
    return rc;
}

static void
chan_waiter_init(chan_waiter *w, void *item)
{
    w->base.next = NULL;
    w->base.prev = NULL;
    w->base.task = cio_current();
    w->base.woken = 0;
    w->rt = cio_runtime_current();
    w->item = item;
    w->result = 0;
    w->state = CHAN_LINKED;
    w->delivered = 0;
}

int
cio_chan_new(cio_chan **out, size_t capacity, size_t item_size, unsigned flags)
{
    cio_chan *ch;

    if (out == NULL || item_size == 0 || (flags & ~CIO_CHAN_SHARED) != 0)
        return CIO_EINVAL;
    if (capacity > 0 && item_size > SIZE_MAX / capacity)
        return CIO_EINVAL;
    ch = calloc(1, sizeof *ch);
    if (ch == NULL)
        return CIO_ENOMEM;
    ch->flags = flags;
    ch->capacity = capacity;
    ch->item_size = item_size;
    /* Capacity 0 is a rendezvous channel: no ring, only hand-offs. */
    if (capacity > 0) {
        ch->ring = malloc(capacity * item_size);
        if (ch->ring == NULL) {
            free(ch);
            return CIO_ENOMEM;
        }
    }
    if (chan_shared(ch) && pthread_mutex_init(&ch->lock, NULL) != 0) {
        free(ch->ring);
        free(ch);
        return CIO_ENOMEM;
    }
    *out = ch;
    return 0;
}

int
cio_chan_send(cio_chan *ch, const void *item)
{
    chan_waiter w;
    int rc;

    if (cio_current() == NULL)
        return CIO_EPERM;
    chan_lock(ch);
    rc = chan_send_locked(ch, item);
    if (rc != CIO_EAGAIN) {
        chan_unlock(ch);
        return rc;
    }
    /* Receivers only read through item, never write. */
    chan_waiter_init(&w, (void *)(uintptr_t)item);
    cio__waitq_push(&ch->senders, &w.base);
    chan_unlock(ch);
    return chan_wait(ch, &ch->senders, &w);
}

int
cio_chan_recv(cio_chan *ch, void *item)
{
    chan_waiter w;
    int rc;

    if (cio_current() == NULL)
        return CIO_EPERM;
    chan_lock(ch);
    rc = chan_recv_locked(ch, item);
    if (rc != CIO_EAGAIN) {
        chan_unlock(ch);
        return rc;
    }
    chan_waiter_init(&w, item);
    cio__waitq_push(&ch->receivers, &w.base);
    chan_unlock(ch);
    return chan_wait(ch, &ch->receivers, &w);
}

int
cio_chan_try_send(cio_chan *ch, const void *item)
{
    int rc;

    chan_lock(ch);
    rc = chan_send_locked(ch, item);
    chan_unlock(ch);
    return rc;
}

int
cio_chan_try_recv(cio_chan *ch, void *item)
{
    int rc;

    chan_lock(ch);
    rc = chan_recv_locked(ch, item);
    chan_unlock(ch);
    return rc;
}

void
cio_chan_close(cio_chan *ch)
{
    chan_waiter *w;

    chan_lock(ch);
    if (!ch->closed) {
        ch->closed = 1;
        /* Parked receivers mean an empty ring: nothing left to drain. */
        while ((w = chan_pop(&ch->receivers)) != NULL)
            chan_complete(ch, w, CIO_EPIPE);
        /* Parked senders fail: their items never entered the ring. */
        while ((w = chan_pop(&ch->senders)) != NULL)
            chan_complete(ch, w, CIO_EPIPE);
    }
    chan_unlock(ch);
}

void
cio_chan_free(cio_chan *ch)
{
    if (ch == NULL)
        return;
    if (chan_shared(ch))
        pthread_mutex_destroy(&ch->lock);
    free(ch->ring);
    free(ch);
}
