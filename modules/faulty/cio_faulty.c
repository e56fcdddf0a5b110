/* SPDX-License-Identifier: MIT */
/*
 * cio_faulty.c - "faulty", a backend that wraps a real one and injects
 * faults, so that every layer above the module boundary (driver facade,
 * executor, fs/net API, applications) can be shown to keep its promises
 * when the backend misbehaves in the ways a backend is allowed to:
 *
 *     [runtime]
 *     backend = faulty
 *     [module.faulty]
 *     inner = uring        ; epoll, iocp, or /abs/path/cio_x.so (.dll)
 *     seed = 42            ; logged when not given
 *     short = 0.3          ; rate 0..1, #N (Nth op only), %N (every Nth)
 *     eintr = 0.05
 *     delay = 0.2
 *     late_notify = 0.5
 *     late_notify_us = 2000
 *     stats = /tmp/faulty.stats
 *     [module.uring]       ; the inner module's own settings, as usual
 *
 * Keys: inner (required), seed (default: from the clock, then logged as
 * a warning), stats (an absolute file name), late_notify_us (default
 * 2000), and one rule per kind of fault: enomem, eintr, eagain,
 * econnreset, ecanceled, short, delay, late_notify, each "0..1" (a
 * probability per eligible op), "#N" (the Nth eligible op only) or "%N"
 * (every Nth); unset means never. Which ops each kind is injected into,
 * and why only those, is described in cio_faulty_io.c. The counters of
 * every driver are logged (info) and appended to the "stats" file at
 * destroy, one line per driver, so that a test can prove they happened
 * and that the wrapper never saw a completion for an op it did not hold
 * ("violations") or kept one past destroy ("held_left").
 *
 * This is the module ABI 1.4 wrapping pattern (compio/module.h): the
 * inner module is loaded with host->module_open, with all of the
 * loader's checks and its own probe, and created with a host API table
 * of ours whose complete and pool_submit are intercepted and whose other
 * members forward to the real host; the inner module's cio_host pointer
 * is our state. The wrapper keeps its per-op state at the end of
 * op->priv and so declares op_priv_size = CIO_OP_PRIV_MAX.
 *
 * Towards the core it is a 1.2 module: the op-flag members (multishot,
 * buffer pools, registered files and buffers) forward to the inner
 * module when it has them, so native multishot runs under the delays;
 * the 1.3 batch members are left out, so the core uses submit/wait/
 * cancel one by one (and keeps its list of ops for close) and the inner
 * module is driven through its 1.0 calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cio_faulty_int.h"

/* An optional member of the inner vtable, if the inner module has it. */
#define INNER_HAS(f_, m_)                                                      \
    ((f_)->iops->size >=                                                       \
         offsetof(cio_backend_ops, m_) + sizeof((f_)->iops->m_) &&             \
     (f_)->iops->m_ != NULL)

/* Bytes of op->priv the inner module may use (the rest is ours). */
#define INNER_PRIV_MAX ((uint32_t)FAULTY_OPRIV_OFF)

/* ---- the host API the inner module gets ---- */

static faulty *
of(cio_host *h)
{
    return (faulty *)(void *)h;
}

static void
ilog(cio_host *h, int level, const char *fmt, ...)
{
    faulty *f = of(h);
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    f->api->log(f->host, level, "%s: %s", f->iname, buf);
}

static void
iset_reason(cio_host *h, const char *fmt, ...)
{
    faulty *f = of(h);
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    f->api->set_reason(f->host, "inner module %s: %s", f->iname, buf);
}

/* The inner module reads its own [module.<inner>] section. */
static const char *
iconfig_get(cio_host *h, const char *key)
{
    faulty *f = of(h);
    return f->api->config_get_module(f->host, f->iname, key);
}

static int
imodule_open(cio_host *h, const char *name, const cio_backend_module **mod,
             void **handle)
{
    faulty *f = of(h);
    return f->api->module_open(f->host, name, mod, handle);
}

static const char *
iconfig_get_module(cio_host *h, const char *module, const char *key)
{
    faulty *f = of(h);
    return f->api->config_get_module(f->host, module, key);
}

/*
 * A copy of the real table with our interceptions. The inner module is
 * told the smaller of the two sizes: it may not call what the real host
 * lacks, nor what we do not know how to forward.
 */
