/* SPDX-License-Identifier: MIT */
/*
 * check_net_addr.c - cio_sockaddr (parse/format round trips, rejects,
 * builders, comparison) and cio_resolve on each backend: localhost,
 * numeric hosts, a failing name under a deadline, and the "cancellable
 * from the caller's view" contract (a cancelled or timed-out caller
 * returns at once while the pool still holds the lookup, and nothing
 * leaks when the runtime is freed under a lookup).
 */
#ifndef _WIN32
#include <netdb.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check_net.h"

/* ---- parse and format ---- */

START_TEST(test_round_trip)
{
    static const char *const ok[] = {
        "127.0.0.1:80",
        "0.0.0.0:0",
        "255.255.255.255:65535",
        "10.1.2.3:8080",
        "[::1]:80",
        "[::]:0",
        "[2001:db8::1]:443",
        "[::ffff:1.2.3.4]:8080",
        "[fe80::1%1]:80",
        "[fe80::abcd%4294967295]:1",
        "/tmp/x.sock",
        "./rel.sock",
        "../up/s",
#ifdef __linux__
        "@abstract-name",
        "@a",
#endif
    };
    char buf[CIO_SOCKADDR_STRLEN];
    cio_sockaddr a, b;
    size_t i;
    int n;

    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ck_assert_msg(cio_sockaddr_parse(&a, ok[i]) == 0, "parse %s", ok[i]);
        n = cio_sockaddr_format(&a, buf, sizeof buf);
        ck_assert_int_eq(n, (int)strlen(ok[i]));
        ck_assert_str_eq(buf, ok[i]);
        ck_assert_int_eq(cio_sockaddr_parse(&b, buf), 0);
        ck_assert_msg(cio_sockaddr_equal(&a, &b), "%s equal", ok[i]);
    }
    /* Families and ports. */
    ck_assert_int_eq(cio_sockaddr_parse(&a, "10.1.2.3:8080"), 0);
    ck_assert_int_eq(cio_sockaddr_family(&a), AF_INET);
    ck_assert_int_eq(cio_sockaddr_port(&a), 8080);
    ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in));
    ck_assert_uint_eq(ntohl(a.u.in4.sin_addr.s_addr), 0x0a010203u);
    ck_assert_int_eq(cio_sockaddr_parse(&a, "[fe80::1%3]:9"), 0);
    ck_assert_int_eq(cio_sockaddr_family(&a), AF_INET6);
    ck_assert_int_eq(cio_sockaddr_port(&a), 9);
    ck_assert_uint_eq(a.u.in6.sin6_scope_id, 3);
    ck_assert_int_eq(cio_sockaddr_parse(&a, "/tmp/x.sock"), 0);
    ck_assert_int_eq(cio_sockaddr_family(&a), AF_UNIX);
    ck_assert_int_eq(cio_sockaddr_port(&a), CIO_EAFNOSUPPORT);
    ck_assert_str_eq(a.u.un.sun_path, "/tmp/x.sock");
#ifdef __linux__
    ck_assert_int_eq(cio_sockaddr_parse(&a, "@abs"), 0);
    ck_assert_int_eq(a.u.un.sun_path[0], '\0');
    ck_assert_int_eq(memcmp(a.u.un.sun_path + 1, "abs", 3), 0);
    ck_assert_uint_eq(a.len, offsetof(struct sockaddr_un, sun_path) + 4);
#else
    /* Abstract names are Linux only. */
    ck_assert_int_eq(cio_sockaddr_parse(&a, "@abs"), CIO_ENOTSUP);
    ck_assert_uint_eq(a.len, 0);
#endif
#ifndef _WIN32
    /* A scope given by name reads back as its index. */
    ck_assert_int_eq(cio_sockaddr_parse(&a, "[fe80::1%lo]:80"), 0);
    ck_assert_uint_eq(a.u.in6.sin6_scope_id, if_nametoindex("lo"));
    snprintf(buf, sizeof buf, "[fe80::1%%%u]:80", if_nametoindex("lo"));
    ck_assert_int_eq(cio_sockaddr_parse(&b, buf), 0);
    ck_assert(cio_sockaddr_equal(&a, &b));
