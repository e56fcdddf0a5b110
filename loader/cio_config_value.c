/* SPDX-License-Identifier: MIT */
/*
 * cio_config_value.c - what each [runtime] key accepts and the one form
 * it is stored in. Messages say what was wrong and what is expected, so
 * the caller only has to add where (file, line, key).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cio_loader_priv.h"

#define STACK_MIN (16ull * 1024)
#define STACK_MAX (1024ull * 1024 * 1024)

static int fail(char *err, size_t errlen, const char *fmt, ...)
    CIO__PRINTF(3, 4);

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CIO_EINVAL;
}

int
cio__config_section_valid(const char *section)
{
    if (strcmp(section, "runtime") == 0)
        return 1;
    return strncmp(section, "module.", 7) == 0 &&
           cio__name_valid(section + 7, strlen(section + 7));
}

/* Decimal digits only: no sign, no spaces, no hex, no overflow. */
static int
parse_decimal(const char *s, size_t n, unsigned long long *out)
{
    unsigned long long v = 0;
    size_t i;

    if (n == 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int
check_number(const char *value, unsigned long long lo, unsigned long long hi,
             char **norm, char *err, size_t errlen)
{
    unsigned long long v;

    if (parse_decimal(value, strlen(value), &v) < 0 || v < lo || v > hi)
        return fail(err, errlen,
                    "bad value '%s'; expected a whole number from %llu to "
                    "%llu",
                    value, lo, hi);
    *norm = malloc(24);
    if (*norm == NULL)
        return CIO_ENOMEM;
    snprintf(*norm, 24, "%llu", v);
    return 0;
}

static int
check_stack_size(const char *value, char **norm, char *err, size_t errlen)
{
    size_t n = strlen(value);
    unsigned long long v, mult = 1;

    if (n > 0) {
        switch (value[n - 1]) {
        case 'k':
        case 'K':
            mult = 1024ull;
            n--;
            break;
        case 'm':
        case 'M':
            mult = 1024ull * 1024;
            n--;
            break;
        case 'g':
        case 'G':
            mult = 1024ull * 1024 * 1024;
            n--;
            break;
        default:
            break;
        }
    }
    if (parse_decimal(value, n, &v) < 0 || v > STACK_MAX / mult ||
        v * mult < STACK_MIN)
        return fail(err, errlen,
                    "bad value '%s'; expected a size from 16k to 1g (bytes, "
                    "or a number with a k, m or g suffix, e.g. 256k)",
                    value);
    *norm = malloc(24);
    if (*norm == NULL)
        return CIO_ENOMEM;
    snprintf(*norm, 24, "%llu", v * mult);
    return 0;
}

static int
check_bool(const char *value, char **norm, char *err, size_t errlen)
{
    static const char *const yes[] = {"yes", "true", "1", "on"};
    static const char *const no[] = {"no", "false", "0", "off"};
    size_t i;

    for (i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
            *norm = malloc(4);
            if (*norm == NULL)
                return CIO_ENOMEM;
            strcpy(*norm, strcasecmp(value, yes[i]) == 0 ? "yes" : "no");
            return 0;
        }
    }
    return fail(err, errlen, "bad value '%s'; expected yes or no", value);
}

/*
 * Colon-separated absolute directories. A relative one would make the
 * loader depend on the working directory, which it never searches.
 */
static int
check_module_path(const char *value, char **norm, char *err, size_t errlen)
{
    const char *p = value;

    if (value[0] == '\0')
        return fail(err, errlen,
                    "empty value; expected absolute directories separated "
                    "by '%c'",
                    CIO__PATH_SEP);
    while (*p != '\0') {
        const char *end = strchr(p, CIO__PATH_SEP);
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n > 0 && !cio__path_is_absolute(p))
            return fail(err, errlen,
                        "relative directory '%.*s' refused; module "
                        "directories must be absolute (e.g. "
                        "/usr/lib/compio/modules)",
                        (int)n, p);
        p += n;
        if (*p == CIO__PATH_SEP)
            p++;
    }
    *norm = malloc(strlen(value) + 1);
    if (*norm == NULL)
        return CIO_ENOMEM;
    strcpy(*norm, value);
    return 0;
}

