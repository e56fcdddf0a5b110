/* SPDX-License-Identifier: MIT */
/*
 * cio_pool.h - the driver's side of the blocking thread pool: the sink
 * a driver embeds to receive finished ops. Internal, never installed.
 *
 * Ownership: from cio__pool_submit() until the driver takes the op out
 * of its sink, the pool owns op->link.next (queue and sink linkage) and
 * op->link.prev (the sink the op reports to). Everything else in the op
 * link stays the driver's.
 */
#ifndef CIO_POOL_H
#define CIO_POOL_H

#include <stdatomic.h>

#include "cio_internal.h"

struct cio__pool_sink {
    /** Finished ops, oldest first, through link.next. Pool lock. */
    cio_op *head;
    /** Last finished op. Pool lock. */
    cio_op *tail;
    /**
     * Non-zero while head is not NULL. Read without the lock as a cheap
     * "anything for me?" test on the driver's hot path; the lock taken
     * afterwards orders the list itself.
     */
    atomic_int ready;
    /**
     * Called when the sink goes from empty to non-empty, with the pool
     * lock held: the driver's backend notify. It must not call back
     * into the pool. Holding the lock is what lets a closing driver
     * know that no pool thread still uses the sink once it has drained
     * its last op.
     */
    void (*wake)(void *arg);
    /** Argument of wake. */
    void *wake_arg;
};

/** Prepare an empty @sink that calls @wake(@arg) on new completions. */
void cio__pool_sink_init(cio__pool_sink *sink, void (*wake)(void *), void *arg);

/**
 * Take every finished op of @sink, oldest first, as a list through
 * link.next ending in NULL; each op's result is set. NULL when empty.
 */
cio_op *cio__pool_sink_take(cio__pool_sink *sink);

/** Non-zero when @sink may hold finished ops (a relaxed, lock-free test). */
static inline int
cio__pool_sink_ready(cio__pool_sink *sink)
{
    return atomic_load_explicit(&sink->ready, memory_order_relaxed);
}

/**
 * Move every op of @sink still waiting in the queue (not yet started)
 * to the sink with result CIO_ECANCELED. Returns how many. For driver
 * teardown; ops already running finish normally.
 */
unsigned cio__pool_cancel_sink(cio__pool_sink *sink);

/** Threads currently in the pool, busy or idle (for tests and logs). */
unsigned cio__pool_threads(void);

#endif /* CIO_POOL_H */
