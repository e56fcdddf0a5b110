/* SPDX-License-Identifier: MIT */
/*
 * cio_register.c - registered files and registered buffers.
 *
 * Native: the backend holds the table (io_uring_register_files/
 * _buffers) and ops name an index the kernel resolves. Emulated: the
 * driver keeps the table and its emulation (cio_emu.c) resolves the
 * index before the op reaches the backend.
 *
 * Emulated files are our own dups (F_DUPFD_CLOEXEC), which gives the
 * kernel's semantics: the table holds a reference to the file, so the
 * caller may close its descriptor, and a slot keeps meaning the same
 * file until it is updated. A dup replaced or unregistered while
 * emulated ops run on it is closed only when the last of them ends, as
 * the kernel keeps its file reference for requests in flight.
 *
 * Emulated buffers are a copy of the caller's iovec table, used to
 * check READ_FIXED/WRITE_FIXED (CIO_EFAULT, as the kernel answers),
 * which then run as READ_AT/WRITE_AT on the caller's memory.
 *
 * A backend that has the calls but cannot register right now for lack
 * of memory (RLIMIT_MEMLOCK for pinned buffers) or support makes the
 * driver emulate instead, with a warning: the application's calls
 * still work. Any other error (a bad descriptor, a bad buffer) is the
 * caller's and is returned.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cio_driver_int.h"
#include "cio_sys.h"

/* The kernel's limits: bytes per registered buffer, buffers per table. */
#define CIO__FIXED_BUF_MAX ((size_t)1 << 30)
#define CIO__FIXED_BUFS_MAX 16384u

/* Errors that make the driver emulate rather than fail. */
static int
cio__register_fallback(int r)
{
    return r == CIO_ENOMEM || r == CIO_ENOTSUP || r == CIO_ENOSYS;
}

/* ---- files ---- */

/* Does the backend take fixed files for any opcode? */
static int
cio__files_native_ok(const cio_driver *drv)
{
    if (!CIO__HAS_OP(drv->ops, files_register) ||
        !CIO__HAS_OP(drv->ops, files_update) ||
        !CIO__HAS_OP(drv->ops, files_unregister))
        return 0;
    for (unsigned i = 0; i < CIO_OP__COUNT; i++)
        if (drv->native_flags[i] & CIO_OPF_FIXED_FILE)
            return 1;
    return 0;
}

/* Close @fd now, or when no emulated op runs on a dup any more. */
static void
cio__files_retire(cio_driver *drv, cio_fd fd)
{
    cio__files *f = &drv->files;
    if (fd < 0)
        return;
    if (f->inflight != 0) {
        if (f->ngrave == f->capgrave) {
            unsigned cap = f->capgrave ? 2 * f->capgrave : 8;
            cio_fd *g = realloc(f->grave, cap * sizeof(*g));
            if (g != NULL) {
                f->grave = g;
                f->capgrave = cap;
            }
        }
        if (f->ngrave < f->capgrave) {
            f->grave[f->ngrave++] = fd;
            return;
        }
        /* No memory to wait: the op in flight may see EBADF. */
    }
    (void)cio__sys_close(fd);
}

void
cio__files_done(cio_driver *drv)
{
    cio__files *f = &drv->files;
    if (f->inflight != 0)
        return;
    while (f->ngrave != 0)
        (void)cio__sys_close(f->grave[--f->ngrave]);
}

/* Dup @n descriptors into @out (-1 stays -1). 0 or -errno, none left. */
static int
cio__files_dup(const cio_fd *fds, unsigned n, cio_fd *out)
{
    for (unsigned i = 0; i < n; i++) {
        int err;
        out[i] = CIO_INVALID_FD;
        if (fds[i] == CIO_INVALID_FD)
            continue;
        err = cio__sys_dup(fds[i], &out[i]);
        if (err < 0) {
            while (i-- > 0)
                if (out[i] != CIO_INVALID_FD)
                    (void)cio__sys_close(out[i]);
            return err;
        }
    }
    return 0;
}

