/* SPDX-License-Identifier: MIT */
/*
 * cio_dns.c - cio_resolve: getaddrinfo(3) on the blocking pool,
 * cancellable from the caller's view.
 *
 * getaddrinfo cannot be interrupted, and cio_spawn_blocking makes its
 * caller wait it out. Here the lookup belongs to a heap request and a
 * small helper task instead of the caller:
 *
 *   caller                     helper task           pool thread
 *   ------                     -----------           -----------
 *   req (refs 2), spawn ------> BLOCKING op on
 *   park on a wake op           req->op, awaited ---> getaddrinfo, copy
 *                               <-------------------- the result into req
 *   <-- cancel the wake op ---- done = 1, unref
 *   take the list, unref
 *
 * A caller that is cancelled, or whose deadline passes, returns at once
 * (CIO_ECANCELED / CIO_ETIMEDOUT) and drops its reference; the helper
 * still awaits the op, so the op and the request stay owned until the
 * pool is done with them, and the last reference frees the request and
 * any list it holds. Because the helper is a task of the runtime,
 * cio_runtime_free waits for it like for any task: it cancels the
 * helper, whose op is then dropped if the pool had not started it or
 * waited for otherwise, and the request is freed - nothing leaks and
 * nothing is written after the runtime is gone.
 *
 * The caller parks by awaiting a TIMEOUT op of an hour (renewed if it
 * ever expires) that the helper cancels when the result is in: that wait
 * is an ordinary awaited op, so it obeys both cio_cancel and the task's
 * deadline without any code here. All bookkeeping runs on the runtime
 * thread; the pool thread only fills in req->list and the op's result.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <arpa/inet.h>
#include <netdb.h>
#endif

#include "cio_net_internal.h"

/* How long one park of the caller lasts before it is renewed. */
#define RESOLVE_PARK_NS (3600 * CIO_NS_PER_SEC)

typedef struct resolve_req {
    cio_op op; /* BLOCKING; owned by the helper's await. */
    char *host;
    char *service;
    struct addrinfo hints;
    cio_addrinfo *list; /* Written by the pool thread. */
    cio_task *helper;
    cio_op *waiter; /* The caller's wake op while it is parked. */
    int refs;       /* Caller and helper; runtime thread only. */
    int started;    /* The helper ran (so it will drop its reference). */
    int done;       /* The op completed; result is final. */
    int32_t result; /* Entries, or -errno. */
} resolve_req;

/* getaddrinfo's error as a negative errno; see the table in net.h. */
static int
gai_to_errno(int e, int sys_errno)
{
    switch (e) {
    case EAI_NONAME:
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
#ifdef _WIN32
    case -9:
        /*
         * wine passes glibc's EAI_ADDRFAMILY (-9) through for a literal
         * of the other family; Windows itself says WSAHOST_NOT_FOUND.
         */
#endif
        return CIO_ENOENT;
    case EAI_AGAIN:
        return CIO_EAGAIN;
    case EAI_FAIL:
        return CIO_EIO;
    case EAI_SERVICE:
        return CIO_EPROTONOSUPPORT;
    case EAI_FAMILY:
        return CIO_EAFNOSUPPORT;
    case EAI_SOCKTYPE:
        return CIO_EPROTOTYPE;
    case EAI_BADFLAGS:
        return CIO_EINVAL;
    case EAI_MEMORY:
        return CIO_ENOMEM;
#ifdef EAI_SYSTEM
    case EAI_SYSTEM:
        return sys_errno > 0 ? -sys_errno : CIO_EIO;
#endif
    default:
        return CIO_EIO;
    }
}

void
cio_addrinfo_free(cio_addrinfo *list)
{
    /* One block: the entries are an array linked in order. */
    free(list);
}

/*
 * Copy getaddrinfo's list into one block of cio_addrinfo (entries of a
 * family we cannot hold are skipped). Entries, or -errno.
 */
static int
convert(const struct addrinfo *res, cio_addrinfo **out)
{
    const struct addrinfo *ai;
    cio_addrinfo *list, *prev = NULL;
    size_t n = 0, i = 0;

    *out = NULL;
    for (ai = res; ai != NULL; ai = ai->ai_next)
        n++;
    if (n == 0)
        return CIO_ENOENT;
    list = calloc(n, sizeof *list);
    if (list == NULL)
        return CIO_ENOMEM;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        cio_addrinfo *e = &list[i];
        if (ai->ai_addr == NULL ||
            cio_sockaddr_from(&e->addr, ai->ai_addr, ai->ai_addrlen) < 0 ||
            (ai->ai_family != AF_INET && ai->ai_family != AF_INET6))
            continue;
        e->family = ai->ai_family;
        e->socktype = ai->ai_socktype;
        e->protocol = ai->ai_protocol;
        if (prev != NULL)
            prev->next = e;
        prev = e;
        i++;
    }
    if (i == 0) {
        free(list);
        return CIO_ENOENT;
    }
    *out = list;
    return (int)(i > INT32_MAX ? INT32_MAX : i);
}

