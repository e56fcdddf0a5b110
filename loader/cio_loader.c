/* SPDX-License-Identifier: MIT */
/*
 * cio_loader.c - load one module file, check it, probe it, and keep it
 * in a refcounted list while drivers use it.
 *
 * The checks run in a fixed order and each has its own error, so a
 * caller (and a test) can tell "not a compio module" from "built for
 * another compio" from "cannot work on this machine" by the code alone;
 * the text says which file and what to do about it.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_loader_priv.h"

/* Size of the 1.0 descriptor and vtable: what every module must cover. */
#define MODULE_SIZE_1_0                                                        \
    (offsetof(cio_backend_module, ops) + sizeof(const cio_backend_ops *))
#define OPS_SIZE_1_0                                                           \
    (offsetof(cio_backend_ops, fork_child) + sizeof(void (*)(void)))

/* Capabilities every module must declare. */
#define REQUIRED_CAPS CIO_CAP_NOTIFY

/*
 * One lock for the list and for loading: dlopen and probe are rare and
 * short, and holding it throughout means two threads opening drivers at
 * once cannot load the same file twice or race a release to dlclose.
 */
static pthread_mutex_t loader_lock;
static pthread_once_t loader_once = PTHREAD_ONCE_INIT;
static cio__module *loaded;

/*
 * Recursive, because a wrapping module (ABI 1.4) loads its inner module
 * from inside its own probe(), which runs under the lock: the inner
 * load then takes the lock again on the same thread. nest counts those
 * loads-within-a-probe, so that a cycle of wrappers (a wraps b wraps a)
 * ends with CIO_ELOOP instead of recursing until the stack runs out.
 */
static unsigned nest;

static void
loader_lock_init(void)
{
    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&loader_lock, &attr);
    pthread_mutexattr_destroy(&attr);
}

static void
loader_lock_take(void)
{
    pthread_once(&loader_once, loader_lock_init);
    pthread_mutex_lock(&loader_lock);
}

static int why_fail(char *why, size_t whylen, int rc, const char *fmt, ...)
    CIO__PRINTF(4, 5);

static int
why_fail(char *why, size_t whylen, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return rc;
}

/* Copies what the descriptor's size covers, for scans and messages. */
static void
fill_info(const cio_backend_module *d, cio__module_info *info)
{
    if (info == NULL)
        return;
    info->readable = 1;
    info->abi_major = d->abi_major;
    info->abi_minor = d->abi_minor;
    if (d->struct_size < MODULE_SIZE_1_0)
        return;
    info->caps = d->caps;
    if (d->version != NULL)
        snprintf(info->version, sizeof(info->version), "%s", d->version);
    if (d->description != NULL)
        snprintf(info->description, sizeof(info->description), "%s",
                 d->description);
}

/* The first required member that is NULL, or NULL when all are set. */
static const char *
missing_member(const cio_backend_module *d)
{
    const cio_backend_ops *ops = d->ops;

    if (d->probe == NULL)
        return "probe";
    if (ops == NULL)
        return "ops";
    if (ops->size < OPS_SIZE_1_0)
        return "ops (its size field is smaller than the 1.0 vtable)";
    if (ops->create == NULL)
        return "ops->create";
    if (ops->destroy == NULL)
        return "ops->destroy";
    if (ops->supports == NULL)
        return "ops->supports";
    if (ops->submit == NULL)
        return "ops->submit";
    if (ops->cancel == NULL)
        return "ops->cancel";
    if (ops->wait == NULL)
        return "ops->wait";
    if (ops->notify == NULL)
        return "ops->notify";
    return NULL;
}

/*
 * Every check on the descriptor, in the documented order. @same is the
 * loaded module this handle already belongs to (then a name clash with
 * it is no clash), or NULL.
 */
