/* SPDX-License-Identifier: MIT */
/*
 * cio_nullbe.c - "nullbe", a test-only backend module that natively
 * performs nothing but NOP (completed in wait()), so every other opcode
 * goes through the driver facade's thread pool. Settings, from
 * [module.nullbe]:
 *   forward = yes      also claim READ_AT and WRITE_AT, and hand them to
 *                      the core's pool through host->pool_submit;
 *   fail_create = yes  create() fails with CIO_EPERM and a reason.
 * Like any module it sees only <compio/module.h> and the host table.
 *
 * Built with -DNULLBE_OLD_ABI it is "oldbe" instead: a module of ABI
 * 1.0, with the 1.0 vtable size and none of the 1.2 members, which also
 * completes NOPs with CIO_CF_MORE set (a bit that meant nothing in 1.0).
 * check_oldabi proves the core emulates every 1.2 feature for it and
 * ignores that bit.
 *
 * nullbe itself has the 1.3 batch members (submit_batch, wait_batch,
 * cancel_all), so check_driver runs the core's batch paths; oldbe, and
 * epoll in the conformance suites, run the per-op ones.
 */
#define _GNU_SOURCE 1
#include <compio/module.h>

#include <errno.h>
#include <limits.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#endif

/*
 * The wake-up: a self-pipe that notify writes and wait polls; on
 * Windows an auto-reset event.
 */
#ifdef _WIN32
typedef HANDLE nullbe_wake;
#else
typedef int nullbe_wake[2];
#endif

typedef struct nullbe {
    const cio_host_api *api;
    cio_host *host;
    nullbe_wake wake;
    cio_op *head, *tail; /* Queued NOPs, through op->priv.ptr[0]. */
    int forward;         /* forward = yes. */
} nullbe;

#define NULLBE_NEXT(op) ((op)->priv.ptr[0])

#ifdef _WIN32
static int
nullbe_wake_open(nullbe *nb)
{
    nb->wake = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (nb->wake == NULL) {
        nb->api->set_reason(nb->host, "nullbe: CreateEvent: error %lu",
                            (unsigned long)GetLastError());
        return CIO_ENOMEM;
    }
    return 0;
}

static void
nullbe_wake_close(nullbe *nb)
{
    CloseHandle(nb->wake);
}

/* Wait up to @ms (-1: forever) for a notify. */
static int
nullbe_wake_wait(nullbe *nb, int ms)
{
    (void)WaitForSingleObject(nb->wake, ms < 0 ? INFINITE : (DWORD)ms);
    return 0;
}

/* An auto-reset event holds at most one wake-up; the wait consumed it. */
static void
nullbe_drain_wake(nullbe *nb)
{
    (void)nb;
}

