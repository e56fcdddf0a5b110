/* SPDX-License-Identifier: MIT */
/*
 * cio_waitq.c - the FIFO wait queue under every primitive: an intrusive
 * doubly-linked list of cio__waiter nodes that live on the parked tasks'
 * stacks, so waiting never allocates.
 */
#include "config.h"

#include <stddef.h>

#include "cio_rt_internal.h"

void
cio__waitq_push(cio_waitq *q, cio__waiter *w)
{
    cio__waiter *tail = q->tail;

    w->next = NULL;
    w->prev = tail;
    if (tail != NULL)
        tail->next = w;
    else
        q->head = w;
    q->tail = w;
}

void
cio__waitq_remove(cio_waitq *q, cio__waiter *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    /* Cleared so a stale node can never be mistaken for a linked one. */
    w->next = NULL;
    w->prev = NULL;
}

cio__waiter *
cio__waitq_pop(cio_waitq *q)
{
    cio__waiter *w = q->head;

    if (w != NULL)
        cio__waitq_remove(q, w);
    return w;
}