int
cio_driver_register_files(cio_driver *drv, const cio_fd *fds, unsigned n)
{
    cio__files *f;
    cio_fd *table;
    int r;

    if (drv == NULL || fds == NULL || n == 0)
        return CIO_EINVAL;
    f = &drv->files;
    if (f->n != 0)
        return CIO_EBUSY;
    if (cio__files_native_ok(drv)) {
        r = drv->ops->files_register(drv->state, fds, n);
        if (r == 0) {
            f->n = n;
            f->native = 1;
            return 0;
        }
        if (!cio__register_fallback(r))
            return r;
        cio__log(CIO_LOG_WARN, "%s: registered files emulated: %s",
                 drv->host.module_name, cio_strerror(r));
    }
    table = malloc((size_t)n * sizeof(*table));
    if (table == NULL)
        return CIO_ENOMEM;
    r = cio__files_dup(fds, n, table);
    if (r < 0) {
        free(table);
        return r;
    }
    f->fds = table;
    f->n = n;
    f->native = 0;
    return 0;
}

int
cio_driver_update_files(cio_driver *drv, unsigned off, const cio_fd *fds,
                        unsigned n)
{
    cio__files *f;
    cio_fd *fresh;
    int r;

    if (drv == NULL || fds == NULL || n == 0)
        return CIO_EINVAL;
    f = &drv->files;
    if (f->n == 0)
        return CIO_ENXIO;
    if (off > f->n || n > f->n - off)
        return CIO_EINVAL;
    if (f->native)
        return drv->ops->files_update(drv->state, off, fds, n);
    /* All or nothing: dup the new ones before letting go of the old. */
    fresh = malloc((size_t)n * sizeof(*fresh));
    if (fresh == NULL)
        return CIO_ENOMEM;
    r = cio__files_dup(fds, n, fresh);
    if (r < 0) {
        free(fresh);
        return r;
    }
    for (unsigned i = 0; i < n; i++) {
        cio__files_retire(drv, f->fds[off + i]);
        f->fds[off + i] = fresh[i];
    }
    free(fresh);
    return (int)n;
}

/* Drop the emulated table, retiring every dup. */
static void
cio__files_drop(cio_driver *drv)
{
    cio__files *f = &drv->files;
    for (unsigned i = 0; i < f->n; i++)
        cio__files_retire(drv, f->fds[i]);
    free(f->fds);
    f->fds = NULL;
}

int
cio_driver_unregister_files(cio_driver *drv)
{
    cio__files *f;
    int r;

    if (drv == NULL)
        return CIO_EINVAL;
    f = &drv->files;
    if (f->n == 0)
        return CIO_ENXIO;
    if (f->native) {
        r = drv->ops->files_unregister(drv->state);
        if (r < 0)
            return r;
    } else {
        cio__files_drop(drv);
    }
    f->n = 0;
    f->native = 0;
    return 0;
}

int
cio__files_lookup(cio_driver *drv, cio_fd idx, cio_fd *out)
{
    cio__files *f = &drv->files;
    if (f->n == 0 || f->native || idx < 0 || (unsigned)idx >= f->n ||
        f->fds[idx] < 0)
        return CIO_EBADF;
    *out = f->fds[idx];
    return 0;
}

/* ---- buffers ---- */

/* The kernel's checks of one buffer to register (io_uring's rules). */
static int
cio__buf_valid(const cio_iovec *v)
{
    if (v->base == NULL)
        return v->len != 0 ? CIO_EFAULT : 0;
    if (v->len == 0 || v->len > CIO__FIXED_BUF_MAX)
        return CIO_EFAULT;
    return 0;
}

/*
 * Send READ_FIXED/WRITE_FIXED to the backend, or emulate them (after a
 * fallback at registration the backend's opcode would find no table).
 */