#endif
}
END_TEST

START_TEST(test_rejects)
{
    static const char *const bad[] = {
        "",
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:65536",
        "127.0.0.1:99999",
        "127.0.0.1:123456",
        "127.0.0.1:80x",
        "127.0.0.1:-1",
        "127.0.0.1:+80",
        "127.0.0.1: 80",
        " 127.0.0.1:80",
        "1.2.3:80",
        "256.1.1.1:80",
        "1.2.3.4.5:80",
        "::1:80",
        "::1",
        "[::1]",
        "[::1]80",
        "[::1]:",
        "[::1:80",
        "[1.2.3.4]:80",
        "[]:80",
        "[::1%]:80",
        "localhost:80",
        ":80",
#ifdef __linux__
        "@",
#endif
        "x",
    };
    char longpath[200];
    cio_sockaddr a;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&a, 0xa5, sizeof a);
        ck_assert_msg(cio_sockaddr_parse(&a, bad[i]) == CIO_EINVAL,
                      "'%s' accepted", bad[i]);
        ck_assert_uint_eq(a.len, 0);
        ck_assert_int_eq(cio_sockaddr_family(&a), 0);
    }
    ck_assert_int_eq(cio_sockaddr_parse(&a, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_sockaddr_parse(NULL, "1.2.3.4:5"), CIO_EINVAL);
    ck_assert_int_eq(cio_sockaddr_parse(&a, "[fe80::1%nosuchif0]:80"),
                     CIO_ENXIO);
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    ck_assert_int_eq(cio_sockaddr_parse(&a, longpath), CIO_ENAMETOOLONG);
    longpath[0] = '@';
#ifdef __linux__
    ck_assert_int_eq(cio_sockaddr_parse(&a, longpath), CIO_ENAMETOOLONG);
#else
    ck_assert_int_eq(cio_sockaddr_parse(&a, longpath), CIO_ENOTSUP);
    ck_assert_int_eq(cio_sockaddr_parse(&a, "@"), CIO_ENOTSUP);
#endif
    /* The longest path that fits (107 bytes and the NUL). */
    longpath[0] = '/';
    longpath[sizeof(a.u.un.sun_path) - 1] = '\0';
    ck_assert_int_eq(cio_sockaddr_parse(&a, longpath), 0);
    ck_assert_int_eq(cio_sockaddr_ip(&a, "1.2.3.4:5", 1), CIO_EINVAL);
    ck_assert_int_eq(cio_sockaddr_ip(&a, "[::1]", 1), CIO_EINVAL);
    ck_assert_int_eq(cio_sockaddr_ip(&a, NULL, 1), CIO_EINVAL);
    ck_assert_int_eq(cio_sockaddr_unix(&a, ""), CIO_EINVAL);
#ifdef __linux__
    ck_assert_int_eq(cio_sockaddr_abstract(&a, "x", 0), CIO_EINVAL);
#else
    ck_assert_int_eq(cio_sockaddr_abstract(&a, "x", 1), CIO_ENOTSUP);
#endif
}
END_TEST