static void
make_inner_api(faulty *f)
{
    size_t size = f->api->size < sizeof(cio_host_api) ? f->api->size
                                                      : sizeof(cio_host_api);

    memset(&f->iapi, 0, sizeof(f->iapi));
    memcpy(&f->iapi, f->api, size);
    f->iapi.size = size;
    f->iapi.log = ilog;
    f->iapi.set_reason = iset_reason;
    f->iapi.config_get = iconfig_get;
    f->iapi.complete = faulty_icomplete;
    f->iapi.pool_submit = faulty_ipool_submit;
    f->iapi.module_open = imodule_open;
    f->iapi.config_get_module = iconfig_get_module;
}

/* ---- probe, create, destroy ---- */

/* The host must speak 1.4 for us to reach another module at all. */
static int
host_ok(const cio_host_api *api, cio_host *host)
{
    if (api->size < offsetof(cio_host_api, config_get_module) +
                        sizeof(api->config_get_module) ||
        api->module_open == NULL || api->config_get_module == NULL) {
        api->set_reason(host,
                        "this compio's host API is %u.%u; faulty "
                        "needs 1.4 (module_open) to load its inner "
                        "module",
                        (unsigned)api->abi_major, (unsigned)api->abi_minor);
        return CIO_ENOTSUP;
    }
    return 0;
}

/* Load the inner module named by "inner" and check it fits beside us. */
static int
open_inner(const cio_host_api *api, cio_host *host,
           const cio_backend_module **mod, void **handle)
{
    const char *inner = api->config_get(host, "inner");
    int r;

    if (inner == NULL || inner[0] == '\0') {
        api->set_reason(host, "[module.faulty] inner is not set; name the "
                              "backend to wrap: inner = uring, epoll or "
                              "/path/to/cio_<name>.so");
        return CIO_EINVAL;
    }
    r = api->module_open(host, inner, mod, handle);
    if (r < 0)
        return r; /* module_open set the reason. */
    if ((*mod)->op_priv_size > INNER_PRIV_MAX) {
        api->set_reason(host,
                        "inner module %s needs %u bytes of op->priv; "
                        "faulty leaves it %u",
                        (*mod)->name, (unsigned)(*mod)->op_priv_size,
                        (unsigned)INNER_PRIV_MAX);
        api->module_close(*handle);
        *handle = NULL;
        return CIO_E2BIG;
    }
    return 0;
}

static int
faulty_probe(const cio_host_api *api, cio_host *host)
{
    const cio_backend_module *mod;
    void *handle;
    int r = host_ok(api, host);

    if (r < 0)
        return r;
    r = open_inner(api, host, &mod, &handle);
    if (r < 0)
        return r;
    api->set_reason(host, "wrapping %s", mod->name);
    api->module_close(handle);
    return 0;
}

static int
faulty_create(const cio_host_api *api, cio_host *host, unsigned entries,
              void **state)
{
    faulty *f;
    int r = host_ok(api, host);

    if (r < 0)
        return r;
    f = api->calloc(1, sizeof(*f));
    if (f == NULL)
        return CIO_ENOMEM;
    f->api = api;
    f->host = host;
    r = open_inner(api, host, &f->imod, &f->ihandle);
    if (r < 0) {
        api->free(f);
        return r;
    }
    f->iops = f->imod->ops;
    snprintf(f->iname, sizeof(f->iname), "%s", f->imod->name);
    r = faulty_config(f);
    if (r == 0) {
        make_inner_api(f);
        r = f->iops->create(&f->iapi, (cio_host *)(void *)f, entries,
                            &f->istate);
    }
    if (r < 0) {
        api->module_close(f->ihandle);
        api->free(f);
        return r;
    }
    *state = f;
    return 0;
}

static void
faulty_destroy(void *state)
{
    faulty *f = state;

    /* The core drained every op: nothing may be held, but be sure. */
    if (f->nheld != 0)
        f->api->log(f->host, CIO_LOG_ERROR,
                    "%u completions still held at destroy", f->nheld);
    faulty_report(f);
    faulty_drop_held(f);
    f->iops->destroy(f->istate);
    f->api->module_close(f->ihandle);
    f->api->free(f);
}

/* ---- forwarded members ---- */

static int
faulty_supports(void *state, unsigned opcode)
{
    faulty *f = state;
    return f->iops->supports(f->istate, opcode);
}

static int
faulty_attach(void *state, cio_fd fd)
{
    faulty *f = state;
    return INNER_HAS(f, attach) ? f->iops->attach(f->istate, fd) : 0;
}