static void
cio__bufs_route(cio_driver *drv, int native)
{
    uint8_t route = native ? CIO__ROUTE_MODULE : CIO__ROUTE_EMU;
    cio__route_set(drv, CIO_OP_READ_FIXED, route);
    cio__route_set(drv, CIO_OP_WRITE_FIXED, route);
}

int
cio_driver_register_buffers(cio_driver *drv, const cio_iovec *iov, unsigned n)
{
    cio__bufs *b;
    cio_iovec *copy;
    int r;

    if (drv == NULL || iov == NULL || n == 0 || n > CIO__FIXED_BUFS_MAX)
        return CIO_EINVAL;
    b = &drv->bufs;
    if (b->n != 0)
        return CIO_EBUSY;
    for (unsigned i = 0; i < n; i++)
        if ((r = cio__buf_valid(&iov[i])) < 0)
            return r;
    if (drv->route[CIO_OP_READ_FIXED] == CIO__ROUTE_MODULE) {
        r = drv->ops->buffers_register(drv->state, iov, n);
        if (r == 0) {
            b->n = n;
            b->native = 1;
            return 0;
        }
        if (!cio__register_fallback(r))
            return r;
        cio__log(CIO_LOG_WARN,
                 "%s: registered buffers emulated: %s (locked-memory limit? "
                 "see ulimit -l)",
                 drv->host.module_name, cio_strerror(r));
        cio__bufs_route(drv, 0);
    }
    copy = malloc((size_t)n * sizeof(*copy));
    if (copy == NULL) {
        if (CIO__HAS_OP(drv->ops, buffers_register) &&
            drv->ops->supports(drv->state, CIO_OP_READ_FIXED))
            cio__bufs_route(drv, 1);
        return CIO_ENOMEM;
    }
    memcpy(copy, iov, (size_t)n * sizeof(*copy));
    b->iov = copy;
    b->n = n;
    b->native = 0;
    return 0;
}

int
cio_driver_unregister_buffers(cio_driver *drv)
{
    cio__bufs *b;
    int r;

    if (drv == NULL)
        return CIO_EINVAL;
    b = &drv->bufs;
    if (b->n == 0)
        return CIO_ENXIO;
    if (b->native) {
        r = drv->ops->buffers_unregister(drv->state);
        if (r < 0)
            return r;
    } else {
        free(b->iov);
        b->iov = NULL;
        /* After a fallback, the next registration tries the kernel again. */
        if (CIO__HAS_OP(drv->ops, buffers_register) &&
            drv->ops->supports(drv->state, CIO_OP_READ_FIXED) &&
            drv->ops->supports(drv->state, CIO_OP_WRITE_FIXED))
            cio__bufs_route(drv, 1);
    }
    b->n = 0;
    b->native = 0;
    return 0;
}

int
cio__bufs_check(cio_driver *drv, const cio_op *op)
{
    const cio__bufs *b = &drv->bufs;
    const cio_iovec *v;
    uintptr_t lo, hi, p = (uintptr_t)op->a.fixed.buf;

    if (op->a.fixed.index >= b->n)
        return CIO_EFAULT;
    v = &b->iov[op->a.fixed.index];
    lo = (uintptr_t)v->base;
    hi = lo + v->len;
    if (v->base == NULL || p < lo || p > hi || op->a.fixed.len > hi - p)
        return CIO_EFAULT;
    return 0;
}

/* ---- driver close ---- */

void
cio__register_close(cio_driver *drv)
{
    if (drv->files.n != 0) {
        if (drv->files.native)
            drv->ops->files_unregister(drv->state);
        else
            cio__files_drop(drv);
        drv->files.n = 0;
    }
    /* Nothing is in flight now: whatever waited for that goes. */
    drv->files.inflight = 0;
    cio__files_done(drv);
    free(drv->files.grave);
    drv->files.grave = NULL;
    if (drv->bufs.n != 0) {
        if (drv->bufs.native)
            drv->ops->buffers_unregister(drv->state);
        else
            free(drv->bufs.iov);
        drv->bufs.iov = NULL;
        drv->bufs.n = 0;
    }
}
