/* SPDX-License-Identifier: MIT */
/*
 * cio_net_addr.c - cio_sockaddr: parse, build, format, compare. Pure
 * functions, no runtime needed and no DNS.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_net_internal.h"

#ifdef _WIN32
#include <netioapi.h> /* if_nametoindex, from iphlpapi. */
#else
#include <arpa/inet.h>
#include <net/if.h>
#endif

/* Bytes before sun_path, and the most a path may hold (with its NUL). */
#define UN_OFF offsetof(struct sockaddr_un, sun_path)
#define UN_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

static void
clear(cio_sockaddr *a)
{
    memset(a, 0, sizeof *a);
}

/* "0".."65535", digits only. 0 or CIO_EINVAL. */
static int
parse_port(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    size_t i;

    if (s[0] == '\0')
        return CIO_EINVAL;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 5)
            return CIO_EINVAL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return CIO_EINVAL;
    *out = (uint16_t)v;
    return 0;
}

/* A scope: an interface index (digits) or name. 0, CIO_EINVAL, ENXIO. */
static int
parse_scope(const char *s, uint32_t *out)
{
    unsigned long v = 0;
    unsigned idx;
    size_t i;

    if (s[0] == '\0')
        return CIO_EINVAL;
    if (s[0] >= '0' && s[0] <= '9') {
        for (i = 0; s[i] != '\0'; i++) {
            if (s[i] < '0' || s[i] > '9' || i >= 10)
                return CIO_EINVAL;
            v = v * 10 + (unsigned long)(s[i] - '0');
        }
        if (v > UINT32_MAX)
            return CIO_EINVAL;
        *out = (uint32_t)v;
        return 0;
    }
    if (strlen(s) >= IF_NAMESIZE)
        return CIO_ENXIO;
    idx = if_nametoindex(s);
    if (idx == 0)
        return CIO_ENXIO;
    *out = idx;
    return 0;
}

/* IPv6 text with an optional "%scope", @n bytes of @s. */
static int
parse_ip6(cio_sockaddr *a, const char *s, size_t n, uint16_t port)
{
    char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    uint32_t scope = 0;
    char *pct;
    int r;

    if (n == 0 || n >= sizeof buf)
        return CIO_EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    pct = strchr(buf, '%');
    if (pct != NULL) {
        *pct = '\0';
        r = parse_scope(pct + 1, &scope);
        if (r < 0)
            return r;
    }
    clear(a);
    if (inet_pton(AF_INET6, buf, &a->u.in6.sin6_addr) != 1) {
        clear(a);
        return CIO_EINVAL;
    }
    a->u.in6.sin6_family = AF_INET6;
    a->u.in6.sin6_port = htons(port);
    a->u.in6.sin6_scope_id = scope;
    a->len = sizeof(struct sockaddr_in6);
    return 0;
}

static int
parse_ip4(cio_sockaddr *a, const char *s, size_t n, uint16_t port)
{
    char buf[INET_ADDRSTRLEN];

    if (n == 0 || n >= sizeof buf)
        return CIO_EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    clear(a);
    if (inet_pton(AF_INET, buf, &a->u.in4.sin_addr) != 1) {
        clear(a);
        return CIO_EINVAL;
    }
    a->u.in4.sin_family = AF_INET;
    a->u.in4.sin_port = htons(port);
    a->len = sizeof(struct sockaddr_in);
    return 0;
}

int
cio_sockaddr_ip(cio_sockaddr *a, const char *ip, uint16_t port)
{
    if (a == NULL)
        return CIO_EINVAL;
    clear(a);
    if (ip == NULL)
        return CIO_EINVAL;
    if (strchr(ip, ':') != NULL)
        return parse_ip6(a, ip, strlen(ip), port);
    return parse_ip4(a, ip, strlen(ip), port);
}

int
cio_sockaddr_abstract(cio_sockaddr *a, const void *name, size_t len)
{
    if (a == NULL)
        return CIO_EINVAL;
    clear(a);
#ifdef __linux__
    if (name == NULL || len == 0)
        return CIO_EINVAL;
    if (len + 1 > UN_MAX)
        return CIO_ENAMETOOLONG;
    a->u.un.sun_family = AF_UNIX;
    memcpy(a->u.un.sun_path + 1, name, len);
    a->len = (uint32_t)(UN_OFF + 1 + len);
    return 0;
#else
    return CIO_ENOTSUP;
#endif
}

