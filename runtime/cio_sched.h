/* SPDX-License-Identifier: MIT */
/*
 * cio_sched.h - the scheduler's private types, shared by the runtime,
 * task, timer, await and post files (never by the primitives, which use
 * cio_rt_internal.h only).
 */
#ifndef CIO_SCHED_H
#define CIO_SCHED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cio_fiber.h"
#include "cio_rt_internal.h"
#include "cio_stack.h"

/* Where a task is. */
enum {
    CIO__T_READY = 0,     /* On the ready queue (or about to be). */
    CIO__T_RUNNING = 1,   /* Its fiber runs now. */
    CIO__T_PARKED = 2,    /* cio__task_park: wake or cancel resumes it. */
    CIO__T_PARKED_NC = 3, /* cio__task_park_nocancel: only a wake. */
    CIO__T_DONE = 4       /* Returned (or cancelled before it started). */
};

struct cio_task {
    cio__fiber fib;
    cio_runtime *rt;
    cio_task *next;     /* Ready queue. */
    cio_task *all_prev; /* All unfreed tasks of rt. */
    cio_task *all_next;
    cio_task_fn fn;
    void *arg;
    void *data;        /* cio_task_set_data. */
    uint64_t deadline; /* cio_deadline_set; 0 = none. */
    cio_task *joiner;  /* Task parked in cio_join on this one. */
    cio__stack *stack; /* The mapping this record lives in. */
    int result;
    uint8_t state;
    uint8_t started;     /* Its fiber has run. */
    uint8_t cancelled;   /* cio_cancel was called. */
    uint8_t cancel_wake; /* Made ready by cio_cancel, not a wake. */
    uint8_t detached;    /* Nobody will join: free when done. */
};

/** A timer in the runtime's heap; @fire runs on the runtime thread. */
typedef struct cio__timer {
    uint64_t deadline; /* cio_now() time. */
    uint64_t seq;      /* Insertion order, for ties. */
    size_t idx;        /* Heap slot, or SIZE_MAX. */
    void (*fire)(struct cio__timer *tm);
} cio__timer;

/* Kinds of runtime-pushed op, kept in the low bits of user_data. */
#define CIO__UD_TASK 1u /* A cio__await on a parked task's stack. */
#define CIO__UD_CB 2u   /* A cio__cbrec from the runtime's free list. */
#define CIO__UD_MASK 7u

/** A task waiting for one op (lives on the task's stack). */
typedef struct cio__await {
    cio_task *task;
    int32_t result;
    uint8_t more; /* A completion with CIO_CF_MORE came first. */
    uint8_t done;
} cio__await;

/** A cio_submit_cb registration. */
typedef struct cio__cbrec {
    struct cio__cbrec *next; /* Free list. */
    struct cio__cbrec *all;  /* Every record, freed with the runtime. */
    cio_op_cb cb;            /* One of cb and ecb is set. */
    cio_entry_cb ecb;
    void *arg;
    cio_op *op; /* In flight, or NULL on the free list. */
} cio__cbrec;

/** A cross-thread post (malloc'd by the poster, freed after running). */
typedef struct cio__post {
    struct cio__post *next;
    void (*fn)(void *arg);
    void *arg;
} cio__post;

#define CIO__ENTRIES 64

struct cio_runtime {
    cio_driver *drv;
    cio_task *cur;        /* Running task, NULL in the loop. */
    cio_task *ready_head; /* FIFO of ready tasks. */
    cio_task *ready_tail;
    size_t budget;    /* Task runs left in this turn. */
    cio_task *all;    /* Every unfreed task. */
    size_t nlive;     /* Tasks not yet done. */
    cio__fiber sched; /* The loop's own context. */
    cio__stack_cache stacks;
    /* Timer heap (cio_timer.c): @heap is the allocation, @theap the
     * cache-line-aligned array of entries inside it. */
    void *heap;
    struct cio__tentry *theap;
    size_t nheap;
    size_t capheap;
    uint64_t timer_seq;
    /* Callback ops. */
    cio__cbrec *cbfree;
    cio__cbrec *cball;
    size_t ncb;        /* cb ops in flight. */
    const void *owner; /* Identifies the owning thread. */
    int running;       /* Inside cio_block_on. */
    int closing;       /* cio_runtime_free has begun. */
    int cb_cancelled;  /* Free cancelled the cb ops in flight. */
    /* Cross-thread posts: a Treiber stack, reversed when drained. */
    _Atomic(cio__post *) posts;
    atomic_int sleeping;    /* In a blocking poll (see post). */
    atomic_int post_closed; /* Refuse new posts. */
    atomic_int posters;     /* Posts in progress. */
    cio_entry entries[CIO__ENTRIES];
    /*
     * entries[lazy_next, lazy_end): completions reaped but not yet
     * handed over, all of them the single completion of an op a task
     * awaits, and queued behind every ready task (see loop_poll).
     */
    unsigned lazy_next;
    unsigned lazy_end;
};

/*
 * Thread-local state is read on every park and switch. Initial-exec TLS
 * is a plain %fs-relative load instead of a __tls_get_addr call; the
 * few bytes fit the static TLS surplus even if libcompio is dlopen'd.
 */
#if defined(__GNUC__) && defined(__ELF__)
#define CIO__TLS _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define CIO__TLS _Thread_local
#endif

/* cio_runtime.c */
extern CIO__TLS cio_runtime *cio__rt_tls;
const void *cio__thread_tag(void);

/* cio_task.c */
void cio__task_run(cio_runtime *rt, cio_task *t);
void cio__task_free(cio_task *t);
int cio__task_spawn(cio_runtime *rt, cio_task **out, cio_task_fn fn, void *arg);

