/* SPDX-License-Identifier: MIT */
/*
 * cio_stack.h - task stacks: one mapping each, a guard page at the low
 * end, and a small record at the high end (this header, then room for
 * the caller's task record), cached per runtime so spawn makes no
 * system call in the steady state.
 */
#ifndef CIO_STACK_H
#define CIO_STACK_H

#include <stddef.h>

/** One stack. Lives at the top of its own mapping. */
typedef struct cio__stack {
    struct cio__stack *next; /* Cache link. */
    void *map;               /* The whole mapping, guard included. */
    size_t maplen;
    void *lo;       /* Lowest usable byte (just above the guard). */
    size_t size;    /* Usable bytes, up to this record. */
    unsigned vg_id; /* Valgrind stack id. */
} cio__stack;

/** A bounded free list of equal stacks. */
typedef struct cio__stack_cache {
    cio__stack *head;
    unsigned count; /* Stacks on the list. */
    unsigned max;   /* Keep at most this many. */
    size_t maplen;  /* Mapping size, page multiple, guard included. */
    size_t extra;   /* Bytes after the record for the caller. */
    int guard_mode; /* 0 unknown, 1 madvise guard, 2 mprotect. */
} cio__stack_cache;

/**
 * Set up @c for stacks of @stack_size bytes (guard page included,
 * rounded up to pages) with @extra bytes of caller record each.
 */
void cio__stack_cache_init(cio__stack_cache *c, size_t stack_size,
                           size_t extra);

/** Keep at most @max finished stacks for reuse (default 1024). */
void cio__stack_cache_limit(cio__stack_cache *c, unsigned max);

/** Unmap every cached stack. */
void cio__stack_cache_fini(cio__stack_cache *c);

/** A stack from the cache or a new mapping. 0 or CIO_ENOMEM. */
int cio__stack_get(cio__stack_cache *c, cio__stack **out);

/** Give @s back: cached, or unmapped when the cache is full. */
void cio__stack_put(cio__stack_cache *c, cio__stack *s);

/** The caller's record area after the header (64-byte aligned). */
static inline void *
cio__stack_extra(cio__stack *s)
{
    return (char *)s + ((sizeof(cio__stack) + 63) & ~(size_t)63);
}

#endif /* CIO_STACK_H */