/* getaddrinfo and the copy; any thread. Entries or -errno. */
static int
lookup(const char *host, const char *service, const struct addrinfo *hints,
       cio_addrinfo **out)
{
    struct addrinfo *res = NULL;
    int e, r;

    *out = NULL;
    errno = 0;
    if ((r = cio__net_startup()) < 0)
        return r;
    e = getaddrinfo(host, service, hints, &res);
    if (e != 0)
        return gai_to_errno(e, errno);
    r = convert(res, out);
    freeaddrinfo(res);
    return r;
}

/* The BLOCKING op's function, on a pool thread. */
static int64_t
resolve_run(void *arg)
{
    resolve_req *req = arg;

    return lookup(req->host, req->service, &req->hints, &req->list);
}

static void
req_unref(resolve_req *req)
{
    if (--req->refs > 0)
        return;
    cio_addrinfo_free(req->list);
    free(req->host);
    free(req->service);
    free(req);
}

/* The helper task: owns the op until it has completed. */
static int
resolve_helper(void *arg)
{
    resolve_req *req = arg;

    req->started = 1;
    req->result = cio_submit_wait(&req->op);
    req->done = 1;
    if (req->waiter != NULL)
        cio_driver_cancel(cio_runtime_driver(cio_runtime_current()),
                          req->waiter);
    req_unref(req);
    return 0;
}

/* Only digits (a numeric service), or NULL. */
static int
numeric_service(const char *s)
{
    size_t i;

    if (s == NULL)
        return 1;
    if (s[0] == '\0')
        return 0;
    for (i = 0; s[i] != '\0'; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* A numeric IPv4 or IPv6 host without a scope, or NULL. */
static int
numeric_host(const char *h)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return h == NULL || inet_pton(AF_INET, h, buf) == 1 ||
           inet_pton(AF_INET6, h, buf) == 1;
}

static char *
dup_or_null(const char *s, int *fail)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        *fail = 1;
    return d;
}

int
cio_resolve(const char *host, const char *service,
            const cio_resolve_hints *hints, cio_addrinfo **out)
{
    struct addrinfo ah;
    resolve_req *req;
    uint64_t deadline;
    int fail = 0, r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (host == NULL && service == NULL)
        return CIO_EINVAL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    if (cio_cancelled())
        return CIO_ECANCELED;
    deadline = cio_deadline();
    if (deadline != 0 && cio_now() >= deadline)
        return CIO_ETIMEDOUT;

    memset(&ah, 0, sizeof ah);
    if (hints != NULL) {
        ah.ai_family = hints->family;
        ah.ai_socktype = hints->socktype;
        ah.ai_protocol = hints->protocol;
        ah.ai_flags = hints->flags;
    } else {
        ah.ai_socktype = SOCK_STREAM;
    }

    /* Numbers only: nothing to look up, nothing that blocks. */
    if (numeric_host(host) && numeric_service(service)) {
        ah.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
        return lookup(host, service, &ah, out);
    }

    req = calloc(1, sizeof *req);
    if (req == NULL)
        return CIO_ENOMEM;
    req->host = dup_or_null(host, &fail);
    req->service = dup_or_null(service, &fail);
    req->hints = ah;
    req->refs = 2;
    if (fail) {
        req_unref(req);
        return CIO_ENOMEM;
    }
    cio_op_blocking(&req->op, resolve_run, req);
    r = cio_spawn(&req->helper, resolve_helper, req);
    if (r < 0) {
        free(req->host);
        free(req->service);
        free(req);
        return r;
    }

    while (!req->done) {
        cio_op wake;

        cio_op_timeout(&wake, RESOLVE_PARK_NS);
        req->waiter = &wake;
        r = cio_submit_wait(&wake);
        req->waiter = NULL;
        if (req->done)
            break;
        if (r == CIO_ETIME)
            continue; /* An hour passed: park again. */
        /*
         * Cancelled or out of time: leave the lookup to the helper. A
         * helper that never started never will (it was cancelled before
         * its first run, as at runtime shutdown), so its reference is
         * dropped here.
         */
        if (!req->started) {
            cio_cancel(req->helper);
            req->refs--;
        }
        cio_detach(req->helper);
        req_unref(req);
        return r < 0 ? r : CIO_ECANCELED;
    }
    cio_detach(req->helper);
    r = req->result;
    if (r > 0) {
        *out = req->list;
        req->list = NULL;
    } else if (r == 0) {
        r = CIO_ENOENT;
    }
    req_unref(req);
    return r;
}

int
cio_resolve_port(const char *host, uint16_t port,
                 const cio_resolve_hints *hints, cio_addrinfo **out)
{
    char service[8];

    snprintf(service, sizeof service, "%u", (unsigned)port);
    return cio_resolve(host, service, hints, out);
}