/* One entry of a backend list: a name or an absolute module path. */
static int
check_backend_item(const char *item, size_t n, int alone, char *err,
                   size_t errlen)
{
    char path[4096], name[128];
    int is_path;

    if (n == 0)
        return fail(err, errlen,
                    "empty entry in the backend list; expected names "
                    "separated by commas, e.g. uring, epoll");
    if (n == 4 && memcmp(item, "auto", 4) == 0) {
        if (alone)
            return 0;
        return fail(err, errlen,
                    "'auto' cannot be part of a list; write backend = auto "
                    "alone, or list the backends to try");
    }
    is_path = memchr(item, '/', n) != NULL || memchr(item, '\\', n) != NULL ||
              (n > strlen(cio__dso_suffix) &&
               memcmp(item + n - strlen(cio__dso_suffix), cio__dso_suffix,
                      strlen(cio__dso_suffix)) == 0);
    if (!is_path) {
        if (cio__name_valid(item, n))
            return 0;
        return fail(err, errlen,
                    "bad backend name '%.*s'; expected auto, a name of a-z, "
                    "0-9 and _ (e.g. epoll), a comma-separated list, or an "
                    "absolute path to a module",
                    (int)n, item);
    }
    if (n >= sizeof(path))
        return fail(err, errlen, "module path too long");
    memcpy(path, item, n);
    path[n] = '\0';
    if (!cio__path_is_absolute(path))
        return fail(err, errlen,
                    "relative module path '%s' refused (the current "
                    "directory is never searched); give an absolute path, "
                    "or just the backend name",
                    path);
    if (cio__path_module_name(path, name, sizeof(name)) < 0)
        return fail(err, errlen,
                    "module path '%s' does not name a module file; expected "
                    "a file called cio_<name>%s",
                    path, cio__dso_suffix);
    return 0;
}

/* auto | name | "a, b" | /abs/cio_x.so; stored as "a,b" without spaces. */
static int
check_backend(const char *value, char **norm, char *err, size_t errlen)
{
    const char *p = value;
    char *out = malloc(strlen(value) + 1), *o = out;
    int alone = strchr(value, ',') == NULL, rc;

    if (out == NULL)
        return CIO_ENOMEM;
    for (;;) {
        const char *end = strchr(p, ','), *s = p, *e;
        e = end != NULL ? end : p + strlen(p);
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        rc = check_backend_item(s, (size_t)(e - s), alone, err, errlen);
        if (rc < 0) {
            free(out);
            return rc;
        }
        if (o != out)
            *o++ = ',';
        memcpy(o, s, (size_t)(e - s));
        o += e - s;
        if (end == NULL)
            break;
        p = end + 1;
    }
    *o = '\0';
    *norm = out;
    return 0;
}

int
cio__config_check(const char *section, const char *key, const char *value,
                  char **norm, char *err, size_t errlen)
{
    *norm = NULL;
    if (key[0] == '\0')
        return fail(err, errlen, "empty key name; write key = value");
    if (strcmp(section, "runtime") != 0) {
        /* Module sections are the module's business: any key, any value. */
        *norm = malloc(strlen(value) + 1);
        if (*norm == NULL)
            return CIO_ENOMEM;
        strcpy(*norm, value);
        return 0;
    }
    if (strcmp(key, "backend") == 0)
        return check_backend(value, norm, err, errlen);
    if (strcmp(key, "fallback") == 0)
        return check_bool(value, norm, err, errlen);
    if (strcmp(key, "module_path") == 0)
        return check_module_path(value, norm, err, errlen);
    if (strcmp(key, "entries") == 0)
        return check_number(value, 1, 65536, norm, err, errlen);
    if (strcmp(key, "threadpool_max") == 0)
        return check_number(value, 1, 4096, norm, err, errlen);
    if (strcmp(key, "stack_size") == 0)
        return check_stack_size(value, norm, err, errlen);
    if (strcmp(key, "stack_cache") == 0)
        return check_number(value, 0, 1048576, norm, err, errlen);
    return fail(err, errlen,
                "unknown key; [runtime] takes backend, fallback, "
                "module_path, entries, threadpool_max, stack_size and "
                "stack_cache");
}