int
cio_sockaddr_unix(cio_sockaddr *a, const char *path)
{
    size_t n;

    if (a == NULL)
        return CIO_EINVAL;
    clear(a);
    if (path == NULL || path[0] == '\0')
        return CIO_EINVAL;
    if (path[0] == '@')
        return cio_sockaddr_abstract(a, path + 1, strlen(path + 1));
    n = strlen(path);
    if (n + 1 > UN_MAX)
        return CIO_ENAMETOOLONG;
    a->u.un.sun_family = AF_UNIX;
    memcpy(a->u.un.sun_path, path, n);
    /* The kernel's own form: the path and its NUL. */
    a->len = (uint32_t)(UN_OFF + n + 1);
    return 0;
}

int
cio_sockaddr_parse(cio_sockaddr *a, const char *s)
{
    const char *colon, *close;
    uint16_t port;
    int r;

    if (a == NULL)
        return CIO_EINVAL;
    clear(a);
    if (s == NULL || s[0] == '\0')
        return CIO_EINVAL;
    if (s[0] == '/' || s[0] == '.' || s[0] == '@')
        return cio_sockaddr_unix(a, s);
    if (s[0] == '[') {
        close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return CIO_EINVAL;
        r = parse_port(close + 2, &port);
        if (r < 0)
            return r;
        return parse_ip6(a, s + 1, (size_t)(close - (s + 1)), port);
    }
    colon = strrchr(s, ':');
    if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
        return CIO_EINVAL; /* No port, or IPv6 without brackets. */
    r = parse_port(colon + 1, &port);
    if (r < 0)
        return r;
    return parse_ip4(a, s, (size_t)(colon - s), port);
}

int
cio_sockaddr_any(cio_sockaddr *a, int family, uint16_t port)
{
    if (a == NULL)
        return CIO_EINVAL;
    clear(a);
    switch (family) {
    case AF_INET:
        a->u.in4.sin_family = AF_INET;
        a->u.in4.sin_addr.s_addr = htonl(INADDR_ANY);
        a->u.in4.sin_port = htons(port);
        a->len = sizeof(struct sockaddr_in);
        return 0;
    case AF_INET6:
        a->u.in6.sin6_family = AF_INET6;
        a->u.in6.sin6_addr = in6addr_any;
        a->u.in6.sin6_port = htons(port);
        a->len = sizeof(struct sockaddr_in6);
        return 0;
    default:
        return CIO_EAFNOSUPPORT;
    }
}

int
cio_sockaddr_loopback(cio_sockaddr *a, int family, uint16_t port)
{
    int r = cio_sockaddr_any(a, family, port);

    if (r < 0)
        return r;
    if (family == AF_INET)
        a->u.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
        a->u.in6.sin6_addr = in6addr_loopback;
    return 0;
}

void
cio__net_fix_len(cio_sockaddr *a, size_t len)
{
    if (len > sizeof a->u)
        len = sizeof a->u;
    a->len = (uint32_t)len;
    if (len < sizeof(a->u.sa.sa_family)) {
        /* Nothing (an unbound Unix sender): the empty address. */
        clear(a);
    }
}

int
cio_sockaddr_from(cio_sockaddr *a, const struct sockaddr *sa, size_t len)
{
    if (a == NULL)
        return CIO_EINVAL;
    clear(a);
    if (sa == NULL || len > sizeof a->u)
        return CIO_EINVAL;
    if (len < sizeof(a->u.sa.sa_family))
        return CIO_EAFNOSUPPORT;
    switch (sa->sa_family) {
    case AF_INET:
        if (len < sizeof(struct sockaddr_in))
            return CIO_EAFNOSUPPORT;
        len = sizeof(struct sockaddr_in);
        break;
    case AF_INET6:
        if (len < sizeof(struct sockaddr_in6))
            return CIO_EAFNOSUPPORT;
        len = sizeof(struct sockaddr_in6);
        break;
    case AF_UNIX:
        break;
    default:
        return CIO_EAFNOSUPPORT;
    }
    memcpy(&a->u, sa, len);
    a->len = (uint32_t)len;
    return 0;
}

int
cio_sockaddr_family(const cio_sockaddr *a)
{
    if (a == NULL || a->len < sizeof(a->u.sa.sa_family))
        return 0;
    return a->u.sa.sa_family;
}

