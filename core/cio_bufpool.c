/* SPDX-License-Identifier: MIT */
/*
 * cio_bufpool.c - provided-buffer pools: count equal buffers in one
 * page-aligned mapping, which RECV with CIO_OPF_BUFFER_SELECT picks
 * from when data arrives.
 *
 * Native pool: the backend registered the buffers with the kernel (an
 * io_uring buffer ring) and picks them itself; release hands a buffer
 * back through bufpool_recycle. Userspace pool: a stack of free ids
 * that the driver's emulation (cio_emu.c) takes from; release pushes
 * the id back. A stack, so the most recently used buffer, still warm
 * in the cache, goes out first.
 *
 * Either way the driver records which buffers the caller holds (a
 * completion delivered them and no release has come back), so a
 * release of a buffer the caller does not hold is refused instead of
 * corrupting the ring or the stack. Everything runs on the driver's
 * thread: the emulation reads sockets on that thread, never on the
 * pool, so no lock is needed.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cio_driver_int.h"
#include "cio_sys.h"

/* Limits: a 16-bit buffer id, io_uring's largest ring, a sane total. */
#define CIO__POOL_MAX_COUNT 32768u
#define CIO__POOL_MAX_SIZE (1u << 30)
#define CIO__POOL_MAX_BYTES ((uint64_t)1 << 32)

static void
cio__bufpool_destroy(cio_bufpool *pool)
{
    cio_driver *drv = pool->drv;
    if (pool->handle != NULL)
        drv->ops->bufpool_destroy(drv->state, pool->handle);
    cio__sys_unmap(pool->base, pool->bytes);
    free(pool->held);
    free(pool->free);
    free(pool);
}

int
cio_bufpool_new(cio_driver *drv, cio_bufpool **out, uint32_t count,
                uint32_t size)
{
    cio_bufpool *pool;
    size_t page = cio__sys_page_size();
    uint64_t bytes = (uint64_t)count * size;
    void *base;

    if (out != NULL)
        *out = NULL;
    if (drv == NULL || out == NULL || count == 0 ||
        count > CIO__POOL_MAX_COUNT || size == 0 || size > CIO__POOL_MAX_SIZE ||
        bytes > CIO__POOL_MAX_BYTES)
        return CIO_EINVAL;
    pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return CIO_ENOMEM;
    pool->drv = drv;
    pool->count = count;
    pool->size = size;
    pool->bytes =
        (size_t)((bytes + (uint64_t)page - 1) & ~(uint64_t)(page - 1));
    base = cio__sys_map(pool->bytes);
    pool->held = calloc(count, 1);
    pool->free = malloc((size_t)count * sizeof(*pool->free));
    if (base == NULL || pool->held == NULL || pool->free == NULL) {
        cio__sys_unmap(base, pool->bytes);
        free(pool->held);
        free(pool->free);
        free(pool);
        return CIO_ENOMEM;
    }
    pool->base = base;

    /*
     * The backend takes the pool if it claims buffer selection; if the
     * kernel refuses (an old kernel, no memory), the pool stays in
     * userspace and RECV is emulated: slower, never different.
     */
    if ((drv->native_flags[CIO_OP_RECV] & CIO_OPF_BUFFER_SELECT) &&
        CIO__HAS_OP(drv->ops, bufpool_recycle) &&
        CIO__HAS_OP(drv->ops, bufpool_destroy)) {
        int r = drv->ops->bufpool_create(drv->state, pool, pool->base, count,
                                         size, &pool->handle);
        if (r < 0) {
            pool->handle = NULL;
            cio__log(CIO_LOG_WARN,
                     "%s: buffer pool (%u x %u bytes) kept in userspace: %s",
                     drv->host.module_name, count, size, cio_strerror(r));
        }
    }
    if (pool->handle == NULL) {
        /* Stack of free ids: buffer 0 on top. */
        for (uint32_t i = 0; i < count; i++)
            pool->free[i] = (uint16_t)(count - 1 - i);
        pool->nfree = count;
    }
    pool->next = drv->pools;
    drv->pools = pool;
    *out = pool;
    return 0;
}

int
cio_bufpool_free(cio_bufpool *pool)
{
    cio_bufpool **pp;
    if (pool == NULL)
        return 0;
    if (pool->users != 0)
        return CIO_EBUSY;
    for (pp = &pool->drv->pools; *pp != pool; pp = &(*pp)->next)
        ;
    *pp = pool->next;
    cio__bufpool_destroy(pool);
    return 0;
}

void
cio__bufpool_close_all(cio_driver *drv)
{
    while (drv->pools != NULL) {
        cio_bufpool *pool = drv->pools;
        drv->pools = pool->next;
        cio__bufpool_destroy(pool);
    }
}

void *
cio_bufpool_buf(const cio_bufpool *pool, unsigned bid)
{
    if (pool == NULL || bid >= pool->count)
        return NULL;
    return pool->base + (size_t)bid * pool->size;
}

int
cio_bufpool_release(cio_bufpool *pool, unsigned bid)
{
    cio_driver *drv;
    if (pool == NULL || bid >= pool->count || !pool->held[bid])
        return CIO_EINVAL;
    drv = pool->drv;
    pool->held[bid] = 0;
    pool->nheld--;
    if (pool->handle != NULL)
        drv->ops->bufpool_recycle(drv->state, pool->handle, (uint16_t)bid);
    else
        pool->free[pool->nfree++] = (uint16_t)bid;
    return 0;
}

uint32_t
cio_bufpool_size(const cio_bufpool *pool)
{
    return pool != NULL ? pool->size : 0;
}

uint32_t
cio_bufpool_count(const cio_bufpool *pool)
{
    return pool != NULL ? pool->count : 0;
}

uint32_t
cio_bufpool_available(const cio_bufpool *pool)
{
    return pool != NULL ? pool->count - pool->nheld : 0;
}

int
cio_bufpool_support(const cio_bufpool *pool)
{
    if (pool == NULL)
        return CIO_EINVAL;
    return pool->handle != NULL ? CIO_SUPPORT_NATIVE : CIO_SUPPORT_EMULATED;
}

/* ---- for the driver ---- */

int
cio__bufpool_take(cio_bufpool *pool)
{
    if (pool->nfree == 0)
        return -1;
    return pool->free[--pool->nfree];
}

void
cio__bufpool_untake(cio_bufpool *pool, int bid)
{
    pool->free[pool->nfree++] = (uint16_t)bid;
}

void
cio__bufpool_deliver(cio_bufpool *pool, unsigned bid)
{
    if (bid >= pool->count || pool->held[bid])
        return;
    pool->held[bid] = 1;
    pool->nheld++;
}

void *
cio__bufpool_handle(const cio_bufpool *pool)
{
    return pool != NULL ? pool->handle : NULL;
}
