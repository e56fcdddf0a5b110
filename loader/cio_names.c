/* SPDX-License-Identifier: MIT */
/*
 * cio_names.c - what a backend name and a module path look like. Shared
 * by the config parser (to refuse bad values early, with the line) and
 * the loader (to derive a name from a path).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cio_loader_priv.h"

int
cio__name_valid(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

int
cio__path_is_absolute(const char *path)
{
#if defined(_WIN32)
    /* "C:\x", "C:/x" or a UNC "\\server\share"; "C:x" is relative. */
    if (((path[0] >= 'a' && path[0] <= 'z') ||
         (path[0] >= 'A' && path[0] <= 'Z')) &&
        path[1] == ':' && (path[2] == '\\' || path[2] == '/'))
        return 1;
    return (path[0] == '\\' && path[1] == '\\') ||
           (path[0] == '/' && path[1] == '/');
#else
    return path[0] == '/';
#endif
}

int
cio__path_module_name(const char *path, char *name, size_t len)
{
    const char *base = path, *p;
    size_t blen, slen = strlen(cio__dso_suffix), nlen;

    for (p = path; *p != '\0'; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    blen = strlen(base);
    if (blen <= 4 + slen || strncmp(base, "cio_", 4) != 0 ||
        strcmp(base + blen - slen, cio__dso_suffix) != 0)
        return CIO_EINVAL;
    nlen = blen - 4 - slen;
    if (!cio__name_valid(base + 4, nlen) || nlen >= len)
        return CIO_EINVAL;
    memcpy(name, base + 4, nlen);
    name[nlen] = '\0';
    return 0;
}