static int
check_desc(void *dso, const char *path, const char *name, cio__module *same,
           const cio_backend_module **out, cio__module_info *info, char *why,
           size_t whylen)
{
    char symbol[160];
    const cio_backend_module *d;
    const char *member;
    cio__module *m;

    snprintf(symbol, sizeof(symbol), CIO_BACKEND_SYMBOL_PREFIX "%s", name);
    d = cio__dso_sym(dso, symbol);
    if (d == NULL)
        return why_fail(why, whylen, CIO_ENOEXEC,
                        "%s: no symbol %s; not a compio module, or it was "
                        "built for another name (the file must be called "
                        "cio_<name>%s after its CIO_BACKEND_MODULE(name))",
                        path, symbol, cio__dso_suffix);
    if (d->magic != CIO_MODULE_MAGIC)
        return why_fail(why, whylen, CIO_EBADMSG,
                        "%s: bad magic 0x%08x in %s; not a compio module or "
                        "built for a different compio",
                        path, (unsigned)d->magic, symbol);
    fill_info(d, info);
    if (d->abi_major != CIO_MODULE_ABI_MAJOR)
        return why_fail(why, whylen, CIO_EPROTONOSUPPORT,
                        "%s: built for module ABI %u.%u, this compio speaks "
                        "%u.%u; rebuild the module against this compio",
                        path, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                        CIO_MODULE_ABI_MAJOR, CIO_MODULE_ABI_MINOR);
    if (d->abi_minor > CIO_MODULE_ABI_MINOR)
        return why_fail(why, whylen, CIO_EPROTO,
                        "%s: built for module ABI %u.%u, newer than this "
                        "compio's %u.%u; rebuild the module against this "
                        "compio or upgrade compio",
                        path, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                        CIO_MODULE_ABI_MAJOR, CIO_MODULE_ABI_MINOR);
    if (d->struct_size < MODULE_SIZE_1_0)
        return why_fail(why, whylen, CIO_EMSGSIZE,
                        "%s: descriptor is %u bytes, smaller than the %u of "
                        "ABI 1.0; the module is corrupt or was built with "
                        "a broken header, rebuild it",
                        path, (unsigned)d->struct_size,
                        (unsigned)MODULE_SIZE_1_0);
    if (d->op_priv_size > CIO_OP_PRIV_MAX)
        return why_fail(why, whylen, CIO_E2BIG,
                        "%s: needs %u bytes of per-op storage, more than "
                        "the %u compio reserves (CIO_OP_PRIV_MAX); the "
                        "module must shrink its per-op state",
                        path, (unsigned)d->op_priv_size,
                        (unsigned)CIO_OP_PRIV_MAX);
    if (d->name == NULL || strcmp(d->name, name) != 0)
        return why_fail(why, whylen, CIO_ENXIO,
                        "%s: the module calls itself '%s', not '%s'; rename "
                        "the file to cio_%s%s or fix the module's name",
                        path, d->name != NULL ? d->name : "(null)", name,
                        d->name != NULL ? d->name : "<name>", cio__dso_suffix);
    for (m = loaded; m != NULL; m = m->next)
        if (m != same && strcmp(m->desc->name, name) == 0)
            return why_fail(why, whylen, CIO_EEXIST,
                            "%s: a different module named '%s' is already "
                            "loaded from %s; remove one of the two or close "
                            "the drivers using it first",
                            path, name, m->path);
    member = missing_member(d);
    if (member != NULL)
        return why_fail(why, whylen, CIO_EFAULT,
                        "%s: required member %s is NULL; the module is "
                        "incomplete, fix it",
                        path, member);
    if ((d->caps & REQUIRED_CAPS) != REQUIRED_CAPS)
        return why_fail(why, whylen, CIO_ENOTSUP,
                        "%s: does not declare CIO_CAP_NOTIFY (a thread-safe "
                        "notify), which every backend must provide; fix the "
                        "module",
                        path);
    *out = d;
    return 0;
}

static int
probe(const cio_backend_module *d, const char *path, const char *name,
      const cio_config *cfg, char *why, size_t whylen)
{
    cio_host host;
    int rc;

    cio__host_init(&host, NULL, cfg, name);
    host.reason[0] = '\0';
    rc = d->probe(&cio__host_api, &host);
    if (rc < 0)
        return why_fail(why, whylen, rc, "%s: probe failed: %s (%s)", path,
                        host.reason[0] != '\0' ? host.reason : cio_strerror(rc),
                        cio_errname(rc));
    snprintf(why, whylen, "%s: usable%s%s", path,
             host.reason[0] != '\0' ? "; " : "", host.reason);
    return 0;
}

static int
try_locked(const char *path, const char *name, const cio_config *cfg,
           cio__module **out, cio__module_info *info, char *why, size_t whylen)
{
    const cio_backend_module *d = NULL;
    cio__module *m, *same = NULL;
    char err[CIO__REASON_MAX];
    void *dso = NULL;
    int rc;

    /* Callers resolve names on the search path; this is the backstop. */
    if (!cio__path_is_absolute(path))
        return why_fail(why, whylen, CIO_EINVAL,
                        "%s: relative module path refused (the current "
                        "directory is never searched); give an absolute "
                        "path",
                        path);
    for (m = loaded; m != NULL && same == NULL; m = m->next)
        if (strcmp(m->path, path) == 0)
            same = m;
    if (same == NULL) {
        if (!cio__dso_exists(path))
            return why_fail(why, whylen, CIO_ENOENT,
                            "%s: no such file; check the path or install "
                            "the module",
                            path);
        /* Before dlopen, which already runs the module's constructors. */
        rc = cio__dso_trusted(path, why, whylen);
        if (rc < 0)
            return rc;
        rc = cio__dso_open(path, &dso, err, sizeof(err));
        if (rc < 0)
            return why_fail(why, whylen, rc,
                            "%s: cannot load: %s; reinstall the module or "
                            "rebuild it for this system",
                            path, err);
        /* Another path to a file already loaded (a symlink): share it. */
        for (m = loaded; m != NULL && same == NULL; m = m->next)
            if (m->dso == dso)
                same = m;
        if (same != NULL)
            cio__dso_close(dso);
    }
    if (same != NULL)
        dso = same->dso;
    rc = check_desc(dso, path, name, same, &d, info, why, whylen);
    if (rc == 0)
        rc = probe(d, path, name, cfg, why, whylen);
    if (rc < 0) {
        if (same == NULL)
            cio__dso_close(dso);
        return rc;
    }
    if (same != NULL) {
        same->refs++;
        *out = same;
        return 0;
    }
    m = calloc(1, sizeof(*m));
    if (m != NULL)
        m->path = malloc(strlen(path) + 1);
    if (m == NULL || m->path == NULL) {
        free(m);
        cio__dso_close(dso);
        return why_fail(why, whylen, CIO_ENOMEM, "%s: out of memory", path);
    }
    strcpy(m->path, path);
    m->desc = d;
    m->dso = dso;
    m->refs = 1;
    m->next = loaded;
    loaded = m;
    *out = m;
    return 0;
}

