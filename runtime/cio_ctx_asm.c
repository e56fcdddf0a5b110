/* SPDX-License-Identifier: MIT */
/*
 * cio_ctx_asm.c - the C half of the assembly context switch: building
 * the first frame of a new context (see cio_ctx_<arch>.S for the
 * layout it must match).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "cio_ctx.h"
#include "compio/error.h"

void cio__ctx_trampoline(void);

int
cio__ctx_make(cio__ctx *c, void *lo, size_t size, cio__ctx_entry entry,
              void *arg)
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    uint64_t *f;

    if (size < 1024)
        return CIO_EINVAL;
#if defined(__x86_64__)
    {
        uint32_t mxcsr;
        uint16_t fpucw;

        /*
         * 80 bytes: the 64-byte switch frame, then 16 more so that the
         * trampoline starts with a 16-byte aligned stack (the ABI's rule
         * at a call) and a zero fake return address above it.
         */
        f = (uint64_t *)(top - 80);
        memset(f, 0, 80);
        /* A new task inherits the rounding and exception masks. */
        __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
        __asm__ volatile("fnstcw %0" : "=m"(fpucw));
        f[0] = (uint64_t)mxcsr | ((uint64_t)fpucw << 32);
        f[3] = (uint64_t)(uintptr_t)arg;   /* r13 */
        f[4] = (uint64_t)(uintptr_t)entry; /* r12 */
        f[7] = (uint64_t)(uintptr_t)cio__ctx_trampoline;
    }
#elif defined(__aarch64__)
    {
        uint64_t fpcr;

        f = (uint64_t *)(top - 176);
        memset(f, 0, 176);
        __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
        f[0] = (uint64_t)(uintptr_t)entry;                /* x19 */
        f[1] = (uint64_t)(uintptr_t)arg;                  /* x20 */
        f[11] = (uint64_t)(uintptr_t)cio__ctx_trampoline; /* x30 */
        f[20] = fpcr;
    }
#else
#error "no assembly context switch for this architecture"
#endif
    c->sp = f;
    return 0;
}

void
cio__ctx_destroy(cio__ctx *c)
{
    (void)c;
}

int
cio__ctx_thread_init(cio__ctx *c)
{
    c->sp = NULL;
    return 0;
}

void
cio__ctx_thread_fini(cio__ctx *c)
{
    (void)c;
}
