/* SPDX-License-Identifier: MIT */
/*
 * cio_uring_bufring.c - provided-buffer rings (IORING_REGISTER_PBUF_RING,
 * Linux 5.19): the native form of a cio_bufpool.
 *
 * The core owns the buffers (one mapping, buffer i at base + i * size)
 * and hands them to us once; we describe each in a ring shared with the
 * kernel, registered under a buffer group id that RECV SQEs name
 * (IOSQE_BUFFER_SELECT + buf_group). The kernel takes a buffer from the
 * ring head when data arrives and reports its id in the CQE; the caller
 * gives it back through the core (cio_bufpool_release), and recycle()
 * appends it at the tail. When the ring is empty the kernel completes
 * RECV with -ENOBUFS, ending a multishot RECV.
 *
 * The ring holds a power-of-two number of entries, at least the pool's
 * count, so every buffer fits at once and the tail never laps the head.
 * Each ring is its own page-aligned mapping (the kernel requires page
 * alignment for the registration).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cio_uring_int.h"

/* The kernel's limit on ring entries. */
#define URING_BUFRING_MAX 32768u

/* The lowest buffer group id no ring of this driver uses. */
static int
uring_bufring_bgid(const uring_state *st)
{
    for (unsigned id = 0; id <= UINT16_MAX; id++) {
        const uring_bufring *it;
        for (it = st->rings; it != NULL; it = it->next)
            if (it->bgid == id)
                break;
        if (it == NULL)
            return (int)id;
    }
    return -1;
}

int
uring__bufring_create(void *state, const cio_bufpool *pool, void *base,
                      uint32_t count, uint32_t size, void **handle)
{
    uring_state *st = state;
    struct io_uring_buf_reg reg;
    uring_bufring *ring;
    unsigned entries = 1;
    long page = sysconf(_SC_PAGESIZE);
    int bgid, r;

    (void)pool;
    if (count == 0 || count > URING_BUFRING_MAX)
        return CIO_EINVAL;
    if (!st->enabled && (r = uring__enable(st)) < 0)
        return r;
    while (entries < count)
        entries <<= 1;
    bgid = uring_bufring_bgid(st);
    if (bgid < 0)
        return CIO_ENOSPC;
    ring = st->api->calloc(1, sizeof(*ring));
    if (ring == NULL)
        return CIO_ENOMEM;
    if (page <= 0)
        page = 4096;
    ring->ring_bytes =
        ((size_t)entries * sizeof(struct io_uring_buf) + (size_t)page - 1) &
        ~((size_t)page - 1);
    ring->br = mmap(NULL, ring->ring_bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ring->br == MAP_FAILED) {
        st->api->free(ring);
        return CIO_ENOMEM;
    }
    ring->mask = entries - 1;
    ring->bgid = (uint16_t)bgid;
    ring->base = base;
    ring->size = size;

    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (uint64_t)(uintptr_t)ring->br;
    reg.ring_entries = entries;
    reg.bgid = ring->bgid;
    r = io_uring_register_buf_ring(&st->ring, &reg, 0);
    if (r < 0) {
        munmap(ring->br, ring->ring_bytes);
        st->api->free(ring);
        return r;
    }
    io_uring_buf_ring_init(ring->br);
    for (uint32_t i = 0; i < count; i++)
        io_uring_buf_ring_add(ring->br, ring->base + (size_t)i * size, size,
                              (unsigned short)i, (int)ring->mask, (int)i);
    io_uring_buf_ring_advance(ring->br, (int)count);

    ring->next = st->rings;
    st->rings = ring;
    *handle = ring;
    st->api->log(st->host, CIO_LOG_DEBUG,
                 "buffer ring %u: %u x %u bytes (%u entries)",
                 (unsigned)ring->bgid, count, size, entries);
    return 0;
}

void
uring__bufring_recycle(void *state, void *handle, uint16_t bid)
{
    uring_bufring *ring = handle;
    (void)state;
    io_uring_buf_ring_add(ring->br, ring->base + (size_t)bid * ring->size,
                          ring->size, bid, (int)ring->mask, 0);
    io_uring_buf_ring_advance(ring->br, 1);
}

static void
uring_bufring_unmap(uring_state *st, uring_bufring *ring)
{
    munmap(ring->br, ring->ring_bytes);
    st->api->free(ring);
}

void
uring__bufring_destroy(void *state, void *handle)
{
    uring_state *st = state;
    uring_bufring *ring = handle, **pp;
    int r;

    for (pp = &st->rings; *pp != NULL && *pp != ring; pp = &(*pp)->next)
        ;
    if (*pp == NULL)
        return;
    *pp = ring->next;
    r = io_uring_unregister_buf_ring(&st->ring, ring->bgid);
    if (r < 0)
        st->api->log(st->host, CIO_LOG_WARN,
                     "IORING_UNREGISTER_PBUF_RING(%u): %s",
                     (unsigned)ring->bgid, strerror(-r));
    uring_bufring_unmap(st, ring);
}

void
uring__bufring_free_all(uring_state *st)
{
    while (st->rings != NULL) {
        uring_bufring *ring = st->rings;
        st->rings = ring->next;
        uring_bufring_unmap(st, ring);
    }
}