START_TEST(test_builders)
{
    char buf[CIO_SOCKADDR_STRLEN];
    cio_sockaddr a, b;
    struct sockaddr_in sin;

    ck_assert_int_eq(cio_sockaddr_any(&a, AF_INET, 5), 0);
    ck_assert_int_eq(cio_sockaddr_format(&a, buf, sizeof buf), 9);
    ck_assert_str_eq(buf, "0.0.0.0:5");
    ck_assert_int_eq(cio_sockaddr_any(&a, AF_INET6, 6), 0);
    cio_sockaddr_format(&a, buf, sizeof buf);
    ck_assert_str_eq(buf, "[::]:6");
    ck_assert_int_eq(cio_sockaddr_loopback(&a, AF_INET, 7), 0);
    cio_sockaddr_format(&a, buf, sizeof buf);
    ck_assert_str_eq(buf, "127.0.0.1:7");
    ck_assert_int_eq(cio_sockaddr_loopback(&a, AF_INET6, 8), 0);
    cio_sockaddr_format(&a, buf, sizeof buf);
    ck_assert_str_eq(buf, "[::1]:8");
    ck_assert_int_eq(cio_sockaddr_any(&b, AF_UNIX, 1), CIO_EAFNOSUPPORT);
    ck_assert_int_eq(cio_sockaddr_loopback(&b, 12345, 1), CIO_EAFNOSUPPORT);
    ck_assert_uint_eq(b.len, 0);

    /* Ports. */
    ck_assert_int_eq(cio_sockaddr_set_port(&a, 65535), 0);
    ck_assert_int_eq(cio_sockaddr_port(&a), 65535);
    ck_assert_int_eq(cio_sockaddr_ip(&b, "::1", 65535), 0);
    ck_assert(cio_sockaddr_equal(&a, &b));
    ck_assert_int_eq(cio_sockaddr_set_port(&b, 1), 0);
    ck_assert(!cio_sockaddr_equal(&a, &b));
    ck_assert_int_eq(cio_sockaddr_ip(&b, "127.0.0.1", 65535), 0);
    ck_assert(!cio_sockaddr_equal(&a, &b)); /* Family differs. */

    /* From a system address. */
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(99);
    sin.sin_addr.s_addr = htonl(0x7f000001);
    ck_assert_int_eq(cio_sockaddr_from(&a, (struct sockaddr *)&sin, sizeof sin),
                     0);
    ck_assert_int_eq(cio_sockaddr_ip(&b, "127.0.0.1", 99), 0);
    ck_assert(cio_sockaddr_equal(&a, &b));
    ck_assert_int_eq(cio_sockaddr_from(&a, (struct sockaddr *)&sin, 4),
                     CIO_EAFNOSUPPORT);
    sin.sin_family = AF_APPLETALK;
    ck_assert_int_eq(cio_sockaddr_from(&a, (struct sockaddr *)&sin, sizeof sin),
                     CIO_EAFNOSUPPORT);
    ck_assert_int_eq(cio_sockaddr_from(&a, NULL, 0), CIO_EINVAL);

    /* Unix: '@' means abstract; "./@x" is a file named @x. */
#ifdef __linux__
    ck_assert_int_eq(cio_sockaddr_unix(&a, "@name"), 0);
    ck_assert_int_eq(cio_sockaddr_abstract(&b, "name", 4), 0);
    ck_assert(cio_sockaddr_equal(&a, &b));
    ck_assert_int_eq(cio_sockaddr_unix(&b, "./@name"), 0);
    ck_assert(!cio_sockaddr_equal(&a, &b));
    ck_assert_int_eq(cio_sockaddr_abstract(&b, "name", 3), 0);
    ck_assert(!cio_sockaddr_equal(&a, &b));
    /* NUL bytes in an abstract name show as '@'. */
    ck_assert_int_eq(cio_sockaddr_abstract(&a, "a\0b", 3), 0);
    ck_assert_int_eq(cio_sockaddr_format(&a, buf, sizeof buf), 4);
    ck_assert_str_eq(buf, "@a@b");
#else
    ck_assert_int_eq(cio_sockaddr_unix(&a, "@name"), CIO_ENOTSUP);
    ck_assert_int_eq(cio_sockaddr_unix(&b, "./@name"), 0);
    ck_assert_str_eq(b.u.un.sun_path, "./@name");
#endif

    /* Formatting limits. */
    ck_assert_int_eq(cio_sockaddr_ip(&a, "10.0.0.1", 80), 0);
    ck_assert_int_eq(cio_sockaddr_format(&a, buf, 11), CIO_ENOSPC);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(cio_sockaddr_format(&a, buf, 12), 11);
    memset(&a, 0, sizeof a);
    ck_assert_int_eq(cio_sockaddr_format(&a, buf, sizeof buf),
                     CIO_EAFNOSUPPORT);
    ck_assert_int_eq(cio_sockaddr_family(&a), 0);
    ck_assert_int_eq(cio_sockaddr_port(&a), CIO_EAFNOSUPPORT);
    ck_assert_int_eq(cio_sockaddr_set_port(&a, 1), CIO_EAFNOSUPPORT);
    ck_assert_int_eq(cio_sockaddr_format(&a, NULL, 5), CIO_EINVAL);
}
END_TEST

