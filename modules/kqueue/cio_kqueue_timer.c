/* SPDX-License-Identifier: MIT */
/*
 * cio_kqueue_timer.c - TIMEOUT ops of the kqueue module, each one an
 * EVFILT_TIMER knote with EV_ONESHOT. The knote's ident is a slot number
 * in this driver's slot table (timer idents are a namespace of their
 * own, apart from descriptors), never a pointer: an event that arrives
 * for a slot whose op was cancelled meanwhile is recognised and dropped.
 *
 * Units by name only. The unit flags differ per system in value and
 * even in kind (bits on FreeBSD and macOS, an enumeration on newer
 * NetBSD, absent on old systems), so the finest unit the header names is
 * used, and with none of them the kevent(2) default applies: "If fflags
 * is not set, the default is milliseconds." Durations are rounded up to
 * the unit, and a zero duration becomes one unit (NetBSD refuses a
 * zero timer), so a TIMEOUT never fires early. A timer longer than a day
 * is armed for a day and re-armed for the rest when it fires; the
 * deadline, not the knote, decides when the op completes.
 */
#include <string.h>

#include "cio_kqueue_int.h"

#if defined(NOTE_NSECONDS)
#define KQ_TIMER_FFLAGS NOTE_NSECONDS
#define KQ_TIMER_UNIT_NS 1u
#elif defined(NOTE_USECONDS)
#define KQ_TIMER_FFLAGS NOTE_USECONDS
#define KQ_TIMER_UNIT_NS 1000u
#else
#define KQ_TIMER_FFLAGS 0
#define KQ_TIMER_UNIT_NS 1000000u
#endif

/* The longest interval armed at once. */
#define KQ_TIMER_MAX_NS (86400ull * 1000000000u)

static void
kq_slot_free(kq_state *st, uint32_t s)
{
    kq_tslot *t = &st->slots[s];
    t->op = NULL;
    t->state = KQ_TS_FREE;
    t->in_kernel = 0;
    t->next_free = st->free_slot;
    st->free_slot = s;
}

static int
kq_slot_dirty(kq_state *st, uint32_t s)
{
    if (st->slots[s].dirty)
        return 0;
    if (st->ntdirty == st->tdirty_cap) {
        uint32_t cap = st->tdirty_cap ? st->tdirty_cap * 2 : 64;
        uint32_t *d = st->api->realloc(st->tdirty, cap * sizeof(*d));
        if (d == NULL)
            return CIO_ENOMEM;
        st->tdirty = d;
        st->tdirty_cap = cap;
    }
    st->tdirty[st->ntdirty++] = s;
    st->slots[s].dirty = 1;
    return 0;
}

/* A free slot, growing the table; UINT32_MAX when out of memory. */
static uint32_t
kq_slot_alloc(kq_state *st)
{
    uint32_t s;
    if (st->free_slot == UINT32_MAX) {
        uint32_t n = st->nslots ? st->nslots * 2 : 64;
        kq_tslot *t;
        if (n < st->nslots)
            return UINT32_MAX;
        t = st->api->realloc(st->slots, (size_t)n * sizeof(*t));
        if (t == NULL)
            return UINT32_MAX;
        memset(t + st->nslots, 0, (size_t)(n - st->nslots) * sizeof(*t));
        st->slots = t;
        /* Chain the new slots, lowest first. */
        for (uint32_t i = n; i-- > st->nslots;) {
            t[i].next_free = st->free_slot;
            st->free_slot = i;
        }
        st->nslots = n;
    }
    s = st->free_slot;
    st->free_slot = st->slots[s].next_free;
    return s;
}

int
kq__timer_add(kq_state *st, cio_op *op)
{
    kq_opriv *p = kq__priv(op);
    uint64_t now = st->api->now_ns();
    uint64_t ns = op->a.timeout.ns;
    uint32_t s = kq_slot_alloc(st);
    if (s == UINT32_MAX)
        return CIO_ENOMEM;
    if (kq_slot_dirty(st, s) < 0) {
        kq_slot_free(st, s);
        return CIO_ENOMEM;
    }
    p->deadline = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
    p->slot = s;
    p->where = KQ_AT_TIMER;
    st->slots[s].op = op;
    st->slots[s].state = KQ_TS_LIVE;
    st->slots[s].in_kernel = 0;
    st->ntimers++;
    return 0;
}

int
kq__timer_cancel(kq_state *st, cio_op *op)
{
    uint32_t s = kq__priv(op)->slot;
    kq_tslot *t;
    if (s >= st->nslots || st->slots[s].state != KQ_TS_LIVE ||
        st->slots[s].op != op)
        return CIO_ENOENT;
    t = &st->slots[s];
    st->ntimers--;
    if (t->in_kernel) {
        /* EV_DELETE at the next flush; the slot is reused after it. */
        t->op = NULL;
        t->state = KQ_TS_DYING;
        if (kq_slot_dirty(st, s) < 0) {
            /* No room to remember the delete: a stale fire is dropped. */
            kq_slot_free(st, s);
        }
    } else {
        kq_slot_free(st, s);
    }
    kq__priv(op)->where = KQ_AT_NONE;
    st->api->complete(st->host, op, CIO_ECANCELED, 0);
    return 0;
}

/* The timer's data for the time left until @deadline. */
static kq_data_t
kq_timer_units(uint64_t deadline, uint64_t now)
{
    uint64_t left = deadline > now ? deadline - now : 0;
    uint64_t units;
    if (left > KQ_TIMER_MAX_NS)
        left = KQ_TIMER_MAX_NS;
    units = (left + KQ_TIMER_UNIT_NS - 1) / KQ_TIMER_UNIT_NS;
    if (units == 0)
        units = 1;
    return (kq_data_t)units;
}

