/* SPDX-License-Identifier: MIT */
/*
 * cio_scan.c - cio_backend_scan: every module file on the search path
 * with the verdict the loader would give it, and a dry run of the
 * selection. This is what compio-info prints; it uses the same checks
 * as cio_driver_open so that the two can never disagree.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cio_loader_priv.h"

typedef struct scan_ctx {
    cio_backend_list *list;
    const cio_config *cfg;
    const char *dir;
    size_t cap;
    int err;
} scan_ctx;

static char *
dup_or_null(const char *s)
{
    char *d;

    if (s == NULL || s[0] == '\0')
        return NULL;
    d = malloc(strlen(s) + 1);
    if (d != NULL)
        strcpy(d, s);
    return d;
}

/* The first earlier entry with the same name, or NULL. */
static const cio_backend_info *
find_earlier(const cio_backend_list *list, const char *name)
{
    size_t i;

    for (i = 0; i < list->count; i++)
        if (strcmp(list->items[i].name, name) == 0)
            return &list->items[i];
    return NULL;
}

static int
scan_file(void *arg, const char *file)
{
    scan_ctx *ctx = arg;
    cio_backend_list *list = ctx->list;
    char name[128], why[CIO__REASON_MAX], reason[CIO__REASON_MAX + 160];
    const cio_backend_info *earlier;
    cio__module_info info;
    cio_backend_info *it;
    cio__module *m;
    char *path;
    int rc;

    if (list->count == ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap * 2 : 8;
        cio_backend_info *items = realloc(list->items, cap * sizeof(*items));
        if (items == NULL)
            return CIO_ENOMEM;
        list->items = items;
        ctx->cap = cap;
    }
    path = cio__path_join(ctx->dir, file);
    if (path == NULL)
        return CIO_ENOMEM;
    memset(&info, 0, sizeof(info));
    rc = cio__path_module_name(path, name, sizeof(name));
    if (rc < 0) {
        /* cio_Foo-Bar.so: not a name anyone can ask for; say so. */
        snprintf(name, sizeof(name), "%s", file + 4);
        name[strlen(name) - strlen(cio__dso_suffix)] = '\0';
        snprintf(why, sizeof(why),
                 "%s: the file name is not cio_<name>%s with a name of a-z, "
                 "0-9 and _; rename it",
                 path, cio__dso_suffix);
    } else {
        rc = cio__loader_try(path, name, ctx->cfg, &m, &info, why, sizeof(why));
        if (rc == 0)
            cio__loader_release(m);
    }
    earlier = find_earlier(list, name);
    if (earlier != NULL)
        snprintf(reason, sizeof(reason),
                 "shadowed by %s (never loaded by name); %s", earlier->path,
                 why);
    else
        snprintf(reason, sizeof(reason), "%s", why);

    it = &list->items[list->count];
    memset(it, 0, sizeof(*it));
    it->name = dup_or_null(name);
    it->path = path;
    it->version = dup_or_null(info.version);
    it->description = dup_or_null(info.description);
    it->abi_major = info.abi_major;
    it->abi_minor = info.abi_minor;
    it->caps = info.caps;
    it->status = rc;
    it->reason = dup_or_null(reason);
    it->shadowed = earlier != NULL;
    list->count++;
    if (it->name == NULL || it->reason == NULL)
        return CIO_ENOMEM;
    return 0;
}

static int
copy_search_path(cio_backend_list *list, const cio__search *sp)
{
    char **v = calloc(sp->count + 1, sizeof(*v));
    size_t i;

    if (v == NULL)
        return CIO_ENOMEM;
    list->search_path = (const char *const *)v;
    for (i = 0; i < sp->count; i++) {
        v[i] = dup_or_null(sp->dirs[i]);
        if (v[i] == NULL)
            return CIO_ENOMEM;
    }
    return 0;
}

static int
scan(const cio_config *cfg, cio_backend_list *list)
{
    cio__selection sel;
    cio__search sp;
    scan_ctx ctx;
    size_t i;
    int rc;

    rc = cio__search_build(cfg, &sp);
    if (rc < 0)
        return rc;
    rc = copy_search_path(list, &sp);
    memset(&ctx, 0, sizeof(ctx));
    ctx.list = list;
    ctx.cfg = cfg;
    for (i = 0; rc == 0 && i < sp.count; i++) {
        ctx.dir = sp.dirs[i];
        rc = cio__dso_list_dir(sp.dirs[i], scan_file, &ctx);
        /* A directory on the path that is missing or unreadable is normal
         * (the built-in one before anything is installed). */
        if (rc != CIO_ENOMEM)
            rc = 0;
    }
    if (rc == 0) {
        rc = cio__loader_select(cfg, &sp, 1, &sel);
        if (sel.mod != NULL)
            list->chosen = dup_or_null(sel.mod->desc->name);
        list->chosen_status = sel.status;
        list->chosen_why = sel.why;
        sel.why = NULL;
        rc = (sel.mod != NULL && list->chosen == NULL) ||
                     sel.status == CIO_ENOMEM
                 ? CIO_ENOMEM
                 : 0;
        cio__selection_free(&sel);
    }
    cio__search_free(&sp);
    return rc;
}

int
cio_backend_scan(const cio_config *cfg, cio_backend_list **out)
{
    cio_config *own = NULL;
    cio_backend_list *list;
    int rc;

    cio__clear_detail();
    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (cfg == NULL) {
        rc = cio__config_default(&own);
        if (rc < 0)
            return rc;
        cfg = own;
    }
    list = calloc(1, sizeof(*list));
    rc = list != NULL ? scan(cfg, list) : CIO_ENOMEM;
    cio_config_free(own);
    if (rc < 0) {
        cio_backend_list_free(list);
        return rc;
    }
    /* The scan's own loads overwrite nothing the caller can see. */
    cio__clear_detail();
    *out = list;
    return 0;
}

void
cio_backend_list_free(cio_backend_list *list)
{
    size_t i;

    if (list == NULL)
        return;
    for (i = 0; i < list->count; i++) {
        cio_backend_info *it = &list->items[i];
        free((char *)it->name);
        free((char *)it->path);
        free((char *)it->version);
        free((char *)it->description);
        free((char *)it->reason);
    }
    free(list->items);
    if (list->search_path != NULL) {
        for (i = 0; list->search_path[i] != NULL; i++)
            free((char *)list->search_path[i]);
        free((void *)list->search_path);
    }
    free((char *)list->chosen);
    free((char *)list->chosen_why);
    free(list);
}
