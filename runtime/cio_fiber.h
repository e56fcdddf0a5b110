/* SPDX-License-Identifier: MIT */
/*
 * cio_fiber.h - a context plus what the sanitizers must be told about
 * it. ASan keeps one shadow stack per thread and TSan one happens-before
 * clock per thread: a stack switch they are not told about makes their
 * reports lie, so every switch goes through cio__fiber_switch.
 */
#ifndef CIO_FIBER_H
#define CIO_FIBER_H

#include <stddef.h>

#include "cio_ctx.h"

#if defined(__SANITIZE_ADDRESS__)
#define CIO__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CIO__ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define CIO__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CIO__TSAN 1
#endif
#endif

#ifdef CIO__ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom,
                                    size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save,
                                     const void **bottom_old, size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif
#ifdef CIO__TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

/** A switchable context and its sanitizer bookkeeping. */
typedef struct cio__fiber {
    cio__ctx ctx;
#ifdef CIO__ASAN
    const void *stack_lo; /* Stack bounds ASan switches to. */
    size_t stack_size;
    void *fake; /* ASan's fake stack while switched away. */
#endif
#ifdef CIO__TSAN
    void *tsan; /* TSan's fiber. */
    int tsan_own;
#endif
} cio__fiber;

#ifdef CIO__ASAN
/* The fiber that made the last switch on this thread (cio_fiber.c). */
extern _Thread_local cio__fiber *cio__fiber_from;
#endif

/**
 * Make @f a fiber that runs @entry(@arg) on [@lo, @lo + @size). 0 or
 * -errno.
 */
static inline int
cio__fiber_make(cio__fiber *f, void *lo, size_t size, cio__ctx_entry entry,
                void *arg)
{
#ifdef CIO__ASAN
    f->stack_lo = lo;
    f->stack_size = size;
    f->fake = NULL;
#endif
#ifdef CIO__TSAN
    f->tsan = __tsan_create_fiber(0);
    f->tsan_own = 1;
#endif
    return cio__ctx_make(&f->ctx, lo, size, entry, arg);
}

/** Make @f stand for the running thread's own stack. 0 or -errno. */
static inline int
cio__fiber_thread(cio__fiber *f)
{
#ifdef CIO__ASAN
    /* Learned at the first switch into a task (cio__fiber_entered). */
    f->stack_lo = NULL;
    f->stack_size = 0;
    f->fake = NULL;
#endif
#ifdef CIO__TSAN
    f->tsan = __tsan_get_current_fiber();
    f->tsan_own = 0;
#endif
    return cio__ctx_thread_init(&f->ctx);
}

/** Undo cio__fiber_thread. */
static inline void
cio__fiber_thread_fini(cio__fiber *f)
{
    cio__ctx_thread_fini(&f->ctx);
}

/** Release a fiber made by cio__fiber_make that will not run again. */
static inline void
cio__fiber_destroy(cio__fiber *f)
{
#ifdef CIO__TSAN
    if (f->tsan_own)
        __tsan_destroy_fiber(f->tsan);
    f->tsan = NULL;
#endif
    cio__ctx_destroy(&f->ctx);
}

/**
 * Leave @from for @to. @exiting says @from will never be resumed, so
 * ASan may drop its fake stack.
 */
static inline void
cio__fiber_switch(cio__fiber *from, cio__fiber *to, int exiting)
{
#ifdef CIO__ASAN
    cio__fiber_from = from;
    __sanitizer_start_switch_fiber(exiting ? NULL : &from->fake, to->stack_lo,
                                   to->stack_size);
#else
    (void)exiting;
#endif
#ifdef CIO__TSAN
    __tsan_switch_to_fiber(to->tsan, 0);
#endif
    cio__ctx_switch(&from->ctx, &to->ctx);
#ifdef CIO__ASAN
    /*
     * Back in @from: tell ASan, and learn the bounds of the stack we
     * came from (how the thread's own stack becomes known).
     */
    {
        cio__fiber *prev = cio__fiber_from;
        __sanitizer_finish_switch_fiber(from->fake, &prev->stack_lo,
                                        &prev->stack_size);
    }
#endif
}

/** First thing a new fiber does, before any other code runs on it. */
static inline void
cio__fiber_entered(void)
{
#ifdef CIO__ASAN
    cio__fiber *prev = cio__fiber_from;
    __sanitizer_finish_switch_fiber(NULL, &prev->stack_lo, &prev->stack_size);
#endif
}

#endif /* CIO_FIBER_H */