/* ---- resolve ---- */

static int
is_loopback(const cio_sockaddr *a)
{
    if (a->u.sa.sa_family == AF_INET)
        return (ntohl(a->u.in4.sin_addr.s_addr) >> 24) == 127;
    if (a->u.sa.sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&a->u.in6.sin6_addr);
    return 0;
}

static int
resolve_main(void *arg)
{
    cio_resolve_hints h;
    cio_addrinfo *list, *ai;
    char buf[CIO_SOCKADDR_STRLEN];
    int n, count;

    (void)arg;
    /* localhost, through the pool (files, then DNS). */
    n = cio_resolve("localhost", "8080", NULL, &list);
    ck_assert_msg(n > 0, "localhost: %s", cio_errname(n));
    count = 0;
    for (ai = list; ai != NULL; ai = ai->next) {
        count++;
        ck_assert_msg(is_loopback(&ai->addr), "%s not loopback",
                      net_str(&ai->addr));
        ck_assert_int_eq(cio_sockaddr_port(&ai->addr), 8080);
        ck_assert_int_eq(ai->socktype, SOCK_STREAM);
        ck_assert_int_eq(ai->family, cio_sockaddr_family(&ai->addr));
    }
    ck_assert_int_eq(count, n);
    cio_addrinfo_free(list);

    /* IPv4 only, as datagrams, with a numeric port. */
    memset(&h, 0, sizeof h);
    h.family = AF_INET;
    h.socktype = SOCK_DGRAM;
    n = cio_resolve_port("localhost", 53, &h, &list);
    ck_assert_int_gt(n, 0);
    for (ai = list; ai != NULL; ai = ai->next) {
        ck_assert_int_eq(ai->family, AF_INET);
        ck_assert_int_eq(ai->socktype, SOCK_DGRAM);
        ck_assert_int_eq(cio_sockaddr_port(&ai->addr), 53);
    }
    cio_addrinfo_free(list);

    /* Numeric hosts: converted at once. */
    n = cio_resolve("127.0.0.1", "80", NULL, &list);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(cio_sockaddr_format(&list->addr, buf, sizeof buf), 12);
    ck_assert_str_eq(buf, "127.0.0.1:80");
    ck_assert_ptr_null(list->next);
    cio_addrinfo_free(list);
    n = cio_resolve_port("::1", 443, NULL, &list);
    ck_assert_int_eq(n, 1);
    cio_sockaddr_format(&list->addr, buf, sizeof buf);
    ck_assert_str_eq(buf, "[::1]:443");
    cio_addrinfo_free(list);
    /* Passive, no host: the wildcard. */
    memset(&h, 0, sizeof h);
    h.family = AF_INET6;
    h.socktype = SOCK_STREAM;
    h.flags = AI_PASSIVE;
    ck_assert_int_eq(cio_resolve(NULL, "7", &h, &list), 1);
    cio_sockaddr_format(&list->addr, buf, sizeof buf);
    ck_assert_str_eq(buf, "[::]:7");
    cio_addrinfo_free(list);

    /* Errors. */
    h.family = AF_INET6;
    h.flags = 0;
    list = (cio_addrinfo *)&h;
    ck_assert_int_eq(cio_resolve("127.0.0.1", "80", &h, &list), CIO_ENOENT);
    ck_assert_ptr_null(list);
    ck_assert_int_eq(cio_resolve(NULL, NULL, NULL, &list), CIO_EINVAL);
    ck_assert_int_eq(cio_resolve("localhost", "80", NULL, NULL), CIO_EINVAL);
    h.family = 12345;
    ck_assert_int_eq(cio_resolve("localhost", "80", &h, &list),
                     CIO_EAFNOSUPPORT);
    memset(&h, 0, sizeof h);
    h.socktype = SOCK_STREAM;
    h.flags = AI_NUMERICHOST;
    ck_assert_int_eq(cio_resolve("localhost", "80", &h, &list), CIO_ENOENT);
    return 0;
}

