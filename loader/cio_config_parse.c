/* SPDX-License-Identifier: MIT */
/*
 * cio_config_parse.c - compio.ini through inih.
 *
 * inih does the key/value splitting, comments and quoting rules; we feed
 * it through ini_parse_stream with our own line reader, because inih's
 * handler is not told the line number (INI_HANDLER_LINENO is fixed when
 * the library is built) and it truncates long lines silently. The
 * reader counts lines, reads whole lines so that an over-long one is an
 * error instead of two half-lines, checks section headers (inih never
 * reports an empty section) and strips leading blanks, so an indented
 * line is a key of its own and not a continuation of the previous value.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cio_loader_priv.h"

typedef struct parse_ctx {
    cio_config *cfg;  /* the scratch copy being filled */
    cio_config *seen; /* section/key -> line, for duplicates */
    const char *name; /* file name for messages */
    FILE *fp;         /* source: a file ... */
    const char *text; /* ... or a string */
    char *line;       /* the current raw line */
    size_t cap;
    unsigned lineno;
    char section[256]; /* the current section, for messages */
    int err;           /* first error, 0 if none */
} parse_ctx;

static void ctx_fail(parse_ctx *ctx, int err, const char *fmt, ...)
    CIO__PRINTF(3, 4);

/* Keep the first error only; the detail is "FILE:LINE: ...". */
static void
ctx_fail(parse_ctx *ctx, int err, const char *fmt, ...)
{
    char msg[CIO__REASON_MAX];
    va_list ap;

    if (ctx->err != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ctx->err = err;
    cio__set_detail("%s:%u: %s", ctx->name, ctx->lineno, msg);
}

/* One raw line without its end-of-line; 1, 0 at the end, -errno. */
static int
read_line(parse_ctx *ctx, size_t *len)
{
    size_t n = 0;
    int c, any = 0;

    for (;;) {
        if (ctx->fp != NULL) {
            c = getc(ctx->fp);
            if (c == EOF) {
                if (ferror(ctx->fp))
                    return errno != 0 ? -errno : CIO_EIO;
                break;
            }
        } else {
            c = (unsigned char)*ctx->text;
            if (c == '\0')
                break;
            ctx->text++;
        }
        any = 1;
        if (c == '\n')
            break;
        if (n + 2 > ctx->cap) {
            size_t cap = ctx->cap ? ctx->cap * 2 : 256;
            char *l = realloc(ctx->line, cap);
            if (l == NULL)
                return CIO_ENOMEM;
            ctx->line = l;
            ctx->cap = cap;
        }
        ctx->line[n++] = (char)c;
    }
    if (!any)
        return 0;
    if (n > 0 && ctx->line[n - 1] == '\r')
        n--;
    if (ctx->line == NULL) {
        ctx->line = malloc(1);
        if (ctx->line == NULL)
            return CIO_ENOMEM;
        ctx->cap = 1;
    }
    ctx->line[n] = '\0';
    *len = n;
    return 1;
}

/* The key of a "key = value" line, for messages about that line. */
static void
line_key(const char *s, char *key, size_t len)
{
    size_t n = strcspn(s, "=:");

    if (s[n] == '\0' || s[0] == '[')
        n = 0;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= len)
        n = len - 1;
    memcpy(key, s, n);
    key[n] = '\0';
}

/*
 * Checks a line inih would mishandle or not report, and returns 0 when
 * it can be handed over. Blank and comment lines pass untouched.
 */
