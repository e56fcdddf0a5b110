/* SPDX-License-Identifier: MIT */
/*
 * cio_timer.c - the monotonic clock, the timer heap, sleeps and
 * intervals.
 *
 * Timers are nodes owned by their waiter (on a task's stack), kept in a
 * 4-ary min-heap of (deadline, pointer) entries ordered by (deadline,
 * insertion order); each node stores its heap slot, so cancelling is
 * O(log n). The loop's
 * poll timeout is the nearest deadline, and a timer fires only once
 * cio_now() has reached its deadline: a poll that returns a little
 * early just leads to one more short poll, never to an early wake.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cio_sched.h"

#ifdef _WIN32
#include <windows.h>
#endif

uint64_t
cio_now(void)
{
#ifdef _WIN32
    static LARGE_INTEGER freq;
    LARGE_INTEGER c;

    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    return (uint64_t)((double)c.QuadPart * 1e9 / (double)freq.QuadPart);
#else
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/*
 * A heap entry copies the timer's deadline next to its pointer, so
 * sifting compares keys in one contiguous array and touches a timer
 * (on some task's stack, a different page each) only to store its new
 * slot when it moves, or to read its seq when two deadlines tie.
 */
typedef struct cio__tentry {
    uint64_t deadline;
    cio__timer *tm;
} cio__tentry;

/*
 * The heap is 4-ary: half the depth of a binary heap, so half the slot
 * updates when the root is removed. Slot 0 sits 3 entries into a
 * 64-byte-aligned block, which puts the 4 children of slot i (4i+1 ..
 * 4i+4) at 64(i+1) bytes from the block: one cache line per level.
 */
#define ARITY 4
#define LINE 64
#define PAD 3

static int
before(const cio__tentry *a, const cio__tentry *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->tm->seq < b->tm->seq);
}

static void
heap_set(cio__tentry *h, size_t i, cio__tentry e)
{
    h[i] = e;
    e.tm->idx = i;
}

static void
sift_up(cio__tentry *h, size_t i, cio__tentry e)
{
    while (i > 0) {
        size_t p = (i - 1) / ARITY;
        if (!before(&e, &h[p]))
            break;
        heap_set(h, i, h[p]);
        i = p;
    }
    heap_set(h, i, e);
}

/*
 * Fill the hole at slot @i with @e. The hole first walks down to a
 * leaf, pulling up the least child at each level, and @e then sifts up
 * from there: @e is most often the last-armed, latest timer, so this
 * saves a comparison per level against a plain sift-down that would
 * carry it all the way. Ties among the children cannot be broken
 * wrongly: (deadline, seq) is a total order.
 */
static void
sift_down(cio__tentry *h, size_t n, size_t i, cio__tentry e)
{
    for (;;) {
        size_t c = ARITY * i + 1;
        size_t m, k;

        if (c + ARITY <= n) {
            size_t m2 = c + 2 + before(&h[c + 3], &h[c + 2]);
            m = c + before(&h[c + 1], &h[c]);
            if (before(&h[m2], &h[m]))
                m = m2;
        } else if (c < n) {
            m = c;
            for (k = c + 1; k < n; k++)
                if (before(&h[k], &h[m]))
                    m = k;
        } else {
            break;
        }
        heap_set(h, i, h[m]);
        i = m;
    }
    sift_up(h, i, e);
}

/* Grow to @cap entries; a new block, since realloc could change the
 * alignment offset under the entries. */
static int
heap_grow(cio_runtime *rt, size_t cap)
{
    void *raw;
    cio__tentry *h;

    if (cap > (SIZE_MAX - LINE) / sizeof *h - PAD)
        return CIO_ENOMEM;
    raw = malloc((cap + PAD) * sizeof *h + LINE);
    if (raw == NULL)
        return CIO_ENOMEM;
    h = (cio__tentry *)(((uintptr_t)raw + LINE - 1) & ~(uintptr_t)(LINE - 1));
    h += PAD;
    if (rt->nheap != 0)
        memcpy(h, rt->theap, rt->nheap * sizeof *h);
    free(rt->heap);
    rt->heap = raw;
    rt->theap = h;
    rt->capheap = cap;
    return 0;
}

