/* SPDX-License-Identifier: MIT */
/*
 * cio_config.c - the configuration object: storage, the public API, the
 * default lookup and the typed views the rest of libcompio reads.
 *
 * Every value is kept as a (section, key, string) triple; [runtime]
 * values are stored in their normalised form ("yes", a byte count), so
 * cio_config_get and the typed views agree and a parsed value never has
 * to be re-validated.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cio_loader_priv.h"

#ifndef CIO_SYSCONFDIR
#define CIO_SYSCONFDIR "/etc"
#endif

typedef struct cio__kv {
    char *section;
    char *key;
    char *value;
} cio__kv;

struct cio_config {
    cio__kv *items;
    size_t count;
    size_t cap;
};

static void
kv_free(cio__kv *kv)
{
    free(kv->section);
    free(kv->key);
    free(kv->value);
}

static char *
str_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static cio__kv *
config_lookup(const cio_config *cfg, const char *section, const char *key)
{
    size_t i;

    if (cfg == NULL)
        return NULL;
    for (i = 0; i < cfg->count; i++)
        if (strcmp(cfg->items[i].section, section) == 0 &&
            strcmp(cfg->items[i].key, key) == 0)
            return &cfg->items[i];
    return NULL;
}

const char *
cio__config_find(const cio_config *cfg, const char *section, const char *key)
{
    cio__kv *kv = config_lookup(cfg, section, key);

    return kv != NULL ? kv->value : NULL;
}

int
cio__config_put(cio_config *cfg, const char *section, const char *key,
                const char *value)
{
    cio__kv *kv = config_lookup(cfg, section, key);
    char *v = str_dup(value);

    if (v == NULL)
        return CIO_ENOMEM;
    if (kv != NULL) {
        free(kv->value);
        kv->value = v;
        return 0;
    }
    if (cfg->count == cfg->cap) {
        size_t cap = cfg->cap ? cfg->cap * 2 : 8;
        cio__kv *items = realloc(cfg->items, cap * sizeof(*items));
        if (items == NULL) {
            free(v);
            return CIO_ENOMEM;
        }
        cfg->items = items;
        cfg->cap = cap;
    }
    kv = &cfg->items[cfg->count];
    kv->section = str_dup(section);
    kv->key = str_dup(key);
    kv->value = v;
    if (kv->section == NULL || kv->key == NULL) {
        kv_free(kv);
        return CIO_ENOMEM;
    }
    cfg->count++;
    return 0;
}

cio_config *
cio__config_clone(const cio_config *cfg)
{
    cio_config *c = calloc(1, sizeof(*c));
    size_t i;

    if (c == NULL || cfg == NULL)
        return c;
    for (i = 0; i < cfg->count; i++) {
        const cio__kv *kv = &cfg->items[i];
        if (cio__config_put(c, kv->section, kv->key, kv->value) < 0) {
            cio_config_free(c);
            return NULL;
        }
    }
    return c;
}

void
cio__config_commit(cio_config *dst, cio_config *src)
{
    cio_config old = *dst;

    *dst = *src;
    *src = old;
    cio_config_free(src);
}

int
cio_config_new(cio_config **out)
{
    *out = calloc(1, sizeof(**out));
    return *out != NULL ? 0 : CIO_ENOMEM;
}

void
cio_config_free(cio_config *cfg)
{
    size_t i;

    if (cfg == NULL)
        return;
    for (i = 0; i < cfg->count; i++)
        kv_free(&cfg->items[i]);
    free(cfg->items);
    free(cfg);
}

/*
 * Opens @path and parses it into a scratch copy, so that @cfg is left
 * exactly as it was when anything goes wrong.
 */
int
cio_config_load(cio_config *cfg, const char *path)
{
    cio_config *scratch;
    FILE *fp;
    int rc;

    cio__clear_detail();
    if (cfg == NULL || path == NULL || path[0] == '\0') {
        cio__set_detail("cio_config_load: no configuration or file given");
        return CIO_EINVAL;
    }
    fp = fopen(path, "r");
    if (fp == NULL) {
        rc = -errno;
        cio__set_detail("%s: cannot open: %s; check the path (COMPIO_CONFIG "
                        "or the file given)",
                        path, strerror(errno));
        return rc;
    }
    scratch = cio__config_clone(cfg);
    if (scratch == NULL) {
        fclose(fp);
        return CIO_ENOMEM;
    }
    rc = cio__config_parse(scratch, path, fp, NULL);
    fclose(fp);
    if (rc < 0) {
        cio_config_free(scratch);
        return rc;
    }
    cio__config_commit(cfg, scratch);
    return 0;
}