START_TEST(test_resolve)
{
    cio_test_api_run(_i, resolve_main, NULL);
}
END_TEST

/* A name that must not resolve, under a deadline in case no resolver
 * answers here. */
static int
resolve_fail_main(void *arg)
{
    cio_addrinfo *list = NULL;
    uint64_t prev;
    int r;

    (void)arg;
    prev = cio_deadline_set(cio_now() + 10 * CIO_NS_PER_SEC);
    r = cio_resolve("no-such-host.invalid", "80", NULL, &list);
    cio_deadline_set(prev);
    ck_assert_msg(r == CIO_ENOENT || r == CIO_EAGAIN || r == CIO_EIO ||
                      r == CIO_ETIMEDOUT,
                  "no-such-host.invalid: %d (%s)", r, cio_errname(r));
    ck_assert_ptr_null(list);
    printf("# %s: no-such-host.invalid -> %s\n", cio_test_backend_name,
           cio_errname(r));
    /* A deadline already past: at once, nothing started. */
    prev = cio_deadline_set(cio_now() - 1);
    ck_assert_int_eq(cio_resolve("localhost", "80", NULL, &list),
                     CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    return 0;
}

START_TEST(test_resolve_fail)
{
    cio_test_api_run(_i, resolve_fail_main, NULL);
}
END_TEST

/* ---- cancellable from the caller's view ---- */

static int resolver_done;

static int
resolver_task(void *arg)
{
    cio_addrinfo *list = NULL;
    int r = cio_resolve("localhost", "80", NULL, &list);

    (void)arg;
    resolver_done = 1;
    if (r > 0)
        cio_addrinfo_free(list);
    else
        ck_assert_ptr_null(list);
    return r;
}

/* Set by the test to let a hold_pool(0) job end. */
static atomic_int pool_release;

/*
 * Holds the runtime's only pool thread: for @arg ms, or (@arg 0) until
 * the test sets pool_release (at most ten minutes, a guard against a
 * failed test leaving it behind).
 */
static int64_t
hold_pool(void *arg)
{
    unsigned long ms = (unsigned long)(uintptr_t)arg, k;
    struct timespec ts;

    if (ms == 0) {
        for (k = 0; k < 600000 && !atomic_load(&pool_release); k++) {
            ts.tv_sec = 0;
            ts.tv_nsec = 1000000L;
            nanosleep(&ts, NULL);
        }
        return 7;
    }
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 7;
}

static int
blocker_task(void *arg)
{
    return (int)cio_spawn_blocking(hold_pool, arg);
}

static int
cancel_main(void *arg)
{
    cio_task *blocker, *t;
    int r;

    (void)arg;
    /*
     * Cancelled as soon as it parks, the lookup barely started: a quick
     * lookup may still win the race (hand-off wins), else ECANCELED.
     */
    ck_assert_int_eq(cio_spawn(&t, resolver_task, NULL), 0);
    cio_yield();
    ck_assert_int_eq(cio_cancel(t), 0);
    r = cio_join(t);
    ck_assert_msg(r == CIO_ECANCELED || r > 0, "%d", r);

    /*
     * The pool's one thread is busy until this test lets it go: the
     * lookup waits in the pool's queue. The caller's cancel and deadline
     * still return, while the lookups cannot have run (so no clock is
     * needed to tell "at once": a slow run changes nothing); they finish
     * later, in the background.
     */
    atomic_store(&pool_release, 0);
    ck_assert_int_eq(cio_spawn(&blocker, blocker_task, (void *)0), 0);
    ck_assert_int_eq(cio_sleep(20 * MS), 0);
    resolver_done = 0;
    ck_assert_int_eq(cio_spawn(&t, resolver_task, NULL), 0);
    ck_assert_int_eq(cio_sleep(20 * MS), 0);
    if (resolver_done) {
        /* The pool is process-wide; without CK_FORK another runtime
         * sized it first. */
        printf("# pool not limited to one thread here: queued-lookup "
               "case not run\n");
        atomic_store(&pool_release, 1);
        ck_assert_int_gt(cio_join(t), 0);
        ck_assert_int_eq(cio_join(blocker), 7);
        return 0;
    }
    ck_assert_int_eq(cio_cancel(t), 0);
    r = cio_join(t);
    if (r > 0) {
        /*
         * The lookup ran after all, only slower than 20 ms (a loaded
         * machine): the pool had a free thread, as above, and the
         * answer won the race with the cancel (hand-off wins).
         */
        printf("# lookup finished before its cancel: the pool was not "
               "limited to one thread; queued-lookup case not run\n");
        atomic_store(&pool_release, 1);
        ck_assert_int_eq(cio_join(blocker), 7);
        return 0;
    }
    ck_assert_int_eq(r, CIO_ECANCELED);

    cio_deadline_set(cio_now() + 30 * MS);
    r = resolver_task(NULL);
    cio_deadline_set(0);
    ck_assert_int_eq(r, CIO_ETIMEDOUT);

    /* Once the pool is free, lookups work again. */
    atomic_store(&pool_release, 1);
    ck_assert_int_eq(cio_join(blocker), 7);
    ck_assert_int_gt(resolver_task(NULL), 0);
    return 0;
}

START_TEST(test_resolve_cancel)
{
    int fds0 = cio_test_api_count();
    cio_runtime *rt = net_runtime_pool1(_i);

    if (rt == NULL)
        return;
    ck_assert_int_eq(cio_block_on(rt, cancel_main, NULL), 0);
    cio_runtime_free(rt);
    ck_assert_int_eq(cio_test_api_count(), fds0);
}
END_TEST

/*
 * The runtime is freed while lookups wait in the pool's queue, and while
 * one caller is parked with its helper task not yet started: the free
 * cancels them all and waits for the helpers; nothing leaks (the ASan
 * build checks) and nothing runs after the free.
 */
static int
abandon_main(void *arg)
{
    int i;

    (void)arg;
    ck_assert_int_eq(cio_spawn(NULL, blocker_task, (void *)100), 0);
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(cio_spawn(NULL, resolver_task, NULL), 0);
    ck_assert_int_eq(cio_sleep(10 * MS), 0);
    /* It parks on yield; its helper is queued behind this return. */
    ck_assert_int_eq(cio_spawn(NULL, resolver_task, NULL), 0);
    cio_yield();
    return 0;
}

START_TEST(test_resolve_runtime_free)
{
    cio_runtime *rt = net_runtime_pool1(_i);
    uint64_t t0;

    if (rt == NULL)
        return;
    ck_assert_int_eq(cio_block_on(rt, abandon_main, NULL), 0);
    t0 = cio_now();
    cio_runtime_free(rt);
    /*
     * The blocker's 100 ms run ends; queued lookups are dropped. (Only
     * a hang reaches the bound, far above any delay of a slow run.)
     */
    ck_assert_uint_lt(cio_now() - t0, 60 * CIO_NS_PER_SEC);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("net_addr");
    TCase *tc = tcase_create("addr");
    TCase *td = tcase_create("dns");

    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_rejects);
    tcase_add_test(tc, test_builders);
    suite_add_tcase(s, tc);
    /*
     * No net_require_backend() here: the address cases need no backend
     * (the DNS cases note a backend that cannot load), and a runtime
     * made in main() would size the process-wide blocking pool before
     * the forked cases ask for a one-thread pool.
     */
    tcase_add_loop_test(td, test_resolve, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(td, test_resolve_fail, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(td, test_resolve_cancel, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(td, test_resolve_runtime_free, 0, CIO_TEST_NBACKENDS);
    suite_add_tcase(s, td);
    return cio_test_run(s);
}
