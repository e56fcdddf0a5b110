/* SPDX-License-Identifier: MIT */
/*
 * cio_ctx_win32.c - task contexts as Windows Fibers. Each task gets a
 * fiber with its own stack (Windows adds the guard page); the thread
 * running the runtime is converted to a fiber while the runtime runs.
 * FIBER_FLAG_FLOAT_SWITCH asks Windows to keep the floating point state
 * per fiber, as the assembly switches do on other systems; wine 8 does
 * not (a rounding mode set in one fiber showed up in the next), so the
 * switch also saves and restores the SSE and x87 control words itself,
 * which the Windows x64 ABI counts as callee-saved anyway.
 */
#include "config.h"

#include <windows.h>

#include "cio_ctx.h"
#include "compio/error.h"

static void WINAPI
fiber_trampoline(LPVOID p)
{
    cio__ctx *c = p;

    c->entry(c->arg);
}

int
cio__ctx_make(cio__ctx *c, void *lo, size_t size, cio__ctx_entry entry,
              void *arg)
{
    (void)lo;
    c->entry = entry;
    c->arg = arg;
    c->converted = 0;
    c->fiber =
        CreateFiberEx(0, size, FIBER_FLAG_FLOAT_SWITCH, fiber_trampoline, c);
    return c->fiber != NULL ? 0 : CIO_ENOMEM;
}

void
cio__ctx_destroy(cio__ctx *c)
{
    if (c->fiber != NULL)
        DeleteFiber(c->fiber);
    c->fiber = NULL;
}

int
cio__ctx_thread_init(cio__ctx *c)
{
    c->converted = 0;
    if (IsThreadAFiber()) {
        c->fiber = GetCurrentFiber();
        return 0;
    }
    c->fiber = ConvertThreadToFiberEx(NULL, FIBER_FLAG_FLOAT_SWITCH);
    if (c->fiber == NULL)
        return CIO_ENOMEM;
    c->converted = 1;
    return 0;
}

void
cio__ctx_thread_fini(cio__ctx *c)
{
    if (c->converted)
        ConvertFiberToThread();
    c->converted = 0;
    c->fiber = NULL;
}

void
cio__ctx_switch(cio__ctx *from, cio__ctx *to)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1"
                     : "=m"(from->mxcsr), "=m"(from->fpcw));
    SwitchToFiber(to->fiber);
    /* Back on @from: its control words, whatever the others set. */
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1"
                     :
                     : "m"(from->mxcsr), "m"(from->fpcw));
#else
    (void)from;
    SwitchToFiber(to->fiber);
#endif
}
