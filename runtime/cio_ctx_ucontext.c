/* SPDX-License-Identifier: MIT */
/*
 * cio_ctx_ucontext.c - portable fallback context switch on ucontext.
 * Slower than the assembly (glibc's swapcontext saves the signal mask
 * with a system call on every switch), but correct on any POSIX system.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "cio_ctx.h"
#include "compio/error.h"

/*
 * makecontext passes int arguments only, so the context pointer travels
 * split in two halves.
 */
static void
uc_trampoline(unsigned hi, unsigned lo)
{
    uintptr_t p = ((uintptr_t)hi << 16 << 16) | (uintptr_t)lo;
    cio__ctx *c = (cio__ctx *)p;

    c->entry(c->arg);
}

int
cio__ctx_make(cio__ctx *c, void *lo, size_t size, cio__ctx_entry entry,
              void *arg)
{
    uintptr_t p = (uintptr_t)c;

    if (getcontext(&c->uc) < 0)
        return -errno;
    c->uc.uc_stack.ss_sp = lo;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = NULL;
    c->entry = entry;
    c->arg = arg;
    makecontext(&c->uc, (void (*)(void))uc_trampoline, 2,
                (unsigned)(p >> 16 >> 16), (unsigned)(p & 0xffffffffu));
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
    (void)c;
    return 0;
}

void
cio__ctx_thread_fini(cio__ctx *c)
{
    (void)c;
}

void
cio__ctx_switch(cio__ctx *from, cio__ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}
