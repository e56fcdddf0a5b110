/* SPDX-License-Identifier: MIT */
/*
 * cio_log.c - diagnostics on stderr, filtered by COMPIO_LOG, and the one
 * place the core reads its environment.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_internal.h"

const char *
cio__getenv(const char *name)
{
#ifdef HAVE_SECURE_GETENV
    /* setuid programs must not be steered by their caller's environment. */
    return secure_getenv(name);
#else
    return getenv(name);
#endif
}

/* -1 until the first log call reads COMPIO_LOG. */
static atomic_int cio__log_level = -1;

static int
cio__log_threshold(void)
{
    int level = atomic_load_explicit(&cio__log_level, memory_order_relaxed);
    const char *env;

    if (level >= 0)
        return level;
    /*
     * Reading the environment twice in a race is harmless: both threads
     * compute the same value.
     */
    level = CIO_LOG_WARN;
    env = cio__getenv("COMPIO_LOG");
    if (env != NULL) {
        if (strcmp(env, "error") == 0)
            level = CIO_LOG_ERROR;
        else if (strcmp(env, "warn") == 0)
            level = CIO_LOG_WARN;
        else if (strcmp(env, "info") == 0)
            level = CIO_LOG_INFO;
        else if (strcmp(env, "debug") == 0)
            level = CIO_LOG_DEBUG;
    }
    atomic_store_explicit(&cio__log_level, level, memory_order_relaxed);
    return level;
}

static const char *
cio__level_name(int level)
{
    switch (level) {
    case CIO_LOG_ERROR:
        return "error";
    case CIO_LOG_WARN:
        return "warning";
    case CIO_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

void
cio__vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
    char line[1024];
    int n;

    if (level > cio__log_threshold())
        return;
    if (prefix != NULL && prefix[0] != '\0')
        n = snprintf(line, sizeof(line), "compio: %s: %s: ", prefix,
                     cio__level_name(level));
    else
        n = snprintf(line, sizeof(line),
                     "compio: %s: ", cio__level_name(level));
    if (n < 0)
        return;
    if ((size_t)n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    /*
     * One fputs of a whole line, so that lines from several threads do
     * not interleave mid-line.
     */
    n = (int)strlen(line);
    if (n > 0 && line[n - 1] != '\n') {
        /* A truncated line loses its last character to the newline. */
        if ((size_t)n + 1 >= sizeof(line))
            n = (int)sizeof(line) - 2;
        line[n] = '\n';
        line[n + 1] = '\0';
    }
    fputs(line, stderr);
}

void
cio__log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cio__vlog(level, NULL, fmt, ap);
    va_end(ap);
}
