/* SPDX-License-Identifier: MIT */
/*
 * cio_host.c - the host API table handed to every module: memory, logs,
 * failure reasons, module settings, completion delivery, the pool, the
 * op table, a clock and (1.2) the backend's handle of a buffer pool.
 * The module calls the core only through it.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cio_driver_int.h"
#include "cio_facade.h"
#include "cio_internal.h"

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

static uint64_t
cio__host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
};
