/* SPDX-License-Identifier: MIT */
/*
 * cio_ctx_win32.c - task contexts as Windows Fibers. Each task gets a
 * fiber with its own stack (Windows adds the guard page); the thread
 * running the runtime is converted to a fiber while the runtime runs.
 * FIBER_FLAG_FLOAT_SWITCH keeps the floating point state per fiber, as
 * the assembly switches do on other systems.
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
    (void)from;
    SwitchToFiber(to->fiber);
}