/* cio_timer.c */
int cio__timer_add(cio_runtime *rt, cio__timer *tm);
void cio__timer_remove(cio_runtime *rt, cio__timer *tm);
/** Nanoseconds until the nearest timer (0 if due), or -1 if none. */
int64_t cio__timer_timeout(cio_runtime *rt);
void cio__timer_fire_due(cio_runtime *rt);

/* cio_await.c */
void cio__await_dispatch(cio_runtime *rt, const cio_entry *e);
/** Hand the completions reaped but not yet handed over to their tasks. */
void cio__await_flush(cio_runtime *rt);
/** Cancel every cio_submit_cb op still in flight (runtime free). */
void cio__await_cancel_cbs(cio_runtime *rt);
void cio__await_fini(cio_runtime *rt);

/* cio_post.c */
/** Run what was posted; returns how many ran. */
size_t cio__post_drain(cio_runtime *rt);
/** Non-zero when posts are waiting. */
int cio__post_pending(cio_runtime *rt);
void cio__post_close(cio_runtime *rt);

/** The current task or NULL. */
static inline cio_task *
cio__cur(void)
{
    cio_runtime *rt = cio__rt_tls;
    return rt != NULL ? rt->cur : NULL;
}

/*
 * Completions the loop reaped are handed to their tasks only when the
 * task is about to run (cio__lazy_take): the reap does not queue each
 * task to pop it again a moment later. They count as queued behind
 * every ready task, so anything that looks at the queue or at a task's
 * state first hands them all over (cio__lazy_flush): a push, a wake, a
 * cancel, the end of a loop turn. The order tasks run in is the one an
 * eager hand-over gives.
 */
static inline void
cio__lazy_flush(cio_runtime *rt)
{
    if (rt->lazy_next != rt->lazy_end)
        cio__await_flush(rt);
}

/** Append @t to the ready queue. */
static inline void
cio__ready_push(cio_runtime *rt, cio_task *t)
{
    cio__lazy_flush(rt);
    t->next = NULL;
    if (rt->ready_tail != NULL)
        rt->ready_tail->next = t;
    else
        rt->ready_head = t;
    rt->ready_tail = t;
}

/*
 * The park/wake pair every awaited op goes through, inline so that the
 * await fast path (cio_submit_wait) and the loop's reap pay no call for
 * them; cio_task.c has the out-of-line entry points the primitives use.
 */

/** cio__task_wake: make a parked @t READY at the queue's tail. */
static inline void
cio__task_wake_inline(cio_task *t)
{
    cio__lazy_flush(t->rt);
    if (t->state != CIO__T_PARKED && t->state != CIO__T_PARKED_NC)
        return;
    t->state = CIO__T_READY;
    cio__ready_push(t->rt, t);
}

/*
 * Leave @t (already READY or PARKED) until it is run again. While the
 * turn's budget lasts, the next ready task is switched to directly, one
 * switch instead of two through the loop; the loop's own work (poll,
 * posts, timers) comes when the budget is spent or nothing is ready. A
 * task that only yields to itself keeps running without a switch.
 */
/*
 * The task of the next completion reaped but not handed over, now
 * handed its result; NULL when none is left. A task that is not parked
 * (cio_cancel made it ready already) is skipped, as a wake would.
 */
static inline cio_task *
cio__lazy_take(cio_runtime *rt)
{
    while (rt->lazy_next != rt->lazy_end) {
        const cio_entry *e = &rt->entries[rt->lazy_next++];
        cio__await *w =
            (cio__await *)((uintptr_t)e->user_data & ~(uintptr_t)CIO__UD_MASK);
        cio_task *t = w->task;

        w->result = e->result;
        w->done = 1;
        if (t->state == CIO__T_PARKED || t->state == CIO__T_PARKED_NC)
            return t;
    }
    return NULL;
}

static inline void
cio__task_suspend(cio_task *t)
{
    cio_runtime *rt = t->rt;
    cio_task *next = rt->ready_head;

    if (rt->budget > 0) {
        if (next != NULL) {
            /* A task cancelled before it started is the loop's to end. */
            if (!next->started && next->cancelled)
                goto loop;
            rt->ready_head = next->next;
            if (rt->ready_head == NULL)
                rt->ready_tail = NULL;
        } else if ((next = cio__lazy_take(rt)) == NULL) {
            goto loop;
        }
        rt->budget--;
        next->started = 1;
        next->state = CIO__T_RUNNING;
        rt->cur = next;
        if (next != t)
            cio__fiber_switch(&t->fib, &next->fib, 0);
        return;
    }
loop:
    cio__fiber_switch(&t->fib, &rt->sched, 0);
}

/* Is @e the one and only completion of an op a task awaits? */
static inline int
cio__await_simple(const cio_entry *e)
{
    return ((uintptr_t)e->user_data & CIO__UD_MASK) == CIO__UD_TASK &&
           !(e->flags & (CIO_CF_MORE | CIO_CF_NOTIF));
}

/*
 * Hand the completion @e to its waiter. The common case (simple, above)
 * is done here inline; the rest (CIO_CF_MORE and NOTIF pairs, callback
 * ops, foreign ops) goes to cio__await_dispatch.
 */
static inline void
cio__await_deliver(cio_runtime *rt, const cio_entry *e)
{
    uintptr_t ud = (uintptr_t)e->user_data;

    if (cio__await_simple(e)) {
        cio__await *w = (cio__await *)(ud & ~(uintptr_t)CIO__UD_MASK);

        w->result = e->result;
        w->done = 1;
        cio__task_wake_inline(w->task);
        return;
    }
    cio__await_dispatch(rt, e);
}

#endif /* CIO_SCHED_H */
