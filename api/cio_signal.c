/* SPDX-License-Identifier: MIT */
/*
 * cio_signal.c - the parts of compio/signal.h that do not depend on the
 * platform, built on the listener calls each platform file provides.
 */
#include "config.h"

#include <signal.h>

#include "compio/error.h"
#include "compio/runtime.h"
#include "compio/signal.h"

int
cio_ctrl_c(void)
{
    cio_signal_listener *l;
    int64_t n;
    int r;

    if (cio_current() == NULL)
        return CIO_EPERM;
    r = cio_signal_listen(&l, SIGINT);
    if (r < 0)
        return r;
    n = cio_signal_wait(l);
    cio_signal_unlisten(l);
    return n < 0 ? (int)n : 0;
}
