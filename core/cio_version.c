/* SPDX-License-Identifier: MIT */
/*
 * cio_version.c - the version of the library actually loaded, which may
 * differ from the CIO_VERSION_STRING of the headers an application was
 * built with.
 */
#include "config.h"

#include "compio/version.h"

const char *
cio_version(void)
{
    return PACKAGE_VERSION;
}