int
cio_sockaddr_port(const cio_sockaddr *a)
{
    switch (cio_sockaddr_family(a)) {
    case AF_INET:
        return ntohs(a->u.in4.sin_port);
    case AF_INET6:
        return ntohs(a->u.in6.sin6_port);
    default:
        return CIO_EAFNOSUPPORT;
    }
}

int
cio_sockaddr_set_port(cio_sockaddr *a, uint16_t port)
{
    switch (cio_sockaddr_family(a)) {
    case AF_INET:
        a->u.in4.sin_port = htons(port);
        return 0;
    case AF_INET6:
        a->u.in6.sin6_port = htons(port);
        return 0;
    default:
        return CIO_EAFNOSUPPORT;
    }
}

/*
 * A Unix address's name: *@abstract set for an abstract one, whose name
 * is the @n bytes after the leading NUL; else the path of @n bytes (up
 * to its NUL). @n 0: unnamed.
 */
static const char *
unix_name(const cio_sockaddr *a, size_t *n, int *abstract)
{
    const char *p = a->u.un.sun_path;
    size_t avail = a->len > UN_OFF ? a->len - UN_OFF : 0;

    if (avail > UN_MAX)
        avail = UN_MAX;
    *abstract = 0;
    if (avail == 0) {
        *n = 0;
        return p;
    }
    if (p[0] == '\0') {
#ifdef __linux__
        if (avail > 1) {
            *abstract = 1;
            *n = avail - 1;
            return p + 1;
        }
#endif
        *n = 0;
        return p;
    }
    *n = strnlen(p, avail);
    return p;
}

int
cio_sockaddr_equal(const cio_sockaddr *a, const cio_sockaddr *b)
{
    int fa = cio_sockaddr_family(a), fb = cio_sockaddr_family(b);

    if (fa != fb)
        return 0;
    switch (fa) {
    case AF_INET:
        return a->u.in4.sin_port == b->u.in4.sin_port &&
               a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
    case AF_INET6:
        return a->u.in6.sin6_port == b->u.in6.sin6_port &&
               a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id &&
               memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr,
                      sizeof a->u.in6.sin6_addr) == 0;
    case AF_UNIX: {
        size_t na, nb;
        int aa, ab;
        const char *pa = unix_name(a, &na, &aa);
        const char *pb = unix_name(b, &nb, &ab);
        return aa == ab && na == nb && memcmp(pa, pb, na) == 0;
    }
    default:
        /* Two empty addresses are equal. */
        return a != NULL && b != NULL;
    }
}

int
cio_sockaddr_format(const cio_sockaddr *a, char *buf, size_t size)
{
    char tmp[CIO_SOCKADDR_STRLEN];
    char ip[INET6_ADDRSTRLEN];
    int n;

    if (buf == NULL || size == 0)
        return CIO_EINVAL;
    buf[0] = '\0';
    switch (cio_sockaddr_family(a)) {
    case AF_INET:
        if (inet_ntop(AF_INET, &a->u.in4.sin_addr, ip, sizeof ip) == NULL)
            return CIO_EAFNOSUPPORT;
        n = snprintf(tmp, sizeof tmp, "%s:%u", ip,
                     (unsigned)ntohs(a->u.in4.sin_port));
        break;
    case AF_INET6:
        if (inet_ntop(AF_INET6, &a->u.in6.sin6_addr, ip, sizeof ip) == NULL)
            return CIO_EAFNOSUPPORT;
        if (a->u.in6.sin6_scope_id != 0)
            n = snprintf(tmp, sizeof tmp, "[%s%%%lu]:%u", ip,
                         (unsigned long)a->u.in6.sin6_scope_id,
                         (unsigned)ntohs(a->u.in6.sin6_port));
        else
            n = snprintf(tmp, sizeof tmp, "[%s]:%u", ip,
                         (unsigned)ntohs(a->u.in6.sin6_port));
        break;
    case AF_UNIX: {
        size_t len, i, o = 0;
        int abstract;
        const char *p = unix_name(a, &len, &abstract);
        if (abstract)
            tmp[o++] = '@';
        for (i = 0; i < len && o + 1 < sizeof tmp; i++)
            tmp[o++] = p[i] == '\0' ? '@' : p[i];
        tmp[o] = '\0';
        n = (int)o;
        break;
    }
    default:
        return CIO_EAFNOSUPPORT;
    }
    if (n < 0)
        return CIO_EINVAL;
    if ((size_t)n >= size)
        return CIO_ENOSPC;
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}