/*
 * Write the timer changes that fit in @out (@room entries): EV_ADD with
 * EV_ONESHOT for a live slot (re-adding restarts a timer: kevent(2) "If
 * an existing timer is re-added, the existing timer will be effectively
 * canceled ... and re-started"), EV_DELETE for a cancelled one.
 */
int
kq__timer_build(kq_state *st, struct kevent *out, int room)
{
    uint64_t now = 0;
    int n = 0;
    uint32_t i = 0;
    while (i < st->ntdirty && n < room) {
        uint32_t s = st->tdirty[i++];
        kq_tslot *t = &st->slots[s];
        t->dirty = 0;
        if (t->state == KQ_TS_LIVE) {
            if (now == 0)
                now = st->api->now_ns();
            kq__set(&out[n++], (uintptr_t)s, EVFILT_TIMER, EV_ADD | EV_ONESHOT,
                    KQ_TIMER_FFLAGS,
                    kq_timer_units(kq__priv(t->op)->deadline, now));
            t->in_kernel = 1;
        } else if (t->state == KQ_TS_DYING) {
            kq__set(&out[n++], (uintptr_t)s, EVFILT_TIMER, EV_DELETE, 0, 0);
            kq_slot_free(st, s);
        }
    }
    if (i > 0 && i < st->ntdirty)
        memmove(st->tdirty, st->tdirty + i,
                (st->ntdirty - i) * sizeof(*st->tdirty));
    st->ntdirty -= i;
    return n;
}

/* An EVFILT_TIMER knote fired: complete its op, or re-arm the rest. */
unsigned
kq__timer_event(kq_state *st, const struct kevent *ev)
{
    uintptr_t id = ev->ident;
    kq_tslot *t;
    cio_op *op;
    if (id >= st->nslots)
        return 0;
    t = &st->slots[id];
    /* EV_ONESHOT: "After the user retrieves the event ... it is deleted." */
    t->in_kernel = 0;
    if (t->state == KQ_TS_DYING) {
        kq_slot_free(st, (uint32_t)id);
        return 0;
    }
    if (t->state != KQ_TS_LIVE)
        return 0;
    op = t->op;
    if (st->api->now_ns() < kq__priv(op)->deadline) {
        kq_slot_dirty(st, (uint32_t)id);
        return 0;
    }
    kq_slot_free(st, (uint32_t)id);
    st->ntimers--;
    kq__priv(op)->where = KQ_AT_NONE;
    st->api->complete(st->host, op, CIO_ETIME, 0);
    return 1;
}

/* A fired timer event (not an EV_ERROR receipt for a timer change). */
static int
kq_is_timer_event(const struct kevent *ev)
{
    return ev->filter == EVFILT_TIMER && !(ev->flags & EV_ERROR);
}

/* Its op's deadline; 0 for a slot no longer live (dropped anyway). */
static uint64_t
kq_timer_key(const kq_state *st, const struct kevent *ev)
{
    uintptr_t id = ev->ident;

    if (id >= st->nslots || st->slots[id].state != KQ_TS_LIVE)
        return 0;
    return kq__priv(st->slots[id].op)->deadline;
}

/*
 * Several TIMEOUT knotes can fire in one kevent() call (a loaded machine
 * wakes late) and the kernel promises no order among them; ops complete
 * in deadline order, as on the other backends. So the timer events are
 * sorted among themselves, in the entries they occupy, before dispatch
 * (an insertion sort: a batch holds few of them).
 */
void
kq__timer_order(kq_state *st, struct kevent *ev, int n)
{
    for (int i = 1; i < n; i++) {
        struct kevent cur;
        uint64_t key;
        int hole = i;
        if (!kq_is_timer_event(&ev[i]))
            continue;
        cur = ev[i];
        key = kq_timer_key(st, &cur);
        for (int j = i - 1; j >= 0; j--) {
            if (!kq_is_timer_event(&ev[j]))
                continue;
            if (kq_timer_key(st, &ev[j]) <= key)
                break;
            ev[hole] = ev[j];
            hole = j;
        }
        ev[hole] = cur;
    }
}

/*
 * An EV_ERROR entry for a timer change. For a live slot the EV_ADD
 * failed (ENOMEM: "the maximum number of timers has been exceeded"):
 * the op completes with the error. For a freed slot it was our
 * EV_DELETE of a timer that had fired meanwhile (ENOENT): nothing to do.
 */
unsigned
kq__timer_error(kq_state *st, uintptr_t id, int err)
{
    kq_tslot *t;
    cio_op *op;
    if (id >= st->nslots)
        return 0;
    t = &st->slots[id];
    if (t->state != KQ_TS_LIVE || t->dirty)
        return 0;
    op = t->op;
    kq_slot_free(st, (uint32_t)id);
    st->ntimers--;
    kq__priv(op)->where = KQ_AT_NONE;
    st->api->complete(st->host, op, -err, 0);
    return 1;
}

/* New kqueue (fork) or a lost batch: add every live timer again. */
void
kq__timer_forget_kernel(kq_state *st)
{
    for (uint32_t s = 0; s < st->nslots; s++) {
        kq_tslot *t = &st->slots[s];
        t->in_kernel = 0;
        if (t->state == KQ_TS_LIVE)
            kq_slot_dirty(st, s);
        else if (t->state == KQ_TS_DYING && !t->dirty)
            kq_slot_free(st, s);
    }
}
