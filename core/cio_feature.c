/* SPDX-License-Identifier: MIT */
/*
 * cio_feature.c - which of the "beyond compio" features a driver's
 * backend does itself and which the driver emulates (cio_emu.c), from
 * the routes and op flags cached at open and the current registrations.
 */
#include "config.h"

#include "cio_driver_int.h"

static const char *const cio__feature_names[CIO_FEATURE__COUNT] = {
    [CIO_FEATURE_MULTISHOT_ACCEPT] = "multishot_accept",
    [CIO_FEATURE_MULTISHOT_RECV] = "multishot_recv",
    [CIO_FEATURE_BUFFER_POOL] = "buffer_pool",
    [CIO_FEATURE_FIXED_FILES] = "fixed_files",
    [CIO_FEATURE_FIXED_BUFFERS] = "fixed_buffers",
    [CIO_FEATURE_SEND_ZC] = "send_zc",
};

const char *
cio_feature_name(unsigned feature)
{
    return feature < CIO_FEATURE__COUNT ? cio__feature_names[feature]
                                        : "unknown";
}

/* Does the backend run @opcode itself with all of @flags? */
static int
cio__native_with(const cio_driver *drv, unsigned opcode, unsigned flags)
{
    return drv->route[opcode] == CIO__ROUTE_MODULE &&
           (drv->native_flags[opcode] & flags) == flags;
}

int
cio_driver_feature(const cio_driver *drv, unsigned feature)
{
    int native = 0;

    if (drv == NULL)
        return CIO_EINVAL;
    switch (feature) {
    case CIO_FEATURE_MULTISHOT_ACCEPT:
        native = cio__native_with(drv, CIO_OP_ACCEPT, CIO_OPF_MULTISHOT);
        break;
    case CIO_FEATURE_MULTISHOT_RECV:
        native = cio__native_with(drv, CIO_OP_RECV,
                                  CIO_OPF_MULTISHOT | CIO_OPF_BUFFER_SELECT);
        break;
    case CIO_FEATURE_BUFFER_POOL:
        native = cio__native_with(drv, CIO_OP_RECV, CIO_OPF_BUFFER_SELECT);
        break;
    case CIO_FEATURE_FIXED_FILES:
        if (drv->files.n != 0) {
            native = drv->files.native;
        } else {
            for (unsigned i = 0; i < CIO_OP__COUNT && !native; i++)
                native = (drv->native_flags[i] & CIO_OPF_FIXED_FILE) != 0;
        }
        break;
    case CIO_FEATURE_FIXED_BUFFERS:
        native = drv->route[CIO_OP_READ_FIXED] == CIO__ROUTE_MODULE &&
                 drv->route[CIO_OP_WRITE_FIXED] == CIO__ROUTE_MODULE;
        break;
    case CIO_FEATURE_SEND_ZC:
        native = drv->route[CIO_OP_SEND_ZC] == CIO__ROUTE_MODULE;
        break;
    default:
        return CIO_EINVAL;
    }
    return native ? CIO_SUPPORT_NATIVE : CIO_SUPPORT_EMULATED;
}
