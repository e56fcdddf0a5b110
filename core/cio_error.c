/* SPDX-License-Identifier: MIT */
/*
 * cio_error.c - error names and messages from the one list in
 * compio/error.h, and the per-thread detail text of the last failed
 * configuration or loader call.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "cio_internal.h"

/*
 * One row per CIO_ERRNO_MAP entry, keyed by the CIO_E* value so that the
 * platform's own errno is used where it exists and the fallback only
 * where it does not. A table searched linearly, not a switch: on some
 * platforms two names share a value (EAGAIN/EWOULDBLOCK style aliases),
 * and duplicate case labels would not compile. The first row wins.
 */
typedef struct cio__err_row {
    int code;
    const char *name;
    const char *msg;
} cio__err_row;

#define CIO__ERR_ROW(name_, fallback_, msg_) {CIO_##name_, #name_, msg_},
static const cio__err_row cio__err_rows[] = {CIO_ERRNO_MAP(CIO__ERR_ROW)};
#undef CIO__ERR_ROW

#define CIO__NROWS (sizeof(cio__err_rows) / sizeof(cio__err_rows[0]))

static const cio__err_row *
cio__err_find(int err)
{
    size_t i;
    if (err >= 0)
        return NULL;
    for (i = 0; i < CIO__NROWS; i++)
        if (cio__err_rows[i].code == err)
            return &cio__err_rows[i];
    return NULL;
}

const char *
cio_strerror(int err)
{
    const cio__err_row *row;
    if (err == 0)
        return "success";
    row = cio__err_find(err);
    return row ? row->msg : "unknown error";
}

const char *
cio_errname(int err)
{
    const cio__err_row *row;
    if (err == 0)
        return "OK";
    row = cio__err_find(err);
    return row ? row->name : "UNKNOWN";
}

/*
 * The detail text lives in thread-local storage: each thread sees the
 * explanation of its own last call, and no lock is needed.
 */
static _Thread_local char cio__detail[1024];

const char *
cio_error_detail(void)
{
    return cio__detail;
}

void
cio__set_detail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cio__detail, sizeof(cio__detail), fmt, ap);
    va_end(ap);
}

void
cio__clear_detail(void)
{
    cio__detail[0] = '\0';
}
