/* SPDX-License-Identifier: MIT */
/*
 * cio_fs_whole.c - read or write a whole file in one call, on top of
 * the cio_file calls.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "cio_api_internal.h"
#include "compio/fs.h"

/* First buffer when stat gives no size (/proc files report 0). */
#define WHOLE_MIN 4096u

int
cio_fs_read_file(const char *path, void **buf, size_t *len)
{
    cio_file *f;
    cio_stat st;
    char *p = NULL, *np;
    size_t cap, n = 0;
    int64_t r;
    int c;

    if (buf == NULL || len == NULL)
        return CIO_EINVAL;
    *buf = NULL;
    *len = 0;
    r = cio_file_open(&f, path, CIO_O_RDONLY, 0);
    if (r < 0)
        return (int)r;
    /* The size is a hint: one byte more lets the EOF read end it. */
    cap = WHOLE_MIN;
    if (cio_file_stat(f, &st) == 0 && st.type == CIO_FT_REGULAR &&
        st.size >= cap && st.size < SIZE_MAX / 2)
        cap = (size_t)st.size + 2;
    for (;;) {
        if (p == NULL || cap - 1 - n == 0) {
            if (p != NULL) {
                if (cap > SIZE_MAX / 2) {
                    r = CIO_ENOMEM;
                    break;
                }
                cap *= 2;
            }
            np = realloc(p, cap);
            if (np == NULL) {
                r = CIO_ENOMEM;
                break;
            }
            p = np;
        }
        /* cap - 1: the last byte is for the NUL. */
        r = cio_file_read_at(f, p + n, cap - 1 - n, n);
        if (r == CIO_EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    c = cio_file_close(f);
    if (r == 0 && c < 0 && c != CIO_EINTR)
        r = c;
    if (r < 0) {
        free(p);
        return (int)r;
    }
    p[n] = '\0';
    *buf = p;
    *len = n;
    return 0;
}

int
cio_fs_write_file(const char *path, const void *data, size_t len, uint32_t mode)
{
    cio_file *f;
    int r, c;

    if (data == NULL && len != 0)
        return CIO_EINVAL;
    r = cio_file_open(&f, path, CIO_O_WRONLY | CIO_O_CREAT | CIO_O_TRUNC, mode);
    if (r < 0)
        return r;
    r = cio_file_write_all_at(f, data, len, 0, NULL);
    c = cio_file_close(f);
    return r < 0 ? r : c;
}
