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
    uint32_t flags; /* The final completion's CIO_CF_* flags. */
    uint8_t more;   /* A completion with CIO_CF_MORE came first. */
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
    size_t nready;
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

/** Append @t to the ready queue. */
static inline void
cio__ready_push(cio_runtime *rt, cio_task *t)
{
    t->next = NULL;
    if (rt->ready_tail != NULL)
        rt->ready_tail->next = t;
    else
        rt->ready_head = t;
    rt->ready_tail = t;
    rt->nready++;
}

#endif /* CIO_SCHED_H */
