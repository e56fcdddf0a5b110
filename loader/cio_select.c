/* SPDX-License-Identifier: MIT */
/*
 * cio_select.c - which backend a configuration gets: auto walks the
 * platform's order, a list is tried in its order, a single name falls
 * back to the auto order only when fallback = yes. Every candidate's
 * verdict is recorded, so a failure can say what was tried and why each
 * one was refused.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_loader_priv.h"

#if defined(_WIN32)
const char *const cio__auto_order[] = {"iocp", NULL};
#elif defined(__linux__)
const char *const cio__auto_order[] = {"uring", "epoll", NULL};
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) ||     \
    defined(__OpenBSD__) || defined(__DragonFly__)
const char *const cio__auto_order[] = {"kqueue", NULL};
#else
const char *const cio__auto_order[] = {NULL};
#endif

/* A growing string; on out-of-memory it just stops growing. */
typedef struct strbuf {
    char *s;
    size_t len;
    size_t cap;
} strbuf;

static void sb_printf(strbuf *sb, const char *fmt, ...) CIO__PRINTF(2, 3);

static void
sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (sb->len + (size_t)n + 1 > sb->cap) {
        size_t cap = (sb->len + (size_t)n + 1) * 2;
        char *s = realloc(sb->s, cap);
        if (s == NULL)
            return;
        sb->s = s;
        sb->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

/* One candidate: a name looked up on the path, or an absolute file. */
static int
try_candidate(const char *cand, const cio_config *cfg, const cio__search *sp,
              cio__module **out, char *name, size_t namelen, char *why,
              size_t whylen)
{
    char *path = NULL;
    int rc;

    *out = NULL;
    if (cio__path_is_absolute(cand)) {
        if (cio__path_module_name(cand, name, namelen) < 0) {
            snprintf(name, namelen, "%s", cand);
            snprintf(why, whylen,
                     "%s: not a module file name; expected cio_<name>%s", cand,
                     cio__dso_suffix);
            return CIO_EINVAL;
        }
        return cio__loader_try(cand, name, cfg, out, NULL, why, whylen);
    }
    snprintf(name, namelen, "%s", cand);
    rc = cio__search_find(sp, cand, &path, why, whylen);
    if (rc < 0)
        return rc;
    rc = cio__loader_try(path, cand, cfg, out, NULL, why, whylen);
    free(path);
    return rc;
}

/*
 * For "set backend = X or fallback = yes": the first backend of the auto
 * order, other than @failed, that passes every check right now.
 */
static int
find_alternative(const cio_config *cfg, const cio__search *sp,
                 const char *failed, char *alt, size_t altlen)
{
    char name[128], why[CIO__REASON_MAX];
    cio__module *m;
    size_t i;

    for (i = 0; cio__auto_order[i] != NULL; i++) {
        if (strcmp(cio__auto_order[i], failed) == 0)
            continue;
        if (try_candidate(cio__auto_order[i], cfg, sp, &m, name, sizeof(name),
                          why, sizeof(why)) == 0) {
            cio__loader_release(m);
            snprintf(alt, altlen, "%s", name);
            return 1;
        }
    }
    return 0;
}

/* Splits "a,b,c" (normalised: no blanks) into a NULL-terminated array. */
static char **
split_list(const char *s, size_t *count)
{
    size_t n = 1, i = 0;
    const char *p;
    char **v, *copy;

    for (p = s; *p != '\0'; p++)
        n += *p == ',';
    v = malloc((n + 1) * sizeof(*v) + strlen(s) + 1);
    if (v == NULL)
        return NULL;
    copy = (char *)(v + n + 1);
    strcpy(copy, s);
    v[i++] = copy;
    for (; *copy != '\0'; copy++) {
        if (*copy == ',') {
            *copy = '\0';
            v[i++] = copy + 1;
        }
    }
    v[i] = NULL;
    *count = n;
    return v;
}

int
cio__loader_select(const cio_config *cfg, const cio__search *sp, int quiet,
                   cio__selection *sel)
{
    const char *backend = cio__config_backend(cfg);
    int fallback = cio__config_fallback(cfg);
    char name[128], why[CIO__REASON_MAX], first_why[CIO__REASON_MAX];
    char alt[128];
    const char **cands;
    char **items;
    size_t nitems, ncands = 0, i, j;
    int is_auto = strcmp(backend, "auto") == 0, single, rc;
    int first_rc = 0, decisive = 0;
    strbuf whys = {0}, detail = {0};

    memset(sel, 0, sizeof(*sel));
    items = split_list(backend, &nitems);
    if (items == NULL)
        return sel->status = CIO_ENOMEM;
    single = !is_auto && nitems == 1;
    cands = malloc((nitems + 8) * sizeof(*cands));
    if (cands == NULL) {
        free(items);
        return sel->status = CIO_ENOMEM;
    }
    if (!is_auto)
        for (i = 0; i < nitems; i++)
            cands[ncands++] = items[i];
    if (is_auto || (single && fallback)) {
        for (i = 0; cio__auto_order[i] != NULL; i++) {
            for (j = 0; j < ncands; j++)
                if (strcmp(cands[j], cio__auto_order[i]) == 0)
                    break;
            if (j == ncands)
                cands[ncands++] = cio__auto_order[i];
        }
    }

    rc = CIO_ENOENT;
    for (i = 0; i < ncands; i++) {
        rc = try_candidate(cands[i], cfg, sp, &sel->mod, name, sizeof(name),
                           why, sizeof(why));
        sb_printf(&whys, "%s: %s%s\n", name, rc == 0 ? "chosen; " : "", why);
        if (rc == 0)
            break;
        if (i == 0) {
            first_rc = rc;
            snprintf(first_why, sizeof(first_why), "%s", why);
        }
        /* The most telling failure: a file that exists but is refused. */
        if (decisive == 0 || (decisive == CIO_ENOENT && rc != CIO_ENOENT))
            decisive = rc;
    }
    if (rc == 0 && single && i > 0 && !quiet)
        cio__log(CIO_LOG_WARN,
                 "backend '%s' unavailable (%s); using '%s' instead "
                 "(fallback = yes)",
                 cands[0], first_why, name);

    if (rc != 0) {
        if (ncands == 0) {
            decisive = CIO_ENOENT;
            sb_printf(&detail, "no backend is known for this platform; set "
                               "backend to a module name or path");
        } else if (single && !fallback) {
            decisive = first_rc;
            sb_printf(&detail, "backend '%s' unavailable (%s); ", cands[0],
                      first_why);
            if (find_alternative(cfg, sp, cands[0], alt, sizeof(alt)))
                sb_printf(&detail, "set backend = %s or fallback = yes", alt);
            else
                sb_printf(&detail, "fix or install it (no other backend "
                                   "works here either)");
        } else {
            if (single)
                decisive = first_rc;
            sb_printf(&detail, "no usable backend (backend = %s%s); tried:\n%s",
                      backend, single ? ", fallback = yes" : "",
                      whys.s != NULL ? whys.s : "");
            /* Drop the final newline: the detail is one paragraph. */
            if (detail.len > 0 && detail.s[detail.len - 1] == '\n')
                detail.s[--detail.len] = '\0';
        }
    }
    sel->status = rc == 0 ? 0 : decisive;
    sel->why = whys.s;
    sel->detail = detail.s;
    if (sel->status < 0 && sel->detail == NULL)
        sel->status = CIO_ENOMEM;
    free(cands);
    free(items);
    return sel->status;
}

void
cio__selection_free(cio__selection *sel)
{
    cio__loader_release(sel->mod);
    free(sel->why);
    free(sel->detail);
    memset(sel, 0, sizeof(*sel));
}