int
cio__loader_try(const char *path, const char *name, const cio_config *cfg,
                cio__module **out, cio__module_info *info, char *why,
                size_t whylen)
{
    int rc;

    if (info != NULL)
        memset(info, 0, sizeof(*info));
    *out = NULL;
    loader_lock_take();
    rc = try_locked(path, name, cfg, out, info, why, whylen);
    pthread_mutex_unlock(&loader_lock);
    return rc;
}

void
cio__loader_release(cio__module *mod)
{
    cio__module **pp;

    if (mod == NULL)
        return;
    loader_lock_take();
    if (--mod->refs == 0) {
        for (pp = &loaded; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == mod) {
                *pp = mod->next;
                break;
            }
        }
        cio__dso_close(mod->dso);
        free(mod->path);
        free(mod);
    }
    pthread_mutex_unlock(&loader_lock);
}

int
cio__loader_acquire(const cio_config *cfg, cio__module **out)
{
    cio_config *own = NULL;
    cio__selection sel;
    cio__search sp;
    int rc;

    cio__clear_detail();
    *out = NULL;
    if (cfg == NULL) {
        rc = cio__config_default(&own);
        if (rc < 0)
            return rc;
        cfg = own;
    }
    rc = cio__search_build(cfg, &sp);
    if (rc == 0) {
        rc = cio__loader_select(cfg, &sp, 0, &sel);
        if (rc == 0) {
            *out = sel.mod;
            sel.mod = NULL;
        } else if (sel.detail != NULL) {
            cio__set_detail("%s", sel.detail);
        }
        cio__selection_free(&sel);
        cio__search_free(&sp);
    }
    cio_config_free(own);
    return rc;
}

int
cio__loader_open(const cio_config *cfg, const char *caller,
                 const char *name_or_path, cio__module **out, char *why,
                 size_t whylen)
{
    char name[128];
    char *path = NULL;
    cio__search sp;
    int rc;

    *out = NULL;
    if (name_or_path == NULL || *name_or_path == '\0')
        return why_fail(why, whylen, CIO_EINVAL,
                        "no module named; give a module name or an "
                        "absolute path to cio_<name>%s",
                        cio__dso_suffix);
    if (cio__path_is_absolute(name_or_path)) {
        if (cio__path_module_name(name_or_path, name, sizeof(name)) < 0)
            return why_fail(why, whylen, CIO_EINVAL,
                            "%s: not a module file name; expected "
                            "cio_<name>%s",
                            name_or_path, cio__dso_suffix);
    } else if (strlen(name_or_path) >= sizeof(name) ||
               !cio__name_valid(name_or_path, strlen(name_or_path))) {
        return why_fail(why, whylen, CIO_EINVAL,
                        "'%s' is neither a module name ([a-z0-9_]+) nor "
                        "an absolute path",
                        name_or_path);
    } else {
        snprintf(name, sizeof(name), "%s", name_or_path);
    }
    if (caller != NULL && strcmp(name, caller) == 0)
        return why_fail(why, whylen, CIO_ELOOP,
                        "module '%s' cannot wrap itself; name another "
                        "module as its inner one",
                        name);
    loader_lock_take();
    if (nest >= CIO_MODULE_WRAP_MAX) {
        rc = why_fail(why, whylen, CIO_ELOOP,
                      "'%s': modules wrapping modules nest deeper than %d; "
                      "is there a cycle (a wraps b wraps a)?",
                      name, CIO_MODULE_WRAP_MAX);
        goto out;
    }
    nest++;
    if (cio__path_is_absolute(name_or_path)) {
        rc = try_locked(name_or_path, name, cfg, out, NULL, why, whylen);
    } else {
        rc = cio__search_build(cfg, &sp);
        if (rc == 0) {
            rc = cio__search_find(&sp, name, &path, why, whylen);
            if (rc == 0)
                rc = try_locked(path, name, cfg, out, NULL, why, whylen);
            free(path);
            cio__search_free(&sp);
        }
    }
    nest--;
out:
    pthread_mutex_unlock(&loader_lock);
    return rc;
}
