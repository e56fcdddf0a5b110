/* SPDX-License-Identifier: MIT */
/*
 * cio_ctx.h - the one tiny interface behind which task contexts are
 * switched: hand-written assembly on x86-64 and aarch64, Windows Fibers
 * on Windows, ucontext elsewhere. Nothing here knows about tasks,
 * sanitizers or the runtime (cio_fiber.h adds the annotations).
 */
#ifndef CIO_CTX_H
#define CIO_CTX_H

#include <stddef.h>

#if defined(_WIN32)
#define CIO__CTX_WIN32 1
#elif defined(CIO_CTX_UCONTEXT)
#define CIO__CTX_UCONTEXT 1
#include <ucontext.h>
#else
#define CIO__CTX_ASM 1
#endif

/** The first function a context runs; it must never return. */
typedef void (*cio__ctx_entry)(void *arg);

/** A saved execution context. */
typedef struct cio__ctx {
#if defined(CIO__CTX_WIN32)
    void *fiber;          /* The Windows fiber. */
    int converted;        /* Thread converted by us (undo at fini). */
    cio__ctx_entry entry; /* First function. */
    void *arg;            /* Its argument. */
    unsigned mxcsr;       /* SSE control and status, while switched out. */
    unsigned short fpcw;  /* x87 control word, while switched out. */
#elif defined(CIO__CTX_UCONTEXT)
    ucontext_t uc;
    cio__ctx_entry entry;
    void *arg;
#else
    void *sp; /* Stack pointer with the callee-saved frame on top. */
#endif
} cio__ctx;

/*
 * Windows fibers own their stacks, so the stack module only has to
 * provide room for the task record there.
 */
#if defined(CIO__CTX_WIN32)
#define CIO__CTX_OWNS_STACK 1
#else
#define CIO__CTX_OWNS_STACK 0
#endif

/**
 * Prepare @c so that the first switch to it runs @entry(@arg) on the
 * stack [@lo, @lo + @size). 0 or -errno.
 */
int cio__ctx_make(cio__ctx *c, void *lo, size_t size, cio__ctx_entry entry,
                  void *arg);

/** Release what cio__ctx_make took (a Windows fiber); else nothing. */
void cio__ctx_destroy(cio__ctx *c);

/**
 * Make the calling thread's own context usable as a switch source and
 * target (Windows: convert the thread to a fiber). 0 or -errno.
 */
int cio__ctx_thread_init(cio__ctx *c);

/** Undo cio__ctx_thread_init. */
void cio__ctx_thread_fini(cio__ctx *c);

#if defined(CIO__CTX_ASM)
/*
 * Push the callee-saved registers (and, on x86-64, the x87 control
 * word and MXCSR) on the current stack, store the stack pointer in
 * *@save, load @load and pop the frame found there.
 */
void cio__ctx_swap(void **save, void *load);

/** Save the running context into @from and resume @to. */
static inline void
cio__ctx_switch(cio__ctx *from, cio__ctx *to)
{
    cio__ctx_swap(&from->sp, to->sp);
}
#else
/** Save the running context into @from and resume @to. */
void cio__ctx_switch(cio__ctx *from, cio__ctx *to);
#endif

#endif /* CIO_CTX_H */
