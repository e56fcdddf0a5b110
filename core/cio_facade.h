/* SPDX-License-Identifier: MIT */
/*
 * cio_facade.h - what the host API (cio_host.c) needs from the driver
 * facade (cio_driver.c), whose struct stays private to that file.
 * Internal, never installed.
 */
#ifndef CIO_FACADE_H
#define CIO_FACADE_H

#include "cio_internal.h"

/**
 * host->complete for a driver's host: @op, which the module holds, is
 * done; it joins the driver's ready list.
 */
void cio__driver_complete(struct cio_driver *drv, cio_op *op, int32_t result,
                          uint32_t cflags);

/**
 * host->pool_submit for a driver's host: @op moves from the module to
 * the pool. 0, or -errno and the op is still the module's.
 */
int cio__driver_pool_submit(struct cio_driver *drv, cio_op *op);

/**
 * host->config_get for a driver's host: the value of @key in the
 * module's section, as a copy that lives as long as the driver.
 */
const char *cio__driver_config_get(struct cio_driver *drv, const char *key);

#endif /* CIO_FACADE_H */
