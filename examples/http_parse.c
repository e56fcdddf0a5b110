/* SPDX-License-Identifier: MIT */
/*
 * http_parse.c - the request-head parser and path normaliser of
 * examples/http-server (see http_parse.h). Written for hostile input:
 * every byte is checked against the grammar of RFC 9110/9112, every
 * index against @len, and nothing is copied except by the normaliser
 * into a buffer whose size it is given.
 */
#include "http_parse.h"

#include <limits.h>
#include <string.h>

/* tchar of RFC 9110 5.6.2: the bytes of a token (methods, field names). */
static int
is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar, SP or HTAB: what a field value may hold. */
static int
is_value_char(unsigned char c)
{
    return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Non-zero when @s equals the NUL-terminated @lit, ignoring case. */
static int
str_ieq(http_str s, const char *lit)
{
    size_t i, n = strlen(lit);

    if (s.len != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

static int
str_eq(http_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static http_method
classify(http_str m)
{
    static const struct {
        const char *name;
        http_method method;
    } known[] = {
        {"GET", HTTP_GET},         {"HEAD", HTTP_HEAD},
        {"POST", HTTP_POST},       {"PUT", HTTP_PUT},
        {"DELETE", HTTP_DELETE},   {"OPTIONS", HTTP_OPTIONS},
        {"PATCH", HTTP_PATCH},     {"TRACE", HTTP_TRACE},
        {"CONNECT", HTTP_CONNECT},
    };
    size_t i;

    for (i = 0; i < sizeof known / sizeof known[0]; i++)
        if (str_eq(m, known[i].name))
            return known[i].method;
    return HTTP_OTHER;
}

/*
 * The line end at @buf[*i]: 1 and *i past it for CRLF or LF, 0 when more
 * bytes are needed, -1 when this is not a line end (a lone CR is -1 too).
 */
static int
line_end(const char *buf, size_t len, size_t *i)
{
    if (*i >= len)
        return 0;
    if (buf[*i] == '\n') {
        (*i)++;
        return 1;
    }
    if (buf[*i] != '\r')
        return -1;
    if (*i + 1 >= len)
        return 0;
    if (buf[*i + 1] != '\n')
        return -1;
    *i += 2;
    return 1;
}

/*
 * Split the request-target into path and query. 0, or -400 for a form
 * we do not accept.
 */
static int
split_target(http_request *req)
{
    const char *t = req->target.p, *end = t + req->target.len, *p, *q;
    size_t i;

    for (i = 0; i < req->target.len; i++)
        if (t[i] == '#')
            return -400; /* A fragment is never sent. */
    if (t[0] == '/') {
        p = t;
    } else if (req->target.len == 1 && t[0] == '*') {
        req->path = req->target;
        req->query.p = end;
        req->query.len = 0;
        return 0;
    } else if (req->method == HTTP_CONNECT) {
        req->path.p = t;
        req->path.len = 0;
        req->query.p = end;
        req->query.len = 0;
        return 0;
    } else {
        /* absolute-form: scheme "://" authority [path] ["?" query]. */
        static const char *const schemes[] = {"http://", "https://"};
        size_t s, n = 0;

        for (s = 0; s < 2 && n == 0; s++) {
            http_str pre = {t, strlen(schemes[s])};
            if (pre.len <= req->target.len && str_ieq(pre, schemes[s]))
                n = pre.len;
        }
        if (n == 0)
            return -400;
        p = t + n;
        if (p == end || *p == '/' || *p == '?')
            return -400; /* Empty authority. */
        while (p < end && *p != '/' && *p != '?')
            p++;
    }
    q = memchr(p, '?', req->target.len - (size_t)(p - t));
    if (q == NULL)
        q = end;
    if (q == p) {
        /* "http://host" or "http://host?x": the path is "/". */
        req->path.p = "/";
        req->path.len = 1;
    } else {
        req->path.p = p;
        req->path.len = (size_t)(q - p);
    }
    req->query.p = q < end ? q + 1 : end;
    req->query.len = q < end ? (size_t)(end - q - 1) : 0;
    return 0;
}

/* Content-Length: 1*DIGIT, at most 2^62. The value, or -1. */
static int64_t
parse_length(http_str v)
{
    int64_t n = 0;
    size_t i;

    if (v.len == 0)
        return -1;
    for (i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        if (n > (INT64_C(1) << 62) / 10)
            return -1;
        n = n * 10 + (v.p[i] - '0');
    }
    return n;
}

/*
 * Walk a comma-separated list of tokens in @v and call back on each
 * trimmed, non-empty element: for Connection and Transfer-Encoding.
 */
static void
list_each(http_str v, void (*fn)(http_str item, void *arg), void *arg)
{
    size_t i = 0, start, end;

    while (i < v.len) {
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
            i++;
        start = i;
        while (i < v.len && v.p[i] != ',')
            i++;
        end = i;
        while (end > start && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t'))
            end--;
        if (end > start) {
            http_str item = {v.p + start, end - start};
            fn(item, arg);
        }
    }
}

/* What Connection says: bit 1 close, bit 2 keep-alive. */
static void
connection_item(http_str item, void *arg)
{
    int *flags = arg;

    if (str_ieq(item, "close"))
        *flags |= 1;
    else if (str_ieq(item, "keep-alive"))
        *flags |= 2;
}

/* Transfer-Encoding: remember whether the last coding is chunked. */
static void
coding_item(http_str item, void *arg)
{
    int *chunked = arg;

    *chunked = str_ieq(item, "chunked");
}

int
http_parse_request(const char *buf, size_t len, http_request *req)
{
    size_t i = 0, start;
    int r, conn = 0, hosts = 0, te = 0;

    if (buf == NULL || req == NULL)
        return -400;
    if (len > (size_t)INT_MAX)
        len = (size_t)INT_MAX; /* The return is an int. */
    memset(req, 0, sizeof *req);
    req->content_length = -1;

    /* Empty lines before the request line are ignored (RFC 9112 2.2). */
    while ((r = line_end(buf, len, &i)) == 1)
        ;
    if (r == 0)
        return 0;

    /* method SP */
    start = i;
    while (i < len && is_tchar((unsigned char)buf[i]))
        i++;
    if (i == len)
        return 0;
    if (i == start || buf[i] != ' ')
        return -400;
    req->method_name.p = buf + start;
    req->method_name.len = i - start;
    req->method = classify(req->method_name);
    i++;

    /* request-target SP: visible ASCII only. */
    start = i;
    while (i < len && (unsigned char)buf[i] > 0x20 &&
           (unsigned char)buf[i] < 0x7f)
        i++;
    if (i == len)
        return 0;
    if (i == start || buf[i] != ' ')
        return -400;
    req->target.p = buf + start;
    req->target.len = i - start;
    i++;

    /* HTTP-version: "HTTP/" DIGIT "." DIGIT, then the line end. */
    {
        static const char proto[] = "HTTP/#.#";
        size_t k;

        for (k = 0; k < 8; k++, i++) {
            if (i == len)
                return 0;
            if (proto[k] == '#' ? buf[i] < '0' || buf[i] > '9'
                                : buf[i] != proto[k])
                return -400;
        }
        if (buf[i - 3] != '1')
            return -505;
        req->minor = buf[i - 1] == '0' ? 0 : 1;
        if ((r = line_end(buf, len, &i)) <= 0)
            return r < 0 ? -400 : 0;
    }
    if (split_target(req) < 0)
        return -400;

    /* Header fields, up to the empty line. */
    for (;;) {
        http_header h;
        size_t vstart, vend;

        if ((r = line_end(buf, len, &i)) == 1)
            break;
        if (r == 0)
            return 0;
        /* A field line starting with blanks is obsolete folding. */
        start = i;
        while (i < len && is_tchar((unsigned char)buf[i]))
            i++;
        if (i == len)
            return 0;
        if (i == start || buf[i] != ':')
            return -400;
        h.name.p = buf + start;
        h.name.len = i - start;
        i++;
        while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        vstart = i;
        while (i < len && is_value_char((unsigned char)buf[i]))
            i++;
        if (i == len)
            return 0;
        vend = i;
        if ((r = line_end(buf, len, &i)) <= 0)
            return r < 0 ? -400 : 0;
        while (vend > vstart && (buf[vend - 1] == ' ' || buf[vend - 1] == '\t'))
            vend--;
        h.value.p = buf + vstart;
        h.value.len = vend - vstart;
        if (req->nheaders == HTTP_MAX_HEADERS)
            return -431;
        req->headers[req->nheaders++] = h;

        if (str_ieq(h.name, "content-length")) {
            int64_t n = parse_length(h.value);
            if (n < 0 || (req->content_length >= 0 && req->content_length != n))
                return -400;
            req->content_length = n;
        } else if (str_ieq(h.name, "transfer-encoding")) {
            te = 1;
            list_each(h.value, coding_item, &req->chunked);
        } else if (str_ieq(h.name, "connection")) {
            list_each(h.value, connection_item, &conn);
        } else if (str_ieq(h.name, "host")) {
            hosts++;
            req->host = h.value;
        }
    }

    /* Rules that need the whole head (RFC 9112 3.2, 6.1, 6.3). */
    if (te && (req->content_length >= 0 || !req->chunked))
        return -400;
    if (hosts > 1 || (req->minor == 1 && hosts == 0))
        return -400;
    if (req->host.p == NULL)
        req->host.p = buf + i;
    if (conn & 1)
        req->keep_alive = 0;
    else
        req->keep_alive = req->minor >= 1 || (conn & 2);
    return (int)i;
}

const http_str *
http_find_header(const http_request *req, const char *name)
{
    unsigned i;

    for (i = 0; i < req->nheaders; i++)
        if (str_ieq(req->headers[i].name, name))
            return &req->headers[i].value;
    return NULL;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int
http_path_normalize(const char *path, size_t len, char *out, size_t cap,
                    int *dir)
{
    size_t i = 0, o = 0, seg;
    int last_dir = 0;

    if (dir != NULL)
        *dir = 0;
    if (path == NULL || out == NULL || cap == 0)
        return -400;
    out[0] = '\0';
    if (len == 0 || path[0] != '/')
        return -400;
    while (i < len) {
        /* At a '/': skip it (and any run of them), then one segment. */
        while (i < len && path[i] == '/')
            i++;
        last_dir = 1;
        if (i == len)
            break;
        seg = o;
        if (o > 0) {
            if (o + 1 >= cap)
                return -414;
            out[o++] = '/';
            seg = o;
        }
        while (i < len && path[i] != '/') {
            int c = (unsigned char)path[i];
            if (c == '%') {
                int hi, lo;
                if (len - i < 3)
                    return -400;
                hi = hexval((unsigned char)path[i + 1]);
                lo = hexval((unsigned char)path[i + 2]);
                if (hi < 0 || lo < 0)
                    return -400;
                c = hi * 16 + lo;
                i += 3;
            } else {
                i++;
            }
            if (c == 0)
                return -400;
            if (o + 1 >= cap)
                return -414;
            out[o++] = (char)c;
        }
        /* Now out[seg, o) is the decoded segment. */
        last_dir = 0;
        if (o - seg == 1 && out[seg] == '.') {
            o = seg > 0 ? seg - 1 : 0;
            last_dir = 1;
        } else if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.') {
            if (seg == 0)
                return -403;
            /* Drop this segment, its '/', and the segment before. */
            o = seg - 1;
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            last_dir = 1;
        } else {
            /* A decoded '/' ("%2F") would split a segment: refuse it. */
            if (memchr(out + seg, '/', o - seg) != NULL)
                return -400;
        }
    }
    out[o] = '\0';
    if (dir != NULL)
        *dir = last_dir;
    return (int)o;
}

const char *
http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
