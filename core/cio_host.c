/* SPDX-License-Identifier: MIT */
/*
 * cio_host.c - the host API table handed to every module: memory, logs,
 * failure reasons, module settings, completion delivery, the pool, the
 * op table, a clock, (1.2) the backend's handle of a buffer pool and
 * (1.4) loading and configuring a module that this one wraps. The
 * module calls the core only through it.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_driver_int.h"
#include "cio_facade.h"
#include "cio_internal.h"
#include "cio_sys.h"

void
cio__host_init(cio_host *host, struct cio_driver *drv, const cio_config *cfg,
               const char *module_name)
{
    memset(host, 0, sizeof(*host));
    host->drv = drv;
    host->cfg = cfg;
    host->module_name = module_name;
}

static void *
cio__host_alloc(size_t size)
{
    return malloc(size);
}

static void *
cio__host_calloc(size_t n, size_t size)
{
    return calloc(n, size);
}

static void *
cio__host_realloc(void *ptr, size_t size)
{
    return realloc(ptr, size);
}

static void
cio__host_free(void *ptr)
{
    free(ptr);
}

static void
cio__host_log(cio_host *host, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cio__vlog(level, host != NULL ? host->module_name : NULL, fmt, ap);
    va_end(ap);
}

static void
cio__host_set_reason(cio_host *host, const char *fmt, ...)
{
    va_list ap;
    if (host == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(host->reason, sizeof(host->reason), fmt, ap);
    va_end(ap);
}

/*
 * A probe's host answers straight from the configuration, which the
 * loader holds for the whole probe. A driver's host answers through the
 * driver, which keeps copies: the caller's configuration need only live
 * during cio_driver_open, yet a value handed to the module must live as
 * long as the host.
 */
static const char *
cio__host_config_get(cio_host *host, const char *key)
{
    if (host == NULL || key == NULL)
        return NULL;
    if (host->drv != NULL)
        return cio__driver_config_get(host->drv, key);
    if (host->cfg == NULL || host->module_name == NULL)
        return NULL;
    return cio__config_module_get(host->cfg, host->module_name, key);
}

static void
cio__host_complete(cio_host *host, cio_op *op, int32_t result, uint32_t cflags)
{
    if (host == NULL || host->drv == NULL) {
        cio__log(CIO_LOG_ERROR, "%s: complete() called during probe",
                 host != NULL ? host->module_name : "?");
        return;
    }
    cio__driver_complete(host->drv, op, result, cflags);
}

static int
cio__host_pool_submit(cio_host *host, cio_op *op)
{
    if (host == NULL || host->drv == NULL || op == NULL)
        return CIO_EINVAL;
    return cio__driver_pool_submit(host->drv, op);
}

/*
 * 1.4: a wrapping module loads its inner module. The configuration is at
 * hand only while a probe or cio_driver_open runs (host->cfg is cleared
 * when create() returns), which is exactly when a wrapper may call this.
 */
static int
cio__host_module_open(cio_host *host, const char *name_or_path,
                      const cio_backend_module **mod, void **handle)
{
    cio__module *m = NULL;
    int rc;

    if (mod != NULL)
        *mod = NULL;
    if (handle != NULL)
        *handle = NULL;
    if (host == NULL || mod == NULL || handle == NULL)
        return CIO_EINVAL;
    if (host->cfg == NULL) {
        snprintf(host->reason, sizeof(host->reason),
                 "module_open is only allowed from probe() and create()");
        return CIO_EINVAL;
    }
    /* The loader's sentence becomes the reason, as set_reason would. */
    rc = cio__loader_open(host->cfg, host->module_name, name_or_path, &m,
                          host->reason, sizeof(host->reason));
    if (rc < 0)
        return rc;
    *mod = m->desc;
    *handle = m;
    return 0;
}

static void
cio__host_module_close(void *handle)
{
    cio__loader_release(handle);
}

/*
 * A driver's copies of other modules' values share its memo list, under
 * a key no ini key can spell: "\x1f<module>\x1f<key>". The driver frees
 * the list at close like its own entries.
 */
static const char *
cio__host_config_get_module(cio_host *host, const char *module, const char *key)
{
    char mkey[256];
    cio__memo *m;
    const char *v;
    cio_driver *drv;

    if (host == NULL || module == NULL || key == NULL)
        return NULL;
    if (host->module_name != NULL && strcmp(module, host->module_name) == 0)
        return cio__host_config_get(host, key);
    drv = host->drv;
    if (drv == NULL)
        return host->cfg != NULL
                   ? cio__config_module_get(host->cfg, module, key)
                   : NULL;
    if ((size_t)snprintf(mkey, sizeof(mkey), "\x1f%s\x1f%s", module, key) >=
        sizeof(mkey))
        return NULL;
    for (m = drv->memo; m != NULL; m = m->next)
        if (strcmp(m->key, mkey) == 0)
            return m->value;
    if (host->cfg == NULL)
        return NULL;
    v = cio__config_module_get(host->cfg, module, key);
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->key = strdup(mkey);
    m->value = v != NULL ? strdup(v) : NULL;
    if (m->key == NULL || (v != NULL && m->value == NULL)) {
        free(m->key);
        free(m->value);
        free(m);
        return NULL;
    }
    m->next = drv->memo;
    drv->memo = m;
    return m->value;
}

static uint64_t
cio__host_now_ns(void)
{
    return cio__sys_now_ns();
}

const cio_host_api cio__host_api = {
    .size = sizeof(cio_host_api),
    .abi_major = CIO_MODULE_ABI_MAJOR,
    .abi_minor = CIO_MODULE_ABI_MINOR,
    .alloc = cio__host_alloc,
    .calloc = cio__host_calloc,
    .realloc = cio__host_realloc,
    .free = cio__host_free,
    .log = cio__host_log,
    .set_reason = cio__host_set_reason,
    .config_get = cio__host_config_get,
    .complete = cio__host_complete,
    .pool_submit = cio__host_pool_submit,
    .op_desc = cio__op_desc,
    .now_ns = cio__host_now_ns,
    .bufpool_handle = cio__bufpool_handle,
    .module_open = cio__host_module_open,
    .module_close = cio__host_module_close,
    .config_get_module = cio__host_config_get_module,
};
