/* SPDX-License-Identifier: MIT */
/*
 * cio_stack.c - task stacks with a guard page, and their cache.
 *
 * Each stack is one anonymous MAP_NORESERVE mapping, so an idle task
 * costs the pages it touched (usually one or two), not its size, and
 * 100,000 of them need no swap reservation. The lowest page is a guard:
 * running off the stack faults (SIGSEGV) instead of corrupting memory.
 *
 * The guard is put in with madvise(MADV_GUARD_INSTALL) where the kernel
 * has it (Linux 6.13): it lives in the page tables, so the mapping stays
 * one VMA that can even merge with its neighbours. mprotect(PROT_NONE)
 * instead splits every stack into two VMAs, and vm.max_map_count (65530
 * by default) then caps a process at about 32,000 tasks; spawn reports
 * CIO_ENOMEM beyond that rather than dropping the guard.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "cio_fiber.h"
#include "cio_stack.h"
#include "compio/error.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#define CIO__VG_REGISTER(lo, hi) VALGRIND_STACK_REGISTER(lo, hi)
#define CIO__VG_DEREGISTER(id) VALGRIND_STACK_DEREGISTER(id)
#else
#define CIO__VG_REGISTER(lo, hi) 0u
#define CIO__VG_DEREGISTER(id) ((void)(id))
#endif

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif
#ifndef MAP_STACK
#define MAP_STACK 0
#endif
#if defined(__linux__) && !defined(MADV_GUARD_INSTALL)
#define MADV_GUARD_INSTALL 102
#endif

enum { GUARD_UNKNOWN = 0, GUARD_MADVISE = 1, GUARD_MPROTECT = 2 };

static size_t
page_size(void)
{
#ifdef _WIN32
    return 4096;
#else
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
#endif
}

static size_t
top_bytes(const cio__stack_cache *c)
{
    return ((sizeof(cio__stack) + 63) & ~(size_t)63) +
           ((c->extra + 63) & ~(size_t)63);
}

void
cio__stack_cache_init(cio__stack_cache *c, size_t stack_size, size_t extra)
{
    size_t pg = page_size();
    size_t min = 4 * pg;

    c->head = NULL;
    c->count = 0;
    /*
     * A fresh stack costs ~15 us here (mmap, guard, first fault, munmap;
     * bench/RESULTS.md, spawn 1000 then join: 0.07 M/s with 64 cached,
     * ~7 M/s with 4096), a cached one about one resident page.
     */
    c->max = 1024;
    c->extra = extra;
    c->guard_mode = GUARD_UNKNOWN;
    if (stack_size < min)
        stack_size = min;
    c->maplen = (stack_size + pg - 1) & ~(pg - 1);
}

#ifdef _WIN32
/* Fibers bring their own stacks (cio_ctx_win32.c): only the record. */
static int
stack_map(cio__stack_cache *c, cio__stack **out)
{
    size_t top = top_bytes(c);
    char *p = malloc(top);
    cio__stack *s;

    if (p == NULL)
        return CIO_ENOMEM;
    s = (cio__stack *)p;
    s->map = p;
    s->maplen = top;
    s->lo = NULL;
    s->size = c->maplen;
    s->vg_id = 0;
    *out = s;
    return 0;
}

static void
stack_unmap(cio__stack *s)
{
    free(s->map);
}
#else
/* Put the guard page in at @p; 0 or -errno. */
static int
stack_guard(cio__stack_cache *c, void *p, size_t pg)
{
#ifdef MADV_GUARD_INSTALL
    if (c->guard_mode != GUARD_MPROTECT) {
        if (madvise(p, pg, MADV_GUARD_INSTALL) == 0) {
            c->guard_mode = GUARD_MADVISE;
            return 0;
        }
        /* EINVAL: an older kernel; fall back for good. */
        if (errno != EINVAL || c->guard_mode == GUARD_MADVISE)
            return -errno;
        c->guard_mode = GUARD_MPROTECT;
    }
#endif
    return mprotect(p, pg, PROT_NONE) == 0 ? 0 : -errno;
}

static int
stack_map(cio__stack_cache *c, cio__stack **out)
{
    size_t pg = page_size();
    char *p;
    cio__stack *s;

    p = mmap(NULL, c->maplen, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED)
        return CIO_ENOMEM;
    if (stack_guard(c, p, pg) < 0) {
        munmap(p, c->maplen);
        return CIO_ENOMEM;
    }
    s = (cio__stack *)(p + c->maplen - top_bytes(c));
    s->map = p;
    s->maplen = c->maplen;
    s->lo = p + pg;
    s->size = (size_t)((char *)s - (char *)s->lo);
    s->vg_id = CIO__VG_REGISTER(s->lo, (char *)s->lo + s->size);
    *out = s;
    return 0;
}

static void
stack_unmap(cio__stack *s)
{
    CIO__VG_DEREGISTER(s->vg_id);
    munmap(s->map, s->maplen);
}
#endif

int
cio__stack_get(cio__stack_cache *c, cio__stack **out)
{
    cio__stack *s = c->head;

    if (s == NULL)
        return stack_map(c, out);
    c->head = s->next;
    c->count--;
#ifdef CIO__ASAN
    /*
     * The last task may have left poisoned redzones of frames it never
     * returned from; a new task must start on clean shadow memory.
     */
    if (s->lo != NULL)
        __asan_unpoison_memory_region(s->lo, s->size);
#endif
    *out = s;
    return 0;
}

void
cio__stack_cache_limit(cio__stack_cache *c, unsigned max)
{
    c->max = max;
    while (c->count > c->max) {
        cio__stack *s = c->head;
        c->head = s->next;
        c->count--;
        stack_unmap(s);
    }
}

void
cio__stack_put(cio__stack_cache *c, cio__stack *s)
{
    if (c->count < c->max) {
        s->next = c->head;
        c->head = s;
        c->count++;
        return;
    }
    stack_unmap(s);
}

void
cio__stack_cache_fini(cio__stack_cache *c)
{
    while (c->head != NULL) {
        cio__stack *s = c->head;
        c->head = s->next;
        stack_unmap(s);
    }
    c->count = 0;
}
