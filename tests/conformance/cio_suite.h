/* SPDX-License-Identifier: MIT */
/*
 * cio_suite.h - what the backend suites (check_conformance.c,
 * check_beyond.c) share with compio-conformance, the installed program
 * that runs them against any module (tools/compio-conformance.c).
 *
 * In "make check" each suite is its own Check program: the backend is a
 * name compiled in (CIO_TEST_BACKEND) or argv[1], and a test's config
 * starts empty. Built into compio-conformance (CIO_SUITE_EMBEDDED), the
 * suites have no main; the tool sets the backend (a name or an absolute
 * path to a module file), a test's config starts from the tool's ini,
 * and whether the "beyond compio" features must be native is decided at
 * run time.
 */
#ifndef CIO_SUITE_H
#define CIO_SUITE_H

#include <stdio.h>
#include <string.h>

#include <compio.h>

/*
 * The backend name a driver reports for @backend: the name itself, or
 * <name> for a path ".../cio_<name>.so".
 */
static inline const char *
cio_suite_name(const char *backend)
{
    static char name[128];
    const char *base = strrchr(backend, '/'), *dot;

    if (base == NULL)
        return backend;
    base++;
    dot = strrchr(base, '.');
    if (strncmp(base, "cio_", 4) != 0 || dot == NULL || dot < base + 4)
        return backend;
    snprintf(name, sizeof(name), "%.*s", (int)(dot - base - 4), base + 4);
    return name;
}

#ifdef CIO_SUITE_EMBEDDED
/** 1 when the beyond-compio features must be native (set by the tool). */
extern int cio_suite_native;
#define CIO_TEST_NATIVE cio_suite_native
/** A fresh config for one test: the tool's ini, else the default lookup. */
int cio_suite_config_new(cio_config **cfg);
/** The conformance suite against @backend (a name or a module path). */
Suite *cio_suite_conformance(const char *backend);
/** The beyond-compio suite against @backend. */
Suite *cio_suite_beyond(const char *backend);
#else
static inline int
cio_suite_config_new(cio_config **cfg)
{
    return cio_config_new(cfg);
}
#endif

#endif /* CIO_SUITE_H */
