/* SPDX-License-Identifier: MIT */
/*
 * cio_fiber.c - state shared by the inline fiber switch (cio_fiber.h).
 */
#include "config.h"

#include "cio_fiber.h"

#ifdef CIO__ASAN
/*
 * Which fiber switched last on this thread: the fiber that resumes
 * reads it to record the bounds ASan reports for the stack it left.
 */
_Thread_local cio__fiber *cio__fiber_from;
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int cio__fiber_unused;
#endif
