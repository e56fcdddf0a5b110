/* SPDX-License-Identifier: MIT */
/*
 * cio_post.c - cio_runtime_post: run a function on a runtime's thread,
 * from any thread.
 *
 * The queue is a Treiber stack: posters push with a CAS, the runtime
 * takes the whole list with one exchange and reverses it, so posts from
 * one thread run in the order they were made. One malloc per post.
 *
 * Waking: the runtime sets `sleeping` before a blocking poll and then
 * looks at the queue; a poster pushes and then looks at `sleeping`
 * (every access seq_cst: a Dekker handshake). Either the runtime sees
 * the post and does not block, or the poster sees the sleep and calls
 * cio_driver_notify. The poster that wakes it also clears `sleeping`
 * (exchange), so a storm of posts costs one notify per sleep, not one
 * per post; later posters' entries are seen by the runtime's next look
 * at the queue, which follows its next store of sleeping = 1.
 *
 * Shutdown: `posters` counts posts in progress. cio_runtime_free sets
 * post_closed and then waits for posters to reach 0, so no post can
 * slip in after the final drain; later posts see post_closed and fail
 * with CIO_ESHUTDOWN.
 */
#include "config.h"

#include <stdlib.h>

#include "cio_sched.h"

#ifdef _WIN32
#include <windows.h>
#define cpu_relax() SwitchToThread()
#else
#include <sched.h>
#define cpu_relax() sched_yield()
#endif

int
cio_runtime_post(cio_runtime *rt, void (*fn)(void *arg), void *arg)
{
    cio__post *p;
    int r = 0;

    if (rt == NULL || fn == NULL)
        return CIO_EINVAL;
    atomic_fetch_add(&rt->posters, 1);
    if (atomic_load(&rt->post_closed)) {
        r = CIO_ESHUTDOWN;
        goto out;
    }
    p = malloc(sizeof *p);
    if (p == NULL) {
        r = CIO_ENOMEM;
        goto out;
    }
    p->fn = fn;
    p->arg = arg;
    p->next = atomic_load_explicit(&rt->posts, memory_order_relaxed);
    while (!atomic_compare_exchange_weak(&rt->posts, &p->next, p))
        ;
    if (atomic_load(&rt->sleeping) && atomic_exchange(&rt->sleeping, 0))
        cio_driver_notify(rt->drv);
out:
    atomic_fetch_sub(&rt->posters, 1);
    return r;
}

int
cio__post_pending(cio_runtime *rt)
{
    return atomic_load(&rt->posts) != NULL;
}

size_t
cio__post_drain(cio_runtime *rt)
{
    cio__post *list, *rev = NULL;
    size_t n = 0;

    if (atomic_load_explicit(&rt->posts, memory_order_relaxed) == NULL)
        return 0;
    list = atomic_exchange(&rt->posts, NULL);
    while (list != NULL) {
        cio__post *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    while (rev != NULL) {
        cio__post *next = rev->next;
        rev->fn(rev->arg);
        free(rev);
        rev = next;
        n++;
    }
    return n;
}

void
cio__post_close(cio_runtime *rt)
{
    atomic_store(&rt->post_closed, 1);
    while (atomic_load(&rt->posters) != 0)
        cpu_relax();
}
