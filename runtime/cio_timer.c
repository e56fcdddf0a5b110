/* SPDX-License-Identifier: MIT */
/*
 * cio_timer.c - the monotonic clock, the timer heap, sleeps and
 * intervals.
 *
 * Timers are nodes owned by their waiter (on a task's stack), kept in a
 * binary min-heap of pointers ordered by (deadline, insertion order);
 * each node stores its heap slot, so cancelling is O(log n). The loop's
 * poll timeout is the nearest deadline, and a timer fires only once
 * cio_now() has reached its deadline: a poll that returns a little
 * early just leads to one more short poll, never to an early wake.
 */
#include "config.h"

#include <stdlib.h>
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

static int
before(const cio__timer *a, const cio__timer *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->seq < b->seq);
}

static void
heap_set(cio_runtime *rt, size_t i, cio__timer *tm)
{
    rt->heap[i] = tm;
    tm->idx = i;
}

static void
sift_up(cio_runtime *rt, size_t i)
{
    cio__timer *tm = rt->heap[i];

    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(tm, rt->heap[p]))
            break;
        heap_set(rt, i, rt->heap[p]);
        i = p;
    }
    heap_set(rt, i, tm);
}

static void
sift_down(cio_runtime *rt, size_t i)
{
    cio__timer *tm = rt->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= rt->nheap)
            break;
        if (c + 1 < rt->nheap && before(rt->heap[c + 1], rt->heap[c]))
            c++;
        if (!before(rt->heap[c], tm))
            break;
        heap_set(rt, i, rt->heap[c]);
        i = c;
    }
    heap_set(rt, i, tm);
}

int
cio__timer_add(cio_runtime *rt, cio__timer *tm)
{
    if (rt->nheap == rt->capheap) {
        size_t cap = rt->capheap != 0 ? rt->capheap * 2 : 64;
        cio__timer **h = realloc(rt->heap, cap * sizeof *h);
        if (h == NULL)
            return CIO_ENOMEM;
        rt->heap = h;
        rt->capheap = cap;
    }
    tm->seq = rt->timer_seq++;
    heap_set(rt, rt->nheap++, tm);
    sift_up(rt, tm->idx);
    return 0;
}

void
cio__timer_remove(cio_runtime *rt, cio__timer *tm)
{
    size_t i = tm->idx;
    cio__timer *last;

    if (i == SIZE_MAX)
        return;
    tm->idx = SIZE_MAX;
    last = rt->heap[--rt->nheap];
    if (i == rt->nheap)
        return;
    heap_set(rt, i, last);
    if (i > 0 && before(last, rt->heap[(i - 1) / 2]))
        sift_up(rt, i);
    else
        sift_down(rt, i);
}

int64_t
cio__timer_timeout(cio_runtime *rt)
{
    uint64_t now, d;

    if (rt->nheap == 0)
        return -1;
    d = rt->heap[0]->deadline;
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
    while (rt->nheap > 0 && rt->heap[0]->deadline <= now) {
        cio__timer *tm = rt->heap[0];
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
    if (cio_now() >= deadline)
        return timed_out;
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