static int
check_line(parse_ctx *ctx, const char *s, size_t n, int max)
{
    char key[128];
    const char *end;

    line_key(s, key, sizeof(key));
    if (n + 1 > (size_t)max) {
        if (key[0] != '\0')
            ctx_fail(ctx, CIO_EINVAL,
                     "key '%s' in [%s]: line is longer than %d characters; "
                     "shorten the value",
                     key, ctx->section, max - 1);
        else
            ctx_fail(ctx, CIO_EINVAL,
                     "line is longer than %d characters; shorten it", max - 1);
        return -1;
    }
    if (s[0] == '\0' || s[0] == ';' || s[0] == '#')
        return 0;
    if (s[0] == '[') {
        end = strchr(s, ']');
        if (end == NULL) {
            ctx_fail(ctx, CIO_EINVAL,
                     "section header '%s' lacks its closing ']'", s);
            return -1;
        }
        if ((size_t)(end - s - 1) >= sizeof(ctx->section) ||
            (snprintf(ctx->section, sizeof(ctx->section), "%.*s",
                      (int)(end - s - 1), s + 1),
             !cio__config_section_valid(ctx->section))) {
            ctx_fail(ctx, CIO_EINVAL,
                     "bad section [%.*s]; expected [runtime] or "
                     "[module.<name>] with a name of a-z, 0-9 and _",
                     (int)(end - s - 1), s + 1);
            return -1;
        }
        return 0;
    }
    if (strpbrk(s, "=:") == NULL) {
        ctx_fail(ctx, CIO_EINVAL,
                 "'%s' is not a key = value line; write key = value", s);
        return -1;
    }
    return 0;
}

static char *
reader(char *buf, int num, void *arg)
{
    parse_ctx *ctx = arg;
    const char *s;
    size_t n = 0;
    int rc;

    /* Returning NULL ends inih's loop: stop at the first error. */
    if (ctx->err != 0)
        return NULL;
    rc = read_line(ctx, &n);
    if (rc <= 0) {
        if (rc < 0) {
            ctx->lineno++;
            ctx_fail(ctx, rc,
                     "cannot read: %s; check that it is a readable "
                     "file",
                     cio_strerror(rc));
        }
        return NULL;
    }
    ctx->lineno++;
    s = ctx->line;
    /* A UTF-8 byte order mark; the line may be shorter than it. */
    if (ctx->lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3;
    while (*s == ' ' || *s == '\t')
        s++;
    n -= (size_t)(s - ctx->line);
    if (check_line(ctx, s, n, num) < 0)
        return NULL;
    memcpy(buf, s, n + 1);
    return buf;
}

static int
handler(void *arg, const char *section, const char *key, const char *value)
{
    parse_ctx *ctx = arg;
    char err[CIO__REASON_MAX], line[16];
    const char *first;
    char *norm = NULL;
    int rc;

    if (ctx->err != 0)
        return 0;
    if (section[0] == '\0') {
        ctx_fail(ctx, CIO_EINVAL,
                 "key '%s' is outside any section; put it under [runtime] "
                 "or [module.<name>]",
                 key);
        return 0;
    }
    first = cio__config_find(ctx->seen, section, key);
    if (first != NULL) {
        ctx_fail(ctx, CIO_EINVAL,
                 "key '%s' in [%s] is already set on line %s; keep only one",
                 key, section, first);
        return 0;
    }
    rc = cio__config_check(section, key, value, &norm, err, sizeof(err));
    if (rc < 0) {
        ctx_fail(ctx, rc, "key '%s' in [%s]: %s", key, section,
                 rc == CIO_EINVAL ? err : cio_strerror(rc));
        return 0;
    }
    snprintf(line, sizeof(line), "%u", ctx->lineno);
    rc = cio__config_put(ctx->cfg, section, key, norm);
    if (rc == 0)
        rc = cio__config_put(ctx->seen, section, key, line);
    free(norm);
    if (rc < 0) {
        ctx_fail(ctx, rc, "out of memory");
        return 0;
    }
    return 1;
}

int
cio__config_parse(cio_config *cfg, const char *name, FILE *fp, const char *text)
{
    parse_ctx ctx;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.cfg = cfg;
    ctx.name = name;
    ctx.fp = fp;
    ctx.text = text;
    ctx.seen = cio__config_clone(NULL);
    if (ctx.seen == NULL)
        return CIO_ENOMEM;
    errno = 0;
    rc = ini_parse_stream(reader, &ctx, handler, &ctx);
    if (ctx.err == 0 && rc != 0) {
        /*
         * inih found something the reader let through. Its return is
         * the line (or -2 for out of memory).
         */
        if (rc > 0) {
            ctx.lineno = (unsigned)rc;
            ctx_fail(&ctx, CIO_EINVAL,
                     "syntax error; write [section] or "
                     "key = value");
        } else {
            ctx.err = CIO_ENOMEM;
        }
    }
    free(ctx.line);
    cio_config_free(ctx.seen);
    return ctx.err;
}