int
cio_config_load_string(cio_config *cfg, const char *name, const char *text)
{
    cio_config *scratch;
    int rc;

    cio__clear_detail();
    if (name == NULL)
        name = "<string>";
    if (cfg == NULL || text == NULL) {
        cio__set_detail("%s: no configuration or text given", name);
        return CIO_EINVAL;
    }
    scratch = cio__config_clone(cfg);
    if (scratch == NULL)
        return CIO_ENOMEM;
    rc = cio__config_parse(scratch, name, NULL, text);
    if (rc < 0) {
        cio_config_free(scratch);
        return rc;
    }
    cio__config_commit(cfg, scratch);
    return 0;
}

/* The same validation as a file line, with @origin in place of FILE:LINE. */
static int
config_set_from(cio_config *cfg, const char *origin, const char *section,
                const char *key, const char *value)
{
    char err[CIO__REASON_MAX];
    char *norm = NULL;
    int rc;

    if (!cio__config_section_valid(section)) {
        cio__set_detail("%s: bad section [%s]; expected [runtime] or "
                        "[module.<name>] with a name of a-z, 0-9 and _",
                        origin, section);
        return CIO_EINVAL;
    }
    rc = cio__config_check(section, key, value, &norm, err, sizeof(err));
    if (rc < 0) {
        if (rc == CIO_EINVAL)
            cio__set_detail("%s: key '%s' in [%s]: %s", origin, key, section,
                            err);
        return rc;
    }
    rc = cio__config_put(cfg, section, key, norm);
    free(norm);
    return rc;
}

int
cio_config_set(cio_config *cfg, const char *section, const char *key,
               const char *value)
{
    cio__clear_detail();
    if (cfg == NULL || section == NULL || key == NULL || value == NULL) {
        cio__set_detail("cio_config_set: configuration, section, key and "
                        "value are all required");
        return CIO_EINVAL;
    }
    return config_set_from(cfg, "cio_config_set", section, key, value);
}

const char *
cio_config_get(const cio_config *cfg, const char *section, const char *key)
{
    if (section == NULL || key == NULL)
        return NULL;
    return cio__config_find(cfg, section, key);
}

static int
file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/*
 * COMPIO_CONFIG wins over the system file; COMPIO_BACKEND then overrides
 * one key. All of it goes into a scratch copy first, so a bad override
 * does not leave a half-applied file behind.
 */
int
cio_config_load_default(cio_config *cfg)
{
    const char *env = cio__getenv("COMPIO_CONFIG");
    const char *backend = cio__getenv("COMPIO_BACKEND");
    const char *sys = CIO_SYSCONFDIR "/compio.ini";
    cio_config *scratch;
    int rc = 0;

    cio__clear_detail();
    if (cfg == NULL) {
        cio__set_detail("cio_config_load_default: no configuration given");
        return CIO_EINVAL;
    }
    scratch = cio__config_clone(cfg);
    if (scratch == NULL)
        return CIO_ENOMEM;
    if (env != NULL && env[0] != '\0')
        rc = cio_config_load(scratch, env);
    else if (file_exists(sys))
        rc = cio_config_load(scratch, sys);
    if (rc == 0 && backend != NULL && backend[0] != '\0')
        rc = config_set_from(scratch, "COMPIO_BACKEND", "runtime", "backend",
                             backend);
    if (rc < 0) {
        cio_config_free(scratch);
        return rc;
    }
    cio__config_commit(cfg, scratch);
    return 0;
}

int
cio__config_default(cio_config **out)
{
    int rc = cio_config_new(out);

    if (rc < 0)
        return rc;
    rc = cio_config_load_default(*out);
    if (rc < 0) {
        cio_config_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- typed views; values were validated when stored ---- */

static unsigned long long
config_number(const cio_config *cfg, const char *key, unsigned long long def)
{
    const char *v = cio__config_find(cfg, "runtime", key);

    return v != NULL ? strtoull(v, NULL, 10) : def;
}

const char *
cio__config_backend(const cio_config *cfg)
{
    const char *v = cio__config_find(cfg, "runtime", "backend");

    return v != NULL ? v : "auto";
}

int
cio__config_fallback(const cio_config *cfg)
{
    const char *v = cio__config_find(cfg, "runtime", "fallback");

    return v == NULL || strcmp(v, "yes") == 0;
}

const char *
cio__config_module_path(const cio_config *cfg)
{
    return cio__config_find(cfg, "runtime", "module_path");
}

unsigned
cio__config_entries(const cio_config *cfg)
{
    return (unsigned)config_number(cfg, "entries", 1024);
}

unsigned
cio__config_threadpool_max(const cio_config *cfg)
{
    return (unsigned)config_number(cfg, "threadpool_max", 256);
}

size_t
cio__config_stack_size(const cio_config *cfg)
{
    return (size_t)config_number(cfg, "stack_size", 256 * 1024);
}

const char *
cio__config_module_get(const cio_config *cfg, const char *module,
                       const char *key)
{
    char section[128];

    if (module == NULL || key == NULL ||
        (size_t)snprintf(section, sizeof(section), "module.%s", module) >=
            sizeof(section))
        return NULL;
    return cio__config_find(cfg, section, key);
}