static int
nullbe_wake_signal(nullbe *nb)
{
    return SetEvent(nb->wake) ? 0 : CIO_EIO;
}
#else
static int
nullbe_wake_open(nullbe *nb)
{
    if (pipe2(nb->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
        int err = -errno;
        nb->api->set_reason(nb->host, "nullbe: pipe2: %s", strerror(errno));
        return err;
    }
    return 0;
}

static void
nullbe_wake_close(nullbe *nb)
{
    close(nb->wake[0]);
    close(nb->wake[1]);
}

static int
nullbe_wake_wait(nullbe *nb, int ms)
{
    struct pollfd p = {.fd = nb->wake[0], .events = POLLIN};
    if (poll(&p, 1, ms) < 0 && errno != EINTR)
        return -errno;
    return 0;
}

static void
nullbe_drain_wake(nullbe *nb)
{
    char buf[64];
    while (read(nb->wake[0], buf, sizeof(buf)) > 0)
        ;
}

static int
nullbe_wake_signal(nullbe *nb)
{
    /* A full pipe already holds a wake-up. */
    if (write(nb->wake[1], "", 1) < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}
#endif

static int
nullbe_yes(const cio_host_api *api, cio_host *host, const char *key)
{
    const char *v = api->config_get(host, key);
    return v != NULL && (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 ||
                         strcmp(v, "true") == 0);
}

static int
nullbe_probe(const cio_host_api *api, cio_host *host)
{
    (void)api;
    (void)host;
    return 0;
}

static int
nullbe_create(const cio_host_api *api, cio_host *host, unsigned entries,
              void **state)
{
    nullbe *nb;
    (void)entries;

    if (nullbe_yes(api, host, "fail_create")) {
        api->set_reason(host, "nullbe: fail_create is set");
        return CIO_EPERM;
    }
    nb = api->calloc(1, sizeof(*nb));
    if (nb == NULL)
        return CIO_ENOMEM;
    nb->api = api;
    nb->host = host;
    {
        int err = nullbe_wake_open(nb);
        if (err < 0) {
            api->free(nb);
            return err;
        }
    }
    nb->forward = nullbe_yes(api, host, "forward");
    *state = nb;
    return 0;
}

static void
nullbe_destroy(void *state)
{
    nullbe *nb = state;
    nullbe_wake_close(nb);
    nb->api->free(nb);
}

static int
nullbe_supports(void *state, unsigned opcode)
{
    nullbe *nb = state;
    if (opcode == CIO_OP_NOP)
        return 1;
    return nb->forward &&
           (opcode == CIO_OP_READ_AT || opcode == CIO_OP_WRITE_AT);
}

static int
nullbe_submit(void *state, cio_op *op)
{
    nullbe *nb = state;

    if (op->opcode == CIO_OP_NOP) {
        NULLBE_NEXT(op) = NULL;
        if (nb->tail != NULL)
            NULLBE_NEXT(nb->tail) = op;
        else
            nb->head = op;
        nb->tail = op;
        return 0;
    }
    if (nb->forward &&
        (op->opcode == CIO_OP_READ_AT || op->opcode == CIO_OP_WRITE_AT))
        return nb->api->pool_submit(nb->host, op);
    return CIO_EINVAL;
}

static int
nullbe_cancel(void *state, cio_op *op)
{
    nullbe *nb = state;
    cio_op *prev = NULL, *cur;

    for (cur = nb->head; cur != NULL; prev = cur, cur = NULLBE_NEXT(cur)) {
        if (cur != op)
            continue;
        if (prev != NULL)
            NULLBE_NEXT(prev) = NULLBE_NEXT(cur);
        else
            nb->head = NULLBE_NEXT(cur);
        if (nb->tail == cur)
            nb->tail = prev;
        nb->api->complete(nb->host, op, CIO_ECANCELED, 0);
        return 0;
    }
    return CIO_ENOENT;
}

#ifdef NULLBE_OLD_ABI
/* Junk in the completion flags, as a pre-1.2 module might pass. */
#define NULLBE_CFLAGS CIO_CF_MORE
#else
#define NULLBE_CFLAGS 0
#endif

static int
nullbe_deliver(nullbe *nb)
{
    cio_op *op = nb->head;
    int n = 0;
    nb->head = nb->tail = NULL;
    while (op != NULL) {
        cio_op *next = NULLBE_NEXT(op);
        nb->api->complete(nb->host, op, 0, NULLBE_CFLAGS);
        op = next;
        n++;
    }
    return n;
}

static int
nullbe_wait(void *state, int64_t timeout_ns)
{
    nullbe *nb = state;
    int ms, r;

    if (nb->head != NULL) {
        nullbe_drain_wake(nb);
        return nullbe_deliver(nb);
    }
    if (timeout_ns < 0)
        ms = -1;
    else if (timeout_ns / 1000000 >= INT_MAX)
        ms = INT_MAX;
    else
        ms = (int)((timeout_ns + 999999) / 1000000);
    r = nullbe_wake_wait(nb, ms);
    if (r < 0)
        return r;
    nullbe_drain_wake(nb);
    return nullbe_deliver(nb);
}

#ifndef NULLBE_OLD_ABI
/* 1.3: submit() for each, up to the first refusal. */
static unsigned
nullbe_submit_batch(void *state, cio_op *const *ops, unsigned n, int *err)
{
    for (unsigned i = 0; i < n; i++) {
        int r = nullbe_submit(state, ops[i]);
        if (r < 0) {
            *err = r;
            return i;
        }
    }
    return n;
}

/* 1.3: as wait(), into @out; NOPs that do not fit stay queued. */
static int
nullbe_wait_batch(void *state, int64_t timeout_ns, cio_completion *out,
                  unsigned max)
{
    nullbe *nb = state;
    unsigned n = 0;
    int ms, r;

    if (nb->head == NULL) {
        if (timeout_ns < 0)
            ms = -1;
        else if (timeout_ns / 1000000 >= INT_MAX)
            ms = INT_MAX;
        else
            ms = (int)((timeout_ns + 999999) / 1000000);
        r = nullbe_wake_wait(nb, ms);
        if (r < 0)
            return r;
    }
    nullbe_drain_wake(nb);
    while (n < max && nb->head != NULL) {
        cio_op *op = nb->head;
        nb->head = NULLBE_NEXT(op);
        if (nb->head == NULL)
            nb->tail = NULL;
        out[n].op = op;
        out[n].result = 0;
        out[n].cflags = 0;
        n++;
    }
    return (int)n;
}

/* 1.3: cancel every queued NOP, inline. */
static int
nullbe_cancel_all(void *state)
{
    nullbe *nb = state;
    while (nb->head != NULL)
        nullbe_cancel(state, nb->head);
    return 0;
}
#endif

static int
nullbe_notify(void *state)
{
    return nullbe_wake_signal(state);
}

static const cio_backend_ops nullbe_ops = {
#ifdef NULLBE_OLD_ABI
    /* The 1.0 vtable ended with fork_child. */
    .size = offsetof(cio_backend_ops, fork_child) + sizeof(void (*)(void)),
#else
    .size = sizeof(cio_backend_ops),
#endif
    .create = nullbe_create,
    .destroy = nullbe_destroy,
    .supports = nullbe_supports,
    .submit = nullbe_submit,
    .cancel = nullbe_cancel,
    .wait = nullbe_wait,
    .notify = nullbe_notify,
#ifndef NULLBE_OLD_ABI
    .submit_batch = nullbe_submit_batch,
    .wait_batch = nullbe_wait_batch,
    .cancel_all = nullbe_cancel_all,
#endif
};

#ifdef NULLBE_OLD_ABI
CIO_BACKEND_MODULE(oldbe) = {
    .magic = CIO_MODULE_MAGIC,
    .abi_major = 1,
    .abi_minor = 0,
    .struct_size = (uint32_t)sizeof(cio_backend_module),
    .op_priv_size = sizeof(void *),
    .name = "oldbe",
#else
CIO_BACKEND_MODULE(nullbe) = {
    CIO_BACKEND_HEADER,
    .op_priv_size = sizeof(void *),
    .name = "nullbe",
#endif
    .version = "1",
    .description = "test backend: native NOP only, the rest on the pool",
    .caps = CIO_CAP_COMPLETION | CIO_CAP_NOTIFY,
    .probe = nullbe_probe,
    .ops = &nullbe_ops,
};
