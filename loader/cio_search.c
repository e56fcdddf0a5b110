/* SPDX-License-Identifier: MIT */
/*
 * cio_search.c - where modules are looked for: COMPIO_MODULE_PATH, then
 * the ini module_path, then the compiled-in directory. Never the current
 * directory: a module is code, and running code picked up from wherever
 * the program happens to start is how DLL planting works.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cio_loader_priv.h"

static int
search_add(cio__search *sp, const char *dir, size_t n)
{
    char *copy, **dirs;
    size_t i;

    /* Trailing separators would make "/a/" and "/a" look different. */
    while (n > 1 && (dir[n - 1] == '/' || dir[n - 1] == '\\'))
        n--;
    for (i = 0; i < sp->count; i++)
        if (strlen(sp->dirs[i]) == n && memcmp(sp->dirs[i], dir, n) == 0)
            return 0;
    copy = malloc(n + 1);
    if (copy == NULL)
        return CIO_ENOMEM;
    memcpy(copy, dir, n);
    copy[n] = '\0';
    dirs = realloc(sp->dirs, (sp->count + 2) * sizeof(*dirs));
    if (dirs == NULL) {
        free(copy);
        return CIO_ENOMEM;
    }
    sp->dirs = dirs;
    sp->dirs[sp->count++] = copy;
    sp->dirs[sp->count] = NULL;
    return 0;
}

/* @list: separated directories; relative ones are skipped, loudly. */
static int
search_add_list(cio__search *sp, const char *list, const char *origin)
{
    const char *p = list;
    int rc;

    while (*p != '\0') {
        const char *end = strchr(p, CIO__PATH_SEP);
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n > 0) {
            if (cio__path_is_absolute(p)) {
                rc = search_add(sp, p, n);
                if (rc < 0)
                    return rc;
            } else {
                cio__log(CIO_LOG_WARN,
                         "%s: ignoring relative directory '%.*s'; module "
                         "directories must be absolute",
                         origin, (int)n, p);
            }
        }
        p += n;
        if (*p == CIO__PATH_SEP)
            p++;
    }
    return 0;
}

int
cio__search_build(const cio_config *cfg, cio__search *sp)
{
    const char *env = cio__getenv("COMPIO_MODULE_PATH");
    const char *ini = cio__config_module_path(cfg);
    const char *def = cio__dso_default_dir();
    int rc = 0;

    sp->dirs = calloc(1, sizeof(*sp->dirs));
    sp->count = 0;
    if (sp->dirs == NULL)
        return CIO_ENOMEM;
    if (env != NULL)
        rc = search_add_list(sp, env, "COMPIO_MODULE_PATH");
    if (rc == 0 && ini != NULL)
        rc = search_add_list(sp, ini, "module_path");
    if (rc == 0 && def != NULL && def[0] != '\0')
        rc = search_add(sp, def, strlen(def));
    if (rc < 0)
        cio__search_free(sp);
    return rc;
}

void
cio__search_free(cio__search *sp)
{
    size_t i;

    for (i = 0; i < sp->count; i++)
        free(sp->dirs[i]);
    free(sp->dirs);
    sp->dirs = NULL;
    sp->count = 0;
}

char *
cio__search_describe(const cio__search *sp)
{
    size_t len = 1, i;
    char *s;

    for (i = 0; i < sp->count; i++)
        len += strlen(sp->dirs[i]) + 2;
    s = malloc(len + 8);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (i = 0; i < sp->count; i++) {
        if (i > 0)
            strcat(s, ", ");
        strcat(s, sp->dirs[i]);
    }
    if (sp->count == 0)
        strcpy(s, "(none)");
    return s;
}

char *
cio__path_join(const char *dir, const char *file)
{
    size_t dl = strlen(dir), fl = strlen(file);
    char *p = malloc(dl + fl + 2);

    if (p == NULL)
        return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, file, fl + 1);
    return p;
}

int
cio__search_find(const cio__search *sp, const char *name, char **path,
                 char *why, size_t whylen)
{
    char file[160];
    char *dirs;
    size_t i;

    snprintf(file, sizeof(file), "cio_%s%s", name, cio__dso_suffix);
    for (i = 0; i < sp->count; i++) {
        char *p = cio__path_join(sp->dirs[i], file);
        if (p == NULL)
            return CIO_ENOMEM;
        if (cio__dso_exists(p)) {
            *path = p;
            return 0;
        }
        free(p);
    }
    dirs = cio__search_describe(sp);
    snprintf(why, whylen,
             "%s not found in %s; install the module, or add its directory "
             "to COMPIO_MODULE_PATH or module_path",
             file, dirs != NULL ? dirs : "the search path");
    free(dirs);
    *path = NULL;
    return CIO_ENOENT;
}