int
cio__timer_add(cio_runtime *rt, cio__timer *tm)
{
    cio__tentry e;

    if (rt->nheap == rt->capheap) {
        int r = heap_grow(rt, rt->capheap != 0 ? rt->capheap * 2 : 64);
        if (r < 0)
            return r;
    }
    tm->seq = rt->timer_seq++;
    e.deadline = tm->deadline;
    e.tm = tm;
    sift_up(rt->theap, rt->nheap++, e);
    return 0;
}

void
cio__timer_remove(cio_runtime *rt, cio__timer *tm)
{
    cio__tentry *h = rt->theap;
    size_t i = tm->idx;
    cio__tentry last;

    if (i == SIZE_MAX)
        return;
    tm->idx = SIZE_MAX;
    last = h[--rt->nheap];
    if (i == rt->nheap)
        return;
    if (i > 0 && before(&last, &h[(i - 1) / ARITY]))
        sift_up(h, i, last);
    else
        sift_down(h, rt->nheap, i, last);
}

int64_t
cio__timer_timeout(cio_runtime *rt)
{
    uint64_t now, d;

    if (rt->nheap == 0)
        return -1;
    d = rt->theap[0].deadline;
    now = cio_now();
    if (d <= now)
        return 0;
    return d - now > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(d - now);
}

void
cio__timer_fire_due(cio_runtime *rt)
{
    uint64_t now;

    if (rt->nheap == 0)
        return;
    now = cio_now();
    while (rt->nheap > 0 && rt->theap[0].deadline <= now) {
        cio__timer *tm = rt->theap[0].tm;
        cio__timer_remove(rt, tm);
        tm->fire(tm);
    }
}

/* ---- sleeping ---- */

typedef struct sleeper {
    cio__timer tm; /* First: the timer pointer is the sleeper's. */
    cio_task *task;
} sleeper;

static void
sleeper_fire(cio__timer *tm)
{
    cio__task_wake(((sleeper *)tm)->task);
}

int
cio_sleep_until(uint64_t deadline)
{
    cio_task *t = cio__cur();
    sleeper s;
    int timed_out = 0;
    int r;

    if (t == NULL)
        return CIO_EPERM;
    if (t->cancelled)
        return CIO_ECANCELED;
    /* The task's deadline (cio_deadline_set) cuts the sleep short. */
    if (t->deadline != 0 && t->deadline < deadline) {
        deadline = t->deadline;
        timed_out = CIO_ETIMEDOUT;
    }
    if (cio_now() >= deadline) {
        /*
         * Already due (a zero sleep, or the thread was held up: under
         * valgrind or on a loaded machine even a 10 ms sleep can find
         * its deadline passed). Still give the other ready tasks their
         * turn, as a sleep that parked would: a caller that spawns a
         * task and then sleeps expects it to have run.
         */
        cio_yield();
        return t->cancelled ? CIO_ECANCELED : timed_out;
    }
    s.tm.deadline = deadline;
    s.tm.fire = sleeper_fire;
    s.task = t;
    r = cio__timer_add(t->rt, &s.tm);
    if (r < 0)
        return r;
    /* Woken by the timer (idx reset) or by cancel; ignore stray wakes. */
    do
        r = cio__task_park();
    while (r == 0 && s.tm.idx != SIZE_MAX);
    cio__timer_remove(t->rt, &s.tm);
    return r < 0 ? r : timed_out;
}

int
cio_sleep(uint64_t ns)
{
    uint64_t now = cio_now();
    uint64_t d = now + ns < now ? UINT64_MAX : now + ns;

    return cio_sleep_until(d);
}

void
cio_interval_init(cio_interval *iv, uint64_t period)
{
    iv->period = period != 0 ? period : 1;
    iv->next = cio_now() + iv->period;
}

int64_t
cio_interval_tick(cio_interval *iv)
{
    uint64_t now;
    int64_t n;
    int r = cio_sleep_until(iv->next);

    if (r < 0)
        return r;
    now = cio_now();
    /* Every tick at or before now has passed; the next is in the future. */
    n = (int64_t)((now - iv->next) / iv->period) + 1;
    iv->next += (uint64_t)n * iv->period;
    return n;
}