static int
faulty_flush(void *state)
{
    faulty *f = state;
    return INNER_HAS(f, flush) ? f->iops->flush(f->istate) : 0;
}

static int
faulty_fork_child(void *state)
{
    faulty *f = state;
    return INNER_HAS(f, fork_child) ? f->iops->fork_child(f->istate) : 0;
}

/*
 * The 1.2 members: what the inner module does natively stays native
 * (the inner module also needs the matching members, as the core would
 * check); without them the answers below make the core emulate.
 */
static uint32_t
faulty_op_flags(void *state, unsigned opcode)
{
    faulty *f = state;
    uint32_t fl;

    if (f->imod->abi_minor < 2 || !INNER_HAS(f, op_flags))
        return 0;
    fl = f->iops->op_flags(f->istate, opcode);
    if (!INNER_HAS(f, bufpool_create))
        fl &= ~(uint32_t)(CIO_OPF_BUFFER_SELECT | CIO_OPF_MULTISHOT);
    if (!INNER_HAS(f, files_register) || !INNER_HAS(f, files_update) ||
        !INNER_HAS(f, files_unregister))
        fl &= ~(uint32_t)CIO_OPF_FIXED_FILE;
    return fl;
}

static int
faulty_bufpool_create(void *state, const cio_bufpool *pool, void *base,
                      uint32_t count, uint32_t size, void **handle)
{
    faulty *f = state;
    if (!INNER_HAS(f, bufpool_create) || !INNER_HAS(f, bufpool_recycle) ||
        !INNER_HAS(f, bufpool_destroy))
        return CIO_ENOTSUP;
    return f->iops->bufpool_create(f->istate, pool, base, count, size, handle);
}

static void
faulty_bufpool_recycle(void *state, void *handle, uint16_t bid)
{
    faulty *f = state;
    f->iops->bufpool_recycle(f->istate, handle, bid);
}

static void
faulty_bufpool_destroy(void *state, void *handle)
{
    faulty *f = state;
    f->iops->bufpool_destroy(f->istate, handle);
}

static int
faulty_files_register(void *state, const cio_fd *fds, unsigned n)
{
    faulty *f = state;
    if (!INNER_HAS(f, files_register) || !INNER_HAS(f, files_update) ||
        !INNER_HAS(f, files_unregister))
        return CIO_ENOTSUP;
    return f->iops->files_register(f->istate, fds, n);
}

static int
faulty_files_update(void *state, unsigned off, const cio_fd *fds, unsigned n)
{
    faulty *f = state;
    return f->iops->files_update(f->istate, off, fds, n);
}

static int
faulty_files_unregister(void *state)
{
    faulty *f = state;
    return f->iops->files_unregister(f->istate);
}

static int
faulty_buffers_register(void *state, const cio_iovec *iov, unsigned n)
{
    faulty *f = state;
    if (!INNER_HAS(f, buffers_register) || !INNER_HAS(f, buffers_unregister))
        return CIO_ENOTSUP;
    return f->iops->buffers_register(f->istate, iov, n);
}

static int
faulty_buffers_unregister(void *state)
{
    faulty *f = state;
    return f->iops->buffers_unregister(f->istate);
}

static const cio_backend_ops faulty_ops = {
    .size = sizeof(cio_backend_ops),
    .create = faulty_create,
    .destroy = faulty_destroy,
    .supports = faulty_supports,
    .attach = faulty_attach,
    .submit = faulty_submit,
    .cancel = faulty_cancel,
    .flush = faulty_flush,
    .wait = faulty_wait,
    .notify = faulty_notify,
    .fork_child = faulty_fork_child,
    .op_flags = faulty_op_flags,
    .bufpool_create = faulty_bufpool_create,
    .bufpool_recycle = faulty_bufpool_recycle,
    .bufpool_destroy = faulty_bufpool_destroy,
    .files_register = faulty_files_register,
    .files_update = faulty_files_update,
    .files_unregister = faulty_files_unregister,
    .buffers_register = faulty_buffers_register,
    .buffers_unregister = faulty_buffers_unregister,
};

CIO_BACKEND_MODULE(faulty) = {
    CIO_BACKEND_HEADER,
    .op_priv_size = CIO_OP_PRIV_MAX,
    .name = "faulty",
    .version = "1.0.0",
    .description = "fault injection around another backend ([module.faulty] "
                   "inner = ...); for tests",
    .caps = CIO_CAP_NOTIFY,
    .probe = faulty_probe,
    .ops = &faulty_ops,
};
